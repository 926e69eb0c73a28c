/**
 * Where requests of the core wait while their device cannot be reached (queue mode asleep, no
 * address yet). The gateway keeps them in Redis (redis-held-request-store.ts: they survive a
 * restart and a second process takes them over); {@link MemoryHeldRequestStore} keeps them in
 * process memory, for units that need no Redis.
 *
 * Identity: the core's retransmissions of a request carry its Message ID and come from the same
 * core address to the device's own socket (RFC 7252 §4.5), so (endpoint, core Message ID) is one
 * request, held once.
 */
import type { CoapMessage } from '../lwm2m/coap-message.ts';

/** A request of the core, acknowledged with an empty ACK and waiting for its device. */
export interface HeldRequest {
  readonly endpoint: string;
  /** The request as the core sent it (its Message ID identifies retransmissions). */
  readonly message: CoapMessage;
  readonly heldAtMs: number;
  /** After this instant the request is never delivered; the core gets 5.04. */
  readonly expiresAtMs: number;
}

/** What {@link HeldRequestStore.hold} did. */
export type HoldResult =
  /** Stored; `heldForDevice` requests of the device wait now, this one included. */
  | { readonly kind: 'held'; readonly heldForDevice: number }
  /** The same request (endpoint, Message ID) waits already: a retransmission. */
  | { readonly kind: 'duplicate' }
  /** Not stored: the device's or the gateway's bound is reached; room frees in `retryAfterSec` at the latest. */
  | { readonly kind: 'full'; readonly scope: 'device' | 'total'; readonly retryAfterSec: number };

/** Bounds of a store. */
export interface HeldRequestLimits {
  /** Most requests waiting for one device. */
  readonly maxPerDevice: number;
  /** Most requests waiting for all devices together. */
  readonly maxTotal: number;
}

/**
 * Contract (every method atomic on its own; order per device is arrival order):
 * - `hold` stores a request unless the same (endpoint, Message ID) waits or is in flight, or a
 *   bound is reached;
 * - `takeNext` removes and returns the oldest request of a device that has not expired at
 *   `nowMs`, and removes and returns the expired ones it passed (never to be delivered); the
 *   one returned stays "in flight" until `settle` (its device answered, or the core was answered);
 * - `takeInterrupted` removes and returns every request in flight and never settled: the
 *   process delivering it stopped or died (read at start-up; the outcome is unknown);
 * - `takeExpired` removes and returns every request expired at `nowMs`;
 * - `takeAll` removes and returns every request of a device;
 * - `count` is the number waiting for a device;
 * - `waitingByDevice` is the number waiting per device, every device with one or more (read at
 *   start-up, so a restarted gateway knows which devices have requests waiting);
 * - `nextExpiryMs` is the earliest deadline of any waiting request, null when none waits.
 */
export interface HeldRequestStore {
  hold(request: HeldRequest): Promise<HoldResult>;
  takeNext(endpoint: string, nowMs: number): Promise<{ readonly next: HeldRequest | null; readonly expired: readonly HeldRequest[] }>;
  takeExpired(nowMs: number): Promise<HeldRequest[]>;
  takeAll(endpoint: string): Promise<HeldRequest[]>;
  count(endpoint: string): Promise<number>;
  settle(endpoint: string, messageId: number): Promise<void>;
  takeInterrupted(): Promise<HeldRequest[]>;
  waitingByDevice(): Promise<Map<string, number>>;
  /** True when requests may wait from before this process started (its holder must `resume` first). */
  readonly durable: boolean;
  nextExpiryMs(): Promise<number | null>;
}

/** {@link HeldRequestStore} in process memory (lost on restart). Per-device lists are removed when empty. */
export class MemoryHeldRequestStore implements HeldRequestStore {
  /** Nothing waits from before this process. */
  readonly durable: boolean = false;
  private readonly byDevice = new Map<string, HeldRequest[]>();
  /** Requests taken for delivery and not settled, by `<Message ID>:<endpoint>`. */
  private readonly inFlight = new Map<string, HeldRequest>();
  private total = 0;

  constructor(private readonly limits: HeldRequestLimits) {}

