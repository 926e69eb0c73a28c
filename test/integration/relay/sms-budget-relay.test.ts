/**
 * The SMS budget in the relay: a device over its daily budget gets no SMS, the core gets 5.03
 * with Max-Age until the next UTC day at once (never an ACK for an SMS that will not go), and an
 * event says why; the answer relayed to the device's Register counts too; and the SMS of a
 * register/read sequence are counted per operation kind. Scripted core (raw UDP), a device
 * speaking CoAP over SMS through the simulated network and modem; real Redis.
 */
import { describe, expect, it } from 'vitest';
import { secondsToNextUtcDay, type BudgetRefusal } from '../../../src/bridge/sms-budget.ts';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, firstUintOption, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { chooseBearer } from '../../../src/bridge/bearer.ts';
import { SmsDevice, UdpPeer, fixtureRedis, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

const token = (n: number): Uint8Array => Uint8Array.of(0xb0, n);

function register(endpoint: string, messageId: number): CoapMessage {
  return coapRequest({ code: CoapCode.POST, messageId, token: token(messageId & 0xff), path: ['rd'], query: [`ep=${endpoint}`, 'lt=300', 'lwm2m=1.0', 'b=S'], contentFormat: 40, payload: '</3/0>' });
}

/** Registers an S device over SMS; resolves with its core-facing port once it has the 2.01. */
async function registered(core: UdpPeer, device: SmsDevice, endpoint: string): Promise<number> {
  await device.send(register(endpoint, 0x3001));
  await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
  const { message, from } = core.received.shift()!;
  core.send(coapResponse(message, CoapCode.CREATED, undefined, {
    options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('x1') }],
  }), from.port);
  await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
  return from.port;
}

const read = (messageId: number): CoapMessage => coapRequest({ code: CoapCode.GET, messageId, token: token(messageId & 0xff), path: ['3', '0'] });

