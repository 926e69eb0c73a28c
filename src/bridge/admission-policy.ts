/**
 * Admission policy of the UDP side: which datagrams may create a registration, and when a
 * registration's identity (its MSISDN, its UDP source) may change. Pure: no I/O, no clock; the
 * caller passes the counts it keeps.
 *
 * Plain CoAP over UDP carries no authentication (NoSec, LwM2M 1.1 Transport §5.2.1), so without
 * a policy any datagram naming an endpoint could move that endpoint's registration to its own
 * address. The rules, in order:
 * 1. the source address must lie in one of `allowedNetworks` (CIDR, IPv4 and IPv6);
 * 2. a Register's endpoint name must match one of `endpointPatterns` (globs, `*` and `?`);
 * 3. an endpoint registered over SMS is never moved to UDP by a Register or an Update from UDP,
 *    nor to another MSISDN by an SMS (a Register from another number, or an Update by location);
 * 4. a Register for an endpoint registered over UDP from another address is allowed by
 *    `udpAddressChange` ('any', 'same-host', 'never'); an Update by location from a new address
 *    (NAT rebinding) is normal and allowed unless it is 'never';
 * 5. a new endpoint is refused once its source host holds `maxRegistrationsPerSource`, or the
 *    gateway holds `maxRegistrations` registrations.
 */
import { matchGlob } from '../shared/glob.ts';
import { isIP, isIPv4 } from 'node:net';
import { GatewayError } from '../shared/errors.ts';
import type { AdmissionDecision, AdmissionRefusal, AdmissionRequest, RegistrationAdmission } from '../lwm2m/registration-admission.ts';

/** May a UDP endpoint move to another address? */
export type UdpAddressChange = 'any' | 'same-host' | 'never';

/** Configuration of {@link AdmissionPolicy}. */
export interface AdmissionPolicyConfig {
  /** CIDR networks UDP devices may come from (`10.0.0.0/8`, `2001:db8::/32`). @defaultValue ['0.0.0.0/0', '::/0'] */
  readonly allowedNetworks: readonly string[];
  /** Globs (`*` any run, `?` one character) an endpoint name registered over UDP must match. @defaultValue ['*'] */
  readonly endpointPatterns: readonly string[];
  /** Most registrations whose UDP address is on one host (IP address). @defaultValue 64 */
  readonly maxRegistrationsPerSource: number;
  /** Most registrations the gateway holds, all bearers. @defaultValue 10000 */
  readonly maxRegistrations: number;
  /** Whether a Register from another address may take over a UDP endpoint. @defaultValue 'same-host' */
  readonly udpAddressChange: UdpAddressChange;
}

/** The defaults of {@link AdmissionPolicyConfig}. */
export const ADMISSION_POLICY_DEFAULTS: AdmissionPolicyConfig = Object.freeze({
  allowedNetworks: Object.freeze(['0.0.0.0/0', '::/0']),
  endpointPatterns: Object.freeze(['*']),
  maxRegistrationsPerSource: 64,
  maxRegistrations: 10_000,
  udpAddressChange: 'same-host',
});

/** A parsed CIDR network. */
export interface IpNetwork {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly prefixLength: number;
}

/**
 * See the file comment. Construction validates the configuration and throws
 * {@link GatewayError} `GW_ERR_CONFIG` (details.key names the field) for a bad network, a bad
 * pattern or a limit that is not a positive integer.
 */
export class AdmissionPolicy implements RegistrationAdmission {
  private readonly networks: readonly IpNetwork[];
  /** An allowed network is 0.0.0.0/0: every IPv4 address is allowed without parsing it (bench/device-scale: CPU per Register). */
  private readonly anyIpv4: boolean;
  /** Only the pattern `*`: every endpoint name matches. */
  private readonly anyEndpoint: boolean;
  private readonly patterns: readonly string[];
  readonly config: AdmissionPolicyConfig;

  constructor(config: Partial<AdmissionPolicyConfig> = {}) {
    this.config = { ...ADMISSION_POLICY_DEFAULTS, ...config };
    this.networks = this.config.allowedNetworks.map(parseCidr);
    if (this.config.endpointPatterns.some((pattern) => pattern === '')) {
      throw new GatewayError('GW_ERR_CONFIG', 'an endpoint pattern is empty', { key: 'endpointPatterns' });
    }
    this.patterns = this.config.endpointPatterns;
    this.anyIpv4 = this.networks.some((network) => network.family === 4 && network.prefixLength === 0);
    this.anyEndpoint = this.patterns.includes('*');
    for (const key of ['maxRegistrationsPerSource', 'maxRegistrations'] as const) {
      const value = this.config[key];
      if (!Number.isSafeInteger(value) || value < 1) throw new GatewayError('GW_ERR_CONFIG', `${key} must be a positive integer, not ${value}`, { key });
    }
    if (!['any', 'same-host', 'never'].includes(this.config.udpAddressChange)) {
      throw new GatewayError('GW_ERR_CONFIG', `udpAddressChange must be any, same-host or never, not ${String(this.config.udpAddressChange)}`, { key: 'udpAddressChange' });
    }
  }

