/**
 * Helpers of the LwM2M/CoAP codec tests: byte building with one comment per field, a seeded
 * PRNG, and assertions on the typed errors (code, field, offset are part of the contract).
 */
import { expect } from 'vitest';
import { DecodeError, EncodeError, type ErrorCode } from '../../../src/shared/errors.ts';
import type { CoapMessage } from '../../../src/lwm2m/index.ts';

/** Bytes from numbers, arrays and ASCII strings: `wire(0x60, 0x00, [0x12, 0x34], 'rd')`. */
export function wire(...parts: readonly (number | readonly number[] | string | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else if (typeof part === 'string') for (const ch of part) out.push(ch.charCodeAt(0));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

/** ASCII bytes of `text`. */
export function ascii(text: string): Uint8Array {
  return wire(text);
}

/** Upper-case hex with a space between bytes, for readable failures. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

/** A CoAP message with the defaults of an empty message: no token, options or payload. */
export function message(fields: Partial<CoapMessage> & Pick<CoapMessage, 'type' | 'code' | 'messageId'>): CoapMessage {
  return { version: 1, token: new Uint8Array(0), options: [], payload: new Uint8Array(0), ...fields };
}

export { seededRandom } from '../../support/seeded-random.ts';

/** An integer in [min, max]. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Runs `fn`, which must throw an error of class `type`; returns it. */
export function caught<T extends Error>(type: abstract new (...args: never[]) => T, fn: () => unknown): T {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(type);
  return error as T;
}

/** Asserts `fn` throws a DecodeError with exactly this code, field and offset. */
export function expectDecodeError(fn: () => unknown, code: ErrorCode, field: string, offset: number): DecodeError {
  const err = caught(DecodeError, fn);
  expect({ code: err.code, field: err.field, offset: err.offset }).toStrictEqual({ code, field, offset });
  expect(err.message.startsWith(`${field} at byte ${offset}: `)).toBe(true);
  return err;
}

/** Asserts `fn` throws an EncodeError with exactly this code and field. */
export function expectEncodeError(fn: () => unknown, code: ErrorCode, field: string): EncodeError {
  const err = caught(EncodeError, fn);
  expect({ code: err.code, field: err.field }).toStrictEqual({ code, field });
  return err;
}
