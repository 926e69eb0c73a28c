/**
 * Benchmark `device-scale`: what one node holds. N UDP devices (each its own socket, on several
 * 127.0.0.x addresses) register through the system under test to a minimal core and then send
 * Updates; the gateway and a bare Node dgram forwarder holding the same number of sockets are
 * measured in the same run, each in a process of its own:
 *
 *   swarm process (scale-swarm.ts) ──► system under test (scale-sut.ts) ──► core process (scale-core.ts)
 *
 * Figures per system: registrations/s (N Registers, at most `--window` waiting at a time), RSS
 * after two full GCs per device (RSS with the devices minus RSS before them, ÷ N), CPU time of the
 * system-under-test process per steady-state Update (the second of two Update rounds), CPU time
 * of the Redis server per Register (it shares the cores: part of the gateway's cost); for the
 * gateway also the restart: a new process, Gateway.start until every recorded socket is bound.
 * Targets (issue 10): RSS ≤ 2× bare, registrations/s ≥ 0.7× bare, CPU per Update ≤ 2× bare,
 * restart < 5 s per 100,000 devices (what grows with the fleet scaled linearly from N).
 *
 * Usage: `npm run bench:device-scale [-- --devices 5000]`, or directly `tsx bench/device-scale.ts
 * [--devices 5000] [--window 200] [--device-hosts 4]`. N is bounded by the open-file limit of
 * one process (`ulimit -n`): the swarm and the system under test each hold N sockets. Prints a
 * table, then as its LAST line one JSON object ({@link DeviceScaleReport}). Exit code 1 when a
 * target is missed or a device failed.
 *
 * For profiling: `DEVICE_SCALE_DEBUG=1` prints every memory measurement (heap spaces included)
 * and Redis' calls and µs per command during the Register rounds (`INFO commandstats`);
 * `DEVICE_SCALE_HEAPSNAPSHOT=<dir>` makes the gateway write a heap snapshot there at each one.
 * The gateway's process (not the bare forwarder's) runs with the node/V8 flags of the `smsbridge`
 * executable's first line (src/main.ts: `--min-semi-space-size=16`, see docs/scaling.md);
 * `DEVICE_SCALE_GATEWAY_NODE_FLAGS="--flag …"` replaces them (empty: none), to measure others.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startPrivateRedis } from '../src/sim/private-redis.ts';
import { runIfMain } from './support/entry.ts';
import { startJsonChild, type JsonChild } from './support/json-child.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import { integerOption } from './support/options.ts';
import type { ResultsEntry } from './support/results-doc.ts';
import type { RoundResult } from './support/scale-swarm.ts';
import { addRedisCpu, readRedisCpu, redisCpuBetween } from './support/redis-cpu.ts';
import { round } from './support/numbers.ts';

/** Parameters of one run. */
export interface DeviceScaleOptions {
  readonly devices: number;
  /** Devices waiting for an answer at most. */
  readonly window: number;
  /** Addresses the devices' sockets are spread over (127.0.0.10 …). */
  readonly deviceHosts: number;
}

/** The figures of one system. */
export interface SystemFigures {
  readonly registrationsPerSec: number;
  /** CPU time of the system-under-test process during the Register rounds ÷ Registers (steadier than the rate on a busy machine). */
  readonly cpuUsPerRegister: number;
  /**
   * CPU time of the Redis server during the Register rounds ÷ Registers (it shares the machine's
   * cores, so it is part of what a Register costs), µs: the whole server process (`used_cpu_*`,
   * network I/O included), and the time spent running Lua scripts (`commandstats` of
   * EVAL/EVALSHA: wall time, above the CPU time on a loaded machine).
   */
  readonly redisCpuUsPerRegister: number;
  readonly redisScriptUsPerRegister: number;
  readonly registerFailures: number;
  /** RSS with the whole fleet minus RSS before any device, ÷ N (start-up growth such as compiled code included). */
  readonly rssPerDeviceBytes: number;
  readonly heapPerDeviceBytes: number;
  /**
   * What one more device adds: RSS with the whole fleet minus RSS with the first half (both
   * after traffic), ÷ the second half. What 100,000 devices cost per device; the RSS target uses it.
   */
  readonly rssPerAddedDeviceBytes: number;
  readonly heapPerAddedDeviceBytes: number;
  readonly cpuUsPerUpdate: number;
  readonly updateFailures: number;
  readonly sockets: number;
}

