/**
 * The modem driver against the simulated modem through real pseudo-terminals (serialport), the
 * simulated network and a private Redis: initialisation, SIM handling, every indication mode,
 * sending with delivery reports.
 */
import { describe, expect, it } from 'vitest';
import { PROFILES, bytes, hex, inbox, profileWithCnmi, redis, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import type { DeliveryReport } from '../../../src/modem/modem-types.ts';
import { AtChannel } from '../../../src/modem/at-channel.ts';
import { ModemDriver } from '../../../src/modem/modem-driver.ts';
import { redisPinGuard } from '../../../src/modem/redis-pin-guard.ts';
import { openSerialLink } from '../../../src/modem/serial-link.ts';

useDriverFixture();
const GATEWAY = '+491700000001';

describe('ModemDriver: initialisation and SIM', () => {
  it('initialises a modem without PIN, picks its profile, storage and indication, and reports status', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { profile: 'ec25' });
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('ready', 10_000);
    const status = driver.status;
    expect(status.identity).toMatchObject({ manufacturer: expect.stringMatching(/quectel/i), imei: expect.stringMatching(/^\d{15}$/) });
    expect(status.profile).toBe('quectel-ec25');
    expect(status.registered).toBe(true);
    expect(status.signalDbm).toBeTypeOf('number');
    expect(status.storage?.name).toBe('ME');
    // The EC25 profile routes status reports with +CDS (ds=1), never ds=2 (asterisk-chan-quectel PR#75).
    expect(sim.status.cnmi.ds).toBe(1);
    expect(sim.status.echo).toBe(false);
    expect(sim.status.cmgf).toBe(0);
  });

  it('enters the PIN once and becomes ready', async () => {
    const sim = await startSimModem(null, { pin: '4711' });
    const driver = startDriver(testConfig('a', sim.linkPath, { pin: '4711', registrationWaitMs: 100 }));
    await driver.waitFor('ready', 10_000);
    expect(sim.status.sim).toBe('ready');
    expect(sim.status.pinAttemptsLeft).toBe(3);
  });

  it('never retries a wrong PIN: one attempt, then the modem is failed with GW_ERR_MODEM_PIN_WRONG', async () => {
    const sim = await startSimModem(null, { pin: '4711' });
    const driver = startDriver(testConfig('a', sim.linkPath, { pin: '0000' }));
    await driver.waitFor('failed', 10_000);
    expect(driver.status.lastError?.code).toBe('GW_ERR_MODEM_PIN_WRONG');
    expect(sim.status.pinAttemptsLeft).toBe(2);
    await new Promise((r) => setTimeout(r, 1000)); // nothing retries later either
    expect(sim.status.pinAttemptsLeft).toBe(2);
    expect(driver.state).toBe('failed');
  });

  it('remembers a rejected PIN in Redis: a restarted driver does not send it again', async () => {
    const sim = await startSimModem(null, { pin: '4711' });
    const guard = redisPinGuard(redis(), 'a');
    const first = new ModemDriver(testConfig('a', sim.linkPath, { pin: '0000' }), { profiles: PROFILES, persist: async () => undefined, pinGuard: guard });
    first.start();
    await first.waitFor('failed', 10_000);
    await first.stop();
    expect(sim.status.pinAttemptsLeft).toBe(2);
    const restarted = new ModemDriver(testConfig('a', sim.linkPath, { pin: '0000' }), { profiles: PROFILES, persist: async () => undefined, pinGuard: guard });
    restarted.start();
    await restarted.waitFor('failed', 10_000);
    await restarted.stop();
    expect(restarted.status.lastError?.code).toBe('GW_ERR_MODEM_PIN_WRONG');
    expect(sim.status.pinAttemptsLeft).toBe(2); // not tried again
    const corrected = new ModemDriver(testConfig('a', sim.linkPath, { pin: '4711' }), { profiles: PROFILES, persist: async () => undefined, pinGuard: guard });
    corrected.start();
    await corrected.waitFor('ready', 10_000); // a different (the right) PIN is tried
    await corrected.stop();
  });

  it('reports a PUK-locked SIM (GW_ERR_MODEM_PUK_REQUIRED) and never guesses', async () => {
    const sim = await startSimModem(null, { pin: '4711' });
    // Someone typed three wrong PINs before the gateway started.
    const link = await openSerialLink(sim.linkPath);
    const channel = new AtChannel(link.stream);
    for (let i = 0; i < 3; i++) await channel.command('AT+CPIN="1111"').catch(() => undefined);
    channel.close();
    await link.close();
    expect(sim.status.sim).toBe('puk');
    const driver = startDriver(testConfig('a', sim.linkPath, { pin: '4711' }));
    await driver.waitFor('failed', 10_000);
    expect(driver.status.lastError?.code).toBe('GW_ERR_MODEM_PUK_REQUIRED');
    expect(sim.status.sim).toBe('puk');
  });

  it('waits for a SIM that appears late', async () => {
    const sim = await startSimModem(null, { lateSimMs: 1500 });
    const driver = startDriver(testConfig('a', sim.linkPath, { registrationWaitMs: 100 }));
    await driver.waitFor('ready', 10_000);
    expect(driver.status.identity?.imsi).toMatch(/^\d+$/);
  });
});

