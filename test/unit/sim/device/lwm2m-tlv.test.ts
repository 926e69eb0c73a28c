/**
 * The simulated device's LwM2M TLV codec (LwM2M 1.0 §6.4.3, 1.1 Core §7.4.3). Vectors are the
 * Device object example of the specification ("Example of Request on Single-Instance Object"),
 * one comment per field; each is encoded, decoded and round-tripped (mqtt-packet style).
 */
import { describe, expect, it } from 'vitest';
import {
  decodeTlv, encodeTlv, readTlvInteger, readTlvString, tlvBooleanValue, tlvIntegerValue, tlvMultipleResource, tlvResource, type TlvNode,
} from '../../../../src/sim/device/index.ts';
import { DecodeError, EncodeError } from '../../../../src/shared/errors.ts';

function bytes(...values: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const value of values) {
    if (typeof value === 'number') out.push(value);
    else out.push(...Buffer.from(value, 'utf8'));
  }
  return Uint8Array.from(out);
}

function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex').toUpperCase();
}

interface Vector {
  readonly name: string;
  readonly nodes: readonly TlvNode[];
  readonly bytes: Uint8Array;
}

const VECTORS: readonly Vector[] = [
  {
    name: 'string resource 0 "Open Mobile Alliance" (8-bit length field)',
    nodes: [tlvResource(0, 'Open Mobile Alliance')],
    bytes: bytes(
      0xc8, //  11 Resource with Value, 0 8-bit id, 01 8-bit length field, 000
      0x00, //  identifier 0 (Manufacturer)
      0x14, //  length 20
      'Open Mobile Alliance',
    ),
  },
  {
    name: 'string resource 3 "1.0" (length in the type byte)',
    nodes: [tlvResource(3, '1.0')],
    bytes: bytes(
      0xc3, //  11 Resource with Value, 0, 00 no length field, length 3
      0x03, //  identifier 3 (Firmware Version)
      '1.0',
    ),
  },
  {
    name: 'integer resource 9 = 100 (1 byte)',
    nodes: [tlvResource(9, 100)],
    bytes: bytes(
      0xc1, //  11 Resource with Value, 0, 00, length 1
      0x09, //  identifier 9 (Battery Level)
      0x64, //  100
    ),
  },
  {
    name: 'integer resource 13 = 1367491215 (4 bytes)',
    nodes: [tlvResource(13, 1_367_491_215)],
    bytes: bytes(
      0xc4, //  11 Resource with Value, 0, 00, length 4
      0x0d, //  identifier 13 (Current Time)
      0x51, 0x82, 0x42, 0x8f, // 0x5182428F
    ),
  },
  {
    name: 'integer resource 1 = 86400 (4 bytes: 3 would be enough, but sizes are 1, 2, 4, 8)',
    nodes: [tlvResource(1, 86_400)],
    bytes: bytes(
      0xc4, //  11, 0, 00, length 4
      0x01, //  identifier 1 (Lifetime)
      0x00, 0x01, 0x51, 0x80, // 86400
    ),
  },
  {
    name: 'multiple resource 6 = [1, 5]',
    nodes: [tlvMultipleResource(6, [1, 5])],
    bytes: bytes(
      0x86, //  10 Multiple Resource, 0, 00, length 6
      0x06, //  identifier 6 (Available Power Sources)
      0x41, 0x00, 0x01, // 01 Resource Instance, length 1, instance 0, value 1
      0x41, 0x01, 0x05, // 01 Resource Instance, length 1, instance 1, value 5
    ),
  },
  {
    name: 'multiple resource 7 = [3800, 5000] (8-bit length field, 2-byte integers)',
    nodes: [tlvMultipleResource(7, [3800, 5000])],
    bytes: bytes(
      0x88, //  10 Multiple Resource, 0, 01 8-bit length field
      0x07, //  identifier 7 (Power Source Voltage)
      0x08, //  length 8
      0x42, 0x00, 0x0e, 0xd8, // Resource Instance 0, length 2, 3800
      0x42, 0x01, 0x13, 0x88, // Resource Instance 1, length 2, 5000
    ),
  },
  {
    name: 'multiple resource 11 = [0]',
    nodes: [tlvMultipleResource(11, [0])],
    bytes: bytes(
      0x83, //  10 Multiple Resource, 0, 00, length 3
      0x0b, //  identifier 11 (Error Code)
      0x41, 0x00, 0x00, // Resource Instance 0, length 1, 0 (no error)
    ),
  },
  {
    name: 'boolean resource 6 = false',
    nodes: [tlvResource(6, false)],
    bytes: bytes(0xc1, 0x06, 0x00), // 11, 0, 00, length 1; identifier 6; 0
  },
  {
    name: 'resource with a 16-bit identifier 300 = 1',
    nodes: [tlvResource(300, 1)],
    bytes: bytes(
      0xe1, //  11 Resource with Value, 1 16-bit id, 00, length 1
      0x01, 0x2c, // identifier 300
      0x01, //  1
    ),
  },
  {
    name: 'object instance 0 holding resources 0 (Short Server ID 1) and 1 (Lifetime 86400)',
    nodes: [{ type: 'object-instance', id: 0, children: [tlvResource(0, 1), tlvResource(1, 86_400)] }],
    bytes: bytes(
      0x08, //  00 Object Instance, 0, 01 8-bit length field
      0x00, //  instance 0
      0x09, //  length 9
      0xc1, 0x00, 0x01, // Resource 0, length 1, 1
      0xc4, 0x01, 0x00, 0x01, 0x51, 0x80, // Resource 1, length 4, 86400
    ),
  },
];

