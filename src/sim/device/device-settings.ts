/**
 * Options of a simulated LwM2M device, their defaults and validation, and the Register query
 * they produce (LwM2M 1.1 Core §6.2.1 "Register": `ep`, `lt`, `lwm2m`, `b`, `sms`, `Q`). Pure.
 */
import { parseBinding, parseLinkFormat, QUEUE_MODE_AWAKE_SEC, type Binding } from '../../lwm2m/index.ts';
import { GatewayError } from '../../shared/errors.ts';
import type { CoapTimingOptions } from './coap-endpoint.ts';
import { DEFAULT_DEVICE_INFO, type DeviceInfo } from './device-objects.ts';

/** A host and port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Options of `SimDevice.start`. Errors name the option: `GW_ERR_CONFIG`, details `option`. */
export interface SimDeviceOptions {
  /** The device's own number (`+49…` or digits): its network identity and the `sms` parameter. */
  readonly msisdn: string;
  /** Endpoint Client Name, the `ep` parameter. */
  readonly endpoint: string;
  /**
   * The binding: for LwM2M 1.0 one of U, UQ, S, SQ, US, UQS; for 1.1 the letters U and S (T and
   * N are not simulated), queue mode then being {@link queueMode} (a `Q` written here is taken
   * as `queueMode: true`). @defaultValue 'U'
   */
  readonly binding?: string;
  /** @defaultValue '1.0' */
  readonly lwm2mVersion?: '1.0' | '1.1';
  /** Queue mode; for 1.0 it adds the Q to the binding (U → UQ, S → SQ, US → UQS). @defaultValue false */
  readonly queueMode?: boolean;
  /** /1/0/1 Lifetime and the `lt` parameter. @defaultValue 86400 */
  readonly lifetimeSec?: number;
  /** The simulated SMS network; required when the binding has S. @defaultValue null */
  readonly network?: HostPort | null;
  /** The gateway modem's number: where SMS go, and the only sender accepted; required with S. @defaultValue null */
  readonly gatewayNumber?: string | null;
  /** The server's (the gateway's) UDP address; required when the binding has U. @defaultValue null */
  readonly udp?: HostPort | null;
  /** Local UDP address. @defaultValue all interfaces, a free port */
  readonly udpBind?: { readonly host?: string; readonly port?: number };
  /** The Register payload (CoRE Link Format), see {@link objectLinkList}. @defaultValue '</1/0>,</3/0>' */
  readonly objectLinks?: string;
  /** Update when this fraction of the lifetime has passed since the last Register or Update. @defaultValue 0.9 */
  readonly updateAtFraction?: number;
  /** Update this often instead (overrides {@link updateAtFraction}). @defaultValue null */
  readonly updateIntervalMs?: number | null;
  /** Send De-register on stop. @defaultValue true */
  readonly deregisterOnStop?: boolean;
  /** Longest wait for the De-register response on stop. @defaultValue 5000 */
  readonly deregisterTimeoutMs?: number;
  /** Queue mode: time awake after the last exchange (LwM2M: at least MAX_TRANSMIT_WAIT). @defaultValue 93000 */
  readonly awakeWindowMs?: number;
  /** Wait before a failed Register (or a failed Update) is tried again. @defaultValue 30000 */
  readonly registerRetryMs?: number;
  /** CoAP timers (UDP retransmission; response wait over SMS). */
  readonly coap?: CoapTimingOptions;
  /** Device object /3/0 identity. */
  readonly deviceInfo?: Partial<DeviceInfo>;
  /** /1/0/0 Short Server ID. @defaultValue 1 */
  readonly shortServerId?: number;
}

