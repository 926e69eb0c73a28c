/**
 * CoAP byte vectors (RFC 7252 §3), written by hand one field per comment, each with the message
 * value written from those comments (not from the codec). coap-message.test.ts checks both
 * directions and the round trip; the fuzz test mutates them.
 *
 * Header byte 0 = Ver (2 bits, always 01) | T (2 bits: 00 CON, 01 NON, 10 ACK, 11 RST) | TKL (4).
 * Option byte = Option Delta (4 bits) | Option Length (4 bits); 13 → 1 extension byte (+13),
 * 14 → 2 extension bytes (+269), 15 reserved (0xFF = payload marker).
 */
import type { CoapMessage, CoapOption } from '../../../src/lwm2m/index.ts';
import { ascii, message, wire } from './lwm2m-test-helpers.ts';

/** One vector: the bytes, the message they encode, and where it comes from. */
export interface CoapVector {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly message: CoapMessage;
}

/** An option from a number and bytes or ASCII text. */
export function opt(number: number, value: Uint8Array | string | readonly number[]): CoapOption {
  return { number, value: typeof value === 'string' ? ascii(value) : Uint8Array.from(value) };
}

export const EMPTY_ACK: CoapVector = {
  name: 'empty ACK (RFC 7252 §4.2)',
  bytes: wire(
    0x60, // Ver 1 | T 2 (ACK) | TKL 0
    0x00, // Code 0.00 (Empty)
    0x12, 0x34, // Message ID 0x1234
  ),
  message: message({ type: 'ACK', code: 0, messageId: 0x1234 }),
};

export const RESET: CoapVector = {
  name: 'Reset (RFC 7252 §4.2)',
  bytes: wire(
    0x70, // Ver 1 | T 3 (RST) | TKL 0
    0x00, // Code 0.00
    0xbe, 0xef, // Message ID 0xBEEF
  ),
  message: message({ type: 'RST', code: 0, messageId: 0xbeef }),
};

export const PING: CoapVector = {
  name: 'CoAP ping: empty CON (RFC 7252 §4.3)',
  bytes: wire(
    0x40, // Ver 1 | T 0 (CON) | TKL 0
    0x00, // Code 0.00
    0x00, 0x01, // Message ID 1
  ),
  message: message({ type: 'CON', code: 0, messageId: 1 }),
};

export const GET_3_0: CoapVector = {
  name: 'CON GET /3/0 with a 2-byte token (LwM2M Read of the Device instance)',
  bytes: wire(
    0x42, // Ver 1 | T 0 (CON) | TKL 2
    0x01, // Code 0.01 GET
    0x01, 0x02, // Message ID 0x0102
    0xa1, 0xb2, // Token
    0xb1, '3', // delta 11 → Uri-Path (11), length 1: "3"
    0x01, '0', // delta 0 → Uri-Path again, length 1: "0"
  ),
  message: message({ type: 'CON', code: 1, messageId: 0x0102, token: wire(0xa1, 0xb2), options: [opt(11, '3'), opt(11, '0')] }),
};

export const RFC7252_FIG16_REQUEST: CoapVector = {
  name: 'RFC 7252 Appendix A Figure 16 request: CON GET /temperature, MID 0x7d34, no token',
  bytes: wire(
    0x40, // Ver 1 | CON | TKL 0
    0x01, // GET
    0x7d, 0x34, // Message ID
    0xbb, 'temperature', // delta 11 → Uri-Path, length 11
  ),
  message: message({ type: 'CON', code: 1, messageId: 0x7d34, options: [opt(11, 'temperature')] }),
};

export const RFC7252_FIG16_RESPONSE: CoapVector = {
  name: 'RFC 7252 Appendix A Figure 16 response: ACK 2.05 "22.3 C" (payload marker, no options)',
  bytes: wire(
    0x60, // Ver 1 | ACK | TKL 0
    0x45, // Code 2.05 Content (2 << 5 | 5 = 69)
    0x7d, 0x34, // Message ID echoed
    0xff, // payload marker
    '22.3 C', // payload
  ),
  message: message({ type: 'ACK', code: 69, messageId: 0x7d34, payload: ascii('22.3 C') }),
};

export const CONTENT_TEXT_PLAIN: CoapVector = {
  name: 'ACK 2.05 with token 0x20, Content-Format 0 (zero-length uint) and payload',
  bytes: wire(
    0x61, // Ver 1 | ACK | TKL 1
    0x45, // 2.05
    0x7d, 0x35, // Message ID
    0x20, // Token
    0xc0, // delta 12 → Content-Format, length 0: uint 0 = text/plain
    0xff, // payload marker
    '22.3 C',
  ),
  message: message({ type: 'ACK', code: 69, messageId: 0x7d35, token: wire(0x20), options: [opt(12, [])], payload: ascii('22.3 C') }),
};

