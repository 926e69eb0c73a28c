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
 * system-under-test process per steady-state Update (the second of two Update rounds); for the
 * gateway also the restart: a new process, Gateway.start until every recorded socket is bound.
 * Targets (issue 10): RSS ≤ 2× bare, registrations/s ≥ 0.7× bare, CPU per Update ≤ 2× bare,
 * restart < 5 s per 100,000 devices (what grows with the fleet scaled linearly from N).
 *
 * Usage: `npm run bench:device-scale [-- --devices 5000]`, or directly `tsx bench/device-scale.ts
 * [--devices 5000] [--window 200] [--device-hosts 4] [--pairs 3]`. Both systems are measured
 * `--pairs` times, one after the other and the order alternating from pair to pair; every figure
 * is the median over the pairs and every ratio the median of the pairs' ratios (one run of each
 * moved by 0.55–0.74 in the registration rate alone from run to run on this machine). N is bounded by the open-file limit of
 * one process (`ulimit -n`): the swarm and the system under test each hold N sockets. Prints a
 * table, then as its LAST line one JSON object ({@link DeviceScaleReport}). Exit code 1 when a
 * target is missed or a device failed.
 *
 * For profiling: `DEVICE_SCALE_DEBUG=1` prints every memory measurement (heap spaces included);
 * `DEVICE_SCALE_HEAPSNAPSHOT=<dir>` makes the gateway write a heap snapshot there at each one.
 * The gateway's process (not the bare forwarder's) runs with the node/V8 flags of the `smsbridge`
 * executable's first line (src/main.ts: `--min-semi-space-size=16`, see docs/scaling.md);
 * `DEVICE_SCALE_GATEWAY_NODE_FLAGS="--flag …"` replaces them (empty: none), to measure others.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { redisCommand, startPrivateRedis } from '../src/sim/private-redis.ts';
import { runIfMain } from './support/entry.ts';
import { startJsonChild, type JsonChild } from './support/json-child.ts';
import { describeMachine, formatMachine, loadAverageWindow, processCpuReader } from './support/machine.ts';
import { integerOption } from './support/options.ts';
import type { ResultsEntry } from './support/results-doc.ts';
import type { RoundResult } from './support/scale-swarm.ts';
import { round } from './support/numbers.ts';
import {
  deviceScaleResults as scaleResults, deviceScaleTable, medianFigures, medianRatios, optionsLine, pairRatios,
  type DeviceScaleOptions, type DeviceScaleReport, type ScaleRatios, type SystemFigures,
} from './support/scale-report.ts';

export { deviceScaleTable, type DeviceScaleOptions, type DeviceScaleReport, type SystemFigures };

