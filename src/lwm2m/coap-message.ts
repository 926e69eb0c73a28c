/**
 * CoAP message codec for UDP and SMS framing (RFC 7252 §3): the 4-byte header, token, options and
 * payload. Pure: bytes in, value out, or a typed error.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver| T |  TKL  |      Code     |          Message ID           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Token (if any, TKL bytes) ...
 * |   Options (if any) ...
 * |1 1 1 1 1 1 1 1|    Payload (if any) ...
 * ```
 */
import { DecodeError, EncodeError, GatewayError } from '../shared/errors.ts';
import { COAP_TYPES, COAP_TYPE_VALUES, type CoapType } from './coap-codes.ts';
import { sortOptions, type CoapOption } from './coap-options.ts';

/**
 * A CoAP message (RFC 7252 §3). `options` are in wire order (ascending number; repeated options
 * keep their order). A decoded message never shares memory with the input bytes.
 */
export interface CoapMessage {
  /** Ver: always 1 (RFC 7252 §3). */
  readonly version: 1;
  readonly type: CoapType;
  /** Code byte, `class << 5 | detail` (see `codeOf`, `CoapCode`). 0 = Empty message (§4.1). */
  readonly code: number;
  /** Message ID 0..65535 (§4.4). */
  readonly messageId: number;
  /** Token, 0..8 bytes (§5.3.1). */
  readonly token: Uint8Array;
  readonly options: readonly CoapOption[];
  /** Payload; empty when the message has none (no payload marker on the wire). */
  readonly payload: Uint8Array;
}

/** The fixed header fields, as {@link peekHeader} reads them. */
export interface CoapHeader {
  readonly type: CoapType;
  readonly code: number;
  readonly messageId: number;
  /** TKL as sent, 0..15 (9..15 are reserved, so such a message fails {@link decodeCoap}). */
  readonly tokenLength: number;
}

/** RFC 7252 §3: the only protocol version. */
export const COAP_VERSION = 1;
/** RFC 7252 §3: the fixed header is 4 bytes. */
export const COAP_HEADER_LENGTH = 4;
/** RFC 7252 §3: TKL 0..8; 9..15 are reserved. */
export const MAX_TOKEN_LENGTH = 8;
/** RFC 7252 §3: the byte that separates options from a non-empty payload. */
export const PAYLOAD_MARKER = 0xff;
/** RFC 7252 §12.2: option numbers are 16-bit. */
export const MAX_OPTION_NUMBER = 0xffff;
/** RFC 7252 §3.1: largest Option Length, nibble 14 with a 2-byte extension (65535 + 269). */
export const MAX_OPTION_LENGTH = 0xffff + 269;

function fail(field: string, offset: number, message: string): never {
  throw new DecodeError('GW_ERR_COAP_DECODE', field, offset, message);
}

/**
 * Reads the 4-byte header even when the rest of the message is malformed, so that a receiver can
 * still reject a malformed Confirmable message with a Reset of the same Message ID (RFC 7252
 * §4.2; Californium keeps the same data in `CoAPMessageFormatException`). Returns null when there
 * are fewer than 4 bytes or Ver is not 1 (then nothing can be answered: §3 "Messages with unknown
 * version numbers MUST be silently ignored").
 */
export function peekHeader(bytes: Uint8Array): CoapHeader | null {
  if (bytes.length < COAP_HEADER_LENGTH) return null;
  const first = bytes[0] ?? 0;
  if (first >> 6 !== COAP_VERSION) return null;
  return {
    type: COAP_TYPES[(first >> 4) & 0x03] ?? 'CON',
    code: bytes[1] ?? 0,
    messageId: ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0),
    tokenLength: first & 0x0f,
  };
}

/** How many extension bytes follow an Option Delta or Option Length nibble (RFC 7252 §3.1): 0..12 none, 13 one, 14 two. */
function extensionLength(nibble: number): number {
  return nibble < 13 ? 0 : nibble === 13 ? 1 : 2;
}

/**
 * The value of an Option Delta or Option Length nibble with its extension starting at `offset`
 * (RFC 7252 §3.1): 0..12 stand for themselves, 13 adds one byte (+13), 14 adds two bytes (+269).
 * Throws the decoder's error (`field`) when the extension's bytes are missing.
 */
