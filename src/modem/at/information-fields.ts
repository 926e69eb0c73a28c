/**
 * Field syntax of extended-syntax information text and result codes: `+NAME: <compound_value>`
 * (ITU-T V.250 §5.7.2), and the value lists of test-command responses such as
 * `+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)` (V.250 §5.7.3.1 "range of values", §5.7.3.2 "compound
 * range of values").
 *
 * Pure functions. Malformed input throws {@link DecodeError} with code `GW_ERR_AT_PARSE`, `field`
 * set to the prefix (or the caller's field name) and `offset` set to the character offset in the
 * text where the problem was found.
 */
import { DecodeError } from '../../shared/errors.ts';

/** One comma-separated field of an information line, as split by {@link splitInformationFields}. */
export interface InformationField {
  /**
   * The field text: for a quoted string its content without the quotes (escapes are not decoded);
   * for a parenthesised group the group verbatim, parentheses and inner quotes included; otherwise
   * the text with surrounding blanks removed (possibly empty: an omitted parameter).
   */
  readonly value: string;
  /** The field was a quoted string (`""` is a quoted empty string, unlike an omitted field). */
  readonly quoted: boolean;
  /** The field was a parenthesised group, e.g. `("SM","ME")` or `(0-3)`. */
  readonly group: boolean;
  /** Character offset in the line where the field starts (after leading blanks). */
  readonly offset: number;
}

/** One `lo-hi` item of a numeric range list (a single number `n` is `{ lo: n, hi: n }`). */
export interface NumberRange {
  readonly lo: number;
  readonly hi: number;
}

/** The values of a range list, all numbers or all strings (V.250 §5.7.3.1). */
export type RangeList =
  /**
   * Ascending and merged (overlapping or adjacent items joined): `(0-3,2,5-6,7)` →
   * `[{0,3},{5,7}]`. Ranges are kept as ranges, never expanded, so `(23-65535)` costs one entry;
   * ask {@link rangeListIncludes} whether a value is in the list.
   */
  | { readonly kind: 'numbers'; readonly ranges: readonly NumberRange[] }
  /** In the order listed, quotes removed. */
  | { readonly kind: 'strings'; readonly values: readonly string[] };

const QUOTE = '"';
const OPEN = '(';
const CLOSE = ')';
const COMMA = ',';
const DECIMAL = /^\d{1,9}$/;
const RANGE_ITEM = /^(\d{1,9})(?:\s*-\s*(\d{1,9}))?$/;

/**
 * Splits `line[start..end)` at commas that are outside quotes and parentheses.
 *
 * Grammar per field: blanks, then either a quoted string, a parenthesised group (which may nest
 * and contain quoted strings) or plain text without `"`, `(` or `)`, then blanks. An empty or
 * all-blank range yields no fields; `a,` yields `a` and an empty field.
 *
 * @param field - the name reported in errors (usually the prefix, e.g. `+CPMS`).
 * @throws DecodeError `GW_ERR_AT_PARSE` on an unbalanced quote or parenthesis, or on text after a
 *   closing quote or parenthesis; `offset` is the index in `line` of the offending character.
 */
export function splitInformationFields(
  line: string,
  start: number,
  field: string,
  end: number = line.length,
): InformationField[] {
  const fields: InformationField[] = [];
  let i = skipBlanks(line, start, end);
  if (i >= end) return fields;
  for (;;) {
    i = skipBlanks(line, i, end);
    const offset = i;
    const ch = line[i];
    let value: string;
    let quoted = false;
    let group = false;
    if (ch === QUOTE) {
      const close = line.indexOf(QUOTE, i + 1);
      if (close < 0 || close >= end) throw parseError(field, i, 'unbalanced quote');
      value = line.slice(i + 1, close);
      quoted = true;
      i = skipBlanks(line, close + 1, end);
    } else if (ch === OPEN) {
      const after = scanGroup(line, i, end, field);
      value = line.slice(i, after);
      group = true;
      i = skipBlanks(line, after, end);
    } else {
      let j = i;
      while (j < end && line[j] !== COMMA) {
        const c = line[j];
        if (c === QUOTE) throw parseError(field, j, 'quote inside an unquoted field');
        if (c === OPEN) throw parseError(field, j, '"(" inside an unquoted field');
        if (c === CLOSE) throw parseError(field, j, 'unbalanced ")"');
        j++;
      }
      value = line.slice(i, j).trim();
      i = j;
    }
    fields.push({ value, quoted, group, offset });
    if (i >= end) return fields;
    if (line[i] !== COMMA) {
      throw parseError(field, i, `expected "," but found ${describe(line, i)}`);
    }
    i++;
  }
}

/**
 * Fields of an information line (or result code) with the given prefix, quotes removed.
 *
 * `parseInformationLine('+CPMS: "SM",3,30,"SM",3,30', '+CPMS')` → `['SM','3','30','SM','3','30']`;
 * `parseInformationLine('+CPMS: ("SM","ME"),("SM","ME"),("SM")', '+CPMS')` →
 * `['("SM","ME")', '("SM","ME")', '("SM")']` (feed groups to {@link parseRangeList}).
 * Leading blanks before the prefix are ignored; the prefix must be followed by `:`.
 *
 * @returns the fields, `[]` for an empty value, or null when the line does not carry `prefix:`.
 * @throws DecodeError `GW_ERR_AT_PARSE` (field = `prefix`, offset = index in `line`) when the
 *   value is malformed, see {@link splitInformationFields}.
 */
export function parseInformationLine(line: string, prefix: string): string[] | null {
  return parseInformationFields(line, prefix)?.map((f) => f.value) ?? null;
}

