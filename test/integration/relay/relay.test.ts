/**
 * The relay end to end with scripted peers: a raw UDP "core", a device speaking CoAP over SMS
 * through the simulated network and modem, and UDP devices. Real Redis, real UDP sockets on
 * loopback, real pseudo-terminals.
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, coapAck, coapRequest, coapResponse, locationPath, uriQuery, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { Gateway } from '../../../src/gateway/gateway.ts';
import { SmsDevice, UdpPeer, onCleanup, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

const token = (n: number): Uint8Array => Uint8Array.of(0xa0, n);
const LINKS = '</1/0>,</3/0>';

function register(endpoint: string, messageId: number, binding: string, extra: string[] = [], links = LINKS): CoapMessage {
  return coapRequest({
    code: CoapCode.POST, messageId, token: token(messageId & 0xff), path: ['rd'],
    query: [`ep=${endpoint}`, 'lt=300', 'lwm2m=1.0', `b=${binding}`, ...extra], contentFormat: 40, payload: links,
  });
}

function created(request: CoapMessage, id: string): CoapMessage {
  return coapResponse(request, CoapCode.CREATED, undefined, {
    options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(id) }],
  });
}

/** The core answers the first Register it sees with 2.01 /rd/<id>; resolves with the device socket's port. */
async function coreAcceptsRegister(core: UdpPeer, id: string): Promise<number> {
  await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
  const { message, from } = core.received.shift()!;
  expect(message.code).toBe(CoapCode.POST);
  core.send(created(message, id), from.port);
  return from.port;
}

