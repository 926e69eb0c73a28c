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
