/**
 * `smsbridge wakeup --config <file> <endpoint>`: asks for a device to be woken by trigger SMS.
 * Adds the device's wake-up job to the BullMQ queue in the configured Redis directly (the
 * running gateway works it; one job per device however often it is asked) and prints one JSON
 * object: `{"endpoint":…,"jobId":…,"state":…}`. See docs/wakeup.md.
 */
import type { Command } from 'commander';
import { GatewayError } from '../shared/errors.ts';
import type { CliIo } from './io.ts';

/** How long the command waits for Redis before it fails with GW_ERR_WAKEUP_REDIS. */
const REDIS_WAIT_MS = 10_000;

/** Adds `smsbridge wakeup` to `program`. */
export function addWakeupCommand(program: Command, io: CliIo): void {
  program
    .command('wakeup')
    .description('ask for a device to be woken by trigger SMS (the running gateway sends them); prints the job id and state')
    .requiredOption('--config <file>', 'the gateway\'s configuration file (its Redis)')
    .argument('<endpoint>', 'the device\'s endpoint name')
    .action(async (endpoint: string, options: { config: string }) => {
      const { loadConfigFile } = await import('../config/index.ts');
      const { toGatewayConfig } = await import('../gateway/config-to-gateway.ts');
      const { addWakeupJob, bullConnection, wakeupQueue } = await import('../queue/wakeup-jobs.ts');
      const config = toGatewayConfig(await loadConfigFile(options.config, io.env ?? {}));
      const connection = bullConnection(config.redisUrl);
      connection.on('error', () => undefined); // the timeout below reports it
      const queue = wakeupQueue(connection, config.redisPrefix);
      queue.on('error', () => undefined);
      let timer: NodeJS.Timeout | undefined;
      try {
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new GatewayError('GW_ERR_WAKEUP_REDIS', `Redis did not answer within ${REDIS_WAIT_MS} ms`)), REDIS_WAIT_MS);
        });
        io.json(await Promise.race([addWakeupJob(queue, endpoint, 'cli', Date.now()), timedOut]));
      } finally {
        clearTimeout(timer);
        await Promise.race([queue.close(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).catch(() => undefined);
        connection.disconnect();
      }
    });
}
