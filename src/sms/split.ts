/**
 * Splitting a payload into the fewest SMS-SUBMIT PDUs (3GPP TS 23.040 §9.2.3.24.1
 * concatenation, §9.2.3.24.4 port addressing). LwM2M over SMS sends CoAP as 8-bit data and
 * "SMS concatenation MAY be used for messages larger than 140 characters" (LwM2M Transport,
 * SMS binding).
 */
import { EncodeError } from '../shared/errors.ts';
import { parseAddressText } from './address.ts';
import { DCS_8BIT_DATA, decodeDcs, encodeDcs } from './dcs.ts';
import { GSM7_ESCAPE, decodeGsm7Septets, encodeGsm7Septets, isGsm7Encodable } from './gsm7.ts';
import { encodePdu, type EncodedPdu } from './pdu-encode.ts';
import { concatenationElement, portsElement, userDataHeaderOf } from './udh.ts';
import { MAX_USER_DATA_OCTETS, MAX_USER_DATA_SEPTETS, decodeUcs2, encodeUcs2, headerSeptets } from './user-data.ts';
import type { InformationElement, SmsAddress, SmsEncoding, SmsSubmit, ValidityPeriod } from './types.ts';

/** TS 23.040 §9.2.3.24.1: at most 255 parts in one concatenated message. */
export const MAX_CONCATENATED_PARTS = 255;

/** What to send and how. */
export interface SubmitRequest {
  /** Destination as text (`+4917…`, `017…`) or as an address value. */
  readonly destination: string | SmsAddress;
  /** Binary payload (sent as 8-bit data, DCS 0x04) or text. */
  readonly payload: { readonly data: Uint8Array } | { readonly text: string };
  /** Text alphabet; `auto` (default) picks GSM 7-bit when every character has a code, else UCS2. */
  readonly textEncoding?: 'auto' | 'gsm7' | 'ucs2';
  /** 16-bit application ports (IEI 0x05) to put in every part; none by default. */
  readonly ports?: { readonly destination: number; readonly source: number } | null;
  /** Concatenation reference, 0..255 (or 0..65535 with `reference16`). Default 0; callers keep a counter per destination. */
  readonly concatReference?: number;
  /** Use the 16-bit reference element (IEI 0x08) instead of the 8-bit one (IEI 0x00). */
  readonly reference16?: boolean;
  /** TP-SRR: ask the SC for a status report on each part. */
  readonly statusReportRequest?: boolean;
  /** SMSC address; null or absent writes `00` (the modem's configured SMSC is used). */
  readonly smsc?: string | SmsAddress | null;
  readonly validityPeriod?: ValidityPeriod | null;
  readonly messageClass?: 0 | 1 | 2 | 3 | null;
  readonly rejectDuplicates?: boolean;
}

/** One part: its decoded value and its encoding. */
export interface SubmitPart extends EncodedPdu {
  readonly pdu: SmsSubmit;
}

interface Body {
  readonly encoding: SmsEncoding;
  /** Septets (gsm7) or octets. */
  readonly units: Uint8Array;
  /** Units of one code unit of the alphabet: 2 octets for UCS2, else 1. */
  readonly step: 1 | 2;
  /** True when a part may not end after unit `index` (it would cut a character in two). */
  readonly mayNotEndAfter: (units: Uint8Array, index: number) => boolean;
}

function bodyOf(request: SubmitRequest): Body {
  if ('data' in request.payload) {
    return { encoding: '8bit', units: request.payload.data, step: 1, mayNotEndAfter: () => false };
  }
  const text = request.payload.text;
  const wanted = request.textEncoding ?? 'auto';
  if (wanted === 'gsm7' || (wanted === 'auto' && isGsm7Encodable(text))) {
    // TS 23.038 §6.2.1.1: an escape and its extension code must stay in one part.
    return { encoding: 'gsm7', units: encodeGsm7Septets(text), step: 1, mayNotEndAfter: (u, i) => u[i] === GSM7_ESCAPE && !escapedBefore(u, i) };
  }
  // UCS2: a UTF-16 surrogate pair must stay in one part.
  return {
    encoding: 'ucs2',
    units: encodeUcs2(text),
    step: 2,
    mayNotEndAfter: (u, i) => i % 2 === 1 && ((u[i - 1] ?? 0) & 0xfc) === 0xd8,
  };
}

