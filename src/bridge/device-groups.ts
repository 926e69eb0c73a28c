/**
 * Device groups: configuration that applies to a set of devices, matched by endpoint name
 * pattern or MSISDN prefix (first matching group wins). A group names the gateway modem whose
 * number its devices accept as their server's, and how long requests for them may be held.
 * Pure.
 *
 * Why the server modem matters: the number a device accepts SMS from is provisioned on the
 * device (LwM2M Transport §SMS Channel Security: a client ignores SMS from numbers it does not
 * know; the `sms=` Register parameter is the device's own MSISDN, not the server's). A trigger
 * sent from another modem of the gateway is ignored by the device and costs money for nothing.
 */
import { matchGlob } from '../shared/glob.ts';
import type { DeviceRecord } from '../lwm2m/device-record.ts';

/** One device group as configured. */
export interface DeviceGroupConfig {
  readonly name: string;
  /** Endpoint name patterns; `*` matches any run of characters (`tracker-*`). */
  readonly endpoints?: readonly string[];
  /** MSISDN prefixes (digits, optionally with `+`). */
  readonly msisdnPrefixes?: readonly string[];
  /** Name of the gateway modem whose number these devices accept as their server's. */
  readonly serverModem?: string;
  /** How long a request for such a device may be held while it cannot be reached, in ms. */
  readonly heldRequestTtlMs?: number;
  /**
   * Requests for a queue-mode device asleep over UDP that SMS could carry (UQS): `sms` sends them
   * by SMS; `hold` holds them and wakes the device by trigger (bearer.ts). @defaultValue 'sms'
   */
  readonly asleepRequests?: 'sms' | 'hold';
  /** SMS parts all devices of the group together may be sent per UTC day (see sms-budget.ts); null: unlimited. */
  readonly smsBudgetPerDay?: number | null;
  /** SMS parts each device of the group may be sent per UTC day; null: unlimited. */
  readonly smsBudgetPerDevicePerDay?: number | null;
}

/** Where the server modem of a device came from. */
export type ServerModemSource = 'learned' | 'group' | 'only-modem';

/** Matches devices to groups and answers the per-device settings. */
export class DeviceGroups {
  private readonly groups: readonly { readonly config: DeviceGroupConfig; readonly prefixes: readonly string[] }[];

  /** `modemNames`: every modem of the gateway (one modem is every device's server number). */
  constructor(groups: readonly DeviceGroupConfig[], private readonly modemNames: readonly string[]) {
    this.groups = groups.map((config) => ({ config, prefixes: (config.msisdnPrefixes ?? []).map((p) => p.replace(/\D/g, '')).filter((p) => p.length > 0) }));
  }

  /** The first group `record` belongs to, or null. */
  groupOf(record: Pick<DeviceRecord, 'endpoint' | 'msisdn'>): DeviceGroupConfig | null {
    for (const { config, prefixes } of this.groups) {
      if ((config.endpoints ?? []).some((pattern) => matchGlob(pattern, record.endpoint))) return config;
      if (record.msisdn !== null && prefixes.some((prefix) => record.msisdn!.startsWith(prefix))) return config;
    }
    return null;
  }

  /**
   * The modem SMS to `record` must leave from, and why; null when nobody knows it. In order:
   * the modem the device last sent SMS to (learned from its traffic), its group's `serverModem`,
   * the gateway's only modem.
   */
  serverModemOf(record: Pick<DeviceRecord, 'endpoint' | 'msisdn' | 'smsModem'>): { readonly modem: string; readonly source: ServerModemSource } | null {
    if (record.smsModem !== null) return { modem: record.smsModem, source: 'learned' };
    const configured = this.groupOf(record)?.serverModem;
    if (configured !== undefined) return { modem: configured, source: 'group' };
    if (this.modemNames.length === 1) return { modem: this.modemNames[0]!, source: 'only-modem' };
    return null;
  }

  /** What becomes of requests for `record` while it sleeps and SMS could carry them ({@link DeviceGroupConfig.asleepRequests}). */
  asleepRequestsOf(record: Pick<DeviceRecord, 'endpoint' | 'msisdn'>): 'sms' | 'hold' {
    return this.groupOf(record)?.asleepRequests ?? 'sms';
  }

  /** The hold time of `record`'s group, or `fallbackMs`. */
  heldRequestTtlMsOf(record: Pick<DeviceRecord, 'endpoint' | 'msisdn'>, fallbackMs: number): number {
    return this.groupOf(record)?.heldRequestTtlMs ?? fallbackMs;
  }
}
