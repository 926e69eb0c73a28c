/**
 * A tiny LwM2M TLV codec (Content-Format 11542; LwM2M 1.0 §6.4.3, 1.1 Core §7.4.3) for what the
 * simulated device reads and writes: strings, integers, booleans, multiple resources and object
 * instances. Pure: bytes in, value out, or a typed error.
 *
 * One TLV is a type byte, an identifier of 8 or 16 bits, an optional length field and the value:
 *
 * ```
 *  type byte:  7 6 | 5 | 4 3 | 2 1 0
 *              --- + - + --- + -----
 *              |   |   |     └ length when bits 4-3 are 00 (0..7)
 *              |   |   └ 00 no length field, 01 8-bit, 10 16-bit, 11 24-bit length field
 *              |   └ 0 = 8-bit identifier, 1 = 16-bit identifier
 *              └ 00 Object Instance, 01 Resource Instance, 10 Multiple Resource, 11 Resource with Value
 * ```
 *
 * Errors use the CoAP codes of the registry (`GW_ERR_COAP_ENCODE` / `GW_ERR_COAP_DECODE`): the
 * TLV is a CoAP payload and the registry has no TLV code yet.
 */
import { DecodeError, EncodeError } from '../../shared/errors.ts';

/** Kind of a TLV, from bits 7-6 of its type byte. */
export type TlvType = 'object-instance' | 'resource-instance' | 'multiple-resource' | 'resource';

/** A Resource with Value or a Resource Instance: identifier and value bytes. */
export interface TlvLeaf {
  readonly type: 'resource' | 'resource-instance';
  readonly id: number;
  readonly value: Uint8Array;
}

/** An Object Instance or a Multiple Resource: identifier and nested TLVs. */
export interface TlvParent {
  readonly type: 'object-instance' | 'multiple-resource';
  readonly id: number;
  readonly children: readonly TlvNode[];
}

/** One TLV: a leaf carries a value, an Object Instance or Multiple Resource carries children. */
export type TlvNode = TlvLeaf | TlvParent;

/** Bits 7-6 of the type byte per {@link TlvType}. */
const TYPE_BITS: Readonly<Record<TlvType, number>> = Object.freeze({
  'object-instance': 0b00,
  'resource-instance': 0b01,
  'multiple-resource': 0b10,
  resource: 0b11,
});
const TYPES: readonly TlvType[] = ['object-instance', 'resource-instance', 'multiple-resource', 'resource'];

/** Largest identifier: 16 bits (bit 5 of the type byte). */
export const MAX_TLV_IDENTIFIER = 0xffff;
/** Largest value length: a 24-bit length field (bits 4-3 = 11). */
export const MAX_TLV_LENGTH = 0xff_ffff;

function encodeFail(field: string, message: string): never {
  throw new EncodeError('GW_ERR_COAP_ENCODE', field, message);
}

/** UTF-8 bytes of a String resource (LwM2M 1.1 Core Appendix C: "UTF-8 string"). */
export function tlvStringValue(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

/**
 * Integer / Time value: signed two's complement, big endian, in the fewest of 1, 2, 4 or 8 bytes
 * (LwM2M 1.1 Core Appendix C: "represented as a binary signed integer in network byte order …
 * length … 1, 2, 4 or 8 bytes"). Throws {@link EncodeError} `GW_ERR_COAP_ENCODE`, field
 * `TLV Integer`, for a number that is not a safe integer.
 */
export function tlvIntegerValue(n: number | bigint): Uint8Array {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) encodeFail('TLV Integer', `${n} is not a safe integer`);
  const value = BigInt(n);
  for (const size of [1, 2, 4, 8]) {
    const limit = 1n << BigInt(size * 8 - 1);
    if (value >= -limit && value < limit) {
      const out = new Uint8Array(size);
      let rest = BigInt.asUintN(size * 8, value);
      for (let i = size - 1; i >= 0; i--) {
        out[i] = Number(rest & 0xffn);
        rest >>= 8n;
      }
      return out;
    }
  }
  return encodeFail('TLV Integer', `${n} does not fit 8 bytes`);
}

/** Boolean value: one byte, 0 or 1 (LwM2M 1.1 Core Appendix C). */
export function tlvBooleanValue(value: boolean): Uint8Array {
  return Uint8Array.of(value ? 1 : 0);
}

/** A Resource with Value from a string (UTF-8), a safe integer or a boolean. */
export function tlvResource(id: number, value: string | number | boolean): TlvLeaf {
  const bytes = typeof value === 'string' ? tlvStringValue(value) : typeof value === 'number' ? tlvIntegerValue(value) : tlvBooleanValue(value);
  return { type: 'resource', id, value: bytes };
}

/** A Multiple Resource whose instances 0, 1, … hold `values`. */
export function tlvMultipleResource(id: number, values: readonly (string | number | boolean)[]): TlvParent {
  return {
    type: 'multiple-resource',
    id,
    children: values.map((value, index) => ({ ...tlvResource(index, value), type: 'resource-instance' as const })),
  };
}

