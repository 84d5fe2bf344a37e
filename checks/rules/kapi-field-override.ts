/**
 * kapi-field-override: one field of one block is set twice. In the macro form every macro is a
 * designated initializer, so the later value silently replaces the earlier one (and a W=1 build
 * fails with -Woverride-init); in the kerneldoc forms the generator keeps one value of a
 * repeated key. RFC v2's mlock2, mlockall, munlock and munlockall each give their mmap_lock two
 * KAPI_LOCK_DESC lines, so the first description never reaches the spec.
 *
 * Since PATCH v4, KAPI_LOCK_ACQUIRED, KAPI_LOCK_RELEASED and KAPI_LOCK_HELD_* all set `.scope`:
 * two of them in one lock block overwrite each other too, which gets its own message. Up to
 * PATCH v2 they set separate fields, so this is reported only for specs written for the newer
 * headers, recognised by the absence of the *_END macros that PATCH v3 removed.
 *
 * Not overrides, and not reported: values the forms accumulate (KAPI_SIGNAL_MASK_ADD appends;
 * the flag tokens of a kerneldoc `type: uint, input` line are OR'd into the flags; a kerneldoc
 * constraint's header description is joined with its `desc:`; a kerneldoc error's `desc:` and
 * `condition:` lines are joined by the PATCH v4 generator), blocks whose index is defined twice
 * (kapi-index-sequence reports those), brace blocks the model does not know, and keys the DSL
 * does not define.
 */
import type { ApiSpec, FieldAssignment } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext } from '../define.js';

const SCOPE_MACROS = new Set([
  'KAPI_LOCK_ACQUIRED',
  'KAPI_LOCK_RELEASED',
  'KAPI_LOCK_HELD_ENTRY',
  'KAPI_LOCK_HELD_EXIT',
]);

/** Kerneldoc keys whose extra tokens are OR'd into a param's flags. */
const TYPE_KEYS = /^@?(?:param|type|param-type):$/;
/** Spec-level fields a kerneldoc key sets once (unknown keys are another check's business). */
const KERNELDOC_SPEC_FIELDS = new Set([
  'description',
  'long_description',
  'context_flags',
  'examples',
  'notes',
  'since_version',
  'api_type',
  'version',
]);

/** The macro at the end of a `via` chain (`KAPI_PARAM_FD>KAPI_PARAM` -> `KAPI_PARAM`). */
const macroOf = (via: string): string => via.slice(via.lastIndexOf('>') + 1);

/** Block labels whose index two entries share: one label, two blocks. */
function sharedLabels(spec: ApiSpec): Set<string> {
  const out = new Set<string>();
  const add = (label: string, entries: { index: number | null }[]): void => {
    const seen = new Set<number | null>();
    for (const e of entries) {
      if (seen.has(e.index)) out.add(e.index === null ? `${label}[?]` : `${label}[${e.index}]`);
      seen.add(e.index);
    }
  };
  add('param', spec.params);
  add('error', spec.errors);
  add('lock', spec.locks);
  add('signal', spec.signals);
  add('signal_mask', spec.signalMasks);
  add('side_effect', spec.sideEffects);
  add('state_trans', spec.stateTransitions);
  add('capability', spec.capabilities);
  add('constraint', spec.constraints);
  add('struct', spec.structs);
  for (const st of spec.structs) add(`struct[${st.index}].field`, st.fields);
  return out;
}

/** Whether a block label may stand for two blocks: its index, or its struct's, is shared. */
function ambiguous(block: string, shared: Set<string>): boolean {
  for (const label of [block, /^[a-z_]+\[[^\]]*\]/.exec(block)?.[0]]) {
    if (label === undefined) continue;
    if (shared.has(label)) return true;
    const m = /^([a-z_.[\]0-9]*?)\[([^\]]*)\]$/.exec(label);
    if (m && !/^\d+$/.test(m[2] as string) && shared.has(`${m[1]}[?]`)) return true;
  }
  return false;
}

/**
 * Whether an assignment adds to its field rather than setting it. `typed` says whether any of
 * the group is a type key (asked once per group: per member, it made a param's many flags
 * quadratic).
 */
