/**
 * SMS addresses: TP-OA / TP-DA / TP-RA (3GPP TS 23.040 §9.1.2.5) and the SMSC address
 * (TS 24.011 §8.2.5.2, as modems print it in front of the TPDU, TS 27.005 §3.1 <pdu>).
 */
import { DecodeError, EncodeError } from '../shared/errors.ts';
import type { PduReader } from './byte-reader.ts';
import { decodeGsm7Septets, encodeGsm7Septets, packSeptets, unpackSeptets } from './gsm7.ts';
import type { SmsAddress, TypeOfNumber } from './types.ts';

/** TS 23.040 §9.1.2.5: bits 6..4 of the type-of-address octet, in code order. */
export const TYPES_OF_NUMBER: readonly TypeOfNumber[] = [
  'unknown',
  'international',
  'national',
  'network-specific',
  'subscriber',
  'alphanumeric',
  'abbreviated',
  'reserved',
];

/** TS 23.040 §9.1.2.3: semi-octet values 0..14 as characters; 15 is the fill code. */
const BCD_DIGITS = '0123456789*#abc';

/** TS 23.040 §9.1.2.5: an address value holds at most 20 semi-octets (10 octets). */
const MAX_ADDRESS_SEMI_OCTETS = 20;

/** E.164 numbering plan, the one every mobile number uses. */
export const NPI_ISDN = 1;

/** The longest alphanumeric address: 20 semi-octets hold 11 packed septets. */
export const MAX_ALPHANUMERIC_LENGTH = 11;

function typeOfAddressOctet(address: SmsAddress): number {
  const ton = TYPES_OF_NUMBER.indexOf(address.typeOfNumber);
  // Bit 7 is always 1 (TS 23.040 §9.1.2.5).
  return 0x80 | (ton << 4) | (address.numberingPlan & 0x0f);
}

function decodeTypeOfAddress(octet: number): Pick<SmsAddress, 'typeOfNumber' | 'numberingPlan'> {
  return {
    typeOfNumber: TYPES_OF_NUMBER[(octet >> 4) & 0x07] ?? 'unknown',
    numberingPlan: octet & 0x0f,
  };
}

function decodeSemiOctets(octets: Uint8Array, digitCount: number, field: string, offset: number): string {
  let digits = '';
  for (let i = 0; i < digitCount; i++) {
    const octet = octets[i >> 1] ?? 0;
    const nibble = i % 2 === 0 ? octet & 0x0f : octet >> 4;
    const digit = BCD_DIGITS[nibble];
    if (digit === undefined) {
      throw new DecodeError('GW_ERR_PDU_FIELD', field, offset + 2 + (i >> 1), 'fill code inside the digits');
    }
    digits += digit;
  }
  return digits;
}

function encodeSemiOctets(digits: string, field: string): Uint8Array {
  const octets = new Uint8Array(Math.ceil(digits.length / 2));
  for (let i = 0; i < digits.length; i++) {
    const nibble = BCD_DIGITS.indexOf(digits[i] ?? '');
    if (nibble < 0) throw new EncodeError('GW_ERR_SMS_ENCODE', field, `"${digits[i]}" is not a digit`);
    const index = i >> 1;
    octets[index] = (octets[index] ?? 0) | (i % 2 === 0 ? nibble : nibble << 4);
  }
  if (digits.length % 2 === 1) octets[octets.length - 1] = (octets[octets.length - 1] ?? 0) | 0xf0;
  return octets;
}

/**
 * Reads a TP address (originator, destination or recipient): length in useful semi-octets,
 * type of address, value. Alphanumeric values (TON 101) are GSM 7-bit packed
 * (TS 23.040 §9.1.2.5). Raises {@link DecodeError} on truncation or a length over 20.
 */
export function readTpAddress(reader: PduReader, field: string): SmsAddress {
  const offset = reader.offset;
  const semiOctets = reader.byte(`${field} length`);
  if (semiOctets > MAX_ADDRESS_SEMI_OCTETS) {
    throw new DecodeError('GW_ERR_PDU_FIELD', field, offset, `address length ${semiOctets} exceeds 20 digits`);
  }
  const type = decodeTypeOfAddress(reader.byte(`${field} type`));
  const octets = reader.take(Math.ceil(semiOctets / 2), field);
  if (type.typeOfNumber === 'alphanumeric') {
    const septetCount = Math.floor((semiOctets * 4) / 7);
    return { ...type, value: decodeGsm7Septets(unpackSeptets(octets, septetCount)) };
  }
  return { ...type, value: decodeSemiOctets(octets, semiOctets, field, offset) };
}

