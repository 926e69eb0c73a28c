/**
 * Every way decodePdu refuses input: the error code, the protocol field and the byte offset are
 * part of the contract (src/shared/errors.ts), so each is asserted exactly. Ends with a seeded
 * random test: whatever the bytes, decodePdu throws nothing but a DecodeError with a GW_ERR_PDU_*
 * code, and whatever it decodes, encodePdu throws nothing but an EncodeError.
 *
 * Offsets below are counted on the vectors of test/fixtures/pdu/vectors.ts. For the
 * no-SMSC deliver with originator +4917612345678 used for the user data cases:
 *   0 SMSC length (00) | 1 first octet | 2 TP-OA length | 3 TP-OA type | 4..10 TP-OA |
 *   11 TP-PID | 12 TP-DCS | 13..19 TP-SCTS | 20 TP-UDL | 21.. TP-UD
 */
import { seededRandom } from '../../support/seeded-random.ts';
import { describe, it, expect } from 'vitest';
import { decodePdu, encodePdu } from '../../../src/sms/index.ts';
import type { SmsDeliver, SmsStatusReport } from '../../../src/sms/index.ts';
import { DecodeError, ERROR_CODES, EncodeError, type ErrorCode } from '../../../src/shared/errors.ts';
import {
  DELIVER_CLASSIC,
  DELIVER_CLASSIC_BARE_TPDU,
  PDU_VECTORS,
  REPORT_AMRO_BARE_TPDU,
  REPORT_PI_NONE,
  REPORT_PI_WITH_TEXT,
  REPORT_PYTHON_GSMMODEM,
  SUBMIT_ABSOLUTE_VP,
  SUBMIT_HOWDY,
  SUBMIT_NATIONAL_SRR,
  bytesOf,
} from '../../fixtures/pdu/vectors.ts';

/** The PDU codes of the registry: the only codes decodePdu may raise. */
const PDU_CODES: readonly ErrorCode[] = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => code.startsWith('GW_ERR_PDU_'));

/** Runs `fn`, which must throw a DecodeError; returns it. */
function decodeError(fn: () => unknown): DecodeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  return caught as DecodeError;
}

/** Asserts decodePdu(input) fails with exactly this code, field and offset. */
function expectDecodeError(
  input: string | Uint8Array,
  code: ErrorCode,
  field: string,
  offset: number,
  options: { smscPrefix?: boolean } = {},
): DecodeError {
  const err = decodeError(() => decodePdu(input, options));
  expect({ code: err.code, field: err.field, offset: err.offset }).toStrictEqual({ code, field, offset });
  expect(err.details).toStrictEqual({ field, offset });
  expect(err.message.startsWith(`${field} at byte ${offset}: `)).toBe(true);
  return err;
}

/** Replaces the octet at `offset` of `hex` with `octetHex`. */
function withOctet(hex: string, offset: number, octetHex: string): string {
  expect(offset * 2 + 2).toBeLessThanOrEqual(hex.length);
  return hex.slice(0, offset * 2) + octetHex + hex.slice(offset * 2 + 2);
}

/** The no-SMSC deliver of the header comment, with the given first octet, DCS, UDL and UD. */
function deliverWithUd(first: string, dcsHex: string, udl: string, ud: string): string {
  return [
    '00', // no SMSC
    first, // first octet
    '0D', '91', '947116325476F8', // TP-OA +4917612345678 (offsets 2..10)
    '00', // TP-PID (11)
    dcsHex, // TP-DCS (12)
    '52011231024540', // TP-SCTS (13..19)
    udl, // TP-UDL (20)
    ud, // TP-UD (21..)
  ].join('');
}

