import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/modem/token-bucket.ts';

describe('TokenBucket', () => {
  it('allows the burst at once, then one token per 1/rate seconds', () => {
    const bucket = new TokenBucket({ ratePerSec: 2, burst: 2 }, 0);
    expect(bucket.delayMs(1, 0)).toBe(0);
    bucket.take(1, 0);
    bucket.take(1, 0);
    expect(bucket.delayMs(1, 0)).toBe(500);
    expect(bucket.delayMs(1, 250)).toBe(250);
    expect(bucket.delayMs(1, 500)).toBe(0);
  });

  it('lets a message with more parts than the burst go whole, and pays the debt afterwards', () => {
    const bucket = new TokenBucket({ ratePerSec: 1, burst: 1 }, 0);
    expect(bucket.delayMs(5, 0)).toBe(0); // needs only min(5, burst)
    bucket.take(5, 0); // tokens: 1 - 5 = -4
    expect(bucket.delayMs(1, 0)).toBe(5000); // back to 1 token after 5 s
    expect(bucket.delayMs(1, 5000)).toBe(0);
  });

  it('treats a rate of 0 as unlimited', () => {
    const bucket = new TokenBucket({ ratePerSec: 0 }, 0);
    for (let i = 0; i < 1000; i++) bucket.take(1, 0);
    expect(bucket.delayMs(1, 0)).toBe(0);
  });

  it('never holds more than the burst after idling', () => {
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 3 }, 0);
    bucket.take(3, 0);
    expect(bucket.delayMs(3, 1_000_000)).toBe(0);
    bucket.take(3, 1_000_000);
    expect(bucket.delayMs(1, 1_000_000)).toBe(100);
  });

  it('refills nothing for a time earlier than one seen, and does not count the same time twice', () => {
    const bucket = new TokenBucket({ ratePerSec: 1, burst: 1 }, 0);
    bucket.take(1, 10_000); // full at 10 s, taken: 0 tokens, clock at 10 s
    bucket.take(1, 5_000); // an earlier time: no refill, clock stays at 10 s (tokens -1)
    expect(bucket.delayMs(1, 10_000)).toBe(2000); // before the fix the clock went back to 5 s and 10 s refilled 5 tokens
  });
});
