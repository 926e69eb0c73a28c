/**
 * Time fields of a TPDU: TP-SCTS and TP-DT (3GPP TS 23.040 §9.2.3.11, §9.2.3.13) and TP-VP
 * (§9.2.3.12) in its relative, absolute and enhanced formats.
 */
import { DecodeError, EncodeError } from '../shared/errors.ts';
import type { SmsTimestamp, ValidityPeriod } from './types.ts';

/** TS 23.040 §9.2.3.11: a time stamp is 7 octets of swapped semi-octets. */
export const TIMESTAMP_OCTETS = 7;

function swappedBcd(octet: number, field: string, offset: number): number {
  const units = octet >> 4;
  const tens = octet & 0x0f;
  if (units > 9 || tens > 9) {
    throw new DecodeError('GW_ERR_PDU_FIELD', field, offset, `0x${octet.toString(16).padStart(2, '0')} is not a decimal semi-octet pair`);
  }
  return tens * 10 + units;
}

/**
 * TP-SCTS carries two year digits. They are read in the window 1990..2089: no SMSC dates
 * earlier, and the classic 3GPP-era examples (year 99) keep their meaning.
 */
const YEAR_WINDOW_START = 1990;

function yearOf(twoDigits: number): number {
  const century = twoDigits >= YEAR_WINDOW_START % 100 ? 1900 : 2000;
  return century + twoDigits;
}

function toSwappedBcd(value: number): number {
  return ((value % 10) << 4) | Math.floor(value / 10);
}

/**
 * Decodes 7 time-stamp octets. Only the digit encoding is checked (each semi-octet 0..9, the
 * time zone's sign in bit 3): SMSCs send odd values (zero dates in reports) that must not make
 * a message unreadable. `offset` is the field's position in the PDU, for errors.
 */
export function decodeTimestamp(octets: Uint8Array, field: string, offset: number): SmsTimestamp {
  const zone = octets[6] ?? 0;
  // §9.2.3.11: the time zone is in quarters of an hour; bit 3 of the first (low) semi-octet is
  // the sign, the rest of that semi-octet is the tens digit.
  const zoneTens = zone & 0x07;
  const zoneUnits = zone >> 4;
  if (zoneUnits > 9) {
    throw new DecodeError('GW_ERR_PDU_FIELD', field, offset + 6, 'time zone is not a decimal semi-octet pair');
  }
  const quarters = zoneTens * 10 + zoneUnits;
  return {
    year: yearOf(swappedBcd(octets[0] ?? 0, field, offset + 0)),
    month: swappedBcd(octets[1] ?? 0, field, offset + 1),
    day: swappedBcd(octets[2] ?? 0, field, offset + 2),
    hour: swappedBcd(octets[3] ?? 0, field, offset + 3),
    minute: swappedBcd(octets[4] ?? 0, field, offset + 4),
    second: swappedBcd(octets[5] ?? 0, field, offset + 5),
    offsetQuarterHours: (zone & 0x08) !== 0 ? -quarters : quarters,
  };
}

/** Encodes a time stamp to 7 octets. Raises {@link EncodeError} on values out of range. */
export function encodeTimestamp(timestamp: SmsTimestamp, field = 'TP-SCTS'): Uint8Array {
  const { year, month, day, hour, minute, second, offsetQuarterHours } = timestamp;
  const parts = [year % 100, month, day, hour, minute, second];
  const yearInWindow = Number.isInteger(year) && year >= YEAR_WINDOW_START && year < YEAR_WINDOW_START + 100;
  if (!yearInWindow || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 99)) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', field, `year must be ${YEAR_WINDOW_START}..${YEAR_WINDOW_START + 99} and other parts 0..99`);
  }
  if (!Number.isInteger(offsetQuarterHours) || Math.abs(offsetQuarterHours) > 79) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', field, 'time zone must be -79..79 quarter hours');
  }
  const zone = toSwappedBcd(Math.abs(offsetQuarterHours)) | (offsetQuarterHours < 0 ? 0x08 : 0);
  return Uint8Array.from([...parts.map(toSwappedBcd), zone]);
}

/** ISO 8601 text of a time stamp with its own offset, e.g. `2026-11-23T17:49:54+01:00`. */
export function timestampToIso(timestamp: SmsTimestamp): string {
  const offsetMinutes = Math.abs(timestamp.offsetQuarterHours) * 15;
  const sign = timestamp.offsetQuarterHours < 0 ? '-' : '+';
  return (
    `${timestamp.year}-${two(timestamp.month)}-${two(timestamp.day)}` +
    `T${two(timestamp.hour)}:${two(timestamp.minute)}:${two(timestamp.second)}` +
    `${sign}${two(Math.floor(offsetMinutes / 60))}:${two(offsetMinutes % 60)}`
  );
}

/** Two decimal digits (a module function, not a closure per call: this runs once per SMS). */
function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** Milliseconds since the epoch of a time stamp (its offset applied). */
export function timestampToEpochMs(timestamp: SmsTimestamp): number {
  const { year, month, day, hour, minute, second, offsetQuarterHours } = timestamp;
  return Date.UTC(year, month - 1, day, hour, minute, second) - offsetQuarterHours * 15 * 60_000;
}

/** TS 23.040 §9.2.3.12.1: seconds of a relative validity period code (0..255). */
export function relativeValiditySeconds(code: number): number {
  const minute = 60;
  if (code <= 143) return (code + 1) * 5 * minute;
  if (code <= 167) return 12 * 3600 + (code - 143) * 30 * minute;
  if (code <= 196) return (code - 166) * 86400;
  return (code - 192) * 7 * 86400;
}

/** The smallest relative validity code whose period is at least `seconds` (capped at 255). */
export function relativeValidityCode(seconds: number): number {
  for (let code = 0; code <= 255; code++) {
    if (relativeValiditySeconds(code) >= seconds) return code;
  }
  return 255;
}

/**
 * Seconds a validity period lasts, or null when it cannot be told without a clock (absolute)
 * or the enhanced format gives none (TS 23.040 §9.2.3.12.3).
 */
export function validityPeriodSeconds(vp: ValidityPeriod): number | null {
  if (vp.format === 'relative') return relativeValiditySeconds(vp.code);
  if (vp.format === 'absolute') return null;
  const [functionality = 0, a = 0, b = 0, c = 0] = vp.octets;
  switch (functionality & 0x07) {
    case 1:
      return relativeValiditySeconds(a);
    case 2:
      return a;
    case 3: {
      const bcd = (octet: number): number => (octet & 0x0f) * 10 + (octet >> 4);
      return bcd(a) * 3600 + bcd(b) * 60 + bcd(c);
    }
    default:
      return null;
  }
}