function readExtended(bytes: Uint8Array, nibble: number, offset: number, field: string): number {
  const size = extensionLength(nibble);
  if (size === 0) return nibble;
  if (bytes.length - offset < size) fail(field, offset, `needs ${size} byte(s), ${bytes.length - offset} left`);
  if (size === 1) return (bytes[offset] ?? 0) + 13;
  return (((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0)) + 269;
}

/**
 * A copy of `bytes[start, end)` in a new plain Uint8Array: never a view of the datagram, and never
 * a Buffer even when `bytes` is one (a `slice` of a Buffer is a Buffer with an ArrayBuffer of its
 * own, allocated outside V8's heap). Up to 64 bytes (V8's limit for typed arrays kept on its heap)
 * it costs no ArrayBuffer at all: decoding a 70-byte Register took 1.0 µs with slices, 0.54 µs so
 * (a micro-benchmark, Node 20; for bench/device-scale's CPU per Register).
 */
function copyOf(bytes: Uint8Array, start: number, end: number): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(end - start);
  if (end - start <= 16) for (let index = start; index < end; index += 1) copy[index - start] = bytes[index] ?? 0;
  else copy.set(bytes.subarray(start, end));
  return copy;
}

/**
 * Decodes one CoAP message (RFC 7252 §3). Throws only {@link DecodeError} with code
 * `GW_ERR_COAP_DECODE`, the field and its byte offset, whatever the input:
 *
 * | field                    | offset      | cause |
 * |--------------------------|-------------|-------|
 * | `Ver`                    | 0           | empty input, or version ≠ 1 (§3) |
 * | `TKL`                    | 0           | 9..15 (§3 "message format error"); non-zero in an Empty message (§4.1) |
 * | `Code`                   | 1           | the input ends after 1 byte |
 * | `Message ID`             | 2           | the input ends inside the Message ID |
 * | `Token`                  | 4           | fewer than TKL bytes follow the header |
 * | `Empty message`          | 4           | bytes after the Message ID of a 0.00 message (§4.1) |
 * | `Option Delta`           | option byte | nibble 15 in a byte other than 0xFF (§3.1); option number above 65535 |
 * | `Option Length`          | option byte | nibble 15 (§3.1) |
 * | `Option Delta (extended)`, `Option Length (extended)` | extension | truncated extension |
 * | `Option Value`           | value       | fewer bytes left than the Option Length |
 * | `Payload Marker`         | marker      | 0xFF at the end of the message: zero-length payload (§3) |
 *
 * Codes of the reserved classes 1, 6 and 7 (§12.1) and type/code combinations that §4 tells a
 * receiver to reject (an ACK carrying a request, a non-empty RST, an empty NON) decode normally:
 * they are well-formed bytes, and whether to answer with RST or ignore them (§4.2, §4.3) is the
 * caller's decision. Unknown option numbers are kept as they are (§5.4.1 is the caller's too).
 */
export function decodeCoap(bytes: Uint8Array): CoapMessage {
  try {
    return decodeUnchecked(bytes);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // A defect in the codec must still surface as a typed error, never crash the relay.
    throw new DecodeError('GW_ERR_COAP_DECODE', 'CoAP', 0, `internal decoder error: ${String(error)}`);
  }
}

/**
 * True when {@link decodeCoap} would accept `bytes`, found without allocating anything: the
 * relay's hot path checks a datagram with this and {@link peekHeader} and forwards its bytes
 * without decoding them. Same rules as the decoder (RFC 7252 §3, §4.1).
 */
export function isWellFormedCoap(bytes: Uint8Array): boolean {
  const length = bytes.length;
  if (length < COAP_HEADER_LENGTH) return false;
  const first = bytes[0] ?? 0;
  const tokenLength = first & 0x0f;
  if (first >> 6 !== COAP_VERSION || tokenLength > MAX_TOKEN_LENGTH) return false;
  if (bytes[1] === 0) return tokenLength === 0 && length === COAP_HEADER_LENGTH;
  let position = COAP_HEADER_LENGTH + tokenLength;
  if (position > length) return false;
  let number = 0;
  while (position < length) {
    const head = bytes[position] ?? 0;
    if (head === PAYLOAD_MARKER) return position + 1 < length;
    let delta = head >> 4;
    let optionLength = head & 0x0f;
    if (delta === 15 || optionLength === 15) return false;
    position += 1;
    if (delta === 13) delta = 13 + (bytes[position++] ?? 0);
    else if (delta === 14) delta = 269 + (((bytes[position++] ?? 0) << 8) | (bytes[position++] ?? 0));
    if (optionLength === 13) optionLength = 13 + (bytes[position++] ?? 0);
    else if (optionLength === 14) optionLength = 269 + (((bytes[position++] ?? 0) << 8) | (bytes[position++] ?? 0));
    number += delta;
    if (position > length || number > MAX_OPTION_NUMBER || length - position < optionLength) return false;
    position += optionLength;
  }
  return true;
}

