/**
 * The held-request store in Redis (issue 8, "Held requests", "All state in Redis"): the same
 * contract as the in-memory store (the cases run against both), the request read back byte for
 * byte (token, type, options, payload: what the separate response after a restart needs), and
 * atomicity with two "processes" (two connections) holding and taking at once. A private
 * redis-server.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { MemoryHeldRequestStore, type HeldRequest, type HeldRequestLimits, type HeldRequestStore } from '../../../src/bridge/held-request-store.ts';
import { parseHeld, RedisHeldRequestStore, serializeHeld } from '../../../src/bridge/redis-held-request-store.ts';
import { CoapCode, coapRequest, encodeCoap } from '../../../src/lwm2m/index.ts';
import { useTestScope } from '../../support/test-scope.ts';

const scope = useTestScope();
const PREFIX = 'test:held:';

const held = (endpoint: string, messageId: number, heldAtMs: number, ttlMs = 1000): HeldRequest => ({
  endpoint, message: coapRequest({ code: CoapCode.GET, messageId, token: Uint8Array.of(messageId & 0xff), path: ['3', '0'] }), heldAtMs, expiresAtMs: heldAtMs + ttlMs,
});
const ids = (requests: readonly HeldRequest[]): string[] => requests.map((r) => `${r.endpoint}#${r.message.messageId}`);

/** A Redis store on a connection of its own (one per "process"); disconnected after the test. */
function redisStore(limits: HeldRequestLimits): RedisHeldRequestStore {
  const redis = new Redis(scope.server().url);
  scope.onCleanup(async () => redis.disconnect());
  return new RedisHeldRequestStore(redis, limits, PREFIX);
}

const stores: [string, (limits: HeldRequestLimits) => HeldRequestStore][] = [
  ['redis', redisStore],
  ['memory', (limits) => new MemoryHeldRequestStore(limits)],
];

