/**
 * The registration store's write scripts on a real Redis (src/lwm2m/lua/putRegistrations-1.lua,
 * patchRegistration-2.lua, removeRegistration-2.lua, sweepLapsed-2.lua): the rules their headers
 * state. A whole-record put of a record Redis does not hold yet stores `JSON.stringify(record)`
 * as given (the script does no JSON work: issue 10, Redis CPU per Register) and nothing else but
 * its deadline (no source-index key: nothing reads them); with a stored predecessor activity never
 * goes back. No script reads or writes the legacy index keys earlier releases wrote
 * (`msisdn:<digits>`, `udp:<host>:<port>`): they go once, at a start (legacy-index-keys.test.ts).
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../../src/lwm2m/device-record.ts';
import { RedisRegistrationStore } from '../../../src/lwm2m/redis-registration-store.ts';
import { commandsDuring } from '../../support/redis-monitor.ts';
import { usePrivateRedis } from '../../support/test-scope.ts';

const PREFIX = 'test:put:';
const T0 = 1_796_000_000_000;

const { redis: admin, server } = usePrivateRedis({ flushBeforeEach: false });
const clients: Redis[] = [];

afterEach(async () => {
  await admin().flushall();
  for (const client of clients.splice(0)) client.disconnect();
});

function store(): { redis: Redis; store: RedisRegistrationStore } {
  const redis = new Redis(server().url);
  clients.push(redis);
  return { redis, store: new RedisRegistrationStore(redis, PREFIX) };
}

function record(endpoint: string, fields: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    endpoint, msisdn: null, udpHost: '127.0.0.10', udpPort: 40_000, binding: 'U', queueMode: false, lifetimeSec: 300,
    lwm2mVersion: '1.1', objectLinks: '</1/0>,</3/0>;ver="1.1"', location: '/rd/x', registered: true, registeredAtMs: T0,
    lastActivityMs: T0, lastBearer: 'udp', lastUdpActivityMs: T0, smsModem: null, registeredOver: 'udp', ...fields,
  };
}

async function storedJson(redis: Redis, endpoint: string): Promise<string | null> {
  return redis.get(`${PREFIX}device:${endpoint}`);
}

/** Writes the legacy index keys earlier releases wrote for `stored` (as an existing deployment holds them). */
async function legacyIndexes(redis: Redis, stored: DeviceRecord): Promise<string[]> {
  const keys = [`${PREFIX}msisdn:${stored.msisdn}`, `${PREFIX}udp:${stored.udpHost}:${stored.udpPort}`];
  await redis.mset(keys[0]!, stored.endpoint, keys[1]!, stored.endpoint);
  return keys;
}

async function deadline(redis: Redis, endpoint: string): Promise<number | null> {
  const score = await redis.zscore(`${PREFIX}expiry`, endpoint);
  return score === null ? null : Number(score);
}

describe('put script: a record Redis does not hold yet', () => {
  it('stores the JSON as given (JSON.stringify of the record) and its deadline, and no index key', async () => {
    const { redis, store: s } = store();
    const udp = record('new-udp');
    const sms = record('new-sms', { msisdn: '491701234567', udpHost: null, udpPort: null, lastBearer: 'sms', lastUdpActivityMs: null, lifetimeSec: 86_400 });
    await Promise.all([s.save(udp), s.save(sms)]);
    expect(await storedJson(redis, 'new-udp')).toBe(JSON.stringify(udp));
    expect(await storedJson(redis, 'new-sms')).toBe(JSON.stringify(sms));
    expect((await redis.keys(`${PREFIX}*`)).sort()).toEqual([`${PREFIX}device:new-sms`, `${PREFIX}device:new-udp`, `${PREFIX}expiry`]);
    expect(await deadline(redis, 'new-udp')).toBe(T0 + 300_000);
    expect(await deadline(redis, 'new-sms')).toBe(T0 + 86_400_000);
    expect(await s.get('new-sms')).toEqual(sms);
  });

  it('writes a record saved alone as a batch of one: the same script as a batch, one call', async () => {
    const { redis, store: s } = store();
    await s.save(record('warm-up')); // the connection's first call of the script is an EVAL
    const alone = await commandsDuring(server().url, redis, () => s.save(record('alone')));
    const batch = await commandsDuring(server().url, redis, () => Promise.all([s.save(record('one')), s.save(record('two', { udpPort: 40_001 }))]));
    expect(alone).toHaveLength(1);
    expect(batch).toHaveLength(1);
    // EVALSHA sha numkeys expiry prefix, then five values per record.
    expect(alone[0]!.slice(0, 3)).toEqual(batch[0]!.slice(0, 3));
    expect([alone[0]!.length, batch[0]!.length]).toEqual([5 + 5, 5 + 2 * 5]);
    expect(await storedJson(redis, 'alone')).toBe(JSON.stringify(record('alone')));
  });
});

