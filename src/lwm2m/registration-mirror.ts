/**
 * The registration mirror: the gateway reads every Register, Update and De-register a device
 * sends and the core's answer, and keeps what it needs to relay and to choose bearers
 * (LwM2M 1.1 Core §6.2 Registration Interface; seed 000: registration flow; seed 001: lifetime
 * and re-registration; seed 002: any message from the client is an implicit update).
 *
 * Records live in memory for the hot path and are written through to Redis, so they survive a
 * restart (`load()`): a Register once, whole, when the core accepts it (until then it is held in
 * memory and Redis keeps the registration it would replace); afterwards only the fields a message
 * changed (a 2.04 that changes nothing writes nothing), activity alone at most every
 * `activityPersistIntervalMs`. Expiry is driven
 * from Redis: `expire()` runs the store's sweep of the deadline set, so a registration written by
 * another gateway process lapses here too. What is written and when lives in
 * `registration-writer.ts`, the requests awaiting the core's answer in `pending-registrations.ts`,
 * the classification of requests in `registration-operation.ts`, the records and their indexes
 * in `record-indexes.ts`.
 */
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { CoapCode } from './coap-codes.ts';
import type { CoapMessage } from './coap-message.ts';
import { locationPath, uriPath } from './coap-options.ts';
import { EXCHANGE_LIFETIME_SEC } from './coap-parameters.ts';
import { DEFAULT_LWM2M_VERSION, withActivity, type DeviceRecord, type DeviceSource, type MutableDeviceRecord } from './device-record.ts';
import { IndexedRecords } from './record-indexes.ts';
import { PendingRegistrations, type PendingRegistration } from './pending-registrations.ts';
import { Presence } from './presence.ts';
import type { RedisRegistrationStore } from './redis-registration-store.ts';
import { ADMIT_ALL, RegistrationRefusedError, type AdmissionRequest, type RegistrationAdmission } from './registration-admission.ts';
import { msisdnOf, registerRecord, registrationOperation, textOf, type RegistrationOperation } from './registration-operation.ts';
import { DEFAULT_MAX_ENDPOINT_NAME_BYTES } from './registration-request.ts';
import { RecordTexts } from './record-texts.ts';
import { RegistrationWriter } from './registration-writer.ts';

export { registrationOperation, type RegistrationOperation } from './registration-operation.ts';

/** Events of {@link RegistrationMirror}. */
export type RegistrationMirrorEvents = {
  registered: [DeviceRecord];
  updated: [DeviceRecord];
  deregistered: [DeviceRecord];
  /** The lifetime passed without any message: the device is lost. */
  lost: [DeviceRecord];
  /**
   * The core refused a Register (4.xx/5.xx) or never answered it: the gateway dropped the record
   * (or went back to the registration the Register would have replaced).
   */
  refused: [DeviceRecord, 'rejected' | 'unanswered'];
  /** The gateway holds nothing for this endpoint any more: its core-facing port can be released. */
  forgotten: [string];
};

/** Options of {@link RegistrationMirror}. */
export interface RegistrationMirrorOptions {
  /** Longest time an activity-only change stays unwritten to Redis. @defaultValue 10000 */
  readonly activityPersistIntervalMs?: number;
  /**
   * Activity due for a write on the Update path is gathered this long and written for every
   * device touched in one script call (0: one call each, at once). @defaultValue 50
   */
  readonly activityBatchMs?: number;
  readonly now?: () => number;
  /** Longest endpoint name in UTF-8 bytes. @defaultValue 255 */
  readonly maxEndpointNameBytes?: number;
  /**
   * How long a Register waits for the core's answer before its record is dropped (RFC 7252
   * §4.8.2 EXCHANGE_LIFETIME: after it, no answer can come). @defaultValue 247000
   */
  readonly registerAnswerTimeoutMs?: number;
  /** Decides which Registers, and Updates from a new address, may change a registration. @defaultValue admit all */
  readonly admission?: RegistrationAdmission;
  /** Fed with every message a device sends; its awake window decides UDP reachability. @defaultValue a Presence with the 93 s window */
  readonly presence?: Presence;
}

