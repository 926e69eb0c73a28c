/**
 * A Redis outage through the whole lab (simulated device → SMS network → simulated modem →
 * gateway → lab core): Redis is stopped and started again, empty, on the same port. An Update
 * the device sends by SMS meanwhile stays on the gateway's modem until it is persisted, then
 * reaches the core; a Read of the core meanwhile waits and is answered; nothing crashes and the
 * gateway recovers by itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab } from '../../../src/lab/lab.ts';
import { startPrivateRedis, type PrivateRedis } from '../../support/private-redis.ts';
import { captureLog } from '../../support/log-capture.ts';

let lab: Lab | null = null;
let redis: PrivateRedis | null = null;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  await lab?.stop();
  await redis?.stop();
  lab = null;
  redis = null;
});

describe('Redis outage end to end', () => {
  it('an Update sent by SMS while Redis is down is not acknowledged by the modem and reaches the core when Redis returns; a Read waits too', async () => {
    const log = captureLog();
    redis = await startPrivateRedis();
    lab = await Lab.start({
      redisUrl: redis.url, modems: 1, cmgsLatencyMs: 50, networkDelayMs: 10, gateway: { maintenanceIntervalMs: 200 }, core: { responseTimeoutMs: 20_000 },
      gatewayStart: { logger: log.logger, redisRetry: { minDelayMs: 50, maxDelayMs: 400 } },
    });
    const device = await lab.addDevice({ msisdn: '+491701239001', endpoint: 'outage-e2e', binding: 'S', lifetimeSec: 300, coap: { responseTimeoutMs: 60_000 } });
    // Registered from the device's side: the core's 2.01 Created reaches it by SMS through the
    // outbound SMS queue, in Redis. The core knowing the device is not enough: stopped before that
    // answer left the queue, Redis comes back empty without it, the device never learns it is
    // registered, and its update() below sends nothing (it waits for its Register instead).
    await device.whenRegistered();
    expect(lab.core.client('outage-e2e')?.endpoint).toBe('outage-e2e');
    const modem = lab.modems[0]!;

    await redis.stop();
    await expect.poll(() => log.matching('redis unreachable').length, { timeout: 20_000 }).toBeGreaterThan(0);
    const acknowledgedBefore = modem.stats.smsReceived;
    const refusedBefore = modem.stats.deliveriesRefused;
    const submitted = new Promise<void>((resolve) => {
      const off = lab!.network.on('submitted', (from) => {
        if (from !== '491701239001') return;
        off();
        resolve();
      });
    });
    const updated = device.update();
    const read = lab.core.read('outage-e2e', '/3/0'); // outbound: waits for Redis (the outbound SMS queue)
    // The Update is on its way to the gateway's modem (an update() that sends nothing ends at once).
    expect(await Promise.race([submitted.then(() => 'sent'), updated.then((ok) => `update() ended (${ok}) without an SMS`)])).toBe('sent');
    // Direct route (+CMT): unpersisted, so waiting for AT+CNMA or refused to the network, which
    // delivers it again. Once the +CMT is out this holds for good (refusals are counted).
    await expect.poll(() => modem.status.awaitingCnma || modem.stats.deliveriesRefused > refusedBefore, { timeout: 20_000 }).toBe(true);
    expect(modem.stats.smsReceived).toBe(acknowledgedBefore);
    expect(device.stats.updates).toBe(0);
    expect((await lab.gateway.status()).redis.commands).not.toBe('ready');
    expect(device.stats.readsAnswered).toBe(0); // its SMS waits for Redis

    redis = await startPrivateRedis({ port: redis.port });
    expect(await updated).toBe(true);
    expect(device.stats.updates).toBe(1);
    expect((await read).code).toBe('2.05');
    await expect.poll(() => modem.status.used.ME + modem.status.used.SM === 0 && !modem.status.awaitingCnma, { timeout: 20_000 }).toBe(true);
    expect(lab.gateway.pool.drivers[0]!.state).toBe('ready');
    expect(log.records().filter((r) => r.level === 'error' || r.level === 'fatal')).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 90_000);
});
