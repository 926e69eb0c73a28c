/**
 * Classification of one framed AT line (see `line-framer.ts`): final result codes and
 * unsolicited result codes (URCs). This module is also the entry point of the pure AT line layer
 * and re-exports the field, registration and signal parsers.
 *
 * Pure functions. The parser only sees one line: whether `+CREG: 1` or `+CPIN: READY` is a URC
 * or the answer to a pending `AT+CREG?`/`AT+CPIN?` is for the AT channel to decide (a line is a
 * URC only when no command in flight waits for that prefix). Functions return null for lines that
 * are not theirs and throw {@link DecodeError} `GW_ERR_AT_PARSE` only when a line announces a known
 * prefix but breaks its syntax; `field` is the prefix and `offset` the character offset in the
 * line (equal to the byte offset, since the framer maps bytes 1:1 to characters).
 */
import { DecodeError } from '../../shared/errors.ts';
import { cmeErrorCode, cmeErrorText, cmsErrorCode, cmsErrorText } from './error-texts.ts';
import {
  fieldToInt,
  requireField,
  splitInformationFields,
  type InformationField,
} from './information-fields.ts';
import {
  csqToDbm,
  registrationFormOf,
  registrationFromFields,
  type RegistrationState,
} from './network-status.ts';

export {
  CME_ERROR_TEXTS,
  CMS_ERROR_TEXTS,
  cmeErrorCode,
  cmeErrorText,
  cmsErrorCode,
  cmsErrorText,
} from './error-texts.ts';
export {
  parseInformationFields,
  parseInformationLine,
  parseRangeList,
  rangeListIncludes,
  type InformationField,
  type NumberRange,
  type RangeList,
} from './information-fields.ts';
export {
  csqToDbm,
  parseCsq,
  parseRegistrationState,
  type RegistrationForm,
  type RegistrationPrefix,
  type RegistrationState,
  type RegistrationStatus,
  type SignalQuality,
} from './network-status.ts';

/** Call-progress final result codes of ITU-T V.250 §5.7.1 Table 1 (verbose form). */
export type ConnectionResultText = 'NO CARRIER' | 'NO DIALTONE' | 'BUSY' | 'NO ANSWER';

/** A final result code: the command it answers is complete. */
export type FinalResult =
  | { readonly kind: 'ok' }
  /**
   * `ERROR` (V.250 §5.7.1), `4` in `ATV0` mode, or Huawei's `COMMAND NOT SUPPORT` /
   * `TOO MANY PARAMETERS` (handled as errors by gammu `atgen.c`); `text` is the line as sent.
   */
  | { readonly kind: 'error'; readonly text: string }
  /**
   * `+CME ERROR: <err>` (TS 27.007 §9.2). `code` is the number sent, or the number of a known
   * verbose text (`AT+CMEE=2`); `text` is the text sent, or the standard text of a numeric code.
   * Either is null when unknown or absent.
   */
  | { readonly kind: 'cme'; readonly code: number | null; readonly text: string | null }
  /** `+CMS ERROR: <err>` (TS 27.005 §3.2.5); `code` and `text` as for `cme`. */
  | { readonly kind: 'cms'; readonly code: number | null; readonly text: string | null }
  | { readonly kind: 'connection'; readonly text: ConnectionResultText };

/** Options of {@link parseFinalResult}. */
export interface FinalResultOptions {
  /**
   * The modem is in `ATV0` mode: also accept the numeric codes `0` (OK) and `4` (ERROR) of
   * V.250 §5.7.1 Table 1. Off by default, since a bare digit is ordinary information text in V1.
   * @defaultValue false
   */
  readonly numeric?: boolean;
}

