/**
 * Loads the modem profiles in `hardware/profiles/*.yaml` and checks them strictly, so that a typo
 * in a profile stops the gateway at start-up with a message naming the file and the key, instead
 * of surfacing weeks later as a modem that silently never receives.
 *
 * Validation rules (each failure is one {@link GatewayError}):
 * - the file is one YAML mapping with exactly the keys of {@link ModemProfile}: none missing,
 *   none unknown (also inside `match` and each quirk);
 * - `name` is kebab-case and equals the file name without `.yaml`;
 * - `match.manufacturer` / `match.model`, when present, compile as case-insensitive regexes;
 * - `initCommands` / `resetCommands` are AT command lines without control characters;
 * - `cnmiPreferences` is a non-empty list of `AT+CNMI` settings matching `/^\d(,\d){1,4}$/`;
 * - `storagePreferences` is a non-empty list of distinct `ME`, `MT`, `SM`;
 * - `statusReportRoute` is `cds`, `cdsi` or `none` and agrees with the `<ds>` of the first
 *   CNMI preference (1, 2, or 0/absent);
 * - `directDelivery` and `moreMessagesToSend` are booleans;
 * - the five timeouts are positive integers (milliseconds);
 * - quirks have non-empty `id` (kebab-case, unique in the file), `description` and `source`.
 */
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { GatewayError, type ErrorCode } from '../shared/errors.ts';
import type { ModemProfile, ModemQuirk, StatusReportRoute } from './profile.ts';

/** Code of every profile error. */
const PROFILE_ERROR: ErrorCode = 'GW_ERR_MODEM_PROFILE';

const PROFILE_KEYS = [
  'name',
  'description',
  'match',
  'initCommands',
  'cnmiPreferences',
  'storagePreferences',
  'statusReportRoute',
  'directDelivery',
  'moreMessagesToSend',
  'cnmaTimeoutMs',
  'commandTimeoutMs',
  'sendTimeoutMs',
  'promptTimeoutMs',
  'resetCommands',
  'resetSettleMs',
  'quirks',
] as const satisfies readonly (keyof ModemProfile)[];

const MATCH_KEYS = ['manufacturer', 'model'] as const;
const QUIRK_KEYS = ['id', 'description', 'source'] as const satisfies readonly (keyof ModemQuirk)[];

const KEBAB_CASE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** `AT+CNMI=<mode>,<mt>[,<bm>[,<ds>[,<bfr>]]]` parameters, TS 27.005 §3.4.1. */
const CNMI_SETTING = /^\d(,\d){1,4}$/;
/** A command line the channel can send: starts with AT, printable ASCII only. */
const AT_COMMAND = /^AT[\x20-\x7e]*$/i;
const STORAGES = ['ME', 'MT', 'SM'] as const;
const ROUTES: readonly StatusReportRoute[] = ['cds', 'cdsi', 'none'];
/** The `<ds>` value (TS 27.005 §3.4.1) that produces each route. */
const ROUTE_DS: Readonly<Record<StatusReportRoute, number>> = { cds: 1, cdsi: 2, none: 0 };
const PROFILE_SUFFIX = '.yaml';

/**
 * The profiles shipped with the package: `<package root>/hardware/profiles`, resolved from this
 * module's location (src/modem/ → ../../hardware/profiles), independent of the working directory.
 */
export function defaultProfilesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../hardware/profiles');
}

/**
 * Reads and validates every `*.yaml` file directly in `dir` (other files and subfolders are
 * ignored) and returns the profiles deep-frozen, most specific first: profiles matching on both
 * manufacturer and model, then on one of them, then those without a match (`generic`); ties in
 * file-name order. `selectProfile` (profile.ts) takes the first fit, so it relies on that order.
 * An empty folder gives an empty list (selection then falls back to `GENERIC_PROFILE`).
 *
 * Synchronous: it runs once at start-up, before any modem is opened.
 *
 * @throws GatewayError (code `GW_ERR_MODEM_PROFILE`) when the
 *   folder or a file cannot be read, a file is not valid YAML, or a profile breaks a rule above.
 *   The message starts with the file path and names the key and what was expected; `details`
 *   holds `{ file, key, expected }`.
 */
export function loadProfiles(dir: string): ModemProfile[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new GatewayError(PROFILE_ERROR, `${dir} cannot be read (${String(error)}); expected a folder of *.yaml modem profiles`, {
      file: dir,
      key: null,
      expected: 'a readable folder of *.yaml modem profiles',
    });
  }
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(PROFILE_SUFFIX))
    .map((entry) => entry.name)
    .sort();
  const loaded = files.map((fileName) => ({ fileName, profile: loadProfileFile(join(dir, fileName), fileName) }));
  loaded.sort((a, b) => specificityRank(a.profile) - specificityRank(b.profile) || compareText(a.fileName, b.fileName));
  return loaded.map(({ profile }) => profile);
}

