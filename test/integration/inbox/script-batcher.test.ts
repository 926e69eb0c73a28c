import { beforeEach, describe, expect, it } from 'vitest';
import { ScriptBatcher } from '../../../src/inbox/script-batcher.ts';
import { usePrivateRedis } from '../../support/test-scope.ts';

const { redis } = usePrivateRedis(); // empties the server before each test
beforeEach(async () => {
  await redis().script('FLUSH');
  await redis().config('RESETSTAT');
});

const INCR = `return redis.call('INCRBY', KEYS[1], ARGV[1])`;
const APPEND = `return redis.call('APPEND', KEYS[1], ARGV[1])`;

/** `calls` of one command in INFO commandstats (0 when never called). */
async function commandCalls(name: string): Promise<number> {
  const info = await redis().info('commandstats');
  return Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('ScriptBatcher (real Redis)', () => {
  it('sends scripts as EVALSHA; a script the server does not know yet is loaded once with EVAL', async () => {
    const batcher = new ScriptBatcher(redis());
    expect(await batcher.run(INCR, ['n'], [2])).toBe(2); // NOSCRIPT, then EVAL
    expect(await batcher.run(INCR, ['n'], [3])).toBe(5);
    expect(await batcher.run(INCR, ['n'], [4])).toBe(9);
    expect(batcher.stats).toEqual({ calls: 3, roundTrips: 3, scriptLoads: 1 });
    expect(await commandCalls('eval')).toBe(1);
    expect(await commandCalls('evalsha')).toBeGreaterThanOrEqual(2);
  });

  it('a batch whose script the server lost (SCRIPT FLUSH) runs every call exactly once, in order', async () => {
    const batcher = new ScriptBatcher(redis());
    await batcher.run(INCR, ['n'], [1]);
    await redis().script('FLUSH'); // as after a Redis restart
    // The four calls are made in one turn of the event loop: they share one pipeline.
    const results = await Promise.all([
      batcher.run(INCR, ['n'], [10]), batcher.run(APPEND, ['s'], ['a']), batcher.run(APPEND, ['s'], ['b']), batcher.run(INCR, ['n'], [100]),
    ]);
    expect(results).toEqual([11, 1, 2, 111]);
    expect(await redis().get('s')).toBe('ab');
    expect(await redis().get('n')).toBe('111');
    expect(batcher.stats.roundTrips).toBe(2);
  });
});