/** The validated options with their defaults. */
export interface SimDeviceSettings {
  /** Digits, no `+`. */
  readonly msisdn: string;
  readonly endpoint: string;
  readonly lwm2mVersion: '1.0' | '1.1';
  /** The binding as sent in `b` (1.0 with its Q; 1.1 without). */
  readonly bindingText: string;
  readonly binding: Binding;
  readonly queueMode: boolean;
  readonly lifetimeSec: number;
  readonly network: HostPort | null;
  /** Digits, no `+`; null without S. */
  readonly gatewayNumber: string | null;
  readonly udp: HostPort | null;
  readonly udpBind: { readonly host: string | null; readonly port: number };
  readonly objectLinks: string;
  readonly updateAtFraction: number;
  readonly updateIntervalMs: number | null;
  readonly deregisterOnStop: boolean;
  readonly deregisterTimeoutMs: number;
  readonly awakeWindowMs: number;
  readonly registerRetryMs: number;
  readonly coap: CoapTimingOptions;
  readonly deviceInfo: DeviceInfo;
  readonly shortServerId: number;
}

/** The Register payload of a device that says nothing else: Server and Device object instances. */
export const DEFAULT_OBJECT_LINKS = '</1/0>,</3/0>';

/** Object instances {@link objectLinkList} takes first: Server, Device, Connectivity, Firmware, Location, Statistics. */
const COMMON_OBJECT_INSTANCES: readonly string[] = ['/1/0', '/3/0', '/4/0', '/5/0', '/6/0', '/7/0'];

/**
 * A Register payload of `count` object links: `</1/0>,</3/0>,</4/0>,</5/0>,</6/0>,</7/0>`, then
 * Temperature instances `</3303/0>`, `</3303/1>`, … (8 links = 61 bytes; the cost benchmark's
 * "bigger Register"). Throws RangeError unless `count` is an integer 1..1000.
 */
export function objectLinkList(count: number): string {
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new RangeError(`count must be an integer 1..1000, not ${count}`);
  const paths = COMMON_OBJECT_INSTANCES.slice(0, count);
  for (let i = 0; paths.length < count; i++) paths.push(`/3303/${i}`);
  return paths.map((path) => `<${path}>`).join(',');
}

function configError(option: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG', `${option}: ${message}`, { option });
}

/** E.164 (ITU-T): at most 15 digits, optionally after `+`; returns the digits. */
function msisdnOf(text: string, option: string): string {
  const match = /^\+?(\d{1,15})$/.exec(text);
  if (match === null) throw configError(option, `"${text}" is not a number of 1..15 digits (optionally +)`);
  return match[1] ?? '';
}

function nonNegative(value: number, option: string, min = 0): number {
  if (!Number.isFinite(value) || value < min) throw configError(option, `${value} must be a number ≥ ${min}`);
  return value;
}

/** For 1.0: U → UQ, S → SQ, US → UQS (the 1.0 Table "Binding Mode" spelling of queue mode). */
function withQueue10(binding: string): string {
  if (binding.includes('Q')) return binding;
  return binding === 'US' ? 'UQS' : `${binding}Q`;
}

