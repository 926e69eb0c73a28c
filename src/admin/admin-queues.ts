/**
 * Job counts of the gateway's BullMQ queues ({@link AdminGateway.queues}) for `/api/v1/queues`,
 * the status page and its events. A queue whose Redis connection is known to be lost is not
 * asked (BullMQ's connections wait for Redis forever); one that does not answer within the
 * bound is reported as unavailable rather than holding the caller.
 */
import type { Queue } from 'bullmq';
import { GatewayError } from '../shared/errors.ts';

/** The BullMQ states counted, in the order shown. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'completed', 'failed'] as const;

/** Longest wait for one count of all queues. */
export const QUEUE_COUNTS_TIMEOUT_MS = 3000;

/** ioredis connection states in which Redis is known to be away. */
const LOST_STATES: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end']);

/** One queue's counts per state. */
export interface QueueCounts {
  readonly name: string;
  readonly counts: Readonly<Record<(typeof QUEUE_STATES)[number], number>>;
}

function connectionLost(queue: Queue): boolean {
  const status = (queue.opts.connection as { status?: unknown } | undefined)?.status;
  return typeof status === 'string' && LOST_STATES.has(status);
}

/**
 * The counts of every queue, in the order given. Rejects with GW_ERR_ADMIN_REDIS at once when a
 * queue's connection is lost, or when Redis does not answer within `timeoutMs`.
 */
export async function queueCounts(queues: readonly Queue[], timeoutMs = QUEUE_COUNTS_TIMEOUT_MS): Promise<QueueCounts[]> {
  const lost = queues.find(connectionLost);
  if (lost !== undefined) throw new GatewayError('GW_ERR_ADMIN_REDIS', `Redis is not connected; the counts of queue "${lost.name}" are unknown`);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GatewayError('GW_ERR_ADMIN_REDIS', `Redis did not answer within ${timeoutMs} ms; the queue counts are unknown`)), timeoutMs);
  });
  const counting = Promise.all(queues.map(async (queue) => {
    const raw = await queue.getJobCounts(...QUEUE_STATES);
    const counts = Object.fromEntries(QUEUE_STATES.map((state) => [state, raw[state] ?? 0])) as QueueCounts['counts'];
    return { name: queue.name, counts };
  }));
  counting.catch(() => undefined); // a late failure after the timeout is no news
  try {
    return await Promise.race([counting, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
