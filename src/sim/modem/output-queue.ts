/**
 * The byte path from the AT engine to the host, with the response-delay fault: every chunk is
 * written `delayMs` after it was produced, in production order, whole (so a URC can never land
 * inside another line). While hung, chunks are dropped.
 */
import type { SimScheduler } from './scheduler.ts';

interface Pending {
  readonly chunk: string;
  readonly dueMs: number;
}

/** Ordered, optionally delayed output. */
export class OutputQueue {
  readonly #write: (chunk: string) => void;
  readonly #scheduler: SimScheduler;
  readonly #pending: Pending[] = [];
  #cancel: (() => void) | null = null;
  /** Fault: every chunk waits this long. */
  delayMs = 0;
  /** Fault: chunks are dropped (the modem hangs). */
  hung = false;

  /** @param write receives each chunk as a latin1 string (one character per byte). */
  constructor(write: (chunk: string) => void, scheduler: SimScheduler) {
    this.#write = write;
    this.#scheduler = scheduler;
  }

  /** Queues `chunk`; written at once when no delay applies and nothing waits before it. */
  push(chunk: string): void {
    if (this.hung || chunk.length === 0) return;
    if (this.delayMs <= 0 && this.#pending.length === 0) {
      this.#write(chunk);
      return;
    }
    this.#pending.push({ chunk, dueMs: this.#scheduler.nowMs() + Math.max(0, this.delayMs) });
    if (this.#cancel === null) this.#arm();
  }

  /** Drops everything still waiting and its timer. */
  dispose(): void {
    this.#cancel?.();
    this.#cancel = null;
    this.#pending.length = 0;
  }

  #arm(): void {
    const head = this.#pending[0];
    if (head === undefined) return;
    this.#cancel = this.#scheduler.setTimer(Math.max(0, head.dueMs - this.#scheduler.nowMs()), () => {
      this.#cancel = null;
      const now = this.#scheduler.nowMs();
      while (this.#pending.length > 0 && (this.#pending[0]?.dueMs ?? 0) <= now) {
        const next = this.#pending.shift();
        if (next !== undefined && !this.hung) this.#write(next.chunk);
      }
      this.#arm();
    });
  }
}
