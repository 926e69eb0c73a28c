/**
 * The in-memory held-request store (pure): bounds, de-duplication by Message ID, arrival order,
 * expiry never handed out for delivery, per-device lists removed when empty.
 */
import { describe, expect, it } from 'vitest';
import { MemoryHeldRequestStore, type HeldRequest } from '../../../src/bridge/held-request-store.ts';
import { CoapCode, coapRequest } from '../../../src/lwm2m/index.ts';

const held = (endpoint: string, messageId: number, heldAtMs: number, ttlMs = 1000): HeldRequest => ({
  endpoint, message: coapRequest({ code: CoapCode.GET, messageId, path: ['3', '0'] }), heldAtMs, expiresAtMs: heldAtMs + ttlMs,
});

describe('MemoryHeldRequestStore', () => {
  it('holds up to the bound per device, then answers full with the seconds until room frees', async () => {
    const store = new MemoryHeldRequestStore({ maxPerDevice: 2, maxTotal: 100 });
    expect(await store.hold(held('a', 1, 0, 5000))).toEqual({ kind: 'held', heldForDevice: 1 });
    expect(await store.hold(held('a', 2, 1000, 5000))).toEqual({ kind: 'held', heldForDevice: 2 });
    expect(await store.hold(held('a', 3, 2500))).toEqual({ kind: 'full', scope: 'device', retryAfterSec: 3 }); // first expires at 5000
    expect(await store.hold(held('b', 1, 2500))).toMatchObject({ kind: 'held' });
  });

  it('bounds the total across devices', async () => {
    const store = new MemoryHeldRequestStore({ maxPerDevice: 10, maxTotal: 2 });
    await store.hold(held('a', 1, 0));
    await store.hold(held('b', 1, 0));
    expect(await store.hold(held('c', 1, 0))).toMatchObject({ kind: 'full', scope: 'total' });
  });

  it('a retransmission (same device, same Message ID) is one request', async () => {
    const store = new MemoryHeldRequestStore({ maxPerDevice: 10, maxTotal: 10 });
    await store.hold(held('a', 7, 0));
    expect(await store.hold(held('a', 7, 10))).toEqual({ kind: 'duplicate' });
    expect(await store.count('a')).toBe(1);
  });

  it('hands out in arrival order and never an expired one', async () => {
    const store = new MemoryHeldRequestStore({ maxPerDevice: 10, maxTotal: 10 });
    await store.hold(held('a', 1, 0, 100));
    await store.hold(held('a', 2, 0, 1000));
    await store.hold(held('a', 3, 0, 1000));
    const first = await store.takeNext('a', 500);
    expect(first.expired.map((h) => h.message.messageId)).toEqual([1]);
    expect(first.next?.message.messageId).toBe(2);
    expect((await store.takeNext('a', 500)).next?.message.messageId).toBe(3);
    expect(await store.takeNext('a', 500)).toEqual({ next: null, expired: [] });
  });

  it('takes every expired request of every device, and everything of a device that left', async () => {
    const store = new MemoryHeldRequestStore({ maxPerDevice: 10, maxTotal: 3 });
    await store.hold(held('a', 1, 0, 100));
    await store.hold(held('b', 1, 0, 100));
    await store.hold(held('b', 2, 0, 1000));
    expect((await store.takeExpired(100)).map((h) => `${h.endpoint}${h.message.messageId}`)).toEqual(['a1', 'b1']);
    expect(await store.count('a')).toBe(0);
    expect((await store.takeAll('b')).map((h) => h.message.messageId)).toEqual([2]);
    expect(await store.hold(held('c', 1, 0))).toMatchObject({ kind: 'held' }); // the total went down again
  });
});
