/**
 * Redis connection URLs: `redis://[user[:password]@]host[:port][/db]`, `rediss://` for TLS (the
 * IANA-registered schemes ioredis reads). Parsed and checked here, rebuilt with a password taken
 * from the environment or a file, and redacted for output.
 */
import { hostProblem } from './host-name.ts';

/** The parts of a Redis URL. */
export interface RedisUrlParts {
  readonly tls: boolean;
  readonly username: string | null;
  readonly password: string | null;
  /** Host name or address; an IPv6 address without brackets. */
  readonly host: string;
  readonly port: number;
  readonly db: number;
}

/** What is wrong with a URL (never its text: it may hold a password). */
export interface RedisUrlProblem {
  readonly problem: string;
}

/** Redis's default port. */
export const REDIS_DEFAULT_PORT = 6379;
const MAX_DB = 65_535;

/** Shown instead of a password. */
export const REDACTED = '[redacted]';

/** Parses `text`; a problem describes what is wrong without repeating the text. */
export function parseRedisUrl(text: string): RedisUrlParts | RedisUrlProblem {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'is not a URL' };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return { problem: `has scheme "${url.protocol.slice(0, 16)}"` };
  if (url.search !== '' || url.hash !== '') return { problem: 'has a query or fragment (options belong in their own keys)' };
  const db = /^\/?$/.test(url.pathname) ? 0 : /^\/[0-9]{1,5}$/.test(url.pathname) ? Number(url.pathname.slice(1)) : Number.NaN;
  if (!(db >= 0 && db <= MAX_DB)) return { problem: 'has a path that is not a database number' };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const hostIssue = hostProblem(host);
  if (hostIssue !== null) return { problem: `has a host that ${hostIssue}` };
  const port = url.port === '' ? REDIS_DEFAULT_PORT : Number(url.port);
  if (port < 1) return { problem: 'has port 0' };
  let username: string | null;
  let password: string | null;
  try {
    username = url.username === '' ? null : decodeURIComponent(url.username);
    password = url.password === '' ? null : decodeURIComponent(url.password);
  } catch {
    return { problem: 'has a user or password with a malformed %-escape' };
  }
  return { tls: url.protocol === 'rediss:', username, password, host, port, db };
}

/** True when `value` is a problem rather than parts. */
export function isRedisUrlProblem(value: RedisUrlParts | RedisUrlProblem): value is RedisUrlProblem {
  return 'problem' in value;
}

/** The URL of `parts`, user and password %-encoded; every part explicit (port and database). */
export function formatRedisUrl(parts: RedisUrlParts): string {
  return formatWithPassword(parts, parts.password === null ? null : encodeURIComponent(parts.password));
}

function formatWithPassword(parts: RedisUrlParts, passwordText: string | null): string {
  const user = parts.username === null ? '' : encodeURIComponent(parts.username);
  const auth = user === '' && passwordText === null ? '' : `${user}${passwordText === null ? '' : `:${passwordText}`}@`;
  const host = parts.host.includes(':') ? `[${parts.host}]` : parts.host;
  return `${parts.tls ? 'rediss' : 'redis'}://${auth}${host}:${parts.port}/${parts.db}`;
}

/** `url` with its password (if any) replaced by `[redacted]`; an unparsable URL is redacted whole. */
export function redactRedisUrl(url: string): string {
  const parts = parseRedisUrl(url);
  if (isRedisUrlProblem(parts)) return REDACTED;
  return formatWithPassword(parts, parts.password === null ? null : REDACTED);
}
