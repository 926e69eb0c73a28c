/**
 * One core-facing UDP socket per device. The core identifies clients by address and
 * de-duplicates by (message ID, address) (RFC 7252 §4.5), so devices must never share a socket;
 * and a device's socket keeps its port for the life of its registration and across gateway
 * restarts (the assignment is kept in Redis and the same port is bound again).
 *
 * Keys (under `prefix`): `port-of` hash endpoint → port, `owner-of` hash port → endpoint.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Redis } from 'ioredis';
import { GatewayError } from '../shared/errors.ts';

/** Options of {@link CoreSocketPool}. */
export interface CoreSocketPoolOptions {
  /** Address the sockets bind to. @defaultValue '0.0.0.0' */
  readonly bindHost?: string;
  /** Inclusive port range for device sockets. @defaultValue [40000, 49999] */
  readonly portRange?: readonly [number, number];
  readonly prefix?: string;
}

/** Called for every datagram a device socket receives. */
export type CoreDatagramHandler = (endpoint: string, bytes: Buffer, from: RemoteInfo) => void;

/**
 * Contract: `ensure(endpoint)` resolves with the endpoint's socket, bound on its recorded port
 * (or on a new free port of the range, recorded before it is used); two endpoints never get the
 * same port. When a recorded port is taken by another program, a new one is allocated and the
 * event is reported through `onPortLost`. `close()` closes every socket and keeps the records.
 */
export class CoreSocketPool {
  private readonly sockets = new Map<string, Socket>();
  private readonly opening = new Map<string, Promise<Socket>>();
  private readonly prefix: string;
  private readonly bindHost: string;
  private readonly range: readonly [number, number];

  constructor(
    private readonly redis: Redis,
    private readonly onDatagram: CoreDatagramHandler,
    options: CoreSocketPoolOptions = {},
    private readonly onPortLost: (endpoint: string, port: number) => void = () => undefined,
  ) {
    this.prefix = options.prefix ?? 'smsbridge:sockets:';
    this.bindHost = options.bindHost ?? '0.0.0.0';
    this.range = options.portRange ?? [40_000, 49_999];
  }

  /** The bound socket of `endpoint`, if open. */
  get(endpoint: string): Socket | undefined {
    return this.sockets.get(endpoint);
  }

  /** The recorded port of `endpoint`, or null. */
  async portOf(endpoint: string): Promise<number | null> {
    const port = await this.redis.hget(`${this.prefix}port-of`, endpoint);
    return port === null ? null : Number(port);
  }

  /** See the class contract. */
  ensure(endpoint: string): Promise<Socket> {
    const open = this.sockets.get(endpoint);
    if (open) return Promise.resolve(open);
    let opening = this.opening.get(endpoint);
    if (!opening) {
      opening = this.open(endpoint).finally(() => this.opening.delete(endpoint));
      this.opening.set(endpoint, opening);
    }
    return opening;
  }

  /** Closes every socket (the port records stay for the next start). */
  async close(): Promise<void> {
    await Promise.all([...this.sockets.values()].map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
    this.sockets.clear();
  }

  private async open(endpoint: string): Promise<Socket> {
    const recorded = await this.portOf(endpoint);
    if (recorded !== null) {
      const socket = await this.bind(endpoint, recorded).catch(() => null);
      if (socket) return socket;
      this.onPortLost(endpoint, recorded);
      await this.release(endpoint, recorded);
    }
    const [min, max] = this.range;
    for (let attempt = 0; attempt < 64; attempt++) {
      const port = min + Math.floor(Math.random() * (max - min + 1));
      // Claim the port for this endpoint first, so no other gateway process takes it.
      if ((await this.redis.hsetnx(`${this.prefix}owner-of`, String(port), endpoint)) === 0) continue;
      const socket = await this.bind(endpoint, port).catch(() => null);
      if (socket) {
        await this.redis.hset(`${this.prefix}port-of`, endpoint, String(port));
        return socket;
      }
      await this.redis.hdel(`${this.prefix}owner-of`, String(port));
    }
    throw new GatewayError('GW_ERR_RELAY_SOCKET', `no free port in ${min}-${max} for ${endpoint}`, { endpoint });
  }

  /**
   * Frees the port of `endpoint` (a lapsed, de-registered or refused registration): closes its
   * socket if open and deletes both records, so the port can serve another device. `port`: the
   * recorded port when the caller knows it. Resolves when done; nothing to do is no error.
   */
  async release(endpoint: string, port?: number): Promise<void> {
    const socket = this.sockets.get(endpoint);
    if (socket !== undefined) {
      this.sockets.delete(endpoint);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
    const recorded = port ?? (await this.portOf(endpoint));
    if (recorded === null) return;
    await this.redis.multi().hdel(`${this.prefix}port-of`, endpoint).hdel(`${this.prefix}owner-of`, String(recorded)).exec();
  }

  private bind(endpoint: string, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(port, this.bindHost, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined); // ICMP errors on send must not crash the relay
        socket.on('message', (bytes, from) => this.onDatagram(endpoint, bytes, from));
        this.sockets.set(endpoint, socket);
        resolve(socket);
      });
    });
  }
}