export const REGISTER_PAYLOAD = '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>';

export const REGISTER: CoapVector = {
  name: 'Leshan-style LwM2M 1.1 Register: CON POST /rd?ep=node1&lt=300&lwm2m=1.1&b=U&Q, CF 40',
  bytes: wire(
    0x44, // Ver 1 | CON | TKL 4
    0x02, // Code 0.02 POST
    0x1f, 0x2e, // Message ID 0x1F2E
    0xca, 0xfe, 0x00, 0x01, // Token (offsets 4..7)
    0xb2, 'rd', // 8: delta 11 → Uri-Path (11), length 2
    0x11, 0x28, // 11: delta 1 → Content-Format (12), length 1: 40 application/link-format
    0x38, 'ep=node1', // 13: delta 3 → Uri-Query (15), length 8
    0x06, 'lt=300', // 22: delta 0 → Uri-Query, length 6
    0x09, 'lwm2m=1.1', // 29: Uri-Query, length 9
    0x03, 'b=U', // 39: Uri-Query, length 3
    0x01, 'Q', // 43: Uri-Query, length 1 (valueless queue-mode parameter)
    0xff, // 45: payload marker
    REGISTER_PAYLOAD, // 46..86: 41 bytes of link-format
  ),
  message: message({
    type: 'CON',
    code: 2,
    messageId: 0x1f2e,
    token: wire(0xca, 0xfe, 0x00, 0x01),
    options: [opt(11, 'rd'), opt(12, [40]), opt(15, 'ep=node1'), opt(15, 'lt=300'), opt(15, 'lwm2m=1.1'), opt(15, 'b=U'), opt(15, 'Q')],
    payload: ascii(REGISTER_PAYLOAD),
  }),
};

export const CREATED: CoapVector = {
  name: 'piggybacked 2.01 Created for the Register, Location-Path rd/5a3f',
  bytes: wire(
    0x64, // Ver 1 | ACK | TKL 4
    0x41, // Code 2.01 Created (2 << 5 | 1 = 65)
    0x1f, 0x2e, // Message ID of the Register
    0xca, 0xfe, 0x00, 0x01, // Token of the Register
    0x82, 'rd', // delta 8 → Location-Path (8), length 2
    0x04, '5a3f', // delta 0 → Location-Path, length 4
  ),
  message: message({ type: 'ACK', code: 65, messageId: 0x1f2e, token: wire(0xca, 0xfe, 0x00, 0x01), options: [opt(8, 'rd'), opt(8, '5a3f')] }),
};

export const TRIGGER_APPENDIX_L: CoapVector = {
  name: 'LwM2M Core Appendix L trigger CoAP bytes: CON POST /1/0/8 (Registration Update Trigger)',
  bytes: wire(
    0x44, // Ver 1 | CON | TKL 4
    0x02, // POST (Execute)
    0xb6, 0x0b, // Message ID 0xB60B
    0x21, 0x61, 0xfb, 0x63, // Token
    0xb1, '1', // Uri-Path "1"
    0x01, '0', // Uri-Path "0"
    0x01, '8', // Uri-Path "8"
  ),
  message: message({ type: 'CON', code: 2, messageId: 0xb60b, token: wire(0x21, 0x61, 0xfb, 0x63), options: [opt(11, '1'), opt(11, '0'), opt(11, '8')] }),
};

export const OBSERVE_REQUEST: CoapVector = {
  name: 'Observe registration in the notation of RFC 7641 (header 0x41011633, token 0x4a)',
  bytes: wire(
    0x41, // Ver 1 | CON | TKL 1
    0x01, // GET
    0x16, 0x33, // Message ID 0x1633
    0x4a, // Token
    0x60, // delta 6 → Observe, length 0: uint 0 (register)
    0x5b, 'temperature', // delta 5 → Uri-Path (11), length 11
  ),
  message: message({ type: 'CON', code: 1, messageId: 0x1633, token: wire(0x4a), options: [opt(6, []), opt(11, 'temperature')] }),
};

export const OBSERVE_NOTIFICATION: CoapVector = {
  name: 'piggybacked first notification (header 0x61451633): Observe 9, Max-Age 15, "18.5 Cel"',
  bytes: wire(
    0x61, // Ver 1 | ACK | TKL 1
    0x45, // 2.05
    0x16, 0x33, // Message ID
    0x4a, // Token
    0x61, 0x09, // delta 6 → Observe, length 1: 9
    0x81, 0x0f, // delta 8 → Max-Age (14), length 1: 15 s
    0xff, // payload marker
    '18.5 Cel',
  ),
  message: message({ type: 'ACK', code: 69, messageId: 0x1633, token: wire(0x4a), options: [opt(6, [9]), opt(14, [15])], payload: ascii('18.5 Cel') }),
};

