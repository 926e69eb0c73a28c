/**
 * Counting what a Redis server is asked (tests that prove how many round trips or script calls a
 * piece of work costs).
 */
import { Redis } from 'ioredis';

/**
 * The commands the Redis server at `serverUrl` receives from clients (not those its scripts run)
 * while `work` runs, in arrival order. A MONITOR connection is opened first; after `work` an ECHO
 * marker sent through `redis` (a client of the same server) ends the capture, so every command
 * `work` sent is seen without waiting on a clock. The MONITOR connection is closed before it resolves.
 */
export async function commandsDuring(serverUrl: string, redis: Redis, work: () => Promise<unknown>): Promise<string[][]> {
  // MONITOR is asked of a ready client only: its ready check's INFO, answered on a connection
  // already monitoring, would be taken for the MONITOR's reply ("Command queue state error").
  const parent = new Redis(serverUrl);
  let monitor: Redis;
  try {
    await new Promise<void>((resolve, reject) => {
      parent.once('ready', () => resolve());
      parent.once('error', reject);
    });
    monitor = await parent.monitor();
  } finally {
    parent.disconnect();
  }
  const seen: string[][] = [];
  const marker = `end-${Math.random()}`;
  let done: () => void = () => {};
  const ended = new Promise<void>((resolve) => (done = resolve));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) done();
    else if (source !== 'lua') seen.push(args);
  });
  try {
    await work();
    await redis.echo(marker);
    await ended;
  } finally {
    monitor.disconnect();
  }
  return seen;
}
