/**
 * CoRE Link Format (RFC 6690 §2) as LwM2M Register and Update payloads use it (LwM2M 1.1 Core,
 * "Register" operation: the list of Objects and Object Instances). Pure.
 *
 * The grammar of RFC 6690 §2 has no whitespace, but real payloads do (the OMA examples
 * themselves write `</1>, </2>`), so this parser is tolerant where that costs no ambiguity:
 * - spaces, tabs, CR and LF around `,`, `;` and `=`, and at both ends of the text;
 * - a trailing `,`;
 * - values quoted (`ct="40"`) or not (`ct=40`), and valueless parameters (`;obs`);
 * - an unquoted list of cardinals (`ct=60 110 112`), as Leshan's client sent before its fix
 *   (eclipse-leshan/leshan#1020); RFC 7252 §7.2.1 wants it quoted.
 *
 * It rejects, with a {@link DecodeError} `GW_ERR_LINK_FORMAT`, what has no reading: a `<` that no
 * `>` closes, a quote that does not end, a character that cannot be in a target, a parameter
 * without a name or with `=` and no value, and any other text between links.
 */
import { DecodeError } from '../shared/errors.ts';
import { decodeUtf8Strict, utf8ByteLength } from './utf8.ts';

/** One link-value: `<target>;name=value;flag`. */
export interface Link {
  /** The URI-Reference between `<` and `>`, as written (`/3/0`, `/`, `/lwm2m`). */
  readonly target: string;
  /**
   * Link parameters by name (names as written; quoted values unquoted and unescaped; a valueless
   * parameter is `true`). When a name repeats in one link the first occurrence wins (RFC 5988
   * §5.3 for `rel`; RFC 6690 §3.1-3.3 forbid repeating `rt`, `if`, `sz`).
   */
  readonly params: Readonly<Record<string, string | true>>;
}