/**
 * Like {@link parseInformationLine} but keeps, per field, whether it was quoted or a group and
 * where it starts, for parsers that must tell `"1"` from `1` or report exact offsets.
 *
 * @returns the fields, or null when the line does not carry `prefix:`.
 * @throws DecodeError `GW_ERR_AT_PARSE` as {@link parseInformationLine}.
 */
export function parseInformationFields(line: string, prefix: string): InformationField[] | null {
  const start = skipBlanks(line, 0, line.length);
  if (prefix === '' || !line.startsWith(prefix, start)) return null;
  const colon = start + prefix.length;
  if (line[colon] !== ':') return null;
  return splitInformationFields(line, colon + 1, prefix);
}

/**
 * Values of one range list from a test-command response (V.250 §5.7.3.1), with or without the
 * enclosing parentheses: `(0-3)` → ranges `[{lo:0,hi:3}]`; `(0,2)` → `[{0,0},{2,2}]`; `0-2` →
 * `[{0,2}]`; `(1,4-5,3)` → `[{1,1},{3,5}]`; `("SM","ME")` → strings `['SM','ME']`; `()` or `` → no
 * ranges. Time and memory are linear in the length of `text` (n log n for the sort of its items),
 * never in the size of a range: `(23-65535)` is one entry.
 *
 * @param field - the name reported in errors, e.g. `+CNMI`.
 * @throws DecodeError `GW_ERR_AT_PARSE` (offset = index in `text`) on unbalanced or nested
 *   parentheses, an item that is neither a number, a `lo-hi` range (lo ≤ hi) nor a quoted string,
 *   an empty item, or numbers mixed with strings.
 */
export function parseRangeList(text: string, field = 'range list'): RangeList {
  let start = skipBlanks(text, 0, text.length);
  let end = text.length;
  while (end > start && isBlank(text[end - 1])) end--;
  if (text[start] === OPEN) {
    const after = scanGroup(text, start, end, field);
    if (after !== end) throw parseError(field, after, 'text after the closing ")"');
    start++;
    end--;
  }
  const items = splitInformationFields(text, start, field, end);
  const ranges: NumberRange[] = [];
  const strings: string[] = [];
  for (const item of items) {
    if (item.group) throw parseError(field, item.offset, 'nested "(" in a range list');
    if (item.quoted) {
      if (ranges.length > 0) throw parseError(field, item.offset, 'string mixed with numbers');
      strings.push(item.value);
      continue;
    }
    if (strings.length > 0) throw parseError(field, item.offset, 'number mixed with strings');
    const match = RANGE_ITEM.exec(item.value);
    if (match === null) {
      throw parseError(field, item.offset, `not a number, range or quoted string: "${item.value}"`);
    }
    const lo = Number(match[1]);
    const hi = match[2] === undefined ? lo : Number(match[2]);
    if (hi < lo) throw parseError(field, item.offset, `range ${lo}-${hi} is descending`);
    ranges.push({ lo, hi });
  }
  if (strings.length > 0) return { kind: 'strings', values: strings };
  return { kind: 'numbers', ranges: mergeRanges(ranges) };
}

/** True when `value` is inside one of the ranges of a numeric range list (false for strings). */
export function rangeListIncludes(list: RangeList, value: number): boolean {
  if (list.kind !== 'numbers') return false;
  return list.ranges.some((r) => value >= r.lo && value <= r.hi);
}

/** Sorted by `lo`, overlapping or adjacent ranges joined. */
function mergeRanges(ranges: NumberRange[]): NumberRange[] {
  ranges.sort((a, b) => a.lo - b.lo);
  const merged: NumberRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r.lo <= last.hi + 1) {
      if (r.hi > last.hi) merged[merged.length - 1] = { lo: last.lo, hi: r.hi };
    } else {
      merged.push(r);
    }
  }
  return merged;
}

/**
 * The field at `index`, for parsers of mandatory parameters.
 * @param lineLength - reported as the offset when the field is missing (the value ended early).
 * @throws DecodeError `GW_ERR_AT_PARSE` when there is no such field.
 */
export function requireField(
  fields: readonly InformationField[],
  index: number,
  field: string,
  lineLength: number,
): InformationField {
  const found = fields[index];
  if (found === undefined) {
    throw parseError(field, lineLength, `parameter ${index + 1} is missing`);
  }
  return found;
}

/**
 * A decimal integer parameter (V.250 §5.4.2.1 numeric constant, at most 9 digits), quoted or not.
 * @param what - the parameter's name for the message, e.g. `<index>`.
 * @throws DecodeError `GW_ERR_AT_PARSE` at the field's offset when it is not such a number.
 */
export function fieldToInt(value: InformationField, field: string, what: string): number {
  if (!DECIMAL.test(value.value)) {
    throw parseError(field, value.offset, `${what} is not a number: "${value.value}"`);
  }
  return Number(value.value);
}

/** Index just after the `)` that closes the `(` at `open`; quotes inside are skipped whole. */
function scanGroup(text: string, open: number, end: number, field: string): number {
  let depth = 0;
  for (let j = open; j < end; j++) {
    const c = text[j];
    if (c === QUOTE) {
      const close = text.indexOf(QUOTE, j + 1);
      if (close < 0 || close >= end) throw parseError(field, j, 'unbalanced quote');
      j = close;
    } else if (c === OPEN) {
      depth++;
    } else if (c === CLOSE) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  throw parseError(field, open, 'unbalanced "("');
}

function skipBlanks(text: string, from: number, end: number): number {
  let i = from;
  while (i < end && isBlank(text[i])) i++;
  return i;
}

function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

function describe(text: string, i: number): string {
  return JSON.stringify(text[i] ?? '');
}

function parseError(field: string, offset: number, message: string): DecodeError {
  return new DecodeError('GW_ERR_AT_PARSE', field, offset, message);
}
