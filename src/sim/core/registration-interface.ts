/**
 * The server side of the LwM2M Registration Interface (LwM2M 1.1 Core §6.2; 1.1 Transport,
 * "Registration Interface"): Register `POST /rd?ep&lt&lwm2m&b[&sms][&Q]` → 2.01 with
 * Location-Path `rd`, `<id>`; Update `POST /rd/<id>[?lt&b&sms&Q]` → 2.04; De-register
 * `DELETE /rd/<id>` → 2.02. Decides the answer and changes the {@link RegistrationTable}; the
 * caller encodes and sends the response.
 */
import {
  CoapCode,
  ContentFormat,
  contentFormat,
  lwm2mObjectLinks,
  parseLinkFormatBytes,
  parseRegisterQuery,
  uriPath,
  uriQuery,
  type CoapMessage,
  type Lwm2mObjectLinks,
  type RegisterQuery,
} from '../../lwm2m/index.ts';
import type { GatewayError } from '../../shared/errors.ts';
import type { LabCoreClient, RegistrationTable } from './registration-table.ts';

/** LwM2M 1.0 §5.3.1: lifetime when a Register carries no `lt`, seconds. */
export const DEFAULT_LIFETIME_SEC = 86_400;
/** LwM2M 1.0 §5.3.1: version when a Register carries no `lwm2m`. */
export const DEFAULT_LWM2M_VERSION = '1.0';
/** LwM2M 1.0 §5.3.1: binding when a Register carries no `b`. */
export const DEFAULT_BINDING = 'U';
/** The first Uri-Path segment of the registration interface (and of every Location-Path). */
export const REGISTRATION_PATH = 'rd';

/** What a registration request changed. */
export type RegistrationChange =
  | { readonly kind: 'registered'; readonly client: LabCoreClient; readonly replaced: LabCoreClient | null }
  | { readonly kind: 'updated'; readonly client: LabCoreClient; readonly previous: LabCoreClient }
  | { readonly kind: 'deregistered'; readonly client: LabCoreClient };

/** The answer to a request to the registration interface. */
export interface RegistrationOutcome {
  /** Response code, e.g. `CoapCode.CREATED`. */
  readonly code: number;
  /** Location-Path segments (`['rd', '<id>']` for a Register), empty otherwise. */
  readonly locationPath: readonly string[];
  /** Diagnostic payload of an error response (RFC 7252 §5.5.2), empty otherwise. */
  readonly diagnostic: string;
  /** The change, or null when nothing changed (an error response). */
  readonly change: RegistrationChange | null;
}

/** Where a request came from. */
export interface RequestSource {
  readonly address: string;
  readonly port: number;
}

const EMPTY_LINKS: Lwm2mObjectLinks = Object.freeze({ rootPath: null, objects: Object.freeze([]) });

function failure(code: number, diagnostic: string): RegistrationOutcome {
  return { code, locationPath: [], diagnostic, change: null };
}

/** The error's message; codec errors ({@link GatewayError}) name the field and offset. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The endpoint name of a Register (POST `/rd?ep=…`), or null for any other message (or one
 * whose options cannot be read).
 */
export function registerEndpointOf(request: CoapMessage): string | null {
  try {
    const path = uriPath(request);
    if (request.code !== CoapCode.POST || path.length !== 1 || path[0] !== REGISTRATION_PATH) return null;
    const ep = uriQuery(request).find((arg) => arg.startsWith('ep='));
    return ep === undefined ? null : ep.slice(3);
  } catch {
    return null;
  }
}

/** The answer to a Register the lab core was told to refuse (a fault for tests): `code`, nothing stored. */
export function refusedRegistration(code: number): RegistrationOutcome {
  return failure(code, 'registration refused (lab core fault)');
}

/**
 * Answers `request` (a CON or NON request) from `source` at time `nowMs` (epoch ms), updating
 * `table`:
 * - a path other than `/rd` or `/rd/<id>` → 4.04; a method the path does not take → 4.05;
 * - Register without `ep`, with a bad parameter (`parseRegisterQuery`), `lt=0`, a Content-Format
 *   other than 40 or a payload that is not link-format → 4.00 with a diagnostic;
 * - Update or De-register of an unknown id → 4.04; Update with a bad parameter → 4.00.
 *
 * A Register from any address replaces the registration of the same endpoint; an Update moves
 * the registration to the address it came from (Leshan does the same). Never throws.
 */
export function handleRegistrationRequest(
  request: CoapMessage,
  source: RequestSource,
  table: RegistrationTable,
  nowMs: number,
): RegistrationOutcome {
  let path: string[];
  let query: string[];
  try {
    path = uriPath(request);
    query = uriQuery(request);
  } catch (error) {
    return failure(CoapCode.BAD_REQUEST, describe(error));
  }
  if (path[0] !== REGISTRATION_PATH || path.length > 2) return failure(CoapCode.NOT_FOUND, `no resource at /${path.join('/')}`);
  const registrationId = path[1];
  if (registrationId === undefined) {
    if (request.code !== CoapCode.POST) return failure(CoapCode.METHOD_NOT_ALLOWED, '/rd takes POST (Register) only');
    return register(request, query, source, table, nowMs);
  }
  if (request.code === CoapCode.POST) return update(request, query, registrationId, source, table, nowMs);
  if (request.code === CoapCode.DELETE) {
    const client = table.remove(registrationId);
    if (client === null) return failure(CoapCode.NOT_FOUND, `no registration /rd/${registrationId}`);
    return { code: CoapCode.DELETED, locationPath: [], diagnostic: '', change: { kind: 'deregistered', client } };
  }
  return failure(CoapCode.METHOD_NOT_ALLOWED, '/rd/<id> takes POST (Update) and DELETE (De-register) only');
}

