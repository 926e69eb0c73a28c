/**
 * SMS-SUBMIT decoding and re-encoding (3GPP TS 23.040 §9.2.2.2, §9.2.3.12 TP-VP), in both
 * directions for every vector of test/fixtures/pdu/vectors.ts, plus the relative validity table.
 */
import { describe, it, expect } from 'vitest';
import {
  decodePdu,
  encodePdu,
  relativeValiditySeconds,
  splitIntoSubmitPdus,
  validityPeriodSeconds,
} from '../../../src/sms/index.ts';
import type { DataCodingScheme, SmsAddress, SmsPdu, SmsSubmit, UserData, ValidityPeriod } from '../../../src/sms/index.ts';
import {
  SUBMIT_8BIT_TEXT_BYTES,
  SUBMIT_ABSOLUTE_VP,
  SUBMIT_ALL_FLAGS,
  SUBMIT_COAP,
  SUBMIT_COAP_CONCAT_PART1,
  SUBMIT_COAP_CONCAT_PART2,
  SUBMIT_COAP_WITH_SMSC_VP,
  SUBMIT_CONCAT_LOREM_PART1,
  SUBMIT_CONCAT_LOREM_PART3,
  SUBMIT_DIAFAAN,
  SUBMIT_ENHANCED_VP,
  SUBMIT_HELLO_WORLD,
  SUBMIT_HOWDY,
  SUBMIT_NATIONAL_SRR,
  SUBMIT_RELATIVE_24H,
  SUBMIT_UCS2_HIRAGANA,
  SUBMIT_UCS2_RELATIVE_VP,
  asciiSeptets,
  hexBytes,
  tpduLengthOf,
  type PduVector,
} from '../../fixtures/pdu/vectors.ts';

const SMSC_DE: SmsAddress = { value: '491710760000', typeOfNumber: 'international', numberingPlan: 1 };
const ADDR_DE: SmsAddress = { value: '4917612345678', typeOfNumber: 'international', numberingPlan: 1 };

function dcs(raw: number, encoding: DataCodingScheme['encoding']): DataCodingScheme {
  return { raw, encoding, messageClass: null, compressed: false, autoDelete: false, messageWaiting: null };
}
const DCS_GSM7 = dcs(0x00, 'gsm7');
const DCS_8BIT = dcs(0x04, '8bit');
const DCS_UCS2 = dcs(0x08, 'ucs2');

const UD_HI: UserData = { header: null, text: 'Hi', data: Uint8Array.of(0x48, 0x69) };

function gsm7(text: string): UserData {
  return { header: null, text, data: asciiSeptets(text) };
}

function submit(fields: Partial<SmsSubmit>): SmsSubmit {
  return {
    type: 'submit',
    smsc: null,
    rejectDuplicates: false,
    replyPath: false,
    statusReportRequest: false,
    messageReference: 0,
    destination: ADDR_DE,
    protocolId: 0,
    dcs: DCS_GSM7,
    validityPeriod: null,
    userData: UD_HI,
    ...fields,
  };
}

/** Both directions: decode deep-equals `expected`, encode gives the same hex and TPDU length. */
function roundTrip(v: PduVector, expected: SmsPdu): SmsSubmit {
  const decoded = decodePdu(v.hex, { smscPrefix: v.smscPrefix });
  expect(decoded).toStrictEqual(expected);
  const encoded = encodePdu(decoded);
  expect(encoded.hex).toBe(v.hex.toUpperCase());
  expect(encoded.bytes).toStrictEqual(hexBytes(v.hex));
  expect(encoded.tpduLength).toBe(tpduLengthOf(v));
  return decoded as SmsSubmit;
}

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.Ut enim ad minim veniam, quinostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.Duis aute irure dolor in reprehenderit in voluptate velit esse cillum doloe eu fugiat nulla pariatur.Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum';

