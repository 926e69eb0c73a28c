/**
 * A status report that overtakes the result of its own send. With `+CDS` routing (ds=1, the
 * Quectel route) the modem prints the report as soon as the network delivers it, which can be
 * before `+CMGS: <mr>` of the send it reports on, or in the same read as that result. The driver
 * learns the TP-MR only from `+CMGS`, so it must keep such a report until the send in flight has
 * its answer. This was the flaky "TP-MR 255 wrap" test (4 of 5 reports): made deterministic here
 * with the simulator holding the send's result until the report is on the wire.
 */
import { describe, expect, it } from 'vitest';
import type { DeliveryReport } from '../../../src/modem/modem-types.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { bytes, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();
const DEVICE = '+491709990014';

describe('ModemDriver: a +CDS before the +CMGS result of its send', () => {
  it('matches the report to the send once the send has its message reference', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { messageReferenceStart: 253, profile: 'ec25' });
    await startDevice(network, DEVICE.slice(1));
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('ready', 10_000);
    const outcome = new Promise<{ matched: DeliveryReport } | { unmatched: string }>((resolve) => {
      driver.on('delivery-report', (matched) => resolve({ matched }));
      driver.on('unmatched-report', (unmatched) => resolve({ unmatched }));
    });

    const release = sim.holdNextSendResult();
    const parts = splitIntoSubmitPdus({ destination: DEVICE, payload: { data: bytes(20) }, statusReportRequest: true });
    const sending = driver.send({ messageId: 'early', recipient: DEVICE, parts });
    // The network delivered the report and the modem printed +CDS (it now waits for AT+CNMA).
    await expect.poll(() => sim.status.awaitingCnma, { timeout: 10_000 }).toBe(true);
    release(); // only now "+CMGS: 253" and OK

    const result = await sending;
    expect(result.failure).toBeNull();
    expect(result.sent.map((s) => s.messageReference)).toEqual([253]);
    expect(await outcome).toMatchObject({ matched: { messageId: 'early', part: 1, status: 0 } });
    await expect.poll(() => sim.status.awaitingCnma, { timeout: 5000 }).toBe(false); // acknowledged with AT+CNMA
    expect(sim.stats.cnmaTimeouts).toBe(0);
  }, 30_000);
});