/** What the benchmark prints as its last line. */
export interface DeviceScaleReport {
  readonly bench: 'device-scale';
  readonly date: string;
  readonly machine: string;
  readonly loadAverage: readonly [number, number];
  readonly options: DeviceScaleOptions;
  readonly gateway: SystemFigures & {
    readonly restartMs: number;
    /** Gateway.start with no devices (what does not grow with the fleet). */
    readonly emptyStartMs: number;
    /** CPU time of the restart and of the empty start (steadier than wall time on a busy machine). */
    readonly restartCpuMs: number;
    readonly emptyStartCpuMs: number;
    readonly restartSocketsBound: number;
    readonly restartPending: number;
    /** Devices left waiting at the restart by the bind's error code (EADDRINUSE: another program holds the address). */
    readonly restartUnboundBy: Readonly<Record<string, number>>;
    /** Wall time of each phase of the restart's Gateway.start, ms (see src/gateway/start-phases.ts). */
    readonly restartPhasesMs: Readonly<Record<string, number>>;
    readonly rssPerDeviceAfterRestartBytes: number;
    /** Devices with exchange state right after the last Update round (their entries live 247 s). */
    readonly devicesWithExchanges: number;
  };
  readonly bare: SystemFigures;
  /** gateway ÷ bare (`rss`: per added device, the target's; `rssWholeFleet`: per device of the whole fleet). */
  readonly ratios: { readonly rss: number; readonly rssWholeFleet: number; readonly registrationRate: number; readonly cpuPerUpdate: number };
  /** Restart time scaled to 100,000 devices: emptyStartMs + (restartMs − emptyStartMs) × 100,000 ÷ N, ms. */
  readonly restartMsPer100k: number;
  /** The same for CPU time: on an idle machine the restart is CPU-bound, so this is what it would take there. */
  readonly restartCpuMsPer100k: number;
  readonly targets: { readonly rss: boolean; readonly registrationRate: boolean; readonly cpuPerUpdate: boolean; readonly restart: boolean };
  readonly pass: boolean;
}

const DEFAULT_OPTIONS: DeviceScaleOptions = { devices: 5000, window: 200, deviceHosts: 4 };
/**
 * The gateway's core-facing addresses: none the tests or other benchmarks bind (the tests hold
 * ports of 127.0.0.2–3 in 23100–23649, which left restarts of runs alongside the test suite
 * with a few devices waiting for their address).
 */
const GATEWAY_BIND_HOSTS = '127.0.0.30,127.0.0.31';
/** Held for the whole run (just below the port range): a second run at the same time stops at once instead of taking this run's addresses. */
const RUN_GUARD = { host: '127.0.0.30', port: 19_999 } as const;
const PORT_RANGE = ['20000', '31999'] as const;
const script = (name: string): string => fileURLToPath(new URL(`./support/${name}`, import.meta.url));

/** The node flags on the first line of the `smsbridge` executable (`#!/usr/bin/env -S node <flags>`). */
function executableNodeFlags(): string {
  const first = readFileSync(fileURLToPath(new URL('../src/main.ts', import.meta.url)), 'utf8').split('\n', 1)[0] ?? '';
  return /^#!\/usr\/bin\/env -S node(.*)$/.exec(first)?.[1] ?? '';
}

interface Measure { rss: number; heapUsed: number; sockets: number; exchanges: number }

