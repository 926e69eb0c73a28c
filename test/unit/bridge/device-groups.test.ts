/**
 * Device groups (pure): which group a device is in, the modem its SMS must leave from, and the
 * hold time per group.
 */
import { describe, expect, it } from 'vitest';
import { DeviceGroups } from '../../../src/bridge/device-groups.ts';
import { matchGlob } from '../../../src/shared/glob.ts';
import { chooseBearer } from '../../../src/bridge/bearer.ts';
import type { DeviceRecord } from '../../../src/lwm2m/device-record.ts';

const device = (endpoint: string, msisdn: string | null, smsModem: string | null = null) => ({ endpoint, msisdn, smsModem });

describe('matchGlob (the one glob matcher, as device groups use it)', () => {
  it.each([
    ['tracker-*', 'tracker-17', true],
    ['tracker-*', 'meter-17', false],
    ['*', '', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
  ])('%s against %s is %s', (pattern, text, expected) => {
    expect(matchGlob(pattern, text)).toBe(expected);
  });

  it('answers a long name against many stars (backtracking to the last star only)', () => {
    expect(matchGlob('*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
  });
});

describe('DeviceGroups', () => {
  const groups = new DeviceGroups([
    { name: 'trackers', endpoints: ['tracker-*'], serverModem: 'modem-2', heldRequestTtlMs: 30_000 },
    { name: 'german', msisdnPrefixes: ['+4917'], serverModem: 'modem-1' },
  ], ['modem-1', 'modem-2']);

  it('learned traffic wins over the group, the group over nothing', () => {
    expect(groups.serverModemOf(device('tracker-1', '4917000', 'modem-1'))).toEqual({ modem: 'modem-1', source: 'learned' });
    expect(groups.serverModemOf(device('tracker-1', '4917000'))).toEqual({ modem: 'modem-2', source: 'group' });
    expect(groups.serverModemOf(device('meter-1', '4917000'))).toEqual({ modem: 'modem-1', source: 'group' });
    expect(groups.serverModemOf(device('meter-1', '4412345'))).toBeNull(); // two modems, no rule: unknown
  });

  it('a gateway with one modem is every device\'s server number', () => {
    expect(new DeviceGroups([], ['only']).serverModemOf(device('x', '1'))).toEqual({ modem: 'only', source: 'only-modem' });
  });

  it('hold time per group, the default otherwise', () => {
    expect(groups.heldRequestTtlMsOf(device('tracker-9', null), 60_000)).toBe(30_000);
    expect(groups.heldRequestTtlMsOf(device('meter-9', null), 60_000)).toBe(60_000);
  });
});

describe('chooseBearer and the registration source', () => {
  const base: DeviceRecord = {
    endpoint: 'ep', msisdn: '491700000001', udpHost: null, udpPort: null, binding: 'U', queueMode: false, lifetimeSec: 300,
    lwm2mVersion: '1.0', objectLinks: '', location: '/rd/1', registered: true, registeredAtMs: 0, lastActivityMs: 0, lastBearer: 'sms',
    lastUdpActivityMs: null, smsModem: null,
  };

  it('a b=U registration that came by SMS is reached by SMS (LwM2M 1.0 §5.3.1)', () => {
    expect(chooseBearer({ ...base, registeredOver: 'sms' }, false)).toBe('sms');
    expect(chooseBearer(base, false)).toBe('hold'); // a record from before the field: as before
  });

  it('asleepRequests hold: a UQS device asleep over UDP is held (woken by trigger), not sent each request by SMS', () => {
    const uqs: DeviceRecord = { ...base, binding: 'UQS', queueMode: true, udpHost: '127.0.0.1', udpPort: 5683, lastBearer: 'udp', registeredOver: 'udp' };
    expect(chooseBearer(uqs, false)).toBe('sms'); // the default
    expect(chooseBearer(uqs, false, 'hold')).toBe('hold');
    expect(chooseBearer(uqs, true, 'hold')).toBe('udp'); // awake
    expect(chooseBearer({ ...uqs, lastBearer: 'sms' }, false, 'hold')).toBe('sms'); // talking by SMS now
    expect(chooseBearer({ ...uqs, udpHost: null, udpPort: null }, false, 'hold')).toBe('sms'); // no UDP address to wake to
    const groups = new DeviceGroups([{ name: 'uqs', endpoints: ['uqs-*'], asleepRequests: 'hold' }], ['modem-1']);
    expect(groups.asleepRequestsOf(device('uqs-1', null))).toBe('hold');
    expect(groups.asleepRequestsOf(device('other', null))).toBe('sms');
  });
});
