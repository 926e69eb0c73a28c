/**
 * Restart loop: the restart of bench/device-scale.ts alone, repeated, for profiling and for
 * before/after comparisons on a busy machine (more restarts per minute than the whole benchmark).
 * N devices register and update once through the gateway (its own process, a private Redis,
 * the same swarm, core and addresses as device-scale), then the gateway is stopped and started
 * again `--restarts` times; each start prints one JSON line: wall and CPU time of Gateway.start,
 * sockets bound and waiting, the start's phases (`Gateway.startPhasesMs`), the restore report
 * (unbound devices by errno), and the load average. Last, an empty gateway's start (what the
 * device-scale benchmark counts once when it scales to 100,000 devices).
 *
 * Usage: `tsx bench/restart-loop.ts [--devices 19000] [--restarts 4]`; run it under
 * `flock /tmp/bench.lock` where other benchmarks share the machine. Node flags for the
 * gateway's process: `DEVICE_SCALE_GATEWAY_NODE_FLAGS` (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
 * No target: the device-scale benchmark is the one that says pass or fail.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPrivateRedis } from '../src/sim/private-redis.ts';
import { runIfMain } from './support/entry.ts';
import { startJsonChild, type JsonChild } from './support/json-child.ts';
import { integerOption } from './support/options.ts';

const GATEWAY_BIND_HOSTS = '127.0.0.30,127.0.0.31';
const DEVICE_HOSTS = ['127.0.0.10', '127.0.0.11', '127.0.0.12', '127.0.0.13'];
const script = (name: string): string => fileURLToPath(new URL(`./support/${name}`, import.meta.url));
const loadAverage = (): number => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/** One start of the gateway, as printed. */
function startLine(child: JsonChild): Record<string, unknown> {
  const hello = child.hello;
  return {
    startMs: Math.round(hello.startMs as number), startCpuMs: Math.round(hello.startCpuMs as number), sockets: hello.sockets, pending: hello.pending,
    phasesMs: hello.startPhasesMs, unboundBy: (hello.restore as { unboundBy?: unknown } | null)?.unboundBy ?? {}, load: loadAverage(),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2).filter((arg) => arg !== '--'), options: { devices: { type: 'string' }, restarts: { type: 'string' } } });
  const devices = integerOption(values.devices, 19_000, 'devices');
  const restarts = integerOption(values.restarts, 4, 'restarts');
  const flags = (process.env.DEVICE_SCALE_GATEWAY_NODE_FLAGS ?? '--min-semi-space-size=16').split(/\s+/).filter((flag) => flag !== '');
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const core = await startJsonChild(script('scale-core.ts'));
    cleanups.push(() => core.stop());
    const swarm = await startJsonChild(script('scale-swarm.ts'));
    cleanups.push(() => swarm.stop());
    await swarm.ask({ op: 'open', devices, hosts: DEVICE_HOSTS });
    const coreAddress = core.hello.core as { host: string; port: number };
    const gateway = (redisUrl: string): Promise<JsonChild> => startJsonChild(script('scale-sut.ts'), ['gateway', redisUrl, coreAddress.host, String(coreAddress.port), GATEWAY_BIND_HOSTS, '20000', '31999'], flags);
    let sut = await gateway(redis.url);
    cleanups.push(() => sut.stop());
    const target = sut.hello.udp;
    for (const kind of ['register', 'update'] as const) console.log(JSON.stringify({ round: kind, ...(await swarm.ask({ op: 'round', kind, target, window: 200 })) }));
    for (let i = 0; i < restarts; i += 1) {
      await sut.stop();
      sut = await gateway(redis.url);
      console.log(JSON.stringify({ restart: i + 1, devices, ...startLine(sut) }));
    }
    const empty = await gateway(`${redis.url}/1`);
    console.log(JSON.stringify({ empty: true, ...startLine(empty) }));
    await empty.stop();
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }
}

runIfMain(import.meta.url, main);
