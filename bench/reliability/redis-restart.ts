/**
 * Reliability scenario `redis-restart`: Redis (append-only file, `appendfsync always`, its own
 * port and folder) is restarted under load, once with SIGTERM and once with kill -9, while SMS
 * devices send Updates, the lab core reads them, and wake-up jobs wait in the queue. The gateway
 * must reconnect by itself and lose nothing: every Update answered, every Read answered, every
 * inbox entry relayed (none left pending), every wake-up job ending with an outcome. Measured:
 * from Redis answering again to the gateway's "redis connected again" and to the first Update
 * answered after it (p50/max). See docs/reliability.md#redis-restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { addWakeupJob, bullConnection, wakeupQueue } from '../../src/queue/wakeup-jobs.ts';
import { freeTcpPort, startPrivateRedis, type PrivateRedis } from '../../src/sim/private-redis.ts';
import { p50Max, startFaultRig, startLoad, until, type FaultRig } from './fault-rig.ts';

/** The scenario's figures (the JSON of its last line). */
export interface RedisRestartResult extends Record<string, unknown> {
  readonly scenario: 'redis-restart';
  readonly devices: number;
  readonly restarts: readonly string[];
  /** Redis answering PING again → the gateway's "redis connected again" log line. */
  readonly redisUpToReconnected: ReturnType<typeof p50Max>;
  /** Redis answering PING again → the first Update answered end to end. */
  readonly redisUpToFirstUplink: ReturnType<typeof p50Max>;
  /** How long Redis was away (kill to PING). */
  readonly redisDown: ReturnType<typeof p50Max>;
  readonly updatesSent: number;
  readonly updatesAnswered: number;
  readonly readsSent: number;
  readonly readsOk: number;
  readonly readsFailed: Readonly<Record<string, number>>;
  readonly inboxEntries: number;
  readonly inboxPending: number;
  readonly wakeupJobsRequested: number;
  readonly wakeupOutcomes: number;
  readonly wakeupJobsLeft: number;
  readonly lost: number;
  readonly gatewayStillRunning: boolean;
  readonly pass: boolean;
}

const PREFIX = 'fault:';

async function withClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

async function startRedis(port: number, dir: string): Promise<PrivateRedis> {
  // Later arguments win: the AOF lives in `dir`, which outlives each redis-server.
  return startPrivateRedis({ port, appendOnly: true, extraArgs: ['--dir', dir, '--appendfsync', 'always'] });
}

/** Asks for wake-ups of every device, as `smsbridge wakeup` does (BullMQ jobs in Redis). */
async function requestWakeups(redisUrl: string, endpoints: readonly string[]): Promise<void> {
  const connection = bullConnection(redisUrl);
  connection.on('error', () => undefined);
  const queue = wakeupQueue(connection, PREFIX);
  queue.on('error', () => undefined);
  try {
    for (const endpoint of endpoints) await addWakeupJob(queue, endpoint, 'cli', Date.now());
  } finally {
    await queue.close().catch(() => undefined);
    connection.disconnect();
  }
}

/** Runs the scenario; `quick`: fewer devices, one restart of each kind. */
export async function run(options: { quick: boolean }): Promise<RedisRestartResult> {
  const devices = options.quick ? 4 : 8;
  const restarts = options.quick ? ['SIGTERM', 'SIGKILL'] : ['SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL'];
  const holdMs = options.quick ? 2000 : 5000;
  const dataDir = await mkdtemp(join(tmpdir(), 'smsbridge-aof-'));
  const port = await freeTcpPort();
  let redis = await startRedis(port, dataDir);
  let rig: FaultRig | null = null;
  try {
    // Wake-up back-off long enough that the jobs are waiting in Redis when it goes.
    rig = await startFaultRig({ redisUrl: redis.url, devices, extraYaml: 'wakeup:\n  backoffMs: 2000\n  maxBackoffMs: 4000\n  attempts: 5\n  ttlMs: 600000\n' });
    const load = startLoad(rig, { updateGapMs: 200, readers: 2, readGapMs: 100 });
    await until('the load is flowing', () => load.updatesAnswered() >= devices * 2 && load.readsOk() >= 4);
    const reconnected: number[] = [];
    const firstUplink: number[] = [];
    const down: number[] = [];
    let wakeupJobsRequested = 0;
    for (const signal of restarts) {
      await requestWakeups(redis.url, rig.endpoints);
      wakeupJobsRequested += rig.endpoints.length;
      const from = rig.gateway.lines.length;
      const killedAt = performance.now();
      process.kill(redis.pid, signal as NodeJS.Signals);
      await redis.stop(); // waits for the server to exit (its watcher removes only its own temporary folder)
      await rig.gateway.waitFor((r) => r.msg === 'redis unreachable, retrying', from);
      await new Promise((resolve) => setTimeout(resolve, holdMs)); // Redis stays away this long, under load
      redis = await startRedis(port, dataDir);
      const upAt = performance.now();
      down.push(upAt - killedAt);
      const answeredAtUp = load.updatesAnswered();
      reconnected.push((await rig.gateway.waitFor((r) => r.msg === 'redis connected again', from)).atMs - upAt);
      await until('an Update is answered after the restart', () => load.updatesAnswered() > answeredAtUp);
      firstUplink.push(performance.now() - upAt);
      // A job without an outcome after 5 minutes counts as lost below (the run goes on).
      await until('the wake-up jobs have ended', async () => (await withClient(redis.url, async (c) => sumCounts(await c.hgetall(`${PREFIX}wakeup:counts`)))) >= wakeupJobsRequested, 300_000)
        .catch(() => undefined);
    }
    const result = await load.stop();
    const figures = await withClient(redis.url, async (client) => {
      const pending = (await client.xpending(`${PREFIX}inbox:messages`, 'relay')) as [number, ...unknown[]];
      const counts = sumCounts(await client.hgetall(`${PREFIX}wakeup:counts`));
      const left = (await client.keys(`${PREFIX}bull:wakeup:wakeup-*`)).length;
      return { inboxEntries: await client.xlen(`${PREFIX}inbox:messages`), inboxPending: Number(pending[0]), wakeupOutcomes: counts, wakeupJobsLeft: left };
    });
    const lost = result.updatesFailed + (result.readsSent - result.readsOk) + Math.max(0, wakeupJobsRequested - figures.wakeupOutcomes);
    const running = rig.gateway.child.exitCode === null;
    return {
      scenario: 'redis-restart', devices, restarts,
      redisUpToReconnected: p50Max(reconnected), redisUpToFirstUplink: p50Max(firstUplink), redisDown: p50Max(down),
      updatesSent: result.updatesSent, updatesAnswered: result.updatesAnswered, readsSent: result.readsSent, readsOk: result.readsOk, readsFailed: result.readsFailed,
      ...figures, wakeupJobsRequested, lost, gatewayStillRunning: running,
      pass: lost === 0 && figures.inboxPending === 0 && running,
    };
  } finally {
    await rig?.stop();
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function sumCounts(counts: Record<string, string>): number {
  return Object.values(counts).reduce((sum, value) => sum + Number(value), 0);
}

/** The scenario as bench/reliability/index.ts lists it (`npm run bench:reliability -- redis-restart`). */
export const redisRestart = { name: 'redis-restart', run } as const;
