import { type CNode, field, namedChildren } from './ast.js';
import { canonicalErrno, isErrnoName } from './errno.js';
import {
  type Atom,
  add,
  chainOrder,
  EMPTY,
  type Excls,
  excludes,
  type Guard,
  gkey,
  joinVal,
  MAX_CHAIN,
  State,
  sameKeys,
  single,
  type Val,
  withGuard,
  xthrough,
  xunion,
} from './errors-values.js';
import type { ErrnoEvidence, ErrnoFact, FunctionErrors } from './model.js';

/**
 * Which `-EXXX` values each function of one C file can return.
 *
 * Each function is interpreted abstractly over its syntax tree. The abstract value of a variable is
 * a set of atoms:
 *  - E: a particular errno, with the evidence chain that produced it;
 *  - U: the result of a call to a function not defined in this file (could be anything);
 *  - O: a value the analysis does not follow (a struct field, a dereference, an array element, a
 *    global or object-like macro, a variable written through its address by a same-file call);
 *  - P: the value of the function's own parameter i, minus the errnos tests have excluded (or
 *    restricted to one errno), which is how errno-translating helpers are modelled;
 *  - I: the result of a same-file function whose own analysis is incomplete.
 * E, U, O and I atoms may carry a guard "only if parameter p can be errno e": that is how
 * `if (retval == -EFAULT) retval = -ENOMEM;` becomes the mapping EFAULT -> ENOMEM at call sites.
 * U, O and I atoms (the open values) carry exclusions: errnos the value provably is not on this
 * path, because a test turned them away (`v != -EX` holds, or a callee's `return param` excluded
 * them), each with the lines that did it. Their intersection over every open value that reaches
 * the return is what the function can never return even though its set is open (`never`).
 *
 * Statements are followed in order; `if` branches are analysed separately and joined; loops and
 * backward gotos iterate to a fixpoint; `goto L` carries its state to `L:`. Tests of the form
 * `v == -EX` / `v != -EX` narrow `v` in each branch. Calls to same-file functions substitute the
 * callee's summary; a worklist over the call graph iterates summaries to a fixpoint.
 *
 * Known limits: values read from struct fields, globals or through pointers are not tracked (they
 * are O: unknown); an out-parameter `&v` passed to any call makes `v` unknown (U or O); arithmetic
 * (`a + b`, `x << 2`) is taken to produce no errno; macros are opaque calls (function-like) or O
 * values (object-like); only one path guard is kept at a time.
 */

export interface FnDef {
  name: string;
  params: string[];
  body: CNode;
  hasParseErrors: boolean;
}

const LOOP_ROUNDS = 12;
const LABEL_ROUNDS = 8;
const STEP_BUDGET = 400_000;
const REANALYSES = 25;
/** Calls whose value is their first argument's, as far as errnos go. */
const PASS_THROUGH = new Set(['ERR_PTR', 'PTR_ERR', 'ERR_CAST', 'PTR_ERR_OR_ZERO', 'likely', 'unlikely']);
/** Names that are constants, never an errno value: positive errno names, NULL, booleans. */
const CONSTANT_NAME = /^(E[A-Z0-9_]+|NULL|TRUE|FALSE|true|false)$/;

class Budget extends Error {}

export interface Summary {
  ret: Val;
  selfIncomplete: boolean;
}

interface Env {
  text: string;
  lines: readonly string[];
  summaries: Map<string, Summary>;
}

interface Frame {
  s: State | null;
}

function text(env: Env, n: CNode): string {
  return env.text.slice(n.start, n.end);
}

function unparen(n: CNode): CNode {
  let x = n;
  while (x.type === 'parenthesized_expression' || x.type === 'condition_clause') {
    const inner = namedChildren(x);
    const last = inner[inner.length - 1];
    if (!last || inner.length !== 1) return x;
    x = last;
  }
  return x;
}

function isStatement(n: CNode): boolean {
  return (
    n.type.endsWith('_statement') ||
    n.type === 'declaration' ||
    n.type === 'ERROR' ||
    n.type.startsWith('preproc_')
  );
}

/** The declared name of a (possibly pointer/array/function) declarator. */
export function declName(env: { text: string }, n: CNode | undefined): string | undefined {
  let d = n;
  for (let depth = 0; d && depth < 50; depth++) {
    if (d.type === 'identifier' || d.type === 'field_identifier') return env.text.slice(d.start, d.end);
    d = field(d, 'declarator') ?? namedChildren(d).find((c) => c.type !== 'attribute_specifier');
  }
  return undefined;
}

