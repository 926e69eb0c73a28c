/**
 * The lab core's HTTP JSON API (fetch on loopback) in front of a core with one raw CoAP client:
 *
 *   fetch ── HTTP ──► LabCoreHttpApi ──► LabCore ── CoAP/UDP ──► raw peer "node1"
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CoapCode, ContentFormat, coapResponse, contentFormat, uriPath } from '../../../src/lwm2m/index.ts';
import { LabCore, LabCoreHttpApi } from '../../../src/sim/core/index.ts';
import { RawCoapPeer } from './coap-peer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ core: LabCore; peer: RawCoapPeer; url: (path: string) => string }> {
  const core = await LabCore.start({ ackTimeoutMs: 50, ackRandomFactor: 1, maxRetransmit: 1 });
  cleanups.push(() => core.stop());
  const api = await LabCoreHttpApi.start(core);
  cleanups.push(() => api.stop());
  expect(api.address.host).toBe('127.0.0.1');
  const peer = await RawCoapPeer.open(core.address);
  cleanups.push(() => peer.close());
  await peer.register(['ep=node1', 'lt=300', 'lwm2m=1.1', 'sms=491700000001'], '</1/0>,</3/0>');
  return { core, peer, url: (path) => `http://127.0.0.1:${api.address.port}${path}` };
}

async function json(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toContain('application/json');
  return (await response.json()) as Record<string, unknown>;
}

describe('lab core HTTP API', () => {
  it('lists the clients and shows one', async () => {
    const { core, peer, url } = await setup();
    const list = await fetch(url('/clients'));
    expect(list.status).toBe(200);
    const body = await json(list);
    expect(body).toEqual({ clients: [JSON.parse(JSON.stringify(core.client('node1')))] });
    expect(body['clients']).toMatchObject([{ endpoint: 'node1', port: peer.port, smsNumber: '491700000001', lifetimeSec: 300 }]);

    const one = await fetch(url('/clients/node1'));
    expect(await json(one)).toMatchObject({ endpoint: 'node1', location: core.client('node1')?.location });
    const missing = await fetch(url('/clients/ghost'));
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ error: { message: expect.stringContaining('ghost') as string } });
  });

  it('reads through HTTP and answers code, content format, payload as hex and text', async () => {
    const { peer, url } = await setup();
    const pending = fetch(url('/clients/node1/read?path=/3/0/0'), { method: 'POST' });
    const { message: request } = await peer.next();
    expect(uriPath(request)).toEqual(['3', '0', '0']);
    peer.send(coapResponse(request, CoapCode.CONTENT, 'Acme', { contentFormat: ContentFormat.TEXT_PLAIN }));
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ code: '2.05', contentFormat: 0, payloadHex: '41636d65', payloadText: 'Acme' });
  });

  it('writes a hex body with the content format from the query, and executes with arguments', async () => {
    const { peer, url } = await setup();
    const write = fetch(url('/clients/node1/write?path=/1/0/1&contentFormat=11542&hex=1'), { method: 'POST', body: 'c1 01 3c' });
    const { message: put } = await peer.next();
    expect(put.code).toBe(CoapCode.PUT);
    expect(contentFormat(put)).toBe(ContentFormat.LWM2M_TLV);
    expect([...put.payload]).toEqual([0xc1, 0x01, 0x3c]);
    peer.send(coapResponse(put, CoapCode.CHANGED));
    expect(await json(await write)).toEqual({ code: '2.04', contentFormat: null, payloadHex: '', payloadText: '' });

    const typed = fetch(url('/clients/node1/write?path=/1/0/1'), { method: 'POST', body: '60', headers: { 'content-type': 'text/plain' } });
    const { message: textPut } = await peer.next();
    expect(contentFormat(textPut)).toBe(ContentFormat.TEXT_PLAIN);
    peer.send(coapResponse(textPut, CoapCode.CHANGED));
    expect((await typed).status).toBe(200);

    const execute = fetch(url('/clients/node1/execute?path=/1/0/8'), { method: 'POST', body: "0='U'" });
    const { message: post } = await peer.next();
    expect(Buffer.from(post.payload).toString()).toBe("0='U'");
    peer.send(coapResponse(post, CoapCode.CHANGED));
    expect(await json(await execute)).toMatchObject({ code: '2.04' });
  });

  it('maps failures to 400, 404, 405 and 504', async () => {
    const { url } = await setup();
    const post = (path: string, init: RequestInit = {}): Promise<Response> => fetch(url(path), { method: 'POST', ...init });
    expect((await post('/clients/ghost/read?path=/3/0')).status).toBe(404);
    expect((await post('/clients/node1/read?path=3')).status).toBe(400);
    expect((await post('/clients/node1/read')).status).toBe(400);
    expect((await post('/clients/node1/write?path=/1/0/1', { body: 'x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(400);
    expect((await post('/clients/node1/observe?path=/3/0')).status).toBe(404);
    expect((await fetch(url('/clients/node1/read?path=/3/0'))).status).toBe(405);
    expect((await fetch(url('/nothing'))).status).toBe(404);

    const timeout = await post('/clients/node1/read?path=/3/0'); // the peer never answers: 50 + 100 ms
    expect(timeout.status).toBe(504);
    expect(await json(timeout)).toMatchObject({ error: { failure: 'timeout', retransmissions: 1, endpoint: 'node1' } });
    const stats = await json(await fetch(url('/stats')));
    expect(stats).toMatchObject({ retransmissions: 1, timeouts: 1, requestsReceived: 1 });
  });
});
