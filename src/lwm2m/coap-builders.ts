/**
 * Builders for the CoAP messages the gateway writes itself: requests (triggers, the relay's own
 * requests), empty ACK / RST (RFC 7252 §4.2, §4.3) and responses (§5.2). Pure; each result
 * passes {@link validateCoapMessage}, and `decodeCoap(encodeCoap(m))` deep-equals `m`.
 */
import { EncodeError } from '../shared/errors.ts';
import { codeToString, isRequest, isResponse } from './coap-codes.ts';
import { validateCoapMessage, type CoapMessage } from './coap-message.ts';
import { CoapOptionNumber, encodeUintOption, sortOptions, type CoapOption } from './coap-options.ts';
import { encodeUtf8Strict } from './utf8.ts';

/** RFC 7252 §5.10: Uri-Path, Uri-Query, Location-Path and Location-Query values are 0..255 bytes. */
export const MAX_PATH_SEGMENT_LENGTH = 255;

const EMPTY = new Uint8Array(0);

function invalid(field: string, message: string): never {
  throw new EncodeError('GW_ERR_COAP_ENCODE', field, message);
}

/** String options of `number`, one per value, each at most 255 UTF-8 bytes (RFC 7252 §5.10). */
export function stringOptions(number: number, values: readonly string[], field: string): CoapOption[] {
  return values.map((text) => {
    const value = encodeUtf8Strict(text, 'GW_ERR_COAP_ENCODE', field);
    if (value.length > MAX_PATH_SEGMENT_LENGTH) invalid(field, `"${text.slice(0, 20)}…" is ${value.length} bytes; at most ${MAX_PATH_SEGMENT_LENGTH}`);
    return { number, value };
  });
}

function payloadBytes(payload: Uint8Array | string | undefined): Uint8Array {
  if (payload === undefined) return EMPTY;
  return typeof payload === 'string' ? encodeUtf8Strict(payload, 'GW_ERR_COAP_ENCODE', 'Payload') : payload;
}

/** Input of {@link coapRequest}. */
export interface CoapRequestInit {
  /** CON (default) or NON (RFC 7252 §2.2: requests are never ACK or RST). */
  readonly type?: 'CON' | 'NON';
  /** A request code 0.01..0.31, e.g. `CoapCode.POST`. */
  readonly code: number;
  readonly messageId: number;
  /** 0..8 bytes; default empty. */
  readonly token?: Uint8Array;
  /** Uri-Path segments, not percent-encoded: `['1', '0', '8']` for `/1/0/8`. */
  readonly path?: readonly string[];
  /** Uri-Query arguments: `['ep=node1', 'lt=300', 'Q']`. */
  readonly query?: readonly string[];
  /** Content-Format of the payload (`ContentFormat.LINK_FORMAT` = 40), or null / absent for none. */
  readonly contentFormat?: number | null;
  /** Accept, or null / absent for none. */
  readonly accept?: number | null;
  /** Further options (any order; merged and sorted with the above). */
  readonly options?: readonly CoapOption[];
  /** Payload bytes, or text written as UTF-8; default empty. */
  readonly payload?: Uint8Array | string;
}

/**
 * A request message (RFC 7252 §5.4, §5.10). Throws {@link EncodeError} `GW_ERR_COAP_ENCODE`:
 * field `T` for a type other than CON/NON, `Code` for a code that is not a request, `Uri-Path` /
 * `Uri-Query` for a segment over 255 bytes or with a lone surrogate, `Payload` for such text,
 * `Option Value` for a content format out of range, and the fields of {@link validateCoapMessage}.
 */
export function coapRequest(init: CoapRequestInit): CoapMessage {
  const type = init.type ?? 'CON';
  if (type !== 'CON' && type !== 'NON') invalid('T', `a request is CON or NON, not ${String(type)}`);
  if (!isRequest(init.code)) invalid('Code', `${String(init.code)} is not a request code (0.01-0.31)`);
  const options: CoapOption[] = [
    ...stringOptions(CoapOptionNumber.URI_PATH, init.path ?? [], 'Uri-Path'),
    ...stringOptions(CoapOptionNumber.URI_QUERY, init.query ?? [], 'Uri-Query'),
    ...(init.options ?? []),
  ];
  if (init.contentFormat !== undefined && init.contentFormat !== null) {
    options.push({ number: CoapOptionNumber.CONTENT_FORMAT, value: encodeUintOption(init.contentFormat) });
  }
  if (init.accept !== undefined && init.accept !== null) {
    options.push({ number: CoapOptionNumber.ACCEPT, value: encodeUintOption(init.accept) });
  }
  return validateCoapMessage({
    version: 1,
    type,
    code: init.code,
    messageId: init.messageId,
    token: init.token ?? EMPTY,
    options: sortOptions(options),
    payload: payloadBytes(init.payload),
  });
}

function emptyMessage(type: 'ACK' | 'RST' | 'CON', messageId: number): CoapMessage {
  return validateCoapMessage({ version: 1, type, code: 0, messageId, token: EMPTY, options: [], payload: EMPTY });
}

