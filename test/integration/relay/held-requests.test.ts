/**
 * Held requests tell the core the truth: bounded (the 17th gets 5.03 with Max-Age), expired
 * (5.04, and never delivered afterwards), delivered in order one at a time (NSTART = 1) when the
 * device wakes by an Update or a new Register, and a core retransmission is one request. A
 * scripted core and a scripted queue-mode UDP device on real sockets; real Redis and modem.
 */
import { describe, expect, it } from 'vitest';
import { chooseBearer } from '../../../src/bridge/bearer.ts';
import { Gateway } from '../../../src/gateway/gateway.ts';
import type { GatewayConfig } from '../../../src/gateway/gateway-config.ts';
import {
  CoapCode, CoapOptionNumber, coapAck, coapRequest, coapResponse, firstUintOption, type CoapMessage,
} from '../../../src/lwm2m/index.ts';
import { UdpPeer, fixtureRedis, onCleanup, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

const AWAKE_WINDOW_MS = 300;
const token = (n: number): Uint8Array => Uint8Array.of(0xc0, n);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function register(endpoint: string, messageId: number): CoapMessage {
  return coapRequest({ code: CoapCode.POST, messageId, token: token(messageId & 0xff), path: ['rd'], query: [`ep=${endpoint}`, 'lt=300', 'lwm2m=1.0', 'b=UQ'], contentFormat: 40, payload: '</3/0>' });
}

function update(id: string, messageId: number): CoapMessage {
  return coapRequest({ code: CoapCode.POST, messageId, token: token(messageId & 0xff), path: ['rd', id] });
}

function read(messageId: number, tokenByte: number): CoapMessage {
  return coapRequest({ code: CoapCode.GET, messageId, token: token(tokenByte), path: ['3', '0'] });
}

/** A queue-mode device registered through the gateway, and the port of its core-facing socket. */
interface Setup {
  readonly core: UdpPeer;
  readonly device: UdpPeer;
  readonly gateway: Gateway;
  readonly port: number;
  readonly config: GatewayConfig;
}

async function registeredSleepingDevice(endpoint: string, ttlMs = 60_000): Promise<Setup> {
  const core = await UdpPeer.open();
  const { gateway, config } = await startGateway(core, { awakeWindowMs: AWAKE_WINDOW_MS, heldRequests: { ttlMs } });
  const device = await UdpPeer.open();
  device.send(register(endpoint, 0x0100), gateway.udpAddress.port);
  await expect.poll(() => core.received.length, { timeout: 10_000 }).toBe(1);
  const { message, from } = core.received.shift()!;
  core.send(coapResponse(message, CoapCode.CREATED, undefined, {
    options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(endpoint) }],
  }), from.port);
  await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(1);
  await asleep(gateway, endpoint);
  device.received.splice(0);
  return { core, device, gateway, port: from.port, config };
}

/** Waits until the gateway considers the device asleep (its awake window passed). */
async function asleep(gateway: Gateway, endpoint: string): Promise<void> {
  await expect.poll(() => chooseBearer(gateway.mirror.get(endpoint)!, gateway.mirror.presence.isAwakeOverUdp(endpoint, Date.now())), { timeout: 5000 }).toBe('hold');
}

/** Sends `request` from the core and waits for the gateway's empty ACK. */
async function coreSendsHeld(setup: Setup, request: CoapMessage): Promise<void> {
  setup.core.send(request, setup.port);
  await expect.poll(() => setup.core.received.some((r) => r.message.type === 'ACK' && r.message.messageId === request.messageId), { timeout: 5000 }).toBe(true);
  const ack = setup.core.received.find((r) => r.message.type === 'ACK' && r.message.messageId === request.messageId)!.message;
  expect(ack.code).toBe(CoapCode.EMPTY);
  setup.core.received.splice(0);
}

/** The device sends an Update; the core answers 2.04; resolves when the device has the 2.04. */
async function deviceUpdates(setup: Setup, id: string, messageId: number): Promise<void> {
  setup.device.send(update(id, messageId), setup.gateway.udpAddress.port);
  await expect.poll(() => setup.core.received.find((r) => r.message.code === CoapCode.POST), { timeout: 5000 }).toBeTruthy();
  const index = setup.core.received.findIndex((r) => r.message.code === CoapCode.POST);
  const message = setup.core.received.splice(index, 1)[0]!.message;
  setup.core.send(coapResponse(message, CoapCode.CHANGED), setup.port);
  await expect.poll(() => setup.device.received.some((r) => r.message.code === CoapCode.CHANGED && r.message.messageId === messageId), { timeout: 5000 }).toBe(true);
}

