/**
 * SMS-DELIVER decoding and re-encoding (3GPP TS 23.040 §9.2.2.1; TS 23.038 §4, §6.2.1).
 *
 * Every vector (test/fixtures/pdu/vectors.ts, written field by field with comments) is checked
 * in both directions, as in mqtt-packet's testParseGenerate: decodePdu(hex) deep-equals the
 * expected value, and encodePdu(decoded) gives the same hex and the right TPDU length.
 */
import { describe, it, expect } from 'vitest';
import { decodePdu, encodePdu, timestampToEpochMs, timestampToIso } from '../../../src/sms/index.ts';
import type { DataCodingScheme, SmsAddress, SmsDeliver, SmsPdu, SmsTimestamp, UserData } from '../../../src/sms/index.ts';
import {
  DELIVER_8BIT_CLASS1_F5,
  DELIVER_8BIT_COAP,
  DELIVER_ALL_FLAGS,
  DELIVER_ALPHANUMERIC_INFOSMS,
  DELIVER_ALPHANUMERIC_VODAFONE,
  DELIVER_BCD_SPECIAL_DIGITS,
  DELIVER_CLASSIC,
  DELIVER_CLASSIC_BARE_TPDU,
  DELIVER_COMPRESSED,
  DELIVER_CONCAT16_8BIT,
  DELIVER_CONCAT_7BIT,
  DELIVER_CONCAT_NATIONAL_LANGUAGE,
  DELIVER_CONCAT_SEQUENCE_BEYOND_TOTAL,
  DELIVER_CONCAT_SEQUENCE_ZERO,
  DELIVER_CONCAT_TOTAL_ZERO,
  DELIVER_CONCAT_TWICE,
  DELIVER_CONCAT_WITH_IEI_70,
  DELIVER_DEVELOPERSHOME,
  DELIVER_EMPTY_UDH,
  DELIVER_GSM7_EXTENSION,
  DELIVER_INTERNATIONAL_TEST2,
  DELIVER_MWI_UCS2_STORE,
  DELIVER_MWI_VOICEMAIL_DISCARD,
  DELIVER_NATIONAL_NO_SMSC,
  DELIVER_PORTS8,
  DELIVER_PORTS_TWICE,
  DELIVER_TZ_MINUS_0500,
  DELIVER_TZ_PLUS_0545,
  DELIVER_UCS2_EMOJI,
  DELIVER_UNKNOWN_TON_CONCAT,
  DELIVER_WAP_PUSH_PORTS16,
  asciiSeptets,
  bytesOf,
  hexBytes,
  tpduLengthOf,
  type PduVector,
} from '../../fixtures/pdu/vectors.ts';

// --- expected-value building blocks (written from the field comments, not from the codec) ---

const SMSC_DE: SmsAddress = { value: '491710760000', typeOfNumber: 'international', numberingPlan: 1 };
const ADDR_DE: SmsAddress = { value: '4917612345678', typeOfNumber: 'international', numberingPlan: 1 };
const TS_2025: SmsTimestamp = { year: 2025, month: 10, day: 21, hour: 13, minute: 20, second: 54, offsetQuarterHours: 4 };

function dcs(raw: number, encoding: DataCodingScheme['encoding'], more: Partial<DataCodingScheme> = {}): DataCodingScheme {
  return { raw, encoding, messageClass: null, compressed: false, autoDelete: false, messageWaiting: null, ...more };
}
const DCS_GSM7 = dcs(0x00, 'gsm7');
const DCS_8BIT = dcs(0x04, '8bit');
const DCS_UCS2 = dcs(0x08, 'ucs2');

/** "Hi" in GSM 7-bit: septets 0x48 0x69. */
const UD_HI: UserData = { header: null, text: 'Hi', data: Uint8Array.of(0x48, 0x69) };

function deliver(fields: Partial<SmsDeliver>): SmsDeliver {
  return {
    type: 'deliver',
    smsc: null,
    moreMessagesToSend: false,
    loopPrevention: false,
    replyPath: false,
    statusReportIndication: false,
    originator: ADDR_DE,
    protocolId: 0,
    dcs: DCS_GSM7,
    timestamp: TS_2025,
    userData: UD_HI,
    ...fields,
  };
}

