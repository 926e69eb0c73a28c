/**
 * The one schema of the gateway's YAML configuration (TypeBox, JSON Schema underneath). It gives
 * the TypeScript types ({@link ConfigFile}), the validation (`config-loader.ts`) and the
 * documentation: every key carries a description with its unit, and its default. The file
 * `config/default.yaml` is rendered from this schema (`renderDefaultsYaml`), and a test keeps the
 * two equal.
 *
 * Conventions: units in key names (`…Ms`, `…Sec`, `…PerSec`, `…Bytes`); secrets never appear in
 * the file, only where to find them (`…Env`: an environment variable, `…File`: a file).
 * Custom keyword `expected` on a schema: how an error message describes what the key takes.
 */
import { Kind, Type, type Static, type TSchema, type TInteger, type TNull, type TObject, type TString, type TUnion } from '@sinclair/typebox';
import { ADMISSION_POLICY_DEFAULTS } from '../bridge/admission-policy.ts';
import { DEFAULT_HELD_REQUEST_TTL_MS, heldRequestLimits } from '../bridge/held-requests.ts';
import { FLOOD_LIMIT_DEFAULTS } from '../bridge/source-rate-limiter.ts';
import { EXCHANGE_LIFETIME_SEC } from '../lwm2m/coap-parameters.ts';
import { DEFAULT_MAX_LIFETIME_SEC } from '../lwm2m/lifetime-cap.ts';
import { DEFAULT_MAX_ENDPOINT_NAME_BYTES } from '../lwm2m/registration-request.ts';
import { MODEM_CONFIG_DEFAULTS } from '../modem/modem-types.ts';
import { RECEIVE_ROUTE_THRESHOLDS as burst } from '../modem/receive-route-states.ts';
import { OUTBOUND_SMS_DEFAULTS } from '../queue/outbound-sms-settings.ts';
import { WAKEUP_DEFAULTS } from '../queue/wakeup-settings.ts';
import { SMS_BUDGET_DEFAULTS } from '../bridge/sms-budget.ts';
import { DEFAULT_ADMIN_PORT } from '../shared/admin-api-defaults.ts';

/** Object with no unknown keys (typos must not pass silently). */
const strict = { additionalProperties: false } as const;

function port(description: string, options: { minimum?: number; default?: number } = {}): TInteger {
  return Type.Integer({ minimum: options.minimum ?? 1, maximum: 65_535, description, ...(options.default === undefined ? {} : { default: options.default }) });
}

/** A non-negative (or positive) whole number of some unit, with a default. */
function count(description: string, defaultValue: number, minimum = 0): TInteger {
  return Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER, default: defaultValue, description });
}

/** A string or null, null by default. */
function nullableString(description: string, options: { pattern?: string; expected?: string; maxLength?: number } = {}): TUnion<[TString, TNull]> {
  return Type.Union([Type.String({ minLength: 1, maxLength: options.maxLength ?? 4096, ...options }), Type.Null()], { default: null, description });
}

/** Where a secret comes from: the name of an environment variable. */
const ENV_NAME = { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 255, expected: 'an environment variable name such as MODEM1_PIN' };
/** Where a secret comes from: a file (relative paths start at the config file's folder). */
const FILE_PATH = { expected: 'a file path' };
/** An IP address or a host name (checked in config-checks.ts). */
const HOST = { minLength: 1, maxLength: 253, expected: 'an IPv4 or IPv6 address or a host name' };

/** Log output. */
const LogSchema = Type.Object({
  level: Type.Union([
    Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'),
    Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent'),
  ], {
    default: 'info',
    description: 'Lowest level written: fatal, error, warn, info, debug, trace, or silent for none.',
  }),
}, { ...strict, default: {}, description: 'Logging: JSON lines on stdout.' });

