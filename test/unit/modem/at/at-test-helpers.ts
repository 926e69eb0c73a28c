/**
 * Helpers shared by the AT line layer tests: byte strings, a seeded PRNG and chunkings, so that
 * every transcript can be replayed whole, byte by byte and in reproducible random pieces.
 */
import { expect } from 'vitest';
import { DecodeError } from '../../../../src/shared/errors.ts';
import {
  AtLineFramer,
  type AtFrame,
  type AtLineFramerStats,
} from '../../../../src/modem/at/line-framer.ts';

/** Bytes of a string whose characters are all U+0000..U+00FF (a byte string, latin1). */
export function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new Error(`not a byte string: U+${code.toString(16)} at ${i}`);
    out[i] = code;
  }
  return out;
}


/** An integer in [min, max] from `random`. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Splits `data` into consecutive pieces of 1..maxPiece bytes (empty pieces included sometimes). */
export function randomChunks(data: Uint8Array, random: () => number, maxPiece = 16): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let i = 0;
  while (i < data.length) {
    // An empty chunk now and then: the framer must accept it and return no frames.
    if (random() < 0.05) chunks.push(new Uint8Array(0));
    const size = randomInt(random, 1, maxPiece);
    chunks.push(data.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

/** Every single byte as its own chunk. */
export function byteChunks(data: Uint8Array): Uint8Array[] {
  return Array.from(data, (_, i) => data.subarray(i, i + 1));
}

/** The frames and final stats of a fresh framer fed `chunks` in order. */
export function frameChunks(
  chunks: readonly Uint8Array[],
  maxLineBytes?: number,
): { frames: AtFrame[]; stats: AtLineFramerStats; pendingBytes: number } {
  const framer = new AtLineFramer(maxLineBytes === undefined ? {} : { maxLineBytes });
  const frames: AtFrame[] = [];
  for (const chunk of chunks) frames.push(...framer.push(chunk));
  return { frames, stats: framer.stats, pendingBytes: framer.pendingBytes };
}

/** The `text` of every `line` frame. */
export function lineTexts(frames: readonly AtFrame[]): string[] {
  return frames.flatMap((f) => (f.kind === 'line' ? [f.text] : []));
}

/** Runs `fn`, expects a GW_ERR_AT_PARSE DecodeError for `field` at `offset`. */
export function expectParseError(fn: () => unknown, field: string, offset: number): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  const error = caught as DecodeError;
  expect(error.code).toBe('GW_ERR_AT_PARSE');
  expect({ field: error.field, offset: error.offset }).toEqual({ field, offset });
}

export { seededRandom } from '../../../support/seeded-random.ts';