async function startSut(mode: 'gateway' | 'bare', redisUrl: string, core: { host: string; port: number }): Promise<JsonChild> {
  const flags = mode === 'gateway' ? (process.env.DEVICE_SCALE_GATEWAY_NODE_FLAGS ?? executableNodeFlags()).split(/\s+/).filter((flag) => flag !== '') : [];
  return startJsonChild(script('scale-sut.ts'), [mode, redisUrl, core.host, String(core.port), GATEWAY_BIND_HOSTS, ...PORT_RANGE], flags);
}

/**
 * Registers and updates every device through one system; resolves with its figures (the system
 * is left running). The first half registers and sends an Update first, so that the memory one
 * more device adds is measured on a process that has already seen the traffic (compiled code,
 * grown allocator arenas), as it will be long before 100,000 devices.
 */
async function measureSystem(sut: JsonChild, swarm: JsonChild, redis: Redis, options: DeviceScaleOptions): Promise<{ figures: SystemFigures; measure: Measure }> {
  const target = sut.hello.udp as { host: string; port: number };
  const half = Math.floor(options.devices / 2);
  const runRound = async (kind: 'register' | 'update', from: number, to: number): Promise<RoundResult> => (await swarm.ask({ op: 'round', kind, target, window: options.window, from, to })) as unknown as RoundResult;
  const cpuNow = async (): Promise<number> => (await sut.ask({ op: 'cpu' })).cpuUs as number;
  const before = (await sut.ask({ op: 'measure' })) as unknown as Measure;
  let registerCpuUs = -(await cpuNow());
  let redisBefore = await readRedisCpu(redis);
  const registeredFirst = await runRound('register', 0, half);
  registerCpuUs += await cpuNow();
  let registerRedis = redisCpuBetween(redisBefore, await readRedisCpu(redis));
  await runRound('update', 0, half);
  const withHalf = (await sut.ask({ op: 'measure' })) as unknown as Measure;
  registerCpuUs -= await cpuNow();
  redisBefore = await readRedisCpu(redis);
  const registeredSecond = await runRound('register', half, options.devices);
  registerCpuUs += await cpuNow();
  registerRedis = addRedisCpu(registerRedis, redisCpuBetween(redisBefore, await readRedisCpu(redis)));
  await runRound('update', 0, options.devices); // warm-up
  const cpuBefore = (await sut.ask({ op: 'cpu' })).cpuUs as number;
  const updated = await runRound('update', 0, options.devices);
  const cpuAfter = (await sut.ask({ op: 'cpu' })).cpuUs as number;
  const after = (await sut.ask({ op: 'measure' })) as unknown as Measure;
  if (process.env.DEVICE_SCALE_DEBUG) process.stderr.write(`  measure before ${JSON.stringify(before)}\n  measure half ${JSON.stringify(withHalf)}\n  measure after ${JSON.stringify(after)}\n`);
  if (process.env.DEVICE_SCALE_DEBUG) process.stderr.write(`  Redis during the Register rounds ${JSON.stringify(registerRedis)}\n`);
  const added = Math.max(1, options.devices - half);
  const registers = Math.max(1, registeredFirst.ok + registeredSecond.ok);
  return {
    measure: after,
    figures: {
      registrationsPerSec: round((registeredFirst.ok + registeredSecond.ok) / (registeredFirst.seconds + registeredSecond.seconds), 0),
      cpuUsPerRegister: round(registerCpuUs / registers, 1),
      redisCpuUsPerRegister: round(registerRedis.serverCpuUs / registers, 1), redisScriptUsPerRegister: round(registerRedis.scriptUs / registers, 1),
      registerFailures: registeredFirst.failed + registeredSecond.failed,
      rssPerDeviceBytes: round((after.rss - before.rss) / options.devices, 0), heapPerDeviceBytes: round((after.heapUsed - before.heapUsed) / options.devices, 0),
      rssPerAddedDeviceBytes: round((after.rss - withHalf.rss) / added, 0), heapPerAddedDeviceBytes: round((after.heapUsed - withHalf.heapUsed) / added, 0),
      cpuUsPerUpdate: round((cpuAfter - cpuBefore) / Math.max(1, updated.ok), 1), updateFailures: updated.failed, sockets: after.sockets,
    },
  };
}

