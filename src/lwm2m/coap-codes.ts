/**
 * CoAP message types and codes (RFC 7252 §3, §5.8, §5.9, §12.1). Pure constants and helpers.
 *
 * A code is the byte of RFC 7252 §3: a 3-bit class and a 5-bit detail, `class << 5 | detail`,
 * written "c.dd" (`2.05` = 69).
 */
import { EncodeError } from '../shared/errors.ts';

/** RFC 7252 §3 / §4: the 2-bit message type T. */
export type CoapType = 'CON' | 'NON' | 'ACK' | 'RST';

/** Wire value of each {@link CoapType} (RFC 7252 §3: 0 CON, 1 NON, 2 ACK, 3 RST). */
export const COAP_TYPE_VALUES: Readonly<Record<CoapType, number>> = Object.freeze({ CON: 0, NON: 1, ACK: 2, RST: 3 });

/** {@link CoapType} of each wire value 0..3, indexed by that value. */
export const COAP_TYPES: readonly CoapType[] = Object.freeze(['CON', 'NON', 'ACK', 'RST']);

/**
 * Named codes. Methods RFC 7252 §5.8 / §12.1.1 (FETCH, PATCH, iPATCH: RFC 8132 §6, used by LwM2M
 * 1.1+ composite operations); responses RFC 7252 §5.9 / §12.1.2 (2.31 Continue: RFC 7959 §2.9.1;
 * 4.08 and 4.13: RFC 7959 §2.9; 4.09 and 4.22: RFC 8132 §2.2).
 */
export const CoapCode = Object.freeze({
  EMPTY: 0, // 0.00 (§4.1)
  GET: 1,
  POST: 2,
  PUT: 3,
  DELETE: 4,
  FETCH: 5,
  PATCH: 6,
  IPATCH: 7,
  CREATED: 65, // 2.01
  DELETED: 66, // 2.02
  VALID: 67, // 2.03
  CHANGED: 68, // 2.04
  CONTENT: 69, // 2.05
  CONTINUE: 95, // 2.31
  BAD_REQUEST: 128, // 4.00
  UNAUTHORIZED: 129, // 4.01
  BAD_OPTION: 130, // 4.02
  FORBIDDEN: 131, // 4.03
  NOT_FOUND: 132, // 4.04
  METHOD_NOT_ALLOWED: 133, // 4.05
  NOT_ACCEPTABLE: 134, // 4.06
  REQUEST_ENTITY_INCOMPLETE: 136, // 4.08
  CONFLICT: 137, // 4.09
  PRECONDITION_FAILED: 140, // 4.12
  REQUEST_ENTITY_TOO_LARGE: 141, // 4.13
  UNSUPPORTED_CONTENT_FORMAT: 143, // 4.15
  UNPROCESSABLE_ENTITY: 150, // 4.22
  INTERNAL_SERVER_ERROR: 160, // 5.00
  NOT_IMPLEMENTED: 161, // 5.01
  BAD_GATEWAY: 162, // 5.02
  SERVICE_UNAVAILABLE: 163, // 5.03
  GATEWAY_TIMEOUT: 164, // 5.04
  PROXYING_NOT_SUPPORTED: 165, // 5.05
} as const);

/** True when `code` is an integer 0..255, i.e. fits the Code byte. */
function isCodeByte(code: number): boolean {
  return Number.isInteger(code) && code >= 0 && code <= 0xff;
}

/** The class (0..7) of a code byte: the top 3 bits. */
export function codeClass(code: number): number {
  return (code >> 5) & 0x07;
}

/** The detail (0..31) of a code byte: the low 5 bits. */
export function codeDetail(code: number): number {
  return code & 0x1f;
}

/**
 * The code byte of "c.dd" text (`codeOf('2.05')` = 69). The class is one digit 0..7, the detail
 * exactly two digits 00..31 (RFC 7252 §3: "c.dd"). Throws {@link EncodeError}
 * `GW_ERR_COAP_ENCODE`, field `Code`, for any other text.
 */
export function codeOf(text: string): number {
  const match = /^([0-7])\.([0-3][0-9])$/.exec(text);
  const detail = Number(match?.[2] ?? 99);
  if (match === null || detail > 31) {
    throw new EncodeError('GW_ERR_COAP_ENCODE', 'Code', `"${text}" is not a code of the form c.dd (class 0-7, detail 00-31)`);
  }
  return (Number(match[1]) << 5) | detail;
}

/**
 * "c.dd" text of a code byte (`codeToString(69)` = "2.05"). Throws {@link EncodeError}
 * `GW_ERR_COAP_ENCODE`, field `Code`, when `code` is not an integer 0..255.
 */
export function codeToString(code: number): string {
  if (!isCodeByte(code)) throw new EncodeError('GW_ERR_COAP_ENCODE', 'Code', `${code} is not an integer 0..255`);
  return `${codeClass(code)}.${String(codeDetail(code)).padStart(2, '0')}`;
}

/** RFC 7252 §5.8: a request is class 0 with a non-zero detail (0.01 .. 0.31). */
export function isRequest(code: number): boolean {
  return isCodeByte(code) && codeClass(code) === 0 && codeDetail(code) !== 0;
}

/** RFC 7252 §5.9: a response is class 2 (success), 4 (client error) or 5 (server error). */
export function isResponse(code: number): boolean {
  const cls = codeClass(code);
  return isCodeByte(code) && (cls === 2 || cls === 4 || cls === 5);
}

/**
 * RFC 7252 §12.1: classes 1, 6 and 7 are reserved. {@link decodeCoap} still decodes such codes
 * (they are well-formed bytes); a receiver rejects the message (§4.2, §4.3).
 */
export function isReservedClass(code: number): boolean {
  const cls = codeClass(code);
  return cls === 1 || cls === 6 || cls === 7;
}
