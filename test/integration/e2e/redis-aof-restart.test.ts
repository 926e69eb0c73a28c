/**
 * Redis restarted under the gateway with append-only persistence (`appendfsync always`), killed
 * with SIGKILL (issue 9, "Redis: restarted under load with append-only persistence; the gateway
 * reconnects by itself and loses no job"). The whole lab: simulated device → SMS network →
 * simulated modem → gateway → lab core. Every inbox entry written before the kill is still there
 * after it, none is left unacknowledged, an Update sent while Redis is away reaches the core once
 * it is back, and the gateway reconnects by itself. The benchmark with load is
 * `npm run bench:reliability -- redis-restart` (docs/reliability.md#redis-restart).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../../src/lab/lab.ts';
import { startPrivateRedis, type PrivateRedis } from '../../support/private-redis.ts';
import { captureLog } from '../../support/log-capture.ts';

let lab: Lab | null = null;
let redis: PrivateRedis | null = null;
let dataDir: string | null = null;
afterEach(async () => {
  await lab?.stop();
  await redis?.stop();
  if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
  lab = null;
  redis = null;
  dataDir = null;
});

const startAofRedis = (dir: string, port?: number): Promise<PrivateRedis> =>
  startPrivateRedis({ appendOnly: true, ...(port === undefined ? {} : { port }), extraArgs: ['--dir', dir, '--appendfsync', 'always'] });

async function inboxFigures(url: string, key: string): Promise<{ entries: number; pending: number }> {
  const client = new Redis(url, { lazyConnect: true });
  try {
    await client.connect();
    const pending = (await client.xpending(key, 'relay')) as [number, ...unknown[]];
    return { entries: await client.xlen(key), pending: Number(pending[0]) };
  } finally {
    client.disconnect();
  }
}

describe('Redis restarted with its append-only file', () => {
  it('after kill -9 and a restart the gateway reconnects by itself and has lost no inbox entry; an Update sent meanwhile arrives', async () => {
    const log = captureLog();
    dataDir = await mkdtemp(join(tmpdir(), 'smsbridge-aof-test-'));
    redis = await startAofRedis(dataDir);
    lab = await Lab.start({
      redisUrl: redis.url, modems: 1, cmgsLatencyMs: 50, networkDelayMs: 10, gateway: { maintenanceIntervalMs: 200 }, core: { responseTimeoutMs: 60_000 },
      gatewayStart: { logger: log.logger, redisRetry: { minDelayMs: 50, maxDelayMs: 400 } },
    });
    const device = await lab.addDevice({ msisdn: '+491701239101', endpoint: 'aof-meter', binding: 'S', lifetimeSec: 300, coap: { responseTimeoutMs: 120_000 } });
    await device.whenRegistered();
    await expect.poll(() => lab!.core.client('aof-meter')?.endpoint, { timeout: 20_000 }).toBe('aof-meter');
    for (let i = 0; i < 3; i++) expect(await device.update()).toBe(true);
    const key = lab.gateway.inbox.messagesKey;
    await expect.poll(async () => (await inboxFigures(redis!.url, key)).pending, { timeout: 20_000 }).toBe(0);
    const before = await inboxFigures(redis.url, key);
    expect(before.entries).toBe(4); // the Register and three Updates

    process.kill(redis.pid, 'SIGKILL');
    await redis.stop();
    await expect.poll(() => log.matching('redis unreachable').length, { timeout: 20_000 }).toBeGreaterThan(0);
    const updated = device.update(); // while Redis is away: waits on the modem until it can be persisted
    redis = await startAofRedis(dataDir, redis.port);

    expect(await updated).toBe(true);
    await expect.poll(async () => (await lab!.gateway.status()).redis.commands, { timeout: 20_000 }).toBe('ready');
    await expect.poll(async () => inboxFigures(redis!.url, key), { timeout: 20_000 }).toEqual({ entries: before.entries + 1, pending: 0 });
    expect(device.stats.updates).toBe(4);
    expect((await lab.core.read('aof-meter', '/3/0')).code).toBe('2.05');
    expect(log.records().filter((r) => r.level === 'fatal')).toEqual([]);
  }, 120_000);
});
