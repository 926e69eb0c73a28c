/**
 * The admin API over real HTTP in front of a real gateway (private Redis, simulated network and
 * modem on a pseudo-terminal, a scripted core and devices): every route with no token, a wrong
 * token, the read-only token on write routes, malformed and oversize bodies.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/smsbridge-cli.ts';
import { AdminServer } from '../../../src/admin/admin-server.ts';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse } from '../../../src/lwm2m/index.ts';
import { silentLogger } from '../../../src/log/index.ts';
import { GATEWAY_MSISDN, SmsDevice, UdpPeer, onCleanup, startGateway, useRelayFixture } from '../relay/relay-fixture.ts';

useRelayFixture();

const READ_WRITE = 'rw-token-0123456789abcdef';
const READ_ONLY = 'ro-token-0123456789abcdef';
const DEVICE_MSISDN = '491709998877';

async function startAll(options: { bodyLimitBytes?: number } = {}) {
  const core = await UdpPeer.open();
  const { gateway, network } = await startGateway(core);
  const admin = await AdminServer.start(gateway, {
    host: '127.0.0.1', port: 0, bodyLimitBytes: options.bodyLimitBytes ?? 4096, tokens: { readWrite: READ_WRITE, readOnly: READ_ONLY }, version: 'test', logger: silentLogger(),
  });
  onCleanup(() => admin.stop());
  const call = async (method: string, path: string, init: { token?: string | null; body?: string; contentType?: string } = {}): Promise<{ status: number; json: Record<string, unknown>; text: string; headers: Headers }> => {
    const headers: Record<string, string> = {};
    const token = init.token === undefined ? READ_WRITE : init.token;
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
    const response = await fetch(`${admin.url}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // metrics: text
    }
    return { status: response.status, json, text, headers: response.headers };
  };
  return { core, gateway, network, admin, call };
}

const READ_ROUTES = ['/api/v1/status', '/api/v1/modems', '/api/v1/devices', '/metrics', '/api/v1/openapi.json'];
const WRITE_ROUTES: [string, string, string][] = [
  ['POST', '/api/v1/sms', JSON.stringify({ to: `+${DEVICE_MSISDN}`, text: 'hello' })],
  ['PUT', '/api/v1/modems/gw-modem/at-trace', JSON.stringify({ on: true })],
];

describe('admin API: tokens', () => {
  it('answers health without a token, and 401 on every other route without a token or with a wrong one', async () => {
    const { call } = await startAll();
    const health = await call('GET', '/api/v1/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', redis: 'ready', modemsReady: 1, modems: 1 });
    for (const path of READ_ROUTES) {
      for (const token of [null, 'wrong-token-0123456789abcdef', READ_WRITE.slice(0, -1), `${READ_WRITE}x`]) {
        const answer = await call('GET', path, { token });
        expect({ path, token, status: answer.status, code: answer.json['code'] }).toEqual({ path, token, status: 401, code: 'GW_ERR_ADMIN_UNAUTHORIZED' });
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
    for (const [method, path, body] of WRITE_ROUTES) {
      const answer = await call(method, path, { token: null, body });
      expect(answer.status).toBe(401);
    }
    expect((await call('GET', '/api/v1/events', { token: null })).status).toBe(401);
    expect((await call('GET', '/api/v1/nothing-here', { token: null })).status).toBe(401);
    expect((await call('GET', '/api/v1/nothing-here')).json['code']).toBe('GW_ERR_ADMIN_NOT_FOUND');
  });

  it('lets the read-only token read everything and change nothing (403)', async () => {
    const { call, gateway } = await startAll();
    for (const path of READ_ROUTES) expect({ path, status: (await call('GET', path, { token: READ_ONLY })).status }).toEqual({ path, status: 200 });
    for (const [method, path, body] of WRITE_ROUTES) {
      const answer = await call(method, path, { token: READ_ONLY, body });
      expect({ path, status: answer.status, code: answer.json['code'] }).toEqual({ path, status: 403, code: 'GW_ERR_ADMIN_FORBIDDEN' });
    }
    expect(gateway.atTraced).toEqual([]);
    expect((await gateway.status()).sms.messages).toBe(0);
  });
});

describe('admin API: routes', () => {
  it('shows modems with state, signal and counters, and switches their AT trace', async () => {
    const { call } = await startAll();
    const modems = await call('GET', '/api/v1/modems');
    expect(modems.status).toBe(200);
    const [modem] = modems.json['modems'] as Record<string, unknown>[];
    expect(modem).toMatchObject({ name: 'gw-modem', state: 'ready', registered: true, atTrace: false, receiveRoute: 'direct', receiveRouteState: 'direct' });
    expect(typeof modem!['signalDbm']).toBe('number');
    expect(modem!['counters']).toMatchObject({ sent: 0, received: 0, receiveRouteSwitches: 0 });
    const on = await call('PUT', '/api/v1/modems/gw-modem/at-trace', { body: JSON.stringify({ on: true }) });
    expect(on).toMatchObject({ status: 200, json: { modem: 'gw-modem', atTrace: true } });
    expect(((await call('GET', '/api/v1/modems')).json['modems'] as Record<string, unknown>[])[0]!['atTrace']).toBe(true);
    const unknown = await call('PUT', '/api/v1/modems/no-such-modem/at-trace', { body: JSON.stringify({ on: true }) });
    expect(unknown).toMatchObject({ status: 404, json: { code: 'GW_ERR_ADMIN_NOT_FOUND' } });
    const bad = await call('PUT', '/api/v1/modems/gw-modem/at-trace', { body: JSON.stringify({ on: 'yes' }) });
    expect(bad).toMatchObject({ status: 400, json: { code: 'GW_ERR_ADMIN_REQUEST' } });
    expect(bad.json['message']).toMatch(/^body\/on Expected boolean/);
  });

  it('lists a device that registered over UDP with its bearer and last activity', async () => {
    const { call, core, gateway } = await startAll();
    const device = await UdpPeer.open();
    const register = coapRequest({ code: CoapCode.POST, messageId: 0x7001, token: Uint8Array.of(1), path: ['rd'], query: ['ep=udp-admin-1', 'lt=300', 'lwm2m=1.0', 'b=U'], contentFormat: 40, payload: '</3/0>' });
    device.send(register, gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const { message, from } = core.received.shift()!;
    core.send(coapResponse(message, CoapCode.CREATED, undefined, { options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('x1') }] }), from.port);
    await expect.poll(() => gateway.mirror.get('udp-admin-1')?.registered, { timeout: 5000 }).toBe(true);
    const devices = await call('GET', '/api/v1/devices', { token: READ_ONLY });
    expect(devices.json['devices']).toEqual([expect.objectContaining({ endpoint: 'udp-admin-1', bearer: 'udp', binding: 'U', registered: true, presence: 'awake', udp: `127.0.0.1:${device.port}`, corePort: from.port })]);
    const lastSeen = Date.parse((devices.json['devices'] as { lastSeen: string }[])[0]!.lastSeen);
    expect(lastSeen).toBe(gateway.mirror.get('udp-admin-1')!.lastActivityMs);
    const status = await call('GET', '/api/v1/status');
    expect(status.json).toMatchObject({ version: 'test', devices: { total: 1, registered: 1, udp: 1, sms: 0 }, modems: { total: 1, ready: 1 }, coreSockets: { open: 1, waiting: 0, bindFailures: 0 } });
  });

  it('sends text and binary SMS to a device through the modem pool', async () => {
    const { call, network } = await startAll();
    const device = await SmsDevice.attach(network, DEVICE_MSISDN);
    const text = await call('POST', '/api/v1/sms', { body: JSON.stringify({ to: `+${DEVICE_MSISDN}`, text: 'hello from the admin API' }) });
    expect(text).toMatchObject({ status: 200, json: { modem: 'gw-modem', parts: 1 } });
    await expect.poll(() => device.smsReceived, { timeout: 10_000 }).toBe(1);
    const binary = await call('POST', '/api/v1/sms', { body: JSON.stringify({ to: `+${DEVICE_MSISDN}`, dataHex: '40010001' }) });
    expect(binary).toMatchObject({ status: 200, json: { parts: 1 } });
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1); // 40 01 00 01: a CoAP CON GET
    const metrics = await call('GET', '/metrics');
    expect(metrics.text).toMatch(/smsbridge_modem_sms_total\{modem="gw-modem",outcome="sent"\} 2/);
    expect(metrics.text).toMatch(/smsbridge_sms_parts_sent_total 2/);
    expect(metrics.text).toMatch(/smsbridge_modem_signal_dbm\{modem="gw-modem"\} -\d+/);
    expect(metrics.text).toMatch(/smsbridge_modem_receive_route\{modem="gw-modem",route="direct"\} 1/);
    expect(metrics.text).toMatch(/smsbridge_modem_receive_route_switches_total\{modem="gw-modem"\} 0/);
    expect(metrics.text).toMatch(/smsbridge_core_sockets\{state="waiting"\} 0/);
    expect(metrics.text).toMatch(/smsbridge_core_socket_binds_total\{outcome="failed"\} 0/);
    expect(GATEWAY_MSISDN).not.toBe(DEVICE_MSISDN);
    // The Grafana dashboard shipped beside the systemd unit asks only for metrics that exist.
    const dashboard = await readFile(join(ROOT, 'hardware/systemd/lwm2m-sms-bridge.grafana.json'), 'utf8');
    const asked = [...new Set(dashboard.match(/smsbridge_[a-z_]+/g) ?? [])];
    expect(asked.length).toBeGreaterThan(10);
    const served = new Set([...metrics.text.matchAll(/^# TYPE (\S+)/gm)].map((match) => match[1]));
    // A histogram's series are its name with _bucket, _sum, _count.
    expect(asked.filter((name) => !served.has(name) && !served.has(name.replace(/_(bucket|sum|count)$/, '')))).toEqual([]);
    expect(asked).toEqual(expect.arrayContaining(['smsbridge_wakeup_latency_seconds_bucket', 'smsbridge_queue_jobs', 'smsbridge_wakeup_outcomes_total']));
  });

  it('answers 400 with a reason for malformed, invalid and oversize bodies, and sends nothing', async () => {
    const { call, gateway } = await startAll({ bodyLimitBytes: 512 });
    const cases: [string, string | undefined, RegExp][] = [
      ['{"to": "+4917', undefined, /not valid JSON/],
      ['', undefined, /cannot be empty/],
      [JSON.stringify({ to: '4917012345', text: 'x' }), undefined, /^body\/to Expected string to match/],
      [JSON.stringify({ to: '+4917012345' }), undefined, /exactly one of text and dataHex/],
      [JSON.stringify({ to: '+4917012345', text: 'x', dataHex: '00' }), undefined, /exactly one/],
      [JSON.stringify({ to: '+4917012345', dataHex: 'abc' }), undefined, /^body\/dataHex /],
      [JSON.stringify({ to: '+4917012345', text: 'x', extra: 1 }), undefined, /^body\/extra Unexpected property/],
      [JSON.stringify({ to: '+4917012345', text: 'x'.repeat(600) }), undefined, /larger than 512 bytes/],
      ['to=+4917012345', 'application/x-www-form-urlencoded', /application\/json/],
    ];
    for (const [body, contentType, reason] of cases) {
      const answer = await call('POST', '/api/v1/sms', { body, ...(contentType === undefined ? {} : { contentType }) });
      expect({ body, status: answer.status, code: answer.json['code'] }).toEqual({ body, status: 400, code: 'GW_ERR_ADMIN_REQUEST' });
      expect(answer.json['message']).toMatch(reason);
      if (contentType === undefined) expect(answer.json['reason'], body).toBe(/JSON|empty/.test(reason.source) ? 'json-syntax' : /larger/.test(reason.source) ? 'too-large' : 'schema');
    }
    // The body check is admin-body.ts's (one implementation): a "__proto__" key is refused like malformed JSON.
    const proto = await call('POST', '/api/v1/sms', { body: '{"to":"+4917012345","text":"x","__proto__":{"admin":true}}' });
    expect({ status: proto.status, reason: proto.json['reason'] }).toEqual({ status: 400, reason: 'json-syntax' });
    expect((await gateway.status()).sms.messages).toBe(0);
    const health = await call('GET', '/api/v1/health', { token: null });
    expect(health.status).toBe(200);
  });

  it('refuses every route the OpenAPI document lists but health without a valid token (401), and every write with the read-only token (403)', async () => {
    const { call } = await startAll();
    const paths = (await call('GET', '/api/v1/openapi.json')).json['paths'] as Record<string, Record<string, unknown>>;
    const routes = Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => [method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'x')] as const));
    expect(routes.length).toBeGreaterThanOrEqual(12);
    for (const [method, path] of routes) {
      if (path === '/api/v1/health') continue;
      for (const token of [null, 'wrong-token-0123456789abcdef', READ_WRITE.toUpperCase()]) {
        const answer = await call(method, path, { token, ...(method === 'GET' ? {} : { body: '{}' }) });
        expect([`${method} ${path}`, answer.status, answer.json['code']]).toEqual([`${method} ${path}`, 401, 'GW_ERR_ADMIN_UNAUTHORIZED']);
      }
      if (method === 'GET') continue;
      const readOnly = await call(method, path, { token: READ_ONLY, body: '{}' });
      expect([`${method} ${path}`, readOnly.status, readOnly.json['code']]).toEqual([`${method} ${path}`, 403, 'GW_ERR_ADMIN_FORBIDDEN']);
    }
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const { call } = await startAll();
    const doc = await call('GET', '/api/v1/openapi.json');
    expect(doc.json['openapi']).toBe('3.0.3');
    const paths = doc.json['paths'] as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, { pattern?: string }> } }> } }>>;
    expect(Object.keys(paths).sort()).toEqual(['/api/v1/devices', '/api/v1/events', '/api/v1/health', '/api/v1/modems', '/api/v1/modems/{name}/at-trace', '/api/v1/queues', '/api/v1/sms', '/api/v1/status', '/api/v1/wakeups', '/api/v1/wakeups/{endpoint}', '/metrics']);
    expect(paths['/api/v1/sms']!['post']!.requestBody!.content['application/json']!.schema.properties['to']!.pattern).toBe('^\\+[1-9][0-9]{1,14}$');
    // Every route documents its answers: 200, and 401 for all but the health check, 403 for the write routes.
    const operations = Object.entries(paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op: op as { responses?: Record<string, unknown>; requestBody?: unknown } })));
    for (const { route, op } of operations) {
      const codes = Object.keys(op.responses ?? {});
      expect(codes, route).toContain('200');
      if (route !== 'GET /api/v1/health') expect(codes, route).toContain('401');
      if (!route.startsWith('GET ')) expect([...codes, op.requestBody === undefined ? 'no body' : 'body'], route).toEqual(expect.arrayContaining(['400', '403', 'body']));
    }
  });

  it('serves /metrics without a token on metricsListen, and nothing else there', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const admin = await AdminServer.start(gateway, {
      host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, tokens: { readWrite: READ_WRITE, readOnly: null }, version: 'test', logger: silentLogger(),
      metricsListen: { host: '127.0.0.1', port: 0 },
    });
    onCleanup(() => admin.stop());
    const metricsUrl = admin.metricsUrl!;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const open = await fetch(metricsUrl);
    expect(open.status).toBe(200);
    expect(await open.text()).toMatch(/smsbridge_modem_registered\{modem="gw-modem"\} 1/);
    const other = await fetch(metricsUrl.replace(/\/metrics$/, '/api/v1/modems'));
    expect(other.status).toBe(404);
    expect((await fetch(`${admin.url}/metrics`)).status).toBe(401); // the API's own /metrics keeps its token
  });

  it('counts requests held for a sleeping queue-mode device in /metrics and status, and none once it woke', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, { awakeWindowMs: 300 });
    const admin = await AdminServer.start(gateway, { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, tokens: { readWrite: READ_WRITE, readOnly: null }, version: 'test', logger: silentLogger() });
    onCleanup(() => admin.stop());
    const get = async (path: string): Promise<string> => (await fetch(`${admin.url}${path}`, { headers: { authorization: `Bearer ${READ_WRITE}` } })).text();
    const device = await UdpPeer.open();
    device.send(coapRequest({ code: CoapCode.POST, messageId: 0x7201, token: Uint8Array.of(2), path: ['rd'], query: ['ep=uq-held', 'lt=300', 'lwm2m=1.0', 'b=UQ'], contentFormat: 40, payload: '</3/0>' }), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const { message, from } = core.received.shift()!;
    core.send(coapResponse(message, CoapCode.CREATED, undefined, { options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('h1') }] }), from.port);
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(1);
    // Asleep once its awake window (300 ms since it was last heard) is over.
    await expect.poll(() => Date.now() > (gateway.mirror.get('uq-held')?.lastUdpActivityMs ?? Infinity) + 400, { timeout: 5000 }).toBe(true);
    expect(JSON.parse(await get('/api/v1/devices'))).toMatchObject({ devices: [{ endpoint: 'uq-held', presence: 'asleep' }] });
    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x4545, token: Uint8Array.of(0x45), path: ['3', '0'] }), from.port);
    await expect.poll(() => gateway.relay.counters.held, { timeout: 5000 }).toBe(1);
    expect(await get('/metrics')).toMatch(/^smsbridge_relay_held_requests 1$/m);
    expect(JSON.parse(await get('/api/v1/status'))).toMatchObject({ heldRequests: 1 });
    device.send(coapRequest({ code: CoapCode.POST, messageId: 0x7202, token: Uint8Array.of(3), path: ['rd', 'h1'] }), gateway.udpAddress.port); // it wakes
    await expect.poll(() => device.received.some((r) => r.message.code === CoapCode.GET), { timeout: 5000 }).toBe(true);
    const delivered = device.received.find((r) => r.message.code === CoapCode.GET)!.message;
    device.send(coapResponse(delivered, CoapCode.CONTENT, 'awake'), gateway.udpAddress.port); // answered: no longer held
    await expect.poll(async () => /^smsbridge_relay_held_requests 0$/m.test(await get('/metrics')), { timeout: 5000 }).toBe(true);
    expect(JSON.parse(await get('/api/v1/devices'))).toMatchObject({ devices: [{ endpoint: 'uq-held', presence: 'awake' }] });
    const after = await get('/metrics');
    expect(after).toMatch(/^smsbridge_relay_held_requests_total 1$/m);
    expect(after).toMatch(/^smsbridge_relay_core_requests_total\{outcome="held"\} 1$/m);
    expect(after).toMatch(/^smsbridge_relay_core_requests_total\{outcome="delivered"\} 1$/m);
    expect(after).toMatch(/^smsbridge_relay_core_requests_total\{outcome="answered_by_gateway"\} 0$/m);
  });
  it('counts drops of every reason in /metrics, also those the relay keeps no plain counter of (an invalid Register)', async () => {
    const { gateway, call } = await startAll();
    const before = (await call('GET', '/metrics')).text;
    for (const reason of ['invalid_registration', 'store_failed', 'no_route', 'no_socket', 'sms_failed', 'core_did_not_ack', 'device_gone', 'malformed', 'unknown_device']) {
      expect(before).toMatch(new RegExp(`^smsbridge_relay_dropped_total\\{reason="${reason}"\\} 0$`, 'm'));
    }
    const dropped: string[] = [];
    gateway.relay.on('dropped', (drop) => dropped.push(drop.reason));
    const device = await UdpPeer.open();
    // A Register without an endpoint name (LwM2M 1.1 Transport §6.2.1: ep is mandatory): refused 4.00.
    device.send(coapRequest({ code: CoapCode.POST, messageId: 0x7401, token: Uint8Array.of(5), path: ['rd'], query: ['lt=300', 'lwm2m=1.0', 'b=U'], contentFormat: 40, payload: '</3/0>' }), gateway.udpAddress.port);
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(1);
    expect(device.received[0]!.message.code).toBe(CoapCode.BAD_REQUEST);
    expect(dropped).toEqual(['invalid-registration']);
    const after = (await call('GET', '/metrics')).text;
    expect(after).toMatch(/^smsbridge_relay_dropped_total\{reason="invalid_registration"\} 1$/m);
    expect((await call('GET', '/metrics')).text).toMatch(/^smsbridge_relay_dropped_total\{reason="invalid_registration"\} 1$/m); // not counted twice
  });

  it('counts the answers the gateway gave the core itself, by code and reason: 5.03 hold full, 5.04 expired', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, { awakeWindowMs: 300, heldRequests: { maxPerDevice: 1, ttlMs: 1000 } });
    const admin = await AdminServer.start(gateway, { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, tokens: { readWrite: READ_WRITE, readOnly: null }, version: 'test', logger: silentLogger() });
    onCleanup(() => admin.stop());
    const get = async (path: string): Promise<string> => (await fetch(`${admin.url}${path}`, { headers: { authorization: `Bearer ${READ_WRITE}` } })).text();
    const device = await UdpPeer.open();
    device.send(coapRequest({ code: CoapCode.POST, messageId: 0x7301, token: Uint8Array.of(4), path: ['rd'], query: ['ep=uq-full', 'lt=300', 'lwm2m=1.0', 'b=UQ'], contentFormat: 40, payload: '</3/0>' }), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const { message, from } = core.received.shift()!;
    core.send(coapResponse(message, CoapCode.CREATED, undefined, { options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('f1') }] }), from.port);
    await expect.poll(() => device.received.length, { timeout: 5000 }).toBe(1);
    await expect.poll(() => Date.now() > (gateway.mirror.get('uq-full')?.lastUdpActivityMs ?? Infinity) + 400, { timeout: 5000 }).toBe(true);
    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x4601, token: Uint8Array.of(0x46), path: ['3', '0'] }), from.port);
    await expect.poll(() => gateway.relay.counters.held, { timeout: 5000 }).toBe(1);
    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x4602, token: Uint8Array.of(0x47), path: ['3', '0', '1'] }), from.port); // the hold is full
    await expect.poll(() => gateway.relay.counters.refused, { timeout: 5000 }).toBe(1);
    await expect.poll(() => gateway.relay.counters.heldAnsweredByGateway, { timeout: 10_000 }).toBe(1); // the first expired
    const metrics = await get('/metrics');
    expect(metrics).toMatch(/^smsbridge_relay_gateway_answers_total\{code="5.03",reason="hold-full"\} 1$/m);
    expect(metrics).toMatch(/^smsbridge_relay_gateway_answers_total\{code="5.04",reason="expired"\} 1$/m);
    expect(metrics).toMatch(/^smsbridge_relay_core_requests_total\{outcome="refused"\} 1$/m);
    expect(metrics).toMatch(/^smsbridge_relay_core_requests_total\{outcome="answered_by_gateway"\} 1$/m);
    expect(metrics).toMatch(/^smsbridge_relay_core_requests_total\{outcome="delivered"\} 0$/m); // the expired one never left
    expect(metrics).toMatch(/^smsbridge_relay_held_requests 0$/m);
    expect(await get('/metrics')).toMatch(/^smsbridge_relay_gateway_answers_total\{code="5.04",reason="expired"\} 1$/m); // not counted twice
  });
});
