/**
 * `smsbridge wakeup <endpoint>`: asks for a device to be woken by trigger SMS (see
 * docs/wakeup.md and docs/admin.md). Two ways:
 *
 * - through the running gateway's admin API (the usual way; `--url`, the token from
 *   SMSBRIDGE_TOKEN or `--token-file`, `--json`, `--wait` for the outcome): 404 for a device the
 *   gateway does not know, 503 while its Redis is away. See {@link wakeupOverApi}.
 * - with `--config <file>`, directly in the configured Redis, for a gateway whose admin API is
 *   off: adds the device's wake-up job to the BullMQ queue (the running gateway works it; one job
 *   per device however often it is asked) and prints one JSON object
 *   `{"endpoint":…,"jobId":…,"state":…}`. The device is not checked. `--timeout-sec` bounds the
 *   wait for Redis (default 10 s) before GW_ERR_WAKEUP_REDIS.
 */
import type { Command } from 'commander';
import { GatewayError } from '../shared/errors.ts';
import { withApiOptions, wakeupOverApi, type ApiCliOptions } from './api-commands.ts';
import type { CliIo } from './io.ts';

/** How long the direct mode waits for Redis before it fails with GW_ERR_WAKEUP_REDIS, unless `--timeout-sec` says. */
const REDIS_WAIT_MS = 10_000;

interface WakeupCliOptions extends ApiCliOptions {
  config?: string;
  wait?: boolean;
}

/** Adds `smsbridge wakeup` to `program`. */
export function addWakeupCommand(program: Command, io: CliIo): void {
  withApiOptions(program
    .command('wakeup')
    .description('ask a running gateway to wake a device by trigger SMS (admin API, or Redis directly with --config); prints the job id and state')
    .argument('<endpoint>', 'the device\'s endpoint name'))
    .option('--wait', 'wait for the wake-up\'s outcome and print it; exit 1 unless the device woke or was awake (admin API only)')
    .option('--config <file>', 'add the job directly in the Redis of this gateway configuration, without the admin API (--timeout-sec is then the wait for Redis, default: 10)')
    .action(async (endpoint: string, options: WakeupCliOptions) => {
      if (options.config === undefined) {
        await wakeupOverApi(io, endpoint, options);
        return;
      }
      if (options.wait === true) {
        const { optionError } = await import('./options.ts');
        throw optionError('--wait', '--wait needs the admin API; it cannot be used with --config');
      }
      await wakeupDirect(io, endpoint, options.config, options.timeoutSec);
    });
}

/** The `--config` mode: the job added in Redis directly, waiting for Redis `timeoutSec` (the option's text) at most. */
async function wakeupDirect(io: CliIo, endpoint: string, configPath: string, timeoutSec: string | undefined): Promise<void> {
  const { parseIntegerOption } = await import('./options.ts');
  const waitMs = timeoutSec === undefined ? REDIS_WAIT_MS : parseIntegerOption(timeoutSec, '--timeout-sec', { min: 1, max: 3600 }) * 1000;
  const { loadConfigFile } = await import('../config/index.ts');
  const { toGatewayConfig } = await import('../gateway/config-to-gateway.ts');
  const { addWakeupJob, bullConnection, wakeupQueue } = await import('../queue/wakeup-jobs.ts');
  const { redactRedisUrl } = await import('../config/index.ts');
  const config = toGatewayConfig(await loadConfigFile(configPath, io.env ?? {}));
  const connection = bullConnection(config.redisUrl);
  // The timeout below reports the last connection error's code (ECONNREFUSED, ENOTFOUND, …), else
  // the first line of its message. An error that names nothing (no code, an empty message: e.g. an
  // empty error reply) leaves the cause as it was, so the message never ends in an empty "()".
  let cause: string | null = null;
  connection.on('error', (error: Error & { code?: unknown }) => {
    const named = typeof error.code === 'string' && error.code !== '' ? error.code : (error.message.split('\n')[0] ?? '').trim().slice(0, 200);
    if (named !== '') cause = named;
  });
  const queue = wakeupQueue(connection, config.redisPrefix);
  queue.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const url = redactRedisUrl(config.redisUrl);
        const because = cause === null ? '' : ` (${cause})`;
        reject(new GatewayError(
          'GW_ERR_WAKEUP_REDIS',
          `Redis at ${url} (redis.url in ${configPath}) did not answer within ${waitMs} ms${because}; no job was added`,
          { url, key: 'redis.url', file: configPath, cause },
        ));
      }, waitMs);
    });
    io.json(await Promise.race([addWakeupJob(queue, endpoint, 'cli', Date.now()), timedOut]));
  } finally {
    clearTimeout(timer);
    // The connection goes first, and the queue's start-up (BullMQ's ready wait and version check
    // on it) is let settle while the queue still listens: closed before that, BullMQ drops its
    // listeners (the connection is ours, shared) and re-emits the start-up's failure to nobody,
    // an unhandled rejection (seen with a Redis that answers errors).
    connection.disconnect();
    const { settleWithin } = await import('../gateway/settle-within.ts');
    await settleWithin(queue.waitUntilReady(), 1000);
    await settleWithin(queue.close(), 1000);
  }
}
