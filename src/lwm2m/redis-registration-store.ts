/**
 * The registration mirror's storage in Redis, so it survives a gateway restart and two gateway
 * processes can share it.
 *
 * Keys (under `prefix`):
 *   device:<endpoint>     JSON {@link DeviceRecord}
 *   expiry                sorted set: endpoint → time (ms) its registration lapses
 *   lapsed                stream: one entry `endpoint` per registration the sweep removed
 *
 * Legacy keys, no longer written or read: `msisdn:<digits>` and `udp:<host>:<port>` (the
 * endpoint of a source), which earlier releases wrote with every record; existing deployments
 * lose them once, at a start (legacy-index-keys.ts).
 *
 * Every write is one Lua script (`lua/*.lua`, each opening with its KEYS/ARGV contract), run with
 * EVALSHA through ioredis `defineCommand`: a read-then-write from two processes or two concurrent
 * messages cannot lose an update.
 */
import type { Redis } from 'ioredis';
import { defineLuaScripts, readLuaScripts } from '../shared/lua-scripts.ts';
import type { DeviceRecord } from './device-record.ts';

/** Records read by one MGET in {@link RedisRegistrationStore.all} (bounded, so Redis stays responsive). */
const ALL_BATCH = 5000;

/** Deadlines handled by one run of the sweep script (bounded, so Redis stays responsive). */
const SWEEP_BATCH = 500;

/** Records written by one call of the batched save (bounded, so Redis stays responsive). */
const SAVE_BATCH = 500;

/** Values per record in the put script's ARGV (see `lua/putRegistrations-1.lua`). */
const PUT_VALUES_PER_RECORD = 5;

/** Entries the lapsed stream keeps (about): far more than one sweep interval removes. */
const LAPSED_STREAM_MAXLEN = 10_000;

/** The scripts, read once (the build copies `lua/` next to the compiled module). */
const SCRIPTS = readLuaScripts(import.meta.url, {
  putRegistrations: 'putRegistrations-1.lua',
  patchRegistration: 'patchRegistration-2.lua',
  touchRegistration: 'touchRegistration-2.lua',
  touchRegistrations: 'touchRegistrations-1.lua',
  removeRegistration: 'removeRegistration-2.lua',
  sweepLapsed: 'sweepLapsed-2.lua',
});

/** The client once {@link SCRIPTS} are defined on it. */
interface ScriptedRedis extends Redis {
  putRegistrations(expiryKey: string, prefix: string, ...records: string[]): Promise<number>;
  patchRegistration(deviceKey: string, expiryKey: string, endpoint: string, changesJson: string): Promise<number>;
  touchRegistration(deviceKey: string, expiryKey: string, endpoint: string, lastActivityMs: string, lastBearer: string, lastUdpActivityMs: string): Promise<number>;
  touchRegistrations(expiryKey: string, prefix: string, ...activities: string[]): Promise<number>;
  removeRegistration(deviceKey: string, expiryKey: string, endpoint: string): Promise<string | null>;
  sweepLapsed(expiryKey: string, lapsedKey: string, prefix: string, nowMs: string, limit: string, maxLen: string): Promise<string[]>;
}

/** The activity fields {@link RedisRegistrationStore.touch} writes. */
export type DeviceActivity = Pick<DeviceRecord, 'endpoint' | 'lastActivityMs' | 'lastBearer' | 'lastUdpActivityMs'>;

/**
 * Contract: `save` creates or replaces a record (the records saved in one turn of the event loop
 * go in one script call, sent before any other command of this store, so commands keep their
 * order); `patch` writes only the fields given into a stored record (resolves false, writing
 * nothing, when the record is gone); `touch` writes only the activity times (never backwards),
 * `touchMany` those of many records in one call; `remove` deletes the record. Each keeps the
 * deadline (`lastActivityMs + lifetimeSec`) in the same atomic step. `sweep` removes every
 * registration past its deadline and resolves with them (each exactly once, whichever process
 * sweeps). Lookups never throw for unknown keys (null). The caller owns the Redis connection.
 */
