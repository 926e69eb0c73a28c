/**
 * The modem driver under faults injected into the simulated modem: garbage on the line, a
 * reboot in the middle of a send, the device unplugged and plugged back, full storage, lost
 * indications, a hung modem.
 */
import { describe, expect, it } from 'vitest';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import type { ModemState } from '../../../src/modem/modem-types.ts';
import { bytes, hex, inbox, profileWithCnmi, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();
const GATEWAY = '+491700000001';

function oneSms(to: string, seed: number): { hex: string; tpduLength: number }[] {
  return splitIntoSubmitPdus({ destination: to, payload: { data: bytes(30, seed) } });
}

describe('ModemDriver under faults', () => {
  it('survives garbage, NUL bytes and an overlong line and keeps sending and receiving', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const device = await startDevice(network, '491709990010');
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('ready', 10_000);
    sim.injectGarbage('random', 200);
    sim.injectGarbage('nul', 50);
    sim.injectGarbage('long-line', 10_000);
    const result = await driver.send({ messageId: 'g', recipient: '+491709990010', parts: oneSms('+491709990010', 1) });
    expect(result.failure).toBeNull();
    await device.send(GATEWAY, bytes(20, 2));
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 5000 }).toBe(1);
    expect(driver.state).toBe('ready');
  });

  it('reports a send interrupted by a reboot as unknown (never resent), re-initialises, and sends again', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { cmgsLatencyMs: 500 });
    await startDevice(network, '491709990011');
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('ready', 10_000);
    const reboots: string[] = [];
    driver.on('reboot', (banner) => reboots.push(banner));
    const sending = driver.send({ messageId: 'r', recipient: '+491709990011', parts: oneSms('+491709990011', 3) });
    await expect.poll(() => sim.stats.smsSubmitted, { timeout: 3000 }).toBe(1); // the PDU reached the modem
    await new Promise((r) => setTimeout(r, 100)); // the PDU is written, the answer pending
    sim.reboot();
    const result = await sending;
    expect(result.failure?.outcome).toBe('unknown');
    expect(result.failure?.error.code).toBe('GW_ERR_MODEM_SEND_UNKNOWN');
    expect(reboots.length).toBeGreaterThan(0);
    await driver.waitFor('ready', 10_000);
    expect((await driver.send({ messageId: 'r2', recipient: '+491709990011', parts: oneSms('+491709990011', 4) })).failure).toBeNull();
    expect(driver.status.counters.sendUnknown).toBe(1);
  });

  it('goes disconnected when the device is unplugged and ready again when it reappears', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const device = await startDevice(network, '491709990012');
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('ready', 10_000);
    const states: ModemState[] = [];
    driver.on('state', (s) => states.push(s));
    await sim.unplug();
    await expect.poll(() => driver.state, { timeout: 10_000 }).not.toBe('ready');
    await new Promise((r) => setTimeout(r, 600)); // a few failed reopen attempts
    await sim.replug();
    await driver.waitFor('ready', 15_000);
    expect(states).toContain('disconnected');
    expect(driver.status.counters.reopens).toBeGreaterThan(0);
    await device.send(GATEWAY, bytes(15, 5));
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 5000 }).toBe(1);
  }, 40_000);

  it('loses nothing when the modem storage is full: the network retries, the sweep empties the storage', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { storageCapacity: { ME: 3, SM: 3 } });
    const device = await startDevice(network, '491709990013');
    // Before the gateway runs: three SMS fill the storage, the fourth is refused (cause 22).
    for (let n = 0; n < 4; n++) await device.send(GATEWAY, bytes(10, 10 + n), n + 1);
    await expect.poll(() => network.stats.refused, { timeout: 5000 }).toBeGreaterThan(0);
    const driver = startDriver(testConfig('a', sim.linkPath, { sweepIntervalMs: 300 }));
    await driver.waitFor('ready', 10_000);
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 10_000 }).toBe(4);
    const payloads = (await inbox().messages()).map((m) => m.message.dataHex).sort();
    expect(payloads).toEqual([0, 1, 2, 3].map((n) => hex(bytes(10, 10 + n))).sort());
  });

  it('finds SMS whose indication was lost with the periodic sweep', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const device = await startDevice(network, '491709990014');
    const driver = startDriver(testConfig('a', sim.linkPath, { sweepIntervalMs: 400, profile: 'silent' }), [profileWithCnmi('silent', '2,0,0,0,0')]);
    await driver.waitFor('ready', 10_000);
    for (let n = 0; n < 3; n++) await device.send(GATEWAY, bytes(12, 20 + n), 30 + n);
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 5000 }).toBe(3);
  });

  it('notices a hung modem with its watchdog, escalates, and recovers when it answers again', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const driver = startDriver(testConfig('a', sim.linkPath, { watchdogIntervalMs: 200 }));
    await driver.waitFor('ready', 10_000);
    const states: ModemState[] = [];
    driver.on('state', (s) => states.push(s));
    sim.hang();
    await expect.poll(() => states.includes('degraded'), { timeout: 20_000 }).toBe(true);
    sim.unhang();
    await driver.waitFor('ready', 30_000);
    expect(driver.status.lastError?.code).toBe('GW_ERR_AT_TIMEOUT');
  }, 60_000);

  it('blocks a modem that keeps failing for blockTimeMs, then tries it again', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const driver = startDriver(testConfig('a', sim.linkPath, { watchdogIntervalMs: 100, escalateAfterErrors: 100, blockAfterErrors: 2, blockTimeMs: 1500 }));
    await driver.waitFor('ready', 10_000);
    sim.hang(); // the modem stops answering
    await driver.waitFor('blocked', 30_000);
    await expect(driver.send({ messageId: 'b', recipient: '+491709990015', parts: oneSms('+491709990015', 9) })).rejects.toMatchObject({ code: 'GW_ERR_MODEM_UNAVAILABLE' });
    sim.unhang();
    await driver.waitFor('ready', 30_000); // after blockTimeMs it opens the port again
  }, 60_000);
});