/**
 * Contract: `noteUplink` is called for every message a device sends, before it is relayed, and
 * returns the device's endpoint (null for a source that never registered); a Register creates or
 * replaces the record at once (the socket and indexes must exist for the core's answer).
 * `noteCoreResponse` is called for every message the core sends to a device; a response to a
 * pending Register / Update / De-register applies it. `expire` removes lapsed registrations and
 * emits `lost`.
 */
export class RegistrationMirror extends TypedEmitter<RegistrationMirrorEvents> {
  /** The records and their indexes (record-indexes.ts). */
  private readonly records = new IndexedRecords();
  private readonly pending = new PendingRegistrations();
  private readonly writer: RegistrationWriter;
  /** The record held for an endpoint (handed to the writer's sweeps). */
  private readonly recordOf = (endpoint: string): DeviceRecord | undefined => this.records.get(endpoint);
  private readonly maxEndpointNameBytes: number;
  private readonly registerAnswerTimeoutMs: number;
  private readonly admission: RegistrationAdmission;
  private readonly now: () => number;
  /** One copy of each text many records repeat (bench/device-scale: memory per device). */
  private readonly texts = new RecordTexts();
  /** Where this process last read the store's stream of swept registrations (load() skips older ones). */
  private sweptCursor = '0';
  /** Whether each device is awake, and over which bearer (fed by this mirror, swept by `expire()`). */
  readonly presence: Presence;

  constructor(private readonly store: RedisRegistrationStore, options: RegistrationMirrorOptions = {}) {
    super();
    this.maxEndpointNameBytes = options.maxEndpointNameBytes ?? DEFAULT_MAX_ENDPOINT_NAME_BYTES;
    this.registerAnswerTimeoutMs = options.registerAnswerTimeoutMs ?? EXCHANGE_LIFETIME_SEC * 1000;
    this.admission = options.admission ?? ADMIT_ALL;
    this.now = options.now ?? Date.now;
    this.presence = options.presence ?? new Presence();
    this.writer = new RegistrationWriter(store, options.activityPersistIntervalMs ?? 10_000, this.now, this.recordOf, options.activityBatchMs ?? 50);
  }

  /** Loads every stored record (after a restart). */
  async load(): Promise<DeviceRecord[]> {
    this.sweptCursor = (await this.store.sweptSince('$')).cursor;
    const records = (await this.store.all()).map((record) => this.texts.share(record));
    for (const record of records) {
      this.remember(record);
      this.writer.noteLoaded(record);
    }
    this.presence.restore(records.map((record) => ({ endpoint: record.endpoint, lastHeardMs: record.lastActivityMs, lastUdpMs: record.lastUdpActivityMs })));
    return records;
  }

  /** The record of `endpoint`, or undefined. */
  get(endpoint: string): DeviceRecord | undefined {
    return this.records.get(endpoint);
  }

  /** Every record known now. */
  list(): DeviceRecord[] {
    return [...this.records.values()];
  }

  /** The endpoint of a source, or undefined. */
  endpointOf(source: DeviceSource): string | undefined {
    return this.records.endpointOf(source);
  }

  /**
   * The synchronous fast path of {@link noteUplink}: for a message (of CoAP `code`) from a known
   * source that is not a registration request and needs no write to Redis, notes the activity and returns the
   * endpoint; returns undefined when {@link noteUplink} must handle the message.
   */
  noteActivity(source: DeviceSource, code: number): string | undefined {
    if (code === CoapCode.POST || code === CoapCode.DELETE) return undefined; // maybe Register/Update/De-register
    const endpoint = this.records.endpointOf(source);
    const record = endpoint === undefined ? undefined : this.records.get(endpoint);
    if (endpoint === undefined || record === undefined) return undefined;
    const nowMs = this.now();
    if (this.writer.needsSave(record, source, nowMs)) return undefined;
    this.writer.touchInMemory(record, source, nowMs);
    this.presence.heard(endpoint, source.bearer, nowMs);
    return endpoint;
  }

