/**
 * Downlink requests of the lab core (Read, Write, Execute) to a raw CoAP peer on loopback, with
 * the retransmission and response matching of RFC 7252 §4.2 / §5.2 / §5.3.2. Timers are short
 * (tens of milliseconds) and the random factor is 1, so the schedule is exact:
 *
 *   core                                    peer
 *    |--- CON GET /3/0 (MID m, token t) ---->|  t = 0
 *    |--- same bytes (retransmission 1) ---->|  t = ackTimeout
 *    |--- same bytes (retransmission 2) ---->|  t = 3 × ackTimeout
 *    |    …                                  |
 *    |  gives up at (2^(MAX_RETRANSMIT+1) − 1) × ackTimeout → timeout
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CoapCode,
  ContentFormat,
  accept,
  coapAck,
  coapReset,
  coapResponse,
  codeToString,
  contentFormat,
  uriPath,
  uriQuery,
  type CoapMessage,
} from '../../../src/lwm2m/index.ts';
import { LabCore, LabCoreRequestError, type LabCoreOptions, type LabCoreResponse } from '../../../src/sim/core/index.ts';
import { RawCoapPeer } from './coap-peer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A core with short, exact timers and a client `node1` registered from a raw peer. */
async function setup(options: LabCoreOptions = {}, links = '</1/0>,</3/0>'): Promise<{ core: LabCore; peer: RawCoapPeer }> {
  const core = await LabCore.start({ ackTimeoutMs: 50, ackRandomFactor: 1, maxRetransmit: 2, responseTimeoutMs: 5000, ...options });
  cleanups.push(() => core.stop());
  const peer = await RawCoapPeer.open(core.address);
  cleanups.push(() => peer.close());
  const { message } = await peer.register(['ep=node1', 'lt=300', 'lwm2m=1.1'], links);
  expect(codeToString(message.code)).toBe('2.01');
  return { core, peer };
}

