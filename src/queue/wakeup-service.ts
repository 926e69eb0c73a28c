/**
 * The gateway's wake-up service: takes wake-up requests (held requests, the admin API), and
 * works the BullMQ wake-up queue. One job per device; each attempt sends one Registration Update
 * Trigger or shoulder-tap (wakeup-sms.ts) from the device's server modem, then waits, with exponential back-off
 * and jitter, for the device to be heard. The job completes when the device is heard on any
 * bearer (an Update or Register, or any message while the job waits), not when the SMS leaves;
 * it gives up after the configured triggers or time-to-live. Each outcome is kept in Redis (the
 * last one per device) and counted.
 *
 * No trigger is sent to a device that is awake now (reachable over UDP: bearer.ts), to one
 * whose Binding and registration source have no SMS or that has no MSISDN, to a number outside
 * the sender allowlist, or when no modem is known to be its server number.
 *
 * Delivery diagnosis: each trigger asks for a status report (TP-SRR, TS 23.040 §9.2.3.5). The
 * modem driver matches the report to the SMS by TP-MR (delivery-reports.ts); {@link
 * WakeupService.deliveryReport} files it with the job through Redis (trigger-ledger.ts), and a
 * permanent error (TP-ST 0x40–0x5F, delivery-status.ts) ends the job at once, even in its
 * back-off. The outcome lists per trigger "delivered, device silent", "undeliverable (TP-ST)"
 * or "no report" (none within `statusReportWaitMs`).
 *
 * A device's answer to its trigger (a 1.0 client may acknowledge a CON trigger) is consumed
 * through {@link WakeupService.takeTriggerAnswer} and counts as the device heard. What it reports:
 * wakeup-types.ts; what it keeps of outcomes: wakeup-outcomes.ts; status reports that overtake
 * their trigger's ledger entry: trigger-report-filer.ts; its answers to operators: wakeup-queries.ts.
 */
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { chooseBearer } from '../bridge/bearer.ts';
import type { SmsSpendGate } from '../bridge/sms-budget.ts';
import type { SmsOperationCounters } from '../bridge/sms-operations.ts';
import { GatewayError } from '../shared/errors.ts';
import type { Presence } from '../lwm2m/presence.ts';
import type { DeviceGroups } from '../bridge/device-groups.ts';
import type { SenderPolicy } from '../bridge/sender-policy.ts';
import type { CoapMessage } from '../lwm2m/coap-message.ts';
import { bindingOf, type DeviceRecord } from '../lwm2m/device-record.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { BootstrapTriggers } from './bootstrap-trigger.ts';
import { diagnoseTrigger, tpStatusClass } from './delivery-status.ts';
import { TriggerLedger, type SentTrigger } from './trigger-ledger.ts';
import { TriggerReportFiler } from './trigger-report-filer.ts';
import { wakeupSms, wakeupSmsBytes, wakeupSmsParts } from './wakeup-sms.ts';
import { addWakeupJob, bullConnection, bullPrefix, WAKEUP_QUEUE_NAME, wakeupJobId, wakeupQueue, type TriggerSmsSender, type WakeupJobData, type WakeupRequestResult, type WakeupSource } from './wakeup-jobs.ts';
import { backoffDelayMs, wakeupSettingsFor, type WakeupConfig, type WakeupSettings } from './wakeup-settings.ts';
import { WakeupQueries } from './wakeup-queries.ts';
import { wakeupOutcome, WakeupOutcomes, type WakeupEnd } from './wakeup-outcomes.ts';
import type { TriggerReport, WakeupEvents, WakeupJobView, WakeupOutcome } from './wakeup-types.ts';

