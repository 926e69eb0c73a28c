/**
 * `config/default.yaml` cannot rot: it is what the schema renders, it loads, it equals the
 * schema's defaults, and every key of the schema appears in it with its documentation. Also the
 * mapping to the gateway's GatewayConfig.
 */
import { readFileSync } from 'node:fs';
import { Kind, type TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_SCHEMA, configDefaults, parseConfig, parseRedisUrl, renderDefaultsYaml } from '../../../src/config/index.ts';
import { toGatewayConfig } from '../../../src/gateway/config-to-gateway.ts';
import { ADMISSION_POLICY_DEFAULTS } from '../../../src/bridge/admission-policy.ts';
import { MODEM_CONFIG_DEFAULTS } from '../../../src/modem/modem-types.ts';

const DEFAULT_YAML = readFileSync(new URL('../../../config/default.yaml', import.meta.url), 'utf8');

/** Every key path of the schema, list items as `[]`: `modems[].pinEnv`. */
function schemaKeys(schema: TSchema, prefix = ''): string[] {
  if (schema[Kind] === 'Array') return schemaKeys(schema['items'] as TSchema, `${prefix}[]`);
  if (schema[Kind] !== 'Object') return [];
  return Object.entries(schema['properties'] as Record<string, TSchema>).flatMap(([key, property]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return [path, ...schemaKeys(property, path)];
  });
}

/** Every key path present in a parsed YAML value, in the same notation. */
function valueKeys(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => valueKeys(item, `${prefix}[]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return [path, ...valueKeys(child, path)];
  });
}

describe('config/default.yaml', () => {
  it('is exactly what `smsbridge config print-defaults` renders from the schema', () => {
    expect(DEFAULT_YAML).toBe(renderDefaultsYaml());
  });

  it('loads, and equals the schema defaults', () => {
    const config = parseConfig(DEFAULT_YAML, { file: 'default.yaml', env: {}, baseDir: '/' });
    const { redis, modems, admin, ...rest } = config;
    const defaults = configDefaults();
    expect(rest).toEqual(Object.fromEntries(Object.entries(defaults).filter(([key]) => key !== 'redis' && key !== 'modems' && key !== 'admin')));
    expect(admin).toEqual({ ...defaults.admin, token: null, readOnlyToken: null });
    expect(redis).toEqual({ ...defaults.redis, password: null });
    expect(modems).toEqual(defaults.modems.map((modem) => ({ ...modem, pin: null })));
  });

  it('holds every key of the schema, each with a comment line above it', () => {
    const keys = schemaKeys(CONFIG_SCHEMA);
    expect(keys.length).toBeGreaterThan(40);
    const present = new Set(valueKeys(parse(DEFAULT_YAML)));
    for (const key of present) expect(keys, `${key} is a schema key`).toContain(key);
    // Items of a list that is empty by default are documented in the comment above the list.
    for (const key of keys.filter((k) => !present.has(k))) {
      const match = /^([A-Za-z]+)\[\]\.([A-Za-z]+)$/.exec(key);
      expect(match, `${key} appears in default.yaml`).not.toBeNull();
      expect(DEFAULT_YAML, key).toMatch(new RegExp(`\\n#   ${match?.[2]}: [^\\n]+(?:\\n#     [^\\n]+)*\\n(?:#[^\\n]*\\n)*${match?.[1]}: \\[\\]\\n`));
    }
    const lines = DEFAULT_YAML.split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(?:- )?[A-Za-z]+:/.test(line)) expect(lines[i - 1], `comment above line ${i + 1}: ${line}`).toMatch(/^\s*#/);
    });
  });

  it('shows example items that load', () => {
    const example = /#   routes:\n#     (- \{[^\n]+\})\n/.exec(DEFAULT_YAML)?.[1] ?? '';
    const config = parseConfig(`core: {host: h}\nmodems: [{name: a, path: /dev/a, groups: [domestic]}]\nroutes:\n  ${example}\n`, { env: {}, baseDir: '/' });
    expect(config.routes).toEqual([{ prefix: '+49', group: 'domestic' }]);
  });

  it('names the unit of every duration and the default of every plain key', () => {
    expect(DEFAULT_YAML).toMatch(/# Queue mode: how long a device stays reachable over UDP after it was last heard\. \[milliseconds;\n# default 93000\]\nawakeWindowMs: 93000/);
    expect(DEFAULT_YAML).toContain('[seconds; default 600]');
  });

  it('uses the defaults of the modem driver, the admission policy and the registration mirror', () => {
    const { name: _name, path: _path, ...modem } = configDefaults().modems[0] ?? { name: '', path: '' };
    const { pin: _pin, ...driverDefaults } = MODEM_CONFIG_DEFAULTS;
    expect(configDefaults().udpAdmission).toEqual(ADMISSION_POLICY_DEFAULTS);
    expect(modem).toEqual({ ...driverDefaults, pinEnv: null, pinFile: null, groups: ['default'], maxPartsPerSec: 0 });
  });
});

