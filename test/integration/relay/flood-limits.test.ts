/**
 * Floods (issue 9, "Proof, measured"): one UDP source sending many Registers, and one number
 * sending many SMS, are cut to their flood limit (a token bucket per source), and another device
 * still registers and is read. End to end: scripted core (raw UDP socket), UDP peers on loopback,
 * SMS devices through the simulated network and modem, the gateway on a private Redis. The total
 * registration limit is set low so that, without the flood limit, the flooding source takes every
 * slot and the other device is refused: both tests failed before the limits existed.
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, uriQuery, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { SmsDevice, UdpPeer, fixtureRedis, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

const token = (n: number): Uint8Array => Uint8Array.of(0xc0, (n >> 8) & 0xff, n & 0xff);

function register(endpoint: string, messageId: number, binding: string): CoapMessage {
  return coapRequest({
    code: CoapCode.POST, messageId, token: token(messageId), path: ['rd'],
    query: [`ep=${endpoint}`, 'lt=300', 'lwm2m=1.0', `b=${binding}`], contentFormat: 40, payload: '</1/0>,</3/0>',
  });
}

function created(request: CoapMessage, id: string): CoapMessage {
  return coapResponse(request, CoapCode.CREATED, undefined, {
    options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(id) }],
  });
}

const fromEndpoint = (endpoint: string) => (r: { message: CoapMessage }): boolean => uriQuery(r.message).includes(`ep=${endpoint}`);

describe('flood limits', () => {
  it('cuts a UDP source flooding Registers to its burst (dropped as rate-limited), while a device on another host registers and is read normally', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, {
      udpAdmission: { maxRegistrations: 8 }, // the flood alone could fill every slot
      floodLimits: { udpDatagramsPerSecPerSource: 0.001, udpBurstPerSource: 3 }, // one token per 1000 s: no refill during the test
    });
    const drops: string[] = [];
    gateway.relay.on('dropped', ({ reason }) => drops.push(reason));
    const flooder = await UdpPeer.open('127.0.0.2');
    for (let i = 0; i < 60; i++) flooder.send(register(`flood-${i}`, 0x2000 + i, 'U'), gateway.udpAddress.port);
    await expect.poll(() => gateway.relay.counters.uplinkUdp, { timeout: 20_000 }).toBe(60);
    expect(gateway.relay.counters.rateLimited).toBe(57);
    expect(drops.filter((reason) => reason === 'rate-limited')).toHaveLength(57);
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBe(3); // the core stays silent to these

    const device = await UdpPeer.open('127.0.0.1');
    device.send(register('meter-1', 0x3001, 'U'), gateway.udpAddress.port);
    await expect.poll(() => core.received.some(fromEndpoint('meter-1')), { timeout: 10_000 }).toBe(true);
    const fromDevice = core.received.find(fromEndpoint('meter-1'))!;
    core.send(created(fromDevice.message, 'm1'), fromDevice.from.port);
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
    expect(device.received[0]!.message.code).toBe(CoapCode.CREATED);

    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x7001, token: token(0x7001), path: ['3', '0'] }), fromDevice.from.port);
    await expect.poll(() => device.received.some((r) => r.message.code === CoapCode.GET), { timeout: 10_000 }).toBe(true);
    const read = device.received.find((r) => r.message.code === CoapCode.GET)!.message;
    device.send(coapResponse(read, CoapCode.CONTENT, 'ok'), gateway.udpAddress.port);
    await expect.poll(() => core.received.some((r) => r.message.code === CoapCode.CONTENT), { timeout: 10_000 }).toBe(true);
  });

  it('cuts a number flooding SMS to its burst (stored, acknowledged, not relayed), while another SMS device registers', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core, {
      udpAdmission: { maxRegistrations: 8 },
      floodLimits: { smsPerSecPerMsisdn: 0.001, smsBurstPerMsisdn: 3 },
    });
    const limited: string[] = [];
    gateway.events.inbox.on('rate-limited', (originator) => limited.push(originator));
    const flooder = await SmsDevice.attach(network, '491709200001');
    for (let i = 0; i < 16; i++) await flooder.send(register(`sms-flood-${i}`, 0x2100 + i, 'S'));
    await expect.poll(() => gateway.events.inbox.relayed + gateway.events.inbox.rateLimited, { timeout: 60_000 }).toBe(16);
    expect(gateway.events.inbox.rateLimited).toBe(13);
    expect(limited).toHaveLength(13);
    expect(new Set(limited)).toEqual(new Set(['+491709200001']));
    // Every message was acknowledged in the inbox: nothing is pending for the consumer group.
    const pending = (await fixtureRedis().xpending(gateway.inbox.messagesKey, 'relay')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBe(3);

    const device = await SmsDevice.attach(network, '491709200002');
    await device.send(register('sms-meter', 0x3101, 'S'));
    await expect.poll(() => core.received.some(fromEndpoint('sms-meter')), { timeout: 20_000 }).toBe(true);
    const fromDevice = core.received.find(fromEndpoint('sms-meter'))!;
    core.send(created(fromDevice.message, 's1'), fromDevice.from.port);
    await expect.poll(() => gateway.mirror.get('sms-meter')?.registered, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => device.received.length, { timeout: 20_000 }).toBe(1);
    expect(device.received[0]!.code).toBe(CoapCode.CREATED);
  });
});