/** Redis, where every SMS and registration is kept. */
const RedisSchema = Type.Object({
  url: Type.String({
    minLength: 1, maxLength: 4096, default: 'redis://127.0.0.1:6379',
    description: 'redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Port 6379 and database 0 when left out. A password here is allowed but better kept out of the file (passwordEnv, passwordFile).',
    expected: 'a redis:// or rediss:// URL',
  }),
  prefix: Type.String({
    minLength: 1, maxLength: 64, pattern: '^\\S+$', default: 'smsbridge:',
    description: 'Prefix of every key in Redis, so several gateways can share one server.',
    expected: 'a non-empty prefix without spaces, at most 64 characters',
  }),
  passwordEnv: nullableString('Environment variable holding the Redis password (null: none, or the one in url).', ENV_NAME),
  passwordFile: nullableString('File holding the Redis password; one trailing newline is ignored. Relative to this file\'s folder.', FILE_PATH),
}, { ...strict, default: {}, description: 'Redis: received SMS, registrations and queues live there.' });

/** The core LwM2M server. */
const CoreSchema = Type.Object({
  host: Type.String({ ...HOST, examples: ['lwm2m.example.net'], description: 'The core LwM2M server (UDP): IP address or host name.' }),
  port: port('UDP port of the core server.', { default: 5683 }),
}, { ...strict, description: 'The unmodified core LwM2M server every device is presented to.' });

const HostPortSchema = (description: string, host: string, portValue: number): TObject<{ host: TString; port: TInteger }> => Type.Object({
  host: Type.String({ ...HOST, default: host, description: 'Address to listen on.' }),
  port: port('UDP port; 0 picks a free one (tests).', { minimum: 0, default: portValue }),
}, { ...strict, default: {}, description });

const CoreSocketsSchema = Type.Object({
  bindHost: Type.String({ ...HOST, default: '0.0.0.0', description: 'Address the per-device sockets facing the core bind to.' }),
  firstPort: port('First port of the range for per-device sockets (one port per device).', { default: 40_000 }),
  lastPort: port('Last port of that range (inclusive); the range must be at least as large as the fleet.', { default: 49_999 }),
  bindHosts: Type.Array(Type.String(HOST), {
    default: [], maxItems: 256,
    description: 'Several addresses (IP aliases of this node), each with the whole port range; when set, bindHost is not used. One address holds at most 64 Ki ports (docs/scaling.md).',
  }),
  capacity: Type.Integer({
    minimum: 0, default: 0,
    description: 'Devices this node must hold; must fit addresses × ports and udpAdmission.maxRegistrations, and is checked against the open-file limit (LimitNOFILE) by config check and at start. 0: not checked.',
  }),
}, { ...strict, default: {}, description: 'One UDP socket per device faces the core, so the core sees each device as its own client.' });

const d = MODEM_CONFIG_DEFAULTS;