describe('put script: a record Redis holds already', () => {
  it('replaces it with the JSON as given when its activity is not older, writing no index key', async () => {
    const { redis, store: s } = store();
    await s.save(record('moving', { msisdn: '4911', udpPort: 40_000 }));
    const moved = record('moving', { msisdn: '4922', udpPort: 40_005, lifetimeSec: 600, lastActivityMs: T0 + 1_000, lastUdpActivityMs: T0 + 1_000 });
    await s.save(moved);
    expect(await storedJson(redis, 'moving')).toBe(JSON.stringify(moved));
    expect((await redis.keys(`${PREFIX}*`)).sort()).toEqual([`${PREFIX}device:moving`, `${PREFIX}expiry`]);
    expect(await deadline(redis, 'moving')).toBe(T0 + 1_000 + 600_000);
  });

  it('never takes activity back: a later stored lastActivityMs is kept, with the deadline it gives under the new lifetime', async () => {
    const { redis, store: s } = store();
    await s.save(record('busy', { lastActivityMs: T0 + 50_000, lastUdpActivityMs: T0 + 50_000 }));
    await s.save(record('busy', { lifetimeSec: 900, binding: 'UQ', lastActivityMs: T0 + 10_000, lastUdpActivityMs: T0 + 10_000 }));
    expect(JSON.parse((await storedJson(redis, 'busy'))!)).toEqual(record('busy', { lifetimeSec: 900, binding: 'UQ', lastActivityMs: T0 + 50_000, lastUdpActivityMs: T0 + 50_000 }));
    expect(await deadline(redis, 'busy')).toBe(T0 + 50_000 + 900_000);
  });

  it('keeps a later stored lastUdpActivityMs on its own (and one the new record lacks), the deadline then the new record\'s', async () => {
    const { redis, store: s } = store();
    await s.save(record('udp-later', { lastActivityMs: T0, lastUdpActivityMs: T0 + 5_000 }));
    await s.save(record('udp-later', { lastActivityMs: T0 + 20_000, lastBearer: 'sms', lastUdpActivityMs: T0 + 1_000 }));
    expect(JSON.parse((await storedJson(redis, 'udp-later'))!)).toMatchObject({ lastActivityMs: T0 + 20_000, lastBearer: 'sms', lastUdpActivityMs: T0 + 5_000 });
    expect(await deadline(redis, 'udp-later')).toBe(T0 + 20_000 + 300_000);

    await s.save(record('udp-lacking', { lastUdpActivityMs: T0 + 7_000, lastActivityMs: T0 + 7_000 }));
    await s.save(record('udp-lacking', { lastUdpActivityMs: null, lastActivityMs: T0 + 8_000, lastBearer: 'sms' }));
    expect(JSON.parse((await storedJson(redis, 'udp-lacking'))!)).toMatchObject({ lastActivityMs: T0 + 8_000, lastUdpActivityMs: T0 + 7_000 });
  });

  it('applies the rules to each record of one batch on its own', async () => {
    const { redis, store: s } = store();
    await s.save(record('b-later', { lastActivityMs: T0 + 9_000, lastUdpActivityMs: T0 + 9_000 }));
    const fresh = record('b-new', { udpPort: 40_010 });
    const older = record('b-later', { lastActivityMs: T0 + 1_000, lastUdpActivityMs: T0 + 1_000, lifetimeSec: 60 });
    await Promise.all([s.save(fresh), s.save(older)]);
    expect(await storedJson(redis, 'b-new')).toBe(JSON.stringify(fresh));
    expect(JSON.parse((await storedJson(redis, 'b-later'))!)).toMatchObject({ lastActivityMs: T0 + 9_000, lifetimeSec: 60 });
    expect(await deadline(redis, 'b-later')).toBe(T0 + 9_000 + 60_000);
    expect(await deadline(redis, 'b-new')).toBe(T0 + 300_000);
  });
});

