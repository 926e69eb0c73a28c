/**
 * The client side of the admin API for the CLI commands (`smsbridge status`, `modems`,
 * `devices`, `send`): plain `fetch`, the bearer token, and the API's `{code, message}` errors
 * turned back into typed errors. Loaded only when such a command runs.
 */
import { readSecretFileSync } from '../config/secrets.ts';
import { ADMIN_TOKEN_ENV } from '../shared/admin-api-defaults.ts';
import { ERROR_CODES, GatewayError, type ErrorCode } from '../shared/errors.ts';
import { optionError, parseIntegerOption } from './options.ts';

/** Default of `--timeout-sec`: the safety net for a gateway that accepts the connection but never answers. */
export const DEFAULT_REQUEST_TIMEOUT_SEC = 60;

/** Where the API is and how to authenticate. */
export interface ApiTarget {
  readonly url: string;
  readonly token: string;
  /** Longest wait for one answer, body included. */
  readonly timeoutMs: number;
}

/**
 * The target from the options: `--url` (checked), the token from `--token-file` or the
 * {@link ADMIN_TOKEN_ENV} variable, `--timeout-sec` (1..3600, default {@link DEFAULT_REQUEST_TIMEOUT_SEC}).
 * GW_ERR_CONFIG naming the option when one is missing or bad (values first, then the token).
 */
export function apiTarget(options: { url: string; tokenFile?: string; timeoutSec?: string }, env: Readonly<Record<string, string | undefined>>): ApiTarget {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw optionError('--url', `"${options.url}" is not a URL such as http://127.0.0.1:8683`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw optionError('--url', `"${options.url}" is not an http:// or https:// URL`);
  // Every option's value is checked before the token is looked for: a bad value is named even when no token is set.
  const timeoutSec = options.timeoutSec === undefined ? DEFAULT_REQUEST_TIMEOUT_SEC : parseIntegerOption(options.timeoutSec, '--timeout-sec', { min: 1, max: 3600 });
  let token: string | undefined;
  if (options.tokenFile !== undefined) {
    try {
      token = readSecretFileSync(options.tokenFile).replace(/\r?\n$/, '');
    } catch (error) {
      throw optionError('--token-file', `${options.tokenFile} cannot be read (${String((error as { code?: unknown }).code ?? error)})`);
    }
    if (token === '') throw optionError('--token-file', `${options.tokenFile} is empty; it must hold the admin token`);
  } else {
    token = env[ADMIN_TOKEN_ENV];
  }
  if (token === undefined || token === '') {
    // No option was passed: the message says where a token can come from; details.option names the option that gives one.
    throw new GatewayError('GW_ERR_CONFIG', `no admin token given: set the ${ADMIN_TOKEN_ENV} environment variable or pass --token-file <file>`, { option: '--token-file', env: ADMIN_TOKEN_ENV });
  }
  return { url: url.href.replace(/\/$/, ''), token, timeoutMs: timeoutSec * 1000 };
}

/**
 * Calls the API; resolves with the JSON body of a 2xx answer, rejects with the API's typed error
 * (`{code, message}`), or GW_ERR_ADMIN_UNREACHABLE when nothing answers, the answer is not JSON,
 * or an error answer is not the admin API's (a wrong `--url`).
 */
export async function callApi(target: ApiTarget, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<unknown> {
  const timedOut = (error: unknown): GatewayError | null => ((error as { name?: unknown }).name === 'TimeoutError'
    ? new GatewayError('GW_ERR_ADMIN_UNREACHABLE', `the admin API at ${target.url} did not answer within ${target.timeoutMs / 1000} s (--timeout-sec)${method === 'GET' ? '' : '; whether the request was carried out is unknown'}`, { url: target.url })
    : null);
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    const late = timedOut(error);
    if (late !== null) throw late;
    // fetch fails with TypeError "fetch failed"; its cause says why (ECONNREFUSED, ENOTFOUND, "bad port", a timeout …).
    const reason = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const cause = reason?.code ?? reason?.message ?? (error as Error).message;
    throw new GatewayError('GW_ERR_ADMIN_UNREACHABLE', `the admin API at ${target.url} cannot be reached (${String(cause)}); is the gateway running with admin.enabled?`, { url: target.url });
  }
  try {
    text = await response.text();
  } catch (error) {
    throw timedOut(error) ?? new GatewayError('GW_ERR_ADMIN_UNREACHABLE', `the answer of ${target.url} broke off (${String((error as Error).message)})`, { url: target.url });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('GW_ERR_ADMIN_UNREACHABLE', `${target.url} answered HTTP ${response.status} with something that is not the admin API's JSON`, { url: target.url, status: response.status });
  }
  if (response.ok) return value;
  const { code, message, ...details } = (value ?? {}) as { code?: unknown; message?: unknown };
  // Every error of the admin API is {code, message} with a code of docs/errors.md; anything else is another server.
  if (typeof code !== 'string' || !/^GW_ERR_[A-Z0-9_]+$/.test(code) || typeof message !== 'string') {
    throw new GatewayError('GW_ERR_ADMIN_UNREACHABLE', `${target.url} answered HTTP ${response.status} with JSON that is not an admin API error; is --url the gateway's admin API?`, { url: target.url, status: response.status });
  }
  // A code this CLI does not know (a newer gateway): GW_ERR_INTERNAL, the gateway's code kept beside it.
  if (!Object.hasOwn(ERROR_CODES, code)) throw new GatewayError('GW_ERR_INTERNAL', message, { ...details, apiCode: code, status: response.status });
  throw new GatewayError(code as ErrorCode, message, { ...details, status: response.status });
}
