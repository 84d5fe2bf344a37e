/**
 * The one map from the framework's canonical field names (the C struct's: `valid_mask`,
 * `check_type`, `lock_type`, `error_on_signal`, `without_cap`, `from_state`, ...) onto the
 * normalized model (model.ts: SpecParam.validMask, SpecReturn.checkType, SpecLock.type, ...).
 *
 * Both spec parsers set the model through it and nothing else: macro.ts for a macro argument or a
 * raw initializer (MACROS' `sets` name the canonical field), kerneldoc.ts for a header part, a
 * sub-key or a gen-1 flat key (the DocBlockTable's `subKeys` name it). Per block and field the
 * table says which property the field sets and what kind of value it is; `setField` applies it.
 * How a value is read is the form's own (a FieldReader): the macro form reads C tokens and
 * strings, kerneldoc reads text; both normalise enumerated values against the same vocabulary
 * categories (vocabulary.ts). A field the table does not list is kept in `assignments` only (in a
 * signal block: in `extra`, as written).
 *
 * What stays form-specific is next to each parser's reader: kerneldoc's `type: uint, input` (the
 * flags OR'd into the param's), `constraint-type: range(lo, hi)` (the values with the type), a
 * struct field's `range:`/`mask:`/`enum:` implying its constraint type, a C type in a field's
 * `type:`, the constraint's header description joined with its `desc:`, and the side-effect and
 * state-trans one-liners; the macro form's `late` fields (below). KERNELDOC_AS_WRITTEN lists the
 * fields kerneldoc does not read as the table says.
 *
 * Pure.
 */
import type {
  ApiSpec,
  CountName,
  SpecCapability,
  SpecConstraint,
  SpecError,
  SpecLock,
  SpecParam,
  SpecReturn,
  SpecSideEffect,
  SpecSignal,
  SpecSignalMask,
  SpecStateTrans,
  SpecStruct,
  SpecStructField,
} from './model.js';
import type { CategoryName } from './vocabulary.js';

/** The model entry each block kind fills. */
interface FieldModels {
  spec: ApiSpec;
  param: SpecParam;
  return: SpecReturn;
  error: SpecError;
  lock: SpecLock;
  signal: SpecSignal;
  signal_mask: SpecSignalMask;
  side_effect: SpecSideEffect;
  state_trans: SpecStateTrans;
  capability: SpecCapability;
  constraint: SpecConstraint;
  struct: SpecStruct;
  struct_field: SpecStructField;
}

export type FieldBlock = keyof FieldModels;

/**
 * What a field's value is, and so how it is read and stored:
 * - text: text, null when nothing is written; name: the same, '' when nothing is written;
 *   expr: the C expression as written (a capability constant); shown: as written, string
 *   contents or expression text;
 * - enum: one value of `cat`; enums: values of `cat` OR'd together, one string; list: values of
 *   `cat`, a list (without `prop`: read and checked, not stored);
 * - bool: true/false or null; switch: a boolean kept as the word 'true'/'false' (as written when
 *   neither); flag: 'true', 'false' or 'conditional' (as written otherwise);
 * - values: a list of valid values ('A(0), B(1)'), split on top-level commas;
 * - min, max: one end of `range`, as written; pair: kerneldoc's one-value spelling of two fields
 *   (`range: lo, hi` -> min_value and max_value), split by the kerneldoc reader;
 * - errno: an error code, `code` (canonical name) and `codeText` (as written);
 * - count: a declared count, `spec.counts[count]`;
 * - scope: PATCH v4's `.scope` of a lock (KAPI_LOCK_ACQUIRED sets it): ACQUIRES and RELEASES
 *   overwrite each other in C, the model keeps both facts (acquired, released; INTERNAL: both);
 * - late: kept by the parser and read once the spec is complete: RFC v2's KAPI_SIGNAL(idx,
 *   SIGNUM, "NAME", ...) and KAPI_CAPABILITY(idx, CAP, "NAME", ...) give both a number (constant)
 *   and a name, and macro.ts' finish() picks the one that names the entry;
 * - record: kept in `assignments` only.
 */