/** 0 = matches on manufacturer and model, 1 = on one of them, 2 = no match (generic). */
function specificityRank(profile: ModemProfile): number {
  return (profile.match.manufacturer === undefined ? 1 : 0) + (profile.match.model === undefined ? 1 : 0);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function loadProfileFile(path: string, fileName: string): ModemProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw profileError(path, null, 'a readable file', `cannot be read (${String(error)})`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    // The yaml message's first line names the problem and its line and column; the rest is a
    // source excerpt that would make the log entry multi-line.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
    throw profileError(path, null, 'one valid YAML document', `is not valid YAML (${reason})`);
  }
  return validateProfile(path, fileName, document);
}

function validateProfile(path: string, fileName: string, document: unknown): ModemProfile {
  const root = expectMapping(path, null, document, PROFILE_KEYS);

  const name = expectText(path, 'name', root['name']);
  if (!KEBAB_CASE.test(name)) throw profileError(path, 'name', 'a kebab-case name such as "quectel-ec25"', got(name));
  const expectedFile = `${name}${PROFILE_SUFFIX}`;
  if (fileName !== expectedFile) {
    throw profileError(path, 'name', `the file name without ${PROFILE_SUFFIX} (the file should be ${expectedFile})`, got(name));
  }

  const match = expectMapping(path, 'match', root['match'], MATCH_KEYS, { allowMissing: true });
  const manufacturer = optionalRegex(path, 'match.manufacturer', match['manufacturer']);
  const model = optionalRegex(path, 'match.model', match['model']);

  const cnmiPreferences = expectList(path, 'cnmiPreferences', root['cnmiPreferences'], { nonEmpty: true }, (value, key) => {
    const setting = expectText(path, key, value);
    if (!CNMI_SETTING.test(setting)) {
      throw profileError(path, key, 'an AT+CNMI setting of 2 to 5 single digits separated by commas, such as "2,1,0,2,0"', got(setting));
    }
    return setting;
  });

  const storagePreferences = expectList(path, 'storagePreferences', root['storagePreferences'], { nonEmpty: true }, (value, key) => {
    const storage = expectText(path, key, value);
    if (!(STORAGES as readonly string[]).includes(storage)) {
      throw profileError(path, key, `one of ${STORAGES.map((s) => `"${s}"`).join(', ')}`, got(storage));
    }
    return storage;
  });
  rejectDuplicates(path, 'storagePreferences', storagePreferences);

  const statusReportRoute = expectRoute(path, root['statusReportRoute']);
  const firstCnmi = cnmiPreferences[0] ?? '';
  const firstDs = Number(firstCnmi.split(',')[3] ?? '0');
  if (firstDs !== ROUTE_DS[statusReportRoute]) {
    throw profileError(
      path,
      'statusReportRoute',
      `a route that agrees with <ds>=${firstDs} of the first cnmiPreferences entry "${firstCnmi}" (ds 1 = cds, 2 = cdsi, 0 = none)`,
      got(statusReportRoute),
    );
  }

  const quirks = expectList(path, 'quirks', root['quirks'], { nonEmpty: false }, (value, key) => {
    const quirk = expectMapping(path, key, value, QUIRK_KEYS);
    const id = expectText(path, `${key}.id`, quirk['id']);
    if (!KEBAB_CASE.test(id)) throw profileError(path, `${key}.id`, 'a kebab-case id such as "cdsi-wrong-storage"', got(id));
    return Object.freeze({
      id,
      description: expectText(path, `${key}.description`, quirk['description']),
      source: expectText(path, `${key}.source`, quirk['source']),
    });
  });
  rejectDuplicates(path, 'quirks', quirks.map((quirk) => quirk.id), '.id');

  const matchValue: { manufacturer?: string; model?: string } = {};
  if (manufacturer !== undefined) matchValue.manufacturer = manufacturer;
  if (model !== undefined) matchValue.model = model;

  const profile: ModemProfile = {
    name,
    description: expectText(path, 'description', root['description']),
    match: Object.freeze(matchValue),
    initCommands: Object.freeze(expectCommands(path, 'initCommands', root['initCommands'])),
    cnmiPreferences: Object.freeze(cnmiPreferences),
    storagePreferences: Object.freeze(storagePreferences),
    statusReportRoute,
    directDelivery: expectBoolean(path, 'directDelivery', root['directDelivery']),
    moreMessagesToSend: expectBoolean(path, 'moreMessagesToSend', root['moreMessagesToSend']),
    cnmaTimeoutMs: expectPositiveInteger(path, 'cnmaTimeoutMs', root['cnmaTimeoutMs']),
    commandTimeoutMs: expectPositiveInteger(path, 'commandTimeoutMs', root['commandTimeoutMs']),
    sendTimeoutMs: expectPositiveInteger(path, 'sendTimeoutMs', root['sendTimeoutMs']),
    promptTimeoutMs: expectPositiveInteger(path, 'promptTimeoutMs', root['promptTimeoutMs']),
    resetCommands: Object.freeze(expectCommands(path, 'resetCommands', root['resetCommands'])),
    resetSettleMs: expectPositiveInteger(path, 'resetSettleMs', root['resetSettleMs']),
    quirks: Object.freeze(quirks),
  };
  return Object.freeze(profile);
}

