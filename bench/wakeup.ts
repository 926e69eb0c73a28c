/**
 * Benchmark `wakeup`: how fast a wake-up request becomes a trigger on the air, and what a
 * wake-up request costs against a bare BullMQ add.
 *
 * (a) latency: `WakeupService.request` (what `gateway.wakeup` calls) to the moment the driver
 *     writes `AT+CMGS=` to an idle simulated modem, through everything the gateway runs: the
 *     wake-up queue and its worker, the trigger built, the outbound SMS queue and its worker, the
 *     modem pool (the concatenation counter in Redis) and the driver. One wake-up at a time, each
 *     for a new device (one job per device), the modem and both queues idle before each (the
 *     previous wake-up's jobs recorded, then 20 ms). p50 and p99 over
 *     `--wakeups` (default 200); target p99 < 20 ms.
 * (b) throughput: `--devices` (default 10,000) wake-up requests for as many devices, `--window`
 *     (default 64) in flight, with the wake-up worker running (the devices are not registered,
 *     so each job ends at its first check and sends nothing); against, in the same run, the same
 *     number of bare `Queue.add` of jobs with the same window and a bare worker with an empty
 *     processor. Figure: requests/s, and the ratio bare / wake-up.
 *
 * The simulated modem runs in a child process (as real hardware is outside the gateway); Redis
 * is a private redis-server. Devices are given by a record lookup (the registration mirror's
 * role): the measured path starts at the request.
 *
 * Usage: `tsx bench/run.ts wakeup [--write-docs]`, or `tsx bench/wakeup.ts [--wakeups 200]
 * [--devices 10000] [--window 64]`. Prints a summary, then as its LAST line one JSON object
 * ({@link WakeupReport}).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DeviceGroups } from '../src/bridge/device-groups.ts';
import { PoolSmsSender } from '../src/bridge/pool-sms-sender.ts';
import { SenderPolicy } from '../src/bridge/sender-policy.ts';
import type { DeviceRecord } from '../src/lwm2m/device-record.ts';
import { OUTBOUND_SMS_DEFAULTS } from '../src/queue/outbound-sms-settings.ts';
import { OutboundSmsQueue } from '../src/queue/outbound-sms-queue.ts';
import { OutboundSmsWorker } from '../src/queue/outbound-sms-worker.ts';
import { bullConnection, bullPrefix } from '../src/queue/wakeup-jobs.ts';
import { WakeupService } from '../src/queue/wakeup-service.ts';
import { startPrivateRedis } from '../src/sim/private-redis.ts';
import { runIfMain } from './support/entry.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import { startModemRig } from './support/modem-rig.ts';
import { round } from './support/numbers.ts';
import { integerOption } from './support/options.ts';
import { runResults, type ResultsEntry, type RunFacts } from './support/results-doc.ts';

/** Pause between two wake-ups of (a), so that each starts on an idle gateway. */
const IDLE_GAP_MS = 20;

/** Target of (a): p99 from request to `AT+CMGS`, ms. */
const TARGET_P99_MS = 20;

/** The benchmark's JSON line. */
export interface WakeupReport extends RunFacts {
  readonly bench: 'wakeup';
  readonly latency: {
    readonly wakeups: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number; readonly targetP99Ms: number;
    /** The first part: request → the trigger handed to the outbound queue (the wake-up queue's hop), p50 and p99. */
    readonly toOutboundP50Ms: number; readonly toOutboundP99Ms: number;
    /** The second: the outbound queue's add → `AT+CMGS` (its hop, the pool, the driver), p50 and p99. */
    readonly outboundToCmgsP50Ms: number; readonly outboundToCmgsP99Ms: number;
  };
  readonly throughput: {
    readonly devices: number;
    readonly window: number;
    readonly wakeupPerSec: number;
    readonly bareAddPerSec: number;
    /** bare adds per second / wake-up requests per second (1 = no overhead). */
    readonly ratio: number;
  };
  readonly pass: boolean;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** A sleeping SMS device whose server modem is `modem` (what the mirror would hold). */
function sleeper(endpoint: string, index: number, modem: string): DeviceRecord {
  return {
    endpoint, msisdn: `49170${String(index).padStart(7, '0')}`, udpHost: null, udpPort: null, binding: 'SQ', queueMode: true, lifetimeSec: 86_400,
    lwm2mVersion: '1.0', objectLinks: '</1/0>', location: '/rd/1', registered: true, registeredAtMs: 0, lastActivityMs: 0, lastBearer: 'sms',
    lastUdpActivityMs: null, smsModem: modem, registeredOver: 'sms',
  };
}

/** Runs `count` tasks with at most `window` in flight; resolves with the elapsed ms. */
async function windowed(count: number, window: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(window, count) }, async () => {
    while (next < count) await task(next++);
  }));
  return performance.now() - started;
}

