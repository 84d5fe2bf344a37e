/**
 * kapi-index-sequence: the indices of a macro-form spec's entries (params, errors, locks,
 * signals, signal masks, side effects, state transitions, capabilities, constraints, struct
 * specs and their fields) do not run 0..n-1: an index is used twice (the second entry overwrites
 * the first, `.errors[1] = { … }` twice) or one is skipped (the framework walks entries 0..count-1
 * and reads the hole as a zeroed entry, or never reaches the last one).
 *
 * Only the macro form writes indices; the kerneldoc forms number entries in order, so their
 * indices are always a sequence. Helper macros are expanded by the parser first, so their
 * hard-coded indices (KAPI_IOCTL_PARAM_SIZE is param 0) count like written ones.
 */
import type { ApiSpec } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext } from '../define.js';

interface Entry {
  index: number | null;
  line: number;
}

/** The indexed lists of a spec: label for the subject, words for the message. */
function lists(spec: ApiSpec): { label: string; what: string; entries: Entry[] }[] {
  const out = [
    { label: 'param', what: 'params', entries: spec.params as Entry[] },
    { label: 'error', what: 'errors', entries: spec.errors },
    { label: 'lock', what: 'locks', entries: spec.locks },
    { label: 'signal', what: 'signals', entries: spec.signals },
    { label: 'signal_mask', what: 'signal masks', entries: spec.signalMasks },
    { label: 'side_effect', what: 'side effects', entries: spec.sideEffects },
    { label: 'state_trans', what: 'state transitions', entries: spec.stateTransitions },
    { label: 'capability', what: 'capabilities', entries: spec.capabilities },
    { label: 'constraint', what: 'constraints', entries: spec.constraints },
    { label: 'struct', what: 'struct specs', entries: spec.structs },
  ];
  for (const st of spec.structs)
    if (st.index !== null)
      out.push({
        label: `struct[${st.index}].field`,
        what: `fields of struct[${st.index}]`,
        entries: st.fields,
      });
  return out;
}

/** The index as the line writes it, replaced by `to`, when the line shows it once in an index position. */
function renumbered(line: string | undefined, index: number, to: number): string | undefined {
  if (line === undefined) return undefined;
  const re = new RegExp(`(\\(\\s*|\\[\\s*)${index}(?=\\s*[,\\]])`, 'g');
  const hits = line.match(re) ?? [];
  if (hits.length !== 1) return undefined;
  return line.replace(re, `$1${to}`);
}

const messages = {
  repeated:
    '{spec}: {label}[{index}] is defined twice (first on line {first}); the second overwrites the first',
  gap: '{spec}: {label}[{index}] is out of sequence: {what} are indexed {present} and nothing defines {missing}',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-index-sequence',
    description: "A macro-form spec's entry indices are repeated or do not run 0..n-1.",
    severity: 'error',
    messages,
  },
  run(ctx) {
    for (const spec of ctx.unit.specs) {
      if (spec.form !== 'macro' || spec.partial) continue;
      for (const l of lists(spec)) check1(ctx, spec, l.label, l.what, l.entries);
    }
  },
});

/** A list for a message: whole up to 16 items, else its first 8 and last 4 around a count. */
function abbreviated(items: readonly string[]): string {
  if (items.length <= 16) return items.join(', ');
  return `${items.slice(0, 8).join(', ')}, ... (${items.length - 12} more), ${items.slice(-4).join(', ')}`;
}

function check1(ctx: Ctx, spec: ApiSpec, label: string, what: string, entries: Entry[]): void {
  if (entries.length === 0) return;
  // an index we cannot evaluate (a macro constant): say nothing about the sequence
  if (entries.some((e) => e.index === null)) return;
  const n = entries.length;
  const firstAt = new Map<number, Entry>();
  const problems: { entry: Entry; kind: 'repeated' | 'gap'; first?: Entry }[] = [];
  for (const e of entries) {
    const k = e.index as number;
    const first = firstAt.get(k);
    if (first) problems.push({ entry: e, kind: 'repeated', first });
    else {
      firstAt.set(k, e);
      if (k < 0 || k >= n) problems.push({ entry: e, kind: 'gap' });
    }
  }
  if (problems.length === 0) return;
  const missing: number[] = [];
  for (let k = 0; k < n; k++) if (!firstAt.has(k)) missing.push(k);
  const path = ctx.unit.path;
  const text = (line: number): string => (ctx.unit.line(line) ?? '').trim();
  // computed once for the spec, not per problem: a spec with thousands of misnumbered entries
  // would otherwise cost problems x entries, and print every index in every message
  let maxGood = Number.NEGATIVE_INFINITY;
  for (const k of firstAt.keys()) if (k >= 0 && k < n && k > maxGood) maxGood = k;
  const present = abbreviated([...firstAt.keys()].sort((a, b) => a - b).map(String));
  const missingText = abbreviated(missing.map((k) => `${label}[${k}]`));
  /** The entries by index, for the one just below an index (by bisection). */
  const byIndex = [...entries].sort((x, y) => (x.index as number) - (y.index as number));
  /** Where the first entry with an index of at least `k` stands in byIndex. */
  const firstFrom = (k: number): number => {
    let lo = 0;
    let hi = byIndex.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (((byIndex[mid] as Entry).index as number) < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // the first (in the spec's order) of the entries with the highest index below `index`
  const below = (index: number): Entry | undefined => {
    const at = firstFrom(index);
    if (at === 0) return undefined;
    return byIndex[firstFrom((byIndex[at - 1] as Entry).index as number)];
  };
  for (const [i, p] of problems.entries()) {
    const index = p.entry.index as number;
    const to = missing[i];
    // renumber only what is certainly right: one wrong entry per hole, and the holes above
    // every good index (a hole at the start means an entry is missing, not misnumbered)
    const certain =
      problems.length === missing.length && to !== undefined && (p.kind === 'repeated' || maxGood < to);
    const suggestion = certain ? renumbered(ctx.unit.line(p.entry.line), index, to as number) : undefined;
    const evidence = [{ path, line: p.entry.line, text: text(p.entry.line) }];
    if (p.first) evidence.unshift({ path, line: p.first.line, text: text(p.first.line) });
    else {
      // the entry just below it in the sequence
      const b = below(index);
      if (b) evidence.unshift({ path, line: b.line, text: text(b.line) });
    }
    ctx.report({
      messageId: p.kind,
      data: {
        spec: spec.name,
        label,
        index,
        first: p.first?.line ?? 0,
        what,
        present,
        missing: missingText,
      },
      line: p.entry.line,
      spec: spec.name,
      subject: `index:${label}[${index}]`,
      evidence,
      ...(suggestion !== undefined ? { suggestion } : {}),
    });
  }
}
