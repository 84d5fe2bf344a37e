import type { Parser } from 'web-tree-sitter';
import { countNewlines, lineAt } from '../text/lines.js';
import { type Issue, issue, type Parsed } from '../types.js';
import { type CNode, copyTree, field, namedChildren } from './ast.js';
import { analyzeErrors, declName, type FnDef } from './errors.js';
import type { CFacts, CFunction, ErrnoEvidence, FunctionErrors, SyscallDef } from './model.js';
import { prepareC, type SyscallMacro, scanSyscalls } from './preprocess.js';
import { reachableDefs } from './reach.js';
import { type Compact, compactFor, planReach, type ReachPlan } from './trim.js';

export { canonicalErrno, isErrnoName } from './errno.js';
export type {
  CFacts,
  CFunction,
  ErrnoEvidence,
  ErrnoFact,
  FunctionErrors,
  SyscallDef,
  SyscallParam,
} from './model.js';

/** Memoises the facts of one root's compact text (trim.ts): `key` names the root and the text. */
export type ReachMemo = (key: string, make: () => CFacts) => CFacts;

/**
 * One part of a compact text (a run of rows holding reached blocks), prepared and parsed alone:
 * its top-level nodes and SYSCALL_DEFINE headers, counted from its own start. Null when the part
 * does not parse cleanly alone (an ERROR or MISSING node, a comment left open at its end): the
 * compact text it belongs to is then parsed whole.
 */
export interface PartParse {
  text: string;
  rows: number;
  nodes: CNode[];
  macros: SyscallMacro[];
}

/**
 * Memoises the parse of one part by its text. Several roots of a file reach the same helpers,
 * and the next revision of the file cuts the same parts again; what the memo hands out is only
 * read, never changed.
 */
export type PartMemo = (text: string, make: () => PartParse | null) => PartParse | null;

export interface AnalyzeOptions {
  /**
   * 'syscalls': the error sets of the file's syscalls only (and of what they reach), as the checks
   * read them. Each syscall is analysed in the text of just the definitions it may reach
   * (trim.ts), so `functions` lists only the definitions some syscall's analysis read; a file
   * whose blocks cannot be cut safely is parsed whole. 'all' (the default): every function.
   */
  errorsOf?: 'all' | 'syscalls';
  /** With 'syscalls': of the syscalls, only those whose function name it holds (a file's spec names). */
  only?: ReadonlySet<string>;
  /** With 'syscalls': where each root's facts are kept, so an unchanged one is not parsed again. */
  memo?: ReachMemo;
  /** With 'syscalls': where the parts of compact texts are kept (each parsed once). */
  parts?: PartMemo;
}

/**
 * Facts about one C file for the KAPI checks: its functions, its SYSCALL_DEFINEs and, for every
 * function, the errnos it can return with evidence. `parser` is a tree-sitter Parser with the C
 * language set (app/c/language.ts loads one); it is reused, never retained. Never throws: what
 * could not be understood is reported as issues and as `complete: false` / `hasParseErrors`.
 */
