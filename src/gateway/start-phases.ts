/**
 * Where `Gateway.start` spends its wall time: one mark per phase, each phase's duration the time
 * since the previous mark (ms, one decimal). Read once start resolves (the "gateway started" log
 * line, `Gateway.startPhasesMs`, bench/device-scale).
 */
import { performance } from 'node:perf_hooks';

/** Wall time of each start phase, ms, in the order the phases ran. */
export type StartPhasesMs = Readonly<Record<string, number>>;

/** Contract: `mark(phase)` records the time since the previous mark (or since construction) under `phase`. */
export class PhaseClock {
  private readonly phases: Record<string, number> = {};
  private lastMs = performance.now();

  /** Ends `phase` now; a phase marked twice adds up. */
  mark(phase: string): void {
    const nowMs = performance.now();
    this.phases[phase] = Math.round(((this.phases[phase] ?? 0) + nowMs - this.lastMs) * 10) / 10;
    this.lastMs = nowMs;
  }

  /** The phases marked so far. */
  get phasesMs(): StartPhasesMs {
    return { ...this.phases };
  }
}
