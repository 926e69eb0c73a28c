/**
 * The device-side reassembler of concatenated SMS (3GPP TS 23.040 §9.2.3.24.1): parts are keyed
 * by originator, reference and part count, come out in sequence order, and incomplete messages
 * are dropped by age or for room. Time is a fake clock; no timers.
 */
import { describe, expect, it } from 'vitest';
import { SmsReassembler } from '../../../../src/sim/device/index.ts';
import type { Concatenation } from '../../../../src/sms/index.ts';

const GATEWAY = '491700000099';
const OTHER = '491700000077';

function part(reference: number, total: number, sequence: number, referenceBits: 8 | 16 = 8): Concatenation {
  return { reference, referenceBits, total, sequence };
}

function data(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}

function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString('latin1');
}

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let nowMs = 1_000;
  return { now: () => nowMs, advance: (ms) => (nowMs += ms) };
}

describe('SmsReassembler', () => {
  it('returns a single SMS at once (no concatenation element, or a total of 1)', () => {
    const r = new SmsReassembler();
    expect(text(r.add(GATEWAY, null, data('abc')))).toBe('abc');
    expect(text(r.add(GATEWAY, part(7, 1, 1), data('xyz')))).toBe('xyz');
    expect(r.stats.completed).toBe(2);
    expect(r.pendingMessages).toBe(0);
  });

  it('joins parts in sequence order whatever order they arrive in', () => {
    const r = new SmsReassembler();
    expect(r.add(GATEWAY, part(42, 3, 3), data('C'))).toBeNull();
    expect(r.add(GATEWAY, part(42, 3, 1), data('A'))).toBeNull();
    expect(r.pendingMessages).toBe(1);
    expect(text(r.add(GATEWAY, part(42, 3, 2), data('B')))).toBe('ABC');
    expect(r.pendingMessages).toBe(0);
  });

  it('keeps the first copy of a repeated part and counts the duplicate', () => {
    const r = new SmsReassembler();
    r.add(GATEWAY, part(1, 2, 1), data('first'));
    expect(r.add(GATEWAY, part(1, 2, 1), data('again'))).toBeNull();
    expect(r.stats.duplicateParts).toBe(1);
    expect(text(r.add(GATEWAY, part(1, 2, 2), data('+second')))).toBe('first+second');
  });

  it('never mixes messages of two senders, two part counts or two reference widths', () => {
    const r = new SmsReassembler();
    r.add(GATEWAY, part(5, 2, 1), data('g1'));
    r.add(OTHER, part(5, 2, 1), data('o1'));
    r.add(GATEWAY, part(5, 3, 1), data('t1'));
    r.add(GATEWAY, part(5, 2, 1, 16), data('w1'));
    expect(r.pendingMessages).toBe(4);
    expect(text(r.add(OTHER, part(5, 2, 2), data('o2')))).toBe('o1o2');
    expect(text(r.add(GATEWAY, part(5, 2, 2, 16), data('w2')))).toBe('w1w2');
    expect(text(r.add(GATEWAY, part(5, 2, 2), data('g2')))).toBe('g1g2');
    expect(r.pendingMessages).toBe(1); // the 3-part one
  });

  it('does not share memory with the parts it was given', () => {
    const r = new SmsReassembler();
    const first = data('AB');
    r.add(GATEWAY, part(9, 2, 1), first);
    first.fill(0);
    expect(text(r.add(GATEWAY, part(9, 2, 2), data('CD')))).toBe('ABCD');
  });

  it('drops an incomplete message older than maxAgeMs', () => {
    const clock = fakeClock();
    const r = new SmsReassembler({ maxAgeMs: 1_000, now: clock.now });
    r.add(GATEWAY, part(3, 2, 1), data('old'));
    clock.advance(1_001);
    // The late second part starts a new message: the first part is gone.
    expect(r.add(GATEWAY, part(3, 2, 2), data('late'))).toBeNull();
    expect(r.stats.discarded).toBe(1);
    expect(r.pendingMessages).toBe(1);
  });

  it('keeps a message exactly maxAgeMs old', () => {
    const clock = fakeClock();
    const r = new SmsReassembler({ maxAgeMs: 1_000, now: clock.now });
    r.add(GATEWAY, part(3, 2, 1), data('a'));
    clock.advance(1_000);
    expect(text(r.add(GATEWAY, part(3, 2, 2), data('b')))).toBe('ab');
  });

  it('drops the oldest incomplete message beyond maxPendingMessages', () => {
    const r = new SmsReassembler({ maxPendingMessages: 2 });
    r.add(GATEWAY, part(1, 2, 1), data('1'));
    r.add(GATEWAY, part(2, 2, 1), data('2'));
    r.add(GATEWAY, part(3, 2, 1), data('3'));
    expect(r.pendingMessages).toBe(2);
    expect(r.stats.discarded).toBe(1);
    expect(r.add(GATEWAY, part(1, 2, 2), data('x'))).toBeNull(); // message 1 was evicted
    expect(text(r.add(GATEWAY, part(3, 2, 2), data('y')))).toBe('3y');
  });

  it('clear drops everything pending', () => {
    const r = new SmsReassembler();
    r.add(GATEWAY, part(1, 2, 1), data('1'));
    r.clear();
    expect(r.pendingMessages).toBe(0);
    expect(r.stats.discarded).toBe(1);
  });
});