const DEFAULT_OPTIONS: DeviceScaleOptions = { devices: 5000, window: 200, deviceHosts: 4, pairs: 3 };
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
async function measureSystem(sut: JsonChild, swarm: JsonChild, options: DeviceScaleOptions, redisCpuUs: () => number = () => 0): Promise<{ figures: SystemFigures; measure: Measure }> {
  const target = sut.hello.udp as { host: string; port: number };
  const half = Math.floor(options.devices / 2);
  const runRound = async (kind: 'register' | 'update', from: number, to: number): Promise<RoundResult> => (await swarm.ask({ op: 'round', kind, target, window: options.window, from, to })) as unknown as RoundResult;
  const cpuNow = async (): Promise<number> => (await sut.ask({ op: 'cpu' })).cpuUs as number;
  const before = (await sut.ask({ op: 'measure' })) as unknown as Measure;
  let registerCpuUs = -(await cpuNow());
  let registerRedisCpuUs = -redisCpuUs();
  const registeredFirst = await runRound('register', 0, half);
  registerCpuUs += await cpuNow();
  registerRedisCpuUs += redisCpuUs();
  await runRound('update', 0, half);
  const withHalf = (await sut.ask({ op: 'measure' })) as unknown as Measure;
  registerCpuUs -= await cpuNow();
  registerRedisCpuUs -= redisCpuUs();
  const registeredSecond = await runRound('register', half, options.devices);
  registerCpuUs += await cpuNow();
  registerRedisCpuUs += redisCpuUs();
  await runRound('update', 0, options.devices); // warm-up
  const cpuBefore = (await sut.ask({ op: 'cpu' })).cpuUs as number;
  const updated = await runRound('update', 0, options.devices);
  const cpuAfter = (await sut.ask({ op: 'cpu' })).cpuUs as number;
  const after = (await sut.ask({ op: 'measure' })) as unknown as Measure;
  if (process.env.DEVICE_SCALE_DEBUG) process.stderr.write(`  measure before ${JSON.stringify(before)}\n  measure half ${JSON.stringify(withHalf)}\n  measure after ${JSON.stringify(after)}\n`);
  const added = Math.max(1, options.devices - half);
  return {
    measure: after,
    figures: {
      registrationsPerSec: round((registeredFirst.ok + registeredSecond.ok) / (registeredFirst.seconds + registeredSecond.seconds), 0),
      cpuUsPerRegister: round(registerCpuUs / Math.max(1, registeredFirst.ok + registeredSecond.ok), 1),
      redisCpuUsPerRegister: round(registerRedisCpuUs / Math.max(1, registeredFirst.ok + registeredSecond.ok), 1),
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
    const core = await startJsonChild(script('scale-core.ts'));
    cleanups.push(() => core.stop());
    const coreAddress = core.hello.core as { host: string; port: number };
    const swarm = await startJsonChild(script('scale-swarm.ts'));
    cleanups.push(() => swarm.stop());
    const hosts = Array.from({ length: options.deviceHosts }, (_, i) => `127.0.0.${10 + i}`);
    await swarm.ask({ op: 'open', devices: options.devices, hosts });
    log(`${options.devices} device sockets open on ${hosts.join(', ')}`);

    // The pairs: bare then gateway, gateway then bare, … Each gateway run starts on an empty Redis;
    // a bare run leaves Redis alone, so the restart below finds the last gateway run's records.
    const redisCpuUs = processCpuReader(redis.pid);
    const redisPort = new URL(redis.url).port;
    const bareRuns: SystemFigures[] = [];
    const gatewayRuns: Awaited<ReturnType<typeof measureSystem>>[] = [];
    const ratioRuns: ScaleRatios[] = [];
    for (let pair = 0; pair < options.pairs; pair += 1) {
      for (const mode of pair % 2 === 0 ? (['bare', 'gateway'] as const) : (['gateway', 'bare'] as const)) {
        if (mode === 'bare') {
          const bareSut = await startSut('bare', redis.url, coreAddress);
          bareRuns.push((await measureSystem(bareSut, swarm, options)).figures);
          await bareSut.stop();
          log(`pair ${pair + 1} bare: ${JSON.stringify(bareRuns.at(-1))}`);
        } else {
          await redisCommand(Number(redisPort), 'FLUSHALL');
          const gatewaySut = await startSut('gateway', redis.url, coreAddress);
          cleanups.push(() => gatewaySut.stop());
          gatewayRuns.push(await measureSystem(gatewaySut, swarm, options, redisCpuUs));
          await gatewaySut.stop();
          log(`pair ${pair + 1} gateway: ${JSON.stringify(gatewayRuns.at(-1)!.figures)}`);
        }
      }
      ratioRuns.push(pairRatios(gatewayRuns.at(-1)!.figures, bareRuns.at(-1)!));
      log(`pair ${pair + 1} ratios: ${JSON.stringify(ratioRuns.at(-1))}`);
    }
    const bare = medianFigures(bareRuns);
    const gateway = { figures: medianFigures(gatewayRuns.map((run) => run.figures)), measure: gatewayRuns.at(-1)!.measure };

    // The restart, as often as there are pairs: the median by wall time is reported.
    const restarts: { sut: JsonChild; measure: Measure }[] = [];
    for (let run = 0; run < options.pairs; run += 1) {
      await restarts.at(-1)?.sut.stop(); // one gateway at a time: they bind the same addresses
      const restartedSut = await startSut('gateway', redis.url, coreAddress);
      cleanups.push(() => restartedSut.stop());
      restarts.push({ sut: restartedSut, measure: (await restartedSut.ask({ op: 'measure' })) as unknown as Measure });
      log(`restart ${run + 1}: ${round(restartedSut.hello.startMs as number, 0)} ms (CPU ${round(restartedSut.hello.startCpuMs as number, 0)} ms)`);
    }
    const byWallTime = [...restarts].sort((a, b) => (a.sut.hello.startMs as number) - (b.sut.hello.startMs as number));
    const { sut, measure: restarted } = byWallTime[Math.floor((byWallTime.length - 1) / 2)]!;
    const restartMs = round(sut.hello.startMs as number, 0);
    const baseline = await startSut('gateway', `${redis.url}/1`, coreAddress); // same code, empty database: no devices
    cleanups.push(() => baseline.stop());
    const empty = (await baseline.ask({ op: 'measure' })) as unknown as Measure;
    const restore = sut.hello.restore as { unboundBy?: Record<string, number> } | null;
    const restartPhasesMs = (sut.hello.startPhasesMs ?? {}) as Record<string, number>;
    log(`restart: ${restartMs} ms, ${restarted.sockets} sockets bound, ${String(sut.hello.pending)} pending ${JSON.stringify(restore?.unboundBy ?? {})}; phases ${JSON.stringify(restartPhasesMs)}`);

    const ratios = medianRatios(ratioRuns);
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
      bare, pairRatios: ratioRuns, ratios, restartMsPer100k, restartCpuMsPer100k, targets,
      pass: Object.values(targets).every(Boolean) && failures === 0 && restarted.sockets === options.devices,
    };
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }
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

/** The report as docs/benchmarks.md shows it (see bench/support/results-doc.ts). */
export function deviceScaleResults(report: DeviceScaleReport): ResultsEntry {
  return scaleResults(report, GATEWAY_BIND_HOSTS);
}

function parseOptions(argv: readonly string[]): DeviceScaleOptions {
  // Not strict: `tsx bench/run.ts` passes every extra argument to every benchmark.
  const { values } = parseArgs({ args: [...argv], strict: false, options: { devices: { type: 'string' }, window: { type: 'string' }, 'device-hosts': { type: 'string' }, pairs: { type: 'string' } } });
  return {
    devices: integerOption(values.devices, DEFAULT_OPTIONS.devices, 'devices'),
    window: integerOption(values.window, DEFAULT_OPTIONS.window, 'window'),
    deviceHosts: integerOption(values['device-hosts'], DEFAULT_OPTIONS.deviceHosts, 'device-hosts'),
    pairs: integerOption(values.pairs, DEFAULT_OPTIONS.pairs, 'pairs'),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const report = await runDeviceScale(options);
  console.log(`device-scale: ${report.machine}; ${report.date}; load ${report.loadAverage.join(' → ')}`);
  console.log(optionsLine(report, GATEWAY_BIND_HOSTS));
  console.log(deviceScaleTable(report));
  console.log(`targets: ${report.pass ? 'PASS' : 'FAIL'}`);
  console.log(JSON.stringify(report));
  if (!report.pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
