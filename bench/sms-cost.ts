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
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Lab } from '../src/lab/lab.ts';
import { objectLinkList, type SimDevice } from '../src/sim/device/index.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import type { ResultsEntry } from './support/results-doc.ts';
import { tapSmsNetwork, type SmsTap, type TappedMessage } from './support/sms-tap.ts';
import { integerOption } from './support/options.ts';
import { runIfMain } from './support/entry.ts';
import { round } from './support/numbers.ts';

/** Parameters of one run. */
export interface SmsCostOptions {
  /** Latency of the gateway modem's `AT+CMGS` (the device's answer takes at least this long). */
  readonly cmgsLatencyMs: number;
  /** Delay of the simulated network from submission to delivery. */
  readonly networkDelayMs: number;
  /** Object links in the Register payload ({@link objectLinkList}). */
  readonly objectLinks: number;
  /** An operation is over when the network was quiet this long after its last event. */
  readonly quietMs: number;
  /** The lab core's RFC 7252 timers. */
  readonly ackTimeoutMs: number;
  readonly ackRandomFactor: number;
  readonly maxRetransmit: number;
}

/** One CoAP message of an operation, as the network tap saw it. */
export interface CostMessage {
  readonly direction: 'up' | 'down';
  /** e.g. `CON POST /rd`, `ACK 2.05`. */
  readonly coap: string;
  readonly bytes: number;
  readonly parts: number;
  /** ⌈bytes / 140⌉, or ⌈bytes / 134⌉ beyond 140; 0 for a message that is waste (empty, or a copy). */
  readonly minimum: number;
}

/** One operation of one device. */
export interface SmsCostRow {
  readonly binding: string;
  readonly operation: string;
  /** SMS device → gateway (device `smsSent` delta). */
  readonly smsUp: number;
  /** SMS gateway → device (device `smsReceived` delta). */
  readonly smsDown: number;
  readonly minimumUp: number;
  readonly minimumDown: number;
  /** (smsUp + smsDown) / (minimumUp + minimumDown). */
  readonly ratio: number;
  /** SMS a naive relay would have sent to the device (see the file comment). */
  readonly naiveDown: number;
  /** SMS the device would have sent answering those copies from its duplicate cache. */
  readonly naiveUp: number;
  /** Requests the core sent to the device in this operation. */
  readonly coreRequests: number;
  /** Retransmissions the core actually sent (lab core stats). */
  readonly coreRetransmissions: number;
  /** Core retransmissions the relay absorbed (relay counter `coreRetransmissionsAbsorbed`). */
  readonly absorbed: number;
  /** Retransmissions the core's schedule puts before the answer time (naive relay). */
  readonly scheduledRetransmissions: number;
  /** Core request → response at the core, ms; null for operations the device starts. */
  readonly answerMs: number | null;
  /** Wall time of the operation (without the quiet wait), s. */
  readonly seconds: number;
  readonly messages: readonly CostMessage[];
  /** Gateway modem counters and network tap, same operation. */
  readonly checks: {
    readonly modemSent: number;
    readonly modemReceived: number;
    readonly tapUp: number;
    readonly tapDown: number;
    /** Device, modem and tap agree in both directions. */
    readonly countsAgree: boolean;
  };
}

