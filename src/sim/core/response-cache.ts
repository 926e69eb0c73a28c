/**
 * Message deduplication (RFC 7252 §4.5): the reply the lab core sent to each Confirmable or
 * Non-confirmable message, kept by (Message ID, source address and port) for EXCHANGE_LIFETIME,
 * so that a duplicate is answered with the same bytes and not processed twice. Californium keys
 * its deduplicator the same way (`KeyMID`: MID plus peer address); the gateway relies on it,
 * since it gives each SMS device its own UDP source port.
 */

/** One cached reply. */
interface CachedReply {
  /** Bytes sent in reply, or null when the message was processed without a reply (a NON response). */
  readonly reply: Uint8Array | null;
  readonly expiresAtMs: number;
}

/**
 * Replies by (message ID, address, port), each forgotten `lifetimeMs` after it was stored.
 * Expired entries are dropped lazily on {@link remember}; no timers.
 */
export class ResponseCache {
  /** Insertion order is expiry order, since every entry lives `lifetimeMs`. */
  private readonly entries = new Map<string, CachedReply>();

  /** `lifetimeMs`: how long a Message ID stays a duplicate (EXCHANGE_LIFETIME, RFC 7252 §4.8.2). */
  constructor(private readonly lifetimeMs: number) {}

  /** Entries currently held (expired ones may linger until the next {@link remember}). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached reply to message `messageId` from `address`:`port` when it is a duplicate:
   * `{ reply }` (bytes, or null for "processed, nothing was sent"); undefined when the message
   * is new or its entry expired.
   */
  lookup(address: string, port: number, messageId: number, nowMs: number): { reply: Uint8Array | null } | undefined {
    const entry = this.entries.get(key(address, port, messageId));
    if (entry === undefined || entry.expiresAtMs <= nowMs) return undefined;
    return { reply: entry.reply };
  }

  /** Stores the reply to message `messageId` from `address`:`port` (replacing an older entry). */
  remember(address: string, port: number, messageId: number, reply: Uint8Array | null, nowMs: number): void {
    for (const [k, entry] of this.entries) {
      if (entry.expiresAtMs > nowMs) break;
      this.entries.delete(k);
    }
    const k = key(address, port, messageId);
    this.entries.delete(k); // re-insert at the end to keep expiry order
    this.entries.set(k, { reply, expiresAtMs: nowMs + this.lifetimeMs });
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }
}

function key(address: string, port: number, messageId: number): string {
  return `${address}|${port}|${messageId}`;
}
