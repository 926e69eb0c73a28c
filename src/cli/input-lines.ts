/**
 * Lines of a stream (standard input) read as they arrive, for commands that take one item per
 * line. Linear in the input; memory bounded by `maxLineChars` however long a line is.
 */

/** One line of the input, numbered from 1; `text` without its line end. */
export type InputLine =
  | { readonly number: number; readonly text: string }
  /** A line longer than `maxLineChars`: its length only, the text was not kept. */
  | { readonly number: number; readonly tooLongChars: number };

/**
 * Yields each line of `input` (LF-terminated; a CR before the LF and a last line without LF are
 * handled). Bytes are read as Latin-1, so no character is split between chunks; a line longer
 * than `maxLineChars` is skipped to its end and yielded as `tooLongChars`.
 */
export async function* inputLines(input: NodeJS.ReadableStream, maxLineChars: number): AsyncGenerator<InputLine> {
  let pending = '';
  let tooLongChars: number | null = null;
  let number = 0;
  const finish = (text: string): InputLine => {
    number += 1;
    const length = (tooLongChars ?? 0) + text.length;
    const line = tooLongChars === null && length <= maxLineChars ? { number, text: text.replace(/\r$/, '') } : { number, tooLongChars: length };
    tooLongChars = null;
    return line;
  };
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      yield finish(pending + text.slice(start, newline));
      pending = '';
      start = newline + 1;
    }
    const rest = text.slice(start);
    if (tooLongChars !== null) tooLongChars += rest.length;
    else if (pending.length + rest.length > maxLineChars) {
      tooLongChars = pending.length + rest.length;
      pending = '';
    } else pending += rest;
  }
  if (pending.length > 0 || tooLongChars !== null) yield finish(pending);
}
