/**
 * The abstract values of the errno analysis (errors.ts): atoms (an errno with its evidence, an
 * unknown call result, an untracked value, a parameter, an incomplete same-file result), guards,
 * exclusions, their join, and the per-path state of the variables. Pure data and functions; the
 * interpretation of the syntax tree is in errors.ts.
 */
import type { ErrnoEvidence } from './model.js';

export interface Guard {
  p: number;
  e: string;
}

/** An errno a value provably is not, with the lines that exclude it (from the test outward). */
export interface Excl {
  e: string;
  via: ErrnoEvidence[];
}

/** Sorted by errno, one entry per errno. */
export type Excls = readonly Excl[];

export type Atom =
  | { k: 'E'; errno: string; written: string; chain: ErrnoEvidence[]; g: Guard | undefined }
  | { k: 'U'; name: string; g: Guard | undefined; x: Excls }
  | { k: 'I'; fn: string; g: Guard | undefined; x: Excls }
  | { k: 'O'; what: string; g: Guard | undefined; x: Excls }
  | { k: 'P'; i: number; only: string | undefined; except: Excls };

export type Val = ReadonlyMap<string, Atom>;

export const EMPTY: Val = new Map();
export const MAX_CHAIN = 16;

export function gkey(g: Guard | undefined): string {
  return g ? `${g.p}=${g.e}` : '';
}

function xkey(x: Excls): string {
  return x.map((y) => y.e).join(',');
}

function akey(a: Atom): string {
  switch (a.k) {
    case 'E':
      return `E:${a.errno}:${gkey(a.g)}`;
    case 'U':
      return `U:${a.name}:${gkey(a.g)}:${xkey(a.x)}`;
    case 'I':
      return `I:${a.fn}:${gkey(a.g)}:${xkey(a.x)}`;
    case 'O':
      return `O:${a.what}:${gkey(a.g)}:${xkey(a.x)}`;
    case 'P':
      return `P:${a.i}:${a.only ?? ''}:${xkey(a.except)}`;
  }
}

export function excludes(x: Excls, e: string): boolean {
  return x.some((y) => y.e === e);
}

/** The union of two exclusion lists (for an errno in both, the shorter evidence). */
export function xunion(a: Excls, b: Excls): Excls {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const m = new Map(a.map((y) => [y.e, y]));
  for (const y of b) {
    const o = m.get(y.e);
    if (!o || chainOrder(y.via, o.via) < 0) m.set(y.e, y);
  }
  return [...m.values()].sort((p, q) => (p.e < q.e ? -1 : p.e > q.e ? 1 : 0));
}

/** Exclusions seen one call further out: `site` appended to each evidence chain. */
export function xthrough(x: Excls, site: ErrnoEvidence): Excls {
  return x.map((y) => (y.via.length >= MAX_CHAIN ? y : { e: y.e, via: [...y.via, site] }));
}

export function chainOrder(a: ErrnoEvidence[], b: ErrnoEvidence[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ErrnoEvidence;
    const y = b[i] as ErrnoEvidence;
    if (x.line !== y.line) return x.line - y.line;
  }
  return 0;
}

/** Of two atoms with one key, the one to keep: the shorter (then earlier) evidence chain. */
function better(a: Atom, b: Atom): Atom {
  if (a.k === 'E' && b.k === 'E') return chainOrder(b.chain, a.chain) < 0 ? b : a;
  return a;
}

export function single(a: Atom): Val {
  return new Map([[akey(a), a]]);
}

export function add(m: Map<string, Atom>, a: Atom): void {
  const k = akey(a);
  const o = m.get(k);
  m.set(k, o ? better(o, a) : a);
}

export function joinVal(a: Val, b: Val): Val {
  if (a === b || b.size === 0) return a;
  if (a.size === 0) return b;
  const m = new Map(a);
  for (const x of b.values()) add(m, x);
  return m;
}

export function sameKeys(a: Val, b: Val): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

export function withGuard(v: Val, g: Guard | undefined): Val {
  if (!g) return v;
  let changed = false;
  for (const a of v.values()) if (a.k !== 'P' && !a.g) changed = true;
  if (!changed) return v;
  const m = new Map<string, Atom>();
  for (const a of v.values()) add(m, a.k !== 'P' && !a.g ? { ...a, g } : a);
  return m;
}

export class State {
  constructor(
    public vars: Map<string, Val>,
    public g: Guard | undefined,
  ) {}
  clone(): State {
    return new State(new Map(this.vars), this.g);
  }
  replace(o: State): void {
    this.vars = o.vars;
    this.g = o.g;
  }
}
