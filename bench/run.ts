/**
 * Runs benchmarks, each in a process of its own (so one cannot disturb the next, and each must
 * exit by itself), and optionally writes their results into docs/benchmarks.md.
 *
 *   tsx bench/run.ts [<bench>…] [--write-docs] [<options for the benchmarks>…]
 *
 * No name runs every benchmark in {@link BENCHMARKS}. `--write-docs` (or `BENCH_WRITE_DOCS=1`)
 * replaces each benchmark's "Latest run" in docs/benchmarks.md and prepends a history row. Any
 * other argument is passed to every benchmark run (e.g. `--modems 1,4`). A benchmark prints its
 * figures as one JSON object on its last stdout line; this runner echoes everything it prints.
 * Exit code 1 when a benchmark crashed, printed no JSON, or missed its target.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { configLoadResults, type ConfigLoadReport } from './config-load.ts';
import { deviceScaleResults, type DeviceScaleReport } from './device-scale.ts';
import { receiveResults, type ReceiveReport } from './modem-receive.ts';
import { outboundCmmsResults, type OutboundCmmsReport } from './outbound-cmms.ts';
import { utilizationResults, type UtilizationReport } from './modem-utilization.ts';
import { throughputResults, type ThroughputReport } from './relay-throughput.ts';
import { smsCostResults, type SmsCostReport } from './sms-cost.ts';
import { startupResults, type StartupReport } from './startup.ts';
import { wakeupResults, type WakeupReport } from './wakeup.ts';
import { writeResults, type ResultsEntry } from './support/results-doc.ts';

interface Benchmark {
  /** Path of the script, relative to this file. */
  readonly script: string;
  /** Turns the JSON of the last line into the docs entry. */
  readonly toResults: (report: never) => ResultsEntry;
}

/** Every benchmark `npm run bench` runs, in order. */
const BENCHMARKS: Readonly<Record<string, Benchmark>> = {
  'modem-utilization': { script: './modem-utilization.ts', toResults: (report: UtilizationReport) => utilizationResults(report) },
  'modem-receive': { script: './modem-receive.ts', toResults: (report: ReceiveReport) => receiveResults(report) },
  'outbound-cmms': { script: './outbound-cmms.ts', toResults: (report: OutboundCmmsReport) => outboundCmmsResults(report) },
  'sms-cost': { script: './sms-cost.ts', toResults: (report: SmsCostReport) => smsCostResults(report) },
  'relay-throughput': { script: './relay-throughput.ts', toResults: (report: ThroughputReport) => throughputResults(report) },
  'config-load': { script: './config-load.ts', toResults: (report: ConfigLoadReport) => configLoadResults(report) },
  'device-scale': { script: './device-scale.ts', toResults: (report: DeviceScaleReport) => deviceScaleResults(report) },
  startup: { script: './startup.ts', toResults: (report: StartupReport) => startupResults(report) },
  wakeup: { script: './wakeup.ts', toResults: (report: WakeupReport) => wakeupResults(report) },
};

const DOCS = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

interface Outcome {
  readonly name: string;
  readonly report: { readonly bench?: unknown; readonly pass?: unknown } | null;
  readonly exitCode: number | null;
}

/** Runs one benchmark script with this process's loader (tsx), echoing its output. */
function runOne(name: string, benchmark: Benchmark, args: readonly string[]): Promise<Outcome> {
  const script = fileURLToPath(new URL(benchmark.script, import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    process.stdout.write(chunk);
  });
  return new Promise((resolve) => {
    child.once('close', (exitCode) => {
      const last = output.trimEnd().split('\n').pop() ?? '';
      let report: Outcome['report'] = null;
      try {
        const parsed: unknown = JSON.parse(last);
        if (typeof parsed === 'object' && parsed !== null && (parsed as { bench?: unknown }).bench === name) report = parsed as Outcome['report'];
      } catch {
        // no JSON: reported below
      }
      resolve({ name, report, exitCode });
    });
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const writeDocs = argv.includes('--write-docs') || process.env.BENCH_WRITE_DOCS === '1';
  const names = argv.filter((a) => Object.hasOwn(BENCHMARKS, a));
  const forwarded = argv.filter((a) => a !== '--write-docs' && !Object.hasOwn(BENCHMARKS, a));
  let failed = false;
  for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) {
    const benchmark = BENCHMARKS[name];
    if (benchmark === undefined) continue;
    const outcome = await runOne(name, benchmark, forwarded);
    if (outcome.report === null) {
      console.error(`bench ${name}: no JSON result (exit code ${outcome.exitCode})`);
      failed = true;
      continue;
    }
    if (outcome.report.pass !== true) failed = true;
    if (writeDocs) {
      writeResults(DOCS, benchmark.toResults(outcome.report as never));
      console.error(`bench ${name}: results written to docs/benchmarks.md`);
    }
  }
  return failed ? 1 : 0;
}

main().then((code) => {
  process.exitCode = code;
}, (error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
