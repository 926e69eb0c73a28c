/**
 * What a `Gateway` answers and is given besides its configuration: the status snapshot,
 * the options of start and stop, how a stop went. Re-exported by gateway.ts.
 */
import type { CoreSocketCounters } from '../bridge/core-sockets.ts';
import type { Relay } from '../bridge/relay.ts';
import type { PoolSmsSender } from '../bridge/pool-sms-sender.ts';
import type { SmsSpendCounters } from '../bridge/sms-budget.ts';
import type { SmsOperationCounters } from '../bridge/sms-operations.ts';
import type { DeviceRecord } from '../lwm2m/device-record.ts';
import type { ModemStatus } from '../modem/modem-types.ts';
import type { Logger } from '../log/index.ts';
import type { RedisRetryOptions } from './gateway-redis.ts';

/** A snapshot for status tables and the admin API. */
export interface GatewayStatus {
  readonly modems: readonly ModemStatus[];
  /** `awake`: heard within the awake window now (presence; LwM2M 1.1 Core §6.5 Queue Mode). */
  readonly devices: readonly (DeviceRecord & { readonly corePort: number | null; readonly awake: boolean; readonly smsSpentToday: number })[];
  readonly relay: Relay['counters'];
  /** SMS spend (docs/wakeup.md): parts spent today (UTC) on all devices, refusals, SMS per operation kind. */
  readonly smsSpend: SmsSpendCounters & { readonly todayParts: number; readonly sent: SmsOperationCounters['sent']; readonly received: SmsOperationCounters['received'] };
  /** Core requests held now for devices that cannot be reached. */
  readonly heldRequests: number;
  readonly sms: PoolSmsSender['counters'];
  readonly unknownSenders: number;
  /** Short Messages Type 0 (TP-PID 0x40) acknowledged and discarded (TS 23.040 §9.2.3.9). */
  readonly type0Discarded: number;
  /** ioredis connection states (`ready` when connected; `reconnecting`, `connecting` … while Redis is away). */
  readonly redis: { readonly commands: string; readonly consumer: string };
  /**
   * Core-facing sockets (one per device): `open` now, `waiting` devices whose recorded address
   * could not be bound yet (retried by the maintenance timer), and the pool's counters since start.
   */
  readonly coreSockets: CoreSocketStatus;
}

/** See {@link GatewayStatus.coreSockets}. */
export interface CoreSocketStatus extends Readonly<CoreSocketCounters> {
  readonly open: number;
  readonly waiting: number;
}

/** Options of `Gateway.start` besides the configuration. */
export interface GatewayStartOptions {
  /** Where the gateway logs (see docs/logging.md). @defaultValue a silent logger */
  readonly logger?: Logger;
  /** Aborts start-up (e.g. while Redis is unreachable): `start` rejects with GW_ERR_START_ABORTED. */
  readonly signal?: AbortSignal;
  /** Back-off of Redis reconnection attempts. @defaultValue `DEFAULT_REDIS_RETRY` (gateway-redis.ts) */
  readonly redisRetry?: RedisRetryOptions;
  /** Modems whose AT trace is on from the start (`all` for every modem). @defaultValue none */
  readonly atTrace?: 'all' | readonly string[];
}

/** How `Gateway.stop` went. */
export interface GatewayStopResult {
  /** True when every step finished; false when the bound ran out and the rest was cut off. */
  readonly clean: boolean;
  /** The step that did not finish in time (for the log line), or null. */
  readonly unfinishedStep: string | null;
  /** Device records whose in-memory activity was written to Redis on the way out (also when another write of it failed). */
  readonly activityRecordsPersisted: number;
}

/** Options of `Gateway.stop`. */
export interface GatewayStopOptions {
  /** Longest time `stop()` takes, even when Redis, a modem or a port hangs. @defaultValue 10000 */
  readonly timeoutMs?: number;
}
