/**
 * What a stop costs Redis (issue 10): `RegistrationMirror.persistActivity` writes the activity the
 * mirror holds in memory only through the store's batched touch, a bounded number of devices per
 * script call, not one call per device (19,000 calls at a stop in bench/device-scale); it still
 * resolves with the number of records written; when a call fails it still makes the others and
 * rejects with ActivityNotPersistedError (the store's error as its cause, the number written),
 * leaving the failed call's records for the next call (the contract of
 * `RegistrationWriter.persistActivity`); a gateway's stop reports the number written all the
 * same. Real Redis, commands counted by MONITOR.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../../src/gateway/gateway.ts';
import { CoapCode } from '../../../src/lwm2m/index.ts';
import type { DeviceRecord } from '../../../src/lwm2m/device-record.ts';
import { RedisRegistrationStore } from '../../../src/lwm2m/redis-registration-store.ts';
import { RegistrationMirror } from '../../../src/lwm2m/registration-mirror.ts';
import { captureLog } from '../../support/log-capture.ts';
import { commandsDuring } from '../../support/redis-monitor.ts';
import { usePrivateRedis } from '../../support/test-scope.ts';

const PREFIX = 'test:stop:';
const T0 = 1_796_000_000_000;
const HOST = '127.0.0.10';

const { redis: admin, server, client } = usePrivateRedis({ flushBeforeEach: false });

afterEach(async () => {
  await admin().flushall();
});

function record(n: number): DeviceRecord {
  return {
    endpoint: `dev-${n}`, msisdn: null, udpHost: HOST, udpPort: 30_000 + n, binding: 'U', queueMode: false, lifetimeSec: 3_600,
    lwm2mVersion: '1.1', objectLinks: '</3/0>', location: `/rd/${n}`, registered: true, registeredAtMs: T0,
    lastActivityMs: T0, lastBearer: 'udp', lastUdpActivityMs: T0, smsModem: null, registeredOver: 'udp',
  };
}

/**
 * `devices` registrations in Redis, loaded by a gateway process whose mirror has since heard
 * each device once (activity held in memory only: written at most every 10 s).
 */
async function fleetWithUnsavedActivity(devices: number, store: RedisRegistrationStore, clock: { nowMs: number }): Promise<RegistrationMirror> {
  const seed = new RedisRegistrationStore(client(), PREFIX);
  await Promise.all(Array.from({ length: devices }, (_, n) => seed.save(record(n))));
  const mirror = new RegistrationMirror(store, { now: () => clock.nowMs });
  await mirror.load();
  clock.nowMs = T0 + 1_000;
  for (let n = 0; n < devices; n += 1) {
    expect(mirror.noteActivity({ bearer: 'udp', host: HOST, port: 30_000 + n }, CoapCode.CONTENT)).toBe(`dev-${n}`);
  }
  return mirror;
}

