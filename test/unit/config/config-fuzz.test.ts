/**
 * Random and mutated configuration files: the loader returns a config or throws GW_ERR_CONFIG
 * with located problems, and nothing else, whatever the text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig, type LocatedProblem } from '../../../src/config/index.ts';
import { GatewayError } from '../../../src/shared/errors.ts';
import { seededRandom } from '../../support/seeded-random.ts';

const read = (name: string): string => readFileSync(new URL(`../../../config/${name}`, import.meta.url), 'utf8');
const SEEDS = [read('default.yaml'), read('example-lab.yaml'), read('example-production.yaml'), 'core: {host: h}\nmodems: [{name: a, path: /dev/a, pinEnv: P}]\n'];
const SPECIAL = [':', '-', '[', ']', '{', '}', '#', '&a', '*a', '!', '!!binary', '|', '>', "'", '"', '%', '@', '`', ',', '?', ' ', '\n', '\t', '\r', '\0', '<<', '---', '...', '~', '\uFEFF', '\u00e9', '\ud800'];
const VALUES = ['0', '-1', '65536', '1e309', '.inf', '-.nan', '0x1F', '0o17', 'null', '~', 'true', 'no', '""', "''", '[]', '{}', '&x [*x]', 'x'.repeat(5000), '"\\u0000"', '!!str 5', '!!int "a"', '!custom 1', '2001-12-14'];
/** A safety net only: the loops finish in a few seconds; a loaded machine may take longer. */
const TIMEOUT_MS = 120_000;
const KEYS = ['log', 'level', 'redis', 'url', 'core', 'host', 'port', 'modems', 'name', 'path', 'pin', 'pinEnv', 'pinFile', 'routes', 'group', 'prefix', 'senderPolicy', 'mode', 'entries', '__proto__', 'constructor', 'toString'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** One random edit of `text`. */
function mutate(text: string, random: () => number): string {
  const at = Math.floor(random() * (text.length + 1));
  const lines = text.split('\n');
  const line = Math.floor(random() * lines.length);
  switch (Math.floor(random() * 8)) {
    case 0: return text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 20));
    case 1: return text.slice(0, at) + pick(random, SPECIAL) + text.slice(at);
    case 2: return text.slice(0, at) + pick(random, VALUES) + text.slice(at);
    case 3: return [...lines.slice(0, line), lines[line] ?? '', ...lines.slice(line)].join('\n');
    case 4: return lines.map((l, i) => (i === line ? `${' '.repeat(Math.floor(random() * 6))}${l.trimStart()}` : l)).join('\n');
    case 5: return lines.map((l, i) => (i === line ? l.replace(/:\s.*$/, `: ${pick(random, VALUES)}`) : l)).join('\n');
    case 6: return lines.map((l, i) => (i === line ? l.replace(/^(\s*(?:- )?)[A-Za-z_]+/, `$1${pick(random, KEYS)}`) : l)).join('\n');
    default: return text.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x3000)) + text.slice(at);
  }
}

/** A random YAML value built from config-like keys and odd scalars. */
function randomValue(random: () => number, depth: number): unknown {
  const roll = random();
  if (depth > 3 || roll < 0.3) return pick(random, [0, -1, 1.5, 70_000, '', 'x', '/dev/a', 'redis://h', null, true, Number.NaN]);
  if (roll < 0.5) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [pick(random, KEYS), randomValue(random, depth + 1)]));
}

/** Parses `text`; fails the test on any outcome but a config or a well-formed GW_ERR_CONFIG. */
function check(text: string): 'ok' | 'error' {
  try {
    parseConfig(text, {
      file: 'fuzz.yaml', env: { P: '1234' }, baseDir: '/nonexistent',
      readSecretFile: () => {
        throw Object.assign(new Error('no file'), { code: 'ENOENT' });
      },
    });
    return 'ok';
  } catch (error) {
    if (!(error instanceof GatewayError) || error.code !== 'GW_ERR_CONFIG') throw new Error(`unexpected ${String(error)} for ${JSON.stringify(text.slice(0, 500))}`);
    const problems = error.details['problems'] as LocatedProblem[];
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(typeof problem.key).toBe('string');
      expect(problem.line === null || (Number.isInteger(problem.line) && problem.line >= 1)).toBe(true);
      expect(problem.column === null || (Number.isInteger(problem.column) && problem.column >= 1)).toBe(true);
    }
    expect(error.message).not.toContain('\n');
    return 'error';
  }
}

describe('config loader fuzzing', () => {
  it('mutated example files give a config or GW_ERR_CONFIG, nothing else', () => {
    const random = seededRandom(0xc0f16);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 1000; i++) {
      let text = pick(random, SEEDS);
      const edits = 1 + Math.floor(random() * 4);
      for (let e = 0; e < edits; e++) text = mutate(text, random);
      outcomes[check(text)]++;
    }
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(outcomes.ok).toBeGreaterThan(25);
    expect(outcomes.error).toBeGreaterThan(500);
  }, TIMEOUT_MS);

  it('random structures give GW_ERR_CONFIG, nothing else', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 500; i++) expect(check(stringify(randomValue(random, 0)))).toBe('error');
  }, TIMEOUT_MS);

  it('random bytes give GW_ERR_CONFIG, nothing else', () => {
    const random = seededRandom(99);
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: Math.floor(random() * 200) }, () => String.fromCharCode(Math.floor(random() * 128))).join('');
      expect(check(text)).toBe('error');
    }
  }, TIMEOUT_MS);

  it('deep nesting and cyclic aliases give GW_ERR_CONFIG, nothing else', () => {
    for (const text of ['['.repeat(100_000), '{a: '.repeat(50_000), `${'- '.repeat(5000)}x`, `a:\n${' '.repeat(500)}b: 1\n`, 'a: &x [*x]\n', 'core: {host: h}\nmodems: [{name: a, path: /dev/a, profile: &x [*x]}]\n']) {
      expect(check(text)).toBe('error');
    }
  });

  it('a file of 3,000 YAML errors (the fuzz run\'s slowest kind) is one located GW_ERR_CONFIG, and Error.stackTraceLimit is left as it was', () => {
    // yaml makes an Error per problem; the loader parses with stack capture off (3x faster on
    // such input, see docs/benchmarks.md#fuzz) and must restore the limit, also when it throws.
    const before = Error.stackTraceLimit;
    let caught: unknown = null;
    try {
      parseConfig('}'.repeat(3000), { env: {}, baseDir: '/etc/smsbridge' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    const details = (caught as GatewayError).details as { line: number; column: number; problems: LocatedProblem[] };
    expect([details.line, details.column]).toEqual([1, 1]);
    expect(details.problems.length).toBeGreaterThan(1);
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('after').stack?.split('\n').length).toBeGreaterThan(1);
  });
});
