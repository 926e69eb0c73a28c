/**
 * Secrets of the configuration (Redis password, SIM PINs, the admin API's tokens). The file only
 * says where each one is: `<name>Env: VARIABLE` (an environment variable) or `<name>File: path`
 * (a file; one trailing newline is ignored; relative paths start at the config file's folder).
 * A missing variable or unreadable file is a problem naming the key; a secret's value never
 * appears in a problem, and {@link redactConfig} hides every one for output.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ConfigProblem, KeyPath } from './config-problems.ts';
import type { Config } from './config-schema.ts';
import { REDACTED, redactRedisUrl } from './redis-url.ts';

/** The environment secrets are read from (`process.env` in production, a plain object in tests). */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/** Reads a secret file (absolute path) and returns its text; throws a Node error when it cannot. */
export type ReadSecretFile = (path: string) => string;

/** Largest secret file read; a secret is a line, so anything larger is not one. */
export const MAX_SECRET_FILE_BYTES = 4096;

/**
 * Reads a secret file: a regular file of at most {@link MAX_SECRET_FILE_BYTES} bytes (so that a
 * path such as `/dev/zero` cannot hang the start), as UTF-8.
 */
export function readSecretFileSync(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTFILE' });
    if (stat.size > MAX_SECRET_FILE_BYTES) throw Object.assign(new Error(`${path} is larger than ${MAX_SECRET_FILE_BYTES} bytes`), { code: 'ETOOBIG' });
    const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES);
    const length = readSync(fd, buffer, 0, MAX_SECRET_FILE_BYTES, 0);
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Where one secret comes from, as the (schema-valid) file says. */
export interface SecretSource {
  /** Path of the object holding the keys, e.g. `['modems', 0]`. */
  readonly at: KeyPath;
  readonly envKey: string;
  readonly fileKey: string;
  readonly env: string | null;
  /** Absolute path (resolved against the config file's folder). */
  readonly file: string | null;
  /** What the secret is, for messages: `the SIM PIN`. */
  readonly what: string;
  /** Checks the value; returns what a valid one looks like when it is not, or null. */
  readonly invalid?: (value: string) => string | null;
}

/** The secret's value (null when no source is configured), or the problem that prevented it. */
export function resolveSecret(source: SecretSource, env: ConfigEnv, readFile: ReadSecretFile): { value: string | null } | { problem: ConfigProblem } {
  let value: string;
  if (source.env !== null) {
    const found = env[source.env];
    if (found === undefined || found === '') {
      return { problem: { path: [...source.at, source.envKey], problem: `names environment variable ${source.env}, which is not set or empty`, expected: `a set environment variable holding ${source.what}` } };
    }
    value = found;
  } else if (source.file !== null) {
    try {
      value = readFile(source.file).replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { problem: { path: [...source.at, source.fileKey], problem: `names ${source.file}, which cannot be read (${typeof code === 'string' ? code : 'error'})`, expected: `a readable file of at most ${MAX_SECRET_FILE_BYTES} bytes holding ${source.what}` } };
    }
    if (value === '') return { problem: { path: [...source.at, source.fileKey], problem: `names ${source.file}, which is empty`, expected: `a file holding ${source.what}` } };
  } else {
    return { value: null };
  }
  const invalid = source.invalid?.(value) ?? null;
  if (invalid !== null) {
    const key = source.env !== null ? source.envKey : source.fileKey;
    return { problem: { path: [...source.at, key], problem: `leads to a value that is not ${source.what}`, expected: invalid } };
  }
  return { value };
}

/** A SIM PIN has 4 to 8 decimal digits (ETSI TS 102 221 §9, security features). */
export function pinInvalid(value: string): string | null {
  return /^[0-9]{4,8}$/.test(value) ? null : '4 to 8 decimal digits';
}

/** Shortest admin token accepted: a guessable token would defeat the API's authentication. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** An admin bearer token: at least {@link MIN_ADMIN_TOKEN_LENGTH} visible ASCII characters (RFC 6750 §2.1 b64token, loosely). */
export function adminTokenInvalid(value: string): string | null {
  return value.length >= MIN_ADMIN_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(value) ? null : `at least ${MIN_ADMIN_TOKEN_LENGTH} visible ASCII characters without spaces (e.g. openssl rand -hex 32)`;
}

/**
 * A copy of `config` safe to print or log: the Redis password (in `redis.url` and
 * `redis.password`), every modem's `pin` and the admin tokens are replaced by `"[redacted]"`. Where a secret comes
 * from (`…Env`, `…File`) stays visible. Deep-frozen.
 */
export function redactConfig(config: Config): Config {
  return deepFreeze({
    ...config,
    redis: { ...config.redis, url: redactRedisUrl(config.redis.url), password: config.redis.password === null ? null : REDACTED },
    modems: config.modems.map((modem) => ({ ...modem, pin: modem.pin === null ? null : REDACTED })),
    admin: { ...config.admin, token: config.admin.token === null ? null : REDACTED, readOnlyToken: config.admin.readOnlyToken === null ? null : REDACTED },
  });
}

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