function accumulates(spec: ApiSpec, a: FieldAssignment, typed: () => boolean): boolean {
  if (spec.form === 'macro') return a.field === 'signals' && macroOf(a.via) === 'KAPI_SIGNAL_MASK_ADD';
  if (a.block.startsWith('error[')) return true;
  if (a.block === 'spec') return !KERNELDOC_SPEC_FIELDS.has(a.field) && !a.field.endsWith('_count');
  if (a.block.startsWith('validation[')) return true;
  if (a.block.startsWith('param[') && a.field === 'flags') return typed();
  if (a.block.startsWith('constraint[') && a.field === 'description') return /^@?constraint:$/.test(a.via);
  return false;
}

const messages = {
  override: '{spec}: {subject} is set twice (first on line {first}); the first value is silently lost',
  kerneldoc:
    '{spec}: {subject} is set twice (first on line {first}); the generated spec keeps only one of them',
  repeated: '{spec}: {subject} is set twice to the same value (first on line {first})',
  scope:
    '{spec}: {macros} both set {subject} since PATCH v4, so only {last} stays (and W=1 fails on -Woverride-init)',
  acquiredReleased:
    '{spec}: KAPI_LOCK_ACQUIRED and KAPI_LOCK_RELEASED both set {subject} since PATCH v4, so the lock reads as released only (and W=1 fails on -Woverride-init); leave both out for a lock taken and dropped within the call',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-field-override',
    description: 'A field of one spec block is set twice, so one of the values is silently lost.',
    severity: 'error',
    messages,
  },
  run(ctx) {
    for (const spec of ctx.unit.specs) {
      if (spec.partial) continue;
      checkSpec(ctx, spec);
    }
  },
});

/**
 * Whether a macro-form spec closes its blocks with *_END macros, which PATCH v3 removed: such a
 * spec is written for the headers up to PATCH v2, where the lock macros set separate fields.
 */
function usesEndMacros(ctx: Ctx, spec: ApiSpec): boolean {
  for (let n = spec.line; n <= spec.endLine; n++)
    if (/\bKAPI_(?:\w+_)?END(?:_SPEC)?\b/.test(ctx.unit.line(n) ?? '')) return true;
  return false;
}

/**
 * The assignments that set one field of one block more than once, grouped, in the order each
 * (block, field) pair first appears: what grouping every assignment by block and field and
 * keeping the groups of two or more gives. A block's assignments usually come one after the
 * other, so they are taken in runs: a run's fields are compared among themselves (a map beyond
 * 8), and only a block with several runs is grouped across them. No group is made for a field
 * set once (a spec of 40,000 errors made 200,000, and their GC doubled the check's time).
 */
export function repeatedFields(
  assignments: readonly FieldAssignment[],
  skip: { assignment(a: FieldAssignment): boolean; block(block: string): boolean },
): FieldAssignment[][] {
  const kept: FieldAssignment[] = [];
  const runStart: number[] = [];
  /** The runs of each block (their indices in runStart), by the block's first run; -1: skipped. */
  const runsOf = new Map<string, number | number[]>();
  let last: string | undefined;
  let skipped = false;
  for (const a of assignments) {
    if (skip.assignment(a)) continue;
    if (a.block !== last) {
      last = a.block;
      const seen = runsOf.get(a.block);
      skipped = seen === -1 || (seen === undefined && skip.block(a.block));
      if (skipped) runsOf.set(a.block, -1);
      else {
        const run = runStart.length;
        runStart.push(kept.length);
        if (seen === undefined) runsOf.set(a.block, run);
        else if (typeof seen === 'number') runsOf.set(a.block, [seen, run]);
        else seen.push(run);
      }
    }
    if (!skipped) kept.push(a);
  }
  runStart.push(kept.length);
  /** Groups of two or more, each with the index (in kept) of its first member. */
  const found: { at: number; group: FieldAssignment[] }[] = [];
  const group = (indices: number[]): void => {
    if (indices.length <= 8) {
      const done = new Set<number>();
      for (const [k, i] of indices.entries()) {
        if (done.has(i)) continue;
        const field = (kept[i] as FieldAssignment).field;
        let g: FieldAssignment[] | null = null;
        for (const j of indices.slice(k + 1))
          if ((kept[j] as FieldAssignment).field === field) {
            g ??= [kept[i] as FieldAssignment];
            g.push(kept[j] as FieldAssignment);
            done.add(j);
          }
        if (g) found.push({ at: i, group: g });
      }
      return;
    }
    const byField = new Map<string, { at: number; group: FieldAssignment[] }>();
    for (const i of indices) {
      const a = kept[i] as FieldAssignment;
      const g = byField.get(a.field);
      if (g) g.group.push(a);
      else byField.set(a.field, { at: i, group: [a] });
    }
    for (const g of byField.values()) if (g.group.length > 1) found.push(g);
  };
  const indicesOf = (runs: number[]): number[] => {
    const out: number[] = [];
    for (const r of runs)
      for (let i = runStart[r] as number; i < (runStart[r + 1] as number); i++) out.push(i);
    return out;
  };
  for (const runs of runsOf.values()) {
    if (runs === -1) continue;
    if (typeof runs !== 'number') {
      group(indicesOf(runs));
      continue;
    }
    const from = runStart[runs] as number;
    const to = runStart[runs + 1] as number;
    // the common case: a run of distinct fields, nothing to group
    if (to - from === 1) continue;
    if (to - from <= 8) {
      let repeated = false;
      for (let i = from; i < to && !repeated; i++)
        for (let j = i + 1; j < to && !repeated; j++)
          repeated = (kept[i] as FieldAssignment).field === (kept[j] as FieldAssignment).field;
      if (!repeated) continue;
    }
    group(indicesOf([runs]));
  }
  return found.sort((x, y) => x.at - y.at).map((g) => g.group);
}