/**
 * A plain mapping with only `allowed` keys; every allowed key must be present unless
 * `allowMissing`. `key` is the dotted path of the mapping, or null for the document root.
 */
function expectMapping(
  path: string,
  key: string | null,
  value: unknown,
  allowed: readonly string[],
  options: { readonly allowMissing?: boolean } = {},
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw profileError(path, key, `a mapping with the keys ${allowed.join(', ')}`, got(value));
  }
  const record = value as Record<string, unknown>;
  const prefix = key === null ? '' : `${key}.`;
  for (const present of Object.keys(record)) {
    if (!allowed.includes(present)) {
      throw profileError(path, `${prefix}${present}`, `only the keys ${allowed.join(', ')}`, 'is an unknown key');
    }
  }
  if (options.allowMissing !== true) {
    for (const required of allowed) {
      if (!Object.hasOwn(record, required)) throw profileError(path, `${prefix}${required}`, 'every key to be present', 'is missing');
    }
  }
  return record;
}

function expectText(path: string, key: string, value: unknown): string {
  if (value === undefined) throw profileError(path, key, 'every key to be present', 'is missing');
  if (typeof value !== 'string' || value.trim() === '') throw profileError(path, key, 'a non-empty string', got(value));
  return value;
}

function optionalRegex(path: string, key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const pattern = expectText(path, key, value);
  try {
    new RegExp(pattern, 'i');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw profileError(path, key, 'a valid regular expression', `${got(pattern)} (${reason})`);
  }
  return pattern;
}

function expectList<T>(
  path: string,
  key: string,
  value: unknown,
  options: { readonly nonEmpty: boolean },
  item: (value: unknown, key: string) => T,
): T[] {
  if (value === undefined) throw profileError(path, key, 'every key to be present', 'is missing');
  if (!Array.isArray(value) || (options.nonEmpty && value.length === 0)) {
    throw profileError(path, key, options.nonEmpty ? 'a non-empty list' : 'a list (may be empty: [])', got(value));
  }
  return value.map((element: unknown, index) => item(element, `${key}[${index}]`));
}

function expectCommands(path: string, key: string, value: unknown): string[] {
  return expectList(path, key, value, { nonEmpty: false }, (element, itemKey) => {
    const command = expectText(path, itemKey, element);
    if (!AT_COMMAND.test(command)) {
      throw profileError(path, itemKey, 'one AT command line starting with "AT", printable characters only', got(command));
    }
    return command;
  });
}

function expectRoute(path: string, value: unknown): StatusReportRoute {
  const route = expectText(path, 'statusReportRoute', value);
  const known = ROUTES.find((candidate) => candidate === route);
  if (known === undefined) throw profileError(path, 'statusReportRoute', `one of ${ROUTES.map((r) => `"${r}"`).join(', ')}`, got(route));
  return known;
}

function expectBoolean(path: string, key: string, value: unknown): boolean {
  if (value === undefined) throw profileError(path, key, 'every key to be present', 'is missing');
  if (typeof value !== 'boolean') throw profileError(path, key, 'true or false', got(value));
  return value;
}

function expectPositiveInteger(path: string, key: string, value: unknown): number {
  if (value === undefined) throw profileError(path, key, 'every key to be present', 'is missing');
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw profileError(path, key, 'a positive integer number of milliseconds', got(value));
  }
  return value;
}

function rejectDuplicates(path: string, key: string, values: readonly string[], suffix = ''): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) throw profileError(path, `${key}[${index}]${suffix}`, 'no repeated entries', `repeats ${describe(value)}`);
    seen.add(value);
  });
}

/** `<file>: key "<key>" <problem>; expected <expected>`, with `{ file, key, expected }` as details. */
function profileError(path: string, key: string | null, expected: string, problem: string): GatewayError {
  const where = key === null ? path : `${path}: key "${key}"`;
  return new GatewayError(PROFILE_ERROR, `${where} ${problem}; expected ${expected}`, { file: path, key, expected });
}

function got(value: unknown): string {
  return `is ${describe(value)}`;
}

/** A short, log-safe rendering of a YAML value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
