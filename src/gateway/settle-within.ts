/**
 * How `work` settled within `timeoutMs`, or `timeout` when the time ran out first. A rejection
 * of `work` after the time ran out is consumed here, never unhandled.
 */
export async function settleWithin(work: Promise<unknown>, timeoutMs: number): Promise<'fulfilled' | 'rejected' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs))));
  const settled = work.then(() => 'fulfilled' as const, () => 'rejected' as const);
  const done = await Promise.race([settled, timedOut]);
  clearTimeout(timer);
  return done;
}
