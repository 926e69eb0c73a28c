/**
 * How stored and incoming messages are printed (TS 27.005 §3.4.1, §3.5.1, §4.1–§4.4): PDU mode
 * headers with `<length>` in TPDU octets, and text mode headers and data. Pure.
 */
import { hexToBytes } from '../../shared/hex.ts';
import { TYPES_OF_NUMBER, decodePdu, formatAddress, type SmsAddress, type SmsPdu, type SmsTimestamp, type UserData } from '../../sms/index.ts';
import { TEXT_STAT, type StoredSms } from './sms-storage.ts';

/** The octets of a PDU with SMSC field, and where its TPDU starts. */
export interface PduLayout {
  readonly bytes: Uint8Array;
  /** Octets of the SMSC field including its length octet. */
  readonly smscOctets: number;
  /** Octets of the TPDU. */
  readonly tpduLength: number;
}

/**
 * Splits a PDU (SMSC field + TPDU, hex) without decoding the TPDU.
 * @returns null when the text is not hex or the SMSC field runs past the end.
 */
export function pduLayout(pduHex: string): PduLayout | null {
  const bytes = hexToBytes(pduHex);
  if (bytes === null || bytes.length === 0) return null;
  const smscOctets = 1 + (bytes[0] ?? 0);
  if (smscOctets > bytes.length) return null;
  return { bytes, smscOctets, tpduLength: bytes.length - smscOctets };
}

/** Decodes a PDU with SMSC field, or null when it does not decode. */
export function tryDecode(pduHex: string): SmsPdu | null {
  try {
    return decodePdu(pduHex);
  } catch {
    return null;
  }
}

/** The type-of-address octet of an address (145 international, 129 unknown, …). */
export function typeOfAddress(address: SmsAddress): number {
  return 0x80 | (Math.max(0, TYPES_OF_NUMBER.indexOf(address.typeOfNumber)) << 4) | (address.numberingPlan & 0x0f);
}

/** `"yy/MM/dd,hh:mm:ss±zz"` (TS 27.005 §3.1 `<scts>`, TS 27.007 `+CCLK` format). */
export function formatTimestamp(t: SmsTimestamp): string {
  const two = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const zone = `${t.offsetQuarterHours < 0 ? '-' : '+'}${two(t.offsetQuarterHours)}`;
  return `"${two(t.year % 100)}/${two(t.month)}/${two(t.day)},${two(t.hour)}:${two(t.minute)}:${two(t.second)}${zone}"`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/**
 * Text-mode `<data>` (TS 27.005 §3.1): GSM 7-bit text as characters (or UCS2 hex when `AT+CSCS`
 * is `UCS2`), UCS2 and 8-bit data as hexadecimal. Characters above U+00FF become `?`, since the
 * port carries bytes.
 */
export function textData(userData: UserData | null, encoding: string, cscs: string): string {
  if (userData === null) return '';
  if (encoding === 'gsm7' && userData.text !== null) {
    if (cscs === 'UCS2') return Buffer.from(userData.text, 'utf16le').swap16().toString('hex').toUpperCase();
    return userData.text.replace(/[^\u0000-\u00ff]/g, '?');
  }
  return hex(userData.data);
}

function address(a: SmsAddress | null): string {
  return a === null ? '""' : `"${formatAddress(a)}"`;
}

/** The first octet of the TPDU of `pduHex`. */
function firstOctet(pduHex: string): number {
  const layout = pduLayout(pduHex);
  return layout?.bytes[layout.smscOctets] ?? 0;
}

/** Where a text-mode header is printed; the fields differ (TS 27.005 §3.4.1, §3.4.2, §3.4.3). */
export type TextContext = { readonly kind: 'cmgr'; readonly stat: number } | { readonly kind: 'cmgl'; readonly index: number; readonly stat: number } | { readonly kind: 'cmt' };

/**
 * Text-mode header and data lines of a message. `csdh` = `AT+CSDH` (show the extra fields).
 * A PDU that does not decode is shown as its hex with an empty header.
 */
export function formatTextMessage(message: Pick<StoredSms, 'pduHex'>, where: TextContext, csdh: number, cscs: string): string[] {
  const pdu = tryDecode(message.pduHex);
  const stat = where.kind === 'cmt' ? '' : `"${TEXT_STAT[where.stat] ?? 'REC READ'}",`;
  const lead = where.kind === 'cmgl' ? `+CMGL: ${where.index},${stat}` : where.kind === 'cmgr' ? `+CMGR: ${stat}` : '+CMT: ';
  if (pdu === null) return [`${lead}""`, message.pduHex];
  const fo = firstOctet(message.pduHex);
  const sca = pdu.smsc === null ? '""' : address(pdu.smsc);
  const tosca = pdu.smsc === null ? '' : String(typeOfAddress(pdu.smsc));
  if (pdu.type === 'status-report') {
    const fields = `${fo},${pdu.messageReference},${address(pdu.recipient)},${typeOfAddress(pdu.recipient)},${formatTimestamp(pdu.timestamp)},${formatTimestamp(pdu.dischargeTime)},${pdu.status}`;
    return [where.kind === 'cmt' ? `+CDS: ${fields}` : `${lead}${fields}`];
  }
  const data = textData(pdu.userData, pdu.dcs.encoding, cscs);
  if (pdu.type === 'deliver') {
    const oa = address(pdu.originator);
    const scts = formatTimestamp(pdu.timestamp);
    if (where.kind === 'cmgl') {
      return [`${lead}${oa},,${scts}${csdh === 1 ? `,${typeOfAddress(pdu.originator)},${data.length}` : ''}`, data];
    }
    const extra = csdh === 1 ? `,${typeOfAddress(pdu.originator)},${fo},${pdu.protocolId},${pdu.dcs.raw},${sca},${tosca},${data.length}` : '';
    return [`${lead}${oa},,${scts}${extra}`, data];
  }
  const da = address(pdu.destination);
  if (where.kind === 'cmgl') return [`${lead}${da},,${csdh === 1 ? `,${typeOfAddress(pdu.destination)},${data.length}` : ''}`, data];
  const vp = pdu.validityPeriod?.format === 'relative' ? String(pdu.validityPeriod.code) : '';
  const extra = csdh === 1 ? `,${typeOfAddress(pdu.destination)},${fo},${pdu.protocolId},${pdu.dcs.raw},${vp},${sca},${tosca},${data.length}` : '';
  return [`${lead}${da},${extra}`, data];
}

/** PDU-mode `+CMGR: <stat>,,<length>` / `+CMGL: <index>,<stat>,,<length>` and the PDU line. */
export function formatPduMessage(message: StoredSms, where: TextContext): string[] {
  switch (where.kind) {
    case 'cmgr':
      return [`+CMGR: ${where.stat},,${message.tpduLength}`, message.pduHex];
    case 'cmgl':
      return [`+CMGL: ${where.index},${where.stat},,${message.tpduLength}`, message.pduHex];
    case 'cmt':
      return [message.kind === 'status-report' ? `+CDS: ${message.tpduLength}` : `+CMT: ,${message.tpduLength}`, message.pduHex];
  }
}
