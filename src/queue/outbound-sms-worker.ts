/**
 * The consumer side of the outbound SMS queue: a BullMQ worker that hands each job to the modem
 * pool (through the gateway's PoolSmsSender: concatenation reference counter in Redis, routing,
 * the per-modem token bucket, failover of a message of which nothing left).
 *
 * Never twice: a message whose outcome is unknown (the modem took the PDU but gave no `+CMGS`,
 * timed out or reset) fails with GW_ERR_MODEM_SEND_UNKNOWN and is not retried; a job that was
 * active when its process died (BullMQ: stalled) is not taken up again (`maxStalledCount` 0, and
 * the attempt counters checked before sending) but reported unknown. Only the `resendUnknown`
 * policy allows one resend. A job past its time-to-live fails with GW_ERR_SMS_EXPIRED unsent.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { MoreQueuedProbe } from '../modem/modem-pool.ts';
import { GatewayError } from '../shared/errors.ts';
import { hexToBytes } from '../shared/hex.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { errorOfReason, failureReason, OUTBOUND_SMS_QUEUE_NAME, STALLED_REASON, type OutboundSmsJobData, type OutboundSmsOptions, type OutboundSmsPorts, type OutboundSmsResult } from './outbound-sms-jobs.ts';
import type { OutboundSmsKind, OutboundSmsSettings } from './outbound-sms-settings.ts';
import type { OutboundSmsContent, OutboundSmsQueue } from './outbound-sms-queue.ts';
import { bullConnection, bullPrefix } from './wakeup-jobs.ts';

/**
 * Sends one message through the modem pool (the gateway's PoolSmsSender). `options.moreQueued`
 * says whether more jobs wait for the modem the pool chose, so that it keeps the relay link up
 * for them (`AT+CMMS=1`, TS 27.005 §3.5.6); see ModemPool.send.
 */
export interface PoolMessageSender {
  sendMessage(msisdn: string, payload: OutboundSmsContent, viaModem: string | null, ports: OutboundSmsPorts | null, options: OutboundSmsOptions & { readonly moreQueued?: MoreQueuedProbe }): Promise<OutboundSmsResult>;
}

/** One job's end, as the worker reports it. */
export interface OutboundSmsOutcome {
  readonly jobId: string;
  readonly kind: OutboundSmsKind | null;
  readonly msisdn: string | null;
  /** `sent`; `failed` (nothing or not all left, known); `unknown` (may have left, not resent); `expired` (never sent). */
  readonly result: 'sent' | 'failed' | 'unknown' | 'expired';
  readonly modem: string | null;
  readonly parts: number;
  /** Error code, or null when sent. */
  readonly code: string | null;
  readonly detail: string | null;
  /** From the add to the end, in ms (null when unknown). */
  readonly queuedMs: number | null;
}

/** Events of {@link OutboundSmsWorker}. */
export type OutboundSmsWorkerEvents = {
  outcome: [OutboundSmsOutcome];
  /** Redis or BullMQ trouble (reconnects by itself). Not named `error`. */
  problem: [{ readonly detail: string }];
};

/** What {@link OutboundSmsWorker} needs. */
export interface OutboundSmsWorkerDeps {
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly settings: OutboundSmsSettings;
  readonly sender: PoolMessageSender;
  /**
   * The queue of this process: its callers are settled directly, without a round trip through
   * Redis, and its count of messages still waiting tells the pool whether more will follow on a
   * modem (`AT+CMMS=1` before the first of several, TS 27.005 §3.5.6). Without it each message
   * goes to the pool alone, and only the parts of one long message share a relay link.
   */
  readonly local?: Pick<OutboundSmsQueue, 'settle' | 'noteSending' | 'waitingFor'>;
  /** Messages sent at once; one per modem keeps the rest in the queue, in priority order. @defaultValue 1 */
  readonly concurrency?: number;
  /** Start working at once (true), or only at {@link OutboundSmsWorker.start} (when a modem is ready). @defaultValue true */
  readonly autorun?: boolean;
  /** BullMQ lock of an active job, in ms; a dead process's job is found stalled after it lapses. @defaultValue 30000 */
  readonly lockDurationMs?: number;
  /** Period of BullMQ's stalled-job check, in ms. @defaultValue 30000 */
  readonly stalledIntervalMs?: number;
  readonly now?: () => number;
}