class FnAnalysis {
  private returns: Val = EMPTY;
  private labelIn = new Map<string, State>();
  private gotoOut = new Map<string, State>();
  private passed = new Set<string>();
  private backward = false;
  private breaks: Frame[] = [];
  private continues: Frame[] = [];
  private steps = 0;
  private labelCache = new WeakMap<CNode, boolean>();
  private paramIndex = new Map<string, number>();
  capHit = false;

  constructor(
    private readonly fn: FnDef,
    private readonly env: Env,
  ) {
    fn.params.forEach((p, i) => {
      if (!this.paramIndex.has(p)) this.paramIndex.set(p, i);
    });
  }

  run(): Val {
    try {
      for (let round = 0; ; round++) {
        this.returns = EMPTY;
        this.gotoOut = new Map();
        this.passed = new Set();
        this.backward = false;
        this.breaks = [];
        this.continues = [];
        this.exec(this.fn.body, new State(new Map(), undefined));
        if (!this.backward) break;
        let changed = false;
        for (const [label, st] of this.gotoOut) {
          const old = this.labelIn.get(label);
          const merged = this.join(old ? old.clone() : null, st);
          if (merged && (!old || !this.same(old, merged))) {
            this.labelIn.set(label, merged);
            changed = true;
          }
        }
        if (!changed) break;
        if (round >= LABEL_ROUNDS) {
          this.capHit = true;
          break;
        }
      }
    } catch (e) {
      // Budget exhausted or recursion too deep (pathological input): keep what was found.
      if (!(e instanceof Budget) && !(e instanceof RangeError)) throw e;
      this.capHit = true;
    }
    return this.returns;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private tick(): void {
    if (++this.steps > STEP_BUDGET) throw new Budget('step budget');
  }

  private ev(n: CNode): ErrnoEvidence {
    const line = this.env.lines[n.row] ?? '';
    const t = line.trim();
    return { fn: this.fn.name, line: n.row + 1, text: t.length > 240 ? `${t.slice(0, 237)}...` : t };
  }

  private lookup(s: State, name: string): Val {
    const v = s.vars.get(name);
    if (v) return v;
    const i = this.paramIndex.get(name);
    return i === undefined ? EMPTY : single({ k: 'P', i, only: undefined, except: [] });
  }

  /** A local variable (declared, or tracked since) or a parameter: a name whose value is followed. */
  private followed(s: State, name: string): boolean {
    return s.vars.has(name) || this.paramIndex.has(name);
  }

  /** A value the analysis does not follow, reaching wherever `n`'s value goes. */
  private opaque(n: CNode, s: State): Val {
    const t = this.text(n).replace(/\s+/g, ' ').trim();
    const what = t.length > 80 ? `${t.slice(0, 77)}...` : t;
    return single({ k: 'O', what, g: s.g, x: [] });
  }

  private join(a: State | null, b: State | null): State | null {
    if (!a) return b;
    if (!b) return a;
    const vars = new Map<string, Val>();
    for (const name of new Set([...a.vars.keys(), ...b.vars.keys()])) {
      vars.set(name, joinVal(this.lookup(a, name), this.lookup(b, name)));
    }
    return new State(vars, gkey(a.g) === gkey(b.g) ? a.g : undefined);
  }

  private same(a: State | null, b: State | null): boolean {
    if (!a || !b) return a === b;
    if (gkey(a.g) !== gkey(b.g)) return false;
    for (const name of new Set([...a.vars.keys(), ...b.vars.keys()])) {
      if (!sameKeys(this.lookup(a, name), this.lookup(b, name))) return false;
    }
    return true;
  }

  private hasLabel(n: CNode): boolean {
    const c = this.labelCache.get(n);
    if (c !== undefined) return c;
    let r = n.type === 'labeled_statement';
    if (!r) for (const ch of n.children) if (ch.named && this.hasLabel(ch)) r = true;
    this.labelCache.set(n, r);
    return r;
  }

  private text(n: CNode): string {
    return text(this.env, n);
  }

  /** `-EXXX` (or `-(EXXX)`): the name as written, else undefined. */
  private errnoLiteral(n: CNode): string | undefined {
    const x = unparen(n);
    if (x.type !== 'unary_expression' || field(x, 'operator')?.type !== '-') return undefined;
    const arg = field(x, 'argument');
    if (!arg) return undefined;
    const id = unparen(arg);
    if (id.type !== 'identifier') return undefined;
    const name = this.text(id);
    return isErrnoName(name) ? name : undefined;
  }

  private varName(n: CNode): string | undefined {
    const x = unparen(n);
    return x.type === 'identifier' ? this.text(x) : undefined;
  }

  // ---- statements -----------------------------------------------------------------------------

  /** Runs a statement. May mutate `s`; returns the state after it (null: not reachable). */
  private exec(n: CNode, s: State | null): State | null {
    this.tick();
    if (!s && !this.hasLabel(n)) return null;
    switch (n.type) {
      case 'compound_statement':
        return this.block(namedChildren(n), s);
      case 'expression_statement':
        if (s) for (const ch of namedChildren(n)) this.eval(ch, s);
        return s;
      case 'declaration':
        if (s) this.declaration(n, s);
        return s;
      case 'return_statement': {
        if (s) {
          const ex = namedChildren(n)[0];
          const v = ex ? this.eval(ex, s) : EMPTY;
          this.returns = joinVal(this.returns, withGuard(v, s.g));
        }
        return null;
      }
      case 'if_statement':
        return this.ifStatement(n, s);
      case 'else_clause':
        return this.block(namedChildren(n), s);
      case 'while_statement':
      case 'for_statement':
      case 'do_statement':
        return this.loop(n, s);
      case 'switch_statement':
        return this.switchStatement(n, s);
      case 'break_statement': {
        const f = this.breaks[this.breaks.length - 1];
        if (f) f.s = this.join(f.s, s);
        return null;
      }
      case 'continue_statement': {
        const f = this.continues[this.continues.length - 1];
        if (f) f.s = this.join(f.s, s);
        return null;
      }
      case 'goto_statement': {
        const label = field(n, 'label');
        if (label && s) {
          const name = this.text(label);
          if (this.passed.has(name)) this.backward = true;
          this.gotoOut.set(name, this.join(this.gotoOut.get(name) ?? null, s) as State);
        }
        return null;
      }
      case 'labeled_statement': {
        const label = field(n, 'label');
        let st = s;
        if (label) {
          const name = this.text(label);
          this.passed.add(name);
          st = this.join(st, this.labelIn.get(name)?.clone() ?? null);
          st = this.join(st, this.gotoOut.get(name)?.clone() ?? null);
        }
        for (const ch of namedChildren(n)) if (ch.field !== 'label') st = this.exec(ch, st);
        return st;
      }
      case 'attributed_statement': {
        const kids = namedChildren(n).filter((c) => c.type !== 'attribute_declaration');
        return this.block(kids, s);
      }
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_elifdef': {
        // #if does not open a scope: `int ret;` under #ifdef is a function-level local
        const body = namedChildren(n).filter((c) => c.field === null);
        const alt = field(n, 'alternative');
        const t = this.block(body, s ? s.clone() : null, false);
        const e = alt ? this.exec(alt, s) : s;
        return this.join(t, e);
      }
      case 'preproc_else':
        return this.block(
          namedChildren(n).filter((c) => c.field === null),
          s,
          false,
        );
      case 'ERROR':
        return this.errorNode(n, s);
      default:
        return s;
    }
  }

