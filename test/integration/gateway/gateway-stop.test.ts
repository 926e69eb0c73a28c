/**
 * `Gateway.stop()` through the lab (simulated modems on pseudo-terminals, a private Redis, real
 * sockets): it stops taking work, lets the SMS in flight finish, writes activity kept in memory,
 * and returns within its bound when Redis hangs.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { RemoteInfo } from 'node:dgram';
import { Lab } from '../../../src/lab/lab.ts';
import { CoapCode, coapRequest, encodeCoap } from '../../../src/lwm2m/index.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { redisCommand } from '../../support/private-redis.ts';

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.stop();
  lab = null;
});

const portOf = (url: string): number => Number(new URL(url).port);

describe('Gateway.stop()', () => {
  it('lets the AT+CMGS in flight finish and refuses the SMS queued behind it', async () => {
    lab = await Lab.start({ modems: 1, cmgsLatencyMs: 1500, networkDelayMs: 10 });
    const pool = lab.gateway.pool;
    await pool.drivers[0]!.sweep(); // the start-up sweep is over: the next command is our send
    const request = (id: string) => ({ messageId: id, recipient: '+491709990001', parts: splitIntoSubmitPdus({ destination: '+491709990001', payload: { data: Uint8Array.of(1, 2, 3) } }) });
    const inFlight = pool.send(request('in-flight'));
    const queued = pool.send(request('queued')).then(() => null, (error: unknown) => error);
    const result = await lab.gateway.stop();

    expect(result).toMatchObject({ clean: true, unfinishedStep: null });
    const sent = await inFlight;
    expect(sent.failure).toBeNull();
    expect(sent.sent).toHaveLength(1);
    expect(await queued).toMatchObject({ code: 'GW_ERR_POOL_NO_MODEM' });
    await expect(pool.send(request('after'))).rejects.toMatchObject({ code: 'GW_ERR_POOL_NO_MODEM' });
    expect(lab.gateway.pool.drivers[0]!.state).toBe('stopped');
  }, 60_000);

  it('writes device activity that was only in memory to Redis', async () => {
    lab = await Lab.start({ modems: 1, cmgsLatencyMs: 50, networkDelayMs: 10, core: { responseTimeoutMs: 20_000 } });
    await lab.addDevice({ msisdn: '+491701230011', endpoint: 'stop-activity', binding: 'U', lifetimeSec: 300, updateIntervalMs: 3_600_000 });
    await expect.poll(() => lab!.gateway.mirror.get('stop-activity')?.registered, { timeout: 15_000 }).toBe(true);
    // A Read answered over UDP: activity the mirror notes in memory (written at most every 10 s).
    expect((await lab.core.read('stop-activity', '/3/0')).code).toBe('2.05');
    const inMemory = lab.gateway.mirror.get('stop-activity')!.lastActivityMs;
    const redis = new Redis(lab.redisUrl);
    const storedActivityMs = async (): Promise<number> =>
      (JSON.parse((await redis.get('smsbridge:reg:device:stop-activity')) ?? '{}') as { lastActivityMs?: number }).lastActivityMs ?? -1;
    try {
      expect(await storedActivityMs()).toBeLessThan(inMemory);
      const result = await lab.gateway.stop();
      expect(result.clean).toBe(true);
      expect(result.activityRecordsPersisted).toBeGreaterThanOrEqual(1);
      expect(await storedActivityMs()).toBe(inMemory);
    } finally {
      redis.disconnect();
    }
  }, 60_000);

  it('returns within its bound when Redis stops answering, naming the step that hung', async () => {
    lab = await Lab.start({ modems: 1, cmgsLatencyMs: 50, networkDelayMs: 10, core: { responseTimeoutMs: 20_000 } });
    await lab.addDevice({ msisdn: '+491701230012', endpoint: 'stop-hung', binding: 'U', lifetimeSec: 300, updateIntervalMs: 3_600_000 });
    await expect.poll(() => lab!.gateway.mirror.get('stop-hung')?.registered, { timeout: 15_000 }).toBe(true);
    expect((await lab.core.read('stop-hung', '/3/0')).code).toBe('2.05'); // activity to write on stop
    const port = portOf(lab.redisUrl);
    expect(await redisCommand(port, 'CLIENT PAUSE 600000 ALL')).toBe('+OK');
    try {
      const result = await lab.gateway.stop({ timeoutMs: 2000 });
      expect(result.clean).toBe(false);
      expect(result.unfinishedStep).toMatch(/did not finish in time/);
      expect(lab.gateway.pool.drivers[0]!.state).toBe('stopped');
    } finally {
      await redisCommand(port, 'CLIENT UNPAUSE').catch(() => undefined);
    }
  }, 60_000);

  it('after stop, traffic that was already on its way (a core request, a device datagram) is dropped, never thrown', async () => {
    lab = await Lab.start({ modems: 1, cmgsLatencyMs: 50, networkDelayMs: 10, core: { responseTimeoutMs: 20_000 } });
    await lab.addDevice({ msisdn: '+491701230013', endpoint: 'stop-late', binding: 'U', lifetimeSec: 300, updateIntervalMs: 3_600_000 });
    await expect.poll(() => lab!.gateway.mirror.get('stop-late')?.registered, { timeout: 15_000 }).toBe(true);
    const record = lab.gateway.mirror.get('stop-late')!;
    expect((await lab.gateway.stop()).clean).toBe(true);

    const read = encodeCoap(coapRequest({ code: CoapCode.GET, messageId: 4242, token: Uint8Array.of(1, 2), path: ['3', '0'] }));
    const core = { address: lab.core.address.host, port: lab.core.address.port, family: 'IPv4', size: read.length } as RemoteInfo;
    // The core's request for a UDP device goes out of the closed device-facing socket.
    await expect(lab.gateway.relay.fromCore('stop-late', read, core)).resolves.toBeUndefined();
    // A device's datagram goes out of its closed core-facing socket.
    const ping = encodeCoap(coapRequest({ code: CoapCode.GET, messageId: 7, path: ['x'] }));
    const device = { address: record.udpHost!, port: record.udpPort!, family: 'IPv4', size: ping.length } as RemoteInfo;
    expect(() => lab!.gateway.relay.fromUdp(ping, device)).not.toThrow();
  }, 60_000);
});
