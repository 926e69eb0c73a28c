/**
 * SmsBudget on a real Redis: reservations up to the budget and not one part beyond it, even from
 * many concurrent callers on separate connections (two gateway processes); the day's counters
 * roll over at UTC midnight (the clock is injected); a release gives parts back; Redis away is a
 * refusal, never a rejection or an unchecked SMS.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { DeviceGroups } from '../../../src/bridge/device-groups.ts';
import { SmsBudget, secondsToNextUtcDay, smsPartsOf, utcDay } from '../../../src/bridge/sms-budget.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { useTestScope } from '../../support/test-scope.ts';

const scope = useTestScope();
const groups = new DeviceGroups([{ name: 'fleet', endpoints: ['fleet-*'], smsBudgetPerDay: 30, smsBudgetPerDevicePerDay: 1000 }], ['m1']);
const device = (endpoint: string) => ({ endpoint, msisdn: '491700000042' });

function connection(): Redis {
  const redis = new Redis(scope.server().url);
  scope.onCleanup(async () => redis.disconnect());
  return redis;
}

describe('SmsBudget', () => {
  it('reserves up to the device\'s budget, refuses the rest with spent, budget and the seconds to the next UTC day', async () => {
    const nowMs = Date.parse('2026-03-01T23:59:30Z');
    const budget = new SmsBudget(connection(), groups, { perDevicePerDay: 3 }, 'a:', () => nowMs);
    const first = await budget.reserve(device('d1'), 2);
    expect(first.ok).toBe(true);
    expect((await budget.reserve(device('d1'), 1)).ok).toBe(true);
    const refused = await budget.reserve(device('d1'), 1);
    expect(refused).toEqual({ ok: false, refusal: expect.objectContaining({ reason: 'budget-exhausted', endpoint: 'd1', group: null, scope: 'device', spent: 3, budget: 3, retryAfterSec: 30 }) });
    expect(budget.spentToday('d1')).toBe(3);
    expect(budget.counters).toEqual({ partsReserved: 3, partsReleased: 0, refusedBudget: 1, refusedUnavailable: 0 });
    // A release (the SMS did not leave) gives its parts back, once.
    if (!first.ok) throw new Error('unreachable');
    await first.reservation.release();
    await first.reservation.release();
    expect(await budget.spentTodayInRedis(device('d1'))).toBe(1);
    expect(budget.counters).toMatchObject({ partsReserved: 3, partsReleased: 2 });
    expect((await budget.reserve(device('d1'), 2)).ok).toBe(true);
  });

  it('recalls today\'s spend from Redis after a restart: the snapshot shows it before any new reservation', async () => {
    const nowMs = Date.parse('2026-03-04T12:00:00Z');
    const before = new SmsBudget(connection(), groups, {}, 'r:', () => nowMs);
    expect((await before.reserve(device('d5'), 3)).ok).toBe(true);
    expect((await before.reserve(device('fleet-1'), 2)).ok).toBe(true);
    // A new process: nothing in memory until it recalls.
    const after = new SmsBudget(connection(), groups, {}, 'r:', () => nowMs);
    expect(after.spentToday('d5')).toBe(0);
    await after.recall([device('d5'), device('fleet-1'), device('never-sent')]);
    expect(after.spentToday('d5')).toBe(3);
    expect(after.spentToday('fleet-1')).toBe(2);
    expect(after.spentToday('never-sent')).toBe(0);
    expect(after.spentTodayTotal()).toBe(5);
    // A newer figure this process holds is kept; the next reservation counts on from Redis's total.
    expect((await after.reserve(device('d5'), 1)).ok).toBe(true);
    await after.recall([device('d5')]);
    expect(after.spentToday('d5')).toBe(4);
    expect(after.spentTodayTotal()).toBe(6);
  });

  it('starts a new count at UTC midnight: yesterday\'s spend does not count today, and its key expires', async () => {
    let nowMs = Date.parse('2026-03-02T23:59:59.500Z');
    const redis = connection();
    const budget = new SmsBudget(redis, groups, { perDevicePerDay: 2, keepDays: 3 }, 'b:', () => nowMs);
    expect((await budget.reserve(device('d2'), 2)).ok).toBe(true);
    expect((await budget.reserve(device('d2'), 1)).ok).toBe(false);
    expect(await redis.ttl('b:spend:2026-03-02:dev:d2')).toBe(3 * 86_400 + 1);
    nowMs = Date.parse('2026-03-03T00:00:00.000Z');
    expect(budget.spentToday('d2')).toBe(0);
    expect(budget.spentTodayTotal()).toBe(0);
    expect((await budget.reserve(device('d2'), 2)).ok).toBe(true);
    expect(await redis.get('b:spend:2026-03-02:dev:d2')).toBe('2');
    expect(await redis.get('b:spend:2026-03-03:dev:d2')).toBe('2');
    expect(budget.spentToday('d2')).toBe(2);
  });

  it('never spends beyond a budget however many reservations race, from two processes\' connections', async () => {
    const nowMs = Date.now();
    const a = new SmsBudget(connection(), groups, {}, 'c:', () => nowMs);
    const b = new SmsBudget(connection(), groups, {}, 'c:', () => nowMs);
    // fleet: 30 parts per day for the whole group; 400 reservations of 1 part for 10 devices.
    const decisions = await Promise.all(Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? a : b).reserve(device(`fleet-${i % 10}`), 1)));
    expect(decisions.filter((d) => d.ok)).toHaveLength(30);
    expect(decisions.filter((d) => !d.ok).every((d) => !d.ok && d.refusal.scope === 'group' && d.refusal.budget === 30)).toBe(true);
    const redis = connection();
    expect(await redis.get(`c:spend:${utcDay(nowMs)}:grp:fleet`)).toBe('30');
    expect(await redis.get(`c:spend:${utcDay(nowMs)}:total`)).toBe('30');
  });

  it('refuses (never rejects, never lets an SMS go unchecked) while Redis is away', async () => {
    const redis = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    redis.on('error', () => undefined);
    const budget = new SmsBudget(redis, groups, {}, 'd:');
    const decision = await budget.reserve(device('d3'), 1);
    expect(decision).toEqual({ ok: false, refusal: expect.objectContaining({ reason: 'budget-unavailable', scope: 'unavailable', retryAfterSec: 60 }) });
    expect(budget.counters.refusedUnavailable).toBe(1);
    redis.disconnect();
  });
});

describe('budget arithmetic', () => {
  it('counts 8-bit parts as the splitter makes them, with and without port addressing', () => {
    for (const ports of [null, { destination: 2948, source: 0xc002 }]) {
      for (let bytes = 1; bytes <= 700; bytes += 1) {
        const parts = splitIntoSubmitPdus({ destination: '+491700000001', payload: { data: new Uint8Array(bytes) }, ports }).length;
        if (smsPartsOf(bytes, ports !== null) !== parts) throw new Error(`${bytes} bytes, ports ${ports !== null}: ${smsPartsOf(bytes, ports !== null)} ≠ ${parts}`);
      }
    }
    expect([smsPartsOf(140), smsPartsOf(141), smsPartsOf(133, true), smsPartsOf(134, true)]).toEqual([1, 2, 1, 2]);
  });

  it('gives the seconds to the next UTC midnight, at least one', () => {
    expect(secondsToNextUtcDay(Date.parse('2026-03-01T00:00:00Z'))).toBe(86_400);
    expect(secondsToNextUtcDay(Date.parse('2026-03-01T23:00:00Z'))).toBe(3600);
    expect(secondsToNextUtcDay(Date.parse('2026-03-01T23:59:59.999Z'))).toBe(1);
    expect(utcDay(Date.parse('2026-03-01T23:59:59.999Z'))).toBe('2026-03-01');
  });
});
