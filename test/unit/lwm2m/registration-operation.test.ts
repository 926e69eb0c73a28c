/**
 * The text of a Register's or Update's payload (src/lwm2m/registration-operation.ts `textOf`):
 * the object links as the device sent them, whatever the bytes, the same text Node's Buffer
 * decoder gives (what it was before the payload stopped being a Buffer).
 */
import { describe, expect, it } from 'vitest';
import { textOf } from '../../../src/lwm2m/registration-operation.ts';

describe('textOf: a payload as text', () => {
  it('keeps a leading BOM (U+FEFF) as a character, as the bytes go on to the core', () => {
    // EF BB BF: the UTF-8 BOM; then "</1>". Before the fix the BOM was dropped ("</1>").
    const withBom = Uint8Array.of(0xef, 0xbb, 0xbf, 0x3c, 0x2f, 0x31, 0x3e);
    expect(textOf(withBom)).toBe('\uFEFF</1>');
    expect(textOf(Uint8Array.of(0xef, 0xbb, 0xbf))).toBe('\uFEFF'); // a BOM alone is not "no payload"
  });

  it('gives what Buffer#toString gives for any bytes: ill-formed UTF-8 becomes U+FFFD', () => {
    expect(textOf(new Uint8Array(0))).toBe('');
    expect(textOf(Uint8Array.of(0x3c, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x3e))).toBe(Buffer.from([0x3c, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x3e]).toString('utf8'));
    // Random bytes, biased to lead and continuation bytes (a seeded generator: the same inputs every run).
    let seed = 0x2545f491;
    const next = (): number => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 24;
    const special = [0xc0, 0xe0, 0xed, 0xef, 0xbb, 0xbf, 0xf0, 0xf4, 0x80, 0xbf, 0xa0, 0x9f];
    for (let run = 0; run < 20_000; run += 1) {
      const bytes = Uint8Array.from({ length: 1 + (next() % 24) }, () => (next() & 1 ? next() : special[next() % special.length]!));
      expect(textOf(bytes)).toBe(Buffer.from(bytes).toString('utf8'));
    }
  });
});
