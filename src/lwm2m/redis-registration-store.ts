/**
 * The registration mirror's storage in Redis, so it survives a gateway restart.
 *
 * Keys (under `prefix`):
 *   device:<endpoint>     JSON {@link DeviceRecord}
 *   msisdn:<digits>       endpoint of the device with that MSISDN
 *   udp:<host>:<port>     endpoint of the device last heard from that address
 *   expiry                sorted set: endpoint → time (ms) its registration lapses
 */
import type { Redis } from 'ioredis';
import { expiresAtMs, type DeviceRecord, type DeviceSource } from './device-record.ts';

/** Records read by one MGET in {@link RedisRegistrationStore.all} (bounded, so Redis stays responsive). */
const ALL_BATCH = 5000;

/**
 * Contract: `save` replaces the record and its indexes atomically (a MULTI), dropping the
 * indexes of the record it replaces when the MSISDN or address changed; `remove` deletes the
 * record and its indexes; lookups never throw for unknown keys (null). The caller owns the
 * Redis connection.
 */
export class RedisRegistrationStore {
  constructor(private readonly redis: Redis, private readonly prefix = 'smsbridge:reg:') {}

  /** The record of `endpoint`, or null. */
  async get(endpoint: string): Promise<DeviceRecord | null> {
    const json = await this.redis.get(`${this.prefix}device:${endpoint}`);
    return json === null ? null : (JSON.parse(json) as DeviceRecord);
  }

  /** The endpoint a source belongs to, or null when the gateway has not seen it register. */
  async endpointOf(source: DeviceSource): Promise<string | null> {
    return this.redis.get(this.indexKey(source));
  }

  /**
   * Every record (for the admin API, the demo table, restarts): one ZRANGE and one MGET per
   * {@link ALL_BATCH} records, not a round trip per device.
   */
  async all(): Promise<DeviceRecord[]> {
    const endpoints = await this.redis.zrange(`${this.prefix}expiry`, 0, -1);
    const records: DeviceRecord[] = [];
    for (let start = 0; start < endpoints.length; start += ALL_BATCH) {
      const keys = endpoints.slice(start, start + ALL_BATCH).map((endpoint) => `${this.prefix}device:${endpoint}`);
      for (const json of await this.redis.mget(keys)) if (json !== null) records.push(JSON.parse(json) as DeviceRecord);
    }
    return records;
  }

  /** Stores `record` and its indexes. */
  async save(record: DeviceRecord): Promise<void> {
    const previous = await this.get(record.endpoint);
    const multi = this.redis.multi();
    if (previous?.msisdn && previous.msisdn !== record.msisdn) multi.del(this.indexKey({ bearer: 'sms', msisdn: previous.msisdn }));
    if (previous?.udpHost && (previous.udpHost !== record.udpHost || previous.udpPort !== record.udpPort)) {
      multi.del(this.indexKey({ bearer: 'udp', host: previous.udpHost, port: previous.udpPort ?? 0 }));
    }
    multi.set(`${this.prefix}device:${record.endpoint}`, JSON.stringify(record));
    if (record.msisdn) multi.set(this.indexKey({ bearer: 'sms', msisdn: record.msisdn }), record.endpoint);
    if (record.udpHost) multi.set(this.indexKey({ bearer: 'udp', host: record.udpHost, port: record.udpPort ?? 0 }), record.endpoint);
    multi.zadd(`${this.prefix}expiry`, expiresAtMs(record), record.endpoint);
    await multi.exec();
  }

  /** Deletes the record of `endpoint` and its indexes; resolves with what was removed. */
  async remove(endpoint: string): Promise<DeviceRecord | null> {
    const record = await this.get(endpoint);
    const multi = this.redis.multi();
    multi.del(`${this.prefix}device:${endpoint}`);
    multi.zrem(`${this.prefix}expiry`, endpoint);
    if (record?.msisdn) multi.del(this.indexKey({ bearer: 'sms', msisdn: record.msisdn }));
    if (record?.udpHost) multi.del(this.indexKey({ bearer: 'udp', host: record.udpHost, port: record.udpPort ?? 0 }));
    await multi.exec();
    return record;
  }

  /** Endpoints whose registration lapsed at or before `nowMs`. */
  async lapsed(nowMs: number): Promise<string[]> {
    return this.redis.zrangebyscore(`${this.prefix}expiry`, '-inf', nowMs);
  }

  private indexKey(source: DeviceSource): string {
    return source.bearer === 'sms' ? `${this.prefix}msisdn:${source.msisdn}` : `${this.prefix}udp:${source.host}:${source.port}`;
  }
}