describe('GW_ERR_PDU_HEX: not an even number of hexadecimal digits', () => {
  it.each([
    ['odd length', '079'],
    ['a single digit', '0'],
    ['a non-hex digit', '0G'],
    ['a space inside', '07 91'],
    ['a tab inside', '07\t91'],
    ['a 0x prefix', '0x07'],
    ['non-ASCII', 'é0'],
    ['a space inside a real PDU', `${DELIVER_CLASSIC.hex.slice(0, 16)} ${DELIVER_CLASSIC.hex.slice(16)}`],
  ])('%s', (_label, input) => {
    expectDecodeError(input, 'GW_ERR_PDU_HEX', 'PDU', 0);
  });

  it('surrounding whitespace (the CR LF of a modem line) is not an error', () => {
    expect(decodePdu(`\r\n${DELIVER_CLASSIC.hex}\r\n`)).toStrictEqual(decodePdu(DELIVER_CLASSIC.hex));
  });

  it('the empty string is valid hex, of zero bytes: truncated at the SMSC length', () => {
    expectDecodeError('', 'GW_ERR_PDU_TRUNCATED', 'SMSC length', 0);
    expectDecodeError(new Uint8Array(0), 'GW_ERR_PDU_TRUNCATED', 'SMSC length', 0);
    expectDecodeError('', 'GW_ERR_PDU_TRUNCATED', 'TP-MTI', 0, { smscPrefix: false });
  });
});

/** [field, first byte, end byte (exclusive)] in the order of the PDU. */
type Span = readonly [field: string, start: number, end: number];

/** Cuts `hex` at every length below its own and checks the error names the field being cut. */
function expectEveryPrefixTruncated(hex: string, spans: readonly Span[], options: { smscPrefix?: boolean } = {}, succeedsAt: readonly number[] = []) {
  const total = hex.length / 2;
  expect(spans.at(-1)?.[2]).toBe(total);
  let errors = 0;
  for (let length = 0; length < total; length++) {
    const prefix = hex.slice(0, length * 2);
    if (succeedsAt.includes(length)) {
      expect(() => decodePdu(prefix, options)).not.toThrow();
      continue;
    }
    const span = spans.find(([, start, end]) => start <= length && length < end);
    expect(span, `no field covers byte ${length}`).toBeDefined();
    const [field, start] = span ?? ['', 0];
    const err = decodeError(() => decodePdu(prefix, options));
    expect({ length, code: err.code, field: err.field, offset: err.offset }).toStrictEqual({
      length,
      code: 'GW_ERR_PDU_TRUNCATED',
      field,
      offset: start,
    });
    errors++;
  }
  expect(errors).toBe(total - succeedsAt.length);
}

