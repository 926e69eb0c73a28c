/**
 * SMS-STATUS-REPORT decoding and re-encoding (3GPP TS 23.040 §9.2.2.3, §9.2.3.15 TP-ST,
 * §9.2.3.27 TP-PI), as a modem prints it after `+CDS:` (TS 27.005 §3.4.1).
 *
 * Public captures used (see test/fixtures/pdu/vectors.ts for the field-by-field breakdown):
 *  - REPORT_PYTHON_GSMMODEM and REPORT_ZTE: github.com/faucamp/python-gsmmodem test/test_pdu.py
 *    (the second is described there as "captured from a ZTE modem");
 *  - REPORT_AMRO_BARE_TPDU: a `+CDS:` line printed without the SMSC field, from
 *    amro.blogspot.com/2007/09/receiving-sms-status-report-message.html.
 */
import { describe, it, expect } from 'vitest';
import { decodePdu, encodePdu, timestampToIso } from '../../../src/sms/index.ts';
import type { DataCodingScheme, SmsAddress, SmsPdu, SmsStatusReport, SmsTimestamp } from '../../../src/sms/index.ts';
import {
  REPORT_AMRO_BARE_TPDU,
  REPORT_PERMANENT_INCOMPATIBLE,
  REPORT_PI_EXTENDED,
  REPORT_PI_NONE,
  REPORT_PI_PID_DCS,
  REPORT_PI_UCS2,
  REPORT_PI_UD_ONLY,
  REPORT_PI_WITH_TEXT,
  REPORT_PYTHON_GSMMODEM,
  REPORT_SRQ_MORE,
  REPORT_TEMPORARY_CONGESTION,
  REPORT_ZTE,
  asciiSeptets,
  hexBytes,
  tpduLengthOf,
  type PduVector,
} from '../../fixtures/pdu/vectors.ts';

const SMSC_DE: SmsAddress = { value: '491710760000', typeOfNumber: 'international', numberingPlan: 1 };
const ADDR_DE: SmsAddress = { value: '4917612345678', typeOfNumber: 'international', numberingPlan: 1 };
const TS_2025: SmsTimestamp = { year: 2025, month: 10, day: 21, hour: 13, minute: 20, second: 54, offsetQuarterHours: 4 };
const DT_2025: SmsTimestamp = { ...TS_2025, second: 55 };

function dcs(raw: number, encoding: DataCodingScheme['encoding']): DataCodingScheme {
  return { raw, encoding, messageClass: null, compressed: false, autoDelete: false, messageWaiting: null };
}

/** The hand-built reports: SMSC_DE, TP-MR 42, TP-RA +4917612345678, SCTS/DT one second apart. */
function report(fields: Partial<SmsStatusReport>): SmsStatusReport {
  return {
    type: 'status-report',
    smsc: SMSC_DE,
    moreMessagesToSend: false,
    loopPrevention: false,
    statusReportQualifier: false,
    messageReference: 42,
    recipient: ADDR_DE,
    timestamp: TS_2025,
    dischargeTime: DT_2025,
    status: 0x00,
    parameterIndicator: null,
    parameterIndicatorExtensions: [],
    protocolId: null,
    dcs: null,
    userData: null,
    ...fields,
  };
}

function roundTrip(v: PduVector, expected: SmsPdu): SmsStatusReport {
  const decoded = decodePdu(v.hex, { smscPrefix: v.smscPrefix });
  expect(decoded).toStrictEqual(expected);
  const encoded = encodePdu(decoded);
  const expectedHex = v.smscPrefix ? v.hex : `00${v.hex}`;
  expect(encoded.hex).toBe(expectedHex);
  expect(encoded.bytes).toStrictEqual(hexBytes(expectedHex));
  expect(encoded.tpduLength).toBe(tpduLengthOf(v));
  return decoded as SmsStatusReport;
}

describe('SMS-STATUS-REPORT public captures', () => {
  it('python-gsmmodem: TP-MR 214, delivered, report ends after TP-ST', () => {
    const decoded = roundTrip(REPORT_PYTHON_GSMMODEM, report({
      smsc: null,
      messageReference: 214,
      recipient: { value: '31628870634', typeOfNumber: 'international', numberingPlan: 1 },
      timestamp: { year: 2011, month: 1, day: 11, hour: 17, minute: 59, second: 15, offsetQuarterHours: 4 },
      dischargeTime: { year: 2011, month: 1, day: 11, hour: 17, minute: 59, second: 17, offsetQuarterHours: 4 },
    }));
    expect(timestampToIso(decoded.dischargeTime)).toBe('2011-01-11T17:59:17+01:00');
  });

  it('ZTE modem capture: one-digit SMSC with reserved NPI 7, recipient starting with semi-octet B (#)', () => {
    roundTrip(REPORT_ZTE, report({
      smsc: { value: '1', typeOfNumber: 'international', numberingPlan: 7 },
      messageReference: 28,
      recipient: { value: '#08427829207025', typeOfNumber: 'international', numberingPlan: 1 },
      timestamp: { year: 2013, month: 7, day: 26, hour: 14, minute: 29, second: 27, offsetQuarterHours: 8 },
      dischargeTime: { year: 2013, month: 7, day: 26, hour: 14, minute: 29, second: 31, offsetQuarterHours: 8 },
    }));
  });

  it('+CDS without the SMSC field: decoded with { smscPrefix: false }', () => {
    roundTrip(REPORT_AMRO_BARE_TPDU, report({
      smsc: null,
      messageReference: 0,
      recipient: { value: '20121875612', typeOfNumber: 'international', numberingPlan: 1 },
      timestamp: { year: 2007, month: 9, day: 12, hour: 15, minute: 10, second: 12, offsetQuarterHours: 8 },
      dischargeTime: { year: 2007, month: 9, day: 12, hour: 15, minute: 10, second: 17, offsetQuarterHours: 8 },
    }));
  });
});

