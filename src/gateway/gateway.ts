/**
 * The gateway assembled: modems and their pool, the inbox, the registration mirror, the relay
 * with its sockets, and housekeeping. Built from a {@link GatewayConfig}; the composition root
 * (main.ts, the demo) owns the process.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AdmissionPolicy } from '../bridge/admission-policy.ts';
import { DeviceUdpEndpoint } from '../bridge/device-udp.ts';
import { CoreSocketPool } from '../bridge/core-sockets.ts';
import { DeviceGroups } from '../bridge/device-groups.ts';
import { InboxRelay } from '../bridge/inbox-relay.ts';
import { RedisSmsExchangeStore } from '../bridge/sms-exchange-store.ts';
import { FLOOD_LIMIT_DEFAULTS, SourceRateLimiter } from '../bridge/source-rate-limiter.ts';
import { heldRequestLimits } from '../bridge/held-requests.ts';
import { PoolSmsSender } from '../bridge/pool-sms-sender.ts';
import { RedisHeldRequestStore } from '../bridge/redis-held-request-store.ts';
import { Relay } from '../bridge/relay.ts';
import { SenderPolicy } from '../bridge/sender-policy.ts';
import { SmsBudget } from '../bridge/sms-budget.ts';
import { SmsOperationCounters } from '../bridge/sms-operations.ts';
import { RedisInbox } from '../inbox/redis-inbox.ts';
import type { WakeupRequestResult } from '../queue/wakeup-jobs.ts';
import { WakeupService } from '../queue/wakeup-service.ts';
import { OUTBOUND_SMS_DEFAULTS } from '../queue/outbound-sms-settings.ts';
import { OutboundSmsQueue } from '../queue/outbound-sms-queue.ts';
import { OutboundSmsWorker } from '../queue/outbound-sms-worker.ts';
import { removeLegacyIndexKeys } from '../lwm2m/legacy-index-keys.ts';
import { ActivityNotPersistedError } from '../lwm2m/registration-writer.ts';
import { RedisRegistrationStore } from '../lwm2m/redis-registration-store.ts';
import { Presence } from '../lwm2m/presence.ts';
import { RegistrationMirror } from '../lwm2m/registration-mirror.ts';
import { DeliveryReportMatcher } from '../modem/delivery-reports.ts';
import { ModemDriver } from '../modem/modem-driver.ts';
import { ModemPool } from '../modem/modem-pool.ts';
import { defaultProfilesDir, loadProfiles } from '../modem/profile-loader.ts';
import { redisPinGuard } from '../modem/redis-pin-guard.ts';
import { redactRedisUrl } from '../config/redis-url.ts';
import { silentLogger, type Logger } from '../log/index.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { GatewayLogging } from './gateway-logging.ts';
import { createGatewayRedis, DEFAULT_REDIS_RETRY, waitForRedis } from './gateway-redis.ts';
import { resolveCore, totalRegistrations } from './gateway-derived.ts';
import { resumeAfterRestart } from './gateway-restart.ts';
import type { GatewayStartOptions, GatewayStatus, GatewayStopOptions, GatewayStopResult } from './gateway-types.ts';
import { settleWithin } from './settle-within.ts';
import { PhaseClock, type StartPhasesMs } from './start-phases.ts';

export type { GatewayStartOptions, GatewayStatus, GatewayStopOptions, GatewayStopResult } from './gateway-types.ts';
export type { StartPhasesMs } from './start-phases.ts';

/** Part of the stop bound kept for closing ports and sockets after the graceful steps. */
const RELEASE_SHARE = 0.2;

/** A running gateway. `stop()` releases everything it started (not the Redis server). */
export class Gateway {
  private timer: NodeJS.Timeout | null = null;
  private stopping: Promise<GatewayStopResult> | null = null;
  /** The housekeeping run in progress (runs are chained, never concurrent). */
  private maintenance: Promise<void> | null = null;
  /** Wall time of each phase of `start` (ms): where a restart's time went (also in the "gateway started" log line). */
  startPhasesMs: StartPhasesMs = {};

