/**
 * A TCP proxy in front of a real redis-server that can stop one command from reaching it: the
 * test arms it with a command name, and the first client connection that sends that command has
 * everything from that write on held back (never forwarded), as if the process died just before
 * the command left. Used to kill a gateway at an exact point (e.g. between its send to the core
 * and its XACK) without any hook in the gateway.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** See the file comment. `close` ends every connection and never rejects. */
export class RedisHoldProxy {
  private armed: { readonly pattern: string; readonly resolve: () => void } | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number) {}

  /** Listens on a free loopback port and forwards to redis on `targetPort`. */
  static async start(targetPort: number): Promise<RedisHoldProxy> {
    let proxy: RedisHoldProxy | null = null;
    const server = createServer((client) => proxy?.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no proxy address');
    proxy = new RedisHoldProxy(server, address.port);
    return proxy;
  }

  /**
   * Arms the proxy: resolves when a client sends `command` (a RESP command name, any case); that
   * write and all later ones of the same connection never reach Redis. One-shot.
   */
  hold(command: string): Promise<void> {
    return new Promise((resolve) => (this.armed = { pattern: `\r\n${command.toLowerCase()}\r\n`, resolve }));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    let held = false;
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (held) return;
      const armed = this.armed;
      if (armed !== null && chunk.toString('latin1').toLowerCase().includes(armed.pattern)) {
        held = true;
        this.armed = null;
        armed.resolve();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  }
}