describe('SMS-STATUS-REPORT TP-ST (TS 23.040 §9.2.3.15)', () => {
  it('0x20 temporary error, SC still trying (congestion)', () => {
    roundTrip(REPORT_TEMPORARY_CONGESTION, report({ status: 0x20 }));
  });

  it('0x41 permanent error, SC not trying (incompatible destination)', () => {
    roundTrip(REPORT_PERMANENT_INCOMPATIBLE, report({ status: 0x41 }));
  });

  it.each([
    ['00', 0x00], // received by the SME
    ['01', 0x01], // forwarded, delivery not confirmed
    ['02', 0x02], // replaced by the SC
    ['21', 0x21], // temporary, still trying: SME busy
    ['30', 0x30], // temporary, still trying: value specific to the SC
    ['40', 0x40], // permanent: remote procedure error
    ['46', 0x46], // permanent: validity period expired
    ['60', 0x60], // temporary, SC no longer trying: congestion
    ['FF', 0xff], // reserved values still decode (the SC decides what it sends)
  ])('TP-ST %s', (statusHex, status) => {
    const v: PduVector = {
      ...REPORT_TEMPORARY_CONGESTION,
      name: `status ${statusHex}`,
      hex: REPORT_TEMPORARY_CONGESTION.hex.slice(0, -2) + statusHex, // TP-ST is the last octet
    };
    roundTrip(v, report({ status }));
  });
});

describe('SMS-STATUS-REPORT first octet (TS 23.040 §9.2.2.3)', () => {
  it('TP-SRQ = 1 (report on an SMS-COMMAND) and TP-MMS = 0 (first octet 22)', () => {
    roundTrip(REPORT_SRQ_MORE, report({ statusReportQualifier: true, moreMessagesToSend: true }));
  });

  it.each([
    // first octet, moreMessagesToSend (MMS bit 2 = 0), loopPrevention (bit 3), SRQ (bit 5)
    ['02', true, false, false],
    ['06', false, false, false],
    ['0E', false, true, false],
    ['26', false, false, true],
  ])('first octet %s', (first, moreMessagesToSend, loopPrevention, statusReportQualifier) => {
    const v: PduVector = {
      ...REPORT_TEMPORARY_CONGESTION,
      name: `first ${first}`,
      // SMSC field is 8 octets (16 hex digits); the first octet follows it.
      hex: REPORT_TEMPORARY_CONGESTION.hex.slice(0, 16) + first + REPORT_TEMPORARY_CONGESTION.hex.slice(18),
    };
    roundTrip(v, report({ status: 0x20, moreMessagesToSend, loopPrevention, statusReportQualifier }));
  });
});

describe('SMS-STATUS-REPORT TP-PI and optional fields (TS 23.040 §9.2.3.27)', () => {
  it('ends right after TP-ST: parameterIndicator, protocolId, dcs, userData all null', () => {
    const decoded = roundTrip(REPORT_TEMPORARY_CONGESTION, report({ status: 0x20 }));
    expect(decoded.parameterIndicator).toBeNull();
    expect(decoded.userData).toBeNull();
  });

  it('TP-PI 00: present but announcing nothing', () => {
    roundTrip(REPORT_PI_NONE, report({ parameterIndicator: 0x00 }));
  });

  it('TP-PI 03: TP-PID and TP-DCS, no user data', () => {
    roundTrip(REPORT_PI_PID_DCS, report({ parameterIndicator: 0x03, protocolId: 0, dcs: dcs(0x00, 'gsm7') }));
  });

  it('TP-PI 07: TP-PID, TP-DCS and GSM 7-bit user data "Delivered"', () => {
    roundTrip(REPORT_PI_WITH_TEXT, report({
      parameterIndicator: 0x07,
      protocolId: 0,
      dcs: dcs(0x00, 'gsm7'),
      userData: { header: null, text: 'Delivered', data: asciiSeptets('Delivered') },
    }));
  });

  it('TP-PI 04: user data without TP-DCS is read in the default alphabet', () => {
    roundTrip(REPORT_PI_UD_ONLY, report({
      parameterIndicator: 0x04,
      userData: { header: null, text: 'Hi', data: Uint8Array.of(0x48, 0x69) },
    }));
  });

  it('TP-PI 06: TP-DCS UCS2 and user data, no TP-PID', () => {
    roundTrip(REPORT_PI_UCS2, report({
      parameterIndicator: 0x06,
      dcs: dcs(0x08, 'ucs2'),
      userData: { header: null, text: 'OK', data: Uint8Array.of(0x00, 0x4f, 0x00, 0x4b) },
    }));
  });

  it('TP-PI with the extension bit (83 00): fields decoded and the PDU re-encodes unchanged', () => {
    const decoded = decodePdu(REPORT_PI_EXTENDED.hex) as SmsStatusReport;
    expect(decoded).toStrictEqual(report({ parameterIndicator: 0x83, parameterIndicatorExtensions: [0x00], protocolId: 0, dcs: dcs(0x00, 'gsm7') }));
    // §9.2.3.27: bit 7 says another TP-PI octet follows. Whatever the codec keeps of it, a decoded
    // report must re-encode to the octets it came from (encodePdu is the inverse of decodePdu).
    const encoded = encodePdu(decoded);
    expect(encoded.hex).toBe(REPORT_PI_EXTENDED.hex);
    expect(encoded.tpduLength).toBe(tpduLengthOf(REPORT_PI_EXTENDED));
  });
});