  private constructor(
    readonly config: GatewayConfig,
    readonly pool: ModemPool,
    readonly mirror: RegistrationMirror,
    readonly relay: Relay,
    readonly inbox: RedisInbox,
    private readonly sockets: CoreSocketPool,
    private readonly udp: DeviceUdpEndpoint,
    private readonly inboxRelay: InboxRelay,
    private readonly sms: PoolSmsSender,
    private readonly redis: Redis,
    private readonly blockingRedis: Redis,
    private readonly logging: GatewayLogging,
    private readonly logger: Logger,
    /** Wake-up jobs (trigger SMS) on BullMQ; see docs/wakeup.md. */
    readonly wakeups: WakeupService,
    /** SMS spend: the daily budget and the counts per operation kind (docs/wakeup.md). */
    readonly spend: { readonly budget: SmsBudget; readonly operations: SmsOperationCounters },
    /** The outbound SMS queue every SMS goes through (`counts()` for the admin API); see docs/wakeup.md. */
    readonly outbound: OutboundSmsQueue,
    private readonly outboundWorker: OutboundSmsWorker,
    /** Aborted first thing at stop: ends the work started after start (gateway-restart.ts). */
    private readonly afterStartWork: AbortController,
  ) {}

  /**
   * Starts everything; resolves when sockets are bound and modems are starting. While Redis is
   * unreachable it retries with back-off (one log line a retry) until `options.signal` aborts.
   */
  static async start(config: GatewayConfig, options: GatewayStartOptions = {}): Promise<Gateway> {
    const logger = options.logger ?? silentLogger();
    const clock = new PhaseClock();
    const retry = options.redisRetry ?? DEFAULT_REDIS_RETRY;
    logger.info({ redis: redactRedisUrl(config.redisUrl) }, 'connecting to redis');
    const redis = createGatewayRedis(config.redisUrl, 'commands', logger, retry);
    const blockingRedis = createGatewayRedis(config.redisUrl, 'consumer', logger, retry);
    // What assemble() opened before a step failed (queues, sockets), closed again: a failed start leaves nothing running.
    const opened: (() => Promise<unknown>)[] = [];
    try {
      await waitForRedis(redis, options.signal);
      await waitForRedis(blockingRedis, options.signal);
      clock.mark('redis connected');
      return await Gateway.assemble(config, options, logger, redis, blockingRedis, opened, clock);
    } catch (error) {
      await settleWithin((async () => { for (const close of opened.reverse()) await close().catch(() => undefined); })(), 5000);
      redis.disconnect();
      blockingRedis.disconnect();
      throw error;
    }
  }

