/**
 * SMS counted per LwM2M operation kind, in both directions, for the metrics: which operations
 * the SMS bill goes to. The kind comes from the CoAP message alone (method, first Uri-Path
 * segments, Observe), read straight from the bytes without decoding: no allocation per message.
 * Pure but for the plain counters of {@link SmsOperationCounters}.
 *
 * Kinds (LwM2M 1.1 Core §6.2 Client Registration Interface, §6.3 Device Management and Service
 * Enablement, §6.4 Information Reporting; Transport §6.4 Table 6.4.4-1 for the methods):
 * - `register` POST /rd, `update` POST /rd/{id}, `deregister` DELETE /rd/{id};
 * - `trigger` POST /1/{instance}/8 (Registration Update Trigger, Core Appendix E.2) or
 *   /1/{instance}/9 (Bootstrap-Request Trigger);
 * - `observe` GET with the Observe option, and every response carrying Observe (a Notify);
 * - `read` GET; `write` PUT, or POST to an object or instance (partial update, Create);
 *   `execute` POST to a resource; `delete` DELETE elsewhere;
 * - `response` any other response (ACK/NON with a response code), `other` the rest (empty
 *   messages, unknown methods, undecodable bytes).
 */

/** Every kind, in the order metrics list them. */
export const SMS_OPERATION_KINDS = ['register', 'update', 'deregister', 'read', 'write', 'execute', 'delete', 'observe', 'trigger', 'response', 'other'] as const;

/** An LwM2M operation kind an SMS is counted under. */
export type SmsOperationKind = (typeof SMS_OPERATION_KINDS)[number];

/** RFC 7252 §12.1.1 method codes. */
const GET = 1;
const POST = 2;
const PUT = 3;
const DELETE = 4;
/** RFC 7641 §2 Observe; RFC 7252 §5.10 Uri-Path. */
const OPTION_OBSERVE = 6;
const OPTION_URI_PATH = 11;
const PAYLOAD_MARKER = 0xff;
/** ASCII of `r`, `d`, `1`, `8`, `9`. */
const CHAR_R = 0x72;
const CHAR_D = 0x64;
const CHAR_1 = 0x31;
const CHAR_8 = 0x38;
const CHAR_9 = 0x39;

/**
 * The operation kind of the CoAP message in `bytes` (RFC 7252 §3 wire format). Never throws:
 * malformed bytes are `other`. Linear in the options' headers, no allocation.
 */
export function classifySmsOperation(bytes: Uint8Array): SmsOperationKind {
  const length = bytes.length;
  if (length < 4 || (bytes[0]! >> 6) !== 1) return 'other';
  const code = bytes[1]!;
  let position = 4 + (bytes[0]! & 0x0f);
  let number = 0;
  let segments = 0;
  /** 1: first segment is `rd`; 2: first is `1`. */
  let root = 0;
  let thirdIsTrigger = false;
  let observe = false;
  while (position < length) {
    const head = bytes[position]!;
    if (head === PAYLOAD_MARKER) break;
    let delta = head >> 4;
    let optionLength = head & 0x0f;
    if (delta === 15 || optionLength === 15) return 'other';
    position += 1;
    if (delta === 13) delta = 13 + (bytes[position++] ?? 0);
    else if (delta === 14) delta = 269 + (((bytes[position++] ?? 0) << 8) | (bytes[position++] ?? 0));
    if (optionLength === 13) optionLength = 13 + (bytes[position++] ?? 0);
    else if (optionLength === 14) optionLength = 269 + (((bytes[position++] ?? 0) << 8) | (bytes[position++] ?? 0));
    number += delta;
    if (position + optionLength > length) return 'other';
    if (number === OPTION_OBSERVE) observe = true;
    if (number === OPTION_URI_PATH) {
      if (segments === 0) {
        if (optionLength === 2 && bytes[position] === CHAR_R && bytes[position + 1] === CHAR_D) root = 1;
        else if (optionLength === 1 && bytes[position] === CHAR_1) root = 2;
      } else if (segments === 2) {
        thirdIsTrigger = optionLength === 1 && (bytes[position] === CHAR_8 || bytes[position] === CHAR_9);
      }
      segments += 1;
    }
    position += optionLength;
  }
  if (code >= 64) return observe ? 'observe' : 'response';
  switch (code) {
    case GET:
      return observe ? 'observe' : 'read';
    case POST:
      if (root === 1) return segments === 1 ? 'register' : 'update';
      if (root === 2 && segments === 3 && thirdIsTrigger) return 'trigger';
      return segments >= 3 ? 'execute' : 'write';
    case PUT:
      return 'write';
    case DELETE:
      return root === 1 ? 'deregister' : 'delete';
    default:
      return 'other';
  }
}

/** Plain counters of SMS messages per kind and direction (read by the metrics at scrape time). */
export class SmsOperationCounters {
  /** SMS messages the gateway sent to devices, by kind (a concatenated message counts once). */
  readonly sent: Record<SmsOperationKind, number> = zeroes();
  /** SMS messages (reassembled) the gateway received from devices, by kind. */
  readonly received: Record<SmsOperationKind, number> = zeroes();

  /** Counts one message sent, classified from its CoAP bytes (or as `kind` when given). */
  countSent(bytes: Uint8Array, kind: SmsOperationKind = classifySmsOperation(bytes)): void {
    this.sent[kind] += 1;
  }

  /** Counts one message received, classified from its CoAP bytes. */
  countReceived(bytes: Uint8Array): void {
    this.received[classifySmsOperation(bytes)] += 1;
  }
}

function zeroes(): Record<SmsOperationKind, number> {
  return Object.fromEntries(SMS_OPERATION_KINDS.map((kind) => [kind, 0])) as Record<SmsOperationKind, number>;
}
