/**
 * Macro-form specs one spec at a time: each `DEFINE_*_SPEC(` ... `KAPI_END_SPEC` window of a C
 * text is parsed on its own and kept in a memo by its text, so the next post-image of a file that
 * a patch gave one more spec parses only that spec, not the file's 3,000 lines of C around the
 * others. What the windows give is what parseMacroSpecs gives the whole text:
 *
 * - the tokenizer reads C the same from the start of any line that begins in code: windows start
 *   at the line of an opener that is the first thing on its line, outside comments, literals and
 *   preprocessor lines, in a text with no backslash-newline outside preprocessor lines;
 * - a spec never reads past KAPI_END_SPEC (its argument lists stop there too), so a window ends
 *   with the line of the first KAPI_END_SPEC after its opener, and the code between windows holds
 *   no opener, which is all the whole-text parse looks for there;
 * - each window must give one spec ending on that KAPI_END_SPEC line, and its last line must end
 *   in code (not inside a comment its KAPI_END_SPEC line opens).
 *
 * Any other text (a spec without KAPI_END_SPEC before the next one, the generated form that ends
 * in `};`, an opener after other code on its line) is parsed whole, as before.
 */

import { inCode } from '../c/preprocess.js';
import { lineStarts, rowAt } from '../text/lines.js';
import type { Issue, Parsed } from '../types.js';
import { OPENERS, parseMacroSpecs } from './macro.js';
import type { ApiSpec } from './model.js';

/**
 * Memoises the parse of one window: `text` is the window, lines counted from 1. What it returns
 * is only read (the results are copied as they are moved to the text's lines), so a memo may
 * hand out the same objects again.
 */
export type WindowMemo = (text: string, make: () => Parsed<ApiSpec[]>) => Parsed<ApiSpec[]>;

const OPENER = new RegExp(`(?<![\\w$])(?:${Object.keys(OPENERS).join('|')})(?![\\w$])`, 'g');
const END = /(?<![\w$])KAPI_END_SPEC(?![\w$])/g;

/** parseMacroSpecs(text, path), each spec's window through `memo`. */
export function parseMacroSpecsByWindow(text: string, path: string, memo: WindowMemo): Parsed<ApiSpec[]> {
  const windows = windowsOf(text);
  if (windows === null) return parseMacroSpecs(text, path);
  const value: ApiSpec[] = [];
  const issues: Issue[] = [];
  for (const w of windows) {
    const body = text.slice(w.from, w.to);
    const got = memo(body, () => parseMacroSpecs(body, path));
    const spec = got.value[0];
    // it must have ended at that KAPI_END_SPEC, not run out of text on the same line (an
    // argument list or a `{` the parser reads through it)
    if (
      got.value.length !== 1 ||
      !spec ||
      spec.endLine !== w.endRow - w.row + 1 ||
      got.issues.some((i) => i.code === 'kapi-macro-unterminated')
    )
      return parseMacroSpecs(text, path);
    for (const s of got.value) value.push(shifted(s, w.row));
    for (const i of got.issues) issues.push(shifted(i, w.row));
  }
  return { value, issues };
}

interface Window {
  from: number;
  to: number;
  /** 0-based rows of the opener and of the KAPI_END_SPEC. */
  row: number;
  endRow: number;
}

/** The windows of a text, or null when it must be parsed whole. */
function windowsOf(text: string): Window[] | null {
  if (!text.includes('KAPI_END_SPEC')) return null;
  // a backslash-newline outside a directive (a `//` comment or a literal that goes on) is read
  // differently by the mask and by the tokenizer
  for (const m of text.matchAll(/\\\r?\n/g)) if (!inDirective(text, m.index)) return null;
  // what a comment, a literal or a preprocessor line spells is no opener or end (few matches:
  // each asked on its own, without masking the whole text)
  const code = (list: number[]): number[] => {
    const ok = inCode(text, list);
    return list.filter((i, k) => ok[k] && !inDirective(text, i));
  };
  const openers = code([...text.matchAll(OPENER)].map((m) => m.index));
  if (openers.length === 0) return null;
  // an opener the tokenizer may read with a comment before its `(`: read whole
  for (const at of openers) if (!/^[A-Z_]+\s*\(/y.test(text.slice(at, at + 200))) return null;
  const ends = code([...text.matchAll(END)].map((m) => m.index));
  const starts = lineStarts(text);
  const rowOf = (at: number): number => rowAt(starts, at);
  const out: Window[] = [];
  let e = 0;
  for (const [k, at] of openers.entries()) {
    const row = rowOf(at);
    const from = starts[row] as number;
    if (text.slice(from, at).trim() !== '') return null;
    while (e < ends.length && (ends[e] as number) < at) e++;
    const end = ends[e];
    const next = openers[k + 1];
    if (end === undefined) return null;
    const endRow = rowOf(end);
    if (next !== undefined && rowOf(next) <= endRow) return null;
    const after = starts[endRow + 1];
    out.push({ from, to: after === undefined ? text.length : after - 1, row, endRow });
  }
  // a window must end in code: a comment opened after KAPI_END_SPEC on its line and closed
  // further down is unclosed in the window alone
  const cuts = out.map((w) => w.to).filter((to) => to < text.length);
  if (inCode(text, cuts).includes(false)) return null;
  return out;
}

/** Whether the line of `at` is (the continuation of) a preprocessor line. */
function inDirective(text: string, at: number): boolean {
  let from = text.lastIndexOf('\n', at - 1) + 1;
  while (from >= 2 && (text[from - 2] === '\\' || (text[from - 2] === '\r' && text[from - 3] === '\\')))
    from = text.lastIndexOf('\n', from - 2) + 1;
  return /^[ \t]*#/.test(text.slice(from, from + 100));
}

/** A fresh copy of a parser result (plain data) moved down `by` lines. */
function shifted<T>(value: T, by: number): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((x) => shifted(x, by)) as T;
  const out: Record<string, unknown> = {};
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    out[k] = (k === 'line' || k === 'endLine') && typeof v === 'number' ? v + by : shifted(v, by);
  }
  return out as T;
}