/** One modem. The defaults of the driver's settings are those of `MODEM_CONFIG_DEFAULTS`. */
const ModemSchema = Type.Object({
  name: Type.String({
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$', examples: ['modem-a'],
    description: 'Name in logs, metrics and routing. Unique.',
    expected: 'a name of letters, digits, ".", "_" or "-", at most 63 characters',
  }),
  path: Type.String({
    minLength: 1, maxLength: 4096, pattern: '^(/|tcp://)', examples: ['/dev/serial/by-id/usb-Quectel_EC25-if02-port0'],
    description: 'Serial port, best a stable /dev/serial/by-id/… link (ttyUSB numbers change), or tcp://host:port.',
    expected: 'an absolute device path (/dev/serial/by-id/…) or tcp://host:port',
  }),
  groups: Type.Array(Type.String({ pattern: '^[A-Za-z0-9._-]{1,63}$', expected: 'a group name of letters, digits, ".", "_" or "-"' }), {
    default: ['default'], description: 'Routing groups this modem serves (see routes).',
  }),
  maxPartsPerSec: Type.Number({ minimum: 0, maximum: 1000, default: 0, description: 'Most SMS parts per second this modem sends; 0 for no limit.' }),
  profile: nullableString('Force a modem profile by name (hardware/profiles); null selects it from the modem\'s identity.', {
    pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', maxLength: 63, expected: 'a kebab-case profile name such as quectel-ec25',
  }),
  pinEnv: nullableString('Environment variable holding the SIM PIN (null: no PIN).', ENV_NAME),
  pinFile: nullableString('File holding the SIM PIN. Relative to this file\'s folder.', FILE_PATH),
  smsc: nullableString('SMS service centre number (AT+CSCA); null keeps the SIM\'s.', { pattern: '^\\+?[0-9]{1,20}$', expected: 'a number of digits, optionally with a leading +' }),
  baudRate: count('Serial speed in bit/s (ignored by USB modems).', d.baudRate, 300),
  simWaitMs: count('Longest wait for the SIM to become ready after power-up.', d.simWaitMs),
  registrationWaitMs: count('Longest wait for network registration before a send fails.', d.registrationWaitMs),
  watchdogIntervalMs: count('Period of the watchdog (AT, AT+CSQ, AT+CREG?).', d.watchdogIntervalMs, 1),
  sweepIntervalMs: count('Period of the sweep of every SMS storage (AT+CMGL=4): indications get lost.', d.sweepIntervalMs, 1),
  receiveRoute: Type.Union([Type.Literal('auto'), Type.Literal('direct'), Type.Literal('stored')], {
    default: d.receiveRoute,
    description: `How SMS arrive: auto = adaptive: direct delivery (+CMT, one AT+CNMA each after persisting) while SMS come one at a time, switched to the stored route read in batches during a burst (${burst.burstLength === 1 ? 'an SMS' : `${burst.burstLength} SMS in a row each`} within ${burst.backToBackGapMs} ms of the previous one's AT+CNMA) and back after ${burst.quietMs} ms without SMS; needs AT+CSMS=1, a profile that prefers direct delivery, <mt>=1 offered by AT+CNMI=? and storedRead: batch, else the one route possible; direct = direct delivery where possible, never switched; stored = always stored and announced with +CMTI (docs/benchmarks.md).`,
  }),
  storedRead: Type.Union([Type.Literal('batch'), Type.Literal('single')], {
    default: d.storedRead,
    description: 'How SMS stored on the modem (+CMTI) are read: batch = every unread one with one AT+CMGL=0, persisted together, then deleted with one AT+CMGD=<i>,1 where the modem offers it; single = AT+CMGR and AT+CMGD for each.',
  }),
  escalateAfterErrors: count('Consecutive failures before the driver escalates (re-init, reset, reopen).', d.escalateAfterErrors, 1),
  blockAfterErrors: count('Consecutive failures that block the modem for blockTimeMs.', d.blockAfterErrors, 1),
  blockTimeMs: count('How long a blocked modem rests before it is opened again.', d.blockTimeMs),
  presenceCheckIntervalMs: count('How often the device path is checked while open (a vanished path means the port is dead).', d.presenceCheckIntervalMs, 1),
  reopenMinDelayMs: count('First wait before reopening a vanished port (doubles on each failure).', d.reopenMinDelayMs),
  reopenMaxDelayMs: count('Longest wait between attempts to reopen a vanished port.', d.reopenMaxDelayMs),
}, { ...strict, description: 'A cellular modem with its SIM.' });

const RouteSchema = Type.Object({
  prefix: Type.String({ maxLength: 20, pattern: '^\\+?[0-9]*$', examples: ['+49'], description: 'Destination numbers starting with these digits ("" matches all); the longest prefix wins.', expected: 'digits, optionally with a leading +' }),
  group: Type.String({ pattern: '^[A-Za-z0-9._-]{1,63}$', examples: ['domestic'], description: 'Group of modems that sends to them.', expected: 'a group name served by a modem' }),
}, strict);

