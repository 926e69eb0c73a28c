/**
 * Benchmark `relay-throughput`: UDP-to-UDP messages per second through the gateway's relay,
 * against a bare Node `dgram` forwarder measured in the same run on the same load.
 *
 *   load process (bench/support/udp-load.ts):   N devices ──► system under test ──► counting core
 *   this process: the gateway (Gateway.start, no modems, private Redis) or the bare forwarder
 *                 (bench/support/udp-forwarder.ts: one upstream socket per device in a Map)
 *
 * Each device registers through the system under test (the core answers 2.01), then sends
 * NON 2.05 notifications (Observe, SenML JSON, 55 bytes), at most `--window` in flight per
 * device: the core counts each one and that lets its device send the next (closed loop, so
 * neither side is offered more than it takes and nothing is lost for buffer space; a device
 * that hears nothing for `--stall` ms writes its in-flight messages off as lost). The load runs
 * in a process of its own so that its work does not queue on the event loop measured here.
 *
 * After a warm-up, `--repeat` bursts of `--per-device` messages per device alternate between
 * the gateway and the forwarder (which one goes first alternates too). The rate of a burst is
 * messages counted at the core ÷ (last count − first send); the figure is the gateway's best
 * burst ÷ the forwarder's best burst (noise only ever slows a burst down), target ≥ 0.8. CPU
 * time of this process per message and its event-loop utilisation show where the cost is.
 *
 * With `--observed` the gateway runs its admin API too, and a helper process
 * (bench/support/admin-observer.ts) keeps the status page's event stream open and scrapes
 * `/metrics` every second through all bursts: what watching the gateway costs (issue 11: still
 * ≥ 0.8 of the bare forwarder).
 *
 * Usage: `npm run bench:relay-throughput [-- --write-docs]`, or directly
 * `tsx bench/relay-throughput.ts [--devices 20] [--per-device 2500] [--window 4] [--warmup 200]
 * [--repeat 5] [--stall 300] [--target 0.8] [--observed]`. Prints a table, then as its LAST line one JSON
 * object ({@link ThroughputReport}). Exit code 1 when the target is missed or the gateway lost
 * a message.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AdminServer } from '../src/admin/admin-server.ts';
import { Gateway } from '../src/gateway/gateway.ts';
import { silentLogger } from '../src/log/index.ts';
import { startPrivateRedis } from '../src/sim/private-redis.ts';
import { startJsonChild, type JsonChild } from './support/json-child.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import { runResults, type ResultsEntry, type RunFacts } from './support/results-doc.ts';
import { startUdpForwarder } from './support/udp-forwarder.ts';
import type { BurstResult } from './support/udp-load.ts';
import { integerOption } from './support/options.ts';
import { runIfMain } from './support/entry.ts';
import { median, round } from './support/numbers.ts';

/** Parameters of one run. */
export interface ThroughputOptions {
  readonly devices: number;
  /** Messages per device in one measured burst. */
  readonly perDevice: number;
  /** Messages in flight per device at most. */
  readonly window: number;
  /** Messages per device in the warm-up burst of each system (not measured). */
  readonly warmupPerDevice: number;
  /** Measured bursts per system. */
  readonly repeat: number;
  /** A device that hears nothing for this long writes its in-flight messages off. */
  readonly stallMs: number;
  readonly target: number;
  /** Admin API on, status page stream open and /metrics scraped every second during the run. */
  readonly observed: boolean;
}

/** One measured burst of one system. */
export interface ThroughputBurst extends BurstResult {
  /** CPU time (user + system) of this process per message counted, µs. */
  readonly cpuUsPerMessage: number;
  /** Share of the burst this process's event loop was busy (0..1). */
  readonly eventLoopUtilization: number;
}

/** The bursts of one system. */
export interface SystemResult {
  readonly best: ThroughputBurst;
  readonly medianRate: number;
  readonly bursts: readonly ThroughputBurst[];
  /** Messages lost in all measured bursts. */
  readonly lost: number;
}

/** What the benchmark prints as its last line. */
export interface ThroughputReport extends RunFacts {
  readonly bench: 'relay-throughput';
  readonly options: ThroughputOptions;
  readonly target: number;
  readonly gateway: SystemResult;
  readonly bare: SystemResult;
  /** gateway best rate ÷ bare best rate. */
  readonly figure: number;
  /** median of the per-repeat ratios (gateway ÷ bare of the same repeat). */
  readonly medianFigure: number;
  /** The gateway relay's counters at the end (uplinkUdp, toCore, malformed, unknownDevice…). */
  readonly relayCounters: Readonly<Record<string, number>>;
  /** With `observed`: what the observer saw (scrapes every second, status events). */
  readonly observer: Readonly<Record<string, number>> | null;
  /** figure ≥ target and the gateway lost nothing. */
  readonly pass: boolean;
}

