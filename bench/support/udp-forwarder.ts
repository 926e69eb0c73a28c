/**
 * The baseline of the relay-throughput benchmark: the least a UDP relay with one core-facing
 * socket per device can do, in plain Node `dgram`. One device-facing socket; the first datagram
 * from a device address opens an upstream socket for it (kept in a Map), through which every
 * datagram of that device goes to the core unchanged; what the core sends to that socket goes
 * back to the device. No parsing, no state beyond the Map, no Redis.
 */
import { createSocket, type Socket } from 'node:dgram';

/** A running forwarder. `close` closes every socket. */
export interface UdpForwarder {
  readonly address: { host: string; port: number };
  /** Datagrams device → core and core → device so far. */
  readonly counters: { up: number; down: number };
  /** Upstream (core-facing) sockets open. */
  readonly upstreamCount: number;
  close(): Promise<void>;
}

/** Starts a forwarder on 127.0.0.1 (a free port) towards `core`. */
export async function startUdpForwarder(core: { host: string; port: number }): Promise<UdpForwarder> {
  const counters = { up: 0, down: 0 };
  const listener = createSocket('udp4');
  const upstream = new Map<string, Socket>();
  listener.on('message', (bytes, from) => {
    const key = `${from.address}:${from.port}`;
    let socket = upstream.get(key);
    if (socket === undefined) {
      const created = createSocket('udp4');
      created.on('error', () => undefined);
      created.on('message', (answer) => {
        counters.down += 1;
        listener.send(answer, from.port, from.address);
      });
      created.bind(0, '127.0.0.1'); // sends before the bind completes are queued by dgram
      upstream.set(key, created);
      socket = created;
    }
    counters.up += 1;
    socket.send(bytes, core.port, core.host);
  });
  listener.on('error', () => undefined);
  await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', () => resolve()));
  const { address, port } = listener.address();
  return {
    address: { host: address, port },
    counters,
    get upstreamCount() {
      return upstream.size;
    },
    close: async () => {
      const all = [listener, ...upstream.values()];
      upstream.clear();
      await Promise.all(all.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
    },
  };
}
