/**
 * Presence apart from registration facts: awake for the awake window after a device was last
 * heard, over UDP only while heard over UDP; `awake` once per wake, `asleep` once per sleep;
 * the bearer choice reads it. Pure (times passed in).
 */
import { describe, expect, it } from 'vitest';
import { chooseBearer } from '../../../src/bridge/bearer.ts';
import type { DeviceRecord } from '../../../src/lwm2m/device-record.ts';
import { Presence } from '../../../src/lwm2m/presence.ts';

function recorded(presence: Presence): string[] {
  const events: string[] = [];
  presence.on('awake', (endpoint, bearer) => events.push(`awake ${endpoint} ${bearer}`));
  presence.on('asleep', (endpoint) => events.push(`asleep ${endpoint}`));
  return events;
}

describe('Presence', () => {
  it('is awake for the window after the last message, emits awake once and asleep once', () => {
    const presence = new Presence({ awakeWindowMs: 1000 });
    const events = recorded(presence);
    expect(presence.isAwake('a', 0)).toBe(false);
    presence.heard('a', 'udp', 100);
    presence.heard('a', 'udp', 600);
    expect(events).toEqual(['awake a udp']);
    expect(presence.isAwake('a', 1600)).toBe(true);
    expect(presence.isAwakeOverUdp('a', 1600)).toBe(true);
    expect(presence.sweep(1600)).toEqual([]);
    expect(presence.isAwake('a', 1601)).toBe(false);
    expect(presence.sweep(1601)).toEqual(['a']);
    expect(presence.sweep(5000)).toEqual([]);
    presence.heard('a', 'sms', 6000);
    expect(events).toEqual(['awake a udp', 'asleep a', 'awake a sms']);
  });

  it('is reachable over UDP only while heard over UDP within the window', () => {
    const presence = new Presence({ awakeWindowMs: 1000 });
    presence.heard('d', 'udp', 0);
    presence.heard('d', 'sms', 900);
    expect(presence.isAwake('d', 1500)).toBe(true);
    expect(presence.isAwakeOverUdp('d', 1500)).toBe(false);
  });

  it('sweeps only the devices whose window passed, in the order they were last heard', () => {
    const presence = new Presence({ awakeWindowMs: 100 });
    presence.heard('x', 'udp', 0);
    presence.heard('y', 'udp', 10);
    presence.heard('x', 'udp', 50); // heard again: now after y
    expect(presence.sweep(111)).toEqual(['y']);
    expect(presence.sweep(151)).toEqual(['x']);
    expect(presence.size).toBe(0);
  });

  it('ignores a time older than the one held, and forget drops a device without an event', () => {
    const presence = new Presence({ awakeWindowMs: 100 });
    const events = recorded(presence);
    presence.heard('z', 'udp', 500);
    presence.heard('z', 'sms', 400);
    expect(presence.isAwakeOverUdp('z', 600)).toBe(true);
    presence.forget('z');
    expect(presence.sweep(10_000)).toEqual([]);
    expect(events).toEqual(['awake z udp']);
  });

  it('restores stored times after a restart in order, without events', () => {
    const presence = new Presence({ awakeWindowMs: 100 });
    const events = recorded(presence);
    presence.restore([
      { endpoint: 'late', lastHeardMs: 90, lastUdpMs: 90 },
      { endpoint: 'early', lastHeardMs: 10, lastUdpMs: null },
    ]);
    expect(presence.isAwakeOverUdp('late', 150)).toBe(true);
    expect(presence.isAwakeOverUdp('early', 50)).toBe(false);
    expect(presence.sweep(150)).toEqual(['early']);
    expect(events).toEqual(['asleep early']);
  });
});

describe('chooseBearer reads presence', () => {
  const uqs: DeviceRecord = {
    endpoint: 'q', msisdn: '491700000002', udpHost: '127.0.0.1', udpPort: 5683, binding: 'UQS', queueMode: true, lifetimeSec: 300,
    lwm2mVersion: '1.0', objectLinks: '', location: '/rd/2', registered: true, registeredAtMs: 0, lastActivityMs: 0, lastBearer: 'udp',
    lastUdpActivityMs: 0, smsModem: null,
  };

  it('UDP while awake over UDP, SMS when asleep (UQS), hold when asleep without SMS (UQ)', () => {
    const presence = new Presence({ awakeWindowMs: 1000 });
    presence.heard('q', 'udp', 0);
    expect(chooseBearer(uqs, presence.isAwakeOverUdp('q', 1000))).toBe('udp');
    expect(chooseBearer(uqs, presence.isAwakeOverUdp('q', 1001))).toBe('sms');
    expect(chooseBearer({ ...uqs, binding: 'UQ', msisdn: null }, presence.isAwakeOverUdp('q', 1001))).toBe('hold');
  });
});