  /**
   * See the class contract. Returns the endpoint at once for a Register (nothing is written before
   * the core accepts it), else a promise of it (activity or a move may be written first). Throws
   * (or the promise rejects) GW_ERR_LWM2M_REGISTRATION for an invalid Register or Update, and
   * {@link RegistrationRefusedError} for one the admission refuses (a Register, or an Update
   * from a new address); nothing was stored then.
   */
  noteUplink(source: DeviceSource, message: CoapMessage): string | null | Promise<string | null> {
    const nowMs = this.now();
    const known = this.endpointOf(source);
    const operation = registrationOperation(message, (known && this.records.get(known)?.lwm2mVersion) || DEFAULT_LWM2M_VERSION, this.maxEndpointNameBytes);
    if (operation?.kind === 'register') {
      const endpoint = operation.query.endpoint ?? '';
      const previous = this.records.get(endpoint);
      this.admit('register', endpoint, source, previous);
      // A new object, ours: activity and shared texts set in place (bench/device-scale: CPU per Register).
      const fresh = registerRecord(endpoint, operation.query, message, previous, source) as MutableDeviceRecord;
      fresh.lastActivityMs = nowMs;
      if (source.bearer === 'udp') fresh.lastUdpActivityMs = nowMs;
      else fresh.smsModem = source.modem ?? fresh.smsModem;
      this.texts.shareInPlace(fresh);
      const record: DeviceRecord = fresh;
      // Held in memory (the socket and indexes need it for the core's answer) and written to
      // Redis once, whole, when the core accepts it: one write per Register.
      this.remember(record);
      this.writer.hold(record);
      this.presence.heard(endpoint, source.bearer, nowMs);
      // The payload as text is the record's object links (one decode per Register, not two).
      const payload = record.objectLinks;
      this.pending.add(message, previous?.registered
        ? { endpoint, bearer: source.bearer, operation, payload, createdAtMs: nowMs, previous }
        : { endpoint, bearer: source.bearer, operation, payload, createdAtMs: nowMs });
      return endpoint;
    }
    if (known !== undefined) return this.noteKnownUplink(known, source, message, operation, nowMs);
    // A device whose address changed (NAT rebinding, a new IP after waking) is recognised by the
    // location its Update or De-register names, as far as the admission allows the move.
    const endpoint = operation !== null ? this.records.endpointAt(`/${uriPath(message).join('/')}`) : undefined;
    if (endpoint === undefined) return null;
    this.admit('update', endpoint, source, this.records.get(endpoint));
    return this.noteKnownUplink(endpoint, source, message, operation, nowMs);
  }

  /** Registrations held now (pending ones included). */
  get size(): number {
    return this.records.size;
  }

  /** Registrations whose UDP address is on `host`. */
  registrationsFromHost(host: string): number {
    return this.records.fromHost(host);
  }

  /** Throws {@link RegistrationRefusedError} unless the admission lets `source` change `endpoint`. */
  private admit(kind: AdmissionRequest['kind'], endpoint: string, source: DeviceSource, existing: DeviceRecord | undefined): void {
    const decision = this.admission.decide({
      kind, endpoint,
      source: source.bearer === 'udp' ? { bearer: 'udp', host: source.host, port: source.port } : { bearer: 'sms', msisdn: source.msisdn },
      existing: existing === undefined ? null : { udpHost: existing.udpHost, udpPort: existing.udpPort, msisdn: existing.msisdn },
      registrationsFromHost: source.bearer === 'udp' ? this.registrationsFromHost(source.host) : 0,
      registrations: this.records.size,
    });
    if (!decision.admitted) throw new RegistrationRefusedError(endpoint, decision.reason, decision.detail);
  }

