/**
 * Every way decodeCoap and encodeCoap refuse input. Code, field and byte offset are part of the
 * contract (src/shared/errors.ts), so each is asserted exactly. RFC 7252 §3 calls each decode case
 * a "message format error" (or §4.1 for the Empty message).
 */
import { describe, expect, it } from 'vitest';
import { decodeCoap, encodeCoap, peekHeader, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { GET_3_0, PROXY_URI_LENGTH_14, REGISTER } from './coap-vectors.ts';
import { expectDecodeError, expectEncodeError, message, wire } from './lwm2m-test-helpers.ts';

function expectCoapError(bytes: Uint8Array, field: string, offset: number): void {
  expectDecodeError(() => decodeCoap(bytes), 'GW_ERR_COAP_DECODE', field, offset);
}

describe('decodeCoap: header errors', () => {
  it('empty input: Ver at 0', () => expectCoapError(new Uint8Array(0), 'Ver', 0));

  it.each([
    ['Ver 0', 0x00],
    ['Ver 2', 0x80],
    ['Ver 3', 0xc0],
    ['Ver 0 with TKL 15', 0x0f],
  ])('%s: Ver at 0 (§3: unknown versions are not CoAP 1)', (_label, first) => {
    expectCoapError(wire(first, 0x01, 0x00, 0x01), 'Ver', 0);
  });

  it.each([9, 10, 11, 12, 13, 14, 15])('TKL %i is reserved: TKL at 0, even with enough bytes for the token', (tkl) => {
    expectCoapError(wire(0x40 | tkl, 0x01, 0x00, 0x01, new Array<number>(tkl).fill(0xaa)), 'TKL', 0);
  });

  it('the input ends inside the 4-byte header', () => {
    expectCoapError(wire(0x40), 'Code', 1);
    expectCoapError(wire(0x40, 0x01), 'Message ID', 2);
    expectCoapError(wire(0x40, 0x01, 0x7d), 'Message ID', 2);
  });

  it('fewer token bytes than TKL: Token at 4', () => {
    expectCoapError(wire(0x42, 0x01, 0x00, 0x01), 'Token', 4);
    expectCoapError(wire(0x42, 0x01, 0x00, 0x01, 0xa1), 'Token', 4);
    expectCoapError(wire(0x48, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7), 'Token', 4);
  });
});

describe('decodeCoap: Empty message (0.00) with content (§4.1)', () => {
  it('a token length other than 0: TKL at 0', () => {
    expectCoapError(wire(0x61, 0x00, 0x12, 0x34, 0xaa), 'TKL', 0);
    expectCoapError(wire(0x41, 0x00, 0x12, 0x34), 'TKL', 0); // even with the token missing
  });

  it.each([
    ['an option', [0xb1, 0x33]],
    ['a payload', [0xff, 0x61]],
    ['a lone payload marker', [0xff]],
    ['one zero byte', [0x00]],
  ])('%s after the Message ID: Empty message at 4', (_label, rest) => {
    expectCoapError(wire(0x60, 0x00, 0x12, 0x34, rest), 'Empty message', 4);
    expectCoapError(wire(0x70, 0x00, 0x12, 0x34, rest), 'Empty message', 4);
  });
});

describe('decodeCoap: option errors (§3.1)', () => {
  it.each([0xf0, 0xf1, 0xfc, 0xfd, 0xfe])('delta nibble 15 in option byte %i (not the payload marker 255): Option Delta at the option byte', (head) => {
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, head, 0, 0, 0), 'Option Delta', 4);
    expectCoapError(wire(GET_3_0.bytes, head), 'Option Delta', 10);
  });

  it.each([0x0f, 0xbf, 0xdf, 0xef])('length nibble 15 in option byte %i: Option Length at the option byte', (head) => {
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, head, 0, 0, 0), 'Option Length', 4);
  });

  it('truncated delta extension: Option Delta (extended) at the extension', () => {
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xd0), 'Option Delta (extended)', 5);
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xe0), 'Option Delta (extended)', 5);
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xe0, 0x00), 'Option Delta (extended)', 5);
  });

  it('truncated length extension: Option Length (extended) after any delta extension', () => {
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0x0d), 'Option Length (extended)', 5);
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0x1e, 0x00), 'Option Length (extended)', 5);
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xde, 0x16), 'Option Length (extended)', 6);
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xee, 0x00, 0x00, 0x01), 'Option Length (extended)', 7);
  });

  it('fewer value bytes than the length: Option Value at the value', () => {
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xb3, 'ab'), 'Option Value', 5);
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xbd, 0x00), 'Option Value', 6); // 13 bytes announced, none there
    // the extended length is not mistaken for a payload marker: 0xFF inside a value is data
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xb2, 0xff), 'Option Value', 5);
  });

  it('an option number above 65535: Option Delta at the option byte that overflows', () => {
    // 269 + 0xFFFF = 65804 in one step
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xe0, 0xff, 0xff), 'Option Delta', 4);
    // 65535 (valid) then delta 1
    expect(decodeCoap(wire(0x40, 0x01, 0x00, 0x01, 0xe0, 0xfe, 0xf2)).options[0]?.number).toBe(65535);
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xe0, 0xfe, 0xf2, 0x10), 'Option Delta', 7);
  });

  it('a payload marker with nothing after it: Payload Marker at the marker (§3)', () => {
    expectCoapError(wire(0x40, 0x01, 0x00, 0x01, 0xff), 'Payload Marker', 4);
    expectCoapError(wire(GET_3_0.bytes, 0xff), 'Payload Marker', 10);
  });
});

