/**
 * The de-duplication key must not change between releases: keys written by an earlier gateway
 * (`seen:<key>` in Redis, kept for days) must match the same PDU read again after an upgrade.
 * The expected values were computed with the earlier implementation (one `createHash` fed the
 * originator/time stamp/DCS line, each header element, then the user data).
 */
import { describe, expect, it } from 'vitest';
import { dedupeKey } from '../../../src/inbox/inbound-message.ts';
import { decodePdu, type SmsDeliver } from '../../../src/sms/index.ts';

const deliver = (hex: string): SmsDeliver => {
  const pdu = decodePdu(hex);
  if (pdu.type !== 'deliver') throw new Error('not a deliver');
  return pdu;
};

describe('dedupeKey', () => {
  it('is stable for a single 8-bit SMS', () => {
    // No SMSC, SMS-DELIVER from +491701110000, DCS 0x04, 2026-12-07 02:00:00 +00, data 010203.
    expect(dedupeKey(deliver('00040C91947110110000000462217020000000' + '03010203'))).toBe('ba4fe08e8c777abf8410a43d28404660');
  });

  it('is stable for a part with a header (concatenation IE 0x00: ref 0x2A, 2 parts, part 1)', () => {
    expect(dedupeKey(deliver('00440C91947110110000000462217020000000' + '080500032A02010A0B'))).toBe('261eaaf011e3c9d2e4fda54e0b4ac37b');
  });
});