describe('GW_ERR_PDU_TRUNCATED: the PDU ends inside a field', () => {
  it('every prefix of the classic SMS-DELIVER (0..35 of 36 octets)', () => {
    expectEveryPrefixTruncated(DELIVER_CLASSIC.hex, [
      ['SMSC length', 0, 1],
      ['SMSC type', 1, 2],
      ['SMSC', 2, 8],
      ['TP-MTI', 8, 9],
      ['TP-OA length', 9, 10],
      ['TP-OA type', 10, 11],
      ['TP-OA', 11, 17],
      ['TP-PID', 17, 18],
      ['TP-DCS', 18, 19],
      ['TP-SCTS', 19, 26],
      ['TP-UDL', 26, 27],
      ['TP-UD', 27, 36],
    ]);
  });

  it('every prefix of the bare classic TPDU ({ smscPrefix: false })', () => {
    expectEveryPrefixTruncated(
      DELIVER_CLASSIC_BARE_TPDU.hex,
      [
        ['TP-MTI', 0, 1],
        ['TP-OA length', 1, 2],
        ['TP-OA type', 2, 3],
        ['TP-OA', 3, 9],
        ['TP-PID', 9, 10],
        ['TP-DCS', 10, 11],
        ['TP-SCTS', 11, 18],
        ['TP-UDL', 18, 19],
        ['TP-UD', 19, 28],
      ],
      { smscPrefix: false },
    );
  });

  it('every prefix of an SMS-SUBMIT with relative TP-VP', () => {
    expectEveryPrefixTruncated(SUBMIT_NATIONAL_SRR.hex, [
      ['SMSC length', 0, 1],
      ['SMSC type', 1, 2],
      ['SMSC', 2, 5],
      ['TP-MTI', 5, 6],
      ['TP-MR', 6, 7],
      ['TP-DA length', 7, 8],
      ['TP-DA type', 8, 9],
      ['TP-DA', 9, 14],
      ['TP-PID', 14, 15],
      ['TP-DCS', 15, 16],
      ['TP-VP', 16, 17],
      ['TP-UDL', 17, 18],
      ['TP-UD', 18, 42],
    ]);
  });

  it('every prefix of an SMS-SUBMIT with absolute TP-VP (7 octets)', () => {
    expectEveryPrefixTruncated(SUBMIT_ABSOLUTE_VP.hex, [
      ['SMSC length', 0, 1],
      ['TP-MTI', 1, 2],
      ['TP-MR', 2, 3],
      ['TP-DA length', 3, 4],
      ['TP-DA type', 4, 5],
      ['TP-DA', 5, 11],
      ['TP-PID', 11, 12],
      ['TP-DCS', 12, 13],
      ['TP-VP', 13, 20],
      ['TP-UDL', 20, 21],
      ['TP-UD', 21, 42],
    ]);
  });

  it('every prefix of a status report with TP-PI 07; the prefix ending at TP-ST is a complete report', () => {
    const prefix = REPORT_PI_WITH_TEXT.hex.slice(0, 34 * 2);
    expect((decodePdu(prefix) as SmsStatusReport).parameterIndicator).toBeNull();
    expectEveryPrefixTruncated(
      REPORT_PI_WITH_TEXT.hex,
      [
        ['SMSC length', 0, 1],
        ['SMSC type', 1, 2],
        ['SMSC', 2, 8],
        ['TP-MTI', 8, 9],
        ['TP-MR', 9, 10],
        ['TP-RA length', 10, 11],
        ['TP-RA type', 11, 12],
        ['TP-RA', 12, 19],
        ['TP-SCTS', 19, 26],
        ['TP-DT', 26, 33],
        ['TP-ST', 33, 34],
        ['TP-PI', 34, 35], // never reached: a report may end before TP-PI
        ['TP-PID', 35, 36], // TP-PI 07 announces TP-PID ...
        ['TP-DCS', 36, 37], // ... TP-DCS ...
        ['TP-UDL', 37, 38], // ... and TP-UDL/TP-UD
        ['TP-UD', 38, 46],
      ],
      {},
      [34],
    );
  });
});

describe('GW_ERR_PDU_TRAILING: bytes after the user data', () => {
  it('one extra octet after the classic SMS-DELIVER', () => {
    expectDecodeError(`${DELIVER_CLASSIC.hex}00`, 'GW_ERR_PDU_TRAILING', 'TPDU', 36);
  });

  it('one extra octet after a bare TPDU', () => {
    expectDecodeError(`${DELIVER_CLASSIC_BARE_TPDU.hex}FF`, 'GW_ERR_PDU_TRAILING', 'TPDU', 28, { smscPrefix: false });
  });

  it('an extra octet after a report that ends at TP-ST is read as TP-PI; one more is trailing', () => {
    // REPORT_PYTHON_GSMMODEM + 00 is a valid report with TP-PI 00 (= REPORT_PI_NONE's shape) ...
    expect((decodePdu(`${REPORT_PYTHON_GSMMODEM.hex}00`) as SmsStatusReport).parameterIndicator).toBe(0);
    // ... and REPORT_PI_NONE (35 octets) + 00 has one octet too many.
    expectDecodeError(`${REPORT_PI_NONE.hex}00`, 'GW_ERR_PDU_TRAILING', 'TPDU', 35);
  });
});

describe('TS 23.040 §9.2.3.1: the reserved TP-MTI 11 is processed as an SMS-DELIVER, not rejected', () => {
  // 03: TP-MTI 11 alone; 07: and TP-MMS; 83: and TP-RP. (FF would also set TP-UDHI, and the classic
  // text is no user data header: that is refused as GW_ERR_PDU_UDH, a real malformation.)
  it.each(['03', '07', '83'])('first octet %s after the classic SMSC decodes as the classic deliver with that first octet', (first) => {
    const pdu = decodePdu(withOctet(DELIVER_CLASSIC.hex, 8, first)) as SmsDeliver;
    const classic = decodePdu(DELIVER_CLASSIC.hex) as SmsDeliver;
    expect(pdu.type).toBe('deliver');
    // TP-MTI 11 (bits 1..0); the other bits of the first octet keep their SMS-DELIVER meanings.
    expect(pdu.originator).toStrictEqual(classic.originator);
    expect(pdu.userData).toStrictEqual(classic.userData); // TP-UDHI 0: the same user data
  });

  it('first octet 03 of a bare TPDU', () => {
    expect(decodePdu(withOctet(DELIVER_CLASSIC_BARE_TPDU.hex, 0, '03'), { smscPrefix: false }).type).toBe('deliver');
  });

  it('a bare +CDS TPDU decoded as if it had an SMSC field (06 read as the SMSC length, 57 as a reserved first octet) is still refused: its fields do not fit a deliver', () => {
    expect(() => decodePdu(REPORT_AMRO_BARE_TPDU.hex)).toThrow(DecodeError);
  });
});

