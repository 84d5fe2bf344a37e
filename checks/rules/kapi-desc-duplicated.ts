/**
 * kapi-desc-duplicated: the same prose written twice in one spec. The long description repeats
 * the description or the kerneldoc paragraph above it (Corbet on RFC v2 01: "Why duplicate the
 * long description?"), an entry's condition and description say the same, or two entries of one
 * kind share a description (a copy-paste slip). Texts are compared whitespace-normalized and
 * case-insensitively; "repeats" is equality of a substantive text (at least 20 characters and 3
 * words, so "None" never fires) or containment of a text of at least 40 characters.
 */
import { canonicalErrno } from '../../parsers/c/errno.js';
import type { ApiSpec, FieldAssignment } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext } from '../define.js';
import type { Evidence } from '../types.js';
import { evidenceAt } from '../unit.js';

const MIN_EQUAL_CHARS = 20;
const MIN_EQUAL_WORDS = 3;
const MIN_CONTAINED_CHARS = 40;

/** Whitespace-normalized, case-insensitive, without closing punctuation. */
function normalizeText(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/[\s.;,:]+$/, '');
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[a-z0-9_]/.test(c);

/** Does one text repeat the other (equal and substantive, or the shorter one, long, inside the other)? */
export function repeats(a: string, b: string): boolean {
  const x = normalizeText(a);
  const y = normalizeText(b);
  if (x === '' || y === '') return false;
  if (x === y) return x.length >= MIN_EQUAL_CHARS && x.split(' ').length >= MIN_EQUAL_WORDS;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  if (short.length < MIN_CONTAINED_CHARS) return false;
  for (let at = long.indexOf(short); at >= 0; at = long.indexOf(short, at + 1))
    if (!isWordChar(long[at - 1]) && !isWordChar(long[at + short.length])) return true;
  return false;
}

/** A word character of a normalized text (the ones `repeats` will not cut through). */
function wordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
}

/** The members of a set of entries that `firstRepeat` needs: the first, and the first of another key. */
interface Firsts {
  /** The smallest member. */
  first: number;
  /** The smallest member whose key differs from the first's (-1: none). */
  other: number;
}

/**
 * For each text in order, the first earlier text it `repeats` whose key differs (keys null: no
 * key excludes), or -1: what comparing every pair would give, in linear time for texts of bounded
 * length. Equal texts meet through a map; for containment, every text of at least
 * MIN_CONTAINED_CHARS is a pattern, and each text is searched for the patterns whose first
 * MIN_CONTAINED_CHARS characters start at one of its word boundaries. Each distinct text's set
 * of partners is summarized by its first member and its first member of another key, which is all
 * the answer needs.
 */
export function firstRepeats(values: readonly string[], keys: readonly (string | null)[]): number[] {
  const norm = values.map(normalizeText);
  const members = new Map<string, number[]>();
  for (const [i, t] of norm.entries()) {
    if (t === '') continue;
    const m = members.get(t);
    if (m) m.push(i);
    else members.set(t, [i]);
  }
  const keyOf = (i: number): string | null => keys[i] ?? null;
  const merge = (a: Firsts | null, b: Firsts | null): Firsts | null => {
    if (a === null || a.first < 0) return b;
    if (b === null || b.first < 0) return a;
    const first = Math.min(a.first, b.first);
    const k = keyOf(first);
    const otherOf = (s: Firsts): number => (keyOf(s.first) !== k ? s.first : s.other);
    const cands = [otherOf(a), otherOf(b)].filter((x) => x >= 0);
    return { first, other: cands.length > 0 ? Math.min(...cands) : -1 };
  };
  const own = new Map<string, Firsts>();
  for (const [t, m] of members) {
    const first = m[0] as number;
    const other = m.find((i) => keyOf(i) !== keyOf(first)) ?? -1;
    own.set(t, { first, other });
  }

  // containment: which patterns each text holds at word boundaries
  const patterns = [...members.keys()].filter((t) => t.length >= MIN_CONTAINED_CHARS);
  const lengthsByPrefix = new Map<string, Set<number>>();
  for (const t of patterns) {
    const head = t.slice(0, MIN_CONTAINED_CHARS);
    const l = lengthsByPrefix.get(head);
    if (l) l.add(t.length);
    else lengthsByPrefix.set(head, new Set([t.length]));
  }
  /** For each text: the partners it contains, and the partners that contain it. */
  const inner = new Map<string, Firsts | null>();
  const outer = new Map<string, Firsts | null>();
  if (patterns.length > 0)
    for (const long of members.keys()) {
      if (long.length <= MIN_CONTAINED_CHARS) continue;
      const found = new Set<string>();
      for (let at = 0; at + MIN_CONTAINED_CHARS <= long.length; at++) {
        if (at > 0 && wordCode(long.charCodeAt(at - 1))) continue;
        const lengths = lengthsByPrefix.get(long.slice(at, at + MIN_CONTAINED_CHARS));
        if (!lengths) continue;
        for (const n of lengths) {
          const end = at + n;
          if (n >= long.length || end > long.length) continue;
          if (end < long.length && wordCode(long.charCodeAt(end))) continue;
          const short = long.slice(at, end);
          if (found.has(short) || !members.has(short)) continue;
          found.add(short);
          inner.set(long, merge(inner.get(long) ?? null, own.get(short) ?? null));
          outer.set(short, merge(outer.get(short) ?? null, own.get(long) ?? null));
        }
      }
    }

  return norm.map((t, j) => {
    if (t === '') return -1;
    const equal = t.length >= MIN_EQUAL_CHARS && t.split(' ').length >= MIN_EQUAL_WORDS;
    const all = merge(merge(equal ? (own.get(t) ?? null) : null, inner.get(t) ?? null), outer.get(t) ?? null);
    if (all === null) return -1;
    const k = keyOf(j);
    const i = k === null || keyOf(all.first) !== k ? all.first : all.other;
    return i >= 0 && i < j ? i : -1;
  });
}

