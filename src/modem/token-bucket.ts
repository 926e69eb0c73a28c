/**
 * A token bucket for send rate limits (SMS per second per modem). Pure arithmetic on a time the
 * caller passes; {@link TokenBucket.delayMs} says how long to wait before taking.
 */

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second (the long-run rate). */
  readonly ratePerSec: number;
  /** Most tokens held (the burst). @defaultValue max(1, ratePerSec) */
  readonly burst?: number;
}

/**
 * Contract: `take(n, nowMs)` always succeeds and may leave the bucket in debt, so a message of
 * more parts than the burst still goes out whole; `delayMs(n, nowMs)` is the wait after which
 * `take(n)` keeps the long-run rate. A rate of 0 or Infinity means "no limit".
 */
export class TokenBucket {
  private tokens: number;
  private updatedAtMs: number;
  private readonly burst: number;

  constructor(private readonly options: TokenBucketOptions, nowMs: number) {
    this.burst = options.burst ?? Math.max(1, options.ratePerSec);
    this.tokens = this.burst;
    this.updatedAtMs = nowMs;
  }

  private get unlimited(): boolean {
    return !(this.options.ratePerSec > 0) || !Number.isFinite(this.options.ratePerSec);
  }

  /** A time before the last one seen adds nothing and does not move the clock back (times may come out of order). */
  private refill(nowMs: number): void {
    if (!(nowMs > this.updatedAtMs)) return;
    const elapsedSec = (nowMs - this.updatedAtMs) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsedSec * this.options.ratePerSec);
    this.updatedAtMs = nowMs;
  }

  /** Milliseconds to wait before `count` tokens may be taken (0 when they may be taken now). */
  delayMs(count: number, nowMs: number): number {
    if (this.unlimited) return 0;
    this.refill(nowMs);
    const needed = Math.min(count, this.burst);
    return this.tokens >= needed ? 0 : Math.ceil(((needed - this.tokens) / this.options.ratePerSec) * 1000);
  }

  /** Takes `count` tokens (the bucket may go into debt). */
  take(count: number, nowMs: number): void {
    if (this.unlimited) return;
    this.refill(nowMs);
    this.tokens -= count;
  }
}
