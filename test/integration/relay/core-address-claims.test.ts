/**
 * Claims of core-facing addresses (src/bridge/core-address-claims.ts; issue 10, CPU per
 * Register): new devices that open their sockets in the same turn of the event loop claim their
 * addresses in one script call, each claim still exclusive between gateway processes. Real UDP
 * sockets on loopback (ports below the kernel's ephemeral range) and a private Redis.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { AddressClaims } from '../../../src/bridge/core-address-claims.ts';
import { CoreSocketPool } from '../../../src/bridge/core-sockets.ts';
import { commandsDuring } from '../../support/redis-monitor.ts';
import { useTestScope } from '../../support/test-scope.ts';

const scope = useTestScope();

describe('core-facing address claims', () => {
  it('claims the addresses of 20 new devices opened in one turn with one script call, each recorded both ways', async () => {
    const redis = new Redis(scope.server().url);
    scope.onCleanup(async () => redis.disconnect());
    const pool = new CoreSocketPool(redis, () => undefined, { bindHosts: ['127.0.0.3'], portRange: [23_800, 23_899], prefix: 'claims:' });
    scope.onCleanup(() => pool.close());
    await pool.portOf('nobody'); // the recorded addresses read once, before the measured turn
    const names = Array.from({ length: 20 }, (_, i) => `dev-${i}`);
    const commands = await commandsDuring(scope.server().url, scope.redis(), () => Promise.all(names.map((name) => pool.ensure(name))));
    expect(commands.filter((args) => /^eval/i.test(args[0] ?? '')).length).toBe(1);
    for (const name of names) {
      const address = pool.addressOf(name)!;
      expect(await scope.redis().hget('claims:port-of', name)).toBe(`${address.host}:${address.port}`);
      expect(await scope.redis().hget('claims:owner-of', `${address.host}:${address.port}`)).toBe(name);
    }
  });

  it('refuses, writing nothing, an address another process owns, and claims the others of the same call', async () => {
    const redis = scope.redis();
    await redis.hset('c:owner-of', '127.0.0.3:23900', 'elsewhere');
    const claims = new AddressClaims(redis, 'c:owner-of', 'c:port-of');
    const results = await Promise.all([claims.claim('127.0.0.3:23901', 'a'), claims.claim('127.0.0.3:23900', 'b'), claims.claim('127.0.0.3:23902', 'c')]);
    expect(results).toEqual([true, false, true]);
    expect(await redis.hgetall('c:owner-of')).toEqual({ '127.0.0.3:23900': 'elsewhere', '127.0.0.3:23901': 'a', '127.0.0.3:23902': 'c' });
    expect(await redis.hgetall('c:port-of')).toEqual({ a: '127.0.0.3:23901', c: '127.0.0.3:23902' });
  });
});
