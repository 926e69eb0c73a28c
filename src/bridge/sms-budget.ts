/**
 * SMS spend: counters of SMS parts the gateway sent, per device and per device group and per UTC
 * day, in Redis, and a daily budget per device and per group checked before each SMS. An SMS to
 * a device (a trigger, a request of the core, an answer relayed to it) first reserves its parts
 * here, atomically (one Lua script checks and adds, so two processes or two concurrent sends never
 * spend beyond the budget together); a send that failed before leaving gives the reservation back.
 * Past the budget the SMS is refused, so a runaway server loop cannot spend without limit.
 *
 * Keys (`<prefix>spend:<YYYY-MM-DD>:dev:<endpoint>`, `…:grp:<group>`, `…:total`; integers, SMS
 * parts) expire `keepDays` after the day they count. The day is the UTC day of `now()` at the
 * reservation (injected: tests move the clock over midnight).
 *
 * What the admin snapshot reads (spent today per device, refusals) is kept in memory from the
 * script's answers: no Redis round trip per scrape. At start the gateway recalls today's figures
 * of its registered devices from Redis ({@link SmsBudget.recall}). With two gateway processes each
 * shows the Redis totals as of its own last reservation for that device.
 */
import type { Redis } from 'ioredis';
import type { DeviceRecord } from '../lwm2m/device-record.ts';
import type { DeviceGroups } from './device-groups.ts';

/** Budgets and retention. A null budget is unlimited. */
export interface SmsBudgetConfig {
  /** SMS parts one device may be sent per UTC day, unless its group says otherwise. @defaultValue {@link SMS_BUDGET_DEFAULTS} */
  readonly perDevicePerDay?: number | null;
  /** SMS parts all devices of one group (or all devices in no group) may be sent per UTC day. @defaultValue null */
  readonly perGroupPerDay?: number | null;
  /** Days a day's counters are kept in Redis. @defaultValue 8 */
  readonly keepDays?: number;
}

/** The defaults: 100 parts per device per day, no group limit, counters kept 8 days. */
export const SMS_BUDGET_DEFAULTS = { perDevicePerDay: 100, perGroupPerDay: null, keepDays: 8 } as const satisfies Required<SmsBudgetConfig>;

/** Why an SMS was refused. */
export interface BudgetRefusal {
  readonly reason: 'budget-exhausted' | 'budget-unavailable';
  readonly endpoint: string;
  /** The device's group, or null (no group). */
  readonly group: string | null;
  /** Which budget ran out (`unavailable`: Redis did not answer; nothing is sent unchecked). */
  readonly scope: 'device' | 'group' | 'unavailable';
  /** Parts spent today under that budget, and the budget (parts per UTC day). */
  readonly spent: number;
  readonly budget: number;
  /** Seconds until the next UTC day (when the budget starts again); 60 while Redis is away. */
  readonly retryAfterSec: number;
  readonly detail: string;
}

/** A reservation: give it back when the SMS did not leave. */
export interface SmsReservation {
  readonly parts: number;
  /** Returns the reserved parts (the send failed before the SMS left). Never rejects. */
  release(): Promise<void>;
}

/** The answer of {@link SmsSpendGate.reserve}. */
export type SpendDecision = { readonly ok: true; readonly reservation: SmsReservation } | { readonly ok: false; readonly refusal: BudgetRefusal };

/** What the senders of SMS (relay, wake-up service) call before handing an SMS to the sender. */
export interface SmsSpendGate {
  /** Reserves `parts` SMS parts for `device` today, or says why not. Never rejects. */
  reserve(device: Pick<DeviceRecord, 'endpoint' | 'msisdn'>, parts: number): Promise<SpendDecision>;
}

/** 8-bit SMS user data: 140 octets; concatenation header 6, 16-bit ports header 7, both 12. */
export function smsPartsOf(payloadBytes: number, withPorts = false): number {
  const single = withPorts ? 133 : 140;
  if (payloadBytes <= single) return 1;
  return Math.ceil(payloadBytes / (withPorts ? 128 : 134));
}

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of the UTC day of `nowMs`. */
export function utcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/** Whole seconds from `nowMs` to the next UTC midnight (at least 1). */
export function secondsToNextUtcDay(nowMs: number): number {
  return Math.max(1, Math.ceil((DAY_MS - (((nowMs % DAY_MS) + DAY_MS) % DAY_MS)) / 1000));
}

/**
 * KEYS: device, group, total. ARGV: parts, device budget, group budget (−1: none), ttl seconds.
 * Returns {1, 0, device, group, total} when reserved, {0, scope (1 device, 2 group), device, group, total} when not.
 */