  /** See the class contract. */
  hold(request: HeldRequest): Promise<HoldResult> {
    const list = this.byDevice.get(request.endpoint) ?? [];
    const waits = list.some((held) => held.message.messageId === request.message.messageId);
    if (waits || this.inFlight.has(`${request.message.messageId}:${request.endpoint}`)) return Promise.resolve({ kind: 'duplicate' });
    if (list.length >= this.limits.maxPerDevice) return Promise.resolve({ kind: 'full', scope: 'device', retryAfterSec: retryAfterSec(list, request.heldAtMs) });
    if (this.total >= this.limits.maxTotal) {
      return Promise.resolve({ kind: 'full', scope: 'total', retryAfterSec: retryAfterSec([...this.byDevice.values()].flat(), request.heldAtMs) });
    }
    list.push(request);
    this.byDevice.set(request.endpoint, list);
    this.total += 1;
    return Promise.resolve({ kind: 'held', heldForDevice: list.length });
  }

  /** See the class contract. */
  takeNext(endpoint: string, nowMs: number): Promise<{ next: HeldRequest | null; expired: HeldRequest[] }> {
    const list = this.byDevice.get(endpoint) ?? [];
    const expired: HeldRequest[] = [];
    let next: HeldRequest | null = null;
    while (list.length > 0 && next === null) {
      const first = list.shift()!;
      this.total -= 1;
      if (first.expiresAtMs <= nowMs) expired.push(first);
      else next = first;
    }
    if (list.length === 0) this.byDevice.delete(endpoint);
    if (next !== null) this.inFlight.set(`${next.message.messageId}:${endpoint}`, next);
    return Promise.resolve({ next, expired });
  }

  /** See the class contract. */
  takeExpired(nowMs: number): Promise<HeldRequest[]> {
    const expired: HeldRequest[] = [];
    for (const [endpoint, list] of this.byDevice) {
      const alive = list.filter((held) => held.expiresAtMs > nowMs);
      if (alive.length === list.length) continue;
      expired.push(...list.filter((held) => held.expiresAtMs <= nowMs));
      this.total -= list.length - alive.length;
      if (alive.length === 0) this.byDevice.delete(endpoint);
      else this.byDevice.set(endpoint, alive);
    }
    return Promise.resolve(expired);
  }

  /** See the class contract. */
  takeAll(endpoint: string): Promise<HeldRequest[]> {
    const list = this.byDevice.get(endpoint) ?? [];
    this.byDevice.delete(endpoint);
    this.total -= list.length;
    return Promise.resolve(list);
  }

  /** See the class contract. */
  count(endpoint: string): Promise<number> {
    return Promise.resolve(this.byDevice.get(endpoint)?.length ?? 0);
  }

  /** See the class contract. */
  settle(endpoint: string, messageId: number): Promise<void> {
    this.inFlight.delete(`${messageId}:${endpoint}`);
    return Promise.resolve();
  }

  /** See the class contract. */
  takeInterrupted(): Promise<HeldRequest[]> {
    const interrupted = [...this.inFlight.values()];
    this.inFlight.clear();
    return Promise.resolve(interrupted);
  }

  /** See the class contract. */
  waitingByDevice(): Promise<Map<string, number>> {
    return Promise.resolve(new Map([...this.byDevice].map(([endpoint, list]) => [endpoint, list.length])));
  }

  /** See the class contract. */
  nextExpiryMs(): Promise<number | null> {
    const firstMs = [...this.byDevice.values()].flat().reduce((min, h) => Math.min(min, h.expiresAtMs), Number.POSITIVE_INFINITY);
    return Promise.resolve(Number.isFinite(firstMs) ? firstMs : null);
  }
}

/** Seconds until the first of `held` expires (room frees then at the latest), at least 1. */
function retryAfterSec(held: readonly HeldRequest[], nowMs: number): number {
  const firstExpiryMs = held.reduce((min, h) => Math.min(min, h.expiresAtMs), Number.POSITIVE_INFINITY);
  return Number.isFinite(firstExpiryMs) ? Math.max(1, Math.ceil((firstExpiryMs - nowMs) / 1000)) : 1;
}
