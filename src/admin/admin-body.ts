/**
 * The admin API's request-body check as pure functions: text (or bytes) in, the validated value
 * or a typed `GatewayError` (GW_ERR_ADMIN_REQUEST) out, whose `details.reason` says why: the body
 * is too large, is not JSON (RFC 8259), or is not what the route takes (its TypeBox schema, then
 * the route's own rule such as "exactly one of text and dataHex"). admin-server.ts runs every
 * JSON body through {@link parseJsonBody} (its content-type parser) and {@link checkBody} (its
 * validator), so the server and bench/fuzz (target `admin-*`) judge bodies with one implementation.
 */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { GatewayError } from '../shared/errors.ts';
import { AtTraceRequest, SendRequest } from './admin-schemas.ts';
import { WakeupRequest } from './queue-schemas.ts';

/** Why a body was refused (the error's `details.reason`). */
export type AdminBodyReason = 'too-large' | 'json-syntax' | 'schema';

/** One write route's body: its schema (compiled once) and an optional rule beyond the schema. */
export interface AdminBodyRule {
  /** `METHOD path`, for messages and the fuzz target's name. */
  readonly route: string;
  readonly schema: TSchema;
  readonly compiled: TypeCheck<TSchema>;
  /** A problem the schema cannot express, as a message, or null when the value is fine. Runs only on schema-valid values. */
  readonly problem: (value: unknown) => string | null;
}

function rule(route: string, schema: TSchema, problem: (value: unknown) => string | null = () => null): AdminBodyRule {
  return { route, schema, compiled: TypeCompiler.Compile(schema), problem };
}

/** The bodies of the write routes (the same schema objects the routes declare). */
export const ADMIN_BODY_RULES = {
  sms: rule('POST /api/v1/sms', SendRequest, (value) => {
    const body = value as SendRequest;
    return (body.text === undefined) === (body.dataHex === undefined) ? 'body must have exactly one of text and dataHex' : null;
  }),
  wakeup: rule('POST /api/v1/wakeups', WakeupRequest),
  atTrace: rule('PUT /api/v1/modems/:name/at-trace', AtTraceRequest),
} as const;

/** The rule of `schema` when it is a write route's body, else null. */
export function bodyRuleOf(schema: unknown): AdminBodyRule | null {
  return Object.values(ADMIN_BODY_RULES).find((candidate) => candidate.schema === schema) ?? null;
}

/** The error of a body over `limitBytes` (also for fastify's own streaming limit, admin-server.ts). */
export function bodyTooLarge(limitBytes: number): GatewayError {
  return new GatewayError('GW_ERR_ADMIN_REQUEST', `body is larger than ${limitBytes} bytes (admin.bodyLimitBytes)`, { reason: 'too-large', limitBytes });
}

function syntaxError(message: string): GatewayError {
  return new GatewayError('GW_ERR_ADMIN_REQUEST', `body is not valid JSON: ${message}`, { reason: 'json-syntax' });
}

/** A `__proto__` key: refused like fastify's default parser does (prototype poisoning). */
function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw syntaxError('a "__proto__" key is not allowed');
  return value;
}

/**
 * Parses a JSON body (UTF-8 bytes or text). Throws GW_ERR_ADMIN_REQUEST with reason `too-large`
 * when it is over `limitBytes` (UTF-8 bytes), `json-syntax` when it is empty, not JSON, nested
 * too deep to walk, or has a `__proto__` key. Linear in the body's length.
 */
export function parseJsonBody(body: string | Uint8Array, limitBytes: number): unknown {
  const bytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (bytes > limitBytes) throw bodyTooLarge(limitBytes);
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8');
  if (text.trim() === '') throw new GatewayError('GW_ERR_ADMIN_REQUEST', 'body cannot be empty: JSON expected', { reason: 'json-syntax' });
  try {
    return JSON.parse(text, refuseProtoKey);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    if (error instanceof SyntaxError) throw syntaxError(error.message);
    throw syntaxError(`it cannot be read (${error instanceof RangeError ? 'nested too deep' : String(error)})`);
  }
}

/**
 * Checks a parsed body against `rule` (its schema, then its own rule). Returns the value, or throws
 * GW_ERR_ADMIN_REQUEST with reason `schema` and a message naming the first offending field
 * (`body/to Expected string to match …`) and `details.path`.
 */
export function checkBody<T = unknown>(rule: Pick<AdminBodyRule, 'compiled' | 'problem'>, value: unknown): T {
  if (!rule.compiled.Check(value)) {
    const first = rule.compiled.Errors(value).First();
    const path = first?.path ?? '';
    throw new GatewayError('GW_ERR_ADMIN_REQUEST', `body${path}${path === '' ? ':' : ''} ${first?.message ?? 'is invalid'}`, { reason: 'schema', path });
  }
  const problem = rule.problem(value);
  if (problem !== null) throw new GatewayError('GW_ERR_ADMIN_REQUEST', problem, { reason: 'schema', path: '' });
  return value as T;
}

/** The whole check of one write route's body: {@link parseJsonBody} then {@link checkBody}. Pure. */
export function parseAdminBody<T = unknown>(rule: AdminBodyRule, body: string | Uint8Array, limitBytes: number): T {
  return checkBody<T>(rule, parseJsonBody(body, limitBytes));
}