export class RedisRegistrationStore {
  private readonly redis: ScriptedRedis;
  private readonly expiryKey: string;
  /** The put script's values ({@link PUT_VALUES_PER_RECORD}) of each record {@link save} holds for the next batched write. */
  private saving: string[] = [];
  /** The batched write {@link save} callers wait for, until it is sent. */
  private batch: { readonly written: Promise<void>; readonly settle: (error?: unknown) => void; readonly timer: NodeJS.Immediate } | null = null;

  constructor(redis: Redis, private readonly prefix = 'smsbridge:reg:') {
    defineLuaScripts(redis, SCRIPTS);
    this.redis = redis as ScriptedRedis;
    this.expiryKey = `${prefix}expiry`;
  }

  /** The record of `endpoint`, or null. */
  async get(endpoint: string): Promise<DeviceRecord | null> {
    this.sendSaves();
    const json = await this.redis.get(this.deviceKey(endpoint));
    return json === null ? null : (JSON.parse(json) as DeviceRecord);
  }

  /**
   * Every record (for the admin API, the demo table, restarts): one ZRANGE, then one MGET per
   * {@link ALL_BATCH} records, all sent at once (two round trips whatever the fleet; Redis
   * serves other clients between the MGETs), not a round trip per device or per batch.
   */
  async all(): Promise<DeviceRecord[]> {
    this.sendSaves();
    const endpoints = await this.redis.zrange(this.expiryKey, 0, -1);
    const batches: Promise<(string | null)[]>[] = [];
    for (let start = 0; start < endpoints.length; start += ALL_BATCH) {
      batches.push(this.redis.mget(endpoints.slice(start, start + ALL_BATCH).map((endpoint) => this.deviceKey(endpoint))));
    }
    const records: DeviceRecord[] = [];
    for (const batch of batches) for (const json of await batch) if (json !== null) records.push(JSON.parse(json) as DeviceRecord);
    return records;
  }

  /**
   * Stores `record` whole (creates or replaces it) with its deadline. The records
   * saved in one turn of the event loop are written by one script call (every accepted Register
   * saves one: bench/device-scale, CPU per Register); resolves when it is written, rejects with
   * that call's error. Stored as `JSON.stringify(record)` unless Redis holds later activity
   * times for it (then those are kept, and the record is re-encoded by the script).
   */
  save(record: DeviceRecord): Promise<void> {
    // What the script needs besides the JSON, computed here so that a new record costs Redis no
    // JSON decoding or encoding (bench/device-scale: Redis CPU per Register).
    this.saving.push(
      record.endpoint, JSON.stringify(record), String(record.lastActivityMs + record.lifetimeSec * 1000),
      String(record.lastActivityMs), record.lastUdpActivityMs === null ? '' : String(record.lastUdpActivityMs),
    );
    if (this.batch === null) {
      let settle: (error?: unknown) => void = () => undefined;
      const written = new Promise<void>((resolve, reject) => {
        settle = (error) => (error === undefined ? resolve() : reject(error));
      });
      this.batch = { written, settle, timer: setImmediate(() => this.sendSaves()) };
    }
    const { written } = this.batch;
    if (this.saving.length >= PUT_VALUES_PER_RECORD * SAVE_BATCH) this.sendSaves();
    return written;
  }

  /** Sends the batched write of {@link save} now, if one waits (every other command goes after it). */
  private sendSaves(): void {
    const batch = this.batch;
    if (batch === null) return;
    this.batch = null;
    clearImmediate(batch.timer);
    const args = this.saving;
    this.saving = [];
    // A Register alone in its turn is a batch of one.
    this.redis.putRegistrations(this.expiryKey, this.prefix, ...args).then(() => batch.settle(), (error: unknown) => batch.settle(error ?? new Error('registration records not saved')));
  }

