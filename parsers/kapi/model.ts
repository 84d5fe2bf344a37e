/**
 * One normalized model of a KAPI specification, whichever form it was written in: the C macro
 * form (RFC v1/v2, `DEFINE_KERNEL_API_SPEC ... KAPI_END_SPEC`), kerneldoc gen 1 (flat
 * `param-type:` keys, RFC v3), gen 2 (blocks with KAPI_* constants, RFC v4 to PATCH v2) and gen 3
 * (short tokens, PATCH v3/v4). Checks compare this model with the C facts of parsers/c/.
 *
 * Normalisation rules (so the same syscall in three forms gives equal models):
 * - enum-like values are lower-case short tokens: KAPI_TYPE_UINT and `uint` -> 'uint';
 *   KAPI_PARAM_IN and `input` -> 'in'; KAPI_CTX_SLEEPABLE and `sleepable` -> 'sleepable';
 *   KAPI_LOCK_RWLOCK -> 'rwlock'; KAPI_EFFECT_ALLOC_MEMORY -> 'alloc_memory';
 *   KAPI_CAP_BYPASS_CHECK -> 'bypass_check'; KAPI_SIGNAL_RECEIVE -> 'receive';
 *   KAPI_SIGNAL_ACTION_RETURN -> 'return'; KAPI_CONSTRAINT_RANGE -> 'range'.
 *   Unknown constants are kept as written and reported (see `unknown`).
 * - text values are the C string contents with escapes decoded and adjacent literals joined, or
 *   the kerneldoc text with continuation lines joined by one space; surrounding whitespace trimmed.
 * - errno names are canonical without sign: 'ENOMEM' (aliases are NOT folded here; checks do that).
 * - every line is 1-based in the text the parser was given.
 */

export type SpecForm = 'macro' | 'kerneldoc-1' | 'kerneldoc-2' | 'kerneldoc-3';
export type SpecKind = 'syscall' | 'ioctl' | 'sysfs' | 'function';

/** A field set in a block, in source order. A field set twice in one block appears twice. */
export interface FieldAssignment {
  /** The block: 'spec', 'param[0]', 'return', 'error[2]', 'lock[1]', 'signal[0]', 'side_effect[3]', ... */
  block: string;
  /** Canonical field name, as the C struct calls it: 'description', 'flags', 'type', 'scope', ... */
  field: string;
  /** The value as written (string contents decoded, or the expression text). */
  value: string;
  line: number;
  /** What set it: the macro ('KAPI_LOCK_DESC'), a raw initializer ('.description') or a kerneldoc key ('desc:'). */
  via: string;
}

export interface SpecParam {
  index: number | null;
  name: string;
  /** The C type string as written in the spec ('unsigned long', 'const char __user *'), or null. */
  ctype: string | null;
  /** Normalized KAPI type token: 'uint', 'ptr', 'user_ptr', 'fd', 'path', ... */
  type: string | null;
  /** Normalized flag tokens: 'in', 'out', 'inout', 'user', 'optional', 'const', ... */
  flags: string[];
  description: string | null;
  constraintType: string | null;
  constraint: string | null;
  range: { min: string; max: string } | null;
  validMask: string | null;
  line: number;
}

export interface SpecReturn {
  ctype: string | null;
  type: string | null;
  checkType: string | null;
  success: string | null;
  description: string | null;
  line: number;
}

export interface SpecError {
  index: number | null;
  /** Canonical errno name without sign: 'ENOMEM'. For a numeric or garbled code: the text as written. */
  code: string;
  /** The code as written: '-ENOMEM', 'ENOMEM', '-12'. */
  codeText: string;
  /** The name string, when the form has one separate from the code (macro form's "ENOMEM"). */
  name: string | null;
  condition: string | null;
  description: string | null;
  line: number;
}

export interface SpecLock {
  index: number | null;
  name: string;
  type: string | null;
  acquired: string | null;
  released: string | null;
  description: string | null;
  line: number;
}

export interface SpecSignal {
  index: number | null;
  /** 'SIGKILL', or 'FATAL' and other names as written. */
  signal: string;
  direction: string | null;
  action: string | null;
  condition: string | null;
  description: string | null;
  error: string | null;
  /** Other sub-fields (timing, priority, restartable, ...), normalized keys. */
  extra: Record<string, string>;
  line: number;
}

export interface SpecSignalMask {
  index: number | null;
  name: string;
  description: string | null;
  line: number;
}

export interface SpecSideEffect {
  index: number | null;
  /** Normalized effect tokens: ['modify_state', 'alloc_memory']. */
  types: string[];
  target: string | null;
  description: string | null;
  condition: string | null;
  reversible: boolean | null;
  line: number;
}

