/**
 * The registration holes of issue 9, each tried as an attacker would, end to end: a scripted core
 * (raw UDP socket), a device on SMS through the simulated network and modem, UDP peers on
 * loopback (raw sockets and node-coap, an independent CoAP implementation), the gateway on a
 * private Redis. Each test failed before the admission policy and the release of refused
 * registrations existed.
 */
import { Agent, request as coapClientRequest } from 'coap';
import { describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, encodeCoap, uriQuery, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { Gateway } from '../../../src/gateway/gateway.ts';
import { SmsDevice, UdpPeer, fixtureRedis, onCleanup, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

const token = (n: number): Uint8Array => Uint8Array.of(0xb0, n & 0xff);

function register(endpoint: string, messageId: number, binding: string, query: string[] = ['lt=300']): CoapMessage {
  return coapRequest({
    code: CoapCode.POST, messageId, token: token(messageId), path: ['rd'],
    query: [`ep=${endpoint}`, ...query, 'lwm2m=1.0', `b=${binding}`], contentFormat: 40, payload: '</1/0>,</3/0>',
  });
}

function created(request: CoapMessage, id: string): CoapMessage {
  return coapResponse(request, CoapCode.CREATED, undefined, {
    options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(id) }],
  });
}

/** What the gateway keeps in Redis: device records and socket ports. */
async function stored(): Promise<{ devices: string[]; ports: Record<string, string> }> {
  const redis = fixtureRedis();
  const devices = (await redis.keys('smsbridge:reg:device:*')).map((key) => key.slice('smsbridge:reg:device:'.length)).sort();
  return { devices, ports: await redis.hgetall('smsbridge:sockets:port-of') };
}

/** Sends a CON request with node-coap from a socket of its own; resolves with the response code ("4.03"). */
function coapClientPost(gateway: Gateway, pathname: string, query: string): Promise<string> {
  const agent = new Agent({ type: 'udp4' });
  onCleanup(async () => agent.close());
  return new Promise((resolve, reject) => {
    const req = coapClientRequest({ hostname: '127.0.0.1', port: gateway.udpAddress.port, method: 'POST', pathname, query, agent, confirmable: true });
    req.on('response', (res: { code: string }) => resolve(res.code));
    req.on('error', reject);
    req.end(Buffer.from('</1/0>,</3/0>'));
  });
}

async function registerSmsDevice(core: UdpPeer, network: Parameters<typeof SmsDevice.attach>[0], gateway: Gateway): Promise<{ device: SmsDevice; port: number }> {
  const device = await SmsDevice.attach(network, '491709100001');
  await device.send(register('sms-victim', 0x1101, 'S'));
  await expect.poll(() => core.received.length, { timeout: 10_000 }).toBe(1);
  const { message, from } = core.received.shift()!;
  core.send(created(message, 'v1'), from.port);
  await expect.poll(() => gateway.mirror.get('sms-victim')?.registered, { timeout: 10_000 }).toBe(true);
  await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
  return { device, port: from.port };
}

describe('an unauthenticated datagram cannot take over a device', () => {
  it('refuses a UDP Register (node-coap) and a UDP Update by location naming an SMS device: its registration is unchanged and the core still reaches it', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core);
    const { device, port } = await registerSmsDevice(core, network, gateway);
    const before = gateway.mirror.get('sms-victim');
    const storedBefore = await fixtureRedis().get('smsbridge:reg:device:sms-victim');

    expect(await coapClientPost(gateway, '/rd', 'ep=sms-victim&lt=300&b=U')).toBe('4.03');
    const attacker = await UdpPeer.open();
    attacker.send(coapRequest({ code: CoapCode.POST, messageId: 0x6601, token: token(1), path: ['rd', 'v1'] }), gateway.udpAddress.port);
    await expect.poll(() => attacker.received.length, { timeout: 5000 }).toBe(1);
    expect(attacker.received[0]!.message).toMatchObject({ type: 'ACK', code: CoapCode.FORBIDDEN, messageId: 0x6601 });

    expect(core.received).toHaveLength(0); // nothing of the attacker's reached the core
    expect(gateway.mirror.get('sms-victim')).toEqual(before);
    expect(await fixtureRedis().get('smsbridge:reg:device:sms-victim')).toBe(storedBefore);
    expect(gateway.relay.counters.refusedRegistrations).toBe(2);

    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x7101, token: token(0x71), path: ['3', '0'] }), port);
    await expect.poll(() => device.received.some((m) => m.code === CoapCode.GET), { timeout: 10_000 }).toBe(true);
  });
});

