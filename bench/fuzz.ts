/**
 * Benchmark `fuzz`: every parser that takes input from outside (the PDU decoder, the AT line
 * parsers, the CoAP decoder, the link-format parser, the Register query parser, the config
 * loader, and the admin API's write-route bodies: `admin-sms-body`, `admin-wakeup-body`,
 * `admin-at-trace-body`, through the server's own check src/admin/admin-body.ts) gets `--inputs`
 * (default 1,000,000) random and mutated inputs (bench/fuzz/fuzz-targets.ts).
 * Each input must give a value or a typed error: a `GatewayError` whose code is in the registry
 * (src/shared/errors.ts). Anything else is a crash, reported with the input. Each parse is timed;
 * every input over 1 ms is parsed again 3 times, timed by the fastest wall time and the fastest
 * CPU time of the process (`process.cpuUsage`: a garbage collection during the first parse, or
 * the time a loaded machine did not schedule the process, is not the parser's cost). Targets: no
 * crash, and no input over 10 ms of CPU time (the wall figure is reported beside it). The suite runs smaller seeded loops of the same kind (test/unit/**\/*fuzz*,
 * pdu-errors, line-parser "random input").
 *
 * Usage: `npm run bench:fuzz`, or `tsx bench/fuzz.ts [--inputs 1000000] [--seed 9] [--target pdu-decoder] [--target admin-sms-body]`.
 * Prints one line per target, then as its LAST line one JSON object. Exit code 1 when a target is missed.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ERROR_CODES } from '../src/shared/errors.ts';
import { isGatewayError } from '../src/shared/errors.ts';
import { seededRandom } from '../test/support/seeded-random.ts';
import { FUZZ_TARGETS, type FuzzTarget } from './fuzz/fuzz-targets.ts';
import { runIfMain } from './support/entry.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import { integerOption } from './support/options.ts';

/** Most milliseconds one input may take. */
export const TARGET_MAX_MS = 10;

/** The figures of one target. */
export interface FuzzTargetReport {
  readonly inputs: number;
  readonly values: number;
  readonly typedErrors: number;
  /** Typed errors by code. */
  readonly codes: Readonly<Record<string, number>>;
  readonly crashes: number;
  /** The first few crashes: input and what was thrown. */
  readonly crashSamples: readonly string[];
  /** The slowest input's time: its fastest of 3 more parses (every input over 1 ms in the loop is parsed again), wall clock. */
  readonly slowestMs: number;
  /** The largest CPU time of an input: its fastest of the same 3 parses, by `process.cpuUsage` (the judged figure). */
  readonly slowestCpuMs: number;
  /** The input of `slowestCpuMs`, cut to 200 characters. */
  readonly slowestCpuInput: string;
  /** Inputs that took over 1 ms in the loop (and were parsed again). */
  readonly retimed: number;
  /** The slowest time in the loop (may include a garbage collection or JIT compilation). */
  readonly slowestFirstMs: number;
  /** The slowest input, cut to 200 characters. */
  readonly slowestInput: string;
  readonly durationSec: number;
}

/** The JSON of the last line. */
export interface FuzzReport {
  readonly bench: 'fuzz';
  readonly date: string;
  readonly machine: string;
  readonly seed: number;
  readonly targetMaxMs: number;
  readonly targets: Readonly<Record<string, FuzzTargetReport>>;
  /** 1-minute load average at the start and at the end. */
  readonly loadAverage: readonly [number, number];
  readonly pass: boolean;
}

const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));

