/**
 * The gateway assembled: modems and their pool, the inbox, the registration mirror, the relay
 * with its sockets, and housekeeping. Built from a {@link GatewayConfig}; the composition root
 * (main.ts, the demo) owns the process.
 */
import { Redis } from 'ioredis';
import { ADMISSION_POLICY_DEFAULTS, AdmissionPolicy } from '../bridge/admission-policy.ts';
import { DeviceUdpEndpoint } from '../bridge/device-udp.ts';
import { CoreSocketPool } from '../bridge/core-sockets.ts';
import { DeviceGroups } from '../bridge/device-groups.ts';
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

/**
 * The admission's total limit: as configured, but never more than the core-facing ports, since
 * a registration beyond them would get no socket and its device no answer.
 */
function totalRegistrations(config: GatewayConfig): number {
  const [min, max] = config.coreSockets.portRange;
  return Math.min(config.udpAdmission?.maxRegistrations ?? ADMISSION_POLICY_DEFAULTS.maxRegistrations, max - min + 1);
}

/** A running gateway. `stop()` releases everything it started (not the Redis server). */
export class Gateway {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

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
      bindHost: config.coreSockets.bindHost, portRange: config.coreSockets.portRange, prefix: `${prefix}sockets:`,
    });
    const udp = await DeviceUdpEndpoint.bind(config.udpListen.host, config.udpListen.port, (bytes, from) => void relay?.fromUdp(bytes, from));
    relay = new Relay(mirror, sockets, sms, udp, {
      core: config.core, awakeWindowMs: config.awakeWindowMs, ...(limits.maxLifetimeSec === undefined ? {} : { maxLifetimeSec: limits.maxLifetimeSec }),
      deviceGroups: new DeviceGroups(config.deviceGroups ?? [], config.modems.map((modem) => modem.name)),
      heldRequests: config.heldRequests ?? {},
    });
    // A lapsed, de-registered or refused registration gives its core-facing port back.
    mirror.on('forgotten', (endpoint) => void sockets.release(endpoint).catch(() => undefined));
    // A restart binds every registered device's socket on its recorded port again.
    for (const record of await mirror.load()) await sockets.ensure(record.endpoint);
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
  get events(): { relay: Relay; mirror: RegistrationMirror; inbox: InboxRelay; modems: readonly ModemDriver[] } {
    return { relay: this.relay, mirror: this.mirror, inbox: this.inboxRelay, modems: this.pool.drivers };
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

  /** Reassembly timeouts, crash leftovers, lapsed registrations. Also runs every `maintenanceIntervalMs`. */
  async maintain(): Promise<void> {
    await this.inbox.maintain(Date.now()).catch(() => undefined);
    await this.mirror.expire().catch(() => undefined);
  }

  /** Stops consuming, closes sockets and modems, disconnects from Redis. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.relay.close();
    await this.inboxRelay.stop();
    await this.pool.stop();
    await this.sockets.close();
    await this.udp.close();
    this.redis.disconnect();
    this.blockingRedis.disconnect();
  }
}
