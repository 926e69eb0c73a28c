/**
 * Binding one core-facing UDP socket, and what a bind's failure means. A socket is created with a
 * lookup that answers an IP address at once (Node's default, `dns.lookup`, answers it on the next
 * tick), so `bind` on an IP address completes (or fails) inside the call: a restart binds a
 * batch of sockets in one synchronous loop, with no promise, closure or event-loop turn per
 * socket (bench/device-scale, restart). A host name is still resolved by `dns.lookup`, and its
 * bind completes later (the caller gets a promise).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { GatewayError, type ErrorCode } from '../shared/errors.ts';
import type { CoreAddress } from './core-slots.ts';

/** Where a bound socket keeps its endpoint, so that one listener serves every socket of a pool. */
const ENDPOINT = Symbol('endpoint');

/** A pool's socket: its endpoint rides on it. */
export type EndpointSocket = Socket & { [ENDPOINT]?: string };

/** Called for every datagram a bound socket receives, with that socket's endpoint. */
export type EndpointDatagramHandler = (endpoint: string, bytes: Buffer, from: RemoteInfo) => void;

/** Addresses whose IP family is kept (far more than bind addresses and core addresses). */
const FAMILY_CACHE_SIZE = 256;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * Contract: `bind(endpoint, address)` creates a socket and binds it on `address`. For an IP
 * address it returns the bound socket or the bind's error (the socket then closed) before it
 * returns; for a host name it returns a promise of the same (rejecting with the error). A bound
 * socket delivers its datagrams to the handler with its endpoint, and ignores send errors (ICMP
 * errors must not crash the relay). Listeners are shared by every socket of a binder.
 */
export class CoreSocketBinder {
  /** The error the socket being bound synchronously emitted (set by {@link noteError}). */
  private bindError: Error | null = null;
  /**
   * The `error` listener of every socket: records the error of a synchronous bind; later (send)
   * errors land here too and are overwritten by the next bind, never thrown.
   */
  private readonly noteError = (error: Error): void => {
    this.bindError = error;
  };
  /** IP family by address (bind addresses, the core's): Node's `isIP` is a regular expression per call. */
  private readonly families = new Map<string, number>();
  /**
   * The lookup of every socket (binds, and sends to the core's address): an IP address is
   * answered synchronously as itself (what `dns.lookup` answers for one, a tick later); a host
   * name goes to `dns.lookup`.
   */
  private readonly lookup = (address: string, options: LookupOneOptions | number, callback: LookupCallback): void => {
    const family = this.familyOf(address);
    if (family !== 0) callback(null, address, family);
    else dnsLookup(address, typeof options === 'number' ? { family: options } : options, callback);
  };
  /** The `message` listener of every socket (`this` is the socket, which names its endpoint). */
  private readonly socketMessage: (this: EndpointSocket, bytes: Buffer, from: RemoteInfo) => void;

  constructor(onDatagram: EndpointDatagramHandler) {
    this.socketMessage = function (this: EndpointSocket, bytes: Buffer, from: RemoteInfo): void {
      const endpoint = this[ENDPOINT];
      if (endpoint !== undefined) onDatagram(endpoint, bytes, from);
    };
  }

  /** 4 or 6 for an IP address, 0 for a host name (bind with a host name completes later). */
  familyOf(host: string): number {
    let family = this.families.get(host);
    if (family === undefined) {
      if (this.families.size >= FAMILY_CACHE_SIZE) this.families.clear();
      family = isIP(host);
      this.families.set(host, family);
    }
    return family;
  }

  /** See the class contract. */
  bind(endpoint: string, address: CoreAddress): EndpointSocket | Error | Promise<EndpointSocket> {
    const family = this.familyOf(address.host);
    const socket: EndpointSocket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: this.lookup });
    if (family === 0) return this.bindLater(socket, endpoint, address);
    this.bindError = null;
    socket.on('error', this.noteError);
    socket.bind(address.port, address.host); // synchronous: literalLookup answers at once
    const error = this.bindError;
    if (error !== null) {
      this.bindError = null;
      closeQuietly(socket);
      return error;
    }
    socket[ENDPOINT] = endpoint;
    socket.on('message', this.socketMessage);
    return socket;
  }

  /** A host name: resolved by `dns.lookup`, bound once it is. */
  private bindLater(socket: EndpointSocket, endpoint: string, address: CoreAddress): Promise<EndpointSocket> {
    return new Promise((resolve, reject) => {
      socket.once('error', (error) => {
        closeQuietly(socket);
        reject(error);
      });
      socket.bind(address.port, address.host, () => {
        socket.removeAllListeners('error');
        socket.on('error', this.noteError);
        socket[ENDPOINT] = endpoint;
        socket.on('message', this.socketMessage);
        resolve(socket);
      });
    });
  }
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/** GW_ERR_RELAY_FILE_LIMIT for EMFILE/ENFILE (the process or the system is out of files), GW_ERR_RELAY_SOCKET otherwise. */
export function socketErrorCode(error: unknown): ErrorCode {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE' ? 'GW_ERR_RELAY_FILE_LIMIT' : 'GW_ERR_RELAY_SOCKET';
}

/** The typed error for a device that got no socket because the open-file limit is reached. */
export function fileLimitError(endpoint: string, cause: unknown): GatewayError {
  const errno = (cause as NodeJS.ErrnoException).code ?? 'EMFILE';
  return new GatewayError('GW_ERR_RELAY_FILE_LIMIT', `no socket for ${endpoint}: the open-file limit is reached (${errno}); raise LimitNOFILE`, { endpoint, errno });
}

/** Closes `socket`; resolves once it is closed (at once when it already was). Never rejects. */
export function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