function runTarget(target: FuzzTarget<unknown>, inputs: number, seed: number): FuzzTargetReport {
  const random = seededRandom(seed);
  const codes: Record<string, number> = {};
  const crashSamples: string[] = [];
  let values = 0;
  let typedErrors = 0;
  let crashes = 0;
  let slowestFirstMs = 0;
  let slowestMs = 0;
  let slowest: unknown = null;
  let slowestCpuMs = 0;
  let slowestCpu: unknown = null;
  let retimed = 0;
  const startedAt = performance.now();
  for (let n = 0; n < inputs; n++) {
    const input = target.input(random);
    const t0 = performance.now();
    let thrown: unknown = undefined;
    let failed = false;
    try {
      target.parse(input);
    } catch (error) {
      thrown = error;
      failed = true;
    }
    const ms = performance.now() - t0;
    slowestFirstMs = Math.max(slowestFirstMs, ms);
    if (ms > RETIME_ABOVE_MS) {
      retimed++;
      const again = fastestOf(3, target, input);
      if (again.wallMs > slowestMs) {
        slowestMs = again.wallMs;
        slowest = input;
      }
      if (again.cpuMs > slowestCpuMs) {
        slowestCpuMs = again.cpuMs;
        slowestCpu = input;
      }
    } else if (slowest === null || ms > slowestMs) {
      slowestMs = ms;
      slowest = input;
    }
    if (!failed) values++;
    else if (isGatewayError(thrown) && KNOWN_CODES.has(thrown.code)) {
      typedErrors++;
      codes[thrown.code] = (codes[thrown.code] ?? 0) + 1;
    } else {
      crashes++;
      if (crashSamples.length < 5) crashSamples.push(`${target.show(input).slice(0, 200)} threw ${String(thrown)}`);
    }
  }
  const durationSec = (performance.now() - startedAt) / 1000;
  return {
    inputs, values, typedErrors, codes, crashes, crashSamples, slowestMs: round(slowestMs), slowestCpuMs: round(slowestCpuMs),
    slowestCpuInput: slowestCpu === null ? '' : target.show(slowestCpu).slice(0, 200), retimed, slowestFirstMs: round(slowestFirstMs),
    slowestInput: target.show(slowest).slice(0, 200), durationSec: Math.round(durationSec * 10) / 10,
  };
}

const RETIME_ABOVE_MS = 1;

/** The fastest wall time and the fastest CPU time of `times` parses of `input`, in ms. */
function fastestOf(times: number, target: FuzzTarget<unknown>, input: unknown): { wallMs: number; cpuMs: number } {
  let wallMs = Number.POSITIVE_INFINITY;
  let cpuMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    try {
      target.parse(input);
    } catch {
      // its outcome was counted in the loop
    }
    wallMs = Math.min(wallMs, performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpuMs = Math.min(cpuMs, (cpu.user + cpu.system) / 1000);
  }
  return { wallMs, cpuMs };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { inputs: { type: 'string' }, seed: { type: 'string' }, target: { type: 'string', multiple: true } } });
  const inputs = integerOption(values.inputs, 1_000_000, 'inputs');
  const seed = integerOption(values.seed, 9, 'seed', 0);
  const chosen = values.target ?? FUZZ_TARGETS.map((t) => t.name);
  const unknown = chosen.filter((name) => !FUZZ_TARGETS.some((t) => t.name === name));
  if (unknown.length > 0) throw new RangeError(`unknown --target ${unknown.join(', ')}; known: ${FUZZ_TARGETS.map((t) => t.name).join(', ')}`);
  const targets: Record<string, FuzzTargetReport> = {};
  const loadWindow = loadAverageWindow();
  for (const target of FUZZ_TARGETS.filter((t) => chosen.includes(t.name))) {
    const report = runTarget(target, inputs, seed);
    targets[target.name] = report;
    console.log(`${target.name.padEnd(16)} ${report.inputs} inputs: ${report.values} values, ${report.typedErrors} typed errors, ${report.crashes} crashes; slowest ${report.slowestCpuMs} ms CPU, ${report.slowestMs} ms wall (${report.slowestFirstMs} ms in the loop, ${report.retimed} re-timed); ${report.durationSec} s`);
    for (const sample of report.crashSamples) console.log(`  crash: ${sample}`);
  }
  const pass = Object.values(targets).every((t) => t.crashes === 0 && t.slowestCpuMs <= TARGET_MAX_MS);
  const result: FuzzReport = {
    bench: 'fuzz', date: new Date().toISOString(), machine: formatMachine(describeMachine()), seed, targetMaxMs: TARGET_MAX_MS, targets, loadAverage: loadWindow(), pass,
  };
  console.log(JSON.stringify(result));
  if (!pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