/**
 * An empty ACK (RFC 7252 §4.2): acknowledges the Confirmable message `messageId` without a
 * response, which then follows separately (§5.2.2). Throws {@link EncodeError} field
 * `Message ID` unless 0..65535.
 */
export function coapAck(messageId: number): CoapMessage {
  return emptyMessage('ACK', messageId);
}

/**
 * A Reset (RFC 7252 §4.2, §4.3): rejects message `messageId` (for instance a malformed CON whose
 * header {@link peekHeader} could still read, or a CoAP ping). Throws as {@link coapAck}.
 */
export function coapReset(messageId: number): CoapMessage {
  return emptyMessage('RST', messageId);
}

/** An empty CON, the "CoAP ping" of RFC 7252 §4.3; the peer answers with RST. Throws as {@link coapAck}. */
export function coapPing(messageId: number): CoapMessage {
  return emptyMessage('CON', messageId);
}

/** Optional parts of {@link coapResponse}. */
export interface CoapResponseExtras {
  /** Message ID of a NON response (required then: a NON response is a new message, §4.3). */
  readonly messageId?: number;
  /** Content-Format of the payload, or null / absent for none. */
  readonly contentFormat?: number | null;
  /** Further options, e.g. Location-Path (any order; sorted). */
  readonly options?: readonly CoapOption[];
  /** Max-Age in seconds (RFC 7252 §5.10.5; with 5.03, when to retry, §5.9.3.4), or absent. */
  readonly maxAgeSec?: number;
}

/**
 * The response to `request` (RFC 7252 §5.2) with the request's token (§5.3.2):
 * - to a CON request, a piggybacked response: ACK with the request's Message ID (§5.2.1);
 * - to a NON request, a NON response with `extras.messageId` (§5.2.3).
 *
 * Throws {@link EncodeError} `GW_ERR_COAP_ENCODE`: field `Code` when `request` is not a request
 * or `code` is not a response code (2.xx, 4.xx, 5.xx); `T` when `request` is an ACK or RST;
 * `Message ID` for a NON request without `extras.messageId`; and those of {@link coapRequest}.
 */
export function coapResponse(request: CoapMessage, code: number, payload?: Uint8Array | string, extras: CoapResponseExtras = {}): CoapMessage {
  if (!isRequest(request.code)) invalid('Code', `the message answered is not a request (code ${codeToString(request.code)})`);
  if (!isResponse(code)) invalid('Code', `${String(code)} is not a response code (2.xx, 4.xx or 5.xx)`);
  let type: 'ACK' | 'NON';
  let messageId: number;
  if (request.type === 'CON') {
    type = 'ACK';
    messageId = request.messageId;
  } else if (request.type === 'NON') {
    if (extras.messageId === undefined) invalid('Message ID', 'a NON response needs its own Message ID (RFC 7252 §5.2.3)');
    type = 'NON';
    messageId = extras.messageId;
  } else {
    invalid('T', `a ${request.type} message cannot carry a request to answer`);
  }
  return validateCoapMessage({
    version: 1,
    type,
    code,
    messageId,
    token: request.token.slice(),
    options: responseOptions(extras),
    payload: payloadBytes(payload),
  });
}

function responseOptions(extras: CoapResponseExtras): CoapOption[] {
  const options: CoapOption[] = [...(extras.options ?? [])];
  if (extras.contentFormat !== undefined && extras.contentFormat !== null) {
    options.push({ number: CoapOptionNumber.CONTENT_FORMAT, value: encodeUintOption(extras.contentFormat) });
  }
  if (extras.maxAgeSec !== undefined) {
    if (!Number.isInteger(extras.maxAgeSec) || extras.maxAgeSec < 0) invalid('Option Value', `Max-Age ${extras.maxAgeSec} is not a whole number of seconds ≥ 0`);
    options.push({ number: CoapOptionNumber.MAX_AGE, value: encodeUintOption(extras.maxAgeSec) });
  }
  return sortOptions(options);
}

/**
 * A separate response to `request` (RFC 7252 §5.2.2), sent after the request was acknowledged
 * with an empty ACK: a new message of `type` (CON by default; NON allowed) with its own
 * `messageId` and the request's token (§5.3.2). Throws as {@link coapResponse}.
 */
export function coapSeparateResponse(request: CoapMessage, code: number, messageId: number, payload?: Uint8Array | string, extras: CoapResponseExtras & { readonly type?: 'CON' | 'NON' } = {}): CoapMessage {
  if (!isRequest(request.code)) invalid('Code', `the message answered is not a request (code ${codeToString(request.code)})`);
  if (!isResponse(code)) invalid('Code', `${String(code)} is not a response code (2.xx, 4.xx or 5.xx)`);
  return validateCoapMessage({
    version: 1,
    type: extras.type ?? 'CON',
    code,
    messageId,
    token: request.token.slice(),
    options: responseOptions(extras),
    payload: payloadBytes(payload),
  });
}