  /** Writes `changes` into the stored record of `endpoint`; resolves false (nothing written) when it is gone. */
  async patch(endpoint: string, changes: Partial<DeviceRecord>): Promise<boolean> {
    this.sendSaves();
    return (await this.redis.patchRegistration(this.deviceKey(endpoint), this.expiryKey, endpoint, JSON.stringify(changes))) === 1;
  }

  /** Writes the activity times of a stored record; resolves false (nothing written) when it is gone. */
  async touch(activity: DeviceActivity): Promise<boolean> {
    this.sendSaves();
    const written = await this.redis.touchRegistration(
      this.deviceKey(activity.endpoint), this.expiryKey, activity.endpoint,
      String(activity.lastActivityMs), activity.lastBearer, activity.lastUdpActivityMs === null ? '' : String(activity.lastUdpActivityMs),
    );
    return written === 1;
  }

  /**
   * Writes the activity times of many stored records in one script call (as {@link touch} does
   * for one; records gone meanwhile are skipped). Resolves with the number written.
   */
  async touchMany(activities: readonly DeviceActivity[]): Promise<number> {
    if (activities.length === 0) return 0;
    this.sendSaves();
    const args: string[] = [];
    for (const activity of activities) {
      args.push(activity.endpoint, String(activity.lastActivityMs), activity.lastBearer, activity.lastUdpActivityMs === null ? '' : String(activity.lastUdpActivityMs));
    }
    return this.redis.touchRegistrations(this.expiryKey, this.prefix, ...args);
  }

  /** Deletes the record of `endpoint` and its deadline; resolves with what was removed. */
  async remove(endpoint: string): Promise<DeviceRecord | null> {
    this.sendSaves();
    const json = await this.redis.removeRegistration(this.deviceKey(endpoint), this.expiryKey, endpoint);
    return json === null ? null : (JSON.parse(json) as DeviceRecord);
  }

  /**
   * Removes every registration whose deadline is at or before `nowMs` (by its stored record, not
   * only its deadline entry) and resolves with the removed records, in batches of
   * {@link SWEEP_BATCH} so Redis stays responsive.
   */
  async sweep(nowMs: number): Promise<DeviceRecord[]> {
    this.sendSaves();
    const removed: DeviceRecord[] = [];
    for (;;) {
      const batch = await this.redis.sweepLapsed(this.expiryKey, `${this.prefix}lapsed`, this.prefix, String(nowMs), String(SWEEP_BATCH), String(LAPSED_STREAM_MAXLEN));
      for (const json of batch) removed.push(JSON.parse(json) as DeviceRecord);
      if (batch.length < SWEEP_BATCH) return removed;
    }
  }

  /**
   * Endpoints any process's sweep removed after stream entry `afterId` ('0' for all kept, '$'
   * for none: the cursor to start from), and the cursor for the next call.
   */
  async sweptSince(afterId: string): Promise<{ endpoints: string[]; cursor: string }> {
    this.sendSaves();
    const key = `${this.prefix}lapsed`;
    if (afterId === '$') {
      const last = await this.redis.xrevrange(key, '+', '-', 'COUNT', 1);
      return { endpoints: [], cursor: last[0]?.[0] ?? '0' };
    }
    const entries = await this.redis.xrange(key, `(${afterId}`, '+', 'COUNT', LAPSED_STREAM_MAXLEN);
    const endpoints = entries.map(([, fields]) => fields[fields.indexOf('endpoint') + 1] ?? '').filter((endpoint) => endpoint !== '');
    return { endpoints, cursor: entries.at(-1)?.[0] ?? afterId };
  }

  /** Endpoints whose deadline entry is at or before `nowMs` (read only). */
  async lapsed(nowMs: number): Promise<string[]> {
    this.sendSaves();
    return this.redis.zrangebyscore(this.expiryKey, '-inf', nowMs);
  }

  private deviceKey(endpoint: string): string {
    return `${this.prefix}device:${endpoint}`;
  }
}
