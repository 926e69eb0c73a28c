/**
 * The gateway assembled: modems and their pool, the inbox, the registration mirror, the relay
 * with its sockets, and housekeeping. Built from a {@link GatewayConfig}; the composition root
 * (main.ts, the demo) owns the process.
 */
import { Redis } from 'ioredis';
import { ADMISSION_POLICY_DEFAULTS, AdmissionPolicy } from '../bridge/admission-policy.ts';
import { DeviceUdpEndpoint } from '../bridge/device-udp.ts';
import { CoreSocketPool } from '../bridge/core-sockets.ts';
import { InboxRelay } from '../bridge/inbox-relay.ts';
import { PoolSmsSender } from '../bridge/pool-sms-sender.ts';
import { Relay } from '../bridge/relay.ts';
import { SenderPolicy } from '../bridge/sender-policy.ts';
import { RedisInbox } from '../inbox/redis-inbox.ts';
import type { DeviceRecord } from '../lwm2m/device-record.ts';
import { RedisRegistrationStore } from '../lwm2m/redis-registration-store.ts';
import { RegistrationMirror } from '../lwm2m/registration-mirror.ts';
import { DeliveryReportMatcher } from '../modem/delivery-reports.ts';
import { ModemDriver } from '../modem/modem-driver.ts';
import { ModemPool } from '../modem/modem-pool.ts';
import type { ModemStatus } from '../modem/modem-types.ts';
import { defaultProfilesDir, loadProfiles } from '../modem/profile-loader.ts';
import { redisPinGuard } from '../modem/redis-pin-guard.ts';
import type { GatewayConfig } from './gateway-config.ts';

/** A snapshot for status tables and the admin API. */
export interface GatewayStatus {
  readonly modems: readonly ModemStatus[];
  readonly devices: readonly (DeviceRecord & { readonly corePort: number | null })[];
  readonly relay: Relay['counters'];
  readonly sms: PoolSmsSender['counters'];
  readonly unknownSenders: number;
}

/** How {@link Gateway.stop} went. */
export interface GatewayStopResult {
  /** True when every step finished; false when the bound ran out and the rest was cut off. */
  readonly clean: boolean;
  /** The step that did not finish in time (for the log line), or null. */
  readonly unfinishedStep: string | null;
  /** Device records whose in-memory activity was written to Redis on the way out. */
  readonly activityRecordsPersisted: number;
}

/** Options of {@link Gateway.stop}. */
export interface GatewayStopOptions {
  /** Longest time `stop()` takes, even when Redis, a modem or a port hangs. @defaultValue 10000 */
  readonly timeoutMs?: number;
}

/** Part of the stop bound kept for closing ports and sockets after the graceful steps. */
const RELEASE_SHARE = 0.2;

/**
 * The admission's total limit: as configured, but never more than the core-facing addresses
 * (bind addresses × ports), since
 * a registration beyond them would get no socket and its device no answer.
 */
function totalRegistrations(config: GatewayConfig): number {
  const [min, max] = config.coreSockets.portRange;
  const addresses = (max - min + 1) * (config.coreSockets.bindHosts?.length ?? 1);
  return Math.min(config.udpAdmission?.maxRegistrations ?? ADMISSION_POLICY_DEFAULTS.maxRegistrations, addresses);
}