describe('persistActivity at stop', () => {
  it('writes the activity of 1,500 devices in two script calls (at most 1,000 devices each), and resolves with 1,500', async () => {
    const clock = { nowMs: T0 };
    const redis = client();
    const mirror = await fleetWithUnsavedActivity(1_500, new RedisRegistrationStore(redis, PREFIX), clock);
    let written = 0;
    const commands = await commandsDuring(server().url, redis, async () => {
      written = await mirror.persistActivity();
    });
    expect(written).toBe(1_500);
    expect(commands.filter((args) => /^eval/i.test(args[0] ?? '')).length).toBe(2);
    expect(commands).toHaveLength(2);
    const stored = await new RedisRegistrationStore(client(), PREFIX).all();
    expect(stored).toHaveLength(1_500);
    expect(stored.filter((one) => one.lastActivityMs === T0 + 1_000 && one.lastUdpActivityMs === T0 + 1_000)).toHaveLength(1_500);
    expect(await redis.zscore(`${PREFIX}expiry`, 'dev-0')).toBe(String(T0 + 1_000 + 3_600_000));
    expect(await mirror.persistActivity()).toBe(0); // nothing left unsaved
  });

  it('rejects with the store\'s error as the cause (0 written), and the next call writes what that one left', async () => {
    const clock = { nowMs: T0 };
    const refused = new Error('refused');
    let failures = 0;
    // Redis refusing one activity write (a fault), whichever touch the writer uses.
    const store = new (class extends RedisRegistrationStore {
      override async touch(activity: Parameters<RedisRegistrationStore['touch']>[0]): Promise<boolean> {
        if (failures++ === 0) throw refused;
        return super.touch(activity);
      }

      override async touchMany(activities: Parameters<RedisRegistrationStore['touchMany']>[0]): Promise<number> {
        if (failures++ === 0) throw refused;
        return super.touchMany(activities);
      }
    })(client(), PREFIX);
    const mirror = await fleetWithUnsavedActivity(10, store, clock);
    await expect(mirror.persistActivity()).rejects.toMatchObject({ name: 'ActivityNotPersistedError', cause: refused, written: 0 });
    const left = await mirror.persistActivity();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(10);
    const stored = await new RedisRegistrationStore(client(), PREFIX).all();
    expect(stored.map((one) => one.lastActivityMs)).toEqual(Array.from({ length: 10 }, () => T0 + 1_000));
    expect(await mirror.persistActivity()).toBe(0);
  });

  it('when the 2nd of 3 script calls fails in Redis, still makes the 3rd, then rejects with Redis\' error and the number written; the next call writes the 2nd call\'s devices, and resolves with their number', async () => {
    const clock = { nowMs: T0 };
    const redis = client();
    const mirror = await fleetWithUnsavedActivity(2_500, new RedisRegistrationStore(redis, PREFIX), clock);
    // Calls of 1,000 devices in the order the mirror heard them: dev-1500 is in the 2nd. Its record,
    // unreadable now, makes that script call fail in Redis (cjson cannot decode it).
    const corrupted = `${PREFIX}device:dev-1500`;
    const intact = await admin().get(corrupted);
    await admin().set(corrupted, 'not a record');
    let failure: unknown;
    const commands = await commandsDuring(server().url, redis, async () => {
      failure = await mirror.persistActivity().then(() => undefined, (error: unknown) => error);
    });
    expect(String(failure)).toMatch(/cjson|json|decode|Expected/i); // the store's (Redis') error
    expect(failure).toMatchObject({ written: 1_500 }); // the 1st and 3rd calls' devices: a stop reports them
    // The 3rd call is made all the same: one record Redis cannot read must not cost the activity
    // of every device after it (nothing retries after a stop).
    expect(commands.filter((args) => /^eval/i.test(args[0] ?? '')).length).toBe(3);
    expect(commands).toHaveLength(3);
    const activityOf = async (from: number, to: number): Promise<number[]> => {
      const stored = await new RedisRegistrationStore(client(), PREFIX).all();
      return stored.filter((one) => Number(one.endpoint.slice(4)) >= from && Number(one.endpoint.slice(4)) < to).map((one) => one.lastActivityMs);
    };
    await admin().set(corrupted, intact!); // repaired: the registration as stored before the stop
    expect(new Set(await activityOf(0, 1_000))).toEqual(new Set([T0 + 1_000])); // the 1st call's: written, and settled
    expect(new Set(await activityOf(1_501, 2_000))).toEqual(new Set([T0])); // after the failure in the 2nd call: not written
    expect(new Set(await activityOf(2_000, 2_500))).toEqual(new Set([T0 + 1_000])); // the 3rd call's: written

    // What the 2nd call held stayed unsaved: the next call writes it.
    let written = 0;
    const retry = await commandsDuring(server().url, redis, async () => {
      written = await mirror.persistActivity();
    });
    expect(written).toBe(1_000);
    expect(retry.filter((args) => /^eval/i.test(args[0] ?? '')).length).toBe(1); // the 1st and 3rd calls' devices are not written again
    const all = await activityOf(0, 2_500);
    expect(all).toHaveLength(2_500);
    expect(new Set(all)).toEqual(new Set([T0 + 1_000]));
    expect(await redis.zscore(`${PREFIX}expiry`, 'dev-1500')).toBe(String(T0 + 1_000 + 3_600_000));
    expect(await mirror.persistActivity()).toBe(0);
  });
});

describe('a gateway stop when a write of activity fails', () => {
  it('reports the records written by the calls that succeeded (not 0), and names the failed step', async () => {
    const devices = 2_100; // calls of 1,000, 1,000 and 100 devices
    const prefix = 'gw:';
    // Stored activity an hour ahead of the gateway's clock: the activity noted below is never due
    // for a write of its own (at most every 10 s), however long the start takes; it waits for the stop.
    const aheadMs = Date.now() + 3_600_000;
    const log = captureLog('info');
    const seed = new RedisRegistrationStore(client(), `${prefix}reg:`);
    await Promise.all(Array.from({ length: devices }, (_, n) => seed.save({ ...record(n), registeredAtMs: aheadMs, lastActivityMs: aheadMs, lastUdpActivityMs: aheadMs, lifetimeSec: 86_400 })));
    const gateway = await Gateway.start({
      redisUrl: server().url, redisPrefix: prefix, core: { host: '127.0.0.1', port: 9 },
      udpListen: { host: '127.0.0.1', port: 0 }, coreSockets: { bindHost: '127.0.0.1', portRange: [42_000, 47_999] },
      modems: [], routes: [], senderPolicy: { mode: 'open' }, awakeWindowMs: 93_000, reassemblyTimeoutSec: 60, maintenanceIntervalMs: 3_600_000, profilesDir: null,
    }, { logger: log.logger });
    try {
      expect(gateway.mirror.list()).toHaveLength(devices);
      for (let n = 0; n < devices; n += 1) {
        expect(gateway.mirror.noteActivity({ bearer: 'udp', host: HOST, port: 30_000 + n }, CoapCode.CONTENT)).toBe(`dev-${n}`);
      }
      await admin().set(`${prefix}reg:device:dev-1500`, 'not a record'); // the 2nd call fails in Redis
      const result = await gateway.stop();
      expect(result.unfinishedStep).toMatch(/writing device activity to Redis \(failed\)/);
      expect(result.activityRecordsPersisted).toBe(1_100); // the 1st and 3rd calls'
      // The log says why (before: the step only, no error).
      const stopped = log.records().find((r) => r.msg === 'gateway stopped');
      expect(stopped).toMatchObject({ clean: false, activityRecordsPersisted: 1_100 });
      expect(JSON.stringify(stopped?.['err'] ?? null)).toMatch(/activity|cjson|record/i);
    } finally {
      await gateway.stop();
    }
  }, 60_000);
});