  /** Runs statements in order; names declared in them go out of scope at the end if `scoped`. */
  private block(stmts: CNode[], s0: State | null, scoped = true): State | null {
    let s = s0;
    const entry = scoped && s && stmts.some((c) => c.type === 'declaration') ? s.clone() : null;
    const declared: string[] = [];
    for (const st of stmts) {
      if (st.type === 'declaration') declared.push(...this.declaredNames(st));
      s = this.exec(st, s);
    }
    if (s && entry) {
      // names declared in this block go out of scope: an outer variable of that name is visible again
      for (const name of declared) {
        const v = entry.vars.get(name);
        if (v) s.vars.set(name, v);
        else s.vars.delete(name);
      }
    }
    return s;
  }

  private declaredNames(n: CNode): string[] {
    const out: string[] = [];
    for (const ch of n.children) {
      if (ch.field !== 'declarator') continue;
      const d = ch.type === 'init_declarator' ? field(ch, 'declarator') : ch;
      const name = declName(this.env, d);
      if (name) out.push(name);
    }
    return out;
  }

  private declaration(n: CNode, s: State): void {
    for (const ch of n.children) {
      if (ch.field !== 'declarator') continue;
      if (ch.type === 'init_declarator') {
        const name = declName(this.env, field(ch, 'declarator'));
        const value = field(ch, 'value');
        const v = value && value.type !== 'initializer_list' ? this.eval(value, s) : EMPTY;
        if (value && value.type === 'initializer_list') this.evalChildren(value, s);
        if (name) s.vars.set(name, v);
      } else {
        const name = declName(this.env, ch);
        if (name) s.vars.set(name, EMPTY);
      }
    }
  }