  private async noteKnownUplink(known: string, source: DeviceSource, message: CoapMessage, operation: RegistrationOperation | null, nowMs: number): Promise<string | null> {
    const record = this.records.get(known);
    if (record === undefined) return null;
    if (operation !== null) this.pending.add(message, { endpoint: known, bearer: source.bearer, operation, payload: textOf(message.payload), createdAtMs: nowMs });
    if (this.writer.moved(record, source)) {
      await this.write(record, this.texts.share(withActivity(record, source, nowMs)));
    } else {
      // Activity only (every Update of a device that stays put): the record is updated in place
      // and, when due, its times written; no new record, no re-indexing.
      this.writer.touchInMemory(record, source, nowMs);
      if (this.writer.activityDue(record, nowMs)) await this.writer.persistActivityOf(record);
    }
    this.presence.heard(known, source.bearer, nowMs);
    return known;
  }

  /** See the class contract. */
  async noteCoreResponse(endpoint: string, message: CoapMessage): Promise<void> {
    if (message.code === 0 || message.code < 64) return; // empty messages and requests
    const pending = this.pending.find(endpoint, message);
    const record = this.records.get(endpoint);
    if (pending === undefined || record === undefined) return;
    this.pending.remove(pending);
    const success = message.code >> 5 === 2;
    if (pending.operation.kind === 'register') {
      if (!success) {
        await this.dropRegister(pending, record, 'rejected');
        return;
      }
      const location = `/${locationPath(message).join('/')}`;
      const registered = { ...record, location, registered: true, registeredAtMs: this.now() };
      await this.save(registered);
      this.emit('registered', registered);
    } else if (pending.operation.kind === 'update') {
      if (!success) return;
      const q = pending.operation.query;
      const lifetimeSec = q.lifetimeSec ?? record.lifetimeSec;
      const binding = q.binding === null ? record.binding : this.texts.text(q.binding);
      // An Update that names the binding or Q restates queue mode; one that does not keeps it.
      const queueMode = q.binding !== null || q.queueMode ? q.queueMode : record.queueMode;
      const msisdn = msisdnOf(q) ?? record.msisdn;
      const objectLinks = pending.payload.length > 0 ? this.texts.text(pending.payload) : record.objectLinks;
      const registeredOver = pending.bearer; // LwM2M 1.0 §5.3.1: the source of the accepted request
      // Most Updates change nothing (a periodic Update, bench/device-scale): no new record then.
      const same = lifetimeSec === record.lifetimeSec && binding === record.binding && queueMode === record.queueMode
        && msisdn === record.msisdn && objectLinks === record.objectLinks && registeredOver === record.registeredOver;
      const updated: DeviceRecord = same ? record : { ...record, lifetimeSec, binding, queueMode, msisdn, objectLinks, registeredOver };
      await this.write(record, updated);
      this.emit('updated', updated);
    } else if (success) {
      await this.forget(endpoint);
      this.emit('deregistered', record);
    }
  }

  /**
   * Rolls back a Register of `endpoint` the core has not accepted yet (one the gateway could not
   * carry: no socket): the registration it would have replaced comes back, or else the record
   * goes. No `deregistered`/`lost`/`refused` event (the relay reports it). Resolves true when it
   * rolled something back.
   */
  async discardUnaccepted(endpoint: string): Promise<boolean> {
    const record = this.records.get(endpoint);
    if (record === undefined || record.registered) return false;
    const previous = this.pending.takeAll(endpoint);
    if (previous !== undefined) this.restore(previous);
    else await this.forget(endpoint);
    return true;
  }

