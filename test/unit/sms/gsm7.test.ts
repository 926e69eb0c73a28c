import { seededRandom } from '../../support/seeded-random.ts';
import { describe, it, expect } from 'vitest';
import {
  GSM7_ESCAPE,
  decodeGsm7Septets,
  encodeGsm7Septets,
  gsm7FillBits,
  isGsm7Encodable,
  packSeptets,
  unpackSeptets,
} from '../../../src/sms/gsm7.ts';
import { DecodeError, EncodeError } from '../../../src/shared/errors.ts';

/** Upper-case hex with a space between octets, for readable diffs. */
function hex(bytes: Uint8Array | readonly number[]): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** Bytes from a hex string such as 'E8 32 9B'. */
function bytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}


/** Calls `fn` and returns what it threw (fails the test when it does not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

/**
 * The basic table of TS 23.038 §6.2.1, typed independently of the module, indexed by code.
 * Rows of 16: 0x00, 0x10 (0x1B is the escape, written as \x1b), 0x20, 0x30, 0x40, 0x50, 0x60, 0x70.
 */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** The extension table of TS 23.038 §6.2.1.1: character and the code that follows 0x1B. */
const EXTENSION: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a], // form feed / page break
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];

describe('GSM7_ESCAPE', () => {
  it('is 0x1B (TS 23.038 §6.2.1)', () => {
    expect(GSM7_ESCAPE).toBe(0x1b);
  });
});

describe('basic and extension tables (TS 23.038 §6.2.1, §6.2.1.1)', () => {
  it('the test table has 128 entries', () => {
    expect(BASIC.length).toBe(128);
  });

  it('maps the lookalike positions to the right code points', () => {
    const cp = (code: number): string => (BASIC.codePointAt(code) ?? 0).toString(16);
    expect(cp(0x09)).toBe('c7'); // Ç LATIN CAPITAL LETTER C WITH CEDILLA
    expect(cp(0x10)).toBe('394'); // Δ GREEK CAPITAL LETTER DELTA (not U+2206 INCREMENT)
    expect(cp(0x15)).toBe('3a9'); // Ω GREEK CAPITAL LETTER OMEGA (not U+2126 OHM SIGN)
    expect(cp(0x24)).toBe('a4'); // ¤ CURRENCY SIGN, not $
    expect(cp(0x40)).toBe('a1'); // ¡ INVERTED EXCLAMATION MARK, not @
    expect(cp(0x60)).toBe('bf'); // ¿ INVERTED QUESTION MARK, not `
    expect(cp(0x7f)).toBe('e0'); // à
  });

  it('round-trips every basic character as one septet equal to its code', () => {
    for (let code = 0; code < 128; code++) {
      if (code === GSM7_ESCAPE) continue;
      const ch = BASIC[code] ?? '';
      expect(hex(encodeGsm7Septets(ch)), `char ${JSON.stringify(ch)}`).toBe(hex([code]));
      expect(decodeGsm7Septets(Uint8Array.of(code))).toBe(ch);
    }
  });

  it('encodes the whole basic table (without the escape) as 0..127 in order', () => {
    const text = BASIC.replace('\x1b', '');
    const expected = Array.from({ length: 128 }, (_, i) => i).filter((i) => i !== 0x1b);
    expect(hex(encodeGsm7Septets(text))).toBe(hex(expected));
    expect(decodeGsm7Septets(Uint8Array.from(expected))).toBe(text);
  });

  it('round-trips every extension character as 0x1B + code', () => {
    for (const [ch, code] of EXTENSION) {
      expect(hex(encodeGsm7Septets(ch)), `char ${JSON.stringify(ch)}`).toBe(hex([0x1b, code]));
      expect(decodeGsm7Septets(Uint8Array.of(0x1b, code))).toBe(ch);
    }
  });

  it('encodes "€" as the escape sequence 1B 65', () => {
    expect(hex(encodeGsm7Septets('€'))).toBe('1B 65');
  });

  it('counts extension characters as two septets in mixed text', () => {
    // "a{b}" = 61 ('a') | 1B 28 ('{') | 62 ('b') | 1B 29 ('}') → 6 septets for 4 characters
    const septets = bytes('61 1B28 62 1B29');
    expect(hex(encodeGsm7Septets('a{b}'))).toBe(hex(septets));
    expect(decodeGsm7Septets(septets)).toBe('a{b}');
  });
});

