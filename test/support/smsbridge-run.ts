/**
 * `smsbridge` as a long-running process (`run`, `core`, `sim …`), as the end-to-end tests and the
 * reliability benches start it: the executable of package.json ({@link BIN}) run by node in the
 * repository root, its stdout and stderr piped, and the YAML file `smsbridge run --config` reads.
 * No vitest here (the benches import it); test files register clean-ups through
 * test/support/smsbridge-processes.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { exitOf, OutputLines } from './process-checks.ts';
import { BIN, ROOT } from './smsbridge-cli.ts';

/** What to start `smsbridge` with besides its arguments. */
export interface SpawnOptions {
  /** Environment variables added to this process's. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts `smsbridge <args>` and returns the child at once, stdin closed, stdout and stderr piped
 * (the caller must read both). The caller owns the process: nothing here stops it.
 */
export function spawnSmsbridge(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(options.env === undefined ? {} : { env: { ...process.env, ...options.env } }),
  });
}

/** A running `smsbridge` process with its output collected. */
export interface SmsbridgeProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout (JSON log lines, for `run`), as it comes. */
  readonly stdout: OutputLines;
  /** Everything written to stderr (one JSON error object before exit 1). */
  readonly stderr: OutputLines;
  /** The exit code, or the signal's name when it was killed. */
  readonly exited: Promise<number | string>;
}

/** {@link spawnSmsbridge}, with stdout and stderr collected. The caller owns the process. */
export function startSmsbridge(args: readonly string[], options: SpawnOptions = {}): SmsbridgeProcess {
  const child = spawnSmsbridge(args, options);
  return { child, stdout: new OutputLines(child.stdout!), stderr: new OutputLines(child.stderr!), exited: exitOf(child) };
}

/**
 * Waits for the `running` log line of `smsbridge run` and resolves with the device-facing UDP
 * port it names (the one the gateway bound: with `udpListen.port: 0` the OS chose it, so no
 * other process can have taken it between choosing and binding). `safetyTimeoutMs` is a safety
 * net only (default that of {@link OutputLines.waitFor}), never a speed check.
 */
export async function waitForRunning(gateway: SmsbridgeProcess, safetyTimeoutMs?: number): Promise<{ readonly udpPort: number }> {
  const [line] = await gateway.stdout.waitFor(/^\{.*"msg":"running".*\}$/, safetyTimeoutMs);
  const record = JSON.parse(line) as { udp?: { port?: unknown } };
  const udpPort = record.udp?.port;
  if (typeof udpPort !== 'number') throw new Error(`the running line names no UDP port: ${line}`);
  return { udpPort };
}

/** One modem of {@link RunConfig}. */
export interface RunConfigModem {
  readonly name: string;
  /** The serial device (a simulated modem's pseudo-terminal link). */
  readonly path: string;
  readonly groups?: readonly string[];
}

/** The usual test and bench gateway file: see {@link runConfigYaml}. */
export interface RunConfig {
  /** Named in a first comment line (which test or bench wrote the file). */
  readonly writtenBy?: string;
  readonly redisUrl: string;
  /** Key prefix in Redis (quoted in the file). */
  readonly redisPrefix: string;
  /** `redis.passwordEnv`: the environment variable holding the password. */
  readonly redisPasswordEnv?: string;
  /** The core server (UDP). */
  readonly core: { readonly host: string; readonly port: number };
  /** Device-facing UDP port on 127.0.0.1; 0 lets the OS choose (read it with {@link waitForRunning}). */
  readonly udpPort: number;
  /** First and last port (inclusive) of the core-facing sockets on 127.0.0.1. */
  readonly coreSocketPorts: readonly [number, number];
  readonly modems: readonly RunConfigModem[];
  /** More top-level keys, appended as they are (YAML, ending in a newline). */
  readonly moreYaml?: string;
}

/**
 * The YAML of a gateway for `smsbridge run --config`: log level info, Redis, the core, the
 * device-facing UDP address and the core-facing port range on 127.0.0.1, the modems, an open
 * sender policy, then {@link RunConfig.moreYaml}.
 */
export function runConfigYaml(config: RunConfig): string {
  const modems = config.modems.map((modem) => [
    `  - name: ${modem.name}`,
    `    path: ${modem.path}`,
    ...(modem.groups === undefined ? [] : [`    groups: [${modem.groups.join(', ')}]`]),
  ].join('\n'));
  return [
    ...(config.writtenBy === undefined ? [] : [`# written by ${config.writtenBy}`]),
    'log:',
    '  level: info',
    'redis:',
    `  url: ${config.redisUrl}`,
    ...(config.redisPasswordEnv === undefined ? [] : [`  passwordEnv: ${config.redisPasswordEnv}`]),
    `  prefix: "${config.redisPrefix}"`,
    'core:',
    `  host: ${config.core.host}`,
    `  port: ${config.core.port}`,
    'udpListen:',
    '  host: 127.0.0.1',
    `  port: ${config.udpPort}`,
    'coreSockets:',
    '  bindHost: 127.0.0.1',
    `  firstPort: ${config.coreSocketPorts[0]}`,
    `  lastPort: ${config.coreSocketPorts[1]}`,
    'modems:',
    ...modems,
    'senderPolicy:',
    '  mode: open',
    '',
  ].join('\n') + (config.moreYaml ?? '');
}