describe('GW_ERR_PDU_FIELD: a value the specification does not allow', () => {
  it('TP-OA length 21 (more than 20 digits, §9.1.2.5)', () => {
    expectDecodeError(withOctet(DELIVER_CLASSIC.hex, 9, '15'), 'GW_ERR_PDU_FIELD', 'TP-OA', 9);
  });

  it('TP-OA length 20 is the maximum and decodes', () => {
    const hex = [
      '00', // no SMSC
      '04', // SMS-DELIVER
      '14', // TP-OA length 20
      '91', // international, ISDN
      '21436587092143658709', // 12345678901234567890
      '00', '00', '52011231024540', '02', 'C834',
    ].join('');
    expect((decodePdu(hex) as SmsDeliver).originator.value).toBe('12345678901234567890');
    expect(encodePdu(decodePdu(hex)).hex).toBe(hex);
  });

  it('SMSC length 12 (more than 11 octets)', () => {
    expectDecodeError(`0C${DELIVER_CLASSIC.hex.slice(2)}`, 'GW_ERR_PDU_FIELD', 'SMSC', 0);
  });

  it('SMSC length 11 (type + 10 digit octets) is the maximum and decodes', () => {
    const hex = `0B91${'21436587092143658709'}${DELIVER_CLASSIC_BARE_TPDU.hex}`;
    expect(decodePdu(hex).smsc?.value).toBe('12345678901234567890');
    expect(encodePdu(decodePdu(hex)).hex).toBe(hex);
  });

  it('TP-DA length 21 in a submit', () => {
    expectDecodeError(withOctet(SUBMIT_HOWDY.hex, 3, '15'), 'GW_ERR_PDU_FIELD', 'TP-DA', 3);
  });

  it('TP-UDL 141 with 8-bit data (max 140 octets), 140 is fine', () => {
    expectDecodeError(deliverWithUd('04', '04', '8D', '00'.repeat(141)), 'GW_ERR_PDU_FIELD', 'TP-UDL', 20);
    expect((decodePdu(deliverWithUd('04', '04', '8C', '11'.repeat(140))) as SmsDeliver).userData.data).toHaveLength(140);
  });

  it('TP-UDL 141 with UCS2 (max 140 octets)', () => {
    expectDecodeError(deliverWithUd('04', '08', '8D', '00'.repeat(141)), 'GW_ERR_PDU_FIELD', 'TP-UDL', 20);
  });

  it('TP-UDL 161 with GSM 7-bit (max 160 septets), 160 is fine', () => {
    expectDecodeError(deliverWithUd('04', '00', 'A1', '00'.repeat(141)), 'GW_ERR_PDU_FIELD', 'TP-UDL', 20);
    const decoded = decodePdu(deliverWithUd('04', '00', 'A0', '00'.repeat(140))) as SmsDeliver;
    expect(decoded.userData.text).toBe('@'.repeat(160));
  });

  it('TP-UDL 141 with compressed GSM 7-bit (counted in octets, max 140)', () => {
    expectDecodeError(deliverWithUd('04', '20', '8D', '00'.repeat(141)), 'GW_ERR_PDU_FIELD', 'TP-UDL', 20);
  });

  it.each([
    ['year A9 (units A)', 19, 'A9'],
    ['month 1A (tens A)', 20, '1A'],
    ['day F1', 21, 'F1'],
    ['hour 5B', 22, '5B'],
    ['minute C0', 23, 'C0'],
    ['second 0D', 24, '0D'],
    ['time zone A0 (units A)', 25, 'A0'],
  ])('TP-SCTS with invalid BCD: %s', (_label, offset, octet) => {
    expectDecodeError(withOctet(DELIVER_CLASSIC.hex, offset, octet), 'GW_ERR_PDU_FIELD', 'TP-SCTS', offset);
  });

  it('TP-DT with invalid BCD in a status report (day B1)', () => {
    // REPORT_PYTHON_GSMMODEM: 0 SMSC | 1 first | 2 MR | 3..10 TP-RA | 11..17 SCTS | 18..24 DT | 25 ST
    expectDecodeError(withOctet(REPORT_PYTHON_GSMMODEM.hex, 20, 'B1'), 'GW_ERR_PDU_FIELD', 'TP-DT', 20);
  });

  it('absolute TP-VP with invalid BCD (second 0A)', () => {
    expectDecodeError(withOctet(SUBMIT_ABSOLUTE_VP.hex, 18, '0A'), 'GW_ERR_PDU_FIELD', 'TP-VP', 18);
  });

  it('fill code F inside the counted digits of TP-OA (offset of the octet holding it)', () => {
    // 72 38 F8 09 00 F1: digit 6 (high semi-octet of the third digit octet) is F.
    expectDecodeError(withOctet(DELIVER_CLASSIC.hex, 13, 'F8'), 'GW_ERR_PDU_FIELD', 'TP-OA', 13);
    // 11 digits: the low semi-octet of the last octet is digit 11, so F there is inside the count.
    expectDecodeError(withOctet(DELIVER_CLASSIC.hex, 16, 'FF'), 'GW_ERR_PDU_FIELD', 'TP-OA', 16);
  });

  it('fill code F inside the SMSC digits', () => {
    // 72 F3 01 00 10 F5: digit 4 (high semi-octet of the second digit octet) is F.
    expectDecodeError(withOctet(DELIVER_CLASSIC.hex, 3, 'F3'), 'GW_ERR_PDU_FIELD', 'SMSC', 3);
  });

  it('fill code F inside TP-DA and TP-RA', () => {
    expectDecodeError(withOctet(SUBMIT_HOWDY.hex, 6, 'F1'), 'GW_ERR_PDU_FIELD', 'TP-DA', 6);
    expectDecodeError(withOctet(REPORT_PYTHON_GSMMODEM.hex, 7, 'F8'), 'GW_ERR_PDU_FIELD', 'TP-RA', 7);
  });
});

