/**
 * Outbound SMS jobs on BullMQ, the part the producer (OutboundSmsQueue) and the consumer
 * (OutboundSmsWorker) share: the queue's name, the kinds' fixed priorities, what a job
 * carries (one message: all its parts go out together), and how a failure travels through Redis to a caller in another process. Pure apart from the queue
 * factory.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ERROR_CODES, GatewayError, type ErrorCode } from '../shared/errors.ts';
import { bullPrefix } from './wakeup-jobs.ts';
import type { OutboundSmsKind } from './outbound-sms-settings.ts';

/** Name of the BullMQ queue of outbound SMS. */
export const OUTBOUND_SMS_QUEUE_NAME = 'outbound-sms';

/**
 * BullMQ priorities of the kinds (1 is taken first): answers to devices wait for nobody, a
 * trigger waits only for them, bulk waits for both. Fixed on purpose, not configurable.
 */
export const OUTBOUND_SMS_PRIORITY: Readonly<Record<OutboundSmsKind, number>> = Object.freeze({ relay: 1, trigger: 2, bulk: 3 });

/** 16-bit application ports of the UDH (a WAP Push trigger). */
export interface OutboundSmsPorts {
  readonly destination: number;
  readonly source: number;
}

/** The payload as a job carries it (JSON): 8-bit data in hex, or text. */
export type OutboundSmsPayload = { readonly dataHex: string } | { readonly text: string };

/** One message to send (all its parts), as stored in the job. */
export interface OutboundSmsJobData {
  readonly kind: OutboundSmsKind;
  /** Destination, digits only. */
  readonly msisdn: string;
  readonly payload: OutboundSmsPayload;
  /** The modem the device accepts SMS from (required: no other stands in), or null for any. */
  readonly viaModem: string | null;
  readonly ports: OutboundSmsPorts | null;
  /** TP-SRR on every part (TS 23.040 §9.2.3.5): the modem driver reports each part's status report. */
  readonly statusReportRequest?: boolean;
  readonly enqueuedAtMs: number;
  /** Not sent after this instant (a stale answer is worse than none). */
  readonly expiresAtMs: number;
}

/** Options of one message (as PoolSmsSender.sendMessage takes them). */
export interface OutboundSmsOptions {
  readonly statusReportRequest?: boolean;
}

/** The outcome of a sent message: same shape as PoolSmsSender.sendMessage's result. */
export interface OutboundSmsResult {
  readonly messageId: string;
  readonly modem: string;
  readonly parts: number;
}

/** A producer-side queue handle on `connection` (the caller closes both). */
export function outboundSmsQueue(connection: Redis, redisPrefix: string): Queue<OutboundSmsJobData, OutboundSmsResult> {
  return new Queue<OutboundSmsJobData, OutboundSmsResult>(OUTBOUND_SMS_QUEUE_NAME, { connection, prefix: bullPrefix(redisPrefix) });
}

/** BullMQ's reason for a job that was active when its worker died (maxStalledCount exceeded). */
export const STALLED_REASON = 'job stalled more than allowable limit';

/**
 * A failure as the job's failedReason: `<code> <message>`, so that a caller in another process
 * (QueueEvents `failed`) gets the same typed error as one in the worker's process.
 */
export function failureReason(error: GatewayError): string {
  return `${error.code} ${error.message}`;
}

/**
 * The typed error of a failedReason written by {@link failureReason}. A job that stalled (its
 * process died while it was active) is GW_ERR_MODEM_SEND_UNKNOWN: the SMS may have left; any
 * other text is GW_ERR_MODEM_SEND_FAILED.
 */
export function errorOfReason(reason: string): GatewayError {
  if (reason === STALLED_REASON) return new GatewayError('GW_ERR_MODEM_SEND_UNKNOWN', 'the process sending this SMS died: it may or may not have left, and is not resent');
  const space = reason.indexOf(' ');
  const code = space < 0 ? reason : reason.slice(0, space);
  if (Object.hasOwn(ERROR_CODES, code)) return new GatewayError(code as ErrorCode, reason.slice(space + 1));
  return new GatewayError('GW_ERR_MODEM_SEND_FAILED', reason);
}
