/**
 * HeldRequests.resume (pure: the in-memory store marked durable, a recording host, a fake
 * clock): until a durable store is resumed every device may have requests waiting; resume
 * answers the interrupted and the expired ones 5.04, learns which devices have requests
 * waiting, sweeps at the earliest stored deadline, and retries while the store cannot be read.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryHeldRequestStore, type HeldRequest } from '../../../src/bridge/held-request-store.ts';
import { HeldRequests, type HeldAnswerReason, type HeldRequestHost } from '../../../src/bridge/held-requests.ts';
import { CoapCode, coapRequest } from '../../../src/lwm2m/index.ts';

/** The memory store as a durable one (requests "from before" are put in before the holder exists). */
class DurableMemoryStore extends MemoryHeldRequestStore {
  override readonly durable = true;
  failReads = 0;

  override waitingByDevice(): Promise<Map<string, number>> {
    if (this.failReads > 0) {
      this.failReads -= 1;
      return Promise.reject(new Error('Redis is away'));
    }
    return super.waitingByDevice();
  }
}

const held = (endpoint: string, messageId: number, expiresAtMs: number): HeldRequest => ({
  endpoint, message: coapRequest({ code: CoapCode.GET, messageId, path: ['3', '0'] }), heldAtMs: 0, expiresAtMs,
});

function recordingHost(): HeldRequestHost & { answers: string[] } {
  const answers: string[] = [];
  return {
    answers,
    bearerOf: () => 'hold',
    deliver: () => Promise.resolve({ sent: true }),
    abandon: () => undefined,
    answerCore: (request: HeldRequest, code: number, reason: HeldAnswerReason) => void answers.push(`${request.endpoint}#${request.message.messageId} ${code === CoapCode.GATEWAY_TIMEOUT ? '5.04' : code} ${reason}`),
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('HeldRequests.resume', () => {
  it('before resume every device may have work (a durable store); after, only those with requests waiting', async () => {
    const store = new DurableMemoryStore({ maxPerDevice: 10, maxTotal: 10 });
    await store.hold(held('a', 1, 60_000));
    const requests = new HeldRequests(store, recordingHost(), () => Date.now());
    expect([requests.hasWork('a'), requests.hasWork('b')]).toEqual([true, true]);
    expect(await requests.resume()).toEqual({ devices: 1, requests: 1, interrupted: 0 });
    expect([requests.hasWork('a'), requests.hasWork('b')]).toEqual([true, false]);
    expect(requests.heldNow()).toBe(1);
    requests.close();
  });

  it('a store in memory is not durable: no resume needed', () => {
    const requests = new HeldRequests(new MemoryHeldRequestStore({ maxPerDevice: 1, maxTotal: 1 }), recordingHost(), () => Date.now());
    expect(requests.hasWork('a')).toBe(false);
    requests.close();
  });

  it('answers 5.04 for the interrupted and the expired at once, and for the rest at their stored deadlines', async () => {
    const store = new DurableMemoryStore({ maxPerDevice: 10, maxTotal: 10 });
    await store.hold(held('a', 1, 500)); // expired while no gateway ran
    await store.hold(held('a', 2, 5_000));
    await store.hold(held('b', 1, 9_000));
    await store.hold(held('c', 1, 60_000));
    expect((await store.takeNext('c', 1_000)).next?.message.messageId).toBe(1); // a previous process delivered it, then died
    const host = recordingHost();
    const requests = new HeldRequests(store, host, () => Date.now());
    expect(await requests.resume()).toEqual({ devices: 2, requests: 3, interrupted: 1 });
    expect(host.answers).toEqual(['c#1 5.04 interrupted', 'a#1 5.04 expired']);
    await vi.advanceTimersByTimeAsync(4_100);
    expect(host.answers.slice(2)).toEqual(['a#2 5.04 expired']);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(host.answers.slice(3)).toEqual(['b#1 5.04 expired']);
    expect([requests.hasWork('a'), requests.hasWork('b'), requests.heldNow()]).toEqual([false, false, 0]);
    requests.close();
  });

  it('rejects while the store cannot be read, and tries again every second until it can', async () => {
    const store = new DurableMemoryStore({ maxPerDevice: 10, maxTotal: 10 });
    await store.hold(held('a', 1, 60_000));
    store.failReads = 2;
    const requests = new HeldRequests(store, recordingHost(), () => Date.now());
    await expect(requests.resume()).rejects.toThrow('Redis is away');
    expect(requests.hasWork('b')).toBe(true); // not resumed: everyone takes the slow path
    await vi.advanceTimersByTimeAsync(1_000); // fails again
    expect(requests.hasWork('b')).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([requests.hasWork('a'), requests.hasWork('b')]).toEqual([true, false]);
    requests.close();
  });
});
