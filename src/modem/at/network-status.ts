/**
 * Network registration (`+CREG`, `+CGREG`, `+CEREG`; 3GPP TS 27.007 §7.2, §10.1) and signal
 * quality (`+CSQ`; TS 27.007 §8.5) lines. The same parsers serve the URCs and the responses to
 * `AT+CREG?` / `AT+CSQ`.
 *
 * Pure functions; malformed values throw {@link DecodeError} `GW_ERR_AT_PARSE` with the prefix as
 * `field` and the character offset in the line as `offset`.
 */
import {
  fieldToInt,
  parseInformationFields,
  requireField,
  type InformationField,
} from './information-fields.ts';
import { DecodeError } from '../../shared/errors.ts';

/** `+CREG` (circuit switched), `+CGREG` (GPRS) or `+CEREG` (EPS). */
export type RegistrationPrefix = '+CREG' | '+CGREG' | '+CEREG';

/**
 * Shape of a registration line: the URC `<stat>[,…]` (sent when `AT+CREG=<n>` with n ≥ 1) or the
 * read response `<n>,<stat>[,…]` to `AT+CREG?`. `+CREG: 0,1` is a response, never a URC.
 */
export type RegistrationForm = 'urc' | 'response';

/** Meaning of `<stat>`, TS 27.007 §7.2; values above 10 are `other`. */
export type RegistrationStatus =
  | 'not-registered' // 0: not registered, not searching
  | 'home' // 1: registered, home network
  | 'searching' // 2: not registered, searching
  | 'denied' // 3: registration denied
  | 'unknown' // 4: e.g. out of E-UTRAN coverage
  | 'roaming' // 5: registered, roaming
  | 'sms-only-home' // 6: registered for "SMS only", home network
  | 'sms-only-roaming' // 7: registered for "SMS only", roaming
  | 'emergency-only' // 8: attached for emergency bearer services only
  | 'csfb-not-preferred-home' // 9
  | 'csfb-not-preferred-roaming' // 10
  | 'other';

/** Network registration state from one `+CREG`/`+CGREG`/`+CEREG` line. */
export interface RegistrationState {
  readonly prefix: RegistrationPrefix;
  readonly form: RegistrationForm;
  /** `<n>`, the reporting mode set with `AT+CREG=<n>`; only in the response form, else null. */
  readonly n: number | null;
  /** `<stat>` as sent. */
  readonly stat: number;
  readonly status: RegistrationStatus;
  /** Registered so that SMS can be sent: `<stat>` 1, 5, 6, 7, 9 or 10. */
  readonly registered: boolean;
  /** `<lac>` (`<tac>` for `+CEREG`) as upper-case hex, or null when not reported. */
  readonly lac: string | null;
  /** `<ci>` as upper-case hex, or null when not reported. */
  readonly ci: string | null;
  /** `<AcT>` (0 GSM, 2 UTRAN, 3 GSM w/EGPRS, 7 E-UTRAN, 9 E-UTRAN NB-S1, …), or null. */
  readonly act: number | null;
}

/** Signal quality from `+CSQ: <rssi>,<ber>` (TS 27.007 §8.5). */
export interface SignalQuality {
  /** 0..31, or 99 when not known or not detectable. */
  readonly rssi: number;
  /** Bit error rate class 0..7 (RXQUAL, TS 45.008 §8.2.4), or 99 when not known. */
  readonly ber: number;
  /** Received signal strength in dBm from {@link csqToDbm}, or null when not known. */
  readonly dbm: number | null;
}

const PREFIXES: readonly RegistrationPrefix[] = ['+CREG', '+CGREG', '+CEREG'];
const HEX = /^[0-9A-Fa-f]{1,16}$/;
const REGISTERED_STATS: ReadonlySet<number> = new Set([1, 5, 6, 7, 9, 10]);
const STATUS_BY_STAT: readonly RegistrationStatus[] = [
  'not-registered',
  'home',
  'searching',
  'denied',
  'unknown',
  'roaming',
  'sms-only-home',
  'sms-only-roaming',
  'emergency-only',
  'csfb-not-preferred-home',
  'csfb-not-preferred-roaming',
];

