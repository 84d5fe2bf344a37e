import { countNewlines } from '../text/lines.js';
import { type Issue, issue } from '../types.js';

/**
 * Line-preserving source rewrites that let tree-sitter-c see ordinary C where the kernel uses
 * macros it cannot parse. Every rewrite keeps each original newline, in order, so line numbers in
 * the rewritten text are line numbers in the input. Columns may move; evidence text is always taken
 * from the input's own lines.
 *
 * Structural rewrites (they change lengths, never line counts):
 *  - `SYSCALL_DEFINEn(name, type, arg, ...)` and `COMPAT_SYSCALL_DEFINEn` become
 *    `long sys_name(type arg, ...)` / `long compat_sys_name(...)`; `#if`-chosen alternative headers
 *    in front of one body (kernel/fork.c's clone) keep one header.
 *  - Statement-position loop macros (`for_each_vma(vmi, vma) {`, `list_for_each_entry(...)`,
 *    `scoped_guard(...)`) become `for (;macro(...);)`; `do { } for_each_x(...);` and
 *    `do_each_thread(g, t) { } while_each_thread(g, t);` become do/while loops;
 *    `scoped_cond_guard(type, fail, args)` keeps its failure statement.
 *  - `DECLARE_BITMAP(name, bits)` becomes `unsigned long name[bits]`.
 * Same-length rewrites:
 *  - annotations tree-sitter mistakes for types (`__user`, `__must_check`, `__acquires(x)`, ...)
 *    are blanked;
 *  - type arguments of macros (`container_of(p, struct foo, m)`, `min_t(unsigned long, a, b)`)
 *    become identifiers (`struct_foo`);
 *  - `static` before `DEFINE_*(`/`DECLARE_*(` inside a body and the `...` of GNU case ranges.
 */
export interface SyscallMacro {
  name: string;
  fnName: string;
  arity: number;
  params: { type: string; name: string }[];
  /** 1-based line of the macro name. */
  line: number;
  macroText: string;
  compat: boolean;
}

export interface Prepared {
  text: string;
  syscalls: SyscallMacro[];
  issues: Issue[];
  /** The text ends inside a comment (closed by `text`'s last two characters). */
  openComment: boolean;
}

type Edit = [from: number, to: number, replacement: string];

const NON_CODE = /\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?/g;

/** Replaces comments, string and character literals with spaces, keeping newlines and length. */
export function maskNonCode(text: string): string {
  return masked(text).code;
}

/**
 * Whether each of the ascending `positions` of `text` is code, as maskNonCode sees it (not in a
 * comment, a string or a character literal), without building the masked text.
 */
export function inCode(text: string, positions: readonly number[]): boolean[] {
  const out = positions.map(() => true);
  if (positions.length === 0) return out;
  const last = positions[positions.length - 1] as number;
  const re = new RegExp(NON_CODE.source, 'g');
  let k = 0;
  for (let m = re.exec(text); m !== null && m.index <= last; m = re.exec(text)) {
    const end = m.index + m[0].length;
    while (k < positions.length && (positions[k] as number) < m.index) k++;
    for (let j = k; j < positions.length && (positions[j] as number) < end; j++) out[j] = false;
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/** maskNonCode, and whether the text ends inside a block comment that is never closed. */
function masked(text: string): { code: string; openComment: boolean } {
  let openComment = false;
  const code = text.replace(NON_CODE, (m) => {
    // an unclosed comment runs to the end of the text: it is the last match
    openComment = m.startsWith('/*') && (m.length < 4 || !m.endsWith('*/'));
    return blankOf(m);
  });
  return { code, openComment };
}

/** Preprocessor lines (with their continuations) of a masked text as spaces, newlines kept. */
export function maskDirectives(code: string): string {
  return code.replace(/^[ \t]*#(?:[^\n\\]|\\[\s\S])*/gm, blankOf);
}

/** Index of the `)` matching the `(` at `open` in masked text, or -1. */
function matchParen(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    } else if ((c === ';' || c === '{' || c === '}') && depth <= 1) {
      // a statement or block boundary inside a macro's argument list: the list is unterminated
      return -1;
    }
  }
  return -1;
}

/** Splits the text between parentheses at top-level commas, as [start, end) ranges. */
function splitArgs(code: string, from: number, to: number): Array<[number, number]> {
  const parts: Array<[number, number]> = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    const c = code[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push([start, i]);
      start = i + 1;
    }
  }
  parts.push([start, to]);
  return parts;
}

