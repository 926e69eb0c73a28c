/**
 * A private `redis-server` for tests and the demo: started on a free loopback port in a temporary
 * directory, with persistence off, and stopped (directory removed) afterwards. No test ever
 * uses a Redis that someone else is running. It dies with the process that started it, however
 * that process ends (kill -9 included), and takes its directory with it.
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
  /** The pid of redis-server itself (not of its watcher). */
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

/**
 * A TCP port that was free a moment ago on 127.0.0.1. Nothing holds it: whoever binds it later
 * may find it taken (retry then), and it says nothing of UDP. A listener that can be given port 0
 * should be, and report the port it got.
 */
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

/**
 * The watcher around redis-server (`sh -c`, arguments: the directory, then redis-server's
 * arguments). redis-server cannot notice that its parent died, so the shell starts it in the
 * background, announces its pid, and a subshell blocks reading a copy of the shell's stdin: a
 * pipe from this process, which the kernel closes when this process exits for any reason (kill
 * -9 included) and {@link PrivateRedis.stop} closes on purpose. End of input: SIGTERM to
 * redis-server. The shell stays redis-server's parent, so the pid cannot be reused before the
 * shell has reaped it, and then it removes the directory. When redis-server ends by itself the
 * shell kills the subshell first, so that pid is never signalled afterwards.
 */
const WATCHER_SCRIPT = [
  'dir=$1; shift',
  'exec 3<&0 0</dev/null',
  'redis-server "$@" &',
  'pid=$!',
  'echo "private-redis-pid $pid"',
  '( cat <&3 >/dev/null; kill -TERM "$pid" 2>/dev/null ) &',
  'watcher=$!',
  'exec 3<&-',
  'wait "$pid"; code=$?',
  'kill "$watcher" 2>/dev/null',
  'rm -rf "$dir"',
  'exit "$code"',
].join('\n');

const PID_LINE = /^private-redis-pid (\d+)$/m;

/** Stops through the watcher (end of its input), then SIGKILL to its process group after 5 s. */
async function stopWatched(child: ChildProcess): Promise<void> {
  child.stdin?.end();
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Signals the watcher's whole process group (it leads one: spawned detached). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function waitForPid(child: ChildProcess, output: () => string): Promise<number> {
  for (;;) {
    const match = PID_LINE.exec(output());
    if (match) return Number(match[1]);
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}: ${output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
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
    // Detached: its own process group, so a Ctrl-C at the terminal (SIGINT to the foreground
    // group) reaches the demo, which then stops Redis last, not Redis before the demo.
    const child = spawn('sh', ['-c', WATCHER_SCRIPT, 'private-redis', dir, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdin?.on('error', () => undefined); // EPIPE when the watcher already ended
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
    try {
      await Promise.race([waitForPong(port, child, options.startTimeoutMs ?? 10_000, () => output.slice(-2000)), spawnError]);
      const pid = await waitForPid(child, () => output);
      let stopped: Promise<void> | null = null;
      return {
        host: '127.0.0.1',
        port,
        url: `redis://127.0.0.1:${port}`,
        dir,
        pid,
        stop: () => (stopped ??= stopWatched(child).then(() => rm(dir, { recursive: true, force: true }))),
      };
    } catch (error) {
      lastError = error;
      await stopWatched(child).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      // 127: the shell found no redis-server on the PATH; another port will not help.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || child.exitCode === 127 || options.port !== undefined) break;
    }
  }
  throw new Error(`could not start a private redis-server: ${String(lastError)}`);
}
