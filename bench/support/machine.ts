/**
 * What a benchmark ran on, so a figure can be compared with one from another day or machine:
 * the CPUs this process may use (`nproc`), the CPU model from /proc/cpuinfo, and Node's version.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform } from 'node:os';

/** The machine a benchmark ran on. */
export interface MachineInfo {
  /** CPUs available to this process, as `nproc` prints it. */
  readonly cpus: number;
  readonly cpuModel: string;
  /** `process.version`, e.g. `v20.20.2`. */
  readonly node: string;
  readonly platform: string;
}

/** Reads the facts once; falls back to `node:os` where `nproc` or /proc/cpuinfo is missing. */
export function describeMachine(): MachineInfo {
  return { cpus: nproc(), cpuModel: cpuModel(), node: process.version, platform: `${platform()} ${process.arch}` };
}

/** One line, e.g. `2 × AMD EPYC, Node v20.20.2, linux x64`. */
export function formatMachine(machine: MachineInfo): string {
  return `${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${machine.platform}`;
}

/**
 * Notes the 1-minute load average now (other work on the machine); the returned function gives
 * `[at start, now]`, each rounded to 2 decimals, for a report's `loadAverage`.
 */
export function loadAverageWindow(): () => readonly [number, number] {
  const atStart = oneMinuteLoad();
  return () => [atStart, oneMinuteLoad()];
}

function oneMinuteLoad(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

function nproc(): number {
  try {
    const count = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
    if (Number.isInteger(count) && count > 0) return count;
  } catch {
    // not on PATH: fall through
  }
  return availableParallelism();
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^model name\s*:/.test(l));
    const model = line?.split(':').slice(1).join(':').trim();
    if (model) return model;
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model.trim() || 'unknown CPU';
}

/**
 * A reader of the CPU time (user + system) another process has used so far, µs, from
 * /proc/<pid>/stat (fields 14 and 15, in clock ticks of `getconf CLK_TCK`, usually 10 ms: good
 * for spans of a second or more). Linux only; the reader returns 0 elsewhere or once the process is gone.
 */
export function processCpuReader(pid: number): () => number {
  let ticksPerSec = 100;
  try {
    ticksPerSec = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    // no getconf: Linux's usual 100
  }
  return () => {
    try {
      // The command name (field 2) may hold spaces: the fields are counted after its ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / ticksPerSec;
    } catch {
      return 0;
    }
  };
}
