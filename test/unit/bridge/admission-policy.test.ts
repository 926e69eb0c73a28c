/**
 * The UDP admission policy, pure: CIDR matching (IPv4, IPv6, IPv4-mapped), endpoint globs, the
 * identity rules (no move across bearers, address changes as configured) and the limits.
 */
import { describe, expect, it } from 'vitest';
import { ADMISSION_POLICY_DEFAULTS, AdmissionPolicy, matchGlob, parseAddress, parseCidr } from '../../../src/bridge/admission-policy.ts';
import type { AdmissionRequest } from '../../../src/lwm2m/registration-admission.ts';
import { GatewayError } from '../../../src/shared/errors.ts';

function udpRegister(endpoint: string, host: string, port: number, more: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { kind: 'register', endpoint, source: { bearer: 'udp', host, port }, existing: null, registrationsFromHost: 0, registrations: 0, ...more };
}

describe('addresses and networks', () => {
  it('parses IPv4, IPv6 with "::", IPv4 tails and IPv4-mapped IPv6 (as IPv4)', () => {
    expect(parseAddress('10.1.2.3')).toEqual({ family: 4, bits: 0x0a010203n });
    expect(parseAddress('::ffff:10.1.2.3')).toEqual({ family: 4, bits: 0x0a010203n });
    expect(parseAddress('2001:db8::1')).toEqual({ family: 6, bits: (0x20010db8n << 96n) | 1n });
    expect(parseAddress('::')).toEqual({ family: 6, bits: 0n });
    expect(parseAddress('64:ff9b::192.0.2.33')).toEqual({ family: 6, bits: (0x64ff9bn << 96n) | 0xc0000221n });
    expect(parseAddress('fe80::1%eth0')).toEqual({ family: 6, bits: (0xfe80n << 112n) | 1n });
    expect(parseAddress('host.example')).toBeNull();
    expect(parseAddress('10.1.2')).toBeNull();
  });

  it('matches hosts against CIDR networks of both families, never across families', () => {
    const policy = new AdmissionPolicy({ allowedNetworks: ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32'] });
    expect(policy.allowsHost('10.255.0.1')).toBe(true);
    expect(policy.allowsHost('11.0.0.1')).toBe(false);
    expect(policy.allowsHost('192.168.1.7')).toBe(true);
    expect(policy.allowsHost('192.168.1.8')).toBe(false);
    expect(policy.allowsHost('2001:db8:ffff::9')).toBe(true);
    expect(policy.allowsHost('2001:db9::9')).toBe(false);
    expect(policy.allowsHost('::ffff:10.0.0.1')).toBe(true);
    expect(policy.allowsHost('::a00:1')).toBe(false); // ::10.0.0.1 is IPv6, not in 10.0.0.0/8
    expect(policy.allowsHost('not-an-address')).toBe(false);
  });

  it('admits every address by default (0.0.0.0/0 and ::/0)', () => {
    const policy = new AdmissionPolicy();
    expect(policy.allowsHost('203.0.113.5')).toBe(true);
    expect(policy.allowsHost('2001:db8::5')).toBe(true);
  });

  it('refuses a bad network or limit with GW_ERR_CONFIG naming the field', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '2001:db8::/129', 'x/8', '10.0.0.0/-1']) {
      expect(() => parseCidr(bad), bad).toThrow(expect.objectContaining({ code: 'GW_ERR_CONFIG', details: { key: 'allowedNetworks' } }));
    }
    expect(() => new AdmissionPolicy({ maxRegistrationsPerSource: 0 })).toThrow(GatewayError);
    expect(() => new AdmissionPolicy({ maxRegistrations: 1.5 })).toThrow(expect.objectContaining({ details: { key: 'maxRegistrations' } }));
    expect(() => new AdmissionPolicy({ endpointPatterns: [''] })).toThrow(expect.objectContaining({ details: { key: 'endpointPatterns' } }));
    expect(() => new AdmissionPolicy({ udpAddressChange: 'sometimes' as never })).toThrow(expect.objectContaining({ details: { key: 'udpAddressChange' } }));
  });
});

