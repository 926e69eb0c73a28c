/**
 * Wake-up jobs on BullMQ, the part every producer shares (the gateway and `smsbridge wakeup`):
 * the queue's name and key prefix, the deterministic job id that makes one job per device
 * however many callers ask, and the add itself.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

/** Name of the BullMQ queue of wake-up jobs. */
export const WAKEUP_QUEUE_NAME = 'wakeup';

/**
 * Upper bound of BullMQ attempts of one job: the worker decides when to give up (from the
 * device's settings); this only keeps a defect from retrying forever.
 */
export const MAX_JOB_ATTEMPTS = 1000;

/** Who asked for a wake-up. */
export type WakeupSource = 'held-request' | 'admin' | 'cli';

/** What a wake-up job carries; the trigger count is updated by the worker as it goes. */
export interface WakeupJobData {
  readonly endpoint: string;
  readonly source: WakeupSource;
  readonly requestedAtMs: number;
  readonly triggers?: number;
  readonly firstTriggerAtMs?: number;
  readonly sendFailures?: number;
  /** End of the back-off after the last trigger: a job woken early (by a status report) waits on until then. */
  readonly nextCheckAtMs?: number;
}

/** The shape of the SMS sender's answer (PoolSmsSender.sendMessage): status reports are matched to `messageId`. */
export interface TriggerSendResult {
  readonly messageId: string;
  readonly modem: string;
  readonly parts: number;
}

/** Sends a trigger SMS (the gateway's SMS sender). Rejects when the SMS did not leave or its outcome is unknown. */
export interface TriggerSmsSender {
  send(
    msisdn: string,
    payload: { readonly data: Uint8Array } | { readonly text: string },
    viaModem: string | null,
    ports: { readonly destination: number; readonly source: number } | null,
    options: { readonly statusReportRequest: boolean },
  ): Promise<TriggerSendResult>;
}

/** The answer to a wake-up request. */
export interface WakeupRequestResult {
  readonly endpoint: string;
  /** `wakeup-<endpoint, URI-encoded>`: the same for every request while the job lives. */
  readonly jobId: string;
  /** BullMQ state right after the add (`waiting`, `delayed`, `active`; `unknown` if it already ended). */
  readonly state: string;
}

/**
 * The job id of `endpoint`'s wake-up. BullMQ refuses `:` in custom ids and LwM2M endpoint names
 * often hold some (`urn:imei:…`), so the name is URI-encoded.
 */
export function wakeupJobId(endpoint: string): string {
  return `wakeup-${encodeURIComponent(endpoint)}`;
}

/** BullMQ key prefix under the gateway's Redis prefix (`smsbridge:` → `smsbridge:bull`). */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}bull`;
}

/**
 * A Redis connection for BullMQ: its own, with `maxRetriesPerRequest: null` (BullMQ's blocking
 * commands must wait for a reconnection rather than fail).
 */
export function bullConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** A producer-side queue handle (the caller closes it, and the connection it passed). */
export function wakeupQueue(connection: Redis, redisPrefix: string): Queue<WakeupJobData> {
  return new Queue<WakeupJobData>(WAKEUP_QUEUE_NAME, { connection, prefix: bullPrefix(redisPrefix) });
}

/**
 * Adds the wake-up job of `endpoint`, or joins the one that exists (BullMQ adds a job with a
 * given id atomically, once). Ended jobs are removed from the queue (their outcome is kept
 * apart), so a later request starts a new one. Rejects when Redis does.
 */
export async function addWakeupJob(queue: Queue<WakeupJobData>, endpoint: string, source: WakeupSource, nowMs: number): Promise<WakeupRequestResult> {
  const jobId = wakeupJobId(endpoint);
  await queue.add('wakeup', { endpoint, source, requestedAtMs: nowMs }, {
    jobId, attempts: MAX_JOB_ATTEMPTS, backoff: { type: 'wakeup' }, removeOnComplete: true, removeOnFail: true,
  });
  return { endpoint, jobId, state: await queue.getJobState(jobId) };
}
