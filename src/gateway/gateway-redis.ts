/**
 * The gateway's Redis connections. Configured from one URL (`redis://` or `rediss://` for TLS,
 * with password and database: ioredis reads them all from the URL). Every client has an `error`
 * listener; a lost connection is retried forever with exponential back-off and reported as one
 * log line per retry (never a flood of ioredis errors), and one line when it is back.
 *
 * Commands wait while Redis is down (`maxRetriesPerRequest: null`, offline queue on): a received
 * SMS stays on its modem until the inbox has stored it, and outbound work resumes when Redis
 * returns. Nothing that must answer at once (`Gateway.status()`) sends a Redis command.
 */
import { Redis, ReplyError } from 'ioredis';
import { GatewayError } from '../shared/errors.ts';
import { redactRedisUrl } from '../config/redis-url.ts';
import type { Logger } from '../log/index.ts';

/** Back-off between connection attempts. */
export interface RedisRetryOptions {
  /** Wait before the first retry; doubled on each failure. */
  readonly minDelayMs: number;
  /** Longest wait between retries. */
  readonly maxDelayMs: number;
}

/** Defaults of {@link RedisRetryOptions}. */
export const DEFAULT_REDIS_RETRY: RedisRetryOptions = Object.freeze({ minDelayMs: 500, maxDelayMs: 30_000 });

/** What a client is for: `commands` logs its retries at warn, `consumer` (the blocking XREADGROUP connection) at debug. */
export type RedisRole = 'commands' | 'consumer';

/** The delay before retry number `attempt` (1-based). */
export function redisRetryDelayMs(attempt: number, retry: RedisRetryOptions): number {
  return Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
}

/** Creates a client for `url` with the listeners described in the file comment. It connects at once. */
export function createGatewayRedis(url: string, role: RedisRole, logger: Logger, retry: RedisRetryOptions = DEFAULT_REDIS_RETRY): Redis {
  const log = logger.child({ redis: redactRedisUrl(url), role });
  let lastError: RedisFailure | null = null;
  let attempts = 0;
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    // Commands issued in one tick go out as one pipeline (issue 10: the Redis client was about
    // 40% of the gateway's CPU); never on the blocking consumer, where a pipeline would wait.
    enableAutoPipelining: role === 'commands',
    retryStrategy: (times) => redisRetryDelayMs(times, retry),
  });
  // Every connection failure is an `error` event; the `reconnecting` line below reports it once.
  client.on('error', (error: Error) => {
    lastError = describeRedisFailure(error);
  });
  client.on('reconnecting', (delayMs: number) => {
    attempts += 1;
    const message = lastError?.replied ? 'redis answered with an error, retrying' : 'redis unreachable, retrying';
    log[role === 'commands' ? 'warn' : 'debug']({ attempt: attempts, retryInMs: delayMs, error: lastError?.detail ?? null }, message);
  });
  client.on('ready', () => {
    if (attempts > 0) log.info({ attempts }, 'redis connected again');
    else log.debug('redis connected');
    attempts = 0;
    lastError = null;
  });
  return client;
}

/** Why the last connection attempt failed: `replied` when the server answered (an error reply), not when it could not be reached. */
interface RedisFailure {
  readonly replied: boolean;
  readonly detail: string;
}

/**
 * A connection failure as the retry line reports it. An error reply (the server answered the
 * connection's first commands, e.g. NOAUTH, or something that is not Redis answered) is told
 * apart from a connection that failed, and never reported as an empty text.
 */
function describeRedisFailure(error: Error): RedisFailure {
  if (error instanceof ReplyError) {
    return { replied: true, detail: error.message === '' ? 'an error reply with no text (is a Redis server listening at this address?)' : `error reply: ${error.message}` };
  }
  return { replied: false, detail: error.message === '' ? error.name : error.message };
}

/**
 * Resolves when `client` is ready. Rejects with GW_ERR_START_ABORTED when `signal` aborts first
 * (the caller disconnects the client).
 */
export function waitForRedis(client: Redis, signal?: AbortSignal): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      client.off('ready', onReady);
      signal?.removeEventListener('abort', onAbort);
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onAbort = (): void => {
      cleanup();
      reject(new GatewayError('GW_ERR_START_ABORTED', 'start-up was aborted while waiting for Redis'));
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    client.on('ready', onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