export type { TriggerSendResult, TriggerSmsSender } from './wakeup-jobs.ts';
export type { TriggerReport, WakeupEvents, WakeupGiveUpReason, WakeupJobView, WakeupOutcome, WakeupSkipReason } from './wakeup-types.ts';
export { LIVE_JOB_STATES } from './wakeup-types.ts';
export { WAKEUP_QUERY_TIMEOUT_MS } from './wakeup-queries.ts';

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
  /** The daily SMS budget asked before each trigger (sms-budget.ts). @defaultValue none (unlimited) */
  readonly budget?: SmsSpendGate;
  /** Counts of SMS per operation kind (triggers count as `trigger`). @defaultValue none */
  readonly operations?: SmsOperationCounters;
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
  private readonly ledger: TriggerLedger;
  private readonly bootstrap: BootstrapTriggers;
  /** Answers to operators (the admin API, the CLI), bounded in time. */
  private readonly queries: WakeupQueries;
  private readonly outcomes: WakeupOutcomes;
  /** Files status reports, keeping aside those that overtake their trigger's ledger entry. */
  private readonly reports: TriggerReportFiler;
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
    this.ledger = new TriggerLedger(deps.redis, deps.redisPrefix);
    this.outcomes = new WakeupOutcomes(deps.redis, deps.redisPrefix);
    this.queries = new WakeupQueries(this.queue, this.queueConnection, deps.redis, (endpoint) => this.outcomes.key(endpoint));
    this.reports = new TriggerReportFiler(this.ledger, {
      filed: (ref, event, late) => {
        this.emit('trigger-report', event);
        if (late || tpStatusClass(event.status) === 'permanent' || tpStatusClass(event.status) === 'completed') this.heard(ref.endpoint);
      },
      problem: (error) => this.reportProblem(error),
    });
    this.bootstrap = new BootstrapTriggers({
      ...deps, ledger: this.ledger, now: this.now,
      events: { registrationFailed: (event) => this.emit('registration-failed', event), bootstrapTrigger: (event) => this.emit('bootstrap-trigger', event) },
    });
    // Jobs left by an earlier process (a restart in a back-off) count as this process's too.
    void this.queue.getJobs(['delayed', 'active', 'waiting', 'prioritized']).then((jobs) => {
      for (const job of jobs) if (job?.data?.endpoint !== undefined) this.withJob.add(job.data.endpoint);
    }, (error: unknown) => this.reportProblem(error));
  }

  /** The BullMQ queue of wake-up jobs (for queue counts and the queue board; not closed by its users). */
  get bullQueue(): Queue<WakeupJobData> {
    return this.queue;
  }

  /**
   * Asks for a wake-up of `endpoint`: the job id and its state; one job however often it is asked.
   * A held request's wake-up waits for Redis however long it is away (the job is added when it
   * returns); anyone else's (the admin API, the CLI) is rejected with GW_ERR_WAKEUP_REDIS at once
   * while the connection is known to be lost, or when Redis does not answer within
   * {@link WAKEUP_QUERY_TIMEOUT_MS}.
   */
  async request(endpoint: string, source: WakeupSource): Promise<WakeupRequestResult> {
    this.withJob.add(endpoint);
    const add = (): Promise<WakeupRequestResult> => addWakeupJob(this.queue, endpoint, source, this.now());
    const result = source === 'held-request' ? await add() : await this.queries.bound(add, 'no job was added');
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

  /** The live job of `endpoint` (waiting, delayed, active …), or null. Rejects like {@link request}. */
  job(endpoint: string): Promise<WakeupJobView | null> {
    return this.queries.job(endpoint);
  }

  /** Live jobs, at most `limit` from `offset` on, and how many there are (wakeup-queries.ts). Rejects like {@link request}. */
  jobs(offset: number, limit: number): Promise<{ readonly total: number; readonly jobs: readonly WakeupJobView[] }> {
    return this.queries.jobs(offset, limit);
  }

  /** The last outcomes of several devices (null where none), one Redis round trip. Rejects like {@link request}. */
  lastOutcomes(endpoints: readonly string[]): Promise<(WakeupOutcome | null)[]> {
    return this.queries.lastOutcomes(endpoints);
  }

  /**
   * A status report for an SMS (ModemEvents `delivery-report`): when it is about a trigger, it is
   * filed with that trigger's job in Redis and emitted; a permanent error wakes the waiting job so
   * that it gives up now, and a delivery wakes it so that its last check need not wait out
   * `statusReportWaitMs` (a job woken before its back-off ends waits on). Reports about other SMS
   * are ignored. Never rejects.
   */
  async deliveryReport(report: TriggerReport): Promise<void> {
    if (this.closed) return;
    await this.reports.file(report).catch((error: unknown) => this.reportProblem(error));
  }

  /**
   * True when `message` from `endpoint` answers the device's last trigger (an ACK or response a
   * 1.0 client sends): the caller consumes it rather than relay it to the core; the device counts
   * as heard. Rejects when Redis does.
   */
  async takeTriggerAnswer(endpoint: string, message: CoapMessage): Promise<boolean> {
    if (!(await this.ledger.takeAnswer(endpoint, message))) return false;
    await this.outcomes.countTriggerAnswered();
    this.emit('trigger-answered', { endpoint, type: message.type, code: message.code });
    this.heard(endpoint);
    return true;
  }

  /**
   * A Register of `record`'s device failed (the core refused it or never answered): counted in
   * Redis; after the group's `bootstrapAfterFailures` a Bootstrap-Request Trigger is sent, with
   * back-off (bootstrap-trigger.ts). Never rejects.
   */
  registrationFailed(record: DeviceRecord, why: 'rejected' | 'unanswered'): void {
    if (this.closed) return;
    this.bootstrap.registrationFailed(record, why).catch((error: unknown) => this.reportProblem(error));
  }

  /** `endpoint` registered: its registration failure count starts again. Never rejects. */
  registered(endpoint: string): void {
    if (this.closed) return;
    this.bootstrap.registered(endpoint).catch((error: unknown) => this.reportProblem(error));
  }

  /** The last outcome of `endpoint`'s wake-up, or null. */
  lastOutcome(endpoint: string): Promise<WakeupOutcome | null> {
    return this.outcomes.last(endpoint);
  }

  /** Outcomes counted since the Redis data began: `woke`, `gave-up:device-silent`, `skipped:awake` … */
  counts(): Promise<Record<string, number>> {
    return this.outcomes.counts();
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
    const sent = triggers > 0 ? await this.ledger.triggers(data.endpoint, data.requestedAtMs) : [];
    const permanent = sent.map((t) => diagnoseTrigger(t.trigger, t.messageId, t.parts, t.statuses, false)).find((d) => d.permanent === true);
    if (permanent !== undefined) return this.finish(data, { result: 'gave-up', reason: 'undeliverable', status: permanent.status, statusName: permanent.statusName }, sent);
    const ttlLeftMs = data.requestedAtMs + settings.ttlMs - nowMs;
    // Woken early by a status report that decided nothing: the back-off goes on.
    if (data.nextCheckAtMs !== undefined && nowMs < data.nextCheckAtMs && ttlLeftMs > 0) throw new CheckAgainLater(Math.min(data.nextCheckAtMs - nowMs, ttlLeftMs));
    const failures = data.sendFailures ?? 0;
    if (triggers >= settings.attempts) {
      // Back-off over; the last trigger's report tells "delivered, device silent" from "no report": wait for it a while
      // (its arrival wakes the job).
      const reportDueMs = this.reportWaitLeftMs(sent, triggers, settings, nowMs);
      if (reportDueMs > 0 && ttlLeftMs > 0) throw new CheckAgainLater(Math.min(reportDueMs, ttlLeftMs));
      return this.finish(data, { result: 'gave-up', reason: 'device-silent' }, sent);
    }
    if (ttlLeftMs <= 0) return this.finish(data, { result: 'gave-up', reason: 'ttl-expired' }, sent);
    if (triggers + failures >= settings.attempts) return this.finish(data, { result: 'gave-up', reason: 'send-failed' }, sent);
    const delayMs = Math.min(backoffDelayMs(settings, triggers + failures + 1, Math.random()), Math.max(1, ttlLeftMs));
    const trigger = wakeupSms(settings);
    // The day's SMS budget (sms-budget.ts): spent, the job gives up; Redis away, it tries again later.
    const spend = this.deps.budget === undefined ? null : await this.deps.budget.reserve(record, wakeupSmsParts(trigger));
    if (spend !== null && !spend.ok) {
      this.emit('sms-refused', spend.refusal);
      if (spend.refusal.reason === 'budget-exhausted') return this.finish(data, { result: 'gave-up', reason: 'budget-exhausted' }, sent);
      this.emit('trigger-failed', { endpoint: data.endpoint, jobId: job.id ?? '', detail: spend.refusal.detail });
      throw new CheckAgainLater(delayMs);
    }
    let result: { messageId: string; modem: string; parts: number };
    this.reports.sendStarted();
    try {
      if (trigger.coap !== null) await this.ledger.expectAnswer(data.endpoint, trigger.coap.messageId, trigger.coap.token, settings.ttlMs);
      this.deps.operations?.countSent(wakeupSmsBytes(trigger), 'trigger');
      result = await this.deps.sms.send(record.msisdn, trigger.payload, server.modem, trigger.ports, { statusReportRequest: true });
      const ref = { endpoint: data.endpoint, run: data.requestedAtMs, trigger: triggers + 1 };
      await this.ledger.sent(ref, result.messageId, result.parts, nowMs, settings.ttlMs + settings.statusReportWaitMs).catch((error: unknown) => this.reportProblem(error));
    } catch (error) {
      // Refused before leaving: not spent. An unknown outcome may have left: kept.
      if (!(error instanceof GatewayError && error.code === 'GW_ERR_MODEM_SEND_UNKNOWN')) await spend?.reservation.release();
      await job.updateData({ ...data, sendFailures: failures + 1, nextCheckAtMs: nowMs + delayMs });
      this.emit('trigger-failed', { endpoint: data.endpoint, jobId: job.id ?? '', detail: String(error) });
      throw new CheckAgainLater(delayMs);
    } finally {
      this.reports.sendEnded();
    }
    const next = { ...data, triggers: triggers + 1, firstTriggerAtMs: data.firstTriggerAtMs ?? nowMs, nextCheckAtMs: nowMs + delayMs };
    await job.updateData(next);
    this.emit('trigger', {
      endpoint: data.endpoint, jobId: job.id ?? '', trigger: triggers + 1, modem: server.modem, framing: trigger.coap === null ? 'plain' : settings.framing,
      nextCheckMs: delayMs, kind: settings.triggerKind, messageId: result.messageId,
    });
    // Heard while the modem still waited for +CMGS (the SMS reached the device first): `heard()`
    // found the job active and gave up on it, so finish now rather than after the whole back-off.
    if ((this.deps.record(data.endpoint)?.lastActivityMs ?? 0) > next.firstTriggerAtMs) return this.finish(next, { result: 'woke' });
    throw new CheckAgainLater(delayMs);
  }

  /** Time left to wait for the report of trigger `last`, in ms (0: it came, or the wait is over). */
  private reportWaitLeftMs(sent: readonly SentTrigger[], last: number, settings: WakeupSettings, nowMs: number): number {
    const entry = sent.find((t) => t.trigger === last);
    if (entry === undefined || entry.statuses.size >= entry.parts) return 0;
    return Math.max(0, entry.sentAtMs + settings.statusReportWaitMs - nowMs);
  }

  /** Keeps, counts and emits an outcome with the diagnosis of each trigger; a give-up fails the job without retries. */
  private async finish(data: WakeupJobData, end: WakeupEnd, known?: readonly SentTrigger[]): Promise<WakeupOutcome> {
    const endedAtMs = this.now();
    const triggers = data.triggers ?? 0;
    const sent = known ?? (triggers > 0 ? await this.ledger.triggers(data.endpoint, data.requestedAtMs) : []);
    const deliveries = sent.map((t) => diagnoseTrigger(t.trigger, t.messageId, t.parts, t.statuses, end.result === 'woke' && t.trigger === triggers));
    const outcome = wakeupOutcome(data, end, deliveries, endedAtMs);
    this.withJob.delete(data.endpoint);
    await this.outcomes.keep(outcome);
    if (sent.length > 0) await this.ledger.forget(data.endpoint, data.requestedAtMs, sent.map((t) => t.messageId)).catch((error: unknown) => this.reportProblem(error));
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
