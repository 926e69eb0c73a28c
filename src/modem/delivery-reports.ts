/**
 * Matching SMS-STATUS-REPORTs to the SMS they report on (TS 23.040 §9.2.2.3): by message
 * reference, recipient and a time window. TP-MR is one octet and wraps at 255 (TS 23.040
 * §9.2.3.6), so the same reference comes back after 256 sends: the window and the send order
 * decide. Pure: the caller passes the time.
 */

/** One sent part awaiting its report. */
export interface SentPart {
  /** The caller's id of the whole message. */
  readonly messageId: string;
  /** 1-based part number. */
  readonly part: number;
  /** TP-MR the modem reported in `+CMGS: <mr>`. */
  readonly messageReference: number;
  /** Destination digits. */
  readonly recipient: string;
  readonly sentAtMs: number;
}

/** Options of {@link DeliveryReportMatcher}. */
export interface DeliveryReportMatcherOptions {
  /** Longest time between sending and its report. @defaultValue 172800000 (2 days) */
  readonly windowMs?: number;
  /** Most parts kept waiting; the oldest are dropped beyond it. @defaultValue 100000 */
  readonly maxPending?: number;
}

/** Digits only. */
function digits(address: string): string {
  return address.replace(/\D/g, '');
}

/**
 * True when two numbers name the same subscriber: equal digits, or one is the other without
 * its country code or trunk prefix (SMSCs report `0170…` for `+49170…`), with at least 7 digits
 * in common.
 */
export function sameRecipient(a: string, b: string): boolean {
  const x = digits(a);
  const y = digits(b);
  if (x === y) return x.length > 0;
  const [shorter, longer] = x.length < y.length ? [x, y] : [y, x];
  const core = shorter.replace(/^0+/, '');
  return core.length >= 7 && longer.endsWith(core);
}

/**
 * Remembers sent parts and finds the one a report is about. Contract: `match` returns the most
 * recently sent part with the same reference and recipient that was sent before the report and
 * within the window, and forgets it; null when none fits (a report for an unknown or expired send).
 */
export class DeliveryReportMatcher {
  private readonly pending: SentPart[] = [];
  private readonly windowMs: number;
  private readonly maxPending: number;

  constructor(options: DeliveryReportMatcherOptions = {}) {
    this.windowMs = options.windowMs ?? 172_800_000;
    this.maxPending = options.maxPending ?? 100_000;
  }

  /** Number of parts waiting for a report. */
  get size(): number {
    return this.pending.length;
  }

  /** Remembers a sent part. */
  record(part: SentPart): void {
    this.pending.push(part);
    if (this.pending.length > this.maxPending) this.pending.splice(0, this.pending.length - this.maxPending);
  }

  /** Finds and forgets the part a report is about. */
  match(messageReference: number, recipient: string, receivedAtMs: number): SentPart | null {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const part = this.pending[i];
      if (part === undefined) continue;
      if (part.messageReference !== messageReference || !sameRecipient(part.recipient, recipient)) continue;
      if (part.sentAtMs > receivedAtMs || receivedAtMs - part.sentAtMs > this.windowMs) continue;
      this.pending.splice(i, 1);
      return part;
    }
    return null;
  }

  /** Forgets parts older than the window; returns them (their reports never came). */
  prune(nowMs: number): SentPart[] {
    const expired = this.pending.filter((p) => nowMs - p.sentAtMs > this.windowMs);
    if (expired.length > 0) {
      const keep = this.pending.filter((p) => nowMs - p.sentAtMs <= this.windowMs);
      this.pending.splice(0, this.pending.length, ...keep);
    }
    return expired;
  }
}