/** An unsolicited result code recognised by {@link parseUrcHeader}. */
export type UrcHeader =
  /** New SMS stored: `+CMTI: <mem>,<index>` (TS 27.005 §3.4.1); read it with `AT+CMGR`. */
  | { readonly kind: 'cmti'; readonly mem: string; readonly index: number }
  /**
   * SMS routed to the TE in PDU mode: `+CMT: [<alpha>],<length>` (TS 27.005 §3.4.1). The NEXT
   * line is the PDU (hex, SMSC address first); `length` counts TPDU octets without the SMSC part.
   * Phase 2+ (`AT+CSMS=1`) needs an `AT+CNMA` acknowledgement.
   */
  | {
      readonly kind: 'cmt';
      readonly alpha: string | null;
      readonly length: number;
      readonly expectsPduLine: true;
    }
  /** Status report routed to the TE: `+CDS: <length>` (§3.4.1); the NEXT line is the PDU. */
  | { readonly kind: 'cds'; readonly length: number; readonly expectsPduLine: true }
  /** Status report stored: `+CDSI: <mem>,<index>` (TS 27.005 §3.4.1). */
  | { readonly kind: 'cdsi'; readonly mem: string; readonly index: number }
  /** `RING` (V.250 §5.7.1), or `+CRING: <type>` with `AT+CRC=1` (TS 27.007 §6.11). */
  | { readonly kind: 'ring'; readonly type: string | null }
  /** `+CREG`/`+CGREG`/`+CEREG`, see {@link RegistrationState} for the URC/response forms. */
  | { readonly kind: 'registration'; readonly registration: RegistrationState }
  /** `+CFUN: <fun>` (TS 27.007 §8.2); many modems send it at start-up. */
  | { readonly kind: 'cfun'; readonly fun: number }
  /** `+CPIN: <code>` (TS 27.007 §8.3): `READY`, `SIM PIN`, `SIM PUK`, `NOT INSERTED`, … */
  | { readonly kind: 'cpin'; readonly code: string }
  /** Huawei `^RSSI: <rssi>`, on the `+CSQ` scale (TS 27.007 §8.5). */
  | { readonly kind: 'rssi'; readonly rssi: number; readonly dbm: number | null }
  /** Huawei `^SIMST: <state>[,…]` (1 valid SIM, 255 no SIM, …). */
  | { readonly kind: 'simst'; readonly state: number }
  /** Start-up banner: `RDY`, `Call Ready`, `SMS Ready`, `+PBREADY` or `^SYSSTART`. */
  | { readonly kind: 'banner'; readonly text: string }
  /** A known URC whose parameters are not decoded (`+CLIP`, `+QIND`, `^BOOT`, `^MODE`, …). */
  | { readonly kind: 'generic'; readonly name: string; readonly text: string }
  /** Any other `+NAME: …` or `^NAME…` line; it may be the answer to a command in flight. */
  | { readonly kind: 'unknown'; readonly name: string; readonly text: string };

const BANNERS: ReadonlySet<string> = new Set([
  'RDY', // Quectel, SIMCom: UART ready after power-on
  'Call Ready', // SIMCom
  'SMS Ready', // SIMCom
  '+PBREADY', // phonebook loaded
  '^SYSSTART', // Cinterion/Gemalto
]);
const GENERIC_URCS: ReadonlySet<string> = new Set([
  '+CLIP', // TS 27.007 §7.6 calling line identification
  '+CCWA', // §7.12 call waiting
  '+CUSD', // §7.15 USSD
  '+CGEV', // packet domain events
  '+CIEV', // indicator events
  '+QIND', // Quectel: "SMS DONE", "PB DONE", "csq", …
  '+QUSIM', // Quectel
  '^BOOT', // Huawei, periodic
  '^MODE', // Huawei system mode
  '^SRVST', // Huawei service state
  '^HCSQ', // Huawei signal
  '^DSFLOWRPT', // Huawei data flow report
]);
const ERROR_TEXTS: ReadonlySet<string> = new Set([
  'ERROR',
  'COMMAND NOT SUPPORT',
  'TOO MANY PARAMETERS',
]);
const CONNECTION_TEXTS: readonly ConnectionResultText[] = [
  'NO CARRIER',
  'NO DIALTONE',
  'BUSY',
  'NO ANSWER',
];
/** Extended result code names, V.250 §5.4.1 (the `+` and Huawei's `^` prefix). */
const URC_NAME = /^[+^][A-Za-z][A-Za-z0-9_!%./-]*/;
const DECIMAL = /^\d{1,9}$/;

/**
 * Recognises a final result code (surrounding blanks ignored).
 * @returns the result, or null when the line is not a final result code. Never throws: every
 *   final result must end its command, so `+CME ERROR:` with an unreadable value still counts.
 */
export function parseFinalResult(
  line: string,
  options: FinalResultOptions = {},
): FinalResult | null {
  const text = line.trim();
  if (text === 'OK' || (options.numeric === true && text === '0')) return { kind: 'ok' };
  if (ERROR_TEXTS.has(text) || (options.numeric === true && text === '4')) {
    return { kind: 'error', text };
  }
  const connection = CONNECTION_TEXTS.find((c) => c === text);
  if (connection !== undefined) return { kind: 'connection', text: connection };
  const cme = parseExtendedError(text, '+CME ERROR', cmeErrorCode, cmeErrorText);
  if (cme !== null) return { kind: 'cme', ...cme };
  const cms = parseExtendedError(text, '+CMS ERROR', cmsErrorCode, cmsErrorText);
  if (cms !== null) return { kind: 'cms', ...cms };
  return null;
}

/**
 * Recognises an unsolicited result code (surrounding blanks ignored). Every `+NAME: …` and
 * `^NAME…` line gets a header (those not listed are `unknown`), because the parser cannot know
 * whether a command is waiting for it; final results, echo, PDU hex and plain text give null.
 *
 * Registration lines come back in the form their shape shows: `+CREG: 1,"1A2B","01C3D4E5",7` is
 * a URC; `+CREG: 0,1` (`<n>,<stat>`) is the response to `AT+CREG?` and has `form: 'response'`.
 *
 * @throws DecodeError `GW_ERR_AT_PARSE` when a decoded URC (`+CMTI`, `+CMT`, `+CDS`, `+CDSI`,
 *   `+CREG`, `+CGREG`, `+CEREG`, `+CFUN`, `+CPIN`, `^RSSI`, `^SIMST`) has malformed parameters,
 *   including the text-mode forms of `+CMT`/`+CDS` (this gateway runs the modem in PDU mode).
 */
