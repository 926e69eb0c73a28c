import { describe, it, expect } from 'vitest';
import { splitIntoSubmitPdus, type SubmitPart, type SubmitRequest } from '../../../src/sms/split.ts';
import { decodePdu } from '../../../src/sms/pdu-decode.ts';
import { EncodeError } from '../../../src/shared/errors.ts';
import type { SmsSubmit } from '../../../src/sms/types.ts';

/*
 * Capacities, from 3GPP TS 23.040 §9.2.3.16 / §9.2.3.24 (TP-UD is at most 140 octets, and when
 * TP-UDHI is set the header — UDHL octet + every IE as IEI, IEDL, data — is counted inside it):
 *
 *   no header                         : 140 octets of 8-bit data
 *   concat, 8-bit ref  (§9.2.3.24.1)   : UDHL 1 + IEI 00, len 03, ref, total, seq = 1 + 5 = 6  → 134
 *   concat, 16-bit ref (§9.2.3.24.8)   : UDHL 1 + IEI 08, len 04, ref(2), total, seq = 1 + 6 = 7 → 133
 *   16-bit ports       (§9.2.3.24.4)   : UDHL 1 + IEI 05, len 04, dst(2), src(2) = 1 + 6 = 7      → 133
 *   ports + concat 8-bit ref            : UDHL 1 + 5 + 6 = 12                                       → 128
 *   ports + concat 16-bit ref           : UDHL 1 + 6 + 6 = 13                                       → 127
 *
 * GSM 7-bit: 140 octets = 160 septets; a 6-octet header takes ceil(6*8/7) = 7 septets
 * (48 bits + 1 fill bit), leaving 153. UCS2: 140/2 = 70 code units; 134/2 = 67 with concat.
 */
const SINGLE = 140;
const CONCAT8 = 134;
const CONCAT16 = 133;
const PORTS_SINGLE = 133;
const PORTS_CONCAT8 = 128;
const PORTS_CONCAT16 = 127;

const DEST = '+491701234567';

/** Deterministic payload of `length` bytes, different at every position within a part. */
function payload(length: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed * 13 + (i >> 8)) & 0xff);
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

function decodeSubmit(part: SubmitPart): SmsSubmit {
  const decoded = decodePdu(part.hex);
  if (decoded.type !== 'submit') throw new Error(`decoded a ${decoded.type}, expected a submit`);
  return decoded;
}

interface Expectations {
  readonly reference?: number;
  readonly referenceBits?: 8 | 16;
  readonly ports?: { destination: number; source: number } | null;
}

/**
 * Decodes every part's hex, checks the header (concatenation and ports) and the AT+CMGS length,
 * and reassembles the data by sequence number. Problems are collected (one `expect` per call
 * keeps the 0..2000 sweeps fast) and returned with the data.
 */
function reassembleChecked(parts: readonly SubmitPart[], exp: Expectations = {}): { data: Uint8Array; problems: string[] } {
  const problems: string[] = [];
  const total = parts.length;
  const bySeq = new Map<number, Uint8Array>();
  const references = new Set<number>();
  const wantPorts = exp.ports ? JSON.stringify({ ...exp.ports, portBits: 16 }) : 'null';
  for (const [index, part] of parts.entries()) {
    const where = `part ${index + 1}/${total}`;
    const smscFieldLength = (part.bytes[0] ?? 0) + 1;
    if (part.tpduLength !== part.bytes.length - smscFieldLength) {
      problems.push(`${where}: tpduLength ${part.tpduLength}, expected ${part.bytes.length - smscFieldLength}`);
    }
    if (part.hex !== hexOf(part.bytes)) problems.push(`${where}: hex does not match bytes`);
    const pdu = decodeSubmit(part);
    const header = pdu.userData.header;
    const gotPorts = JSON.stringify(header?.ports ?? null);
    if (gotPorts !== wantPorts) problems.push(`${where}: ports ${gotPorts}, expected ${wantPorts}`);
    if (total === 1) {
      if ((header?.concatenation ?? null) !== null) problems.push(`${where}: single part has a concatenation element`);
      bySeq.set(1, pdu.userData.data);
      continue;
    }
    const concat = header?.concatenation;
    if (!concat) {
      problems.push(`${where}: no concatenation element`);
      continue;
    }
    if (concat.total !== total) problems.push(`${where}: total ${concat.total}, expected ${total}`);
    if (concat.referenceBits !== (exp.referenceBits ?? 8)) problems.push(`${where}: ${concat.referenceBits}-bit reference`);
    if (exp.reference !== undefined && concat.reference !== exp.reference) {
      problems.push(`${where}: reference ${concat.reference}, expected ${exp.reference}`);
    }
    references.add(concat.reference);
    if (bySeq.has(concat.sequence)) problems.push(`${where}: duplicate sequence ${concat.sequence}`);
    bySeq.set(concat.sequence, pdu.userData.data);
  }
  if (references.size > 1) problems.push(`parts use ${references.size} different references`);
  const chunks: number[] = [];
  for (let seq = 1; seq <= total; seq++) {
    const data = bySeq.get(seq);
    if (data === undefined) problems.push(`sequence ${seq} of ${total} is missing`);
    chunks.push(...(data ?? []));
  }
  return { data: Uint8Array.from(chunks), problems };
}