describe('GW_ERR_PDU_UDH: malformed user data header', () => {
  it('8-bit: UDHL 5 (6 header octets) but TP-UDL 3', () => {
    expectDecodeError(deliverWithUd('44', '04', '03', '050003'), 'GW_ERR_PDU_UDH', 'TP-UDHL', 21);
  });

  it('TP-UDHI set but TP-UDL 0 (no room for the UDHL octet)', () => {
    expectDecodeError(deliverWithUd('44', '04', '00', ''), 'GW_ERR_PDU_UDH', 'TP-UDHL', 21);
  });

  it('GSM 7-bit: a 6-octet header needs 7 septets, TP-UDL 6 is too short; 7 is exactly the header', () => {
    expectDecodeError(deliverWithUd('44', '00', '06', '050003010201'), 'GW_ERR_PDU_UDH', 'TP-UDHL', 21);
    const decoded = decodePdu(deliverWithUd('44', '00', '07', '05000301020100')) as SmsDeliver;
    expect(decoded.userData.text).toBe('');
    expect(decoded.userData.header?.concatenation).toStrictEqual({ reference: 1, referenceBits: 8, total: 2, sequence: 1 });
  });

});

/**
 * TS 23.040 §9.2.3.24: when the final information element has too few or too many octets for the
 * header length, the whole header is ignored; the message is delivered (its body still starts
 * after UDHL octets). Each vector: first octet 44 (TP-UDHI), DCS 04 (8-bit data), UDL, then UD.
 */
