/**
 * The adaptive receive route's state table and burst rule (pure; times are given).
 */
import { describe, expect, it } from 'vitest';
import { storedCounterpart } from '../../../src/modem/modem-init.ts';
import { parseRangeList } from '../../../src/modem/at/line-parser.ts';
import { BurstDetector, nextReceiveRouteState, RECEIVE_ROUTE_THRESHOLDS, routeOfState } from '../../../src/modem/receive-route-states.ts';
import { initialRouteState } from '../../../src/modem/receive-route.ts';

describe('receive route states', () => {
  it('direct → to-stored → stored → to-direct → direct; a refusal fixes the route where it was', () => {
    expect(nextReceiveRouteState('direct', 'burst')).toBe('to-stored');
    expect(nextReceiveRouteState('to-stored', 'switched')).toBe('stored');
    expect(nextReceiveRouteState('stored', 'quiet')).toBe('to-direct');
    expect(nextReceiveRouteState('to-direct', 'switched')).toBe('direct');
    expect(nextReceiveRouteState('to-stored', 'refused')).toBe('direct-fixed');
    expect(nextReceiveRouteState('to-direct', 'refused')).toBe('stored-fixed');
    for (const event of ['burst', 'switched', 'refused', 'quiet'] as const) {
      expect(nextReceiveRouteState('direct-fixed', event)).toBeNull();
      expect(nextReceiveRouteState('stored-fixed', event)).toBeNull();
    }
    expect(nextReceiveRouteState('stored', 'burst')).toBeNull();
    expect(nextReceiveRouteState('direct', 'quiet')).toBeNull();
  });

  it('reports the route the modem routes by until a switch was answered', () => {
    expect(['direct', 'to-stored', 'direct-fixed'].map((s) => routeOfState(s as 'direct'))).toEqual(['direct', 'direct', 'direct']);
    expect(['stored', 'to-direct', 'stored-fixed'].map((s) => routeOfState(s as 'stored'))).toEqual(['stored', 'stored', 'stored']);
  });

  it('is adaptive only when asked, on direct delivery, with a stored setting and batch reads', () => {
    const base = { adaptive: true, route: 'direct' as const, storedCnmi: '2,1,0,2,0', batchRead: true };
    expect(initialRouteState(base)).toBe('direct');
    expect(initialRouteState({ ...base, adaptive: false })).toBe('direct-fixed');
    expect(initialRouteState({ ...base, storedCnmi: null })).toBe('direct-fixed');
    expect(initialRouteState({ ...base, batchRead: false })).toBe('direct-fixed');
    expect(initialRouteState({ ...base, route: 'stored' })).toBe('stored-fixed');
  });

  it('the stored counterpart keeps every field but <mt>, and only where AT+CNMI=? offers it', () => {
    const ranges = '(0-2),(0-3),(0,2),(0-2),(0,1)'.match(/\([^)]*\)/g)?.map((r) => parseRangeList(r, '+CNMI')) ?? [];
    expect(storedCounterpart('2,2,0,2,0', ranges)).toBe('2,1,0,2,0');
    expect(storedCounterpart('2,1,0,2,0', ranges)).toBeNull();
    const directOnly = '(2),(0,2),(0),(0-2),(0)'.match(/\([^)]*\)/g)?.map((r) => parseRangeList(r, '+CNMI')) ?? [];
    expect(storedCounterpart('2,2,0,1,0', directOnly)).toBeNull();
  });
});

describe('burst detector', () => {
  const { backToBackGapMs, burstLength } = RECEIVE_ROUTE_THRESHOLDS;
  it('switches on the second SMS of a run (the first one back to back)', () => {
    expect(burstLength).toBe(1);
  });

  it(`${burstLength} +CMT in a row, each within ${backToBackGapMs} ms of the previous acknowledgement, are a burst`, () => {
    const detector = new BurstDetector(RECEIVE_ROUTE_THRESHOLDS);
    let now = 1000;
    const verdicts: boolean[] = [];
    for (let i = 0; i <= burstLength; i++) {
      verdicts.push(detector.arrived(now));
      now += 5;
      detector.acknowledged(now);
      now += backToBackGapMs;
    }
    expect(verdicts).toEqual([...Array.from({ length: burstLength }, () => false), true]);
  });

  it('a slower SMS, a refusal or a lone SMS start the count again', () => {
    const detector = new BurstDetector({ ...RECEIVE_ROUTE_THRESHOLDS, burstLength: 3 });
    let now = 0;
    const step = (gapMs: number, ack = true): boolean => {
      now += gapMs;
      const burst = detector.arrived(now);
      if (ack) detector.acknowledged(now);
      else detector.reset();
      return burst;
    };
    // A lone SMS, two back to back, one too slow, two, one refused, then a fresh run to the burst.
    expect([step(0), step(1), step(1), step(backToBackGapMs + 1), step(1), step(1, false), step(1), step(1), step(1), step(1)])
      .toEqual([false, false, false, false, false, false, false, false, false, true]);
  });
});
