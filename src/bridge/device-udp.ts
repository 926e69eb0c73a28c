/**
 * The gateway's device-facing UDP socket (LwM2M devices with a U binding talk to it, 5683 by
 * default): datagrams go to the relay, the relay's downlink goes out from the same socket.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIPv4 } from 'node:net';
import { GatewayError } from '../shared/errors.ts';
import type { DeviceUdpSender } from './relay.ts';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The socket's lookup: a device's address (always an IPv4 literal, taken from its datagram) is
 * answered synchronously as itself, so a send leaves inside the call (`dns.lookup`, the default,
 * answers a literal a tick later: bench/device-scale, CPU per Update); anything else goes to
 * `dns.lookup`.
 */
function literalLookup(address: string, options: LookupOneOptions | number, callback: LookupCallback): void {
  if (isIPv4(address)) callback(null, address, 4);
  else dnsLookup(address, typeof options === 'number' ? { family: options } : options, callback);
}

/** The bound device-facing socket. */
export class DeviceUdpEndpoint implements DeviceUdpSender {
  private closed = false;

  private constructor(private readonly socket: Socket) {}

  /**
   * Binds `host:port` (port 0 picks one) and calls `onDatagram` for every datagram. Rejects with
   * GW_ERR_CONFIG naming the address when it cannot be bound.
   */
  static async bind(host: string, port: number, onDatagram: (bytes: Buffer, from: RemoteInfo) => void): Promise<DeviceUdpEndpoint> {
    const socket = createSocket({ type: 'udp4', lookup: literalLookup });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (error) => reject(new GatewayError('GW_ERR_CONFIG', `cannot bind the device UDP socket ${host}:${port}: ${error.message}`, { key: 'udp.listen' })));
      socket.bind(port, host, () => resolve());
    });
    socket.on('error', () => undefined); // ICMP port unreachable from a sleeping device is no reason to stop
    socket.on('message', onDatagram);
    return new DeviceUdpEndpoint(socket);
  }

  /** The bound address. */
  get address(): { host: string; port: number } {
    const { address, port } = this.socket.address();
    return { host: address, port };
  }

  /** Sends one datagram to a device; after {@link close} nothing is sent (dgram would throw). */
  send(host: string, port: number, payload: Uint8Array): void {
    if (this.closed) return;
    this.socket.send(payload, port, host);
  }

  /** Closes the socket. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