describe('patch script', () => {
  it('writes nothing for a record that is gone', async () => {
    const { redis, store: s } = store();
    expect(await s.patch('gone', { lifetimeSec: 60 })).toBe(false);
    expect(await redis.keys(`${PREFIX}*`)).toEqual([]);
  });

  it('merges the changed fields and never takes activity back, writing no index key', async () => {
    const { redis, store: s } = store();
    await s.save(record('patched', { lastActivityMs: T0 + 30_000, lastUdpActivityMs: T0 + 30_000 }));
    expect(await s.patch('patched', { lifetimeSec: 120, udpPort: 40_020, msisdn: '4944', lastActivityMs: T0 + 10_000, lastUdpActivityMs: T0 + 10_000 })).toBe(true);
    expect(JSON.parse((await storedJson(redis, 'patched'))!)).toEqual(record('patched', { lifetimeSec: 120, udpPort: 40_020, msisdn: '4944', lastActivityMs: T0 + 30_000, lastUdpActivityMs: T0 + 30_000 }));
    expect(await deadline(redis, 'patched')).toBe(T0 + 30_000 + 120_000);
    expect((await redis.keys(`${PREFIX}*`)).sort()).toEqual([`${PREFIX}device:patched`, `${PREFIX}expiry`]);
  });

});

describe('remove script', () => {
  it('deletes the record and its deadline, and answers the record', async () => {
    const { redis, store: s } = store();
    const gone = record('removed', { msisdn: '4966' });
    await s.save(gone);
    expect(await s.remove('removed')).toEqual(gone);
    expect(await redis.keys(`${PREFIX}*`)).toEqual([]);
    expect(await s.remove('removed')).toBeNull();
  });
});

describe('scripts and the legacy index keys', () => {
  it('no script reads or deletes them any more (their removal is once, at a start: legacy-index-keys.ts)', async () => {
    const { redis, store: s } = store();
    const put = record('legacy-put', { msisdn: '4911', udpPort: 40_000 });
    const patched = record('legacy-patch', { msisdn: '4955', udpPort: 40_001 });
    const removed = record('legacy-remove', { msisdn: '4966', udpPort: 40_002 });
    const lapsed = record('legacy-lapsed', { msisdn: '4977', udpPort: 40_003, lifetimeSec: 60 });
    await Promise.all([put, patched, removed, lapsed].map((r) => s.save(r)));
    const keys = (await Promise.all([put, patched, removed, lapsed].map((r) => legacyIndexes(redis, r)))).flat();
    const commands = await commandsDuring(server().url, redis, async () => {
      await s.save({ ...put, lastActivityMs: T0 + 1_000 });
      await s.patch('legacy-patch', { lifetimeSec: 120 });
      await s.remove('legacy-remove');
      expect((await s.sweep(T0 + 60_000)).map((swept) => swept.endpoint)).toEqual(['legacy-lapsed']);
    });
    expect(commands.map((args) => args[0]?.toLowerCase().replace('evalsha', 'eval'))).toEqual(['eval', 'eval', 'eval', 'eval']); // a script's first call on a connection is an EVAL
    expect(await redis.exists(...keys)).toBe(keys.length);
  });
});
