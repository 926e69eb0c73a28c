/**
 * The CoAP message-layer state the relay keeps per device (RFC 7252 §4): message IDs towards the
 * core and exchanges of core requests the gateway acknowledged itself. Pure bookkeeping with
 * the time passed in; entries live for EXCHANGE_LIFETIME (§4.8.2, 247 s) unless said otherwise.
 *
 * Why IDs are translated: the core de-duplicates by (message ID, address) (§4.5) and sees one
 * address per device, but two sources of message IDs speak from it: the device's own (its
 * requests, relayed) and the gateway's (separate responses it builds for SMS exchanges). Every
 * CON/NON towards the core therefore gets an ID from one per-device counter, and the core's
 * ACK/RST is translated back.
 */
import { EXCHANGE_LIFETIME_SEC } from '../lwm2m/coap-parameters.ts';
import type { CoapMessage } from '../lwm2m/coap-message.ts';
import { bytesToHex } from '../shared/hex.ts';

/** {@link DeviceExchanges.prune} walks the maps at most this often. */
const PRUNE_INTERVAL_MS = 1000;

/**
 * A core request the gateway acknowledged itself: carried over SMS, or held and then delivered;
 * the device's answer goes to the core as a separate response.
 */
export interface SmsExchange {
  /** Message ID the core used (its retransmissions carry it too). */
  readonly coreMessageId: number;
  readonly coreType: 'CON' | 'NON';
  readonly tokenHex: string;
  /** Message ID of the SMS-side request towards the device. */
  readonly deviceMessageId: number;
  readonly createdAtMs: number;
  /** Set once the device's answer was relayed: later copies are dropped. */
  answered: boolean;
}

/** An uplink message-ID translation: the device's ID and the bearer it came on. */
export interface UplinkId {
  readonly deviceMessageId: number;
  readonly bearer: 'sms' | 'udp';
  /** When it was made (ms, rounded up to a whole second). */
  readonly atMs: number;
}

/** Entries an uplink table holds as a flat array before it becomes a Map (a linear search stays short). */
const SMALL_UPLINKS = 12;

/** Keys of core MIDs in the uplink map start here (device keys stay below: MID + 0x10000 at most). */
const CORE_KEY = 0x20000;

/**
 * One side of an uplink translation packed into one number (no object per uplink; bench/device-scale:
 * memory per device): the other side's message ID, 0x10000 for SMS, and the time in whole seconds
 * (rounded up, so an entry lives its full EXCHANGE_LIFETIME) times 0x20000. Below 2^53 for any
 * time before the year 2500.
 */
function packUplink(messageId: number, bearer: 'sms' | 'udp', nowMs: number): number {
  return Math.ceil(nowMs / 1000) * 0x20000 + (bearer === 'sms' ? 0x10000 : 0) + messageId;
}

/** When a packed uplink entry was made (ms, whole seconds). */
/** True when the entry `packed` was made `EXCHANGE_LIFETIME` or longer before `nowMs`. */
function lapsedAt(packed: number, nowMs: number): boolean {
  return nowMs - packedAtMs(packed) >= EXCHANGE_LIFETIME_SEC * 1000;
}

function packedAtMs(packed: number): number {
  return Math.floor(packed / 0x20000) * 1000;
}

/** The maps only SMS exchanges need, created with the first one (most devices never have one). */
interface SmsMaps {
  readonly byCoreId: Map<number, SmsExchange>;
  readonly byToken: Map<string, SmsExchange>;
  readonly byDeviceId: Map<number, SmsExchange>;
  /** Core MIDs of confirmable separate responses already passed to an SMS device → time. */
  readonly separateFromCore: Map<number, number>;
}

/**
 * Per-device exchange state. See the file comment. Lifecycle: the relay creates it when a
 * device has an exchange, and drops it when {@link isIdle} after a prune, or when the device goes.
 */
export class DeviceExchanges {
  private nextCoreId: number;
  private nextDeviceId: number;
  /**
   * Both directions of the uplink ID translation in one table (bench/device-scale: memory per
   * device): device MID (+ 0x10000 for SMS) → the core MID, and {@link CORE_KEY} + core MID → the
   * device MID (for a CON only), each packed with the bearer and the time ({@link packUplink}).
   * Up to {@link SMALL_UPLINKS} entries a flat array of numbers (key, value, key, value…: the
   * values stay unboxed doubles, about 16 B an entry against 60 B in a Map with a boxed number),
   * beyond that a Map (number keys: this is looked up for every uplink); null while empty.
   */
  private uplinks: number[] | Map<number, number> | null = null;
  private sms: SmsMaps | null = null;
  /** See {@link awaitingCoreAck}: created with the first entry (most devices never have one). */
  private acks: Map<number, () => void> | null = null;
  /** When {@link prune} last walked the maps. */
  private prunedAtMs = Number.NEGATIVE_INFINITY;

