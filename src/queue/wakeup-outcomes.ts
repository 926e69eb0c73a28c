/**
 * What the wake-up service keeps of each job's end in Redis: the last outcome per device (JSON
 * under `<prefix>wakeup:outcome:<endpoint>`) and the outcomes counted since the Redis data began
 * (hash `<prefix>wakeup:counts`: `woke`, `gave-up:device-silent`, `skipped:awake`,
 * `trigger-answered` …).
 */
import type { Redis } from 'ioredis';
import type { TriggerDelivery } from './delivery-status.ts';
import type { WakeupJobData } from './wakeup-jobs.ts';
import type { WakeupGiveUpReason, WakeupOutcome, WakeupSkipReason } from './wakeup-types.ts';

/** How a job ended, before the outcome is built from it (see {@link wakeupOutcome}). */
export type WakeupEnd =
  | { result: 'woke' }
  | { result: 'skipped'; reason: WakeupSkipReason }
  | { result: 'gave-up'; reason: WakeupGiveUpReason; status?: number | undefined; statusName?: string | undefined };

/** The outcome of the job `data` that ended as `end` at `endedAtMs`, with the diagnosis of each trigger (`deliveries`, none left out when empty). */
export function wakeupOutcome(data: WakeupJobData, end: WakeupEnd, deliveries: readonly TriggerDelivery[], endedAtMs: number): WakeupOutcome {
  const defined = Object.fromEntries(Object.entries(end).filter(([, v]) => v !== undefined));
  return {
    ...defined, endpoint: data.endpoint, triggers: data.triggers ?? 0, elapsedMs: endedAtMs - data.requestedAtMs, endedAtMs, ...(deliveries.length > 0 ? { deliveries } : {}),
  } as WakeupOutcome;
}

/** Contract: see the file comment; every method rejects when Redis does. */
export class WakeupOutcomes {
  constructor(private readonly redis: Redis, private readonly redisPrefix: string) {}

  /** Key of the last outcome of `endpoint` (JSON). */
  key(endpoint: string): string {
    return `${this.redisPrefix}wakeup:outcome:${endpoint}`;
  }

  private get countsKey(): string {
    return `${this.redisPrefix}wakeup:counts`;
  }

  /** Keeps `outcome` as its device's last and counts it, in one transaction. */
  async keep(outcome: WakeupOutcome): Promise<void> {
    const counter = outcome.result === 'woke' ? 'woke' : `${outcome.result}:${outcome.reason}`;
    await this.redis.multi().set(this.key(outcome.endpoint), JSON.stringify(outcome)).hincrby(this.countsKey, counter, 1).exec();
  }

  /** Counts a device's answer to its trigger (`trigger-answered`). */
  async countTriggerAnswered(): Promise<void> {
    await this.redis.hincrby(this.countsKey, 'trigger-answered', 1);
  }

  /** The last outcome of `endpoint`'s wake-up, or null. */
  async last(endpoint: string): Promise<WakeupOutcome | null> {
    const text = await this.redis.get(this.key(endpoint));
    return text === null ? null : (JSON.parse(text) as WakeupOutcome);
  }

  /** Outcomes counted since the Redis data began. */
  async counts(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(this.countsKey);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }
}
