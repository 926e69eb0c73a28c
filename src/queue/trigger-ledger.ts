/**
 * What the gateway remembers in Redis about the trigger SMS it sent, so that any gateway process
 * (and the next one after a restart) can finish the story:
 * - which wake-up job and trigger a sent SMS belongs to (`<prefix>wakeup:sms:<messageId>`), so a
 *   status report (matched to the SMS by its TP-MR, see src/modem/delivery-reports.ts) reaches
 *   the job even while the job waits out its back-off;
 * - the reports of each trigger of a job run (`<prefix>wakeup:delivery:<endpoint>:<run>`, hash:
 *   `t<n>` the trigger's message id, parts and send time; `t<n>:<part>` the part's TP-ST);
 * - the CoAP Message ID and token of the last trigger to each device
 *   (`<prefix>wakeup:answer:<endpoint>`), so that a 1.0 device's answer to a CON or NON trigger
 *   (RFC 7252 §5.2.1 piggybacked ACK, §5.2.3 NON response; LwM2M 1.0 Table 8: under US/UQS a
 *   request sent over SMS is answered over SMS) is recognised and consumed, not relayed.
 * Every key expires by itself; nothing here lives longer than the job that wrote it needs.
 */
import type { Redis } from 'ioredis';
import type { CoapMessage } from '../lwm2m/coap-message.ts';

/** A trigger SMS's place in its job. */
export interface TriggerRef {
  readonly endpoint: string;
  /** The job run (its `requestedAtMs`): a later job of the same device is another run. */
  readonly run: number;
  /** 1-based trigger number. */
  readonly trigger: number;
}

/** One sent trigger of a run, with the TP-ST of each part whose report came. */
export interface SentTrigger {
  readonly trigger: number;
  readonly messageId: string;
  readonly parts: number;
  readonly sentAtMs: number;
  readonly statuses: ReadonlyMap<number, number>;
}

/** Redis store of the trigger bookkeeping; see the file comment. Every method rejects when Redis does. */
export class TriggerLedger {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private smsKey(messageId: string): string {
    return `${this.prefix}wakeup:sms:${messageId}`;
  }

  private deliveryKey(endpoint: string, run: number): string {
    return `${this.prefix}wakeup:delivery:${endpoint}:${run}`;
  }

  private answerKey(endpoint: string): string {
    return `${this.prefix}wakeup:answer:${endpoint}`;
  }

  /** Records a sent trigger SMS; its records expire after `keepMs`. */
  async sent(ref: TriggerRef, messageId: string, parts: number, sentAtMs: number, keepMs: number): Promise<void> {
    const key = this.deliveryKey(ref.endpoint, ref.run);
    await this.redis.multi()
      .set(this.smsKey(messageId), JSON.stringify({ ...ref, keepMs }), 'PX', keepMs)
      .hset(key, `t${ref.trigger}`, JSON.stringify({ messageId, parts, sentAtMs }))
      .pexpire(key, keepMs)
      .exec();
  }

  /** Records the TP-ST of one part of a sent SMS; the trigger it belongs to, or null for another SMS. */
  async report(messageId: string, part: number, status: number): Promise<TriggerRef | null> {
    const text = await this.redis.get(this.smsKey(messageId));
    if (text === null) return null;
    const { keepMs, ...ref } = JSON.parse(text) as TriggerRef & { keepMs: number };
    const key = this.deliveryKey(ref.endpoint, ref.run);
    // With its expiry again: the run may have been forgotten since the GET.
    await this.redis.multi().hset(key, `t${ref.trigger}:${part}`, String(status)).pexpire(key, keepMs).exec();
    return ref;
  }

  /** The triggers of a run, in order, with their reports so far. */
  async triggers(endpoint: string, run: number): Promise<SentTrigger[]> {
    const raw = await this.redis.hgetall(this.deliveryKey(endpoint, run));
    const out = new Map<number, { messageId: string; parts: number; sentAtMs: number; statuses: Map<number, number> }>();
    const entry = (trigger: number): { messageId: string; parts: number; sentAtMs: number; statuses: Map<number, number> } => {
      let found = out.get(trigger);
      if (found === undefined) {
        found = { messageId: '', parts: 1, sentAtMs: 0, statuses: new Map() };
        out.set(trigger, found);
      }
      return found;
    };
    for (const [field, value] of Object.entries(raw)) {
      const match = /^t(\d+)(?::(\d+))?$/.exec(field);
      if (match === null) continue;
      const target = entry(Number(match[1]));
      if (match[2] === undefined) Object.assign(target, JSON.parse(value) as { messageId: string; parts: number; sentAtMs: number });
      else target.statuses.set(Number(match[2]), Number(value));
    }
    return [...out.entries()].sort(([a], [b]) => a - b).map(([trigger, value]) => ({ trigger, ...value }));
  }

  /**
   * Forgets a run's reports and its SMS ids (its outcome keeps the diagnosis): a report that
   * comes later finds nothing, rather than re-creating the run's hash without an expiry.
   */
  async forget(endpoint: string, run: number, messageIds: readonly string[]): Promise<void> {
    await this.redis.del(this.deliveryKey(endpoint, run), ...messageIds.map((id) => this.smsKey(id)));
  }

  /** Expects the device's answer to the trigger just sent (CoAP Message ID and token) for `keepMs`. */
  async expectAnswer(endpoint: string, coapMessageId: number, token: Uint8Array, keepMs: number): Promise<void> {
    await this.redis.set(this.answerKey(endpoint), JSON.stringify({ mid: coapMessageId, token: Buffer.from(token).toString('hex') }), 'PX', keepMs);
  }

  /**
   * True when `message` from `endpoint` answers its last trigger: an ACK or RST with the
   * trigger's Message ID (RFC 7252 §4.2, §5.2.1), or a response carrying its token (§5.3.2);
   * the expectation is then used up, so a retransmitted answer is not consumed twice.
   */
  async takeAnswer(endpoint: string, message: CoapMessage): Promise<boolean> {
    const isAnswer = message.type === 'ACK' || message.type === 'RST' || message.code >= 64;
    if (!isAnswer) return false;
    const text = await this.redis.get(this.answerKey(endpoint));
    if (text === null) return false;
    const expected = JSON.parse(text) as { mid: number; token: string };
    const byId = (message.type === 'ACK' || message.type === 'RST') && message.messageId === expected.mid;
    const byToken = message.type !== 'RST' && message.code >= 64 && expected.token.length > 0 && Buffer.from(message.token).toString('hex') === expected.token;
    if (!byId && !byToken) return false;
    return (await this.redis.del(this.answerKey(endpoint))) === 1;
  }
}
