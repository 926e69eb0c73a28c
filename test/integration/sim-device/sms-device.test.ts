/**
 * A simulated device with bindings S and UQS on the simulated SMS network, against a test
 * "gateway" that is just a network subscriber with the gateway's number: it decodes the SMS
 * (reassembling concatenated ones itself) into CoAP and answers over SMS.
 *
 *   SimDevice ── DeviceSmsLink ── SimNetwork (deliveryDelayMs 0) ── TestGateway (raw SMS + codecs)
 *        └──── UDP ──── CoapTestServer                              (UQS only)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, ContentFormat, coapRequest, coapResponse, contentFormat, decodeCoap, encodeCoap, uriPath, uriQuery, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { SimDevice, decodeTlv, objectLinkList, readTlvString, type SimDeviceOptions } from '../../../src/sim/device/index.ts';
import { SimNetworkClient } from '../../../src/sim/network/network-client.ts';
import { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { Cleanups, CoapTestServer, DEVICE_NUMBER, GATEWAY_NUMBER, TestGateway, sleep, type GatewayMessage } from './fixture.ts';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function setup(): Promise<{ network: SimNetwork; gateway: TestGateway }> {
  const network = cleanups.add(await SimNetwork.start({ deliveryDelayMs: 0 }), (n) => n.stop());
  const gateway = cleanups.add(await TestGateway.attach(network), (g) => g.close());
  return { network, gateway };
}

async function device(network: SimNetwork, options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  const started = await SimDevice.start({
    msisdn: DEVICE_NUMBER, endpoint: 'sms-dev', binding: 'S', network: network.address, gatewayNumber: GATEWAY_NUMBER, lifetimeSec: 3600,
    coap: { responseTimeoutMs: 2_000 }, deregisterOnStop: false, ...options,
  });
  return cleanups.add(started, (d) => d.stop());
}

function created(register: CoapMessage, location: string[]): Uint8Array {
  const options = location.map((segment) => ({ number: CoapOptionNumber.LOCATION_PATH, value: new TextEncoder().encode(segment) }));
  return encodeCoap(coapResponse(register, CoapCode.CREATED, undefined, { options }));
}

const isRegister = (m: CoapMessage): boolean => m.code === CoapCode.POST && uriPath(m).join('/') === 'rd';

/** Answers the device's Register (the first message at index ≥ `after`) with 2.01 /rd/sms1 over SMS. */
async function acceptRegister(gateway: TestGateway, after = 0): Promise<GatewayMessage & { message: CoapMessage }> {
  const register = await gateway.nextCoap(isRegister, after);
  await gateway.send(DEVICE_NUMBER, created(register.message, ['rd', 'sms1']));
  return register;
}

