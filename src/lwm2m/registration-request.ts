/**
 * Query parameters of LwM2M Register and Update requests (LwM2M 1.0 §5.3.1 / 1.1 Core §6.2.1
 * "Register", §6.2.2 "Update"; 1.1 Transport "Registration Interface"): `ep`, `lt`, `lwm2m`, `b`,
 * `sms`, `Q`, `pid`, and the binding letters of the `b` parameter. Pure.
 *
 * Errors are {@link DecodeError} `GW_ERR_LWM2M_REGISTRATION` whose field is the parameter name.
 */
import { DecodeError } from '../shared/errors.ts';

/** The binding of a `b` parameter (or of Server resource /1/x/7). */
export interface Binding {
  /** U: CoAP over UDP. */
  readonly udp: boolean;
  /** S: CoAP over SMS. */
  readonly sms: boolean;
  /** T: CoAP over TCP (1.1+). */
  readonly tcp: boolean;
  /** N: CoAP over non-IP / 3GPP CIoT NIDD (1.1+). */
  readonly nonIp: boolean;
  /** M: MQTT (1.2+). */
  readonly mqtt: boolean;
  /** H: HTTP (1.2+). */
  readonly http: boolean;
  /** Q in a 1.0 binding (UQ, SQ, UQS). Always false from 1.1, where queue mode is the `Q` parameter. */
  readonly queue: boolean;
  /** The text as sent. */
  readonly raw: string;
}

/** LwM2M 1.0 Table "Binding Mode" (1.0 §5.3.1.1): the only six values; "UQSQ and USQ are not supported". */
export const LWM2M_1_0_BINDINGS: readonly string[] = Object.freeze(['U', 'UQ', 'S', 'SQ', 'US', 'UQS']);

/** Binding letters per version: 1.1 allows U, T, S, N in any non-repeating combination; 1.2 adds M and H. */
const LETTERS_1_1 = 'UTSN';
const LETTERS_1_2 = 'UTSNMH';

/** A problem found in a value: where (index into the value) and what. */
interface Problem {
  readonly index: number;
  readonly message: string;
}

function bindingProblem(text: string, minor: number): Problem | Binding {
  if (text === '') return { index: 0, message: 'the binding is empty' };
  const letters = minor === 0 ? 'USQ' : minor === 1 ? LETTERS_1_1 : LETTERS_1_2;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (!letters.includes(ch)) return { index: i, message: `"${ch}" is not a binding letter of LwM2M 1.${minor} (${letters.split('').join(', ')})` };
    if (minor > 0 && text.indexOf(ch) < i) return { index: i, message: `"${ch}" repeats` };
  }
  if (minor === 0 && !LWM2M_1_0_BINDINGS.includes(text)) {
    return { index: 0, message: `"${text}" is not one of the LwM2M 1.0 bindings ${LWM2M_1_0_BINDINGS.join(', ')}` };
  }
  return {
    udp: text.includes('U'),
    sms: text.includes('S'),
    tcp: text.includes('T'),
    nonIp: text.includes('N'),
    mqtt: text.includes('M'),
    http: text.includes('H'),
    queue: minor === 0 && text.includes('Q'),
    raw: text,
  };
}

/** Minor version of an LwM2M version text "1.x" (x ≥ 0), or null for anything else. */
function minorVersion(version: string): number | null {
  const match = /^1\.(0|[1-9][0-9]?)$/.exec(version);
  return match === null ? null : Number(match[1]);
}

function isProblem(value: Problem | Binding): value is Problem {
  return 'index' in value;
}

/**
 * Parses a binding (`b` parameter, resource /1/x/7) for LwM2M version `lwm2mVersion` ("1.0",
 * "1.1", "1.2", …; later 1.x versions follow the 1.2 rules):
 * - 1.0 accepts exactly U, UQ, S, SQ, US, UQS ({@link LWM2M_1_0_BINDINGS});
 * - 1.1 accepts any non-repeating combination of U, T, S, N; 1.2+ adds M and H; `Q` is not a
 *   binding letter from 1.1 on (queue mode is the valueless `Q` parameter).
 *
 * Throws {@link DecodeError} `GW_ERR_LWM2M_REGISTRATION`, field `b`, offset = index of the
 * offending letter (0 for an empty or disallowed 1.0 value); field `lwm2m`, offset 0, when
 * `lwm2mVersion` is not "1.x".
 */
export function parseBinding(text: string, lwm2mVersion: string): Binding {
  const minor = minorVersion(lwm2mVersion);
  if (minor === null) throw new DecodeError('GW_ERR_LWM2M_REGISTRATION', 'lwm2m', 0, `"${lwm2mVersion}" is not an LwM2M 1.x version`);
  const result = bindingProblem(text, minor);
  if (isProblem(result)) throw new DecodeError('GW_ERR_LWM2M_REGISTRATION', 'b', result.index, result.message);
  return result;
}

