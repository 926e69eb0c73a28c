/**
 * The gateway's configuration as the composition root hands it over: explicit units, no
 * environment lookups. Built from the YAML file by `toGatewayConfig` (config-to-gateway.ts), or
 * in code by the demo and the tests.
 */
import type { ModemConfig } from '../modem/modem-types.ts';
import type { RouteRule } from '../modem/modem-pool.ts';
import type { SenderPolicyConfig } from '../bridge/sender-policy.ts';
import type { DeviceGroupConfig } from '../bridge/device-groups.ts';
import type { HeldRequestsConfig } from '../bridge/held-requests.ts';
import type { WakeupConfig } from '../queue/wakeup-settings.ts';
import type { SmsBudgetConfig } from '../bridge/sms-budget.ts';
import type { OutboundSmsSettings } from '../queue/outbound-sms-settings.ts';
import type { AdmissionPolicyConfig } from '../bridge/admission-policy.ts';
import type { FloodLimits } from '../bridge/source-rate-limiter.ts';

/** One modem of the gateway. */
export interface GatewayModemConfig extends ModemConfig {
  /** Routing groups this modem serves. */
  readonly groups: readonly string[];
  /** Most SMS parts per second; 0 for no limit. */
  readonly maxPartsPerSec: number;
}

/** Everything the gateway needs. */
export interface GatewayConfig {
  readonly redisUrl: string;
  /** Key prefix in Redis (several gateways may share one server). */
  readonly redisPrefix: string;
  /** The core LwM2M server (UDP). */
  readonly core: { readonly host: string; readonly port: number };
  /** Where devices with a U binding reach the gateway (5683 in production). */
  readonly udpListen: { readonly host: string; readonly port: number };
  /**
   * The per-device core-facing sockets: the addresses they bind to (`bindHosts`, IP aliases of
   * this node; `bindHost` is the older single-address form, used when `bindHosts` is absent),
   * the port range on each address, and optionally the devices this node must hold (`capacity`,
   * checked against the open-file limit at start; docs/scaling.md).
   */
  readonly coreSockets: {
    readonly bindHost?: string;
    readonly bindHosts?: readonly string[];
    readonly portRange: readonly [number, number];
    readonly capacity?: number;
  };
  readonly modems: readonly GatewayModemConfig[];
  readonly routes: readonly RouteRule[];
  readonly senderPolicy: SenderPolicyConfig;
  /** Queue mode: time a device stays reachable over UDP after it was heard. */
  readonly awakeWindowMs: number;
  /** How long parts of a concatenated SMS wait for the rest. */
  readonly reassemblyTimeoutSec: number;
  /** Period of housekeeping (reassembly timeouts, lapsed registrations). */
  readonly maintenanceIntervalMs: number;
  /** Folder of modem profiles; null for the packaged `hardware/profiles`. */
  readonly profilesDir: string | null;
  /**
   * Device groups, first match wins (endpoint pattern or MSISDN prefix): the modem whose number
   * the devices accept as their server's (`serverModem`, a modem name), and `heldRequestTtlMs`.
   * @defaultValue none
   */
  readonly deviceGroups?: readonly DeviceGroupConfig[];
  /** Requests of the core held while their device cannot be reached: `ttlMs`, `maxPerDevice`, `maxTotal`. */
  readonly heldRequests?: HeldRequestsConfig;
  /** SMS spend: parts per device and per group per UTC day, and how long the counters are kept. @defaultValue 100 parts per device, no group limit, kept 8 days */
  readonly smsBudget?: SmsBudgetConfig;
  /** Wake-up jobs (trigger SMS): attempts, back-off, time-to-live, framing, overrides per device group. @defaultValue 3 triggers, 30 s back-off */
  readonly wakeup?: WakeupConfig;
  /** The outbound SMS queue: `resendUnknown` (default false), time-to-live per kind. @defaultValue OUTBOUND_SMS_DEFAULTS */
  readonly outboundSms?: Partial<OutboundSmsSettings>;
  /**
   * Who may register over UDP, and when a registration may move (see `AdmissionPolicy`):
   * `allowedNetworks` (CIDR list, default every address), `endpointPatterns` (globs, default
   * `*`), `maxRegistrationsPerSource` (per IP address, default 64), `maxRegistrations` (all
   * bearers, default 10000), `udpAddressChange` (`any` | `same-host` | `never`, default
   * `same-host`). Fields left out take their defaults.
   */
  readonly udpAdmission?: Partial<AdmissionPolicyConfig>;
  /** Limits on what a registration may hold. Fields left out take their defaults. */
  readonly registrationLimits?: Partial<RegistrationLimits>;
  /**
   * Flood limits of the uplink (token bucket per MSISDN and per UDP source host; the excess is
   * dropped with reason `rate-limited`). Fields left out take their defaults (`FLOOD_LIMIT_DEFAULTS`).
   */
  readonly floodLimits?: Partial<FloodLimits>;
}

/** Limits on registrations, with units. */
export interface RegistrationLimits {
  /** Longest endpoint name, in UTF-8 bytes. @defaultValue 255 */
  readonly maxEndpointNameBytes: number;
  /** Longest lifetime; a larger `lt` is lowered to it on the way to the core. @defaultValue 604800 (7 days) */
  readonly maxLifetimeSec: number;
  /**
   * How long a Register waits for the core's answer before its record and port are released.
   * @defaultValue 247000 (RFC 7252 §4.8.2 EXCHANGE_LIFETIME)
   */
  readonly registerAnswerTimeoutMs: number;
}