describe.each(stores)('held-request store contract (%s)', (_name, make) => {
  it('holds in arrival order per device and hands them out in that order', async () => {
    const store = make({ maxPerDevice: 10, maxTotal: 100 });
    for (const id of [5, 3, 9]) expect(await store.hold(held('a', id, 0))).toMatchObject({ kind: 'held' });
    await store.hold(held('b', 1, 0));
    const order: number[] = [];
    for (let next = await store.takeNext('a', 10); next.next !== null; next = await store.takeNext('a', 10)) order.push(next.next.message.messageId);
    expect(order).toEqual([5, 3, 9]);
    expect(await store.count('b')).toBe(1);
  });

  it('a retransmission (same device, same Message ID) is one request; the same ID for another device is another', async () => {
    const store = make({ maxPerDevice: 10, maxTotal: 10 });
    expect(await store.hold(held('a', 7, 0))).toEqual({ kind: 'held', heldForDevice: 1 });
    expect(await store.hold(held('a', 7, 10))).toEqual({ kind: 'duplicate' });
    expect(await store.hold(held('b', 7, 10))).toEqual({ kind: 'held', heldForDevice: 1 });
    expect(await store.count('a')).toBe(1);
  });

  it('is full per device with the seconds until its first request expires', async () => {
    const store = make({ maxPerDevice: 2, maxTotal: 100 });
    await store.hold(held('a', 1, 0, 5000));
    await store.hold(held('a', 2, 1000, 5000));
    expect(await store.hold(held('a', 3, 2500))).toEqual({ kind: 'full', scope: 'device', retryAfterSec: 3 }); // first expires at 5000
    expect(await store.hold(held('b', 1, 2500))).toMatchObject({ kind: 'held' });
  });

  it('is full in total with the seconds until the first request of any device expires, and has room again once one is taken', async () => {
    const store = make({ maxPerDevice: 10, maxTotal: 2 });
    await store.hold(held('a', 1, 0, 9000));
    await store.hold(held('b', 1, 0, 4000));
    expect(await store.hold(held('c', 1, 1000))).toEqual({ kind: 'full', scope: 'total', retryAfterSec: 3 });
    await store.takeAll('a');
    expect(await store.hold(held('c', 1, 1000))).toMatchObject({ kind: 'held' });
  });

  it('takeNext skips the expired requests it passes (returned apart, never for delivery)', async () => {
    const store = make({ maxPerDevice: 10, maxTotal: 10 });
    await store.hold(held('a', 1, 0, 100));
    await store.hold(held('a', 2, 0, 200));
    await store.hold(held('a', 3, 0, 1000));
    const first = await store.takeNext('a', 200); // a deadline at now has passed
    expect(ids(first.expired)).toEqual(['a#1', 'a#2']);
    expect(first.next?.message.messageId).toBe(3);
    expect(await store.takeNext('a', 200)).toEqual({ next: null, expired: [] });
    expect(await store.hold(held('x', 1, 0))).toMatchObject({ kind: 'held' });
  });

  it('takeExpired takes every expired request of every device and leaves the rest in order', async () => {
    const store = make({ maxPerDevice: 10, maxTotal: 4 });
    await store.hold(held('a', 1, 0, 100));
    await store.hold(held('b', 1, 0, 1000));
    await store.hold(held('b', 2, 0, 100));
    await store.hold(held('b', 3, 0, 1000));
    expect(ids(await store.takeExpired(100)).sort()).toEqual(['a#1', 'b#2']);
    expect(await store.takeExpired(100)).toEqual([]);
    expect(await store.count('a')).toBe(0);
    expect(ids(await store.takeAll('b'))).toEqual(['b#1', 'b#3']);
    expect(await store.waitingByDevice()).toEqual(new Map());
  });

  it('takeAll takes a device\'s requests in order; count, waitingByDevice and nextExpiryMs follow', async () => {
    const store = make({ maxPerDevice: 10, maxTotal: 10 });
    expect(await store.nextExpiryMs()).toBeNull();
    await store.hold(held('a', 1, 0, 700));
    await store.hold(held('a', 2, 0, 300));
    await store.hold(held('b', 1, 0, 500));
    expect(await store.count('a')).toBe(2);
    expect(await store.waitingByDevice()).toEqual(new Map([['a', 2], ['b', 1]]));
    expect(await store.nextExpiryMs()).toBe(300);
    expect(ids(await store.takeAll('a'))).toEqual(['a#1', 'a#2']);
    expect(await store.takeAll('a')).toEqual([]);
    expect(await store.count('a')).toBe(0);
    expect(await store.nextExpiryMs()).toBe(500);
  });
});

describe.each(stores)('held-request store: requests in flight (%s)', (_name, make) => {
  it('keeps the request taken for delivery in flight until settled: a retransmission is a duplicate, an interrupted one is handed out once', async () => {
    const store = make({ maxPerDevice: 10, maxTotal: 10 });
    await store.hold(held('a', 1, 0));
    await store.hold(held('a', 2, 0));
    await store.hold(held('b', 1, 0));
    expect((await store.takeNext('a', 0)).next?.message.messageId).toBe(1);
    expect(await store.hold(held('a', 1, 5))).toEqual({ kind: 'duplicate' }); // the core retransmits while it is delivered
    await store.settle('a', 1);
    expect((await store.takeNext('a', 0)).next?.message.messageId).toBe(2);
    expect((await store.takeNext('b', 0)).next?.message.messageId).toBe(1);
    // The process dies with a#2 and b#1 in flight: the next one takes them, once.
    expect(ids(await store.takeInterrupted()).sort()).toEqual(['a#2', 'b#1']);
    expect(await store.takeInterrupted()).toEqual([]);
    expect(await store.hold(held('a', 2, 10))).toMatchObject({ kind: 'held' }); // no longer in flight
  });
});