/** E.164 (ITU-T E.164 §6): at most 15 digits. */
const MSISDN = /^\+?([0-9]{1,15})$/;

/**
 * An MSISDN in the form LwM2M uses (1.1 Transport, Registration Interface: TS 23.003 digits,
 * "'+' is not preceding the country code"): `+4917612345678` and `4917612345678` both give
 * `4917612345678`. Throws {@link DecodeError} `GW_ERR_LWM2M_REGISTRATION`, field `field`
 * (default `sms`), offset 0, unless the text is an optional `+` and 1..15 digits.
 */
export function normaliseMsisdn(text: string, field = 'sms'): string {
  const match = MSISDN.exec(text);
  if (match === null) throw new DecodeError('GW_ERR_LWM2M_REGISTRATION', field, 0, `"${text}" is not an MSISDN (an optional "+" and 1-15 digits)`);
  return match[1] ?? '';
}

/** Register / Update parameters. Absent parameters are null (defaults are the caller's choice). */
export interface RegisterQuery {
  /** `ep`: Endpoint Client Name. */
  readonly endpoint: string | null;
  /** `lt`: lifetime in seconds. */
  readonly lifetimeSec: number | null;
  /** `lwm2m`: LwM2M version, "1.x". */
  readonly lwm2mVersion: string | null;
  /** `b` as sent. */
  readonly binding: string | null;
  /** `b` parsed for the version in effect (see {@link parseRegisterQuery}). */
  readonly bindingMode: Binding | null;
  /** `sms`: the MSISDN normalised by {@link normaliseMsisdn}, or (1.1+) an External Identifier `id@domain` as sent. */
  readonly smsNumber: string | null;
  /** True for the valueless `Q` parameter (1.1+), or for a 1.0 binding with Q (UQ, SQ, UQS). */
  readonly queueMode: boolean;
  /** `pid`: Profile ID (1.2). */
  readonly profileId: string | null;
  /** Every other parameter, by name: its value, or true when it had none. */
  readonly extra: Readonly<Record<string, string | true>>;
}

/** Options of {@link parseRegisterQuery}. */
export interface RegisterQueryOptions {
  /**
   * LwM2M version of the registration, for an Update (which carries no `lwm2m`); used to check
   * `b` when the query has no `lwm2m`. Default "1.0", the Register default (1.0 §5.3.1).
   */
  readonly lwm2mVersion?: string;
  /** Longest `ep` in UTF-8 bytes. @defaultValue {@link DEFAULT_MAX_ENDPOINT_NAME_BYTES} */
  readonly maxEndpointNameBytes?: number;
}

/**
 * Default longest endpoint name, in UTF-8 bytes. LwM2M sets no limit; names in use are URNs such
 * as `urn:imei:490154203237518` (24) or `urn:uuid:` + 36 (45), so 255 leaves room to spare.
 */
export const DEFAULT_MAX_ENDPOINT_NAME_BYTES = 255;

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators: never in an endpoint name. */
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Checks an Endpoint Client Name before anything stores it: not empty, at most `maxBytes` UTF-8
 * bytes, printable (no control character, no line separator). Throws {@link DecodeError}
 * `GW_ERR_LWM2M_REGISTRATION`, field `ep`, offset = the index of the offending character (0 for
 * the length), otherwise returns the name. Linear in the name's length.
 */
export function validateEndpointName(name: string, maxBytes = DEFAULT_MAX_ENDPOINT_NAME_BYTES): string {
  if (name === '') throw new DecodeError('GW_ERR_LWM2M_REGISTRATION', 'ep', 0, 'the endpoint name is empty');
  // Every UTF-16 code unit is at least one UTF-8 byte: the cheap bound first, then the exact count.
  if (name.length > maxBytes || Buffer.byteLength(name, 'utf8') > maxBytes) {
    throw new DecodeError('GW_ERR_LWM2M_REGISTRATION', 'ep', 0, `the endpoint name is longer than ${maxBytes} bytes`);
  }
  const bad = NOT_PRINTABLE.exec(name);
  if (bad !== null) {
    const hex = (bad[0].codePointAt(0) ?? 0).toString(16).padStart(4, '0');
    throw new DecodeError('GW_ERR_LWM2M_REGISTRATION', 'ep', bad.index, `the endpoint name holds the unprintable character U+${hex}`);
  }
  return name;
}

/** Parameters that need a value; `Q` must have none. */
const VALUED = new Set(['ep', 'lt', 'lwm2m', 'b', 'sms', 'pid']);
/** 3GPP TS 23.003 §19.7.2 External Identifier: `<Local Identifier>@<Domain Identifier>`. */
const EXTERNAL_ID = /^[^@\s]+@[^@\s]+$/;

