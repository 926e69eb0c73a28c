/**
 * The records the registration mirror holds, and the keys it finds them by apart from the
 * endpoint: the source a message came from (a UDP host and port, an MSISDN), the location
 * the core gave, the count per UDP host, and which ones the core has not accepted yet. No I/O.
 */
import type { DeviceRecord, DeviceSource } from './device-record.ts';

/** True when `a` and `b` are indexed alike (address, number, location, accepted or not): replacing one by the other needs no re-indexing. */
export function sameIndexes(a: DeviceRecord, b: DeviceRecord): boolean {
  return a.udpHost === b.udpHost && a.udpPort === b.udpPort && a.msisdn === b.msisdn && a.location === b.location && a.registered === b.registered;
}

/** True when `a` and `b` name the same sources (address and number): the source index and the per-host counts stay as they are. */
export function sameSources(a: DeviceRecord, b: DeviceRecord): boolean {
  return a.udpHost === b.udpHost && a.udpPort === b.udpPort && a.msisdn === b.msisdn;
}

/**
 * Which endpoint each message source belongs to: a number by MSISDN, a UDP address by host and
 * then port, so that a lookup builds no key string per message (bench/device-scale: CPU per
 * Update and per Register). Contract: `set` points a source at an endpoint; `deleteIfOwned`
 * removes it only while it still names that endpoint; lookups never throw.
 */
class SourceIndex {
  private readonly bySms = new Map<string, string>();
  private readonly byUdp = new Map<string, Map<number, string>>();

  get(source: DeviceSource): string | undefined {
    return source.bearer === 'sms' ? this.bySms.get(source.msisdn) : this.byUdp.get(source.host)?.get(source.port);
  }

  /** Points every source `record` names (its MSISDN, its UDP address) at its endpoint. */
  setAll(record: DeviceRecord): void {
    if (record.msisdn) this.bySms.set(record.msisdn, record.endpoint);
    if (record.udpHost) {
      let ports = this.byUdp.get(record.udpHost);
      if (ports === undefined) {
        ports = new Map();
        this.byUdp.set(record.udpHost, ports);
      }
      ports.set(record.udpPort ?? 0, record.endpoint);
    }
  }

  /** Removes every source `record` names that still points at its endpoint. */
  deleteOwned(record: DeviceRecord): void {
    if (record.msisdn && this.bySms.get(record.msisdn) === record.endpoint) this.bySms.delete(record.msisdn);
    if (record.udpHost) {
      const ports = this.byUdp.get(record.udpHost);
      const port = record.udpPort ?? 0;
      if (ports !== undefined && ports.get(port) === record.endpoint) {
        ports.delete(port);
        if (ports.size === 0) this.byUdp.delete(record.udpHost);
      }
    }
  }
}

/**
 * Contract: `remember` holds a record in place of the endpoint's previous one and keeps every
 * index right (a source or location names the endpoint whose record named it last); `drop`
 * removes a record and the index entries that still name it. Lookups never throw.
 */
export class IndexedRecords {
  private readonly records = new Map<string, DeviceRecord>();
  private readonly bySource = new SourceIndex();
  /** Registrations per UDP host, for the admission's per-source limit. */
  private readonly perUdpHost = new Map<string, number>();
  private readonly byLocation = new Map<string, string>();
  /** Endpoints whose record the core has not accepted yet. */
  private readonly unaccepted = new Set<string>();

  /** The record of `endpoint`, or undefined. */
  get(endpoint: string): DeviceRecord | undefined {
    return this.records.get(endpoint);
  }

  /** Records held now. */
  get size(): number {
    return this.records.size;
  }

  /** Every record held now. */
  values(): IterableIterator<DeviceRecord> {
    return this.records.values();
  }

  /** The endpoint a message source belongs to, or undefined. */
  endpointOf(source: DeviceSource): string | undefined {
    return this.bySource.get(source);
  }

  /** The endpoint registered at `location` (`/rd/…`), or undefined. */
  endpointAt(location: string): string | undefined {
    return this.byLocation.get(location);
  }

  /** Registrations whose UDP address is on `host`. */
  fromHost(host: string): number {
    return this.perUdpHost.get(host) ?? 0;
  }

  /** Endpoints whose record the core has not accepted yet (a copy). */
  unacceptedEndpoints(): string[] {
    return [...this.unaccepted];
  }

  /** Holds `record` in place of the endpoint's previous one (see the class contract). */
  remember(record: DeviceRecord): void {
    const previous = this.records.get(record.endpoint);
    if (previous !== undefined && sameIndexes(previous, record)) {
      this.records.set(record.endpoint, record); // every accepted Update: its indexes stay as they are
      return;
    }
    if (previous !== undefined && sameSources(previous, record)) {
      // Every accepted Register: only the location and the accepted flag change (the sources are
      // pointed at this endpoint again, as a full re-index would; the per-host count is unchanged).
      this.records.set(record.endpoint, record);
      this.bySource.setAll(record);
      if (previous.location !== null && previous.location !== record.location && this.byLocation.get(previous.location) === record.endpoint) this.byLocation.delete(previous.location);
      if (record.location !== null) this.byLocation.set(record.location, record.endpoint);
      this.noteAccepted(record);
      return;
    }
    if (previous) this.unindex(previous);
    this.records.set(record.endpoint, record);
    this.bySource.setAll(record);
    if (record.udpHost !== null) this.perUdpHost.set(record.udpHost, this.fromHost(record.udpHost) + 1);
    if (record.location !== null) this.byLocation.set(record.location, record.endpoint);
    this.noteAccepted(record);
  }

  /** Removes the record of `endpoint` and the index entries that still name it. */
  drop(endpoint: string): void {
    const record = this.records.get(endpoint);
    if (record) this.unindex(record);
    this.records.delete(endpoint);
    this.unaccepted.delete(endpoint);
  }

  private noteAccepted(record: DeviceRecord): void {
    if (record.registered) this.unaccepted.delete(record.endpoint);
    else this.unaccepted.add(record.endpoint);
  }

  private unindex(record: DeviceRecord): void {
    this.bySource.deleteOwned(record);
    if (record.udpHost !== null) {
      const count = this.fromHost(record.udpHost) - 1;
      if (count > 0) this.perUdpHost.set(record.udpHost, count);
      else this.perUdpHost.delete(record.udpHost);
    }
    if (record.location !== null && this.byLocation.get(record.location) === record.endpoint) this.byLocation.delete(record.location);
  }
}