describe('simulated device, binding S', () => {
  it('registers over SMS: one 8-bit SMS from its number, with sms= and b=S; the 2.01 comes back over SMS', async () => {
    const { network, gateway } = await setup();
    const d = await device(network);
    const register = await acceptRegister(gateway);
    expect(register).toMatchObject({ from: '491700000101', parts: 1 });
    expect(register.message.type).toBe('CON');
    expect(uriQuery(register.message)).toStrictEqual(['ep=sms-dev', 'lt=3600', 'lwm2m=1.0', 'b=S', 'sms=491700000101']);
    expect(contentFormat(register.message)).toBe(ContentFormat.LINK_FORMAT);
    expect(await d.whenRegistered()).toMatchObject({ location: '/rd/sms1', bearer: 'sms' });
    expect(d.stats).toMatchObject({ registrations: 1, smsSent: 1, smsReceived: 1, udpSent: 0 });
    expect(d.udpAddress).toBeNull();
  });

  it('sends a Register of more than 140 bytes as concatenated SMS', async () => {
    const { network, gateway } = await setup();
    const d = await device(network, { objectLinks: objectLinkList(20) });
    const register = await acceptRegister(gateway);
    expect(register.bytes.length).toBeGreaterThan(140);
    expect(register.parts).toBe(2);
    expect(gateway.smsReceived).toBe(2);
    expect(Buffer.from(register.message.payload).toString()).toBe(objectLinkList(20));
    await d.whenRegistered();
    expect(d.stats.smsSent).toBe(2);
  });

  it('answers a Read over SMS, reassembling a request that came as concatenated SMS', async () => {
    const { network, gateway } = await setup();
    const d = await device(network);
    await acceptRegister(gateway);
    await d.whenRegistered();
    // A 2-part request: Read /3/0 with a long (ignored) Uri-Query.
    const read = coapRequest({ code: CoapCode.GET, messageId: 0x2001, token: Uint8Array.of(0xaa), path: ['3', '0'], query: ['x'.repeat(200)] });
    expect(await gateway.send(DEVICE_NUMBER, encodeCoap(read))).toBe(2);
    const answer = await gateway.nextCoap((m) => m.messageId === 0x2001);
    expect(answer.message).toMatchObject({ type: 'ACK', code: CoapCode.CONTENT });
    const nodes = decodeTlv(answer.message.payload);
    expect(readTlvString((nodes[0] as { value: Uint8Array }).value)).toBe('lwm2m-sms-bridge');
    expect(d.stats).toMatchObject({ readsAnswered: 1, smsReceived: 3, smsSent: 2 });
  });

  it('ignores SMS from any number but the gateway\'s', async () => {
    const { network, gateway } = await setup();
    const d = await device(network);
    await acceptRegister(gateway);
    await d.whenRegistered();
    const stranger = cleanups.add(await SimNetworkClient.connect({ ...network.address, msisdn: '+491700000666' }), (c) => c.close());
    const strangerGot: string[] = [];
    stranger.on('deliver', (delivery) => strangerGot.push(delivery.pduHex));
    const ignored = d.next('smsIgnored');
    const execute = encodeCoap(coapRequest({ code: CoapCode.POST, messageId: 0x3001, path: ['1', '0', '8'] }));
    const [part] = splitIntoSubmitPdus({ destination: DEVICE_NUMBER, payload: { data: execute } });
    expect(await stranger.submit(part!.hex.slice(2))).toEqual({ ok: true });
    expect(await ignored).toEqual(['491700000666', 'foreign-number']);
    await sleep(200);
    expect(d.stats).toMatchObject({ executes: 0, requestsReceived: 0, smsIgnored: 1, smsSent: 1, updates: 0 });
    expect(strangerGot).toEqual([]);
    expect(gateway.messages).toHaveLength(1); // the Register only
    // The same request from the gateway is carried out.
    await gateway.send(DEVICE_NUMBER, execute);
    expect((await gateway.nextCoap((m) => m.messageId === 0x3001)).message.code).toBe(CoapCode.CHANGED);
  });

  it('executes /1/0/8 received over SMS: 2.04 over SMS, then the Update over SMS', async () => {
    const { network, gateway } = await setup();
    const d = await device(network);
    await acceptRegister(gateway);
    await d.whenRegistered();
    await gateway.send(DEVICE_NUMBER, encodeCoap(coapRequest({ code: CoapCode.POST, messageId: 0x4001, path: ['1', '0', '8'] })));
    expect((await gateway.nextCoap((m) => m.messageId === 0x4001)).message.code).toBe(CoapCode.CHANGED);
    const update = await gateway.nextCoap((m) => m.code === CoapCode.POST && uriPath(m).join('/') === 'rd/sms1');
    await gateway.send(DEVICE_NUMBER, encodeCoap(coapResponse(update.message, CoapCode.CHANGED)));
    await expect.poll(() => d.stats.updates).toBe(1);
    expect(d.stats).toMatchObject({ executes: 1, smsSent: 3, smsReceived: 3 });
  });

  it('never retransmits over SMS: an unanswered Register is one SMS, then a timeout', async () => {
    const { network, gateway } = await setup();
    const d = await device(network, { coap: { ackTimeoutMs: 20, ackRandomFactor: 1, responseTimeoutMs: 400 }, registerRetryMs: 60_000 });
    const [reason] = await d.next('registrationFailed');
    expect(reason).toMatch(/^timeout/);
    expect(gateway.smsReceived).toBe(1);
    expect(d.stats).toMatchObject({ smsSent: 1, retransmissions: 0, registrationFailures: 1 });
  });
});

describe('simulated device, binding UQS (1.0)', () => {
  it('registers over UDP with sms=, sleeps on UDP, and is woken by an Execute /1/0/8 over SMS that it answers over SMS and follows with an Update over UDP', async () => {
    const { network, gateway } = await setup();
    const server = cleanups.add(await CoapTestServer.start(), (s) => s.close());
    const d = await device(network, { binding: 'UQS', udp: server.address, awakeWindowMs: 250, coap: { ackTimeoutMs: 100, ackRandomFactor: 1 } });
    await d.whenRegistered();
    expect(uriQuery(server.requests[0]!.message)).toStrictEqual(['ep=sms-dev', 'lt=3600', 'lwm2m=1.0', 'b=UQS', 'sms=491700000101']);
    expect(d.stats.smsSent).toBe(0);
    await d.next('asleep');
    const to = server.requests[0]!.from;
    await expect(server.request(to, { code: CoapCode.GET, path: ['3', '0', '0'] }, 300)).rejects.toThrow(/no answer/);
    expect(d.stats.udpDropped).toBe(1);

    const before = server.requests.length;
    await gateway.send(DEVICE_NUMBER, encodeCoap(coapRequest({ code: CoapCode.POST, messageId: 0x5001, path: ['1', '0', '8'] })));
    const answer = await gateway.nextCoap((m) => m.messageId === 0x5001);
    expect(decodeCoap(answer.bytes)).toMatchObject({ type: 'ACK', code: CoapCode.CHANGED });
    await server.waitFor('POST /rd/dev1', before);
    await expect.poll(() => d.stats.updates).toBe(1);
    expect(d.awake).toBe(true);
    expect((await server.request(to, { code: CoapCode.GET, path: ['3', '0', '0'] })).code).toBe(CoapCode.CONTENT);
    expect(d.stats).toMatchObject({ smsSent: 1, smsReceived: 1, executes: 1 });
  });
});

describe('simulated device, LwM2M 1.1 binding S with queue mode', () => {
  it('registers with b=S and the valueless Q parameter', async () => {
    const { network, gateway } = await setup();
    const d = await device(network, { lwm2mVersion: '1.1', queueMode: true });
    const register = await acceptRegister(gateway);
    expect(uriQuery(register.message)).toStrictEqual(['ep=sms-dev', 'lt=3600', 'lwm2m=1.1', 'b=S', 'sms=491700000101', 'Q']);
    await d.whenRegistered();
  });
});