describe('SMS-SUBMIT (TS 23.040 §9.2.2.2)', () => {
  it('minimal: no SMSC, no TP-VP, TP-MR 0 ("Howdy y\'all!")', () => {
    const decoded = roundTrip(SUBMIT_HOWDY, submit({
      destination: { value: '15125551234', typeOfNumber: 'international', numberingPlan: 1 },
      userData: gsm7("Howdy y'all!"),
    }));
    expect(encodePdu(decoded).tpduLength).toBe(24); // AT+CMGS=24: 25 octets minus the 00 SMSC octet
  });

  it('"Hello World!" to +27820001111 (python-gsmmodem encoder vector)', () => {
    roundTrip(SUBMIT_HELLO_WORLD, submit({
      destination: { value: '27820001111', typeOfNumber: 'international', numberingPlan: 1 },
      userData: gsm7('Hello World!'),
    }));
  });

  it('with an SMSC, UCS2 text and relative TP-VP 0xF4 (52 weeks)', () => {
    const decoded = roundTrip(SUBMIT_UCS2_RELATIVE_VP, submit({
      smsc: { value: '44000000000', typeOfNumber: 'international', numberingPlan: 1 },
      destination: { value: '123456789', typeOfNumber: 'international', numberingPlan: 1 },
      dcs: DCS_UCS2,
      validityPeriod: { format: 'relative', code: 0xf4 },
      userData: {
        header: null,
        text: '世界您好！',
        data: Uint8Array.of(0x4e, 0x16, 0x75, 0x4c, 0x60, 0xa8, 0x59, 0x7d, 0xff, 0x01),
      },
    }));
    expect(validityPeriodSeconds(decoded.validityPeriod as ValidityPeriod)).toBe(52 * 7 * 86400);
  });

  it('national SMSC and destination, TP-SRR, TP-MR 13, TP-VP 0xA9 (3 days)', () => {
    const decoded = roundTrip(SUBMIT_NATIONAL_SRR, submit({
      smsc: { value: '12345', typeOfNumber: 'national', numberingPlan: 1 },
      statusReportRequest: true,
      messageReference: 13,
      destination: { value: '0126541234', typeOfNumber: 'national', numberingPlan: 1 },
      validityPeriod: { format: 'relative', code: 0xa9 },
      userData: gsm7('Test message: local numbers'),
    }));
    expect(validityPeriodSeconds(decoded.validityPeriod as ValidityPeriod)).toBe(3 * 86400);
  });

  it('absolute TP-VP (VPF 11): a 7-octet time stamp', () => {
    const decoded = roundTrip(SUBMIT_ABSOLUTE_VP, submit({
      destination: { value: '27820001111', typeOfNumber: 'international', numberingPlan: 1 },
      validityPeriod: {
        format: 'absolute',
        timestamp: { year: 2013, month: 7, day: 10, hour: 13, minute: 39, second: 0, offsetQuarterHours: 8 },
      },
      userData: gsm7('Timestamp validity test'),
    }));
    // An absolute period has no duration without a clock.
    expect(validityPeriodSeconds(decoded.validityPeriod as ValidityPeriod)).toBeNull();
  });

  it('SRR with relative VP and an SMSC (diafaan example)', () => {
    roundTrip(SUBMIT_DIAFAAN, submit({
      smsc: { value: '31624000000', typeOfNumber: 'international', numberingPlan: 1 },
      statusReportRequest: true,
      messageReference: 13,
      destination: { value: '31628870634', typeOfNumber: 'international', numberingPlan: 1 },
      validityPeriod: { format: 'relative', code: 0xa9 },
      userData: gsm7('www.diafaan.com'),
    }));
  });

  it('8-bit data (DCS 0x04) keeps the octets and has no text', () => {
    roundTrip(SUBMIT_8BIT_TEXT_BYTES, submit({
      smsc: { value: '2781191', typeOfNumber: 'international', numberingPlan: 1 },
      destination: { value: '27821234567', typeOfNumber: 'international', numberingPlan: 1 },
      dcs: DCS_8BIT,
      userData: { header: null, text: null, data: Uint8Array.from(Buffer.from('Hello world!', 'latin1')) },
    }));
  });

  it('UCS2 hiragana/kanji text', () => {
    roundTrip(SUBMIT_UCS2_HIRAGANA, submit({
      smsc: { value: '34646456456', typeOfNumber: 'international', numberingPlan: 1 },
      destination: { value: '34616585119', typeOfNumber: 'international', numberingPlan: 1 },
      dcs: DCS_UCS2,
      userData: { header: null, text: 'あ叶葉', data: Uint8Array.of(0x30, 0x42, 0x53, 0xf6, 0x84, 0x49) },
    }));
  });

  it('TP-RP, TP-SRR, TP-RD all set and TP-MR 255 (first octet A5)', () => {
    roundTrip(SUBMIT_ALL_FLAGS, submit({
      replyPath: true,
      statusReportRequest: true,
      rejectDuplicates: true,
      messageReference: 255,
    }));
  });

  it.each([
    // first octet, rejectDuplicates (bit 2), statusReportRequest (bit 5), replyPath (bit 7)
    ['01', false, false, false],
    ['05', true, false, false],
    ['21', false, true, false],
    ['81', false, false, true],
  ])('first octet %s', (first, rejectDuplicates, statusReportRequest, replyPath) => {
    const v: PduVector = {
      ...SUBMIT_ALL_FLAGS,
      name: `first ${first}`,
      hex: ['00', first, '7F', '0D', '91', '947116325476F8', '00', '00', '02', 'C834'].join(''),
    };
    roundTrip(v, submit({ rejectDuplicates, statusReportRequest, replyPath, messageReference: 0x7f }));
  });
});

