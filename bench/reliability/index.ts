/**
 * The scenarios of `npm run bench:reliability`, in the order a run without names takes them.
 * One file per scenario in this folder; add it here.
 */
import { crash } from './crash.ts';
import type { ReliabilityScenario } from './scenario.ts';

export type { ReliabilityScenario, ScenarioOptions } from './scenario.ts';

/** Every scenario, by name. */
export const SCENARIOS: readonly ReliabilityScenario[] = [crash];
