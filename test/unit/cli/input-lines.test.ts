/**
 * The line reader of `pdu decode -` (src/cli/input-lines.ts) over a real stream: lines split
 * across chunks, CR LF, a last line without LF, and a line over the limit reported by length only.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inputLines, type InputLine } from '../../../src/cli/input-lines.ts';

async function collect(chunks: readonly string[], maxLineChars: number): Promise<InputLine[]> {
  const lines: InputLine[] = [];
  for await (const line of inputLines(Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))), maxLineChars)) lines.push(line);
  return lines;
}

describe('inputLines', () => {
  it('joins lines split across chunks, strips CR, keeps empty lines and a last line without LF', async () => {
    expect(await collect(['ab', 'c\r\nde\n', '\nf', 'g'], 100)).toEqual([
      { number: 1, text: 'abc' },
      { number: 2, text: 'de' },
      { number: 3, text: '' },
      { number: 4, text: 'fg' },
    ]);
  });

  it('yields nothing for empty input and no extra line after a final LF', async () => {
    expect(await collect([], 10)).toEqual([]);
    expect(await collect(['a\n'], 10)).toEqual([{ number: 1, text: 'a' }]);
  });

  it('reports a line over the limit by its length, whether it spans chunks or not, and goes on', async () => {
    const lines = await collect(['12345', '67890', '12\nok\n', 'x'.repeat(20), '\nlast'], 10);
    expect(lines).toEqual([
      { number: 1, tooLongChars: 12 },
      { number: 2, text: 'ok' },
      { number: 3, tooLongChars: 20 },
      { number: 4, text: 'last' },
    ]);
  });
});
