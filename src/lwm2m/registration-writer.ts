/**
 * What the registration mirror writes to Redis, and when: a Register whole, an Update or a move as
 * a patch of the fields it changed (nothing when nothing changed), activity alone at most every
 * `activityPersistIntervalMs` (kept in memory between writes, and written before Redis' deadline
 * for the record passes, so the store's sweep never takes a device that is alive).
 *
 * Activity due on the Update path is batched: the endpoints touched within `activityBatchMs` go to
 * Redis in one script call (bench/device-scale: one call per Update was most of the CPU an Update
 * cost beyond decoding). Expiry stays right: (1) an activity is batched only when the deadline
 * Redis holds for the record is more than {@link BATCH_DEADLINE_MARGIN_MS} away, else written at
 * once, so another process's sweep cannot find it lapsed while it waits (a flush takes one tick);
 * (2) this process's sweep (`persistDue`) flushes the batch first; (3) an endpoint stays among the
 * unsaved ones until its flush succeeded, so a failed flush is written by `persistDue` before the
 * deadline and by `persistActivity` at stop.
 */
import type { DeviceRecord, DeviceSource } from './device-record.ts';
import type { RedisRegistrationStore } from './redis-registration-store.ts';

/**
 * {@link RegistrationWriter.persistActivity} could not write every record: `written` records were
 * written all the same (by the script calls that succeeded), `cause` is the first failed call's
 * error (the store's, e.g. Redis').
 */