/** Runs the whole benchmark (Redis, core, swarm, both systems, the restart); stops everything. */
export async function runDeviceScale(options: DeviceScaleOptions = DEFAULT_OPTIONS): Promise<DeviceScaleReport> {
  const machine = formatMachine(describeMachine());
  const date = new Date().toISOString();
  const loadWindow = loadAverageWindow();
  const cleanups: (() => Promise<unknown>)[] = [];
  const log = (text: string): void => void process.stderr.write(`  ${text}\n`);
  try {
    const guard = await holdRunGuard();
    cleanups.push(() => new Promise<void>((resolve) => guard.close(() => resolve())));
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const redisClient = new Redis(redis.url);
    cleanups.push(async () => redisClient.disconnect());
    const core = await startJsonChild(script('scale-core.ts'));
    cleanups.push(() => core.stop());
    const coreAddress = core.hello.core as { host: string; port: number };
    const swarm = await startJsonChild(script('scale-swarm.ts'));
    cleanups.push(() => swarm.stop());
    const hosts = Array.from({ length: options.deviceHosts }, (_, i) => `127.0.0.${10 + i}`);
    await swarm.ask({ op: 'open', devices: options.devices, hosts });
    log(`${options.devices} device sockets open on ${hosts.join(', ')}`);

    const bareSut = await startSut('bare', redis.url, coreAddress);
    const bare = await measureSystem(bareSut, swarm, redisClient, options);
    await bareSut.stop();
    log(`bare: ${JSON.stringify(bare.figures)}`);

    let sut = await startSut('gateway', redis.url, coreAddress);
    cleanups.push(() => sut.stop());
    const gateway = await measureSystem(sut, swarm, redisClient, options);
    log(`gateway: ${JSON.stringify(gateway.figures)}`);
    await sut.stop();
    sut = await startSut('gateway', redis.url, coreAddress);
    const restartMs = round(sut.hello.startMs as number, 0);
    const restarted = (await sut.ask({ op: 'measure' })) as unknown as Measure;
    const baseline = await startSut('gateway', `${redis.url}/1`, coreAddress); // same code, empty database: no devices
    cleanups.push(() => baseline.stop());
    const empty = (await baseline.ask({ op: 'measure' })) as unknown as Measure;
    const restore = sut.hello.restore as { unboundBy?: Record<string, number> } | null;
    const restartPhasesMs = (sut.hello.startPhasesMs ?? {}) as Record<string, number>;
    log(`restart: ${restartMs} ms, ${restarted.sockets} sockets bound, ${String(sut.hello.pending)} pending ${JSON.stringify(restore?.unboundBy ?? {})}; phases ${JSON.stringify(restartPhasesMs)}`);

    const ratios = {
      rss: round(gateway.figures.rssPerAddedDeviceBytes / bare.figures.rssPerAddedDeviceBytes, 3),
      rssWholeFleet: round(gateway.figures.rssPerDeviceBytes / bare.figures.rssPerDeviceBytes, 3),
      registrationRate: round(gateway.figures.registrationsPerSec / bare.figures.registrationsPerSec, 3),
      cpuPerUpdate: round(gateway.figures.cpuUsPerUpdate / bare.figures.cpuUsPerUpdate, 3),
    };
    // Start-up costs that do not depend on the fleet (Redis connections, the device socket) once,
    // the rest scaled linearly to 100,000 devices.
    const emptyStartMs = round(baseline.hello.startMs as number, 0);
    const restartMsPer100k = round(emptyStartMs + (Math.max(0, restartMs - emptyStartMs) * 100_000) / options.devices, 0);
    const restartCpuMs = round(sut.hello.startCpuMs as number, 0);
    const emptyStartCpuMs = round(baseline.hello.startCpuMs as number, 0);
    const restartCpuMsPer100k = round(emptyStartCpuMs + (Math.max(0, restartCpuMs - emptyStartCpuMs) * 100_000) / options.devices, 0);
    const targets = { rss: ratios.rss <= 2, registrationRate: ratios.registrationRate >= 0.7, cpuPerUpdate: ratios.cpuPerUpdate <= 2, restart: restartMsPer100k < 5000 };
    const failures = gateway.figures.registerFailures + gateway.figures.updateFailures;
    return {
      bench: 'device-scale', date, machine, loadAverage: loadWindow(), options,
      gateway: {
        ...gateway.figures, restartMs, emptyStartMs, restartCpuMs, emptyStartCpuMs, restartSocketsBound: restarted.sockets, restartPending: sut.hello.pending as number,
        restartUnboundBy: restore?.unboundBy ?? {}, restartPhasesMs,
        rssPerDeviceAfterRestartBytes: round((restarted.rss - empty.rss) / options.devices, 0), devicesWithExchanges: gateway.measure.exchanges,
      },
      bare: bare.figures, ratios, restartMsPer100k, restartCpuMsPer100k, targets,
      pass: Object.values(targets).every(Boolean) && failures === 0 && restarted.sockets === options.devices,
    };
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }
}