describe('isGsm7Encodable', () => {
  it('accepts the empty string, plain text and the extension characters', () => {
    expect(isGsm7Encodable('')).toBe(true);
    expect(isGsm7Encodable('Hello, World! 123 @£$')).toBe(true);
    expect(isGsm7Encodable('^{}\\[~]|€\f')).toBe(true);
    expect(isGsm7Encodable(BASIC.replace('\x1b', ''))).toBe(true);
  });

  it('rejects characters in neither table', () => {
    expect(isGsm7Encodable('ç')).toBe(false); // only capital Ç is in the table
    expect(isGsm7Encodable('\t')).toBe(false);
    expect(isGsm7Encodable('\x1b')).toBe(false); // the escape is not a character
    expect(isGsm7Encodable('\u2126')).toBe(false); // OHM SIGN, lookalike of Ω
    expect(isGsm7Encodable('a😀')).toBe(false);
    expect(isGsm7Encodable('`')).toBe(false);
  });
});

describe('encodeGsm7Septets errors', () => {
  it('names an emoji as one character with its index (after "a")', () => {
    const err = thrown(() => encodeGsm7Septets('a😀'));
    expect(err).toBeInstanceOf(EncodeError);
    const e = err as EncodeError;
    expect(e.code).toBe('GW_ERR_SMS_ENCODE');
    expect(e.field).toBe('text');
    expect(e.message).toContain('"😀"');
    expect(e.message).toContain('U+1F600');
    expect(e.message).toContain('index 1');
  });

  it('names "ĉ" at index 0', () => {
    const e = thrown(() => encodeGsm7Septets('ĉ')) as EncodeError;
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.field).toBe('text');
    expect(e.message).toContain('"ĉ"');
    expect(e.message).toContain('U+0109');
    expect(e.message).toContain('index 0');
  });

  it('reports the first bad character, after extension characters', () => {
    // '€' (index 0) and '{' (index 1) are fine; 'ĉ' at index 2 is first, '😀' later is not named
    const e = thrown(() => encodeGsm7Septets('€{ĉ😀')) as EncodeError;
    expect(e.message).toContain('index 2');
    expect(e.message).toContain('U+0109');
    expect(e.message).not.toContain('1F600');
  });

  it('rejects U+001B typed as text', () => {
    expect(thrown(() => encodeGsm7Septets('a\x1bb'))).toBeInstanceOf(EncodeError);
  });
});

describe('decodeGsm7Septets special rules (TS 23.038 §6.2.1.1)', () => {
  it('gives the basic character for an escape followed by a code not in the extension table', () => {
    // 1B 41: 0x41 is not in the extension table → basic 'A'
    expect(decodeGsm7Septets(bytes('1B 41'))).toBe('A');
    // 61 'a' | 1B 00 → basic '@' | 62 'b'
    expect(decodeGsm7Septets(bytes('61 1B00 62'))).toBe('a@b');
  });

  it('gives one space for a double escape', () => {
    // 61 'a' | 1B 1B reserved further extension → ' ' | 62 'b'
    expect(decodeGsm7Septets(bytes('61 1B1B 62'))).toBe('a b');
    expect(decodeGsm7Septets(bytes('1B 1B'))).toBe(' ');
  });

  it('gives a space for a trailing lone escape', () => {
    // 61 'a' | 1B with nothing after it → ' '
    expect(decodeGsm7Septets(bytes('61 1B'))).toBe('a ');
    expect(decodeGsm7Septets(bytes('1B'))).toBe(' ');
  });

  it('masks values above 127 with 0x7F', () => {
    // E1 & 7F = 61 'a'; 9B & 7F = 1B escape, E5 & 7F = 65 → '€'
    expect(decodeGsm7Septets(bytes('E1 9B E5'))).toBe('a€');
  });

  it('decodes an empty array to the empty string', () => {
    expect(decodeGsm7Septets(new Uint8Array(0))).toBe('');
  });
});

