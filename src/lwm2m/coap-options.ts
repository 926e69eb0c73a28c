/**
 * CoAP options (RFC 7252 §3.1, §3.2, §5.10, §12.2): numbers, value formats and read helpers.
 * Pure; values are raw bytes, helpers decode the string and uint formats of §3.2.
 */
import { DecodeError, EncodeError } from '../shared/errors.ts';
import { decodeUtf8Strict } from './utf8.ts';

/**
 * One option instance as it appears on the wire (RFC 7252 §3.1): its number and raw value bytes.
 * A message holds them in order; repeatable options (§5.4.5) appear several times.
 */
export interface CoapOption {
  /** Option number 0..65535 (RFC 7252 §5.4.6, §12.2). */
  readonly number: number;
  /** Raw value, 0..65804 bytes (§3.1: the largest length the extended Option Length can carry). */
  readonly value: Uint8Array;
}

/** Anything that carries options, such as a {@link CoapMessage}. */
export interface HasCoapOptions {
  readonly options: readonly CoapOption[];
}

/**
 * Option numbers: RFC 7252 §5.10 Table 4 / §12.2; Observe RFC 7641 §2; Block1/Block2/Size2
 * RFC 7959 §2.1, §4; No-Response RFC 7967 §2; Echo and Request-Tag RFC 9175 §2.2, §3.2.
 */
export const CoapOptionNumber = Object.freeze({
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  ACCEPT: 17,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
  ECHO: 252,
  NO_RESPONSE: 258,
  REQUEST_TAG: 292,
} as const);

/**
 * Content-Format numbers LwM2M uses (RFC 7252 §12.3; CoAP Content-Formats registry; LwM2M 1.1
 * Transport §6.4 / Core §7.4 data formats).
 */
export const ContentFormat = Object.freeze({
  TEXT_PLAIN: 0,
  LINK_FORMAT: 40,
  OCTET_STREAM: 42,
  JSON: 50,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  LWM2M_TLV: 11542,
  LWM2M_JSON: 11543,
  LWM2M_CBOR: 11544,
} as const);

/** Largest value {@link encodeUintOption} / {@link decodeUintOption} handle: 4 bytes. */
export const MAX_UINT_OPTION = 0xffff_ffff;

/**
 * RFC 7252 §3.2 uint format: `n` in network byte order with as few bytes as possible (0 → zero
 * bytes). Throws {@link EncodeError} `GW_ERR_COAP_ENCODE`, field `Option Value`, unless `n` is an
 * integer 0..{@link MAX_UINT_OPTION} (every uint option of RFC 7252/7641/7959 fits 4 bytes).
 */
export function encodeUintOption(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > MAX_UINT_OPTION) {
    throw new EncodeError('GW_ERR_COAP_ENCODE', 'Option Value', `${n} is not a uint 0..${MAX_UINT_OPTION}`);
  }
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.from(bytes);
}

/**
 * Value of an RFC 7252 §3.2 uint option. Leading zero bytes are accepted (a recipient must cope
 * with them); empty is 0. Throws {@link DecodeError} `GW_ERR_COAP_DECODE`, field `Option Value`,
 * offset within `bytes`, when the value exceeds {@link MAX_UINT_OPTION}.
 */
export function decodeUintOption(bytes: Uint8Array): number {
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    value = value * 256 + (bytes[i] ?? 0);
    if (value > MAX_UINT_OPTION) {
      throw new DecodeError('GW_ERR_COAP_DECODE', 'Option Value', i, `uint of ${bytes.length} bytes exceeds ${MAX_UINT_OPTION}`);
    }
  }
  return value;
}

/** Names used as the error field of the string helpers below. */
const OPTION_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [CoapOptionNumber.URI_HOST]: 'Uri-Host',
  [CoapOptionNumber.LOCATION_PATH]: 'Location-Path',
  [CoapOptionNumber.URI_PATH]: 'Uri-Path',
  [CoapOptionNumber.URI_QUERY]: 'Uri-Query',
  [CoapOptionNumber.LOCATION_QUERY]: 'Location-Query',
  [CoapOptionNumber.PROXY_URI]: 'Proxy-Uri',
  [CoapOptionNumber.PROXY_SCHEME]: 'Proxy-Scheme',
});

/** Display name of an option number ("Uri-Path"), or "Option <n>" for the rest. */
export function optionName(number: number): string {
  return OPTION_NAMES[number] ?? `Option ${number}`;
}

/** Values of every instance of option `number`, in message order. */
export function optionValues(message: HasCoapOptions, number: number): Uint8Array[] {
  return message.options.filter((option) => option.number === number).map((option) => option.value);
}

/**
 * Values of every instance of a string-format option (RFC 7252 §3.2), UTF-8 decoded, in order.
 * Throws {@link DecodeError} `GW_ERR_COAP_DECODE`, field = option name, offset = byte offset of
 * the ill-formed sequence within that option's value, for a value that is not UTF-8.
 */
export function stringOptionValues(message: HasCoapOptions, number: number): string[] {
  return optionValues(message, number).map((value) => decodeUtf8Strict(value, 'GW_ERR_COAP_DECODE', optionName(number)));
}

/** Uri-Path segments (RFC 7252 §5.10.1), decoded; `GET /3/0` gives `['3', '0']`. */
export function uriPath(message: HasCoapOptions): string[] {
  return stringOptionValues(message, CoapOptionNumber.URI_PATH);
}

/** Uri-Query arguments (RFC 7252 §5.10.1), decoded; `?ep=a&Q` gives `['ep=a', 'Q']`. */
export function uriQuery(message: HasCoapOptions): string[] {
  return stringOptionValues(message, CoapOptionNumber.URI_QUERY);
}

/** Location-Path segments (RFC 7252 §5.10.7), decoded; a Register 2.01 gives `['rd', '5a3f']`. */
export function locationPath(message: HasCoapOptions): string[] {
  return stringOptionValues(message, CoapOptionNumber.LOCATION_PATH);
}

/** Location-Query arguments (RFC 7252 §5.10.7), decoded. */
export function locationQuery(message: HasCoapOptions): string[] {
  return stringOptionValues(message, CoapOptionNumber.LOCATION_QUERY);
}

/**
 * Value of the first instance of a uint option, or null when absent. RFC 7252 §5.4.5: for a
 * non-repeatable option occurring more than once, only the first counts. Errors as
 * {@link decodeUintOption}.
 */
export function firstUintOption(message: HasCoapOptions, number: number): number | null {
  const value = optionValues(message, number)[0];
  return value === undefined ? null : decodeUintOption(value);
}

/** Content-Format (RFC 7252 §5.10.3) or null when absent; 40 = application/link-format. */
export function contentFormat(message: HasCoapOptions): number | null {
  return firstUintOption(message, CoapOptionNumber.CONTENT_FORMAT);
}

/** Accept (RFC 7252 §5.10.4) or null when absent. */
export function accept(message: HasCoapOptions): number | null {
  return firstUintOption(message, CoapOptionNumber.ACCEPT);
}

/** Observe (RFC 7641 §2) or null when absent; 0 registers, 1 deregisters in a request. */
export function observe(message: HasCoapOptions): number | null {
  return firstUintOption(message, CoapOptionNumber.OBSERVE);
}

/**
 * `options` ordered by option number; instances of the same number keep their relative order
 * (RFC 7252 §3.1: the order of repeated options is significant, e.g. Uri-Path segments). Returns a
 * new array; `Array.prototype.sort` is stable (ES2019).
 */
export function sortOptions(options: readonly CoapOption[]): CoapOption[] {
  return [...options].sort((a, b) => a.number - b.number);
}