/** The figures as a Markdown table (the console and docs/benchmarks.md use the same). */
export function deviceScaleTable(report: DeviceScaleReport): string {
  const g = report.gateway;
  const b = report.bare;
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
  const mark = (ok: boolean): string => (ok ? '' : ' ✗');
  const waiting = (by: Readonly<Record<string, number>>): string => (Object.keys(by).length === 0 ? '' : `: ${Object.entries(by).map(([errno, n]) => `${n} ${errno}`).join(', ')}`);
  const phase = (phases: Readonly<Record<string, number>>, name: string): number => round(phases[name] ?? 0, 0);
  return [
    '| figure | gateway | bare dgram forwarder | gateway ÷ bare | target |',
    '|:---|---:|---:|---:|:---|',
    `| registrations/s | ${g.registrationsPerSec} | ${b.registrationsPerSec} | ${report.ratios.registrationRate}${mark(report.targets.registrationRate)} | ≥ 0.7 |`,
    `| CPU per Register | ${g.cpuUsPerRegister} µs | ${b.cpuUsPerRegister} µs | ${round(g.cpuUsPerRegister / b.cpuUsPerRegister, 3)} | |`,
    `| Redis server CPU per Register (time in Lua scripts) | ${g.redisCpuUsPerRegister} µs (${g.redisScriptUsPerRegister} µs) | ${b.redisCpuUsPerRegister} µs (${b.redisScriptUsPerRegister} µs) | | |`,
    `| RSS after GC per added device | ${kb(g.rssPerAddedDeviceBytes)} | ${kb(b.rssPerAddedDeviceBytes)} | ${report.ratios.rss}${mark(report.targets.rss)} | ≤ 2 |`,
    `| heap after GC per added device | ${kb(g.heapPerAddedDeviceBytes)} | ${kb(b.heapPerAddedDeviceBytes)} | | |`,
    `| RSS after GC per device of the whole fleet (start-up growth included) | ${kb(g.rssPerDeviceBytes)} | ${kb(b.rssPerDeviceBytes)} | ${report.ratios.rssWholeFleet} | |`,
    `| heap after GC per device of the whole fleet | ${kb(g.heapPerDeviceBytes)} | ${kb(b.heapPerDeviceBytes)} | | |`,
    `| CPU per steady-state Update | ${g.cpuUsPerUpdate} µs | ${b.cpuUsPerUpdate} µs | ${report.ratios.cpuPerUpdate}${mark(report.targets.cpuPerUpdate)} | ≤ 2 |`,
    `| restart to all sockets bound | ${g.restartMs} ms (${g.restartSocketsBound} bound, ${g.restartPending} waiting${waiting(g.restartUnboundBy)}; ${g.emptyStartMs} ms with no devices) | | | |`,
    `| restart: registrations read, sockets bound, the rest | ${phase(g.restartPhasesMs, 'registrations read')} / ${phase(g.restartPhasesMs, 'sockets bound')} / ${round(g.restartMs - phase(g.restartPhasesMs, 'registrations read') - phase(g.restartPhasesMs, 'sockets bound'), 0)} ms | | | |`,
    `| restart CPU time | ${g.restartCpuMs} ms (${g.emptyStartCpuMs} ms with no devices) | | | |`,
    `| restart scaled to 100k devices: wall (CPU) | ${report.restartMsPer100k} ms${mark(report.targets.restart)} (${report.restartCpuMsPer100k} ms) | | | < 5000 ms |`,
    `| RSS per device after the restart (vs. an empty gateway) | ${kb(g.rssPerDeviceAfterRestartBytes)} | | | |`,
    `| failed registrations / Updates | ${g.registerFailures} / ${g.updateFailures} | ${b.registerFailures} / ${b.updateFailures} | | 0 |`,
  ].join('\n');
}

