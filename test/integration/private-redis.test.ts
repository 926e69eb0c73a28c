import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redisCommand, startPrivateRedis } from '../support/private-redis.ts';
import { processAlive } from '../support/process-checks.ts';

describe('private redis-server for tests', () => {
  it('answers PING on its own port, keeps data, and is gone after stop()', async () => {
    const redis = await startPrivateRedis();
    try {
      expect(redis.port).not.toBe(6379);
      expect(await redisCommand(redis.port, 'PING')).toBe('+PONG');
      expect(await redisCommand(redis.port, 'SET smsbridge:probe 42')).toBe('+OK');
      expect(await redisCommand(redis.port, 'GET smsbridge:probe')).toBe('$2');
      // It is a fresh server: only the key written above exists.
      expect(await redisCommand(redis.port, 'DBSIZE')).toBe(':1');
      expect(existsSync(redis.dir)).toBe(true);
      expect(processAlive(redis.pid)).toBe(true);
    } finally {
      await redis.stop();
    }
    expect(processAlive(redis.pid)).toBe(false);
    expect(existsSync(redis.dir)).toBe(false);
    await expect(redisCommand(redis.port, 'PING')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await redis.stop(); // idempotent
  });

  it('runs two servers side by side without sharing data', async () => {
    const [a, b] = await Promise.all([startPrivateRedis(), startPrivateRedis()]);
    try {
      expect(a.port).not.toBe(b.port);
      await redisCommand(a.port, 'SET only-in-a 1');
      expect(await redisCommand(b.port, 'EXISTS only-in-a')).toBe(':0');
      expect(await redisCommand(a.port, 'EXISTS only-in-a')).toBe(':1');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