/** The failure of a rejected request. */
async function failureOf(promise: Promise<unknown>): Promise<LabCoreRequestError> {
  const error: unknown = await promise.then(() => null, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(LabCoreRequestError);
  return error as LabCoreRequestError;
}

const TLV = Uint8Array.from([0xc8, 0x00, 0x04, 0x41, 0x63, 0x6d, 0x65]); // /3/0/0 "Acme"

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('lab core downlink requests', () => {
  it('reads a client that answers with a piggybacked response', async () => {
    const { core, peer } = await setup();
    const responses: LabCoreResponse[] = [];
    core.on('response', (endpoint, request, response) => {
      expect(endpoint).toBe('node1');
      expect(request.path).toBe('/3/0');
      responses.push(response);
    });
    const read = core.read('node1', '/3/0', { accept: ContentFormat.LWM2M_TLV });
    const { message: request } = await peer.next();
    expect(request).toMatchObject({ type: 'CON', code: CoapCode.GET });
    expect(request.token).toHaveLength(4);
    expect(uriPath(request)).toEqual(['3', '0']);
    expect(accept(request)).toBe(ContentFormat.LWM2M_TLV);
    peer.send(coapResponse(request, CoapCode.CONTENT, TLV, { contentFormat: ContentFormat.LWM2M_TLV }));
    const response = await read;
    expect(response).toEqual({ code: '2.05', contentFormat: ContentFormat.LWM2M_TLV, payload: TLV });
    expect(responses).toEqual([response]);
    expect(core.stats).toMatchObject({ requestsSent: 1, retransmissions: 0, piggybackedResponses: 1, separateResponses: 0 });
    await peer.silentFor(150); // nothing retransmitted after the response
  });

  it('resolves an error response (4.04) instead of rejecting', async () => {
    const { core, peer } = await setup();
    const read = core.read('node1', '/9/9');
    const { message: request } = await peer.next();
    peer.send(coapResponse(request, CoapCode.NOT_FOUND));
    expect(await read).toEqual({ code: '4.04', contentFormat: null, payload: new Uint8Array(0) });
  });

  it('takes an empty ACK then a separate CON response, ACKs it, and re-ACKs its retransmission without a second result', async () => {
    const { core, peer } = await setup();
    const read = core.read('node1', '/3/0');
    const { message: request } = await peer.next();
    peer.send(coapAck(request.messageId));
    await peer.silentFor(200); // the empty ACK stopped retransmission (ackTimeout is 50 ms)

    const separate: CoapMessage = {
      version: 1, type: 'CON', code: CoapCode.CONTENT, messageId: 0x7001, token: request.token, options: [], payload: Buffer.from('Acme'),
    };
    peer.send(separate);
    const ack = await peer.next();
    expect(ack.message).toMatchObject({ type: 'ACK', code: 0, messageId: 0x7001 });
    expect(await read).toEqual({ code: '2.05', contentFormat: null, payload: Uint8Array.from(Buffer.from('Acme')) });

    peer.send(separate); // our ACK was "lost": the client retransmits its response
    expect(hex((await peer.next()).bytes)).toBe(hex(ack.bytes));
    expect(core.stats).toMatchObject({ emptyAcks: 1, separateResponses: 1, retransmissions: 0, duplicates: 1 });
  });

  it('takes a separate NON response (which needs no ACK)', async () => {
    const { core, peer } = await setup();
    const execute = core.execute('node1', '/1/0/8');
    const { message: request } = await peer.next();
    expect(request.code).toBe(CoapCode.POST);
    expect(request.payload).toHaveLength(0);
    expect(contentFormat(request)).toBeNull();
    peer.send(coapAck(request.messageId));
    peer.send({ version: 1, type: 'NON', code: CoapCode.CHANGED, messageId: 0x7002, token: request.token, options: [], payload: new Uint8Array(0) });
    expect((await execute).code).toBe('2.04');
    await peer.silentFor(100);
  });

  it('retransmits with the same Message ID and token, and takes a late answer to the retransmission', async () => {
    const { core, peer } = await setup({ ackTimeoutMs: 100 });
    const read = core.read('node1', '/3/0/0');
    const first = await peer.next();
    const second = await peer.next(); // the first was "lost"
    expect(hex(second.bytes)).toBe(hex(first.bytes));
    expect(second.message.messageId).toBe(first.message.messageId);
    expect(core.stats.retransmissions).toBe(1);
    peer.send(coapResponse(second.message, CoapCode.CONTENT, 'Acme', { contentFormat: ContentFormat.TEXT_PLAIN }));
    expect(await read).toMatchObject({ code: '2.05', contentFormat: ContentFormat.TEXT_PLAIN });
    await peer.silentFor(300);
    expect(core.stats).toMatchObject({ requestsSent: 1, retransmissions: 1, timeouts: 0 });
  });

  it('gives up with a timeout after MAX_RETRANSMIT retransmissions when the client never answers', async () => {
    const { core, peer } = await setup({ ackTimeoutMs: 40, maxRetransmit: 3 });
    const started = Date.now();
    const failure = failureOf(core.read('node1', '/3/0'));
    const sent = [await peer.next(), await peer.next(), await peer.next(), await peer.next()];
    expect(new Set(sent.map((received) => hex(received.bytes))).size).toBe(1);
    const error = await failure;
    // 40 + 80 + 160 + 320 ms: the last retransmission also gets its full (doubled) wait.
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    expect(error.failure).toBe('timeout');
    expect(error.details).toMatchObject({ failure: 'timeout', endpoint: 'node1', path: '/3/0', retransmissions: 3 });
    expect(core.stats).toMatchObject({ requestsSent: 1, retransmissions: 3, timeouts: 1 });
    await peer.silentFor(100);
  });

  it('times out on the overall response timeout when an empty ACK is never followed by the response', async () => {
    const { core, peer } = await setup();
    const failure = failureOf(core.read('node1', '/3/0', { timeoutMs: 300 }));
    const { message: request } = await peer.next();
    peer.send(coapAck(request.messageId));
    const error = await failure;
    expect(error.failure).toBe('timeout');
    expect(error.message).toContain('300 ms');
    expect(core.stats.retransmissions).toBe(0);
  });

  it('fails with reset when the client answers RST, and resets a CON response that matches nothing', async () => {
    const { core, peer } = await setup();
    const failure = failureOf(core.read('node1', '/3/0'));
    const { message: request } = await peer.next();
    peer.send(coapReset(request.messageId));
    expect((await failure).failure).toBe('reset');
    peer.send({ version: 1, type: 'CON', code: CoapCode.CONTENT, messageId: 0x7003, token: Uint8Array.of(1, 2), options: [], payload: new Uint8Array(0) });
    expect((await peer.next()).message).toMatchObject({ type: 'RST', messageId: 0x7003 });
  });

  it('writes with PUT (replace) or POST (partial update) and executes with text/plain arguments', async () => {
    const { core, peer } = await setup();
    const replace = core.write('node1', '/1/0/1', TLV, ContentFormat.LWM2M_TLV);
    const put = (await peer.next()).message;
    expect(put).toMatchObject({ code: CoapCode.PUT, payload: TLV });
    expect(contentFormat(put)).toBe(ContentFormat.LWM2M_TLV);
    peer.send(coapResponse(put, CoapCode.CHANGED));
    expect((await replace).code).toBe('2.04');

    const partial = core.write('node1', '/1/0', '60', ContentFormat.TEXT_PLAIN, { partial: true });
    const post = (await peer.next()).message;
    expect(post.code).toBe(CoapCode.POST);
    peer.send(coapResponse(post, CoapCode.CHANGED));
    expect((await partial).code).toBe('2.04');

    const execute = core.execute('node1', '/1/0/8', "0='U'");
    const exec = (await peer.next()).message;
    expect(Buffer.from(exec.payload).toString()).toBe("0='U'");
    expect(contentFormat(exec)).toBe(ContentFormat.TEXT_PLAIN);
    expect(uriQuery(exec)).toEqual([]);
    peer.send(coapResponse(exec, CoapCode.CHANGED));
    expect((await execute).code).toBe('2.04');
  });

  it('prefixes the alternate root path the client announced', async () => {
    const { core, peer } = await setup({}, '</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>');
    const read = core.read('node1', '/3/0/0');
    const { message: request } = await peer.next();
    expect(uriPath(request)).toEqual(['lwm2m', '3', '0', '0']);
    peer.send(coapResponse(request, CoapCode.CONTENT, 'x'));
    await read;
  });

  it('rejects an unknown client, a bad path, and outstanding requests when stopped', async () => {
    const { core, peer } = await setup();
    expect((await failureOf(core.read('ghost', '/3/0'))).failure).toBe('unknown-client');
    for (const path of ['3/0', '/3/x', '/70000', '/1/2/3/4/5', '/']) {
      expect((await failureOf(core.read('node1', path))).failure).toBe('bad-request');
    }
    const pending = failureOf(core.read('node1', '/3/0'));
    await peer.next();
    await core.stop();
    expect((await pending).failure).toBe('stopped');
    expect((await failureOf(core.read('node1', '/3/0'))).failure).toBe('stopped');
  });
});
