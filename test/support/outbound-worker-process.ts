/**
 * An outbound SMS worker in its own process, for crash tests: a modem driver on `<link>`, its
 * pool, and the BullMQ worker of the outbound queue at `<redis url>` / `<prefix>`, with a short
 * lock so that a test can kill it (SIGKILL) while it sends and see the job found stalled soon.
 * Prints one JSON line per driver state and per outcome.
 *
 *   tsx test/support/outbound-worker-process.ts <link> <redis url> <prefix> <lock ms>
 */
import { Redis } from 'ioredis';
import { PoolSmsSender } from '../../src/bridge/pool-sms-sender.ts';
import { ModemDriver } from '../../src/modem/modem-driver.ts';
import { ModemPool } from '../../src/modem/modem-pool.ts';
import { MODEM_CONFIG_DEFAULTS } from '../../src/modem/modem-types.ts';
import { defaultProfilesDir, loadProfiles } from '../../src/modem/profile-loader.ts';
import { OUTBOUND_SMS_DEFAULTS } from '../../src/queue/outbound-sms-settings.ts';
import { OutboundSmsWorker } from '../../src/queue/outbound-sms-worker.ts';

const [link = '', redisUrl = '', prefix = 'smsbridge:', lockMs = '1000'] = process.argv.slice(2);
const say = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

const redis = new Redis(redisUrl);
const driver = new ModemDriver(
  { ...MODEM_CONFIG_DEFAULTS, name: 'crashy', path: link, sweepIntervalMs: 60_000, registrationWaitMs: 1000, presenceCheckIntervalMs: 200 },
  { profiles: loadProfiles(defaultProfilesDir()), persist: async () => undefined }, // received SMS are not this test's subject
);
const pool = new ModemPool([{ driver, groups: [], maxPartsPerSec: 0 }]);
const worker = new OutboundSmsWorker({
  redisUrl, redisPrefix: prefix, settings: OUTBOUND_SMS_DEFAULTS, sender: new PoolSmsSender(pool, redis, `${prefix}concat-ref:`),
  autorun: false, lockDurationMs: Number(lockMs), stalledIntervalMs: Number(lockMs),
});
worker.on('outcome', (outcome) => say({ event: 'outcome', ...outcome }));
driver.on('state', (state) => {
  say({ event: 'state', state });
  if (state === 'ready') worker.start();
});
pool.start();
process.on('SIGTERM', () => void worker.close().then(() => driver.stop()).then(() => process.exit(0)));
