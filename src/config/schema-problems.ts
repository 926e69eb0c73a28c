/**
 * Checks a value against the configuration schema and turns TypeBox's errors into
 * {@link ConfigProblem}s: one per key, with a key path and a readable "expected" taken from the
 * schema (the custom `expected` keyword, or the type and its bounds).
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { ConfigProblem, KeyPath } from './config-problems.ts';

/** Key names that would hold a secret: never accepted literally, with a pointer to the right key. */
const SECRET_KEYS = new Set(['pin', 'password', 'token', 'secret']);
/** Longest key compared for "did you mean" (longer keys are not typos). */
const MAX_SUGGESTED_KEY_CHARS = 64;

/**
 * Problems of `value` against `schema`, at most one per key path, in the order TypeBox found them.
 * A missing key with a typo of it beside it (`modem:` for `modems:`) is one problem, located at
 * the typo: `modems is missing (found modem instead: did you mean modems?)`.
 */
export function schemaProblems(schema: TSchema, value: unknown): ConfigProblem[] {
  return foldTypos(shapeProblems(schema, value));
}

function shapeProblems(schema: TSchema, value: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    const path = keyPathOf(error.path, value);
    const id = JSON.stringify(path);
    if (seen.has(id)) continue;
    seen.add(id);
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      problems.push(unknownKeyProblem(schema, path));
    } else if (error.type === ValueErrorType.ObjectRequiredProperty) {
      problems.push({ path, problem: 'is missing', expected: describeExpected(schemaAt(schema, path)) });
    } else {
      const at = schemaAt(schema, path);
      problems.push({ path, problem: describeMismatch(at, error.value), expected: describeExpected(at) });
    }
  }
  return problems;
}

/** The text of an unknown key's problem with a suggestion; `suggestion` is captured by {@link foldTypos}. */
const DID_YOU_MEAN = / \(did you mean ([A-Za-z0-9_]+)\?\)$/;

/**
 * Each "is missing" problem whose key an unknown key beside it was suggested for is folded with
 * that unknown key's problem into one, located at the typo; the first such typo only.
 */
function foldTypos(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const typos = new Map<string, ConfigProblem>();
  for (const problem of problems) {
    const suggestion = problem.atKey === true ? DID_YOU_MEAN.exec(problem.problem)?.[1] : undefined;
    const id = suggestion === undefined ? null : JSON.stringify([...problem.path.slice(0, -1), suggestion]);
    if (id !== null && !typos.has(id)) typos.set(id, problem);
  }
  if (typos.size === 0) return [...problems];
  const folded = new Set<ConfigProblem>();
  const result = problems.map((problem) => {
    const typo = problem.problem === 'is missing' ? typos.get(JSON.stringify(problem.path)) : undefined;
    if (typo === undefined) return problem;
    folded.add(typo);
    const found = String(typo.path[typo.path.length - 1]);
    return { ...problem, problem: `is missing (found ${found} instead: did you mean ${String(problem.path[problem.path.length - 1])}?)`, locateAt: typo.path };
  });
  return result.filter((problem) => !folded.has(problem));
}

/** The schema of the key at `path`, or null when the path leaves the schema. */
export function schemaAt(schema: TSchema, path: KeyPath): TSchema | null {
  let current: TSchema | null = schema;
  for (const segment of path) {
    if (current === null) return null;
    const kind = current[Kind] as string;
    if (kind === 'Union') current = (current['anyOf'] as TSchema[]).find((member) => member[Kind] === 'Object' || member[Kind] === 'Array') ?? null;
    if (current === null) return null;
    const properties = current['properties'] as Record<string, TSchema> | undefined;
    if (current[Kind] === 'Object' && typeof segment === 'string') current = properties !== undefined && Object.hasOwn(properties, segment) ? (properties[segment] ?? null) : null;
    else if (current[Kind] === 'Array' && typeof segment === 'number') current = (current['items'] as TSchema | undefined) ?? null;
    else return null;
  }
  return current;
}

/**
 * The keys of an object `schema` that have no default and so must be written, each with what it
 * takes, e.g. `core.host (an IPv4 or IPv6 address or a host name)`; a list of mappings names the
 * keys each item needs.
 */