/** {@link reassembleChecked} with its problems asserted to be none. */
function reassemble(parts: readonly SubmitPart[], exp: Expectations = {}): Uint8Array {
  const { data, problems } = reassembleChecked(parts, exp);
  expect(problems).toEqual([]);
  return data;
}

/** Hex of the reassembled data plus any problems, for sweeps that compare with one `expect`. */
function sweepResult(parts: readonly SubmitPart[], exp: Expectations, input: Uint8Array, label: string): string[] {
  const { data, problems } = reassembleChecked(parts, exp);
  if (hexOf(data) !== hexOf(input)) problems.push('reassembled data differs from the input');
  return problems.map((p) => `${label}: ${p}`);
}

function binary(length: number, extra: Partial<SubmitRequest> = {}): SubmitRequest {
  return { destination: DEST, payload: { data: payload(length) }, ...extra };
}

describe('splitIntoSubmitPdus: binary payloads', () => {
  it.each([0, 1, 140])('%i bytes fit in one PDU without a header, DCS 0x04, TP-UDHI 0', (length) => {
    const parts = splitIntoSubmitPdus(binary(length, { concatReference: 9 }));
    expect(parts).toHaveLength(1);
    const part = parts[0]!;
    const pdu = decodeSubmit(part);
    expect(pdu.userData.header).toBeNull();
    expect(pdu.dcs.raw).toBe(0x04);
    expect(pdu.dcs.encoding).toBe('8bit');
    // First octet of the TPDU follows the 1-octet SMSC field "00".
    expect(part.bytes[0]).toBe(0x00);
    expect((part.bytes[1] ?? 0) & 0x40).toBe(0);
    expect((part.bytes[1] ?? 0) & 0x03).toBe(0x01); // TP-MTI SMS-SUBMIT
    expect(pdu.userData.data).toEqual(payload(length));
    expect(reassemble(parts)).toEqual(payload(length));
  });

  it('141 bytes give 134 + 7 octets with UDH 05 00 03 <ref> 02 01/02', () => {
    const parts = splitIntoSubmitPdus(binary(141, { concatReference: 0x5a }));
    expect(parts).toHaveLength(2);
    const [p1, p2] = parts.map(decodeSubmit);
    expect(p1!.userData.data).toHaveLength(134);
    expect(p2!.userData.data).toHaveLength(7);
    for (const [index, part] of parts.entries()) {
      expect((part.bytes[1] ?? 0) & 0x40).toBe(0x40); // TP-UDHI
      // UD starts right after TP-UDL: the 13 octets 00, first, MR, 0C, 91, 6 digits, PID, DCS, UDL.
      const udl = part.bytes[13];
      expect(udl).toBe(index === 0 ? 140 : 13);
      expect(hexOf(part.bytes.subarray(14, 20))).toBe(`0500035A020${index + 1}`);
    }
    expect(reassemble(parts, { reference: 0x5a })).toEqual(payload(141));
  });

  it('268 bytes give 2 parts, 269 give 3', () => {
    expect(splitIntoSubmitPdus(binary(268))).toHaveLength(2);
    const three = splitIntoSubmitPdus(binary(269, { concatReference: 200 }));
    expect(three).toHaveLength(3);
    expect(three.map((p) => decodeSubmit(p).userData.data.length)).toEqual([134, 134, 1]);
    expect(reassemble(three, { reference: 200 })).toEqual(payload(269));
  });

  it('uses the fewest parts for every length 0..2000 (8-bit reference) and round-trips', () => {
    const problems: string[] = [];
    for (let length = 0; length <= 2000; length++) {
      const expected = length <= SINGLE ? 1 : Math.ceil(length / CONCAT8);
      const reference = length & 0xff;
      const input = payload(length, length);
      const parts = splitIntoSubmitPdus({ destination: DEST, payload: { data: input }, concatReference: reference });
      if (parts.length !== expected) problems.push(`length ${length}: ${parts.length} parts, expected ${expected}`);
      problems.push(...sweepResult(parts, { reference, referenceBits: 8 }, input, `length ${length}`));
    }
    expect(problems).toEqual([]);
  });

  it('uses the fewest parts for every length 0..2000 with reference16 and round-trips', () => {
    const problems: string[] = [];
    for (let length = 0; length <= 2000; length++) {
      const expected = length <= SINGLE ? 1 : Math.ceil(length / CONCAT16);
      const reference = 0x100 + length * 31;
      const input = payload(length, length);
      const parts = splitIntoSubmitPdus({ destination: DEST, payload: { data: input }, concatReference: reference, reference16: true });
      if (parts.length !== expected) problems.push(`length ${length}: ${parts.length} parts, expected ${expected}`);
      problems.push(...sweepResult(parts, { reference, referenceBits: 16 }, input, `length ${length}`));
    }
    expect(problems).toEqual([]);
  });

  it('16-bit reference parts carry UDH 06 08 04 <ref hi> <ref lo> <total> <seq>', () => {
    const parts = splitIntoSubmitPdus(binary(SINGLE + 1, { concatReference: 0x1234, reference16: true }));
    expect(parts).toHaveLength(2);
    expect(hexOf(parts[0]!.bytes.subarray(14, 21))).toBe('06080412340201');
    expect(hexOf(parts[1]!.bytes.subarray(14, 21))).toBe('06080412340202');
    expect(parts.map((p) => decodeSubmit(p).userData.data.length)).toEqual([133, 8]);
  });

  it('16-bit ports: single capacity 133, concatenated 128 (8-bit ref) and 127 (16-bit ref)', () => {
    const ports = { destination: 5684, source: 49152 };
    for (const length of [0, 1, PORTS_SINGLE]) {
      const parts = splitIntoSubmitPdus(binary(length, { ports }));
      expect(parts, `length ${length}`).toHaveLength(1);
      // UDH: UDHL 06, IEI 05 (16-bit ports), IEDL 04, dst 1634 (5684), src C000 (49152).
      expect(hexOf(parts[0]!.bytes.subarray(14, 21))).toBe('0605041634C000');
      expect(parts[0]!.bytes[13]).toBe(7 + length); // TP-UDL includes the 7 header octets
      expect(reassemble(parts, { ports })).toEqual(payload(length));
    }
    const problems: string[] = [];
    for (let length = PORTS_SINGLE + 1; length <= 2000; length++) {
      const input = payload(length);
      const parts = splitIntoSubmitPdus(binary(length, { ports, concatReference: 3 }));
      const want8 = Math.ceil(length / PORTS_CONCAT8);
      if (parts.length !== want8) problems.push(`length ${length}: ${parts.length} parts, expected ${want8}`);
      problems.push(...sweepResult(parts, { ports, reference: 3 }, input, `length ${length}`));
      const parts16 = splitIntoSubmitPdus(binary(length, { ports, concatReference: 0xbeef, reference16: true }));
      const want16 = Math.ceil(length / PORTS_CONCAT16);
      if (parts16.length !== want16) problems.push(`length ${length} ref16: ${parts16.length} parts, expected ${want16}`);
      problems.push(...sweepResult(parts16, { ports, reference: 0xbeef, referenceBits: 16 }, input, `length ${length} ref16`));
    }
    expect(problems).toEqual([]);
    // The first part of 134 bytes is full: UDL 140 = 12 header octets + 128 data octets.
    const full = splitIntoSubmitPdus(binary(PORTS_SINGLE + 1, { ports, concatReference: 3 }));
    expect(full.map((p) => decodeSubmit(p).userData.data.length)).toEqual([128, 6]);
    expect(full[0]!.bytes[13]).toBe(140);
  });

  it('encodes a 2-part binary message to exactly the hand-written vector', () => {
    // 141 bytes: 134 × 0x11, then 01..07.
    const data = Uint8Array.from([...new Array<number>(134).fill(0x11), 1, 2, 3, 4, 5, 6, 7]);
    const parts = splitIntoSubmitPdus({ destination: '+491701234567', payload: { data }, concatReference: 0x42 });
    const part1 =
      '00' + //           SMSC length 0: use the modem's configured SMSC (TS 27.005 §3.5.1)
      '41' + //           TP-MTI 01 SUBMIT, TP-RD 0, TP-VPF 00 (none), TP-SRR 0, TP-UDHI 1 (0x40), TP-RP 0
      '00' + //           TP-MR 0 (the modem assigns it)
      '0C' + //           TP-DA length: 12 digits
      '91' + //           type of address: international (001), ISDN/E.164 (0001)
      '947110325476' + // 49 17 01 23 45 67 as swapped semi-octets
      '00' + //           TP-PID 0
      '04' + //           TP-DCS 0x04: 8-bit data, no class
      '8C' + //           TP-UDL 140 octets (6 header + 134 data)
      '05' + //           UDHL 5
      '00' + //           IEI 00: concatenation, 8-bit reference
      '03' + //           IEDL 3
      '42' + //           reference 0x42
      '02' + //           2 parts in total
      '01' + //           this is part 1
      '11'.repeat(134); // data
    const part2 =
      '00' + //           SMSC length 0
      '41' + //           SUBMIT with TP-UDHI
      '00' + //           TP-MR 0
      '0C' + //           12 digits
      '91' + //           international, ISDN
      '947110325476' + // +491701234567
      '00' + //           TP-PID
      '04' + //           TP-DCS 8-bit
      '0D' + //           TP-UDL 13 = 6 header + 7 data
      '050003420202' + // UDH: concat, ref 0x42, 2 parts, part 2
      '01020304050607'; // data
    expect(parts.map((p) => p.hex)).toEqual([part1, part2]);
    // TPDU length: everything after the 1-octet SMSC field.
    expect(parts.map((p) => p.tpduLength)).toEqual([153, 26]);
  });
});

