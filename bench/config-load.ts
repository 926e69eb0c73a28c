/**
 * Benchmark `config-load`: the configuration loader (src/config) takes time linear in the size
 * of the file, for valid files and for each kind of broken one, up to the 1 MiB limit.
 *
 * Shapes, each generated at 16 KiB, 128 KiB and 1 MiB (just under the limit):
 *
 *   valid-routes    a valid file whose size is a long routes list
 *   bad-values      every route's prefix invalid: one problem per route, all located and sorted
 *   unknown-keys    one unknown top-level key per line
 *   duplicate-keys  the same key on every line (yaml's own check would be quadratic)
 *   many-aliases    an alias per line (yaml resolves each by scanning the earlier ones)
 *   long-comment    one comment line of the whole size
 *   deep-brackets   `[` repeated (refused before parsing)
 *
 * Each (shape, size) is loaded `--runs` times in this process after one warm-up; the figure is
 * the median. linearity = (µs per KiB at 1 MiB) / (µs per KiB at 16 KiB); target ≤ 3 for every
 * shape (1 is perfectly linear; quadratic work would give about 64).
 *
 * Usage: `tsx bench/run.ts config-load [--write-docs]`, or `tsx bench/config-load.ts [--runs 5]`.
 * Prints a table, then as its LAST line one JSON object ({@link ConfigLoadReport}).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MAX_CONFIG_BYTES, parseConfig } from '../src/config/index.ts';
import { GatewayError } from '../src/shared/errors.ts';
import { runIfMain } from './support/entry.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import { integerOption } from './support/options.ts';
import { runResults, type ResultsEntry, type RunFacts } from './support/results-doc.ts';
import { median, round } from './support/numbers.ts';

/** Sizes of the generated files, bytes. */
const SIZES = [16 * 1024, 128 * 1024, MAX_CONFIG_BYTES - 64] as const;
/** Most linearity allowed. */
const TARGET = 3;
const HEAD = 'core: {host: core.example.net}\nmodems: [{name: a, path: /dev/a, groups: [g]}]\n';

/** Builds a file of about `bytes` bytes of one shape. */
const SHAPES: Readonly<Record<string, (bytes: number) => string>> = {
  'valid-routes': (bytes) => fill(`${HEAD}routes:\n`, bytes, (i) => `  - {prefix: "+${i}", group: g}\n`),
  'bad-values': (bytes) => fill(`${HEAD}routes:\n`, bytes, (i) => `  - {prefix: "x${i}", group: g}\n`),
  'unknown-keys': (bytes) => fill(HEAD, bytes, (i) => `key${i}: ${i}\n`),
  'duplicate-keys': (bytes) => fill(HEAD, bytes, () => 'routes: []\n'),
  'many-aliases': (bytes) => fill(`${HEAD}x: &a 1\ny:\n`, bytes, () => '  - *a\n'),
  'long-comment': (bytes) => `${HEAD}# ${'x'.repeat(bytes - HEAD.length - 3)}\n`,
  'deep-brackets': (bytes) => `${HEAD}x: ${'['.repeat(bytes - HEAD.length - 4)}\n`,
};

/** One shape's figures. */
export interface ShapeResult {
  readonly shape: string;
  /** Median load time per size, ms. */
  readonly ms: readonly number[];
  readonly usPerKiB: readonly number[];
  readonly linearity: number;
  /** `ok` or the error code the file gives. */
  readonly outcome: string;
}

/** The benchmark's JSON line. */
export interface ConfigLoadReport extends RunFacts {
  readonly bench: 'config-load';
  readonly runs: number;
  readonly sizes: readonly number[];
  readonly target: number;
  readonly results: readonly ShapeResult[];
  readonly pass: boolean;
}

function fill(head: string, bytes: number, line: (i: number) => string): string {
  const parts = [head];
  let length = head.length;
  for (let i = 0; ; i++) {
    const next = line(i);
    if (length + next.length > bytes) break;
    parts.push(next);
    length += next.length;
  }
  return parts.join('');
}

function loadOnce(text: string): string {
  try {
    parseConfig(text, { file: 'bench.yaml', env: {}, baseDir: '/' });
    return 'ok';
  } catch (error) {
    if (error instanceof GatewayError) return error.code;
    throw error;
  }
}


function measure(shape: string, build: (bytes: number) => string, runs: number): ShapeResult {
  const ms: number[] = [];
  let outcome = '';
  for (const size of SIZES) {
    const text = build(size);
    outcome = loadOnce(text); // warm-up
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      loadOnce(text);
      times.push(performance.now() - start);
    }
    ms.push(median(times));
  }
  const usPerKiB = ms.map((value, i) => (value * 1000) / ((SIZES[i] ?? 1) / 1024));
  return { shape, ms: ms.map((v) => round(v, 2)), usPerKiB: usPerKiB.map((v) => round(v, 1)), linearity: round((usPerKiB[2] ?? 0) / (usPerKiB[0] ?? 1), 2), outcome };
}

function table(report: ConfigLoadReport): string {
  const kib = report.sizes.map((size) => `${Math.round(size / 1024)} KiB`);
  return [
    `| shape | outcome | ${kib.map((k) => `ms at ${k}`).join(' | ')} | µs/KiB at ${kib[0]} → ${kib[2]} | linearity |`,
    `|---|---|${kib.map(() => '---:').join('|')}|---:|---:|`,
    ...report.results.map((r) => `| ${r.shape} | ${r.outcome} | ${r.ms.join(' | ')} | ${r.usPerKiB[0]} → ${r.usPerKiB[2]} | ${r.linearity} |`),
  ].join('\n');
}

/** The docs entry of a report. */
export function configLoadResults(report: ConfigLoadReport): ResultsEntry {
  const worst = report.results.reduce((a, b) => (b.linearity > a.linearity ? b : a));
  const slowest = report.results.reduce((a, b) => ((b.ms[2] ?? 0) > (a.ms[2] ?? 0) ? b : a));
  return runResults(report, {
    summary: `Median of ${report.runs} loads. Target: linearity ≤ ${report.target} for every shape: **${report.pass ? 'pass' : 'FAIL'}**.`,
    body: table(report),
    figures: `worst linearity ${worst.linearity} (${worst.shape}); slowest 1 MiB load ${slowest.ms[2]} ms (${slowest.shape})`,
    outcome: `${report.pass ? 'pass' : 'FAIL'} (linearity ≤ ${report.target})`,
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: false, options: { runs: { type: 'string' } } });
  const runs = integerOption(values['runs'], 5, 'runs');
  const loadWindow = loadAverageWindow();
  const results = Object.entries(SHAPES).map(([shape, build]) => measure(shape, build, runs));
  const report: ConfigLoadReport = {
    bench: 'config-load',
    date: new Date().toISOString(),
    machine: formatMachine(describeMachine()),
    loadAverage: loadWindow(),
    runs,
    sizes: SIZES,
    target: TARGET,
    results,
    pass: results.every((r) => r.linearity <= TARGET),
  };
  console.log(`config-load: ${report.machine}; ${report.date}; load ${report.loadAverage.join(' → ')}`);
  console.log(table(report));
  console.log(JSON.stringify(report));
  if (!report.pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