export interface SpecStateTrans {
  index: number | null;
  object: string | null;
  from: string | null;
  to: string | null;
  condition: string | null;
  description: string | null;
  line: number;
}

export interface SpecCapability {
  index: number | null;
  /** 'CAP_IPC_LOCK'. */
  capability: string;
  action: string | null;
  allows: string | null;
  without: string | null;
  condition: string | null;
  line: number;
}

export interface SpecConstraint {
  index: number | null;
  name: string;
  description: string | null;
  expr: string | null;
  line: number;
}

/**
 * One field of a struct spec (KAPI_STRUCT_FIELD and its KAPI_FIELD_* macros; `field:` blocks or
 * `struct-field:` keys in kerneldoc). The constraint facts mirror the C struct: as
 * KAPI_FIELD_CONSTRAINT_RANGE/MASK/ENUM set the constraint type together with its values, a
 * kerneldoc `range:`, `mask:` or `enum:` of a field implies the constraint type when the field
 * states none.
 */
export interface SpecStructField {
  index: number | null;
  name: string;
  /** Normalized KAPI type token: 'uint', 'int', 'enum', 'struct', ... */
  type: string | null;
  /** The C type as written: '__u32', 'struct frob_range'. */
  ctype: string | null;
  description: string | null;
  constraintType: string | null;
  range: { min: string; max: string } | null;
  validMask: string | null;
  /** The valid values, split on top-level commas ('A(0), B(1)' -> ['A(0)', 'B(1)']). */
  enumValues: string[] | null;
  line: number;
}

export interface SpecStruct {
  index: number | null;
  /** As written: 'frob_attr' (KAPI_STRUCT_SPEC stringifies its argument), 'struct sched_attr'. */
  name: string;
  description: string | null;
  /** KAPI_STRUCT_SIZE(size, alignment) or `size:` / `alignment:`, as written. */
  size: string | null;
  alignment: string | null;
  fields: SpecStructField[];
  line: number;
}

export type CountName =
  | 'param'
  | 'error'
  | 'lock'
  | 'signal'
  | 'signal_mask'
  | 'side_effect'
  | 'state_trans'
  | 'capability'
  | 'constraint'
  | 'struct';

/** The ordinary kerneldoc parts of a kerneldoc-form spec (absent for the macro form). */
export interface KerneldocParts {
  summary: string | null;
  params: { name: string; description: string; line: number }[];
  description: string | null;
  context: string | null;
  returns: string | null;
}

export interface ApiSpec {
  /** 'sys_mlock2', an ioctl or sysfs spec name as written. */
  name: string;
  kind: SpecKind;
  form: SpecForm;
  /** The path given to the parser (may be ''), and the spec's first and last line. */
  path: string;
  line: number;
  endLine: number;
  description: string | null;
  longDescription: string | null;
  /** Normalized context tokens: 'process', 'sleepable', 'atomic', 'hardirq', ... */
  contexts: string[];
  params: SpecParam[];
  returns: SpecReturn | null;
  errors: SpecError[];
  locks: SpecLock[];
  signals: SpecSignal[];
  signalMasks: SpecSignalMask[];
  sideEffects: SpecSideEffect[];
  stateTransitions: SpecStateTrans[];
  capabilities: SpecCapability[];
  constraints: SpecConstraint[];
  structs: SpecStruct[];
  /** Declared counts (KAPI_ERROR_COUNT(5), .error_count = 5, param-count: 2) with their lines. */
  counts: Partial<Record<CountName, { value: number; line: number; via: string }>>;
  examples: string | null;
  notes: string | null;
  /** KAPI_SINCE_VERSION / since-version, a form the framework dropped. */
  since: string | null;
  /** Every field assignment, in order. */
  assignments: FieldAssignment[];
  /** Keys, macros or tokens the DSL does not define: kept, and reported by a check. */
  unknown: { text: string; line: number; where: string }[];
  /** Only for kerneldoc forms. */
  kerneldoc: KerneldocParts | null;
  /** Set when the spec could only be read in part (cut off by a hunk, unbalanced macros). */
  partial: boolean;
}

export function emptySpec(name: string, kind: SpecKind, form: SpecForm, path: string, line: number): ApiSpec {
  return {
    name,
    kind,
    form,
    path,
    line,
    endLine: line,
    description: null,
    longDescription: null,
    contexts: [],
    params: [],
    returns: null,
    errors: [],
    locks: [],
    signals: [],
    signalMasks: [],
    sideEffects: [],
    stateTransitions: [],
    capabilities: [],
    constraints: [],
    structs: [],
    counts: {},
    examples: null,
    notes: null,
    since: null,
    assignments: [],
    unknown: [],
    kerneldoc: null,
    partial: false,
  };
}

