/**
 * A bench of simulated hardware for benchmarks: one simulated SMS network, N simulated modems on
 * real pseudo-terminals (one socat each), one {@link ModemDriver} per modem and a
 * {@link ModemPool} over them, wired as production wires real modems.
 *
 *   this process:              ModemPool ─► ModemDriver ─► serialport ─┐
 *                                                                       pty (socat)
 *   sim process (or this one): SimNetwork (TCP) ◄─ SimModem ◄──────────┘
 *
 * By default the simulated hardware runs in a child process (bench/support/sim-host.ts), as real
 * modems are outside the gateway: the simulator's work then does not queue on the gateway's event
 * loop. `simulator: 'in-process'` keeps everything in one process.
 *
 * Standalone on purpose: the integration-test fixture depends on vitest hooks, and bench/ never
 * imports from test/.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ModemDriver } from '../../src/modem/modem-driver.ts';
import { ModemPool } from '../../src/modem/modem-pool.ts';
import { MODEM_CONFIG_DEFAULTS, type ModemConfig } from '../../src/modem/modem-types.ts';
import { defaultProfilesDir, loadProfiles } from '../../src/modem/profile-loader.ts';
import { startSimHardware } from './sim-hardware.ts';

/** Where the simulated network and modems run. */
export type SimulatorPlacement = 'child-process' | 'in-process';

/** Options of {@link startModemRig}. */
export interface ModemRigOptions {
  readonly modems: number;
  /** Time each simulated modem waits before answering `+CMGS` (its radio time). */
  readonly cmgsLatencyMs: number;
  /** The network's delay from acceptance to delivery. @defaultValue 1 */
  readonly deliveryDelayMs?: number;
  /** @defaultValue 'child-process' */
  readonly simulator?: SimulatorPlacement;
  /** Longest wait for every driver to become `ready`. @defaultValue 30000 */
  readonly readyTimeoutMs?: number;
}

/** A running rig. `close` releases everything it started and never rejects. */
export interface ModemRig {
  readonly drivers: readonly ModemDriver[];
  readonly pool: ModemPool;
  close(): Promise<void>;
}

/** The simulated hardware, wherever it runs. */
interface Simulator {
  readonly linkPaths: readonly string[];
  /** AT command lines the modems received so far (all modems). */
  commandLines(): Promise<number>;
  stop(): Promise<void>;
}

/** Far beyond any benchmark run, so the watchdog and the storage sweep never interleave a send. */
const QUIET_INTERVAL_MS = 3_600_000;
/** No AT command line for this long counts as quiet. */
const QUIET_MS = 100;
const SIM_HOST = fileURLToPath(new URL('./sim-host.ts', import.meta.url));

/**
 * Starts the simulated hardware, the drivers and the pool, and resolves once every driver is
 * `ready` and the modems are quiet. On failure everything already started is released first.
 */
export async function startModemRig(options: ModemRigOptions): Promise<ModemRig> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-bench-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const deliveryDelayMs = options.deliveryDelayMs ?? 1;
    const simulator = options.simulator === 'in-process'
      ? await startInProcess(options.modems, options.cmgsLatencyMs, deliveryDelayMs, dir)
      : await startChildProcess(options.modems, options.cmgsLatencyMs, deliveryDelayMs, dir);
    cleanups.push(() => simulator.stop());
    const profiles = loadProfiles(defaultProfilesDir());
    const drivers = simulator.linkPaths.map((path, i) => {
      const config: ModemConfig = {
        ...MODEM_CONFIG_DEFAULTS, name: `modem-${i}`, path,
        watchdogIntervalMs: QUIET_INTERVAL_MS, sweepIntervalMs: QUIET_INTERVAL_MS,
      };
      return new ModemDriver(config, { profiles, persist: async () => undefined });
    });
    const pool = new ModemPool(drivers.map((driver) => ({ driver, groups: [], maxPartsPerSec: 0 })));
    cleanups.push(() => pool.stop());
    pool.start();
    await Promise.all(drivers.map((driver) => driver.waitFor('ready', options.readyTimeoutMs ?? 30_000)));
    await waitQuiet(simulator);
    return { drivers, pool, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Waits until no modem received a command line for {@link QUIET_MS}: a driver that just became
 * `ready` still runs its first storage sweep (`AT+CPMS`, `AT+CMGL=4` per storage), whose commands
 * would otherwise interleave with the first measured sends.
 */
async function waitQuiet(simulator: Simulator, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await simulator.commandLines();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const now = await simulator.commandLines();
    if (now === last) return;
    if (Date.now() > deadline) throw new Error(`modems still busy after ${timeoutMs} ms`);
    last = now;
  }
}

async function startInProcess(modems: number, cmgsLatencyMs: number, deliveryDelayMs: number, dir: string): Promise<Simulator> {
  const hardware = await startSimHardware(modems, cmgsLatencyMs, deliveryDelayMs, dir);
  return { linkPaths: hardware.sims.map((sim) => sim.linkPath), commandLines: async () => hardware.commandLines(), stop: () => hardware.stop() };
}

type SimHostProcess = ChildProcessByStdio<Writable, Readable, null>;

/** Runs bench/support/sim-host.ts with the same loader (tsx) as this process. */
async function startChildProcess(modems: number, cmgsLatencyMs: number, deliveryDelayMs: number, dir: string): Promise<Simulator> {
  const child: SimHostProcess = spawn(process.execPath, [...process.execArgv, SIM_HOST, String(modems), String(cmgsLatencyMs), String(deliveryDelayMs), dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // could not be spawned: no 'exit' follows
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((message: Record<string, unknown>) => void)[] = [];
  lines.on('line', (line) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not ours (a stray console line)
    }
    waiting.shift()?.(message);
  });
  const next = (): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    waiting.push(resolve);
    void exited.then(() => reject(new Error('the simulator process exited')));
  });
  const stop = async (): Promise<void> => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const first = await next().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  if (first.ready !== true || !Array.isArray(first.linkPaths)) {
    await stop();
    throw new Error(`the simulator did not start: ${String(first.error ?? JSON.stringify(first))}`);
  }
  return {
    linkPaths: first.linkPaths.map(String),
    commandLines: async () => {
      const reply = next();
      child.stdin.write('{"op":"commandLines"}\n');
      return Number((await reply).commandLines);
    },
    stop,
  };
}