  /**
   * Removes registrations whose lifetime passed without activity, as the store's sweep of the
   * deadline set in Redis finds them, and forgets those another process's sweep removed
   * (resolves with both; emits `forgotten` and `lost` for each); notes presence's sleepers; drops
   * requests the core has not answered within `registerAnswerTimeoutMs`, and with an unanswered
   * Register its record (emits `refused`).
   */
  async expire(): Promise<DeviceRecord[]> {
    const nowMs = this.now();
    const waiting = new Set<string>();
    for (const pending of this.pending.list()) {
      if (!this.pending.holds(pending)) continue; // answered or dropped while an earlier one was
      if (nowMs - pending.createdAtMs < this.registerAnswerTimeoutMs) {
        waiting.add(pending.endpoint);
        continue;
      }
      this.pending.remove(pending);
      const record = this.records.get(pending.endpoint);
      if (pending.operation.kind === 'register' && record !== undefined && !record.registered) await this.dropRegister(pending, record, 'unanswered');
    }
    // A Register whose answer a restart lost: nothing waits for it any more.
    for (const endpoint of this.records.unacceptedEndpoints()) {
      const record = this.records.get(endpoint);
      if (record === undefined || waiting.has(endpoint) || nowMs - record.lastActivityMs < this.registerAnswerTimeoutMs) continue;
      await this.forget(endpoint);
      this.emit('refused', record, 'unanswered');
    }
    // Activity kept in memory must reach Redis before Redis' deadline passes, or the sweep
    // would take a device that is alive.
    await this.writer.persistDue(nowMs, this.recordOf);
    this.presence.sweep(nowMs);
    const lost: DeviceRecord[] = [];
    for (const swept of await this.store.sweep(nowMs)) {
      const record = this.records.get(swept.endpoint) ?? swept;
      this.drop(swept.endpoint);
      this.emit('forgotten', swept.endpoint);
      lost.push(record);
      this.emit('lost', record);
    }
    // Registrations another process's sweep removed: forgotten here too, unless registered again.
    const swept = await this.store.sweptSince(this.sweptCursor);
    this.sweptCursor = swept.cursor;
    for (const endpoint of swept.endpoints) {
      const record = this.records.get(endpoint);
      if (record === undefined || (await this.store.get(endpoint)) !== null) continue;
      this.drop(endpoint);
      this.emit('forgotten', endpoint);
      lost.push(record);
      this.emit('lost', record);
    }
    return lost;
  }

  /**
   * Writes every record whose activity changed since it was last written (activity alone is
   * written at most every `activityPersistIntervalMs`), so a stop loses no last-seen time.
   * Resolves with the number of records written; rejects with ActivityNotPersistedError (writer).
   */
  async persistActivity(): Promise<number> {
    return this.writer.persistActivity(this.recordOf);
  }

  /**
   * A Register the core refused or never answered: the registration it would have replaced comes
   * back, or else the record goes (and with it the endpoint's core-facing port, see `forgotten`).
   */
  private async dropRegister(pending: PendingRegistration, record: DeviceRecord, why: 'rejected' | 'unanswered'): Promise<void> {
    if (pending.previous !== undefined) this.restore(pending.previous);
    else await this.forget(pending.endpoint);
    this.emit('refused', record, why);
  }

  /** Remembers `record` and writes it whole (a Register the core accepted). */
  private save(record: DeviceRecord): Promise<void> {
    this.remember(record);
    return this.writer.save(record);
  }

  /**
   * Remembers `previous` again, the registration a held Register would have replaced: Redis still
   * holds it (a held Register is never written), so nothing is written.
   */
  private restore(previous: DeviceRecord): void {
    this.remember(previous);
    this.writer.noteRestored(previous);
  }

  /** Remembers `after` in place of `before` and writes what changed (see {@link RegistrationWriter.write}). */
  private write(before: DeviceRecord, after: DeviceRecord): Promise<void> {
    this.remember(after);
    return this.writer.write(before, after);
  }

  private remember(record: DeviceRecord): void {
    this.records.remember(record);
  }

  private async forget(endpoint: string): Promise<void> {
    this.drop(endpoint);
    await this.store.remove(endpoint);
    this.emit('forgotten', endpoint);
  }

  /** Removes everything held in memory for `endpoint`. */
  private drop(endpoint: string): void {
    this.records.drop(endpoint);
    this.writer.forget(endpoint);
    this.presence.forget(endpoint);
    this.pending.forget(endpoint);
  }
}