describe('a malformed user data header is ignored, the message kept (TS 23.040 §9.2.3.24)', () => {
  it('an element whose length runs past the header: UDHL 05 | IEI 00 (concatenation) length 04, but only 3 octets 01 02 01 left | body FF', () => {
    const pdu = decodePdu(deliverWithUd('44', '04', '07', '050004010201FF')) as SmsDeliver;
    expect(pdu.userData.header).toStrictEqual({ elements: [], concatenation: null, ports: null, ignoredAsMalformed: true });
    expect(Buffer.from(pdu.userData.data).toString('hex')).toBe('ff');
  });

  it('the second element runs past the header: UDHL 07 | IEI 00 length 03 ref 01 total 02 seq 01 (well-formed) | IEI 05 (16-bit ports) length 04 with 0 octets left | body FF', () => {
    const pdu = decodePdu(deliverWithUd('44', '04', '09', '0700030102010504FF')) as SmsDeliver;
    // The whole header is ignored, the well-formed concatenation element too: the message is a single part.
    expect(pdu.userData.header).toStrictEqual({ elements: [], concatenation: null, ports: null, ignoredAsMalformed: true });
    expect(Buffer.from(pdu.userData.data).toString('hex')).toBe('ff');
  });

  it('an IEI without its length octet: UDHL 01 | IEI 00 | body 00 FF', () => {
    const pdu = decodePdu(deliverWithUd('44', '04', '03', '0100FF')) as SmsDeliver;
    expect(pdu.userData.header?.ignoredAsMalformed).toBe(true);
    expect(Buffer.from(pdu.userData.data).toString('hex')).toBe('ff');
  });

  it('a reserved IEI is skipped over by its length, the elements after it still count: UDHL 0A | IEI 7F (reserved) length 02 AA BB | IEI 05 (16-bit ports) length 04 dst 16CC src 0000 | body 41', () => {
    const pdu = decodePdu(deliverWithUd('44', '04', '0C', '0A7F02AABB050416CC000041')) as SmsDeliver;
    expect(pdu.userData.header?.ignoredAsMalformed).toBeUndefined();
    expect(pdu.userData.header?.elements.map((e) => e.iei)).toStrictEqual([0x7f, 0x05]);
    expect(pdu.userData.header?.ports).toStrictEqual({ destination: 0x16cc, source: 0, portBits: 16 });
  });

  it('a concatenation element with reserved values (sequence 0) or the wrong length is ignored, the message kept: UDHL 09 | IEI 00 length 03 ref 01 total 02 seq 00 | IEI 00 length 02 01 02 | body 41', () => {
    const pdu = decodePdu(deliverWithUd('44', '04', '0B', '0900030102000002010241')) as SmsDeliver;
    expect(pdu.userData.header?.concatenation).toBeNull();
    expect(pdu.userData.header?.elements).toHaveLength(2);
    expect(Buffer.from(pdu.userData.data).toString('hex')).toBe('41');
  });
});

describe('GW_ERR_PDU_TEXT: user data not decodable in its alphabet', () => {
  it('UCS2 with an odd number of octets', () => {
    expectDecodeError(deliverWithUd('04', '08', '03', '004800'), 'GW_ERR_PDU_TEXT', 'TP-UD', 21);
  });

  it('UCS2 with an odd body after a header (offset of the body)', () => {
    expectDecodeError(deliverWithUd('44', '08', '09', '050003010201004800'), 'GW_ERR_PDU_TEXT', 'TP-UD', 27);
  });
});

// --- Seeded random inputs ------------------------------------------------------------------


interface Tally {
  decoded: number;
  errored: number;
  encoded: number;
  encodeRefused: number;
  codes: Map<string, number>;
}

/**
 * Decodes `input`; any throw must be a DecodeError with a registry PDU code, a field and an offset
 * inside the input, and must not be a disguised crash ("internal decoder error"). A decoded value
 * must re-encode or be refused with an EncodeError.
 */
