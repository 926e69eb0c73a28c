/**
 * The set-up most integration files share: one private Redis for the file (flushed after each
 * test) and a list of clean-ups run after each test, in reverse order, even when one fails.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from './private-redis.ts';

/** What {@link useTestScope} gives a test file. */
export interface TestScope {
  /** The file's private Redis server (after `beforeAll`). */
  server(): PrivateRedis;
  /** A client connected to it (after `beforeAll`). */
  redis(): Redis;
  /** Runs `cleanup` after the current test. */
  onCleanup(cleanup: () => Promise<unknown>): void;
}

/** Registers the hooks; call once at the top level of a test file (or in its fixture module). */
export function useTestScope(): TestScope {
  const cleanups: (() => Promise<unknown>)[] = [];
  let server: PrivateRedis | null = null;
  let client: Redis | null = null;
  beforeAll(async () => {
    server = await startPrivateRedis();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await client?.flushall();
  });
  return {
    server: () => {
      if (server === null) throw new Error('the private Redis starts in beforeAll');
      return server;
    },
    redis: () => {
      if (client === null) throw new Error('the private Redis starts in beforeAll');
      return client;
    },
    onCleanup: (cleanup) => void cleanups.push(cleanup),
  };
}