/** The distinct requests the device received (the gateway's CON retransmissions are the same message). */
function readsAtDevice(setup: Setup): CoapMessage[] {
  const byId = new Map<number, CoapMessage>();
  for (const { message } of setup.device.received) if (message.code === CoapCode.GET && !byId.has(message.messageId)) byId.set(message.messageId, message);
  return [...byId.values()];
}

describe('held requests', () => {
  it('answers the 17th request for a sleeping device 5.03 with Max-Age instead of acknowledging it', async () => {
    const setup = await registeredSleepingDevice('held-bound');
    for (let i = 0; i < 16; i++) await coreSendsHeld(setup, read(0x1000 + i, i));
    setup.core.send(read(0x1010, 0x10), setup.port);
    await expect.poll(() => setup.core.received.find((r) => r.message.messageId === 0x1010), { timeout: 5000 }).toBeTruthy();
    const answer = setup.core.received.find((r) => r.message.messageId === 0x1010)!.message;
    expect(answer).toMatchObject({ type: 'ACK', code: CoapCode.SERVICE_UNAVAILABLE });
    expect(hex(answer.token)).toBe('c010');
    const maxAgeSec = firstUintOption(answer, CoapOptionNumber.MAX_AGE);
    expect(maxAgeSec).toBeGreaterThanOrEqual(1);
    expect(maxAgeSec).toBeLessThanOrEqual(60);
    expect(setup.gateway.relay.counters).toMatchObject({ held: 16, refused: 1 });
  });

  it('answers 5.04 when the hold expires, and never delivers the expired request when the device wakes', async () => {
    const setup = await registeredSleepingDevice('held-expiry', 800);
    const answered: string[] = [];
    setup.gateway.relay.on('answered', (event) => answered.push(`${event.code} ${event.reason}`));
    await coreSendsHeld(setup, read(0x2000, 0x20));
    await expect.poll(() => setup.core.received.find((r) => r.message.code === CoapCode.GATEWAY_TIMEOUT), { timeout: 10_000 }).toBeTruthy();
    const timeout = setup.core.received.find((r) => r.message.code === CoapCode.GATEWAY_TIMEOUT)!.message;
    expect(timeout.type).toBe('CON'); // a separate response: the core has the empty ACK already
    expect(hex(timeout.token)).toBe('c020');
    setup.core.send(coapAck(timeout.messageId), setup.port);
    expect(answered).toEqual(['5.04 expired']);

    await deviceUpdates(setup, 'held-expiry', 0x0201); // the device wakes
    expect(readsAtDevice(setup)).toHaveLength(0);
  });

  it('delivers two held requests in order, one at a time, when the device wakes by an Update', async () => {
    const setup = await registeredSleepingDevice('held-order');
    await coreSendsHeld(setup, read(0x3000, 0x31));
    await coreSendsHeld(setup, read(0x3001, 0x32));
    await deviceUpdates(setup, 'held-order', 0x0301);
    await expect.poll(() => readsAtDevice(setup).length, { timeout: 5000 }).toBe(1);
    const first = readsAtDevice(setup)[0]!;
    expect(hex(first.token)).toBe('c031');
    await deviceUpdates(setup, 'held-order', 0x0302); // a round trip later: still only the first (NSTART = 1)
    expect(readsAtDevice(setup)).toHaveLength(1);

    setup.device.send(coapResponse(first, CoapCode.CONTENT, 'first'), setup.gateway.udpAddress.port);
    await expect.poll(() => readsAtDevice(setup).length, { timeout: 5000 }).toBe(2);
    const second = readsAtDevice(setup)[1]!;
    expect(hex(second.token)).toBe('c032');
    setup.device.send(coapResponse(second, CoapCode.CONTENT, 'second'), setup.gateway.udpAddress.port);
    await expect.poll(() => setup.core.received.filter((r) => r.message.code === CoapCode.CONTENT).length, { timeout: 5000 }).toBe(2);
    const answers = setup.core.received.filter((r) => r.message.code === CoapCode.CONTENT).map((r) => r.message);
    expect(answers.map((m) => [hex(m.token), Buffer.from(m.payload).toString()])).toEqual([['c031', 'first'], ['c032', 'second']]);
    for (const answer of answers) setup.core.send(coapAck(answer.messageId), setup.port);
    expect(setup.gateway.relay.counters).toMatchObject({ held: 2, heldDelivered: 2, heldAnsweredByGateway: 0 });
  });

  it('holds a core retransmission as the same request, and delivers it once when the device registers afresh', async () => {
    const setup = await registeredSleepingDevice('held-dedup');
    const request = read(0x4000, 0x40);
    await coreSendsHeld(setup, request);
    await coreSendsHeld(setup, request); // the core retransmits (our ACK was lost, say): ACKed again
    expect(setup.gateway.relay.counters).toMatchObject({ held: 1, coreRetransmissionsAbsorbed: 1 });

    setup.device.send(register('held-dedup', 0x0401), setup.gateway.udpAddress.port); // some clients register on every wake
    await expect.poll(() => readsAtDevice(setup).length, { timeout: 5000 }).toBe(1);
    const delivered = readsAtDevice(setup)[0]!;
    setup.device.send(coapResponse(delivered, CoapCode.CONTENT, 'once'), setup.gateway.udpAddress.port);
    await expect.poll(() => setup.core.received.find((r) => r.message.code === CoapCode.CONTENT), { timeout: 5000 }).toBeTruthy();
    const registerAtCore = setup.core.received.find((r) => r.message.code === CoapCode.POST)!.message;
    setup.core.send(coapResponse(registerAtCore, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('held-dedup') }],
    }), setup.port);
    setup.core.received.splice(0);
    await deviceUpdates(setup, 'held-dedup', 0x0402); // a round trip after the answer
    expect(readsAtDevice(setup)).toHaveLength(1);
  });

  it('never delivers the held requests of a device that de-registers, and says so in an event', async () => {
    const setup = await registeredSleepingDevice('held-gone');
    const dropped: string[] = [];
    setup.gateway.relay.on('dropped', (event) => dropped.push(`${event.reason} ${event.endpoint}`));
    await coreSendsHeld(setup, read(0x5000, 0x50));
    setup.device.send(coapRequest({ code: CoapCode.DELETE, messageId: 0x0501, token: token(0x51), path: ['rd', 'held-gone'] }), setup.gateway.udpAddress.port);
    await expect.poll(() => setup.core.received.find((r) => r.message.code === CoapCode.DELETE), { timeout: 5000 }).toBeTruthy();
    setup.core.send(coapResponse(setup.core.received.find((r) => r.message.code === CoapCode.DELETE)!.message, CoapCode.DELETED), setup.port);
    await expect.poll(() => dropped, { timeout: 5000 }).toContain('device-gone held-gone');
    await expect.poll(() => setup.device.received.some((r) => r.message.code === CoapCode.DELETED), { timeout: 5000 }).toBe(true);
    expect(readsAtDevice(setup)).toHaveLength(0); // not delivered to a device that is leaving
  });

  it('takes a delivered request\'s answer as a separate response too, and acknowledges it to the device', async () => {
    const setup = await registeredSleepingDevice('held-separate');
    await coreSendsHeld(setup, read(0x6000, 0x60));
    await deviceUpdates(setup, 'held-separate', 0x0601);
    await expect.poll(() => readsAtDevice(setup).length, { timeout: 5000 }).toBe(1);
    const delivered = readsAtDevice(setup)[0]!;
    setup.device.send(coapAck(delivered.messageId), setup.gateway.udpAddress.port); // the answer follows later
    const separate: CoapMessage = { ...coapResponse(delivered, CoapCode.CONTENT, 'later'), type: 'CON', messageId: 0x0602 };
    setup.device.send(separate, setup.gateway.udpAddress.port);
    await expect.poll(() => setup.device.received.some((r) => r.message.type === 'ACK' && r.message.messageId === 0x0602), { timeout: 5000 }).toBe(true);
    await expect.poll(() => setup.core.received.find((r) => r.message.code === CoapCode.CONTENT), { timeout: 5000 }).toBeTruthy();
    const answer = setup.core.received.find((r) => r.message.code === CoapCode.CONTENT)!.message;
    expect([hex(answer.token), Buffer.from(answer.payload).toString()]).toEqual(['c060', 'later']);
    setup.core.send(coapAck(answer.messageId), setup.port);
  });

  it('delivers a request held before a restart when the device wakes, and the core gets the answer on the same port with its token', async () => {
    const setup = await registeredSleepingDevice('held-restart');
    await coreSendsHeld(setup, read(0x7000, 0x70));
    await setup.gateway.stop();
    const restarted = await Gateway.start(setup.config); // the same Redis: the request waits there
    onCleanup(() => restarted.stop());
    expect(restarted.relay.held.heldNow()).toBe(1);
    const after: Setup = { ...setup, gateway: restarted };
    await deviceUpdates(after, 'held-restart', 0x0701);
    await expect.poll(() => readsAtDevice(after).length, { timeout: 5000 }).toBe(1);
    const delivered = readsAtDevice(after)[0]!;
    expect(hex(delivered.token)).toBe('c070');
    after.device.send(coapResponse(delivered, CoapCode.CONTENT, 'after restart'), restarted.udpAddress.port);
    await expect.poll(() => after.core.received.find((r) => r.message.code === CoapCode.CONTENT), { timeout: 5000 }).toBeTruthy();
    const answer = after.core.received.find((r) => r.message.code === CoapCode.CONTENT)!;
    expect(answer.message.type).toBe('CON'); // a separate response: the first process sent the empty ACK
    expect([hex(answer.message.token), Buffer.from(answer.message.payload).toString(), answer.from.port]).toEqual(['c070', 'after restart', setup.port]);
    after.core.send(coapAck(answer.message.messageId), setup.port);
    expect(await fixtureRedis().exists('smsbridge:held:order:held-restart')).toBe(0);
  });

  it('answers 5.04 at start for a request that expired while the gateway was down, and never delivers it', async () => {
    const setup = await registeredSleepingDevice('held-restart-expired');
    await coreSendsHeld(setup, read(0x7100, 0x71));
    await setup.gateway.stop();
    // Its deadline passes while no gateway runs (set in Redis: no waiting on the clock).
    const redis = fixtureRedis();
    const member = `${0x7100}:held-restart-expired`;
    expect(await redis.zscore('smsbridge:held:deadlines', member)).not.toBeNull();
    await redis.zadd('smsbridge:held:deadlines', Date.now() - 1, member);
    const restarted = await Gateway.start(setup.config);
    onCleanup(() => restarted.stop());
    await expect.poll(() => setup.core.received.find((r) => r.message.code === CoapCode.GATEWAY_TIMEOUT), { timeout: 10_000 }).toBeTruthy();
    const timeout = setup.core.received.find((r) => r.message.code === CoapCode.GATEWAY_TIMEOUT)!;
    expect([timeout.message.type, hex(timeout.message.token), timeout.from.port]).toEqual(['CON', 'c071', setup.port]);
    setup.core.send(coapAck(timeout.message.messageId), setup.port);
    setup.core.received.splice(0);

    const after: Setup = { ...setup, gateway: restarted };
    await deviceUpdates(after, 'held-restart-expired', 0x0711); // the device wakes
    await deviceUpdates(after, 'held-restart-expired', 0x0712); // a round trip later
    expect(readsAtDevice(after)).toHaveLength(0);
  });

  it('answers 5.04 at start for a request the previous process delivered and got no answer for, and drops the device\'s late answer', async () => {
    const setup = await registeredSleepingDevice('held-restart-flight');
    await coreSendsHeld(setup, read(0x7200, 0x72));
    await deviceUpdates(setup, 'held-restart-flight', 0x0721);
    await expect.poll(() => readsAtDevice(setup).length, { timeout: 5000 }).toBe(1); // delivered; the device does not answer yet
    const delivered = readsAtDevice(setup)[0]!;
    await setup.gateway.stop();
    setup.core.received.splice(0);
    const restarted = await Gateway.start(setup.config);
    onCleanup(() => restarted.stop());
    await expect.poll(() => setup.core.received.find((r) => r.message.code === CoapCode.GATEWAY_TIMEOUT), { timeout: 10_000 }).toBeTruthy();
    const timeout = setup.core.received.find((r) => r.message.code === CoapCode.GATEWAY_TIMEOUT)!;
    expect([timeout.message.type, hex(timeout.message.token), timeout.from.port]).toEqual(['CON', 'c072', setup.port]);
    setup.core.send(coapAck(timeout.message.messageId), setup.port);
    expect(await fixtureRedis().hlen('smsbridge:held:inflight')).toBe(0);

    const after: Setup = { ...setup, gateway: restarted };
    after.device.send(coapResponse(delivered, CoapCode.CONTENT, 'too late'), restarted.udpAddress.port);
    await deviceUpdates(after, 'held-restart-flight', 0x0722); // a round trip later
    // No separate response: the piggybacked ACK goes on unmatched with the device-side Message ID,
    // which matches no exchange of the core (RFC 7252 §5.3.2), so the core keeps its 5.04.
    expect(after.core.received.filter((r) => r.message.code === CoapCode.CONTENT).map((r) => [r.message.type, r.message.messageId === 0x7200])).toEqual([['ACK', false]]);
    expect(readsAtDevice(after)).toHaveLength(1); // never delivered again
  });
});