/**
 * Parses the Uri-Query arguments of a Register or Update (`['ep=node1', 'lt=300', 'lwm2m=1.1',
 * 'b=U', 'Q']`). Each argument is `name=value` split at the first `=`, or a bare `name`.
 * Throws {@link DecodeError} `GW_ERR_LWM2M_REGISTRATION`, field = parameter name, offset = index
 * of the offending argument in `query` (field `query` for an argument with an empty name, such as
 * `=x`), for: a repeated parameter; `ep`, `lt`, `lwm2m`, `b`,
 * `sms` or `pid` without a value; an `ep` that {@link validateEndpointName} refuses; `Q` with a value (Leshan rejects `Q=…` too); an
 * `lt` that is not a non-negative decimal integer (at most 2^53 − 1); an `lwm2m` that is not
 * "1.x"; a `b` that {@link parseBinding} rejects for the version in effect (`lwm2m` of the
 * query, else `options.lwm2mVersion`, else "1.0"); an `sms` that is neither an MSISDN nor
 * (1.1+) an External Identifier.
 */
export function parseRegisterQuery(query: readonly string[], options: RegisterQueryOptions = {}): RegisterQuery {
  // Every Register and Update is parsed here: plain loops and module functions, no closure per
  // call (bench/device-scale: CPU per Register).
  const params: Params = new Map();
  for (let index = 0; index < query.length; index++) {
    const argument = query[index]!;
    const eq = argument.indexOf('=');
    const name = eq < 0 ? argument : argument.slice(0, eq);
    const value = eq < 0 ? true : argument.slice(eq + 1);
    if (name === '') throw new DecodeError('GW_ERR_LWM2M_REGISTRATION', 'query', index, `argument "${argument}" has no parameter name`);
    if (params.has(name)) throw new DecodeError('GW_ERR_LWM2M_REGISTRATION', name, index, `parameter "${name}" is repeated`);
    params.set(name, { value, index });
  }
  const q = params.get('Q');
  if (q !== undefined && q.value !== true) failAt(params, 'Q', 'the queue-mode parameter "Q" takes no value');

  const endpoint = paramText(params, 'ep');
  if (endpoint !== null) {
    try {
      validateEndpointName(endpoint, options.maxEndpointNameBytes);
    } catch (error) {
      failAt(params, 'ep', error instanceof DecodeError ? error.message.replace(/^ep at byte \d+: /, '') : String(error));
    }
  }
  const lt = paramText(params, 'lt');
  let lifetimeSec: number | null = null;
  if (lt !== null) {
    lifetimeSec = /^[0-9]+$/.test(lt) ? Number(lt) : Number.NaN;
    if (!Number.isSafeInteger(lifetimeSec)) failAt(params, 'lt', `"${lt}" is not a non-negative integer number of seconds`);
  }
  const lwm2mVersion = paramText(params, 'lwm2m');
  const version = lwm2mVersion ?? options.lwm2mVersion ?? '1.0';
  const minor = minorVersion(version);
  if (minor === null) failAt(params, 'lwm2m', `"${version}" is not an LwM2M 1.x version`);

  const binding = paramText(params, 'b');
  let bindingMode: Binding | null = null;
  if (binding !== null) {
    const result = bindingProblem(binding, minor);
    if (isProblem(result)) failAt(params, 'b', `${result.message} (character ${result.index} of "${binding}")`);
    bindingMode = result;
  }
  const sms = paramText(params, 'sms');
  let smsNumber: string | null = null;
  if (sms !== null) {
    if (minor > 0 && EXTERNAL_ID.test(sms)) smsNumber = sms;
    else if (MSISDN.test(sms)) smsNumber = normaliseMsisdn(sms);
    else failAt(params, 'sms', `"${sms}" is not an MSISDN (optional "+" and 1-15 digits)${minor > 0 ? ' or an External Identifier' : ''}`);
  }
  let extra: [string, string | true][] | null = null;
  for (const [name, { value }] of params) if (!VALUED.has(name) && name !== 'Q') (extra ??= []).push([name, value]);
  return {
    endpoint,
    lifetimeSec,
    lwm2mVersion,
    binding,
    bindingMode,
    smsNumber,
    queueMode: q !== undefined || (bindingMode?.queue ?? false),
    profileId: paramText(params, 'pid'),
    extra: extra === null ? {} : Object.fromEntries(extra),
  };
}

/** The arguments of a query by name: value (true for none) and index. */
type Params = Map<string, { readonly value: string | true; readonly index: number }>;

/** Throws the DecodeError of parameter `name` (offset: its argument's index, 0 when absent). */
function failAt(params: Params, name: string, message: string): never {
  throw new DecodeError('GW_ERR_LWM2M_REGISTRATION', name, params.get(name)?.index ?? 0, message);
}

/** The value of parameter `name`, null when absent; throws when it has none. */
function paramText(params: Params, name: string): string | null {
  const entry = params.get(name);
  if (entry === undefined) return null;
  if (entry.value === true) return failAt(params, name, `parameter "${name}" needs a value`);
  return entry.value;
}
