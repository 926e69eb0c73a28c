/**
 * Seeded random inputs (mqtt-packet testRandom.js style): whatever the bytes or strings,
 * decodeCoap, parseLinkFormatBytes and parseRegisterQuery return a value or throw a DecodeError
 * with their own code, never anything else. Whatever decodeCoap accepts re-encodes to the same
 * bytes, and random valid messages survive encode → decode. Seeds are fixed, so a failure
 * reproduces; the report names the input. Last, the UTF-8 validator is checked against TextDecoder.
 */
import { describe, expect, it } from 'vitest';
import { CoapOptionNumber, decodeCoap, encodeCoap, invalidUtf8Offset, parseLinkFormatBytes, parseRegisterQuery, type CoapMessage, type CoapType } from '../../../src/lwm2m/index.ts';
import { DecodeError, type ErrorCode } from '../../../src/shared/errors.ts';
import { COAP_VECTORS } from './coap-vectors.ts';
import { hex, randomInt, seededRandom } from './lwm2m-test-helpers.ts';

const RANDOM_INPUTS = 50_000;

/** Runs `fn`; returns 'ok', 'error' for a DecodeError with `code`, or a description of anything else. */
function outcome(fn: () => unknown, code: ErrorCode): 'ok' | 'error' | string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof DecodeError && error.code === code && Number.isInteger(error.offset) && error.offset >= 0) return 'error';
    return String(error);
  }
}

function randomBytes(random: () => number, maxLength: number): Uint8Array {
  return Uint8Array.from({ length: randomInt(random, 0, maxLength) }, () => randomInt(random, 0, 255));
}

/** Replaces, inserts or deletes a few bytes, or truncates. */
function mutate(random: () => number, bytes: Uint8Array): Uint8Array {
  const out = Array.from(bytes);
  for (let n = randomInt(random, 1, 4); n > 0; n--) {
    const at = randomInt(random, 0, out.length);
    const kind = randomInt(random, 0, 3);
    if (kind === 0 && at < out.length) out[at] = randomInt(random, 0, 255);
    else if (kind === 1) out.splice(at, 0, randomInt(random, 0, 255));
    else if (kind === 2) out.splice(at, 1);
    else out.length = at;
  }
  return Uint8Array.from(out);
}

/** Checks one CoAP input; returns a problem description or null. */
function checkCoap(bytes: Uint8Array, counts: { ok: number; error: number }): string | null {
  let decoded: CoapMessage | undefined;
  const result = outcome(() => {
    decoded = decodeCoap(bytes);
  }, 'GW_ERR_COAP_DECODE');
  if (result === 'ok' && decoded !== undefined) {
    counts.ok++;
    const again = encodeCoap(decoded);
    if (hex(again) !== hex(bytes)) return `${hex(bytes)} re-encodes as ${hex(again)}`;
    return null;
  }
  if (result === 'error') {
    counts.error++;
    return null;
  }
  return `${hex(bytes)} threw ${result}`;
}