const DEFAULT_OPTIONS: ThroughputOptions = { devices: 20, perDevice: 2500, window: 4, warmupPerDevice: 200, repeat: 5, stallMs: 300, target: 0.8, observed: false };
const LOAD_SCRIPT = fileURLToPath(new URL('./support/udp-load.ts', import.meta.url));
const OBSERVER_SCRIPT = fileURLToPath(new URL('./support/admin-observer.ts', import.meta.url));
const OBSERVER_TOKEN = 'bench-observer-token-0123456789';
/** Pause between bursts, so one burst's tail does not start the next. */
const PAUSE_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
async function timedBurst(load: JsonChild, set: string, options: ThroughputOptions, perDevice: number): Promise<ThroughputBurst> {
  const cpuBefore = process.cpuUsage();
  const loopBefore = performance.eventLoopUtilization();
  const result = (await load.ask({ op: 'burst', set, perDevice, window: options.window, stallMs: options.stallMs })) as unknown as BurstResult;
  const loop = performance.eventLoopUtilization(loopBefore);
  const cpu = process.cpuUsage(cpuBefore);
  return {
    ...result, seconds: round(result.seconds, 3), rate: round(result.rate, 1),
    cpuUsPerMessage: round((cpu.user + cpu.system) / Math.max(1, result.received), 2), eventLoopUtilization: round(loop.utilization, 3),
  };
}

function summarise(bursts: readonly ThroughputBurst[]): SystemResult {
  const best = [...bursts].sort((a, b) => b.rate - a.rate)[0];
  if (best === undefined) throw new RangeError('"repeat" must be at least 1');
  return { best, medianRate: round(median(bursts.map((b) => b.rate)), 1), bursts, lost: bursts.reduce((sum, b) => sum + b.lost, 0) };
}

/** Starts Redis, the load process, the gateway and the forwarder; measures; stops everything. */
export async function runRelayThroughput(options: ThroughputOptions = DEFAULT_OPTIONS): Promise<ThroughputReport> {
  const machine = formatMachine(describeMachine());
  const date = new Date().toISOString();
  const loadWindow = loadAverageWindow();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const load = await startJsonChild(LOAD_SCRIPT);
    cleanups.push(() => load.stop());
    const core = load.hello.core as { host: string; port: number };
    const gateway = await Gateway.start({
      redisUrl: redis.url, redisPrefix: 'smsbridge:', core, udpListen: { host: '127.0.0.1', port: 0 },
      coreSockets: { bindHost: '127.0.0.1', portRange: [40_000, 49_999] },
      modems: [], routes: [], senderPolicy: { mode: 'open' }, awakeWindowMs: 93_000, reassemblyTimeoutSec: 600,
      maintenanceIntervalMs: 1000, profilesDir: null,
      floodLimits: { udpDatagramsPerSecPerSource: 0 }, // every load device sends from one loopback host
    });
    cleanups.push(() => gateway.stop());
    const forwarder = await startUdpForwarder(core);
    cleanups.push(() => forwarder.close());
    let observer: JsonChild | null = null;
    if (options.observed) {
      const admin = await AdminServer.start(gateway, {
        host: '127.0.0.1', port: 0, bodyLimitBytes: 16_384, tokens: { readWrite: OBSERVER_TOKEN, readOnly: null }, version: 'bench', logger: silentLogger(),
      });
      cleanups.push(() => admin.stop());
      observer = await startJsonChild(OBSERVER_SCRIPT, [admin.url, OBSERVER_TOKEN]);
      const watching = observer;
      cleanups.push(() => watching.stop());
    }

    await load.ask({ op: 'setup', set: 'gateway', target: gateway.udpAddress, devices: options.devices });
    await load.ask({ op: 'setup', set: 'bare', target: forwarder.address, devices: options.devices });
    if (options.warmupPerDevice > 0) for (const set of ['gateway', 'bare']) await timedBurst(load, set, options, options.warmupPerDevice);

    const gatewayBursts: ThroughputBurst[] = [];
    const bareBursts: ThroughputBurst[] = [];
    for (let run = 0; run < options.repeat; run++) {
      const order = run % 2 === 0 ? ['gateway', 'bare'] : ['bare', 'gateway'];
      for (const set of order) {
        await sleep(PAUSE_MS);
        const burst = await timedBurst(load, set, options, options.perDevice);
        (set === 'gateway' ? gatewayBursts : bareBursts).push(burst);
        process.stderr.write(`  ${set} burst ${run + 1}: ${burst.rate.toFixed(0)} msg/s, lost ${burst.lost}, ${burst.cpuUsPerMessage} µs CPU/msg\n`);
      }
    }
    const gatewayResult = summarise(gatewayBursts);
    const bareResult = summarise(bareBursts);
    const figure = gatewayResult.best.rate / bareResult.best.rate;
    const medianFigure = median(gatewayBursts.map((g, i) => g.rate / (bareBursts[i]?.rate ?? Number.POSITIVE_INFINITY)));
    const relayCounters = { ...gateway.relay.counters } as unknown as Record<string, number>;
    const observed = observer === null ? null : (await observer.ask({ op: 'stats' })) as Record<string, number>;
    return {
      bench: 'relay-throughput', date, machine, loadAverage: loadWindow(), options, target: options.target,
      gateway: gatewayResult, bare: bareResult, figure: round(figure, 4), medianFigure: round(medianFigure, 4), relayCounters, observer: observed,
      pass: figure >= options.target && gatewayResult.lost === 0 && (observed === null || (observed['scrapes'] ?? 0) > 0),
    };
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }
}

