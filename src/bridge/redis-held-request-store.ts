/**
 * Held requests in Redis: they survive a gateway restart, and a second gateway process on the
 * same Redis takes over the requests a killed one held.
 *
 * Keys (under `prefix`):
 *   order:<endpoint>   list: core Message IDs of the device's requests, arrival order
 *   req:<endpoint>     hash: core Message ID → the serialized request (see {@link serializeHeld})
 *   deadlines          sorted set: `<Message ID>:<endpoint>` → expiresAtMs (for takeExpired)
 *   total              integer: requests held for all devices (the total bound)
 *   inflight           hash: `<Message ID>:<endpoint>` → the serialized request taken for delivery
 *                      and not settled yet (left behind by a process that stopped or died)
 *
 * Every write is one Lua script (`lua/*.lua`, each opening with its KEYS/ARGV contract), loaded
 * once per connection with ioredis `defineCommand` (EVALSHA): two processes or two concurrent
 * requests never exceed a bound, hold a retransmission twice or deliver one request twice.
 *
 * What is stored is everything the separate response to the core needs after a restart: the
 * request's bytes as the core sent them (RFC 7252 §5.3.2: the response carries the request's
 * token; §4.5: the Message ID identifies retransmissions; the type decides CON or NON), the
 * endpoint (its core-facing socket keeps its port across restarts) and the hold's times.
 */
import type { Redis } from 'ioredis';
import { defineLuaScripts, readLuaScripts } from '../shared/lua-scripts.ts';
import { bytesToHex, hexToBytes } from '../shared/hex.ts';
import { decodeCoap, encodeCoap } from '../lwm2m/coap-message.ts';
import type { HeldRequest, HeldRequestLimits, HeldRequestStore, HoldResult } from './held-request-store.ts';

/** Expired requests taken by one run of the expiry script (bounded, so Redis stays responsive). */
const EXPIRED_BATCH = 500;

/** Deadlines read by one ZRANGE while counting what waits (bounded likewise). */
const SCAN_BATCH = 5000;

/** The scripts, read once (the build copies `lua/` next to the compiled module). */
const SCRIPTS = readLuaScripts(import.meta.url, {
  holdRequest: 'holdRequest-5.lua',
  takeNextRequest: 'takeNextRequest-5.lua',
  takeInterruptedRequests: 'takeInterruptedRequests-1.lua',
  takeExpiredRequests: 'takeExpiredRequests-2.lua',
  takeAllRequests: 'takeAllRequests-4.lua',
});

/** The client once {@link SCRIPTS} are defined on it. */
interface ScriptedRedis extends Redis {
  holdRequest(order: string, requests: string, deadlines: string, total: string, inflight: string, endpoint: string, messageId: string, serialized: string, expiresAtMs: string, maxPerDevice: string, maxTotal: string): Promise<[string, ...(string | number)[]]>;
  takeNextRequest(order: string, requests: string, deadlines: string, total: string, inflight: string, endpoint: string, nowMs: string): Promise<string[]>;
  takeInterruptedRequests(inflight: string): Promise<string[]>;
  takeExpiredRequests(deadlines: string, total: string, prefix: string, nowMs: string, limit: string): Promise<string[]>;
  takeAllRequests(order: string, requests: string, deadlines: string, total: string, endpoint: string): Promise<string[]>;
}

/** The stored form of a held request (JSON; `coapHex` is the request's CoAP bytes, RFC 7252 §3). */
interface StoredHeld {
  readonly endpoint: string;
  readonly heldAtMs: number;
  readonly expiresAtMs: number;
  readonly coapHex: string;
}

/** A held request as stored: JSON with the CoAP bytes in hex. {@link parseHeld} reads it back. */
export function serializeHeld(request: HeldRequest): string {
  const stored: StoredHeld = { endpoint: request.endpoint, heldAtMs: request.heldAtMs, expiresAtMs: request.expiresAtMs, coapHex: bytesToHex(encodeCoap(request.message)) };
  return JSON.stringify(stored);
}

/** The request {@link serializeHeld} wrote, or null when `text` is not one (never throws). */
export function parseHeld(text: string): HeldRequest | null {
  try {
    const stored = JSON.parse(text) as Partial<StoredHeld>;
    if (typeof stored.endpoint !== 'string' || typeof stored.heldAtMs !== 'number' || typeof stored.expiresAtMs !== 'number' || typeof stored.coapHex !== 'string') return null;
    const bytes = hexToBytes(stored.coapHex);
    if (bytes === null) return null;
    return { endpoint: stored.endpoint, heldAtMs: stored.heldAtMs, expiresAtMs: stored.expiresAtMs, message: decodeCoap(bytes) };
  } catch {
    return null;
  }
}

/**
 * {@link HeldRequestStore} in Redis (see the file comment for the keys). Contract as the
 * interface's; every method is one atomic script or a read. An entry that cannot be read back
 * (written by hand, say) is removed and counted in {@link unreadable}, never returned. The caller
 * owns the Redis connection.
 */
