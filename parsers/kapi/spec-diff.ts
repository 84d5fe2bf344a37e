/**
 * What changed in each spec between two revisions, in the spec's own terms: params added, removed
 * or retyped, errors added or dropped, locks, signals, contexts, constraints, side effects, ...
 *
 * Compared on the normalized model (model.ts), never on the text, so a spec that moved between
 * forms (macro in RFC v2, kerneldoc in RFC v3) shows only what it says differently. Entries are
 * matched by what names them, not by position: a param by its name, an error by its errno, a lock
 * by its name, a signal by its signal, a side effect by its target, a state transition by its
 * object, a capability by its CAP_ name, a constraint and a struct by their names. Reordering the
 * error list or renumbering the entries is no change. Text compares with runs of whitespace
 * folded (a reflowed comment is the same text); counts, positions and the raw assignments are
 * bookkeeping and are not compared.
 *
 * Pure: specs in, a list of deltas out; never throws.
 */
import type { ApiSpec, SpecForm, SpecParam, SpecSignal, SpecStruct, SpecStructField } from './model.js';

export type SpecArea =
  | 'spec'
  | 'context'
  | 'param'
  | 'return'
  | 'error'
  | 'lock'
  | 'signal'
  | 'signal-mask'
  | 'side-effect'
  | 'state-trans'
  | 'capability'
  | 'constraint'
  | 'struct';

export interface SpecChange {
  area: SpecArea;
  /** The entry: a param name, an errno ('EFAULT'), a lock name, ...; '' for the spec or its return. */
  key: string;
  op: 'added' | 'removed' | 'changed';
  /** For 'changed' (and a field added or removed on an entry both sides have): the field. */
  field: string | null;
  /** The old and new value of the field, or a one-line summary of an added or removed entry. */
  old: string | null;
  new: string | null;
  /** The line on the side that has it (new, else old), 1-based in that side's file. */
  line: number | null;
}

export interface SpecSide {
  form: SpecForm;
  path: string;
  line: number;
  partial: boolean;
}

export interface SpecDelta {
  name: string;
  status: 'added' | 'removed' | 'changed' | 'same';
  old: SpecSide | null;
  new: SpecSide | null;
  changes: SpecChange[];
}

/** Whitespace folded and trimmed: what a text means, not how it was wrapped. */
export function foldText(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  const t = s.replace(/\s+/g, ' ').trim();
  return t === '' ? null : t;
}

type Fields = Record<string, string | null>;

function side(s: ApiSpec): SpecSide {
  return { form: s.form, path: s.path, line: s.line, partial: s.partial };
}