  /**
   * The core as the relay matches and addresses it. A host name is resolved now; when that fails
   * the gateway still starts (DNS may come up after it at boot), logs why, and resolves again
   * from housekeeping and whenever the core's datagrams do not match.
   */
  private static async assemble(config: GatewayConfig, options: GatewayStartOptions, logger: Logger, redis: Redis, blockingRedis: Redis, opened: (() => Promise<unknown>)[], clock: PhaseClock): Promise<Gateway> {
    const prefix = config.redisPrefix;
    const inbox = new RedisInbox(redis, { prefix: `${prefix}inbox:`, reassemblyTimeoutSec: config.reassemblyTimeoutSec });
    const limits = config.registrationLimits ?? {};
    const mirror = new RegistrationMirror(new RedisRegistrationStore(redis, `${prefix}reg:`), {
      presence: new Presence({ awakeWindowMs: config.awakeWindowMs }),
      admission: new AdmissionPolicy({ ...config.udpAdmission, maxRegistrations: totalRegistrations(config) }), ...limits,
    });
    const profiles = loadProfiles(config.profilesDir ?? defaultProfilesDir());
    const matcher = new DeliveryReportMatcher();
    const pool = new ModemPool(
      config.modems.map((modem) => ({
        driver: new ModemDriver(modem, {
          profiles, matcher, pinGuard: redisPinGuard(redis, modem.name, prefix), persist: async (pdu) => {
            // TS 23.040 §9.2.3.9: a Short Message Type 0 is acknowledged and discarded, not relayed.
            if ((await inbox.accept(pdu)) === 'type0') logger.debug({ modem: modem.name }, 'discarded a short message type 0 (TP-PID 0x40)');
          },
        }),
        groups: modem.groups,
        maxPartsPerSec: modem.maxPartsPerSec,
      })),
      { routes: config.routes },
    );
    // Every SMS is a job of the outbound queue, worked by the pool (one message per modem at a time).
    const outboundSettings = { ...OUTBOUND_SMS_DEFAULTS, ...config.outboundSms };
    const sms = new PoolSmsSender(pool, redis, `${prefix}concat-ref:`, outboundSettings.modemComebackWaitMs);
    const outbound = new OutboundSmsQueue({ redisUrl: config.redisUrl, redisPrefix: prefix, settings: outboundSettings });
    opened.push(() => outbound.close());
    const outboundWorker = new OutboundSmsWorker({
      redisUrl: config.redisUrl, redisPrefix: prefix, settings: outboundSettings, sender: sms, local: outbound, concurrency: config.modems.length, autorun: false,
    });
    opened.push(() => outboundWorker.close());
    // Working starts with the first modem ready: SMS queued before a restart are sent, not failed for want of a modem.
    for (const driver of pool.drivers) driver.on('state', (state) => (state === 'ready' || state === 'degraded') && outboundWorker.start());
    outboundWorker.on('outcome', (o) => o.result !== 'sent' && logger.warn({ ...o }, `outbound SMS ${o.result}`));
    const queueTrouble = ({ detail }: { readonly detail: string }): void => logger.warn({ detail }, 'outbound SMS queue: redis trouble');
    outbound.on('problem', queueTrouble);
    outboundWorker.on('problem', queueTrouble);
    await outbound.ready();
    clock.mark('outbound queue ready');
    let relay: Relay | null = null;
    // The relay never rejects; a rejection here would be a defect, logged rather than lost.
    const settle = (pending: Promise<void> | undefined): void => void pending?.catch((error: unknown) => logger.error({ err: error }, 'relay entry point failed'));
    const sockets = new CoreSocketPool(redis, (endpoint, bytes, from) => settle(relay?.fromCore(endpoint, bytes, from)), {
      ...config.coreSockets, prefix: `${prefix}sockets:`,
    });
    opened.push(() => sockets.close());
    const udp = await DeviceUdpEndpoint.bind(config.udpListen.host, config.udpListen.port, (bytes, from) => settle(relay?.fromUdp(bytes, from)));
    opened.push(() => udp.close());
    const core = await resolveCore(config, logger);
    clock.mark('device socket bound, core resolved');
    const deviceGroups = new DeviceGroups(config.deviceGroups ?? [], config.modems.map((modem) => modem.name));
    const senderPolicy = new SenderPolicy(config.senderPolicy);
    const spend = { budget: new SmsBudget(redis, deviceGroups, config.smsBudget ?? {}, prefix), operations: new SmsOperationCounters() };
    mirror.on('forgotten', (endpoint) => spend.budget.forget(endpoint));
    const wakeups = new WakeupService({
      redisUrl: config.redisUrl, redisPrefix: prefix, redis, config: config.wakeup ?? {}, record: (endpoint) => mirror.get(endpoint),
      groups: deviceGroups, senders: senderPolicy, presence: mirror.presence, budget: spend.budget, operations: spend.operations,
      sms: { send: (msisdn, payload, via, ports, options) => outbound.sender('trigger').sendMessage(msisdn, payload, via, ports, options) },
    });
    opened.push(() => wakeups.close());
    // Heard: a waiting wake-up job is checked at once (it completes), not at the end of its back-off.
    for (const event of ['registered', 'updated'] as const) mirror.on(event, (record) => wakeups.heard(record.endpoint));
    // Trigger delivery diagnosis, and the Bootstrap-Request Trigger after failed Registers (docs/wakeup.md).
    for (const driver of pool.drivers) driver.on('delivery-report', (report) => void wakeups.deliveryReport(report));
    mirror.on('refused', (record, why) => wakeups.registrationFailed(record, why));
    mirror.on('registered', (record) => wakeups.registered(record.endpoint));
    const flood = { ...FLOOD_LIMIT_DEFAULTS, ...config.floodLimits };
    relay = new Relay(mirror, sockets, outbound.sender('relay'), udp, {
      udpRateLimiter: new SourceRateLimiter({ ratePerSec: flood.udpDatagramsPerSecPerSource, burst: flood.udpBurstPerSource }, 'floodLimits.udpDatagramsPerSecPerSource'),
      core, ...(limits.maxLifetimeSec === undefined ? {} : { maxLifetimeSec: limits.maxLifetimeSec }),
      deviceGroups, heldRequests: { ...config.heldRequests, store: new RedisHeldRequestStore(redis, heldRequestLimits(config.heldRequests), `${prefix}held:`) },
      smsBudget: spend.budget, smsOperations: spend.operations, smsExchanges: new RedisSmsExchangeStore(redis, `${prefix}sms-exchange:`),
      wakeups: { requestWakeup: (endpoint) => void wakeups.request(endpoint, 'held-request').catch((error: unknown) => logger.child({ device: endpoint }).warn({ err: error }, 'wake-up not requested')) },
      triggerAnswers: { take: (endpoint, message) => wakeups.takeTriggerAnswer(endpoint, message) },
    });
    // A lapsed, de-registered or refused registration gives its core-facing port back.
    mirror.on('forgotten', (endpoint) => void sockets.release(endpoint).catch((error: unknown) => logger.child({ device: endpoint }).warn({ err: error }, 'core-facing port not released')));
    const inboxRelay = new InboxRelay(blockingRedis, relay, senderPolicy, {
      streamKey: inbox.messagesKey, rateLimiter: new SourceRateLimiter({ ratePerSec: flood.smsPerSecPerMsisdn, burst: flood.smsBurstPerMsisdn }, 'floodLimits.smsPerSecPerMsisdn'),
    });
    const logging = new GatewayLogging({ relay, mirror, inbox: inboxRelay, modems: pool.drivers, sockets, wakeups }, logger);
    if (options.atTrace !== undefined) for (const name of options.atTrace === 'all' ? ['all'] : options.atTrace) logging.setAtTrace(name, true);
    // A restart binds every registered device's socket on its recorded address again, in
    // parallel; one that cannot be bound is reported and retried by maintain(), never fatal.
    clock.mark('relay assembled');
    const afterStartWork = new AbortController();
    const resumed = await resumeAfterRestart({
      mirror, sockets, budget: spend.budget, held: relay.held, logger, clock, stopSignal: afterStartWork.signal,
      removeLegacyIndexKeys: (signal) => removeLegacyIndexKeys(redis, `${prefix}reg:`, Date.now(), signal),
    });
    await inboxRelay.start();
    opened.push(() => inboxRelay.stop());
    pool.start();
    clock.mark('inbox consumer started');
    const gateway = new Gateway(config, pool, mirror, relay, inbox, sockets, udp, inboxRelay, sms, redis, blockingRedis, logging, logger, wakeups, spend, outbound, outboundWorker, afterStartWork);
    gateway.startPhasesMs = clock.phasesMs;
    logger.info({ udp: udp.address, core: config.core, modems: config.modems.map((m) => m.name), startPhasesMs: gateway.startPhasesMs }, 'gateway started');
    gateway.timer = setInterval(() => gateway.maintainOnTimer(), config.maintenanceIntervalMs);
    resumed.afterStart();
    return gateway;
  }