describe('TLV vectors, both directions', () => {
  it.each(VECTORS.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    expect(hex(encodeTlv(v.nodes))).toBe(hex(v.bytes));
    expect(decodeTlv(v.bytes)).toStrictEqual(v.nodes);
    expect(hex(encodeTlv(decodeTlv(v.bytes)))).toBe(hex(v.bytes));
  });

  it('encodes the Device object example of the specification byte for byte', () => {
    const nodes = [
      tlvResource(0, 'Open Mobile Alliance'),
      tlvResource(1, 'Lightweight M2M Client'),
      tlvResource(2, '345000123'),
      tlvResource(3, '1.0'),
      tlvMultipleResource(6, [1, 5]),
      tlvMultipleResource(7, [3800, 5000]),
      tlvMultipleResource(8, [125, 900]),
      tlvResource(9, 100),
      tlvResource(10, 15),
      tlvMultipleResource(11, [0]),
      tlvResource(13, 1_367_491_215),
      tlvResource(14, '+02:00'),
      tlvResource(16, 'U'),
    ];
    const expected =
      'C800144F70656E204D6F62696C6520416C6C69616E6365' +
      'C801164C69676874776569676874204D324D20436C69656E74' +
      'C80209333435303030313233' +
      'C303312E30' +
      '8606410001410105' +
      '88070842000ED842011388' +
      '870841007D42010384' +
      'C10964' +
      'C10A0F' +
      '830B410000' +
      'C40D5182428F' +
      'C60E2B30323A3030' +
      'C11055';
    expect(hex(encodeTlv(nodes))).toBe(expected);
    expect(decodeTlv(encodeTlv(nodes))).toStrictEqual(nodes);
  });
});

describe('TLV values', () => {
  it.each([
    [0, '00'],
    [127, '7F'],
    [128, '0080'], // 1 byte would read as -128
    [-1, 'FF'],
    [-128, '80'],
    [-129, 'FF7F'],
    [32_767, '7FFF'],
    [32_768, '00008000'],
    [2_147_483_648, '0000000080000000'],
    [Number.MAX_SAFE_INTEGER, '001FFFFFFFFFFFFF'],
    [Number.MIN_SAFE_INTEGER, 'FFE0000000000001'],
  ])('integer %d is %s and reads back', (n, expected) => {
    expect(hex(tlvIntegerValue(n))).toBe(expected);
    expect(readTlvInteger(tlvIntegerValue(n))).toBe(n);
  });

  it('rejects integers that are not safe, and reads only 1, 2, 4 or 8 bytes', () => {
    expect(() => tlvIntegerValue(1.5)).toThrow(EncodeError);
    expect(() => tlvIntegerValue(2 ** 60)).toThrow(EncodeError);
    expect(() => readTlvInteger(Uint8Array.of(0, 1, 2))).toThrow(DecodeError);
    expect(() => readTlvInteger(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toThrow(DecodeError);
  });

  it('booleans and strings', () => {
    expect(hex(tlvBooleanValue(true))).toBe('01');
    expect(readTlvString(bytes('Grüße'))).toBe('Grüße');
  });

  it('chooses the 16-bit and 24-bit length fields for long values', () => {
    const long = encodeTlv([{ type: 'resource', id: 1, value: new Uint8Array(300) }]);
    expect(hex(long.subarray(0, 4))).toBe('D001012C'); // 11, 0, 10 16-bit length; id 1; length 300
    const longer = encodeTlv([{ type: 'resource', id: 1, value: new Uint8Array(70_000) }]);
    expect(hex(longer.subarray(0, 5))).toBe('D8010111' + '70'); // 11, 0, 11 24-bit length; id 1; 0x011170
    expect(decodeTlv(longer)[0]).toMatchObject({ id: 1 });
  });
});

describe('TLV errors', () => {
  it('rejects identifiers beyond 16 bits', () => {
    expect(() => encodeTlv([tlvResource(65_536, 1)])).toThrow(expect.objectContaining({ code: 'GW_ERR_COAP_ENCODE', field: 'TLV Identifier' }));
  });

  it.each([
    ['a truncated identifier', 'E1' + '01', 'TLV Header', 0],
    ['a truncated length field', 'C8' + '00', 'TLV Header', 0],
    ['a value shorter than its length', 'C4' + '01' + '0001', 'TLV Value', 2],
    ['a Multiple Resource holding a Resource', '83' + '0B' + 'C10000', 'TLV Type', 2],
    ['an Object Instance holding an Object Instance', '03' + '00' + '000000', 'TLV Type', 2],
  ])('rejects %s', (_name, input, field, offset) => {
    const error = (() => {
      try {
        decodeTlv(Uint8Array.from(Buffer.from(input, 'hex')));
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({ code: 'GW_ERR_COAP_DECODE', field, offset });
  });

  it('decodes nothing from nothing', () => {
    expect(decodeTlv(new Uint8Array(0))).toStrictEqual([]);
  });
});
