/**
 * Incremental framing of the byte stream a modem sends back over its AT port.
 *
 * ITU-T V.250 §5.7.1: with `ATV1` every response is `<CR><LF>text<CR><LF>`; with `ATV0` it is
 * `text<CR>`; command echo (`ATE1`) is the command line ended by S3 (`<CR>`). The framer treats any
 * CR, LF or CRLF as a line end and drops the empty lines this produces, so all three shapes (and
 * the `AT+CMGS=23\r\r\n` echo-then-header mix) give the same lines. The one frame without a line
 * end is the SMS prompt `> ` (TS 27.005 §3.5.1, §4.3: the ME answers `AT+CMGS` with
 * `<CR><LF><greater_than><space>` and then waits for the PDU).
 *
 * Pure: no I/O, no timers, no clock and no state outside the instance. Every decision is taken
 * byte by byte, so the frames do not depend on how the input was split into chunks.
 */

/** One complete unit produced by {@link AtLineFramer.push}. */
export type AtFrame =
  /** A non-empty line without its terminator, bytes mapped 1:1 to UTF-16 code units (latin1). */
  | { readonly kind: 'line'; readonly text: string }
  /** The SMS prompt `> ` at the start of a line (TS 27.005 §3.5.1); the ME now expects the PDU. */
  | { readonly kind: 'prompt' }
  /**
   * A line longer than `maxLineBytes` was discarded. Emitted at the line end where the framer
   * resynchronised; `droppedBytes` counts every discarded byte of that line (NULs and the line
   * terminator excluded).
   */
  | { readonly kind: 'overflow'; readonly droppedBytes: number };

/** Options of {@link AtLineFramer}. */
export interface AtLineFramerOptions {
  /**
   * Longest line, in bytes, the framer keeps. A `+CMGR`/`+CMT` PDU line is at most 2 × 176 hex
   * digits (~360 bytes) and a `+CMGL` line with an alpha tag stays well under 1 KiB.
   * @defaultValue 4096
   */
  readonly maxLineBytes?: number;
}

/** Garbage and traffic counters of one {@link AtLineFramer}, since construction. */
export interface AtLineFramerStats {
  /** `line` frames emitted. */
  readonly lines: number;
  /** `prompt` frames emitted. */
  readonly prompts: number;
  /** NUL (0x00) bytes dropped; they never reach a line and do not count towards its length. */
  readonly nulBytes: number;
  /**
   * Bytes ≥ 0x80 received. They are kept in the line text as latin1 characters; bytes of a line
   * that is later discarded for overflow are counted too.
   */
  readonly nonAsciiBytes: number;
  /** `overflow` frames emitted. */
  readonly overflows: number;
}

/** Default of {@link AtLineFramerOptions.maxLineBytes}. */
export const DEFAULT_MAX_LINE_BYTES = 4096;

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
const GREATER_THAN = 0x3e;
const SPACE = 0x20;

/**
 * Splits the modem's output into lines, SMS prompts and overflow notices.
 *
 * Contract:
 * - `push` never throws, whatever the bytes; it returns the frames completed by this chunk, in
 *   order, and keeps an unfinished line for the next call.
 * - A line ends at CR or LF; empty lines are dropped, so CRLF, LFCR, CRCR and lone terminators all
 *   frame alike. NUL bytes are removed and counted.
 * - `> ` (0x3E 0x20) as the first two bytes of a line is a `prompt` frame at once, without waiting
 *   for a terminator; bytes after it start a new line (with echo on, the echoed PDU).
 * - A line longer than `maxLineBytes` bytes is discarded; the framer drops bytes until the next
 *   CR or LF and then emits one `overflow` frame. Memory use is bounded by `maxLineBytes`.
 * - Ownership: the caller owns the chunks; the framer copies what it keeps and never retains them.
 */
export class AtLineFramer {
  readonly #maxLineBytes: number;
  readonly #line: Uint8Array;
  #length = 0;
  /** Bytes discarded so far from the current overlong line, or -1 when not discarding. */
  #dropped = -1;
  #lines = 0;
  #prompts = 0;
  #nulBytes = 0;
  #nonAsciiBytes = 0;
  #overflows = 0;

  /**
   * @param options - see {@link AtLineFramerOptions}.
   * @throws RangeError when `maxLineBytes` is not a positive safe integer.
   */
  constructor(options: AtLineFramerOptions = {}) {
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`"maxLineBytes" must be a positive integer: ${String(maxLineBytes)}`);
    }
    this.#maxLineBytes = maxLineBytes;
    this.#line = new Uint8Array(maxLineBytes);
  }

  /** A snapshot of the counters; later pushes do not change a snapshot already taken. */
  get stats(): AtLineFramerStats {
    return Object.freeze({
      lines: this.#lines,
      prompts: this.#prompts,
      nulBytes: this.#nulBytes,
      nonAsciiBytes: this.#nonAsciiBytes,
      overflows: this.#overflows,
    });
  }

  /** Bytes of the unfinished line held for the next push (0 while discarding an overlong line). */
  get pendingBytes(): number {
    return this.#length;
  }

  /**
   * Feeds the next chunk read from the port.
   * @returns the frames this chunk completed (possibly none); never throws.
   */
  push(chunk: Uint8Array): AtFrame[] {
    const frames: AtFrame[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] ?? NUL;
      if (byte === NUL) {
        this.#nulBytes++;
      } else if (byte === CR || byte === LF) {
        this.#endLine(frames);
      } else {
        if (byte >= 0x80) this.#nonAsciiBytes++;
        this.#append(byte, frames);
      }
    }
    return frames;
  }

  /**
   * Forgets the unfinished line (and any overlong line being discarded) without emitting it, for
   * example after the port was reopened. The counters are kept.
   */
  reset(): void {
    this.#length = 0;
    this.#dropped = -1;
  }

  #append(byte: number, frames: AtFrame[]): void {
    if (this.#dropped >= 0) {
      this.#dropped++;
      return;
    }
    // TS 27.005 §3.5.1: the prompt is not followed by a line terminator, so it is recognised as
    // soon as its second byte arrives. It is checked before the length limit so that even a
    // one-byte limit still sees prompts.
    if (byte === SPACE && this.#length === 1 && this.#line[0] === GREATER_THAN) {
      this.#length = 0;
      this.#prompts++;
      frames.push({ kind: 'prompt' });
      return;
    }
    if (this.#length === this.#maxLineBytes) {
      this.#dropped = this.#length + 1;
      this.#length = 0;
      return;
    }
    this.#line[this.#length++] = byte;
  }

  #endLine(frames: AtFrame[]): void {
    if (this.#dropped >= 0) {
      this.#overflows++;
      frames.push({ kind: 'overflow', droppedBytes: this.#dropped });
      this.#dropped = -1;
      return;
    }
    if (this.#length === 0) return;
    const text = latin1(this.#line, this.#length);
    this.#length = 0;
    this.#lines++;
    frames.push({ kind: 'line', text });
  }
}

/**
 * Maps bytes 0x00..0xFF to the code points U+0000..U+00FF (ISO 8859-1), unlike `TextDecoder`.
 * Node's `latin1` decoding does exactly that, natively: about 20 times faster on a PDU line than
 * spreading the bytes into `String.fromCharCode` (a view, no copy).
 */
function latin1(bytes: Uint8Array, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, length).toString('latin1');
}