describe('decodeCoap on random and mutated bytes', () => {
  it(`${RANDOM_INPUTS} random inputs, half with a version-1 header byte`, () => {
    const random = seededRandom(0x7252);
    const counts = { ok: 0, error: 0 };
    const problems: string[] = [];
    for (let i = 0; i < RANDOM_INPUTS; i++) {
      const bytes = randomBytes(random, 40);
      // A Ver-1 first byte with a small TKL, so that most inputs get past the header.
      if (i % 2 === 0 && bytes.length > 0) bytes[0] = 0x40 | (randomInt(random, 0, 3) << 4) | randomInt(random, 0, 9);
      const problem = checkCoap(bytes, counts);
      if (problem !== null) problems.push(problem);
    }
    expect(problems.slice(0, 5)).toStrictEqual([]);
    expect(counts.ok + counts.error).toBe(RANDOM_INPUTS);
    expect(counts.ok).toBeGreaterThan(1000);
  });

  it('every single-bit flip of every vector, and 30000 random mutations', () => {
    const random = seededRandom(0x1f2e);
    const counts = { ok: 0, error: 0 };
    const problems: string[] = [];
    for (const vector of COAP_VECTORS) {
      for (let bit = 0; bit < vector.bytes.length * 8; bit++) {
        const bytes = vector.bytes.slice();
        bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        const problem = checkCoap(bytes, counts);
        if (problem !== null) problems.push(problem);
      }
    }
    for (let i = 0; i < 30_000; i++) {
      const vector = COAP_VECTORS[randomInt(random, 0, COAP_VECTORS.length - 1)];
      if (vector === undefined) continue;
      const problem = checkCoap(mutate(random, vector.bytes), counts);
      if (problem !== null) problems.push(problem);
    }
    expect(problems.slice(0, 5)).toStrictEqual([]);
    expect(counts.ok).toBeGreaterThan(1000);
    expect(counts.error).toBeGreaterThan(1000);
  });

  it('5000 random valid messages survive encode → decode', () => {
    const random = seededRandom(42);
    const types: CoapType[] = ['CON', 'NON', 'ACK', 'RST'];
    const numbers = Object.values(CoapOptionNumber);
    for (let i = 0; i < 5000; i++) {
      const code = randomInt(random, 1, 255);
      const options = Array.from({ length: randomInt(random, 0, 6) }, () => ({
        number: random() < 0.8 ? (numbers[randomInt(random, 0, numbers.length - 1)] ?? 0) : randomInt(random, 0, 65535),
        value: randomBytes(random, random() < 0.05 ? 400 : 20),
      }));
      const message: CoapMessage = {
        version: 1,
        type: types[randomInt(random, 0, 3)] ?? 'CON',
        code,
        messageId: randomInt(random, 0, 65535),
        token: randomBytes(random, 8),
        options: [...options].sort((a, b) => a.number - b.number),
        payload: randomBytes(random, 30),
      };
      const decoded = decodeCoap(encodeCoap(message));
      if (JSON.stringify(decoded) !== JSON.stringify(message)) expect(decoded).toStrictEqual(message);
    }
  });
});

/** Bytes that matter to the link-format grammar, drawn more often than the rest. */
const LINK_BYTES = Array.from('<>/;,="\\ \r\n\t0123456789.abcdefrtvQ*', (ch) => ch.charCodeAt(0));
const LINK_PAYLOADS = [
  '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303/0>;ver=1.1',
  '</>;ct=60 110 112 11542 11543;rt="oma.lwm2m",</1>;ver=1.1,</1/0>',
  '</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>',
  '</1>, </2>,\r\n</x>;title="a \\"b\\", c;d"',
].map((text) => new TextEncoder().encode(text));

describe('parseLinkFormatBytes on random and mutated bytes', () => {
  it(`${RANDOM_INPUTS} random inputs and 20000 mutations of real payloads`, () => {
    const random = seededRandom(6690);
    const counts: Record<string, number> = { ok: 0, error: 0 };
    const problems: string[] = [];
    const check = (bytes: Uint8Array): void => {
      const result = outcome(() => parseLinkFormatBytes(bytes), 'GW_ERR_LINK_FORMAT');
      if (result === 'ok' || result === 'error') counts[result] = (counts[result] ?? 0) + 1;
      else problems.push(`${hex(bytes)} threw ${result}`);
    };
    for (let i = 0; i < RANDOM_INPUTS; i++) {
      const length = randomInt(random, 0, 48);
      const bytes = Uint8Array.from({ length }, () => (random() < 0.85 ? (LINK_BYTES[randomInt(random, 0, LINK_BYTES.length - 1)] ?? 0) : randomInt(random, 0, 255)));
      if (i % 3 === 0 && length > 0) bytes[0] = 0x3c; // start with "<"
      check(bytes);
    }
    for (let i = 0; i < 20_000; i++) {
      const payload = LINK_PAYLOADS[randomInt(random, 0, LINK_PAYLOADS.length - 1)] ?? new Uint8Array(0);
      check(mutate(random, payload));
    }
    expect(problems.slice(0, 5)).toStrictEqual([]);
    expect(counts['ok']).toBeGreaterThan(1000);
    expect(counts['error']).toBeGreaterThan(1000);
  });
});