describe('ModemDriver: receiving', () => {
  const modes = [
    ['+CMTI (stored, announced)', '2,1,0,2,0'],
    ['+CMT (routed, acknowledged with AT+CNMA)', '2,2,0,1,0'],
    ['no indication (found by the sweep)', '2,0,0,0,0'],
  ] as const;
  it.each(modes)('receives with %s and persists before deleting', async (_name, cnmi) => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const device = await startDevice(network, '491709990001');
    const driver = startDriver(testConfig('a', sim.linkPath, { sweepIntervalMs: 300, profile: 'test' }), [profileWithCnmi('test', cnmi)]);
    await driver.waitFor('ready', 10_000);
    expect(`${sim.status.cnmi.mode},${sim.status.cnmi.mt},${sim.status.cnmi.bm},${sim.status.cnmi.ds},${sim.status.cnmi.bfr}`).toBe(cnmi);
    await device.send(GATEWAY, bytes(60));
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 5000 }).toBe(1);
    const [entry] = await inbox().messages();
    expect(entry?.message).toMatchObject({ originator: '+491709990001', dataHex: hex(bytes(60)), modems: ['a'] });
    await expect.poll(() => sim.status.used.ME + sim.status.used.SM, { timeout: 5000 }).toBe(0); // deleted after persisting
    expect(driver.status.counters.received).toBe(1);
  });

  it('reassembles a concatenated message whose parts arrive out of order', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('ready', 10_000);
    const parts = splitIntoSubmitPdus({ destination: GATEWAY, payload: { data: bytes(300, 7) }, concatReference: 9 });
    const device = await startDevice(network, '491709990002');
    for (const index of [2, 0, 1]) expect(await device.client.submit(parts[index]!.hex.slice(2))).toEqual({ ok: true });
    await expect.poll(async () => (await inbox().messages()).map((m) => m.message.dataHex), { timeout: 5000 }).toEqual([hex(bytes(300, 7))]);
  });

  it('keeps the SMS on the modem when persisting fails, and persists it on a later sweep', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const device = await startDevice(network, '491709990003');
    let failures = 2;
    const box = inbox();
    const driver = startDriver(testConfig('a', sim.linkPath, { sweepIntervalMs: 300 }), undefined, async (pdu) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('redis down');
      }
      await box.accept(pdu);
    });
    await driver.waitFor('ready', 10_000);
    await device.send(GATEWAY, bytes(10));
    await expect.poll(async () => (await box.messages()).length, { timeout: 5000 }).toBe(1);
    expect(failures).toBe(0);
    await expect.poll(() => sim.status.used.ME, { timeout: 5000 }).toBe(0); // deleted once persisted
  });
});

describe('ModemDriver: sending', () => {
  it.each([
    ['generic', '+CDSI into SR storage (ds=2)'],
    ['ec25', '+CDS with AT+CNMA (ds=1, the Quectel route)'],
  ] as const)('on a %s modem, status reports arrive by %s and match across the TP-MR 255 wrap', async (profile, _route) => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { messageReferenceStart: 253, profile });
    const device = await startDevice(network, '491709990004');
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('ready', 10_000);
    const reports: DeliveryReport[] = [];
    driver.on('delivery-report', (r) => reports.push(r));
    const received: string[] = [];
    device.client.on('deliver', (d) => received.push(d.pduHex));
    const references: number[] = [];
    for (let n = 0; n < 5; n++) {
      const parts = splitIntoSubmitPdus({ destination: '+491709990004', payload: { data: bytes(20, n) }, statusReportRequest: true });
      const result = await driver.send({ messageId: `m${n}`, recipient: '+491709990004', parts });
      expect(result.failure).toBeNull();
      references.push(...result.sent.map((s) => s.messageReference));
    }
    expect(references).toEqual([253, 254, 255, 0, 1]);
    await expect.poll(() => reports.length, { timeout: 5000 }).toBe(5);
    expect(reports.map((r) => r.messageId).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(reports.every((r) => r.status === 0)).toBe(true);
    expect(received).toHaveLength(5);
  });

  it('sends a concatenated message in order and reports a refused SMS as failed, not unknown', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    await startDevice(network, '491709990005');
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('ready', 10_000);
    const parts = splitIntoSubmitPdus({ destination: '+491709990005', payload: { data: bytes(400) } });
    const ok = await driver.send({ messageId: 'long', recipient: '+491709990005', parts });
    expect(ok.sent.map((s) => s.part)).toEqual([1, 2, 3]);
    // A TPDU length that does not match the PDU: the modem refuses (+CMS ERROR: 304), nothing left.
    const bad = await driver.send({ messageId: 'bad', recipient: '+491709990005', parts: [{ hex: parts[0]!.hex, tpduLength: 5 }] });
    expect(bad.failure).toMatchObject({ part: 1, outcome: 'failed', error: { code: 'GW_ERR_MODEM_SEND_FAILED' } });
    expect(driver.status.counters).toMatchObject({ sent: 3, sendFailed: 1, sendUnknown: 0 });
  });

  it('refuses to send while not ready', async () => {
    const sim = await startSimModem(null, { pin: '4711' });
    const driver = startDriver(testConfig('a', sim.linkPath, { pin: '0000' }));
    await driver.waitFor('failed', 10_000);
    await expect(driver.send({ messageId: 'x', recipient: '+491709990005', parts: [] })).rejects.toMatchObject({ code: 'GW_ERR_MODEM_UNAVAILABLE' });
  });
});
