/**
 * What the gateway knows about one device (its registration mirror) and the pure rules that
 * update it: LwM2M Register / Update / De-register (LwM2M 1.1 Core §6.2; OMA CRs in
 * ../shared/seeds: registration flow, lifetime in the Server object, implicit update on any
 * message).
 */
import { parseBinding, type Binding } from './registration-request.ts';

/** How a device reached the gateway: by SMS from its MSISDN, or by UDP from an address. */
export type DeviceSource =
  /** `modem`: the gateway modem the SMS arrived on (the device answers only that number). */
  | { readonly bearer: 'sms'; readonly msisdn: string; readonly modem?: string }
  | { readonly bearer: 'udp'; readonly host: string; readonly port: number };

/** The registration mirror of one device. Plain data, stored as JSON. */
export interface DeviceRecord {
  readonly endpoint: string;
  /** MSISDN (digits, no `+`): from `sms=` or from the originator of its SMS. */
  readonly msisdn: string | null;
  /** Last UDP address it was heard from. */
  readonly udpHost: string | null;
  readonly udpPort: number | null;
  /** `b=` as registered (LwM2M 1.0: U, UQ, S, SQ, US, UQS; 1.1: letters). */
  readonly binding: string;
  /** Queue mode: the 1.1 `Q` parameter, or Q in a 1.0 binding. */
  readonly queueMode: boolean;
  readonly lifetimeSec: number;
  readonly lwm2mVersion: string;
  /** The Register payload (link-format) exactly as sent. */
  readonly objectLinks: string;
  /** Location the core gave in `2.01 Created` (`/rd/5a3f`), or null before. */
  readonly location: string | null;
  /** True once the core accepted the registration. */
  readonly registered: boolean;
  readonly registeredAtMs: number | null;
  readonly lastActivityMs: number;
  readonly lastBearer: 'sms' | 'udp';
  /** Last time anything arrived over UDP (queue mode: the awake window starts here). */
  readonly lastUdpActivityMs: number | null;
  /**
   * The gateway modem the device last sent SMS to. Downlink SMS leave from it: a device accepts
   * SMS only from the number provisioned as its server's (LwM2M Transport §SMS Channel Security).
   */
  readonly smsModem: string | null;
  /**
   * The bearer of the Register (or accepted Update) that made this registration. LwM2M 1.0
   * §5.3.1: the server uses the registration's source (address or MSISDN) for later interactions,
   * whatever the Binding says. Absent in records stored before it existed.
   */
  readonly registeredOver?: 'sms' | 'udp';
}

/** A {@link DeviceRecord} being built: writable until anyone else holds it (then records are replaced, never changed). */
export type MutableDeviceRecord = { -readonly [K in keyof DeviceRecord]: DeviceRecord[K] };

/** LwM2M 1.0 §5.3.1 / 1.1 Core §6.2.1: `lt` defaults to 86400 s when absent. */
export const DEFAULT_LIFETIME_SEC = 86_400;

/** LwM2M 1.0 §5.3.1: `lwm2m` defaults to 1.0 when absent. */
export const DEFAULT_LWM2M_VERSION = '1.0';

/** LwM2M 1.0 §5.3.1: `b` defaults to U when absent. */
export const DEFAULT_BINDING = 'U';

/** The binding of a record, parsed for its LwM2M version (never throws: bad values were refused at Register). */
export function bindingOf(record: Pick<DeviceRecord, 'binding' | 'lwm2mVersion' | 'queueMode'>): Binding & { readonly queueMode: boolean } {
  let parsed: Binding;
  try {
    parsed = parseBinding(record.binding, record.lwm2mVersion);
  } catch {
    parsed = { udp: record.binding.includes('U'), sms: record.binding.includes('S'), tcp: false, nonIp: false, mqtt: false, http: false, queue: record.binding.includes('Q'), raw: record.binding };
  }
  return { ...parsed, queueMode: record.queueMode || parsed.queue };
}

/** Milliseconds since the epoch when the registration expires without activity. */
export function expiresAtMs(record: Pick<DeviceRecord, 'lastActivityMs' | 'lifetimeSec'>): number {
  return record.lastActivityMs + record.lifetimeSec * 1000;
}

/** The record after a message from `source` at `nowMs` (implicit update, seed 002; address change). */
export function withActivity(record: DeviceRecord, source: DeviceSource, nowMs: number): DeviceRecord {
  if (source.bearer === 'sms') {
    return { ...record, msisdn: source.msisdn, smsModem: source.modem ?? record.smsModem, lastActivityMs: nowMs, lastBearer: 'sms' };
  }
  return { ...record, udpHost: source.host, udpPort: source.port, lastActivityMs: nowMs, lastUdpActivityMs: nowMs, lastBearer: 'udp' };
}