describe('SMS-SUBMIT concatenated parts (TS 23.040 §9.2.3.24.1)', () => {
  it('GSM 7-bit part 1 of 3 at the 160-septet maximum (7 header + 153 text septets)', () => {
    expect(LOREM).toHaveLength(153 + 153 + 133);
    roundTrip(SUBMIT_CONCAT_LOREM_PART1, submit({
      rejectDuplicates: true,
      destination: { value: '15125551234', typeOfNumber: 'international', numberingPlan: 1 },
      userData: {
        header: {
          elements: [{ iei: 0x00, data: Uint8Array.of(0, 3, 1) }],
          concatenation: { reference: 0, referenceBits: 8, total: 3, sequence: 1 },
          ports: null,
        },
        text: LOREM.slice(0, 153),
        data: asciiSeptets(LOREM.slice(0, 153)),
      },
    }));
  });

  it('GSM 7-bit part 3 of 3 (140 septets)', () => {
    roundTrip(SUBMIT_CONCAT_LOREM_PART3, submit({
      rejectDuplicates: true,
      destination: { value: '15125551234', typeOfNumber: 'international', numberingPlan: 1 },
      userData: {
        header: {
          elements: [{ iei: 0x00, data: Uint8Array.of(0, 3, 3) }],
          concatenation: { reference: 0, referenceBits: 8, total: 3, sequence: 3 },
          ports: null,
        },
        text: LOREM.slice(306),
        data: asciiSeptets(LOREM.slice(306)),
      },
    }));
  });

  it.each([
    { v: SUBMIT_COAP_CONCAT_PART1, sequence: 1, data: [0x42, 0x02, 0x12, 0x34, 0xab, 0xcd, 0xb2, 0x72, 0x64] },
    { v: SUBMIT_COAP_CONCAT_PART2, sequence: 2, data: [0xff, 0x3c, 0x2f, 0x31, 0x3e] },
  ])('8-bit CoAP part $sequence of 2 (6-octet header, no fill bits)', ({ v, sequence, data }) => {
    roundTrip(v, submit({
      dcs: DCS_8BIT,
      userData: {
        header: {
          elements: [{ iei: 0x00, data: Uint8Array.of(7, 2, sequence) }],
          concatenation: { reference: 7, referenceBits: 8, total: 2, sequence },
          ports: null,
        },
        text: null,
        data: Uint8Array.from(data),
      },
    }));
  });
});

describe('SMS-SUBMIT as the gateway sends CoAP (DCS 0x04)', () => {
  const COAP = Uint8Array.of(0x42, 0x02, 0x12, 0x34, 0xab, 0xcd, 0xb2, 0x72, 0x64);

  it('no SMSC, no VP: 8-bit data, TP-UDL in octets', () => {
    const decoded = roundTrip(SUBMIT_COAP, submit({ dcs: DCS_8BIT, userData: { header: null, text: null, data: COAP } }));
    expect(encodePdu(decoded).tpduLength).toBe(1 + 1 + 9 + 1 + 1 + 1 + 9); // first, MR, DA, PID, DCS, UDL, UD
  });

  it('with SMSC and relative VP 0xA7 (24 h)', () => {
    roundTrip(SUBMIT_COAP_WITH_SMSC_VP, submit({
      smsc: SMSC_DE,
      dcs: DCS_8BIT,
      validityPeriod: { format: 'relative', code: 0xa7 },
      userData: { header: null, text: null, data: COAP },
    }));
  });

  it('splitIntoSubmitPdus produces exactly the hand-written vectors', () => {
    const [plain, ...rest] = splitIntoSubmitPdus({ destination: '+4917612345678', payload: { data: COAP } });
    expect(rest).toHaveLength(0);
    expect(plain?.hex).toBe(SUBMIT_COAP.hex);
    expect(plain?.tpduLength).toBe(tpduLengthOf(SUBMIT_COAP));
    expect(plain?.pdu).toStrictEqual(decodePdu(SUBMIT_COAP.hex));

    const [withVp] = splitIntoSubmitPdus({
      destination: '+4917612345678',
      smsc: '+491710760000',
      validityPeriod: { format: 'relative', code: 0xa7 },
      payload: { data: COAP },
    });
    expect(withVp?.hex).toBe(SUBMIT_COAP_WITH_SMSC_VP.hex);
    expect(withVp?.tpduLength).toBe(tpduLengthOf(SUBMIT_COAP_WITH_SMSC_VP));
  });
});