describe('packSeptets / unpackSeptets (TS 23.038 §6.1.2.1.1)', () => {
  it('packs "hellohello" to E8 32 9B FD 46 97 D9 EC 37', () => {
    // septets: h=68 e=65 l=6C l=6C o=6F h=68 e=65 l=6C l=6C o=6F (10 × 7 = 70 bits → 9 octets)
    // Each octet takes the rest of one septet in its low bits and the low bits of the next on top:
    const packed = bytes(
      'E8' + // 68 | (65 & 0x01) << 7
        '32' + // 65 >> 1 | (6C & 0x03) << 6
        '9B' + // 6C >> 2 | (6C & 0x07) << 5
        'FD' + // 6C >> 3 | (6F & 0x0F) << 4
        '46' + // 6F >> 4 | (68 & 0x1F) << 3
        '97' + // 68 >> 5 | (65 & 0x3F) << 2
        'D9' + // 65 >> 6 | 6C << 1  (8th septet fills the 7th octet; a new 8-septet cycle starts)
        'EC' + // 6C | (6F & 0x01) << 7
        '37', //  6F >> 1, high bit zero
    );
    const septets = encodeGsm7Septets('hellohello');
    expect(hex(septets)).toBe('68 65 6C 6C 6F 68 65 6C 6C 6F');
    expect(hex(packSeptets(septets))).toBe(hex(packed));
    expect(hex(unpackSeptets(packed, 10))).toBe(hex(septets));
    expect(decodeGsm7Septets(unpackSeptets(packed, 10))).toBe('hellohello');
  });

  it('packs 8 septets into exactly 7 octets ("12345678")', () => {
    // septets 31..38; 8 × 7 = 56 bits = 7 octets with no spare bit
    const packed = bytes(
      '31' + // 31 | (32 & 0x01) << 7
        'D9' + // 32 >> 1 | (33 & 0x03) << 6
        '8C' + // 33 >> 2 | (34 & 0x07) << 5
        '56' + // 34 >> 3 | (35 & 0x0F) << 4
        'B3' + // 35 >> 4 | (36 & 0x1F) << 3
        'DD' + // 36 >> 5 | (37 & 0x3F) << 2
        '70', //  37 >> 6 | 38 << 1
    );
    expect(hex(packSeptets(encodeGsm7Septets('12345678')))).toBe(hex(packed));
    expect(decodeGsm7Septets(unpackSeptets(packed, 8))).toBe('12345678');
  });

  it('packs 7 septets into 7 octets with 7 zero bits at the end ("1234567")', () => {
    // 7 × 7 = 49 bits → 7 octets; the last octet holds only bit 6 of '7' (0) and 7 zero bits
    const packed = bytes('31 D9 8C 56 B3 DD 00');
    expect(hex(packSeptets(encodeGsm7Septets('1234567')))).toBe(hex(packed));
    expect(decodeGsm7Septets(unpackSeptets(packed, 7))).toBe('1234567');
    // the septet count decides: the same octets read as 8 septets end in '@' (TS 23.038 §6.1.2.3.1)
    expect(decodeGsm7Septets(unpackSeptets(packed, 8))).toBe('1234567@');
  });

  it('packs the escape sequence of "€"', () => {
    // septets 1B 65: 1B | (65 & 0x01) << 7 = 9B; 65 >> 1 = 32
    expect(hex(packSeptets(encodeGsm7Septets('€')))).toBe('9B 32');
    expect(decodeGsm7Septets(unpackSeptets(bytes('9B 32'), 2))).toBe('€');
  });

  it('packs and unpacks nothing', () => {
    expect(hex(packSeptets(new Uint8Array(0)))).toBe('');
    expect(hex(unpackSeptets(new Uint8Array(0), 0))).toBe('');
  });

  it('ignores octets after the packed length', () => {
    expect(hex(unpackSeptets(bytes('E8 32 FF FF'), 2))).toBe('68 65');
  });
});

