/**
 * The inbox: where every received SMS is persisted before the modem deletes it, de-duplicated,
 * reassembled when concatenated, and published as one message on a Redis stream. All state is
 * in Redis, so a gateway restart loses nothing and completes what was half done.
 *
 * Keys (under `prefix`):
 *   seen:<key>        de-duplication marker of one PDU (TTL `dedupeTtlSec`)
 *   parts:<set>       hash sequence → stored part (JSON), one per concatenated set in flight
 *   deadlines         sorted set: parts key → time (ms) when an incomplete set is given up
 *   messages          stream of complete messages (field `message`, JSON {@link InboundMessage})
 *   incomplete        stream of sets given up after the timeout (field `parts`, JSON)
 *   malformed         list of PDUs that could not be decoded (JSON), kept for people to look at
 */
import type { Redis } from 'ioredis';
import { decodePdu, type SmsDeliver, type SmsPdu } from '../sms/index.ts';
import { ScriptBatcher, type ScriptBatcherStats } from './script-batcher.ts';
import { assemble, concatenationSetKey, dedupeKey, type InboundMessage, type StoredPart } from './inbound-message.ts';

/** Options of {@link RedisInbox}. */
export interface RedisInboxOptions {
  /** Key prefix. @defaultValue 'smsbridge:inbox:' */
  readonly prefix?: string;
  /** How long a received PDU is remembered for de-duplication. @defaultValue 604800 (7 days) */
  readonly dedupeTtlSec?: number;
  /** How long parts of a concatenated set wait for the rest (Kannel 1800 s, gammu 600 s). @defaultValue 1800 */
  readonly reassemblyTimeoutSec?: number;
  /** Longest stream kept (approximate trim). @defaultValue 100000 */
  readonly maxStreamLength?: number;
}

/**
 * What the inbox did with a PDU handed to it. `'type0'`: a Short Message Type 0 (TP-PID 0x40),
 * acknowledged and discarded (TS 23.040 §9.2.3.9), see {@link RedisInbox.accept}.
 */
export type AcceptOutcome = 'message' | 'part' | 'duplicate' | 'malformed' | 'ignored' | 'type0';

/**
 * TP-PID of a Short Message Type 0 (TS 23.040 §9.2.3.9: bits 7..6 = 01, bits 5..0 = 000000).
 * "A short message type 0 indicates that the ME must acknowledge receipt of the short message
 * but shall discard its contents."
 */
export const TP_PID_SHORT_MESSAGE_TYPE_0 = 0x40;

/** What {@link RedisInbox.accept} is handed (a received PDU, see the modem driver). */
export interface InboxPdu {
  readonly modem: string;
  readonly pduHex: string;
  /** `pduHex` decoded, when the caller already did it (the modem driver does): not decoded again. */
  readonly decoded?: SmsPdu;
  readonly receivedAtMs: number;
}

/**
 * Single SMS: marks it seen and publishes it, or reports a duplicate. Atomic, so a crash leaves
 * either both or neither.
 * KEYS[1] seen key, KEYS[2] messages stream. ARGV[1] TTL s, ARGV[2] message JSON, ARGV[3] max length.
 * Returns 1 published, 0 duplicate.
 */
const ACCEPT_SINGLE = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'message', ARGV[2])
return 1`;

/**
 * One part: marks it seen and stores it in its set, registering the set's deadline.
 * KEYS[1] seen key, KEYS[2] parts key, KEYS[3] deadlines. ARGV[1] TTL s, ARGV[2] sequence,
 * ARGV[3] part JSON, ARGV[4] deadline ms. Returns the number of parts now stored, -1 duplicate.
 */
const ACCEPT_PART = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then return -1 end
redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], KEYS[2])
return redis.call('HLEN', KEYS[2])`;

/**
 * Publishes an assembled set once: only the caller that still finds the parts key does it.
 * KEYS[1] parts key, KEYS[2] deadlines, KEYS[3] stream. ARGV[1] message JSON, ARGV[2] max length.
 * Returns 1 published, 0 already done by someone else.
 */
const COMPLETE_SET = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'message', ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
return 1`;

/** Moves an expired incomplete set to the `incomplete` stream. Same keys as COMPLETE_SET. */
const EXPIRE_SET = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], KEYS[1]) return 0 end
local parts = redis.call('HGETALL', KEYS[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 'set', KEYS[1], 'parts', cjson.encode(parts))
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
return 1`;

/**
 * Persistence of received SMS in Redis. Contract: when {@link RedisInbox.accept} resolves, the
 * PDU is durable (as durable as the Redis server's persistence settings make it) and the modem
 * may delete or acknowledge it; a PDU accepted twice reaches the `messages` stream once; a
 * concatenated message reaches it once, complete, whichever order and modems its parts came
 * through. Accepts made while another is in flight share one pipelined round trip, each still
 * resolving only once its own script ran. The caller owns the Redis connection.
 */
export class RedisInbox {
  private readonly prefix: string;
  private readonly dedupeTtlSec: number;
  private readonly reassemblyTimeoutMs: number;
  private readonly maxStreamLength: number;
  /** Accepts of SMS arriving back to back share round trips (see ScriptBatcher). */
  private readonly writes: ScriptBatcher;
  /** Short Messages Type 0 acknowledged and discarded (TS 23.040 §9.2.3.9) since start. */
  type0Discarded = 0;

