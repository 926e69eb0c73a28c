/**
 * Feeds complete SMS from the inbox stream (src/inbox) to the relay, through a Redis consumer
 * group: a message is acknowledged (XACK) only after the relay handled it, so a gateway that
 * dies in between handles it again after its restart, and so does a gateway whose Redis
 * connection dropped (its pending entries are read again when the connection is back). Numbers outside the sender policy are
 * never relayed (counted, and emitted for the log); neither is the excess of a number sending
 * faster than its flood limit ('rate-limited': the message was persisted and is acknowledged, the
 * drop is a policy decision, counted and emitted; the next message is read at once, so a flooding
 * number never delays the others). The flood limit counts an SMS at its service-centre time stamp
 * (when the device sent it; source-rate-limiter.ts `floodClockMs`), so the backlog of an outage,
 * read all at once after a restart, is relayed.
 *
 * Exactly once towards the core across a crash: before an entry's message leaves for the core,
 * the Message ID it got is stored under `<streamKey>:core-mid:<entry id>` (deleted with the
 * XACK, in one MULTI). An entry read again after a crash is sent with the same ID, which the core
 * takes as a retransmission and de-duplicates (RFC 7252 §4.5) within EXCHANGE_LIFETIME (247 s,
 * §4.8.2); a gateway down for longer than that can no longer be told apart by the core.
 */
import type { Redis } from 'ioredis';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import type { InboundMessage } from '../inbox/inbound-message.ts';
import type { Relay } from './relay.ts';
import type { UplinkIdPin } from './relay-types.ts';
import type { SenderPolicy } from './sender-policy.ts';
import { floodClockMs, type SourceRateLimiter } from './source-rate-limiter.ts';

/** Events of {@link InboxRelay}. */
export type InboxRelayEvents = {
  'unknown-sender': [originator: string];
  /** An SMS of a number over its flood limit was acknowledged in the inbox and not relayed. */
  'rate-limited': [originator: string];
  /** A read or acknowledgement failed; the loop goes on after a pause. Must have a listener. */
  error: [Error];
  /** The stream or its consumer group vanished (deleted, Redis restarted empty) and the group was created again. */
  'group-recreated': [streamKey: string];
};

/** Options of {@link InboxRelay}. */
export interface InboxRelayOptions {
  readonly streamKey: string;
  /** @defaultValue 'relay' */
  readonly group?: string;
  /** @defaultValue 'gateway' */
  readonly consumer?: string;
  /** Longest wait of one XREADGROUP. @defaultValue 1000 */
  readonly blockMs?: number;
  /** Flood limit per originating number (MSISDN), checked after the sender policy. @defaultValue none */
  readonly rateLimiter?: SourceRateLimiter;
  readonly now?: () => number;
}

/** A stored core-facing Message ID outlives a lost XACK+DEL by at most this long (a safety net; normally deleted with the XACK). */
const CORE_MID_TTL_SEC = 86_400;

/** The consumer loop. `start()` runs it in the background; `stop()` ends it. */
export class InboxRelay extends TypedEmitter<InboxRelayEvents> {
  unknownSenders = 0;
  /** Messages not relayed because their number exceeded its flood limit. */
  rateLimited = 0;
  relayed = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  /** Set when the connection came back: entries delivered to this consumer may be pending unseen. */
  private rereadPending = false;
  private readonly onReady = (): void => {
    this.rereadPending = true;
  };
  private readonly group: string;
  private readonly consumer: string;

  /** `redis` must be a connection of its own: XREADGROUP BLOCK holds it. */
  constructor(private readonly redis: Redis, private readonly relay: Relay, private readonly policy: SenderPolicy, private readonly options: InboxRelayOptions) {
    super();
    this.group = options.group ?? 'relay';
    this.consumer = options.consumer ?? 'gateway';
  }

