/**
 * Benchmark `sms-cost`: SMS sent and received per LwM2M operation over the SMS binding, against
 * the fewest SMS the CoAP messages of the operation need, and against a naive relay that
 * forwards every retransmission of the core as another SMS.
 *
 * A whole lab (src/lab/lab.ts: private Redis, simulated network, one simulated modem on a pty,
 * the gateway, the lab core with RFC 7252 timers, simulated devices). One device with binding S,
 * then one with SQ, each goes through, one at a time:
 *
 *   Register (8 object links) · Update · Read /3/0 · Trigger (Execute /1/0/8, the device then
 *   Updates) · Wake-up (the gateway's own trigger SMS from its wake-up queue, the device then
 *   Updates) · De-register
 *
 * Then two sleeping devices (queue mode, awake window 1 s, each operation after it fell asleep):
 * one with binding UQS (registered over UDP): its wake-up (trigger SMS, Update over UDP) and a
 * Read of the core while it sleeps (the gateway carries it by SMS); and one with binding UQ: a
 * Read of the core held by the gateway until the device's next Update, delivered over UDP.
 *
 * For each operation: SMS device → gateway (the device's `smsSent` delta) and gateway → device
 * (its `smsReceived` delta), cross-checked with the gateway modem's `sent` / `received` counters
 * and a tap on the network (bench/support/sms-tap.ts), which also puts each message's parts
 * together again and gives its CoAP size. The minimum of a message is ⌈bytes / 140⌉ SMS
 * (⌈bytes / 134⌉ when it has to be concatenated); the minimum of an operation sums it over its
 * essential messages (requests and responses with content, each once: an empty ACK or a second
 * copy of a message is waste). ratio = (SMS ↑ + SMS ↓) / (minimum ↑ + minimum ↓); target ≤ 1.
 *
 * Naive relay: one that does not acknowledge the core's CON and forwards each retransmission.
 * The core (ACK_TIMEOUT 2 s, ACK_RANDOM_FACTOR 1.5, MAX_RETRANSMIT 4) retransmits until the
 * answer arrives, at T·(2^k − 1) after the first transmission (T = ACK_TIMEOUT: 2, 6, 14, 30 s).
 * Our relay ACKs at once, so the core normally retransmits nothing; the naive figure therefore
 * takes the retransmissions the schedule puts before the measured answer time A (core request →
 * response at the core), or the retransmissions the core actually sent if more: each would have
 * cost the request's SMS again downwards, and the device's cached answer again upwards.
 *
 * Usage: `npm run bench:sms-cost [-- --write-docs]`, or directly `tsx bench/sms-cost.ts
 * [--cmgs-latency 3000] [--network-delay 50] [--links 8] [--quiet 3000]`. Prints a table, then
 * as its LAST line one JSON object ({@link SmsCostReport}). Exit code 1 when the target is missed.
 */
import { parseArgs } from 'node:util';
import { Lab } from '../src/lab/lab.ts';
import { objectLinkList, type SimDevice } from '../src/sim/device/index.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import { runResults, type ResultsEntry, type RunFacts } from './support/results-doc.ts';
import { tapSmsNetwork, type SmsTap } from './support/sms-tap.ts';
import { integerOption } from './support/options.ts';
import { runIfMain } from './support/entry.ts';
import { measure, timed, type Operation, type SmsCostOptions, type SmsCostRow } from './support/sms-cost-measure.ts';
import { HOLDING_SLEEPER_ENDPOINT, runSleeper, SLEEPER_AWAKE_WINDOW_MS, wakeUp } from './support/sms-cost-sleepers.ts';

export { minimumSms, scheduledRetransmissions, type CostMessage, type SmsCostOptions, type SmsCostRow } from './support/sms-cost-measure.ts';

