/**
 * The gateway's wake-up service: takes wake-up requests (held requests, the admin API), and
 * works the BullMQ wake-up queue. One job per device; each attempt sends one Registration Update
 * Trigger (see triggers.ts) from the device's server modem, then waits, with exponential back-off
 * and jitter, for the device to be heard. The job completes when the device is heard on any
 * bearer (an Update or Register, or any message while the job waits), not when the SMS leaves;
 * it gives up after the configured triggers or time-to-live. Each outcome is kept in Redis (the
 * last one per device) and counted.
 *
 * No trigger is sent to a device that is awake now (reachable over UDP: bearer.ts), to one
 * whose Binding and registration source have no SMS or that has no MSISDN, to a number outside
 * the sender allowlist, or when no modem is known to be its server number.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { chooseBearer } from '../bridge/bearer.ts';
import type { Presence } from '../lwm2m/presence.ts';
import type { DeviceGroups } from '../bridge/device-groups.ts';
import type { SenderPolicy } from '../bridge/sender-policy.ts';
import { bindingOf, type DeviceRecord } from '../lwm2m/device-record.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { buildTrigger, type TriggerSms } from './triggers.ts';
import { addWakeupJob, bullConnection, bullPrefix, WAKEUP_QUEUE_NAME, wakeupJobId, wakeupQueue, type WakeupJobData, type WakeupRequestResult, type WakeupSource } from './wakeup-jobs.ts';
import { backoffDelayMs, wakeupSettingsFor, type WakeupConfig } from './wakeup-settings.ts';

/** Why no trigger was sent. */
export type WakeupSkipReason = 'not-registered' | 'awake' | 'no-sms' | 'not-allowed' | 'no-server-modem';
/** Why the job gave up. */
export type WakeupGiveUpReason = 'device-silent' | 'ttl-expired' | 'send-failed';

/** How a wake-up ended (kept in Redis per device, and emitted). */
export type WakeupOutcome =
  | { readonly result: 'woke'; readonly endpoint: string; readonly triggers: number; readonly elapsedMs: number; readonly endedAtMs: number }
  | { readonly result: 'gave-up'; readonly endpoint: string; readonly reason: WakeupGiveUpReason; readonly triggers: number; readonly elapsedMs: number; readonly endedAtMs: number }
  | { readonly result: 'skipped'; readonly endpoint: string; readonly reason: WakeupSkipReason; readonly triggers: 0; readonly elapsedMs: number; readonly endedAtMs: number };

/** Events of {@link WakeupService} (logged by the gateway). */
export type WakeupEvents = {
  requested: [WakeupRequestResult & { readonly source: WakeupSource }];
  trigger: [{ readonly endpoint: string; readonly jobId: string; readonly trigger: number; readonly modem: string; readonly framing: string; readonly nextCheckMs: number }];
  'trigger-failed': [{ readonly endpoint: string; readonly jobId: string; readonly detail: string }];
  outcome: [WakeupOutcome];
  /**
   * Redis or BullMQ trouble (the queue reconnects by itself). Not named `error`: an `error` event
   * without a listener would throw, and BullMQ reports a closed connection after `close()`.
   */
  problem: [{ readonly detail: string }];
};

/** Sends a trigger SMS (the gateway's PoolSmsSender). */
export interface TriggerSmsSender {
  send(msisdn: string, payload: Uint8Array, viaModem: string | null, ports: TriggerSms['ports']): Promise<void>;
}

/** What the service needs from the gateway. */
export interface WakeupServiceDeps {
  readonly redisUrl: string;
  readonly redisPrefix: string;
  /** Commands connection for outcomes and counters (the gateway's own; not closed here). */
  readonly redis: Redis;
  readonly config: WakeupConfig;
  /** The registration mirror's record of `endpoint`. */
  record(endpoint: string): DeviceRecord | undefined;
  readonly groups: DeviceGroups;
  readonly senders: SenderPolicy;
  /** Whether a device is awake now, and over which bearer (the registration mirror's presence). */
  readonly presence: Pick<Presence, 'isAwakeOverUdp'>;
  readonly sms: TriggerSmsSender;
  /** Jobs worked at once. @defaultValue 16 */
  readonly concurrency?: number;
  readonly now?: () => number;
}

/** Thrown by an attempt that sent a trigger: BullMQ retries the job after `delayMs`. */
class CheckAgainLater extends Error {
  constructor(readonly delayMs: number) {
    super('waiting for the device to be heard');
  }
}

