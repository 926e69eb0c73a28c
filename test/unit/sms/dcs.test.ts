/**
 * decodeDcs over all 256 octets against the earlier, spread-based implementation (kept here as
 * the reference): the literal rewrite (a speed change) must decode every octet the same.
 */
import { describe, expect, it } from 'vitest';
import { decodeDcs } from '../../../src/sms/dcs.ts';
import type { DataCodingScheme, MessageWaiting, SmsEncoding } from '../../../src/sms/types.ts';

const ALPHABETS: readonly SmsEncoding[] = ['gsm7', '8bit', 'ucs2', 'gsm7'];
const WAITING_KINDS: readonly MessageWaiting['kind'][] = ['voicemail', 'fax', 'email', 'other'];
const classOf = (octet: number): 0 | 1 | 2 | 3 => (octet & 0x03) as 0 | 1 | 2 | 3;

function reference(raw: number): DataCodingScheme {
  const octet = raw & 0xff;
  const base = { raw: octet, compressed: false, autoDelete: false, messageWaiting: null, messageClass: null };
  const group = octet >> 4;
  if (group <= 0x7) {
    return {
      ...base,
      encoding: ALPHABETS[(octet >> 2) & 0x03] ?? 'gsm7',
      compressed: (octet & 0x20) !== 0,
      autoDelete: (octet & 0x40) !== 0,
      messageClass: (octet & 0x10) !== 0 ? classOf(octet) : null,
    };
  }
  if (group >= 0xc && group <= 0xe) {
    return {
      ...base,
      encoding: group === 0xe ? 'ucs2' : 'gsm7',
      messageWaiting: { active: (octet & 0x08) !== 0, kind: WAITING_KINDS[octet & 0x03] ?? 'other', discard: group === 0xc },
    };
  }
  if (group === 0xf) return { ...base, encoding: (octet & 0x04) !== 0 ? '8bit' : 'gsm7', messageClass: classOf(octet) };
  return { ...base, encoding: 'gsm7' };
}

describe('decodeDcs', () => {
  it('decodes every octet as the earlier implementation did (same fields, same key order)', () => {
    for (let octet = 0; octet <= 0xff; octet++) {
      const decoded = decodeDcs(octet);
      expect(decoded).toStrictEqual(reference(octet));
      expect(Object.keys(decoded)).toEqual(Object.keys(reference(octet)));
    }
  });

  it('keeps only the low 8 bits', () => {
    expect(decodeDcs(0x104)).toStrictEqual(decodeDcs(0x04));
  });
});
