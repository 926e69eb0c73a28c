/**
 * The producer side of the outbound SMS queue: every SMS the gateway sends is one BullMQ job
 * (one message, all its parts), with the priority of its kind (relay, then triggers, then bulk)
 * and a time-to-live of its kind. The caller still awaits the outcome: the worker of the same
 * process settles the caller's promise directly (no round trip through Redis); a job worked by
 * another process's worker settles it through QueueEvents (`completed` / `failed`). A job still
 * waiting when its time-to-live ends is removed and the caller gets GW_ERR_SMS_EXPIRED.
 */
import { randomUUID } from 'node:crypto';
import { QueueEvents, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { GatewayError } from '../shared/errors.ts';
import { bytesToHex } from '../shared/hex.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { errorOfReason, OUTBOUND_SMS_PRIORITY, OUTBOUND_SMS_QUEUE_NAME, outboundSmsQueue, type OutboundSmsJobData, type OutboundSmsOptions, type OutboundSmsPorts, type OutboundSmsResult } from './outbound-sms-jobs.ts';
import { ttlMsOf, type OutboundSmsKind, type OutboundSmsSettings } from './outbound-sms-settings.ts';
import { bullConnection, bullPrefix } from './wakeup-jobs.ts';

/** What a caller hands over: 8-bit data or text (the same as PoolSmsSender.sendMessage's). */
export type OutboundSmsContent = { readonly data: Uint8Array } | { readonly text: string };

/**
 * A sender bound to one kind, with the two shapes the callers know: `send` (the relay's
 * DeviceSmsSender, the wake-up's TriggerSmsSender) and `sendMessage` (PoolSmsSender's result).
 */
export interface KindSmsSender {
  /** Sends `payload` to `msisdn` (digits); resolves when it left, rejects with the typed error. */
  send(msisdn: string, payload: Uint8Array, viaModem?: string | null, ports?: OutboundSmsPorts | null): Promise<void>;
  /** As `send`, for data or text, resolving with the message's id, modem and parts (the id status reports are matched to). */
  sendMessage(msisdn: string, payload: OutboundSmsContent, viaModem?: string | null, ports?: OutboundSmsPorts | null, options?: OutboundSmsOptions): Promise<OutboundSmsResult>;
}

/** Events of {@link OutboundSmsQueue}. Not named `error` (an `error` without listener throws). */
export type OutboundSmsQueueEvents = {
  problem: [{ readonly detail: string }];
};

/** What {@link OutboundSmsQueue} needs. */
export interface OutboundSmsQueueDeps {
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly settings: OutboundSmsSettings;
  readonly now?: () => number;
}

/** Job counts per BullMQ state (for the admin API). */
export type OutboundSmsCounts = Readonly<Record<'waiting' | 'prioritized' | 'active' | 'delayed' | 'completed' | 'failed', number>>;

interface Waiter {
  readonly resolve: (result: OutboundSmsResult) => void;
  readonly reject: (error: GatewayError) => void;
  timer: NodeJS.Timeout | null;
  /** The modem the message must leave from, or null for any. */
  readonly viaModem: string | null;
  /** No longer counted as waiting: this process's worker has started on it (or it ended). */
  sending: boolean;
}

/** See the file comment. `close()` rejects the callers still waiting and ends its connections. */
export class OutboundSmsQueue extends TypedEmitter<OutboundSmsQueueEvents> {
  /** The BullMQ queue (for tests and benchmarks; add through {@link enqueue}). */
  readonly queue: Queue<OutboundSmsJobData, OutboundSmsResult>;
  private readonly connection: Redis;
  private readonly eventsConnection: Redis;
  private readonly events: QueueEvents;
  private readonly waiters = new Map<string, Waiter>();
  /** Waiters not yet being sent, for any modem; and per named modem (see {@link waitingFor}). */
  private waitingForAny = 0;
  private readonly waitingForModem = new Map<string, number>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly deps: OutboundSmsQueueDeps) {
    super();
    this.now = deps.now ?? Date.now;
    this.connection = bullConnection(deps.redisUrl);
    this.eventsConnection = bullConnection(deps.redisUrl);
    for (const connection of [this.connection, this.eventsConnection]) connection.on('error', () => undefined); // reported by BullMQ's error events
    this.queue = outboundSmsQueue(this.connection, deps.redisPrefix);
    this.queue.on('error', (error) => this.reportProblem(error));
    this.events = new QueueEvents(OUTBOUND_SMS_QUEUE_NAME, { connection: this.eventsConnection, prefix: bullPrefix(deps.redisPrefix) });
    this.events.on('error', (error) => this.reportProblem(error));
    this.events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, { result: returnvalue as unknown as OutboundSmsResult }));
    this.events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, { error: errorOfReason(failedReason) }));
  }

  /** Resolves when the queue and its event listener are connected (outcomes from other processes are heard from then on). */
  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
  }

  /** A sender for `kind`: what the relay, the wake-up service and the admin API's send are given. */
  sender(kind: OutboundSmsKind): KindSmsSender {
    return {
      send: async (msisdn, payload, viaModem = null, ports = null) => void (await this.sendMessage(kind, msisdn, { data: payload }, viaModem, ports)),
      sendMessage: (msisdn, payload, viaModem = null, ports = null, options = {}) => this.sendMessage(kind, msisdn, payload, viaModem, ports, options),
    };
  }

  /**
   * Queues one message and awaits its outcome: resolves with its id, modem and parts; rejects
   * with the send's typed error (GW_ERR_MODEM_SEND_UNKNOWN: it may have left and is not resent;
   * GW_ERR_SMS_EXPIRED: it was never sent; GW_ERR_POOL_NO_MODEM also when the queue closes first
   * and took the job off the queue unsent), or when Redis does.
   */
  async sendMessage(kind: OutboundSmsKind, msisdn: string, payload: OutboundSmsContent, viaModem: string | null = null, ports: OutboundSmsPorts | null = null, options: OutboundSmsOptions = {}): Promise<OutboundSmsResult> {
    if (this.closed) throw new GatewayError('GW_ERR_POOL_NO_MODEM', 'the gateway is stopping and queues no new SMS');
    const jobId = randomUUID();
    // Counted as waiting before the add: this process's worker may take the job before the add's answer arrives.
    const outcome = new Promise<OutboundSmsResult>((resolve, reject) => this.waiters.set(jobId, { resolve, reject, timer: null, viaModem, sending: false }));
    this.countWaiting(viaModem, 1);
    try {
      const data = await this.enqueue(kind, msisdn, payload, viaModem, ports, jobId, options);
      this.watchExpiry(jobId, data);
    } catch (error) {
      this.stopCounting(jobId);
      this.waiters.delete(jobId);
      throw error;
    }
    return outcome;
  }

  /**
   * How many messages of this process's callers still wait in the queue (not yet being sent) and
   * may go out on modem `modem`: those for any modem and those for that one. Kept in memory (no
   * Redis round trip), so it is what the worker asks for every message it hands to the pool, to
   * keep the relay link up for the ones behind it (`AT+CMMS=1`, TS 27.005 §3.5.6). Jobs queued by
   * another process are not counted, and a job another process's worker is sending still is
   * until its outcome arrives: only the link may be kept a little longer or set up once more.
   */
  waitingFor(modem: string): number {
    return this.waitingForAny + (this.waitingForModem.get(modem) ?? 0);
  }

  /** This process's worker started on job `jobId`: it no longer counts as waiting. Idempotent; never throws. */
  noteSending(jobId: string): void {
    this.stopCounting(jobId);
  }

  /**
   * Adds the job of one message without waiting for its outcome; resolves with what was stored.
   * `jobId` defaults to a fresh UUID. Rejects when Redis does.
   */
  async enqueue(
    kind: OutboundSmsKind, msisdn: string, payload: OutboundSmsContent, viaModem: string | null = null, ports: OutboundSmsPorts | null = null,
    jobId: string = randomUUID(), options: OutboundSmsOptions = {},
  ): Promise<OutboundSmsJobData & { readonly jobId: string }> {
    const nowMs = this.now();
    const data: OutboundSmsJobData = {
      kind, msisdn: msisdn.replace(/^\+/, ''), viaModem, ports, ...(options.statusReportRequest === true ? { statusReportRequest: true } : {}), enqueuedAtMs: nowMs, expiresAtMs: nowMs + ttlMsOf(this.deps.settings, kind),
      payload: 'data' in payload ? { dataHex: bytesToHex(payload.data) } : { text: payload.text },
    };
    await this.queue.add(kind, data, {
      jobId, priority: OUTBOUND_SMS_PRIORITY[kind],
      // One resend at most, and only for an unknown outcome when the policy allows it (the worker decides).
      attempts: this.deps.settings.resendUnknown ? 2 : 1,
      removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 86_400, count: 10_000 },
    });
    return { ...data, jobId };
  }

  /**
   * The outcome of job `jobId`, for the worker of this process (and QueueEvents): settles the
   * caller waiting for it, if any. Never throws.
   */
  settle(jobId: string, outcome: { readonly result: OutboundSmsResult } | { readonly error: GatewayError }): void {
    const waiter = this.waiters.get(jobId);
    if (waiter === undefined) return;
    this.stopCounting(jobId);
    this.waiters.delete(jobId);
    if (waiter.timer !== null) clearTimeout(waiter.timer);
    if ('result' in outcome) waiter.resolve(outcome.result);
    else waiter.reject(outcome.error);
  }

  /** Jobs per state now. Rejects when Redis does. */
  async counts(): Promise<OutboundSmsCounts> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    return { waiting: counts['waiting'] ?? 0, prioritized: counts['prioritized'] ?? 0, active: counts['active'] ?? 0, delayed: counts['delayed'] ?? 0, completed: counts['completed'] ?? 0, failed: counts['failed'] ?? 0 };
  }

  /** Callers waiting for an outcome now. */
  get pending(): number {
    return this.waiters.size;
  }

  /**
   * Stops taking messages. A caller still waiting is told the truth, since it acts on the answer
   * (the relay answers the core 5.03): its job is taken off the queue and it gets
   * GW_ERR_POOL_NO_MODEM (never sent, never sent later); when the job cannot be taken off within
   * `removeTimeoutMs` (another process is sending it, Redis does not answer) it gets
   * GW_ERR_MODEM_SEND_UNKNOWN. Close the worker first, so the messages it is sending get their
   * outcome. Jobs without a waiting caller (their process died) stay for the next start. Never rejects.
   */
  async close(removeTimeoutMs = 1000): Promise<void> {
    this.closed = true;
    await Promise.all([...this.waiters.keys()].map(async (jobId) => {
      const removed = await withinMs(this.queue.remove(jobId).then((count) => count === 1, () => false), removeTimeoutMs, false);
      this.settle(jobId, { error: removed ? stoppedError() : new GatewayError('GW_ERR_MODEM_SEND_UNKNOWN', 'the gateway stopped while this SMS was queued or being sent elsewhere: it may still leave', { jobId }) });
    }));
    await Promise.allSettled([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    await this.events.close().catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    this.connection.disconnect();
    this.eventsConnection.disconnect();
  }

  /**
   * When the time-to-live ends: a job still queued is removed (it will never be sent) and its
   * caller gets GW_ERR_SMS_EXPIRED; a job being sent keeps its caller waiting for its outcome.
   */
  private watchExpiry(jobId: string, data: OutboundSmsJobData): void {
    const waiter = this.waiters.get(jobId);
    if (waiter === undefined) return;
    const check = async (): Promise<void> => {
      if (!this.waiters.has(jobId) || this.closed) return;
      const state = await this.queue.getJobState(jobId);
      if (state === 'waiting' || state === 'prioritized' || state === 'delayed') {
        const removed = await this.queue.remove(jobId);
        if (removed === 1) return this.settle(jobId, { error: new GatewayError('GW_ERR_SMS_EXPIRED', `the ${data.kind} SMS to +${data.msisdn} waited past its time-to-live and was not sent`, { jobId, kind: data.kind }) });
      }
      arm(1000); // being sent (or just finished): its outcome settles the caller
    };
    const arm = (delayMs: number): void => {
      if (!this.waiters.has(jobId)) return;
      waiter.timer = setTimeout(() => void check().catch(() => arm(1000)), delayMs);
      waiter.timer.unref();
    };
    arm(Math.max(0, data.expiresAtMs - this.now()) + 50);
  }

  /** Job `jobId` no longer waits (being sent, settled, or never added): out of {@link waitingFor}'s count, once. */
  private stopCounting(jobId: string): void {
    const waiter = this.waiters.get(jobId);
    if (waiter === undefined || waiter.sending) return;
    waiter.sending = true;
    this.countWaiting(waiter.viaModem, -1);
  }

  private countWaiting(viaModem: string | null, delta: 1 | -1): void {
    if (viaModem === null) {
      this.waitingForAny += delta;
      return;
    }
    const count = (this.waitingForModem.get(viaModem) ?? 0) + delta;
    if (count > 0) this.waitingForModem.set(viaModem, count);
    else this.waitingForModem.delete(viaModem);
  }

  private reportProblem(error: unknown): void {
    if (!this.closed) this.emit('problem', { detail: String(error) });
  }
}

const stoppedError = (): GatewayError => new GatewayError('GW_ERR_POOL_NO_MODEM', 'the gateway is stopping: the SMS was taken off the queue unsent');

/** `work`'s value, or `fallback` when it takes longer than `timeoutMs`. */
async function withinMs<T>(work: Promise<T>, timeoutMs: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), timeoutMs)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
