/**
 * Modem loss (issue 9): a device accepts SMS only from its gateway modem's number, so a request of
 * the core for it may not move to another modem. When that modem's pseudo-terminal vanishes (the
 * USB modem unplugged) the request must wait for the modem to come back, not be dropped. Found by
 * the modem-loss scenario (bench/reliability/modem-loss.ts): before, the core's Read was dropped
 * at once ("dropped: sms-failed … cannot send now (disconnected)") and the core never got an
 * answer. Real simulated modem on a pty, simulated network, scripted core, private Redis.
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, uriQuery, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { SmsDevice, UdpPeer, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

const token = (n: number): Uint8Array => Uint8Array.of(0xc0, (n >> 8) & 0xff, n & 0xff);

function register(endpoint: string, messageId: number): CoapMessage {
  return coapRequest({
    code: CoapCode.POST, messageId, token: token(messageId), path: ['rd'],
    query: [`ep=${endpoint}`, 'lt=300', 'lwm2m=1.0', 'b=S'], contentFormat: 40, payload: '</1/0>,</3/0>',
  });
}

describe('a request for a device whose modem is away', () => {
  it('waits while the modem\'s pty is unplugged and is sent from that modem when it is back', async () => {
    const core = await UdpPeer.open();
    const { gateway, network, modem } = await startGateway(core);
    const drops: string[] = [];
    gateway.relay.on('dropped', ({ reason, detail }) => drops.push(`${reason}: ${detail}`));
    const device = await SmsDevice.attach(network, '491709400001');
    await device.send(register('comeback-meter', 0x3201));
    await expect.poll(() => core.received.some((r) => uriQuery(r.message).includes('ep=comeback-meter')), { timeout: 20_000 }).toBe(true);
    const fromDevice = core.received.find((r) => uriQuery(r.message).includes('ep=comeback-meter'))!;
    core.send(coapResponse(fromDevice.message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('c1') }],
    }), fromDevice.from.port);
    await expect.poll(() => device.received.length, { timeout: 20_000 }).toBe(1);

    const driver = gateway.pool.drivers[0]!;
    const fromCoreBefore = gateway.relay.counters.fromCore;
    await modem.unplug();
    await expect.poll(() => driver.state, { timeout: 20_000 }).not.toBe('ready');
    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x7101, token: token(0x7101), path: ['3', '0'] }), fromDevice.from.port);
    // The gateway has the Read; it waits for the modem (before the fix it was dropped here).
    await expect.poll(() => gateway.relay.counters.fromCore, { timeout: 20_000 }).toBeGreaterThan(fromCoreBefore);
    expect(driver.state).not.toBe('ready');
    await modem.replug();
    await expect.poll(() => device.received.some((m) => m.code === CoapCode.GET), { timeout: 60_000 }).toBe(true);
    expect(drops).toEqual([]);
  });

  it('is sent again when the modem restarted under the send before anything left (nothing can be duplicated)', async () => {
    // Found by the modem-loss full run: "AT+CMMS=1: the modem restarted" dropped the core's Read.
    const core = await UdpPeer.open();
    const { gateway, network, modem } = await startGateway(core);
    const drops: string[] = [];
    gateway.relay.on('dropped', ({ reason, detail }) => drops.push(`${reason}: ${detail}`));
    const device = await SmsDevice.attach(network, '491709400002');
    await device.send(register('restart-meter', 0x3301));
    await expect.poll(() => core.received.some((r) => uriQuery(r.message).includes('ep=restart-meter')), { timeout: 20_000 }).toBe(true);
    const fromDevice = core.received.find((r) => uriQuery(r.message).includes('ep=restart-meter'))!;
    core.send(coapResponse(fromDevice.message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('r1') }],
    }), fromDevice.from.port);
    await expect.poll(() => device.received.length, { timeout: 20_000 }).toBe(1);

    modem.hang(); // the next command gets no answer: the send is stuck before any PDU is written
    const written = modem.stats.bytesIn;
    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x7201, token: token(0x7201), path: ['3', '0'] }), fromDevice.from.port);
    await expect.poll(() => modem.stats.bytesIn, { timeout: 20_000 }).toBeGreaterThan(written);
    modem.unhang();
    modem.reboot(); // the banner ends the command in flight: "the modem restarted", nothing left
    await expect.poll(() => device.received.some((m) => m.code === CoapCode.GET), { timeout: 60_000 }).toBe(true);
    expect(drops).toEqual([]);
    expect(modem.stats.smsSent).toBe(2); // the 2.01 and the Read, each once
  });
});
