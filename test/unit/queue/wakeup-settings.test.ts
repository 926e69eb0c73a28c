import { describe, expect, it } from 'vitest';
import { backoffDelayMs, WAKEUP_DEFAULTS, wakeupSettingsFor } from '../../../src/queue/wakeup-settings.ts';

describe('backoffDelayMs', () => {
  const settings = { backoffMs: 1000, maxBackoffMs: 5000 };
  it('doubles after each trigger up to the cap, without jitter at random 0', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(settings, n, 0))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
  it('takes away at most 20 % at random', () => {
    expect(backoffDelayMs(settings, 1, 0.999_999)).toBe(800);
    expect(backoffDelayMs(settings, 2, 0.5)).toBe(1800);
  });
  it('stays finite for huge trigger numbers', () => {
    expect(backoffDelayMs(settings, 10_000, 0)).toBe(5000);
  });
});

describe('wakeupSettingsFor', () => {
  it('applies the defaults, then the base config, then the group', () => {
    const config = { attempts: 5, framing: 'wap-push' as const, groups: { trackers: { attempts: 2, triggerMode: 'CON' as const } } };
    expect(wakeupSettingsFor(config, null)).toEqual({ ...WAKEUP_DEFAULTS, attempts: 5, framing: 'wap-push' });
    expect(wakeupSettingsFor(config, 'trackers')).toEqual({ ...WAKEUP_DEFAULTS, attempts: 2, framing: 'wap-push', triggerMode: 'CON' });
    expect(wakeupSettingsFor(config, 'unknown')).toEqual({ ...WAKEUP_DEFAULTS, attempts: 5, framing: 'wap-push' });
  });
});
