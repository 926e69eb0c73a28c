/**
 * The clock and timers of the simulated modem, injected so that the AT engine stays pure: unit
 * tests drive it with a manual scheduler, {@link SimModem} with {@link systemScheduler}.
 */

/** Time source and one-shot timers. */
export interface SimScheduler {
  /** Milliseconds since the epoch (or any monotonic origin in tests). */
  nowMs(): number;
  /**
   * Runs `callback` once after `delayMs` milliseconds (0 = on a later turn, never synchronously).
   * @returns a function that cancels the timer; calling it after the timer fired does nothing.
   */
  setTimer(delayMs: number, callback: () => void): () => void;
}

/**
 * The real clock: `Date.now()` and `setTimeout`. Timers are `unref`ed so that a forgotten modem
 * never keeps the process alive; {@link SimModem.stop} cancels them all anyway.
 */
export function systemScheduler(): SimScheduler {
  return {
    nowMs: () => Date.now(),
    setTimer(delayMs, callback) {
      const handle = setTimeout(callback, Math.max(0, delayMs));
      handle.unref();
      return () => clearTimeout(handle);
    },
  };
}
