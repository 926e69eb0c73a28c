/**
 * The wake-up service's answers to operators (the admin API, the CLI): live jobs, their states and
 * the last outcomes, each bounded in time: while Redis is away an operator gets an error at once,
 * never a request that waits for it.
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { GatewayError } from '../shared/errors.ts';
import { wakeupJobId, type WakeupJobData } from './wakeup-jobs.ts';
import { LIVE_JOB_STATES, type WakeupJobView, type WakeupOutcome } from './wakeup-types.ts';

/** ioredis connection states in which Redis is known to be away (not merely still connecting). */
const LOST_STATES: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end']);

/** Longest wait for Redis of a query or request made for an operator (admin API); then GW_ERR_WAKEUP_REDIS. */
export const WAKEUP_QUERY_TIMEOUT_MS = 5000;


/** A job as {@link WakeupJobView} shows it. */
function jobView(job: Job<WakeupJobData>, state: string): WakeupJobView {
  return {
    endpoint: job.data.endpoint, jobId: job.id ?? '', state, attempts: job.attemptsMade, triggers: job.data.triggers ?? 0,
    source: job.data.source, requestedAtMs: job.data.requestedAtMs,
  };
}

/** See the file comment. Holds no state; the connections are the service's. */
export class WakeupQueries {
  constructor(
    private readonly queue: Queue<WakeupJobData>,
    private readonly queueConnection: Redis,
    private readonly redis: Redis,
    private readonly outcomeKey: (endpoint: string) => string,
  ) {}

  /** The live job of `endpoint` (waiting, delayed, active …), or null. Rejects like {@link bound}. */
  async job(endpoint: string): Promise<WakeupJobView | null> {
    return this.bound(async () => {
      const job = await this.queue.getJob(wakeupJobId(endpoint));
      if (job === undefined) return null;
      const state = await job.getState();
      return state === 'unknown' ? null : jobView(job, state);
    }, 'the job is unknown');
  }

  /**
   * Live jobs, `active` first, then `waiting`, `prioritized`, `delayed`: at most `limit` from
   * `offset` on, and how many there are. Rejects like {@link bound}.
   */
  async jobs(offset: number, limit: number): Promise<{ readonly total: number; readonly jobs: readonly WakeupJobView[] }> {
    return this.bound(async () => {
      const counts = await this.queue.getJobCounts(...LIVE_JOB_STATES);
      let total = 0;
      for (const state of LIVE_JOB_STATES) total += counts[state] ?? 0;
      const jobs: WakeupJobView[] = [];
      let skip = offset;
      for (const state of LIVE_JOB_STATES) {
        const inState = counts[state] ?? 0;
        if (skip >= inState) {
          skip -= inState;
          continue;
        }
        const wanted = limit - jobs.length;
        if (wanted <= 0) break;
        const found = await this.queue.getJobs([state], skip, skip + wanted - 1, true);
        skip = 0;
        for (const job of found) if (job !== undefined && job !== null) jobs.push(jobView(job, state));
      }
      return { total, jobs: jobs.slice(0, limit) };
    }, 'the jobs are unknown');
  }

  /** The last outcomes of several devices (null where none), one Redis round trip. Rejects like {@link bound}. */
  async lastOutcomes(endpoints: readonly string[]): Promise<(WakeupOutcome | null)[]> {
    if (endpoints.length === 0) return [];
    return this.bound(async () => {
      const texts = await this.redis.mget(endpoints.map((endpoint) => this.outcomeKey(endpoint)));
      return texts.map((text) => (text === null ? null : (JSON.parse(text) as WakeupOutcome)));
    }, 'the outcomes are unknown');
  }

  /**
   * Runs a Redis call for an operator: GW_ERR_WAKEUP_REDIS (`… ; <consequence>`) at once while
   * Redis is known to be away, or when it does not answer within {@link WAKEUP_QUERY_TIMEOUT_MS}.
   */
  async bound<T>(run: () => Promise<T>, consequence: string): Promise<T> {
    if (LOST_STATES.has(this.queueConnection.status) || LOST_STATES.has(this.redis.status)) {
      throw new GatewayError('GW_ERR_WAKEUP_REDIS', `Redis is not connected (${this.queueConnection.status}); ${consequence}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayError('GW_ERR_WAKEUP_REDIS', `Redis did not answer within ${WAKEUP_QUERY_TIMEOUT_MS} ms; ${consequence}`)), WAKEUP_QUERY_TIMEOUT_MS);
    });
    const running = run();
    running.catch(() => undefined); // after a timeout its late failure is no news
    try {
      return await Promise.race([running, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
