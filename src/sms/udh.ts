/**
 * The user data header (3GPP TS 23.040 §9.2.3.24): information elements, concatenation
 * (§9.2.3.24.1, §9.2.3.24.8) and application port addressing (§9.2.3.24.3, §9.2.3.24.4).
 */
import { EncodeError } from '../shared/errors.ts';
import type { Concatenation, InformationElement, PortAddressing, UserDataHeader } from './types.ts';

/** TS 23.040 §9.2.3.24: information element identifiers this gateway interprets. */
export const IEI_CONCAT_8BIT = 0x00;
export const IEI_PORTS_8BIT = 0x04;
export const IEI_PORTS_16BIT = 0x05;
export const IEI_CONCAT_16BIT = 0x08;

function concatenationOf(element: InformationElement): Concatenation | null {
  const d = element.data;
  let reference: number;
  let referenceBits: 8 | 16;
  let rest: Uint8Array;
  if (element.iei === IEI_CONCAT_8BIT && d.length === 3) {
    reference = d[0] ?? 0;
    referenceBits = 8;
    rest = d.subarray(1);
  } else if (element.iei === IEI_CONCAT_16BIT && d.length === 4) {
    reference = ((d[0] ?? 0) << 8) | (d[1] ?? 0);
    referenceBits = 16;
    rest = d.subarray(2);
  } else {
    return null;
  }
  const total = rest[0] ?? 0;
  const sequence = rest[1] ?? 0;
  // §9.2.3.24.1: a total or sequence of 0, or a sequence beyond the total, means
  // "ignore the entire information element".
  if (total === 0 || sequence === 0 || sequence > total) return null;
  return { reference, referenceBits, total, sequence };
}

function portsOf(element: InformationElement): PortAddressing | null {
  const d = element.data;
  if (element.iei === IEI_PORTS_8BIT && d.length === 2) {
    return { destination: d[0] ?? 0, source: d[1] ?? 0, portBits: 8 };
  }
  if (element.iei === IEI_PORTS_16BIT && d.length === 4) {
    return {
      destination: ((d[0] ?? 0) << 8) | (d[1] ?? 0),
      source: ((d[2] ?? 0) << 8) | (d[3] ?? 0),
      portBits: 16,
    };
  }
  return null;
}

/**
 * Splits header octets (the UDHL octet excluded) into information elements, as TS 23.040
 * §9.2.3.24 tells a receiving entity to: every element is kept, known or not (a reserved or
 * unsupported IEI is skipped over by its length, never an error); concatenation and ports are
 * interpreted from the last well-formed one (an element with a wrong length or reserved values
 * is ignored). When the final element has too few octets for its length (it runs past UDHL, or
 * its length octet is missing) the whole header is ignored: no elements, `ignoredAsMalformed`
 * set, and the message is still delivered (the body starts after UDHL as always). Never throws.
 * `offset` (where the header starts in the PDU) is kept for the callers' signature.
 */
export function decodeUserDataHeader(octets: Uint8Array, offset: number): UserDataHeader {
  void offset;
  const elements: InformationElement[] = [];
  let i = 0;
  while (i < octets.length) {
    const iei = octets[i] ?? 0;
    const length = octets[i + 1];
    if (length === undefined || i + 2 + length > octets.length) {
      // §9.2.3.24: too few or too many octets in the final element: the whole header is ignored.
      return { elements: [], concatenation: null, ports: null, ignoredAsMalformed: true };
    }
    elements.push({ iei, data: octets.slice(i + 2, i + 2 + length) });
    i += 2 + length;
  }
  let concatenation: Concatenation | null = null;
  let ports: PortAddressing | null = null;
  // §9.2.3.24: when an element is repeated, the last occurrence is the one that counts.
  for (const element of elements) {
    concatenation = concatenationOf(element) ?? concatenation;
    ports = portsOf(element) ?? ports;
  }
  return { elements, concatenation, ports };
}

/** Builds the information element for a concatenation. Raises {@link EncodeError} on bad ranges. */
export function concatenationElement(concat: Concatenation): InformationElement {
  const { reference, referenceBits, total, sequence } = concat;
  const maxReference = referenceBits === 8 ? 0xff : 0xffff;
  if (!Number.isInteger(reference) || reference < 0 || reference > maxReference) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', 'concatenation.reference', `must be 0..${maxReference}`);
  }
  if (!Number.isInteger(total) || total < 1 || total > 255 || !Number.isInteger(sequence) || sequence < 1 || sequence > total) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', 'concatenation', `sequence ${sequence} of ${total} is out of range`);
  }
  return referenceBits === 8
    ? { iei: IEI_CONCAT_8BIT, data: Uint8Array.of(reference, total, sequence) }
    : { iei: IEI_CONCAT_16BIT, data: Uint8Array.of(reference >> 8, reference & 0xff, total, sequence) };
}

/** Builds the port addressing element (8- or 16-bit). Raises {@link EncodeError} on bad ports. */
export function portsElement(ports: PortAddressing): InformationElement {
  const max = ports.portBits === 8 ? 0xff : 0xffff;
  for (const [name, port] of [['destination', ports.destination], ['source', ports.source]] as const) {
    if (!Number.isInteger(port) || port < 0 || port > max) {
      throw new EncodeError('GW_ERR_SMS_ENCODE', `ports.${name}`, `must be 0..${max}`);
    }
  }
  return ports.portBits === 8
    ? { iei: IEI_PORTS_8BIT, data: Uint8Array.of(ports.destination, ports.source) }
    : {
        iei: IEI_PORTS_16BIT,
        data: Uint8Array.of(ports.destination >> 8, ports.destination & 0xff, ports.source >> 8, ports.source & 0xff),
      };
}

/** Header octets including the leading UDHL octet. Raises {@link EncodeError} past 139 octets. */
export function encodeUserDataHeader(elements: readonly InformationElement[]): Uint8Array {
  const body: number[] = [];
  for (const element of elements) {
    if (element.data.length > 255) throw new EncodeError('GW_ERR_SMS_ENCODE', 'UDH', 'element longer than 255 octets');
    body.push(element.iei & 0xff, element.data.length, ...element.data);
  }
  if (body.length > 139) throw new EncodeError('GW_ERR_SMS_ENCODE', 'UDH', 'header longer than the user data');
  return Uint8Array.from([body.length, ...body]);
}

/** A header value from elements, with concatenation and ports interpreted. */
export function userDataHeaderOf(elements: readonly InformationElement[]): UserDataHeader {
  return decodeUserDataHeader(encodeUserDataHeader(elements).subarray(1), 0);
}