function lengthField(length: number): { bits: number; bytes: number[] } {
  if (length <= 7) return { bits: length, bytes: [] }; // bits 4-3 = 00, length in bits 2-0
  if (length <= 0xff) return { bits: 0b01 << 3, bytes: [length] };
  if (length <= 0xffff) return { bits: 0b10 << 3, bytes: [length >> 8, length & 0xff] };
  return { bits: 0b11 << 3, bytes: [length >> 16, (length >> 8) & 0xff, length & 0xff] };
}

function encodeNode(node: TlvNode, out: number[]): void {
  if (!Number.isInteger(node.id) || node.id < 0 || node.id > MAX_TLV_IDENTIFIER) {
    encodeFail('TLV Identifier', `${node.id} is not an integer 0..${MAX_TLV_IDENTIFIER}`);
  }
  const value = 'children' in node ? encodeTlv(node.children) : node.value;
  if (value.length > MAX_TLV_LENGTH) encodeFail('TLV Length', `${value.length} bytes; at most ${MAX_TLV_LENGTH}`);
  const wide = node.id > 0xff;
  const length = lengthField(value.length);
  out.push((TYPE_BITS[node.type] << 6) | (wide ? 0x20 : 0) | length.bits);
  if (wide) out.push(node.id >> 8, node.id & 0xff);
  else out.push(node.id);
  out.push(...length.bytes);
  for (const byte of value) out.push(byte);
}

/**
 * Encodes TLVs in order. Identifiers above 255 take the 16-bit form, lengths above 7 a length
 * field of 1, 2 or 3 bytes (the shortest). Throws {@link EncodeError} `GW_ERR_COAP_ENCODE`,
 * field `TLV Identifier` (not 0..65535) or `TLV Length` (over 16 MiB).
 */
export function encodeTlv(nodes: readonly TlvNode[]): Uint8Array {
  const out: number[] = [];
  for (const node of nodes) encodeNode(node, out);
  return Uint8Array.from(out);
}

function decodeFail(field: string, offset: number, message: string): never {
  throw new DecodeError('GW_ERR_COAP_DECODE', field, offset, message);
}

function decodeRange(bytes: Uint8Array, start: number, end: number, inside: TlvType | null): TlvNode[] {
  const nodes: TlvNode[] = [];
  let offset = start;
  while (offset < end) {
    const head = bytes[offset] ?? 0;
    const type = TYPES[head >> 6] ?? 'resource';
    if (inside === 'multiple-resource' && type !== 'resource-instance') {
      decodeFail('TLV Type', offset, `a Multiple Resource holds Resource Instances, not ${type}`);
    }
    if (inside === 'object-instance' && (type === 'object-instance' || type === 'resource-instance')) {
      decodeFail('TLV Type', offset, `an Object Instance holds Resources, not ${type}`);
    }
    const idSize = head & 0x20 ? 2 : 1;
    const lengthType = (head >> 3) & 0x03;
    const lengthSize = lengthType;
    if (offset + 1 + idSize + lengthSize > end) decodeFail('TLV Header', offset, 'the TLV ends inside its identifier or length field');
    let cursor = offset + 1;
    let id = 0;
    for (let i = 0; i < idSize; i++) id = (id << 8) | (bytes[cursor++] ?? 0);
    let length = head & 0x07;
    if (lengthType !== 0) {
      length = 0;
      for (let i = 0; i < lengthSize; i++) length = (length << 8) | (bytes[cursor++] ?? 0);
    }
    if (cursor + length > end) decodeFail('TLV Value', cursor, `needs ${length} byte(s), ${end - cursor} left`);
    if (type === 'resource' || type === 'resource-instance') {
      nodes.push({ type, id, value: bytes.slice(cursor, cursor + length) });
    } else {
      nodes.push({ type, id, children: decodeRange(bytes, cursor, cursor + length, type) });
    }
    offset = cursor + length;
  }
  return nodes;
}

/**
 * Decodes TLVs, nesting the children of Object Instances and Multiple Resources. Throws
 * {@link DecodeError} `GW_ERR_COAP_DECODE` with field `TLV Header` (truncated identifier or
 * length), `TLV Value` (fewer bytes than the length says) or `TLV Type` (a Multiple Resource
 * holding anything but Resource Instances, an Object Instance holding Object or Resource
 * Instances); the offset is that of the offending TLV or value.
 */
export function decodeTlv(bytes: Uint8Array): TlvNode[] {
  return decodeRange(bytes, 0, bytes.length, null);
}

/**
 * The integer in a TLV value of 1, 2, 4 or 8 bytes (signed, big endian). Throws
 * {@link DecodeError} `GW_ERR_COAP_DECODE`, field `TLV Integer`, offset 0, for another length
 * or a value outside the safe integers.
 */
export function readTlvInteger(value: Uint8Array): number {
  if (![1, 2, 4, 8].includes(value.length)) decodeFail('TLV Integer', 0, `an integer has 1, 2, 4 or 8 bytes, not ${value.length}`);
  let n = 0n;
  for (const byte of value) n = (n << 8n) | BigInt(byte);
  const signed = BigInt.asIntN(value.length * 8, n);
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) decodeFail('TLV Integer', 0, `${signed} is not a safe integer`);
  return Number(signed);
}

/** The UTF-8 text of a TLV String value (ill-formed sequences become U+FFFD). */
export function readTlvString(value: Uint8Array): string {
  return Buffer.from(value).toString('utf8');
}
