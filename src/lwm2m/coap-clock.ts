/**
 * The clock of the CoAP message layer: the time now and one-shot timers, injected so that the
 * retransmission schedule and the de-duplication lifetime run on a fake clock in unit tests and
 * on the system clock in the gateway and the simulators.
 */

/** A timer started by {@link CoapClock.setTimer}. */
export interface CoapTimer {
  /** Stops the timer; no effect once it fired or was cancelled. */
  cancel(): void;
}

/** Time source and one-shot timers. Implementations keep no module-level state. */
export interface CoapClock {
  /** Milliseconds on a monotonic-enough scale (only differences are used). */
  nowMs(): number;
  /** Calls `fire` once after `delayMs` unless cancelled first. */
  setTimer(delayMs: number, fire: () => void): CoapTimer;
}

/**
 * The system clock: `Date.now()` and node timers that do not keep the process alive (a pending
 * retransmission never delays a clean exit).
 */
export const systemCoapClock: CoapClock = Object.freeze({
  nowMs: () => Date.now(),
  setTimer(delayMs: number, fire: () => void): CoapTimer {
    const timer = setTimeout(fire, delayMs);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
});