/**
 * Both directions: decode equals `expected`; encoding the decoded value gives `encodedHex`
 * (default: the vector itself, with `00` in front for a bare TPDU since the encoder always writes
 * the SMSC field) and the TPDU length counted from the hex text.
 */
function roundTrip(v: PduVector, expected: SmsPdu, encodedHex?: string): SmsPdu {
  const decoded = decodePdu(v.hex, { smscPrefix: v.smscPrefix });
  expect(decoded).toStrictEqual(expected);
  const encoded = encodePdu(decoded);
  expect(encoded.hex).toBe((encodedHex ?? (v.smscPrefix ? v.hex : `00${v.hex}`)).toUpperCase());
  expect(encoded.bytes).toStrictEqual(hexBytes(encoded.hex));
  expect(encoded.tpduLength).toBe(tpduLengthOf(v));
  return decoded;
}

describe('SMS-DELIVER (TS 23.040 §9.2.2.1)', () => {
  it('decodes and re-encodes the classic "hellohello" vector (year 99 read as 1999)', () => {
    const decoded = roundTrip(DELIVER_CLASSIC, {
      type: 'deliver',
      smsc: { value: '27381000015', typeOfNumber: 'international', numberingPlan: 1 },
      moreMessagesToSend: false, // TP-MMS = 1
      loopPrevention: false,
      replyPath: false,
      statusReportIndication: false,
      originator: { value: '27838890001', typeOfNumber: 'subscriber', numberingPlan: 8 },
      protocolId: 0,
      dcs: DCS_GSM7,
      timestamp: { year: 1999, month: 3, day: 29, hour: 15, minute: 16, second: 59, offsetQuarterHours: 8 },
      userData: { header: null, text: 'hellohello', data: asciiSeptets('hellohello') },
    });
    // 28 = 36 octets - 8 octets of SMSC field (07 91 + 6 digit octets), as +CMT / AT+CMGS count it
    expect(DELIVER_CLASSIC.hex.length / 2).toBe(36);
    expect(encodePdu(decoded).tpduLength).toBe(28);
    expect(timestampToIso((decoded as SmsDeliver).timestamp)).toBe('1999-03-29T15:16:59+02:00');
  });

  it('accepts the same PDU as bytes, in lower case, and with the CR LF a modem line ends with', () => {
    const expected = decodePdu(DELIVER_CLASSIC.hex);
    expect(decodePdu(bytesOf(DELIVER_CLASSIC))).toStrictEqual(expected);
    expect(decodePdu(DELIVER_CLASSIC.hex.toLowerCase())).toStrictEqual(expected);
    expect(decodePdu(`  ${DELIVER_CLASSIC.hex}\r\n`)).toStrictEqual(expected);
    // The encoder writes upper case whatever the input case was.
    expect(encodePdu(decodePdu(DELIVER_CLASSIC.hex.toLowerCase())).hex).toBe(DELIVER_CLASSIC.hex);
  });

  it('decodes a bare TPDU with { smscPrefix: false }; the encoder then writes an empty SMSC field (00)', () => {
    roundTrip(DELIVER_CLASSIC_BARE_TPDU, {
      ...(decodePdu(DELIVER_CLASSIC.hex) as SmsDeliver),
      smsc: null,
    });
  });

  it('international originator (TON 001) and a 10-digit SMSC without fill (python-gsmmodem "Test2")', () => {
    roundTrip(DELIVER_INTERNATIONAL_TEST2, {
      ...deliver({}),
      smsc: { value: '2782913593', typeOfNumber: 'international', numberingPlan: 1 },
      originator: { value: '27821234567', typeOfNumber: 'international', numberingPlan: 1 },
      timestamp: { year: 2013, month: 3, day: 8, hour: 15, minute: 2, second: 16, offsetQuarterHours: 8 },
      userData: { header: null, text: 'Test2', data: asciiSeptets('Test2') },
    });
  });

  it('time zone +08:00 = 32 quarters, tens in the low semi-octet (developershome example)', () => {
    const text = 'It is easy to read text messages via AT commands.';
    const decoded = roundTrip(DELIVER_DEVELOPERSHOME, {
      ...deliver({}),
      smsc: { value: '85290000000', typeOfNumber: 'international', numberingPlan: 1 },
      originator: { value: '85291234567', typeOfNumber: 'international', numberingPlan: 1 },
      timestamp: { year: 2007, month: 4, day: 12, hour: 23, minute: 25, second: 42, offsetQuarterHours: 32 },
      userData: { header: null, text, data: asciiSeptets(text) },
    }) as SmsDeliver;
    expect(text).toHaveLength(0x31);
    expect(timestampToEpochMs(decoded.timestamp)).toBe(Date.UTC(2007, 3, 12, 15, 25, 42));
  });

  it('national originator (TON 010) and an absent SMSC (length 00)', () => {
    roundTrip(DELIVER_NATIONAL_NO_SMSC, deliver({ originator: { value: '0129998765', typeOfNumber: 'national', numberingPlan: 1 } }));
  });

  it('unknown TON short code, 7-bit concatenation with a fill bit, more messages waiting (real network message)', () => {
    const text = 'Hello!You have R 19.50 FREE airtime available. R 19.50 will expire on 01/07/2013. ';
    const expected = deliver({
      smsc: { value: '2781191', typeOfNumber: 'international', numberingPlan: 1 },
      moreMessagesToSend: true, // TP-MMS = 0
      originator: { value: '2781188', typeOfNumber: 'unknown', numberingPlan: 1 },
      timestamp: { year: 2013, month: 6, day: 25, hour: 16, minute: 40, second: 48, offsetQuarterHours: 8 },
      userData: {
        header: {
          elements: [{ iei: 0x00, data: Uint8Array.of(0xc3, 0x01, 0x01) }],
          concatenation: { reference: 0xc3, referenceBits: 8, total: 1, sequence: 1 },
          ports: null,
        },
        text,
        data: asciiSeptets(text),
      },
    });
    expect(text).toHaveLength(0x59 - 7); // TP-UDL counts the 7 header septets too
    // This network set its fill bit to 1 (first text octet 91); the codec keeps septets, not fill
    // bits, and writes the fill bit as 0 (90). Everything else is byte-identical.
    const canonical = DELIVER_UNKNOWN_TON_CONCAT.hex.replace('050003C30101916536', '050003C30101906536');
    expect(canonical).not.toBe(DELIVER_UNKNOWN_TON_CONCAT.hex);
    roundTrip(DELIVER_UNKNOWN_TON_CONCAT, expected, canonical);
    expect(decodePdu(canonical)).toStrictEqual(expected);
  });

  it('alphanumeric originator "InfoSMS" (TON 101, 13 semi-octets, GSM 7-bit packed)', () => {
    roundTrip(DELIVER_ALPHANUMERIC_INFOSMS, deliver({
      smsc: SMSC_DE,
      originator: { value: 'InfoSMS', typeOfNumber: 'alphanumeric', numberingPlan: 0 },
    }));
  });

  it('alphanumeric originator "Vodafone" (8 septets filling 7 octets, 14 semi-octets)', () => {
    roundTrip(DELIVER_ALPHANUMERIC_VODAFONE, deliver({
      originator: { value: 'Vodafone', typeOfNumber: 'alphanumeric', numberingPlan: 0 },
    }));
  });

  it('BCD semi-octets A..E decode as * # a b c (TS 23.040 §9.1.2.3)', () => {
    roundTrip(DELIVER_BCD_SPECIAL_DIGITS, deliver({
      originator: { value: '*#abc1', typeOfNumber: 'unknown', numberingPlan: 1 },
    }));
  });

  it('8-bit data with DCS 0x04: octets kept, no text', () => {
    roundTrip(DELIVER_8BIT_COAP, deliver({
      smsc: SMSC_DE,
      dcs: DCS_8BIT,
      userData: { header: null, text: null, data: Uint8Array.of(0x40, 0x01, 0x30, 0x39, 0xb1, 0x61) },
    }));
  });

  it('8-bit data with DCS 0xF5: coding group 1111, message class 1', () => {
    roundTrip(DELIVER_8BIT_CLASS1_F5, deliver({
      dcs: dcs(0xf5, '8bit', { messageClass: 1 }),
      userData: { header: null, text: null, data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) },
    }));
  });

  it('UCS2 text with an emoji: the surrogate pair D83D DE00 stays one code point', () => {
    const decoded = roundTrip(DELIVER_UCS2_EMOJI, deliver({
      dcs: DCS_UCS2,
      userData: {
        header: null,
        text: 'Hi \u{1F600}',
        data: Uint8Array.of(0x00, 0x48, 0x00, 0x69, 0x00, 0x20, 0xd8, 0x3d, 0xde, 0x00),
      },
    })) as SmsDeliver;
    expect(Array.from(decoded.userData.text ?? '')).toHaveLength(4);
  });

  it('GSM 7-bit extension characters € [ ] take two septets each (escape 1B)', () => {
    roundTrip(DELIVER_GSM7_EXTENSION, deliver({
      userData: { header: null, text: '€[]', data: Uint8Array.of(0x1b, 0x65, 0x1b, 0x3c, 0x1b, 0x3e) },
    }));
  });
});

