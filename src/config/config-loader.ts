/**
 * Loads the gateway's YAML configuration: parse (keeping each node's place in the file), apply
 * the schema's defaults, validate against the schema and the cross-key rules, resolve the
 * secrets, and return one deep-frozen {@link Config}. Anything wrong is one `GW_ERR_CONFIG`
 * error listing every problem with its key path, line, column and what was expected.
 *
 * Linear in the size of the file: yaml's parser is, aliases are expanded at most 100 times
 * (a "billion laughs" file is refused), cyclic aliases, more than 100 aliases and deep nesting
 * are refused (yaml-guards.ts), duplicate keys are found with one set per mapping, and files
 * over 1 MiB are refused before parsing.
 */
import { open } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { Document, isScalar, LineCounter, parseAllDocuments, visit, type YAMLError } from 'yaml';
import { GatewayError } from '../shared/errors.ts';
import { configProblems } from './config-checks.ts';
import { configError, locateProblems, validAfter, type ConfigProblem, type LocatedProblem } from './config-problems.ts';
import { CONFIG_SCHEMA, inSchemaOrder, type Config, type ConfigFile } from './config-schema.ts';
import { isRedisUrlProblem, parseRedisUrl } from './redis-url.ts';
import { adminTokenInvalid, deepFreeze, pinInvalid, readSecretFileSync, resolveSecret, type ConfigEnv, type ReadSecretFile, type SecretSource } from './secrets.ts';
import { requiredKeys, schemaProblems } from './schema-problems.ts';
import { aliasProblems, nestingProblem } from './yaml-guards.ts';

/** Largest configuration file read. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Most alias expansions while building the value (yaml's guard against exponential aliases). */
const MAX_ALIAS_COUNT = 100;

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Name of the file in messages. @defaultValue `"<config>"` */
  readonly file?: string;
  /** Where `…Env` secrets are looked up. */
  readonly env: ConfigEnv;
  /** Folder that relative paths (`profilesDir`, `…File`) start from. */
  readonly baseDir: string;
  /** Reads secret files. @defaultValue {@link readSecretFileSync} */
  readonly readSecretFile?: ReadSecretFile;
}

/**
 * Parses and validates configuration text. Pure apart from reading secret files.
 *
 * @throws GatewayError `GW_ERR_CONFIG` with `details` `{ file, key, line, column, expected,
 *   problems }`: the first problem in file order, and all of them in `problems`. Never throws
 *   anything else, whatever the input.
 */
export function parseConfig(text: string, options: ParseConfigOptions): Config {
  const file = options.file ?? '<config>';
  const { document, lines, raw } = readYaml(text, file);
  if (raw === null || raw === undefined) {
    // Nothing but comments, or nothing at all: say so, and what a file needs at least.
    const needed = requiredKeys(CONFIG_SCHEMA);
    throw configError(file, [{
      key: '(file)', line: null, column: null, problem: 'is empty (no keys)',
      expected: `at least ${needed.join(' and ')}; every other key has a default (smsbridge config print-defaults)`,
    }]);
  }
  const value = Value.Default(CONFIG_SCHEMA, raw);
  const fail = (problems: readonly ConfigProblem[]): GatewayError => configError(file, locateProblems(problems, document, lines));
  const shapeProblems = schemaProblems(CONFIG_SCHEMA, value);
  // The cross-key checks run on every value the schema accepted, so one run lists every problem.
  const problems = configProblems(value as ConfigFile, validAfter(shapeProblems));
  if (shapeProblems.length > 0) throw fail([...shapeProblems, ...problems]);
  const config = assemble(value as ConfigFile, options, problems);
  if (config === null || problems.length > 0) throw fail(problems);
  return config;
}

/** The text as one YAML document and its plain value; GW_ERR_CONFIG for anything YAML-level. */
function readYaml(text: string, file: string): { document: Document; lines: LineCounter; raw: unknown } {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) throw configError(file, [{ key: '(file)', line: null, column: null, problem: `is longer than ${MAX_CONFIG_BYTES} bytes`, expected: 'a configuration file of at most 1 MiB' }]);
  const tooDeep = nestingProblem(text);
  if (tooDeep !== null) throw configError(file, [tooDeep]);
  const lines = new LineCounter();
  const documents = withoutStackTraces(() => parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, strict: true, logLevel: 'silent' }));
  const all = Array.isArray(documents) ? documents : [];
  const document = all[0] ?? new Document(null);
  const problems = all.flatMap((doc) => [...doc.errors, ...doc.warnings]).map((error) => yamlProblem(error, lines));
  if (all.length > 1) {
    const { line, col } = lines.linePos(all[1]?.range[0] ?? 0);
    problems.push({ key: '(yaml)', line, column: col, problem: 'starts a second document', expected: 'one YAML document' });
  }
  problems.push(...keyProblems(document, lines), ...aliasProblems(document, lines));
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (problems.length > 0) throw configError(file, problems);
  try {
    return { document, lines, raw: document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    throw configError(file, [{ key: '(yaml)', line: null, column: null, problem: `cannot be read as data (${firstLine(error)})`, expected: `YAML with at most ${MAX_ALIAS_COUNT} alias expansions` }]);
  }
}