/** Free-text fields (names, types, codes, targets and expressions are not prose). */
const PROSE = new Set([
  'description',
  'long_description',
  'notes',
  'condition',
  'allows',
  'without_cap',
  'check_condition',
  'constraints',
]);

const FIELD_LABEL: Record<string, string> = {
  description: 'description',
  long_description: 'long description',
  notes: 'notes text',
  condition: 'condition',
  allows: "'allows' text",
  without_cap: "'without' text",
  check_condition: 'condition',
  constraints: 'constraint text',
};

const KIND_LABEL: Record<string, string> = {
  param: 'param',
  error: 'error',
  lock: 'lock',
  signal: 'signal',
  signal_mask: 'signal mask',
  side_effect: 'side effect',
  state_trans: 'state transition',
  capability: 'capability',
  constraint: 'constraint',
  struct: 'struct',
};

/**
 * Entry kinds whose descriptions are compared with each other. Not params (several may be
 * "Reserved, must be zero") and not signals (a group handled alike, such as RFC v2 epoll's SIGINT
 * and SIGTERM, is naturally described by one text).
 */
const SIBLING_KINDS = new Set(['error', 'lock', 'side_effect', 'state_trans', 'capability', 'constraint']);

/** Fields the parsers fill from another source, not written as KAPI text. */
function derived(a: FieldAssignment): boolean {
  return (
    a.via === 'summary' ||
    a.via === 'Return:' ||
    a.via.includes('>') || // a helper macro's fixed text (KAPI_ERROR_EINVAL>KAPI_ERROR)
    (a.block.startsWith('param[') && a.field === 'description' && /^@\w+:$/.test(a.via))
  );
}

interface Text {
  subject: string;
  label: string;
  value: string;
  line: number;
}

/** The block label's kind and its display name: 'error[2]' -> ['error', 'EINVAL']. */
function entryNames(spec: ApiSpec): Map<string, { kind: string; name: string }> {
  const out = new Map<string, { kind: string; name: string }>();
  const NAME_FIELDS: Record<string, string[]> = {
    error: ['error_code', 'name'],
    param: ['name'],
    lock: ['lock_name'],
    signal: ['signal_name'],
    capability: ['capability', 'cap_name'],
    constraint: ['name'],
    signal_mask: ['mask_name'],
    struct: ['name'],
  };
  for (const a of spec.assignments) {
    const m = /^([a-z_]+)\[([^\]]*)\]$/.exec(a.block);
    if (!m) continue;
    const kind = m[1] as string;
    if (!out.has(a.block)) out.set(a.block, { kind, name: m[2] as string });
    const fields = NAME_FIELDS[kind];
    const entry = out.get(a.block) as { kind: string; name: string; named?: boolean };
    if (!fields?.includes(a.field) || entry.named) continue;
    let name = a.value.trim();
    if (kind === 'error') {
      const e = /-?\s*(E[A-Z0-9_]+)/.exec(name);
      if (!e) continue;
      name = e[1] as string;
    }
    if (name === '' || /[\s\]]/.test(name)) continue;
    entry.name = name;
    entry.named = true;
  }
  return out;
}

/** Each spec's non-blank lines without their comment markers, cut once for all its findLine calls. */
const specLines = new WeakMap<ApiSpec, [line: number, text: string][]>();

