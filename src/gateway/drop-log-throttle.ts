/**
 * Keeps the log readable during a flood: of the messages a flood limit drops, the first drop of a
 * source is logged as it happens, the rest only as one summary line per source per interval
 * ("dropped N from X"). Counting is not affected (the relay and the inbox consumer count every
 * drop); only the log lines are thinned. Pure: the caller ends each interval by calling
 * {@link DropLogThrottle.summarize} (the gateway's logging does so every 10 s).
 */

/** A summary of one source's drops since the previous {@link DropLogThrottle.summarize}. */
export interface DropSummary {
  /** What was dropped: `sms` (by originating number) or `udp` (by source host). */
  readonly kind: string;
  /** The source, or `*` for sources beyond {@link DropLogThrottleOptions.maxSources}. */
  readonly source: string;
  /** Drops not logged one by one since the previous summary. */
  readonly dropped: number;
}

/** Options of {@link DropLogThrottle}. */
export interface DropLogThrottleOptions {
  /**
   * Most sources tracked at once; drops of further new sources are summed under source `*`
   * without a line of their own (a flood of spoofed UDP sources cannot flood the log or memory).
   * @defaultValue 1000
   */
  readonly maxSources?: number;
}

/**
 * Decides which drops get a log line. Contract: {@link record} is true exactly for the first drop
 * of a source that had no drop since the summary before last (it starts an "episode");
 * {@link summarize} returns, per source, the drops of the episode not yet logged, and forgets the
 * sources that dropped nothing in the interval just ended (their next drop is a first again).
 * Memory: at most `maxSources` + 1 entries.
 */
export class DropLogThrottle {
  /** key `kind\0source` → drops since the last summary not logged one by one (−1: none yet this interval). */
  private readonly episodes = new Map<string, number>();
  private overflow = new Map<string, number>();
  private readonly maxSources: number;

  constructor(options: DropLogThrottleOptions = {}) {
    this.maxSources = options.maxSources ?? 1000;
  }

  /** Sources with an open episode now. */
  get trackedSources(): number {
    return this.episodes.size;
  }

  /** Notes one drop; true when this drop is to be logged on its own line (the first of an episode). */
  record(kind: string, source: string): boolean {
    const key = `${kind}\0${source}`;
    const pending = this.episodes.get(key);
    if (pending === undefined) {
      if (this.episodes.size >= this.maxSources) {
        this.overflow.set(kind, (this.overflow.get(kind) ?? 0) + 1);
        return false;
      }
      this.episodes.set(key, 0);
      return true;
    }
    this.episodes.set(key, Math.max(pending, 0) + 1);
    return false;
  }

  /** The drops to summarise for the interval that just ended (sources with none are left out). */
  summarize(): DropSummary[] {
    const summaries: DropSummary[] = [];
    for (const [key, pending] of this.episodes) {
      if (pending > 0) {
        const [kind = '', source = ''] = key.split('\0');
        summaries.push({ kind, source, dropped: pending });
        this.episodes.set(key, -1);
      } else if (pending < 0) {
        this.episodes.delete(key); // a whole interval without a drop: the episode is over
      } else {
        this.episodes.set(key, -1); // only its first drop, already logged
      }
    }
    for (const [kind, dropped] of this.overflow) summaries.push({ kind, source: '*', dropped });
    this.overflow = new Map();
    return summaries;
  }
}