/** See the file comment. `close()` ends the worker and the connections it opened. */
export class WakeupService extends TypedEmitter<WakeupEvents> {
  private readonly queueConnection: Redis;
  private readonly workerConnection: Redis;
  private readonly queue: Queue<WakeupJobData>;
  private readonly worker: Worker<WakeupJobData, WakeupOutcome>;
  private readonly now: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  /**
   * Endpoints with a job this process asked for or worked on, until it ended: the only ones
   * {@link heard} looks up in Redis (a look-up for every Register and Update of every device
   * cost a Redis round trip each; bench/device-scale).
   */
  private readonly withJob = new Set<string>();
  private closed = false;

  constructor(private readonly deps: WakeupServiceDeps) {
    super();
    this.now = deps.now ?? Date.now;
    this.queueConnection = bullConnection(deps.redisUrl);
    this.workerConnection = bullConnection(deps.redisUrl);
    for (const connection of [this.queueConnection, this.workerConnection]) connection.on('error', () => undefined); // reported by BullMQ's own error events
    this.queue = wakeupQueue(this.queueConnection, deps.redisPrefix);
    this.queue.on('error', (error) => this.reportProblem(error));
    this.worker = new Worker<WakeupJobData, WakeupOutcome>(WAKEUP_QUEUE_NAME, (job) => this.attempt(job), {
      connection: this.workerConnection, prefix: bullPrefix(deps.redisPrefix), concurrency: deps.concurrency ?? 16,
      settings: { backoffStrategy: (_attempts, _type, error) => (error instanceof CheckAgainLater ? error.delayMs : 1000) },
    });
    this.worker.on('error', (error) => this.reportProblem(error));
    // Jobs left by an earlier process (a restart in a back-off) count as this process's too.
    void this.queue.getJobs(['delayed', 'active', 'waiting']).then((jobs) => {
      for (const job of jobs) if (job?.data?.endpoint !== undefined) this.withJob.add(job.data.endpoint);
    }, (error: unknown) => this.reportProblem(error));
  }

  /** Key of the last outcome of `endpoint` (JSON). */
  private outcomeKey(endpoint: string): string {
    return `${this.deps.redisPrefix}wakeup:outcome:${endpoint}`;
  }

  private get countsKey(): string {
    return `${this.deps.redisPrefix}wakeup:counts`;
  }

  /** Asks for a wake-up of `endpoint`: the job id and its state; one job however often it is asked. Rejects when Redis does. */
  async request(endpoint: string, source: WakeupSource): Promise<WakeupRequestResult> {
    this.withJob.add(endpoint);
    const result = await addWakeupJob(this.queue, endpoint, source, this.now());
    this.emit('requested', { ...result, source });
    return result;
  }

  /**
   * `endpoint` was heard (Register, Update): its waiting job, if any, is checked now rather
   * than at the end of its back-off. Only a job this process asked for or worked on is looked
   * up (see `withJob`); another process's job sees the activity at its next check. Never rejects.
   */
  heard(endpoint: string, retries = 3): void {
    // While Redis is away nothing is queued up behind it: the job sees the activity at its next check.
    if (this.closed || !this.withJob.has(endpoint) || this.queueConnection.status !== 'ready') return;
    void (async () => {
      const job = await this.queue.getJob(wakeupJobId(endpoint));
      if (job === undefined) {
        this.withJob.delete(endpoint);
        return;
      }
      const state = await job.getState();
      if (state === 'delayed') await job.promote();
      else if (state === 'active' && retries > 0) this.after(50, () => this.heard(endpoint, retries - 1)); // sending its trigger now
    })().catch(() => undefined); // the job moved on meanwhile: it sees the device's activity at its next check
  }

  /** The last outcome of `endpoint`'s wake-up, or null. */
  async lastOutcome(endpoint: string): Promise<WakeupOutcome | null> {
    const text = await this.deps.redis.get(this.outcomeKey(endpoint));
    return text === null ? null : (JSON.parse(text) as WakeupOutcome);
  }

  /** Outcomes counted since the Redis data began: `woke`, `gave-up:device-silent`, `skipped:awake` … */
  async counts(): Promise<Record<string, number>> {
    const raw = await this.deps.redis.hgetall(this.countsKey);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }

  /** BullMQ's errors while running; after `close()` they are its connections ending, not news. */
  private reportProblem(error: unknown): void {
    if (!this.closed) this.emit('problem', { detail: String(error) });
  }

