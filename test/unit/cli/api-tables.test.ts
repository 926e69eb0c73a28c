/**
 * Text output of the admin API commands (pure): aligned tables and relative times.
 */
import { describe, expect, it } from 'vitest';
import { ago, devicesTable, modemsTable, queuesTable, statusLines, table } from '../../../src/cli/api-tables.ts';

describe('api tables', () => {
  it('aligns columns to the widest cell and trims trailing space', () => {
    expect(table(['A', 'LONG HEADER', 'C'], [['wide cell', 'x', 'last'], ['b', '', '']])).toEqual([
      'A          LONG HEADER  C',
      'wide cell  x            last',
      'b',
    ]);
  });

  it('says how long ago in the largest fitting unit', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    expect(['2026-12-06T11:59:50Z', '2026-12-06T11:50:00Z', '2026-12-06T09:00:00Z', '2026-12-01T12:00:00Z'].map((iso) => ago(iso, now))).toEqual(['10 s ago', '10 min ago', '3 h ago', '5 d ago']);
  });

  it('shows a device with its MSISDN in E.164 and dashes for what is unknown', () => {
    const lines = devicesTable([{ endpoint: 'dev-1', bearer: 'sms', binding: 'S', registered: true, presence: 'asleep', msisdn: '4917001', udp: null, lastSeen: '2026-12-06T11:59:58Z', expiresAt: '2026-12-07T12:00:00Z' }], Date.parse('2026-12-06T12:00:00Z'));
    expect(lines[1]).toMatch(/^dev-1\s+sms\s+S\s+yes\s+asleep\s+\+4917001\s+-\s+2 s ago\s+-$/);
  });

  it('shows the SMS parts a device was sent today', () => {
    const lines = devicesTable([{ endpoint: 'dev-2', bearer: 'sms', binding: 'S', registered: true, presence: 'awake', msisdn: '4917002', udp: null, lastSeen: '2026-12-06T11:59:58Z', expiresAt: '2026-12-07T12:00:00Z', smsSpentToday: 7 }], Date.parse('2026-12-06T12:00:00Z'));
    expect(lines[0]).toMatch(/SMS TODAY$/);
    expect(lines[1]).toMatch(/2 s ago\s+7$/);
  });

  it('shows one row per queue and one column per state, in the order the API lists them', () => {
    expect(queuesTable([
      { name: 'wakeup', counts: { waiting: 2, active: 1, delayed: 13 } },
      { name: 'outbound-sms', counts: { waiting: 0, active: 0, delayed: 0, paused: 4 } },
    ])).toEqual([
      'QUEUE         WAITING  ACTIVE  DELAYED  PAUSED',
      'wakeup        2        1       13       -',
      'outbound-sms  0        0       0        4',
    ]);
  });

  it('shows the core requests held now and what became of those held since start', () => {
    const lines = statusLines({
      version: '1.0.0', uptimeSec: 5, redis: { commands: 'ready', consumer: 'ready' }, modems: { total: 1, ready: 1 }, devices: { total: 2, registered: 2, sms: 1, udp: 1 },
      relay: { held: 7, heldDelivered: 4, heldAnsweredByGateway: 2, refused: 1 }, heldRequests: 1, sms: {}, unknownSenders: 0,
    });
    expect(lines).toContain('held      1 core requests now; since start 7 held, 4 delivered to their device, 2 answered by the gateway (5.03/5.04), 1 refused at once');
  });

  it('shows each modem\'s SMS storage as used/total and its name, a dash while unknown', () => {
    const modem = { name: 'modem-1', state: 'ready', signalDbm: -73, registration: 'home', operator: 'SimNet', counters: { sent: 3, sendFailed: 1, sendUnknown: 0, received: 2 }, atTrace: false, lastError: null };
    const lines = modemsTable([{ ...modem, storage: { name: 'ME', used: 97, total: 100 } }, { ...modem, name: 'modem-2', storage: null }]);
    expect(lines[0]).toMatch(/RECEIVED\s+STORAGE\s+AT TRACE/);
    expect(lines[1]).toMatch(/^modem-1\s+ready\s+-73 dBm\s+home\s+SimNet\s+3\s+1\s+2\s+97\/100 ME\s+off\s+-$/);
    expect(lines[2]).toMatch(/^modem-2\s+.*\s+2\s+-\s+off\s+-$/);
  });
});
