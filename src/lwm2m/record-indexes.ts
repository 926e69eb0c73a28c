/**
 * The keys the registration mirror finds a record by, apart from its endpoint: the source a
 * message came from (`udp:<host>:<port>`, `sms:<msisdn>`). Pure functions, no I/O.
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

/** The index key of a message source. */
export function sourceKey(source: DeviceSource): string {
  return source.bearer === 'sms' ? `sms:${source.msisdn}` : `udp:${source.host}:${source.port}`;
}

/** The index keys of every source a record names (its MSISDN, its UDP address). */
export function sourceKeys(record: DeviceRecord): string[] {
  const keys: string[] = [];
  if (record.msisdn) keys.push(sourceKey({ bearer: 'sms', msisdn: record.msisdn }));
  if (record.udpHost) keys.push(sourceKey({ bearer: 'udp', host: record.udpHost, port: record.udpPort ?? 0 }));
  return keys;
}