function decodeUnchecked(bytes: Uint8Array): CoapMessage {
  const first = bytes[0];
  if (first === undefined) fail('Ver', 0, 'empty input: the 4-byte header is missing');
  const version = first >> 6;
  if (version !== COAP_VERSION) fail('Ver', 0, `version ${version}; only version 1 is defined`);
  const tokenLength = first & 0x0f;
  if (tokenLength > MAX_TOKEN_LENGTH) fail('TKL', 0, `token length ${tokenLength} is reserved (9-15)`);
  const code = bytes[1];
  if (code === undefined) fail('Code', 1, 'the message ends inside the 4-byte header');
  if (bytes.length < COAP_HEADER_LENGTH) fail('Message ID', 2, 'the message ends inside the 4-byte header');
  const messageId = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  if (code === 0) {
    if (tokenLength !== 0) fail('TKL', 0, `an Empty message (0.00) must have token length 0, not ${tokenLength}`);
    if (bytes.length > COAP_HEADER_LENGTH) {
      fail('Empty message', COAP_HEADER_LENGTH, `${bytes.length - COAP_HEADER_LENGTH} byte(s) after the Message ID of an Empty message (0.00)`);
    }
  }
  if (bytes.length - COAP_HEADER_LENGTH < tokenLength) {
    fail('Token', COAP_HEADER_LENGTH, `needs ${tokenLength} byte(s), ${bytes.length - COAP_HEADER_LENGTH} left`);
  }
  let position = COAP_HEADER_LENGTH + tokenLength;
  const token = copyOf(bytes, COAP_HEADER_LENGTH, position);
  const options: CoapOption[] = [];
  let payload = new Uint8Array(0);
  let number = 0;
  while (position < bytes.length) {
    const start = position;
    const head = bytes[position] ?? 0;
    if (head === PAYLOAD_MARKER) {
      if (position + 1 === bytes.length) fail('Payload Marker', position, 'a payload marker must be followed by a non-empty payload');
      payload = copyOf(bytes, position + 1, bytes.length);
      break;
    }
    const deltaNibble = head >> 4;
    const lengthNibble = head & 0x0f;
    if (deltaNibble === 15) fail('Option Delta', start, 'delta nibble 15 is reserved for the payload marker 0xFF');
    if (lengthNibble === 15) fail('Option Length', start, 'length nibble 15 is reserved');
    const delta = readExtended(bytes, deltaNibble, position + 1, 'Option Delta (extended)');
    const afterDelta = position + 1 + extensionLength(deltaNibble);
    const length = readExtended(bytes, lengthNibble, afterDelta, 'Option Length (extended)');
    const afterLength = afterDelta + extensionLength(lengthNibble);
    number += delta;
    if (number > MAX_OPTION_NUMBER) fail('Option Delta', start, `option number ${number} exceeds ${MAX_OPTION_NUMBER}`);
    if (bytes.length - afterLength < length) {
      fail('Option Value', afterLength, `option ${number} needs ${length} byte(s), ${bytes.length - afterLength} left`);
    }
    position = afterLength + length;
    options.push({ number, value: copyOf(bytes, afterLength, position) });
  }
  return { version: COAP_VERSION, type: COAP_TYPES[(first >> 4) & 0x03] ?? 'CON', code, messageId, token, options, payload };
}