  constructor(seed: number) {
    this.nextCoreId = seed & 0xffff;
    this.nextDeviceId = (seed >>> 16) & 0xffff;
  }

  /**
   * Separate responses the gateway sent as CON, awaiting the core's ACK: core MID → stop(). For
   * adding and removing entries (creates the map); {@link coreAckStop} and {@link coreAckStops}
   * read without creating it.
   */
  get awaitingCoreAck(): Map<number, () => void> {
    this.acks ??= new Map();
    return this.acks;
  }

  /** The stop() of the separate response with core MID `coreMessageId` awaiting the core's ACK, or undefined. */
  coreAckStop(coreMessageId: number): (() => void) | undefined {
    return this.acks?.get(coreMessageId);
  }

  /** Every stop() of separate responses awaiting the core's ACK (a copy: calling one removes it). */
  coreAckStops(): (() => void)[] {
    return this.acks === null ? [] : [...this.acks.values()];
  }

  /** A fresh message ID towards the core (for separate responses built by the gateway). */
  allocateCoreId(): number {
    const id = this.nextCoreId;
    this.nextCoreId = (this.nextCoreId + 1) & 0xffff;
    return id;
  }

  /** A fresh message ID towards the device over SMS. */
  allocateDeviceId(): number {
    const id = this.nextDeviceId;
    this.nextDeviceId = (this.nextDeviceId + 1) & 0xffff;
    return id;
  }

  /**
   * The core-side ID for a CON/NON from the device; the same again for its retransmissions.
   * Only a confirmable message is remembered the other way round: the core ACKs (or resets) a CON;
   * a NON it at most resets, and that reset has nowhere useful to go.
   */
  uplinkId(deviceMessageId: number, confirmable: boolean, bearer: 'sms' | 'udp', nowMs: number): number {
    const key = bearer === 'udp' ? deviceMessageId : 0x10000 + deviceMessageId;
    const known = this.uplinkGet(key);
    if (known !== undefined && nowMs - packedAtMs(known) < EXCHANGE_LIFETIME_SEC * 1000) return known % 0x10000;
    const coreMessageId = this.allocateCoreId();
    this.pinUplinkId(deviceMessageId, coreMessageId, confirmable, bearer, nowMs);
    return coreMessageId;
  }

  /**
   * Records that the device's message `deviceMessageId` goes to the core as `coreMessageId`, an
   * ID given to it before a restart (kept in Redis): its retransmissions and the core's answer
   * map as for {@link uplinkId}.
   */
  pinUplinkId(deviceMessageId: number, coreMessageId: number, confirmable: boolean, bearer: 'sms' | 'udp', nowMs: number): void {
    const key = bearer === 'udp' ? deviceMessageId : 0x10000 + deviceMessageId;
    this.uplinkSet(key, packUplink(coreMessageId, bearer, nowMs));
    if (confirmable) this.uplinkSet(CORE_KEY + coreMessageId, packUplink(deviceMessageId, bearer, nowMs));
  }

  /** The packed entry of `key` in the uplink table, or undefined. */
  private uplinkGet(key: number): number | undefined {
    const table = this.uplinks;
    if (table === null) return undefined;
    if (table instanceof Map) return table.get(key);
    for (let i = 0; i < table.length; i += 2) if (table[i] === key) return table[i + 1];
    return undefined;
  }

  /** Sets `key` → `packed` in the uplink table (an array while small, then a Map). */
  private uplinkSet(key: number, packed: number): void {
    const table = this.uplinks;
    if (table === null) {
      this.uplinks = [key, packed];
      return;
    }
    if (table instanceof Map) {
      table.set(key, packed);
      return;
    }
    for (let i = 0; i < table.length; i += 2) {
      if (table[i] !== key) continue;
      table[i + 1] = packed;
      return;
    }
    if (table.length < SMALL_UPLINKS * 2) {
      table.push(key, packed);
      return;
    }
    const map = new Map<number, number>();
    for (let i = 0; i < table.length; i += 2) map.set(table[i]!, table[i + 1]!);
    map.set(key, packed);
    this.uplinks = map;
  }

  /** Entries of the uplink table. */
  private get uplinkCount(): number {
    const table = this.uplinks;
    return table === null ? 0 : table instanceof Map ? table.size : table.length / 2;
  }

  /** Drops uplink entries made `EXCHANGE_LIFETIME` or longer before `nowMs` (null when none is left). */
  private pruneUplinks(nowMs: number): void {
    const table = this.uplinks;
    if (table === null) return;
    // No closure per call: the maintenance sweep prunes every device each second (bench/device-scale).
    if (table instanceof Map) {
      for (const [key, packed] of table) if (lapsedAt(packed, nowMs)) table.delete(key);
      if (table.size === 0) this.uplinks = null;
      return;
    }
    let kept = 0;
    for (let i = 0; i < table.length; i += 2) {
      if (lapsedAt(table[i + 1]!, nowMs)) continue;
      table[kept] = table[i]!;
      table[kept + 1] = table[i + 1]!;
      kept += 2;
    }
    if (kept === 0) this.uplinks = null;
    else table.length = kept;
  }