/** The keyed entries of a list: the key, made unique by a `#n` suffix for repeats. */
function keyed<T>(xs: readonly T[], keyOf: (x: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  const seen = new Map<string, number>();
  for (const x of xs) {
    const k = keyOf(x);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    out.set(n === 1 ? k : `${k}#${n}`, x);
  }
  return out;
}

/** Field-by-field changes of one entry both sides have. */
function fieldChanges(
  area: SpecArea,
  key: string,
  a: Fields,
  b: Fields,
  line: number | null,
  out: SpecChange[],
): void {
  for (const f of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[f] ?? null;
    const y = b[f] ?? null;
    if (x === y) continue;
    const op = x === null ? 'added' : y === null ? 'removed' : 'changed';
    out.push({ area, key, op, field: f, old: x, new: y, line });
  }
}

interface EntryKind<T> {
  area: SpecArea;
  key: (x: T) => string;
  fields: (x: T) => Fields;
  /** A one-line summary of an added or removed entry. */
  summary: (x: T) => string | null;
  line: (x: T) => number;
}

function diffEntries<T>(kind: EntryKind<T>, olds: readonly T[], news: readonly T[], out: SpecChange[]): void {
  const a = keyed(olds, kind.key);
  const b = keyed(news, kind.key);
  for (const [k, x] of a)
    if (!b.has(k))
      out.push({
        area: kind.area,
        key: k,
        op: 'removed',
        field: null,
        old: kind.summary(x),
        new: null,
        line: null,
      });
  for (const [k, y] of b) {
    const x = a.get(k);
    if (x === undefined)
      out.push({
        area: kind.area,
        key: k,
        op: 'added',
        field: null,
        old: null,
        new: kind.summary(y),
        line: kind.line(y),
      });
    else fieldChanges(kind.area, k, kind.fields(x), kind.fields(y), kind.line(y), out);
  }
}

function range(r: { min: string; max: string } | null): string | null {
  return r ? `${r.min}..${r.max}` : null;
}

function list(xs: readonly string[] | null): string | null {
  return xs && xs.length > 0 ? [...xs].sort().join(' | ') : null;
}

function paramFields(p: SpecParam): Fields {
  return {
    position: p.index === null ? null : String(p.index),
    ctype: foldText(p.ctype),
    type: p.type,
    flags: list(p.flags),
    description: foldText(p.description),
    'constraint-type': p.constraintType,
    constraint: foldText(p.constraint),
    range: range(p.range),
    mask: foldText(p.validMask),
  };
}

function signalFields(s: SpecSignal): Fields {
  const f: Fields = {
    direction: s.direction,
    action: s.action,
    condition: foldText(s.condition),
    description: foldText(s.description),
    error: s.error?.replace(/^-\s*/, '') ?? null,
  };
  for (const [k, v] of Object.entries(s.extra)) f[k] = foldText(v);
  return f;
}

function structFieldFields(f: SpecStructField): Fields {
  return {
    type: f.type,
    ctype: foldText(f.ctype),
    description: foldText(f.description),
    'constraint-type': f.constraintType,
    range: range(f.range),
    mask: foldText(f.validMask),
    enum: list(f.enumValues),
  };
}

function structFields(s: SpecStruct): Fields {
  return { description: foldText(s.description), size: foldText(s.size), alignment: foldText(s.alignment) };
}

const PARAM: EntryKind<SpecParam> = {
  area: 'param',
  key: (p) => p.name,
  fields: paramFields,
  summary: (p) => [foldText(p.ctype) ?? p.type, foldText(p.description)].filter(Boolean).join(': ') || null,
  line: (p) => p.line,
};

const ERROR: EntryKind<ApiSpec['errors'][number]> = {
  area: 'error',
  key: (e) => e.code,
  fields: (e) => ({ condition: foldText(e.condition), description: foldText(e.description) }),
  summary: (e) => foldText(e.condition) ?? foldText(e.description),
  line: (e) => e.line,
};

const LOCK: EntryKind<ApiSpec['locks'][number]> = {
  area: 'lock',
  key: (l) => l.name,
  fields: (l) => ({
    type: l.type,
    acquired: l.acquired,
    released: l.released,
    description: foldText(l.description),
  }),
  summary: (l) => [l.type, foldText(l.description)].filter(Boolean).join(': ') || null,
  line: (l) => l.line,
};

const SIGNAL: EntryKind<SpecSignal> = {
  area: 'signal',
  key: (s) => s.signal,
  fields: signalFields,
  summary: (s) => [s.direction, s.action].filter(Boolean).join(', ') || foldText(s.description),
  line: (s) => s.line,
};

const SIGNAL_MASK: EntryKind<ApiSpec['signalMasks'][number]> = {
  area: 'signal-mask',
  key: (m) => m.name,
  fields: (m) => ({ description: foldText(m.description) }),
  summary: (m) => foldText(m.description),
  line: (m) => m.line,
};

const SIDE_EFFECT: EntryKind<ApiSpec['sideEffects'][number]> = {
  area: 'side-effect',
  key: (s) => foldText(s.target) ?? foldText(s.description) ?? (list(s.types) || '?'),
  fields: (s) => ({
    types: list(s.types),
    description: foldText(s.description),
    condition: foldText(s.condition),
    reversible: s.reversible === null ? null : s.reversible ? 'yes' : 'no',
  }),
  summary: (s) => [list(s.types), foldText(s.description)].filter(Boolean).join(': ') || null,
  line: (s) => s.line,
};

const STATE_TRANS: EntryKind<ApiSpec['stateTransitions'][number]> = {
  area: 'state-trans',
  key: (t) => foldText(t.object) ?? foldText(t.description) ?? '?',
  fields: (t) => ({
    from: foldText(t.from),
    to: foldText(t.to),
    condition: foldText(t.condition),
    description: foldText(t.description),
  }),
  summary: (t) => (t.from || t.to ? `${foldText(t.from) ?? '?'} -> ${foldText(t.to) ?? '?'}` : null),
  line: (t) => t.line,
};

const CAPABILITY: EntryKind<ApiSpec['capabilities'][number]> = {
  area: 'capability',
  key: (c) => c.capability,
  fields: (c) => ({
    action: c.action,
    allows: foldText(c.allows),
    without: foldText(c.without),
    condition: foldText(c.condition),
  }),
  summary: (c) => c.action,
  line: (c) => c.line,
};

const CONSTRAINT: EntryKind<ApiSpec['constraints'][number]> = {
  area: 'constraint',
  key: (c) => foldText(c.name) ?? '?',
  fields: (c) => ({ description: foldText(c.description), expr: foldText(c.expr) }),
  summary: (c) => foldText(c.expr) ?? foldText(c.description),
  line: (c) => c.line,
};

/** A struct: its own facts, then each field as `struct.field`. */
function diffStructs(olds: readonly SpecStruct[], news: readonly SpecStruct[], out: SpecChange[]): void {
  const STRUCT: EntryKind<SpecStruct> = {
    area: 'struct',
    key: (s) => s.name,
    fields: structFields,
    summary: (s) => foldText(s.description),
    line: (s) => s.line,
  };
  diffEntries(STRUCT, olds, news, out);
  const a = keyed(olds, STRUCT.key);
  for (const [k, y] of keyed(news, STRUCT.key)) {
    const x = a.get(k);
    if (!x) continue;
    diffEntries(
      {
        area: 'struct',
        key: (f) => `${k}.${f.name}`,
        fields: structFieldFields,
        summary: (f) => [f.ctype ?? f.type, foldText(f.description)].filter(Boolean).join(': ') || null,
        line: (f) => f.line,
      },
      x.fields,
      y.fields,
      out,
    );
  }
}

function specFields(s: ApiSpec): Fields {
  return {
    kind: s.kind,
    description: foldText(s.description ?? s.kerneldoc?.summary),
    'long-description': foldText(s.longDescription),
    examples: foldText(s.examples),
    notes: foldText(s.notes),
    since: foldText(s.since),
  };
}

function returnFields(s: ApiSpec): Fields {
  const r = s.returns;
  return {
    ctype: foldText(r?.ctype),
    type: r?.type ?? null,
    'check-type': r?.checkType ?? null,
    success: foldText(r?.success),
    description: foldText(r?.description ?? s.kerneldoc?.returns),
  };
}

/** The changes between two specs of one name. */
function diffSpec(a: ApiSpec, b: ApiSpec): SpecChange[] {
  const out: SpecChange[] = [];
  fieldChanges('spec', '', specFields(a), specFields(b), b.line, out);
  const ca = new Set(a.contexts);
  const cb = new Set(b.contexts);
  for (const c of ca)
    if (!cb.has(c))
      out.push({ area: 'context', key: c, op: 'removed', field: null, old: c, new: null, line: null });
  for (const c of cb)
    if (!ca.has(c))
      out.push({ area: 'context', key: c, op: 'added', field: null, old: null, new: c, line: b.line });
  diffEntries(PARAM, a.params, b.params, out);
  fieldChanges('return', '', returnFields(a), returnFields(b), b.returns?.line ?? null, out);
  diffEntries(ERROR, a.errors, b.errors, out);
  diffEntries(LOCK, a.locks, b.locks, out);
  diffEntries(SIGNAL, a.signals, b.signals, out);
  diffEntries(SIGNAL_MASK, a.signalMasks, b.signalMasks, out);
  diffEntries(SIDE_EFFECT, a.sideEffects, b.sideEffects, out);
  diffEntries(STATE_TRANS, a.stateTransitions, b.stateTransitions, out);
  diffEntries(CAPABILITY, a.capabilities, b.capabilities, out);
  diffEntries(CONSTRAINT, a.constraints, b.constraints, out);
  diffStructs(a.structs, b.structs, out);
  return out;
}

/** Specs by name; of several of one name, the last complete one (else the last). */
function byName(specs: readonly ApiSpec[]): Map<string, ApiSpec> {
  const out = new Map<string, ApiSpec>();
  for (const s of specs) {
    const had = out.get(s.name);
    if (!had || had.partial || !s.partial) out.set(s.name, s);
  }
  return out;
}

/**
 * Every spec of either side, by name, in the order of the new side (then the removed ones in the
 * order of the old): added, removed, changed (with its changes) or the same.
 */
export function diffSpecs(olds: readonly ApiSpec[], news: readonly ApiSpec[]): SpecDelta[] {
  const a = byName(olds);
  const b = byName(news);
  const out: SpecDelta[] = [];
  for (const [name, y] of b) {
    const x = a.get(name);
    if (!x) {
      out.push({ name, status: 'added', old: null, new: side(y), changes: [] });
      continue;
    }
    const changes = diffSpec(x, y);
    out.push({ name, status: changes.length > 0 ? 'changed' : 'same', old: side(x), new: side(y), changes });
  }
  for (const [name, x] of a)
    if (!b.has(name)) out.push({ name, status: 'removed', old: side(x), new: null, changes: [] });
  return out;
}