/** Binds {@link RUN_GUARD}; rejects, saying why, when another run holds it. */
async function holdRunGuard(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) => reject(new Error(`another device-scale run seems to be in progress (${RUN_GUARD.host}:${RUN_GUARD.port}: ${error.message}); run one at a time, they share the gateway's addresses`)));
    socket.bind(RUN_GUARD.port, RUN_GUARD.host, () => resolve());
  });
  return socket;
}

function optionsLine(report: DeviceScaleReport): string {
  const o = report.options;
  return `${o.devices} UDP devices on ${o.deviceHosts} addresses, at most ${o.window} waiting; gateway sockets on ${GATEWAY_BIND_HOSTS.replace(',', ' and ')}`;
}

/** The report as docs/benchmarks.md shows it (see bench/support/results-doc.ts). */
export function deviceScaleResults(report: DeviceScaleReport): ResultsEntry {
  const when = `${report.date.slice(0, 16).replace('T', ' ')} UTC`;
  const latest = [
    `### Latest run: ${when}`,
    '',
    `Machine: ${report.machine}; load average (1 min) ${report.loadAverage.join(' → ')}. ${optionsLine(report)}. Targets: ${report.pass ? '**pass**' : '**FAIL**'}.`,
    '',
    deviceScaleTable(report),
  ].join('\n');
  const r = report.ratios;
  return {
    bench: report.bench, latest,
    history: [
      when, report.machine, report.loadAverage.join(' → '),
      `${report.options.devices} devices: reg/s ${report.gateway.registrationsPerSec} vs ${report.bare.registrationsPerSec} (${r.registrationRate}); RSS/added device ${report.gateway.rssPerAddedDeviceBytes} vs ${report.bare.rssPerAddedDeviceBytes} B (${r.rss}; whole fleet ${r.rssWholeFleet}); `
        + `CPU/Update ${report.gateway.cpuUsPerUpdate} vs ${report.bare.cpuUsPerUpdate} µs (${r.cpuPerUpdate}); restart ${report.gateway.restartMs} ms`,
      report.pass ? 'pass' : 'FAIL',
    ],
  };
}

function parseOptions(argv: readonly string[]): DeviceScaleOptions {
  // Not strict: `tsx bench/run.ts` passes every extra argument to every benchmark.
  const { values } = parseArgs({ args: [...argv], strict: false, options: { devices: { type: 'string' }, window: { type: 'string' }, 'device-hosts': { type: 'string' } } });
  return {
    devices: integerOption(values.devices, DEFAULT_OPTIONS.devices, 'devices'),
    window: integerOption(values.window, DEFAULT_OPTIONS.window, 'window'),
    deviceHosts: integerOption(values['device-hosts'], DEFAULT_OPTIONS.deviceHosts, 'device-hosts'),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const report = await runDeviceScale(options);
  console.log(`device-scale: ${report.machine}; ${report.date}; load ${report.loadAverage.join(' → ')}`);
  console.log(optionsLine(report));
  console.log(deviceScaleTable(report));
  console.log(`targets: ${report.pass ? 'PASS' : 'FAIL'}`);
  console.log(JSON.stringify(report));
  if (!report.pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