export function parseUrcHeader(line: string): UrcHeader | null {
  const text = line.trim();
  if (text === 'RING') return { kind: 'ring', type: null };
  if (BANNERS.has(text)) return { kind: 'banner', text };
  const name = URC_NAME.exec(text)?.[0];
  if (name === undefined) return null;
  const hasColon = text[name.length] === ':';
  if (name.startsWith('+') && !hasColon) return null;
  const start = line.indexOf(text);
  const end = start + text.length;
  const valueStart = start + name.length + (hasColon ? 1 : 0);
  switch (name) {
    case '+CMTI':
    case '+CDSI': {
      const all = splitInformationFields(line, valueStart, name, end);
      const mem = requireField(all, 0, name, end);
      if (mem.value === '') throw parseError(name, mem.offset, '<mem> is empty');
      return { kind: name === '+CMTI' ? 'cmti' : 'cdsi', mem: mem.value, index: intField(all, 1, name, end, '<index>') };
    }
    case '+CMT': {
      const all = splitInformationFields(line, valueStart, name, end);
      const [first, second, extra] = all;
      if (extra !== undefined) {
        throw parseError(name, extra.offset, 'text-mode +CMT is not supported');
      }
      const alpha =
        second !== undefined && first !== undefined && first.value !== '' ? first.value : null;
      return { kind: 'cmt', alpha, length: pduLength(all, name, end), expectsPduLine: true };
    }
    case '+CDS': {
      const all = splitInformationFields(line, valueStart, name, end);
      const extra = all[1];
      if (extra !== undefined) {
        throw parseError(name, extra.offset, 'text-mode +CDS is not supported');
      }
      return { kind: 'cds', length: pduLength(all, name, end), expectsPduLine: true };
    }
    case '+CRING': {
      const type = splitInformationFields(line, valueStart, name, end)[0]?.value ?? '';
      return { kind: 'ring', type: type === '' ? null : type };
    }
    case '+CREG':
    case '+CGREG':
    case '+CEREG': {
      const all = splitInformationFields(line, valueStart, name, end);
      const registration = registrationFromFields(all, name, registrationFormOf(all), end);
      return { kind: 'registration', registration };
    }
    case '+CFUN':
      return { kind: 'cfun', fun: intField(splitInformationFields(line, valueStart, name, end), 0, name, end, '<fun>') };
    case '+CPIN':
      return { kind: 'cpin', code: splitInformationFields(line, valueStart, name, end)[0]?.value ?? '' };
    case '^RSSI': {
      const rssi = intField(splitInformationFields(line, valueStart, name, end), 0, name, end, '<rssi>');
      return { kind: 'rssi', rssi, dbm: csqToDbm(rssi) };
    }
    case '^SIMST':
      return { kind: 'simst', state: intField(splitInformationFields(line, valueStart, name, end), 0, name, end, '<state>') };
    default: {
      const value = line.slice(valueStart, end).trim();
      return { kind: GENERIC_URCS.has(name) ? 'generic' : 'unknown', name, text: value };
    }
  }
}

/** Field `i` of `fields` as an integer (a module function: no closure per line). */
function intField(fields: readonly InformationField[], i: number, name: string, end: number, what: string): number {
  return fieldToInt(requireField(fields, i, name, end), name, what);
}

/** `<length>` of a PDU-mode `+CMT`/`+CDS`: the last field, a positive integer. */
function pduLength(fields: readonly InformationField[], name: string, end: number): number {
  const field = requireField(fields, Math.max(0, fields.length - 1), name, end);
  const length = fieldToInt(field, name, '<length>');
  if (length === 0) throw parseError(name, field.offset, '<length> is 0');
  return length;
}

function parseExtendedError(
  text: string,
  prefix: string,
  codeOf: (text: string) => number | null,
  textOf: (code: number) => string | null,
): { code: number | null; text: string | null } | null {
  if (!text.startsWith(prefix)) return null;
  let rest = text.slice(prefix.length);
  if (rest.startsWith(':')) rest = rest.slice(1);
  else if (rest !== '') return null;
  rest = rest.trim();
  if (rest.length >= 2 && rest.startsWith('"') && rest.endsWith('"')) {
    rest = rest.slice(1, -1).trim();
  }
  if (rest === '') return { code: null, text: null };
  if (DECIMAL.test(rest)) {
    const code = Number(rest);
    return { code, text: textOf(code) };
  }
  return { code: codeOf(rest), text: rest };
}

function parseError(field: string, offset: number, message: string): DecodeError {
  return new DecodeError('GW_ERR_AT_PARSE', field, offset, message);
}