  constructor(private readonly redis: Redis, options: RedisInboxOptions = {}) {
    this.writes = new ScriptBatcher(redis);
    this.prefix = options.prefix ?? 'smsbridge:inbox:';
    this.dedupeTtlSec = options.dedupeTtlSec ?? 604_800;
    this.reassemblyTimeoutMs = (options.reassemblyTimeoutSec ?? 1800) * 1000;
    this.maxStreamLength = options.maxStreamLength ?? 100_000;
  }

  /** Accept scripts run and the Redis round trips they took (fewer when SMS arrive back to back). */
  get writeStats(): ScriptBatcherStats {
    return this.writes.stats;
  }

  /** The stream key of complete messages (for consumers). */
  get messagesKey(): string {
    return `${this.prefix}messages`;
  }

  /**
   * Persists one received PDU; see the class contract. Rejects only when Redis fails. A Short
   * Message Type 0 (TP-PID 0x40) resolves `'type0'` at once: the modem acknowledges it (deletes
   * it) and nothing is stored or relayed, as TS 23.040 §9.2.3.9 tells the receiving entity;
   * counted in {@link RedisInbox.type0Discarded}.
   */
  async accept(received: InboxPdu): Promise<AcceptOutcome> {
    let pdu = received.decoded;
    if (pdu === undefined) {
      try {
        pdu = decodePdu(received.pduHex);
      } catch (error) {
        // Nothing is lost: the raw PDU is kept with the reason, then the modem may delete it.
        await this.redis.rpush(`${this.prefix}malformed`, JSON.stringify({ ...received, error: (error as Error).message }));
        return 'malformed';
      }
    }
    if (pdu.type !== 'deliver') return 'ignored';
    if (pdu.protocolId === TP_PID_SHORT_MESSAGE_TYPE_0) {
      this.type0Discarded += 1;
      return 'type0';
    }
    const key = dedupeKey(pdu);
    const setKey = concatenationSetKey(pdu);
    if (setKey === null) {
      const message = assemble(key, [{ pdu, part: { sequence: 1, pduHex: received.pduHex, modem: received.modem, receivedAtMs: received.receivedAtMs } }]);
      const published = await this.writes.run(ACCEPT_SINGLE, [`${this.prefix}seen:${key}`, this.messagesKey], [this.dedupeTtlSec, JSON.stringify(message), this.maxStreamLength]);
      return published === 1 ? 'message' : 'duplicate';
    }
    const concat = pdu.userData.header?.concatenation;
    const part: StoredPart = { sequence: concat?.sequence ?? 1, pduHex: received.pduHex, modem: received.modem, receivedAtMs: received.receivedAtMs };
    const partsKey = `${this.prefix}parts:${setKey}`;
    const stored = await this.writes.run(
      ACCEPT_PART, [`${this.prefix}seen:${key}`, partsKey, `${this.prefix}deadlines`],
      [this.dedupeTtlSec, part.sequence, JSON.stringify(part), received.receivedAtMs + this.reassemblyTimeoutMs],
    );
    if (stored === -1) return 'duplicate';
    if (stored === concat?.total) await this.complete(partsKey);
    return 'part';
  }

  /**
   * Finishes what a crash left half done (complete sets not yet published) and gives up sets
   * whose deadline passed. Call at start and periodically. Resolves with the counts.
   */
  async maintain(nowMs: number): Promise<{ completed: number; expired: number }> {
    let completed = 0;
    let expired = 0;
    const keys = await this.redis.zrange(`${this.prefix}deadlines`, 0, -1, 'WITHSCORES');
    for (let i = 0; i < keys.length; i += 2) {
      const partsKey = keys[i] ?? '';
      const deadline = Number(keys[i + 1]);
      const total = Number(partsKey.split(':').pop());
      if ((await this.redis.hlen(partsKey)) >= total && (await this.complete(partsKey))) completed += 1;
      else if (deadline <= nowMs) {
        expired += Number(await this.redis.eval(EXPIRE_SET, 3, partsKey, `${this.prefix}deadlines`, `${this.prefix}incomplete`, this.maxStreamLength));
      }
    }
    return { completed, expired };
  }

  /** Complete messages published so far, oldest first (after the stream id `afterId`). */
  async messages(afterId = '-', count = 1000): Promise<{ streamId: string; message: InboundMessage }[]> {
    const start = afterId === '-' ? '-' : `(${afterId}`;
    const entries = await this.redis.xrange(this.messagesKey, start, '+', 'COUNT', count);
    return entries.map(([streamId, fields]) => ({ streamId, message: JSON.parse(fields[1] ?? '{}') as InboundMessage }));
  }

  /** PDUs that could not be decoded, for people to look at. */
  async malformed(): Promise<unknown[]> {
    return (await this.redis.lrange(`${this.prefix}malformed`, 0, -1)).map((line) => JSON.parse(line));
  }

  private async complete(partsKey: string): Promise<boolean> {
    const raw = await this.redis.hgetall(partsKey);
    const parts = Object.values(raw).map((json) => {
      const part = JSON.parse(json) as StoredPart;
      return { part, pdu: decodePdu(part.pduHex) as SmsDeliver };
    });
    const first = parts.reduce((a, b) => (a.part.sequence <= b.part.sequence ? a : b));
    const message = assemble(dedupeKey(first.pdu), parts);
    const done = await this.redis.eval(COMPLETE_SET, 3, partsKey, `${this.prefix}deadlines`, this.messagesKey, JSON.stringify(message), this.maxStreamLength);
    return done === 1;
  }
}