/** Per wake-up: request → `AT+CMGS`, and the time at which the trigger reached the outbound queue (ms after the request). */
interface LatencySample {
  readonly totalMs: number;
  readonly toOutboundMs: number;
}

async function measureLatency(redisUrl: string, wakeups: number): Promise<LatencySample[]> {
  const rig = await startModemRig({ modems: 1, cmgsLatencyMs: 0 });
  const driver = rig.drivers[0]!;
  const modem = driver.config.name;
  const commands = new Redis(redisUrl);
  const prefix = 'bench-latency:';
  const settings = OUTBOUND_SMS_DEFAULTS;
  const outbound = new OutboundSmsQueue({ redisUrl, redisPrefix: prefix, settings });
  const worker = new OutboundSmsWorker({ redisUrl, redisPrefix: prefix, settings, sender: new PoolSmsSender(rig.pool, commands, `${prefix}concat-ref:`), local: outbound });
  const devices = new Map<string, DeviceRecord>();
  const trigger = outbound.sender('trigger');
  let handedAt = 0;
  const service = new WakeupService({
    redisUrl, redisPrefix: prefix, redis: commands, config: {}, record: (endpoint) => devices.get(endpoint),
    groups: new DeviceGroups([], [modem]), senders: new SenderPolicy({ mode: 'open' }), presence: { isAwakeOverUdp: () => false }, sms: { send: (msisdn, payload, viaModem, ports, options) => {
      handedAt = performance.now();
      return trigger.sendMessage(msisdn, payload, viaModem, ports, options);
    } },
  });
  try {
    await Promise.all([outbound.ready(), worker.ready()]);
    const samples: LatencySample[] = [];
    let cmgs: (() => void) | null = null;
    driver.on('trace', (direction, line) => {
      if (direction === 'tx' && line.startsWith('AT+CMGS=')) cmgs?.();
    });
    for (let i = 0; i < wakeups + 5; i++) {
      const endpoint = `latency-${i}`;
      devices.set(endpoint, sleeper(endpoint, i, modem));
      const sent = worker.next('outcome'); // the modem is idle again after it
      const triggered = service.next('trigger'); // the wake-up job has recorded its trigger
      const atCmgs = new Promise<number>((resolve) => (cmgs = () => resolve(performance.now())));
      const started = performance.now();
      await service.request(endpoint, 'admin');
      const elapsed = (await atCmgs) - started;
      await Promise.all([sent, triggered]);
      await new Promise((resolve) => setTimeout(resolve, IDLE_GAP_MS)); // BullMQ's bookkeeping of both jobs ends before the next wake-up
      if (i >= 5) samples.push({ totalMs: elapsed, toOutboundMs: handedAt - started }); // the first five warm up connections and scripts
    }
    return samples;
  } finally {
    await service.close();
    await worker.close();
    await outbound.close();
    commands.disconnect();
    await rig.close();
  }
}

async function measureWakeupRequests(redisUrl: string, devices: number, window: number): Promise<number> {
  const commands = new Redis(redisUrl);
  const prefix = 'bench-requests:';
  const service = new WakeupService({
    redisUrl, redisPrefix: prefix, redis: commands, config: {}, record: () => undefined,
    groups: new DeviceGroups([], ['none']), senders: new SenderPolicy({ mode: 'open' }), presence: { isAwakeOverUdp: () => false },
    sms: { send: () => Promise.reject(new Error('no SMS in this phase')) },
  });
  try {
    await service.request('warm-up', 'admin');
    return await windowed(devices, window, (i) => service.request(`device-${i}`, 'admin'));
  } finally {
    await service.close();
    commands.disconnect();
  }
}

async function measureBareAdds(redisUrl: string, devices: number, window: number): Promise<number> {
  const producer = bullConnection(redisUrl);
  const consumer = bullConnection(redisUrl);
  const prefix = bullPrefix('bench-bare:');
  const queue = new Queue('bare', { connection: producer, prefix });
  const worker = new Worker('bare', async () => undefined, { connection: consumer, prefix, concurrency: 16 });
  try {
    await queue.add('warm-up', {});
    return await windowed(devices, window, (i) => queue.add('bare', { endpoint: `device-${i}`, requestedAtMs: Date.now() }));
  } finally {
    await worker.close();
    await queue.close();
    producer.disconnect();
    consumer.disconnect();
  }
}