function linesOf(ctx: Ctx, spec: ApiSpec): [number, string][] {
  let out = specLines.get(spec);
  if (out) return out;
  out = [];
  for (let n = spec.line; n <= spec.endLine; n++) {
    const raw = ctx.unit.line(n);
    if (raw === undefined) continue;
    const text = raw
      .replace(/^\s*\/\*\*/, '')
      .replace(/^\s*\*(?!\/)\s?/, '')
      .trim();
    if (text !== '') out.push([n, text]);
  }
  specLines.set(spec, out);
  return out;
}

/** A line of the spec's comment, by its text with the comment markers removed. */
function findLine(ctx: Ctx, spec: ApiSpec, pred: (text: string) => boolean): number | null {
  for (const [n, text] of linesOf(ctx, spec)) if (pred(text)) return n;
  return null;
}

const messages = {
  repeats: '{spec}: {what} repeats {other}',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-desc-duplicated',
    description:
      'The long description repeats the description or the kerneldoc paragraph, or one text appears in two fields of a spec.',
    severity: 'warning',
    messages,
  },
  run(ctx) {
    for (const spec of ctx.unit.specs) if (!spec.partial) checkSpec(ctx, spec);
  },
});

/** One spec's written prose, as the comparisons below read it, and how they report. */
interface SpecTexts {
  ctx: Ctx;
  spec: ApiSpec;
  names: Map<string, { kind: string; name: string }>;
  /** The effective (last) written value of each prose field, per block. */
  written: FieldAssignment[];
  textOf: (a: FieldAssignment) => Text;
  /** One finding per subject: the first comparison that finds a repeat reports it. */
  report: (dup: Text, orig: Text, what?: string, other?: string) => void;
}

function checkSpec(ctx: Ctx, spec: ApiSpec): void {
  const reported = new Set<string>();
  const evidenceOf = (t: Text): Evidence => evidenceAt(ctx.unit, t.line);
  const report = (dup: Text, orig: Text, what = dup.label, other = orig.label): void => {
    if (reported.has(dup.subject)) return;
    reported.add(dup.subject);
    const evidence = [evidenceOf(dup)];
    if (orig.line !== dup.line) evidence.push(evidenceOf(orig));
    ctx.report({
      messageId: 'repeats',
      data: { spec: spec.name, what, other },
      line: dup.line,
      spec: spec.name,
      subject: dup.subject,
      evidence,
    });
  };

  const names = entryNames(spec);
  const last = new Map<string, FieldAssignment>();
  for (const a of spec.assignments) if (PROSE.has(a.field)) last.set(`${a.block}\u0000${a.field}`, a);
  const written = [...last.values()].filter((a) => !derived(a) && a.value.trim() !== '');
  const textOf = (a: FieldAssignment): Text => {
    const field = FIELD_LABEL[a.field] ?? a.field;
    if (a.block === 'spec') return { subject: a.field, label: `the ${field}`, value: a.value, line: a.line };
    if (a.block === 'return')
      return {
        subject: `return.${a.field}`,
        label: `the return ${field}`,
        value: a.value,
        line: a.line,
      };
    const e = names.get(a.block);
    const kind = e?.kind ?? a.block;
    const name = e?.name ?? '';
    return {
      subject: `${kind}[${name}].${a.field}`,
      label: `the ${field} of ${KIND_LABEL[kind] ?? kind} ${name}`,
      value: a.value,
      line: a.line,
    };
  };
  // in this order: the first comparison to find a repeat of a subject reports it
  const s: SpecTexts = { ctx, spec, names, written, textOf, report };
  specLevel(s);
  kerneldocRepeats(s);
  withinEntry(s);
  betweenEntries(s);
}

/**
 * (A) Spec level: the description, long description and notes against the kerneldoc text and the
 * fields before them.
 */
function specLevel(s: SpecTexts): void {
  const { ctx, spec, written, textOf, report } = s;
  const top = (field: string): Text | null => {
    const a = written.find((x) => x.block === 'spec' && x.field === field);
    return a ? textOf(a) : null;
  };
  const kd = spec.kerneldoc;
  // where the kerneldoc summary and paragraph are written is looked up only for a finding: most
  // specs repeat nothing, and the lookup reads every line of the spec
  let summaryLine: number | undefined;
  let paragraphLine: number | undefined;
  const summary = kd?.summary ?? null;
  const paragraph = kd?.description ?? null;
  const kdSummary: Text | null =
    summary !== null
      ? {
          subject: 'kerneldoc.summary',
          label: 'the kerneldoc summary line',
          value: summary,
          get line() {
            summaryLine ??= findLine(ctx, spec, (t) => t.endsWith(summary) && / -+ /.test(t)) ?? spec.line;
            return summaryLine;
          },
        }
      : null;
  const kdParagraph: Text | null =
    paragraph !== null
      ? {
          subject: 'kerneldoc.description',
          label: 'the kerneldoc description paragraph',
          value: paragraph,
          get line() {
            if (paragraphLine === undefined) {
              const whole = normalizeText(paragraph);
              paragraphLine =
                findLine(
                  ctx,
                  spec,
                  (t) => t.length >= 10 && !/^@?[\w.-]+\s*:/.test(t) && whole.startsWith(normalizeText(t)),
                ) ?? spec.line;
            }
            return paragraphLine;
          },
        }
      : null;
  const description = top('description');
  const longDesc = top('long_description');
  const notes = top('notes');
  const candidates: [Text | null, (Text | null)[]][] = [
    [description, [kdSummary, kdParagraph]],
    [longDesc, [description ?? kdSummary, kdParagraph]],
    [notes, [description ?? kdSummary, kdParagraph, longDesc]],
  ];
  for (const [dup, origs] of candidates) {
    if (!dup) continue;
    const orig = origs.find((o) => o !== null && repeats(dup.value, o.value));
    if (orig) report(dup, orig);
  }
}

