/**
 * The simulated SMS network's wire protocol: TCP, one JSON object per line (UTF-8, LF).
 * Documented for people in docs/sim-network.md. Pure: parsing and formatting only.
 */
import { GatewayError } from '../../shared/errors.ts';

/** What a subscriber (simulated modem or device) sends to the network. */
export type ClientMessage =
  /** First message on a connection: this connection now receives SMS for `msisdn`. */
  | { readonly op: 'attach'; readonly msisdn: string }
  /** An SMS-SUBMIT TPDU (hex, without the SMSC field); `id` is echoed in the result. */
  | { readonly op: 'submit'; readonly id: number; readonly tpdu: string }
  /** Outcome of a delivery; `cause` is a TS 24.011 RP cause (22 = memory capacity exceeded). */
  | { readonly op: 'ack'; readonly deliveryId: number; readonly ok: boolean; readonly cause?: number };

/** What the network sends to a subscriber. */
export type NetworkMessage =
  | { readonly op: 'attached'; readonly msisdn: string; readonly smsc: string }
  | { readonly op: 'submit-result'; readonly id: number; readonly ok: boolean; readonly cause?: number }
  /** An SMS-DELIVER or SMS-STATUS-REPORT, full PDU with the SMSC field as a modem prints it. */
  | { readonly op: 'deliver'; readonly deliveryId: number; readonly kind: 'deliver' | 'status-report'; readonly pdu: string }
  | { readonly op: 'error'; readonly message: string };

/** Longest line either side accepts (a PDU is at most ~360 hex digits). */
export const MAX_PROTOCOL_LINE_BYTES = 8192;

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;
const MSISDN = /^\d{1,20}$/;

function fail(message: string): never {
  throw new GatewayError('GW_ERR_SIM_PROTOCOL', message);
}

function parseObject(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    fail(`not JSON: ${line.slice(0, 80)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not a JSON object');
  return value as Record<string, unknown>;
}

function integer(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${name} must be a non-negative integer`);
  return value;
}

/** Parses a subscriber's line. Raises GatewayError GW_ERR_SIM_PROTOCOL on anything else. */
export function parseClientMessage(line: string): ClientMessage {
  const o = parseObject(line);
  switch (o.op) {
    case 'attach':
      if (typeof o.msisdn !== 'string' || !MSISDN.test(o.msisdn)) fail('attach.msisdn must be 1..20 digits');
      return { op: 'attach', msisdn: o.msisdn };
    case 'submit':
      if (typeof o.tpdu !== 'string' || !HEX.test(o.tpdu)) fail('submit.tpdu must be hex');
      return { op: 'submit', id: integer(o.id, 'submit.id'), tpdu: o.tpdu };
    case 'ack':
      if (typeof o.ok !== 'boolean') fail('ack.ok must be a boolean');
      return o.cause === undefined
        ? { op: 'ack', deliveryId: integer(o.deliveryId, 'ack.deliveryId'), ok: o.ok }
        : { op: 'ack', deliveryId: integer(o.deliveryId, 'ack.deliveryId'), ok: o.ok, cause: integer(o.cause, 'ack.cause') };
    default:
      return fail(`unknown op ${JSON.stringify(o.op)}`);
  }
}

/** Parses a network line. Raises GatewayError GW_ERR_SIM_PROTOCOL on anything else. */
export function parseNetworkMessage(line: string): NetworkMessage {
  const o = parseObject(line);
  switch (o.op) {
    case 'attached':
      if (typeof o.msisdn !== 'string' || typeof o.smsc !== 'string') fail('attached needs msisdn and smsc');
      return { op: 'attached', msisdn: o.msisdn, smsc: o.smsc };
    case 'submit-result': {
      if (typeof o.ok !== 'boolean') fail('submit-result.ok must be a boolean');
      const base = { op: 'submit-result' as const, id: integer(o.id, 'submit-result.id'), ok: o.ok };
      return o.cause === undefined ? base : { ...base, cause: integer(o.cause, 'submit-result.cause') };
    }
    case 'deliver':
      if (o.kind !== 'deliver' && o.kind !== 'status-report') fail('deliver.kind must be deliver or status-report');
      if (typeof o.pdu !== 'string' || !HEX.test(o.pdu)) fail('deliver.pdu must be hex');
      return { op: 'deliver', deliveryId: integer(o.deliveryId, 'deliver.deliveryId'), kind: o.kind, pdu: o.pdu };
    case 'error':
      return { op: 'error', message: String(o.message) };
    default:
      return fail(`unknown op ${JSON.stringify(o.op)}`);
  }
}

/** One protocol line (JSON and LF). */
export function formatMessage(message: ClientMessage | NetworkMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** MSISDN as the network keys it: digits only, no `+` (TS 23.003). */
export function normaliseMsisdn(text: string): string {
  return text.replace(/^\+/, '').replace(/[\s-]/g, '');
}