describe('toGatewayConfig', () => {
  it('maps every key the gateway needs', () => {
    const config = parseConfig([
      'redis: {url: "rediss://user@redis.lan:6380/4", prefix: "gw1:", passwordEnv: RP}',
      'core: {host: leshan.lan, port: 5684}',
      'udpListen: {host: 10.0.0.1, port: 15683}',
      'coreSockets: {bindHost: 10.0.0.1, firstPort: 41000, lastPort: 41999, bindHosts: [10.0.0.11, 10.0.0.12], capacity: 2000}',
      'modems:',
      '  - {name: a, path: /dev/serial/by-id/x, groups: [de], maxPartsPerSec: 2, pinEnv: PIN, profile: quectel-ec25, smsc: "+4917200000"}',
      'routes: [{prefix: "+49", group: de}]',
      'senderPolicy: {mode: allowlist, entries: ["+49170*"]}',
      'awakeWindowMs: 60000',
      'reassemblyTimeoutSec: 300',
      'maintenanceIntervalMs: 2000',
      'profilesDir: ./profiles',
      'udpAdmission: {allowedNetworks: [10.0.0.0/8], endpointPatterns: ["urn:imei:*"], maxRegistrationsPerSource: 4, maxRegistrations: 2000, udpAddressChange: never}',
      'registration: {maxEndpointNameBytes: 64, maxLifetimeSec: 86400}',
      'heldRequests: {ttlMs: 45000, maxPerDevice: 8}',
      'deviceGroups: [{name: trackers, endpoints: ["tracker-*"], serverModem: a, heldRequestTtlMs: 30000, smsBudgetPerDay: 500}, {name: de, msisdnPrefixes: ["+49"]}]',
      'floodLimits: {smsPerSecPerMsisdn: 0.5, udpBurstPerSource: 50}',
      'smsBudget: {perDevicePerDay: 20}',
      'outboundSms: {resendUnknown: true, relayTtlMs: 60000}',
      '',
    ].join('\n'), { env: { RP: 'pw:1', PIN: '1234' }, baseDir: '/etc/gw' });
    const gateway = toGatewayConfig(config);
    expect(gateway).toEqual({
      redisUrl: 'rediss://user:pw%3A1@redis.lan:6380/4',
      redisPrefix: 'gw1:',
      core: { host: 'leshan.lan', port: 5684 },
      udpListen: { host: '10.0.0.1', port: 15683 },
      coreSockets: { bindHost: '10.0.0.1', portRange: [41_000, 41_999], bindHosts: ['10.0.0.11', '10.0.0.12'], capacity: 2000 },
      modems: [{
        ...MODEM_CONFIG_DEFAULTS, name: 'a', path: '/dev/serial/by-id/x', groups: ['de'], maxPartsPerSec: 2, pin: '1234', profile: 'quectel-ec25', smsc: '+4917200000',
      }],
      routes: [{ prefix: '+49', group: 'de' }],
      senderPolicy: { mode: 'allowlist', entries: ['+49170*'] },
      awakeWindowMs: 60_000,
      reassemblyTimeoutSec: 300,
      maintenanceIntervalMs: 2000,
      profilesDir: '/etc/gw/profiles',
      udpAdmission: { allowedNetworks: ['10.0.0.0/8'], endpointPatterns: ['urn:imei:*'], maxRegistrationsPerSource: 4, maxRegistrations: 2000, udpAddressChange: 'never' },
      registrationLimits: { maxEndpointNameBytes: 64, maxLifetimeSec: 86_400, registerAnswerTimeoutMs: 247_000 },
      heldRequests: { ttlMs: 45_000, maxPerDevice: 8, maxTotal: 10_000 },
      wakeup: {
        attempts: 3, backoffMs: 30_000, maxBackoffMs: 120_000, ttlMs: 600_000, triggerMode: 'NON', framing: 'coap', triggerKind: 'registration-update',
        shoulderTapText: 'WAKEUP', shoulderTapHex: '', statusReportWaitMs: 60_000, bootstrapAfterFailures: 5, bootstrapBackoffMs: 600_000, bootstrapMaxBackoffMs: 86_400_000, groups: {},
      },
      outboundSms: { resendUnknown: true, relayTtlMs: 60_000, triggerTtlMs: 600_000, bulkTtlMs: 3_600_000, modemComebackWaitMs: 60_000 },
      deviceGroups: [
        { name: 'trackers', endpoints: ['tracker-*'], msisdnPrefixes: [], serverModem: 'a', heldRequestTtlMs: 30_000, smsBudgetPerDay: 500 },
        { name: 'de', endpoints: [], msisdnPrefixes: ['+49'] },
      ],
      smsBudget: { perDevicePerDay: 20, perGroupPerDay: null, keepDays: 8 },
      floodLimits: { smsPerSecPerMsisdn: 0.5, smsBurstPerMsisdn: 10, udpDatagramsPerSecPerSource: 100, udpBurstPerSource: 50 },
    });
    expect(parseRedisUrl(gateway.redisUrl)).toEqual({ tls: true, username: 'user', password: 'pw:1', host: 'redis.lan', port: 6380, db: 4 });
  });

  it('an open sender policy carries no entries', () => {
    const config = parseConfig('core: {host: h}\nmodems: [{name: a, path: /dev/a}]\n', { env: {}, baseDir: '/' });
    expect(toGatewayConfig(config).senderPolicy).toEqual({ mode: 'open' });
    expect(toGatewayConfig(config).redisUrl).toBe('redis://127.0.0.1:6379/0');
  });
});
