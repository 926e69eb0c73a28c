/**
 * GSM 7-bit default alphabet codec (3GPP TS 23.038 §6.2.1 and §6.2.1.1) and septet packing
 * (TS 23.038 §6.1.2.1.1, fill bits per TS 23.040 §9.2.3.24).
 *
 * Pure functions, no mutable module state: the lookup tables below are built once and never
 * changed. Text is mapped to septets (one value 0..127 per byte) and septets to packed octets in
 * two separate steps, so that callers can count septets (TP-UDL) before packing.
 */

import { DecodeError, EncodeError } from '../shared/errors.ts';

/**
 * The escape code 0x1B of the default alphabet: the next septet is read from the extension table
 * (TS 23.038 §6.2.1, note 1; §6.2.1.1).
 */
export const GSM7_ESCAPE = 0x1b;

/**
 * The basic table, TS 23.038 §6.2.1, indexed by septet value 0x00..0x7F. Position 0x1B holds the
 * escape, which is never produced by decoding nor accepted for encoding as a character.
 */
const BASIC_TABLE =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The characters of the extension table, TS 23.038 §6.2.1.1, as [code after 0x1B, character]. */
const EXTENSION_ENTRIES: ReadonlyArray<readonly [number, string]> = Object.freeze([
  [0x0a, '\f'], // form feed (page break)
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
] as const);

/** Code point → basic-table septet (0x1B excluded: U+001B is not a character of the alphabet). */
const BASIC_ENCODE: ReadonlyMap<number, number> = new Map(
  Array.from(BASIC_TABLE, (ch, code) => [ch.codePointAt(0) ?? -1, code] as const).filter(
    ([, code]) => code !== GSM7_ESCAPE,
  ),
);

/** Code point → extension-table code (the septet that follows 0x1B). */
const EXTENSION_ENCODE: ReadonlyMap<number, number> = new Map(
  EXTENSION_ENTRIES.map(([code, ch]) => [ch.codePointAt(0) ?? -1, code] as const),
);

/** Extension-table code → character. */
const EXTENSION_DECODE: ReadonlyMap<number, string> = new Map(EXTENSION_ENTRIES);

/**
 * Maps text to unpacked septets, one value 0..127 per byte (TS 23.038 §6.2.1). Characters of the
 * extension table (`^{}\[~]|€` and form feed U+000C) take two septets: 0x1B then their code
 * (TS 23.038 §6.2.1.1). The result length is therefore the TP-UDL septet count of the text.
 *
 * No substitution is made (for example `ç` is not turned into `Ç`).
 *
 * @throws {EncodeError} `GW_ERR_SMS_ENCODE`, field `text`, naming the first character (a whole
 *   code point, so an emoji counts as one character) that is in neither table, with its U+ code
 *   and its index in `text` (every character before it is in the BMP, so the UTF-16 index and the
 *   code point index agree).
 */
export function encodeGsm7Septets(text: string): Uint8Array {
  const out: number[] = [];
  let index = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const basic = BASIC_ENCODE.get(cp);
    if (basic !== undefined) {
      out.push(basic);
    } else {
      const ext = EXTENSION_ENCODE.get(cp);
      if (ext === undefined) {
        const hex = cp.toString(16).toUpperCase().padStart(4, '0');
        throw new EncodeError(
          'GW_ERR_SMS_ENCODE',
          'text',
          `character ${JSON.stringify(ch)} (U+${hex}) at index ${index} is not in the GSM 7-bit ` +
            'default alphabet or its extension table (TS 23.038 §6.2.1)',
        );
      }
      out.push(GSM7_ESCAPE, ext);
    }
    index += ch.length;
  }
  return Uint8Array.from(out);
}

/**
 * True when every character of `text` is in the GSM 7-bit default alphabet basic table or its
 * extension table (TS 23.038 §6.2.1, §6.2.1.1), i.e. when {@link encodeGsm7Septets} would not throw.
 * The empty string is encodable. Never throws.
 */
export function isGsm7Encodable(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (!BASIC_ENCODE.has(cp) && !EXTENSION_ENCODE.has(cp)) return false;
  }
  return true;
}

/**
 * Maps unpacked septets to text (TS 23.038 §6.2.1, §6.2.1.1). Never throws; every input gives a
 * string that {@link isGsm7Encodable} accepts. Rules:
 * - values above 127 are masked with 0x7F;
 * - 0x1B followed by a code of the extension table gives that character;
 * - 0x1B followed by another code except 0x1B gives the basic-table character of that code
 *   (§6.2.1.1: "the default table character shall be displayed");
 * - 0x1B 0x1B (reserved for a further extension table) gives one space, both septets consumed;
 *   a lone 0x1B as the last septet also gives a space (§6.2.1.1: display a space).
 */
export function decodeGsm7Septets(septets: Uint8Array): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const value = (septets[i] ?? 0) & 0x7f;
    if (value !== GSM7_ESCAPE) {
      out += BASIC_TABLE[value] ?? ' ';
      continue;
    }
    if (i + 1 >= septets.length) {
      out += ' ';
      break;
    }
    i++;
    const code = (septets[i] ?? 0) & 0x7f;
    if (code === GSM7_ESCAPE) out += ' ';
    else out += EXTENSION_DECODE.get(code) ?? BASIC_TABLE[code] ?? ' ';
  }
  return out;
}

