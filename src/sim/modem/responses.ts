/**
 * What a command handler answers, and how the DCE frames it on the wire (ITU-T V.250 §5.7).
 * Pure.
 */
import { cmeErrorText, cmsErrorText } from '../../modem/at/error-texts.ts';

/** The reply of one command of a command line. */
export type Reply =
  /** Success; `lines` are information text, `then` runs after the final result code is out. */
  | { readonly type: 'ok'; readonly lines?: readonly string[]; readonly then?: () => void }
  /** `ERROR` (V.250 §5.7.2). */
  | { readonly type: 'error' }
  /** `+CME ERROR: <err>` (TS 27.007 §9.2); plain `ERROR` with `AT+CMEE=0`. */
  | { readonly type: 'cme'; readonly code: number }
  /** `+CMS ERROR: <err>` (TS 27.005 §3.2.5); plain `ERROR` with `AT+CMEE=0`. */
  | { readonly type: 'cms'; readonly code: number }
  /**
   * The `> ` prompt (TS 27.005 §3.5.1): the DCE now reads PDU hex (`pdu`) or text (`text`) up to
   * Ctrl-Z; `complete` gets it and returns the reply. ESC aborts with `OK`, nothing sent.
   */
  | { readonly type: 'prompt'; readonly mode: 'pdu' | 'text'; readonly complete: (input: string) => Reply }
  /** The reply comes later: `start` is called once and must call `done` once. */
  | { readonly type: 'pending'; readonly start: (done: (reply: Reply) => void) => void };

/** A reply that ends a command line with an error. */
export type ErrorReply = Extract<Reply, { type: 'error' | 'cme' | 'cms' }>;

/** `OK` without information text. */
export const OK: Reply = Object.freeze({ type: 'ok' });
/** Plain `ERROR`. */
export const ERROR: ErrorReply = Object.freeze({ type: 'error' });

/** Success with information lines. */
export function ok(...lines: string[]): Reply {
  return { type: 'ok', lines };
}

/** `+CME ERROR: <code>`. */
export function cme(code: number): ErrorReply {
  return { type: 'cme', code };
}

/** `+CMS ERROR: <code>`. */
export function cms(code: number): ErrorReply {
  return { type: 'cms', code };
}

/** The framing settings of V.250 that shape every response. */
export interface Framing {
  readonly verbose: boolean;
  /** S3, the line terminator character code (13). */
  readonly s3: number;
  /** S4, the response formatting character code (10). */
  readonly s4: number;
}

/** V.250 §5.7.1 numeric result codes for `ATV0`. */
const NUMERIC_CODE: Readonly<Record<string, number>> = { OK: 0, CONNECT: 1, RING: 2, 'NO CARRIER': 3, ERROR: 4 };

/**
 * Information text (V.250 §5.7.1): verbose `<CR><LF>text<CR><LF>`, several lines joined by
 * `<CR><LF>` as modems print `+CMGL` lists; `ATV0` gives `text<CR><LF>` per line.
 */
export function formatInformation(lines: readonly string[], framing: Framing): string {
  const cr = String.fromCharCode(framing.s3);
  const lf = String.fromCharCode(framing.s4);
  if (lines.length === 0) return '';
  if (framing.verbose) return `${cr}${lf}${lines.join(`${cr}${lf}`)}${cr}${lf}`;
  return lines.map((line) => `${line}${cr}${lf}`).join('');
}

/** An unsolicited result code, framed like information text. */
export function formatUrc(text: string, framing: Framing): string {
  return formatInformation([text], framing);
}

/**
 * The final result code of `reply` (V.250 §5.7.1): verbose `<CR><LF>OK<CR><LF>`; with `ATV0`
 * the number and `<CR>` (`0\r`, `4\r`), and extended error codes as `+CME ERROR: n<CR><LF>`.
 * `cmee` selects plain `ERROR` (0), numeric (1) or verbose (2) error codes (TS 27.007 §9.1).
 */
export function formatFinal(reply: Reply, cmee: number, framing: Framing): string {
  const text = finalText(reply, cmee);
  const cr = String.fromCharCode(framing.s3);
  if (framing.verbose) return formatInformation([text], framing);
  const numeric = NUMERIC_CODE[text];
  return numeric === undefined ? formatInformation([text], framing) : `${numeric}${cr}`;
}

function finalText(reply: Reply, cmee: number): string {
  switch (reply.type) {
    case 'cme':
      if (cmee === 0) return 'ERROR';
      return `+CME ERROR: ${cmee === 2 ? (cmeErrorText(reply.code) ?? String(reply.code)) : reply.code}`;
    case 'cms':
      if (cmee === 0) return 'ERROR';
      return `+CMS ERROR: ${cmee === 2 ? (cmsErrorText(reply.code) ?? String(reply.code)) : reply.code}`;
    case 'error':
      return 'ERROR';
    default:
      return 'OK';
  }
}
