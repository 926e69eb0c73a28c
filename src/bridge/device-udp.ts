/**
 * The gateway's device-facing UDP socket (LwM2M devices with a U binding talk to it, 5683 by
 * default): datagrams go to the relay, the relay's downlink goes out from the same socket.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { GatewayError } from '../shared/errors.ts';
import type { DeviceUdpSender } from './relay.ts';

/** The bound device-facing socket. */
export class DeviceUdpEndpoint implements DeviceUdpSender {
  private closed = false;

  private constructor(private readonly socket: Socket) {}

  /**
   * Binds `host:port` (port 0 picks one) and calls `onDatagram` for every datagram. Rejects with
   * GW_ERR_CONFIG naming the address when it cannot be bound.
   */
  static async bind(host: string, port: number, onDatagram: (bytes: Buffer, from: RemoteInfo) => void): Promise<DeviceUdpEndpoint> {
    const socket = createSocket('udp4');
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
