/**
 * The UDP bearer of a simulated device (LwM2M binding U): the socket and the peers it sends to.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { GatewayError } from '../../shared/errors.ts';
import type { CoapPeer } from './coap-endpoint.ts';
import type { HostPort } from './device-settings.ts';

/**
 * Binds a UDP socket on `bind` (host null = all interfaces; port 0 = a free one), IPv6 when the
 * bind or the server address is IPv6. Throws `GW_ERR_SIM_UNAVAILABLE` (details `option: 'udpBind'`)
 * when the address cannot be bound. The caller closes the socket.
 */
export async function bindUdpSocket(bind: { readonly host: string | null; readonly port: number }, server: HostPort | null): Promise<Socket> {
  const socket = createSocket(isIP(server?.host ?? '') === 6 || isIP(bind.host ?? '') === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) => reject(new GatewayError('GW_ERR_SIM_UNAVAILABLE', `cannot bind UDP: ${error.message}`, { option: 'udpBind' })));
    socket.bind(bind.port, bind.host ?? undefined, () => resolve());
  });
  socket.on('error', () => undefined); // errors of sends surface in the send callbacks
  return socket;
}

/** A peer at `address` reached through `socket`; `onSend` runs for every datagram sent. */
export function udpPeer(socket: Socket, address: HostPort, onSend: () => void): CoapPeer {
  return {
    bearer: 'udp',
    key: `udp:${address.host}:${address.port}`,
    send: (bytes) =>
      new Promise<void>((resolve, reject) => {
        onSend();
        socket.send(bytes, address.port, address.host, (error) => (error ? reject(error) : resolve()));
      }),
  };
}