/** A running gateway. `stop()` releases everything it started (not the Redis server). */
export class Gateway {
  private timer: NodeJS.Timeout | null = null;
  private stopping: Promise<GatewayStopResult> | null = null;

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
  ) {}

  /** Starts everything; resolves when sockets are bound and modems are starting. */
  static async start(config: GatewayConfig): Promise<Gateway> {
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    const blockingRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    const prefix = config.redisPrefix;
    const inbox = new RedisInbox(redis, { prefix: `${prefix}inbox:`, reassemblyTimeoutSec: config.reassemblyTimeoutSec });
    const limits = config.registrationLimits ?? {};
    const mirror = new RegistrationMirror(new RedisRegistrationStore(redis, `${prefix}reg:`), {
      admission: new AdmissionPolicy({ ...config.udpAdmission, maxRegistrations: totalRegistrations(config) }), ...limits,
    });
    const profiles = loadProfiles(config.profilesDir ?? defaultProfilesDir());
    const matcher = new DeliveryReportMatcher();
    const pool = new ModemPool(
      config.modems.map((modem) => ({
        driver: new ModemDriver(modem, {
          profiles, matcher, pinGuard: redisPinGuard(redis, modem.name, prefix), persist: async (pdu) => void (await inbox.accept(pdu)),
        }),
        groups: modem.groups,
        maxPartsPerSec: modem.maxPartsPerSec,
      })),
      { routes: config.routes },
    );
    const sms = new PoolSmsSender(pool, redis, `${prefix}concat-ref:`);
    let relay: Relay | null = null;
    const sockets = new CoreSocketPool(redis, (endpoint, bytes, from) => void relay?.fromCore(endpoint, bytes, from), {
      ...config.coreSockets, prefix: `${prefix}sockets:`,
    });
    const udp = await DeviceUdpEndpoint.bind(config.udpListen.host, config.udpListen.port, (bytes, from) => void relay?.fromUdp(bytes, from));
    relay = new Relay(mirror, sockets, sms, udp, {
      core: config.core, awakeWindowMs: config.awakeWindowMs, ...(limits.maxLifetimeSec === undefined ? {} : { maxLifetimeSec: limits.maxLifetimeSec }),
    });
    // A lapsed, de-registered or refused registration gives its core-facing port back.
    mirror.on('forgotten', (endpoint) => void sockets.release(endpoint).catch(() => undefined));
    // A restart binds every registered device's socket on its recorded address again, in
    // parallel; one that cannot be bound is reported and retried by maintain(), never fatal.
    await sockets.restore((await mirror.load()).map((record) => record.endpoint));
    const inboxRelay = new InboxRelay(blockingRedis, relay, new SenderPolicy(config.senderPolicy), { streamKey: inbox.messagesKey });
    await inboxRelay.start();
    pool.start();
    const gateway = new Gateway(config, pool, mirror, relay, inbox, sockets, udp, inboxRelay, sms, redis, blockingRedis);
    gateway.timer = setInterval(() => void gateway.maintain(), config.maintenanceIntervalMs);
    return gateway;
  }

  /** The device-facing UDP address actually bound. */
  get udpAddress(): { host: string; port: number } {
    return this.udp.address;
  }

  /** Event sources for logs: the relay, the mirror, the inbox consumer and each modem driver. */
  get events(): { relay: Relay; mirror: RegistrationMirror; inbox: InboxRelay; modems: readonly ModemDriver[]; sockets: CoreSocketPool } {
    return { relay: this.relay, mirror: this.mirror, inbox: this.inboxRelay, modems: this.pool.drivers, sockets: this.sockets };
  }

  /** A snapshot of modems, devices and counters. */
  async status(): Promise<GatewayStatus> {
    const devices = await Promise.all(this.mirror.list().map(async (record) => ({ ...record, corePort: await this.sockets.portOf(record.endpoint) })));
    return {
      modems: this.pool.drivers.map((driver) => driver.status),
      devices,
      relay: { ...this.relay.counters },
      sms: { ...this.sms.counters },
      unknownSenders: this.inboxRelay.unknownSenders,
    };
  }

  /** Reassembly timeouts, crash leftovers, lapsed registrations, idle exchange state, sockets waiting for their address. Also runs every `maintenanceIntervalMs`. */
  async maintain(): Promise<void> {
    await this.inbox.maintain(Date.now()).catch(() => undefined);
    await this.mirror.expire().catch(() => undefined);
    this.relay.sweep();
    await this.sockets.retryPending().catch(() => undefined);
  }

  /**
   * Stops in the order that loses nothing: first no new work (the device UDP listener closes,
   * the inbox consumer ends after the message it is handling, the pool takes no new SMS), then
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
    const releaseMs = Math.round(timeoutMs * RELEASE_SHARE);
    let step = 'closing the device UDP listener';
    let persisted = 0;
    const graceful = (async () => {
      await this.udp.close();
      step = 'stopping the inbox consumer';
      await this.inboxRelay.stop();
      step = 'finishing the SMS in flight';
      await this.pool.drain();
      step = 'writing device activity to Redis';
      persisted = await this.mirror.persistActivity();
      step = 'closing the modem ports';
      await this.pool.stop();
      step = 'closing the core-facing sockets';
      this.relay.close();
      await this.sockets.close();
    })();
    const outcome = await settleWithin(graceful, timeoutMs - releaseMs);
    let unfinishedStep = outcome === 'fulfilled' ? null : `${step} (${outcome === 'timeout' ? 'did not finish in time' : 'failed'})`;
    if (outcome !== 'fulfilled') {
      // Cut off or failed: close what is still open, in the time kept for it.
      this.relay.close();
      const released = await settleWithin(Promise.allSettled([this.pool.stop(), this.sockets.close()]), releaseMs);
      if (released === 'timeout') unfinishedStep += '; closing the modem ports and sockets did not finish in time';
    }
    this.redis.disconnect();
    this.blockingRedis.disconnect();
    return { clean: unfinishedStep === null, unfinishedStep, activityRecordsPersisted: persisted };
  }
}

/**
 * How `work` settled within `timeoutMs`, or `timeout` when the time ran out first. A rejection
 * of `work` after the time ran out is consumed here, never unhandled.
 */
async function settleWithin(work: Promise<unknown>, timeoutMs: number): Promise<'fulfilled' | 'rejected' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs))));
  const settled = work.then(() => 'fulfilled' as const, () => 'rejected' as const);
  const done = await Promise.race([settled, timedOut]);
  clearTimeout(timer);
  return done;
}