describe('splitIntoSubmitPdus: text', () => {
  function textParts(text: string, extra: Partial<SubmitRequest> = {}): SubmitPart[] {
    return splitIntoSubmitPdus({ destination: DEST, payload: { text }, concatReference: 77, ...extra });
  }
  function decodedTexts(parts: readonly SubmitPart[]): string[] {
    return parts.map((p) => decodeSubmit(p).userData.text ?? '<null>');
  }

  it('GSM 7-bit: 160 characters in one part, 161 in 153 + 8 septets', () => {
    const t160 = 'abcdefghij'.repeat(16);
    const one = textParts(t160);
    expect(one).toHaveLength(1);
    const pdu = decodeSubmit(one[0]!);
    expect(pdu.dcs.encoding).toBe('gsm7');
    expect(pdu.dcs.raw).toBe(0x00);
    expect(pdu.userData.header).toBeNull();
    expect(pdu.userData.text).toBe(t160);
    expect(one[0]!.bytes[13]).toBe(160); // TP-UDL in septets
    expect(one[0]!.tpduLength).toBe(13 + 140); // first, MR, DA (8), PID, DCS, UDL + 140 octets

    const t161 = `${t160}Z`;
    const two = textParts(t161);
    expect(two).toHaveLength(2);
    expect(two.map((p) => decodeSubmit(p).userData.data.length)).toEqual([153, 8]);
    expect(two.map((p) => p.bytes[13])).toEqual([160, 15]); // 7 header septets + body
    expect(decodedTexts(two).join('')).toBe(t161);
    expect(reassemble(two, { reference: 77 })).toEqual(Uint8Array.from(Buffer.from(t161, 'latin1'))); // ASCII letters map 1:1
  });

  it('GSM 7-bit: an extension character is never split between parts', () => {
    // 152 septets, then € = ESC (septet 153) + 0x65 (septet 154): the escape would be the last
    // septet of part 1, so the whole € moves to part 2.
    const tail = 'tail'.repeat(5);
    const text = `${'x'.repeat(152)}€${tail}`;
    const parts = textParts(text);
    expect(parts).toHaveLength(2);
    const [p1, p2] = parts.map(decodeSubmit);
    expect(p1!.userData.data).toHaveLength(152);
    expect(p1!.userData.text).toBe('x'.repeat(152));
    expect(p1!.userData.data[151]).not.toBe(0x1b);
    expect(p2!.userData.text).toBe(`€${tail}`);
    expect(Array.from(p2!.userData.data.subarray(0, 2))).toEqual([0x1b, 0x65]);
    expect(decodedTexts(parts).join('')).toBe(text);
  });

  it('GSM 7-bit: an extension character that ends exactly at septet 153 stays in part 1', () => {
    const tail = 'tail'.repeat(5);
    const text = `${'x'.repeat(151)}€${tail}`;
    const parts = textParts(text);
    const [p1, p2] = parts.map(decodeSubmit);
    expect(p1!.userData.data).toHaveLength(153);
    expect(p1!.userData.text).toBe(`${'x'.repeat(151)}€`);
    expect(p2!.userData.text).toBe(tail);
  });

  it('GSM 7-bit: a run of extension characters across the boundary is split between characters', () => {
    // '[' is ESC 0x3C: 200 septets of escape pairs; every boundary must fall between pairs.
    const text = '['.repeat(100);
    const parts = textParts(text);
    const texts = decodedTexts(parts);
    for (const t of texts) expect(t).toMatch(/^\[+$/);
    expect(texts.join('')).toBe(text);
    expect(parts.map((p) => decodeSubmit(p).userData.data.length)).toEqual([152, 48]);
  });

  it('UCS2: 70 characters in one part, 71 in 67 + 4', () => {
    const t70 = 'Привет мир'.repeat(7);
    expect(t70).toHaveLength(70);
    const one = textParts(t70);
    expect(one).toHaveLength(1);
    const pdu = decodeSubmit(one[0]!);
    expect(pdu.dcs.encoding).toBe('ucs2');
    expect(pdu.dcs.raw).toBe(0x08);
    expect(pdu.userData.text).toBe(t70);
    expect(pdu.userData.data).toHaveLength(140);

    const t71 = `${t70}ж`;
    const two = textParts(t71);
    expect(two).toHaveLength(2);
    expect(two.map((p) => decodeSubmit(p).userData.data.length)).toEqual([134, 8]);
    expect(decodedTexts(two)).toEqual([t71.slice(0, 67), t71.slice(67)]);
  });

  it('UCS2: a surrogate pair at the 67-unit boundary stays in one part', () => {
    // 66 units of 'ж', then 😀 (D83D DE00) at units 67..68: the high surrogate would be the last
    // unit of part 1, so the whole emoji moves to part 2 (part 1 keeps 66 units = 132 octets).
    const text = `${'ж'.repeat(66)}😀${'ж'.repeat(10)}`;
    const parts = textParts(text);
    expect(parts).toHaveLength(2);
    const [p1, p2] = parts.map(decodeSubmit);
    expect(p1!.userData.data).toHaveLength(132);
    expect(p1!.userData.text).toBe('ж'.repeat(66));
    expect(p2!.userData.text).toBe(`😀${'ж'.repeat(10)}`);
    expect(decodedTexts(parts).join('')).toBe(text);
  });

  it('textEncoding gsm7 with an emoji raises GW_ERR_SMS_ENCODE; auto falls back to UCS2', () => {
    const error = thrown(() => textParts('hi 😀', { textEncoding: 'gsm7' }));
    expect(error).toBeInstanceOf(EncodeError);
    expect((error as EncodeError).code).toBe('GW_ERR_SMS_ENCODE');
    const auto = textParts('hi 😀');
    expect(decodeSubmit(auto[0]!).dcs.encoding).toBe('ucs2');
    expect(decodeSubmit(auto[0]!).userData.text).toBe('hi 😀');
  });

  it('textEncoding ucs2 forces UCS2 for GSM-encodable text', () => {
    const parts = textParts('hello', { textEncoding: 'ucs2' });
    expect(decodeSubmit(parts[0]!).dcs.encoding).toBe('ucs2');
    expect(hexOf(decodeSubmit(parts[0]!).userData.data)).toBe('00680065006C006C006F');
  });
});

describe('splitIntoSubmitPdus: options', () => {
  it('statusReportRequest sets TP-SRR in every part', () => {
    const parts = splitIntoSubmitPdus(binary(300, { statusReportRequest: true }));
    expect(parts).toHaveLength(3);
    for (const part of parts) {
      expect((part.bytes[1] ?? 0) & 0x20).toBe(0x20);
      expect(decodeSubmit(part).statusReportRequest).toBe(true);
    }
    for (const part of splitIntoSubmitPdus(binary(300))) {
      expect((part.bytes[1] ?? 0) & 0x20).toBe(0);
    }
  });

  it('smsc appears in every part and tpduLength excludes it', () => {
    const parts = splitIntoSubmitPdus(binary(300, { smsc: '+491720000000' }));
    expect(parts).toHaveLength(3);
    for (const part of parts) {
      // 07 = 1 type octet + 6 digit octets; 91 international/ISDN; 49 17 20 00 00 00 swapped.
      expect(part.hex.startsWith('07919471020000' + '00')).toBe(true);
      expect(part.tpduLength).toBe(part.bytes.length - 8);
      const pdu = decodeSubmit(part);
      expect(pdu.smsc).toEqual({ value: '491720000000', typeOfNumber: 'international', numberingPlan: 1 });
    }
    expect(reassemble(parts)).toEqual(payload(300));
  });

  it('messageClass 1 for binary gives DCS 0x15', () => {
    for (const part of splitIntoSubmitPdus(binary(200, { messageClass: 1 }))) {
      const pdu = decodeSubmit(part);
      expect(pdu.dcs.raw).toBe(0x15);
      expect(pdu.dcs.messageClass).toBe(1);
      expect(pdu.dcs.encoding).toBe('8bit');
    }
  });

  it('validityPeriod relative 0xA7 sets TP-VPF 10 and the octet', () => {
    const parts = splitIntoSubmitPdus(binary(10, { validityPeriod: { format: 'relative', code: 0xa7 } }));
    const part = parts[0]!;
    expect(((part.bytes[1] ?? 0) >> 3) & 0x03).toBe(0b10);
    // 00, first, MR, 0C, 91, 6 digits, PID, DCS, then TP-VP.
    expect(part.bytes[13]).toBe(0xa7);
    expect(decodeSubmit(part).validityPeriod).toEqual({ format: 'relative', code: 0xa7 });
    expect(decodeSubmit(part).userData.data).toEqual(payload(10));
  });
});

describe('splitIntoSubmitPdus: errors', () => {
  function expectEncodeError(fn: () => unknown, code: string, field?: string | RegExp): void {
    const error = thrown(fn);
    expect(error).toBeInstanceOf(EncodeError);
    expect((error as EncodeError).code).toBe(code);
    if (typeof field === 'string') expect((error as EncodeError).field).toBe(field);
    else if (field) expect((error as EncodeError).field).toMatch(field);
  }

  it('255 × 134 bytes fit in 255 parts; one byte more raises GW_ERR_SMS_TOO_LONG', () => {
    const parts = splitIntoSubmitPdus(binary(255 * 134, { concatReference: 1 }));
    expect(parts).toHaveLength(255);
    const last = decodeSubmit(parts[254]!);
    expect(last.userData.header?.concatenation).toEqual({ reference: 1, referenceBits: 8, total: 255, sequence: 255 });
    expect(reassemble(parts, { reference: 1 })).toEqual(payload(255 * 134));
    expectEncodeError(() => splitIntoSubmitPdus(binary(255 * 134 + 1)), 'GW_ERR_SMS_TOO_LONG');
  });

  it('rejects bad destinations with field "destination"', () => {
    for (const destination of ['hello world!!', '+12ab']) {
      expectEncodeError(() => splitIntoSubmitPdus({ destination, payload: { data: payload(3) } }), 'GW_ERR_SMS_ENCODE', 'destination');
    }
  });

  it('rejects a port over 65535', () => {
    for (const ports of [
      { destination: 70000, source: 1 },
      { destination: 1, source: 70000 },
    ]) {
      expectEncodeError(() => splitIntoSubmitPdus(binary(3, { ports })), 'GW_ERR_SMS_ENCODE', /port/);
    }
  });

  it('rejects concatReference 256 without reference16 for a multi-part payload', () => {
    expectEncodeError(() => splitIntoSubmitPdus(binary(300, { concatReference: 256 })), 'GW_ERR_SMS_ENCODE');
    // With reference16 the same reference is valid.
    expect(splitIntoSubmitPdus(binary(300, { concatReference: 256, reference16: true }))).toHaveLength(3);
    expectEncodeError(() => splitIntoSubmitPdus(binary(300, { concatReference: 0x10000, reference16: true })), 'GW_ERR_SMS_ENCODE');
  });

  it('rejects concatReference 256 without reference16 even when the payload fits in one part', () => {
    // The request is invalid whatever the payload length: it must not depend on whether the
    // reference happens to be used.
    expectEncodeError(() => splitIntoSubmitPdus(binary(5, { concatReference: 256 })), 'GW_ERR_SMS_ENCODE');
  });
});