/** What the benchmark prints as its last line. */
export interface SmsCostReport extends RunFacts {
  readonly bench: 'sms-cost';
  readonly options: SmsCostOptions;
  /** Largest ratio allowed. */
  readonly target: number;
  readonly results: readonly SmsCostRow[];
  /** Sums over all rows (SMS both ways). */
  readonly totals: { readonly sms: number; readonly minimum: number; readonly naive: number; readonly naiveUp: number; readonly naiveDown: number };
  /** Every ratio ≤ target, and device, modem and tap counts agree in every row. */
  readonly pass: boolean;
}

const DEFAULT_OPTIONS: SmsCostOptions = {
  cmgsLatencyMs: 3000, networkDelayMs: 50, objectLinks: 8, quietMs: 3000, ackTimeoutMs: 2000, ackRandomFactor: 1.5, maxRetransmit: 4,
};
const TARGET = 1.0;

/** Runs the five operations for one device; rows in order. */
async function runDevice(lab: Lab, tap: SmsTap, spec: { binding: 'S'; queueMode: boolean; msisdn: string; endpoint: string }, options: SmsCostOptions): Promise<SmsCostRow[]> {
  const label = spec.queueMode ? 'SQ' : 'S';
  const msisdn = spec.msisdn.replace(/^\+/, '');
  const rows: SmsCostRow[] = [];
  const operations: [string, Operation][] = [
    [`Register (${options.objectLinks} links)`, async (l) => {
      const device = await l.addDevice({
        msisdn: spec.msisdn, endpoint: spec.endpoint, binding: spec.binding, queueMode: spec.queueMode, modem: 0,
        objectLinks: objectLinkList(options.objectLinks), lifetimeSec: 86_400, updateIntervalMs: 3_600_000,
        deregisterOnStop: true, deregisterTimeoutMs: 60_000, registerRetryMs: 600_000,
      });
      await device.whenRegistered();
      return { device, outcome: { answerMs: null } };
    }],
    ['Update', async (_l, device) => {
      if (device === null || !(await device.update('manual'))) throw new Error('the Update failed');
      return { device, outcome: { answerMs: null } };
    }],
    ['Read /3/0', async (l, device) => {
      if (device === null) throw new Error('no device');
      return { device, outcome: { answerMs: await timed(() => l.core.read(spec.endpoint, '/3/0'), '2.05') } };
    }],
    ['Trigger (Execute /1/0/8 → Update)', async (l, device) => {
      if (device === null) throw new Error('no device');
      const updated = device.next('updated');
      const answerMs = await timed(() => l.core.execute(spec.endpoint, '/1/0/8'), '2.04');
      const [bearer, reason] = await updated;
      if (bearer !== 'sms' || reason !== 'trigger') throw new Error(`unexpected Update: ${bearer} ${reason}`);
      return { device, outcome: { answerMs } };
    }],
    ['Wake-up (trigger SMS → Update)', async (l, device) => {
      if (device === null) throw new Error('no device');
      return { device, outcome: { answerMs: await wakeUp(l, device, spec.endpoint, 'sms') } };
    }],
    ['De-register', async (_l, device) => {
      if (device === null) throw new Error('no device');
      let deregistered = false;
      device.once('deregistered', () => (deregistered = true));
      await device.stop(); // sends De-register and waits for its answer (deregisterTimeoutMs)
      if (!deregistered) throw new Error('the De-register was not answered');
      return { device, outcome: { answerMs: null } };
    }],
  ];
  let device: SimDevice | null = null;
  for (const [operation, run] of operations) {
    const measured = await measure(lab, tap, label, operation, device, msisdn, run, options);
    device = measured.device;
    rows.push(measured.row);
    const r = measured.row;
    process.stderr.write(`  ${label} ${operation}: ↑${r.smsUp} ↓${r.smsDown} (minimum ↑${r.minimumUp} ↓${r.minimumDown}) ratio ${r.ratio} naive ↓${r.naiveDown}\n`);
  }
  return rows;
}