  /**
   * Asks for `endpoint` to be woken by trigger SMS (the admin API calls this): one job per device
   * however often it is asked; answers the job id and its state. Rejects when Redis does.
   */
  wakeup(endpoint: string): Promise<WakeupRequestResult> {
    return this.wakeups.request(endpoint, 'admin');
  }

  /** Whether `endpoint` is in the registration mirror (from memory; for the admin API). */
  hasDevice(endpoint: string): boolean {
    return this.mirror.get(endpoint) !== undefined;
  }

  /** Every BullMQ queue of the gateway, for queue counts and the queue board (admin API). One line per queue. */
  get queues(): readonly Queue[] {
    return [
      this.wakeups.bullQueue,
      this.outbound.queue,
    ];
  }

  /** The device-facing UDP address actually bound. */
  get udpAddress(): { host: string; port: number } {
    return this.udp.address;
  }

  /** Event sources for logs: the relay, the mirror, the inbox consumer and each modem driver. */
  get events(): { relay: Relay; mirror: RegistrationMirror; inbox: InboxRelay; modems: readonly ModemDriver[]; sockets: CoreSocketPool } {
    return { relay: this.relay, mirror: this.mirror, inbox: this.inboxRelay, modems: this.pool.drivers, sockets: this.sockets };
  }

