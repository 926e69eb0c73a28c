import { describe, expect, it } from 'vitest';
import { diagnoseTrigger, tpStatusClass, tpStatusName } from '../../../src/queue/delivery-status.ts';

describe('tpStatusClass (TS 23.040 §9.2.3.15 ranges)', () => {
  it('classifies each range by its bounds', () => {
    expect([0x00, 0x1f, 0x20, 0x3f, 0x40, 0x5f, 0x60, 0x7f].map(tpStatusClass)).toEqual([
      'completed', 'completed', 'temporary-trying', 'temporary-trying', 'permanent', 'permanent', 'temporary-final', 'temporary-final',
    ]);
  });
  it('ignores the reserved bit 7', () => {
    expect(tpStatusClass(0xc1)).toBe('permanent');
  });
});

describe('tpStatusName', () => {
  it('names the values of the table, and SC-specific and reserved ones by their range', () => {
    expect(tpStatusName(0x41)).toBe('0x41 incompatible destination (permanent error)');
    expect(tpStatusName(0x00)).toBe('0x00 short message received by the SME (delivered)');
    expect(tpStatusName(0x21)).toBe('0x21 SME busy (temporary error, SC still trying)');
    expect(tpStatusName(0x62)).toBe('0x62 no response from SME (temporary error, SC gave up)');
    expect(tpStatusName(0x55)).toBe('0x55 SC-specific value (permanent error)');
    expect(tpStatusName(0x4a)).toBe('0x4a reserved value (permanent error)');
  });
});

describe('diagnoseTrigger', () => {
  it('no report until every part reported delivered', () => {
    expect(diagnoseTrigger(1, 'm', 2, new Map([[1, 0]]), false)).toMatchObject({ delivery: 'no-report', diagnosis: 'no report' });
    expect(diagnoseTrigger(1, 'm', 1, new Map(), false)).toMatchObject({ delivery: 'no-report' });
  });
  it('delivered: silent or answered', () => {
    expect(diagnoseTrigger(2, 'm', 2, new Map([[1, 0], [2, 1]]), false)).toMatchObject({ trigger: 2, delivery: 'delivered', diagnosis: 'delivered, device silent' });
    expect(diagnoseTrigger(1, 'm', 1, new Map([[1, 0]]), true)).toMatchObject({ diagnosis: 'delivered, device answered' });
  });
  it('the worst part decides: a permanent error over a temporary one over delivered', () => {
    const d = diagnoseTrigger(1, 'm', 3, new Map([[1, 0], [2, 0x62], [3, 0x43]]), false);
    expect(d).toMatchObject({ delivery: 'undeliverable', status: 0x43, permanent: true, diagnosis: 'undeliverable (0x43 not obtainable (permanent error))' });
    expect(diagnoseTrigger(1, 'm', 1, new Map([[1, 0x21]]), false)).toMatchObject({ delivery: 'undeliverable', permanent: false });
  });
});