/** What the benchmark prints as its last line. */
export interface SmsCostReport {
  readonly bench: 'sms-cost';
  readonly date: string;
  readonly machine: string;
  readonly loadAverage: readonly [number, number];
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
/** Longest wait for one operation, quiet wait included. */
const OPERATION_TIMEOUT_MS = 120_000;
/** 8-bit SMS: 140 octets of user data; 134 when a concatenation header takes 6. */
const SINGLE_PART_OCTETS = 140;
const CONCATENATED_PART_OCTETS = 134;

/** Awake window of the UQS device (and the gateway's): short, so that it falls asleep between operations. */
const SLEEPER_AWAKE_WINDOW_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The fewest SMS that carry `bytes` octets as 8-bit data. */
export function minimumSms(bytes: number): number {
  if (bytes <= SINGLE_PART_OCTETS) return 1;
  return Math.ceil(bytes / CONCATENATED_PART_OCTETS);
}

/**
 * Retransmissions of a CON the core sends before `answerMs` when nobody ACKs it, on the nominal
 * RFC 7252 schedule: the k-th at T·(2^k − 1), T = ACK_TIMEOUT, at most MAX_RETRANSMIT.
 */
export function scheduledRetransmissions(answerMs: number, ackTimeoutMs: number, maxRetransmit: number): number {
  let count = 0;
  for (let k = 1; k <= maxRetransmit; k++) if (ackTimeoutMs * (2 ** k - 1) < answerMs) count = k;
  return count;
}

interface Snapshot {
  readonly smsSent: number;
  readonly smsReceived: number;
  readonly modemSent: number;
  readonly modemReceived: number;
  readonly absorbed: number;
  readonly coreRequests: number;
  readonly coreRetransmissions: number;
  readonly tapMessages: number;
}

/** Counters now; a device that does not exist yet (before its Register) counts zero. */
function snapshot(lab: Lab, device: SimDevice | null, tap: SmsTap): Snapshot {
  const counters = lab.gateway.pool.drivers.map((driver) => driver.status.counters);
  const core = lab.core.stats;
  return {
    smsSent: device?.stats.smsSent ?? 0,
    smsReceived: device?.stats.smsReceived ?? 0,
    modemSent: counters.reduce((sum, c) => sum + c.sent, 0),
    modemReceived: counters.reduce((sum, c) => sum + c.received, 0),
    absorbed: lab.gateway.relay.counters.coreRetransmissionsAbsorbed,
    coreRequests: core.requestsSent,
    coreRetransmissions: core.retransmissions,
    tapMessages: tap.messages.length,
  };
}

/** What an operation returns besides the SMS: the answer time of the core's request, if any. */
interface OperationOutcome {
  readonly answerMs: number | null;
}

type Operation = (lab: Lab, device: SimDevice | null) => Promise<{ device: SimDevice; outcome: OperationOutcome }>;

/** Messages of `device` the tap saw since index `from`, with their essential minimum. */
function messagesOf(tap: SmsTap, from: number, msisdn: string): { message: TappedMessage; cost: CostMessage }[] {
  const seen = new Set<string>();
  return tap.messages.slice(from).filter((m) => m.from === msisdn || m.to === msisdn).map((message) => {
    const direction = message.from === msisdn ? 'up' as const : 'down' as const;
    const key = message.identity === null ? null : `${direction}|${message.identity}`;
    const essential = !message.empty && key !== null && !seen.has(key);
    if (key !== null) seen.add(key);
    return {
      message,
      cost: { direction, coap: message.summary, bytes: message.bytes.length, parts: message.parts, minimum: essential ? minimumSms(message.bytes.length) : 0 },
    };
  });
}

/**
 * Waits until the network was quiet for `quietMs` and the device, the gateway modem and the tap
 * agree on the SMS of this operation (the modem counts a sent SMS only after `+CMGS`, a received
 * one after the inbox persisted it), or the deadline passes.
 */
async function settle(lab: Lab, device: SimDevice, tap: SmsTap, before: Snapshot, quietMs: number, deadline: number): Promise<void> {
  for (;;) {
    const now = Date.now();
    const quiet = now - tap.lastEventMs >= quietMs;
    const after = snapshot(lab, device, tap);
    const agree = after.modemSent - before.modemSent === after.smsReceived - before.smsReceived
      && after.modemReceived - before.modemReceived === after.smsSent - before.smsSent;
    if ((quiet && agree) || now > deadline) return;
    await sleep(100);
  }
}

async function measure(
  lab: Lab, tap: SmsTap, binding: string, operation: string, current: SimDevice | null, msisdn: string, run: Operation, options: SmsCostOptions,
): Promise<{ device: SimDevice; row: SmsCostRow }> {
  const deadline = Date.now() + OPERATION_TIMEOUT_MS;
  const tapFrom = tap.messages.length;
  const startedAt = performance.now();
  const before = snapshot(lab, current, tap);
  const { device, outcome } = await run(lab, current);
  const seconds = (performance.now() - startedAt) / 1000;
  await settle(lab, device, tap, before, options.quietMs, deadline);
  const after = snapshot(lab, device, tap);
  const messages = messagesOf(tap, tapFrom, msisdn);
  const costs = messages.map((m) => m.cost);
  const smsUp = after.smsSent - before.smsSent;
  const smsDown = after.smsReceived - before.smsReceived;
  const minimumUp = costs.filter((c) => c.direction === 'up').reduce((sum, c) => sum + c.minimum, 0);
  const minimumDown = costs.filter((c) => c.direction === 'down').reduce((sum, c) => sum + c.minimum, 0);
  const tapUp = costs.filter((c) => c.direction === 'up').reduce((sum, c) => sum + c.parts, 0);
  const tapDown = costs.filter((c) => c.direction === 'down').reduce((sum, c) => sum + c.parts, 0);
  const modemSent = after.modemSent - before.modemSent;
  const modemReceived = after.modemReceived - before.modemReceived;
  const coreRequests = after.coreRequests - before.coreRequests;
  const coreRetransmissions = after.coreRetransmissions - before.coreRetransmissions;
  const absorbed = after.absorbed - before.absorbed;
  // The naive relay: every core request costs its SMS again for each retransmission before the
  // answer, and the device answers each copy from its cache with another SMS.
  const scheduled = outcome.answerMs === null ? 0 : scheduledRetransmissions(outcome.answerMs, options.ackTimeoutMs, options.maxRetransmit);
  const retransmissions = coreRequests === 0 ? 0 : Math.max(scheduled, Math.ceil(coreRetransmissions / coreRequests));
  const requestParts = costs.filter((c) => c.direction === 'down' && /^(CON|NON) (GET|POST|PUT|DELETE)/.test(c.coap) && c.minimum > 0)
    .reduce((sum, c) => sum + c.parts, 0);
  const answerParts = messages.filter((m) => m.cost.direction === 'up' && m.message.summary.startsWith('ACK ') && !m.message.empty)
    .reduce((sum, m) => sum + m.message.parts, 0);
  const minimum = minimumUp + minimumDown;
  return {
    device,
    row: {
      binding, operation, smsUp, smsDown, minimumUp, minimumDown,
      ratio: minimum === 0 ? (smsUp + smsDown === 0 ? 1 : Number.POSITIVE_INFINITY) : round((smsUp + smsDown) / minimum, 4),
      naiveDown: smsDown + retransmissions * requestParts,
      naiveUp: smsUp + retransmissions * answerParts,
      coreRequests, coreRetransmissions, absorbed, scheduledRetransmissions: scheduled,
      answerMs: outcome.answerMs === null ? null : Math.round(outcome.answerMs),
      seconds: round(seconds, 2),
      messages: costs,
      checks: {
        modemSent, modemReceived, tapUp, tapDown,
        countsAgree: modemSent === smsDown && tapDown === smsDown && modemReceived === smsUp && tapUp === smsUp,
      },
    },
  };
}

/** Times a core request from the call to its response at the core. */
async function timed(request: () => Promise<{ code: string }>, expected: string): Promise<number> {
  const startedAt = performance.now();
  const response = await request();
  if (response.code !== expected) throw new Error(`expected ${expected}, the device answered ${response.code}`);
  return performance.now() - startedAt;
}

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

/**
 * Asks the gateway for a wake-up of `endpoint` (the admin API's call) and waits until the job
 * completed and the device's Update over `bearer` was answered; throws on any other outcome.
 * The answer time is the wake-up's own (request → device heard), not a core request's: null for
 * the naive figure (the core sends nothing here).
 */
async function wakeUp(lab: Lab, device: SimDevice, endpoint: string, bearer: 'sms' | 'udp'): Promise<null> {
  const updated = device.next('updated');
  const outcome = new Promise<unknown>((resolve) => {
    const off = lab.gateway.wakeups.on('outcome', (o) => {
      if (o.endpoint !== endpoint) return;
      off();
      resolve(o);
    });
  });
  await lab.gateway.wakeup(endpoint);
  const ended = await outcome as { result: string; triggers: number };
  if (ended.result !== 'woke' || ended.triggers !== 1) throw new Error(`wake-up of ${endpoint}: ${JSON.stringify(ended)}`);
  const [how, reason] = await updated;
  if (how !== bearer || reason !== 'trigger') throw new Error(`unexpected Update: ${how} ${reason}`);
  return null;
}

/**
 * A queue-mode device with binding UQS (registered over UDP, reachable by SMS): its wake-up
 * (trigger SMS, then its Update over UDP) and a Read of the core while it sleeps (carried as it
 * is then: by SMS, or held until it wakes), each after it fell asleep.
 */
async function runSleeper(lab: Lab, tap: SmsTap, options: SmsCostOptions): Promise<SmsCostRow[]> {
  const spec = { msisdn: '+491709900003', endpoint: 'cost-uqs' };
  const msisdn = spec.msisdn.replace(/^\+/, '');
  const device = await lab.addDevice({
    msisdn: spec.msisdn, endpoint: spec.endpoint, binding: 'UQS', queueMode: true, modem: 0, awakeWindowMs: SLEEPER_AWAKE_WINDOW_MS,
    objectLinks: objectLinkList(options.objectLinks), lifetimeSec: 86_400, updateIntervalMs: 3_600_000, registerRetryMs: 600_000,
  });
  await device.whenRegistered();
  const rows: SmsCostRow[] = [];
  const operations: [string, Operation][] = [
    ['Wake-up (trigger SMS → Update over UDP)', async (l) => ({ device, outcome: { answerMs: await wakeUp(l, device, spec.endpoint, 'udp') } })],
    ['Read /3/0 while asleep (carried by SMS)', async (l) => ({ device, outcome: { answerMs: await timed(() => l.core.read(spec.endpoint, '/3/0'), '2.05') } })],
  ];
  for (const [operation, run] of operations) {
    await asleep(lab, device, spec.endpoint);
    const measured = await measure(lab, tap, 'UQS', operation, device, msisdn, run, options);
    rows.push(measured.row);
    const r = measured.row;
    process.stderr.write(`  UQS ${operation}: ↑${r.smsUp} ↓${r.smsDown} (minimum ↑${r.minimumUp} ↓${r.minimumDown}) ratio ${r.ratio}\n`);
  }
  await device.stop();
  rows.push(await heldForUq(lab, tap, options));
  return rows;
}

/**
 * A request the gateway holds: a Read of the core for a sleeping UQ device (no SMS in its
 * Binding, registered over UDP) waits in the gateway until the device's next Update and is then
 * delivered over UDP. Its wake-up request sends no trigger (nothing in its Binding or
 * registration reaches it by SMS).
 */
async function heldForUq(lab: Lab, tap: SmsTap, options: SmsCostOptions): Promise<SmsCostRow> {
  const spec = { msisdn: '+491709900004', endpoint: 'cost-uq' };
  const device = await lab.addDevice({
    msisdn: spec.msisdn, endpoint: spec.endpoint, binding: 'U', queueMode: true, modem: 0, awakeWindowMs: SLEEPER_AWAKE_WINDOW_MS,
    objectLinks: objectLinkList(options.objectLinks), lifetimeSec: 86_400, updateIntervalMs: 3_600_000, registerRetryMs: 600_000,
  });
  await device.whenRegistered();
  await asleep(lab, device, spec.endpoint);
  const measured = await measure(lab, tap, 'UQ', 'Read /3/0 held until the next Update', device, spec.msisdn.replace(/^\+/, ''), async (l) => {
    const heldBefore = l.gateway.relay.counters.held;
    const answer = timed(() => l.core.read(spec.endpoint, '/3/0'), '2.05');
    const deadline = Date.now() + OPERATION_TIMEOUT_MS;
    while (l.gateway.relay.counters.held === heldBefore) {
      if (Date.now() > deadline) throw new Error('the Read was not held');
      await sleep(50);
    }
    if (!(await device.update('manual'))) throw new Error('the Update failed');
    return { device, outcome: { answerMs: await answer } };
  }, options);
  await device.stop();
  const r = measured.row;
  process.stderr.write(`  UQ ${r.operation}: ↑${r.smsUp} ↓${r.smsDown} (minimum ↑${r.minimumUp} ↓${r.minimumDown}) ratio ${r.ratio}\n`);
  return r;
}

/** Waits until `device` sleeps and the gateway's presence says so too. */
async function asleep(lab: Lab, device: SimDevice, endpoint: string): Promise<void> {
  const deadline = Date.now() + OPERATION_TIMEOUT_MS;
  while (device.awake || lab.gateway.mirror.presence.isAwakeOverUdp(endpoint, Date.now())) {
    if (Date.now() > deadline) throw new Error(`${endpoint} did not fall asleep`);
    await sleep(100);
  }
}

/** Starts the lab, measures both devices, stops the lab. */
export async function runSmsCost(options: SmsCostOptions = DEFAULT_OPTIONS): Promise<SmsCostReport> {
  const machine = formatMachine(describeMachine());
  const date = new Date().toISOString();
  const loadWindow = loadAverageWindow();
  const lab = await Lab.start({
    modems: 1, cmgsLatencyMs: options.cmgsLatencyMs, networkDelayMs: options.networkDelayMs,
    gateway: { awakeWindowMs: SLEEPER_AWAKE_WINDOW_MS, wakeup: { attempts: 1, backoffMs: 60_000, maxBackoffMs: 60_000, ttlMs: 120_000 } },
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
  const when = `${report.date.slice(0, 16).replace('T', ' ')} UTC`;
  const outcome = report.pass ? '**pass**' : '**FAIL**';
  const latest = [
    `### Latest run: ${when}`,
    '',
    `Machine: ${report.machine}; load average (1 min) ${report.loadAverage.join(' → ')}. ${optionsLine(report)}. `
      + `Target: ratio ≤ ${report.target.toFixed(2)} in every row: ${outcome}.`,
    '',
    smsCostTable(report),
  ].join('\n');
  const worst = Math.max(...report.results.map((r) => r.ratio));
  const naive = report.results.filter((r) => r.coreRequests > 0).map((r) => `${r.binding} ${r.operation.split(' ')[0]} ${r.smsDown}→${r.naiveDown}`);
  return {
    bench: report.bench, latest,
    history: [
      when, report.machine, report.loadAverage.join(' → '),
      `worst ratio ${worst.toFixed(2)}; total ${report.totals.sms} SMS (minimum ${report.totals.minimum}, naive relay ${report.totals.naive}); naive ↓ ${naive.join(', ')}`,
      `${report.pass ? 'pass' : 'FAIL'} (ratio ≤ ${report.target.toFixed(2)})`,
    ],
  };
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