  /** Stops working jobs (the one in progress finishes) and closes the queue's connections. Never rejects. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // A close right after start: let BullMQ finish connecting first, or its set-up commands are
    // cut off by the disconnect below and reject where nobody can catch them.
    await Promise.allSettled([this.worker.waitUntilReady(), this.queue.waitUntilReady()]);
    await this.worker.close().catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    this.queueConnection.disconnect();
    this.workerConnection.disconnect();
  }

  /** One attempt of a job: finish (woke, skipped, gave up) or send one trigger and check again later. */
  private async attempt(job: Job<WakeupJobData, WakeupOutcome>): Promise<WakeupOutcome> {
    const data = job.data;
    this.withJob.add(data.endpoint);
    const nowMs = this.now();
    const triggers = data.triggers ?? 0;
    const record = this.deps.record(data.endpoint);
    if (record === undefined) return this.finish(data, { result: 'skipped', reason: 'not-registered' });
    const heard = triggers > 0 && record.lastActivityMs > (data.firstTriggerAtMs ?? Infinity);
    const awake = chooseBearer(record, this.deps.presence.isAwakeOverUdp(data.endpoint, nowMs)) === 'udp';
    if (heard || (awake && triggers > 0)) return this.finish(data, { result: 'woke' });
    if (awake) return this.finish(data, { result: 'skipped', reason: 'awake' });
    if (record.msisdn === null || (!bindingOf(record).sms && record.registeredOver !== 'sms')) return this.finish(data, { result: 'skipped', reason: 'no-sms' });
    if (!this.deps.senders.allows(record.msisdn)) return this.finish(data, { result: 'skipped', reason: 'not-allowed' });
    const server = this.deps.groups.serverModemOf(record);
    if (server === null) return this.finish(data, { result: 'skipped', reason: 'no-server-modem' });
    const settings = wakeupSettingsFor(this.deps.config, this.deps.groups.groupOf(record)?.name ?? null);
    const failures = data.sendFailures ?? 0;
    if (triggers >= settings.attempts) return this.finish(data, { result: 'gave-up', reason: 'device-silent' });
    if (nowMs - data.requestedAtMs >= settings.ttlMs) return this.finish(data, { result: 'gave-up', reason: 'ttl-expired' });
    if (triggers + failures >= settings.attempts) return this.finish(data, { result: 'gave-up', reason: 'send-failed' });
    const trigger = buildTrigger({ kind: 'registration-update', mode: settings.triggerMode, framing: settings.framing, messageId: randomInt(0x10000), token: randomBytes(4) });
    const delayMs = Math.min(backoffDelayMs(settings, triggers + failures + 1, Math.random()), Math.max(1, data.requestedAtMs + settings.ttlMs - nowMs));
    try {
      await this.deps.sms.send(record.msisdn, trigger.payload, server.modem, trigger.ports);
    } catch (error) {
      await job.updateData({ ...data, sendFailures: failures + 1 });
      this.emit('trigger-failed', { endpoint: data.endpoint, jobId: job.id ?? '', detail: String(error) });
      throw new CheckAgainLater(delayMs);
    }
    await job.updateData({ ...data, triggers: triggers + 1, firstTriggerAtMs: data.firstTriggerAtMs ?? nowMs });
    this.emit('trigger', { endpoint: data.endpoint, jobId: job.id ?? '', trigger: triggers + 1, modem: server.modem, framing: settings.framing, nextCheckMs: delayMs });
    throw new CheckAgainLater(delayMs);
  }

  /** Keeps, counts and emits an outcome; a give-up fails the job without retries. */
  private async finish(data: WakeupJobData, end: { result: 'woke' } | { result: 'skipped'; reason: WakeupSkipReason } | { result: 'gave-up'; reason: WakeupGiveUpReason }): Promise<WakeupOutcome> {
    const endedAtMs = this.now();
    const outcome = { ...end, endpoint: data.endpoint, triggers: data.triggers ?? 0, elapsedMs: endedAtMs - data.requestedAtMs, endedAtMs } as WakeupOutcome;
    const counter = outcome.result === 'woke' ? 'woke' : `${outcome.result}:${outcome.reason}`;
    this.withJob.delete(data.endpoint);
    await this.deps.redis.multi().set(this.outcomeKey(data.endpoint), JSON.stringify(outcome)).hincrby(this.countsKey, counter, 1).exec();
    this.emit('outcome', outcome);
    if (outcome.result === 'gave-up') throw new UnrecoverableError(`gave up: ${outcome.reason} after ${outcome.triggers} trigger(s)`);
    return outcome;
  }

  private after(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }
}
