/**
 * LwM2M paths and downlink request shapes of the lab core (LwM2M 1.1 Transport §6.4 "Device
 * Management and Service Enablement Interface": Read = GET, Write = PUT (replace) or POST
 * (partial update), Execute = POST with optional text/plain arguments).
 */
import { codeToString, contentFormat, type CoapMessage } from '../../lwm2m/index.ts';
import { LabCoreRequestError } from './lab-core-errors.ts';

/** A downlink request, before Message ID and token. */
export interface LabCoreRequest {
  /** Request code, e.g. `CoapCode.GET`. */
  readonly method: number;
  /** LwM2M path, `/3/0/1`: one to four decimal ids 0..65535. */
  readonly path: string;
  /** Uri-Query arguments (Write-Attributes, Execute via query), default none. */
  readonly query?: readonly string[];
  readonly payload?: Uint8Array | string;
  /** Content-Format of the payload, or null / absent for none. */
  readonly contentFormat?: number | null;
  /** Accept, or null / absent for none. */
  readonly accept?: number | null;
  /** Overall time to wait for the response; default the core's `responseTimeoutMs`. */
  readonly timeoutMs?: number;
}

/** The client's answer to a downlink request. */
export interface LabCoreResponse {
  /** Response code as "c.dd" text: `2.05`, `4.04`. */
  readonly code: string;
  /** Content-Format of the payload, or null when the response has none. */
  readonly contentFormat: number | null;
  readonly payload: Uint8Array;
}

const LWM2M_PATH = /^(?:\/(?:0|[1-9][0-9]{0,4})){1,4}$/;
const MAX_ID = 65_535;

/**
 * The Uri-Path segments of LwM2M path `path` under the client's alternate root path `rootPath`
 * (`/lwm2m` gives `['lwm2m', '3', '0']`; null or `/` adds nothing). Throws
 * {@link LabCoreRequestError} `bad-request` unless `path` is `/` followed by one to four
 * slash-separated ids 0..65535 (Object, Instance, Resource, Resource Instance).
 */
export function lwm2mPathSegments(path: string, rootPath: string | null): string[] {
  const ids = path.split('/').slice(1);
  if (!LWM2M_PATH.test(path) || ids.some((id) => Number(id) > MAX_ID)) {
    throw new LabCoreRequestError('bad-request', `"${path}" is not an LwM2M path (/object[/instance[/resource[/resource-instance]]])`, { path });
  }
  const root = (rootPath ?? '').split('/').filter((segment) => segment !== '');
  return [...root, ...ids];
}

/**
 * The {@link LabCoreResponse} of a response message. A Content-Format option that cannot be read
 * (over 4 bytes) counts as absent.
 */
export function responseOf(message: CoapMessage): LabCoreResponse {
  let format: number | null;
  try {
    format = contentFormat(message);
  } catch {
    format = null;
  }
  return { code: codeToString(message.code), contentFormat: format, payload: message.payload };
}