/** Starts the lab, measures both devices, stops the lab. */
export async function runSmsCost(options: SmsCostOptions = DEFAULT_OPTIONS): Promise<SmsCostReport> {
  const machine = formatMachine(describeMachine());
  const date = new Date().toISOString();
  const loadWindow = loadAverageWindow();
  const lab = await Lab.start({
    modems: 1, cmgsLatencyMs: options.cmgsLatencyMs, networkDelayMs: options.networkDelayMs,
    gateway: {
      awakeWindowMs: SLEEPER_AWAKE_WINDOW_MS, wakeup: { attempts: 1, backoffMs: 60_000, maxBackoffMs: 60_000, ttlMs: 120_000 },
      // The lab's default group, and one UQS device whose requests are held while it sleeps.
      deviceGroups: [{ name: 'holding', endpoints: [HOLDING_SLEEPER_ENDPOINT], serverModem: 'modem-1', asleepRequests: 'hold' }, { name: 'lab-default', endpoints: ['*'], serverModem: 'modem-1' }],
    },
    core: { ackTimeoutMs: options.ackTimeoutMs, ackRandomFactor: options.ackRandomFactor, maxRetransmit: options.maxRetransmit, responseTimeoutMs: 60_000 },
  });
  const tap = tapSmsNetwork(lab.network);
  const results: SmsCostRow[] = [];
  try {
    results.push(...await runDevice(lab, tap, { binding: 'S', queueMode: false, msisdn: '+491709900001', endpoint: 'cost-s' }, options));
    results.push(...await runDevice(lab, tap, { binding: 'S', queueMode: true, msisdn: '+491709900002', endpoint: 'cost-sq' }, options));
    results.push(...await runSleeper(lab, tap, options));
  } finally {
    tap.stop();
    await lab.stop();
  }
  const totals = {
    sms: results.reduce((sum, r) => sum + r.smsUp + r.smsDown, 0),
    minimum: results.reduce((sum, r) => sum + r.minimumUp + r.minimumDown, 0),
    naive: results.reduce((sum, r) => sum + r.naiveUp + r.naiveDown, 0),
    naiveUp: results.reduce((sum, r) => sum + r.naiveUp, 0),
    naiveDown: results.reduce((sum, r) => sum + r.naiveDown, 0),
  };
  const pass = results.length > 0 && results.every((r) => r.ratio <= TARGET && r.checks.countsAgree);
  return {
    bench: 'sms-cost', date, machine, loadAverage: loadWindow(), options, target: TARGET, results, totals, pass,
  };
}

function messagesCell(row: SmsCostRow): string {
  return row.messages.map((m) => `${m.direction === 'up' ? '↑' : '↓'} ${m.coap} ${m.bytes} B${m.parts > 1 ? ` (${m.parts} SMS)` : ''}${m.minimum === 0 ? ' (waste)' : ''}`).join('; ');
}

/** The figures as a Markdown table (the console and docs/benchmarks.md use the same). */
export function smsCostTable(report: SmsCostReport): string {
  const header = '| binding | operation | CoAP messages carried by SMS | SMS ↑ | SMS ↓ | minimum ↑ | minimum ↓ | **ratio** | answer (s) | core retx sent / absorbed | naive ↑ | naive ↓ | counts agree |';
  const rule = '|:---|:---|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|';
  const rows = report.results.map((r) => {
    const mark = r.ratio > report.target ? ' ✗' : '';
    return `| ${r.binding} | ${r.operation} | ${messagesCell(r)} | ${r.smsUp} | ${r.smsDown} | ${r.minimumUp} | ${r.minimumDown} | ${r.ratio.toFixed(2)}${mark} `
      + `| ${r.answerMs === null ? '–' : (r.answerMs / 1000).toFixed(2)} | ${r.coreRequests === 0 ? '–' : `${r.coreRetransmissions} / ${r.absorbed}`} `
      + `| ${r.naiveUp} | ${r.naiveDown} | ${r.checks.countsAgree ? 'yes' : `**no** (modem ↑${r.checks.modemReceived} ↓${r.checks.modemSent}, tap ↑${r.checks.tapUp} ↓${r.checks.tapDown})`} |`;
  });
  const t = report.totals;
  const sum = (pick: (r: SmsCostRow) => number): number => report.results.reduce((total, r) => total + pick(r), 0);
  const total = `| | **total** | ${t.sms} SMS; a naive relay ${t.naive} | ${sum((r) => r.smsUp)} | ${sum((r) => r.smsDown)} | ${sum((r) => r.minimumUp)} `
    + `| ${sum((r) => r.minimumDown)} | ${(t.sms / t.minimum).toFixed(2)} | | | ${t.naiveUp} | ${t.naiveDown} | |`;
  return [header, rule, ...rows, total].join('\n');
}

