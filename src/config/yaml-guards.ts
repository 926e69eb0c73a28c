/**
 * Checks on configuration text before and after yaml parses it, so that no input can exhaust
 * the stack or loop: yaml's parser and TypeBox's value functions recurse once per nesting level,
 * and an alias inside its own anchor (`a: &x [*x]`) builds a cyclic value.
 *
 * A configuration nests four levels deep; the limits below leave ample room.
 */
import { isAlias, isNode, visit, type Document, type LineCounter, type Node } from 'yaml';
import type { LocatedProblem } from './config-problems.ts';

/** Most unclosed `[` / `{` at any point (outside comments). */
export const MAX_FLOW_DEPTH = 32;
/** Most aliases (`*name`) in one file. */
export const MAX_ALIASES = 100;
/** Widest indentation, counting block indicators (`- `, `? `) at the start of a line. */
export const MAX_INDENT_COLUMNS = 128;

/**
 * The first place where `text` nests deeper than the limits, or null. Linear; deliberately
 * coarse (brackets inside quoted strings count too), as real configuration files are far below.
 */
export function nestingProblem(text: string): LocatedProblem | null {
  let line = 1;
  let lineStart = 0;
  let atIndent = true;
  let inComment = false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      lineStart = i + 1;
      atIndent = true;
      inComment = false;
      continue;
    }
    if (inComment) continue;
    if (atIndent) {
      // space, tab, '-', '?'
      if (c === 0x20 || c === 0x09 || c === 0x2d || c === 0x3f) {
        if (i - lineStart + 1 > MAX_INDENT_COLUMNS) return problem(line, i - lineStart + 1, `is indented more than ${MAX_INDENT_COLUMNS} columns`);
        continue;
      }
      atIndent = false;
    }
    const previous = i === lineStart ? 0x20 : text.charCodeAt(i - 1);
    if (c === 0x23 && (previous === 0x20 || previous === 0x09)) inComment = true; // '#' after white space: a comment
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > MAX_FLOW_DEPTH) return problem(line, i - lineStart + 1, `opens more than ${MAX_FLOW_DEPTH} nested [ or {`);
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return null;
}

/**
 * Aliases that point into their own anchor's node (a cycle), and aliases beyond the
 * {@link MAX_ALIASES}th, located; empty when none. (yaml resolves each alias by scanning the
 * anchors before it, so a file of many aliases would cost quadratic time.)
 */
export function aliasProblems(document: Document, lines: LineCounter): LocatedProblem[] {
  const anchors = new Map<string, Node>();
  const problems: LocatedProblem[] = [];
  let aliases = 0;
  const at = (offset: number, problem: string, expected: string): void => {
    const { line, col } = lines.linePos(offset);
    problems.push({ key: '(yaml)', line, column: col, problem, expected });
  };
  visit(document, (_, node) => {
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      if (++aliases === MAX_ALIASES + 1) {
        at(offset, `is alias number ${MAX_ALIASES + 1}`, `at most ${MAX_ALIASES} aliases (*name) in a file`);
        return visit.BREAK;
      }
      const target = anchors.get(node.source);
      if (target?.range && offset >= target.range[0] && offset < target.range[2]) {
        at(offset, `refers to its own anchor &${node.source.slice(0, 64)} (a cycle)`, 'aliases to nodes that do not contain them');
      }
    } else if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
    return undefined;
  });
  return problems;
}

function problem(line: number, column: number, what: string): LocatedProblem {
  return { key: '(yaml)', line, column, problem: what, expected: `at most ${MAX_FLOW_DEPTH} levels of [ ] or { } and ${MAX_INDENT_COLUMNS} columns of indentation` };
}