describe('TP-VP (TS 23.040 §9.2.3.12)', () => {
  it('relative 0xA7 = 24 hours', () => {
    const decoded = roundTrip(SUBMIT_RELATIVE_24H, submit({ validityPeriod: { format: 'relative', code: 0xa7 } }));
    expect(validityPeriodSeconds(decoded.validityPeriod as ValidityPeriod)).toBe(24 * 3600);
  });

  // §9.2.3.12.1: 0..143 (VP+1) x 5 min; 144..167 12 h + (VP-143) x 30 min; 168..196 (VP-166) days;
  // 197..255 (VP-192) weeks.
  it.each([
    ['00', 0, 5 * 60], // 5 minutes
    ['8F', 143, 12 * 3600], // 144 x 5 min = 12 h
    ['90', 144, 12 * 3600 + 30 * 60], // 12 h 30 min
    ['A7', 167, 24 * 3600], // 12 h + 24 x 30 min
    ['A8', 168, 2 * 86400], // 2 days
    ['C4', 196, 30 * 86400], // 30 days
    ['C5', 197, 5 * 7 * 86400], // 5 weeks
    ['FF', 255, 63 * 7 * 86400], // 63 weeks
  ])('relative code %s (%i) lasts %i s', (vpHex, code, seconds) => {
    expect(relativeValiditySeconds(code)).toBe(seconds);
    const v: PduVector = {
      ...SUBMIT_RELATIVE_24H,
      name: `vp ${vpHex}`,
      hex: [
        '00', // no SMSC
        '11', // SMS-SUBMIT, VPF=10 relative
        '00', // TP-MR
        '0D', '91', '947116325476F8', // TP-DA +4917612345678
        '00', // TP-PID
        '00', // TP-DCS
        vpHex, // TP-VP relative
        '02', 'C834', // "Hi"
      ].join(''),
    };
    const decoded = roundTrip(v, submit({ validityPeriod: { format: 'relative', code } }));
    expect(validityPeriodSeconds(decoded.validityPeriod as ValidityPeriod)).toBe(seconds);
  });

  it('the relative table grows strictly over 0..255', () => {
    for (let code = 1; code <= 255; code++) {
      expect(relativeValiditySeconds(code)).toBeGreaterThan(relativeValiditySeconds(code - 1));
    }
  });

  it('enhanced (VPF 01): functionality 0x02 = relative in seconds, 7 octets kept', () => {
    const decoded = roundTrip(SUBMIT_ENHANCED_VP, submit({
      messageReference: 42,
      dcs: DCS_8BIT,
      validityPeriod: { format: 'enhanced', octets: Uint8Array.of(0x02, 0x3c, 0, 0, 0, 0, 0) },
      userData: { header: null, text: null, data: Uint8Array.of(0xca, 0xfe) },
    }));
    expect(validityPeriodSeconds(decoded.validityPeriod as ValidityPeriod)).toBe(60);
  });

  it.each([
    // enhanced TP-VP octets, seconds (§9.2.3.12.3: bits 2..0 of the functionality octet)
    ['00000000000000', null], // 000: no validity period
    ['01A70000000000', 24 * 3600], // 001: relative, one octet as §9.2.3.12.1
    ['02FF0000000000', 255], // 010: relative, integer seconds
    ['42050000000000', 5], // single-shot bit 6 set, still 010
    ['03214365000000', 12 * 3600 + 34 * 60 + 56], // 011: HH MM SS in swapped semi-octets (12:34:56)
    ['04010000000000', null], // 100: reserved
  ] as const)('enhanced %s -> %s s', (octetsHex, seconds) => {
    const v: PduVector = {
      ...SUBMIT_ENHANCED_VP,
      name: `enhanced ${octetsHex}`,
      hex: [
        '00', // no SMSC
        '09', // SMS-SUBMIT, VPF=01 enhanced
        '2A', // TP-MR 42
        '0D', '91', '947116325476F8', // TP-DA
        '00', // TP-PID
        '04', // TP-DCS 8-bit
        octetsHex, // TP-VP, 7 octets
        '02', 'CAFE', // data
      ].join(''),
    };
    const decoded = roundTrip(v, submit({
      messageReference: 42,
      dcs: DCS_8BIT,
      validityPeriod: { format: 'enhanced', octets: hexBytes(octetsHex) },
      userData: { header: null, text: null, data: Uint8Array.of(0xca, 0xfe) },
    }));
    expect(validityPeriodSeconds(decoded.validityPeriod as ValidityPeriod)).toBe(seconds);
  });
});
