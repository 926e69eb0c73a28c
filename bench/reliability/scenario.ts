/**
 * What one reliability scenario is (bench/reliability.ts runs them): a name and a run that
 * starts what it needs, breaks it, counts, stops everything and returns its figures. A result
 * with `pass: false` makes the runner exit with 1.
 */

/** Options every scenario gets. */
export interface ScenarioOptions {
  /** A smaller run (fewer messages, fewer faults) for a quick check; the documented figures come from full runs. */
  readonly quick: boolean;
}

/** One scenario of `npm run bench:reliability`. */
export interface ReliabilityScenario {
  readonly name: string;
  run(options: ScenarioOptions): Promise<Record<string, unknown>>;
}