/** (D) Kerneldoc: a param's desc: that repeats its @name: line, a return desc: that repeats Return:. */
function kerneldocRepeats(s: SpecTexts): void {
  const { ctx, spec, names, written, textOf, report } = s;
  const kd = spec.kerneldoc;
  if (kd) {
    // the first @name: line of each name
    const kdParams = new Map<string, (typeof kd.params)[number]>();
    for (const p of kd.params) if (!kdParams.has(p.name)) kdParams.set(p.name, p);
    for (const a of written) {
      const m = /^param\[/.test(a.block) && a.field === 'description';
      if (!m) continue;
      const t = textOf(a);
      const pname = names.get(a.block)?.name;
      const kp = pname === undefined ? undefined : kdParams.get(pname);
      if (kp && repeats(a.value, kp.description))
        report(t, { subject: `@${kp.name}`, label: `@${kp.name}`, value: kp.description, line: kp.line });
    }
    const ret = written.find((a) => a.block === 'return' && a.field === 'description');
    if (ret && kd.returns !== null && repeats(ret.value, kd.returns)) {
      const line = findLine(ctx, spec, (t) => /^returns?:\s*\S/i.test(t)) ?? spec.line;
      report(textOf(ret), {
        subject: 'kerneldoc.returns',
        label: 'the Return: section',
        value: kd.returns,
        line,
      });
    }
  }
}

/** (B) Inside one entry: two prose fields with the same text (an error's condition and description). */
function withinEntry(s: SpecTexts): void {
  const { written, textOf, report } = s;
  const byBlock = new Map<string, FieldAssignment[]>();
  for (const a of written) {
    if (a.block === 'spec') continue;
    const xs = byBlock.get(a.block) ?? [];
    xs.push(a);
    byBlock.set(a.block, xs);
  }
  for (const xs of byBlock.values())
    for (let j = 1; j < xs.length; j++)
      for (let i = 0; i < j; i++) {
        const [x, y] = [xs[i] as FieldAssignment, xs[j] as FieldAssignment];
        if (!repeats(x.value, y.value)) continue;
        const [orig, dup] = x.line <= y.line ? [x, y] : [y, x];
        report(textOf(dup), textOf(orig), undefined, `its ${FIELD_LABEL[orig.field] ?? orig.field}`);
      }
}

/**
 * (C) Two entries of one kind with the same description (errors: of different codes), the first
 * earlier one that repeats it: per kind, through firstRepeats (comparing every pair took 70 s for
 * a spec of 10,000 errors).
 */
function betweenEntries(s: SpecTexts): void {
  const { names, written, textOf, report } = s;
  const descs = written
    .filter((a) => a.field === 'description' && a.block !== 'spec' && a.block !== 'return')
    .sort((a, b) => a.line - b.line);
  const byKind = new Map<string, number[]>();
  for (const [j, y] of descs.entries()) {
    const ky = names.get(y.block);
    if (!ky || !SIBLING_KINDS.has(ky.kind)) continue;
    const same = byKind.get(ky.kind);
    if (same) same.push(j);
    else byKind.set(ky.kind, [j]);
  }
  const firstOf = new Map<number, number>();
  for (const [kind, js] of byKind) {
    const found = firstRepeats(
      js.map((j) => (descs[j] as FieldAssignment).value),
      js.map((j) =>
        kind === 'error' ? canonicalErrno(names.get((descs[j] as FieldAssignment).block)?.name ?? '') : null,
      ),
    );
    for (const [k, i] of found.entries()) if (i >= 0) firstOf.set(js[k] as number, js[i] as number);
  }
  for (const [j, y] of descs.entries()) {
    const i = firstOf.get(j);
    if (i !== undefined) report(textOf(y), textOf(descs[i] as FieldAssignment));
  }
}
