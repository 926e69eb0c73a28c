/**
 * How SMS reach the gateway, against simulated modems on real pseudo-terminals, the simulated
 * network and a private Redis: direct delivery (`+CMT`, `AT+CNMA` only after the SMS was
 * persisted) where `AT+CSMS=1` takes, the stored route (`+CMTI`, `AT+CMGR`, `AT+CMGD`) where it
 * does not, and redelivery by the network of an SMS whose persistence never finished.
 */
import { describe, expect, it } from 'vitest';
import type { ModemDriver } from '../../../src/modem/modem-driver.ts';
import type { PersistReceived, ReceivedPdu } from '../../../src/modem/modem-types.ts';
import { GENERIC_PROFILE } from '../../../src/modem/profile.ts';
import type { GatewayError } from '../../../src/shared/errors.ts';
import { SIM_PROFILES } from '../../../src/sim/modem/profiles.ts';
import { bytes, inbox, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();

const GATEWAY = '+491700000001';

/** One ordered log of the host's AT lines (`tx …`/`rx …`) and of persistence outcomes. */
function recordTrace(driver: ModemDriver): string[] {
  const log: string[] = [];
  driver.on('trace', (direction, line) => log.push(`${direction} ${line}`));
  return log;
}

/** Persists into the inbox and notes `persisted` in `log` when the write resolved. */
function persistInto(log: string[]): PersistReceived {
  const box = inbox();
  return async (pdu: ReceivedPdu) => {
    await box.accept(pdu);
    log.push(`persisted via ${pdu.via}`);
  };
}

describe('ModemDriver: receive route', () => {
  it('prefers direct delivery when AT+CSMS=1 takes: +CMT, persisted, then AT+CNMA (one command per SMS)', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const log: string[] = [];
    // Direct delivery only: SMS back to back would switch the default (adaptive) route to stored
    // on the second (adaptive-route.test.ts).
    const driver = startDriver(testConfig('a', sim.linkPath, { receiveRoute: 'direct' }), undefined, persistInto(log));
    driver.on('trace', (direction, line) => log.push(`${direction} ${line}`));
    await driver.waitFor('ready', 10_000);
    await driver.sweep();
    expect(driver.status.receiveRoute).toBe('direct');
    expect(sim.status.csms).toBe(1);
    expect(sim.status.cnmi.mt).toBe(2);

    const device = await startDevice(network, '+491701111111');
    const before = log.length;
    for (let i = 0; i < 3; i++) await device.send(GATEWAY, bytes(40, i + 1));
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 10_000 }).toBe(3);
    await expect.poll(() => sim.stats.smsReceived, { timeout: 10_000 }).toBe(3);

    const after = log.slice(before);
    const commands = after.filter((line) => line.startsWith('tx AT'));
    expect(commands).toEqual(['tx AT+CNMA', 'tx AT+CNMA', 'tx AT+CNMA']);
    // Each acknowledgement follows the persistence of its own SMS, never the other way round.
    const order = after.flatMap((line) => (line.startsWith('rx +CMT:') ? ['cmt'] : line === 'persisted via cmt' ? ['persisted'] : line === 'tx AT+CNMA' ? ['cnma'] : []));
    expect(order).toEqual(['cmt', 'persisted', 'cnma', 'cmt', 'persisted', 'cnma', 'cmt', 'persisted', 'cnma']);
    expect(sim.stats.deliveriesRefused).toBe(0);
    expect(sim.status.used.ME + sim.status.used.SM).toBe(0);
  });

  it('an SMS whose persistence never finished is not acknowledged, and the network delivers it again', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { cnmaTimeoutMs: 800 });
    const received: string[] = [];
    // The first gateway "dies" between receipt and persistence: its write never resolves.
    const hung: PersistReceived = async (pdu) => {
      received.push(pdu.via);
      await new Promise<never>(() => undefined);
    };
    const first = startDriver(testConfig('a', sim.linkPath), undefined, hung);
    const firstLog = recordTrace(first);
    await first.waitFor('ready', 10_000);
    await first.sweep();
    const firstReadyAt = firstLog.length; // before: the start-up's AT+CNMA=2 for a leftover +CMT (nothing waited)
    const device = await startDevice(network, '+491702222222');
    await device.send(GATEWAY, bytes(50, 9));
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
    await first.stop();
    expect(firstLog.slice(firstReadyAt).filter((line) => line.startsWith('tx AT+CNMA'))).toEqual([]);

    // Unacknowledged: the modem refuses it to the network after cnmaTimeoutMs; a new gateway on
    // the same modem gets it again and persists it once.
    await expect.poll(() => sim.stats.cnmaTimeouts, { timeout: 10_000 }).toBe(1);
    const log: string[] = [];
    const second = startDriver(testConfig('a', sim.linkPath), undefined, persistInto(log));
    await second.waitFor('ready', 10_000);
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => sim.stats.smsReceived, { timeout: 10_000 }).toBe(1);
    const [entry] = await inbox().messages();
    expect(entry?.message.dataHex).toBe(Buffer.from(bytes(50, 9)).toString('hex'));
    expect(sim.stats.deliveriesRefused).toBeGreaterThanOrEqual(1);
  });

  it('a persistence that hangs is given up with AT+CNMA=2 before the modem times out: routing stays on, the SMS comes again', async () => {
    const network = await startNetwork();
    // The modem would wait a minute for AT+CNMA; the profile says 1 s, so the driver acts at 500 ms.
    const sim = await startSimModem(network, { cnmaTimeoutMs: 60_000 });
    const box = inbox();
    let calls = 0;
    const persist: PersistReceived = async (pdu) => {
      calls += 1;
      if (calls === 1) await new Promise<never>(() => undefined); // Redis stalled for the first one
      await box.accept(pdu);
    };
    const profile = { ...GENERIC_PROFILE, name: 'short-cnma', match: {}, cnmaTimeoutMs: 1000 };
    const driver = startDriver(testConfig('a', sim.linkPath, { profile: 'short-cnma' }), [profile], persist);
    const problems: string[] = [];
    driver.on('problem', (error: GatewayError) => problems.push(error.code));
    const log = recordTrace(driver);
    await driver.waitFor('ready', 10_000);
    await driver.sweep();
    const readyAt = log.length; // before: the start-up's AT+CNMA=2 for a leftover +CMT (nothing waited)
    const device = await startDevice(network, '+491704444444');
    await device.send(GATEWAY, bytes(33, 5));
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => sim.stats.smsReceived, { timeout: 10_000 }).toBe(1);
    expect(calls).toBe(2);
    expect(problems).toContain('GW_ERR_MODEM_PERSIST_SLOW');
    expect(log.slice(readyAt).filter((line) => line.startsWith('tx AT+CNMA'))).toEqual(['tx AT+CNMA=2', 'tx AT+CNMA']);
    expect(sim.stats.cnmaTimeouts).toBe(0);
    expect(sim.status.cnmi.mt).toBe(2); // routing was never switched off
  });

  it('falls back to the stored route on a modem without phase 2+ (AT+CSMS=1 refused): +CMTI, AT+CMGR, persisted, AT+CMGD (storedRead: single)', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { profile: { ...SIM_PROFILES.generic, phase2Plus: false } });
    const log: string[] = [];
    const driver = startDriver(testConfig('a', sim.linkPath, { storedRead: 'single' }), undefined, persistInto(log));
    driver.on('trace', (direction, line) => log.push(`${direction} ${line}`));
    await driver.waitFor('ready', 10_000);
    await driver.sweep();
    expect(driver.status.receiveRoute).toBe('stored');
    expect(sim.status.csms).toBe(0);
    expect(sim.status.cnmi.mt).toBe(1);

    const device = await startDevice(network, '+491703333333');
    const before = log.length;
    await device.send(GATEWAY, bytes(40, 3));
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => sim.status.used.ME + sim.status.used.SM, { timeout: 10_000 }).toBe(0);
    const after = log.slice(before).filter((line) => line.startsWith('tx AT') || line.startsWith('persisted'));
    expect(after).toEqual([expect.stringMatching(/^tx AT\+CMGR=\d+$/), 'persisted via cmti', expect.stringMatching(/^tx AT\+CMGD=\d+$/)]);
    expect(log.some((line) => line.startsWith('tx AT+CNMA'))).toBe(false);
  });

  it('keeps the stored route on a profile that does not prefer direct delivery (huawei-serial), even with phase 2+', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { profile: 'huawei' });
    const driver = startDriver(testConfig('a', sim.linkPath, { profile: 'huawei-serial' }));
    await driver.waitFor('ready', 10_000);
    expect(sim.status.csms).toBe(1);
    expect(driver.status.receiveRoute).toBe('stored');
    expect(sim.status.cnmi.mt).not.toBe(2);
  });
});
