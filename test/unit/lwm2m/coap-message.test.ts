/**
 * CoAP message codec (RFC 7252 §3): every vector of coap-vectors.ts decodes to the message its
 * comments describe, encodes back to the same bytes, and survives the round trip (mqtt-packet
 * testParseGenerate style); then the encoder's own rules (option order, extension boundaries,
 * payload marker) and peekHeader.
 */
import { describe, expect, it } from 'vitest';
import { decodeCoap, encodeCoap, isEmpty, peekHeader, uriPath, uriQuery, contentFormat, locationPath } from '../../../src/lwm2m/index.ts';
import * as V from './coap-vectors.ts';
import { opt } from './coap-vectors.ts';
import { hex, message, wire } from './lwm2m-test-helpers.ts';

describe('RFC 7252 §3 vectors, both directions', () => {
  it.each(V.COAP_VECTORS.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    expect(decodeCoap(v.bytes)).toStrictEqual(v.message);
    expect(hex(encodeCoap(v.message))).toBe(hex(v.bytes));
    expect(decodeCoap(encodeCoap(v.message))).toStrictEqual(v.message);
  });

  it('reads the Register vector as LwM2M sees it', () => {
    const register = decodeCoap(V.REGISTER.bytes);
    expect(uriPath(register)).toStrictEqual(['rd']);
    expect(uriQuery(register)).toStrictEqual(['ep=node1', 'lt=300', 'lwm2m=1.1', 'b=U', 'Q']);
    expect(contentFormat(register)).toBe(40);
    expect(new TextDecoder().decode(register.payload)).toBe(V.REGISTER_PAYLOAD);
    expect(V.REGISTER.bytes).toHaveLength(87);
    expect(locationPath(decodeCoap(V.CREATED.bytes))).toStrictEqual(['rd', '5a3f']);
  });

  it('empty messages are exactly 4 bytes', () => {
    for (const v of [V.EMPTY_ACK, V.RESET, V.PING]) {
      expect(v.bytes).toHaveLength(4);
      expect(isEmpty(decodeCoap(v.bytes))).toBe(true);
    }
    expect(isEmpty(decodeCoap(V.GET_3_0.bytes))).toBe(false);
  });

  it('a decoded message does not share memory with the input', () => {
    const bytes = V.GET_3_0.bytes.slice();
    const decoded = decodeCoap(bytes);
    bytes.fill(0);
    expect(decoded).toStrictEqual(V.GET_3_0.message);
  });
});

describe('encodeCoap: option order and encodings (RFC 7252 §3.1)', () => {
  it('sorts options by number and keeps repeated options in their given order (stable)', () => {
    const shuffled = { ...V.REGISTER.message, options: [...V.REGISTER.message.options].reverse() };
    // Reversing swaps the order of the Uri-Query instances: the bytes differ only there.
    const requeried = decodeCoap(encodeCoap(shuffled));
    expect(uriQuery(requeried)).toStrictEqual(['Q', 'b=U', 'lwm2m=1.1', 'lt=300', 'ep=node1']);
    expect(uriPath(requeried)).toStrictEqual(['rd']);
    const interleaved = { ...V.REPEATED_ETAG.message, options: [opt(11, 'a'), opt(4, [0x11, 0x22]), opt(4, [0x33])] };
    expect(hex(encodeCoap(interleaved))).toBe(hex(V.REPEATED_ETAG.bytes));
  });

  it.each([
    // [option number, header byte(s) of a zero-length option as the first option]
    [0, [0x00]],
    [12, [0xc0]], // largest delta without extension
    [13, [0xd0, 0x00]], // 13 + 0
    [268, [0xd0, 0xff]], // 13 + 255: largest 1-byte extension
    [269, [0xe0, 0x00, 0x00]], // 269 + 0
    [65535, [0xe0, 0xfe, 0xf2]], // 269 + 0xFEF2: the largest option number
  ])('option delta %i is written as %j', (number, header) => {
    const bytes = encodeCoap(message({ type: 'NON', code: 1, messageId: 0, options: [opt(number, [])] }));
    expect(hex(bytes)).toBe(hex(wire(0x50, 0x01, 0x00, 0x00, header)));
    expect(decodeCoap(bytes).options).toStrictEqual([opt(number, [])]);
  });

  it.each([
    // [value length, header byte(s) of option 1 (If-Match) with that length]
    [12, [0x1c]],
    [13, [0x1d, 0x00]],
    [268, [0x1d, 0xff]],
    [269, [0x1e, 0x00, 0x00]],
    [65804, [0x1e, 0xff, 0xff]], // 269 + 65535: the largest option length
  ])('option length %i is written as %j', (length, header) => {
    const value = new Uint8Array(length).fill(0x5a);
    const bytes = encodeCoap(message({ type: 'NON', code: 1, messageId: 0, options: [{ number: 1, value }] }));
    expect(hex(bytes.subarray(0, 4 + header.length))).toBe(hex(wire(0x50, 0x01, 0x00, 0x00, header)));
    expect(bytes).toHaveLength(4 + header.length + length);
    expect(decodeCoap(bytes).options[0]?.value).toStrictEqual(value);
  });

  it('writes a payload marker only before a non-empty payload', () => {
    const get = { ...V.GET_3_0.message, payload: new Uint8Array(0) };
    expect(hex(encodeCoap(get))).toBe(hex(V.GET_3_0.bytes));
    const withPayload = { ...V.GET_3_0.message, payload: wire(0xff) };
    expect(hex(encodeCoap(withPayload))).toBe(hex(wire(V.GET_3_0.bytes, 0xff, 0xff)));
    expect(decodeCoap(encodeCoap(withPayload)).payload).toStrictEqual(wire(0xff));
  });

  it('a payload that starts like an option is still payload after the marker', () => {
    const bytes = wire(0x40, 0x02, 0x00, 0x01, 0xff, 0xb1, '3');
    expect(decodeCoap(bytes)).toStrictEqual(message({ type: 'CON', code: 2, messageId: 1, payload: wire(0xb1, '3') }));
  });
});