export class ActivityNotPersistedError extends Error {
  constructor(readonly written: number, override readonly cause: unknown) {
    super(`device activity not all written to Redis (${written} records written): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ActivityNotPersistedError';
  }
}

/** Looks up the record the mirror holds for an endpoint. */
export type RecordLookup = (endpoint: string) => DeviceRecord | undefined;

/**
 * An activity is batched only while the deadline Redis holds for its record is further away than
 * this (ms), or twice `activityBatchMs` if more; closer, it is written at once. Far more than a
 * flush takes (one tick, one script call).
 */
export const BATCH_DEADLINE_MARGIN_MS = 5_000;

/** Devices in one batched script call at most (bounded, so Redis stays responsive). */
const BATCH_MAX_DEVICES = 1_000;

/**
 * Contract: tracks, per endpoint, when it was last written and which activity Redis holds; the
 * mirror keeps the records themselves (and remembers a record before asking for it to be
 * written). Every write rejects with the store's error.
 */
export class RegistrationWriter {
  /** `lastActivityMs` as last written to Redis (its deadline there is this plus the lifetime). */
  private readonly storedActivityMs = new Map<string, number>();
  /** Endpoints whose activity changed in memory only (see {@link persistActivity}). */
  private readonly unsavedActivity = new Set<string>();
  /**
   * Endpoints whose record in memory is a Register the core has not accepted yet: nothing of it
   * goes to Redis until {@link save} writes it whole, once, with the core's answer.
   */
  private readonly held = new Set<string>();
  /** Endpoints whose last whole write failed: the next write of any kind writes the record whole. */
  private readonly needsPut = new Set<string>();
  /** Endpoints whose activity waits for the next batched write (see the module comment). */
  private readonly batch = new Set<string>();
  private batchTimer: NodeJS.Timeout | undefined;
  /** The batched write in flight (one at a time). */
  private flushing: Promise<void> | undefined;

  /**
   * `activityBatchMs` 0 writes every due activity at once (one script call each); `recordOf`
   * gives the records a batched write reads when it runs.
   */
  constructor(
    private readonly store: RedisRegistrationStore,
    private readonly activityPersistIntervalMs: number,
    private readonly now: () => number,
    private readonly recordOf: RecordLookup = () => undefined,
    private readonly activityBatchMs = 0,
  ) {}

  /** Notes a record read from Redis (its activity is what Redis holds). */
  noteLoaded(record: DeviceRecord): void {
    this.storedActivityMs.set(record.endpoint, record.lastActivityMs);
  }

  /**
   * True when a message from `source` changes more than the activity times (a new address,
   * number or modem), or the record was last written `activityPersistIntervalMs` ago.
   */
  needsSave(record: DeviceRecord, source: DeviceSource, nowMs: number): boolean {
    return this.moved(record, source) || this.activityDue(record, nowMs);
  }

  /** True when a message from `source` changes more than the activity times (a new address, number or modem). */
  moved(record: DeviceRecord, source: DeviceSource): boolean {
    return source.bearer === 'udp'
      ? source.host !== record.udpHost || source.port !== record.udpPort
      : source.msisdn !== record.msisdn || (source.modem !== undefined && source.modem !== record.smsModem);
  }

  /** True when the activity Redis holds for `record` is `activityPersistIntervalMs` old or more (one map per device: bench/device-scale). */
  activityDue(record: DeviceRecord, nowMs: number): boolean {
    return nowMs - (this.storedActivityMs.get(record.endpoint) ?? 0) >= this.activityPersistIntervalMs;
  }

  /**
   * Writes the activity times `record` holds now (after {@link touchInMemory}); the record stays
   * the same object. Batched (resolves at once, written within `activityBatchMs`) when batching is
   * on and Redis' deadline for the record is more than {@link BATCH_DEADLINE_MARGIN_MS} (or twice
   * `activityBatchMs`) away;
   * else one touch now.
   */
  async persistActivityOf(record: DeviceRecord): Promise<void> {
    const endpoint = record.endpoint;
    const storedMs = this.storedActivityMs.get(endpoint);
    const nowMs = this.now();
    if (this.activityBatchMs <= 0 || this.held.has(endpoint) || this.needsPut.has(endpoint)
      || storedMs === undefined || storedMs + record.lifetimeSec * 1000 - nowMs <= Math.max(BATCH_DEADLINE_MARGIN_MS, 2 * this.activityBatchMs)) {
      await this.touchStored(record);
      return;
    }
    this.batch.add(endpoint); // a Set: the same device due again before the flush is queued once
    if (this.batchTimer === undefined) {
      this.batchTimer = setTimeout(() => void this.flushBatch(), this.activityBatchMs);
      this.batchTimer.unref();
    }
  }

  /**
   * Writes the batched activities now, in one script call per {@link BATCH_MAX_DEVICES}, after
   * any write in flight. Never rejects: what a failed write held stays unsaved (see the module
   * comment).
   */
  async flushBatch(): Promise<void> {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    while (this.flushing !== undefined) await this.flushing;
    if (this.batch.size === 0) return;
    const run = this.writeBatch([...this.batch]);
    this.batch.clear();
    this.flushing = run;
    try {
      await run;
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeBatch(endpoints: string[]): Promise<void> {
    for (let start = 0; start < endpoints.length; start += BATCH_MAX_DEVICES) {
      const activities: DeviceRecord[] = [];
      for (const endpoint of endpoints.slice(start, start + BATCH_MAX_DEVICES)) {
        const record = this.recordOf(endpoint);
        if (record === undefined || this.held.has(endpoint)) continue;
        if (this.needsPut.has(endpoint)) await this.touchStored(record).catch(() => undefined); // written whole; stays needsPut on failure
        else activities.push(record);
      }
      const sent = activities.map((record) => record.lastActivityMs);
      try {
        await this.store.touchMany(activities);
      } catch {
        continue; // unsaved still: persistDue writes them before their deadline, persistActivity at stop
      }
      this.noteTouched(activities, sent, true);
    }
  }

  /**
   * Notes activity from `source` at `nowMs` in memory only: the record is updated in place (this
   * runs for every message; a copy per message showed in bench/relay-throughput). Redis gets it
   * with the next write.
   */
  touchInMemory(record: DeviceRecord, source: DeviceSource, nowMs: number): void {
    const live = record as Mutable<DeviceRecord>;
    live.lastActivityMs = nowMs;
    live.lastBearer = source.bearer;
    if (source.bearer === 'udp') live.lastUdpActivityMs = nowMs;
    this.unsavedActivity.add(record.endpoint);
  }

  /**
   * Notes a Register the core has not accepted yet: kept in memory only (no write now, none for
   * its activity) until {@link save} writes it whole with the core's answer, so a Register costs
   * one write. Redis keeps the registration it would replace meanwhile.
   */
  hold(record: DeviceRecord): void {
    this.held.add(record.endpoint);
    this.unsavedActivity.delete(record.endpoint);
  }

  /**
   * Notes that `record` is what Redis holds, without writing it (a held Register rolled back to
   * the registration Redis kept).
   */
  noteRestored(record: DeviceRecord): void {
    this.held.delete(record.endpoint);
    this.noteStored(record);
  }

  /** Writes `record` whole (a Register the core accepted). On failure the next write of the endpoint writes it whole again. */
  save(record: DeviceRecord): Promise<void> {
    this.held.delete(record.endpoint);
    this.noteStored(record);
    // The store's promise chained, not awaited in an async function (bench/device-scale: CPU per Register).
    const endpoint = record.endpoint;
    return this.store.save(record).then(
      () => { this.needsPut.delete(endpoint); },
      (error: unknown) => {
        this.needsPut.add(endpoint);
        throw error;
      },
    );
  }

  /**
   * Writes what changed from `before` (the record as it was in memory) to `after`: nothing
   * when nothing did, the activity times alone when only they did, else a patch of the changed
   * fields. A record gone from Redis meanwhile (swept by another process) is written whole.
   */
  async write(before: DeviceRecord, after: DeviceRecord): Promise<void> {
    if (this.held.has(after.endpoint)) return; // written whole when the core accepts it
    if (this.needsPut.has(after.endpoint)) {
      await this.save(after);
      return;
    }
    if (before === after) return; // an Update that changed nothing: the record in memory is the same object
    const unsaved = this.unsavedActivity.has(after.endpoint);
    const changes = changedFields(before, after);
    if (changes === null) return;
    if (Object.keys(changes).every((key) => ACTIVITY_FIELDS.has(key))) {
      await this.touchStored(after);
      return;
    }
    const patch = unsaved ? { ...changes, lastActivityMs: after.lastActivityMs, lastBearer: after.lastBearer, lastUdpActivityMs: after.lastUdpActivityMs } : changes;
    this.noteStored(after);
    if (!(await this.store.patch(after.endpoint, patch))) await this.store.save(after);
  }

  /**
   * Writes the activity of every record whose Redis deadline (activity last written plus the
   * lifetime) has passed at `nowMs` while newer activity waits in memory.
   */
  async persistDue(nowMs: number, recordOf: RecordLookup): Promise<void> {
    await this.flushBatch();
    for (const endpoint of [...this.unsavedActivity]) {
      const record = recordOf(endpoint);
      const storedMs = this.storedActivityMs.get(endpoint);
      if (record === undefined || storedMs === undefined || storedMs + record.lifetimeSec * 1000 > nowMs) continue;
      await this.touchStored(record);
    }
  }

  /**
   * Writes every record whose activity changed since it was last written (at stop): the
   * activity times through the store's batched touch, {@link BATCH_MAX_DEVICES} records per
   * script call, one call after the other (bench/device-scale: a call per device was 19,000 calls
   * at a stop); a record whose last whole write failed is written whole. A failed call does not
   * stop the others (a script that fails on one record would otherwise cost the activity of every
   * device after it: nothing retries after a stop); its records stay unsaved for the next call.
   * Resolves with the number of records handled (every unsaved endpoint the mirror still holds, a
   * held Register included, though nothing of it is written); when a call failed, rejects after
   * the last call with {@link ActivityNotPersistedError}: the number the other calls handled, and
   * the first failed call's error as its cause.
   */
  async persistActivity(recordOf: RecordLookup): Promise<number> {
    await this.flushBatch();
    const endpoints = [...this.unsavedActivity];
    let written = 0;
    let firstFailure: { readonly reason: unknown } | undefined;
    for (let start = 0; start < endpoints.length; start += BATCH_MAX_DEVICES) {
      const touched: DeviceRecord[] = [];
      const wholes: Promise<void>[] = [];
      const attempted: string[] = [];
      for (const endpoint of endpoints.slice(start, start + BATCH_MAX_DEVICES)) {
        const record = recordOf(endpoint);
        this.unsavedActivity.delete(endpoint);
        if (record === undefined) continue;
        attempted.push(endpoint);
        if (this.held.has(endpoint)) continue; // written whole when the core accepts it
        if (this.needsPut.has(endpoint)) wholes.push(this.save(record)); // the store sends it before the touch
        else touched.push(record);
      }
      const sentMs = touched.map((record) => record.lastActivityMs);
      const outcomes = await Promise.allSettled([this.store.touchMany(touched), ...wholes]);
      const failure = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failure !== undefined) {
        // Unsaved again (activity newer than what was sent is unsaved anyway): the next call writes them.
        for (const endpoint of attempted) if (recordOf(endpoint) !== undefined) this.unsavedActivity.add(endpoint);
        firstFailure ??= { reason: failure.reason };
        continue;
      }
      this.noteTouched(touched, sentMs, false);
      written += attempted.length;
    }
    if (firstFailure !== undefined) throw new ActivityNotPersistedError(written, firstFailure.reason);
    return written;
  }

  /**
   * Notes that Redis holds the activity times `sentMs` of `records` (one touch written them);
   * `settles`: an endpoint whose activity did not move since is no longer unsaved.
   */
  private noteTouched(records: readonly DeviceRecord[], sentMs: readonly number[], settles: boolean): void {
    records.forEach((record, index) => {
      const activityMs = sentMs[index] ?? record.lastActivityMs;
      this.storedActivityMs.set(record.endpoint, Math.max(activityMs, this.storedActivityMs.get(record.endpoint) ?? 0));
      if (settles && this.recordOf(record.endpoint)?.lastActivityMs === activityMs) this.unsavedActivity.delete(record.endpoint);
    });
  }

  /** Forgets everything noted for `endpoint` (it is gone from memory). */
  forget(endpoint: string): void {
    this.storedActivityMs.delete(endpoint);
    this.unsavedActivity.delete(endpoint);
    this.held.delete(endpoint);
    this.needsPut.delete(endpoint);
    this.batch.delete(endpoint);
  }

  /** Writes the activity times of `record` (the whole record after a failed whole write; nothing for a held Register). */
  private async touchStored(record: DeviceRecord): Promise<void> {
    if (this.held.has(record.endpoint)) return;
    if (this.needsPut.has(record.endpoint)) {
      await this.save(record);
      return;
    }
    this.noteStored(record);
    await this.store.touch(record);
  }

  private noteStored(record: DeviceRecord): void {
    this.storedActivityMs.set(record.endpoint, record.lastActivityMs);
    this.unsavedActivity.delete(record.endpoint);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The fields {@link RedisRegistrationStore.touch} writes. */
const ACTIVITY_FIELDS: ReadonlySet<string> = new Set(['lastActivityMs', 'lastBearer', 'lastUdpActivityMs']);

/** The fields of `after` that differ from `before` (all are plain values), or null when none do. */
function changedFields(before: DeviceRecord, after: DeviceRecord): Partial<DeviceRecord> | null {
  // Runs for every Update the core accepts: no array of entries, and no object unless something changed.
  const was = before as unknown as Record<string, unknown>;
  const now = after as unknown as Record<string, unknown>;
  let changes: Record<string, unknown> | null = null;
  for (const key in now) {
    const value = now[key];
    if (was[key] === value) continue;
    changes ??= {};
    changes[key] = value;
  }
  return changes as Partial<DeviceRecord> | null;
}
