/**
 * Less text for tree-sitter: the error set of a syscall needs the syscall's own definition and
 * the definitions it can reach, not the rest of its file. `planReach` finds a file's top-level
 * blocks lexically; `compactFor` cuts, for one root, the text of just the blocks it may reach,
 * with a map from its lines to the file's lines. A file of a hundred functions whose one syscall
 * carries a spec then costs the parse of a few of them, and a later revision of the file that
 * only adds comments between functions (a spec) cuts the same text again (a memo hit).
 *
 * Lexical and conservative:
 * - the braces of the file must balance (comments, strings and preprocessor lines aside), and no
 *   block's lines may open or close a preprocessor conditional they do not also close or open;
 *   else there is no plan and the caller parses the whole file;
 * - a block is a plain function when its header (from the previous top-level `;` or `}`) ends in
 *   `)`, holds no `=`, and every `(` at its own level follows an identifier: those identifiers
 *   are the names it may go by (`foo` in `int foo(void) __attribute__((cold))`, annotations aside;
 *   `SYSCALL_DEFINE2(mlock, ...)` goes by `sys_mlock`, as prepareC names it);
 * - from a root, a plain function is reached when one of its names is the root or is spelled
 *   anywhere in the lines of a reached block; a block that is neither a plain function nor plainly
 *   data (an initialiser after `=`, a struct, union or enum body) is always reached.
 * reach.ts follows the identifiers of bodies, a subset of what is spelled in their lines, so the
 * analysis of a root in its compact text reads the same definitions as in the whole file.
 */
import { lineStarts, rowAt } from '../text/lines.js';
import { isAnnotationCall, maskDirectives, maskNonCode } from './preprocess.js';

export interface Block {
  /** Index of the `{` and of its `}` in the text. */
  open: number;
  close: number;
  /** Index of the header's first character that is code (after comments and directives). */
  head: number;
  /** 0-based rows of `head` and `close`. */
  firstRow: number;
  lastRow: number;
  /** The names a function may go by; null for a block that is not a plain function. */
  names: string[] | null;
  data: boolean;
}

export interface ReachPlan {
  text: string;
  byName: Map<string, Block[]>;
  /** The blocks every root reaches: neither plain functions nor plainly data. */
  always: Block[];
  /** What each block's lines spell, filled when first needed. */
  spelled: Map<Block, string[]>;
  code: string;
  /** Where each line of `text` starts. */
  starts: number[];
}

export interface Compact {
  text: string;
  /** 1-based line of the file for each line of `text` (index 0: its line 1). */
  lines: number[];
  /** `text` is these, joined by newlines: each a run of whole rows holding kept blocks. */
  parts: string[];
}

const IDENT = /[A-Za-z_$][\w$]*/y;
const IDENT_G = /[A-Za-z_$][\w$]*/g;
const CONDITIONAL = /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\b/gm;

/**
 * The top-level blocks of a C text (as written, or prepared), or null when cutting it would not be
 * safe. `masked`: the text with comments and literals as spaces, when the caller has it.
 */
export function planReach(text: string, masked: string = maskNonCode(text)): ReachPlan | null {
  const code = maskDirectives(masked);
  const starts = lineStarts(text);
  const blocks = topLevelBlocks(code, starts);
  if (blocks === null || !conditionalsNest(masked, blocks, starts)) return null;
  const byName = new Map<string, Block[]>();
  for (const b of blocks)
    for (const n of b.names ?? []) {
      const list = byName.get(n);
      if (list) list.push(b);
      else byName.set(n, [b]);
    }
  const always = blocks.filter((b) => b.names === null && !b.data);
  return { text, byName, always, spelled: new Map(), code, starts };
}

/** The lines of the blocks `root` may reach, in file order; null when it names no block. */
export function compactFor(plan: ReachPlan, root: string): Compact | null {
  if (!plan.byName.has(root)) return null;
  const kept = new Set<Block>();
  const seen = new Set<string>();
  const todo: Block[] = [];
  const keep = (b: Block): void => {
    if (!kept.has(b)) {
      kept.add(b);
      todo.push(b);
    }
  };
  const spell = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const b of plan.byName.get(name) ?? []) keep(b);
  };
  for (const b of plan.always) keep(b);
  spell(root);
  for (let b = todo.pop(); b; b = todo.pop()) for (const id of spelledIn(plan, b)) spell(id);

  // each kept block's rows, the first row from the header on and the last up to its `}`;
  // blocks that share a row are one range
  const ranges: { from: number; to: number; fromRow: number; toRow: number }[] = [];
  // in file order, from the kept blocks alone (a file of 16,000 syscalls has 16,000 roots)
  for (const b of [...kept].sort((x, y) => x.open - y.open)) {
    const last = ranges[ranges.length - 1];
    if (last && b.firstRow <= last.toRow) {
      last.to = b.close + 1;
      last.toRow = b.lastRow;
    } else ranges.push({ from: b.head, to: b.close + 1, fromRow: b.firstRow, toRow: b.lastRow });
  }
  const parts: string[] = [];
  const lines: number[] = [];
  const { text, starts } = plan;
  for (const r of ranges) {
    const rowStart = starts[r.fromRow] as number;
    const next = starts[r.toRow + 1];
    const rowEnd = next === undefined ? text.length : next - 1;
    parts.push(' '.repeat(r.from - rowStart) + text.slice(r.from, r.to) + ' '.repeat(rowEnd - r.to));
    for (let row = r.fromRow; row <= r.toRow; row++) lines.push(row + 1);
  }
  return { text: parts.join('\n'), lines, parts };
}