function probe(input: string | Uint8Array, byteLength: number, smscPrefix: boolean | undefined, tally: Tally): void {
  let pdu;
  try {
    pdu = decodePdu(input, smscPrefix === undefined ? {} : { smscPrefix });
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      throw new Error(`decodePdu threw a non-DecodeError for ${describeInput(input)}: ${String(err)}`);
    }
    if (!PDU_CODES.includes(err.code) || err.field.length === 0 || err.offset < 0 || err.offset > byteLength || /internal/.test(err.message)) {
      throw new Error(`bad DecodeError for ${describeInput(input)}: ${err.code} ${err.message}`);
    }
    tally.errored++;
    tally.codes.set(err.code, (tally.codes.get(err.code) ?? 0) + 1);
    return;
  }
  tally.decoded++;
  try {
    encodePdu(pdu);
    tally.encoded++;
  } catch (err) {
    if (!(err instanceof EncodeError) || err.code !== 'GW_ERR_SMS_ENCODE') {
      throw new Error(`encodePdu threw ${String(err)} for the decoding of ${describeInput(input)}`);
    }
    tally.encodeRefused++;
  }
}

function describeInput(input: string | Uint8Array): string {
  return typeof input === 'string' ? JSON.stringify(input) : Buffer.from(input).toString('hex').toUpperCase();
}

function hexOf(bytes: Uint8Array, upper: boolean): string {
  const hex = Buffer.from(bytes).toString('hex');
  return upper ? hex.toUpperCase() : hex;
}

describe('random input (seeded)', () => {
  it('100,000 random byte strings and 20,000 mutations of valid vectors: only DecodeError / EncodeError', () => {
    const random = seededRandom(0x5eed_2040);
    const byte = (): number => Math.floor(random() * 256);
    const below = (n: number): number => Math.floor(random() * n);
    const fresh = (): Tally => ({ decoded: 0, errored: 0, encoded: 0, encodeRefused: 0, codes: new Map() });

    const noise = fresh();
    for (let n = 0; n < 100_000; n++) {
      const bytes = new Uint8Array(below(201)); // lengths 0..200
      for (let i = 0; i < bytes.length; i++) bytes[i] = byte();
      const smscPrefix = [true, false, undefined][below(3)];
      // One in five as hexadecimal text, either case.
      const input = below(5) === 0 ? hexOf(bytes, below(2) === 0) : bytes;
      probe(input, bytes.length, smscPrefix, noise);
    }
    expect(noise.decoded + noise.errored).toBe(100_000);
    expect(noise.errored).toBeGreaterThan(0);

    const vectors = Object.values(PDU_VECTORS);
    const mutated = fresh();
    for (let n = 0; n < 20_000; n++) {
      const v = vectors[below(vectors.length)];
      if (v === undefined) throw new Error('no vector');
      const bytes = Array.from(bytesOf(v));
      const at = below(bytes.length);
      switch (below(6)) {
        case 0: // replace a byte
          bytes[at] = byte();
          break;
        case 1: // flip one bit
          bytes[at] = (bytes[at] ?? 0) ^ (1 << below(8));
          break;
        case 2: // truncate
          bytes.length = at;
          break;
        case 3: // extend with 1..8 random bytes
          for (let k = 1 + below(8); k > 0; k--) bytes.push(byte());
          break;
        case 4: // delete a byte
          bytes.splice(at, 1);
          break;
        default: // insert a byte
          bytes.splice(at, 0, byte());
      }
      const input = Uint8Array.from(bytes);
      probe(below(4) === 0 ? hexOf(input, true) : input, input.length, v.smscPrefix, mutated);
    }
    expect(mutated.decoded + mutated.errored).toBe(20_000);
    expect(mutated.decoded).toBeGreaterThan(0);
    expect(mutated.errored).toBeGreaterThan(0);
    expect(mutated.encoded).toBeGreaterThan(0);
    // The mutations reach every PDU error code except the hex one (they are fed as valid hex) and
    // GW_ERR_PDU_MTI (the reserved TP-MTI 11 is read as an SMS-DELIVER, TS 23.040 §9.2.3.1).
    expect([...mutated.codes.keys()].sort()).toStrictEqual(PDU_CODES.filter((code) => code !== 'GW_ERR_PDU_HEX' && code !== 'GW_ERR_PDU_MTI').sort());

    const all = { decoded: noise.decoded + mutated.decoded, errored: noise.errored + mutated.errored };
    expect(all.decoded).toBeGreaterThan(0);
    expect(all.errored).toBeGreaterThan(0);
  }, 30_000);
});
