/**
 * The wake-up and queue routes of the admin API over real HTTP, in front of the lab (private
 * Redis, BullMQ, simulated modems on pseudo-terminals, the simulated SMS network and devices, the
 * lab core): request, list and state of wake-ups, queue counts, the wake-up metrics; tokens,
 * bodies and queries checked; Redis gone answers 503 and never hangs. Nothing here measures
 * time: tests wait for the wake-up service's events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AdminServer } from '../../../src/admin/admin-server.ts';
import type { GatewayConfig } from '../../../src/gateway/gateway-config.ts';
import { Lab } from '../../../src/lab/lab.ts';
import { silentLogger } from '../../../src/log/index.ts';
import type { WakeupOutcome } from '../../../src/queue/wakeup-service.ts';
import { startPrivateRedis, type PrivateRedis } from '../../support/private-redis.ts';

const READ_WRITE = 'rw-wakeup-token-0123456789abcdef';
const READ_ONLY = 'ro-wakeup-token-0123456789abcdef';
/** Asleep after 300 ms; accepts SMS only from modem-2 (the lab's device group says so). */
const DEVICE = { msisdn: '+491701250001', endpoint: 'urn:imei:3561', binding: 'UQS', modem: 1, lifetimeSec: 300, awakeWindowMs: 300 } as const;
const WAKEUP = { attempts: 3, backoffMs: 300, maxBackoffMs: 600, ttlMs: 60_000 } as const;

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
}, 60_000); // a gateway whose Redis is gone takes its stop bound (10 s)

type Answer = { status: number; json: Record<string, unknown>; text: string };

async function start(gateway: Partial<GatewayConfig> = {}, redis: PrivateRedis | null = null) {
  const lab = await Lab.start({
    cmgsLatencyMs: 50, networkDelayMs: 10, devices: [DEVICE], redisUrl: redis?.url ?? null,
    gateway: { awakeWindowMs: 300, maintenanceIntervalMs: 200, wakeup: WAKEUP, ...gateway }, core: { responseTimeoutMs: 20_000 },
  });
  stops.push(() => lab.stop());
  await expect.poll(() => lab.gateway.mirror.get(DEVICE.endpoint)?.registered, { timeout: 15_000 }).toBe(true);
  await expect.poll(() => lab.devices[0]!.awake, { timeout: 10_000 }).toBe(false);
  const admin = await AdminServer.start(lab.gateway, { host: '127.0.0.1', port: 0, bodyLimitBytes: 512, tokens: { readWrite: READ_WRITE, readOnly: READ_ONLY }, version: 'test', logger: silentLogger() });
  stops.push(() => admin.stop());
  const call = async (method: string, path: string, init: { token?: string | null; body?: string } = {}): Promise<Answer> => {
    const headers: Record<string, string> = {};
    const token = init.token === undefined ? READ_WRITE : init.token;
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${admin.url}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // metrics: text
    }
    return { status: response.status, json, text };
  };
  const nextOutcome = (): Promise<WakeupOutcome> => new Promise((resolve) => {
    const off = lab.gateway.wakeups.on('outcome', (outcome) => {
      off();
      resolve(outcome);
    });
  });
  return { lab, admin, call, nextOutcome };
}

const ENCODED = encodeURIComponent(DEVICE.endpoint);
const REQUEST = JSON.stringify({ endpoint: DEVICE.endpoint });

