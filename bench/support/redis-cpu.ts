/**
 * The CPU time a Redis server spends, read from `INFO` (benchmarks where Redis shares the
 * machine's cores with the system under test, so its CPU is part of what the system costs).
 */
import type { Redis } from 'ioredis';

/** What a Redis server has spent so far (differences of two readings give a phase's cost). */
export interface RedisCpuReading {
  /** `used_cpu_user` + `used_cpu_sys` of the server process, µs (commands, scripts and network I/O). */
  readonly serverCpuUs: number;
  /** Sum of `usec` over `INFO commandstats`, INFO aside (time spent running commands and the scripts they run), µs. */
  readonly commandUs: number;
  /** Per command (`evalsha`, `get`, …): calls and µs so far. */
  readonly commands: Readonly<Record<string, { readonly calls: number; readonly usec: number }>>;
}

/** Reads {@link RedisCpuReading} from `redis` (one INFO call). */
export async function readRedisCpu(redis: Redis): Promise<RedisCpuReading> {
  const info = await redis.info('everything');
  let userSec = 0;
  let sysSec = 0;
  let commandUs = 0;
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
    if (stat[1] !== 'info') commandUs += Number(stat[3]); // not the readings themselves
  }
  return { serverCpuUs: Math.round((userSec + sysSec) * 1e6), commandUs, commands };
}

/** What was spent between two readings (`commands`: only those called in between). */
export function redisCpuBetween(before: RedisCpuReading, after: RedisCpuReading): RedisCpuReading {
  const commands: Record<string, { calls: number; usec: number }> = {};
  for (const [name, now] of Object.entries(after.commands)) {
    const was = before.commands[name] ?? { calls: 0, usec: 0 };
    if (now.calls > was.calls) commands[name] = { calls: now.calls - was.calls, usec: now.usec - was.usec };
  }
  return { serverCpuUs: after.serverCpuUs - before.serverCpuUs, commandUs: after.commandUs - before.commandUs, commands };
}

/** The sum of two phases' costs. */
export function addRedisCpu(a: RedisCpuReading, b: RedisCpuReading): RedisCpuReading {
  const commands: Record<string, { calls: number; usec: number }> = { ...a.commands };
  for (const [name, cost] of Object.entries(b.commands)) {
    const was = commands[name] ?? { calls: 0, usec: 0 };
    commands[name] = { calls: was.calls + cost.calls, usec: was.usec + cost.usec };
  }
  return { serverCpuUs: a.serverCpuUs + b.serverCpuUs, commandUs: a.commandUs + b.commandUs, commands };
}
