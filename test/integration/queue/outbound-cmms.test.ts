/**
 * `AT+CMMS=1` (TS 27.005 §3.5.6, keep the relay link up between messages) on the gateway's send
 * path: every SMS is a job of the outbound queue (BullMQ on a private Redis), handed to the modem
 * pool one per modem at a time, so the pool alone never sees a second message queued. The worker
 * tells it what still waits in the queue for the chosen modem. Simulated modems on real
 * pseudo-terminals and the simulated network, which sets up a relay link for each submit unless
 * a CMMS hold keeps the previous one up: its count shows the effect.
 */
import { describe, expect, it } from 'vitest';
import { PoolSmsSender } from '../../../src/bridge/pool-sms-sender.ts';
import type { ModemDriver } from '../../../src/modem/modem-driver.ts';
import { ModemPool } from '../../../src/modem/modem-pool.ts';
import { OUTBOUND_SMS_DEFAULTS } from '../../../src/queue/outbound-sms-settings.ts';
import { OutboundSmsQueue } from '../../../src/queue/outbound-sms-queue.ts';
import { OutboundSmsWorker } from '../../../src/queue/outbound-sms-worker.ts';
import type { SimModem } from '../../../src/sim/modem/index.ts';
import type { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { onCleanup, redis, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from '../modem/driver-fixture.ts';

useDriverFixture();

const PREFIX = 'test:';
const TO = '491709990301';

interface Modem {
  readonly sim: SimModem;
  readonly driver: ModemDriver;
  /** Every AT command the host sent from now on. */
  readonly commands: string[];
}

/** A ready modem whose network needs 20 ms to set up a relay link and keeps it a minute after `AT+CMMS=1`. */
async function readyModem(network: SimNetwork, name: string, msisdn: string): Promise<Modem> {
  const sim = await startSimModem(network, { msisdn, relayLinkSetupMs: 20, cmmsHoldMs: 60_000 });
  const driver = startDriver(testConfig(name, sim.linkPath, { watchdogIntervalMs: 60_000 }));
  await driver.waitFor('ready', 10_000);
  await driver.sweep();
  const commands: string[] = [];
  driver.on('trace', (direction, line) => {
    if (direction === 'tx' && line.startsWith('AT')) commands.push(line);
  });
  return { sim, driver, commands };
}

/** The queue and its worker as the gateway wires them: one slot per modem, the local queue known to the worker. */
async function startQueue(modems: readonly Modem[]): Promise<OutboundSmsQueue> {
  const redisUrl = `redis://127.0.0.1:${redis().options.port ?? 6379}`;
  const queue = new OutboundSmsQueue({ redisUrl, redisPrefix: PREFIX, settings: OUTBOUND_SMS_DEFAULTS });
  onCleanup(() => queue.close());
  await queue.ready();
  const pool = new ModemPool(modems.map((m) => ({ driver: m.driver, groups: [], maxPartsPerSec: 0 })));
  const worker = new OutboundSmsWorker({
    redisUrl, redisPrefix: PREFIX, settings: OUTBOUND_SMS_DEFAULTS, sender: new PoolSmsSender(pool, redis(), `${PREFIX}concat-ref:`),
    local: queue, concurrency: modems.length,
  });
  onCleanup(() => worker.close());
  await worker.ready();
  return queue;
}

const cmms = (commands: readonly string[]): string[] => commands.filter((c) => c.startsWith('AT+CMMS'));
const sends = (commands: readonly string[]): number => commands.filter((c) => c.startsWith('AT+CMGS=')).length;
const payload = (i: number): Uint8Array => Uint8Array.of(i, 1, 2, 3);

describe('outbound SMS queue: AT+CMMS=1 when more jobs wait for the modem', () => {
  it('five SMS queued at once: AT+CMMS=1 before the first submit, and the relay link is set up once, not five times', async () => {
    const network = await startNetwork();
    const modem = await readyModem(network, 'a', '+491700000301');
    const queue = await startQueue([modem]);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => queue.sender('bulk').sendMessage(TO, { data: payload(i) })));
    expect(results.map((r) => r.modem)).toEqual(Array(5).fill('a'));
    expect(sends(modem.commands)).toBe(5);
    expect(modem.commands.findIndex((c) => c === 'AT+CMMS=1')).toBeGreaterThanOrEqual(0);
    expect(modem.commands.findIndex((c) => c === 'AT+CMMS=1')).toBeLessThan(modem.commands.findIndex((c) => c.startsWith('AT+CMGS=')));
    expect(modem.sim.stats.relayLinkSetups).toBe(1);
    expect(modem.sim.stats.smsSent).toBe(5);
  }, 60_000);

  it('a lone SMS goes without AT+CMMS (nothing waits for company)', async () => {
    const network = await startNetwork();
    const modem = await readyModem(network, 'a', '+491700000302');
    const queue = await startQueue([modem]);
    await expect(queue.sender('relay').sendMessage(TO, { data: payload(1) })).resolves.toMatchObject({ modem: 'a', parts: 1 });
    expect(cmms(modem.commands)).toEqual([]);
    expect(sends(modem.commands)).toBe(1);
    expect(modem.sim.stats.relayLinkSetups).toBe(1);
  }, 60_000);

  it('jobs waiting for another modem do not count: only the modem they must leave from keeps its link', async () => {
    const network = await startNetwork();
    const [a, b] = await Promise.all([readyModem(network, 'a', '+491700000303'), readyModem(network, 'b', '+491700000304')]);
    const queue = await startQueue([a, b]);
    const sender = queue.sender('bulk');
    await Promise.all([sender.sendMessage(TO, { data: payload(1) }, 'a'), ...[2, 3, 4].map((i) => sender.sendMessage(TO, { data: payload(i) }, 'b'))]);
    expect(cmms(a.commands)).toEqual([]);
    expect(sends(a.commands)).toBe(1);
    expect(cmms(b.commands)).toContain('AT+CMMS=1');
    expect(sends(b.commands)).toBe(3);
    expect(b.sim.stats.relayLinkSetups).toBe(1);
  }, 60_000);
});