function spelledIn(plan: ReachPlan, b: Block): string[] {
  let ids = plan.spelled.get(b);
  if (!ids) {
    const from = plan.starts[b.firstRow] as number;
    const next = plan.starts[b.lastRow + 1];
    ids = [...new Set(plan.code.slice(from, next === undefined ? undefined : next).match(IDENT_G) ?? [])];
    plan.spelled.set(b, ids);
  }
  return ids;
}

const NON_SPACE = /\S/g;

/** The file's top-level `{...}` blocks, or null when its braces do not balance. */
export function topLevelBlocks(code: string, starts: readonly number[]): Block[] | null {
  const blocks: Block[] = [];
  let depth = 0;
  let parens = 0;
  let head = 0;
  let open = -1;
  let inParens = false;
  // every character that matters is found by indexOf, each kind scanned once over the text (a
  // kind's next place is looked up again only once the scan has passed it): braces everywhere,
  // ( ) and ; between top-level blocks. Most of a file is function bodies and, masked, comments.
  let nextOpen = code.indexOf('{');
  let nextClose = code.indexOf('}');
  let nextLeft = code.indexOf('(');
  let nextRight = code.indexOf(')');
  let nextSemi = code.indexOf(';');
  for (let i = 0; ; ) {
    if (nextOpen !== -1 && nextOpen < i) nextOpen = code.indexOf('{', i);
    if (nextClose !== -1 && nextClose < i) nextClose = code.indexOf('}', i);
    const brace = nextOpen === -1 ? nextClose : nextClose === -1 ? nextOpen : Math.min(nextOpen, nextClose);
    if (depth === 0) {
      const end = brace === -1 ? code.length : brace;
      for (let k = i; ; ) {
        if (nextLeft !== -1 && nextLeft < k) nextLeft = code.indexOf('(', k);
        if (nextRight !== -1 && nextRight < k) nextRight = code.indexOf(')', k);
        if (nextSemi !== -1 && nextSemi < k) nextSemi = code.indexOf(';', k);
        let at = end;
        if (nextLeft !== -1 && nextLeft < at) at = nextLeft;
        if (nextRight !== -1 && nextRight < at) at = nextRight;
        if (nextSemi !== -1 && nextSemi < at) at = nextSemi;
        if (at === end) break;
        if (at === nextLeft) parens++;
        else if (at === nextRight) parens = Math.max(0, parens - 1);
        else if (parens === 0) head = at + 1;
        k = at + 1;
      }
    }
    if (brace === -1) break;
    if (brace === nextOpen) {
      if (depth === 0) {
        open = brace;
        inParens = parens > 0;
      }
      depth++;
    } else {
      depth--;
      if (depth < 0) return null;
      if (depth === 0) {
        const header = code.slice(head, open);
        // the first character that is not white space (`{` at the latest)
        NON_SPACE.lastIndex = head;
        const first = Math.min(NON_SPACE.exec(code)?.index ?? open, open);
        blocks.push({
          open,
          close: brace,
          head: first,
          firstRow: rowAt(starts, first),
          lastRow: rowAt(starts, brace),
          names: inParens ? null : namesOf(header),
          data: isData(header),
        });
        if (parens === 0) head = brace + 1;
      }
    }
    i = brace + 1;
  }
  return depth === 0 && parens === 0 ? blocks : null;
}

/** Whether the conditionals within each block's rows open and close there. */
function conditionalsNest(masked: string, blocks: readonly Block[], starts: readonly number[]): boolean {
  const rows: { row: number; kind: string }[] = [];
  for (const m of masked.matchAll(CONDITIONAL))
    rows.push({ row: rowAt(starts, m.index), kind: m[1] as string });
  if (rows.length === 0) return true;
  let k = 0;
  for (const b of blocks) {
    while (k < rows.length && (rows[k] as { row: number }).row < b.firstRow) k++;
    let depth = 0;
    for (let j = k; j < rows.length && (rows[j] as { row: number }).row <= b.lastRow; j++) {
      const kind = (rows[j] as { kind: string }).kind;
      if (kind.startsWith('if')) depth++;
      else if (depth === 0) return false;
      else if (kind === 'endif') depth--;
    }
    if (depth !== 0) return false;
  }
  return true;
}

/** An initialiser or a struct, union or enum body: what reach never walks. */
export function isData(header: string): boolean {
  return header.includes('=') || /\b(?:struct|union|enum)\s*(?:[A-Za-z_$][\w$]*\s*)?$/.test(header);
}

/** The names a function with this header may go by, or null when it is not a plain one. */
export function namesOf(header: string): string[] | null {
  const h = header.trimEnd();
  if (!h.endsWith(')') || h.includes('=')) return null;
  const names: string[] = [];
  let depth = 0;
  for (let i = 0; i < h.length; i++) {
    const c = h[i];
    if (c === '(') {
      if (depth === 0) {
        let j = i - 1;
        while (j >= 0 && /\s/.test(h[j] as string)) j--;
        let k = j;
        while (k >= 0 && /[\w$]/.test(h[k] as string)) k--;
        IDENT.lastIndex = k + 1;
        const m = IDENT.exec(h);
        if (!m || m.index + m[0].length !== j + 1) return null;
        // SYSCALL_DEFINE2(mlock, ...) goes by sys_mlock, as prepareC names it; an annotation is no
        // name (were every syscall or every `__must_hold(x)` function one name, reaching one of
        // them would reach them all: each spells its own header)
        const sc = /^(COMPAT_)?SYSCALL_DEFINE\d$/.exec(m[0]);
        const arg = sc ? /^\(\s*([A-Za-z_$][\w$]*)/.exec(h.slice(i)) : null;
        if (sc && arg) names.push(`${sc[1] ? 'compat_' : ''}sys_${arg[1]}`);
        else if (!sc && !isAnnotationCall(m[0])) names.push(m[0]);
      }
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth < 0) return null;
    }
  }
  return depth === 0 && names.length > 0 ? names : null;
}