describe('RedisHeldRequestStore', () => {
  it('reads a request back byte for byte: type, Message ID, token, options, payload', async () => {
    const store = redisStore({ maxPerDevice: 10, maxTotal: 10 });
    const message = { ...coapRequest({ code: CoapCode.PUT, messageId: 0xbeef, token: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), path: ['3', '0', '15'], contentFormat: 0, payload: 'Europe/Berlin' }), type: 'NON' as const };
    await store.hold({ endpoint: 'dev:ü/1', message, heldAtMs: 1, expiresAtMs: 2_000_000_000_000 });
    const { next } = await store.takeNext('dev:ü/1', 2);
    expect(next).not.toBeNull();
    expect(next).toMatchObject({ endpoint: 'dev:ü/1', heldAtMs: 1, expiresAtMs: 2_000_000_000_000 });
    expect(Buffer.from(encodeCoap(next!.message)).toString('hex')).toBe(Buffer.from(encodeCoap(message)).toString('hex'));
  });

  it('never returns an entry it cannot read back; it is removed and counted', async () => {
    const store = redisStore({ maxPerDevice: 10, maxTotal: 10 });
    await store.hold(held('a', 1, 0));
    await scope.redis().hset(`${PREFIX}req:a`, '1', '{"not":"a request"}');
    expect(await store.takeNext('a', 0)).toEqual({ next: null, expired: [] });
    expect(store.unreadable).toBe(1);
    expect(await store.count('a')).toBe(0);
    expect(parseHeld(serializeHeld(held('z', 9, 0)))?.message.messageId).toBe(9);
    expect(parseHeld('garbage')).toBeNull();
  });

  it('two processes holding at once never exceed the bound per device, nor the total, and hold a retransmission once', async () => {
    const limits = { maxPerDevice: 8, maxTotal: 20 };
    const [one, two] = [redisStore(limits), redisStore(limits)];
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? one : two).hold(held(`d${i % 3}`, 100 + (i >> 1), 0, 10_000))));
    // Devices d0, d1, d2 get 20 requests each: 8 held per device would be 24, above the total.
    expect(results.filter((r) => r.kind === 'held')).toHaveLength(20);
    expect(results.filter((r) => r.kind === 'full')).toHaveLength(40);
    for (const device of ['d0', 'd1', 'd2']) expect(await one.count(device)).toBeLessThanOrEqual(8);
    expect(Number(await scope.redis().get(`${PREFIX}total`))).toBe(20);

    await Promise.all(['d0', 'd1', 'd2'].map((device) => one.takeAll(device)));
    const same = await Promise.all([one.hold(held('r', 42, 0)), two.hold(held('r', 42, 0)), one.hold(held('r', 42, 0)), two.hold(held('r', 42, 0))]);
    expect(same.filter((r) => r.kind === 'held')).toHaveLength(1);
    expect(same.filter((r) => r.kind === 'duplicate')).toHaveLength(3);
  });

  it('two processes taking at once take every request exactly once', async () => {
    const limits = { maxPerDevice: 100, maxTotal: 1000 };
    const [one, two] = [redisStore(limits), redisStore(limits)];
    for (let i = 0; i < 40; i++) await one.hold(held(`t${i % 2}`, i, 0, i % 4 === 0 ? 50 : 10_000));
    const taken = await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? one : two).takeNext(`t${i % 2}`, 100).then((r) => [...(r.next ? [r.next] : []), ...r.expired])),
      one.takeExpired(100), two.takeExpired(100),
    ]);
    const rest = await Promise.all([one.takeAll('t0'), two.takeAll('t1')]);
    const all = [...taken.flat(), ...rest.flat()].map((r) => `${r.endpoint}#${r.message.messageId}`);
    expect(all).toHaveLength(40);
    expect(new Set(all).size).toBe(40);
    expect(Number(await scope.redis().get(`${PREFIX}total`))).toBe(0);
    expect(await scope.redis().zcard(`${PREFIX}deadlines`)).toBe(0);
  });
});
