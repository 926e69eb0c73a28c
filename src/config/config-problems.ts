/**
 * Problems found in a configuration file, located in the YAML source and gathered into one
 * `GW_ERR_CONFIG` error. A problem never carries the value it is about: a value may be a secret
 * (a password in a URL, a PIN under a mistyped key), so messages name the key and what it takes.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { GatewayError } from '../shared/errors.ts';

/** A key path into the configuration: map keys and list indexes, e.g. `['modems', 1, 'path']`. */
export type KeyPath = readonly (string | number)[];

/** One thing wrong with the configuration, before it is located in the file. */
export interface ConfigProblem {
  readonly path: KeyPath;
  /** What is wrong, e.g. `is missing`, `is not a known key`. */
  readonly problem: string;
  /** What the key takes, e.g. `an integer from 1 to 65535`. */
  readonly expected: string;
  /** Point at the key itself (unknown keys) rather than its value. */
  readonly atKey?: boolean;
  /** Point at this key instead (a missing key at the typo of it found in its place). */
  readonly locateAt?: KeyPath;
}

/** A problem with its place in the file (1-based line and column; null when not in the file). */
export interface LocatedProblem {
  readonly key: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly problem: string;
  readonly expected: string;
}

/** Most problems listed in an error's details (a broken file can have thousands). */
const MAX_LISTED_PROBLEMS = 50;
/** Longest key shown; longer (mutated) keys are cut. */
const MAX_SHOWN_KEY_CHARS = 64;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `modems[1].path` for `['modems', 1, 'path']`; `(top level)` for the empty path. */
export function formatKeyPath(path: KeyPath): string {
  if (path.length === 0) return '(top level)';
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment) && segment.length <= MAX_SHOWN_KEY_CHARS) text += text === '' ? segment : `.${segment}`;
    else {
      const shown = segment.length > MAX_SHOWN_KEY_CHARS ? `${segment.slice(0, MAX_SHOWN_KEY_CHARS)}…` : segment;
      text += `[${JSON.stringify(shown)}]`;
    }
  }
  return text;
}

/**
 * Which values of a configuration `problems` leave valid: a path is valid when no problem is at
 * it or at a key above it (a problem below it, such as an unknown key inside a mapping, does not
 * make it invalid: checks read leaves, and lists only to walk them).
 */
export function validAfter(problems: readonly ConfigProblem[]): (path: KeyPath) => boolean {
  const invalid = new Set(problems.filter((problem) => problem.atKey !== true).map((problem) => JSON.stringify(problem.path)));
  return (path) => {
    for (let length = 0; length <= path.length; length++) if (invalid.has(JSON.stringify(path.slice(0, length)))) return false;
    return true;
  };
}

/** A map node's pairs by key text, built once per map (so locating n problems stays linear). */
type PairIndex = WeakMap<object, Map<string, { key: Node | null; value: Node | null }>>;

/** The child node of a map or sequence node, and for maps the key node too. */
function childOf(node: unknown, segment: string | number, index: PairIndex): { key: Node | null; value: Node | null } | null {
  if (isMap(node)) {
    let pairs = index.get(node);
    if (pairs === undefined) {
      pairs = new Map();
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const keyText = String(pair.key.value);
        if (!pairs.has(keyText)) pairs.set(keyText, { key: pair.key, value: (pair.value ?? null) as Node | null });
      }
      index.set(node, pairs);
    }
    return pairs.get(String(segment)) ?? null;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? null : { key: null, value: item as Node };
  }
  return null;
}

/** Offset in the source of the deepest node on `path` that exists in the document. */
function offsetOf(document: Document, path: KeyPath, atKey: boolean, index: PairIndex): number | null {
  let node: unknown = document.contents;
  let offset: number | null = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const child = childOf(node, path[i] as string | number, index);
    if (child === null) return offset;
    const last = i === path.length - 1;
    const target = last && atKey && child.key !== null ? child.key : (child.value ?? child.key);
    offset = rangeStart(target) ?? offset;
    node = child.value;
  }
  return offset;
}

function rangeStart(node: unknown): number | null {
  const range = (node as { range?: readonly number[] } | null)?.range;
  return range === undefined ? null : (range[0] ?? null);
}

/** Places each problem in the file (sorted by position) so the first one printed is the first in the file. */
export function locateProblems(problems: readonly ConfigProblem[], document: Document | null, lines: LineCounter | null): LocatedProblem[] {
  const index: PairIndex = new WeakMap();
  const located = problems.map((problem, order) => {
    const offset = document === null ? null : offsetOf(document, problem.locateAt ?? problem.path, problem.atKey === true || problem.locateAt !== undefined, index);
    const position = offset === null || lines === null ? null : lines.linePos(offset);
    return {
      order,
      offset: offset ?? Number.MAX_SAFE_INTEGER,
      item: { key: formatKeyPath(problem.path), line: position?.line ?? null, column: position?.col ?? null, problem: problem.problem, expected: problem.expected },
    };
  });
  located.sort((a, b) => a.offset - b.offset || a.order - b.order);
  return located.map((entry) => entry.item);
}

/**
 * One `GW_ERR_CONFIG` error for all problems: the message describes the first (in file order)
 * and counts the rest; `details` holds `{ file, key, line, column, expected, problems }` where
 * `problems` lists them all (up to 50).
 */
export function configError(file: string, problems: readonly LocatedProblem[]): GatewayError {
  const first = problems[0] ?? { key: '(top level)', line: null, column: null, problem: 'is invalid', expected: 'a valid configuration' };
  const where = first.line === null ? file : `${file}:${first.line}:${first.column}`;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return new GatewayError('GW_ERR_CONFIG', `${where}: ${first.key} ${first.problem}; expected ${first.expected}${more}`, {
    file,
    key: first.key,
    line: first.line,
    column: first.column,
    expected: first.expected,
    problems: problems.slice(0, MAX_LISTED_PROBLEMS),
  });
}
