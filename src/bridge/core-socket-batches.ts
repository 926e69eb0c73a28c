/**
 * How the core-facing socket pool works through many devices at once (a restart, a retry pass):
 * synchronous work in runs between turns of the event loop, or asynchronous work a bounded
 * number at a time.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Runs `work` on every item, `batch` items in one synchronous run between turns of the event
 * loop (so datagrams and timers are served meanwhile); the promises `work` returns (what could
 * not be done at once) are awaited at the end. Rejects when one of them does.
 */
export async function inBatches(batch: number, items: readonly string[], work: (item: string) => Promise<void> | undefined): Promise<void> {
  const size = Math.max(1, batch);
  const later: Promise<void>[] = [];
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) await nextTurn();
    const end = Math.min(items.length, start + size);
    for (let i = start; i < end; i += 1) {
      const pending = work(items[i]!);
      if (pending !== undefined) later.push(pending);
    }
  }
  await Promise.all(later);
}

/** Runs `work` on every item, at most `concurrency` at a time, in order of the items. Rejects when one does. */
export async function inParallel(concurrency: number, items: readonly string[], work: (item: string) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker));
}