/** See the file comment. `close()` lets the messages being sent finish, then ends its connection. */
export class OutboundSmsWorker extends TypedEmitter<OutboundSmsWorkerEvents> {
  private readonly connection: Redis;
  private readonly worker: Worker<OutboundSmsJobData, OutboundSmsResult>;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly deps: OutboundSmsWorkerDeps) {
    super();
    this.now = deps.now ?? Date.now;
    this.connection = bullConnection(deps.redisUrl);
    this.connection.on('error', () => undefined); // reported by the worker's error event
    this.worker = new Worker<OutboundSmsJobData, OutboundSmsResult>(OUTBOUND_SMS_QUEUE_NAME, (job) => this.process(job), {
      connection: this.connection, prefix: bullPrefix(deps.redisPrefix), concurrency: Math.max(1, deps.concurrency ?? 1),
      autorun: deps.autorun ?? true,
      // A job active when its process died may have left: never taken up again, unless the policy allows one resend.
      maxStalledCount: deps.settings.resendUnknown ? 1 : 0,
      lockDuration: deps.lockDurationMs ?? 30_000, stalledInterval: deps.stalledIntervalMs ?? 30_000,
    });
    this.worker.on('error', (error) => {
      if (!this.closed) this.emit('problem', { detail: String(error) });
    });
    // Jobs failed by BullMQ itself (stalled past maxStalledCount): the processor never saw them again.
    this.worker.on('failed', (job, error) => {
      if (job !== undefined && error.message === STALLED_REASON) this.report(job.id ?? '', job.data, { error: errorOfReason(STALLED_REASON) });
    });
  }

  /** Starts working when built with `autorun: false`; idempotent. Never throws. */
  start(): void {
    if (this.closed || this.worker.isRunning()) return;
    void this.worker.run().catch((error: unknown) => {
      if (!this.closed) this.emit('problem', { detail: String(error) });
    });
  }

  /** Resolves when the worker is connected. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Stops taking jobs; the messages being sent finish and get their outcome. Never rejects. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.worker.waitUntilReady()]);
    await this.worker.close().catch(() => undefined);
    this.connection.disconnect();
  }

  private async process(job: Job<OutboundSmsJobData, OutboundSmsResult>): Promise<OutboundSmsResult> {
    const data = job.data;
    const jobId = job.id ?? '';
    const local = this.deps.local;
    local?.noteSending(jobId);
    if (!this.deps.settings.resendUnknown && job.attemptsStarted > job.attemptsMade + 1) {
      // Started before without an end: its process died while sending (BullMQ normally fails it first).
      throw this.fail(jobId, data, errorOfReason(STALLED_REASON));
    }
    if (this.now() > data.expiresAtMs) {
      throw this.fail(jobId, data, new GatewayError('GW_ERR_SMS_EXPIRED', `the ${data.kind} SMS to +${data.msisdn} waited past its time-to-live and was not sent`, { jobId, kind: data.kind }));
    }
    const payload = 'dataHex' in data.payload ? { data: hexToBytes(data.payload.dataHex) ?? new Uint8Array() } : { text: data.payload.text };
    let result: OutboundSmsResult;
    try {
      // Asked when its turn on the chosen modem comes: no SMS waits for company, and none is held back.
      const moreQueued = local === undefined ? {} : { moreQueued: (modem: string): boolean => local.waitingFor(modem) > 0 };
      result = await this.deps.sender.sendMessage(data.msisdn, payload, data.viaModem, data.ports, { statusReportRequest: data.statusReportRequest === true, ...moreQueued });
    } catch (caught) {
      const error = caught instanceof GatewayError ? caught : new GatewayError('GW_ERR_INTERNAL', String(caught));
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (error.code === 'GW_ERR_MODEM_SEND_UNKNOWN' && this.deps.settings.resendUnknown && !lastAttempt) {
        throw new Error(failureReason(error)); // the policy's one resend: BullMQ retries it
      }
      throw this.fail(jobId, data, error);
    }
    this.report(jobId, data, { result });
    return result;
  }

  /** Reports a final failure and returns the error that fails the job without any retry. */
  private fail(jobId: string, data: OutboundSmsJobData, error: GatewayError): UnrecoverableError {
    this.report(jobId, data, { error });
    return new UnrecoverableError(failureReason(error));
  }

  private report(jobId: string, data: OutboundSmsJobData | undefined, outcome: { readonly result: OutboundSmsResult } | { readonly error: GatewayError }): void {
    this.deps.local?.settle(jobId, outcome);
    const queuedMs = data === undefined ? null : this.now() - data.enqueuedAtMs;
    const base = { jobId, kind: data?.kind ?? null, msisdn: data?.msisdn ?? null, queuedMs };
    if ('result' in outcome) {
      this.emit('outcome', { ...base, result: 'sent', modem: outcome.result.modem, parts: outcome.result.parts, code: null, detail: null });
      return;
    }
    const code = outcome.error.code;
    const result = code === 'GW_ERR_MODEM_SEND_UNKNOWN' ? 'unknown' : code === 'GW_ERR_SMS_EXPIRED' ? 'expired' : 'failed';
    this.emit('outcome', { ...base, result, modem: null, parts: 0, code, detail: outcome.error.message });
  }
}