function checkSpec(ctx: Ctx, spec: ApiSpec): void {
  const shared = spec.form === 'macro' ? sharedLabels(spec) : new Set<string>();
  const groups = repeatedFields(spec.assignments, {
    assignment: (a) => a.block === 'spec' && a.field === 'name',
    block: (block) => block.includes('{}') || ambiguous(block, shared),
  });
  const path = ctx.unit.path;
  const text = (line: number): string => (ctx.unit.line(line) ?? '').trim();
  const currentHeaders = spec.form === 'macro' && !usesEndMacros(ctx, spec);
  for (const group of groups) {
    if (group.length < 2) continue;
    let typedKey: boolean | undefined;
    const typed = (): boolean => {
      typedKey ??= group.some((x) => TYPE_KEYS.test(x.via));
      return typedKey;
    };
    const kept = group.filter((a) => !accumulates(spec, a, typed));
    if (kept.length < 2) continue;
    const [first, second] = kept as [FieldAssignment, FieldAssignment];
    const last = kept[kept.length - 1] as FieldAssignment;
    const subject = `${first.block}.${first.field}`;
    const lines = [...new Set(kept.map((a) => a.line))];
    const evidence = lines.map((line) => ({ path, line, text: text(line) }));
    const same = kept.every((a) => a.value === first.value);
    const scopeMacros = kept.map((a) => macroOf(a.via));
    let messageId: keyof typeof messages = spec.form === 'macro' ? 'override' : 'kerneldoc';
    let severity: 'error' | 'warning' = 'error';
    const data: Record<string, string | number> = { spec: spec.name, subject, first: first.line };
    const scopeOnly =
      spec.form === 'macro' &&
      first.field === 'scope' &&
      first.block.startsWith('lock[') &&
      scopeMacros.every((m) => SCOPE_MACROS.has(m));
    // up to PATCH v2 (blocks closed by *_END) these macros set separate fields: no override
    if (scopeOnly && !currentHeaders && new Set(scopeMacros).size > 1) continue;
    if (scopeOnly && !same) {
      const set = new Set(scopeMacros);
      messageId =
        set.size === 2 && set.has('KAPI_LOCK_ACQUIRED') && set.has('KAPI_LOCK_RELEASED')
          ? 'acquiredReleased'
          : 'scope';
      data.macros = [...set].join(' and ');
      data.last = macroOf(last.via);
    } else if (same) {
      messageId = 'repeated';
      severity = 'warning';
    }
    ctx.report({
      messageId,
      data,
      line: second.line,
      severity,
      spec: spec.name,
      subject,
      evidence,
    });
  }
}