  /**
   * Switches the AT trace of modem `modem` (or `all`) on or off; trace lines are logged at info
   * with PINs and passwords redacted. Throws GW_ERR_CONFIG for an unknown modem name.
   */
  setAtTrace(modem: string, on: boolean): void {
    this.logging.setAtTrace(modem, on);
  }

  /** Modems whose AT trace is on now. */
  get atTraced(): readonly string[] {
    return this.logging.atTraced;
  }

  /**
   * Sends one SMS (8-bit data or text) to `to` (E.164 with `+`) through the outbound queue as
   * bulk (after relay answers and triggers), routed and counted like the relay's SMS (for the
   * admin API). Rejects with the send's typed error.
   */
  sendSms(to: string, payload: { readonly data: Uint8Array } | { readonly text: string }): Promise<{ messageId: string; modem: string; parts: number }> {
    return this.outbound.sender('bulk').sendMessage(to.replace(/^\+/, ''), payload);
  }

  /** For a signal (SIGUSR2): the AT trace of every modem off when any is on, else on for all. Returns the new state. */
  toggleAtTrace(): boolean {
    const on = this.logging.atTraced.length === 0;
    this.logging.setAtTrace('all', on);
    return on;
  }

  /**
   * A snapshot of modems, devices and counters, from memory only: it answers at once even while
   * Redis is unreachable (see `redis` for the connection states).
   */
  async status(): Promise<GatewayStatus> {
    const nowMs = Date.now();
    const devices = this.mirror.list().map((record) => ({
      ...record, corePort: this.sockets.get(record.endpoint)?.address().port ?? null, awake: this.mirror.presence.isAwake(record.endpoint, nowMs),
      smsSpentToday: this.spend.budget.spentToday(record.endpoint),
    }));
    return {
      modems: this.pool.drivers.map((driver) => driver.status),
      devices,
      relay: { ...this.relay.counters },
      heldRequests: this.relay.held.heldNow(),
      sms: { ...this.sms.counters },
      smsSpend: { ...this.spend.budget.counters, todayParts: this.spend.budget.spentTodayTotal(), sent: { ...this.spend.operations.sent }, received: { ...this.spend.operations.received } },
      unknownSenders: this.inboxRelay.unknownSenders,
      type0Discarded: this.inbox.type0Discarded,
      redis: { commands: this.redis.status, consumer: this.blockingRedis.status },
      coreSockets: { open: this.sockets.size, waiting: this.sockets.pendingEndpoints.length, ...this.sockets.counters },
    };
  }