const SenderPolicySchema = Type.Object({
  mode: Type.Union([Type.Literal('open'), Type.Literal('allowlist')], {
    default: 'open', description: 'open: any number may use the gateway; allowlist: only numbers matching an entry (others are dropped).',
  }),
  entries: Type.Array(Type.String({ maxLength: 21, pattern: '^\\+?[0-9]+\\*?$', expected: 'a number or prefix of digits, optionally with a leading + and a trailing *' }), {
    default: [], description: 'Numbers or prefixes (trailing * allowed) allowed in allowlist mode.',
  }),
}, { ...strict, default: {}, description: 'Which numbers may reach the core by SMS (LwM2M: a client ignores SMS from unknown numbers).' });

const RegistrationSchema = Type.Object({
  maxEndpointNameBytes: count('Longest endpoint name accepted in a Register (UTF-8 bytes); longer ones are answered 4.00 and nothing is stored.', DEFAULT_MAX_ENDPOINT_NAME_BYTES, 1),
  maxLifetimeSec: count('Longest registration lifetime; a larger lt is lowered to it on the way to the core.', DEFAULT_MAX_LIFETIME_SEC, 1),
  registerAnswerTimeoutMs: count('How long a Register waits for the core\'s answer before its record and port are released (RFC 7252 EXCHANGE_LIFETIME).', EXCHANGE_LIFETIME_SEC * 1000, 1),
}, { ...strict, default: {}, description: 'Limits on what a registration may hold.' });

const admission = ADMISSION_POLICY_DEFAULTS;

const UdpAdmissionSchema = Type.Object({
  allowedNetworks: Type.Array(Type.String({ minLength: 1, maxLength: 64, expected: 'a CIDR network such as 10.0.0.0/8 or 2001:db8::/32' }), {
    default: [...admission.allowedNetworks], description: 'CIDR networks UDP devices may register from (IPv4 and IPv6).',
  }),
  endpointPatterns: Type.Array(Type.String({ minLength: 1, maxLength: 255, expected: 'a non-empty glob (* any run, ? one character)' }), {
    default: [...admission.endpointPatterns], description: 'Globs (* any run, ? one character) an endpoint name registered over UDP must match.',
  }),
  maxRegistrationsPerSource: count('Most registrations whose UDP address is on one host (IP address).', admission.maxRegistrationsPerSource, 1),
  maxRegistrations: count('Most registrations the gateway holds, all bearers (never more than the core-facing ports); a fleet above it needs it raised with the ports (docs/scaling.md).', admission.maxRegistrations, 1),
  udpAddressChange: Type.Union([Type.Literal('any'), Type.Literal('same-host'), Type.Literal('never')], {
    default: admission.udpAddressChange,
    description: 'Whether a Register from another address may take over a UDP endpoint: any, same-host (another port of its host), never.',
  }),
}, { ...strict, default: {}, description: 'Who may register over UDP (plain CoAP carries no authentication), and when a registration may move.' });

export { DEFAULT_ADMIN_PORT };

const AdminSchema = Type.Object({
  enabled: Type.Boolean({ default: false, description: 'Serve the admin HTTP API (/api/v1, /metrics; docs/admin.md). Needs tokenEnv or tokenFile.' }),
  listen: Type.Object({
    host: Type.String({ ...HOST, default: '127.0.0.1', description: 'Address to listen on; keep it on loopback unless a proxy with TLS is in front.' }),
    port: port('TCP port; 0 picks a free one (tests).', { minimum: 0, default: DEFAULT_ADMIN_PORT }),
  }, { ...strict, default: {}, description: 'Where the admin API listens (plain HTTP).' }),
  tokenEnv: nullableString('Environment variable holding the read-write bearer token (every route).', ENV_NAME),
  tokenFile: nullableString('File holding the read-write bearer token. Relative to this file\'s folder.', FILE_PATH),
  readOnlyTokenEnv: nullableString('Environment variable holding a read-only bearer token (GET routes and /metrics only; null: none).', ENV_NAME),
  readOnlyTokenFile: nullableString('File holding the read-only bearer token. Relative to this file\'s folder.', FILE_PATH),
  bodyLimitBytes: count('Largest request body accepted; a larger one is answered 400.', 16_384, 256),
  metricsListen: Type.Object({
    enabled: Type.Boolean({ default: false, description: 'Also serve /metrics here WITHOUT a token (for a Prometheus on a private network); /metrics on listen keeps needing a token.' }),
    host: Type.String({ ...HOST, default: '127.0.0.1', description: 'Address to listen on.' }),
    port: port('TCP port; 0 picks a free one (tests).', { minimum: 0, default: 9683 }),
  }, { ...strict, default: {}, description: 'A token-free listener for Prometheus metrics only.' }),
}, { ...strict, default: {}, description: 'The admin HTTP API for operators and scripts: bearer tokens, read-only or read-write.' });

