/**
 * The one-time removal of the source-index keys earlier releases wrote beside every registration
 * (src/lwm2m/legacy-index-keys.ts), on a real Redis: every `<prefix>msisdn:*` and `<prefix>udp:*`
 * key goes, nothing else does, a marker makes every later call one EXISTS, a failure sets no
 * marker; and a gateway start runs it once it has started, and a stop during it stays quiet (as
 * during the read-back of the SMS spend, the other work a start leaves running: gateway-restart.ts).
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../../src/gateway/gateway.ts';
import { LEGACY_INDEX_MARKER, removeLegacyIndexKeys } from '../../../src/lwm2m/legacy-index-keys.ts';
import { captureLog } from '../../support/log-capture.ts';
import { redisCommand } from '../../support/private-redis.ts';
import { RedisHoldProxy } from '../../support/redis-hold-proxy.ts';
import { commandsDuring } from '../../support/redis-monitor.ts';
import { usePrivateRedis, useTestScope } from '../../support/test-scope.ts';

const PREFIX = 'smsbridge:reg:';
const T0 = 1_796_000_000_000;
const { redis, server, client } = usePrivateRedis();
const scope = useTestScope();

/**
 * An existing deployment's legacy keys: two per device (its number and its address, naming its
 * endpoint), and keys that only look alike (another prefix, a device named like one, another
 * word), which must stay.
 */
async function deployment(devices: number): Promise<{ legacy: string[]; kept: string[] }> {
  const legacy: string[] = [];
  const kept = [`${PREFIX}device:msisdn:x`, 'other:reg:msisdn:491700000001', `${PREFIX}udpx:1`, `${PREFIX}xudp:1`, 'smsbridge:msisdn:1'];
  const pipeline = redis().pipeline();
  for (let n = 0; n < devices; n += 1) {
    for (const key of [`${PREFIX}msisdn:4917${String(n).padStart(8, '0')}`, `${PREFIX}udp:127.0.0.10:${30_000 + n}`]) {
      pipeline.set(key, `dev-${n}`);
      legacy.push(key);
    }
  }
  for (const key of kept) pipeline.set(key, 'kept');
  await pipeline.exec();
  return { legacy, kept };
}

describe('removeLegacyIndexKeys', () => {
  it('deletes every msisdn: and udp: key under the prefix over many SCAN pages, and nothing else, then sets the marker', async () => {
    const { legacy, kept } = await deployment(2_500); // 5,000 legacy keys: several pages of 1,000
    expect(await removeLegacyIndexKeys(redis(), PREFIX, T0)).toBe(legacy.length);
    expect(await redis().exists(...legacy)).toBe(0);
    expect(await redis().exists(...kept)).toBe(kept.length);
    expect(await redis().get(`${PREFIX}${LEGACY_INDEX_MARKER}`)).toBe(String(T0));
  });

  it('once the marker is set, costs one EXISTS and deletes nothing (keys an older release writes later stay)', async () => {
    await removeLegacyIndexKeys(redis(), PREFIX, T0);
    await redis().set(`${PREFIX}msisdn:491700000042`, 'late');
    const own = client();
    const commands = await commandsDuring(server().url, own, async () => expect(await removeLegacyIndexKeys(own, PREFIX, T0 + 1)).toBe(0));
    expect(commands.map((args) => args[0]?.toLowerCase())).toEqual(['exists']);
    expect(await redis().get(`${PREFIX}msisdn:491700000042`)).toBe('late');
  });

  it('takes the prefix literally: its glob characters match only themselves', async () => {
    const prefix = 'lab*[1]:reg:';
    await redis().mset(`${prefix}msisdn:4911`, 'a', 'labX1:reg:msisdn:4911', 'b', 'lab*1:reg:udp:127.0.0.1:5', 'c');
    expect(await removeLegacyIndexKeys(redis(), prefix, T0)).toBe(1);
    expect(await redis().exists('labX1:reg:msisdn:4911', 'lab*1:reg:udp:127.0.0.1:5')).toBe(2);
  });

  it('rejects with Redis\' error and sets no marker when a delete is refused; the next call finishes the work', async () => {
    const { legacy } = await deployment(10);
    await redisCommand(server().port, 'ACL SETUSER no-unlink on >pw-4711 ~* +@all -unlink');
    const refused = new Redis(`redis://no-unlink:pw-4711@127.0.0.1:${server().port}`);
    scope.onCleanup(async () => refused.disconnect());
    await expect(removeLegacyIndexKeys(refused, PREFIX, T0)).rejects.toThrow(/NOPERM/);
    expect(await redis().exists(`${PREFIX}${LEGACY_INDEX_MARKER}`)).toBe(0);
    expect(await redis().exists(...legacy)).toBe(legacy.length);
    expect(await removeLegacyIndexKeys(redis(), PREFIX, T0)).toBe(legacy.length);
    expect(await redis().exists(...legacy)).toBe(0);
  });

  it('once its signal has aborted, sends no further command and rejects with the signal\'s reason (no marker set)', async () => {
    const { legacy } = await deployment(10);
    const own = client();
    const stopped = new AbortController();
    stopped.abort(new Error('stopping'));
    const commands = await commandsDuring(server().url, own, async () => {
      await expect(removeLegacyIndexKeys(own, PREFIX, T0, stopped.signal)).rejects.toThrow('stopping');
    });
    expect(commands).toEqual([]);
    expect(await redis().exists(`${PREFIX}${LEGACY_INDEX_MARKER}`)).toBe(0);
    expect(await redis().exists(...legacy)).toBe(legacy.length);
  });
});

