import { describe, expect, it } from 'vitest';
import { floodClockMs, SCTS_MAX_AGE_MS, SCTS_MAX_AHEAD_MS, SourceRateLimiter } from '../../../src/bridge/source-rate-limiter.ts';
import { GatewayError } from '../../../src/shared/errors.ts';

describe('SourceRateLimiter', () => {
  it('admits a burst per source, refuses the excess without digging deeper, and refills at the rate', () => {
    const limiter = new SourceRateLimiter({ ratePerSec: 2, burst: 3 });
    expect([1, 2, 3, 4, 5].map(() => limiter.admit('a', 0))).toEqual([true, true, true, false, false]);
    expect(limiter.admit('b', 0)).toBe(true); // another source keeps its own bucket
    expect(limiter.admit('a', 499)).toBe(false);
    expect(limiter.admit('a', 500)).toBe(true); // one token per 500 ms, refused ones cost nothing
    expect(limiter.admit('a', 500)).toBe(false);
  });

  it('rate 0 means no limit', () => {
    const limiter = new SourceRateLimiter({ ratePerSec: 0, burst: 1 });
    for (let i = 0; i < 1000; i++) expect(limiter.admit('a', 0)).toBe(true);
    expect(limiter.trackedSources).toBe(0);
  });

  it('forgets full buckets on sweep and by itself when sources pile up (spoofed-source flood)', () => {
    const limiter = new SourceRateLimiter({ ratePerSec: 1, burst: 2 });
    for (let i = 0; i < 5000; i++) limiter.admit(`10.0.${i >> 8}.${i & 255}`, i);
    expect(limiter.trackedSources).toBeLessThan(2100);
    limiter.sweep(1_000_000);
    expect(limiter.trackedSources).toBe(0);
  });

  it('refuses a bad configuration with GW_ERR_CONFIG naming the key', () => {
    for (const limit of [{ ratePerSec: -1, burst: 1 }, { ratePerSec: Number.NaN, burst: 1 }, { ratePerSec: 1, burst: 0 }, { ratePerSec: 1, burst: 1.5 }]) {
      expect(() => new SourceRateLimiter(limit, 'floodLimits.x')).toThrow(expect.objectContaining({ code: 'GW_ERR_CONFIG', details: { key: 'floodLimits.x' } }) as GatewayError);
    }
  });

  it('counts SMS at their send time: a backlog spread out passes, the same second is cut, out-of-order times credit nothing twice', () => {
    const limiter = new SourceRateLimiter({ ratePerSec: 1, burst: 3 });
    expect(Array.from({ length: 6 }, (_, i) => limiter.admit('spread', 100_000 + i * 1000))).toEqual([true, true, true, true, true, true]);
    expect(Array.from({ length: 6 }, () => limiter.admit('same', 100_000))).toEqual([true, true, true, false, false, false]);
    const late = new SourceRateLimiter({ ratePerSec: 1, burst: 1 });
    expect([late.admit('x', 10_000), late.admit('x', 4_000), late.admit('x', 10_000), late.admit('x', 11_000)]).toEqual([true, false, false, true]);
  });
});

describe('floodClockMs', () => {
  const arrival = 1_800_000_000_000;
  it('takes the SC time stamp when plausible, else the arrival time', () => {
    expect(floodClockMs(arrival - 600_000, arrival)).toBe(arrival - 600_000); // sent during a 10-minute outage
    expect(floodClockMs(arrival + SCTS_MAX_AHEAD_MS, arrival)).toBe(arrival + SCTS_MAX_AHEAD_MS); // SMSC clock a little ahead
    expect(floodClockMs(arrival + SCTS_MAX_AHEAD_MS + 1, arrival)).toBe(arrival); // in the future
    expect(floodClockMs(arrival - SCTS_MAX_AGE_MS - 1, arrival)).toBe(arrival); // too old
    expect(floodClockMs(Number.NaN, arrival)).toBe(arrival); // absent or unreadable (Date.parse of a zero date)
    expect(floodClockMs(null, arrival)).toBe(arrival);
  });
});
