import { describe, expect, it } from 'vitest';
import { DeliveryReportMatcher, sameRecipient } from '../../../src/modem/delivery-reports.ts';

const HOUR_MS = 3_600_000;

describe('sameRecipient', () => {
  it.each([
    ['+491701234567', '491701234567', true], // only the + differs
    ['+491701234567', '01701234567', true], // national form with trunk prefix
    ['+491701234567', '1701234567', true], // without country code and trunk prefix
    ['+491701234567', '+491701234568', false],
    ['+491701234567', '34567', false], // too short to be sure
    ['', '', false],
  ])('%s vs %s → %s', (a, b, expected) => {
    expect(sameRecipient(a, b)).toBe(expected);
  });
});

describe('DeliveryReportMatcher', () => {
  it('matches by reference and recipient, once', () => {
    const matcher = new DeliveryReportMatcher();
    matcher.record({ messageId: 'a', part: 1, messageReference: 7, recipient: '491701234567', sentAtMs: 1000 });
    matcher.record({ messageId: 'b', part: 1, messageReference: 7, recipient: '491709999999', sentAtMs: 1000 });
    expect(matcher.match(7, '+491709999999', 2000)?.messageId).toBe('b');
    expect(matcher.match(7, '+491709999999', 2000)).toBeNull();
    expect(matcher.match(8, '491701234567', 2000)).toBeNull();
    expect(matcher.match(7, '01701234567', 2000)?.messageId).toBe('a');
    expect(matcher.size).toBe(0);
  });

  it('across the 255 wrap, a report goes to the latest send of that reference before it', () => {
    const matcher = new DeliveryReportMatcher();
    // 300 sends to one recipient: references 250..255, 0..255, 0..37 (the modem's counter wraps).
    for (let n = 0; n < 300; n++) {
      matcher.record({ messageId: `m${n}`, part: 1, messageReference: (250 + n) % 256, recipient: '491701234567', sentAtMs: n * 1000 });
    }
    // Reference 3 was used by send 9 (t=9 s) and send 265 (t=265 s).
    expect(matcher.match(3, '491701234567', 100_000)?.messageId).toBe('m9'); // only send 9 precedes it
    expect(matcher.match(3, '491701234567', 300_000)?.messageId).toBe('m265');
    expect(matcher.match(3, '491701234567', 300_000)).toBeNull(); // both used up
    // Reference 255 was used once (send 5); a report before it was sent matches nothing.
    expect(matcher.match(255, '491701234567', 4_000)).toBeNull();
    expect(matcher.match(255, '491701234567', 6_000)?.messageId).toBe('m5');
  });

  it('ignores sends outside the window and prunes them', () => {
    const matcher = new DeliveryReportMatcher({ windowMs: HOUR_MS });
    matcher.record({ messageId: 'old', part: 2, messageReference: 1, recipient: '491701234567', sentAtMs: 0 });
    expect(matcher.match(1, '491701234567', HOUR_MS + 1)).toBeNull();
    expect(matcher.prune(HOUR_MS + 1).map((p) => `${p.messageId}/${p.part}`)).toEqual(['old/2']);
    expect(matcher.size).toBe(0);
  });

  it('keeps at most maxPending parts, dropping the oldest', () => {
    const matcher = new DeliveryReportMatcher({ maxPending: 3 });
    for (let n = 0; n < 5; n++) matcher.record({ messageId: `m${n}`, part: 1, messageReference: n, recipient: '491701234567', sentAtMs: n });
    expect(matcher.size).toBe(3);
    expect(matcher.match(0, '491701234567', 10)).toBeNull();
    expect(matcher.match(4, '491701234567', 10)?.messageId).toBe('m4');
  });
});