/**
 * Reads the SMSC address that modems print before the TPDU: a length in octets (type octet
 * included), 0 meaning "none, use the default" (TS 24.011 §8.2.5.2). Returns null for length 0.
 */
export function readSmscAddress(reader: PduReader): SmsAddress | null {
  const offset = reader.offset;
  const octetCount = reader.byte('SMSC length');
  if (octetCount === 0) return null;
  if (octetCount > 1 + MAX_ADDRESS_SEMI_OCTETS / 2) {
    throw new DecodeError('GW_ERR_PDU_FIELD', 'SMSC', offset, `length ${octetCount} exceeds 11 octets`);
  }
  const type = decodeTypeOfAddress(reader.byte('SMSC type'));
  const octets = reader.take(octetCount - 1, 'SMSC');
  let digitCount = octets.length * 2;
  if (digitCount > 0 && (octets[octets.length - 1] ?? 0) >> 4 === 0x0f) digitCount -= 1;
  if (type.typeOfNumber === 'alphanumeric') {
    return { ...type, value: decodeGsm7Septets(unpackSeptets(octets, Math.floor((octets.length * 8) / 7))) };
  }
  return { ...type, value: decodeSemiOctets(octets, digitCount, 'SMSC', offset) };
}

function encodeAddressValue(address: SmsAddress, field: string): { semiOctets: number; octets: Uint8Array } {
  if (address.typeOfNumber === 'alphanumeric') {
    const septets = encodeGsm7Septets(address.value);
    if (septets.length > MAX_ALPHANUMERIC_LENGTH) {
      throw new EncodeError('GW_ERR_SMS_ENCODE', field, `alphanumeric address longer than ${MAX_ALPHANUMERIC_LENGTH} septets`);
    }
    return { semiOctets: Math.ceil((septets.length * 7) / 4), octets: packSeptets(septets) };
  }
  if (address.value.length > MAX_ADDRESS_SEMI_OCTETS) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', field, 'more than 20 digits');
  }
  return { semiOctets: address.value.length, octets: encodeSemiOctets(address.value, field) };
}

/** Encodes a TP address field (length in semi-octets, type, value). Raises {@link EncodeError}. */
export function encodeTpAddress(address: SmsAddress, field = 'TP-DA'): Uint8Array {
  const { semiOctets, octets } = encodeAddressValue(address, field);
  return Uint8Array.from([semiOctets, typeOfAddressOctet(address), ...octets]);
}

/** Encodes the SMSC field; `null` gives the single octet 00 ("use the modem's default"). */
export function encodeSmscAddress(address: SmsAddress | null): Uint8Array {
  if (address === null) return Uint8Array.of(0);
  const { octets } = encodeAddressValue(address, 'SMSC');
  return Uint8Array.from([octets.length + 1, typeOfAddressOctet(address), ...octets]);
}

/**
 * Parses an address as people write it: `+<digits>` is international E.164, plain digits
 * (and `*#`) are of unknown type with the E.164 plan (what phones send), anything else up
 * to 11 GSM characters is alphanumeric. Spaces, dashes and dots between digits are ignored.
 * Raises {@link EncodeError} (GW_ERR_SMS_ENCODE) naming `field` when the text fits none.
 */
export function parseAddressText(text: string, field = 'address'): SmsAddress {
  const compact = text.replace(/[\s.\-()]/g, '');
  const numeric = /^(\+?)([0-9*#]{1,20})$/.exec(compact);
  if (numeric) {
    const international = numeric[1] === '+';
    return {
      value: numeric[2] ?? '',
      typeOfNumber: international ? 'international' : 'unknown',
      numberingPlan: NPI_ISDN,
    };
  }
  if (text.length === 0 || /^\+/.test(compact)) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', field, `"${text}" is not a phone number`);
  }
  const septets = encodeGsm7Septets(text);
  if (septets.length > MAX_ALPHANUMERIC_LENGTH) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', field, `"${text}" is neither a number nor an alphanumeric address of at most 11 characters`);
  }
  return { value: text, typeOfNumber: 'alphanumeric', numberingPlan: 0 };
}

/** The address as people read it: digits with a leading `+` when international, else the value. */
export function formatAddress(address: SmsAddress): string {
  return address.typeOfNumber === 'international' ? `+${address.value}` : address.value;
}