  private ifStatement(n: CNode, s: State | null): State | null {
    const cond = field(n, 'condition');
    const cons = field(n, 'consequence');
    const alt = field(n, 'alternative');
    if (s && cond) this.eval(cond, s);
    let t = s ? s.clone() : null;
    let e = s;
    if (cond && t) this.refine(cond, true, t);
    if (cond && e) this.refine(cond, false, e);
    t = cons ? this.exec(cons, t) : t;
    if (alt) e = this.exec(alt, e);
    return this.join(t, e);
  }

  private isConstTrue(n: CNode | undefined): boolean {
    if (!n) return true;
    const x = unparen(n);
    if (x.type === 'true') return true;
    return (
      x.type === 'number_literal' &&
      !/^0+[uUlL]*$/.test(this.text(x)) &&
      !/^0[xX]0+[uUlL]*$/.test(this.text(x))
    );
  }

  private loop(n: CNode, s0: State | null): State | null {
    const body = field(n, 'body');
    const cond = field(n, 'condition');
    const update = n.type === 'for_statement' ? field(n, 'update') : undefined;
    const entry = s0;
    if (n.type === 'for_statement') {
      const init = field(n, 'initializer');
      if (init && entry) {
        if (init.type === 'declaration') this.declaration(init, entry);
        else this.eval(init, entry);
      }
    }
    const infinite = n.type === 'for_statement' ? !cond || this.isConstTrue(cond) : this.isConstTrue(cond);
    const doWhile = n.type === 'do_statement';
    let head = entry;
    for (let round = 0; ; round++) {
      const brk: Frame = { s: null };
      const cont: Frame = { s: null };
      let exit: State | null = null;
      let b = head ? head.clone() : null;
      if (!doWhile) {
        if (b && cond) this.eval(cond, b);
        if (b && !infinite) {
          exit = b.clone();
          if (cond) this.refine(cond, false, exit);
        }
        if (b && cond) this.refine(cond, true, b);
      }
      this.breaks.push(brk);
      this.continues.push(cont);
      try {
        b = body ? this.exec(body, b) : b;
      } finally {
        this.breaks.pop();
        this.continues.pop();
      }
      b = this.join(b, cont.s);
      if (b && update) this.eval(update, b);
      if (doWhile) {
        if (b && cond) this.eval(cond, b);
        if (b && !infinite) {
          exit = b.clone();
          if (cond) this.refine(cond, false, exit);
        }
        if (b && cond) this.refine(cond, true, b);
      }
      const next = this.join(entry ? entry.clone() : null, b);
      if (this.same(next, head) || round >= LOOP_ROUNDS) {
        if (round >= LOOP_ROUNDS) this.capHit = true;
        return this.join(exit, brk.s);
      }
      head = next;
    }
  }

  private switchStatement(n: CNode, s: State | null): State | null {
    const cond = field(n, 'condition');
    const body = field(n, 'body');
    if (s && cond) this.eval(cond, s);
    const subject = cond ? this.varName(cond) : undefined;
    const brk: Frame = { s: null };
    let cur: State | null = null;
    let hasDefault = false;
    this.breaks.push(brk);
    try {
      for (const ch of body ? namedChildren(body) : []) {
        if (ch.type === 'case_statement') {
          const value = field(ch, 'value');
          if (!value) hasDefault = true;
          const entry = s ? s.clone() : null;
          const lit = value ? this.errnoLiteral(value) : undefined;
          if (entry && subject && lit)
            this.refineVar(entry, subject, canonicalErrno(lit), true, value as CNode);
          cur = this.join(cur, entry);
          for (const st of namedChildren(ch)) if (st.field !== 'value') cur = this.exec(st, cur);
        } else cur = this.exec(ch, cur);
      }
    } finally {
      this.breaks.pop();
    }
    return this.join(this.join(cur, brk.s), hasDefault ? null : s);
  }

  /** Best effort inside an ERROR node: run what looks like statements, keep `return <expr>`. */
  private errorNode(n: CNode, s0: State | null): State | null {
    let s = s0;
    let pendingReturn = false;
    for (const ch of n.children) {
      if (!ch.named) {
        if (ch.type === 'return') pendingReturn = true;
        else if (ch.type === ';') pendingReturn = false;
        continue;
      }
      if (ch.type === 'comment') continue;
      if (isStatement(ch)) {
        s = this.exec(ch, s);
        pendingReturn = false;
      } else if (s) {
        const v = this.eval(ch, s);
        if (pendingReturn) {
          this.returns = joinVal(this.returns, withGuard(v, s.g));
          pendingReturn = false;
        }
      }
    }
    return s;
  }