const held = heldRequestLimits();

const HeldRequestsSchema = Type.Object({
  ttlMs: count('How long a request of the core waits for a device that cannot be reached before the core gets 5.04; keep it below the core\'s request timeout (Leshan: 120000).', DEFAULT_HELD_REQUEST_TTL_MS, 1),
  maxPerDevice: count('Most requests held per device; the next is answered 5.03 with Max-Age.', held.maxPerDevice, 1),
  maxTotal: count('Most requests held for all devices together.', held.maxTotal, 1),
}, { ...strict, default: {}, description: 'Requests of the core held while their device sleeps: bounded, answered 5.04 when they expire, never delivered late.' });

const wakeupDefaults = WAKEUP_DEFAULTS;

/** Wake-up settings; every field optional in a group's override. */
const wakeupFields = {
  attempts: count('Most Registration Update Triggers sent for one wake-up request.', wakeupDefaults.attempts, 1),
  backoffMs: count('Wait after the first trigger for the device to be heard, in ms; doubled after each trigger, less up to 20 % jitter.', wakeupDefaults.backoffMs, 1),
  maxBackoffMs: count('Longest wait between two triggers, in ms.', wakeupDefaults.maxBackoffMs, 1),
  ttlMs: count('How long a wake-up request lives, from the request, in ms; then the job gives up.', wakeupDefaults.ttlMs, 1),
  triggerMode: Type.Union([Type.Literal('CON'), Type.Literal('NON')], { default: wakeupDefaults.triggerMode, description: 'CoAP type of the trigger (LwM2M 1.1+ clients send no response either way).' }),
  framing: Type.Union([Type.Literal('coap'), Type.Literal('wap-push')], { default: wakeupDefaults.framing, description: 'Trigger framing: raw 8-bit CoAP, or the WAP Push of the LwM2M Core appendix (port 2948, x-wap-application:lwm2m.dm).' }),
  triggerKind: Type.Union([Type.Literal('registration-update'), Type.Literal('shoulder-tap')], { default: wakeupDefaults.triggerKind, description: 'What a wake-up sends: the Registration Update Trigger (/1/x/8), or a plain shoulder-tap SMS.' }),
  shoulderTapText: Type.String({ minLength: 1, maxLength: 160, default: wakeupDefaults.shoulderTapText, description: 'Shoulder-tap text (GSM 7-bit when it can, else UCS2); sent when shoulderTapHex is empty.' }),
  shoulderTapHex: Type.String({ maxLength: 280, pattern: '^([0-9A-Fa-f]{2})*$', default: wakeupDefaults.shoulderTapHex, expected: 'hex digits, two per octet', description: 'Shoulder-tap as 8-bit data (hex); empty: send shoulderTapText.' }),
  statusReportWaitMs: count('How long after a trigger its SMS status report is waited for, in ms; later, the attempt counts as "no report".', wakeupDefaults.statusReportWaitMs, 1),
  bootstrapAfterFailures: count('Failed Registers (refused 4.xx/5.xx or unanswered by the core) after which the device gets a Bootstrap-Request Trigger (/1/x/9); 0: never.', wakeupDefaults.bootstrapAfterFailures, 0),
  bootstrapBackoffMs: count('Least wait between two Bootstrap-Request Triggers to one device, in ms; doubled after each.', wakeupDefaults.bootstrapBackoffMs, 1),
  bootstrapMaxBackoffMs: count('Longest wait between two Bootstrap-Request Triggers to one device, in ms.', wakeupDefaults.bootstrapMaxBackoffMs, 1),
};