/** True when the septet at `index` is itself the code after an escape. */
function escapedBefore(units: Uint8Array, index: number): boolean {
  let escapes = 0;
  for (let i = index - 1; i >= 0 && units[i] === GSM7_ESCAPE; i--) escapes++;
  return escapes % 2 === 1;
}

function capacityFor(encoding: SmsEncoding, headerOctets: number): number {
  if (encoding === 'gsm7') return MAX_USER_DATA_SEPTETS - (headerOctets > 0 ? headerSeptets(headerOctets) : 0);
  const octets = MAX_USER_DATA_OCTETS - headerOctets;
  return encoding === 'ucs2' ? octets - (octets % 2) : octets;
}

function headerOctetsOf(elements: readonly InformationElement[]): number {
  return elements.length === 0 ? 0 : 1 + elements.reduce((sum, e) => sum + 2 + e.data.length, 0);
}

function chunk(body: Body, capacity: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  while (start < body.units.length) {
    let end = Math.min(start + capacity, body.units.length);
    if (end < body.units.length && body.mayNotEndAfter(body.units, end - 1)) end -= body.step;
    chunks.push(body.units.subarray(start, end));
    start = end;
  }
  return chunks;
}

function addressOf(value: string | SmsAddress, field: string): SmsAddress {
  return typeof value === 'string' ? parseAddressText(value, field) : value;
}

/**
 * Produces the fewest SMS-SUBMIT PDUs for the request: one PDU when the payload fits in 140
 * octets of user data (ports header included), otherwise concatenated parts (134 octets of
 * 8-bit data each with an 8-bit reference and no ports). Raises {@link EncodeError}:
 * GW_ERR_SMS_TOO_LONG beyond 255 parts, GW_ERR_SMS_ENCODE for a bad address, port, reference
 * or text that the chosen alphabet cannot hold.
 */
export function splitIntoSubmitPdus(request: SubmitRequest): SubmitPart[] {
  const destination = addressOf(request.destination, 'destination');
  const smsc = request.smsc == null ? null : addressOf(request.smsc, 'smsc');
  const body = bodyOf(request);
  const portElements = request.ports ? [portsElement({ ...request.ports, portBits: 16 })] : [];
  const referenceBits = request.reference16 ? 16 : 8;
  const reference = request.concatReference ?? 0;
  const dcsRaw = body.encoding === '8bit' && request.messageClass == null ? DCS_8BIT_DATA : encodeDcs(body.encoding, request.messageClass ?? null);

  // Built now so that a bad reference fails whatever the payload's length; its size does not
  // depend on the part numbers.
  const firstConcatElement = concatenationElement({ reference, referenceBits, total: 1, sequence: 1 });
  let chunks: Uint8Array[];
  let concatenated = false;
  if (body.units.length <= capacityFor(body.encoding, headerOctetsOf(portElements))) {
    chunks = [body.units];
  } else {
    chunks = chunk(body, capacityFor(body.encoding, headerOctetsOf([firstConcatElement, ...portElements])));
    concatenated = true;
  }
  if (chunks.length > MAX_CONCATENATED_PARTS) {
    throw new EncodeError('GW_ERR_SMS_TOO_LONG', 'payload', `needs ${chunks.length} parts, at most ${MAX_CONCATENATED_PARTS} are possible`);
  }
  return chunks.map((units, index) => {
    const elements = concatenated
      ? [concatenationElement({ reference, referenceBits, total: chunks.length, sequence: index + 1 }), ...portElements]
      : portElements;
    const pdu: SmsSubmit = {
      type: 'submit',
      smsc,
      rejectDuplicates: request.rejectDuplicates ?? false,
      replyPath: false,
      statusReportRequest: request.statusReportRequest ?? false,
      messageReference: 0, // TS 27.005 §3.5.1: the modem assigns TP-MR and reports it in +CMGS.
      destination,
      protocolId: 0,
      dcs: decodeDcs(dcsRaw),
      validityPeriod: request.validityPeriod ?? null,
      userData: {
        header: elements.length > 0 ? userDataHeaderOf(elements) : null,
        text: body.encoding === 'gsm7' ? decodeGsm7Septets(units) : body.encoding === 'ucs2' ? decodeUcs2(units) : null,
        data: Uint8Array.from(units),
      },
    };
    return { ...encodePdu(pdu), pdu };
  });
}
