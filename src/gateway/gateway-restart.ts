/**
 * What a gateway start takes back from Redis after a restart (or after a killed process): every
 * registration into the mirror, every registered device's core-facing socket on its recorded
 * address, today's SMS spend for the admin snapshot, and the requests held for devices that
 * could not be reached. One device whose socket cannot be bound never fails the start: it is
 * reported (`unbound`) and retried by housekeeping (see core-sockets.ts). Once started, the
 * source-index keys of earlier releases are removed from Redis, once (legacy-index-keys.ts).
 */
import type { CoreSocketPool, RestoreReport } from '../bridge/core-sockets.ts';
import type { Relay } from '../bridge/relay.ts';
import type { SmsBudget } from '../bridge/sms-budget.ts';
import type { RegistrationMirror } from '../lwm2m/registration-mirror.ts';
import type { Logger } from '../log/index.ts';
import type { PhaseClock } from './start-phases.ts';

/** What {@link resumeAfterRestart} works on. */
export interface RestartParts {
  readonly mirror: RegistrationMirror;
  readonly sockets: CoreSocketPool;
  readonly budget: SmsBudget;
  readonly held: Relay['held'];
  readonly logger: Logger;
  /** Marks `registrations read`, `sockets bound`, `held requests resumed`. */
  readonly clock: PhaseClock;
  /**
   * Removes the source-index keys of earlier releases (once: later calls cost one EXISTS);
   * resolves with how many. Sends no further command once `signal` has aborted.
   */
  readonly removeLegacyIndexKeys: (signal: AbortSignal) => Promise<number>;
  /**
   * Aborted when the gateway stops: the removal of the legacy index keys sends no further
   * command, and its failure is then the stop's doing (its connection closed), logged at debug.
   */
  readonly stopSignal: AbortSignal;
}

/**
 * Loads the registrations, binds their sockets (see `CoreSocketPool.restore`) and resumes held
 * requests (expired ones get 5.04; when Redis fails here it is logged and retried every second).
 * `afterStart()`, called once the start is done, reads back today's SMS spend on the next turn
 * of the event loop (not awaited: the budget is checked in Redis, the figures are for the
 * admin snapshot only), then removes the legacy index keys (not awaited either; the next start
 * tries again after a failure; a stop ends the removal, it does not wait for it). A failure of
 * either is logged as a warning, or at debug when `stopSignal` has aborted (the stop closed the
 * connection under it). Rejects only when the
 * registrations or the recorded addresses cannot be read (Redis away): the start fails then.
 * Resolves with the socket restore's report and `afterStart`.
 */
export async function resumeAfterRestart(parts: RestartParts): Promise<{ readonly restored: RestoreReport; readonly afterStart: () => void }> {
  const { mirror, sockets, budget, held, logger, clock, removeLegacyIndexKeys, stopSignal } = parts;
  // The recorded addresses are read while the registrations are (one connection: Redis answers
  // one while this process parses the other); a failure surfaces in restore, which reads again.
  sockets.readRecords().catch(() => undefined);
  const registered = await mirror.load();
  clock.mark('registrations read');
  const endpoints: string[] = new Array<string>(registered.length);
  for (let i = 0; i < registered.length; i += 1) endpoints[i] = registered[i]!.endpoint;
  const restored = await sockets.restore(endpoints);
  clock.mark('sockets bound');
  await held.resume().then((resumed) => logger.info(resumed, 'held requests resumed'), (error: unknown) => logger.warn({ err: error }, 'held requests not resumed yet (retried every second)'));
  clock.mark('held requests resumed');
  // Once start has resolved: its one MGET of every device's key (and building those keys) would
  // delay the held requests' and the inbox consumer's commands; nothing waits for these figures.
  const failed = (error: unknown, whenStopped: string, otherwise: string): void => (stopSignal.aborted
    ? logger.debug({ err: error }, whenStopped)
    : logger.warn({ err: error }, otherwise));
  const recallSpend = (): void => void budget.recall(registered).catch((error: unknown) => failed(error,
    'SMS spend of today not read back: ended by the stop',
    'SMS spend of today not read back (shown from the next SMS on)'));
  const removeLegacy = (): void => void removeLegacyIndexKeys(stopSignal).then(
    (removed) => removed > 0 && logger.info({ removed }, 'removed the source-index keys of earlier releases from Redis (nothing reads them)'),
    (error: unknown) => failed(error,
      'removal of the source-index keys of earlier releases ended by the stop (tried again at the next start)',
      'source-index keys of earlier releases not removed (tried again at the next start)'),
  );
  return { restored, afterStart: () => void setImmediate(() => { recallSpend(); removeLegacy(); }) };
}