describe('fill bits (TS 23.040 §9.2.3.24)', () => {
  // "hi" = septets 68, 69. As one little-endian bit stream that is 68 | 69 << 7 = 0x34E8 (14 bits).
  // With f fill bits the stream is 0x34E8 << f, written least significant octet first, in
  // ceil((f + 14) / 8) octets.
  const vectors: ReadonlyArray<readonly [number, string]> = [
    [0, 'E8 34'], //    0x34E8
    [1, 'D0 69'], //    0x69D0
    [2, 'A0 D3'], //    0xD3A0
    [3, '40 A7 01'], // 0x1A740
    [4, '80 4E 03'], // 0x34E80
    [5, '00 9D 06'], // 0x69D00
    [6, '00 3A 0D'], // 0xD3A00
  ];
  for (const [fill, packedHex] of vectors) {
    it(`packs "hi" after ${fill} fill bits as ${packedHex}`, () => {
      const septets = encodeGsm7Septets('hi');
      expect(hex(packSeptets(septets, fill))).toBe(packedHex);
      expect(hex(unpackSeptets(bytes(packedHex), 2, fill))).toBe('68 69');
    });
  }

  it('packs text after a 6-octet concatenation header with 1 fill bit', () => {
    // UDH: 05 UDHL | 00 IEI concatenation 8-bit ref | 03 IEDL | 2A ref | 02 total | 01 sequence
    const udh = bytes('05 00 03 2A 02 01');
    const fill = gsm7FillBits(udh.length);
    expect(fill).toBe(1);
    const text = packSeptets(encodeGsm7Septets('hi'), fill);
    expect(hex(text)).toBe('D0 69'); // 0x68 << 1 = D0; 0x69 in the next octet
    // TP-UDL counts septets: (6 × 8 header bits + 1 fill bit) / 7 = 7, plus 2 text septets = 9
    expect((udh.length * 8 + fill) / 7 + 2).toBe(9);
  });

  it('gives the fill bits for headers of 1..12 octets', () => {
    // (7 - (8h mod 7)) mod 7 for h = 1..12: 8h mod 7 = h mod 7 = 1,2,3,4,5,6,0,1,2,3,4,5
    const expected = [6, 5, 4, 3, 2, 1, 0, 6, 5, 4, 3, 2];
    for (let h = 1; h <= 12; h++) {
      const fill = gsm7FillBits(h);
      expect(fill, `header ${h}`).toBe(expected[h - 1]);
      expect((h * 8 + fill) % 7, `header ${h} ends on a septet boundary`).toBe(0);
    }
    expect(gsm7FillBits(0)).toBe(0);
    expect(gsm7FillBits(7)).toBe(0);
  });

  it('rejects a negative or fractional header length', () => {
    expect((thrown(() => gsm7FillBits(-1)) as EncodeError).field).toBe('headerOctets');
    expect(thrown(() => gsm7FillBits(1.5))).toBeInstanceOf(EncodeError);
  });
});

describe('packSeptets errors', () => {
  it('rejects fill bits outside 0..6', () => {
    for (const fill of [-1, 7, 1.5, Number.NaN]) {
      const e = thrown(() => packSeptets(Uint8Array.of(0x41), fill)) as EncodeError;
      expect(e, `fill ${fill}`).toBeInstanceOf(EncodeError);
      expect(e.code).toBe('GW_ERR_SMS_ENCODE');
      expect(e.field).toBe('fillBits');
    }
  });

  it('rejects a septet above 127', () => {
    const e = thrown(() => packSeptets(Uint8Array.of(0x41, 0x80))) as EncodeError;
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.code).toBe('GW_ERR_SMS_ENCODE');
    expect(e.field).toBe('septets');
  });
});