const RESERVE_LUA = `
local parts = tonumber(ARGV[1])
local dev = tonumber(redis.call('GET', KEYS[1]) or '0')
local grp = tonumber(redis.call('GET', KEYS[2]) or '0')
local devBudget = tonumber(ARGV[2])
local grpBudget = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
if devBudget >= 0 and dev + parts > devBudget then return {0, 1, dev, grp, tonumber(redis.call('GET', KEYS[3]) or '0')} end
if grpBudget >= 0 and grp + parts > grpBudget then return {0, 2, dev, grp, tonumber(redis.call('GET', KEYS[3]) or '0')} end
dev = redis.call('INCRBY', KEYS[1], parts)
redis.call('EXPIRE', KEYS[1], ttl)
grp = redis.call('INCRBY', KEYS[2], parts)
redis.call('EXPIRE', KEYS[2], ttl)
local total = redis.call('INCRBY', KEYS[3], parts)
redis.call('EXPIRE', KEYS[3], ttl)
return {1, 0, dev, grp, total}
`;

/** KEYS: device, group, total. ARGV: parts. Takes the parts back, never below 0. */
const RELEASE_LUA = `
local parts = tonumber(ARGV[1])
for i = 1, 3 do
  local left = redis.call('DECRBY', KEYS[i], parts)
  if left < 0 then redis.call('INCRBY', KEYS[i], -left) end
end
return 1
`;

/** Counts of the spend for metrics (plain numbers, read at scrape time). */
export interface SmsSpendCounters {
  /** Parts reserved since start, this process (only grows). */
  partsReserved: number;
  /** Parts given back since start (their SMS did not leave; only grows). Spent = reserved − released. */
  partsReleased: number;
  /** SMS refused because a budget ran out. */
  refusedBudget: number;
  /** SMS refused because Redis could not be asked. */
  refusedUnavailable: number;
}

/** See the file comment. */
export class SmsBudget implements SmsSpendGate {
  readonly counters: SmsSpendCounters = { partsReserved: 0, partsReleased: 0, refusedBudget: 0, refusedUnavailable: 0 };
  private readonly spentByDevice = new Map<string, { day: string; parts: number }>();
  private total = { day: '', parts: 0 };
  private readonly config: Required<SmsBudgetConfig>;

  constructor(
    private readonly redis: Redis,
    private readonly groups: DeviceGroups,
    config: SmsBudgetConfig = {},
    private readonly prefix = 'smsbridge:',
    private readonly now: () => number = Date.now,
  ) {
    this.config = {
      perDevicePerDay: config.perDevicePerDay === undefined ? SMS_BUDGET_DEFAULTS.perDevicePerDay : config.perDevicePerDay,
      perGroupPerDay: config.perGroupPerDay === undefined ? SMS_BUDGET_DEFAULTS.perGroupPerDay : config.perGroupPerDay,
      keepDays: config.keepDays ?? SMS_BUDGET_DEFAULTS.keepDays,
    };
  }

  /** The budgets of `device` (parts per UTC day; null: unlimited) and its group. */
  budgetsOf(device: Pick<DeviceRecord, 'endpoint' | 'msisdn'>): { readonly group: string | null; readonly perDevice: number | null; readonly perGroup: number | null } {
    const group = this.groups.groupOf(device);
    return {
      group: group?.name ?? null,
      perDevice: group?.smsBudgetPerDevicePerDay !== undefined ? group.smsBudgetPerDevicePerDay : this.config.perDevicePerDay,
      perGroup: group?.smsBudgetPerDay !== undefined ? group.smsBudgetPerDay : this.config.perGroupPerDay,
    };
  }

  /** Redis keys of `day`'s counters. */
  keysOf(day: string, endpoint: string, group: string | null): [device: string, group: string, total: string] {
    const base = `${this.prefix}spend:${day}:`;
    return [`${base}dev:${endpoint}`, `${base}grp:${group ?? '-'}`, `${base}total`];
  }

