/**
 * TP-UDL and TP-UD (3GPP TS 23.040 §9.2.3.16, §9.2.3.24): header, fill bits and body in the
 * three alphabets of TS 23.038.
 */
import { DecodeError, EncodeError } from '../shared/errors.ts';
import type { PduReader } from './byte-reader.ts';
import { decodeGsm7Septets, gsm7FillBits, packSeptets, unpackSeptets } from './gsm7.ts';
import { decodeUserDataHeader, encodeUserDataHeader } from './udh.ts';
import type { DataCodingScheme, InformationElement, SmsEncoding, UserData } from './types.ts';

/** TS 23.040 §9.2.3.24: at most 140 octets of user data, i.e. 160 septets of GSM 7-bit text. */
export const MAX_USER_DATA_OCTETS = 140;
export const MAX_USER_DATA_SEPTETS = 160;

/** Number of septets a header of `headerOctets` octets (UDHL included) occupies, fill bits included. */
export function headerSeptets(headerOctets: number): number {
  return Math.ceil((headerOctets * 8) / 7);
}

/**
 * Text of UTF-16 big-endian octets (TS 23.038 §6.2.3 UCS2; surrogate pairs stay pairs).
 * Raises {@link DecodeError} (GW_ERR_PDU_TEXT, at `offset`) for an odd number of octets.
 */
export function decodeUcs2(octets: Uint8Array, offset = 0): string {
  if (octets.length % 2 !== 0) {
    throw new DecodeError('GW_ERR_PDU_TEXT', 'TP-UD', offset, 'UCS2 text has an odd number of octets');
  }
  let text = '';
  for (let i = 0; i < octets.length; i += 2) {
    text += String.fromCharCode(((octets[i] ?? 0) << 8) | (octets[i + 1] ?? 0));
  }
  return text;
}

/**
 * Reads TP-UDL and TP-UD. `hasHeader` is TP-UDHI. For GSM 7-bit the length counts septets
 * including the header and its fill bits; otherwise octets. Raises {@link DecodeError} when the
 * length exceeds the maximum, the data is short, the header is malformed or UCS2 is odd.
 */
export function readUserData(reader: PduReader, dcs: DataCodingScheme, hasHeader: boolean): UserData {
  const lengthOffset = reader.offset;
  const udl = reader.byte('TP-UDL');
  const septetMode = dcs.encoding === 'gsm7' && !dcs.compressed;
  if (udl > (septetMode ? MAX_USER_DATA_SEPTETS : MAX_USER_DATA_OCTETS)) {
    throw new DecodeError('GW_ERR_PDU_FIELD', 'TP-UDL', lengthOffset, `length ${udl} exceeds the maximum`);
  }
  const dataOffset = reader.offset;
  const octets = reader.take(septetMode ? Math.ceil((udl * 7) / 8) : udl, 'TP-UD');
  let bodyOctets = octets;
  let header = null;
  let headerOctets = 0;
  if (hasHeader) {
    const udhl = octets[0];
    headerOctets = (udhl ?? 0) + 1;
    const headerUnits = septetMode ? headerSeptets(headerOctets) : headerOctets;
    if (udhl === undefined || headerUnits > udl) {
      throw new DecodeError('GW_ERR_PDU_UDH', 'TP-UDHL', dataOffset, 'header longer than the user data');
    }
    header = decodeUserDataHeader(octets.subarray(1, headerOctets), dataOffset + 1);
    bodyOctets = octets.subarray(headerOctets);
  }
  const bodyOffset = dataOffset + headerOctets;
  if (septetMode) {
    const septetCount = udl - (hasHeader ? headerSeptets(headerOctets) : 0);
    const septets = unpackSeptets(bodyOctets, septetCount, hasHeader ? gsm7FillBits(headerOctets) : 0);
    return { header, text: decodeGsm7Septets(septets), data: septets };
  }
  const data = Uint8Array.from(bodyOctets);
  if (dcs.compressed || dcs.encoding === '8bit') return { header, text: null, data };
  return { header, text: decodeUcs2(data, bodyOffset), data };
}

/**
 * Encodes TP-UDL followed by TP-UD. `body` is septets for gsm7 and octets otherwise; the
 * header elements (if any) come first, with fill bits for gsm7. Raises {@link EncodeError}
 * (GW_ERR_SMS_ENCODE) when the result does not fit in one SMS.
 */
export function encodeUserData(
  encoding: SmsEncoding,
  elements: readonly InformationElement[] | null,
  body: Uint8Array,
): Uint8Array {
  const header = elements === null ? new Uint8Array(0) : encodeUserDataHeader(elements);
  if (encoding === 'gsm7') {
    const fill = header.length > 0 ? gsm7FillBits(header.length) : 0;
    const udl = (header.length > 0 ? headerSeptets(header.length) : 0) + body.length;
    if (udl > MAX_USER_DATA_SEPTETS) {
      throw new EncodeError('GW_ERR_SMS_ENCODE', 'TP-UD', `${udl} septets exceed ${MAX_USER_DATA_SEPTETS}`);
    }
    return Uint8Array.from([udl, ...header, ...packSeptets(body, fill)]);
  }
  const udl = header.length + body.length;
  if (udl > MAX_USER_DATA_OCTETS) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', 'TP-UD', `${udl} octets exceed ${MAX_USER_DATA_OCTETS}`);
  }
  return Uint8Array.from([udl, ...header, ...body]);
}

/** UTF-16 big-endian code units of `text` (TS 23.038 §6.2.3). */
export function encodeUcs2(text: string): Uint8Array {
  const octets = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    octets[i * 2] = unit >> 8;
    octets[i * 2 + 1] = unit & 0xff;
  }
  return octets;
}