/** RFC 5987 parmname characters, plus `*` for ext-name-star (`title*`). */
const PARMNAME_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~*]/;
/** RFC 6690 §2 ptokenchar. */
const PTOKEN_CHAR = /[!#$%&'()*+\-./0-9:<=>?@A-Za-z[\]^_`{|}~]/;
/** Characters that cannot appear in a URI-Reference (RFC 3986 §2) and end a target scan. */
const NOT_IN_TARGET = /[\x00-\x20\x7f"<\\^`{|}]/;
const DIGIT = /[0-9]/;

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function matches(pattern: RegExp, ch: string | undefined): boolean {
  return ch !== undefined && pattern.test(ch);
}

/**
 * A cursor over the text; `offsetOf` maps a string index to the offset reported in errors.
 * Every character the parser looks at is read through it and counted in `reads`, the work
 * measure that shows the parser linear ({@link linkFormatReads}).
 */
class LinkCursor {
  i = 0;
  reads = 0;
  constructor(
    readonly text: string,
    private readonly offsetOf: (index: number) => number,
  ) {}

  peek(): string | undefined {
    this.reads++;
    return this.text[this.i];
  }

  skipSpace(): void {
    while (isSpace(this.peek())) this.i++;
  }

  fail(field: string, index: number, message: string): never {
    throw new DecodeError('GW_ERR_LINK_FORMAT', field, this.offsetOf(index), message);
  }

  /** Advances over characters matching `pattern`; returns what it passed. */
  take(pattern: RegExp): string {
    const start = this.i;
    while (matches(pattern, this.peek())) this.i++;
    return this.text.slice(start, this.i);
  }
}

function readTarget(c: LinkCursor): string {
  const open = c.i;
  c.i++; // '<'
  const start = c.i;
  while (c.peek() !== '>') {
    const ch = c.peek();
    if (ch === undefined || ch === '<') c.fail('URI-Reference', open, 'unterminated "<": no ">" closes the link target');
    if (NOT_IN_TARGET.test(ch)) c.fail('URI-Reference', c.i, `character ${JSON.stringify(ch)} cannot appear in a link target`);
    c.i++;
  }
  const target = c.text.slice(start, c.i);
  c.i++; // '>'
  return target;
}

function readQuoted(c: LinkCursor): string {
  const open = c.i;
  c.i++; // '"'
  let value = '';
  for (;;) {
    const ch = c.peek();
    if (ch === undefined) c.fail('quoted-string', open, 'unterminated quoted string');
    c.i++;
    if (ch === '"') return value;
    if (ch === '\\') {
      // RFC 2616 §2.2 quoted-pair: "\" CHAR
      const escaped = c.peek();
      if (escaped === undefined) c.fail('quoted-string', open, 'unterminated quoted string');
      value += escaped;
      c.i++;
    } else value += ch;
  }
}

/**
 * ptoken, extended to `cardinal *(1*SP cardinal)` when the token is a cardinal (see module doc).
 * Each character is read a bounded number of times: the value is cut from the text once at the
 * end (a string grown by `+=` and searched each round made `ct=1 1 1 …` quadratic).
 */
function readToken(c: LinkCursor): string {
  const start = c.i;
  const first = c.take(PTOKEN_CHAR);
  if (first === '') c.fail('ptoken', start, 'a value must follow "="');
  if (!isCardinal(first)) return first;
  const cardinals = [first];
  for (;;) {
    const save = c.i;
    c.skipSpace();
    if (c.i === save || !matches(DIGIT, c.peek())) {
      c.i = save;
      break;
    }
    const digits = c.take(DIGIT);
    if (matches(PTOKEN_CHAR, c.peek())) {
      c.i = save; // "40 4x": not a cardinal list; the caller reports the text after 40
      break;
    }
    cardinals.push(digits);
  }
  return cardinals.join(' ');
}

function isCardinal(token: string): boolean {
  for (let k = 0; k < token.length; k++) if (!matches(DIGIT, token[k])) return false;
  return true;
}

function readParams(c: LinkCursor): Record<string, string | true> {
  const entries: [string, string | true][] = [];
  const seen = new Set<string>();
  c.skipSpace();
  while (c.peek() === ';') {
    c.i++;
    c.skipSpace();
    const nameStart = c.i;
    const name = c.take(PARMNAME_CHAR);
    if (name === '') c.fail('link-param', nameStart, 'a parameter name must follow ";"');
    c.skipSpace();
    let value: string | true = true;
    if (c.peek() === '=') {
      c.i++;
      c.skipSpace();
      value = c.peek() === '"' ? readQuoted(c) : readToken(c);
      c.skipSpace();
    }
    if (!seen.has(name)) entries.push([name, value]);
    seen.add(name);
  }
  // fromEntries defines own properties, so a parameter named "__proto__" stays plain data.
  return Object.fromEntries(entries);
}

function parseLinks(text: string, offsetOf: (index: number) => number, cursor?: (c: LinkCursor) => void): Link[] {
  const c = new LinkCursor(text, offsetOf);
  cursor?.(c);
  const links: Link[] = [];
  c.skipSpace();
  while (c.peek() !== undefined) {
    if (c.peek() !== '<') c.fail('link-value', c.i, `expected "<" to start a link, found ${JSON.stringify(c.peek())}`);
    const target = readTarget(c);
    const params = readParams(c);
    links.push({ target, params });
    if (c.peek() === undefined) break;
    if (c.peek() !== ',') c.fail('link-value', c.i, `expected "," or ";" after a link, found ${JSON.stringify(c.peek())}`);
    c.i++;
    c.skipSpace(); // a trailing comma ends the loop here
  }
  return links;
}

/**
 * Parses link-format text (RFC 6690 §2, tolerant as described in the module documentation).
 * Empty or all-whitespace text is an empty list. Throws only {@link DecodeError}
 * `GW_ERR_LINK_FORMAT` with field `link-value`, `URI-Reference`, `link-param`, `ptoken` or
 * `quoted-string`; its offset is an index into `text` (UTF-16 code units).
 */
export function parseLinkFormat(text: string): Link[] {
  return parseLinks(text, (index) => index);
}

/**
 * Parses a link-format payload (Content-Format 40) as received. The bytes must be well-formed
 * UTF-8 (RFC 6690 §5: "UTF-8 encoded"), else {@link DecodeError} `GW_ERR_LINK_FORMAT`, field
 * `UTF-8`; a leading byte-order mark (EF BB BF) is skipped. Errors are those of
 * {@link parseLinkFormat} with byte offsets into `bytes`.
 */
export function parseLinkFormatBytes(bytes: Uint8Array): Link[] {
  const text = decodeUtf8Strict(bytes, 'GW_ERR_LINK_FORMAT', 'UTF-8');
  // A leading U+FEFF (the byte-order mark some tools write before UTF-8 text) is not part of the
  // links: skipped, and still counted in the byte offsets of errors.
  const skipped = text.startsWith('\uFEFF') ? 1 : 0;
  return parseLinks(text.slice(skipped), (index) => utf8ByteLength(text.slice(0, index + skipped)));
}

/** An Object or Object Instance announced in a Register or Update payload. */
export interface Lwm2mObjectLink {
  readonly objectId: number;
  /** Null for an Object link (`</3>`), the instance for `</3/0>`. */
  readonly instanceId: number | null;
  /** The `ver` parameter (`</3>;ver=1.1`), or null when absent or valueless. */
  readonly version: string | null;
}

/** What a Register or Update payload tells the server. */
export interface Lwm2mObjectLinks {
  /**
   * Target of the link whose `rt` contains `oma.lwm2m` (LwM2M 1.1 Core, "Alternate Path":
   * `</lwm2m>;rt="oma.lwm2m"`; also `</>;rt="oma.lwm2m"`), or null when there is none.
   */
  readonly rootPath: string | null;
  /** Object and Object Instance links in payload order (object /0 is not filtered out). */
  readonly objects: readonly Lwm2mObjectLink[];
}

const ID = '(0|[1-9][0-9]{0,4})';
const OBJECT_PATH = new RegExp(`^/${ID}(?:/${ID})?$`);
const MAX_ID = 65535;

/**
 * `path` without its trailing `/`s, by one walk from the end. (`/\/+$/` backtracks at every `/`
 * of a run that does not end the text: `<` + 60,000 `/` + `a>` took seconds.)
 */
function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end--;
  return path.slice(0, end);
}

/**
 * Characters {@link parseLinkFormat} reads to parse `text` (errors included): the deterministic
 * measure of its work. It grows linearly with the length of the text whatever the text; tests
 * and the fuzz benchmark compare it for inputs of size n and 2n instead of timing the parser.
 */
export function linkFormatReads(text: string): number {
  let cursor: LinkCursor | null = null;
  try {
    parseLinks(text, (index) => index, (c) => (cursor = c));
  } catch {
    // a DecodeError: the reads up to it count
  }
  return (cursor as LinkCursor | null)?.reads ?? 0;
}

function hasRootType(link: Link): boolean {
  const rt = link.params['rt'];
  return typeof rt === 'string' && rt.split(' ').includes('oma.lwm2m');
}

/**
 * The LwM2M view of parsed links. Object links are `/{objectId}` or `/{objectId}/{instanceId}`
 * (canonical decimal 0..65535) under the root path when there is one; other links (the root
 * link itself, `</>;ct=…`, resources, paths outside the root path) are ignored, as LwM2M tells
 * servers to ignore what they do not understand. Never throws.
 */
export function lwm2mObjectLinks(links: readonly Link[]): Lwm2mObjectLinks {
  const root = links.find(hasRootType);
  const rootPath = root?.target ?? null;
  const prefix = rootPath === null ? '' : withoutTrailingSlashes(rootPath);
  const objects: Lwm2mObjectLink[] = [];
  for (const link of links) {
    if (link === root || !link.target.startsWith(`${prefix}/`)) continue;
    const match = OBJECT_PATH.exec(link.target.slice(prefix.length));
    if (match === null) continue;
    const objectId = Number(match[1]);
    const instanceId = match[2] === undefined ? null : Number(match[2]);
    if (objectId > MAX_ID || (instanceId !== null && instanceId > MAX_ID)) continue;
    const ver = link.params['ver'];
    objects.push({ objectId, instanceId, version: typeof ver === 'string' ? ver : null });
  }
  return { rootPath, objects };
}
