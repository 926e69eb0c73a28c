/**
 * Writes a benchmark's results into docs/benchmarks.md. Each benchmark owns one generated block
 * between two markers; everything outside the blocks is written by hand and never touched:
 *
 *   <!-- results:<bench>:begin -->
 *   ### Latest run … (replaced on every write)
 *   ### History (newest first)
 *   | date (UTC) | machine | load avg | figures | target |   (one row per write, prepended)
 *   <!-- results:<bench>:end -->
 *
 * A missing block is appended at the end of the file under `## Results: <bench>`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** One run, as the benchmark renders it. */
export interface ResultsEntry {
  readonly bench: string;
  /** Markdown of the latest run (heading, machine line, tables); replaces the previous one. */
  readonly latest: string;
  /** Cells of the history row: date, machine, load average, figures, target outcome. */
  readonly history: readonly [string, string, string, string, string];
}

const HISTORY_HEADING = '### History (newest first)';
const HISTORY_HEADER = '| date (UTC) | machine | load avg (1 min) | figures | target |\n|---|---|---|---|---|';
/** Oldest rows beyond this are dropped. */
const MAX_HISTORY_ROWS = 50;

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Replaces (or appends) the block of `entry.bench` in the Markdown file at `path`. */
export function writeResults(path: string, entry: ResultsEntry): void {
  const begin = `<!-- results:${entry.bench}:begin -->`;
  const end = `<!-- results:${entry.bench}:end -->`;
  let text = readFileSync(path, 'utf8');
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) {
    text = `${text.trimEnd()}\n\n## Results: ${entry.bench}\n\n${begin}\n${end}\n`;
  }
  const from = text.indexOf(begin) + begin.length;
  const to = text.indexOf(end);
  const block = [
    '',
    entry.latest.trim(),
    '',
    HISTORY_HEADING,
    '',
    HISTORY_HEADER,
    ...[`| ${entry.history.map(cell).join(' | ')} |`, ...historyRows(text.slice(from, to))].slice(0, MAX_HISTORY_ROWS),
    '',
  ].join('\n');
  writeFileSync(path, `${text.slice(0, from)}${block}${text.slice(to)}`);
}

/** The data rows of the history table in an existing block. */
function historyRows(block: string): string[] {
  const at = block.indexOf(HISTORY_HEADING);
  if (at < 0) return [];
  return block.slice(at).split('\n').filter((line) => /^\| \d{4}-\d\d-\d\d/.test(line));
}

/** What every benchmark report says of its run. */
export interface RunFacts {
  readonly bench: string;
  /** ISO 8601, UTC. */
  readonly date: string;
  readonly machine: string;
  /** 1-minute load average at the start and at the end. */
  readonly loadAverage: readonly [number, number];
}

/** The benchmark's own parts of its {@link ResultsEntry}. */
export interface RunResultsParts {
  /** Continues the machine line (after "Machine: …; load average (1 min) …. "): options, target, outcome. */
  readonly summary: string;
  /** Markdown under the machine line (the tables). */
  readonly body: string;
  /** The history row's figures cell. */
  readonly figures: string;
  /** The history row's target cell. */
  readonly outcome: string;
  /** The history row's machine cell, when it says more than the machine. */
  readonly machineCell?: string;
}

/**
 * The entry of one run in the form every benchmark writes: `### Latest run: <date> UTC`, the
 * machine line (machine, load average, then `summary`), `body`; and the history row (date,
 * machine, load average, `figures`, `outcome`).
 */
export function runResults(run: RunFacts, parts: RunResultsParts): ResultsEntry {
  const when = `${run.date.slice(0, 16).replace('T', ' ')} UTC`;
  const load = run.loadAverage.join(' → ');
  return {
    bench: run.bench,
    latest: [`### Latest run: ${when}`, '', `Machine: ${run.machine}; load average (1 min) ${load}. ${parts.summary}`, '', parts.body].join('\n'),
    history: [when, parts.machineCell ?? run.machine, load, parts.figures, parts.outcome],
  };
}