describe('relay: SMS devices', () => {
  it('relays Register over SMS from a socket of its own, answers over SMS, and mirrors the registration', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core);
    const device = await SmsDevice.attach(network, '491709000001');
    await device.send(register('sms-dev-1', 0x1001, 'S'));
    const port = await coreAcceptsRegister(core, 'a1');
    expect(port).toBeGreaterThanOrEqual(42_000);
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
    const answer = device.received[0]!;
    expect(answer).toMatchObject({ type: 'ACK', code: CoapCode.CREATED, messageId: 0x1001 }); // the device's own ID back
    expect(locationPath(answer)).toEqual(['rd', 'a1']);
    await expect.poll(() => gateway.mirror.get('sms-dev-1')?.registered, { timeout: 5000 }).toBe(true);
    expect(gateway.mirror.get('sms-dev-1')).toMatchObject({ msisdn: '491709000001', binding: 'S', location: '/rd/a1', lifetimeSec: 300, lastBearer: 'sms' });
  });

  it('carries a Read from the core by exactly one SMS however often the core retransmits, and returns the answer as a separate response', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core);
    const device = await SmsDevice.attach(network, '491709000002');
    await device.send(register('sms-dev-2', 0x2001, 'S'));
    const port = await coreAcceptsRegister(core, 'b2');
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
    const smsBefore = device.smsReceived;

    const read = coapRequest({ code: CoapCode.GET, messageId: 0x7000, token: token(0x77), path: ['3', '0'] });
    core.send(read, port);
    await expect.poll(() => core.received.some((r) => r.message.type === 'ACK' && r.message.messageId === 0x7000), { timeout: 5000 }).toBe(true);
    core.send(read, port); // retransmissions while the SMS is under way
    core.send(read, port);
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(2);
    const request = device.received[1]!;
    expect(request).toMatchObject({ type: 'CON', code: CoapCode.GET });
    expect(Buffer.from(request.token).toString('hex')).toBe('a077');
    await new Promise((r) => setTimeout(r, 500));
    expect(device.smsReceived - smsBefore).toBe(1); // one SMS, not three
    expect(gateway.relay.counters.coreRetransmissionsAbsorbed).toBe(2);

    // The device answers piggybacked, over SMS.
    core.received.splice(0);
    await device.send(coapResponse(request, CoapCode.CONTENT, 'Open Mobile Alliance', { contentFormat: 0 }));
    await expect.poll(() => core.received.find((r) => r.message.code === CoapCode.CONTENT), { timeout: 10_000 }).toBeTruthy();
    const separate = core.received.find((r) => r.message.code === CoapCode.CONTENT)!;
    expect(separate.message.type).toBe('CON'); // a separate response, confirmable towards the core
    expect(Buffer.from(separate.message.token).toString('hex')).toBe('a077');
    expect(Buffer.from(separate.message.payload).toString()).toBe('Open Mobile Alliance');
    expect(separate.from.port).toBe(port);
    core.send(coapAck(separate.message.messageId), port);
    await new Promise((r) => setTimeout(r, 2500)); // past ACK_TIMEOUT: no retransmission after the ACK
    expect(core.received.filter((r) => r.message.code === CoapCode.CONTENT)).toHaveLength(1);
  }, 30_000);

  it('acknowledges the core\'s confirmable separate response itself and sends it by one SMS as NON', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core);
    const device = await SmsDevice.attach(network, '491709000005');
    await device.send(register('sms-dev-sep', 0x5101, 'S'));
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBe(1);
    const { message: request, from } = core.received.shift()!;
    core.send(coapAck(request.messageId), from.port); // the core answers later, separately
    const separate: CoapMessage = { ...created(request, 'c5'), type: 'CON', messageId: 0x3333 };
    core.send(separate, from.port);
    await expect.poll(() => core.received.some((r) => r.message.type === 'ACK' && r.message.messageId === 0x3333), { timeout: 5000 }).toBe(true);
    core.send(separate, from.port); // a retransmission while the SMS is under way
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(device.received).toHaveLength(1); // one SMS; the core's empty ACK was not sent by SMS either
    expect(device.received[0]).toMatchObject({ type: 'NON', code: CoapCode.CREATED });
    expect(Buffer.from(device.received[0]!.token).toString('hex')).toBe(Buffer.from(request.token).toString('hex'));
    await expect.poll(() => gateway.mirror.get('sms-dev-sep')?.location, { timeout: 5000 }).toBe('/rd/c5');
  });

  it('relays a Register larger than one SMS (concatenated both ways)', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core);
    const device = await SmsDevice.attach(network, '491709000003');
    const links = Array.from({ length: 30 }, (_, i) => `</${3300 + i}/0>`).join(',');
    await device.send(register('sms-dev-big', 0x3001, 'SQ', [], links));
    expect(device.smsSent).toBeGreaterThan(1);
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBe(1);
    expect(Buffer.from(core.received[0]!.message.payload).toString()).toBe(links); // relayed byte for byte
    await coreAcceptsRegister(core, 'big');
    await expect.poll(() => gateway.mirror.get('sms-dev-big')?.registered, { timeout: 10_000 }).toBe(true);
    expect(gateway.mirror.get('sms-dev-big')?.queueMode).toBe(true);
  });

  it('does not relay SMS from a number outside the allowlist', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core, { senderPolicy: { mode: 'allowlist', entries: ['+49170900'] } });
    const stranger = await SmsDevice.attach(network, '441234567890');
    const friend = await SmsDevice.attach(network, '491709000004');
    await stranger.send(register('stranger', 0x4001, 'S'));
    await friend.send(register('friend', 0x4002, 'S'));
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBe(1);
    expect(uriQuery(core.received[0]!.message)).toContain('ep=friend');
    await expect.poll(() => gateway.events.inbox.unknownSenders, { timeout: 5000 }).toBe(1);
  });
});