describe('unpackSeptets errors', () => {
  it('throws GW_ERR_PDU_TRUNCATED when octets are missing', () => {
    // "12345678" is 7 octets; 6 octets cannot hold 8 septets
    const e = thrown(() => unpackSeptets(bytes('31 D9 8C 56 B3 DD'), 8)) as DecodeError;
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.code).toBe('GW_ERR_PDU_TRUNCATED');
    expect(e.field).toBe('TP-UD');
    expect(e.offset).toBe(0);
    // 9 septets need ceil(63 / 8) = 8 octets
    expect((thrown(() => unpackSeptets(bytes('31 D9 8C 56 B3 DD 70'), 9)) as DecodeError).code).toBe(
      'GW_ERR_PDU_TRUNCATED',
    );
  });

  it('counts fill bits in the needed length', () => {
    // 1 septet after 1 fill bit fits one octet (bits 1..7); after 2 fill bits it needs two
    expect(hex(unpackSeptets(bytes('FE'), 1, 1))).toBe('7F');
    expect((thrown(() => unpackSeptets(bytes('FC'), 1, 2)) as DecodeError).code).toBe('GW_ERR_PDU_TRUNCATED');
  });

  it('throws GW_ERR_PDU_FIELD for a bad septet count or fill bits', () => {
    for (const [count, fill] of [
      [-1, 0],
      [1.5, 0],
      [Number.NaN, 0],
      [Number.POSITIVE_INFINITY, 0],
      [1, 7],
      [1, -1],
    ] as const) {
      const e = thrown(() => unpackSeptets(bytes('FF FF'), count, fill)) as DecodeError;
      expect(e, `count ${count} fill ${fill}`).toBeInstanceOf(DecodeError);
      expect(e.code).toBe('GW_ERR_PDU_FIELD');
      expect(e.field).toBe('TP-UD');
    }
  });
});

describe('random round trips (seeded)', () => {
  it('unpack(pack(x, f), n, f) = x for 20,000 random septet arrays and fill bits', () => {
    const rnd = seededRandom(0x5eed7);
    for (let run = 0; run < 20_000; run++) {
      const n = Math.floor(rnd() * 170);
      const fill = Math.floor(rnd() * 7);
      const septets = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 128));
      const packed = packSeptets(septets, fill);
      expect(packed.length).toBe(Math.ceil((fill + 7 * n) / 8));
      expect((packed[0] ?? 0) & ((1 << fill) - 1), 'fill bits are zero').toBe(0);
      const back = unpackSeptets(packed, n, fill);
      if (hex(back) !== hex(septets)) {
        expect(hex(back), `run ${run}, fill ${fill}`).toBe(hex(septets));
      }
      // without escapes, septets → text → septets is the identity
      const plain = septets.map((v) => (v === GSM7_ESCAPE ? 0x20 : v));
      const again = encodeGsm7Septets(decodeGsm7Septets(plain));
      if (hex(again) !== hex(plain)) expect(hex(again), `run ${run}`).toBe(hex(plain));
    }
  });

  it('unpackSeptets and decodeGsm7Septets throw nothing but DecodeError on 20,000 random inputs', () => {
    const rnd = seededRandom(0xdec0de);
    const oddCounts = [-1, -0.5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 1e9, Number.MAX_SAFE_INTEGER];
    let truncated = 0;
    let badField = 0;
    let ok = 0;
    for (let run = 0; run < 20_000; run++) {
      const octets = Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
      const count = rnd() < 0.05 ? (oddCounts[Math.floor(rnd() * oddCounts.length)] ?? 0) : Math.floor(rnd() * 50);
      const fill = rnd() < 0.05 ? 7 : Math.floor(rnd() * 7);
      const valid = Number.isInteger(count) && count >= 0 && fill <= 6;
      const fits = valid && octets.length >= Math.ceil((fill + 7 * count) / 8);
      let septets: Uint8Array | undefined;
      try {
        septets = unpackSeptets(octets, count, fill);
      } catch (err) {
        expect(err, `run ${run}`).toBeInstanceOf(DecodeError);
        const code = (err as DecodeError).code;
        if (code === 'GW_ERR_PDU_TRUNCATED') truncated++;
        else if (code === 'GW_ERR_PDU_FIELD') badField++;
        else expect.fail(`run ${run}: unexpected code ${code}`);
        expect(fits, `run ${run}: threw although the input fits`).toBe(false);
      }
      if (septets !== undefined) {
        ok++;
        expect(fits, `run ${run}: returned although the input does not fit`).toBe(true);
        expect(septets.length).toBe(count);
        const text = decodeGsm7Septets(septets);
        if (!isGsm7Encodable(text)) expect.fail(`run ${run}: decoded text is not encodable`);
      }
      const raw = decodeGsm7Septets(octets);
      if (!isGsm7Encodable(raw) || raw.length > octets.length) expect.fail(`run ${run}: bad raw decode`);
    }
    // every outcome must actually have been exercised
    expect(truncated).toBeGreaterThan(100);
    expect(badField).toBeGreaterThan(100);
    expect(ok).toBeGreaterThan(100);
  });
});
