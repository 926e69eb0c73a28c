/**
 * The order in which initialisation tries `AT+CNMI` settings (pure): direct delivery (`<mt>`=2)
 * first only with phase 2+ and a profile that prefers it; settings that chose polling or TA
 * buffering are never turned into direct delivery.
 */
import { describe, expect, it } from 'vitest';
import { indicationCandidates, receiveRouteOf } from '../../../src/modem/modem-init.ts';
import { GENERIC_PROFILE } from '../../../src/modem/profile.ts';

describe('indicationCandidates', () => {
  it('puts the <mt>=2 form of every storing preference first when AT+CSMS=1 took', () => {
    const profile = { ...GENERIC_PROFILE, cnmiPreferences: ['2,1,0,2,0', '1,1,0,1,0', '2,0,0,0,0', '0,1,0,0,0', '2,2,0,1,0'] };
    expect(indicationCandidates(profile, true)).toEqual(['2,2,0,2,0', '1,2,0,1,0', '2,1,0,2,0', '1,1,0,1,0', '2,0,0,0,0', '0,1,0,0,0', '2,2,0,1,0']);
  });

  it('keeps the preferences as they are without phase 2+ or when the profile keeps the stored route', () => {
    expect(indicationCandidates(GENERIC_PROFILE, false)).toEqual(GENERIC_PROFILE.cnmiPreferences);
    expect(indicationCandidates({ ...GENERIC_PROFILE, directDelivery: false }, true)).toEqual(GENERIC_PROFILE.cnmiPreferences);
  });

  it('names the route of a setting by its <mt>', () => {
    expect(receiveRouteOf('2,2,0,1,0')).toBe('direct');
    expect(receiveRouteOf('2,1,0,2,0')).toBe('stored');
    expect(receiveRouteOf('2,0,0,0,0')).toBe('stored');
  });
});
