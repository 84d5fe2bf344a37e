/**
 * The condition under which a line of a function runs, read from the code: the `if` statements
 * around it (the else branch of one as its negation), or, for an error value stored first and
 * returned later (`ret = -ENOMEM; if (ok) ret = work();`), the `if` right after the store that
 * decides whether the value leaves. Shown to people as the condition of an error entry, so it is
 * text as written (comments dropped, whitespace collapsed), never a simplification. Null when the
 * code does not show one (the line runs unconditionally, or behind a loop or a switch the
 * reading does not follow). Pure; never throws on input.
 */
import type { Parser } from 'web-tree-sitter';
import { type CNode, copyTree, field, namedChildren } from './ast.js';
import { prepareC } from './preprocess.js';

/** Statements that end the path through an `if`'s consequence (the value leaves or the code jumps). */
const LEAVES = new Set(['return_statement', 'goto_statement', 'break_statement']);
/** Enclosing constructs whose own condition is not read: past one, the guard is not claimed. */
const OPAQUE = new Set([
  'switch_statement',
  'case_statement',
  'for_statement',
  'while_statement',
  'do_statement',
]);

function textOf(src: string, n: CNode): string {
  return src
    .slice(n.start, n.end)
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `(x)` as `x`, once: tree-sitter's condition is a parenthesized expression; `(a) || (b)` stays. */
function bare(s: string): string {
  if (!s.startsWith('(') || !s.endsWith(')')) return s;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0 && i < s.length - 1) return s;
  }
  return s.slice(1, -1).trim();
}

function negate(cond: string): string {
  return /^[\w.>-]+(?:\([^()]*\))?$/.test(cond) ? `!${cond}` : `!(${cond})`;
}

/** The innermost statement holding the offset `at`, with its ancestors, outermost first; null if none. */
function pathTo(root: CNode, at: number): CNode[] | null {
  const path: CNode[] = [root];
  let stmt = -1;
  for (let n: CNode | undefined = root; n; ) {
    n = n.children.find((c) => c.start <= at && c.end > at && c.type !== 'comment');
    if (!n) break;
    path.push(n);
    if (/statement$|^declaration$/.test(n.type)) stmt = path.length;
  }
  return stmt < 0 ? null : path.slice(0, stmt);
}

function isIf(n: CNode | undefined): n is CNode {
  return n?.type === 'if_statement';
}

/** The assigned name of `v = -EXXX;` (an expression statement), or null. */
function storedIn(src: string, stmt: CNode): string | null {
  if (stmt.type !== 'expression_statement') return null;
  const e = namedChildren(stmt)[0];
  if (e?.type !== 'assignment_expression') return null;
  const left = field(e, 'left');
  return left?.type === 'identifier' ? src.slice(left.start, left.end) : null;
}

/** What the `if` right after a store says about the stored value leaving, or null. */
function afterStore(src: string, stmt: CNode, parent: CNode): string | null {
  const name = storedIn(src, stmt);
  if (!name) return null;
  const siblings = namedChildren(parent);
  const next = siblings[siblings.indexOf(stmt) + 1];
  if (!isIf(next) || field(next, 'alternative')) return null;
  const cond = field(next, 'condition');
  let body = field(next, 'consequence');
  if (!cond || !body) return null;
  if (body.type === 'compound_statement') {
    const inner = namedChildren(body);
    if (inner.length !== 1) return null;
    body = inner[0] as CNode;
  }
  const c = bare(textOf(src, cond));
  // `if (c) goto out;` / `if (c) return ret;`: the stored value leaves when c holds
  if (LEAVES.has(body.type)) {
    if (body.type !== 'return_statement') return c;
    const value = namedChildren(body)[0];
    return value && src.slice(value.start, value.end).trim() === name ? c : null;
  }
  // `if (c) ret = other;`: it is overwritten when c holds, so it leaves when c does not
  return storedIn(src, body) === name ? negate(c) : null;
}

/** The guard of the statement on `row` (0-based) given its path from the root. */
function guardOf(src: string, path: CNode[]): string | null {
  const conds: string[] = [];
  const stmt = path[path.length - 1] as CNode;
  let parent = path[path.length - 2];
  if (parent && (parent.type === 'compound_statement' || parent.type === 'translation_unit')) {
    const after = afterStore(src, stmt, parent);
    if (after) conds.push(after);
  }
  for (let i = path.length - 2; i >= 0; i--) {
    const n = path[i] as CNode;
    if (n.type === 'function_definition') break;
    if (OPAQUE.has(n.type)) return null;
    const child = path[i + 1] as CNode;
    if (n.type === 'else_clause') {
      parent = path[i - 1];
      const cond = isIf(parent) ? field(parent, 'condition') : undefined;
      if (!cond) return null;
      conds.unshift(negate(bare(textOf(src, cond))));
      i--;
      continue;
    }
    if (isIf(n)) {
      const cond = field(n, 'condition');
      if (!cond || child === cond) return null;
      if (child.field === 'consequence') conds.unshift(bare(textOf(src, cond)));
    }
  }
  if (conds.length === 0) return null;
  return conds.map((c) => (conds.length > 1 && /\|\||\?/.test(c) ? `(${c})` : c)).join(' && ');
}

/** Where the guard of an error value is asked: its line (1-based) and the name as written there. */
export interface GuardQuery {
  line: number;
  written: string;
}

/**
 * The guard of each query, by its line: the condition under which the statement writing the
 * errno runs (or its stored value leaves), or null when the code shows none or the errno is not
 * on that line.
 */
export function guardsAt(
  parser: Parser,
  text: string,
  queries: readonly GuardQuery[],
): Map<number, string | null> {
  const out = new Map<number, string | null>();
  try {
    const prep = prepareC(text);
    const tree = parser.parse(prep.text);
    if (!tree) return out;
    let root: CNode;
    try {
      root = copyTree(tree, prep.text);
    } finally {
      tree.delete();
    }
    const starts = [0];
    for (let i = prep.text.indexOf('\n'); i >= 0; i = prep.text.indexOf('\n', i + 1)) starts.push(i + 1);
    for (const q of queries) {
      const from = starts[q.line - 1];
      if (from === undefined) continue;
      const to = starts[q.line] ?? prep.text.length;
      const m = new RegExp(`\\b${q.written.replace(/[^\w]/g, '')}\\b`).exec(prep.text.slice(from, to));
      const path = m ? pathTo(root, from + m.index) : null;
      out.set(q.line, path ? guardOf(prep.text, path) : null);
    }
  } catch {
    // a bug here must not stop a draft: what was not read has no guard
  }
  return out;
}