export type FieldKind =
  | 'text'
  | 'name'
  | 'expr'
  | 'shown'
  | 'enum'
  | 'enums'
  | 'list'
  | 'bool'
  | 'switch'
  | 'flag'
  | 'values'
  | 'min'
  | 'max'
  | 'pair'
  | 'errno'
  | 'count'
  | 'scope'
  | 'late'
  | 'record';

export interface FieldDef<P extends string = string> {
  readonly kind: FieldKind;
  /** The model property set (min/max: `range`; errno: `code`, `codeText`; scope: `acquired`, `released`). */
  readonly prop?: P;
  /** A signal's other facts: the key in `extra`, the value as a string (a list joined by ' | '). */
  readonly extra?: string;
  readonly cat?: CategoryName;
  readonly count?: CountName;
  /** pair: the two fields, low end first. */
  readonly pair?: readonly [string, string];
}

type FieldTable = {
  readonly [B in FieldBlock]: Readonly<Record<string, FieldDef<keyof FieldModels[B] & string>>>;
};

const text = <P extends string>(prop: P): FieldDef<P> => ({ kind: 'text', prop });
const name = <P extends string>(prop: P): FieldDef<P> => ({ kind: 'name', prop });
const one = <P extends string>(prop: P, cat: CategoryName): FieldDef<P> => ({ kind: 'enum', prop, cat });
const list = <P extends string>(prop: P, cat: CategoryName): FieldDef<P> => ({ kind: 'list', prop, cat });
const count = (c: CountName): FieldDef<never> => ({ kind: 'count', count: c });
const pair = (lo: string, hi: string): FieldDef<never> => ({ kind: 'pair', pair: [lo, hi] });
const extra = (kind: FieldKind, key: string, cat?: CategoryName): FieldDef<never> =>
  cat ? { kind, extra: key, cat } : { kind, extra: key };
const MIN: FieldDef<never> = { kind: 'min' };
const MAX: FieldDef<never> = { kind: 'max' };
const LATE: FieldDef<never> = { kind: 'late' };
const RECORD: FieldDef<never> = { kind: 'record' };
/** Fields the model does not hold, space-separated: kept in `assignments` only. */
const recorded = (fields: string): Record<string, FieldDef<never>> =>
  Object.fromEntries(fields.split(' ').map((f) => [f, RECORD]));
/** A signal's other facts, kept in `extra` under their own name, as written. */
const asWritten = (fields: string): Record<string, FieldDef<never>> =>
  Object.fromEntries(fields.split(' ').map((f) => [f, extra('shown', f)]));