describe('an SMS registration keeps its MSISDN', () => {
  it('does not relay a Register from another SIM naming a device registered over SMS', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core);
    await registerSmsDevice(core, network, gateway);
    const before = gateway.mirror.get('sms-victim');
    const otherSim = await SmsDevice.attach(network, '491709100099');
    await otherSim.send(register('sms-victim', 0x1301, 'S'));
    await expect.poll(() => gateway.relay.counters.refusedRegistrations, { timeout: 10_000 }).toBe(1);
    expect(core.received).toHaveLength(0);
    expect(otherSim.received).toHaveLength(0); // no answer by SMS: it would cost money
    expect(gateway.mirror.get('sms-victim')).toEqual(before);
  });
});

describe('a UDP registration moves only as the policy allows', () => {
  it('refuses a Register from another host for a UDP device (udpAddressChange same-host), and accepts one from another port of its own host', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const device = await UdpPeer.open();
    device.send(register('udp-victim', 0x1201, 'U'), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    const first = core.received.shift()!;
    core.send(created(first.message, 'w1'), first.from.port);
    await expect.poll(() => gateway.mirror.get('udp-victim')?.registered, { timeout: 5000 }).toBe(true);

    const attacker = await UdpPeer.open('127.0.0.2');
    attacker.send(register('udp-victim', 0x1202, 'U'), gateway.udpAddress.port);
    await expect.poll(() => attacker.received.length, { timeout: 5000 }).toBe(1);
    expect(attacker.received[0]!.message.code).toBe(CoapCode.FORBIDDEN);
    expect(core.received).toHaveLength(0);
    expect(gateway.mirror.get('udp-victim')).toMatchObject({ udpHost: '127.0.0.1', udpPort: device.port, location: '/rd/w1' });

    const rebooted = await UdpPeer.open(); // the device itself, from a new port after a reboot
    rebooted.send(register('udp-victim', 0x1203, 'U'), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    expect(core.received[0]!.from.port).toBe(first.from.port); // the same core-facing socket
  });
});

describe('registration limits and release', () => {
  it('gives one source at most maxRegistrationsPerSource endpoints (5.03 beyond), so a device elsewhere still registers; unanswered Registers give their records and ports back', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, {
      coreSockets: { bindHost: '127.0.0.1', portRange: [48_100, 48_139] }, // 40 ports
      udpAdmission: { maxRegistrationsPerSource: 8 },
      registrationLimits: { registerAnswerTimeoutMs: 3000 },
    });
    const attacker = await UdpPeer.open();
    for (let i = 0; i < 60; i++) attacker.send(register(`flood-${i}`, 0x2000 + i, 'U'), gateway.udpAddress.port);
    await expect.poll(() => attacker.received.length, { timeout: 10_000 }).toBe(52);
    expect(attacker.received.every((r) => r.message.code === CoapCode.SERVICE_UNAVAILABLE)).toBe(true);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(8); // the core stays silent to these

    const device = await UdpPeer.open('127.0.0.2');
    device.send(register('meter-1', 0x3001, 'U'), gateway.udpAddress.port);
    await expect.poll(() => core.received.some((r) => uriQuery(r.message).includes('ep=meter-1')), { timeout: 5000 }).toBe(true);
    const fromDevice = core.received.find((r) => uriQuery(r.message).includes('ep=meter-1'))!;
    core.send(created(fromDevice.message, 'm1'), fromDevice.from.port);
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(1);
    expect(device.received[0]!.message.code).toBe(CoapCode.CREATED);

    // No answer within registerAnswerTimeoutMs: the 8 records and their ports are released.
    await expect.poll(async () => (await stored()).devices, { timeout: 15_000 }).toEqual(['meter-1']);
    await expect.poll(async () => Object.keys((await stored()).ports), { timeout: 5000 }).toEqual(['meter-1']);
    expect(gateway.mirror.list().map((r) => r.endpoint)).toEqual(['meter-1']);
  });

  it('admits no more registrations than there are core-facing ports', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, { coreSockets: { bindHost: '127.0.0.1', portRange: [48_200, 48_204] } }); // 5 ports
    const sender = await UdpPeer.open();
    for (let i = 0; i < 8; i++) sender.send(register(`many-${i}`, 0x2100 + i, 'U'), gateway.udpAddress.port);
    await expect.poll(() => sender.received.length, { timeout: 5000 }).toBe(3);
    expect(sender.received.every((r) => r.message.code === CoapCode.SERVICE_UNAVAILABLE)).toBe(true);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(5);
    expect(new Set(core.received.map((r) => r.from.port)).size).toBe(5);
  });

  it('releases the record and the port when the core rejects a Register, and caps the lifetime it relays', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, { registrationLimits: { maxLifetimeSec: 3600 } });
    const device = await UdpPeer.open();
    device.send(register('rejected-1', 0x4001, 'U', ['lt=4000000000']), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    const { message, from } = core.received.shift()!;
    expect(uriQuery(message)).toContain('lt=3600');
    expect(gateway.mirror.get('rejected-1')?.lifetimeSec).toBe(3600);
    expect((await stored()).devices).toEqual([]); // a Register reaches Redis only once the core accepts it
    expect(Object.keys((await stored()).ports)).toEqual(['rejected-1']);
    core.send(coapResponse(message, CoapCode.FORBIDDEN), from.port);
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(1);
    expect(device.received[0]!.message.code).toBe(CoapCode.FORBIDDEN); // the core's answer still reaches the device
    await expect.poll(async () => stored(), { timeout: 5000 }).toEqual({ devices: [], ports: {} });
    expect(gateway.mirror.get('rejected-1')).toBeUndefined();
  });

  it('keeps the registration a refused re-Register would have replaced', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const device = await UdpPeer.open();
    device.send(register('twice', 0x4201, 'U'), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    const first = core.received.shift()!;
    core.send(created(first.message, 't1'), first.from.port);
    await expect.poll(() => gateway.mirror.get('twice')?.registered, { timeout: 5000 }).toBe(true);
    const accepted = gateway.mirror.get('twice');

    device.send(register('twice', 0x4202, 'UQ'), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    const second = core.received.shift()!;
    expect(second.from.port).toBe(first.from.port);
    core.send(coapResponse(second.message, CoapCode.BAD_REQUEST), second.from.port);
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(2);
    await expect.poll(() => gateway.mirror.get('twice')?.binding, { timeout: 5000 }).toBe('U');
    expect(gateway.mirror.get('twice')).toMatchObject({ registered: true, location: '/rd/t1', binding: 'U', queueMode: false });
    expect(gateway.mirror.get('twice')?.registeredAtMs).toBe(accepted?.registeredAtMs);
    expect(Object.keys((await stored()).ports)).toEqual(['twice']);
  });

  it('drops a Register whose answer a gateway restart lost, with its port', async () => {
    const core = await UdpPeer.open();
    const { gateway, config } = await startGateway(core, { registrationLimits: { registerAnswerTimeoutMs: 2000 } });
    const device = await UdpPeer.open();
    device.send(register('orphan', 0x4301, 'U'), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    await gateway.stop();
    const restarted = await Gateway.start(config);
    onCleanup(() => restarted.stop());
    // The Register was never written (it is written once, when the core accepts it): nothing of
    // it comes back, and the port recorded for its socket is released at start.
    expect(restarted.mirror.get('orphan')).toBeUndefined();
    await expect.poll(async () => stored(), { timeout: 15_000 }).toEqual({ devices: [], ports: {} });
    expect(restarted.mirror.list()).toEqual([]);
  });

  it('gives the port of a lapsed registration back', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const device = await UdpPeer.open();
    device.send(register('short-lived', 0x4101, 'U', ['lt=1']), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    const { message, from } = core.received.shift()!;
    core.send(created(message, 's1'), from.port);
    await expect.poll(() => gateway.mirror.get('short-lived')?.registered, { timeout: 5000 }).toBe(true);
    expect(Object.keys((await stored()).ports)).toEqual(['short-lived']);
    await expect.poll(async () => stored(), { timeout: 10_000 }).toEqual({ devices: [], ports: {} });
  });
});