  // ---- conditions -----------------------------------------------------------------------------

  /** Narrows `s` to the paths on which `cond` is `truthy`. */
  private refine(cond: CNode, truthy: boolean, s: State): void {
    this.tick();
    const c = unparen(cond);
    switch (c.type) {
      case 'unary_expression':
        if (field(c, 'operator')?.type === '!') {
          const arg = field(c, 'argument');
          if (arg) this.refine(arg, !truthy, s);
        }
        return;
      case 'call_expression': {
        const fnNode = field(c, 'function');
        const name = fnNode ? this.text(fnNode) : '';
        const arg = namedChildren(field(c, 'arguments') ?? c).find((x) => x.field === null);
        if ((name === 'likely' || name === 'unlikely') && arg) this.refine(arg, truthy, s);
        return;
      }
      case 'binary_expression': {
        const op = field(c, 'operator')?.type;
        const left = field(c, 'left');
        const right = field(c, 'right');
        if (!left || !right) return;
        if (op === '&&' && truthy) {
          this.refine(left, true, s);
          this.refine(right, true, s);
        } else if (op === '||' && !truthy) {
          this.refine(left, false, s);
          this.refine(right, false, s);
        } else if (op === '==' || op === '!=') {
          const eq = (op === '==') === truthy;
          let name = this.varName(left);
          let lit = this.errnoLiteral(right);
          if (!name || !lit) {
            name = this.varName(right);
            lit = this.errnoLiteral(left);
          }
          if (name && lit) this.refineVar(s, name, canonicalErrno(lit), eq, c);
        }
        return;
      }
      default:
        return;
    }
  }

  /** Narrows variable `name` to the paths on which it is (`eq`) or is not errno `e`; `at` is the test. */
  private refineVar(s: State, name: string, e: string, eq: boolean, at: CNode): void {
    // a global or a name the analysis never saw declared is not followed: nothing to narrow
    if (!this.followed(s, name)) return;
    const v = this.lookup(s, name);
    const out = new Map<string, Atom>();
    let direct = false;
    let param: number | undefined;
    let excl: Excls | undefined;
    for (const a of v.values()) {
      if (a.k === 'E') {
        if ((a.errno === e) === eq) add(out, a);
        if (a.errno === e) direct = true;
      } else if (a.k === 'U' || a.k === 'I' || a.k === 'O') {
        // where the value is not e, it may be anything else: e is excluded on this path
        excl ??= [{ e, via: [this.ev(at)] }];
        add(out, eq ? a : { ...a, x: xunion(a.x, excl) });
        direct = true;
      } else if (eq) {
        if (a.only ? a.only === e : !excludes(a.except, e)) {
          add(out, { k: 'P', i: a.i, only: e, except: [] });
          param ??= a.i;
        }
      } else if (a.only !== e) {
        excl ??= [{ e, via: [this.ev(at)] }];
        add(out, a.only ? a : { k: 'P', i: a.i, only: undefined, except: xunion(a.except, excl) });
      }
    }
    s.vars.set(name, out);
    // the branch is reachable only when the parameter holds e: what it produces is guarded by that
    if (eq && !direct && param !== undefined) s.g = { p: param, e };
  }

  // ---- expressions ----------------------------------------------------------------------------

  private evalChildren(n: CNode, s: State): void {
    for (const ch of namedChildren(n)) {
      if (isStatement(ch)) {
        const out = this.exec(ch, s.clone());
        if (out) s.replace(out);
      } else this.eval(ch, s);
    }
  }