  /** True when `host` (an IPv4 or IPv6 address) lies in an allowed network. */
  allowsHost(host: string): boolean {
    if (this.anyIpv4 && isIPv4(host)) return true; // what parseAddress and inNetwork would conclude
    const address = parseAddress(host);
    return address !== null && this.networks.some((network) => inNetwork(address, network));
  }

  /** True when `endpoint` matches an endpoint pattern. */
  allowsEndpoint(endpoint: string): boolean {
    if (this.anyEndpoint) return true;
    return this.patterns.some((pattern) => matchGlob(pattern, endpoint));
  }

  /** The verdict on one Register or Update (see the file comment for the rules). */
  decide(request: AdmissionRequest): AdmissionDecision {
    const { source, existing } = request;
    if (source.bearer === 'udp') {
      if (!this.allowsHost(source.host)) return refuse('network', `${source.host} is outside the allowed networks`);
      if (request.kind === 'register' && !this.allowsEndpoint(request.endpoint)) {
        return refuse('endpoint-pattern', `endpoint name does not match the allowed patterns`);
      }
      if (existing !== null) {
        if (existing.udpHost === null) return refuse('other-bearer', `${request.endpoint} is registered over SMS; a UDP datagram cannot move it`);
        const moved = existing.udpHost !== source.host || existing.udpPort !== source.port;
        if (moved && !this.allowsMove(request.kind, existing.udpHost, source.host)) {
          return refuse('address-change', `${request.endpoint} is registered from another UDP address`);
        }
      }
      const newOnHost = existing === null || existing.udpHost !== source.host;
      if (newOnHost && request.registrationsFromHost >= this.config.maxRegistrationsPerSource) {
        return refuse('limit-per-source', `${source.host} holds ${request.registrationsFromHost} registrations (most ${this.config.maxRegistrationsPerSource})`);
      }
    }
    if (source.bearer === 'sms' && existing !== null && existing.msisdn !== source.msisdn && (existing.msisdn !== null || request.kind === 'update')) {
      return refuse('msisdn-change', `${request.endpoint} is registered with another MSISDN`);
    }
    if (existing === null && request.registrations >= this.config.maxRegistrations) {
      return refuse('limit-total', `the gateway holds ${request.registrations} registrations (most ${this.config.maxRegistrations})`);
    }
    return { admitted: true };
  }

  private allowsMove(kind: 'register' | 'update', fromHost: string, toHost: string): boolean {
    const rule = this.config.udpAddressChange;
    if (rule === 'never') return false;
    if (rule === 'any' || kind === 'update') return true; // an Update by location from a new address: NAT rebinding
    return fromHost === toHost;
  }
}

function refuse(reason: AdmissionRefusal, detail: string): AdmissionDecision {
  return { admitted: false, reason, detail };
}

/**
 * An IPv4 or IPv6 address as bits (IPv4-mapped IPv6 `::ffff:a.b.c.d` counts as IPv4, as Node
 * reports dual-stack sources), or null when `text` is no address.
 */
export function parseAddress(text: string): { family: 4 | 6; bits: bigint } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  const plain = mapped?.[1] ?? text.replace(/%.*$/, ''); // RFC 4007 §11 zone index: not part of the address
  const family = isIP(plain);
  if (family === 4) return { family: 4, bits: plain.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  if (family !== 6) return null;
  // RFC 4291 §2.2: eight groups, "::" once for a run of zero groups, an IPv4 tail for the last two.
  let text6 = plain;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text6);
  if (v4?.[1] !== undefined) {
    const n = v4[1].split('.').map(Number);
    text6 = `${text6.slice(0, v4.index)}${(((n[0] ?? 0) << 8) | (n[1] ?? 0)).toString(16)}:${(((n[2] ?? 0) << 8) | (n[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text6.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  return { family: 6, bits: groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n) };
}

/** Parses `address/prefix` (a bare address is a /32 or /128); throws GW_ERR_CONFIG. */
export function parseCidr(text: string): IpNetwork {
  const slash = text.indexOf('/');
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const width = address?.family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(width) : text.slice(slash + 1);
  const prefixLength = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (address === null || !(prefixLength >= 0 && prefixLength <= width)) {
    throw new GatewayError('GW_ERR_CONFIG', `"${text}" is not a network in CIDR notation (10.0.0.0/8, 2001:db8::/32)`, { key: 'allowedNetworks' });
  }
  return { family: address.family, bits: address.bits, prefixLength };
}

function inNetwork(address: { family: 4 | 6; bits: bigint }, network: IpNetwork): boolean {
  if (address.family !== network.family) return false;
  const shift = BigInt((network.family === 4 ? 32 : 128) - network.prefixLength);
  return address.bits >> shift === network.bits >> shift;
}

export { matchGlob };