describe('peekHeader: the header of a message that may be malformed (RFC 7252 §4.2)', () => {
  it('reads type, code, Message ID and TKL of well-formed messages', () => {
    expect(peekHeader(V.REGISTER.bytes)).toStrictEqual({ type: 'CON', code: 2, messageId: 0x1f2e, tokenLength: 4 });
    expect(peekHeader(V.RESET.bytes)).toStrictEqual({ type: 'RST', code: 0, messageId: 0xbeef, tokenLength: 0 });
    expect(peekHeader(V.SIZE1_DELTA_13.bytes)).toStrictEqual({ type: 'NON', code: 3, messageId: 7, tokenLength: 0 });
  });

  it('still reads the header when the rest is malformed, so the relay can answer with RST', () => {
    // TKL 15 (reserved), nothing after the header
    expect(peekHeader(wire(0x4f, 0x01, 0xab, 0xcd))).toStrictEqual({ type: 'CON', code: 1, messageId: 0xabcd, tokenLength: 15 });
    // option length nibble 15
    expect(peekHeader(wire(0x40, 0x02, 0x00, 0x09, 0xbf))).toStrictEqual({ type: 'CON', code: 2, messageId: 9, tokenLength: 0 });
    // truncated token
    expect(peekHeader(wire(0x48, 0x01, 0x12, 0x34, 0x01))).toStrictEqual({ type: 'CON', code: 1, messageId: 0x1234, tokenLength: 8 });
  });

  it('returns null for fewer than 4 bytes or a version other than 1', () => {
    expect(peekHeader(new Uint8Array(0))).toBeNull();
    expect(peekHeader(wire(0x40, 0x01, 0x00))).toBeNull();
    expect(peekHeader(wire(0x00, 0x01, 0x00, 0x01))).toBeNull(); // Ver 0
    expect(peekHeader(wire(0x80, 0x01, 0x00, 0x01))).toBeNull(); // Ver 2
    expect(peekHeader(wire(0xc0, 0x01, 0x00, 0x01))).toBeNull(); // Ver 3
  });
});

describe('decodeCoap: every decoded part is a copy of its own (never the datagram\'s memory)', () => {
  // A Register as dgram hands it over (a Buffer): token of 8 bytes, options of 2, 1, 16, 17 and
  // 64 bytes (the three ways a part is copied: ≤ 16 bytes, up to 64 bytes, longer), payload of 70.
  const parts = {
    token: Uint8Array.from({ length: 8 }, (_, i) => i + 1),
    uriPath: 'rd', // Uri-Path (11), 2 bytes
    query16: 'ep=0123456789abc', // Uri-Query (15), 16 bytes
    query17: 'ep=0123456789abcd', // Uri-Query (15), 17 bytes
    query64: `lwm2m=${'x'.repeat(58)}`, // Uri-Query (15), 64 bytes
    payload: `</1/0>,</3/0>,${'</9/0>,'.repeat(8)}</3303/0>`, // 70 bytes
  };
  const te = new TextEncoder();
  const datagram = (): Buffer => Buffer.from(encodeCoap({
    version: 1, type: 'CON', code: 2, messageId: 0x1234, token: parts.token,
    options: [
      { number: 11, value: te.encode(parts.uriPath) },
      { number: 12, value: Uint8Array.of(40) }, // Content-Format 40 (link format), 1 byte
      { number: 15, value: te.encode(parts.query16) },
      { number: 15, value: te.encode(parts.query17) },
      { number: 15, value: te.encode(parts.query64) },
    ],
    payload: te.encode(parts.payload),
  }));

  it('gives plain Uint8Arrays, not Buffers, even when the datagram is a Buffer', () => {
    const decoded = decodeCoap(datagram());
    for (const part of [decoded.token, decoded.payload, ...decoded.options.map((option) => option.value)]) {
      expect(Buffer.isBuffer(part)).toBe(false);
      expect(part).toBeInstanceOf(Uint8Array);
      expect(part.byteOffset).toBe(0);
      expect(part.buffer.byteLength).toBe(part.length); // a buffer of its own, exactly its size
    }
  });

  it('keeps its values when the datagram is overwritten afterwards', () => {
    const bytes = datagram();
    const decoded = decodeCoap(bytes);
    bytes.fill(0xee);
    expect(Array.from(decoded.token)).toEqual(Array.from(parts.token));
    expect(uriPath(decoded)).toEqual([parts.uriPath]);
    expect(uriQuery(decoded)).toEqual([parts.query16, parts.query17, parts.query64]);
    expect(contentFormat(decoded)).toBe(40);
    expect(new TextDecoder().decode(decoded.payload)).toBe(parts.payload);
  });
});