export function requiredKeys(schema: TSchema, prefix = ''): string[] {
  const properties = (schema['properties'] as Record<string, TSchema> | undefined) ?? {};
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  return Object.entries(properties).filter(([key, property]) => required.has(key) && !('default' in property)).flatMap(([key, property]) => {
    const path = `${prefix}${key}`;
    if (property[Kind] === 'Object') return requiredKeys(property, `${path}.`);
    const items = property[Kind] === 'Array' ? (property['items'] as TSchema) : null;
    const each = items !== null && items[Kind] === 'Object' ? requiredKeys(items) : [];
    return [`${path} (${describeExpected(property)}${each.length > 0 ? `, each with ${each.map((item) => item.replace(/ \(.*$/, '')).join(' and ')}` : ''})`];
  });
}

/** How an error message says what a schema takes, e.g. `an integer from 1 to 65535`. */
export function describeExpected(schema: TSchema | null): string {
  if (schema === null) return 'a known key';
  if (typeof schema['expected'] === 'string') return schema['expected'];
  switch (schema[Kind]) {
    case 'Integer':
    case 'Number':
      return `${schema[Kind] === 'Integer' ? 'an integer' : 'a number'}${describeRange(schema['minimum'] as number | undefined, schema['maximum'] as number | undefined)}`;
    case 'String':
      return 'a string';
    case 'Boolean':
      return 'true or false';
    case 'Null':
      return 'null';
    case 'Literal':
      return JSON.stringify(schema['const']);
    case 'Union': {
      const members = schema['anyOf'] as TSchema[];
      if (members.every((member) => member[Kind] === 'Literal')) return `one of ${members.map((member) => String(member['const'])).join(', ')}`;
      return members.map(describeExpected).join(' or ');
    }
    case 'Array': {
      const minItems = schema['minItems'] as number | undefined;
      return `a list${minItems ? ` of at least ${minItems} item${minItems > 1 ? 's' : ''}` : ''}`;
    }
    case 'Object':
      return `a mapping with the keys ${Object.keys(schema['properties'] as object).join(', ')}`;
    default:
      return 'a valid value';
  }
}

function describeRange(minimum: number | undefined, maximum: number | undefined): string {
  const hasMaximum = maximum !== undefined && maximum < Number.MAX_SAFE_INTEGER;
  if (minimum !== undefined && hasMaximum) return ` from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return ` of at least ${minimum}`;
  return hasMaximum ? ` of at most ${maximum}` : '';
}

/** What is wrong with a value of the right type, or which type was found instead. */
function describeMismatch(schema: TSchema | null, value: unknown): string {
  const kinds = schema === null ? [] : schema[Kind] === 'Union' ? (schema['anyOf'] as TSchema[]).map((member) => member[Kind] as string) : [schema[Kind] as string];
  if (typeof value === 'string' && (kinds.includes('String') || kinds.includes('Literal'))) return 'does not have an allowed form';
  if (typeof value === 'number' && (kinds.includes('Integer') || kinds.includes('Number'))) {
    return Number.isFinite(value) && kinds.includes('Integer') && !Number.isInteger(value) ? 'is not a whole number' : 'is out of range';
  }
  if (Array.isArray(value) && kinds.includes('Array')) return 'has too few or too many items';
  return `is invalid (found ${describeFound(value)})`;
}

/** The kind of a value found, never the value itself (it may be a secret). */
function describeFound(value: unknown): string {
  if (value === null) return 'null (empty)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : Number.isFinite(value) ? 'a fractional number' : 'an infinite or NaN number';
  if (typeof value === 'boolean') return 'true or false';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function unknownKeyProblem(schema: TSchema, path: KeyPath): ConfigProblem {
  const parent = schemaAt(schema, path.slice(0, -1));
  const known = Object.keys((parent?.['properties'] as object | undefined) ?? {});
  const key = String(path[path.length - 1]);
  const expected = `one of the keys ${known.join(', ')}`;
  if (SECRET_KEYS.has(key)) {
    const where = known.filter((name) => name.startsWith(key) && name !== key);
    const hint = where.length > 0 ? ` (${where.join(' or ')})` : '';
    return { path, atKey: true, expected, problem: `is not a known key: secrets never appear in the file, only where to find them${hint}` };
  }
  const suggestion = closestKey(key, known);
  return { path, atKey: true, expected, problem: `is not a known key${suggestion === null ? '' : ` (did you mean ${suggestion}?)`}` };
}

/** The known key within edit distance 2 of `key`, if any. */
function closestKey(key: string, known: readonly string[]): string | null {
  if (key.length > MAX_SUGGESTED_KEY_CHARS) return null;
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (both strings at most 64 characters here). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** `/modems/1/path` → `['modems', 1, 'path']`: indexes are numbers where `value` holds a list. */
function keyPathOf(pointer: string, value: unknown): KeyPath {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let current: unknown = value;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~'); // RFC 6901 §4
    if (Array.isArray(current) && /^[0-9]+$/.test(segment)) {
      path.push(Number(segment));
      current = current[Number(segment)];
    } else {
      path.push(segment);
      current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}
