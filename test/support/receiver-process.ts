/**
 * A receiving gateway in its own process, for crash tests: a modem driver on `<link>` that
 * persists into the Redis inbox at `<redis url>`. Between reading an SMS and persisting it, and
 * between persisting and returning (after which the driver deletes it), it waits the given times
 * and prints a JSON line, so a test can kill it (SIGKILL) at exactly those moments. Once ready it
 * sweeps once more and prints `swept`.
 *
 *   tsx test/support/receiver-process.ts <link> <redis url> <before persist ms> <after persist ms> [<sweep interval ms, default 500>] [<route: auto | stored-batch>] [<wait before: all | stored>] [<back-to-back gap ms>]
 *
 * `stored-batch` forces the stored route read in batches (`receiveRoute: stored`, `storedRead:
 * batch`); `auto` (the default) is the default configuration (the adaptive route). `stored`
 * waits before persisting only for SMS read from storage (a `+CMT` is persisted at once). A
 * back-to-back gap makes what counts as a burst independent of the machine's speed.
 */
import { Redis } from 'ioredis';
import { RedisInbox } from '../../src/inbox/redis-inbox.ts';
import { ModemDriver } from '../../src/modem/modem-driver.ts';
import { MODEM_CONFIG_DEFAULTS } from '../../src/modem/modem-types.ts';
import { defaultProfilesDir, loadProfiles } from '../../src/modem/profile-loader.ts';
import { RECEIVE_ROUTE_THRESHOLDS } from '../../src/modem/receive-route-states.ts';

const [link = '', redisUrl = '', beforeMs = '0', afterMs = '0', sweepMs = '500', route = 'auto', waitBefore = 'all', gapMs = ''] = process.argv.slice(2);
const storedBatch = route === 'stored-batch';
const say = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const redis = new Redis(redisUrl);
const inbox = new RedisInbox(redis);
const driver = new ModemDriver(
  {
    ...MODEM_CONFIG_DEFAULTS, name: 'crashy', path: link, sweepIntervalMs: Number(sweepMs), registrationWaitMs: 1000, presenceCheckIntervalMs: 200,
    ...(storedBatch ? { receiveRoute: 'stored' as const, storedRead: 'batch' as const } : {}),
  },
  {
    profiles: loadProfiles(defaultProfilesDir()),
    ...(gapMs === '' ? {} : { receiveRouteThresholds: { ...RECEIVE_ROUTE_THRESHOLDS, backToBackGapMs: Number(gapMs) } }),
    persist: async (pdu) => {
      say({ event: 'read', index: pdu.index, via: pdu.via });
      if (waitBefore === 'all' || pdu.via !== 'cmt') await sleep(Number(beforeMs));
      const outcome = await inbox.accept(pdu);
      say({ event: 'persisted', outcome });
      await sleep(Number(afterMs));
    },
  },
);
driver.on('state', (state) => {
  say({ event: 'state', state });
  // A sweep queued behind the start-up one: `swept` says both are done.
  if (state === 'ready') void driver.sweep().then((found) => say({ event: 'swept', found }), () => undefined);
});
driver.start();
process.on('SIGTERM', () => void driver.stop().then(() => process.exit(0)));