type Expectation = readonly [from: number, to: number, field: string, offset: number] | readonly [from: number, to: number, 'ok'];

/** Cuts `bytes` at every length below its own; each cut must fail (or succeed) as listed. */
function expectEveryPrefix(bytes: Uint8Array, table: readonly Expectation[]): void {
  let checked = 0;
  for (const row of table) {
    for (let length = row[0]; length <= row[1]; length++) {
      const prefix = bytes.subarray(0, length);
      if (row[2] === 'ok') expect(() => decodeCoap(prefix), `length ${length}`).not.toThrow();
      else expectCoapError(prefix, row[2], row[3] ?? -1);
      expect(length).toBe(checked);
      checked++;
    }
  }
  expect(checked).toBe(bytes.length);
}

describe('decodeCoap: every prefix of a vector', () => {
  it('the Register (87 bytes): cuts at option boundaries and inside the payload are valid messages', () => {
    expectEveryPrefix(REGISTER.bytes, [
      [0, 0, 'Ver', 0],
      [1, 1, 'Code', 1],
      [2, 3, 'Message ID', 2],
      [4, 7, 'Token', 4],
      [8, 8, 'ok'], // header + token
      [9, 10, 'Option Value', 9], // Uri-Path "rd"
      [11, 11, 'ok'],
      [12, 12, 'Option Value', 12], // Content-Format
      [13, 13, 'ok'],
      [14, 21, 'Option Value', 14], // ep=node1
      [22, 22, 'ok'],
      [23, 28, 'Option Value', 23], // lt=300
      [29, 29, 'ok'],
      [30, 38, 'Option Value', 30], // lwm2m=1.1
      [39, 39, 'ok'],
      [40, 42, 'Option Value', 40], // b=U
      [43, 43, 'ok'],
      [44, 44, 'Option Value', 44], // Q
      [45, 45, 'ok'],
      [46, 46, 'Payload Marker', 45],
      [47, 86, 'ok'], // a shorter payload
    ]);
  });

  it('the 300-byte Proxy-Uri: each extension is named', () => {
    expectEveryPrefix(PROXY_URI_LENGTH_14.bytes, [
      [0, 0, 'Ver', 0],
      [1, 1, 'Code', 1],
      [2, 3, 'Message ID', 2],
      [4, 4, 'ok'],
      [5, 5, 'Option Delta (extended)', 5],
      [6, 7, 'Option Length (extended)', 6],
      [8, 307, 'Option Value', 8],
    ]);
  });

  it('peekHeader reads every prefix of 4 bytes or more', () => {
    for (let length = 4; length <= REGISTER.bytes.length; length++) {
      expect(peekHeader(REGISTER.bytes.subarray(0, length))).toStrictEqual({ type: 'CON', code: 2, messageId: 0x1f2e, tokenLength: 4 });
    }
  });
});

describe('encodeCoap: EncodeError GW_ERR_COAP_ENCODE', () => {
  const get: CoapMessage = GET_3_0.message;
  const cases: readonly [string, CoapMessage, string][] = [
    ['version 2', { ...get, version: 2 as 1 }, 'Ver'],
    ['type "ACKNOWLEDGE"', { ...get, type: 'ACKNOWLEDGE' as 'ACK' }, 'T'],
    ['code 256', { ...get, code: 256 }, 'Code'],
    ['code -1', { ...get, code: -1 }, 'Code'],
    ['code 1.5', { ...get, code: 1.5 }, 'Code'],
    ['Message ID 65536', { ...get, messageId: 65536 }, 'Message ID'],
    ['Message ID -1', { ...get, messageId: -1 }, 'Message ID'],
    ['Message ID NaN', { ...get, messageId: Number.NaN }, 'Message ID'],
    ['a 9-byte token', { ...get, token: new Uint8Array(9) }, 'Token'],
    ['option number 65536', { ...get, options: [{ number: 65536, value: new Uint8Array(0) }] }, 'Option Number'],
    ['option number -1', { ...get, options: [{ number: -1, value: new Uint8Array(0) }] }, 'Option Number'],
    ['option number 11.5', { ...get, options: [{ number: 11.5, value: new Uint8Array(0) }] }, 'Option Number'],
    ['an option value of 65805 bytes', { ...get, options: [{ number: 1, value: new Uint8Array(65805) }] }, 'Option Value'],
    ['an Empty message with a token', message({ type: 'ACK', code: 0, messageId: 1, token: wire(1) }), 'Token'],
    ['an Empty message with an option', message({ type: 'RST', code: 0, messageId: 1, options: [{ number: 11, value: wire('a') }] }), 'Options'],
    ['an Empty message with a payload', message({ type: 'CON', code: 0, messageId: 1, payload: wire(1) }), 'Payload'],
  ];
  it.each(cases)('%s: field %s', (_label, bad, field) => {
    expectEncodeError(() => encodeCoap(bad), 'GW_ERR_COAP_ENCODE', field);
  });

  it('the limits themselves encode: 8-byte token, Message ID 0 and 65535, option 65535, 65804-byte value', () => {
    for (const messageId of [0, 65535]) expect(() => encodeCoap({ ...get, messageId, token: new Uint8Array(8) })).not.toThrow();
    expect(() => encodeCoap({ ...get, options: [{ number: 65535, value: new Uint8Array(65804) }] })).not.toThrow();
  });
});
