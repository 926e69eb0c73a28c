/**
 * The process's open-file limit (RLIMIT_NOFILE) against what the gateway needs: one file per
 * device socket plus a reserve for everything else (Redis connections, the device-facing UDP
 * socket, modem serial ports, stdio, the event loop's own descriptors).
 *
 * Node has no `getrlimit`, and raises its soft limit to the hard limit at start-up, so on Linux
 * the figures come from `/proc/self/limits` ("Max open files  <soft>  <hard>  files").
 *
 * Policy (docs/scaling.md):
 *   - the limit is unknown (not Linux): nothing is said;
 *   - a configured capacity that even the hard limit cannot hold: a typed error
 *     (GW_ERR_RELAY_FILE_LIMIT), the operator must raise LimitNOFILE;
 *   - the registrations in Redis or the configured capacity need more than the soft limit: a
 *     warning; the gateway starts, and devices whose socket cannot be opened are reported and
 *     retried;
 *   - otherwise: ok.
 */
import { readFileSync } from 'node:fs';
import { GatewayError } from '../shared/errors.ts';

/** Soft and hard open-file limits; `Infinity` for "unlimited". */
export interface OpenFileLimit {
  readonly soft: number;
  readonly hard: number;
}

/** Files kept for everything but device sockets. */
export const DEFAULT_RESERVE_FILES = 256;

const LIMIT_LINE = 'Max open files';

/**
 * Parses the text of `/proc/<pid>/limits` (proc(5)). Returns null when the text has no
 * well-formed "Max open files" line. Linear in the input; never throws.
 */
export function parseOpenFileLimit(text: string): OpenFileLimit | null {
  let start = text.indexOf(LIMIT_LINE);
  while (start > 0 && text[start - 1] !== '\n') start = text.indexOf(LIMIT_LINE, start + 1);
  if (start < 0) return null;
  const end = text.indexOf('\n', start);
  const fields = text.slice(start + LIMIT_LINE.length, end < 0 ? text.length : end).trim().split(/\s+/);
  if (fields.length < 2) return null;
  const soft = limitValue(fields[0]!);
  const hard = limitValue(fields[1]!);
  return soft === null || hard === null ? null : { soft, hard };
}

function limitValue(field: string): number | null {
  if (field === 'unlimited') return Number.POSITIVE_INFINITY;
  return /^\d{1,15}$/.test(field) ? Number(field) : null;
}

/** The limits of this process, or null where `/proc/self/limits` does not exist or cannot be read. */
export function readOpenFileLimit(path = '/proc/self/limits'): OpenFileLimit | null {
  try {
    return parseOpenFileLimit(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** What {@link assessOpenFileLimit} is asked. */
export interface FileNeeds {
  /** Devices with a registration (each gets a socket at start). */
  readonly registrations: number;
  /** Devices the node is configured to hold; 0 when not configured. */
  readonly capacity: number;
  /** Files for everything but device sockets. */
  readonly reserveFiles: number;
}

/** The verdict of {@link assessOpenFileLimit}; `message` is for people (null when ok). */
export interface FileLimitVerdict {
  readonly verdict: 'unknown' | 'ok' | 'low';
  readonly neededFiles: number;
  readonly limit: OpenFileLimit | null;
  readonly message: string | null;
}

/**
 * The GW_ERR_RELAY_FILE_LIMIT error of the policy when the configured capacity plus the reserve
 * exceeds the hard limit (details `{ capacity, reserveFiles, neededFiles, soft, hard }`); null
 * when it fits, when no capacity is configured, or when the limit is unknown. Never throws.
 */
export function capacityFileLimitError(limit: OpenFileLimit | null, needs: Pick<FileNeeds, 'capacity' | 'reserveFiles'>): GatewayError | null {
  if (limit === null || needs.capacity <= 0) return null;
  const neededFiles = needs.capacity + needs.reserveFiles;
  if (neededFiles <= limit.hard) return null;
  return new GatewayError(
    'GW_ERR_RELAY_FILE_LIMIT',
    `coreSockets.capacity ${needs.capacity} needs ${neededFiles} open files, but the hard limit is ${limit.hard}: raise LimitNOFILE to at least ${neededFiles}`,
    { capacity: needs.capacity, reserveFiles: needs.reserveFiles, neededFiles, soft: limit.soft, hard: limit.hard },
  );
}

/**
 * Applies the policy of the file comment. Throws GW_ERR_RELAY_FILE_LIMIT
 * ({@link capacityFileLimitError}) when the configured capacity plus the reserve exceeds the
 * hard limit; otherwise returns the verdict.
 */
export function assessOpenFileLimit(limit: OpenFileLimit | null, needs: FileNeeds): FileLimitVerdict {
  const neededFiles = Math.max(needs.registrations, needs.capacity) + needs.reserveFiles;
  if (limit === null) return { verdict: 'unknown', neededFiles, limit, message: null };
  const error = capacityFileLimitError(limit, needs);
  if (error !== null) throw error;
  if (neededFiles > limit.soft) {
    return {
      verdict: 'low', neededFiles, limit,
      message: `${needs.registrations} registered devices (capacity ${needs.capacity}) need ${neededFiles} open files, but the limit is ${limit.soft}: devices beyond it get no socket until LimitNOFILE is raised`,
    };
  }
  return { verdict: 'ok', neededFiles, limit, message: null };
}

/**
 * The configured capacity alone against `limit`, before any registration is read from Redis:
 * the policy of {@link assessOpenFileLimit} with no registrations, its GW_ERR_RELAY_FILE_LIMIT
 * returned instead of thrown. `smsbridge config check` reports it; `smsbridge run` throws the
 * error before it waits for Redis. Never throws.
 */
export function assessCapacityFiles(limit: OpenFileLimit | null, capacity: number, reserveFiles = DEFAULT_RESERVE_FILES): FileLimitVerdict | GatewayError {
  const needs = { registrations: 0, capacity, reserveFiles };
  return capacityFileLimitError(limit, needs) ?? assessOpenFileLimit(limit, needs);
}
