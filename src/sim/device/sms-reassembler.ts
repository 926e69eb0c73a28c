/**
 * Reassembly of concatenated SMS on the receiving handset (3GPP TS 23.040 §9.2.3.24.1 and
 * §9.2.3.24.8: parts of one message share originator, reference number and part count). In
 * memory; time comes from an injected clock, so the logic runs without timers.
 */
import type { Concatenation } from '../../sms/index.ts';

/** Options of {@link SmsReassembler}. */
export interface SmsReassemblerOptions {
  /**
   * A message whose first part arrived longer ago than this is dropped, incomplete. TS 23.040
   * sets no limit; a simulated network retries refused parts every few seconds.
   * @defaultValue 120000
   */
  readonly maxAgeMs?: number;
  /** Incomplete messages kept at most; beyond it the oldest is dropped. @defaultValue 32 */
  readonly maxPendingMessages?: number;
  /** Milliseconds since some epoch. @defaultValue Date.now */
  readonly now?: () => number;
}

/** Counters of one {@link SmsReassembler}. */
export interface SmsReassemblerStats {
  /** Complete messages returned (single-part ones included). */
  completed: number;
  /** Parts whose sequence number had already arrived (the first copy is kept). */
  duplicateParts: number;
  /** Incomplete messages dropped for age or for room. */
  discarded: number;
}

interface Pending {
  readonly firstPartAtMs: number;
  readonly parts: Map<number, Uint8Array>;
  readonly total: number;
}

/**
 * Collects the parts of concatenated SMS and returns each message once all its parts are there,
 * in sequence order, whatever order they came in. Messages are keyed by (originator, reference
 * with its width, total), so the same reference from two senders or with another part count
 * never mixes.
 */
export class SmsReassembler {
  /** Counters since construction. */
  readonly stats: SmsReassemblerStats = { completed: 0, duplicateParts: 0, discarded: 0 };
  readonly #pending = new Map<string, Pending>();
  readonly #maxAgeMs: number;
  readonly #maxPending: number;
  readonly #now: () => number;

  constructor(options: SmsReassemblerOptions = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? 120_000;
    this.#maxPending = options.maxPendingMessages ?? 32;
    this.#now = options.now ?? Date.now;
  }

  /** Incomplete messages held now. */
  get pendingMessages(): number {
    return this.#pending.size;
  }

  /**
   * Adds one received part: the user data (header removed) and the concatenation element of its
   * header, or null for a single SMS. Returns the whole message when this part completes it (a
   * single SMS at once), else null.
   */
  add(originator: string, concatenation: Concatenation | null, data: Uint8Array): Uint8Array | null {
    this.#expire();
    if (concatenation === null || concatenation.total <= 1) {
      this.stats.completed++;
      return data.slice();
    }
    const key = `${originator}|${concatenation.referenceBits}:${concatenation.reference}|${concatenation.total}`;
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = { firstPartAtMs: this.#now(), parts: new Map(), total: concatenation.total };
      this.#pending.set(key, pending);
      this.#evictOverflow();
    }
    if (pending.parts.has(concatenation.sequence)) {
      this.stats.duplicateParts++;
      return null;
    }
    pending.parts.set(concatenation.sequence, data.slice());
    if (pending.parts.size < pending.total) return null;
    this.#pending.delete(key);
    this.stats.completed++;
    const ordered: Uint8Array[] = [];
    for (let sequence = 1; sequence <= pending.total; sequence++) ordered.push(pending.parts.get(sequence) ?? new Uint8Array(0));
    return new Uint8Array(Buffer.concat(ordered));
  }

  /** Drops every incomplete message. */
  clear(): void {
    this.stats.discarded += this.#pending.size;
    this.#pending.clear();
  }

  #expire(): void {
    const now = this.#now();
    for (const [key, pending] of this.#pending) {
      if (now - pending.firstPartAtMs > this.#maxAgeMs) {
        this.#pending.delete(key);
        this.stats.discarded++;
      }
    }
  }

  #evictOverflow(): void {
    // A Map iterates in insertion order: the first key is the oldest message.
    while (this.#pending.size > this.#maxPending) {
      const oldest = this.#pending.keys().next().value;
      if (oldest === undefined) break;
      this.#pending.delete(oldest);
      this.stats.discarded++;
    }
  }
}
