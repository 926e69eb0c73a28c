/**
 * A private `redis-server` for tests and the demo: started on a free loopback port in a temporary
 * directory, with persistence off, and stopped (directory removed) afterwards. No test ever
 * uses a Redis that someone else is running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running private Redis. */
export interface PrivateRedis {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's working directory (removed by {@link PrivateRedis.stop}). */
  readonly dir: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startPrivateRedis}. */
export interface PrivateRedisOptions {
  /** Append-only persistence (for restart tests); off by default. */
  readonly appendOnly?: boolean;
  /** Give up when the server does not answer PING within this time. Default 10000. */
  readonly startTimeoutMs?: number;
  /** Listen on this port (e.g. to start Redis again where a stopped one was); default a free port. */
  readonly port?: number;
  /** More `redis-server` arguments (e.g. a TLS port and its certificates). */
  readonly extraArgs?: readonly string[];
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command and resolves to the first reply line, e.g. `+PONG`. */
export async function redisCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.slice(0, end));
      }
    });
    socket.write(`${command}\r\n`);
  });
}

async function waitForPong(port: number, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}: ${log()}`);
    try {
      if ((await redisCommand(port, 'PING', 500)) === '+PONG') return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within ${timeoutMs} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a private Redis. Retries with another port when the chosen one was taken between
 * probing and binding. Rejects with the server's own output when it cannot start (for
 * example when `redis-server` is not installed: `bash .ci/ensure-system-packages` installs it).
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-redis-'));
    const port = options.port ?? (await freeTcpPort());
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', options.appendOnly ? 'yes' : 'no', '--daemonize', 'no', '--logfile', '',
      '--protected-mode', 'yes', ...(options.extraArgs ?? []),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
    try {
      await Promise.race([waitForPong(port, child, options.startTimeoutMs ?? 10_000, () => output.slice(-2000)), spawnError]);
      let stopped: Promise<void> | null = null;
      return {
        host: '127.0.0.1',
        port,
        url: `redis://127.0.0.1:${port}`,
        dir,
        pid: child.pid ?? -1,
        stop: () => (stopped ??= stopChild(child).then(() => rm(dir, { recursive: true, force: true }))),
      };
    } catch (error) {
      lastError = error;
      await stopChild(child).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || options.port !== undefined) break;
    }
  }
  throw new Error(`could not start a private redis-server: ${String(lastError)}`);
}