  /** The errno-relevant value of an expression; applies its assignments to `s`. */
  private eval(n: CNode, s: State): Val {
    this.tick();
    switch (n.type) {
      case 'identifier': {
        const name = this.text(n);
        if (this.followed(s, name)) return this.lookup(s, name);
        // a global, an enumerator or an object-like macro: its value is not followed
        return CONSTANT_NAME.test(name) ? EMPTY : this.opaque(n, s);
      }
      case 'unary_expression': {
        const lit = this.errnoLiteral(n);
        if (lit) {
          return single({ k: 'E', errno: canonicalErrno(lit), written: lit, chain: [this.ev(n)], g: s.g });
        }
        const arg = field(n, 'argument');
        const v = arg ? this.eval(arg, s) : EMPTY;
        // `-MY_ERR`, `-ctx->err`, `-some_call()`: the negation of an unknown may be an errno
        if (field(n, 'operator')?.type === '-') {
          for (const a of v.values()) if (a.k === 'U' || a.k === 'I' || a.k === 'O') return this.opaque(n, s);
        }
        return EMPTY;
      }
      case 'field_expression':
      case 'subscript_expression':
        this.evalChildren(n, s);
        return this.opaque(n, s);
      case 'pointer_expression': {
        const arg = field(n, 'argument');
        if (arg) this.eval(arg, s);
        return field(n, 'operator')?.type === '*' ? this.opaque(n, s) : EMPTY;
      }
      case 'parenthesized_expression': {
        let v: Val = EMPTY;
        for (const ch of namedChildren(n)) {
          if (isStatement(ch)) {
            const out = this.exec(ch, s.clone());
            if (out) s.replace(out);
            v = EMPTY;
          } else v = this.eval(ch, s);
        }
        return v;
      }
      case 'cast_expression': {
        const value = field(n, 'value');
        return value ? this.eval(value, s) : EMPTY;
      }
      case 'comma_expression': {
        const left = field(n, 'left');
        const right = field(n, 'right');
        if (left) this.eval(left, s);
        return right ? this.eval(right, s) : EMPTY;
      }
      case 'conditional_expression':
        return this.conditional(n, s);
      case 'assignment_expression':
        return this.assignment(n, s);
      case 'call_expression':
        return this.call(n, s);
      case 'binary_expression': {
        const op = field(n, 'operator')?.type;
        const left = field(n, 'left');
        const right = field(n, 'right');
        if (left) this.eval(left, s);
        if (right && (op === '&&' || op === '||')) {
          const r = s.clone();
          if (left) this.refine(left, op === '&&', r);
          this.eval(right, r);
          const j = this.join(s.clone(), r);
          if (j) s.replace(j);
        } else if (right) this.eval(right, s);
        return EMPTY;
      }
      case 'compound_statement': {
        const out = this.exec(n, s.clone());
        if (out) s.replace(out);
        return EMPTY;
      }
      default:
        this.evalChildren(n, s);
        return EMPTY;
    }
  }

  private conditional(n: CNode, s: State): Val {
    const cond = field(n, 'condition');
    const cons = field(n, 'consequence');
    const alt = field(n, 'alternative');
    const cv = cond ? this.eval(cond, s) : EMPTY;
    const t = s.clone();
    const e = s.clone();
    if (cond) {
      this.refine(cond, true, t);
      this.refine(cond, false, e);
    }
    const vt = cons ? this.eval(cons, t) : cv; // GNU `a ?: b`
    const ve = alt ? this.eval(alt, e) : EMPTY;
    const j = this.join(t, e);
    if (j) s.replace(j);
    return joinVal(vt, ve);
  }

  private assignment(n: CNode, s: State): Val {
    const left = field(n, 'left');
    const right = field(n, 'right');
    const op = field(n, 'operator')?.type ?? '=';
    const rv = right ? this.eval(right, s) : EMPTY;
    const name = left ? this.varName(left) : undefined;
    if (name && this.followed(s, name)) {
      const nv = op === '=' ? rv : joinVal(this.lookup(s, name), rv);
      s.vars.set(name, nv);
      return nv;
    }
    // a field, a dereference, a global (or a name declared where the analysis did not see it): the
    // stored value is not followed, reading it again gives an unknown
    const lv = left ? this.eval(left, s) : EMPTY;
    return op === '=' ? rv : joinVal(lv, rv);
  }

  private call(n: CNode, s: State): Val {
    const fnNode = field(n, 'function');
    const argsNode = field(n, 'arguments');
    const args = argsNode ? namedChildren(argsNode) : [];
    const callee = fnNode ? this.calleeName(fnNode) : '?';
    if (fnNode && fnNode.type !== 'identifier') this.eval(fnNode, s);
    const vals = args.map((a) => this.eval(a, s));
    let result: Val;
    const local = this.env.summaries.has(callee);
    if (PASS_THROUGH.has(callee)) result = vals[0] ?? EMPTY;
    else if (local) result = this.substitute(callee, vals, n, s.g);
    else result = single({ k: 'U', name: callee, g: s.g, x: [] });
    if (!PASS_THROUGH.has(callee)) {
      // out-parameters: `foo(&v)` may write any value to v (what a same-file callee writes through
      // a pointer is not followed either)
      for (const a of args) {
        const x = unparen(a);
        if (x.type === 'pointer_expression' && field(x, 'operator')?.type === '&') {
          const arg = field(x, 'argument');
          const name = arg ? this.varName(arg) : undefined;
          if (name && this.followed(s, name)) {
            const written: Atom = local
              ? { k: 'O', what: `${callee}(&${name})`, g: s.g, x: [] }
              : { k: 'U', name: callee, g: s.g, x: [] };
            s.vars.set(name, joinVal(this.lookup(s, name), single(written)));
          }
        }
      }
    }
    return result;
  }