/** `schema` without its default: a group's override leaves out what it does not change. */
function noDefault<T extends TSchema>(schema: T): T {
  const { default: _unused, ...rest } = schema as T & { default?: unknown };
  return rest as T;
}

const WakeupOverrideSchema = Type.Object({
  attempts: Type.Optional(noDefault(wakeupFields.attempts)),
  backoffMs: Type.Optional(noDefault(wakeupFields.backoffMs)),
  maxBackoffMs: Type.Optional(noDefault(wakeupFields.maxBackoffMs)),
  ttlMs: Type.Optional(noDefault(wakeupFields.ttlMs)),
  triggerMode: Type.Optional(noDefault(wakeupFields.triggerMode)),
  framing: Type.Optional(noDefault(wakeupFields.framing)),
  triggerKind: Type.Optional(noDefault(wakeupFields.triggerKind)),
  shoulderTapText: Type.Optional(noDefault(wakeupFields.shoulderTapText)),
  shoulderTapHex: Type.Optional(noDefault(wakeupFields.shoulderTapHex)),
  statusReportWaitMs: Type.Optional(noDefault(wakeupFields.statusReportWaitMs)),
  bootstrapAfterFailures: Type.Optional(noDefault(wakeupFields.bootstrapAfterFailures)),
  bootstrapBackoffMs: Type.Optional(noDefault(wakeupFields.bootstrapBackoffMs)),
  bootstrapMaxBackoffMs: Type.Optional(noDefault(wakeupFields.bootstrapMaxBackoffMs)),
}, { ...strict });

const WakeupSchema = Type.Object({
  ...wakeupFields,
  groups: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), WakeupOverrideSchema, { default: {}, description: 'Overrides by device group name (see deviceGroups).' }),
}, { ...strict, default: {}, description: 'Wake-up of sleeping devices by trigger SMS (BullMQ jobs, one per device): attempts, back-off, time-to-live, framing, delivery reports; the Bootstrap-Request Trigger after failed Registers.' });

const outbound = OUTBOUND_SMS_DEFAULTS;

/** The outbound SMS queue (priorities are fixed: relay, then triggers, then bulk; the rate is each modem's maxPartsPerSec). */
const OutboundSmsSchema = Type.Object({
  resendUnknown: Type.Boolean({ default: outbound.resendUnknown, description: 'Resend, once, an SMS whose outcome is unknown (the modem took it but never confirmed, or the process died while sending); the device may then get it twice.' }),
  relayTtlMs: count('How long a request or answer to a device may wait in the queue, in ms; then it is dropped unsent. Keep it below the core\'s request timeout: a Write or Execute must not reach a device after the core gave up.', outbound.relayTtlMs, 1),
  triggerTtlMs: count('How long a wake-up trigger may wait in the queue, in ms; then it is dropped unsent.', outbound.triggerTtlMs, 1),
  bulkTtlMs: count('How long an SMS of the admin API\'s send may wait in the queue, in ms; then it is dropped unsent.', outbound.bulkTtlMs, 1),
  modemComebackWaitMs: count('How long an SMS for a device whose modem is coming back (replugged, rebooting) waits for it, in ms; 0: fail at once. No other modem stands in: the device accepts SMS from its server number only.', outbound.modemComebackWaitMs, 0),
}, { ...strict, default: {}, description: 'Every SMS the gateway sends is a job of one queue (BullMQ) worked by the modem pool: answers to devices first, then triggers, then bulk; never resent when its outcome is unknown.' });

const DeviceGroupSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64, description: 'Name of the group (for logs).', examples: ['trackers'] }),
  endpoints: Type.Array(Type.String({ minLength: 1, maxLength: 255, expected: 'an endpoint name or a glob (* any run, ? one character)' }), {
    default: [], description: 'Endpoint name patterns of the group (* matches any run of characters).', examples: [['tracker-*']],
  }),
  msisdnPrefixes: Type.Array(Type.String({ maxLength: 21, pattern: '^\\+?[0-9]+$', expected: 'a number prefix of digits, optionally with a leading +' }), {
    default: [], description: 'MSISDN prefixes of the group.', examples: [['+4917']],
  }),
  serverModem: { ...nullableString('Name of the modem whose number these devices accept as their server\'s: SMS to them leave only from it. null: the modem they last sent SMS to.'), examples: ['modem-2'] },
  heldRequestTtlMs: Type.Union([Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()], {
    default: null, description: 'Hold time of requests for these devices; null: heldRequests.ttlMs.', examples: [30000],
  }),
  asleepRequests: Type.Union([Type.Literal('sms'), Type.Literal('hold')], {
    default: 'sms', examples: ['hold'], description: 'Requests of the core for a queue-mode device asleep over UDP that SMS could carry (UQS): sms sends each by SMS; hold holds them and wakes the device by trigger SMS, then delivers them over UDP (one SMS for any number of requests).',
  }),
  smsBudgetPerDay: nullableBudget('SMS parts all devices of this group together may be sent per UTC day; past it, triggers and downlink SMS are refused. null: smsBudget.perGroupPerDay.'),
  smsBudgetPerDevicePerDay: nullableBudget('SMS parts each device of this group may be sent per UTC day. null: smsBudget.perDevicePerDay.'),
}, { ...strict });

/** An SMS budget in parts per UTC day, or null. */
function nullableBudget(description: string) {
  return Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()], { default: null, description, examples: [500] });
}

const SmsBudgetSchema = Type.Object({
  perDevicePerDay: Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()], {
    default: SMS_BUDGET_DEFAULTS.perDevicePerDay, description: 'SMS parts one device may be sent per UTC day (triggers, requests of the core, answers); past it the core gets 5.03 with Max-Age until the next UTC day and a wake-up gives up. null: no limit.',
  }),
  perGroupPerDay: Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()], {
    default: SMS_BUDGET_DEFAULTS.perGroupPerDay, description: 'SMS parts all devices of one device group (or all devices in no group) may be sent per UTC day. null: no limit.',
  }),
  keepDays: count('Days the per-day spend counters are kept in Redis.', SMS_BUDGET_DEFAULTS.keepDays, 1),
}, { ...strict, default: {}, description: 'SMS spend: parts counted per device, per device group and per UTC day in Redis, with daily budgets (a device group may set its own).' });
const flood = FLOOD_LIMIT_DEFAULTS;

/** Flood limits of the uplink: a token bucket per number and per UDP source host. */
const FloodLimitsSchema = Type.Object({
  smsPerSecPerMsisdn: Type.Number({ minimum: 0, maximum: 1000, default: flood.smsPerSecPerMsisdn, description: 'SMS per second one originating number may keep sending (excess dropped as rate-limited, after it was stored and acknowledged); 0 for no limit.' }),
  smsBurstPerMsisdn: count('SMS one number may send at once after a quiet time.', flood.smsBurstPerMsisdn, 1),
  udpDatagramsPerSecPerSource: Type.Number({ minimum: 0, maximum: 1_000_000, default: flood.udpDatagramsPerSecPerSource, description: 'Datagrams per second one UDP source host (IP address) may keep sending (excess dropped as rate-limited); 0 for no limit.' }),
  udpBurstPerSource: count('Datagrams one UDP source host may send at once after a quiet time.', flood.udpBurstPerSource, 1),
}, { ...strict, default: {}, description: 'Flood limits: one number or one UDP host sending too fast is cut to its rate, and never delays the others.' });