/** The docs entry of a report. */
export function wakeupResults(report: WakeupReport): ResultsEntry {
  const { latency: l, throughput: t } = report;
  return runResults(report, {
    summary: `Target: p99 request → \`AT+CMGS\` < ${l.targetP99Ms} ms: **${report.pass ? 'pass' : 'FAIL'}**.`,
    body: [
      '| measure | figure |',
      '|---|---:|',
      `| wake-up request → \`AT+CMGS\`, p50 (${l.wakeups} wake-ups) | ${l.p50Ms} ms |`,
      `| wake-up request → \`AT+CMGS\`, p99 | ${l.p99Ms} ms |`,
      `| wake-up request → \`AT+CMGS\`, max | ${l.maxMs} ms |`,
      `| of which request → trigger handed to the outbound queue, p50 / p99 | ${l.toOutboundP50Ms} / ${l.toOutboundP99Ms} ms |`,
      `| of which outbound queue → \`AT+CMGS\`, p50 / p99 | ${l.outboundToCmgsP50Ms} / ${l.outboundToCmgsP99Ms} ms |`,
      `| ${t.devices} wake-up requests (${t.window} in flight) | ${t.wakeupPerSec} /s |`,
      `| ${t.devices} bare \`Queue.add\` (${t.window} in flight) | ${t.bareAddPerSec} /s |`,
      `| ratio bare / wake-up | ${t.ratio} |`,
    ].join('\n'),
    figures: `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms; ${t.wakeupPerSec} requests/s vs ${t.bareAddPerSec} adds/s (ratio ${t.ratio})`,
    outcome: `${report.pass ? 'pass' : 'FAIL'} (p99 < ${l.targetP99Ms} ms)`,
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: false, options: { wakeups: { type: 'string' }, devices: { type: 'string' }, window: { type: 'string' } } });
  const wakeups = integerOption(values['wakeups'], 200, 'wakeups');
  const devices = integerOption(values['devices'], 10_000, 'devices');
  const window = integerOption(values['window'], 64, 'window');
  const loadWindow = loadAverageWindow();
  const date = new Date().toISOString();
  const redis = await startPrivateRedis();
  try {
    const measured = await measureLatency(redis.url, wakeups);
    const sorted = (values: number[]): number[] => values.sort((a, b) => a - b);
    const samples = sorted(measured.map((m) => m.totalMs));
    const toOutbound = sorted(measured.map((m) => m.toOutboundMs));
    const outboundToCmgs = sorted(measured.map((m) => m.totalMs - m.toOutboundMs));
    const wakeupMs = await measureWakeupRequests(redis.url, devices, window);
    const bareMs = await measureBareAdds(redis.url, devices, window);
    const wakeupPerSec = round(devices / (wakeupMs / 1000), 0);
    const bareAddPerSec = round(devices / (bareMs / 1000), 0);
    const p99Ms = round(percentile(samples, 99), 2);
    const report: WakeupReport = {
      bench: 'wakeup', date, machine: formatMachine(describeMachine()), loadAverage: loadWindow(),
      latency: { wakeups: samples.length, p50Ms: round(percentile(samples, 50), 2), p99Ms, maxMs: round(samples[samples.length - 1] ?? 0, 2), targetP99Ms: TARGET_P99_MS,
        toOutboundP50Ms: round(percentile(toOutbound, 50), 2), toOutboundP99Ms: round(percentile(toOutbound, 99), 2),
        outboundToCmgsP50Ms: round(percentile(outboundToCmgs, 50), 2), outboundToCmgsP99Ms: round(percentile(outboundToCmgs, 99), 2),
      },
      throughput: { devices, window, wakeupPerSec, bareAddPerSec, ratio: round(bareAddPerSec / Math.max(1, wakeupPerSec), 2) },
      pass: p99Ms < TARGET_P99_MS,
    };
    console.log(`wakeup: ${report.machine}; ${report.date}; load ${report.loadAverage.join(' → ')}`);
    console.log(`  request → AT+CMGS: p50 ${report.latency.p50Ms} ms, p99 ${p99Ms} ms, max ${report.latency.maxMs} ms (${samples.length} wake-ups)`);
    console.log(`    of which request → outbound queue: p50 ${report.latency.toOutboundP50Ms} ms, p99 ${report.latency.toOutboundP99Ms} ms; outbound queue → AT+CMGS: p50 ${report.latency.outboundToCmgsP50Ms} ms, p99 ${report.latency.outboundToCmgsP99Ms} ms`);
    console.log(`  ${devices} requests: ${wakeupPerSec}/s; bare Queue.add: ${bareAddPerSec}/s; ratio ${report.throughput.ratio}`);
    console.log(JSON.stringify(report));
    if (!report.pass) process.exitCode = 1;
  } finally {
    await redis.stop();
  }
}

runIfMain(import.meta.url, main);
