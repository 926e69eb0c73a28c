/**
 * The registration requests the mirror holds until the core answers them
 * (src/lwm2m/pending-registrations.ts): found by endpoint and token (RFC 7252 §5.3.2), one per
 * endpoint and token, forgotten per endpoint.
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, coapRequest, type CoapMessage } from '../../../src/lwm2m/index.ts';
import type { DeviceRecord } from '../../../src/lwm2m/device-record.ts';
import { MAX_PENDING_PER_ENDPOINT, PendingRegistrations, type PendingRegistration } from '../../../src/lwm2m/pending-registrations.ts';

const withToken = (...token: number[]): CoapMessage => coapRequest({ code: CoapCode.POST, messageId: 1, token: Uint8Array.from(token), path: ['rd'] });
const held = (endpoint: string, createdAtMs = 0, previous?: DeviceRecord): PendingRegistration => ({
  endpoint, bearer: 'udp', operation: { kind: 'deregister' }, payload: '', createdAtMs, ...(previous === undefined ? {} : { previous }),
});

describe('PendingRegistrations', () => {
  it('finds a request by endpoint and whole token', () => {
    const pending = new PendingRegistrations();
    const a = held('a');
    const b = held('b');
    pending.add(withToken(1, 2), a);
    pending.add(withToken(1, 2), b);
    expect(pending.find('a', withToken(1, 2))).toBe(a);
    expect(pending.find('b', withToken(1, 2))).toBe(b);
    expect(pending.find('a', withToken(1))).toBeUndefined(); // a prefix of the token is another token
    expect(pending.find('a', withToken(1, 2, 0))).toBeUndefined();
    expect(pending.find('c', withToken(1, 2))).toBeUndefined();
    expect(pending.find('a', withToken())).toBeUndefined();
  });

  it('holds one request per endpoint and token: a second add replaces the first', () => {
    const pending = new PendingRegistrations();
    const first = held('a', 1);
    const second = held('a', 2);
    const other = held('a', 3);
    pending.add(withToken(7), first);
    pending.add(withToken(8), other);
    pending.add(withToken(7), second);
    expect(pending.find('a', withToken(7))).toBe(second);
    expect(pending.holds(first)).toBe(false);
    expect(pending.list()).toEqual([second, other]);
  });

  it('removes one request, and forgets or takes every request of one endpoint only', () => {
    const pending = new PendingRegistrations();
    const previous = { endpoint: 'a' } as DeviceRecord;
    const a1 = held('a', 1);
    const a2 = held('a', 2, previous);
    const b = held('b', 3);
    pending.add(withToken(1), a1);
    pending.add(withToken(2), a2);
    pending.add(withToken(1), b);
    pending.remove(a1);
    pending.remove(a1); // no-op
    expect(pending.holds(a1)).toBe(false);
    expect(pending.holds(a2)).toBe(true);
    expect(pending.takeAll('a')).toBe(previous);
    expect(pending.list()).toEqual([b]);
    expect(pending.takeAll('a')).toBeUndefined();
    pending.forget('b');
    expect(pending.list()).toEqual([]);
  });

  it('lists a copy: removing while walking it skips nothing and fails nothing', () => {
    const pending = new PendingRegistrations();
    const all = [held('a', 1), held('b', 2), held('c', 3)];
    all.forEach((request, index) => pending.add(withToken(index), request));
    const seen: PendingRegistration[] = [];
    for (const request of pending.list()) {
      seen.push(request);
      pending.remove(request);
    }
    expect(seen).toEqual(all);
    expect(pending.list()).toEqual([]);
  });
});

describe('PendingRegistrations: a device that floods requests with new tokens', () => {
  it(`keeps its ${MAX_PENDING_PER_ENDPOINT} newest requests (RFC 7252 §4.7: one is in flight normally), and other devices' requests`, () => {
    const pending = new PendingRegistrations();
    const other = held('other');
    pending.add(withToken(0xff), other);
    const flood: PendingRegistration[] = [];
    for (let n = 0; n < 10_000; n++) {
      const request = held('flooder', n);
      flood.push(request);
      pending.add(withToken(n >> 8, n & 0xff), request);
    }
    expect(pending.list()).toEqual([other, ...flood.slice(-MAX_PENDING_PER_ENDPOINT)]);
    expect(pending.find('flooder', withToken(9_999 >> 8, 9_999 & 0xff))).toBe(flood.at(-1));
    expect(pending.find('flooder', withToken(0, 0))).toBeUndefined(); // the oldest went
    expect(pending.find('other', withToken(0xff))).toBe(other);
  });
});