describe('relay: SMS budget', () => {
  it('refuses an SMS past the device\'s daily budget: no SMS, the core gets 5.03 with Max-Age until the next UTC day, an event says why', async () => {
    const core = await UdpPeer.open();
    // Budget 2 parts: the 2.01 answer to the Register and one Read; the second Read is refused.
    const { gateway, network } = await startGateway(core, { smsBudget: { perDevicePerDay: 2 } });
    const refusals: BudgetRefusal[] = [];
    gateway.relay.on('sms-refused', (refusal) => refusals.push(refusal));
    const answered: { code: string; reason: string }[] = [];
    gateway.relay.on('answered', (event) => answered.push(event));
    const device = await SmsDevice.attach(network, '491709100001');
    const port = await registered(core, device, 'budget-dev');
    expect(gateway.spend.budget.spentToday('budget-dev')).toBe(1); // the answer relayed to the device counts

    core.send(read(0x5001), port);
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(2);
    expect(await gateway.spend.budget.spentTodayInRedis({ endpoint: 'budget-dev', msisdn: '491709100001' })).toBe(2);

    core.received.splice(0);
    core.send(read(0x5002), port);
    await expect.poll(() => core.received.find((r) => r.message.messageId === 0x5002), { timeout: 5000 }).toBeTruthy();
    const answer = core.received.find((r) => r.message.messageId === 0x5002)!.message;
    expect(answer.type).toBe('ACK'); // piggybacked: the refusal, not an empty ACK
    expect(answer.code).toBe(CoapCode.SERVICE_UNAVAILABLE);
    const maxAgeSec = firstUintOption(answer, CoapOptionNumber.MAX_AGE)!;
    expect(maxAgeSec).toBeGreaterThan(0);
    expect(maxAgeSec).toBeLessThanOrEqual(secondsToNextUtcDay(Date.now()) + 1);
    expect(refusals).toEqual([expect.objectContaining({ reason: 'budget-exhausted', endpoint: 'budget-dev', group: null, scope: 'device', spent: 2, budget: 2 })]);
    expect(answered).toContainEqual(expect.objectContaining({ code: '5.03', reason: 'budget-exhausted' }));
    await new Promise((resolve) => setTimeout(resolve, 500)); // an SMS under way would have arrived by now (delivery delay 0)
    expect(device.received).toHaveLength(2);
    expect(device.smsReceived).toBe(2);
    expect(gateway.pool.drivers[0]!.status.counters.sent).toBe(2);
    expect((await gateway.status()).smsSpend).toMatchObject({ refusedBudget: 1, todayParts: 2 });
    expect((await gateway.status()).devices[0]).toMatchObject({ endpoint: 'budget-dev', smsSpentToday: 2 });
  }, 30_000);

  it('does not relay an answer to the device past its budget: dropped with reason budget-exhausted', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core, { smsBudget: { perDevicePerDay: 0 } });
    const dropped: { reason: string; endpoint: string | null }[] = [];
    gateway.relay.on('dropped', (event) => dropped.push(event));
    const device = await SmsDevice.attach(network, '491709100004');
    await device.send(register('budget-zero', 0x3201));
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const { message, from } = core.received.shift()!;
    core.send(coapResponse(message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('z1') }],
    }), from.port);
    await expect.poll(() => dropped.find((event) => event.reason === 'budget-exhausted'), { timeout: 10_000 }).toMatchObject({ endpoint: 'budget-zero' });
    expect(gateway.mirror.get('budget-zero')?.registered).toBe(true); // the core has it; only the SMS is not sent
    expect(gateway.pool.drivers[0]!.status.counters.sent).toBe(0);
    expect(device.smsReceived).toBe(0);
  }, 30_000);

  it('a group\'s budget applies to its devices together; the counters live in Redis under the UTC day', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core, {
      smsBudget: { perDevicePerDay: null, perGroupPerDay: null }, deviceGroups: [{ name: 'meters', endpoints: ['meter-*'], smsBudgetPerDay: 1 }],
    });
    const device = await SmsDevice.attach(network, '491709100002');
    await device.send(register('meter-1', 0x3101));
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const { message, from } = core.received.shift()!;
    core.send(coapResponse(message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('m1') }],
    }), from.port);
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1); // the group's one part
    core.send(read(0x5101), from.port);
    await expect.poll(() => core.received.find((r) => r.message.messageId === 0x5101)?.message.code, { timeout: 5000 }).toBe(CoapCode.SERVICE_UNAVAILABLE);
    const day = new Date().toISOString().slice(0, 10);
    const redis = fixtureRedis();
    expect(await redis.get(`smsbridge:spend:${day}:grp:meters`)).toBe('1');
    expect(await redis.get(`smsbridge:spend:${day}:dev:meter-1`)).toBe('1');
    expect(await redis.ttl(`smsbridge:spend:${day}:grp:meters`)).toBeGreaterThan(8 * 86_400 - 60);
    expect(gateway.spend.budget.counters.refusedBudget).toBe(1);
  }, 30_000);

  it('counts the SMS of a register/read sequence per operation kind, both ways', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core);
    const device = await SmsDevice.attach(network, '491709100003');
    const port = await registered(core, device, 'ops-dev');
    core.send(read(0x5201), port);
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(2);
    await device.send(coapResponse(device.received[1]!, CoapCode.CONTENT, 'x', { contentFormat: 0 }));
    await expect.poll(() => core.received.some((r) => r.message.code === CoapCode.CONTENT), { timeout: 10_000 }).toBe(true);
    const { sent, received } = (await gateway.status()).smsSpend;
    expect(received).toMatchObject({ register: 1, response: 1, read: 0 });
    expect(sent).toMatchObject({ response: 1, read: 1, register: 0 });
    expect(Object.values(sent).reduce((a, b) => a + b, 0)).toBe(2);
    expect(Object.values(received).reduce((a, b) => a + b, 0)).toBe(2);
  }, 30_000);
  it('answers a held request whose SMS the budget refuses 5.03 with Max-Age until the next UTC day, and sends nothing', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core, { smsBudget: { perDevicePerDay: 0 }, awakeWindowMs: 300 });
    const refusals: BudgetRefusal[] = [];
    gateway.relay.on('sms-refused', (refusal) => refusals.push(refusal));
    const answered: { code: string; reason: string }[] = [];
    gateway.relay.on('answered', (event) => answered.push(event));
    // A UQ device registers over UDP (no SMS, nothing spent) and falls asleep: the core's Read is held.
    const udpDevice = await UdpPeer.open();
    const uqRegister = (messageId: number): CoapMessage => coapRequest({ code: CoapCode.POST, messageId, token: token(messageId & 0xff), path: ['rd'], query: ['ep=held-budget', 'lt=300', 'lwm2m=1.0', 'b=UQ'], contentFormat: 40, payload: '</3/0>' });
    udpDevice.send(uqRegister(0x3301), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBe(1);
    const { message, from } = core.received.shift()!;
    const created = (request: CoapMessage): CoapMessage => coapResponse(request, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('h1') }],
    });
    core.send(created(message), from.port);
    await expect.poll(() => udpDevice.received.length, { timeout: 5000 }).toBe(1);
    await expect.poll(() => chooseBearer(gateway.mirror.get('held-budget')!, gateway.mirror.presence.isAwakeOverUdp('held-budget', Date.now())), { timeout: 5000 }).toBe('hold');
    core.send(read(0x5301), from.port);
    await expect.poll(() => core.received.find((r) => r.message.messageId === 0x5301), { timeout: 5000 }).toMatchObject({ message: { type: 'ACK', code: CoapCode.EMPTY } });
    core.received.splice(0);

    // It registers afresh over SMS: reachable by SMS now, so the held Read would go by SMS, past the budget.
    const smsDevice = await SmsDevice.attach(network, '491709100005');
    await smsDevice.send(uqRegister(0x3302));
    await expect.poll(() => core.received.find((r) => r.message.code === CoapCode.POST), { timeout: 10_000 }).toBeTruthy();
    const again = core.received.splice(core.received.findIndex((r) => r.message.code === CoapCode.POST), 1)[0]!;
    core.send(created(again.message), again.from.port);
    await expect.poll(() => core.received.find((r) => r.message.code === CoapCode.SERVICE_UNAVAILABLE), { timeout: 10_000 }).toBeTruthy();
    const refusal = core.received.find((r) => r.message.code === CoapCode.SERVICE_UNAVAILABLE)!.message;
    expect(refusal.type).toBe('CON'); // a separate response: the core has the empty ACK already
    expect(Buffer.from(refusal.token).toString('hex')).toBe('b001');
    const maxAgeSec = firstUintOption(refusal, CoapOptionNumber.MAX_AGE);
    expect(maxAgeSec).toBeGreaterThan(0);
    expect(maxAgeSec).toBeLessThanOrEqual(secondsToNextUtcDay(Date.now()) + 1);
    expect(answered).toContainEqual(expect.objectContaining({ code: '5.03', reason: 'budget-exhausted' }));
    expect(refusals).toContainEqual(expect.objectContaining({ reason: 'budget-exhausted', endpoint: 'held-budget', scope: 'device' }));
    expect(gateway.pool.drivers[0]!.status.counters.sent).toBe(0);
    expect(smsDevice.smsReceived).toBe(0);
  }, 30_000);
});
