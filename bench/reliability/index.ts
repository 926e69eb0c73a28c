/**
 * The scenarios of `npm run bench:reliability`, in the order a run without names takes them.
 * One file per scenario in this folder; add it here.
 */
import { coreDown } from './core-down.ts';
import { crash } from './crash.ts';
import { modemLoss } from './modem-loss.ts';
import { redisRestart } from './redis-restart.ts';
import type { ReliabilityScenario } from './scenario.ts';

export type { ReliabilityScenario, ScenarioOptions } from './scenario.ts';

/** Every scenario, by name. */
export const SCENARIOS: readonly ReliabilityScenario[] = [crash, modemLoss, redisRestart, coreDown];
