/**
 * Message de-duplication (RFC 7252 §4.5): what a node did with each Confirmable or
 * Non-confirmable message it received, kept by (peer, Message ID) for a lifetime, so that a
 * duplicate gets the same reply and is not processed twice. The lifetime is EXCHANGE_LIFETIME
 * (§4.8.2: a Message ID is not reused by its sender within it), as in Californium's sweep
 * deduplicator keyed by `KeyMID` (Message ID plus peer address).
 *
 * Expired entries are dropped lazily (on {@link MessageDeduplicator.remember} and
 * {@link MessageDeduplicator.prune}); no timers, time from an injected {@link CoapClock}.
 */
import type { CoapClock } from './coap-clock.ts';

interface Entry<T> {
  readonly value: T;
  readonly expiresAtMs: number;
}

/**
 * A de-duplication table: `T` is what is replayed to a duplicate (the reply bytes, or null for
 * "processed, nothing sent"). `peerKey` identifies the source (e.g. `address|port`, `sms:+49…`).
 */
export class MessageDeduplicator<T> {
  /** Insertion order is expiry order: every entry lives `lifetimeMs`. */
  readonly #entries = new Map<string, Entry<T>>();

  /** `lifetimeMs`: how long a Message ID stays a duplicate (EXCHANGE_LIFETIME, RFC 7252 §4.8.2). */
  constructor(private readonly clock: CoapClock, private readonly lifetimeMs: number) {}

  /** Entries held (expired ones linger until the next {@link remember} or {@link prune}). */
  get size(): number {
    return this.#entries.size;
  }

  /** `{ value }` when message `messageId` from `peerKey` was seen within the lifetime; else undefined. */
  lookup(peerKey: string, messageId: number): { value: T } | undefined {
    const entry = this.#entries.get(key(peerKey, messageId));
    if (entry === undefined || entry.expiresAtMs <= this.clock.nowMs()) return undefined;
    return { value: entry.value };
  }

  /** Records what was done with message `messageId` from `peerKey` (replacing an older record). */
  remember(peerKey: string, messageId: number, value: T): void {
    this.prune();
    const k = key(peerKey, messageId);
    this.#entries.delete(k); // re-insert at the end to keep expiry order
    this.#entries.set(k, { value, expiresAtMs: this.clock.nowMs() + this.lifetimeMs });
  }

  /** Drops the expired entries. */
  prune(): void {
    const nowMs = this.clock.nowMs();
    for (const [k, entry] of this.#entries) {
      if (entry.expiresAtMs > nowMs) break;
      this.#entries.delete(k);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
  }
}

function key(peerKey: string, messageId: number): string {
  return `${peerKey}#${messageId}`;
}
