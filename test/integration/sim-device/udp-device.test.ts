/**
 * A simulated device with binding U (and UQ) against a tiny LwM2M server on a real UDP socket:
 *
 *   SimDevice ── UDP (loopback) ── CoapTestServer (raw dgram + the CoAP codec)
 *
 *   device                          server
 *     │── CON POST /rd?ep&lt&lwm2m&b ──►│
 *     │◄── ACK 2.01 Location-Path ──────│
 *     │── CON POST /rd/dev1 (< lt) ────►│   … and on Execute /1/0/8, on a lifetime Write
 *     │◄── CON GET /3/0 ────────────────│
 *     │── ACK 2.05 TLV ────────────────►│
 *     │── CON DELETE /rd/dev1 (stop) ──►│
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CoapCode, ContentFormat, coapRequest, contentFormat, encodeCoap, uriQuery } from '../../../src/lwm2m/index.ts';
import { SimDevice, decodeTlv, readTlvInteger, readTlvString, type TlvNode } from '../../../src/sim/device/index.ts';
import { Cleanups, CoapTestServer, DEVICE_NUMBER, sleep } from './fixture.ts';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function server(location: readonly string[] = []): Promise<CoapTestServer> {
  return cleanups.add(await CoapTestServer.start(location), (s) => s.close());
}

async function device(udp: { host: string; port: number }, options: Partial<Parameters<typeof SimDevice.start>[0]> = {}): Promise<SimDevice> {
  const started = await SimDevice.start({
    msisdn: DEVICE_NUMBER, endpoint: 'udp-dev', binding: 'U', udp, coap: { ackTimeoutMs: 100, ackRandomFactor: 1 }, ...options,
  });
  return cleanups.add(started, (d) => d.stop());
}

function resource(nodes: readonly TlvNode[], id: number): Uint8Array {
  const node = nodes.find((n) => n.id === id);
  if (node === undefined || 'children' in node) throw new Error(`no resource ${id}`);
  return node.value;
}

describe('simulated device, binding U', () => {
  it('registers with ep, lt, lwm2m, b and a link-format payload, and records the Location-Path', async () => {
    const s = await server(['rd', 'a1b2']);
    const d = await device(s.address, { lifetimeSec: 300 });
    const registration = await d.whenRegistered();
    expect(registration).toMatchObject({ location: '/rd/a1b2', locationPath: ['rd', 'a1b2'], bearer: 'udp', lifetimeSec: 300 });
    const register = s.requests[0]!.message;
    expect(register.type).toBe('CON');
    expect(uriQuery(register)).toStrictEqual(['ep=udp-dev', 'lt=300', 'lwm2m=1.0', 'b=U']);
    expect(contentFormat(register)).toBe(ContentFormat.LINK_FORMAT);
    expect(Buffer.from(register.payload).toString()).toBe('</1/0>,</3/0>');
    expect(d.stats).toMatchObject({ registrations: 1, udpSent: 1, udpReceived: 1, smsSent: 0 });
  });

  it('sends an Update before a 2 s lifetime ends, and keeps doing so', async () => {
    const s = await server();
    const d = await device(s.address, { lifetimeSec: 2 });
    await d.whenRegistered();
    const update = await s.waitFor('POST /rd/dev1', 0, 4_000);
    const elapsedMs = update.atMs - s.requests[0]!.atMs; // at 90 % of lt: 1.8 s after the Register
    expect(elapsedMs).toBeGreaterThan(1_500);
    expect(elapsedMs).toBeLessThan(2_000);
    expect(uriQuery(update.message)).toStrictEqual([]); // nothing changed: an Update carries no parameters
    await s.waitFor('POST /rd/dev1', s.requests.indexOf(update) + 1, 4_000);
    await expect.poll(() => d.stats.updates).toBe(2);
  });

  it('answers Read of /3/0 with TLV, of /3/0/0 with text, of /1/0 with TLV, and unknown paths with 4.04', async () => {
    const s = await server();
    const d = await device(s.address, { deviceInfo: { manufacturer: 'Open Mobile Alliance', serialNumber: '345000123' } });
    await d.whenRegistered();
    const to = s.requests[0]!.from;

    const device3 = await s.request(to, { code: CoapCode.GET, path: ['3', '0'] });
    expect(device3).toMatchObject({ type: 'ACK', code: CoapCode.CONTENT });
    expect(contentFormat(device3)).toBe(ContentFormat.LWM2M_TLV);
    expect(Buffer.from(device3.payload.subarray(0, 3)).toString('hex')).toBe('c80014'); // resource 0, 8-bit length, 20
    const nodes = decodeTlv(device3.payload);
    expect(readTlvString(resource(nodes, 0))).toBe('Open Mobile Alliance');
    expect(readTlvString(resource(nodes, 2))).toBe('345000123');

    const manufacturer = await s.request(to, { code: CoapCode.GET, path: ['3', '0', '0'] });
    expect(contentFormat(manufacturer)).toBe(ContentFormat.TEXT_PLAIN);
    expect(Buffer.from(manufacturer.payload).toString()).toBe('Open Mobile Alliance');

    const server1 = decodeTlv((await s.request(to, { code: CoapCode.GET, path: ['1', '0'] })).payload);
    expect(readTlvInteger(resource(server1, 0))).toBe(1);
    expect(readTlvInteger(resource(server1, 1))).toBe(86_400);
    expect(readTlvString(resource(server1, 7))).toBe('U');

    expect((await s.request(to, { code: CoapCode.GET, path: ['42', '0'] })).code).toBe(CoapCode.NOT_FOUND);
    expect(d.stats).toMatchObject({ readsAnswered: 3, notFound: 1, requestsReceived: 4 });
  });

  it('answers a NON request with a NON response carrying the token', async () => {
    const s = await server();
    const d = await device(s.address);
    await d.whenRegistered();
    const response = await s.request(s.requests[0]!.from, { type: 'NON', code: CoapCode.GET, path: ['3', '0', '1'], token: Uint8Array.of(1, 2, 3) });
    expect(response).toMatchObject({ type: 'NON', code: CoapCode.CONTENT, token: Uint8Array.of(1, 2, 3) });
  });

  it('executes /1/0/8: answers 2.04, then sends an Update', async () => {
    const s = await server();
    const d = await device(s.address);
    await d.whenRegistered();
    const before = s.requests.length;
    const answer = await s.request(s.requests[0]!.from, { code: CoapCode.POST, path: ['1', '0', '8'] });
    expect(answer.code).toBe(CoapCode.CHANGED);
    await s.waitFor('POST /rd/dev1', before);
    await expect.poll(() => d.stats).toMatchObject({ executes: 1, updates: 1 });
  });

  it('a lifetime Write is answered 2.04 and followed by an Update with the new lt', async () => {
    const s = await server();
    const d = await device(s.address);
    await d.whenRegistered();
    const before = s.requests.length;
    expect((await s.request(s.requests[0]!.from, { code: CoapCode.PUT, path: ['1', '0', '1'], contentFormat: 0, payload: '600' })).code).toBe(CoapCode.CHANGED);
    const update = await s.waitFor('POST /rd/dev1', before);
    expect(uriQuery(update.message)).toStrictEqual(['lt=600']);
    await expect.poll(() => d.registration?.lifetimeSec).toBe(600);
  });

  it('answers a duplicate request from its cache without executing it twice', async () => {
    const s = await server();
    const d = await device(s.address);
    await d.whenRegistered();
    const to = s.requests[0]!.from;
    const execute = encodeCoap(coapRequest({ code: CoapCode.POST, messageId: 0x7777, token: Uint8Array.of(9), path: ['1', '0', '8'] }));
    const first = await s.sendAndAwait(to, execute);
    const second = await s.sendAndAwait(to, execute);
    expect(second).toStrictEqual(first);
    await s.waitFor('POST /rd/dev1');
    await sleep(200);
    expect(d.stats).toMatchObject({ executes: 1, duplicates: 1, updates: 1 });
    expect(s.count('POST /rd/dev1')).toBe(1);
  });

  it('retransmits a Register the server did not answer (RFC 7252 back-off)', async () => {
    const s = await server();
    s.dropRegisters = 2;
    const d = await device(s.address);
    await d.whenRegistered();
    expect(s.count('POST /rd')).toBe(3);
    const [first, second, third] = s.requests.map((r) => r.message.messageId);
    expect(second).toBe(first); // a retransmission repeats the Message ID
    expect(third).toBe(first);
    expect(d.stats.retransmissions).toBe(2);
  });

  it('gives up after MAX_RETRANSMIT and tries the Register again later', async () => {
    const s = await server();
    s.dropRegisters = 3;
    const d = await device(s.address, { coap: { ackTimeoutMs: 30, ackRandomFactor: 1, maxRetransmit: 2 }, registerRetryMs: 100 });
    const [reason] = await d.next('registrationFailed');
    expect(reason).toMatch(/^timeout/);
    await d.whenRegistered();
    expect(s.count('POST /rd')).toBe(4);
    expect(d.stats).toMatchObject({ registrationFailures: 1, registrations: 1, retransmissions: 2 });
  });

  it('de-registers on stop', async () => {
    const s = await server();
    const d = await SimDevice.start({ msisdn: DEVICE_NUMBER, endpoint: 'bye', binding: 'U', udp: s.address });
    await d.whenRegistered();
    await d.stop();
    expect(s.count('DELETE /rd/dev1')).toBe(1);
    expect(d.stats.deregistrations).toBe(1);
    expect(d.registration).toBeNull();
  });
});

describe('simulated device, binding UQ (queue mode)', () => {
  it('answers while awake, then sleeps and drops datagrams until its next exchange', async () => {
    const s = await server();
    const d = await device(s.address, { binding: 'UQ', awakeWindowMs: 300 });
    expect(d.queueMode).toBe(true);
    await d.whenRegistered();
    expect(uriQuery(s.requests[0]!.message)).toContain('b=UQ');
    const to = s.requests[0]!.from;
    expect((await s.request(to, { code: CoapCode.GET, path: ['3', '0', '0'] })).code).toBe(CoapCode.CONTENT);
    await d.next('asleep');
    expect(d.awake).toBe(false);
    await expect(s.request(to, { code: CoapCode.GET, path: ['3', '0', '0'] }, 300)).rejects.toThrow(/no answer/);
    expect(d.stats.udpDropped).toBe(1);
    // Its own Update wakes it: the server may then send what it queued.
    const updated = d.update();
    expect(d.awake).toBe(true);
    expect(await updated).toBe(true);
    expect((await s.request(to, { code: CoapCode.GET, path: ['3', '0', '0'] })).code).toBe(CoapCode.CONTENT);
  });
});