describe('SMS-DELIVER user data header (TS 23.040 §9.2.3.24)', () => {
  it('7-bit concatenated part, 8-bit reference: 6-octet header = 7 septets with 1 fill bit', () => {
    roundTrip(DELIVER_CONCAT_7BIT, deliver({
      smsc: SMSC_DE,
      userData: {
        header: {
          elements: [{ iei: 0x00, data: Uint8Array.of(42, 2, 1) }],
          concatenation: { reference: 42, referenceBits: 8, total: 2, sequence: 1 },
          ports: null,
        },
        text: 'Hello',
        data: asciiSeptets('Hello'),
      },
    }));
  });

  it('8-bit concatenated part with a 16-bit reference (IEI 0x08)', () => {
    roundTrip(DELIVER_CONCAT16_8BIT, deliver({
      dcs: DCS_8BIT,
      userData: {
        header: {
          elements: [{ iei: 0x08, data: Uint8Array.of(0x12, 0x34, 3, 2) }],
          concatenation: { reference: 0x1234, referenceBits: 16, total: 3, sequence: 2 },
          ports: null,
        },
        text: null,
        data: Uint8Array.of(1, 2, 3, 4),
      },
    }));
  });

  it('WAP push: 16-bit application ports (IEI 0x05) destination 2948, source 9200', () => {
    roundTrip(DELIVER_WAP_PUSH_PORTS16, deliver({
      dcs: DCS_8BIT,
      userData: {
        header: {
          elements: [{ iei: 0x05, data: Uint8Array.of(0x0b, 0x84, 0x23, 0xf0) }],
          concatenation: null,
          ports: { destination: 2948, source: 9200, portBits: 16 },
        },
        text: null,
        data: Uint8Array.of(0x01, 0x06, 0x03, 0xae, 0x81, 0xea),
      },
    }));
  });

  it('8-bit application ports (IEI 0x04) destination 100, source 50', () => {
    roundTrip(DELIVER_PORTS8, deliver({
      dcs: DCS_8BIT,
      userData: {
        header: {
          elements: [{ iei: 0x04, data: Uint8Array.of(100, 50) }],
          concatenation: null,
          ports: { destination: 100, source: 50, portBits: 8 },
        },
        text: null,
        data: Uint8Array.of(0xab, 0xcd),
      },
    }));
  });

  it('keeps an unknown IEI (0x24 national language shift) next to concatenation; 9-octet header = 11 septets, 5 fill bits', () => {
    roundTrip(DELIVER_CONCAT_NATIONAL_LANGUAGE, deliver({
      userData: {
        header: {
          elements: [
            { iei: 0x00, data: Uint8Array.of(0x7f, 3, 3) },
            { iei: 0x24, data: Uint8Array.of(0x02) },
          ],
          concatenation: { reference: 0x7f, referenceBits: 8, total: 3, sequence: 3 },
          ports: null,
        },
        text: 'Hola',
        data: asciiSeptets('Hola'),
      },
    }));
  });

  it('keeps a zero-length unknown IEI (0x70) in front of the concatenation element', () => {
    roundTrip(DELIVER_CONCAT_WITH_IEI_70, deliver({
      dcs: DCS_8BIT,
      userData: {
        header: {
          elements: [
            { iei: 0x70, data: new Uint8Array(0) },
            { iei: 0x00, data: Uint8Array.of(5, 2, 2) },
          ],
          concatenation: { reference: 5, referenceBits: 8, total: 2, sequence: 2 },
          ports: null,
        },
        text: null,
        data: Uint8Array.of(0x11, 0x22),
      },
    }));
  });

  it.each([
    { v: DELIVER_CONCAT_TOTAL_ZERO, total: 0, sequence: 1 },
    { v: DELIVER_CONCAT_SEQUENCE_ZERO, total: 2, sequence: 0 },
    { v: DELIVER_CONCAT_SEQUENCE_BEYOND_TOTAL, total: 2, sequence: 3 },
  ])('$v.name: total/sequence out of range -> concatenation null, element kept (§9.2.3.24.1 "ignore")', ({ v, total, sequence }) => {
    roundTrip(v, deliver({
      dcs: DCS_8BIT,
      userData: {
        header: {
          elements: [{ iei: 0x00, data: Uint8Array.of(1, total, sequence) }],
          concatenation: null,
          ports: null,
        },
        text: null,
        data: Uint8Array.of(0xff),
      },
    }));
  });

  it('duplicated / mutually exclusive concatenation IEs: the last one is used (§9.2.3.24)', () => {
    // TS 23.040 §9.2.3.24: "In the event that IEs determined as not repeatable are duplicated, the
    // last occurrence of the IE shall be used. In the event that two or more IEs occur which have
    // mutually exclusive meanings (e.g. an 8bit port address and a 16bit port address), then the
    // last occurring IE shall be used."
    roundTrip(DELIVER_CONCAT_TWICE, deliver({
      dcs: DCS_8BIT,
      userData: {
        header: {
          elements: [
            { iei: 0x00, data: Uint8Array.of(1, 2, 1) },
            { iei: 0x08, data: Uint8Array.of(0x00, 0x02, 2, 1) },
          ],
          concatenation: { reference: 2, referenceBits: 16, total: 2, sequence: 1 },
          ports: null,
        },
        text: null,
        data: Uint8Array.of(0xff),
      },
    }));
  });

  it('8-bit and 16-bit port IEs together: the last one (16-bit) is used (§9.2.3.24)', () => {
    roundTrip(DELIVER_PORTS_TWICE, deliver({
      dcs: DCS_8BIT,
      userData: {
        header: {
          elements: [
            { iei: 0x04, data: Uint8Array.of(100, 50) },
            { iei: 0x05, data: Uint8Array.of(0x0b, 0x84, 0x23, 0xf0) },
          ],
          concatenation: null,
          ports: { destination: 2948, source: 9200, portBits: 16 },
        },
        text: null,
        data: Uint8Array.of(0xaa),
      },
    }));
  });

  it('UDHI with an empty header (UDHL 00) re-encodes to the same octets', () => {
    const decoded = decodePdu(DELIVER_EMPTY_UDH.hex) as SmsDeliver;
    expect(decoded.userData).toStrictEqual({
      header: { elements: [], concatenation: null, ports: null },
      text: null,
      data: Uint8Array.of(0xaa),
    });
    // The encoder must either keep TP-UDHI (44) with the 00 header octet, or drop both; writing the
    // header octet without TP-UDHI turns it into a data octet (data 00 AA on the next decode).
    const encoded = encodePdu(decoded);
    expect((decodePdu(encoded.hex) as SmsDeliver).userData.data).toStrictEqual(Uint8Array.of(0xaa));
    expect(encoded.hex).toBe(DELIVER_EMPTY_UDH.hex);
  });
});