export function analyzeC(
  parser: Parser,
  text: string,
  path?: string,
  opts: AnalyzeOptions = {},
): Parsed<CFacts> {
  const issues: Issue[] = [];
  const where = path ? `${path}: ` : '';
  const value: CFacts = { functions: [], syscalls: [], errors: {} };
  try {
    let roots: Set<string> | undefined;
    if (opts.errorsOf === 'syscalls') {
      // cut from the text as written: only the compact texts are prepared (on a memo miss)
      const scan = scanSyscalls(text);
      roots = new Set<string>();
      for (const m of scan.syscalls) if (!opts.only || opts.only.has(m.fnName)) roots.add(m.fnName);
      const plan = roots.size > 0 ? planReach(text, scan.code) : null;
      const facts =
        roots.size === 0
          ? { functions: [], errors: {}, issues: [] } // no syscall to analyse: nothing is parsed
          : plan
            ? byRoot(parser, plan, roots, where, opts.memo, opts.parts)
            : null;
      if (facts) {
        for (const i of scan.issues) issues.push({ ...i, message: where + i.message });
        value.functions = facts.functions;
        value.errors = facts.errors;
        for (const i of facts.issues) issues.push(i);
        value.syscalls = syscallDefs(scan.syscalls, value.functions);
        return { value, issues };
      }
    }
    const prep = prepareC(text);
    issues.push(...prep.issues.map((i) => ({ ...i, message: where + i.message })));
    const done = analyzeText(parser, prep.text, text.split('\n'), prep.syscalls, roots, where);
    if (!done) {
      issues.push(issue('c-parse-failed', 'error', `${where}the C parser returned no tree`));
      return { value, issues };
    }
    value.functions = done.functions;
    value.errors = done.errors;
    for (const i of done.issues) issues.push(i);
    value.syscalls = syscallDefs(prep.syscalls, value.functions);
  } catch (e) {
    // Defensive: a bug here must not take the review down. Report what was gathered so far.
    issues.push(
      issue(
        'c-internal-error',
        'error',
        `${where}C analysis failed: ${e instanceof Error ? e.message : String(e)}`,
      ),
    );
  }
  return { value, issues };
}

interface TextFacts {
  functions: CFunction[];
  errors: Record<string, FunctionErrors>;
  issues: Issue[];
}

/**
 * Each root analysed in its compact text (memoised by root and text), moved back to the file's
 * lines and merged. A function two roots reach has the same closure in both texts, so the same
 * error set. Null when some root has no compact text.
 */