/** The whole configuration file. */
export const CONFIG_SCHEMA = Type.Object({
  log: LogSchema,
  redis: RedisSchema,
  core: CoreSchema,
  udpListen: HostPortSchema('Where devices with a UDP binding reach the gateway.', '0.0.0.0', 5683),
  coreSockets: CoreSocketsSchema,
  modems: Type.Array(ModemSchema, { minItems: 1, maxItems: 256, description: 'The modems. At least one.' }),
  routes: Type.Array(RouteSchema, { default: [], description: 'Routing of outgoing SMS by destination prefix to a group of modems; no match: any modem.' }),
  senderPolicy: SenderPolicySchema,
  registration: RegistrationSchema,
  udpAdmission: UdpAdmissionSchema,
  heldRequests: HeldRequestsSchema,
  deviceGroups: Type.Array(DeviceGroupSchema, {
    default: [], description: 'Device groups, first match wins (endpoint pattern or MSISDN prefix): the modem each device accepts SMS from, and its hold time.',
  }),
  wakeup: WakeupSchema,
  smsBudget: SmsBudgetSchema,
  outboundSms: OutboundSmsSchema,
  floodLimits: FloodLimitsSchema,
  awakeWindowMs: count('Queue mode: how long a device stays reachable over UDP after it was last heard.', 93_000),
  reassemblyTimeoutSec: count('How long parts of a concatenated SMS wait for the rest.', 600, 1),
  maintenanceIntervalMs: count('Period of housekeeping (reassembly timeouts, lapsed registrations).', 1_000, 1),
  profilesDir: nullableString('Folder of modem profiles; null for the packaged hardware/profiles. Relative to this file\'s folder.', FILE_PATH),
  admin: AdminSchema,
}, { ...strict, description: 'lwm2m-sms-bridge configuration' });

/** Recursively read-only. */
export type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The configuration as written in the file, with defaults applied (secrets not yet resolved). */
export type ConfigFile = DeepReadonly<Static<typeof CONFIG_SCHEMA>>;

/** One modem as written in the file. */
export type ModemFileConfig = ConfigFile['modems'][number];

type ConfigSchemaValue = Static<typeof CONFIG_SCHEMA>;

/**
 * The loaded configuration: the file with defaults applied, relative paths made absolute, and
 * the secrets resolved (`redis.password`: from the URL, `passwordEnv` or `passwordFile`;
 * `modems[].pin`: from `pinEnv` or `pinFile`; `admin.token`, `admin.readOnlyToken`: from their
 * `…Env` or `…File`; null where none is configured). Deep-frozen.
 * Log it only through `redactConfig`.
 */
export type Config = DeepReadonly<Omit<ConfigSchemaValue, 'redis' | 'modems' | 'admin'> & {
  redis: ConfigSchemaValue['redis'] & { password: string | null };
  admin: ConfigSchemaValue['admin'] & { token: string | null; readOnlyToken: string | null };
  modems: (ConfigSchemaValue['modems'][number] & { pin: string | null })[];
}>;

/**
 * A copy of `value` with the keys of every object in the schema's order (unknown keys last), so
 * that output does not depend on the order of the file. Values the schema does not describe are
 * kept as they are.
 */
export function inSchemaOrder<T>(schema: TSchema, value: T): T {
  if (Array.isArray(value)) {
    const items = schema[Kind] === 'Array' ? (schema['items'] as TSchema) : null;
    return value.map((item: unknown) => (items === null ? item : inSchemaOrder(items, item))) as T;
  }
  if (typeof value !== 'object' || value === null) return value;
  const member = schema[Kind] === 'Union' ? (schema['anyOf'] as TSchema[]).find((s) => s[Kind] === 'Object') : schema;
  const properties = member?.[Kind] === 'Object' ? (member['properties'] as Record<string, TSchema>) : {};
  const source = value as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(properties)) if (Object.hasOwn(source, key)) result[key] = inSchemaOrder(property, source[key]);
  for (const key of Object.keys(source)) if (!Object.hasOwn(result, key)) result[key] = source[key];
  return result as T;
}