/** The object links of a payload; throws a message for a bad Content-Format or link-format. */
function readLinks(request: CoapMessage): { objectLinks: Lwm2mObjectLinks; linkFormat: string } {
  const format = contentFormat(request);
  if (format !== null && format !== ContentFormat.LINK_FORMAT) {
    throw new Error(`Content-Format ${format}: the object list must be application/link-format (40)`);
  }
  if (request.payload.length === 0) return { objectLinks: EMPTY_LINKS, linkFormat: '' };
  const links = parseLinkFormatBytes(request.payload);
  return { objectLinks: lwm2mObjectLinks(links), linkFormat: Buffer.from(request.payload).toString('utf8') };
}

function checkLifetime(query: RegisterQuery): string | null {
  return query.lifetimeSec === 0 ? 'lt=0: the lifetime must be at least 1 s' : null;
}

function register(request: CoapMessage, args: string[], source: RequestSource, table: RegistrationTable, nowMs: number): RegistrationOutcome {
  let query: RegisterQuery;
  let links: { objectLinks: Lwm2mObjectLinks; linkFormat: string };
  try {
    query = parseRegisterQuery(args);
    links = readLinks(request);
  } catch (error) {
    return failure(CoapCode.BAD_REQUEST, describe(error));
  }
  if (query.endpoint === null) return failure(CoapCode.BAD_REQUEST, 'ep: the endpoint client name is required');
  const lifetimeProblem = checkLifetime(query);
  if (lifetimeProblem !== null) return failure(CoapCode.BAD_REQUEST, lifetimeProblem);
  const registrationId = table.newRegistrationId();
  const lifetimeSec = query.lifetimeSec ?? DEFAULT_LIFETIME_SEC;
  const client: LabCoreClient = Object.freeze({
    endpoint: query.endpoint,
    address: source.address,
    port: source.port,
    registrationId,
    location: `/${REGISTRATION_PATH}/${registrationId}`,
    lifetimeSec,
    binding: query.binding ?? DEFAULT_BINDING,
    queueMode: query.queueMode,
    smsNumber: query.smsNumber,
    lwm2mVersion: query.lwm2mVersion ?? DEFAULT_LWM2M_VERSION,
    ...links,
    additionalParams: Object.freeze({ ...query.extra, ...(query.profileId === null ? {} : { pid: query.profileId }) }),
    registeredAtMs: nowMs,
    lastUpdateMs: nowMs,
    expiresAtMs: nowMs + lifetimeSec * 1000,
  });
  const replaced = table.put(client);
  return { code: CoapCode.CREATED, locationPath: [REGISTRATION_PATH, registrationId], diagnostic: '', change: { kind: 'registered', client, replaced } };
}

function update(
  request: CoapMessage,
  args: string[],
  registrationId: string,
  source: RequestSource,
  table: RegistrationTable,
  nowMs: number,
): RegistrationOutcome {
  const previous = table.byRegistrationId(registrationId);
  if (previous === null) return failure(CoapCode.NOT_FOUND, `no registration /rd/${registrationId}`);
  let query: RegisterQuery;
  let links: { objectLinks: Lwm2mObjectLinks; linkFormat: string } | null;
  try {
    // An Update carries only what changed (LwM2M 1.1 Core §6.2.2); `b` is checked against the
    // version of the registration.
    query = parseRegisterQuery(args, { lwm2mVersion: previous.lwm2mVersion });
    links = request.payload.length === 0 ? null : readLinks(request);
  } catch (error) {
    return failure(CoapCode.BAD_REQUEST, describe(error));
  }
  const lifetimeProblem = checkLifetime(query);
  if (lifetimeProblem !== null) return failure(CoapCode.BAD_REQUEST, lifetimeProblem);
  const lifetimeSec = query.lifetimeSec ?? previous.lifetimeSec;
  const queueChanged = query.binding !== null || query.queueMode;
  const client: LabCoreClient = Object.freeze({
    ...previous,
    address: source.address,
    port: source.port,
    lifetimeSec,
    binding: query.binding ?? previous.binding,
    queueMode: queueChanged ? query.queueMode : previous.queueMode,
    smsNumber: query.smsNumber ?? previous.smsNumber,
    ...(links ?? {}),
    lastUpdateMs: nowMs,
    expiresAtMs: nowMs + lifetimeSec * 1000,
  });
  table.put(client);
  return { code: CoapCode.CHANGED, locationPath: [], diagnostic: '', change: { kind: 'updated', client, previous } };
}