export class RedisHeldRequestStore implements HeldRequestStore {
  /** Requests may wait from before this process started: see {@link HeldRequestStore.durable}. */
  readonly durable = true;
  /** Stored entries that could not be read back (removed). */
  unreadable = 0;
  private readonly redis: ScriptedRedis;
  private readonly deadlinesKey: string;
  private readonly totalKey: string;
  private readonly inflightKey: string;

  constructor(redis: Redis, private readonly limits: HeldRequestLimits, private readonly prefix = 'smsbridge:held:') {
    defineLuaScripts(redis, SCRIPTS);
    this.redis = redis as ScriptedRedis;
    this.deadlinesKey = `${prefix}deadlines`;
    this.totalKey = `${prefix}total`;
    this.inflightKey = `${prefix}inflight`;
  }

  /** See {@link HeldRequestStore.hold}. */
  async hold(request: HeldRequest): Promise<HoldResult> {
    const reply = await this.redis.holdRequest(
      ...this.deviceKeys(request.endpoint), this.inflightKey, request.endpoint, String(request.message.messageId), serializeHeld(request),
      String(request.expiresAtMs), String(this.limits.maxPerDevice), String(this.limits.maxTotal),
    );
    if (reply[0] === 'duplicate') return { kind: 'duplicate' };
    if (reply[0] === 'held') return { kind: 'held', heldForDevice: Number(reply[1]) };
    const firstMs = reply[2] === '' || reply[2] === undefined ? null : Number(reply[2]);
    return { kind: 'full', scope: reply[1] === 'device' ? 'device' : 'total', retryAfterSec: firstMs === null ? 1 : Math.max(1, Math.ceil((firstMs - request.heldAtMs) / 1000)) };
  }

  /** See {@link HeldRequestStore.takeNext}. */
  async takeNext(endpoint: string, nowMs: number): Promise<{ next: HeldRequest | null; expired: HeldRequest[] }> {
    const [next, ...expired] = await this.redis.takeNextRequest(...this.deviceKeys(endpoint), this.inflightKey, endpoint, String(nowMs));
    return { next: next === undefined || next === '' ? null : this.read([next])[0] ?? null, expired: this.read(expired) };
  }

  /** See {@link HeldRequestStore.takeExpired}. */
  async takeExpired(nowMs: number): Promise<HeldRequest[]> {
    const taken: HeldRequest[] = [];
    for (;;) {
      const batch = await this.redis.takeExpiredRequests(this.deadlinesKey, this.totalKey, this.prefix, String(nowMs), String(EXPIRED_BATCH));
      taken.push(...this.read(batch));
      if (batch.length < EXPIRED_BATCH) return taken;
    }
  }

  /** See {@link HeldRequestStore.takeAll}. */
  async takeAll(endpoint: string): Promise<HeldRequest[]> {
    return this.read(await this.redis.takeAllRequests(...this.deviceKeys(endpoint), endpoint));
  }

  /** See {@link HeldRequestStore.count}. */
  count(endpoint: string): Promise<number> {
    return this.redis.llen(`${this.prefix}order:${endpoint}`);
  }

  /** See {@link HeldRequestStore.settle}. */
  async settle(endpoint: string, messageId: number): Promise<void> {
    await this.redis.hdel(this.inflightKey, `${messageId}:${endpoint}`);
  }

  /** See {@link HeldRequestStore.takeInterrupted}. */
  async takeInterrupted(): Promise<HeldRequest[]> {
    return this.read(await this.redis.takeInterruptedRequests(this.inflightKey));
  }

  /** See {@link HeldRequestStore.waitingByDevice}. */
  async waitingByDevice(): Promise<Map<string, number>> {
    const waiting = new Map<string, number>();
    for (let start = 0; ; start += SCAN_BATCH) {
      const members = await this.redis.zrange(this.deadlinesKey, start, start + SCAN_BATCH - 1);
      for (const member of members) {
        const endpoint = member.slice(member.indexOf(':') + 1);
        waiting.set(endpoint, (waiting.get(endpoint) ?? 0) + 1);
      }
      if (members.length < SCAN_BATCH) return waiting;
    }
  }

  /** See {@link HeldRequestStore.nextExpiryMs}. */
  async nextExpiryMs(): Promise<number | null> {
    const [, score] = await this.redis.zrange(this.deadlinesKey, 0, 0, 'WITHSCORES');
    return score === undefined ? null : Number(score);
  }

  private deviceKeys(endpoint: string): [string, string, string, string] {
    return [`${this.prefix}order:${endpoint}`, `${this.prefix}req:${endpoint}`, this.deadlinesKey, this.totalKey];
  }

  private read(serialized: readonly string[]): HeldRequest[] {
    const requests: HeldRequest[] = [];
    for (const text of serialized) {
      const request = parseHeld(text);
      if (request === null) this.unreadable += 1;
      else requests.push(request);
    }
    return requests;
  }
}