  private calleeName(n: CNode): string {
    const x = unparen(n);
    const t = this.text(x).replace(/\s+/g, ' ').trim();
    return t.length > 80 ? `${t.slice(0, 77)}...` : t;
  }

  /** The callee's summary seen from this call site, with its parameters replaced by `vals`. */
  private substitute(callee: string, vals: Val[], call: CNode, pathGuard: Guard | undefined): Val {
    const sum = this.env.summaries.get(callee) as Summary;
    const out = new Map<string, Atom>();
    if (sum.selfIncomplete) add(out, { k: 'I', fn: callee, g: pathGuard, x: [] });
    const site = this.ev(call);
    for (const a of sum.ret.values()) {
      if (a.k === 'P') {
        const except = xthrough(a.except, site);
        for (const b of (vals[a.i] ?? EMPTY).values()) {
          const f = passFilter(b, a.only, except);
          if (f) add(out, f);
        }
        continue;
      }
      let g: Guard | undefined = pathGuard;
      if (a.g) {
        const m = mayBe(vals[a.g.p] ?? EMPTY, a.g.e);
        if (!m.ok) continue;
        g = m.g ?? pathGuard;
      }
      if (a.k === 'E') {
        const chain = a.chain.length >= MAX_CHAIN ? a.chain : [...a.chain, site];
        add(out, { k: 'E', errno: a.errno, written: a.written, chain, g });
      } else add(out, { ...a, g, x: xthrough(a.x, site) });
    }
    return out;
  }
}

/**
 * A caller's atom after passing through a callee's `return param` filtered by only/except
 * (`except` already seen from the call site).
 */
function passFilter(b: Atom, only: string | undefined, except: Excls): Atom | undefined {
  switch (b.k) {
    case 'E':
      return (only ? b.errno === only : !excludes(except, b.errno)) ? b : undefined;
    case 'U':
    case 'I':
    case 'O':
      // restricted to one errno (`only`), the value is still unknown: keep what is known of it
      return only ? b : { ...b, x: xunion(b.x, except) };
    case 'P': {
      const o = only ?? b.only;
      if (only && b.only && only !== b.only) return undefined;
      if (o)
        return excludes(b.except, o) || excludes(except, o)
          ? undefined
          : { k: 'P', i: b.i, only: o, except: [] };
      return { k: 'P', i: b.i, only: undefined, except: xunion(b.except, except) };
    }
  }
}

/** Whether a value may be errno e, and under which guard of the caller's own parameters. */
function mayBe(v: Val, e: string): { ok: boolean; g?: Guard | undefined } {
  let best: { ok: boolean; g?: Guard | undefined } | undefined;
  for (const b of v.values()) {
    if (
      (b.k === 'E' && b.errno === e) ||
      ((b.k === 'U' || b.k === 'I' || b.k === 'O') && !excludes(b.x, e))
    ) {
      if (!b.g) return { ok: true };
      best ??= { ok: true, g: b.g };
    } else if (b.k === 'P' && (b.only ? b.only === e : !excludes(b.except, e))) {
      best ??= { ok: true, g: { p: b.i, e } };
    }
  }
  return best ?? { ok: false };
}

/** Names of same-file functions called anywhere in `body`. */
function callsIn(env: { text: string }, body: CNode, known: ReadonlyMap<string, unknown>): Set<string> {
  const out = new Set<string>();
  const todo: CNode[] = [body];
  for (let n = todo.pop(); n; n = todo.pop()) {
    if (n.type === 'call_expression') {
      const f = field(n, 'function');
      if (f && f.type === 'identifier') {
        const name = env.text.slice(f.start, f.end);
        if (known.has(name)) out.add(name);
      }
    }
    for (const ch of n.children) if (ch.named) todo.push(ch);
  }
  return out;
}

/**
 * Error sets of every function in `defs` (several definitions of one name, e.g. under #ifdef, are
 * merged). `text` is the text the tree was parsed from; `lines` the input's lines, for evidence.
 */
