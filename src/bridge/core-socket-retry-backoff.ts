/**
 * When the core-facing socket pool tries its waiting devices again (core-sockets.ts
 * `retryPending`). One back-off for the whole pool, not one per device: the usual cause, the
 * open-file limit (EMFILE/ENFILE), refuses every device alike, and a per-device schedule would
 * still cost one failed bind per device per period. A pass that binds nothing doubles the wait
 * before the next one (`initialMs`, 2×, 4× … up to `maxMs`). The wait ends at once when a
 * waiting device binds (retries work again), and, once the open-file limit refused a bind, when
 * any bind succeeds or a socket is freed (files are free again). A new device's bind on a new
 * address says nothing about a port another program holds (EADDRINUSE), so it leaves the wait
 * alone: while devices keep registering, waiting devices are still tried only as the wait allows.
 */

/** Bounds of the retry back-off; see the file comment. */
export interface RetryBackoffOptions {
  /** Wait after the first pass that bound nothing. @defaultValue 1000 */
  readonly initialMs?: number;
  /** Longest wait between two passes. @defaultValue 60000 */
  readonly maxMs?: number;
}

/** Default first wait: the gateway's default maintenance interval, so the first retry is as before. */
export const DEFAULT_RETRY_INITIAL_MS = 1000;
/** Default longest wait: a waiting device is tried at least once a minute. */
export const DEFAULT_RETRY_MAX_MS = 60_000;

/**
 * Contract: {@link due} is true when a pass may run at `nowMs` (always, until a pass failed);
 * {@link failed} books a pass that bound nothing and had failures (the wait doubles, at most
 * `maxMs`); {@link reset} ends the wait (the next {@link due} is true); {@link bindRefused},
 * {@link bound} and {@link freed} apply the file comment's rules. Pure: the clock is the caller's.
 */
export class RetryBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  /** Passes in a row that bound nothing. */
  private failedPasses = 0;
  /** No pass before this time (the caller's clock, ms). */
  private notBeforeMs = Number.NEGATIVE_INFINITY;
  /** The open-file limit refused a bind since the wait last ended. */
  private outOfFiles = false;

  constructor(options: RetryBackoffOptions = {}) {
    this.initialMs = Math.max(0, options.initialMs ?? DEFAULT_RETRY_INITIAL_MS);
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? DEFAULT_RETRY_MAX_MS);
  }

  /** The wait booked by the last {@link failed} (0 when none is running). */
  get currentWaitMs(): number {
    return this.failedPasses === 0 ? 0 : Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failedPasses - 1, 52));
  }

  /** See the class contract. */
  due(nowMs: number): boolean {
    return nowMs >= this.notBeforeMs;
  }

  /** See the class contract. */
  failed(nowMs: number): void {
    this.failedPasses += 1;
    this.notBeforeMs = nowMs + this.currentWaitMs;
  }

  /** See the class contract. */
  reset(): void {
    this.failedPasses = 0;
    this.notBeforeMs = Number.NEGATIVE_INFINITY;
    this.outOfFiles = false;
  }

  /** A bind failed; `fileLimit`: refused by the open-file limit (EMFILE/ENFILE). */
  bindRefused(fileLimit: boolean): void {
    if (fileLimit) this.outOfFiles = true;
  }

  /** A bind succeeded; `wasWaiting`: the device was one of the waiting ones. */
  bound(wasWaiting: boolean): void {
    if (wasWaiting || this.outOfFiles) this.reset();
  }

  /** A socket was closed (a file is free). */
  freed(): void {
    if (this.outOfFiles) this.reset();
  }
}
