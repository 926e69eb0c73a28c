/**
 * TS 23.040 §9.2.3.9: "A short message type 0 indicates that the ME must acknowledge receipt of
 * the short message but shall discard its contents." A Type 0 SMS (TP-PID 0x40) delivered by the
 * simulated network through the simulated modem is acknowledged (the modem's storage empties),
 * counted, and neither stored in the inbox stream nor relayed to the core; an ordinary SMS from
 * the same device right after it is relayed. Failed before: the Type 0 Register reached the core.
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, coapRequest, encodeCoap, uriQuery } from '../../../src/lwm2m/index.ts';
import { decodePdu, encodePdu, splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { GATEWAY_MSISDN, SmsDevice, UdpPeer, fixtureRedis, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

function registerBytes(endpoint: string, messageId: number): Uint8Array {
  return encodeCoap(coapRequest({
    code: CoapCode.POST, messageId, token: Uint8Array.of(0xc1, messageId & 0xff), path: ['rd'],
    query: [`ep=${endpoint}`, 'lt=300', 'lwm2m=1.0', 'b=S'], contentFormat: 40, payload: '</1/0>,</3/0>',
  }));
}

/** One SMS-SUBMIT with the given TP-PID, as hex without the SMSC octet (the network's form). */
function submitHex(data: Uint8Array, protocolId: number): string {
  const [part] = splitIntoSubmitPdus({ destination: `+${GATEWAY_MSISDN}`, payload: { data } });
  const submit = decodePdu(part!.hex);
  if (submit.type !== 'submit') throw new Error('expected an SMS-SUBMIT');
  return encodePdu({ ...submit, protocolId }).hex.slice(2);
}

describe('Short Message Type 0 (TP-PID 0x40)', () => {
  it('is acknowledged and discarded: counted, not in the inbox stream, not relayed; the next ordinary SMS is relayed', async () => {
    const core = await UdpPeer.open();
    const { gateway, network, modem } = await startGateway(core);
    const device = await SmsDevice.attach(network, '491709300001');
    const type0 = await device.client.submit(submitHex(registerBytes('type0-meter', 0x51), 0x40));
    expect(type0.ok).toBe(true);
    await expect.poll(() => gateway.inbox.type0Discarded, { timeout: 20_000 }).toBe(1);
    const ordinary = await device.client.submit(submitHex(registerBytes('plain-meter', 0x52), 0x00));
    expect(ordinary.ok).toBe(true);
    await expect.poll(() => core.received.length, { timeout: 20_000 }).toBe(1);
    expect(uriQuery(core.received[0]!.message)).toContain('ep=plain-meter');
    expect(gateway.inbox.type0Discarded).toBe(1);
    expect((await gateway.status()).type0Discarded).toBe(1);
    expect(await fixtureRedis().xlen(gateway.inbox.messagesKey)).toBe(1);
    // Acknowledged: nothing is left on the modem, and the network counts both as delivered.
    await expect.poll(() => modem.status.used.ME + modem.status.used.SM, { timeout: 20_000 }).toBe(0);
    expect(modem.stats.smsReceived).toBe(2);
  });
});
