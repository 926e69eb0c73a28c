/**
 * A fake {@link CoapClock} for pure unit tests of the CoAP message layer: time moves only when
 * the test calls {@link FakeCoapClock.advance}, and timers fire in due order.
 */
import type { CoapClock, CoapTimer } from '../../src/lwm2m/coap-clock.ts';

interface Pending {
  readonly dueMs: number;
  readonly seq: number;
  readonly fire: () => void;
}

/** Manual time; `pending` counts live timers (to check nothing is left behind). */
export class FakeCoapClock implements CoapClock {
  #nowMs = 0;
  #seq = 0;
  readonly #timers = new Set<Pending>();

  nowMs(): number {
    return this.#nowMs;
  }

  setTimer(delayMs: number, fire: () => void): CoapTimer {
    const timer: Pending = { dueMs: this.#nowMs + delayMs, seq: this.#seq++, fire };
    this.#timers.add(timer);
    return { cancel: () => this.#timers.delete(timer) };
  }

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing each due timer at its own time, earliest first. */
  advance(ms: number): void {
    const endMs = this.#nowMs + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const t of this.#timers) if (t.dueMs <= endMs && (next === undefined || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.seq < next.seq))) next = t;
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#nowMs = next.dueMs;
      next.fire();
    }
    this.#nowMs = endMs;
  }
}