/** Per block kind, canonical field -> what it sets. */
export const FIELDS: FieldTable = {
  spec: {
    description: text('description'),
    long_description: text('longDescription'),
    context_flags: list('contexts', 'context'),
    examples: text('examples'),
    notes: text('notes'),
    since_version: text('since'),
    param_count: count('param'),
    error_count: count('error'),
    signal_count: count('signal'),
    lock_count: count('lock'),
    side_effect_count: count('side_effect'),
    state_trans_count: count('state_trans'),
    capability_count: count('capability'),
    constraint_count: count('constraint'),
    struct_spec_count: count('struct'),
    signal_mask_count: count('signal_mask'),
    ...recorded(
      'deprecated replacement addr_family_count protocol_behavior_count api_type version ' +
        'cmd cmd_name input_size output_size file_ops_name subsystem device_type ' +
        'sysfs_path sysfs_permissions default_value units step allowed_strings allowed_string_count ' +
        'is_connection_oriented is_message_oriented supports_oob_data supports_peek is_reentrant ' +
        'connection_establishment connection_termination data_transfer_semantics',
    ),
  },
  param: {
    name: name('name'),
    type_name: text('ctype'),
    description: text('description'),
    type: one('type', 'type'),
    flags: list('flags', 'param_flags'),
    constraint_type: one('constraintType', 'constraint'),
    constraints: text('constraint'),
    min_value: MIN,
    max_value: MAX,
    range: pair('min_value', 'max_value'),
    valid_mask: text('validMask'),
    ...recorded(
      'enum_values size alignment size_param_idx size_multiplier struct_type arch_mask validate ' +
        'sysfs_path sysfs_permissions default_value units step allowed_strings allowed_string_count',
    ),
  },
  return: {
    type_name: text('ctype'),
    description: text('description'),
    type: one('type', 'type'),
    check_type: one('checkType', 'return_check'),
    success_value: text('success'),
    success_range: pair('success_min', 'success_max'),
    ...recorded('success_min success_max error_values error_count'),
  },
  error: {
    error_code: { kind: 'errno' },
    name: text('name'),
    condition: text('condition'),
    description: text('description'),
  },
  lock: {
    lock_name: name('name'),
    lock_type: one('type', 'lock_type'),
    scope: { kind: 'scope', cat: 'lock_scope' },
    acquired: { kind: 'flag', prop: 'acquired' },
    released: { kind: 'flag', prop: 'released' },
    description: text('description'),
    ...recorded('held_on_entry held_on_exit'),
  },
  signal: {
    signal_num: LATE,
    signal_name: name('signal'),
    direction: { kind: 'enums', prop: 'direction', cat: 'signal_dir' },
    action: one('action', 'signal_action'),
    condition: text('condition'),
    description: text('description'),
    error_on_signal: text('error'),
    timing: extra('enums', 'timing', 'signal_timing'),
    queue_behavior: extra('enum', 'queue', 'signal_queue'),
    state_required: extra('list', 'state_required', 'signal_state'),
    state_forbidden: extra('list', 'state_forbidden', 'signal_state'),
    restartable: extra('switch', 'restartable'),
    interruptible: extra('switch', 'interruptible'),
    ...asWritten('target priority transform_to sa_flags_required sa_flags_forbidden'),
  },
  signal_mask: {
    mask_name: name('name'),
    description: text('description'),
    ...recorded('signals'),
  },
  side_effect: {
    type: list('types', 'effect'),
    target: text('target'),
    description: text('description'),
    condition: text('condition'),
    reversible: { kind: 'bool', prop: 'reversible' },
  },
  state_trans: {
    object: text('object'),
    from_state: text('from'),
    to_state: text('to'),
    condition: text('condition'),
    description: text('description'),
  },
  capability: {
    capability: { kind: 'expr', prop: 'capability' },
    cap_name: LATE,
    action: one('action', 'cap_action'),
    allows: text('allows'),
    without_cap: text('without'),
    check_condition: text('condition'),
    ...recorded('priority alternative alternative_count'),
  },
  constraint: {
    name: name('name'),
    description: text('description'),
    expression: text('expr'),
  },
  struct: {
    name: name('name'),
    description: text('description'),
    size: text('size'),
    alignment: text('alignment'),
    ...recorded('field_count'),
  },
  struct_field: {
    name: name('name'),
    type: one('type', 'type'),
    type_name: text('ctype'),
    description: text('description'),
    // read and checked like a param's flags; the model's field has no flags
    flags: { kind: 'list', cat: 'param_flags' },
    constraint_type: one('constraintType', 'constraint'),
    min_value: MIN,
    max_value: MAX,
    range: pair('min_value', 'max_value'),
    valid_mask: text('validMask'),
    enum_values: { kind: 'values', prop: 'enumValues' },
    ...recorded('offset size alignment validate policy version flag'),
  },
};

/**
 * The fields kerneldoc does not read as the table says: it reads them as the block's default (a
 * signal's `extra` under the field's own name, as written; elsewhere recorded only).
 * - lock `scope:`: PATCH v4's generator does not read it (it emits KAPI_LOCK_ACQUIRED/RELEASED
 *   from `acquired:`/`released:`), so it states nothing about the lock;
 * - capability `desc:`/`name:` (cap_name): the header names the capability; the macro form's
 *   late pick is for RFC v2's constants;
 * - signal `number:`: kept as written, where the macro form's KAPI_SIGNAL number names an unnamed
 *   signal, or is `signum` (RFC v2's numbering, which no kerneldoc form has).
 */
