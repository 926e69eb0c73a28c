/**
 * Benchmark `startup`: wall time from spawning `smsbridge` until it exits, for the commands a
 * field engineer types most (`pdu decode <hex>`, `--version`), against `node -e 0` (Node's own
 * start-up on this machine) in the same run.
 *
 * The executable is the compiled `bin` of package.json (`dist/main.js`; `npm run bench:startup`
 * builds it first), run as `node dist/main.js …`: what `npx smsbridge` runs after an install.
 * The three commands take turns (round robin), one child process at a time, `--runs` times each
 * after `--warmup` rounds, so load on the machine hits all three alike. Figures: p50 and p90 of
 * the wall times, and p50 of each command ÷ p50 of `node -e 0`. Target: `pdu decode` p50 under
 * `--target-ms` (150 ms).
 *
 * Usage: `npm run bench:startup [-- --write-docs]`, or directly `tsx bench/startup.ts [--runs 40]
 * [--warmup 3] [--target-ms 150]`. Prints a table, then as its LAST line one JSON object
 * ({@link StartupReport}). Exit code 1 when the target is missed or a command failed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runIfMain } from './support/entry.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import { integerOption } from './support/options.ts';
import { runResults, type ResultsEntry, type RunFacts } from './support/results-doc.ts';
import { round } from './support/numbers.ts';

/** The classic SMS-DELIVER example ("hellohello"), as in the README. */
const PDU_HEX = '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37';

/** Parameters of one run. */
export interface StartupOptions {
  /** Measured runs of each command. */
  readonly runs: number;
  /** Rounds before measuring (file cache, CPU frequency). */
  readonly warmup: number;
  /** Target for the p50 of `pdu decode`, ms. */
  readonly targetMs: number;
}

/** The wall times of one command. */
export interface CommandTimes {
  readonly name: string;
  readonly argv: readonly string[];
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly minMs: number;
  /** p50 ÷ the p50 of `node -e 0`. */
  readonly ratioToNode: number;
}

/** What the benchmark prints as its last line. */
export interface StartupReport extends RunFacts {
  readonly bench: 'startup';
  readonly options: StartupOptions;
  readonly results: readonly CommandTimes[];
  readonly target: { readonly command: string; readonly p50Ms: number };
  readonly pass: boolean;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The compiled executable from package.json's `bin`. */
function binPath(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { bin: { smsbridge: string } };
  const bin = fileURLToPath(new URL(`../${pkg.bin.smsbridge}`, import.meta.url));
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: run npm run build first (npm run bench:startup does)`);
  return bin;
}

/** Spawns `node …argv` and resolves with its wall time in ms; rejects when it exits non-zero. */
function timeOne(argv: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - start;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${argv.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}


/** Runs the benchmark. */
export async function runStartup(options: StartupOptions): Promise<StartupReport> {
  const bin = binPath();
  const commands = [
    { name: 'smsbridge pdu decode <hex>', argv: [bin, 'pdu', 'decode', PDU_HEX] },
    { name: 'smsbridge --version', argv: [bin, '--version'] },
    { name: 'node -e 0', argv: ['-e', '0'] },
  ];
  const loadWindow = loadAverageWindow();
  const times = commands.map(() => [] as number[]);
  for (let round_ = 0; round_ < options.warmup + options.runs; round_++) {
    for (const [index, command] of commands.entries()) {
      const ms = await timeOne(command.argv);
      if (round_ >= options.warmup) times[index]?.push(ms);
    }
  }
  const sorted = times.map((list) => [...list].sort((a, b) => a - b));
  const nodeP50 = percentile(sorted[2] ?? [], 50);
  const results = commands.map((command, index): CommandTimes => {
    const list = sorted[index] ?? [];
    const p50 = percentile(list, 50);
    return {
      name: command.name,
      argv: command.argv.map((arg) => (arg === bin ? 'dist/main.js' : arg)),
      p50Ms: round(p50, 1), p90Ms: round(percentile(list, 90), 1), minMs: round(list[0] ?? Number.NaN, 1),
      ratioToNode: round(p50 / nodeP50, 2),
    };
  });
  const pduP50 = results[0]?.p50Ms ?? Number.POSITIVE_INFINITY;
  return {
    bench: 'startup',
    date: new Date().toISOString(),
    machine: formatMachine(describeMachine()),
    loadAverage: loadWindow(),
    options,
    results,
    target: { command: 'smsbridge pdu decode <hex>', p50Ms: options.targetMs },
    pass: pduP50 < options.targetMs,
  };
}

/** The figures as a Markdown table. */
export function startupTable(report: StartupReport): string {
  const rows = report.results.map((r) => `| \`${r.name}\` | ${r.p50Ms} | ${r.p90Ms} | ${r.minMs} | ${r.ratioToNode.toFixed(2)} |`);
  return ['| command | p50 ms | p90 ms | min ms | p50 ÷ node -e 0 |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The report as docs/benchmarks.md shows it (see bench/support/results-doc.ts). */
export function startupResults(report: StartupReport): ResultsEntry {
  const pdu = report.results[0];
  return runResults(report, {
    summary: `${report.options.runs} runs of each command after ${report.options.warmup} warm-up rounds, round robin. `
      + `Target: \`pdu decode\` p50 < ${report.target.p50Ms} ms: ${report.pass ? '**pass**' : '**FAIL**'}.`,
    body: startupTable(report),
    figures: report.results.map((r) => `${r.name} p50 ${r.p50Ms} ms (p90 ${r.p90Ms}, ×${r.ratioToNode.toFixed(2)} node)`).join('; '),
    outcome: `${report.pass ? 'pass' : 'FAIL'} (pdu decode p50 ${pdu?.p50Ms} ms; target < ${report.target.p50Ms} ms)`,
  });
}

function parseOptions(argv: readonly string[]): StartupOptions {
  // Not strict: `tsx bench/run.ts` passes every extra argument to every benchmark.
  const { values } = parseArgs({ args: [...argv], strict: false, options: { runs: { type: 'string' }, warmup: { type: 'string' }, 'target-ms': { type: 'string' } } });
  return {
    runs: integerOption(values.runs, 40, 'runs'),
    warmup: integerOption(values.warmup, 3, 'warmup', 0),
    targetMs: integerOption(values['target-ms'], 150, 'target-ms'),
  };
}

async function main(): Promise<void> {
  const report = await runStartup(parseOptions(process.argv.slice(2)));
  console.log(`startup: ${report.machine}; ${report.date}; load ${report.loadAverage.join(' → ')}; ${report.options.runs} runs each`);
  console.log(startupTable(report));
  console.log(`target pdu decode p50 < ${report.target.p50Ms} ms: ${report.pass ? 'PASS' : 'FAIL'}`);
  console.log(JSON.stringify(report));
  if (!report.pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
