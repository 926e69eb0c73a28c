/**
 * The CPU time a Redis server spends, read from `INFO` (benchmarks where Redis shares the
 * machine's cores with the system under test, so its CPU is part of what the system costs).
 */
import type { Redis } from 'ioredis';

/** The commands that run a Lua script. */
const SCRIPT_COMMANDS: ReadonlySet<string> = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro']);

/** What a Redis server has spent so far (differences of two readings give a phase's cost). */
export interface RedisCpuReading {
  /** `used_cpu_user` + `used_cpu_sys` of the server process, µs (commands, scripts and network I/O). */
  readonly serverCpuUs: number;
  /**
   * `usec` of the script commands (`eval`, `evalsha` and their `_ro` forms) in `INFO commandstats`:
   * time spent running scripts, the commands they call included, µs. Wall time while the command
   * runs, so on a loaded machine it can exceed the CPU time.
   */
  readonly scriptUs: number;
  /**
   * Per command (`evalsha`, `get`, …): calls and µs so far, as `INFO commandstats` counts them
   * (Redis 7: the commands scripts call are counted too, and inside their script's time).
   */
  readonly commands: Readonly<Record<string, { readonly calls: number; readonly usec: number }>>;
}

/** Reads {@link RedisCpuReading} from `redis` (one INFO call). */
export async function readRedisCpu(redis: Redis): Promise<RedisCpuReading> {
  const info = await redis.info('everything');
  let userSec = 0;
  let sysSec = 0;
  let scriptUs = 0;
  const commands: Record<string, { calls: number; usec: number }> = {};
  for (const line of info.split(/\r?\n/)) {
    const cpu = /^used_cpu_(user|sys):([\d.]+)$/.exec(line);
    if (cpu !== null) {
      if (cpu[1] === 'user') userSec = Number(cpu[2]);
      else sysSec = Number(cpu[2]);
      continue;
    }
    const stat = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+),/.exec(line);
    if (stat === null) continue;
    commands[stat[1]!] = { calls: Number(stat[2]), usec: Number(stat[3]) };
    if (SCRIPT_COMMANDS.has(stat[1]!)) scriptUs += Number(stat[3]);
  }
  return { serverCpuUs: Math.round((userSec + sysSec) * 1e6), scriptUs, commands };
}

/** What was spent between two readings (`commands`: only those called in between). */
export function redisCpuBetween(before: RedisCpuReading, after: RedisCpuReading): RedisCpuReading {
  const commands: Record<string, { calls: number; usec: number }> = {};
  for (const [name, now] of Object.entries(after.commands)) {
    const was = before.commands[name] ?? { calls: 0, usec: 0 };
    if (now.calls > was.calls) commands[name] = { calls: now.calls - was.calls, usec: now.usec - was.usec };
  }
  return { serverCpuUs: after.serverCpuUs - before.serverCpuUs, scriptUs: after.scriptUs - before.scriptUs, commands };
}

/** The sum of two phases' costs. */
export function addRedisCpu(a: RedisCpuReading, b: RedisCpuReading): RedisCpuReading {
  const commands: Record<string, { calls: number; usec: number }> = { ...a.commands };
  for (const [name, cost] of Object.entries(b.commands)) {
    const was = commands[name] ?? { calls: 0, usec: 0 };
    commands[name] = { calls: was.calls + cost.calls, usec: was.usec + cost.usec };
  }
  return { serverCpuUs: a.serverCpuUs + b.serverCpuUs, scriptUs: a.scriptUs + b.scriptUs, commands };
}