describe('parseRegisterQuery on random arguments', () => {
  it(`${RANDOM_INPUTS} random queries`, () => {
    const random = seededRandom(0x5353);
    const names = ['ep', 'lt', 'lwm2m', 'b', 'sms', 'Q', 'pid', 'x', '', '__proto__'];
    const values = ['', 'U', 'UQ', 'UQS', 'US', 'SQ', 'UTSN', 'MH', '1.0', '1.1', '1.2', '2.0', '300', '-1', '0', '+4917612345678', 'a@b', '1e3', 'é', '\uD800'];
    let ok = 0;
    let errors = 0;
    const problems: string[] = [];
    for (let i = 0; i < RANDOM_INPUTS; i++) {
      const query = Array.from({ length: randomInt(random, 0, 6) }, () => {
        const name = names[randomInt(random, 0, names.length - 1)] ?? '';
        if (random() < 0.15) return name;
        const value = random() < 0.8 ? (values[randomInt(random, 0, values.length - 1)] ?? '') : String.fromCharCode(...Array.from({ length: randomInt(random, 0, 6) }, () => randomInt(random, 0, 0x7f)));
        return `${name}=${value}`;
      });
      const result = outcome(() => parseRegisterQuery(query, random() < 0.3 ? { lwm2mVersion: '1.1' } : {}), 'GW_ERR_LWM2M_REGISTRATION');
      if (result === 'ok') ok++;
      else if (result === 'error') errors++;
      else problems.push(`${JSON.stringify(query)} threw ${result}`);
    }
    expect(problems.slice(0, 5)).toStrictEqual([]);
    expect(ok).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(1000);
  });
});

describe('invalidUtf8Offset agrees with a fatal TextDecoder', () => {
  it(`${RANDOM_INPUTS} random byte strings biased to multi-byte sequences`, () => {
    const random = seededRandom(3629);
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const leads = [0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xc0, 0x80, 0xbf, 0xa0, 0x9f, 0x8f, 0x90];
    let valid = 0;
    const problems: string[] = [];
    for (let i = 0; i < RANDOM_INPUTS; i++) {
      const bytes = Uint8Array.from({ length: randomInt(random, 0, 8) }, () => (random() < 0.7 ? (leads[randomInt(random, 0, leads.length - 1)] ?? 0) : randomInt(random, 0, 255)));
      let decoderOk = true;
      try {
        fatal.decode(bytes);
      } catch {
        decoderOk = false;
      }
      const offset = invalidUtf8Offset(bytes);
      if ((offset === -1) !== decoderOk) problems.push(`${hex(bytes)}: offset ${offset}, TextDecoder ${decoderOk ? 'accepts' : 'rejects'}`);
      else if (decoderOk) valid++;
      else if (offset > 0 && invalidUtf8Offset(bytes.subarray(0, offset)) !== -1) problems.push(`${hex(bytes)}: prefix before ${offset} is not valid`);
    }
    expect(problems.slice(0, 5)).toStrictEqual([]);
    expect(valid).toBeGreaterThan(1000);
  });
});

describe('isWellFormedCoap agrees with decodeCoap', () => {
  it('on 50,000 random and mutated inputs', async () => {
    const { isWellFormedCoap, decodeCoap, encodeCoap, coapRequest, CoapCode } = await import('../../../src/lwm2m/index.ts');
    const { seededRandom } = await import('../../support/seeded-random.ts');
    const random = seededRandom(0xc0a9);
    const valid = encodeCoap(coapRequest({ code: CoapCode.POST, messageId: 7, token: Uint8Array.of(1, 2), path: ['rd'], query: ['ep=x', 'lt=300'], payload: '</1/0>', options: [{ number: 60, value: Uint8Array.of(1) }, { number: 292, value: new Uint8Array(300) }] }));
    let accepted = 0;
    for (let i = 0; i < 50_000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = Uint8Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256));
        if (bytes.length > 0) bytes[0] = 0x40 | (bytes[0]! & 0x3f); // mostly version 1
      } else {
        bytes = Uint8Array.from(valid.subarray(0, Math.floor(random() * (valid.length + 1))));
        if (bytes.length > 0) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      let decodes = true;
      try {
        decodeCoap(bytes);
      } catch {
        decodes = false;
      }
      expect(isWellFormedCoap(bytes)).toBe(decodes);
      if (decodes) accepted += 1;
    }
    expect(accepted).toBeGreaterThan(100);
    expect(isWellFormedCoap(valid)).toBe(true);
  });
});