export const SIZE1_DELTA_13: CoapVector = {
  name: 'NON PUT with Size1 (60): delta needs the 1-byte extension (nibble 13)',
  bytes: wire(
    0x50, // Ver 1 | T 1 (NON) | TKL 0
    0x03, // PUT
    0x00, 0x07, // Message ID 7
    0xd2, // delta nibble 13 (extended), length 2
    0x2f, // delta extension: 47 + 13 = 60 (Size1)
    0x04, 0x00, // value: uint 1024
    0xff, // payload marker
    'a', // payload
  ),
  message: message({ type: 'NON', code: 3, messageId: 7, options: [opt(60, [0x04, 0x00])], payload: ascii('a') }),
};

export const REQUEST_TAG_DELTA_14: CoapVector = {
  name: 'CON POST with Request-Tag (292): delta needs the 2-byte extension (nibble 14)',
  bytes: wire(
    0x40, // Ver 1 | CON | TKL 0
    0x02, // POST
    0x00, 0x10, // Message ID 16
    0xe1, // delta nibble 14 (2-byte extension), length 1
    0x00, 0x17, // delta extension: 23 + 269 = 292 (Request-Tag, RFC 9175)
    0xab, // value
  ),
  message: message({ type: 'CON', code: 2, messageId: 16, options: [opt(292, [0xab])] }),
};

export const PROXY_URI_VALUE = 'a'.repeat(300);

export const PROXY_URI_LENGTH_14: CoapVector = {
  name: 'CON GET with a 300-byte Proxy-Uri (35): delta extension 13 and length extension 14',
  bytes: wire(
    0x40, // Ver 1 | CON | TKL 0
    0x01, // GET
    0x00, 0x20, // Message ID 32
    0xde, // delta nibble 13, length nibble 14
    0x16, // delta extension: 22 + 13 = 35 (Proxy-Uri)
    0x00, 0x1f, // length extension: 31 + 269 = 300
    PROXY_URI_VALUE, // 8..307: value
  ),
  message: message({ type: 'CON', code: 1, messageId: 32, options: [opt(35, PROXY_URI_VALUE)] }),
};

export const URI_PATH_LENGTH_13: CoapVector = {
  name: 'NON GET with a 20-byte Uri-Path segment: length extension 13',
  bytes: wire(
    0x51, // Ver 1 | NON | TKL 1
    0x01, // GET
    0x00, 0x30, // Message ID 48
    0x07, // Token
    0xbd, // delta 11 → Uri-Path, length nibble 13
    0x07, // length extension: 7 + 13 = 20
    'abcdefghijklmnopqrst', // value
  ),
  message: message({ type: 'NON', code: 1, messageId: 48, token: wire(0x07), options: [opt(11, 'abcdefghijklmnopqrst')] }),
};

export const REPEATED_ETAG: CoapVector = {
  name: 'CON GET /a with two ETag options (repeatable, RFC 7252 §5.10.6) and an 8-byte token',
  bytes: wire(
    0x48, // Ver 1 | CON | TKL 8
    0x01, // GET
    0xff, 0xff, // Message ID 65535
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // Token (8 bytes, the maximum)
    0x42, 0x11, 0x22, // delta 4 → ETag, length 2
    0x01, 0x33, // delta 0 → ETag again, length 1
    0x71, 'a', // delta 7 → Uri-Path (11), length 1
  ),
  message: message({
    type: 'CON',
    code: 1,
    messageId: 0xffff,
    token: wire(1, 2, 3, 4, 5, 6, 7, 8),
    options: [opt(4, [0x11, 0x22]), opt(4, [0x33]), opt(11, 'a')],
  }),
};

export const RESERVED_CLASS: CoapVector = {
  name: 'NON with code 7.31 (reserved class, RFC 7252 §12.1): decoded, not rejected',
  bytes: wire(
    0x50, // Ver 1 | NON | TKL 0
    0xff, // Code 7.31
    0x00, 0x00, // Message ID 0
  ),
  message: message({ type: 'NON', code: 0xff, messageId: 0 }),
};

/** Every vector, for the round-trip and mutation tests. */
export const COAP_VECTORS: readonly CoapVector[] = [
  EMPTY_ACK,
  RESET,
  PING,
  GET_3_0,
  RFC7252_FIG16_REQUEST,
  RFC7252_FIG16_RESPONSE,
  CONTENT_TEXT_PLAIN,
  REGISTER,
  CREATED,
  TRIGGER_APPENDIX_L,
  OBSERVE_REQUEST,
  OBSERVE_NOTIFICATION,
  SIZE1_DELTA_13,
  REQUEST_TAG_DELTA_14,
  PROXY_URI_LENGTH_14,
  URI_PATH_LENGTH_13,
  REPEATED_ETAG,
  RESERVED_CLASS,
];
