/**
 * The rig of the fault scenarios (modem-loss, redis-restart, core-down): the gateway as a sysadmin
 * runs it, `smsbridge run --config` in a process of its own, between the lab core (`smsbridge
 * core`, a process of its own, so it can be stopped with SIGSTOP) and the simulated SMS network
 * with two simulated modems on real pseudo-terminals (in this process, so a scenario can unplug
 * or reboot them); Redis is a real `redis-server` the scenario owns. Simulated LwM2M devices
 * (SMS binding) are the load: each sends Updates (uplink) and answers the core's Reads (downlink).
 * The gateway's JSON log lines are read from its stdout, with the time each arrived.
 */
import { type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { SimDevice } from '../../src/sim/device/index.ts';
import { SimModem } from '../../src/sim/modem/index.ts';
import { SimNetwork } from '../../src/sim/network/sim-network.ts';
import { freeTcpPort } from '../../src/sim/private-redis.ts';
import { runConfigYaml, spawnSmsbridge } from '../../test/support/smsbridge-run.ts';

/** The gateway modems' numbers (modem-1, modem-2). */
export const GATEWAY_NUMBERS = ['+491720000001', '+491720000002'] as const;

/** One JSON log line of the gateway, with the bench's clock (ms, performance.now) when it arrived. */
export interface LogLine {
  readonly atMs: number;
  readonly record: Record<string, unknown>;
}

/** A child process whose stdout lines are collected. */
export class LoggedProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | string>;
  private readonly waiters = new Set<() => void>();

  /** `logFile`: every stdout line is appended there too (FAULT_LOG_DIR, for looking into a failed run). */
  constructor(readonly child: ChildProcess, private readonly logFile: string | null = null) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        record = { msg: line };
      }
      this.lines.push({ atMs: performance.now(), record });
      if (this.logFile !== null) appendFileSync(this.logFile, `${Math.round(performance.now())} ${line}\n`);
      if (process.env.FAULT_DEBUG === '1' && (/warn|error|fatal/.test(String(record.level)) || /modem|redis|running/.test(String(record.msg)))) {
        process.stderr.write(`[gw ${Math.round(performance.now())}] ${line.slice(0, 300)}\n`);
      }
      for (const wake of [...this.waiters]) wake();
    });
    // The lab core writes a line per request to stderr: shown only with FAULT_DEBUG=1.
    child.stderr?.on('data', (chunk: Buffer) => {
      if (process.env.FAULT_DEBUG === '1') process.stderr.write(`[child stderr] ${chunk.toString().slice(0, 300)}`);
    });
    // A bench that dies takes its children along (they would hold ports and pseudo-terminals).
    const orphanGuard = (): void => void child.kill('SIGKILL');
    process.once('exit', orphanGuard);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      process.off('exit', orphanGuard);
      resolve(code ?? signal ?? -1);
    }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The first line from index `from` on for which `match` holds; rejects after `safetyMs` (a safety net, not a measure). */
  async waitFor(match: (record: Record<string, unknown>) => boolean, from = 0, safetyMs = 300_000): Promise<LogLine> {
    const deadline = performance.now() + safetyMs;
    for (;;) {
      const found = this.lines.slice(from).find((line) => match(line.record));
      if (found) return found;
      if (performance.now() > deadline) throw new Error(`no matching log line within ${safetyMs} ms; last lines:\n${this.lines.slice(-15).map((l) => JSON.stringify(l.record)).join('\n')}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 1000);
        this.waiters.add(wake);
      });
    }
  }

  /** Resident set size of the process now, in KiB (from /proc; 0 when it is gone). */
  rssKiB(): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = 10_000): Promise<number | string> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGCONT'); // in case a scenario left it stopped
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }
}

function startCli(args: readonly string[]): LoggedProcess {
  const dir = process.env.FAULT_LOG_DIR;
  const logFile = dir === undefined || dir === '' ? null : join(dir, `${args[0]}-${Date.now()}.log`);
  return new LoggedProcess(spawnSmsbridge(args), logFile);
}

/** Options of {@link startFaultRig}. */
export interface FaultRigOptions {
  readonly redisUrl: string;
  /** Simulated devices (SMS binding), spread over the two gateway numbers. */
  readonly devices: number;
  /** Simulated devices with UDP binding (they send to the gateway's device-facing UDP port). @defaultValue 0 */
  readonly udpDevices?: number;
  /** More YAML appended to the gateway's configuration (top-level keys). */
  readonly extraYaml?: string;
  /** The network's wait before it delivers a refused SMS again. @defaultValue 500 */
  readonly networkRetryMs?: number;
  /** The lab core's overall wait for a downlink response. @defaultValue 120000 */
  readonly coreResponseTimeoutMs?: number;
  /** Lifetime of the devices' registrations, s. @defaultValue 3600 */
  readonly lifetimeSec?: number;
}

/** The running rig; `stop` releases everything and never rejects. */
export interface FaultRig {
  readonly dir: string;
  readonly network: SimNetwork;
  readonly modems: readonly SimModem[];
  readonly core: LoggedProcess;
  readonly coreHttp: string;
  readonly corePort: number;
  readonly gateway: LoggedProcess;
  /** The gateway's device-facing UDP port. */
  readonly udpPort: number;
  readonly devices: readonly SimDevice[];
  /** The devices' endpoint names, in the order of `devices`. */
  readonly endpoints: readonly string[];
  /** A Read of `/3/0` of `endpoint` through the lab core's HTTP API; resolves with the CoAP code or the HTTP error. */
  read(endpoint: string, timeoutMs?: number): Promise<string>;
  /** The lab core's counters (`GET /stats`). */
  coreStats(): Promise<Record<string, number>>;
  /** Endpoints the lab core has registered (`GET /clients`). */
  coreClients(): Promise<string[]>;
  /** Starts the gateway again (after a scenario killed it) with the same configuration. */
  restartGateway(): Promise<LoggedProcess>;
  stop(): Promise<void>;
}

function gatewayYaml(options: FaultRigOptions, dir: string, corePort: number, udpPort: number): string {
  // FAULT_PORT_BASE: another range of core-facing ports, for two rigs on one machine at once.
  const portBase = Number(process.env.FAULT_PORT_BASE ?? 43000);
  return runConfigYaml({
    writtenBy: 'bench/reliability/fault-rig.ts', redisUrl: options.redisUrl, redisPrefix: 'fault:', core: { host: '127.0.0.1', port: corePort }, udpPort,
    coreSocketPorts: [portBase, portBase + 999], modems: GATEWAY_NUMBERS.map((_, i) => ({ name: `modem-${i + 1}`, path: join(dir, `ttyModem${i}`), groups: ['lab'] })),
    moreYaml: `floodLimits:
  smsPerSecPerMsisdn: 0
maintenanceIntervalMs: 1000
${options.extraYaml ?? ''}`,
  });
}

/** Starts network, modems, core, gateway and devices, in that order; waits until every device is registered at the core. */
export async function startFaultRig(options: FaultRigOptions): Promise<FaultRig> {
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-faults-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const network = await SimNetwork.start({ deliveryDelayMs: 0, retryIntervalMs: options.networkRetryMs ?? 500 });
    stops.push(() => network.stop());
    const modems: SimModem[] = [];
    for (const [i, msisdn] of GATEWAY_NUMBERS.entries()) {
      const modem = await SimModem.start({ msisdn, network: network.address, registerDelayMs: 0, linkPath: join(dir, `ttyModem${i}`) });
      modems.push(modem);
      stops.push(() => modem.stop());
    }
    const core = startCli(['core', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--response-timeout-ms', String(options.coreResponseTimeoutMs ?? 120_000)]);
    stops.push(() => core.stop());
    const listening = await core.waitFor((r) => typeof r.coap === 'string' && typeof r.http === 'string', 0, 60_000);
    const corePort = Number(String(listening.record.coap).split(':').pop());
    const coreHttp = `http://${String(listening.record.http)}`;
    const udpPort = await freeTcpPort();
    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, gatewayYaml(options, dir, corePort, udpPort));
    let gateway = startCli(['run', '--config', configPath]);
    stops.push(() => gateway.stop());
    await gateway.waitFor((r) => r.msg === 'running', 0, 120_000);
    const devices: SimDevice[] = [];
    const endpoints = Array.from({ length: options.devices }, (_, i) => `fault-dev-${i + 1}`);
    for (let i = 0; i < options.devices; i++) {
      const device = await SimDevice.start({
        msisdn: `+4917099${String(i + 1).padStart(5, '0')}`, endpoint: endpoints[i]!, binding: 'S', lifetimeSec: options.lifetimeSec ?? 3600,
        network: network.address, gatewayNumber: GATEWAY_NUMBERS[i % 2]!, coap: { responseTimeoutMs: 180_000 },
      });
      devices.push(device);
      stops.push(() => device.stop());
    }
    for (let i = 0; i < (options.udpDevices ?? 0); i++) {
      endpoints.push(`fault-udp-${i + 1}`);
      const device = await SimDevice.start({
        msisdn: `+4917098${String(i + 1).padStart(5, '0')}`, endpoint: `fault-udp-${i + 1}`, binding: 'U', lifetimeSec: options.lifetimeSec ?? 3600,
        udp: { host: '127.0.0.1', port: udpPort }, coap: { responseTimeoutMs: 180_000 },
      });
      devices.push(device);
      stops.push(() => device.stop());
    }
    await Promise.all(devices.map((d) => d.whenRegistered()));
    const getJson = async (path: string, init?: RequestInit): Promise<unknown> => (await fetch(`${coreHttp}${path}`, init)).json();
    return {
      dir, network, modems, core, coreHttp, corePort, udpPort, devices, endpoints,
      get gateway() {
        return gateway;
      },
      read: async (endpoint, timeoutMs = 200_000) => {
        try {
          const answer = (await getJson(`/clients/${endpoint}/read?path=/3/0&timeoutMs=${timeoutMs}`, { method: 'POST' })) as { code?: string; error?: { message?: string } };
          return answer.code ?? `error: ${answer.error?.message ?? 'unknown'}`;
        } catch (error) {
          const cause = (error as { cause?: { code?: string; message?: string } }).cause;
          return `error: ${String(error)}${cause ? ` (${cause.code ?? cause.message ?? ''})` : ''}`;
        }
      },
      coreStats: async () => (await getJson('/stats')) as Record<string, number>,
      coreClients: async () => ((await getJson('/clients')) as { clients: { endpoint: string }[] }).clients.map((c) => c.endpoint),
      restartGateway: async () => {
        gateway = startCli(['run', '--config', configPath]);
        await gateway.waitFor((r) => r.msg === 'running', 0, 120_000);
        return gateway;
      },
      stop: stopAll,
    } satisfies FaultRig;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** p50 and max of `values` (ms), rounded to 1 ms; nulls when empty. */
export function p50Max(values: readonly number[]): { p50Ms: number | null; maxMs: number | null; n: number } {
  if (values.length === 0) return { p50Ms: null, maxMs: null, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { p50Ms: Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!), maxMs: Math.round(sorted.at(-1)!), n: values.length };
}

/** What the load did (see {@link startLoad}). */
export interface LoadResult {
  /** Updates sent by the devices, and how many the core answered (through the gateway) / did not. */
  readonly updatesSent: number;
  readonly updatesAnswered: number;
  readonly updatesFailed: number;
  /** Reads the lab core sent, answered 2.05, and the other outcomes by code. */
  readonly readsSent: number;
  readonly readsOk: number;
  readonly readsFailed: Readonly<Record<string, number>>;
}

/** A running load; `stop` ends the loops and waits until every Update and Read in flight settled. */
export interface Load {
  /** Updates answered so far. */
  readonly updatesAnswered: () => number;
  readonly readsOk: () => number;
  stop(): Promise<LoadResult>;
}

/**
 * Uplink and downlink at once: every device sends an Update, waits for its answer, pauses
 * `updateGapMs`, again; `readers` loops each ask the lab core for a Read of the next device.
 */
export function startLoad(rig: FaultRig, options: { readonly updateGapMs: number; readonly readers: number; readonly readGapMs: number }): Load {
  let running = true;
  let updatesSent = 0;
  let updatesAnswered = 0;
  let updatesFailed = 0;
  let readsSent = 0;
  let readsOk = 0;
  const readsFailed: Record<string, number> = {};
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const uplink = rig.devices.map(async (device) => {
    while (running) {
      updatesSent++;
      if (await device.update().catch(() => false)) updatesAnswered++;
      else updatesFailed++;
      await pause(options.updateGapMs);
    }
  });
  let next = 0;
  const downlink = Array.from({ length: options.readers }, async () => {
    while (running) {
      const endpoint = rig.endpoints[next++ % rig.endpoints.length]!;
      readsSent++;
      const code = await rig.read(endpoint);
      if (code === '2.05') readsOk++;
      else readsFailed[code] = (readsFailed[code] ?? 0) + 1;
      await pause(options.readGapMs);
    }
  });
  return {
    updatesAnswered: () => updatesAnswered,
    readsOk: () => readsOk,
    stop: async () => {
      running = false;
      await Promise.all([...uplink, ...downlink]);
      return { updatesSent, updatesAnswered, updatesFailed, readsSent, readsOk, readsFailed };
    },
  };
}

/** Resolves once `check` holds, polling every 100 ms (a condition, not a duration); rejects after `safetyMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, safetyMs = 300_000): Promise<void> {
  const deadline = performance.now() + safetyMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