/** The figures as a Markdown table (the console and docs/benchmarks.md use the same). */
export function throughputTable(report: ThroughputReport): string {
  const header = '| system | best msg/s | median msg/s | messages/burst | seconds (best) | lost (all bursts) | CPU/msg (µs) | loop busy |';
  const rule = '|:---|---:|---:|---:|---:|---:|---:|---:|';
  const row = (name: string, r: SystemResult): string => `| ${name} | ${r.best.rate.toFixed(0)} | ${r.medianRate.toFixed(0)} | ${r.best.sent} `
    + `| ${r.best.seconds.toFixed(3)} | ${r.lost} | ${r.best.cpuUsPerMessage.toFixed(1)} | ${(r.best.eventLoopUtilization * 100).toFixed(1)} % |`;
  const mark = report.figure < report.target ? ' ✗' : '';
  return [
    header, rule, row('gateway (relay)', report.gateway), row('bare dgram forwarder', report.bare),
    `| **figure** gateway ÷ bare | **${report.figure.toFixed(3)}**${mark} | ${report.medianFigure.toFixed(3)} | | | | | |`,
  ].join('\n');
}

function optionsLine(report: ThroughputReport): string {
  const o = report.options;
  const observed = report.observer === null ? '' : `; observed: status page event stream open and /metrics scraped every second (${report.observer['scrapes'] ?? 0} scrapes, ${report.observer['scrapeFailures'] ?? 0} failed, ${report.observer['events'] ?? 0} status events)`;
  return `${o.devices} devices, ${o.perDevice} NON notifications each per burst, at most ${o.window} in flight per device; `
    + `warm-up ${o.warmupPerDevice} per device; best of ${o.repeat} bursts per system, alternating${observed}`;
}

/** The report as docs/benchmarks.md shows it (see bench/support/results-doc.ts). */
export function throughputResults(report: ThroughputReport): ResultsEntry {
  const outcome = report.pass ? '**pass**' : '**FAIL**';
  return runResults(report, {
    summary: `${optionsLine(report)}. Target ≥ ${report.target} and no message lost by the gateway: ${outcome}.`,
    body: throughputTable(report),
    figures: `${report.figure.toFixed(3)} (median ${report.medianFigure.toFixed(3)}): gateway ${report.gateway.best.rate.toFixed(0)} msg/s, `
      + `bare ${report.bare.best.rate.toFixed(0)} msg/s; CPU ${report.gateway.best.cpuUsPerMessage.toFixed(1)} vs ${report.bare.best.cpuUsPerMessage.toFixed(1)} µs/msg; lost ${report.gateway.lost}`,
    outcome: `${report.pass ? 'pass' : 'FAIL'} (≥ ${report.target})`,
  });
}

function parseOptions(argv: readonly string[]): ThroughputOptions {
  // Not strict: `tsx bench/run.ts` passes every extra argument to every benchmark.
  const { values } = parseArgs({
    args: [...argv],
    strict: false,
    options: {
      devices: { type: 'string' }, 'per-device': { type: 'string' }, window: { type: 'string' }, warmup: { type: 'string' },
      repeat: { type: 'string' }, stall: { type: 'string' }, target: { type: 'string' }, observed: { type: 'boolean' },
    },
  });
  const target = values.target === undefined ? DEFAULT_OPTIONS.target : Number(values.target);
  if (!(target > 0)) throw new RangeError(`"--target" must be a positive number: ${String(values.target)}`);
  return {
    devices: integerOption(values.devices, DEFAULT_OPTIONS.devices, 'devices'),
    perDevice: integerOption(values['per-device'], DEFAULT_OPTIONS.perDevice, 'per-device'),
    window: integerOption(values.window, DEFAULT_OPTIONS.window, 'window'),
    warmupPerDevice: integerOption(values.warmup, DEFAULT_OPTIONS.warmupPerDevice, 'warmup', 0),
    repeat: integerOption(values.repeat, DEFAULT_OPTIONS.repeat, 'repeat'),
    stallMs: integerOption(values.stall, DEFAULT_OPTIONS.stallMs, 'stall'),
    target,
    observed: values.observed === true,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const report = await runRelayThroughput(options);
  console.log(`relay-throughput: ${report.machine}; ${report.date}; load ${report.loadAverage.join(' → ')}`);
  console.log(optionsLine(report));
  console.log(throughputTable(report));
  console.log(`target ≥ ${report.target}: ${report.pass ? 'PASS' : 'FAIL'}`);
  console.log(JSON.stringify(report));
  if (!report.pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