  /** Creates the group if needed and starts consuming (first what this consumer left pending). */
  async start(): Promise<void> {
    await this.createGroup();
    this.running = true;
    this.redis.on('ready', this.onReady);
    this.loop = this.run();
  }

  /** Stops after the current read. */
  async stop(): Promise<void> {
    this.running = false;
    this.redis.off('ready', this.onReady);
    await this.loop;
  }

  private async run(): Promise<void> {
    let cursor = '0'; // pending entries of this consumer first (a crash left them unacknowledged)
    while (this.running) {
      // Redis went away and came back: a read in flight may have been served (the entries are now
      // pending for this consumer) while its reply was lost, and ioredis sent the command again,
      // which reads only new entries. So this consumer's pending entries are read again first.
      if (this.rereadPending) {
        this.rereadPending = false;
        cursor = '0';
      }
      try {
        const reply = (await this.redis.xreadgroup(
          'GROUP', this.group, this.consumer, 'COUNT', 50, 'BLOCK', this.options.blockMs ?? 1000, 'STREAMS', this.options.streamKey, cursor,
        )) as [string, [string, string[]][]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (cursor === '0' && entries.length === 0) cursor = '>';
        const stored = entries.length === 0 ? [] : await this.redis.mget(entries.map(([id]) => this.coreMidKey(id)));
        for (const [index, [id, fields]] of entries.entries()) {
          await this.handle(JSON.parse(fields[1] ?? '{}') as InboundMessage, this.pinOf(id, stored[index] ?? null));
          await this.redis.multi().xack(this.options.streamKey, this.group, id).del(this.coreMidKey(id)).exec();
        }
      } catch (error) {
        if (!this.running) break;
        cursor = '0'; // what was read and not acknowledged is read again (with its stored Message ID)
        if (String(error).includes('NOGROUP') && (await this.recreateGroup())) {
          cursor = '0';
          continue;
        }
        this.emit('error', error as Error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Creates the group reading from the stream's start (creating the stream); an existing group is kept. */
  private async createGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.options.streamKey, this.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
  }

  /**
   * The stream or group is gone (deleted by hand, Redis restarted without persistence): create it
   * again from the stream's start, so messages added since are all read. False when that failed.
   */
  private async recreateGroup(): Promise<boolean> {
    try {
      await this.createGroup();
      this.emit('group-recreated', this.options.streamKey);
      return true;
    } catch {
      return false;
    }
  }

  private coreMidKey(entryId: string): string {
    return `${this.options.streamKey}:core-mid:${entryId}`;
  }

  /** The pin of entry `entryId`: the ID an attempt before a crash stored (`stored`), or where the first attempt stores one. */
  private pinOf(entryId: string, stored: string | null): UplinkIdPin {
    const parsed = stored === null ? NaN : Number(stored);
    return {
      messageId: Number.isInteger(parsed) && parsed >= 0 && parsed <= 0xffff ? parsed : null,
      keep: async (messageId) => void (await this.redis.set(this.coreMidKey(entryId), String(messageId), 'EX', CORE_MID_TTL_SEC)),
    };
  }

  private async handle(message: InboundMessage, pin: UplinkIdPin): Promise<void> {
    const msisdn = message.originator.replace(/\D/g, '');
    if (!this.policy.allows(msisdn)) {
      this.unknownSenders += 1;
      this.emit('unknown-sender', message.originator);
      return;
    }
    const limiter = this.options.rateLimiter;
    if (limiter !== undefined) {
      // Counted by when the device sent it (TP-SCTS), not when it reached us: a backlog after an outage is no flood.
      const atMs = floodClockMs(Date.parse(message.timestampIso), (this.options.now ?? Date.now)());
      if (!limiter.admit(msisdn, atMs)) {
        this.rateLimited += 1;
        this.emit('rate-limited', message.originator);
        return;
      }
    }
    await this.relay.fromSms(msisdn, Uint8Array.from(Buffer.from(message.dataHex, 'hex')), message.modems[0], pin);
    this.relayed += 1;
  }
}
