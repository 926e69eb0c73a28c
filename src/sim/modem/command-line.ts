/**
 * Parsing of AT command lines as a DCE sees them (ITU-T V.250 §5.2–§5.4). Pure functions.
 *
 * A command line is the prefix `AT` followed by basic commands (`E0`, `&F`, `S0=0`, `I`) and
 * extended commands (`+CMEE=1`), the extended ones separated by `;` (§5.4.1). Spaces outside
 * double quotes are ignored and everything outside quotes is case-insensitive (§5.1, §5.2.1).
 */

/** One argument of an extended command; null for an omitted one (`AT+CNMI=2,,0`). */
export interface AtArg {
  /** The argument without its quotes; digits and words upper-cased when unquoted. */
  readonly text: string;
  /** True when it was written as a string constant (`"SM"`). */
  readonly quoted: boolean;
}

/** One command of a command line. */
export type AtCommand =
  /** V.250 §5.3.1 basic command: a letter (or `&` + letter) and an optional number. */
  | { readonly kind: 'basic'; readonly name: string; readonly value: number | null }
  /** V.250 §5.3.2 S-parameter: `S<n>?` or `S<n>=<value>`. */
  | { readonly kind: 'sreg'; readonly register: number; readonly value: number | null }
  /** V.250 §5.4: `+NAME`, `+NAME?`, `+NAME=?`, `+NAME=<args>` (also vendor `^NAME`). */
  | {
      readonly kind: 'extended';
      readonly name: string;
      readonly op: 'exec' | 'read' | 'test' | 'set';
      readonly args: readonly (AtArg | null)[];
    }
  /** `D<dial string>`: the rest of the line (V.250 §6.3.1). */
  | { readonly kind: 'dial'; readonly dialString: string };

/** V.250 §5.4.1: characters of an extended command name after its prefix. */
const NAME_CHAR = /[A-Z0-9!%\-./:_]/;
/** Prefixes of extended (standard `+`) and vendor-specific commands. */
const EXTENDED_PREFIXES = '+^$%*';

/**
 * Parses the text after `AT` (the prefix already removed, terminator excluded).
 * @returns the commands in order, or null for a syntax error (the DCE answers `ERROR`).
 */
export function parseCommandBody(body: string): AtCommand[] | null {
  const commands: AtCommand[] = [];
  let i = 0;
  const upper = upperOutsideQuotes(body);
  const skipSpaces = (): void => {
    while (upper[i] === ' ') i++;
  };
  const readNumber = (): number | null => {
    skipSpaces();
    const start = i;
    while (i < upper.length && /[0-9]/.test(upper[i] ?? '')) i++;
    return i > start ? Number(upper.slice(start, i)) : null;
  };
  while (true) {
    skipSpaces();
    if (i >= upper.length) return commands;
    const c = upper[i] ?? '';
    if (c === ';') {
      i++;
      continue;
    }
    if (EXTENDED_PREFIXES.includes(c)) {
      const parsed = parseExtended(upper, i);
      if (parsed === null) return null;
      commands.push(parsed.command);
      i = parsed.end;
      skipSpaces();
      if (i < upper.length && upper[i] !== ';') return null;
      continue;
    }
    if (c === 'D') {
      commands.push({ kind: 'dial', dialString: upper.slice(i + 1).trim() });
      return commands;
    }
    if (c === 'S') {
      i++;
      const register = readNumber();
      if (register === null) return null;
      skipSpaces();
      if (upper[i] === '?') {
        i++;
        commands.push({ kind: 'sreg', register, value: null });
      } else if (upper[i] === '=') {
        i++;
        commands.push({ kind: 'sreg', register, value: readNumber() ?? 0 });
      } else {
        return null;
      }
      continue;
    }
    if (c === '&') {
      i++;
      skipSpaces();
      const letter = upper[i] ?? '';
      if (!/[A-Z]/.test(letter)) return null;
      i++;
      commands.push({ kind: 'basic', name: `&${letter}`, value: readNumber() });
      continue;
    }
    if (/[A-Z]/.test(c)) {
      i++;
      commands.push({ kind: 'basic', name: c, value: readNumber() });
      continue;
    }
    return null;
  }
}

function parseExtended(upper: string, start: number): { command: AtCommand; end: number } | null {
  let i = start + 1;
  while (i < upper.length && NAME_CHAR.test(upper[i] ?? '')) i++;
  if (i === start + 1) return null;
  const name = upper.slice(start, i);
  while (upper[i] === ' ') i++;
  if (upper.startsWith('=?', i)) return { command: { kind: 'extended', name, op: 'test', args: [] }, end: i + 2 };
  if (upper[i] === '?') return { command: { kind: 'extended', name, op: 'read', args: [] }, end: i + 1 };
  if (upper[i] !== '=') return { command: { kind: 'extended', name, op: 'exec', args: [] }, end: i };
  i++;
  // Arguments run to the next `;` outside quotes (V.250 §5.4.2.1).
  let end = i;
  let quoted = false;
  while (end < upper.length && (quoted || upper[end] !== ';')) {
    if (upper[end] === '"') quoted = !quoted;
    end++;
  }
  if (quoted) return null;
  const args = splitArguments(upper.slice(i, end));
  if (args === null) return null;
  return { command: { kind: 'extended', name, op: 'set', args }, end };
}

/** Splits `a,"b,c",,d` into arguments; null when a quoted string is followed by other text. */
function splitArguments(text: string): (AtArg | null)[] | null {
  const args: (AtArg | null)[] = [];
  let i = 0;
  while (true) {
    while (text[i] === ' ') i++;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      args.push({ text: text.slice(i + 1, close), quoted: true });
      i = close + 1;
      while (text[i] === ' ') i++;
      if (i < text.length && text[i] !== ',') return null;
    } else {
      const comma = text.indexOf(',', i);
      const raw = (comma < 0 ? text.slice(i) : text.slice(i, comma)).trim();
      args.push(raw === '' ? null : { text: raw, quoted: false });
      i = comma < 0 ? text.length : comma;
    }
    if (i >= text.length) return args;
    i++; // the comma
  }
}

/** Upper-cases every character outside double quotes; spaces inside quotes are kept. */
function upperOutsideQuotes(text: string): string {
  let out = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    out += quoted ? ch : ch.toUpperCase();
  }
  return out;
}

/**
 * Finds the `AT` prefix in a raw command line (V.250 §5.2.1: characters before it are ignored;
 * `AT`, `at`, `At` and `aT` are accepted here, as most modems do).
 * @returns the text after the prefix, or null when the line has no prefix (the DCE ignores it).
 */
export function stripAtPrefix(line: string): string | null {
  const index = line.toUpperCase().indexOf('AT');
  return index < 0 ? null : line.slice(index + 2);
}

/**
 * An integer argument within `[min, max]`.
 * @returns `fallback` when the argument is omitted and a fallback is given; null when it is
 * not a decimal number, out of range, or omitted without a fallback.
 */
export function intArg(arg: AtArg | null | undefined, min: number, max: number, fallback?: number): number | null {
  if (arg == null) return fallback ?? null;
  if (arg.quoted || !/^\d{1,9}$/.test(arg.text)) return null;
  const value = Number(arg.text);
  return value >= min && value <= max ? value : null;
}

/** A string argument (quoted or not, as some hosts omit the quotes), or null when omitted. */
export function stringArg(arg: AtArg | null | undefined): string | null {
  return arg == null ? null : arg.text;
}