  /** Reassembly timeouts, crash leftovers, lapsed registrations, idle exchange state, sockets waiting for their address. Also runs every `maintenanceIntervalMs`. */
  async maintain(): Promise<void> {
    const previous = this.maintenance ?? Promise.resolve();
    const run = previous.then(async () => {
      await this.inbox.maintain(Date.now()).catch((error: unknown) => this.logger.warn({ err: error }, 'inbox housekeeping failed'));
      await this.mirror.expire().catch((error: unknown) => this.logger.warn({ err: error }, 'registration expiry failed'));
      this.relay.sweep();
      this.relay.coreAddress.refreshSoon(); // a named core: resolved again at most every 30 s
      await this.sockets.retryPending().catch((error: unknown) => this.logger.warn({ err: error }, 'core-facing socket retry failed'));
    });
    this.maintenance = run;
    await run;
    if (this.maintenance === run) this.maintenance = null;
  }

  /** The periodic run: skipped while one is in progress or Redis is away (the commands would only pile up). */
  private maintainOnTimer(): void {
    if (this.maintenance !== null || this.redis.status !== 'ready') return;
    void this.maintain();
  }

  /**
   * Stops in the order that loses nothing: first no new work (the device UDP listener closes,
   * the inbox consumer ends after the message it is handling, the pool takes no new SMS, the
   * removal of legacy index keys sends no further command and is not waited for), then
   * the SMS each modem is sending now gets its outcome, activity kept in memory is written to
   * Redis, and last the ports and sockets close and the Redis connections end. Resolves within
   * `timeoutMs` even when a step hangs (a Redis that does not answer, a port that does not
   * close): what is left is then cut off and the result names the step that did not finish.
   * Never rejects; idempotent (later calls get the first call's result).
   */
  stop(options: GatewayStopOptions = {}): Promise<GatewayStopResult> {
    this.stopping ??= this.shutDown(options.timeoutMs ?? 10_000);
    return this.stopping;
  }

  private async shutDown(timeoutMs: number): Promise<GatewayStopResult> {
    if (this.timer) clearInterval(this.timer);
    this.afterStartWork.abort();
    const releaseMs = Math.round(timeoutMs * RELEASE_SHARE);
    let step = 'closing the device UDP listener';
    let persisted = 0;
    const graceful = (async () => {
      await this.udp.close();
      step = 'stopping the wake-up worker';
      await this.wakeups.close();
      step = 'stopping the inbox consumer';
      await this.inboxRelay.stop();
      step = 'finishing the SMS in flight';
      await this.outboundWorker.close(); // the SMS being sent get their outcome; queued ones stay for the next start
      await this.outbound.close();
      await this.pool.drain();
      step = 'writing device activity to Redis';
      persisted = await this.mirror.persistActivity().catch((error: unknown) => {
        if (error instanceof ActivityNotPersistedError) persisted = error.written; // the other calls' records are in Redis
        throw error;
      });
      step = 'closing the modem ports';
      await this.pool.stop();
      step = 'closing the core-facing sockets';
      this.relay.close();
      await this.sockets.close();
    })();
    let failure: unknown;
    const outcome = await settleWithin(graceful.catch((error: unknown) => {
      failure = error;
      throw error;
    }), timeoutMs - releaseMs);
    let unfinishedStep = outcome === 'fulfilled' ? null : `${step} (${outcome === 'timeout' ? 'did not finish in time' : 'failed'})`;
    if (outcome !== 'fulfilled') {
      // Cut off or failed: close what is still open, in the time kept for it.
      this.relay.close();
      void this.wakeups.close();
      void this.outboundWorker.close().then(() => this.outbound.close());
      const released = await settleWithin(Promise.allSettled([this.pool.stop(), this.sockets.close()]), releaseMs);
      if (released === 'timeout') unfinishedStep += '; closing the modem ports and sockets did not finish in time';
    }
    this.redis.disconnect();
    this.blockingRedis.disconnect();
    this.logger.info({ clean: unfinishedStep === null, unfinishedStep, activityRecordsPersisted: persisted, ...(failure === undefined ? {} : { err: failure }) }, 'gateway stopped');
    this.logging.detach();
    return { clean: unfinishedStep === null, unfinishedStep, activityRecordsPersisted: persisted };
  }
}
