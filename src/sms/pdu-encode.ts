/**
 * Encoding of SMS PDUs (3GPP TS 23.040 §9.2.2) in the form written after the `AT+CMGS` prompt
 * (TS 27.005 §3.5.1): SMSC address field, then the TPDU. The inverse of {@link decodePdu} for
 * every value it returns.
 */
import { EncodeError } from '../shared/errors.ts';
import { bytesToHex } from '../shared/hex.ts';
import { encodeSmscAddress, encodeTpAddress } from './address.ts';
import { decodeDcs } from './dcs.ts';
import { encodeTimestamp } from './timestamp.ts';
import { encodeUserData } from './user-data.ts';
import type { DataCodingScheme, SmsDeliver, SmsPdu, SmsStatusReport, SmsSubmit, UserData, ValidityPeriod } from './types.ts';

/** An encoded PDU, ready for `AT+CMGS=<tpduLength>` and the prompt. */
export interface EncodedPdu {
  /** SMSC field followed by the TPDU. */
  readonly bytes: Uint8Array;
  /** Upper-case hexadecimal text of `bytes`, what is written after the `> ` prompt. */
  readonly hex: string;
  /** Octets of the TPDU alone (SMSC field excluded): the `<length>` of `AT+CMGS` (TS 27.005 §3.5.1). */
  readonly tpduLength: number;
}

function octet(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', field, `${value} is not an octet (0..255)`);
  }
  return value;
}

function userDataOctets(userData: UserData, dcs: DataCodingScheme): Uint8Array {
  const septetMode = dcs.encoding === 'gsm7' && !dcs.compressed;
  return encodeUserData(septetMode ? 'gsm7' : '8bit', userData.header?.elements ?? null, userData.data);
}

function encodeValidityPeriod(vp: ValidityPeriod | null): { vpf: number; octets: Uint8Array } {
  if (vp === null) return { vpf: 0b00, octets: new Uint8Array(0) };
  switch (vp.format) {
    case 'relative':
      return { vpf: 0b10, octets: Uint8Array.of(octet(vp.code, 'TP-VP')) };
    case 'enhanced':
      if (vp.octets.length !== 7) throw new EncodeError('GW_ERR_SMS_ENCODE', 'TP-VP', 'enhanced format needs 7 octets');
      return { vpf: 0b01, octets: Uint8Array.from(vp.octets) };
    case 'absolute':
      return { vpf: 0b11, octets: encodeTimestamp(vp.timestamp, 'TP-VP') };
  }
}

/** TP-UDHI follows the presence of a header, even an empty one (UDHL 00). */
function hasHeader(userData: UserData | null): boolean {
  return userData?.header != null;
}

function deliverTpdu(pdu: SmsDeliver): number[] {
  const first =
    0b00 | // TP-MTI SMS-DELIVER
    (pdu.moreMessagesToSend ? 0 : 0x04) | // TP-MMS (inverted)
    (pdu.loopPrevention ? 0x08 : 0) |
    (pdu.statusReportIndication ? 0x20 : 0) |
    (hasHeader(pdu.userData) ? 0x40 : 0) |
    (pdu.replyPath ? 0x80 : 0);
  return [
    first,
    ...encodeTpAddress(pdu.originator, 'TP-OA'),
    octet(pdu.protocolId, 'TP-PID'),
    octet(pdu.dcs.raw, 'TP-DCS'),
    ...encodeTimestamp(pdu.timestamp, 'TP-SCTS'),
    ...userDataOctets(pdu.userData, pdu.dcs),
  ];
}

function submitTpdu(pdu: SmsSubmit): number[] {
  const vp = encodeValidityPeriod(pdu.validityPeriod);
  const first =
    0b01 | // TP-MTI SMS-SUBMIT
    (pdu.rejectDuplicates ? 0x04 : 0) |
    (vp.vpf << 3) |
    (pdu.statusReportRequest ? 0x20 : 0) |
    (hasHeader(pdu.userData) ? 0x40 : 0) |
    (pdu.replyPath ? 0x80 : 0);
  return [
    first,
    octet(pdu.messageReference, 'TP-MR'),
    ...encodeTpAddress(pdu.destination, 'TP-DA'),
    octet(pdu.protocolId, 'TP-PID'),
    octet(pdu.dcs.raw, 'TP-DCS'),
    ...vp.octets,
    ...userDataOctets(pdu.userData, pdu.dcs),
  ];
}

function statusReportTpdu(pdu: SmsStatusReport): number[] {
  const first =
    0b10 | // TP-MTI SMS-STATUS-REPORT
    (pdu.moreMessagesToSend ? 0 : 0x04) |
    (pdu.loopPrevention ? 0x08 : 0) |
    (pdu.statusReportQualifier ? 0x20 : 0) |
    (hasHeader(pdu.userData) ? 0x40 : 0);
  const bytes = [
    first,
    octet(pdu.messageReference, 'TP-MR'),
    ...encodeTpAddress(pdu.recipient, 'TP-RA'),
    ...encodeTimestamp(pdu.timestamp, 'TP-SCTS'),
    ...encodeTimestamp(pdu.dischargeTime, 'TP-DT'),
    octet(pdu.status, 'TP-ST'),
  ];
  if (pdu.parameterIndicator === null) return bytes;
  // §9.2.3.27: the indicator announces which optional fields follow.
  const pi =
    (octet(pdu.parameterIndicator, 'TP-PI') & 0xf8) |
    (pdu.protocolId !== null ? 0x01 : 0) |
    (pdu.dcs !== null ? 0x02 : 0) |
    (pdu.userData !== null ? 0x04 : 0);
  bytes.push(pi, ...pdu.parameterIndicatorExtensions.map((value) => octet(value, 'TP-PI')));
  if (pdu.protocolId !== null) bytes.push(octet(pdu.protocolId, 'TP-PID'));
  if (pdu.dcs !== null) bytes.push(octet(pdu.dcs.raw, 'TP-DCS'));
  if (pdu.userData !== null) {
    // Without TP-DCS the default alphabet applies (TS 23.038 §4, DCS 00).
    bytes.push(...userDataOctets(pdu.userData, pdu.dcs ?? decodeDcs(0)));
  }
  return bytes;
}

/**
 * Encodes any decoded PDU back to bytes. The user data is taken from `userData.data`
 * (septets for GSM 7-bit), not from `text`, so a decode/encode round trip is exact.
 * Raises {@link EncodeError} for values that do not fit their fields.
 */
export function encodePdu(pdu: SmsPdu): EncodedPdu {
  const smsc = encodeSmscAddress(pdu.smsc);
  const tpdu = pdu.type === 'deliver' ? deliverTpdu(pdu) : pdu.type === 'submit' ? submitTpdu(pdu) : statusReportTpdu(pdu);
  const bytes = Uint8Array.from([...smsc, ...tpdu]);
  return { bytes, hex: bytesToHex(bytes).toUpperCase(), tpduLength: tpdu.length };
}