export function analyzeErrors(
  defs: readonly FnDef[],
  text: string,
  lines: readonly string[],
): Record<string, FunctionErrors> {
  const byName = new Map<string, FnDef[]>();
  for (const d of defs) {
    const list = byName.get(d.name);
    if (list) list.push(d);
    else byName.set(d.name, [d]);
  }
  const summaries = new Map<string, Summary>();
  for (const [name, list] of byName) {
    summaries.set(name, { ret: EMPTY, selfIncomplete: list.some((d) => d.hasParseErrors) });
  }
  const env: Env = { text, lines, summaries };
  const callers = new Map<string, Set<string>>();
  for (const d of defs) {
    for (const callee of callsIn(env, d.body, byName)) {
      const set = callers.get(callee) ?? new Set<string>();
      callers.set(callee, set);
      set.add(d.name);
    }
  }

  const queue = [...byName.keys()];
  const queued = new Set(queue);
  const runs = new Map<string, number>();
  const capped = new Set<string>();
  for (let qi = 0; qi < queue.length; qi++) {
    const name = queue[qi] as string;
    queued.delete(name);
    const count = (runs.get(name) ?? 0) + 1;
    runs.set(name, count);
    let ret: Val = EMPTY;
    let cap = false;
    for (const d of byName.get(name) ?? []) {
      const a = new FnAnalysis(d, env);
      ret = joinVal(ret, a.run());
      cap ||= a.capHit;
    }
    if (cap) capped.add(name);
    const old = summaries.get(name) as Summary;
    const selfIncomplete = (byName.get(name) ?? []).some((d) => d.hasParseErrors) || capped.has(name);
    const changed = !sameKeys(old.ret, ret) || old.selfIncomplete !== selfIncomplete;
    summaries.set(name, { ret, selfIncomplete });
    if (!changed) continue;
    if (count >= REANALYSES) {
      // not converging (should not happen: summaries only grow); stop here and say so
      capped.add(name);
      summaries.set(name, { ret, selfIncomplete: true });
      continue;
    }
    for (const c of callers.get(name) ?? []) {
      if (!queued.has(c)) {
        queued.add(c);
        queue.push(c);
      }
    }
  }

  const result: Record<string, FunctionErrors> = {};
  for (const [name, sum] of summaries) result[name] = report(name, sum);
  return result;
}

function report(name: string, sum: Summary): FunctionErrors {
  const facts = new Map<string, { fact: ErrnoFact; guarded: boolean }>();
  const unknown = new Set<string>();
  const values = new Set<string>();
  let opaque = false;
  // the exclusions of every value that reaches the return but is not a known errno
  const open: Excls[] = [];
  for (const a of sum.ret.values()) {
    if (a.k === 'U') {
      unknown.add(a.name);
      open.push(a.x);
    } else if (a.k === 'O') {
      values.add(a.what);
      open.push(a.x);
    } else if (a.k === 'I') {
      opaque = true;
      open.push(a.x);
    } else if (a.k === 'P') {
      // the caller's argument, whatever it is (restricted to one errno: nothing known excluded)
      open.push(a.only ? [] : a.except);
    } else {
      const old = facts.get(a.errno);
      const guarded = a.g !== undefined;
      if (
        !old ||
        (old.guarded && !guarded) ||
        (old.guarded === guarded && chainOrder(a.chain, old.fact.chain) < 0)
      ) {
        facts.set(a.errno, { fact: { errno: a.errno, written: a.written, chain: a.chain }, guarded });
      }
    }
  }
  const errnos = [...facts.values()].map((f) => f.fact).sort((x, y) => (x.errno < y.errno ? -1 : 1));
  const complete = !sum.selfIncomplete && !opaque && unknown.size === 0 && values.size === 0;
  const never: string[] = [];
  const neverVia: Record<string, ErrnoEvidence[]> = {};
  if (!complete && !sum.selfIncomplete && open.length > 0) {
    for (const { e } of open[0] as Excls) {
      if (facts.has(e) || !open.every((x) => excludes(x, e))) continue;
      never.push(e);
      const via: ErrnoEvidence[] = [];
      const seen = new Set<string>();
      for (const x of open) {
        for (const ev of x.find((y) => y.e === e)?.via ?? []) {
          const k = `${ev.fn}:${ev.line}`;
          if (!seen.has(k)) {
            seen.add(k);
            via.push(ev);
          }
        }
      }
      neverVia[e] = via;
    }
  }
  return {
    fn: name,
    errnos,
    complete,
    unknownCalls: [...unknown].sort(),
    unknownValues: [...values].sort(),
    never: never.sort(),
    neverVia,
  };
}