/** Octets needed for `septetCount` septets after `fillBits` bits: ceil((fillBits + 7n) / 8). */
function packedLength(septetCount: number, fillBits: number): number {
  return Math.ceil((fillBits + 7 * septetCount) / 8);
}

/**
 * Packs septets into octets (TS 23.038 §6.1.2.1.1): septet i occupies bits
 * `fillBits + 7i .. fillBits + 7i + 6` of the bit stream, counting from bit 0 (the least
 * significant bit) of the first octet. The first `fillBits` bits (TS 23.040 §9.2.3.24, after a user
 * data header) and the unused high bits of the last octet are zero. Output length is
 * `ceil((fillBits + 7 * septets.length) / 8)`.
 *
 * Note: seven septets leave seven zero bits in the last octet, which a reader that derives the
 * septet count from the octet count would see as `@` (TS 23.038 §6.1.2.3.1); SMS carries the septet
 * count in TP-UDL, so no padding character is added here.
 *
 * @throws {EncodeError} `GW_ERR_SMS_ENCODE`, field `fillBits` when it is not an integer 0..6, field
 *   `septets` when a value is above 127.
 */
export function packSeptets(septets: Uint8Array, fillBits = 0): Uint8Array {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', 'fillBits', `must be an integer 0..6, got ${fillBits}`);
  }
  const out = new Uint8Array(packedLength(septets.length, fillBits));
  for (let i = 0; i < septets.length; i++) {
    const value = septets[i] ?? 0;
    if (value > 0x7f) {
      throw new EncodeError('GW_ERR_SMS_ENCODE', 'septets', `value ${value} at index ${i} exceeds 127`);
    }
    const bit = fillBits + 7 * i;
    const octet = bit >> 3;
    const shift = bit & 7;
    out[octet] = (out[octet] ?? 0) | ((value << shift) & 0xff);
    if (shift > 1) out[octet + 1] = (out[octet + 1] ?? 0) | (value >> (8 - shift));
  }
  return out;
}

/**
 * Unpacks `septetCount` septets from `octets` (inverse of {@link packSeptets}, TS 23.038
 * §6.1.2.1.1), first skipping `fillBits` bits (TS 23.040 §9.2.3.24). Octets beyond the packed length
 * and the unused high bits of the last octet are ignored. Throws nothing but {@link DecodeError}:
 *
 * @throws {DecodeError} `GW_ERR_PDU_TRUNCATED`, field `TP-UD`, offset 0, when `octets.length` is
 *   less than `ceil((fillBits + 7 * septetCount) / 8)`; `GW_ERR_PDU_FIELD`, field `TP-UD`, offset 0,
 *   when `septetCount` is not a non-negative integer or `fillBits` is not an integer 0..6.
 */
export function unpackSeptets(octets: Uint8Array, septetCount: number, fillBits = 0): Uint8Array {
  if (!Number.isSafeInteger(septetCount) || septetCount < 0) {
    throw new DecodeError('GW_ERR_PDU_FIELD', 'TP-UD', 0, `septet count ${septetCount} is not a non-negative integer`);
  }
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) {
    throw new DecodeError('GW_ERR_PDU_FIELD', 'TP-UD', 0, `fill bits ${fillBits} is not an integer 0..6`);
  }
  const needed = packedLength(septetCount, fillBits);
  if (octets.length < needed) {
    throw new DecodeError(
      'GW_ERR_PDU_TRUNCATED',
      'TP-UD',
      0,
      `${septetCount} septets after ${fillBits} fill bits need ${needed} octets, got ${octets.length}`,
    );
  }
  const out = new Uint8Array(septetCount);
  for (let i = 0; i < septetCount; i++) {
    const bit = fillBits + 7 * i;
    const octet = bit >> 3;
    const shift = bit & 7;
    const low = (octets[octet] ?? 0) >> shift;
    const high = shift > 1 ? (octets[octet + 1] ?? 0) << (8 - shift) : 0;
    out[i] = (low | high) & 0x7f;
  }
  return out;
}

/**
 * Fill bits needed after a user data header of `headerOctets` octets (UDHL octet included) so that
 * the text starts on a septet boundary (TS 23.040 §9.2.3.24): `(7 - (headerOctets * 8) % 7) % 7`,
 * a value 0..6. For example a 6-octet concatenation header needs 1 fill bit, a 7-octet header none.
 *
 * @throws {EncodeError} `GW_ERR_SMS_ENCODE`, field `headerOctets`, when it is not a non-negative
 *   integer.
 */
export function gsm7FillBits(headerOctets: number): number {
  if (!Number.isSafeInteger(headerOctets) || headerOctets < 0) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', 'headerOctets', `must be a non-negative integer, got ${headerOctets}`);
  }
  return (7 - ((headerOctets * 8) % 7)) % 7;
}
