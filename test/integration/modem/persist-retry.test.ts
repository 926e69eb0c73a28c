/**
 * While persistence fails (Redis down), a received SMS stays where the network or the modem
 * keeps it: on the modem's storage (+CMTI route, not deleted) or unacknowledged at the network
 * (+CMT route: `AT+CNMA=2`, RP-ERROR, so the network delivers it again), and it is persisted
 * once persistence works again. Pure driver and simulated modem; the persist function fails
 * while `down` is set.
 */
import { describe, expect, it } from 'vitest';
import type { PersistReceived } from '../../../src/modem/modem-types.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { bytes, hex, inbox, profileWithCnmi, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();
const GATEWAY = '+491700000001';

/** A persist function into the inbox that fails while `down` is true, counting its attempts. */
function flakyPersist(): { persist: PersistReceived; state: { down: boolean; failures: number; successes: number } } {
  const box = inbox();
  const state = { down: true, failures: 0, successes: 0 };
  return {
    state,
    persist: async (pdu) => {
      if (state.down) {
        state.failures += 1;
        throw new Error('redis down');
      }
      await box.accept(pdu);
      state.successes += 1;
    },
  };
}

describe('ModemDriver: received SMS while persistence fails', () => {
  it('+CMTI: the SMS stays on the modem, is read again, and is deleted only once persisted', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const device = await startDevice(network, '491709990040');
    const { persist, state } = flakyPersist();
    const driver = startDriver(testConfig('a', sim.linkPath, { sweepIntervalMs: 200, profile: 'test' }), [profileWithCnmi('test', '2,1,0,2,0')], persist);
    await driver.waitFor('ready', 10_000);
    await device.send(GATEWAY, bytes(30, 4));
    await expect.poll(() => state.failures, { timeout: 10_000 }).toBeGreaterThanOrEqual(3); // read, failed, read again…
    expect(sim.status.used.ME + sim.status.used.SM).toBe(1); // …and never deleted
    expect(await inbox().messages()).toHaveLength(0);

    state.down = false;
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => sim.status.used.ME + sim.status.used.SM, { timeout: 10_000 }).toBe(0);
    expect((await inbox().messages())[0]?.message.dataHex).toBe(hex(bytes(30, 4)));
  }, 30_000);

  it('+CMT with AT+CSMS=1: the SMS is refused with AT+CNMA=2 (the network redelivers), routing stays on', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const device = await startDevice(network, '491709990041');
    const { persist, state } = flakyPersist();
    const driver = startDriver(testConfig('a', sim.linkPath, { profile: 'test' }), [profileWithCnmi('test', '2,2,0,1,0')], persist);
    await driver.waitFor('ready', 10_000);
    const delivered: string[] = [];
    network.on('delivered', (to, kind) => {
      if (kind === 'deliver') delivered.push(to);
    });
    await device.send(GATEWAY, bytes(30, 5));
    await expect.poll(() => state.failures, { timeout: 10_000 }).toBeGreaterThanOrEqual(3); // delivered again and again
    expect(delivered).toEqual([]); // never acknowledged to the network while not persisted
    await expect.poll(() => network.stats.refused, { timeout: 10_000 }).toBeGreaterThanOrEqual(3); // RP-ERROR each time
    expect(sim.stats.cnmaTimeouts).toBe(0); // answered at once, not left to time out…
    expect(sim.status.cnmi).toMatchObject({ mt: 2, ds: 1 }); // …so the modem keeps routing

    state.down = false;
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => delivered.length, { timeout: 10_000 }).toBe(1);
    expect(state.successes).toBe(1);
    expect((await inbox().messages())[0]?.message.dataHex).toBe(hex(bytes(30, 5)));
  }, 30_000);

  it('an AT+CNMA that comes too late (the modem timed out and switched routing off) restores routing', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { cnmaTimeoutMs: 300 });
    const device = await startDevice(network, '491709990042');
    const driver = startDriver(testConfig('a', sim.linkPath, { profile: 'test' }), [profileWithCnmi('test', '2,2,0,1,0')]);
    await driver.waitFor('ready', 10_000);
    // A send whose result the modem holds keeps the channel busy: the AT+CNMA for the SMS waits.
    const release = sim.holdNextSendResult();
    const parts = splitIntoSubmitPdus({ destination: '+491709990042', payload: { data: bytes(5) } });
    const sending = driver.send({ messageId: 'busy', recipient: '+491709990042', parts });
    await expect.poll(() => sim.stats.smsSubmitted, { timeout: 10_000 }).toBe(1);
    await device.send(GATEWAY, bytes(30, 6));
    await expect.poll(() => sim.stats.cnmaTimeouts, { timeout: 10_000 }).toBe(1);
    expect(sim.status.cnmi).toMatchObject({ mt: 0, ds: 0 }); // TS 27.005 §3.4.4
    release();
    expect((await sending).failure).toBeNull();

    await expect.poll(() => sim.status.cnmi, { timeout: 10_000 }).toMatchObject({ mt: 2, ds: 1 });
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => sim.status.used.ME + sim.status.used.SM, { timeout: 10_000 }).toBe(0);
  }, 30_000);
});