function byRoot(
  parser: Parser,
  plan: ReachPlan,
  roots: ReadonlySet<string>,
  where: string,
  memo: ReachMemo | undefined,
  parts: PartMemo | undefined,
): TextFacts | null {
  /** Line `l` (1-based) of the file, cut from it only when a compact text is analysed. */
  const fileLine = (l: number): string => lineAt(plan.text, plan.starts, l - 1) ?? '';
  const out: TextFacts = { functions: [], errors: {}, issues: [] };
  const seen = new Set<string>();
  const cuts: { root: string; cut: Compact }[] = [];
  for (const root of [...roots].sort()) {
    const cut = compactFor(plan, root);
    // a root that is no plain function of its own: the whole file is parsed instead
    if (!cut) return null;
    cuts.push({ root, cut });
  }
  for (const { root, cut } of cuts) {
    const make = (): CFacts => {
      const only = new Set([root]);
      const cutLines = cut.lines.map(fileLine);
      const joined = parts ? joinParts(parser, cut.parts, parts) : null;
      let done: TextFacts | undefined;
      if (joined) done = analyzeTree(joined.root, joined.text, cutLines, joined.macros, only, where);
      else {
        const prep = prepareC(cut.text);
        done = analyzeText(parser, prep.text, cutLines, prep.syscalls, only, where);
      }
      if (!done) return { functions: [], syscalls: [], errors: {} };
      return { functions: done.functions, syscalls: [], errors: done.errors };
    };
    const facts = memo ? memo(`${root}\n${cut.text}`, make) : make();
    const to = (n: number): number => cut.lines[n - 1] ?? n;
    for (const f of facts.functions) {
      const key = `${f.name}\u0000${to(f.line)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.functions.push({ ...f, line: to(f.line), endLine: to(f.endLine) });
      if (f.hasParseErrors) out.issues.push(partlyParsed(where, f.name, to(f.line)));
    }
    for (const [name, e] of Object.entries(facts.errors))
      if (!(name in out.errors)) out.errors[name] = moved(e, to);
  }
  out.functions.sort((a, b) => a.line - b.line);
  return out;
}

/** A part prepared and parsed alone, or null when it does not parse cleanly alone. */
function parsePart(parser: Parser, part: string): PartParse | null {
  const prep = prepareC(part);
  if (prep.openComment) return null;
  const tree = parser.parse(prep.text);
  if (!tree) return null;
  try {
    if (tree.rootNode.hasError) return null;
    const root = copyTree(tree, prep.text);
    const rows = countNewlines(prep.text) + 1;
    return { text: prep.text, rows, nodes: root.children, macros: prep.syscalls };
  } finally {
    tree.delete();
  }
}

/**
 * The tree of a compact text from the trees of its parts, each moved to where it lies in the
 * joined text; null when some part does not parse cleanly alone. Clean parts of whole top-level
 * blocks parse alone as they do side by side (test/corpus/trim-tree.test.ts holds the two to
 * the same facts over every syscall of a kernel tree).
 */
function joinParts(
  parser: Parser,
  texts: readonly string[],
  memo: PartMemo,
): { root: CNode; text: string; macros: SyscallMacro[] } | null {
  const children: CNode[] = [];
  const macros: SyscallMacro[] = [];
  const prepared: string[] = [];
  let at = 0;
  let row = 0;
  for (const t of texts) {
    const p = memo(t, () => parsePart(parser, t));
    if (!p) return null;
    for (const n of p.nodes) children.push(at === 0 ? n : movedNode(n, at, row));
    for (const m of p.macros) macros.push(row === 0 ? m : { ...m, line: m.line + row });
    prepared.push(p.text);
    at += p.text.length + 1;
    row += p.rows;
  }
  const text = prepared.join('\n');
  const root: CNode = {
    type: 'translation_unit',
    named: true,
    field: null,
    start: 0,
    end: text.length,
    row: 0,
    endRow: Math.max(0, row - 1),
    children,
  };
  return { root, text, macros };
}

/** A copy of a node and its subtree, `by` characters and `rows` rows further down. */
function movedNode(n: CNode, by: number, rows: number): CNode {
  const out: CNode = {
    type: n.type,
    named: n.named,
    field: n.field,
    start: n.start + by,
    end: n.end + by,
    row: n.row + rows,
    endRow: n.endRow + rows,
    children: n.children.length === 0 ? [] : n.children.map((c) => movedNode(c, by, rows)),
  };
  if (n.bodyError !== undefined) out.bodyError = n.bodyError;
  return out;
}

/** The issue of a function tree-sitter understood only in part. */
function partlyParsed(where: string, name: string, line: number): Issue {
  return issue(
    'c-function-parse-error',
    'info',
    `${where}${name}(): part of the body could not be parsed; its error set is a lower bound`,
    line,
  );
}

function moved(e: FunctionErrors, to: (n: number) => number): FunctionErrors {
  const ev = (c: ErrnoEvidence): ErrnoEvidence => ({ ...c, line: to(c.line) });
  const neverVia: Record<string, ErrnoEvidence[]> = {};
  for (const [k, list] of Object.entries(e.neverVia)) neverVia[k] = list.map(ev);
  return { ...e, errnos: e.errnos.map((f) => ({ ...f, chain: f.chain.map(ev) })), neverVia };
}

/**
 * The functions and error sets of one parsed text (`lines`: the source line shown as evidence
 * for each of its lines). `roots`: analyse only what they reach. Undefined if tree-sitter gave no tree.
 */
function analyzeText(
  parser: Parser,
  text: string,
  lines: readonly string[],
  macros: readonly SyscallMacro[],
  roots: ReadonlySet<string> | undefined,
  where: string,
): TextFacts | undefined {
  let root: CNode;
  const tree = parser.parse(text);
  if (!tree) return undefined;
  try {
    root = copyTree(tree, text);
  } finally {
    tree.delete();
  }
  return analyzeTree(root, text, lines, macros, roots, where);
}

/** analyzeText on a tree already copied. */
function analyzeTree(
  root: CNode,
  text: string,
  lines: readonly string[],
  macros: readonly SyscallMacro[],
  roots: ReadonlySet<string> | undefined,
  where: string,
): TextFacts {
  const out: TextFacts = { functions: [], errors: {}, issues: [] };
  const env = { text };
  const macroByLine = new Map(macros.map((s) => [s.line, s]));
  const defs: FnDef[] = [];
  for (const def of functionDefinitions(root)) {
    const fd = functionDeclarator(def);
    const name = fd ? declName(env, field(fd, 'declarator')) : undefined;
    const body = field(def, 'body');
    if (!fd || !name || !body) continue;
    const line = def.row + 1;
    const macro = macroByLine.get(line);
    const isSyscall = macro !== undefined && macro.fnName === name;
    const hasParseErrors = def.bodyError ?? false;
    const isStatic = def.children.some(
      (c) => c.type === 'storage_class_specifier' && text.slice(c.start, c.end) === 'static',
    );
    out.functions.push({ name, line, endLine: def.endRow + 1, isStatic, isSyscall, hasParseErrors });
    defs.push({ name, params: paramNames(env, fd), body, hasParseErrors });
    if (hasParseErrors) out.issues.push(partlyParsed(where, name, line));
  }
  out.errors = analyzeErrors(roots ? reachableDefs(defs, roots, text) : defs, text, lines);
  return out;
}

/** The file's syscalls, each with the end of its definition where the facts hold it. */
function syscallDefs(macros: readonly SyscallMacro[], functions: readonly CFunction[]): SyscallDef[] {
  // indexed once (a file with 16,000 syscalls searched every function for each)
  const syscallAt = new Map<number, CFunction>();
  const syscallsNamed = new Map<string, CFunction[]>();
  for (const f of functions) {
    if (!f.isSyscall) continue;
    if (!syscallAt.has(f.line)) syscallAt.set(f.line, f);
    const named = syscallsNamed.get(f.name);
    if (named) named.push(f);
    else syscallsNamed.set(f.name, [f]);
  }
  return macros.map((m): SyscallDef => {
    // alternative headers of one body (#ifdef'd variants) share the kept header's function
    const fn =
      syscallAt.get(m.line) ??
      [...(syscallsNamed.get(m.fnName) ?? [])].sort(
        (a, b) => Math.abs(a.line - m.line) - Math.abs(b.line - m.line),
      )[0];
    return {
      name: m.name,
      fnName: m.fnName,
      arity: m.arity,
      params: m.params,
      line: m.line,
      endLine: fn?.endLine ?? m.line + (m.macroText.match(/\n/g)?.length ?? 0),
      macroText: m.macroText,
    };
  });
}

/**
 * The C facts a review reads of a text: the error sets of the syscalls its specs name
 * (`specNames`) and of what they reach, each syscall's kept in `memo`. checks/unit.ts and
 * app/review's C worker both call this, so the two give the same facts.
 */
export function syscallFacts(
  parser: Parser,
  path: string,
  text: string,
  specNames: readonly string[],
  memo: ReachMemo,
  parts?: PartMemo,
): CFacts {
  return analyzeC(parser, text, path, {
    errorsOf: 'syscalls',
    only: new Set(specNames),
    memo,
    ...(parts ? { parts } : {}),
  }).value;
}

/** Every function_definition not nested in another one, in source order. */
function functionDefinitions(root: CNode): CNode[] {
  const out: CNode[] = [];
  const todo: CNode[] = [root];
  for (let n = todo.pop(); n; n = todo.pop()) {
    if (n.type === 'function_definition') {
      out.push(n);
      continue;
    }
    for (let i = n.children.length - 1; i >= 0; i--) {
      const ch = n.children[i] as CNode;
      if (ch.named) todo.push(ch);
    }
  }
  return out;
}

function functionDeclarator(def: CNode): CNode | undefined {
  let d = field(def, 'declarator');
  for (let depth = 0; d && depth < 50; depth++) {
    if (d.type === 'function_declarator') return d;
    d = field(d, 'declarator') ?? namedChildren(d).find((c) => c.type !== 'attribute_specifier');
  }
  return undefined;
}

/** Parameter names by position (`#i` for unnamed ones); `(void)` is no parameter. */
function paramNames(env: { text: string }, fd: CNode): string[] {
  const list = field(fd, 'parameters');
  if (!list) return [];
  const out: string[] = [];
  for (const p of namedChildren(list)) {
    if (p.type !== 'parameter_declaration') break;
    const d = field(p, 'declarator');
    const name = d ? declName(env, d) : undefined;
    if (!d && env.text.slice(p.start, p.end).trim() === 'void') continue;
    out.push(name ?? `#${out.length}`);
  }
  return out;
}