describe('admin API: wake-ups and queues', () => {
  it('checks tokens and bodies first, wakes a sleeping device on request, and shows the outcome and its latency', async () => {
    const { lab, call, nextOutcome } = await start();
    for (const path of ['/api/v1/wakeups', `/api/v1/wakeups/${ENCODED}`, '/api/v1/queues']) {
      for (const token of [null, 'wrong-token-0123456789abcdef', `${READ_ONLY}x`]) {
        expect({ path, token, status: (await call('GET', path, { token })).status }).toEqual({ path, token, status: 401 });
      }
      expect({ path, status: (await call('GET', path, { token: READ_ONLY })).status }).toEqual({ path, status: 200 });
    }
    expect((await call('POST', '/api/v1/wakeups', { token: null, body: REQUEST })).status).toBe(401);
    expect((await call('POST', '/api/v1/wakeups', { token: 'wrong-token-0123456789abcdef', body: REQUEST })).status).toBe(401);
    expect(await call('POST', '/api/v1/wakeups', { token: READ_ONLY, body: REQUEST })).toMatchObject({ status: 403, json: { code: 'GW_ERR_ADMIN_FORBIDDEN' } });
    const bad: [string, RegExp][] = [
      ['{"endpoint": ', /not valid JSON/],
      [JSON.stringify({}), /^body\/endpoint Expected required property/],
      [JSON.stringify({ endpoint: '' }), /^body\/endpoint Expected string length greater or equal to 1/],
      [JSON.stringify({ endpoint: DEVICE.endpoint, extra: 1 }), /^body\/extra Unexpected property/],
      [JSON.stringify({ endpoint: 'x'.repeat(600) }), /larger than 512 bytes/],
    ];
    for (const [body, reason] of bad) {
      const answer = await call('POST', '/api/v1/wakeups', { body });
      expect({ body, status: answer.status, code: answer.json['code'] }).toEqual({ body, status: 400, code: 'GW_ERR_ADMIN_REQUEST' });
      expect(answer.json['message']).toMatch(reason);
    }
    expect(await call('POST', '/api/v1/wakeups', { body: JSON.stringify({ endpoint: 'no-such-device' }) })).toMatchObject({ status: 404, json: { code: 'GW_ERR_ADMIN_NOT_FOUND' } });
    expect((await call('GET', '/api/v1/wakeups/no-such-device')).status).toBe(404);
    for (const query of ['limit=0', 'limit=501', 'offset=-1', 'limit=ten', 'other=1']) {
      expect({ query, status: (await call('GET', `/api/v1/wakeups?${query}`)).status }).toEqual({ query, status: 400 });
    }
    expect(await lab.gateway.wakeups.counts()).toEqual({}); // nothing refused was queued

    const outcome = nextOutcome();
    const requested = await call('POST', '/api/v1/wakeups', { body: REQUEST });
    expect(requested).toMatchObject({ status: 200, json: { endpoint: DEVICE.endpoint, jobId: `wakeup-${ENCODED}` } });
    expect(['waiting', 'active', 'delayed']).toContain(requested.json['state']);
    const woke = await outcome;
    expect(woke).toMatchObject({ result: 'woke', triggers: 1 });
    const state = await call('GET', `/api/v1/wakeups/${ENCODED}`, { token: READ_ONLY });
    expect(state).toMatchObject({ status: 200, json: { endpoint: DEVICE.endpoint, job: null, lastOutcome: { ...woke } } });
    expect((await call('GET', '/api/v1/wakeups')).json).toMatchObject({ total: 0, jobs: [] });
    const metrics = (await call('GET', '/metrics', { token: READ_ONLY })).text;
    expect(metrics).toMatch(/^smsbridge_wakeup_latency_seconds_count 1$/m);
    expect(metrics).toMatch(new RegExp(`^smsbridge_wakeup_latency_seconds_sum ${String(woke.elapsedMs / 1000).replace('.', '\\.')}$`, 'm'));
    expect(metrics).toMatch(/^smsbridge_wakeup_outcomes_total\{result="woke",reason="heard"\} 1$/m);
    expect(metrics).toMatch(/^smsbridge_queue_jobs\{queue="wakeup",state="delayed"\} 0$/m);
    // A second scrape does not count the outcome again.
    expect((await call('GET', '/metrics')).text).toMatch(/^smsbridge_wakeup_outcomes_total\{result="woke",reason="heard"\} 1$/m);
  }, 120_000);

  it('lists a job waiting out its back-off with attempts, triggers and state, pages the list, counts the queue, and shows it on the queue board behind the token', async () => {
    // The group names modem-1, but the device accepts only modem-2: it ignores every trigger; a
    // 10-minute back-off keeps the job delayed for the whole test.
    const { lab, admin, call } = await start({ deviceGroups: [{ name: 'wrong-number', endpoints: ['*'], serverModem: 'modem-1' }], wakeup: { ...WAKEUP, backoffMs: 600_000, maxBackoffMs: 600_000, ttlMs: 3_600_000 } });
    const triggered = lab.gateway.wakeups.next('trigger');
    const reported = lab.gateway.wakeups.next('trigger-report');
    expect((await call('POST', '/api/v1/wakeups', { body: REQUEST })).status).toBe(200);
    await triggered;
    // The trigger's status report ("delivered") wakes the job for one check that sends nothing and
    // goes back to its back-off: two attempts, one trigger.
    await reported;
    await expect.poll(async () => (await call('GET', '/api/v1/wakeups')).json['jobs'], { timeout: 10_000 }).toEqual([
      expect.objectContaining({ endpoint: DEVICE.endpoint, jobId: `wakeup-${ENCODED}`, state: 'delayed', attempts: 2, triggers: 1, source: 'admin', lastOutcome: null }),
    ]);
    expect((await call('GET', '/api/v1/wakeups?limit=1&offset=1')).json).toEqual({ total: 1, offset: 1, limit: 1, jobs: [] });
    expect((await call('GET', `/api/v1/wakeups/${ENCODED}`)).json).toMatchObject({ job: { state: 'delayed', triggers: 1 }, lastOutcome: null });
    // Asked again: the same job, still delayed.
    expect((await call('POST', '/api/v1/wakeups', { body: REQUEST })).json).toMatchObject({ jobId: `wakeup-${ENCODED}`, state: 'delayed' });
    const queues = await call('GET', '/api/v1/queues', { token: READ_ONLY });
    expect(queues.json['queues']).toEqual([
      { name: 'wakeup', counts: expect.objectContaining({ delayed: 1, waiting: 0, active: 0, failed: 0 }) },
      // The trigger went through the outbound SMS queue.
      { name: 'outbound-sms', counts: expect.objectContaining({ completed: 1, waiting: 0, active: 0, failed: 0 }) },
    ]);
    expect((await call('GET', '/metrics')).text).toMatch(/^smsbridge_queue_jobs\{queue="wakeup",state="delayed"\} 1$/m);

    // The queue board: its token in a cookie set by the login route, checked like the API's.
    const board = async (method: string, path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${admin.url}${path}`, { method, headers, redirect: 'manual' });
    expect((await board('GET', '/queues/api/queues')).status).toBe(401);
    expect((await board('GET', '/queues/', { cookie: 'smsbridge-board=wrong-token-0123456789abcdef' })).status).toBe(401);
    expect((await board('GET', '/queues/api/queues', { authorization: 'Bearer wrong-token-0123456789abcdef' })).status).toBe(401);
    expect((await board('POST', '/queues/login')).status).toBe(401);
    const loginPage = await board('GET', '/queues/login');
    expect(loginPage.status).toBe(200);
    expect(await loginPage.text()).not.toContain(READ_ONLY);
    const login = await board('POST', '/queues/login', { authorization: `Bearer ${READ_ONLY}` });
    expect(login.status).toBe(204);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^smsbridge-board=[^;]+; Path=\/queues; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = setCookie.split(';')[0]!;
    const listed = await board('GET', '/queues/api/queues', { cookie });
    expect(listed.status).toBe(200);
    const boardQueues = ((await listed.json()) as { queues: { name: string; counts: Record<string, number> }[] }).queues;
    expect(boardQueues.map((queue) => [queue.name, queue.counts['delayed']])).toEqual([['wakeup', 1], ['outbound-sms', 0]]);
    const entry = await board('GET', '/queues/', { cookie });
    expect(entry.status).toBe(200);
    expect(entry.headers.get('content-type')).toMatch(/text\/html/);
    // The read-only token changes nothing on the board either.
    expect((await board('PUT', '/queues/api/queues/wakeup/promote', { cookie })).status).toBe(403);
    expect((await call('GET', `/api/v1/wakeups/${ENCODED}`)).json).toMatchObject({ job: { state: 'delayed' } });

    const doc = (await call('GET', '/api/v1/openapi.json')).json['paths'] as Record<string, unknown>;
    expect(Object.keys(doc).filter((path) => path.startsWith('/queues'))).toEqual([]);
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['/api/v1/wakeups', '/api/v1/wakeups/{endpoint}', '/api/v1/queues']));
  }, 120_000);

  it('answers 503 for wake-ups and queues while Redis is gone, and health still answers', async () => {
    const redis = await startPrivateRedis();
    stops.push(() => redis.stop());
    const { call } = await start({}, redis);
    await redis.stop();
    await expect.poll(async () => (await call('GET', '/api/v1/health', { token: null })).json['redis'], { timeout: 10_000 }).not.toBe('ready');
    expect(await call('POST', '/api/v1/wakeups', { body: REQUEST })).toMatchObject({ status: 503, json: { code: 'GW_ERR_WAKEUP_REDIS' } });
    expect(await call('GET', '/api/v1/wakeups')).toMatchObject({ status: 503, json: { code: 'GW_ERR_WAKEUP_REDIS' } });
    expect(await call('GET', `/api/v1/wakeups/${ENCODED}`)).toMatchObject({ status: 503 });
    expect(await call('GET', '/api/v1/queues')).toMatchObject({ status: 503, json: { code: 'GW_ERR_ADMIN_REDIS' } });
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^smsbridge_redis_up 0$/m);
    expect(metrics.text).not.toMatch(/^smsbridge_queue_jobs\{/m);
  }, 120_000);
});