describe('relay: UDP devices', () => {
  it('keeps one core-facing peer for a device whose address changes, and sends the core\'s requests to the new address', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const first = await UdpPeer.open();
    first.send(register('udp-dev-1', 0x5001, 'U'), gateway.udpAddress.port);
    const port = await coreAcceptsRegister(core, 'u1');
    await expect.poll(() => first.received.length, { timeout: 5000 }).toBe(1);
    expect(first.received[0]!.message).toMatchObject({ type: 'ACK', code: CoapCode.CREATED, messageId: 0x5001 });

    const moved = await UdpPeer.open(); // NAT rebinding: same device, new source port
    moved.send(coapRequest({ code: CoapCode.POST, messageId: 0x5002, token: token(2), path: ['rd', 'u1'] }), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    expect(core.received[0]!.from.port).toBe(port);
    core.send(coapResponse(core.received.shift()!.message, CoapCode.CHANGED), port);
    await expect.poll(() => moved.received.length, { timeout: 5000 }).toBe(1);

    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x9000, token: token(9), path: ['3', '0'] }), port);
    await expect.poll(() => moved.received.length, { timeout: 5000 }).toBe(2);
    expect(first.received).toHaveLength(1);
  });

  it('holds a request for a sleeping UQ device and delivers it when the device wakes, the answer as a separate response', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, { awakeWindowMs: 300 });
    const device = await UdpPeer.open();
    device.send(register('udp-uq', 0x5201, 'UQ'), gateway.udpAddress.port);
    const port = await coreAcceptsRegister(core, 'q1');
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 500)); // past the awake window: asleep

    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x4444, token: token(0x44), path: ['3', '0'] }), port);
    await expect.poll(() => core.received.some((r) => r.message.type === 'ACK' && r.message.messageId === 0x4444), { timeout: 5000 }).toBe(true);
    expect(gateway.relay.counters.held).toBe(1);
    expect(device.received).toHaveLength(1); // nothing sent to the sleeping device

    device.send(coapRequest({ code: CoapCode.POST, messageId: 0x5202, token: token(0x52), path: ['rd', 'q1'] }), gateway.udpAddress.port); // it wakes
    await expect.poll(() => device.received.some((r) => r.message.code === CoapCode.GET), { timeout: 5000 }).toBe(true);
    const held = device.received.find((r) => r.message.code === CoapCode.GET)!.message;
    expect(held.type).toBe('CON');
    device.send(coapResponse(held, CoapCode.CONTENT, 'awake'), gateway.udpAddress.port);
    await expect.poll(() => core.received.find((r) => r.message.code === CoapCode.CONTENT), { timeout: 5000 }).toBeTruthy();
    const answer = core.received.find((r) => r.message.code === CoapCode.CONTENT)!.message;
    expect(answer.type).toBe('CON'); // separate: the core already has its empty ACK
    expect(Buffer.from(answer.token).toString('hex')).toBe('a044');
    core.send(coapAck(answer.messageId), port);
  });

  it('answers a malformed confirmable datagram with RST and relays nothing', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const device = await UdpPeer.open();
    // CON, TKL 9 (reserved: a message format error, RFC 7252 §3), MID 0x1234.
    device.sendBytes(Uint8Array.of(0x49, 0x01, 0x12, 0x34), gateway.udpAddress.port);
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(1);
    expect(device.received[0]!.message).toMatchObject({ type: 'RST', messageId: 0x1234 });
    expect(core.received).toHaveLength(0);
    expect(gateway.relay.counters.malformed).toBe(1);
  });

  it('gives each device its own socket, and the same port again after a gateway restart', async () => {
    const core = await UdpPeer.open();
    const { gateway, config } = await startGateway(core);
    const a = await UdpPeer.open();
    const b = await UdpPeer.open();
    a.send(register('udp-a', 0x6001, 'U'), gateway.udpAddress.port);
    const portA = await coreAcceptsRegister(core, 'ra');
    b.send(register('udp-b', 0x6002, 'U'), gateway.udpAddress.port);
    const portB = await coreAcceptsRegister(core, 'rb');
    expect(portA).not.toBe(portB);
    await expect.poll(() => gateway.mirror.get('udp-b')?.registered, { timeout: 5000 }).toBe(true);

    const udpPort = gateway.udpAddress.port;
    await gateway.stop();
    const restarted = await Gateway.start({ ...config, udpListen: { host: '127.0.0.1', port: udpPort } });
    onCleanup(() => restarted.stop());
    expect(restarted.mirror.get('udp-a')?.location).toBe('/rd/ra');
    a.send(coapRequest({ code: CoapCode.POST, messageId: 0x6003, token: token(3), path: ['rd', 'ra'] }), restarted.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    expect(core.received[0]!.from.port).toBe(portA);
    const statusPorts = (await restarted.status()).devices.map((d) => [d.endpoint, d.corePort]).sort();
    expect(statusPorts).toEqual([['udp-a', portA], ['udp-b', portB]]);
  });
});
