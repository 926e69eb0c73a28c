/** The retry back-off of the core-facing socket pool: doubling, bounded, ended by reset. Pure unit. */
import { describe, expect, it } from 'vitest';
import { RetryBackoff } from '../../../src/bridge/core-socket-retry-backoff.ts';

describe('RetryBackoff', () => {
  it('is due until a pass fails, then waits 1, 2, 4 … s up to the bound', () => {
    const backoff = new RetryBackoff({ initialMs: 1000, maxMs: 8000 });
    expect(backoff.due(0)).toBe(true);
    const waits: number[] = [];
    let nowMs = 0;
    for (let pass = 0; pass < 6; pass += 1) {
      backoff.failed(nowMs);
      waits.push(backoff.currentWaitMs);
      expect(backoff.due(nowMs + backoff.currentWaitMs - 1)).toBe(false);
      nowMs += backoff.currentWaitMs;
      expect(backoff.due(nowMs)).toBe(true);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('is due at once after a reset, and starts again from the first wait', () => {
    const backoff = new RetryBackoff();
    for (let pass = 0; pass < 10; pass += 1) backoff.failed(0);
    expect(backoff.currentWaitMs).toBe(60_000);
    expect(backoff.due(1)).toBe(false);
    backoff.reset();
    expect(backoff.due(1)).toBe(true);
    expect(backoff.currentWaitMs).toBe(0);
    backoff.failed(1);
    expect(backoff.currentWaitMs).toBe(1000);
  });

  it('a new device bound on a new address does not end the wait (a held port is still held)', () => {
    const backoff = new RetryBackoff();
    backoff.bindRefused(false); // EADDRINUSE: another program holds a waiting device's port
    backoff.failed(0);
    backoff.bound(false);
    backoff.freed();
    expect(backoff.due(1)).toBe(false);
    backoff.bound(true); // a waiting device bound: retries work again
    expect(backoff.due(1)).toBe(true);
  });

  it('after the open-file limit refused a bind, any bind or freed socket ends the wait', () => {
    for (const end of [(b: RetryBackoff) => b.bound(false), (b: RetryBackoff) => b.freed()]) {
      const backoff = new RetryBackoff();
      backoff.bindRefused(true);
      backoff.failed(0);
      expect(backoff.due(1)).toBe(false);
      end(backoff);
      expect(backoff.due(1)).toBe(true);
      backoff.failed(1); // the limit is forgotten with the wait: a later new device's bind leaves the next one alone
      backoff.bound(false);
      expect(backoff.due(2)).toBe(false);
    }
  });
});