/**
 * Reads `path` (a regular file of at most 1 MiB) and parses it with {@link parseConfig};
 * relative paths in it start at its folder, secrets come from `env` and their files.
 *
 * @throws GatewayError `GW_ERR_CONFIG` when the file cannot be read or anything in it is wrong.
 */
export async function loadConfigFile(path: string, env: ConfigEnv): Promise<Config> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
      if (stat.size > MAX_CONFIG_BYTES) throw Object.assign(new Error('too large'), { code: 'ETOOBIG' });
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw configError(path, [{ key: '(file)', line: null, column: null, problem: `cannot be read (${typeof code === 'string' ? code : firstLine(error)})`, expected: 'a readable YAML file of at most 1 MiB' }]);
  }
  return parseConfig(text, { file: path, env, baseDir: dirname(resolve(path)) });
}

/** The loaded configuration: paths made absolute, secrets resolved; problems are appended to `problems`. */
function assemble(file: ConfigFile, options: ParseConfigOptions, problems: ConfigProblem[]): Config | null {
  const absolute = (path: string | null): string | null => (path === null ? null : isAbsolute(path) ? path : resolve(options.baseDir, path));
  const readFile = options.readSecretFile ?? readSecretFileSync;
  const secret = (source: SecretSource): string | null => {
    const result = resolveSecret(source, options.env, readFile);
    if ('problem' in result) {
      problems.push(result.problem);
      return null;
    }
    return result.value;
  };
  const url = parseRedisUrl(file.redis.url);
  const urlPassword = isRedisUrlProblem(url) ? null : url.password;
  const passwordFile = absolute(file.redis.passwordFile);
  const password = urlPassword ?? secret({
    at: ['redis'], envKey: 'passwordEnv', fileKey: 'passwordFile', env: file.redis.passwordEnv, file: passwordFile, what: 'the Redis password',
  });
  const modems = file.modems.map((modem, i) => {
    const pinFile = absolute(modem.pinFile);
    const pin = secret({ at: ['modems', i], envKey: 'pinEnv', fileKey: 'pinFile', env: modem.pinEnv, file: pinFile, what: 'a SIM PIN', invalid: pinInvalid });
    return { ...modem, pinFile, pin };
  });
  const tokenFile = absolute(file.admin.tokenFile);
  const readOnlyTokenFile = absolute(file.admin.readOnlyTokenFile);
  // A disabled API reads no token: its variable or file may be set up later.
  const adminToken = (envKey: string, fileKey: string, env: string | null, tokenPath: string | null, what: string): string | null =>
    file.admin.enabled ? secret({ at: ['admin'], envKey, fileKey, env, file: tokenPath, what, invalid: adminTokenInvalid }) : null;
  const admin = {
    ...file.admin, tokenFile, readOnlyTokenFile,
    token: adminToken('tokenEnv', 'tokenFile', file.admin.tokenEnv, tokenFile, 'the admin token'),
    readOnlyToken: adminToken('readOnlyTokenEnv', 'readOnlyTokenFile', file.admin.readOnlyTokenEnv, readOnlyTokenFile, 'the read-only admin token'),
  };
  if (problems.length > 0) return null;
  return deepFreeze(inSchemaOrder(CONFIG_SCHEMA, { ...file, profilesDir: absolute(file.profilesDir), redis: { ...file.redis, passwordFile, password }, modems, admin }));
}

/**
 * Keys that are not plain text, and keys repeated in one mapping. (yaml's own duplicate check,
 * `uniqueKeys`, compares each key with every earlier one: quadratic, so it is off.)
 */
function keyProblems(document: Document, lines: LineCounter): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const at = (node: unknown, problem: string, expected: string): void => {
    const { line, col } = lines.linePos((node as { range?: number[] } | null)?.range?.[0] ?? 0);
    problems.push({ key: '(yaml)', line, column: col, problem, expected });
  };
  visit(document, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || (pair.key.value !== null && typeof pair.key.value === 'object')) {
          at(pair.key, 'has a key that is not plain text', 'keys that are words');
          continue;
        }
        const text = String(pair.key.value);
        if (seen.has(text)) at(pair.key, 'repeats a key of the same mapping', 'each key once per mapping');
        seen.add(text);
      }
    },
  });
  return problems;
}

/**
 * Runs `parse` with `Error.stackTraceLimit` at 0, restored after. yaml makes one `YAMLError` (an
 * `Error`) per problem it finds, and capturing the stack of each took ~20 µs: a 3 KB file of
 * `}` (3,000 errors) took 50 ms, 12 KB 300 ms (bench/fuzz's slowest config inputs). The stacks are
 * never read (only message and position), so none is captured. Synchronous: nothing else runs
 * while the limit is 0.
 */
function withoutStackTraces<T>(parse: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parse();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function yamlProblem(error: YAMLError, lines: LineCounter): LocatedProblem {
  const { line, col } = lines.linePos(error.pos[0]);
  return { key: '(yaml)', line, column: col, problem: `is not valid YAML: ${firstLine(error)}`, expected: 'one YAML document of keys and values' };
}

function firstLine(error: unknown): string {
  return ((error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '').slice(0, 200);
}