describe('endpoint globs', () => {
  it('matches * (any run, also none) and ? (one character); everything else is literal', () => {
    expect(matchGlob('urn:imei:*', 'urn:imei:490154203237518')).toBe(true);
    expect(matchGlob('urn:imei:*', 'urn:uuid:1')).toBe(false);
    expect(matchGlob('meter-???', 'meter-042')).toBe(true);
    expect(matchGlob('meter-???', 'meter-0420')).toBe(false);
    expect(matchGlob('a*b*c', 'axxbyyc')).toBe(true);
    expect(matchGlob('a*b*c', 'axxbyy')).toBe(false);
    expect(matchGlob('*', '')).toBe(true);
    expect(matchGlob('a.c', 'abc')).toBe(false); // "." is a character, not a regex
    expect(matchGlob('[ab]', '[ab]')).toBe(true);
  });
});

describe('decisions', () => {
  const policy = new AdmissionPolicy({ allowedNetworks: ['127.0.0.0/8'], endpointPatterns: ['dev-*'], maxRegistrationsPerSource: 2, maxRegistrations: 3 });

  it('admits a new endpoint from an allowed network with an allowed name', () => {
    expect(policy.decide(udpRegister('dev-1', '127.0.0.1', 5000))).toEqual({ admitted: true });
  });

  it('refuses other networks and other names', () => {
    expect(policy.decide(udpRegister('dev-1', '10.0.0.1', 5000))).toMatchObject({ admitted: false, reason: 'network' });
    expect(policy.decide(udpRegister('meter-1', '127.0.0.1', 5000))).toMatchObject({ admitted: false, reason: 'endpoint-pattern' });
  });

  it('never lets a UDP datagram take an endpoint registered over SMS, by Register or by Update', () => {
    const sms = { udpHost: null, udpPort: null, msisdn: '491709000001' };
    expect(policy.decide(udpRegister('dev-1', '127.0.0.1', 5000, { existing: sms }))).toMatchObject({ admitted: false, reason: 'other-bearer' });
    expect(policy.decide(udpRegister('dev-1', '127.0.0.1', 5000, { kind: 'update', existing: sms }))).toMatchObject({ admitted: false, reason: 'other-bearer' });
  });

  it('lets no other SIM take an endpoint registered with an MSISDN', () => {
    const existing = { udpHost: null, udpPort: null, msisdn: '491709000001' };
    const other = { kind: 'register' as const, endpoint: 'dev-1', source: { bearer: 'sms' as const, msisdn: '491709000099' }, existing, registrationsFromHost: 0, registrations: 1 };
    expect(policy.decide(other)).toMatchObject({ admitted: false, reason: 'msisdn-change' });
    expect(policy.decide({ ...other, source: { bearer: 'sms', msisdn: '491709000001' } })).toEqual({ admitted: true });
  });

  it('moves a UDP endpoint by Register only as udpAddressChange allows; an Update from a new address is NAT rebinding', () => {
    const existing = { udpHost: '127.0.0.1', udpPort: 5000, msisdn: null };
    const fromOtherHost = udpRegister('dev-1', '127.0.0.2', 6000, { existing });
    const fromOtherPort = udpRegister('dev-1', '127.0.0.1', 6000, { existing });
    expect(ADMISSION_POLICY_DEFAULTS.udpAddressChange).toBe('same-host');
    expect(policy.decide(fromOtherHost)).toMatchObject({ admitted: false, reason: 'address-change' });
    expect(policy.decide(fromOtherPort)).toEqual({ admitted: true });
    expect(policy.decide({ ...fromOtherHost, kind: 'update' })).toEqual({ admitted: true });
    const never = new AdmissionPolicy({ udpAddressChange: 'never' });
    expect(never.decide(fromOtherPort)).toMatchObject({ admitted: false, reason: 'address-change' });
    expect(never.decide({ ...fromOtherHost, kind: 'update' })).toMatchObject({ admitted: false, reason: 'address-change' });
    expect(new AdmissionPolicy({ udpAddressChange: 'any' }).decide(fromOtherHost)).toEqual({ admitted: true });
  });

  it('counts registrations per source host and in total; a registration already held does not count against itself', () => {
    expect(policy.decide(udpRegister('dev-3', '127.0.0.1', 5000, { registrationsFromHost: 2, registrations: 2 }))).toMatchObject({ admitted: false, reason: 'limit-per-source' });
    expect(policy.decide(udpRegister('dev-3', '127.0.0.9', 5000, { registrationsFromHost: 0, registrations: 3 }))).toMatchObject({ admitted: false, reason: 'limit-total' });
    const again = udpRegister('dev-1', '127.0.0.1', 5001, { existing: { udpHost: '127.0.0.1', udpPort: 5000, msisdn: null }, registrationsFromHost: 2, registrations: 3 });
    expect(policy.decide(again)).toEqual({ admitted: true });
  });
});