function invalid(field: string, message: string): never {
  throw new EncodeError('GW_ERR_COAP_ENCODE', field, message);
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Checks that `message` can be encoded and that decoding the result gives it back (with options
 * sorted). Throws {@link EncodeError} `GW_ERR_COAP_ENCODE` with field `Ver`, `T`, `Code`,
 * `Message ID` (not an integer 0..65535), `Token` (more than 8 bytes), `Option Number` (not an
 * integer 0..65535), `Option Value` (more than 65804 bytes), or `Token` / `Options` / `Payload`
 * for an Empty message (0.00) that carries any (RFC 7252 §4.1). Returns `message`.
 */
export function validateCoapMessage<M extends CoapMessage>(message: M): M {
  if (message.version !== COAP_VERSION) invalid('Ver', `version ${String(message.version)}; only 1 is defined`);
  if (!Object.hasOwn(COAP_TYPE_VALUES, message.type)) invalid('T', `"${String(message.type)}" is not CON, NON, ACK or RST`);
  if (!isIntegerIn(message.code, 0, 0xff)) invalid('Code', `${message.code} is not an integer 0..255`);
  if (!isIntegerIn(message.messageId, 0, 0xffff)) invalid('Message ID', `${message.messageId} is not an integer 0..65535`);
  if (message.token.length > MAX_TOKEN_LENGTH) invalid('Token', `${message.token.length} bytes; at most ${MAX_TOKEN_LENGTH}`);
  for (const option of message.options) {
    if (!isIntegerIn(option.number, 0, MAX_OPTION_NUMBER)) invalid('Option Number', `${option.number} is not an integer 0..${MAX_OPTION_NUMBER}`);
    if (option.value.length > MAX_OPTION_LENGTH) {
      invalid('Option Value', `option ${option.number} has ${option.value.length} bytes; at most ${MAX_OPTION_LENGTH}`);
    }
  }
  if (message.code === 0) {
    if (message.token.length > 0) invalid('Token', 'an Empty message (0.00) has no token');
    if (message.options.length > 0) invalid('Options', 'an Empty message (0.00) has no options');
    if (message.payload.length > 0) invalid('Payload', 'an Empty message (0.00) has no payload');
  }
  return message;
}

/** RFC 7252 §3.1: the nibble for an option delta or length `n`, and the size of its extension. */
function nibbleOf(n: number): [nibble: number, extensionSize: number] {
  if (n < 13) return [n, 0];
  return n < 269 ? [13, 1] : [14, 2];
}

/** Writes the extension of `n` (see {@link nibbleOf}) at `offset`; returns the next offset. */
function writeExtension(out: Uint8Array, n: number, offset: number): number {
  if (n < 13) return offset;
  if (n < 269) {
    out[offset] = n - 13;
    return offset + 1;
  }
  out[offset] = (n - 269) >> 8;
  out[offset + 1] = (n - 269) & 0xff;
  return offset + 2;
}

/**
 * Encodes a CoAP message (RFC 7252 §3). Options are written in ascending number order (a stable
 * sort, so repeated options keep their order), each as delta/length nibbles with the 1-byte (13)
 * or 2-byte (14) extensions of §3.1; the payload marker is written only before a non-empty
 * payload. Throws only {@link EncodeError} `GW_ERR_COAP_ENCODE` (see {@link validateCoapMessage}).
 * For every message {@link decodeCoap} accepts, `encodeCoap(decodeCoap(bytes))` equals `bytes`
 * (the option encoding of §3.1 has one form per value).
 */
export function encodeCoap(message: CoapMessage): Uint8Array {
  validateCoapMessage(message);
  const options = sortOptions(message.options);
  let size = COAP_HEADER_LENGTH + message.token.length;
  let previous = 0;
  for (const option of options) {
    size += 1 + nibbleOf(option.number - previous)[1] + nibbleOf(option.value.length)[1] + option.value.length;
    previous = option.number;
  }
  if (message.payload.length > 0) size += 1 + message.payload.length;

  const out = new Uint8Array(size);
  out[0] = (COAP_VERSION << 6) | ((COAP_TYPE_VALUES[message.type] ?? 0) << 4) | message.token.length;
  out[1] = message.code;
  out[2] = message.messageId >> 8;
  out[3] = message.messageId & 0xff;
  out.set(message.token, COAP_HEADER_LENGTH);
  let offset = COAP_HEADER_LENGTH + message.token.length;
  previous = 0;
  for (const option of options) {
    const delta = option.number - previous;
    out[offset] = (nibbleOf(delta)[0] << 4) | nibbleOf(option.value.length)[0];
    offset = writeExtension(out, delta, offset + 1);
    offset = writeExtension(out, option.value.length, offset);
    out.set(option.value, offset);
    offset += option.value.length;
    previous = option.number;
  }
  if (message.payload.length > 0) {
    out[offset] = PAYLOAD_MARKER;
    out.set(message.payload, offset + 1);
  }
  return out;
}

/** RFC 7252 §4.1: an Empty message has code 0.00 (an empty ACK, an RST, or a CoAP ping as CON). */
export function isEmpty(message: Pick<CoapMessage, 'code'>): boolean {
  return message.code === 0;
}