describe('SMS-DELIVER time stamp (TS 23.040 §9.2.3.11)', () => {
  it('negative time zone -05:00: octet 0A = sign bit 3 + tens 2', () => {
    const decoded = roundTrip(DELIVER_TZ_MINUS_0500, deliver({ timestamp: { ...TS_2025, offsetQuarterHours: -20 } })) as SmsDeliver;
    expect(timestampToIso(decoded.timestamp)).toBe('2025-10-21T13:20:54-05:00');
    expect(timestampToEpochMs(decoded.timestamp)).toBe(Date.UTC(2025, 9, 21, 18, 20, 54));
  });

  it('quarter-hour time zone +05:45: octet 32 = 23 quarters', () => {
    const decoded = roundTrip(DELIVER_TZ_PLUS_0545, deliver({ timestamp: { ...TS_2025, offsetQuarterHours: 23 } })) as SmsDeliver;
    expect(timestampToIso(decoded.timestamp)).toBe('2025-10-21T13:20:54+05:45');
    expect(timestampToEpochMs(decoded.timestamp)).toBe(Date.UTC(2025, 9, 21, 7, 35, 54));
  });

  it.each([
    ['09', 1990], // 90: first year of the window
    ['99', 1999],
    ['00', 2000],
    ['52', 2025],
    ['98', 2089], // 89: last year of the window
  ])('year semi-octets %s -> %i (window 1990..2089)', (yearOctet, year) => {
    const v: PduVector = {
      ...DELIVER_NATIONAL_NO_SMSC,
      name: `year ${year}`,
      hex: [
        '00', // no SMSC
        '04', // SMS-DELIVER, MMS=1
        '0A', 'A1', '1092997856', // TP-OA 0129998765, national
        '00', // TP-PID
        '00', // TP-DCS
        yearOctet, // TP-SCTS year, swapped semi-octets
        '011231024540', // month 10, day 21, 13:20:54, +01:00
        '02', 'C834', // "Hi"
      ].join(''),
    };
    roundTrip(v, deliver({
      originator: { value: '0129998765', typeOfNumber: 'national', numberingPlan: 1 },
      timestamp: { ...TS_2025, year },
    }));
  });
});

