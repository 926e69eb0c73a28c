/**
 * The lab core's Registration Interface over real UDP on loopback (LwM2M 1.1 Core §6.2):
 *
 *   raw CoAP peer (the client)                  LabCore
 *     |--- CON POST /rd?ep=…&lt=…  </1/0>,… ------->|
 *     |<-- ACK 2.01 Location-Path rd, <id> ---------|
 *     |--- CON POST /rd/<id>?lt=… ------------------>|   Update
 *     |<-- ACK 2.04 --------------------------------|
 *     |--- CON DELETE /rd/<id> --------------------->|   De-register
 *     |<-- ACK 2.02 --------------------------------|
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CoapCode,
  ContentFormat,
  codeToString,
  coapRequest,
  locationPath,
  type CoapMessage,
} from '../../../src/lwm2m/index.ts';
import { LabCore, type LabCoreClient, type LabCoreOptions } from '../../../src/sim/core/index.ts';
import { RawCoapPeer } from './coap-peer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startCore(options: LabCoreOptions = {}): Promise<LabCore> {
  const core = await LabCore.start(options);
  cleanups.push(() => core.stop());
  return core;
}

async function peerOf(core: LabCore): Promise<RawCoapPeer> {
  const peer = await RawCoapPeer.open(core.address);
  cleanups.push(() => peer.close());
  return peer;
}

function code(message: CoapMessage): string {
  return codeToString(message.code);
}

function text(message: CoapMessage): string {
  return Buffer.from(message.payload).toString('utf8');
}

describe('lab core registration interface', () => {
  it('answers a Register with 2.01 and the two Location-Path options rd, <id>, and records the client', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    const registered = core.next('registered');
    const request = peer.registerMessage(['ep=node1', 'lt=300', 'lwm2m=1.1', 'b=US', 'sms=+491700000001', 'Q'], '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</5>');
    peer.send(request);
    const { message } = await peer.next();
    expect(message.type).toBe('ACK');
    expect(message.messageId).toBe(request.messageId);
    expect(Buffer.from(message.token)).toEqual(Buffer.from(request.token));
    expect(code(message)).toBe('2.01');
    const location = locationPath(message);
    expect(location).toHaveLength(2);
    expect(location[0]).toBe('rd');
    expect(location[1]).toMatch(/^[0-9a-z]{5}$/);

    const [client, replaced] = await registered;
    expect(replaced).toBeNull();
    expect(client).toMatchObject({
      endpoint: 'node1', address: '127.0.0.1', port: peer.port, registrationId: location[1], location: `/rd/${location[1]}`,
      lifetimeSec: 300, binding: 'US', queueMode: true, smsNumber: '491700000001', lwm2mVersion: '1.1',
    } satisfies Partial<LabCoreClient>);
    expect(client.objectLinks).toEqual({
      rootPath: '/',
      objects: [
        { objectId: 1, instanceId: 0, version: null },
        { objectId: 3, instanceId: 0, version: null },
        { objectId: 5, instanceId: null, version: null },
      ],
    });
    expect(client.expiresAtMs - client.lastUpdateMs).toBe(300_000);
    expect(core.clients()).toEqual([client]);
    expect(core.client('node1')).toEqual(client);
  });

  it('applies the LwM2M 1.0 defaults lt=86400, b=U, lwm2m=1.0 and tolerates spaces in the object list', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    expect(code((await peer.register(['ep=old'], '</1/0>, </3/0>,')).message)).toBe('2.01');
    expect(core.client('old')).toMatchObject({ lifetimeSec: 86_400, binding: 'U', lwm2mVersion: '1.0', queueMode: false, smsNumber: null });
    expect(core.client('old')?.objectLinks.objects).toHaveLength(2);
  });

  it('answers an Update with 2.04, applies the changed parameters and moves the client to the sender', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    const id = locationPath((await peer.register(['ep=node1', 'lt=300', 'lwm2m=1.1', 'b=U'])).message)[1] ?? '';
    const before = core.client('node1');
    const moved = await peerOf(core); // a NAT rebinding: the same client from another port
    const updated = core.next('updated');
    const answer = await moved.request(CoapCode.POST, ['rd', id], ['lt=600', 'b=UT', 'Q']);
    expect(code(answer.message)).toBe('2.04');
    const [client, previous] = await updated;
    expect(previous).toEqual(before);
    expect(client).toMatchObject({ registrationId: id, lifetimeSec: 600, port: moved.port, binding: 'UT', queueMode: true });
    expect(client.objectLinks).toEqual(before?.objectLinks);
    expect(client.registeredAtMs).toBe(before?.registeredAtMs);
  });

  it('answers an Update and a De-register of an unknown registration with 4.04', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    const update = await peer.request(CoapCode.POST, ['rd', 'nope0'], ['lt=60']);
    expect(code(update.message)).toBe('4.04');
    expect(text(update.message)).toContain('/rd/nope0');
    expect(code((await peer.request(CoapCode.DELETE, ['rd', 'nope0'])).message)).toBe('4.04');
  });

  it('answers a De-register with 2.02 and forgets the client', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    const id = locationPath((await peer.register(['ep=node1'])).message)[1] ?? '';
    const deregistered = core.next('deregistered');
    expect(code((await peer.request(CoapCode.DELETE, ['rd', id])).message)).toBe('2.02');
    expect((await deregistered)[0].endpoint).toBe('node1');
    expect(core.clients()).toEqual([]);
    expect(code((await peer.request(CoapCode.POST, ['rd', id])).message)).toBe('4.04');
  });

  it('removes a registration whose lifetime passes without an Update, and an Update postpones it', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    const expiredEvents: string[] = [];
    core.on('expired', (client) => expiredEvents.push(client.endpoint));
    await peer.register(['ep=short', 'lt=1']);
    const id = locationPath((await peer.register(['ep=kept', 'lt=1'])).message)[1] ?? '';
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(code((await peer.request(CoapCode.POST, ['rd', id])).message)).toBe('2.04'); // kept: renewed at ~0.6 s
    const [expired] = await core.next('expired');
    expect(expired.endpoint).toBe('short');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(core.clients().map((client) => client.endpoint)).toEqual(['kept']);
    await core.next('expired');
    expect(expiredEvents).toEqual(['short', 'kept']);
    expect(core.clients()).toEqual([]);
  });

  it('replaces the registration of an endpoint that registers again (from any port), with a new location', async () => {
    const core = await startCore();
    const first = await peerOf(core);
    const oldId = locationPath((await first.register(['ep=node1', 'lt=300'])).message)[1] ?? '';
    const second = await peerOf(core);
    const registered = core.next('registered');
    const newId = locationPath((await second.register(['ep=node1', 'lt=120'])).message)[1] ?? '';
    const [client, replaced] = await registered;
    expect(newId).not.toBe(oldId);
    expect(replaced?.registrationId).toBe(oldId);
    expect(client).toMatchObject({ registrationId: newId, port: second.port, lifetimeSec: 120 });
    expect(core.clients()).toEqual([client]);
    expect(code((await first.request(CoapCode.POST, ['rd', oldId])).message)).toBe('4.04');
  });

  it('answers a duplicate CON Register (same Message ID and source) from its cache: same bytes, one registration', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    const events: LabCoreClient[] = [];
    core.on('registered', (client) => events.push(client));
    const request = peer.registerMessage(['ep=dup', 'lt=300']);
    peer.send(request);
    const first = await peer.next();
    peer.send(request); // the client did not see the ACK and retransmits
    const second = await peer.next();
    expect(Buffer.from(second.bytes).toString('hex')).toBe(Buffer.from(first.bytes).toString('hex'));
    expect(events).toHaveLength(1);
    expect(core.clients()).toHaveLength(1);
    expect(core.stats).toMatchObject({ requestsReceived: 1, duplicates: 1 });

    // The same Message ID from another port is another message (dedup is per source address and port).
    const other = await peerOf(core);
    other.send(request);
    const third = await other.next();
    expect(code(third.message)).toBe('2.01');
    expect(locationPath(third.message)).not.toEqual(locationPath(first.message));
    expect(events).toHaveLength(2);
  });

  it.each([
    ['no ep', ['lt=300'], 'ep'],
    ['lt not a number', ['ep=x', 'lt=abc'], 'lt'],
    ['lt=0', ['ep=x', 'lt=0'], 'lt=0'],
    ['repeated parameter', ['ep=x', 'ep=y'], 'repeated'],
    ['Q with a value', ['ep=x', 'lwm2m=1.1', 'Q=1'], 'Q'],
    ['1.0 binding with T', ['ep=x', 'b=UT'], 'b'],
  ])('answers a Register with %s with 4.00 and a diagnostic payload', async (_name, query, diagnostic) => {
    const core = await startCore();
    const peer = await peerOf(core);
    const { message } = await peer.register(query);
    expect(code(message)).toBe('4.00');
    expect(text(message)).toContain(diagnostic);
    expect(core.clients()).toEqual([]);
  });

  it('answers a Register with an unparsable object list or a foreign Content-Format with 4.00', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    expect(code((await peer.register(['ep=x'], '</1/0')).message)).toBe('4.00');
    const messageId = peer.nextMessageId();
    peer.send(coapRequest({ code: CoapCode.POST, messageId, path: ['rd'], query: ['ep=x'], contentFormat: ContentFormat.JSON, payload: '{}' }));
    const { message } = await peer.next();
    expect(code(message)).toBe('4.00');
    expect(text(message)).toContain('link-format');
  });

  it('answers unknown paths with 4.04 and wrong methods with 4.05', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    expect(code((await peer.request(CoapCode.GET, ['3', '0'])).message)).toBe('4.04');
    expect(code((await peer.request(CoapCode.POST, ['rd', 'a', 'b'])).message)).toBe('4.04');
    expect(code((await peer.request(CoapCode.GET, ['rd'])).message)).toBe('4.05');
    expect(code((await peer.request(CoapCode.PUT, ['rd', 'abcde'])).message)).toBe('4.05');
  });

  it('answers a NON Register with a NON response of its own Message ID, and a malformed CON or a ping with RST', async () => {
    const core = await startCore();
    const peer = await peerOf(core);
    const messageId = peer.nextMessageId();
    peer.send(coapRequest({ type: 'NON', code: CoapCode.POST, messageId, token: Uint8Array.of(7), path: ['rd'], query: ['ep=non'] }));
    const { message } = await peer.next();
    expect(message.type).toBe('NON');
    expect(code(message)).toBe('2.01');
    expect(message.messageId).not.toBe(messageId);
    expect([...message.token]).toEqual([7]);

    peer.send(Uint8Array.from([0x40, 0x01, 0x12, 0x34, 0xff])); // CON GET, MID 0x1234, payload marker with no payload
    const reset = await peer.next();
    expect(reset.message).toMatchObject({ type: 'RST', code: 0, messageId: 0x1234 });
    peer.send(Uint8Array.from([0x40, 0x00, 0x43, 0x21])); // CoAP ping (RFC 7252 §4.3)
    expect((await peer.next()).message).toMatchObject({ type: 'RST', code: 0, messageId: 0x4321 });
    expect(core.stats.malformed).toBe(1);
  });
});