function optionsLine(report: SmsCostReport): string {
  const o = report.options;
  return `AT+CMGS latency ${o.cmgsLatencyMs} ms, network delay ${o.networkDelayMs} ms; lab core ACK_TIMEOUT ${o.ackTimeoutMs} ms, `
    + `ACK_RANDOM_FACTOR ${o.ackRandomFactor}, MAX_RETRANSMIT ${o.maxRetransmit}; quiet wait ${o.quietMs} ms per operation`;
}

/** The report as docs/benchmarks.md shows it (see bench/support/results-doc.ts). */
export function smsCostResults(report: SmsCostReport): ResultsEntry {
  const outcome = report.pass ? '**pass**' : '**FAIL**';
  const worst = Math.max(...report.results.map((r) => r.ratio));
  const naive = report.results.filter((r) => r.coreRequests > 0).map((r) => `${r.binding} ${r.operation.split(' ')[0]} ${r.smsDown}→${r.naiveDown}`);
  return runResults(report, {
    summary: `${optionsLine(report)}. Target: ratio ≤ ${report.target.toFixed(2)} in every row: ${outcome}.`,
    body: smsCostTable(report),
    figures: `worst ratio ${worst.toFixed(2)}; total ${report.totals.sms} SMS (minimum ${report.totals.minimum}, naive relay ${report.totals.naive}); naive ↓ ${naive.join(', ')}`,
    outcome: `${report.pass ? 'pass' : 'FAIL'} (ratio ≤ ${report.target.toFixed(2)})`,
  });
}

function parseOptions(argv: readonly string[]): SmsCostOptions {
  // Not strict: `tsx bench/run.ts` passes every extra argument to every benchmark.
  const { values } = parseArgs({
    args: [...argv],
    strict: false,
    options: { 'cmgs-latency': { type: 'string' }, 'network-delay': { type: 'string' }, links: { type: 'string' }, quiet: { type: 'string' } },
  });
  return {
    ...DEFAULT_OPTIONS,
    cmgsLatencyMs: integerOption(values['cmgs-latency'], DEFAULT_OPTIONS.cmgsLatencyMs, 'cmgs-latency', 0),
    networkDelayMs: integerOption(values['network-delay'], DEFAULT_OPTIONS.networkDelayMs, 'network-delay', 0),
    objectLinks: integerOption(values.links, DEFAULT_OPTIONS.objectLinks, 'links'),
    quietMs: integerOption(values.quiet, DEFAULT_OPTIONS.quietMs, 'quiet', 0),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const report = await runSmsCost(options);
  console.log(`sms-cost: ${report.machine}; ${report.date}; load ${report.loadAverage.join(' → ')}`);
  console.log(optionsLine(report));
  console.log(smsCostTable(report));
  console.log(`target ratio ≤ ${report.target.toFixed(2)} in every row: ${report.pass ? 'PASS' : 'FAIL'}`);
  console.log(JSON.stringify(report));
  if (!report.pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