describe('SMS-DELIVER first-octet flags (TS 23.040 §9.2.3.1, .2, .17, .28, §9.2.3.4)', () => {
  it('TP-RP, TP-SRI, TP-LP set and TP-MMS = 0 (A8)', () => {
    roundTrip(DELIVER_ALL_FLAGS, deliver({
      moreMessagesToSend: true,
      loopPrevention: true,
      replyPath: true,
      statusReportIndication: true,
    }));
  });

  it.each([
    // first octet, moreMessagesToSend (MMS bit 2 = 0), loopPrevention (bit 3), SRI (bit 5), RP (bit 7)
    ['00', true, false, false, false],
    ['04', false, false, false, false],
    ['0C', false, true, false, false],
    ['24', false, false, true, false],
    ['84', false, false, false, true],
    ['20', true, false, true, false],
  ])('first octet %s', (first, moreMessagesToSend, loopPrevention, statusReportIndication, replyPath) => {
    const v: PduVector = {
      ...DELIVER_NATIONAL_NO_SMSC,
      name: `first ${first}`,
      hex: ['00', first, '0A', 'A1', '1092997856', '00', '00', '52011231024540', '02', 'C834'].join(''),
    };
    roundTrip(v, deliver({
      originator: { value: '0129998765', typeOfNumber: 'national', numberingPlan: 1 },
      moreMessagesToSend,
      loopPrevention,
      statusReportIndication,
      replyPath,
    }));
  });
});

