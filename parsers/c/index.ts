import type { Parser } from 'web-tree-sitter';
import { type Issue, issue, type Parsed } from '../types.js';
import { type CNode, copyTree, field, namedChildren } from './ast.js';
import { analyzeErrors, declName, type FnDef } from './errors.js';
import type { CFacts, CFunction, SyscallDef } from './model.js';
import { prepareC } from './preprocess.js';
import { reachableDefs } from './reach.js';

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

/**
 * Facts about one C file for the KAPI checks: its functions, its SYSCALL_DEFINEs and, for every
 * function, the errnos it can return with evidence. `parser` is a tree-sitter Parser with the C
 * language set (app/c/language.ts loads one); it is reused, never retained. Never throws: what
 * could not be understood is reported as issues and as `complete: false` / `hasParseErrors`.
 * `errorsOf: 'syscalls'`: the error sets of the file's syscalls only (and of what they reach), as
 * the checks read them; the rest of a large file's functions are not analysed.
 */
export function analyzeC(
  parser: Parser,
  text: string,
  path?: string,
  opts: { errorsOf?: 'all' | 'syscalls' } = {},
): Parsed<CFacts> {
  const issues: Issue[] = [];
  const where = path ? `${path}: ` : '';
  const value: CFacts = { functions: [], syscalls: [], errors: {} };
  try {
    const prep = prepareC(text);
    issues.push(...prep.issues.map((i) => ({ ...i, message: where + i.message })));
    let root: CNode;
    const tree = parser.parse(prep.text);
    if (!tree) {
      issues.push(issue('c-parse-failed', 'error', `${where}the C parser returned no tree`));
      return { value, issues };
    }
    try {
      root = copyTree(tree, prep.text);
    } finally {
      tree.delete();
    }
    const env = { text: prep.text };
    const lines = text.split('\n');
    const macroByLine = new Map(prep.syscalls.map((s) => [s.line, s]));
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
        (c) => c.type === 'storage_class_specifier' && prep.text.slice(c.start, c.end) === 'static',
      );
      value.functions.push({ name, line, endLine: def.endRow + 1, isStatic, isSyscall, hasParseErrors });
      defs.push({ name, params: paramNames(env, fd), body, hasParseErrors });
      if (hasParseErrors) {
        issues.push(
          issue(
            'c-function-parse-error',
            'info',
            `${where}${name}(): part of the body could not be parsed; its error set is a lower bound`,
            line,
          ),
        );
      }
    }

    // indexed once (a file with 16,000 syscalls searched every function for each)
    const syscallAt = new Map<number, CFunction>();
    const syscallsNamed = new Map<string, CFunction[]>();
    for (const f of value.functions) {
      if (!f.isSyscall) continue;
      if (!syscallAt.has(f.line)) syscallAt.set(f.line, f);
      const named = syscallsNamed.get(f.name);
      if (named) named.push(f);
      else syscallsNamed.set(f.name, [f]);
    }
    value.syscalls = prep.syscalls.map((m): SyscallDef => {
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

    const roots = opts.errorsOf === 'syscalls' ? new Set(prep.syscalls.map((m) => m.fnName)) : undefined;
    for (const f of value.functions) if (roots && f.isSyscall) roots.add(f.name);
    value.errors = analyzeErrors(roots ? reachableDefs(defs, roots, prep.text) : defs, prep.text, lines);
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
