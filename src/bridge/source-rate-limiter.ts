/**
 * Flood protection of the uplink: a token bucket per source (an MSISDN for SMS, a host address
 * for UDP), so that one number sending many SMS, or one UDP source sending many datagrams, is
 * held to its rate while every other source keeps its own. The buckets are the send-rate
 * {@link TokenBucket} of the modems (one implementation of the concept); here a message that
 * finds no token is not delayed but refused, so an excess never queues in front of anyone.
 */
import { TokenBucket } from '../modem/token-bucket.ts';
import { GatewayError } from '../shared/errors.ts';

/** A rate limit of one source. */
export interface SourceRateLimit {
  /** Messages per second a source may keep sending; 0 for no limit. */
  readonly ratePerSec: number;
  /** Messages a source may send at once after a quiet time (at least 1). */
  readonly burst: number;
}

/**
 * Per-source token buckets. Pure apart from the time the caller passes. Memory: one bucket per
 * source heard since the last {@link sweep}; a sweep forgets every bucket that has filled up again
 * (such a source is indistinguishable from a new one). `admit` sweeps by itself whenever the
 * buckets have doubled since the last sweep (amortised constant time per message), so a flood of
 * spoofed sources cannot grow memory beyond twice the sources still in debt.
 */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private sweepAtSources = 1024;

  /** Throws {@link GatewayError} `GW_ERR_CONFIG` (details.key `name`) for a negative or non-finite rate or a burst under 1. */
  constructor(readonly limit: SourceRateLimit, name = 'rateLimit') {
    if (!(limit.ratePerSec >= 0) || !Number.isFinite(limit.ratePerSec)) {
      throw new GatewayError('GW_ERR_CONFIG', `${name}: the rate must be a number ≥ 0, not ${limit.ratePerSec}`, { key: name });
    }
    if (!Number.isSafeInteger(limit.burst) || limit.burst < 1) {
      throw new GatewayError('GW_ERR_CONFIG', `${name}: the burst must be a whole number ≥ 1, not ${limit.burst}`, { key: name });
    }
  }

  /** Sources holding a bucket now. */
  get trackedSources(): number {
    return this.buckets.size;
  }

  /**
   * True (and one token taken) when `source` may send one more message at `nowMs`; false when
   * its bucket is empty (nothing taken: refused messages do not dig the source deeper). `nowMs`
   * may be the time the message was sent ({@link floodClockMs}), so times may come out of order:
   * an earlier time than one seen before refills nothing (a bucket's clock never goes back).
   */
  admit(source: string, nowMs: number): boolean {
    if (this.limit.ratePerSec === 0) return true;
    let bucket = this.buckets.get(source);
    if (bucket === undefined) {
      if (this.buckets.size >= this.sweepAtSources) {
        this.sweep(nowMs);
        this.sweepAtSources = Math.max(1024, this.buckets.size * 2);
      }
      bucket = new TokenBucket({ ratePerSec: this.limit.ratePerSec, burst: this.limit.burst }, nowMs);
      this.buckets.set(source, bucket);
    }
    if (bucket.delayMs(1, nowMs) > 0) return false;
    bucket.take(1, nowMs);
    return true;
  }

  /** Forgets the buckets that are full again at `nowMs` (housekeeping). */
  sweep(nowMs: number): void {
    for (const [source, bucket] of this.buckets) if (bucket.delayMs(this.limit.burst, nowMs) === 0) this.buckets.delete(source);
  }
}

/** How far a service-centre time stamp may lie ahead of the arrival time and still be believed (SMSC clock skew). */
export const SCTS_MAX_AHEAD_MS = 5 * 60_000;
/** How old a service-centre time stamp may be and still be believed (a backlog of a longer outage counts by arrival). */
export const SCTS_MAX_AGE_MS = 24 * 3_600_000;

/**
 * The time an SMS is counted at by the per-number flood limit: when the device sent it, i.e. the
 * SMSC's time stamp (TP-SCTS, 3GPP TS 23.040 §9.2.3.11; `sentAtMs`, epoch ms), so a backlog the
 * modem or the gateway held during an outage (SMS sent over minutes, read within a second after
 * a restart) is not taken for a flood, while SMS sent close together still are. Falls back to
 * `arrivalMs` when the time stamp is absent (NaN, null), more than {@link SCTS_MAX_AHEAD_MS} in
 * the future of the arrival, or older than {@link SCTS_MAX_AGE_MS}. Pure.
 */
export function floodClockMs(sentAtMs: number | null, arrivalMs: number): number {
  if (sentAtMs === null || !Number.isFinite(sentAtMs)) return arrivalMs;
  if (sentAtMs > arrivalMs + SCTS_MAX_AHEAD_MS || sentAtMs < arrivalMs - SCTS_MAX_AGE_MS) return arrivalMs;
  return sentAtMs;
}

/** Flood limits of the uplink, with units. */
export interface FloodLimits {
  /** SMS (complete messages) per second one originating number may keep sending; 0: no limit. @defaultValue 1 */
  readonly smsPerSecPerMsisdn: number;
  /** SMS one number may send at once. @defaultValue 10 */
  readonly smsBurstPerMsisdn: number;
  /** Datagrams per second one UDP source host (IP address) may keep sending; 0: no limit. @defaultValue 100 */
  readonly udpDatagramsPerSecPerSource: number;
  /** Datagrams one UDP source host may send at once. @defaultValue 200 */
  readonly udpBurstPerSource: number;
}

/** The defaults of {@link FloodLimits}. */
export const FLOOD_LIMIT_DEFAULTS: FloodLimits = Object.freeze({
  smsPerSecPerMsisdn: 1,
  smsBurstPerMsisdn: 10,
  udpDatagramsPerSecPerSource: 100,
  udpBurstPerSource: 200,
});