/*
 * Empty entries, as both spec forms start them: every optional fact null until the spec says
 * otherwise. A side effect is not reversible unless it says so, as the zero-initialised C field
 * (`bool reversible`) and the kerneldoc tools read it.
 */
export function emptyParam(index: number | null, name: string, line: number): SpecParam {
  return {
    index,
    name,
    ctype: null,
    type: null,
    flags: [],
    description: null,
    constraintType: null,
    constraint: null,
    range: null,
    validMask: null,
    line,
  };
}

export function emptyReturn(line: number): SpecReturn {
  return { ctype: null, type: null, checkType: null, success: null, description: null, line };
}

export function emptyError(index: number | null, code: string, codeText: string, line: number): SpecError {
  return { index, code, codeText, name: null, condition: null, description: null, line };
}

export function emptyLock(index: number | null, name: string, line: number): SpecLock {
  return { index, name, type: null, acquired: null, released: null, description: null, line };
}

export function emptySignal(index: number | null, signal: string, line: number): SpecSignal {
  return {
    index,
    signal,
    direction: null,
    action: null,
    condition: null,
    description: null,
    error: null,
    extra: {},
    line,
  };
}

export function emptySideEffect(index: number | null, line: number): SpecSideEffect {
  return { index, types: [], target: null, description: null, condition: null, reversible: false, line };
}

export function emptyStateTrans(index: number | null, line: number): SpecStateTrans {
  return { index, object: null, from: null, to: null, condition: null, description: null, line };
}

export function emptyCapability(index: number | null, capability: string, line: number): SpecCapability {
  return { index, capability, action: null, allows: null, without: null, condition: null, line };
}

export function emptyConstraint(index: number | null, name: string, line: number): SpecConstraint {
  return { index, name, description: null, expr: null, line };
}

export function emptyStruct(index: number | null, name: string, line: number): SpecStruct {
  return { index, name, description: null, size: null, alignment: null, fields: [], line };
}

export function emptyStructField(index: number | null, name: string, line: number): SpecStructField {
  return {
    index,
    name,
    type: null,
    ctype: null,
    description: null,
    constraintType: null,
    range: null,
    validMask: null,
    enumValues: null,
    line,
  };
}

/**
 * A list of enum values as both forms write it (`A, B`, `"A(0), B(1)"` contents, `enum(A, B)`
 * arguments): split on commas outside parentheses, brackets and braces, trimmed, empty parts
 * dropped. Shared by the parsers so that every form normalizes the list the same way.
 */
export function splitEnumValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
    else if (i === text.length || (c === ',' && depth === 0)) {
      const part = text.slice(start, i).trim();
      if (part !== '') out.push(part);
      start = i + 1;
    }
  }
  return out;
}

/**
 * The facts of a spec with positions, form and bookkeeping removed, for comparing the same
 * syscall written in different forms.
 */
export function specFacts(spec: ApiSpec): unknown {
  const strip = <T extends object>(xs: T[]): unknown[] =>
    xs.map((x) => Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'line')));
  return {
    name: spec.name,
    kind: spec.kind,
    description: spec.description,
    longDescription: spec.longDescription,
    contexts: [...spec.contexts].sort(),
    params: strip(spec.params).map((p) => ({ ...(p as object), flags: [...(p as SpecParam).flags].sort() })),
    returns: spec.returns ? strip([spec.returns])[0] : null,
    errors: strip(spec.errors).map((e) => {
      const { codeText: _c, name: _n, ...rest } = e as SpecError;
      return rest;
    }),
    locks: strip(spec.locks),
    signals: strip(spec.signals),
    sideEffects: strip(spec.sideEffects).map((s) => ({
      ...(s as object),
      types: [...(s as SpecSideEffect).types].sort(),
    })),
    stateTransitions: strip(spec.stateTransitions),
    capabilities: strip(spec.capabilities),
    constraints: strip(spec.constraints),
    signalMasks: strip(spec.signalMasks),
    structs: strip(spec.structs).map((st) => ({
      ...(st as object),
      fields: strip((st as SpecStruct).fields),
    })),
  };
}

/** Parser results for a file: the specs found, in order. */
export interface SpecFile {
  specs: ApiSpec[];
}

/**
 * Whether a spec constrains any parameter (a type constraint, an expression, a range or a mask):
 * then the KAPI runtime validator may return -EINVAL before the syscall's own code runs.
 */
export function constrainsParams(spec: ApiSpec): boolean {
  return spec.params.some(
    (p) =>
      (p.constraintType !== null && p.constraintType !== 'none') ||
      p.constraint !== null ||
      p.range !== null ||
      p.validMask !== null,
  );
}
