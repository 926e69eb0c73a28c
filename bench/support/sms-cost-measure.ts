/**
 * Measuring one operation of bench/sms-cost: counters of the device, the gateway modem, the lab
 * core and the network tap before and after, the CoAP messages the tap saw with their essential
 * minimum, and what a naive relay would have sent (see bench/sms-cost.ts for the method).
 */
import { performance } from 'node:perf_hooks';
import type { Lab } from '../../src/lab/lab.ts';
import type { SimDevice } from '../../src/sim/device/index.ts';
import type { SmsTap, TappedMessage } from './sms-tap.ts';
import { round } from './numbers.ts';

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

/** Longest wait for one operation, quiet wait included. */
export const OPERATION_TIMEOUT_MS = 120_000;
/** 8-bit SMS: 140 octets of user data; 134 when a concatenation header takes 6. */
const SINGLE_PART_OCTETS = 140;
const CONCATENATED_PART_OCTETS = 134;

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
export interface OperationOutcome {
  readonly answerMs: number | null;
}

/** One operation: runs it on the lab (and the device, null before its Register). */
export type Operation = (lab: Lab, device: SimDevice | null) => Promise<{ device: SimDevice; outcome: OperationOutcome }>;

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

/** Runs `run` and measures its SMS: one row of the table. */
export async function measure(
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
export async function timed(request: () => Promise<{ code: string }>, expected: string): Promise<number> {
  const startedAt = performance.now();
  const response = await request();
  if (response.code !== expected) throw new Error(`expected ${expected}, the device answered ${response.code}`);
  return performance.now() - startedAt;
}