  async reserve(device: Pick<DeviceRecord, 'endpoint' | 'msisdn'>, parts: number): Promise<SpendDecision> {
    const nowMs = this.now();
    const day = utcDay(nowMs);
    const budgets = this.budgetsOf(device);
    const keys = this.keysOf(day, device.endpoint, budgets.group);
    const ttlSec = Math.ceil(this.config.keepDays * 86_400 + secondsToNextUtcDay(nowMs));
    let answer: [number, number, number, number, number];
    try {
      answer = (await this.redis.eval(RESERVE_LUA, 3, ...keys, parts, budgets.perDevice ?? -1, budgets.perGroup ?? -1, ttlSec)) as typeof answer;
    } catch (error) {
      this.counters.refusedUnavailable += 1;
      return { ok: false, refusal: { reason: 'budget-unavailable', endpoint: device.endpoint, group: budgets.group, scope: 'unavailable', spent: 0, budget: 0, retryAfterSec: 60, detail: `the SMS budget could not be checked: ${String(error)}` } };
    }
    const [reserved, scope, spentDevice, spentGroup, total] = answer;
    this.note(device.endpoint, day, spentDevice, total);
    if (reserved !== 1) {
      this.counters.refusedBudget += 1;
      const byDevice = scope === 1;
      const budget = (byDevice ? budgets.perDevice : budgets.perGroup) ?? 0;
      const spent = byDevice ? spentDevice : spentGroup;
      const what = byDevice ? `device ${device.endpoint}` : `group ${budgets.group ?? '(no group)'}`;
      return {
        ok: false,
        refusal: {
          reason: 'budget-exhausted', endpoint: device.endpoint, group: budgets.group, scope: byDevice ? 'device' : 'group', spent, budget,
          retryAfterSec: secondsToNextUtcDay(nowMs), detail: `SMS budget of ${what} spent: ${spent} of ${budget} parts today (UTC ${day}); ${parts} more refused`,
        },
      };
    }
    this.counters.partsReserved += parts;
    let released = false;
    return {
      ok: true,
      reservation: {
        parts,
        release: async () => {
          if (released) return;
          released = true;
          this.counters.partsReleased += parts;
          const entry = this.spentByDevice.get(device.endpoint);
          if (entry?.day === day) entry.parts = Math.max(0, entry.parts - parts);
          if (this.total.day === day) this.total.parts = Math.max(0, this.total.parts - parts);
          await this.redis.eval(RELEASE_LUA, 3, ...keys, parts).catch(() => undefined); // counted once more at worst: never spends beyond the budget
        },
      },
    };
  }

  /** Parts spent on `endpoint` today (UTC), as of this process's last reservation for it. */
  spentToday(endpoint: string): number {
    const entry = this.spentByDevice.get(endpoint);
    return entry !== undefined && entry.day === utcDay(this.now()) ? entry.parts : 0;
  }

  /** Parts spent on all devices today (UTC), as of this process's last reservation. */
  spentTodayTotal(): number {
    return this.total.day === utcDay(this.now()) ? this.total.parts : 0;
  }

  /** Reads today's spend of `endpoint` from Redis (for tests and the CLI); 0 when none. */
  async spentTodayInRedis(device: Pick<DeviceRecord, 'endpoint' | 'msisdn'>): Promise<number> {
    const [key] = this.keysOf(utcDay(this.now()), device.endpoint, this.budgetsOf(device).group);
    return Number((await this.redis.get(key)) ?? 0);
  }

  /**
   * Reads today's spend of `devices` and the day's total from Redis (one MGET) into memory, so the
   * admin snapshot shows them after a restart before this process reserved anything. A figure this
   * process already holds for today is kept (it is as new or newer). Rejects when Redis does not
   * answer (the caller logs it; the figures then fill in with the next reservations).
   */
  async recall(devices: readonly Pick<DeviceRecord, 'endpoint' | 'msisdn'>[]): Promise<void> {
    const day = utcDay(this.now());
    const keys = devices.map((device) => this.keysOf(day, device.endpoint, this.budgetsOf(device).group)[0]);
    const [, , totalKey] = this.keysOf(day, '', null);
    const values = await this.redis.mget(...keys, totalKey);
    devices.forEach((device, index) => {
      const parts = Number(values[index] ?? 0);
      const entry = this.spentByDevice.get(device.endpoint);
      if (parts > 0 && entry?.day !== day) this.spentByDevice.set(device.endpoint, { day, parts });
    });
    const total = Number(values[devices.length] ?? 0);
    if (this.total.day !== day || total > this.total.parts) this.total = { day, parts: total };
  }

  /** A device left: its in-memory figure goes (Redis keeps the day's counter). */
  forget(endpoint: string): void {
    this.spentByDevice.delete(endpoint);
  }

  private note(endpoint: string, day: string, parts: number, total: number): void {
    const entry = this.spentByDevice.get(endpoint);
    if (entry === undefined) this.spentByDevice.set(endpoint, { day, parts });
    else {
      entry.day = day;
      entry.parts = parts;
    }
    if (this.total.day !== day || total >= this.total.parts) this.total = { day, parts: total };
  }
}