  /** What a core ACK/RST with `coreMessageId` answers, or undefined. */
  uplinkFor(coreMessageId: number): UplinkId | undefined {
    const packed = this.uplinkGet(CORE_KEY + coreMessageId);
    if (packed === undefined) return undefined;
    return { deviceMessageId: packed % 0x10000, bearer: packed % 0x20000 >= 0x10000 ? 'sms' : 'udp', atMs: packedAtMs(packed) };
  }

  /** The SMS exchange of a core message ID (a retransmission), or undefined. */
  smsExchangeByCoreId(coreMessageId: number): SmsExchange | undefined {
    return this.sms?.byCoreId.get(coreMessageId);
  }

  /** True while some gateway exchange waits for an answer matched by token. */
  get hasTokenExchanges(): boolean {
    return this.sms !== null && this.sms.byToken.size > 0;
  }

  /** The SMS exchange a device message answers: by its ID (ACK) or its token (separate response). */
  smsExchangeFor(message: CoapMessage): SmsExchange | undefined {
    if (this.sms === null) return undefined;
    if (message.type === 'ACK' || message.type === 'RST') return this.sms.byDeviceId.get(message.messageId);
    if (message.code < 64 || this.sms.byToken.size === 0) return undefined; // the common case: no hex
    return this.sms.byToken.get(bytesToHex(message.token));
  }

  /** Records a core request sent to the device over SMS. */
  openSmsExchange(exchange: SmsExchange): void {
    const sms = this.smsMaps();
    sms.byCoreId.set(exchange.coreMessageId, exchange);
    sms.byToken.set(exchange.tokenHex, exchange);
    sms.byDeviceId.set(exchange.deviceMessageId, exchange);
  }

  /** True the first time the core's separate response `coreMessageId` is seen (not its retransmissions). */
  firstSeparateResponse(coreMessageId: number, nowMs: number): boolean {
    const sms = this.smsMaps();
    const seenAt = sms.separateFromCore.get(coreMessageId);
    if (seenAt !== undefined && nowMs - seenAt < EXCHANGE_LIFETIME_SEC * 1000) return false;
    sms.separateFromCore.set(coreMessageId, nowMs);
    return true;
  }

  /** Entries of every map (0 when nothing is left to remember). */
  get size(): number {
    const sms = this.sms;
    const smsEntries = sms === null ? 0 : sms.byCoreId.size + sms.byToken.size + sms.byDeviceId.size + sms.separateFromCore.size;
    return this.uplinkCount + smsEntries + (this.acks?.size ?? 0);
  }

  /** True when nothing is remembered: the relay may drop this object (its ID counters restart from a new seed). */
  get isIdle(): boolean {
    return this.size === 0;
  }

  private smsMaps(): SmsMaps {
    this.sms ??= { byCoreId: new Map(), byToken: new Map(), byDeviceId: new Map(), separateFromCore: new Map() };
    return this.sms;
  }

  /**
   * Forgets entries older than EXCHANGE_LIFETIME. Called on every uplink, but walks the maps at
   * most once per {@link PRUNE_INTERVAL_MS}: a walk per message made a busy device's uplink cost
   * grow with its traffic of the last 247 s (bench/relay-throughput.ts). Lookups that depend on
   * age check it themselves; the rest may live up to PRUNE_INTERVAL_MS longer.
   */
  prune(nowMs: number): void {
    if (nowMs >= this.prunedAtMs && nowMs - this.prunedAtMs < PRUNE_INTERVAL_MS) return;
    this.prunedAtMs = nowMs;
    this.pruneUplinks(nowMs);
    if (this.acks !== null && this.acks.size === 0) this.acks = null;
    const sms = this.sms;
    if (sms === null) return;
    for (const [key, atMs] of sms.separateFromCore) if (nowMs - atMs >= EXCHANGE_LIFETIME_SEC * 1000) sms.separateFromCore.delete(key);
    for (const [key, value] of sms.byCoreId) {
      if (nowMs - value.createdAtMs < EXCHANGE_LIFETIME_SEC * 1000) continue;
      sms.byCoreId.delete(key);
      if (sms.byToken.get(value.tokenHex) === value) sms.byToken.delete(value.tokenHex);
      sms.byDeviceId.delete(value.deviceMessageId);
    }
    if (sms.byCoreId.size + sms.byToken.size + sms.byDeviceId.size + sms.separateFromCore.size === 0) this.sms = null;
  }
}