function resolveBinding(options: SimDeviceOptions, version: '1.0' | '1.1'): { text: string; binding: Binding; queueMode: boolean } {
  const raw = (options.binding ?? 'U').toUpperCase();
  let text = raw;
  if (version === '1.0' && options.queueMode === true) text = withQueue10(raw);
  if (version === '1.1') text = raw.replace('Q', '');
  let binding: Binding;
  try {
    binding = parseBinding(text, version);
  } catch (error) {
    throw configError('binding', `"${raw}" for LwM2M ${version}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (binding.tcp || binding.nonIp || binding.mqtt || binding.http || (!binding.udp && !binding.sms)) {
    throw configError('binding', `"${raw}": the simulated device speaks only U and S`);
  }
  const queueMode = version === '1.0' ? binding.queue : options.queueMode === true || raw.includes('Q');
  return { text, binding, queueMode };
}

/** Validates `options` and fills in the defaults. Throws `GW_ERR_CONFIG` naming the first bad option. */
export function resolveSimDeviceSettings(options: SimDeviceOptions): SimDeviceSettings {
  const msisdn = msisdnOf(options.msisdn, 'msisdn');
  // RFC 7252 §5.10: a Uri-Query value ("ep=…") has at most 255 bytes.
  if (options.endpoint === '' || Buffer.byteLength(`ep=${options.endpoint}`) > 255) throw configError('endpoint', 'must be 1..252 bytes');
  const lwm2mVersion = options.lwm2mVersion ?? '1.0';
  if (lwm2mVersion !== '1.0' && lwm2mVersion !== '1.1') throw configError('lwm2mVersion', `"${String(lwm2mVersion)}" is not 1.0 or 1.1`);
  const { text, binding, queueMode } = resolveBinding(options, lwm2mVersion);
  const lifetimeSec = options.lifetimeSec ?? 86_400;
  if (!Number.isInteger(lifetimeSec) || lifetimeSec < 1 || lifetimeSec > 0xffff_ffff) throw configError('lifetimeSec', `${lifetimeSec} is not an integer 1..4294967295`);
  const network = options.network ?? null;
  const gatewayText = options.gatewayNumber ?? null;
  if (binding.sms && network === null) throw configError('network', `binding ${text} has S: the simulated SMS network is required`);
  if (binding.sms && gatewayText === null) throw configError('gatewayNumber', `binding ${text} has S: the gateway's number is required`);
  const udp = options.udp ?? null;
  if (binding.udp && udp === null) throw configError('udp', `binding ${text} has U: the server's UDP address is required`);
  const objectLinks = options.objectLinks ?? DEFAULT_OBJECT_LINKS;
  try {
    parseLinkFormat(objectLinks);
  } catch (error) {
    throw configError('objectLinks', error instanceof Error ? error.message : String(error));
  }
  const updateAtFraction = options.updateAtFraction ?? 0.9;
  if (!(updateAtFraction > 0 && updateAtFraction <= 1)) throw configError('updateAtFraction', `${updateAtFraction} is not in (0, 1]`);
  const updateIntervalMs = options.updateIntervalMs ?? null;
  const shortServerId = options.shortServerId ?? 1;
  if (!Number.isInteger(shortServerId) || shortServerId < 1 || shortServerId > 65_534) throw configError('shortServerId', `${shortServerId} is not 1..65534`);
  return {
    msisdn,
    endpoint: options.endpoint,
    lwm2mVersion,
    bindingText: text,
    binding,
    queueMode,
    lifetimeSec,
    network: binding.sms ? network : null,
    gatewayNumber: binding.sms && gatewayText !== null ? msisdnOf(gatewayText, 'gatewayNumber') : null,
    udp: binding.udp ? udp : null,
    udpBind: { host: options.udpBind?.host ?? null, port: options.udpBind?.port ?? 0 },
    objectLinks,
    updateAtFraction,
    updateIntervalMs: updateIntervalMs === null ? null : nonNegative(updateIntervalMs, 'updateIntervalMs', 1),
    deregisterOnStop: options.deregisterOnStop ?? true,
    deregisterTimeoutMs: nonNegative(options.deregisterTimeoutMs ?? 5000, 'deregisterTimeoutMs'),
    awakeWindowMs: nonNegative(options.awakeWindowMs ?? QUEUE_MODE_AWAKE_SEC * 1000, 'awakeWindowMs'),
    registerRetryMs: nonNegative(options.registerRetryMs ?? 30_000, 'registerRetryMs', 1),
    coap: options.coap ?? {},
    deviceInfo: { ...DEFAULT_DEVICE_INFO, ...options.deviceInfo },
    shortServerId,
  };
}

/**
 * The Uri-Query of a Register: `ep`, `lt`, `lwm2m`, `b`, then `sms` (the device's MSISDN without
 * `+`, LwM2M Transport "Registration Interface") when the binding has S, and the valueless `Q`
 * for a 1.1 client in queue mode (1.0 says Q in `b`).
 */
export function registerQuery(settings: SimDeviceSettings, lifetimeSec: number): string[] {
  const query = [`ep=${settings.endpoint}`, `lt=${lifetimeSec}`, `lwm2m=${settings.lwm2mVersion}`, `b=${settings.bindingText}`];
  if (settings.binding.sms) query.push(`sms=${settings.msisdn}`);
  if (settings.lwm2mVersion !== '1.0' && settings.queueMode) query.push('Q');
  return query;
}
