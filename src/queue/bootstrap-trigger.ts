/**
 * The Bootstrap-Request Trigger for a device whose registration keeps failing (LwM2M Core
 * Appendix E.2, Server object resource 9: "If this Resource is executed the LwM2M Client MUST
 * initiate a 'Client Initiated Bootstrap' procedure"). The fall-back is configurable, as the
 * bootstrapping-and-registration requirements ask (BSR-001 "a configurable fall-back mechanism
 * when errors occur during communications with the LwM2M servers"; BSR-002 "number of retries,
 * retry back-off timers"; BSR-005 lets the bootstrap server find out that the server accounts are
 * invalid, which is what a device sent back to bootstrap gives it the chance to do).
 *
 * Failures are counted per device in Redis (`<prefix>wakeup:regfail:<endpoint>`, hash:
 * `failures` since the last trigger, `triggers` sent, `nextAtMs` the earliest next trigger): a
 * Register the core answered 4.xx/5.xx or never answered counts one. When `failures` reaches the
 * device group's `bootstrapAfterFailures` and `nextAtMs` has passed, one trigger is sent and the
 * count starts again; the wait before the next doubles (`bootstrapBackoffMs`, at most
 * `bootstrapMaxBackoffMs`). The count and the decision are one Lua script, so two gateway
 * processes never both send. A successful Register clears the count.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DeviceGroups } from '../bridge/device-groups.ts';
import type { SenderPolicy } from '../bridge/sender-policy.ts';
import { bindingOf, type DeviceRecord } from '../lwm2m/device-record.ts';
import { buildTrigger } from './triggers.ts';
import type { TriggerLedger } from './trigger-ledger.ts';
import type { TriggerSmsSender } from './wakeup-jobs.ts';
import { wakeupSettingsFor, type WakeupConfig } from './wakeup-settings.ts';

/** Counts a failure and decides (atomically) whether a trigger is due; returns {failures, trigger number or 0}. */
const COUNT_FAILURE_LUA = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if failures < tonumber(ARGV[2]) then return {failures, 0} end
local nextAt = tonumber(redis.call('HGET', KEYS[1], 'nextAtMs') or '0')
if tonumber(ARGV[1]) < nextAt then return {failures, 0} end
local sent = redis.call('HINCRBY', KEYS[1], 'triggers', 1)
local delay = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(sent - 1, 30))
redis.call('HSET', KEYS[1], 'failures', 0, 'nextAtMs', string.format('%.0f', tonumber(ARGV[1]) + delay))
return {failures, sent}
`;

/** Keys deleted by one DEL at most (bounded, so Redis stays responsive). */
const CLEAR_BATCH = 1000;

/** Events reported through the wake-up service. */
export interface BootstrapEvents {
  /** A Register of `endpoint` failed; `failures` since the last Bootstrap-Request Trigger. */
  registrationFailed(event: { readonly endpoint: string; readonly why: 'rejected' | 'unanswered'; readonly failures: number }): void;
  /** A Bootstrap-Request Trigger was sent (or could not be: `error`). */
  bootstrapTrigger(event: { readonly endpoint: string; readonly trigger: number; readonly failures: number; readonly modem: string; readonly error?: string }): void;
}

/** What {@link BootstrapTriggers} needs. */
export interface BootstrapTriggerDeps {
  readonly redis: Redis;
  readonly redisPrefix: string;
  readonly config: WakeupConfig;
  readonly groups: DeviceGroups;
  readonly senders: SenderPolicy;
  readonly sms: TriggerSmsSender;
  readonly ledger: TriggerLedger;
  readonly events: BootstrapEvents;
  readonly now: () => number;
}

/** See the file comment. Methods reject when Redis does (the caller logs it). */
export class BootstrapTriggers {
  /**
   * Failure counts to clear, gathered over one turn of the event loop and deleted by one DEL
   * (every accepted Register clears one: a command each was a tenth of the Redis client's CPU
   * per Register in bench/device-scale).
   */
  private clearing: string[] = [];
  /** The DEL of {@link clearing} once it is sent, or null while none is scheduled. */
  private cleared: Promise<void> | null = null;

  constructor(private readonly deps: BootstrapTriggerDeps) {}

  private key(endpoint: string): string {
    return `${this.deps.redisPrefix}wakeup:regfail:${endpoint}`;
  }

  /**
   * A Register of `record`'s device failed: counted, and a Bootstrap-Request Trigger sent from its
   * server modem when due. A device that cannot be sent an SMS (no MSISDN, no SMS in its Binding
   * or registration, outside the allowlist, no known server modem) is not counted.
   */
  async registrationFailed(record: DeviceRecord, why: 'rejected' | 'unanswered'): Promise<void> {
    // A count cleared by a Register just before is cleared before this failure is counted.
    if (this.cleared !== null) await this.cleared.catch(() => undefined);
    const settings = wakeupSettingsFor(this.deps.config, this.deps.groups.groupOf(record)?.name ?? null);
    if (settings.bootstrapAfterFailures === 0 || record.msisdn === null) return;
    if (!bindingOf(record).sms && record.registeredOver !== 'sms') return;
    if (!this.deps.senders.allows(record.msisdn)) return;
    const server = this.deps.groups.serverModemOf(record);
    if (server === null) return;
    const nowMs = this.deps.now();
    const keepMs = Math.max(settings.bootstrapMaxBackoffMs * 2, 86_400_000);
    const [failures, trigger] = (await this.deps.redis.eval(COUNT_FAILURE_LUA, 1, this.key(record.endpoint),
      String(nowMs), String(settings.bootstrapAfterFailures), String(settings.bootstrapBackoffMs), String(settings.bootstrapMaxBackoffMs), String(keepMs))) as [number, number];
    this.deps.events.registrationFailed({ endpoint: record.endpoint, why, failures });
    if (trigger === 0) return;
    const token = randomBytes(4);
    const messageId = randomInt(0x10000);
    const sms = buildTrigger({ kind: 'bootstrap-request', mode: settings.triggerMode, framing: settings.framing, messageId, token });
    try {
      // Expected before sending: a 1.0 device may answer at once, and its answer is not the core's business.
      await this.deps.ledger.expectAnswer(record.endpoint, messageId, token, settings.bootstrapBackoffMs);
      await this.deps.sms.send(record.msisdn, { data: sms.payload }, server.modem, sms.ports, { statusReportRequest: false });
      this.deps.events.bootstrapTrigger({ endpoint: record.endpoint, trigger, failures, modem: server.modem });
    } catch (error) {
      this.deps.events.bootstrapTrigger({ endpoint: record.endpoint, trigger, failures, modem: server.modem, error: String(error) });
    }
  }

  /**
   * `endpoint` registered: its failure count starts again. Resolves once the count is deleted
   * (one DEL for every endpoint registered in the same turn of the event loop); rejects when Redis does.
   */
  async registered(endpoint: string): Promise<void> {
    this.clearing.push(this.key(endpoint));
    this.cleared ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const keys = this.clearing;
      this.clearing = [];
      this.cleared = null;
      for (let start = 0; start < keys.length; start += CLEAR_BATCH) await this.deps.redis.del(...keys.slice(start, start + CLEAR_BATCH));
    });
    await this.cleared;
  }
}
