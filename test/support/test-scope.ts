/**
 * The set-up most integration files share: one private Redis for the file (started before its
 * first test, stopped after its last) with a client connected to it, and, for files that start
 * gateways and simulators, a list of clean-ups run after each test, in reverse order, even when
 * one fails.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from './private-redis.ts';

/**
 * Safety net for starting the file's Redis (a loaded machine may take seconds to start a
 * process; {@link startPrivateRedis} itself gives up after 10 s per attempt). Never a speed check.
 */
const START_HOOK_TIMEOUT_MS = 30_000;

/** What {@link usePrivateRedis} gives a test file. */
export interface PrivateRedisScope {
  /** The file's private Redis server. Throws when called before `beforeAll` has run. */
  server(): PrivateRedis;
  /** A client connected to it, shared by the file's tests. Throws when called before `beforeAll`. */
  redis(): Redis;
  /** A new client of its own, disconnected after the current test (a second process's connection, a MONITOR). */
  client(): Redis;
}

/** Options of {@link usePrivateRedis}. */
export interface UsePrivateRedisOptions {
  /**
   * FLUSHALL through {@link PrivateRedisScope.redis} before each test, so every test starts on an
   * empty server. Default true; false leaves emptying to the file (e.g. after each test).
   */
  readonly flushBeforeEach?: boolean;
}

/**
 * Registers the hooks of one private Redis for a test file: `beforeAll` starts the server and
 * connects a client, `afterAll` disconnects the client and stops the server (its directory
 * removed), and, unless `flushBeforeEach` is false, `beforeEach` empties it. Call once at the top
 * level of a test file (or of its fixture module); the accessors work inside tests and hooks.
 */
export function usePrivateRedis(options: UsePrivateRedisOptions = {}): PrivateRedisScope {
  let server: PrivateRedis | null = null;
  let client: Redis | null = null;
  const ownClients: Redis[] = [];
  beforeAll(async () => {
    server = await startPrivateRedis();
    client = new Redis(server.url);
  }, START_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  const scope: PrivateRedisScope = {
    server: () => {
      if (server === null) throw new Error('the private Redis starts in beforeAll');
      return server;
    },
    redis: () => {
      if (client === null) throw new Error('the private Redis starts in beforeAll');
      return client;
    },
    client: () => {
      const own = new Redis(scope.server().url);
      ownClients.push(own);
      return own;
    },
  };
  afterEach(() => {
    for (const own of ownClients.splice(0)) own.disconnect();
  });
  if (options.flushBeforeEach ?? true) beforeEach(async () => void (await scope.redis().flushall()));
  return scope;
}

/** What {@link useTestScope} gives a test file. */
export interface TestScope extends PrivateRedisScope {
  /** Runs `cleanup` after the current test. */
  onCleanup(cleanup: () => Promise<unknown>): void;
}

/**
 * {@link usePrivateRedis} (emptied after each test rather than before) plus per-test clean-ups:
 * after each test the clean-ups run in reverse order of registration (one failing does not stop
 * the others), then the server is emptied. Call once at the top level of a test file (or in its
 * fixture module).
 */
export function useTestScope(): TestScope {
  const cleanups: (() => Promise<unknown>)[] = [];
  const redis = usePrivateRedis({ flushBeforeEach: false });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await redis.redis().flushall();
  });
  return {
    ...redis,
    onCleanup: (cleanup) => void cleanups.push(cleanup),
  };
}