function newlinesIn(s: string): string {
  return s.replace(/[^\n]/g, '');
}

/** Spaces for every character but newlines (most comments and literals are one line). */
function blankOf(s: string): string {
  if (!s.includes('\n')) return ' '.repeat(s.length);
  // line by line: a regex replacing each character took five times as long on kerneldoc blocks
  const lines = s.split('\n');
  for (let i = 0; i < lines.length; i++) lines[i] = ' '.repeat((lines[i] as string).length);
  return lines.join('\n');
}

function squash(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function skipSpace(code: string, from: number): number {
  let i = from;
  while (i < code.length && /\s/.test(code[i] as string)) i++;
  return i;
}

/** Index of the last non-space character before `index`, or -1. */
function prevCode(code: string, index: number): number {
  let i = index - 1;
  while (i >= 0 && /\s/.test(code[i] as string)) i--;
  return i;
}

function lineEnd(code: string, from: number): number {
  const i = code.indexOf('\n', from);
  return i < 0 ? code.length : i;
}

/** Applies non-overlapping edits (an edit overlapping an earlier one is dropped). */
function applyEdits(text: string, edits: Edit[]): string {
  if (edits.length === 0) return text;
  const sorted = [...edits].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = '';
  let last = 0;
  for (const [from, to, rep] of sorted) {
    if (from < last) continue;
    out += text.slice(last, from) + rep;
    last = to;
  }
  return out + text.slice(last);
}

// ---- SYSCALL_DEFINE ----------------------------------------------------------------------------

const SYSCALL_RE = /^[ \t]*((?:COMPAT_)?SYSCALL_DEFINE(\d))[ \t]*\(/gm;
const GROUP_START = /^[ \t]*#[ \t]*(?:if|ifdef|ifndef)\b[^\n]*/gm;

/**
 * Alternative SYSCALL_DEFINE headers chosen by the preprocessor in front of one body, as in
 * kernel/fork.c's clone: `#ifdef A  SYSCALL_DEFINE5(clone, …)  #elif B  SYSCALL_DEFINE5(…)  #else
 * SYSCALL_DEFINE5(…)  #endif  {`. One header is kept (the `#else` one, else the first); the others
 * and the directives are blanked, so the body parses as one function.
 */
function headerGroups(code: string): { blank: Edit[]; drop: Set<number> } {
  const blank: Edit[] = [];
  const drop = new Set<number>();
  if (!code.includes('#')) return { blank, drop };
  for (const m of code.matchAll(GROUP_START)) {
    const directives: Array<[number, number]> = [[m.index, m.index + m[0].length]];
    const variants: Array<{ start: number; kind: string }> = [];
    let kind = 'if';
    let pos = m.index + m[0].length;
    let ok = false;
    for (let guard = 0; guard < 32; guard++) {
      pos = skipSpace(code, pos);
      const head = /^(?:COMPAT_)?SYSCALL_DEFINE\d[ \t]*\(/.exec(code.slice(pos, pos + 40));
      if (!head) break;
      const close = matchParen(code, pos + head[0].length - 1);
      if (close < 0) break;
      variants.push({ start: pos, kind });
      pos = skipSpace(code, close + 1);
      const d = /^#[ \t]*(elif|else|endif)\b/.exec(code.slice(pos, pos + 20));
      if (!d) break;
      const end = lineEnd(code, pos);
      directives.push([pos, end]);
      pos = end;
      if (d[1] === 'endif') {
        ok = code[skipSpace(code, pos)] === '{';
        break;
      }
      kind = d[1] as string;
    }
    if (!ok || variants.length < 2) continue;
    const keep = variants.find((v) => v.kind === 'else') ?? (variants[0] as { start: number });
    for (const v of variants) if (v !== keep) drop.add(v.start);
    for (const [from, to] of directives) blank.push([from, to, blankOf(code.slice(from, to))]);
  }
  return { blank, drop };
}

/** `compat_arg_u64_dual(x)` stands for two type/name pairs (the two 32-bit halves). */
function expandArgs(parts: string[]): string[] {
  return parts.flatMap((p) => {
    const m = /^compat_arg_u64_dual\s*\(\s*(\w+)\s*\)$/.exec(p);
    return m ? ['u32', `${m[1]}_lo`, 'u32', `${m[1]}_hi`] : [p];
  });
}

function syscallMacros(
  text: string,
  code: string,
  issues: Issue[],
): { syscalls: SyscallMacro[]; structural: Edit[]; blank: Edit[] } {
  const syscalls: SyscallMacro[] = [];
  const structural: Edit[] = [];
  if (!code.includes('SYSCALL_DEFINE')) return { syscalls, structural, blank: [] };
  const groups = headerGroups(code);
  let line = 1;
  let lineFrom = 0;
  for (const m of code.matchAll(SYSCALL_RE)) {
    const macro = m[1] as string;
    const nameStart = m.index + m[0].indexOf(macro);
    const open = m.index + m[0].length - 1;
    const close = matchParen(code, open);
    line += countNewlines(text, lineFrom, nameStart);
    lineFrom = nameStart;
    if (close < 0) {
      issues.push(
        issue('c-syscall-define-unterminated', 'warning', `${macro}( has no closing parenthesis`, line),
      );
      continue;
    }
    const arity = Number(m[2]);
    const compat = macro.startsWith('COMPAT_');
    const parts = expandArgs(splitArgs(code, open + 1, close).map(([a, b]) => squash(code.slice(a, b))));
    const name = parts[0] ?? '';
    const params: { type: string; name: string }[] = [];
    for (let k = 1; k + 1 < parts.length; k += 2) {
      params.push({ type: parts[k] as string, name: parts[k + 1] as string });
    }
    if (!/^\w+$/.test(name) || parts.length !== 1 + 2 * arity) {
      issues.push(
        issue(
          'c-syscall-define-args',
          'warning',
          `${macro}(${name}, ...) has ${Math.max(parts.length - 1, 0)} type/name arguments, expected ${2 * arity}`,
          line,
        ),
      );
    }
    const fnName = `${compat ? 'compat_sys_' : 'sys_'}${name}`;
    const macroText = text.slice(nameStart, close + 1);
    syscalls.push({ name, fnName, arity, params, line, macroText, compat });
    if (!/^\w+$/.test(name)) continue;
    const decl =
      params.length > 0
        ? params.map((p) => blankAnnotations(`${p.type} ${p.name}`).replace(/\s+/g, ' ')).join(', ')
        : 'void';
    const replacement = groups.drop.has(nameStart) ? '' : `long ${fnName}(${decl})`;
    structural.push([nameStart, close + 1, replacement + newlinesIn(macroText)]);
  }
  return { syscalls, structural, blank: groups.blank };
}

// ---- loop macros -------------------------------------------------------------------------------

const LOOP_MACRO = /(?:^|\})[ \t]*([A-Za-z_]\w*)[ \t]*\(/gm;
const LOOP_HINT = /for_|foreach|FOREACH|scoped_|_each_/;

function isLoopMacro(name: string): boolean {
  return (
    /for_each|foreach|FOREACH|^for_[a-z]/.test(name) ||
    /^scoped_(?:cond_)?guard$/.test(name) ||
    /^(?:do|while)_each_/.test(name)
  );
}

/** Whether the masked text before `index` ends a statement (so a statement may start here). */
function atStatementStart(code: string, index: number): boolean {
  const i = prevCode(code, index);
  if (i < 0) return false;
  const c = code[i] as string;
  if (';{}:)'.includes(c)) return true;
  return /(?:^|[^\w])(?:else|do)$/.test(code.slice(Math.max(0, i - 5), i + 1));
}

/** Whether the `}` at `close` ends the body of a `do { ... }`. */
function closesDoBody(code: string, close: number): boolean {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    const c = code[i];
    if (c === '}') depth++;
    else if (c === '{') {
      depth--;
      if (depth === 0) {
        const p = prevCode(code, i);
        return p >= 1 && code.slice(p - 1, p + 1) === 'do' && !/\w/.test(code[p - 2] ?? ' ');
      }
    }
  }
  return false;
}

function loopMacros(text: string, code: string): Edit[] {
  const edits: Edit[] = [];
  if (!LOOP_HINT.test(code)) return edits;
  let last = 0;
  for (const m of code.matchAll(LOOP_MACRO)) {
    const name = m[1] as string;
    if (!isLoopMacro(name)) continue;
    const nameStart = m.index + m[0].indexOf(name, m[0].startsWith('}') ? 1 : 0);
    if (nameStart < last || !atStatementStart(code, nameStart)) continue;
    const open = m.index + m[0].length - 1;
    const close = matchParen(code, open);
    if (close < 0) continue;
    const after = skipSpace(code, close + 1);
    if (after >= code.length) continue;
    const call = text.slice(nameStart, close + 1);
    let replacement = `for (;${call};)`;
    if (code[after] === ';') {
      // `do { ... } for_each_vma_range(vmi, vma, end);` and `} while_each_thread(g, t);` end a do loop
      const before = prevCode(code, nameStart);
      if (code[before] !== '}' || (!name.startsWith('while_each_') && !closesDoBody(code, before))) continue;
      replacement = `while (${call})`;
    } else if (name.startsWith('do_each_')) {
      // `do_each_thread(g, t) {` opens the body of a do loop closed by `} while_each_thread(g, t);`
      replacement = `do${newlinesIn(call)}`;
    } else if (name.startsWith('while_each_')) {
      continue;
    } else if (name === 'scoped_cond_guard') {
      const parts = splitArgs(code, open + 1, close);
      const [kind, fail] = parts;
      if (kind && fail && parts.length >= 3) {
        const restText = text.slice((parts[2] as [number, number])[0], close);
        replacement =
          `if (${name}(${text.slice(kind[0], kind[1])})) { ${text.slice(fail[0], fail[1])}; } ` +
          `else for (;${name}(${restText});)`;
      }
    }
    edits.push([nameStart, close + 1, replacement]);
    last = close + 1;
  }
  return edits;
}

// ---- same-length rewrites ----------------------------------------------------------------------

const PLAIN_ANNOTATIONS = [
  '__user',
  '__kernel',
  '__iomem',
  '__percpu',
  '__rcu',
  '__force',
  '__must_check',
  '__always_inline',
  '__init',
  '__exit',
  '__initdata',
  '__initconst',
  '__exitdata',
  '__cold',
  '__hot',
  'noinline',
  'noinline_for_stack',
  '__maybe_unused',
  '__always_unused',
  '__used',
  'notrace',
  'asmlinkage',
  '__sched',
  '__visible',
  '__weak',
  '__noreturn',
  '__nocast',
  '__safe',
  '__pure',
  '__attribute_const__',
  '__latent_entropy',
  '__ref',
  '__meminit',
  '__meminitdata',
  '__refdata',
  '__ro_after_init',
  '__read_mostly',
  '__noinstr',
  'noinstr',
  '__randomize_layout',
  '__packed',
  '__private',
  '__bitwise',
  '__deprecated',
  '__flatten',
  '__noclone',
  '__kprobes',
  '__irq_entry',
  '__softirq_entry',
  '__cpuidle',
  '__init_or_module',
  '__net_init',
  '__net_exit',
  '__net_initdata',
  '__always_used',
  '__nocfi',
  '__noscs',
  '__no_kcsan',
  '__no_sanitize_address',
  '__no_profile',
];
const CALL_ANNOTATIONS = [
  '__acquires',
  '__releases',
  '__must_hold',
  '__cond_acquires',
  '__cond_releases',
  '__free',
  '__cleanup',
  '__aligned',
  '__counted_by',
  '__printf',
  '__scanf',
  '__section',
  '__alias',
  '__guarded_by',
  '__pt_guarded_by',
];
const CALL_ANNOTATION_SET: ReadonlySet<string> = new Set([
  ...CALL_ANNOTATIONS,
  '__attribute__',
  '__attribute',
]);

/** An annotation written like a call (`__must_hold(lock)`, `__attribute__((cold))`): never a function's name. */
export function isAnnotationCall(name: string): boolean {
  return CALL_ANNOTATION_SET.has(name);
}

const PLAIN_RE = new RegExp(`\\b(?:${PLAIN_ANNOTATIONS.join('|')})\\b`, 'g');
const CALL_RE = new RegExp(`\\b(?:${CALL_ANNOTATIONS.join('|')})[ \\t]*\\(`, 'g');

function blankAnnotations(text: string): string {
  return applyEdits(text, annotationEdits(text));
}

function annotationEdits(code: string): Edit[] {
  const edits: Edit[] = [];
  for (const m of code.matchAll(PLAIN_RE)) edits.push([m.index, m.index + m[0].length, blankOf(m[0])]);
  for (const m of code.matchAll(CALL_RE)) {
    const close = matchParen(code, m.index + m[0].length - 1);
    if (close >= 0) edits.push([m.index, close + 1, blankOf(code.slice(m.index, close + 1))]);
  }
  return edits;
}

const TYPE_ARG = /\b(?:const[ \t]+)?(?:struct|union|enum)[ \t]+[A-Za-z_]\w*(?:[ \t]*\*)*[ \t]*(?=[,)])/g;
const PRIMITIVE_TYPE_ARG =
  /\b(?:min|max|clamp|min3|max3|min_not_zero|clamp_val|round_up|round_down)_t[ \t]*\([ \t]*((?:unsigned|signed|long|short|const)(?:[ \t]+(?:long|int|short|char|unsigned))+)[ \t]*,/g;
const NOT_MACROS = new Set([
  'sizeof',
  'typeof',
  '__typeof__',
  '__typeof',
  '_Alignof',
  '__alignof__',
  'alignof',
  'if',
  'while',
  'for',
  'switch',
  'return',
]);
const STATIC_DEFINE = /\bstatic[ \t]+(?=(?:DEFINE|DECLARE)_[A-Z0-9_]+[ \t]*\()/g;
const CASE_RANGE = /\bcase\b[^:;\n]*?[ \t](\.\.\.)[ \t]/g;
const DECLARE_BITMAP = /\bDECLARE_BITMAP[ \t]*\(/g;

/** Depth of `{` nesting at each index of masked code. */
function braceDepths(code: string): Int32Array {
  const d = new Int32Array(code.length + 1);
  let depth = 0;
  for (let i = 0; i < code.length; i++) {
    d[i] = depth;
    const c = code.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125 && depth > 0) depth--;
  }
  d[code.length] = depth;
  return d;
}

/**
 * Type arguments of macros (`container_of(p, struct foo, member)`, `min_t(unsigned long, a, b)`,
 * `alloc_percpu(struct x)`) become identifiers of the same length (`struct_foo`); `static` before a
 * DEFINE_/DECLARE_ macro inside a body is blanked; GNU `case A ... B:` becomes `case A || B:`.
 */
function typeArgEdits(code: string): Edit[] {
  const edits: Edit[] = [];
  for (const m of code.matchAll(TYPE_ARG)) {
    const arg = m[0].replace(/[ \t]+$/, '');
    const p = prevCode(code, m.index);
    if (code[p] === '(') {
      const callee = /([A-Za-z_]\w*)[ \t]*$/.exec(code.slice(Math.max(0, p - 64), p));
      if (!callee || NOT_MACROS.has(callee[1] as string)) continue;
    } else if (code[p] !== ',') continue;
    edits.push([m.index, m.index + arg.length, arg.replace(/[ \t*]/g, '_')]);
  }
  for (const m of code.matchAll(PRIMITIVE_TYPE_ARG)) {
    const t = m[1] as string;
    const at = m.index + m[0].indexOf(t);
    edits.push([at, at + t.length, t.replace(/[ \t]/g, '_')]);
  }
  let depths: Int32Array | undefined;
  for (const m of code.matchAll(STATIC_DEFINE)) {
    depths ??= braceDepths(code);
    if ((depths[m.index] ?? 0) > 0) edits.push([m.index, m.index + 6, '      ']);
  }
  for (const m of code.matchAll(CASE_RANGE)) {
    const at = m.index + m[0].lastIndexOf('...');
    edits.push([at, at + 3, '|| ']);
  }
  return edits;
}

function bitmapEdits(text: string, code: string): Edit[] {
  const edits: Edit[] = [];
  for (const m of code.matchAll(DECLARE_BITMAP)) {
    const open = m.index + m[0].length - 1;
    const close = matchParen(code, open);
    if (close < 0) continue;
    const parts = splitArgs(code, open + 1, close);
    const [name, bits] = parts;
    if (parts.length !== 2 || !name || !bits) continue;
    const macro = text.slice(m.index, close + 1);
    const decl = `unsigned long ${squash(text.slice(name[0], name[1]))}[${squash(text.slice(bits[0], bits[1]))}]`;
    edits.push([m.index, close + 1, decl + newlinesIn(macro)]);
  }
  return edits;
}

/** Only the SYSCALL_DEFINEs of a text, without the rewrites tree-sitter needs (for indexes). */
export function findSyscalls(text: string): { syscalls: SyscallMacro[]; issues: Issue[] } {
  const { syscalls, issues } = scanSyscalls(text);
  return { syscalls, issues };
}

/**
 * findSyscalls, and the text masked as maskNonCode masks it, from one pass of the mask: what a
 * review needs of a whole file before it cuts (trim.ts). A text that names no SYSCALL_DEFINE is
 * not masked (`code` is empty: there is nothing to cut).
 */
export function scanSyscalls(text: string): { syscalls: SyscallMacro[]; issues: Issue[]; code: string } {
  const issues: Issue[] = [];
  if (!text.includes('SYSCALL_DEFINE')) return { syscalls: [], issues, code: '' };
  const { code } = masked(text);
  return { syscalls: syscallMacros(text, code, issues).syscalls, issues, code };
}

export function prepareC(text: string): Prepared {
  const issues: Issue[] = [];
  const { code: code0, openComment } = masked(text);
  const sys = syscallMacros(text, code0, issues);
  // same-length edits first: they keep every index, so the mask stays valid after applying them
  const same = [...sys.blank, ...annotationEdits(code0), ...typeArgEdits(code0)];
  const text1 = applyEdits(text, same);
  const code1 = applyEdits(code0, same);
  const structural = [...sys.structural, ...loopMacros(text1, code1), ...bitmapEdits(text1, code1)];
  // A comment never closed comments out the rest of the file, as in C. tree-sitter instead
  // recovers by lexing on after its `/*`, and every later `/*` scans to the end of the file again
  // (quadratic: 4,000 unclosed `/**` took 50 s). Closing it at the end, on the last line, keeps
  // every line number.
  const out = applyEdits(text1, structural);
  return { text: openComment ? `${out}*/` : out, syscalls: sys.syscalls, issues, openComment };
}
