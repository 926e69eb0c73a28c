/**
 * Benchmark `reliability`: the proof under faults (docs/reliability.md). Runs the scenarios of
 * bench/reliability/index.ts one after the other in this process, each starting and stopping
 * its own processes.
 *
 * Usage: `npm run bench:reliability [-- [<scenario>…] [--quick]]`. No name runs every scenario.
 * Prints each scenario's figures as it ends, then as its LAST line one JSON object:
 * `{ bench: 'reliability', date, machine, loadAverage, quick, scenarios: { <name>: figures }, pass }`.
 * Exit code 1 when a scenario failed (threw, or returned `pass: false`); an unknown name is an error.
 */
import { parseArgs } from 'node:util';
import { SCENARIOS } from './reliability/index.ts';
import { BenchUsageError, runIfMain } from './support/entry.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';

async function main(): Promise<void> {
  // `--` is skipped wherever it stands: `npm run bench:reliability -- crash -- --quick` means `crash --quick`.
  const { values, positionals } = parseArgs({ args: process.argv.slice(2).filter((arg) => arg !== '--'), options: { quick: { type: 'boolean', default: false } }, allowPositionals: true });
  const unknown = positionals.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) throw new BenchUsageError(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const chosen = positionals.length === 0 ? SCENARIOS : SCENARIOS.filter((scenario) => positionals.includes(scenario.name));
  const load = loadAverageWindow();
  const date = new Date().toISOString();
  const scenarios: Record<string, Record<string, unknown>> = {};
  let pass = true;
  for (const scenario of chosen) {
    console.log(`reliability: ${scenario.name}${values.quick ? ' (quick)' : ''} …`);
    try {
      scenarios[scenario.name] = await scenario.run({ quick: values.quick === true });
    } catch (error) {
      scenarios[scenario.name] = { pass: false, error: String(error) };
    }
    if (scenarios[scenario.name]!.pass === false) pass = false;
    console.log(`reliability: ${scenario.name}: ${JSON.stringify(scenarios[scenario.name])}`);
  }
  console.log(JSON.stringify({ bench: 'reliability', date, machine: formatMachine(describeMachine()), loadAverage: load(), quick: values.quick === true, scenarios, pass }));
  if (!pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