export const KERNELDOC_AS_WRITTEN: Readonly<Partial<Record<FieldBlock, readonly string[]>>> = {
  lock: ['scope'],
  capability: ['cap_name'],
  signal: ['signal_num'],
};

/**
 * What `field` of a `block` sets: the table's entry; for a field the table does not list (or one
 * of `asWritten`), a signal's `extra` entry as written, and elsewhere `record`. Undefined for a
 * block the model does not hold.
 */
export function fieldDef(
  block: string,
  field: string,
  asWritten: Readonly<Partial<Record<string, readonly string[]>>> = {},
): FieldDef | undefined {
  if (!Object.hasOwn(FIELDS, block)) return undefined;
  const table: Readonly<Record<string, FieldDef>> = FIELDS[block as FieldBlock];
  if (Object.hasOwn(table, field) && !asWritten[block]?.includes(field)) return table[field];
  return block === 'signal' && field !== '__proto__' ? extra('shown', field) : RECORD;
}

/** Where a value was written: every form's value carries its line and what set it. */
export interface Written {
  line: number;
  via: string;
}

/**
 * How one form reads a value of each kind (and reports what it cannot read). The macro form reads
 * C tokens (`KAPI_TYPE_UINT`, `"text"`, `1`), kerneldoc reads text (`uint`, `text`, `yes`).
 */
export interface FieldReader<V extends Written> {
  shown(v: V): string;
  text(v: V): string | null;
  expr(v: V): string;
  enum(v: V, cat: CategoryName): string | null;
  enums(v: V, cat: CategoryName): string | null;
  list(v: V, cat: CategoryName): string[];
  bool(v: V): boolean | null;
  switch(v: V): boolean | null;
  flag(v: V): string | null;
  values(v: V): string[] | null;
  errno(v: V): { code: string; codeText: string };
  count(v: V): number | null;
}

/** Kinds whose value is read as enumerated values of a category (and so checked against it). */
const ENUMERATED: ReadonlySet<FieldKind> = new Set(['enum', 'enums', 'list', 'scope']);

/**
 * Sets `entry`'s property as `def` says, from `v` read by `read`. `late` and `pair` are the
 * parsers' (see FieldKind). Returns whether the value was read as enumerated values.
 */
export function setField<V extends Written>(
  entry: object,
  def: FieldDef,
  v: V,
  read: FieldReader<V>,
): boolean {
  const o = entry as Record<string, unknown>;
  const cat = def.cat as CategoryName;
  let value: unknown;
  switch (def.kind) {
    case 'record':
    case 'late':
    case 'pair':
      return false;
    case 'count': {
      const n = read.count(v);
      if (n !== null)
        (entry as ApiSpec).counts[def.count as CountName] = { value: n, line: v.line, via: v.via };
      return false;
    }
    case 'errno':
      Object.assign(o, read.errno(v));
      return false;
    case 'min':
    case 'max': {
      const r = o.range as { min: string; max: string } | null;
      const s = read.shown(v);
      o.range = def.kind === 'min' ? { min: s, max: r?.max ?? '' } : { min: r?.min ?? '', max: s };
      return false;
    }
    case 'scope': {
      const scope = read.enum(v, cat);
      if (scope === 'acquires' || scope === 'internal') o.acquired = 'true';
      if (scope === 'releases' || scope === 'internal') o.released = 'true';
      return true;
    }
    case 'switch': {
      const b = read.switch(v);
      value = b === null ? read.shown(v) : String(b);
      break;
    }
    case 'name':
      value = read.text(v) ?? '';
      break;
    case 'text':
    case 'expr':
    case 'shown':
    case 'bool':
    case 'flag':
    case 'values':
      value = read[def.kind](v);
      break;
    case 'enum':
    case 'enums':
    case 'list':
      value = read[def.kind](v, cat);
      break;
  }
  if (def.extra !== undefined)
    (o.extra as Record<string, string>)[def.extra] = Array.isArray(value)
      ? value.join(' | ')
      : String(value ?? '');
  else if (def.prop !== undefined) o[def.prop] = value;
  return ENUMERATED.has(def.kind);
}
