/**
 * Benchmark `parser-linearity`: wall-clock time of every parser a device's datagram reaches, on
 * adversarial inputs of size n, 2n and 4n. A linear parser takes about 4× as long for 4× the
 * input; a quadratic one about 16×. Target: every ratio t(4n) / t(n) below 8, and no input over
 * 10 ms (issue 9: `<` + 60,000 `/` + `a>` took 2.0 s in the link-format parser before).
 *
 * Inputs: link-format (`<///…a>` as the root link, cardinal lists, quotes, unterminated links),
 * Register queries (many arguments, long `ep`, long `sms`), endpoint-name checks and globs, and
 * CoAP datagrams (many 1-byte options, one long option). The tests prove linearity without a
 * clock (test/unit/lwm2m/parser-linearity.test.ts counts reads); this gives the figure.
 *
 * Usage: `npm run bench:parser-linearity`, or `tsx bench/parser-linearity.ts [--n 16000]
 * [--runs 7]`. Prints a table, then as its LAST line one JSON object. Exit code 1 when the
 * target is missed.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { matchGlob } from '../src/bridge/admission-policy.ts';
import { decodeCoap, lwm2mObjectLinks, parseLinkFormatBytes, parseRegisterQuery, validateEndpointName } from '../src/lwm2m/index.ts';
import { integerOption } from './support/options.ts';
import { runIfMain } from './support/entry.ts';

/** One adversarial input family: builds an input of size about `n` and parses it. */
interface Case {
  readonly name: string;
  readonly build: (n: number) => () => unknown;
}

// Inputs are built before the clock starts; only the parse is timed.
const linkFormat = (text: string) => {
  const bytes = Buffer.from(text);
  return () => lwm2mObjectLinks(parseLinkFormatBytes(bytes));
};
const parseCoap = (bytes: Uint8Array) => () => decodeCoap(bytes);

function withInput<T>(input: T, parse: (input: T) => unknown): () => unknown {
  return () => parse(input);
}

/** A CoAP datagram: header, then `count` options of `size` bytes each (Uri-Query, delta 0 after the first). */
function coapWithOptions(count: number, size: number): Uint8Array {
  const parts: number[] = [0x40, 0x02, 0x12, 0x34];
  for (let i = 0; i < count; i++) {
    const delta = i === 0 ? 13 : 0; // 15 = 13 + 2 (Uri-Query)
    const [lengthNibble, lengthExt] = size < 13 ? [size, [] as number[]] : size < 269 ? [13, [size - 13]] : [14, [(size - 269) >> 8, (size - 269) & 0xff]];
    parts.push((delta << 4) | lengthNibble, ...(i === 0 ? [2] : []), ...lengthExt);
    for (let k = 0; k < size; k++) parts.push(0x61);
  }
  return Uint8Array.from(parts);
}

const CASES: readonly Case[] = [
  { name: 'link-format <///…a> as root', build: (n) => linkFormat(`<${'/'.repeat(n)}a>;rt="oma.lwm2m"`) },
  { name: 'link-format <///…a>', build: (n) => linkFormat(`<${'/'.repeat(n)}a>`) },
  { name: 'link-format ct=1 1 1 …x', build: (n) => linkFormat(`</1>;ct=${'1 '.repeat(n / 2)}x`) },
  { name: 'link-format quoted \\"', build: (n) => linkFormat(`</1>;t="${'a\\"'.repeat(n / 3)}"`) },
  { name: 'link-format </1>,…', build: (n) => linkFormat('</1>,'.repeat(n / 5)) },
  { name: 'link-format unterminated <', build: (n) => linkFormat('</1'.repeat(n / 3)) },
  { name: 'register query, many arguments', build: (n) => withInput(Array.from({ length: n / 4 }, (_, i) => `x${i}=1`), (q) => parseRegisterQuery(q)) },
  { name: 'register query, long sms', build: (n) => withInput(['ep=a', 'lwm2m=1.1', `sms=${'a'.repeat(n)}`], (q) => parseRegisterQuery(q)) },
  { name: 'endpoint name check', build: (n) => withInput('a'.repeat(n), (name) => validateEndpointName(name, n)) },
  { name: 'glob a*a*a*b on a…a', build: (n) => withInput('a'.repeat(n / 16), (name) => matchGlob('a*a*a*b', name)) },
  { name: 'CoAP, 1-byte options', build: (n) => parseCoap(coapWithOptions(n / 4, 1)) },
  { name: 'CoAP, one long option', build: (n) => parseCoap(coapWithOptions(1, Math.min(n, 65_000))) },
];

/**
 * Shortest time of `runs` calls of `fn`, in ms, after one warm-up call (errors count: a typed
 * error is a result too). The minimum, not the median: on a shared machine a garbage collection
 * or another process only ever adds time, so the fastest run is the parser's own cost.
 */
function fastestMs(fn: () => unknown, runs: number): number {
  try {
    fn();
  } catch {
    // warm-up
  }
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    try {
      fn();
    } catch {
      // a DecodeError is an answer
    }
    times.push(performance.now() - start);
  }
  return Math.min(...times);
}

/** The result of one run. */
export interface ParserLinearityReport {
  readonly bench: 'parser-linearity';
  readonly n: number;
  readonly cases: readonly { readonly name: string; readonly ms: readonly number[]; readonly ratio4n: number }[];
  readonly worstRatio: number;
  readonly slowestMs: number;
  readonly pass: boolean;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: 'string' }, runs: { type: 'string' } } });
  const n = integerOption(values.n, 16_000, 'n');
  const runs = integerOption(values.runs, 7, 'runs');
  const cases = CASES.map((c) => {
    const ms = [n, 2 * n, 4 * n].map((size) => fastestMs(c.build(size), runs));
    const ratio4n = (ms[2] ?? 0) / Math.max(ms[0] ?? 0, 0.01);
    console.log(`${c.name.padEnd(36)} ${ms.map((t) => t.toFixed(2).padStart(8)).join(' ')} ms   ×${ratio4n.toFixed(1)}`);
    return { name: c.name, ms: ms.map((t) => Number(t.toFixed(3))), ratio4n: Number(ratio4n.toFixed(2)) };
  });
  const worstRatio = Math.max(...cases.map((c) => c.ratio4n));
  const slowestMs = Math.max(...cases.flatMap((c) => c.ms));
  const report: ParserLinearityReport = { bench: 'parser-linearity', n, cases, worstRatio, slowestMs, pass: worstRatio < 8 && slowestMs < 10 };
  console.log(JSON.stringify(report));
  if (!report.pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