describe('what the gateway refuses before it stores anything', () => {
  it('answers a Register without ep with 4.00, invents no name, binds no socket, relays nothing', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const device = await UdpPeer.open();
    device.send(coapRequest({ code: CoapCode.POST, messageId: 0x5001, token: token(1), path: ['rd'], query: ['lt=300', 'b=U'], contentFormat: 40, payload: '</3/0>' }), gateway.udpAddress.port);
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(1);
    expect(device.received[0]!.message).toMatchObject({ type: 'ACK', code: CoapCode.BAD_REQUEST, messageId: 0x5001 });
    expect(await stored()).toEqual({ devices: [], ports: {} });
    expect(gateway.mirror.list()).toEqual([]);
    expect(core.received).toHaveLength(0);
  });

  it('answers endpoint names of 60 KB, or with NUL or a newline, with 4.00 and stores none of them', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const device = await UdpPeer.open();
    const names = ['x'.repeat(60_000), 'dev\u0000evil', 'dev\nevil'];
    names.forEach((name, i) => {
      const base = register('placeholder', 0x5100 + i, 'U');
      const options = base.options.map((o) => (o.number === CoapOptionNumber.URI_QUERY && Buffer.from(o.value).toString() === 'ep=placeholder' ? { ...o, value: Buffer.from(`ep=${name}`) } : o));
      device.sendBytes(encodeCoap({ ...base, options }), gateway.udpAddress.port);
    });
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(3);
    expect(device.received.map((r) => r.message.code)).toEqual([CoapCode.BAD_REQUEST, CoapCode.BAD_REQUEST, CoapCode.BAD_REQUEST]);
    expect(await stored()).toEqual({ devices: [], ports: {} });
    expect(core.received).toHaveLength(0);
  });
});