describe('SMS-DELIVER data coding scheme (TS 23.038 §4)', () => {
  it('message waiting 0xC8: discard group, indication active, voicemail, GSM 7-bit text', () => {
    roundTrip(DELIVER_MWI_VOICEMAIL_DISCARD, deliver({
      dcs: dcs(0xc8, 'gsm7', { messageWaiting: { active: true, kind: 'voicemail', discard: true } }),
    }));
  });

  it('message waiting 0xE0: store group with UCS2 text, indication inactive, voicemail', () => {
    roundTrip(DELIVER_MWI_UCS2_STORE, deliver({
      dcs: dcs(0xe0, 'ucs2', { messageWaiting: { active: false, kind: 'voicemail', discard: false } }),
      userData: { header: null, text: 'Hi', data: Uint8Array.of(0x00, 0x48, 0x00, 0x69) },
    }));
  });

  it('compressed (0x24): user data counted in octets, text null', () => {
    roundTrip(DELIVER_COMPRESSED, deliver({
      dcs: dcs(0x24, '8bit', { compressed: true }),
      userData: { header: null, text: null, data: Uint8Array.of(0xaa, 0xbb, 0xcc) },
    }));
  });

  // The same two user data octets C8 34 under each DCS: "Hi" as GSM 7-bit septets, two data
  // octets as 8-bit or compressed, one UCS2 character U+C834 as UCS2.
  const GSM7_HI = { text: 'Hi', data: [0x48, 0x69] };
  const OCTETS = { text: null, data: [0xc8, 0x34] };
  const UCS2_C834 = { text: '\uC834', data: [0xc8, 0x34] };
  it.each([
    // raw, expected DCS fields (besides raw), user data
    ['10', { encoding: 'gsm7', messageClass: 0 }, GSM7_HI], // 0001 0000 class 0 (flash)
    ['11', { encoding: 'gsm7', messageClass: 1 }, GSM7_HI],
    ['12', { encoding: 'gsm7', messageClass: 2 }, GSM7_HI],
    ['13', { encoding: 'gsm7', messageClass: 3 }, GSM7_HI],
    ['16', { encoding: '8bit', messageClass: 2 }, OCTETS], // 8-bit, class 2 (SIM)
    ['18', { encoding: 'ucs2', messageClass: 0 }, UCS2_C834],
    ['0C', { encoding: 'gsm7' }, GSM7_HI], // alphabet 11 reserved -> default alphabet
    ['20', { encoding: 'gsm7', compressed: true }, OCTETS], // compressed: octets even for gsm7
    ['40', { encoding: 'gsm7', autoDelete: true }, GSM7_HI], // 01xx: marked for automatic deletion
    ['44', { encoding: '8bit', autoDelete: true }, OCTETS],
    ['55', { encoding: '8bit', autoDelete: true, messageClass: 1 }, OCTETS],
    ['80', { encoding: 'gsm7' }, GSM7_HI], // 1000: reserved coding group -> default alphabet
    ['B3', { encoding: 'gsm7' }, GSM7_HI], // 1011: reserved coding group
    ['C0', { encoding: 'gsm7', messageWaiting: { active: false, kind: 'voicemail', discard: true } }, GSM7_HI],
    ['C9', { encoding: 'gsm7', messageWaiting: { active: true, kind: 'fax', discard: true } }, GSM7_HI],
    ['D0', { encoding: 'gsm7', messageWaiting: { active: false, kind: 'voicemail', discard: false } }, GSM7_HI], // 1101 0 0 00
    ['D9', { encoding: 'gsm7', messageWaiting: { active: true, kind: 'fax', discard: false } }, GSM7_HI],
    ['DA', { encoding: 'gsm7', messageWaiting: { active: true, kind: 'email', discard: false } }, GSM7_HI],
    ['DB', { encoding: 'gsm7', messageWaiting: { active: true, kind: 'other', discard: false } }, GSM7_HI],
    ['EA', { encoding: 'ucs2', messageWaiting: { active: true, kind: 'email', discard: false } }, UCS2_C834],
    ['F0', { encoding: 'gsm7', messageClass: 0 }, GSM7_HI], // 1111 0 0 00
    ['F2', { encoding: 'gsm7', messageClass: 2 }, GSM7_HI],
    ['F4', { encoding: '8bit', messageClass: 0 }, OCTETS],
    ['F7', { encoding: '8bit', messageClass: 3 }, OCTETS],
  ] as const)('DCS %s', (dcsHex, fields, ud) => {
    const raw = parseInt(dcsHex, 16);
    const v: PduVector = {
      ...DELIVER_NATIONAL_NO_SMSC,
      name: `dcs ${dcsHex}`,
      hex: ['00', '04', '0A', 'A1', '1092997856', '00', dcsHex, '52011231024540', '02', 'C834'].join(''),
    };
    roundTrip(v, deliver({
      originator: { value: '0129998765', typeOfNumber: 'national', numberingPlan: 1 },
      dcs: dcs(raw, fields.encoding, fields),
      userData: { header: null, text: ud.text, data: Uint8Array.from(ud.data) },
    }));
  });
});