/**
 * Parses a `+CREG`, `+CGREG` or `+CEREG` line of the given form (TS 27.007 §7.2; `+CGREG` and
 * `+CEREG` in §10.1 use the same layout, `+CEREG` with `<tac>` for `<lac>`):
 * - `urc`: `<stat>[,[<lac>],[<ci>][,[<AcT>]…]]`, e.g. `+CREG: 1,"1A2B","01C3D4E5",7`;
 * - `response`: `<n>,<stat>[,[<lac>],[<ci>][,[<AcT>]…]]`, e.g. `+CREG: 2,5,"1A2B","01C3D4E5",7`.
 * Parameters after `<AcT>` (`<rac>`, reject causes, PSM timers) are ignored.
 *
 * @returns the state, or null when the line has none of the three prefixes.
 * @throws DecodeError `GW_ERR_AT_PARSE` when `<n>`, `<stat>` or `<AcT>` is missing or not a
 *   number, or `<lac>`/`<ci>` is not hexadecimal.
 */
export function parseRegistrationState(
  line: string,
  form: RegistrationForm,
): RegistrationState | null {
  for (const prefix of PREFIXES) {
    const fields = parseInformationFields(line, prefix);
    if (fields !== null) return registrationFromFields(fields, prefix, form, line.length);
  }
  return null;
}

/**
 * The form a registration line's fields show: `response` when the second field is an unquoted
 * number (`<n>,<stat>`), else `urc` (the second field of a URC is the quoted `<lac>`). This is
 * how the syntax tells them apart; the AT channel, which knows whether `AT+CREG?` is in flight,
 * has the final word.
 */
export function registrationFormOf(fields: readonly InformationField[]): RegistrationForm {
  const second = fields[1];
  return second !== undefined && !second.quoted && /^\d+$/.test(second.value) ? 'response' : 'urc';
}

/**
 * Builds a {@link RegistrationState} from already split fields (see `parseInformationFields`).
 * @param lineLength - offset reported when a mandatory parameter is missing.
 * @throws DecodeError `GW_ERR_AT_PARSE` as {@link parseRegistrationState}.
 */
export function registrationFromFields(
  fields: readonly InformationField[],
  prefix: RegistrationPrefix,
  form: RegistrationForm,
  lineLength: number,
): RegistrationState {
  const base = form === 'response' ? 1 : 0;
  const n =
    form === 'response'
      ? fieldToInt(requireField(fields, 0, prefix, lineLength), prefix, '<n>')
      : null;
  const stat = fieldToInt(requireField(fields, base, prefix, lineLength), prefix, '<stat>');
  const act = fields[base + 3];
  return {
    prefix,
    form,
    n,
    stat,
    status: STATUS_BY_STAT[stat] ?? 'other',
    registered: REGISTERED_STATS.has(stat),
    lac: optionalHex(fields[base + 1], prefix, '<lac>'),
    ci: optionalHex(fields[base + 2], prefix, '<ci>'),
    act: act === undefined || act.value === '' ? null : fieldToInt(act, prefix, '<AcT>'),
  };
}

/**
 * Received signal strength of a `+CSQ` `<rssi>` (TS 27.007 §8.5): 0 → -113 dBm, 1 → -111,
 * 2..30 → -109..-53 in steps of 2, 31 → -51 (meaning -51 dBm or greater).
 * @returns dBm, or null for 99 (not known or not detectable) and any value outside 0..31.
 */
export function csqToDbm(rssi: number): number | null {
  if (!Number.isInteger(rssi) || rssi < 0 || rssi > 31) return null;
  return -113 + 2 * rssi;
}

/**
 * Parses `+CSQ: <rssi>,<ber>` (TS 27.007 §8.5), the response to `AT+CSQ`.
 * @returns the values, or null when the line is not a `+CSQ` line.
 * @throws DecodeError `GW_ERR_AT_PARSE` when either value is missing or not a number.
 */
export function parseCsq(line: string): SignalQuality | null {
  const fields = parseInformationFields(line, '+CSQ');
  if (fields === null) return null;
  const rssi = fieldToInt(requireField(fields, 0, '+CSQ', line.length), '+CSQ', '<rssi>');
  const ber = fieldToInt(requireField(fields, 1, '+CSQ', line.length), '+CSQ', '<ber>');
  return { rssi, ber, dbm: csqToDbm(rssi) };
}

function optionalHex(
  field: InformationField | undefined,
  prefix: string,
  what: string,
): string | null {
  if (field === undefined || field.value === '') return null;
  if (!HEX.test(field.value)) {
    throw new DecodeError(
      'GW_ERR_AT_PARSE',
      prefix,
      field.offset,
      `${what} is not hexadecimal: "${field.value}"`,
    );
  }
  return field.value.toUpperCase();
}
