/**
 * Pure pieces of the inbox: what identifies a received SMS (for de-duplication), which
 * concatenated set a part belongs to, and how parts become one message
 * (3GPP TS 23.040 §9.2.3.24.1: parts are grouped by originator, reference and total).
 */
import * as crypto from 'node:crypto';
import { bytesToHex } from '../shared/hex.ts';
import { decodeGsm7Septets, formatAddress, timestampToIso, type SmsDeliver } from '../sms/index.ts';

/** A complete message from the network, as the inbox hands it on. */
export interface InboundMessage {
  /** Stable id: the de-duplication key of its first part. */
  readonly id: string;
  /** Originator as people read it (`+49…` when international). */
  readonly originator: string;
  /** Service-centre time stamp of the first part, ISO 8601 with offset. */
  readonly timestampIso: string;
  readonly encoding: SmsDeliver['dcs']['encoding'];
  /** The payload: octets (8-bit, UCS2) or septets (GSM 7-bit) of all parts, in order. */
  readonly dataHex: string;
  /** Text for GSM 7-bit and UCS2, else null. */
  readonly text: string | null;
  readonly ports: { readonly destination: number; readonly source: number } | null;
  readonly parts: number;
  /** Modems the parts came through. */
  readonly modems: readonly string[];
  readonly firstReceivedAtMs: number;
}

/** One stored part of a concatenated set. */
export interface StoredPart {
  readonly sequence: number;
  readonly pduHex: string;
  readonly modem: string;
  readonly receivedAtMs: number;
}

/**
 * The de-duplication key of a received SMS-DELIVER: originator, service-centre time stamp and a
 * hash of the user data with its header. A PDU read twice (a sweep after a crash, a network
 * re-delivery after a missing `AT+CNMA`) gets the same key.
 */
export function dedupeKey(pdu: SmsDeliver): string {
  let input = `${formatAddress(pdu.originator)}\n${timestampToIso(pdu.timestamp)}\n${pdu.dcs.raw}\n`;
  for (const element of pdu.userData.header?.elements ?? []) input += `${element.iei}:${bytesToHex(element.data)};`;
  input += bytesToHex(pdu.userData.data);
  return sha256Hex(input).slice(0, 32);
}

/**
 * SHA-256 of `input` (UTF-8), hex: the same digest as one `createHash` fed the pieces in turn.
 * One-shot `crypto.hash` (Node ≥ 20.12) where present, about three times cheaper per SMS.
 */
function sha256Hex(input: string): string {
  if (typeof crypto.hash === 'function') return crypto.hash('sha256', input, 'hex');
  return crypto.createHash('sha256').update(input).digest('hex');
}

/** The set a concatenated part belongs to, or null for a single SMS. */
export function concatenationSetKey(pdu: SmsDeliver): string | null {
  const concat = pdu.userData.header?.concatenation;
  if (!concat) return null;
  return `${formatAddress(pdu.originator)}:${concat.referenceBits}:${concat.reference}:${concat.total}`;
}

/** Builds the message from decoded parts (any order; `parts[i].sequence` gives the order). */
export function assemble(id: string, parts: readonly { pdu: SmsDeliver; part: StoredPart }[]): InboundMessage {
  const ordered = [...parts].sort((a, b) => a.part.sequence - b.part.sequence);
  const first = ordered[0];
  if (first === undefined) throw new RangeError('assemble needs at least one part');
  const data = Buffer.concat(ordered.map((p) => Buffer.from(p.pdu.userData.data)));
  const encoding = first.pdu.dcs.encoding;
  let text: string | null = null;
  if (!first.pdu.dcs.compressed) {
    if (encoding === 'gsm7') text = decodeGsm7Septets(data);
    else if (encoding === 'ucs2') text = ordered.map((p) => p.pdu.userData.text ?? '').join('');
  }
  const ports = first.pdu.userData.header?.ports ?? null;
  return {
    id,
    originator: formatAddress(first.pdu.originator),
    timestampIso: timestampToIso(first.pdu.timestamp),
    encoding,
    dataHex: data.toString('hex'),
    text,
    ports: ports === null ? null : { destination: ports.destination, source: ports.source },
    parts: ordered.length,
    modems: [...new Set(ordered.map((p) => p.part.modem))],
    firstReceivedAtMs: Math.min(...ordered.map((p) => p.part.receivedAtMs)),
  };
}