/** A gateway without modems on the Redis at `redisUrl`, logging to `logger`. */
/**
 * Stops `gateway` (cleanly), then waits until a record `about` appears after "gateway stopped"
 * (the work the stop cut off reports its outcome) and expects every such record at debug.
 */
async function expectStopLogsAtDebug(gateway: Gateway, log: ReturnType<typeof captureLog>, about: (record: { msg: string }) => boolean): Promise<void> {
  expect(await gateway.stop()).toMatchObject({ clean: true });
  const stoppedAt = log.records().findIndex((r) => r.msg === 'gateway stopped');
  expect(stoppedAt).toBeGreaterThanOrEqual(0);
  await expect.poll(() => log.records().slice(stoppedAt).some(about), { timeout: 20_000 }).toBe(true);
  expect(log.records().filter(about).map((r) => r.level)).toEqual(['debug']);
}

function startGateway(redisUrl: string, logger: ReturnType<typeof captureLog>['logger']): Promise<Gateway> {
  return Gateway.start({
    redisUrl, redisPrefix: 'smsbridge:', core: { host: '127.0.0.1', port: 9 },
    udpListen: { host: '127.0.0.1', port: 0 }, coreSockets: { bindHost: '127.0.0.1', portRange: [42_000, 47_999] },
    modems: [], routes: [], senderPolicy: { mode: 'open' }, awakeWindowMs: 93_000, reassemblyTimeoutSec: 60, maintenanceIntervalMs: 500, profilesDir: null,
  }, { logger });
}

describe('a gateway start', () => {
  it('removes the legacy index keys once it has started, and says how many', async () => {
    const { legacy, kept } = await deployment(3);
    const log = captureLog('info');
    const gateway = await startGateway(server().url, log.logger);
    scope.onCleanup(() => gateway.stop());
    await expect.poll(() => log.records().find((r) => r.msg.startsWith('removed the source-index keys')), { timeout: 20_000 }).toMatchObject({ level: 'info', removed: legacy.length });
    expect(await redis().exists(...legacy)).toBe(0);
    expect(await redis().exists(...kept)).toBe(kept.length);
    expect(await redis().exists(`${PREFIX}${LEGACY_INDEX_MARKER}`)).toBe(1);
  }, 60_000);

  it('stopped while the removal is under way: no warning about it after "gateway stopped" (the outcome is logged at debug)', async () => {
    const { legacy } = await deployment(2_500);
    // The removal's first SCAN (and all after it on that connection) never reaches Redis: the
    // removal is certainly under way when the stop closes the connection, whatever the timing.
    const proxy = await RedisHoldProxy.start(server().port);
    scope.onCleanup(() => proxy.close());
    const scanning = proxy.hold('scan');
    const log = captureLog('debug');
    const gateway = await startGateway(`redis://127.0.0.1:${proxy.port}`, log.logger);
    scope.onCleanup(() => gateway.stop());
    await scanning;
    // Its outcome (the SCAN fails on the closed connection) is logged at debug, after the stop.
    await expectStopLogsAtDebug(gateway, log, (r) => r.msg.includes('source-index keys of earlier releases'));
    expect(await redis().exists(`${PREFIX}${LEGACY_INDEX_MARKER}`)).toBe(0); // not done: the next start goes on
    expect(await redis().exists(...legacy)).toBe(legacy.length);
  }, 60_000);

  it('stopped while it reads back the SMS spend: no warning about it after "gateway stopped" (logged at debug)', async () => {
    // The read-back's MGET (the first command after the start) and all after it on that
    // connection never reach Redis: the read-back is certainly under way when the stop closes it.
    const proxy = await RedisHoldProxy.start(server().port);
    scope.onCleanup(() => proxy.close());
    const log = captureLog('debug');
    const gateway = await startGateway(`redis://127.0.0.1:${proxy.port}`, log.logger);
    scope.onCleanup(() => gateway.stop());
    await proxy.hold('mget'); // armed before the next turn of the event loop, where the read-back starts
    // Before: a warning, after "gateway stopped".
    await expectStopLogsAtDebug(gateway, log, (r) => r.msg.startsWith('SMS spend of today not read back'));
  }, 60_000);
});
