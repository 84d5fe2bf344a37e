/**
 * The C macro form of KAPI specs (RFC v1 and v2, and the code PATCH v3/v4 generate from
 * kerneldoc): every `DEFINE_KERNEL_API_SPEC(name)`, `DEFINE_KAPI_IOCTL_SPEC(name)` and
 * `DEFINE_SYSFS_API_SPEC(name)` up to `KAPI_END_SPEC` (or, for generated code without END
 * macros, up to the closing `};`), read into the normalized ApiSpec model.
 *
 * The macros are designated initializers, so the parser follows C: a block macro opens a
 * `.params[idx] = {`, an `*_END` macro or a `}` closes the innermost block whatever its kind, and
 * a field macro sets its field in whatever block is open. Raw initializers mixed in (`.type =
 * KAPI_TYPE_UINT,`, `.error_count = 5,`, `.locks[0] = { … },`, `.return_spec = { … },`) go
 * through the same path, and every assignment is kept in order in `assignments`, under the field
 * name of the C struct (PATCH v4 semantics: KAPI_LOCK_ACQUIRED sets `scope`), which the field
 * table (fields.ts) maps onto the model, as for kerneldoc; here only the reading of C values
 * (`reader`) and RFC v2's signal number and capability name (finish()). Helper macros that
 * stand for whole blocks (macro-helpers.ts) are expanded first, so their hard-coded indices count.
 *
 * What the DSL does not define is kept in `unknown`, not reported as an issue: `where` is 'macro'
 * (a KAPI_* macro no version defines), 'constant' (a constant outside its enumeration),
 * 'preprocessor' (a directive inside a spec, e.g. `#ifdef CONFIG_X`; both branches are read),
 * 'misplaced' (a known macro outside the block it belongs in, or an END closing another kind of
 * block), 'count' (a count that is not an integer literal) and 'token' (anything else).
 *
 * Issues are only for what could not be read: 'kapi-macro-unterminated' (no KAPI_END_SPEC before
 * the end of the input, a `;`, SYSCALL_DEFINE or the next spec; the spec is marked partial),
 * 'kapi-macro-unbalanced' (parentheses not closed, a block left open or closed twice; partial),
 * 'kapi-macro-bad-args' (wrong argument count for a known macro) and the tokenizer's
 * 'c-unterminated-string' / 'c-unterminated-char' / 'c-unterminated-comment' inside a spec. After
 * 20 issues in one spec the rest are summed up in one 'kapi-macro-too-many-issues' (info).
 * Nothing throws; one pass over the tokens, linear in the input.
 */
import type { Issue, Parsed } from '../types.js';
import { issue } from '../types.js';
import { type CToken, tokenizeC, tokensText } from './ctokens.js';
import { type FieldReader, fieldDef, setField, type Written } from './fields.js';
import { HELPER_MACROS } from './macro-helpers.js';
import {
  type ApiSpec,
  emptyCapability,
  emptyConstraint,
  emptyError,
  emptyLock,
  emptyParam,
  emptyReturn,
  emptySideEffect,
  emptySignal,
  emptySpec,
  emptyStateTrans,
  emptyStruct,
  emptyStructField,
  type SpecKind,
  type SpecSignalMask,
  type SpecStruct,
  splitEnumValues,
} from './model.js';
import { type CategoryName, VOCABULARY, type VocabCategory } from './vocabulary.js';

/** Appends an entry to its list and returns it. */
function push<T extends object>(list: T[], entry: T): T {
  list.push(entry);
  return entry;
}

/** A table lookup that ignores Object.prototype ('__proto__', 'constructor'). */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

// ---------------------------------------------------------------------------------------------
// The macro table
// ---------------------------------------------------------------------------------------------
export type BlockKind =
  | 'spec'
  | 'param'
  | 'return'
  | 'error'
  | 'lock'
  | 'signal'
  | 'signal_mask'
  | 'side_effect'
  | 'state_trans'
  | 'capability'
  | 'constraint'
  | 'struct'
  | 'struct_field'
  | 'socket_state'
  | 'protocol_behavior'
  | 'async'
  | 'buffer'
  | 'addr_family'
  | 'brace';

/** Where a field's value comes from: an argument, the rest of the arguments, a stringified
 * argument, or a fixed expression. */
export type ArgRef = number | { rest: number } | { str: number } | { lit: string };

export interface MacroDef {
  /** Exact argument count, or [min, max] (max Infinity for variadic); 0 means object-like. */
  args: number | readonly [number, number];
  /** Block kinds the macro belongs in; a use elsewhere is recorded as misplaced. */
  home: readonly BlockKind[];
  /** The block the macro opens (its first argument is the index when `indexed`). */
  opens?: BlockKind;
  indexed?: boolean;
  /** Closes the innermost block (expands to `},`). */
  closes?: BlockKind;
  /** Opens and closes its block (KAPI_ERROR). */
  selfContained?: boolean;
  /** Fields set, in order. */
  sets?: readonly (readonly [string, ArgRef])[];
}

const TOP: readonly BlockKind[] = ['spec'];
const one = (field: string, home: readonly BlockKind[] = TOP): MacroDef => ({
  args: 1,
  home,
  sets: [[field, 0]],
});
const flag = (field: string, home: readonly BlockKind[], value = 'true'): MacroDef => ({
  args: 0,
  home,
  sets: [[field, { lit: value }]],
});
const end = (kind: BlockKind): MacroDef => ({ args: 0, home: [kind], closes: kind });
const many = (home: readonly BlockKind[], ...fields: string[]): MacroDef => ({
  args: fields.length,
  home,
  sets: fields.map((f, i) => [f, i] as const),
});

const P: readonly BlockKind[] = ['param'];
const R: readonly BlockKind[] = ['return'];
const L: readonly BlockKind[] = ['lock'];
const S: readonly BlockKind[] = ['signal'];
const SM: readonly BlockKind[] = ['signal_mask'];
const SE: readonly BlockKind[] = ['side_effect'];
const ST: readonly BlockKind[] = ['state_trans'];
const C: readonly BlockKind[] = ['capability'];
const K: readonly BlockKind[] = ['constraint'];
const SS: readonly BlockKind[] = ['struct'];
const SF: readonly BlockKind[] = ['struct_field'];
const SOCK: readonly BlockKind[] = ['socket_state'];
const PB: readonly BlockKind[] = ['protocol_behavior'];
const AS: readonly BlockKind[] = ['async'];
const BU: readonly BlockKind[] = ['buffer'];
const AF: readonly BlockKind[] = ['addr_family'];
/** R2 19/22 sysfs fields: documented as top level, used inside KAPI_PARAM blocks. */
const SYSFS: readonly BlockKind[] = ['spec', 'param'];

export const MACROS: Readonly<Record<string, MacroDef>> = {
  // top level
  KAPI_DESCRIPTION: one('description'),
  KAPI_LONG_DESC: one('long_description'),
  KAPI_CONTEXT: one('context_flags'),
  KAPI_EXAMPLES: one('examples'),
  KAPI_NOTES: one('notes'),
  KAPI_SINCE_VERSION: one('since_version'),
  KAPI_DEPRECATED: flag('deprecated', TOP),
  KAPI_REPLACEMENT: one('replacement'),
  KAPI_ERROR_COUNT: one('error_count'),
  KAPI_PARAM_COUNT: one('param_count'),
  KAPI_SIGNAL_COUNT: one('signal_count'),
  KAPI_LOCK_COUNT: one('lock_count'),
  KAPI_SIDE_EFFECT_COUNT: one('side_effect_count'),
  KAPI_STATE_TRANS_COUNT: one('state_trans_count'),
  KAPI_CAPABILITY_COUNT: one('capability_count'),
  KAPI_CONSTRAINT_COUNT: one('constraint_count'),
  KAPI_STRUCT_SPEC_COUNT: one('struct_spec_count'),
  KAPI_SIGNAL_MASK_COUNT: one('signal_mask_count'),
  KAPI_ADDR_FAMILY_COUNT: one('addr_family_count'),
  KAPI_PROTOCOL_BEHAVIOR_COUNT: one('protocol_behavior_count'),
  // ioctl (R2 16/22)
  KAPI_IOCTL_CMD: one('cmd'),
  KAPI_IOCTL_CMD_NAME: one('cmd_name'),
  KAPI_IOCTL_INPUT_SIZE: one('input_size'),
  KAPI_IOCTL_OUTPUT_SIZE: one('output_size'),
  KAPI_IOCTL_FILE_OPS_NAME: one('file_ops_name'),
  // sysfs (R2 19/22)
  KAPI_PATH: one('sysfs_path', SYSFS),
  KAPI_PERMISSIONS: one('sysfs_permissions', SYSFS),
  KAPI_DEFAULT: one('default_value', SYSFS),
  KAPI_UNITS: one('units', SYSFS),
  KAPI_STEP: one('step', SYSFS),
  KAPI_ALLOWED_STRINGS: many(SYSFS, 'allowed_strings', 'allowed_string_count'),
  KAPI_SUBSYSTEM: one('subsystem'),
  KAPI_DEVICE_TYPE: one('device_type'),
  // network (R2)
  KAPI_NET_CONNECTION_ORIENTED: flag('is_connection_oriented', TOP),
  KAPI_NET_MESSAGE_ORIENTED: flag('is_message_oriented', TOP),
  KAPI_NET_SUPPORTS_OOB: flag('supports_oob_data', TOP),
  KAPI_NET_SUPPORTS_PEEK: flag('supports_peek', TOP),
  KAPI_NET_REENTRANT: flag('is_reentrant', TOP),
  KAPI_NET_CONN_ESTABLISH: one('connection_establishment'),
  KAPI_NET_CONN_TERMINATE: one('connection_termination'),
  KAPI_NET_DATA_TRANSFER: one('data_transfer_semantics'),

  // param
  KAPI_PARAM: {
    args: 4,
    home: TOP,
    opens: 'param',
    indexed: true,
    sets: [
      ['name', 1],
      ['type_name', 2],
      ['description', 3],
    ],
  },
  KAPI_PARAM_TYPE: one('type', P),
  KAPI_PARAM_FLAGS: one('flags', P),
  KAPI_PARAM_SIZE: one('size', P),
  KAPI_PARAM_RANGE: many(P, 'min_value', 'max_value'),
  KAPI_PARAM_CONSTRAINT_TYPE: one('constraint_type', P),
  KAPI_PARAM_CONSTRAINT: one('constraints', P),
  KAPI_PARAM_VALID_MASK: one('valid_mask', P),
  KAPI_PARAM_ENUM_VALUES: one('enum_values', P),
  KAPI_PARAM_ALIGNMENT: one('alignment', P),
  KAPI_PARAM_SIZE_PARAM: one('size_param_idx', P),
  KAPI_PARAM_END: end('param'),

  // return
  KAPI_RETURN: {
    args: 2,
    home: TOP,
    opens: 'return',
    sets: [
      ['type_name', 0],
      ['description', 1],
    ],
  },
  KAPI_RETURN_SUCCESS: { args: [1, Number.POSITIVE_INFINITY], home: R, sets: [['success_value', 0]] },
  KAPI_RETURN_TYPE: one('type', R),
  KAPI_RETURN_CHECK_TYPE: one('check_type', R),
  KAPI_RETURN_ERROR_VALUES: one('error_values', R),
  KAPI_RETURN_ERROR_COUNT: one('error_count', R),
  KAPI_RETURN_SUCCESS_RANGE: many(R, 'success_min', 'success_max'),
  KAPI_RETURN_END: end('return'),

  // error (self-contained)
  KAPI_ERROR: {
    args: 5,
    home: TOP,
    opens: 'error',
    indexed: true,
    selfContained: true,
    sets: [
      ['error_code', 1],
      ['name', 2],
      ['condition', 3],
      ['description', 4],
    ],
  },

  // lock
  KAPI_LOCK: {
    args: 3,
    home: TOP,
    opens: 'lock',
    indexed: true,
    sets: [
      ['lock_name', 1],
      ['lock_type', 2],
    ],
  },
  KAPI_LOCK_ACQUIRED: flag('scope', L, 'KAPI_LOCK_ACQUIRES'),
  KAPI_LOCK_RELEASED: flag('scope', L, 'KAPI_LOCK_RELEASES'),
  KAPI_LOCK_HELD_ENTRY: flag('scope', L, 'KAPI_LOCK_CALLER_HELD'),
  KAPI_LOCK_HELD_EXIT: flag('scope', L, 'KAPI_LOCK_CALLER_HELD'),
  KAPI_LOCK_DESC: one('description', L),
  KAPI_LOCK_END: end('lock'),

  // constraint
  KAPI_CONSTRAINT: {
    args: 3,
    home: TOP,
    opens: 'constraint',
    indexed: true,
    sets: [
      ['name', 1],
      ['description', 2],
    ],
  },
  KAPI_CONSTRAINT_EXPR: one('expression', K),
  KAPI_CONSTRAINT_END: end('constraint'),

  // signal
  KAPI_SIGNAL: {
    args: 5,
    home: TOP,
    opens: 'signal',
    indexed: true,
    sets: [
      ['signal_num', 1],
      ['signal_name', 2],
      ['direction', 3],
      ['action', 4],
    ],
  },
  KAPI_SIGNAL_TARGET: one('target', S),
  KAPI_SIGNAL_CONDITION: one('condition', S),
  KAPI_SIGNAL_DESC: one('description', S),
  KAPI_SIGNAL_RESTARTABLE: flag('restartable', S),
  KAPI_SIGNAL_SA_FLAGS_REQ: one('sa_flags_required', S),
  KAPI_SIGNAL_SA_FLAGS_FORBID: one('sa_flags_forbidden', S),
  KAPI_SIGNAL_ERROR: one('error_on_signal', S),
  KAPI_SIGNAL_TRANSFORM: one('transform_to', S),
  KAPI_SIGNAL_TIMING: one('timing', S),
  KAPI_SIGNAL_PRIORITY: one('priority', S),
  KAPI_SIGNAL_INTERRUPTIBLE: flag('interruptible', S),
  KAPI_SIGNAL_QUEUE: one('queue_behavior', S),
  KAPI_SIGNAL_STATE_REQ: one('state_required', S),
  KAPI_SIGNAL_STATE_FORBID: one('state_forbidden', S),
  KAPI_SIGNAL_END: end('signal'),

  // signal mask
  KAPI_SIGNAL_MASK: {
    args: 3,
    home: TOP,
    opens: 'signal_mask',
    indexed: true,
    sets: [
      ['mask_name', 1],
      ['description', 2],
    ],
  },
  KAPI_SIGNAL_MASK_ADD: one('signals', SM),
  KAPI_SIGNAL_MASK_SIGNALS: {
    args: [1, Number.POSITIVE_INFINITY],
    home: SM,
    sets: [['signals', { rest: 0 }]],
  },
  KAPI_SIGNAL_MASK_END: end('signal_mask'),

  // struct
  KAPI_STRUCT_SPEC: {
    args: 3,
    home: TOP,
    opens: 'struct',
    indexed: true,
    sets: [
      ['name', { str: 1 }],
      ['description', 2],
    ],
  },
  KAPI_STRUCT_SIZE: many(SS, 'size', 'alignment'),
  KAPI_STRUCT_FIELD_COUNT: one('field_count', SS),
  KAPI_STRUCT_FIELD: {
    args: 5,
    home: SS,
    opens: 'struct_field',
    indexed: true,
    sets: [
      ['name', 1],
      ['type', 2],
      ['type_name', 3],
      ['description', 4],
    ],
  },
  KAPI_FIELD_OFFSET: one('offset', SF),
  KAPI_FIELD_SIZE: one('size', SF),
  KAPI_FIELD_FLAGS: one('flags', SF),
  KAPI_FIELD_CONSTRAINT_RANGE: {
    args: 2,
    home: SF,
    sets: [
      ['constraint_type', { lit: 'KAPI_CONSTRAINT_RANGE' }],
      ['min_value', 0],
      ['max_value', 1],
    ],
  },
  KAPI_FIELD_CONSTRAINT_MASK: {
    args: 1,
    home: SF,
    sets: [
      ['constraint_type', { lit: 'KAPI_CONSTRAINT_MASK' }],
      ['valid_mask', 0],
    ],
  },
  KAPI_FIELD_CONSTRAINT_ENUM: {
    args: [1, Number.POSITIVE_INFINITY],
    home: SF,
    sets: [
      ['constraint_type', { lit: 'KAPI_CONSTRAINT_ENUM' }],
      ['enum_values', { rest: 0 }],
    ],
  },
  KAPI_STRUCT_FIELD_END: end('struct_field'),
  KAPI_STRUCT_SPEC_END: end('struct'),

  // side effect
  KAPI_SIDE_EFFECT: {
    args: 4,
    home: TOP,
    opens: 'side_effect',
    indexed: true,
    sets: [
      ['type', 1],
      ['target', 2],
      ['description', 3],
    ],
  },
  KAPI_EFFECT_CONDITION: one('condition', SE),
  KAPI_EFFECT_REVERSIBLE: flag('reversible', SE),
  KAPI_SIDE_EFFECT_END: end('side_effect'),

  // state transition
  KAPI_STATE_TRANS: {
    args: 5,
    home: TOP,
    opens: 'state_trans',
    indexed: true,
    sets: [
      ['object', 1],
      ['from_state', 2],
      ['to_state', 3],
      ['description', 4],
    ],
  },
  KAPI_STATE_TRANS_COND: one('condition', ST),
  KAPI_STATE_TRANS_END: end('state_trans'),

  // capability
  KAPI_CAPABILITY: {
    args: 4,
    home: TOP,
    opens: 'capability',
    indexed: true,
    sets: [
      ['capability', 1],
      ['cap_name', 2],
      ['action', 3],
    ],
  },
  KAPI_CAP_ALLOWS: one('allows', C),
  KAPI_CAP_WITHOUT: one('without_cap', C),
  KAPI_CAP_CONDITION: one('check_condition', C),
  KAPI_CAP_PRIORITY: one('priority', C),
  KAPI_CAP_ALTERNATIVE: many(C, 'alternative', 'alternative_count'),
  KAPI_CAPABILITY_END: end('capability'),

  // socket() extras (R2 to P2)
  KAPI_SOCKET_STATE_REQ: {
    args: [0, Number.POSITIVE_INFINITY],
    home: TOP,
    opens: 'socket_state',
    sets: [['required_states', { rest: 0 }]],
  },
  KAPI_SOCKET_STATE_FORBID: {
    args: [0, Number.POSITIVE_INFINITY],
    home: SOCK,
    sets: [['forbidden_states', { rest: 0 }]],
  },
  KAPI_SOCKET_STATE_RESULT: one('resulting_state', SOCK),
  KAPI_SOCKET_STATE_COND: one('state_condition', SOCK),
  KAPI_SOCKET_STATE_PROTOS: one('applicable_protocols', SOCK),
  KAPI_SOCKET_STATE_END: end('socket_state'),
  KAPI_PROTOCOL_BEHAVIOR: {
    args: 3,
    home: TOP,
    opens: 'protocol_behavior',
    indexed: true,
    sets: [
      ['applicable_protocols', 1],
      ['behavior', 2],
    ],
  },
  KAPI_PROTOCOL_FLAGS: many(PB, 'protocol_flags', 'flag_description'),
  KAPI_PROTOCOL_BEHAVIOR_END: end('protocol_behavior'),
  KAPI_ASYNC_SPEC: { ...many(TOP, 'supported_modes', 'nonblock_errno'), opens: 'async' },
  KAPI_ASYNC_POLL: many(AS, 'poll_events_in', 'poll_events_out'),
  KAPI_ASYNC_COMPLETION: one('completion_condition', AS),
  KAPI_ASYNC_TIMEOUT: many(AS, 'supports_timeout', 'timeout_behavior'),
  KAPI_ASYNC_END: end('async'),
  KAPI_BUFFER_SPEC: { ...one('buffer_behaviors'), opens: 'buffer' },
  KAPI_BUFFER_SIZE: many(BU, 'min_buffer_size', 'max_buffer_size', 'optimal_buffer_size'),
  KAPI_BUFFER_PARTIAL: many(BU, 'can_partial_transfer', 'partial_transfer_rules'),
  KAPI_BUFFER_FRAGMENT: one('fragmentation_rules', BU),
  KAPI_BUFFER_END: end('buffer'),
  KAPI_ADDR_FAMILY: {
    args: 6,
    home: TOP,
    opens: 'addr_family',
    indexed: true,
    sets: [
      ['family', 1],
      ['family_name', 2],
      ['addr_struct_size', 3],
      ['min_addr_len', 4],
      ['max_addr_len', 5],
    ],
  },
  KAPI_ADDR_FORMAT: one('addr_format', AF),
  KAPI_ADDR_FEATURES: many(AF, 'supports_wildcard', 'supports_multicast', 'supports_broadcast'),
  KAPI_ADDR_SPECIAL: one('special_addresses', AF),
  KAPI_ADDR_PORTS: many(AF, 'port_range_min', 'port_range_max'),
  KAPI_ADDR_FAMILY_END: end('addr_family'),
};

/** Macros that open a spec, with the kind of spec. */
export const OPENERS: Readonly<Record<string, 'syscall' | 'ioctl' | 'sysfs'>> = {
  DEFINE_KERNEL_API_SPEC: 'syscall',
  DEFINE_KAPI_IOCTL_SPEC: 'ioctl',
  DEFINE_SYSFS_API_SPEC: 'sysfs',
};

/** Top-level designators that open a block when initialized with braces: `.locks[0] = { … }`. */
export const TOP_DESIGNATORS: Readonly<Record<string, { kind: BlockKind; indexed: boolean }>> = {
  params: { kind: 'param', indexed: true },
  errors: { kind: 'error', indexed: true },
  locks: { kind: 'lock', indexed: true },
  signals: { kind: 'signal', indexed: true },
  signal_masks: { kind: 'signal_mask', indexed: true },
  side_effects: { kind: 'side_effect', indexed: true },
  state_transitions: { kind: 'state_trans', indexed: true },
  capabilities: { kind: 'capability', indexed: true },
  constraints: { kind: 'constraint', indexed: true },
  struct_specs: { kind: 'struct', indexed: true },
  return_spec: { kind: 'return', indexed: false },
  socket_state: { kind: 'socket_state', indexed: false },
  protocol_behaviors: { kind: 'protocol_behavior', indexed: true },
  async_spec: { kind: 'async', indexed: false },
  buffer_spec: { kind: 'buffer', indexed: false },
  addr_families: { kind: 'addr_family', indexed: true },
};

export interface ConstCategory {
  prefix: string;
  names: readonly string[];
  /** Object-like macros that stand for several constants of the category. */
  aliases?: Readonly<Record<string, readonly string[]>>;
  /** R2 defines these constants as strings ("during"), so a string literal is a value too. */
  strings?: boolean;
}

/**
 * The enumerated values by category, in the macro form's spelling (names after the prefix), from
 * the one vocabulary both parsers read (vocabulary.ts, learned from the built-in frameworks).
 */
export const CATEGORIES: Readonly<Record<CategoryName, ConstCategory>> = Object.fromEntries(
  (Object.entries(VOCABULARY) as [CategoryName, VocabCategory][]).map(([name, c]) => [
    name,
    {
      prefix: c.prefix,
      names: c.tokens.map((t) => t.toUpperCase()),
      ...(Object.keys(c.groups).length > 0 ? { aliases: c.groups } : {}),
      ...(c.strings ? { strings: true } : {}),
    },
  ]),
) as unknown as Record<CategoryName, ConstCategory>;

export type { CategoryName };

/** Every KAPI_* constant (and constant alias) any version defines. */
export const KNOWN_CONSTANTS: ReadonlySet<string> = new Set(
  Object.values(CATEGORIES as Record<string, ConstCategory>).flatMap((c) => [
    ...c.names.map((n) => c.prefix + n),
    ...Object.keys(c.aliases ?? {}),
  ]),
);

/** KAPI_MAX_* sizes and KAPI_MAGIC_* markers are constants too, never reported. */
function isKnownConstant(name: string): boolean {
  return KNOWN_CONSTANTS.has(name) || name.startsWith('KAPI_MAX_') || name.startsWith('KAPI_MAGIC_');
}

// ---------------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------------

/** A token, possibly from a helper expansion (`via` names the helper). */
interface MTok extends CToken {
  via?: string;
}

/** Tokens with a stack of helper expansions on top of the file's tokens. */
class Stream {
  private readonly frames: { toks: readonly MTok[]; i: number }[];
  constructor(base: readonly MTok[], start: number) {
    this.frames = [{ toks: base, i: start }];
  }
  /** Position in the file's tokens. */
  get base(): number {
    return (this.frames[0] as { i: number }).i;
  }
  get depth(): number {
    return this.frames.length;
  }
  peek(k = 0): MTok | undefined {
    let rest = k;
    for (let f = this.frames.length - 1; f >= 0; f--) {
      const fr = this.frames[f] as { toks: readonly MTok[]; i: number };
      const avail = fr.toks.length - fr.i;
      if (rest < avail) return fr.toks[fr.i + rest];
      rest -= avail;
    }
    return undefined;
  }
  next(): MTok | undefined {
    while (this.frames.length > 1) {
      const top = this.frames[this.frames.length - 1] as { toks: readonly MTok[]; i: number };
      if (top.i < top.toks.length) break;
      this.frames.pop();
    }
    const fr = this.frames[this.frames.length - 1] as { toks: readonly MTok[]; i: number };
    return fr.i < fr.toks.length ? fr.toks[fr.i++] : undefined;
  }
  push(toks: MTok[]): void {
    if (toks.length > 0) this.frames.push({ toks, i: 0 });
  }
}

/** A macro argument or initializer value. */
interface Val {
  toks: MTok[];
  /** Expression text ('KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE', '-ENOMEM'). */
  text: string;
  /** When the value is only string literals: their decoded, joined and trimmed contents. */
  str: string | null;
}

function mkVal(toks: readonly MTok[]): Val {
  const t = toks.filter((x) => x.kind !== 'pp' && x.kind !== 'comment');
  const allStr = t.length > 0 && t.every((x) => x.kind === 'string');
  return {
    toks: t,
    text: tokensText(t),
    str: allStr
      ? t
          .map((x) => x.value)
          .join('')
          .trim()
      : null,
  };
}

/** The value as written: string contents, or the expression text. */
const shown = (v: Val): string => v.str ?? v.text;
/** A text field: the string, an expression as written, or null when nothing was given. */
const textOf = (v: Val): string | null => v.str ?? (v.toks.length > 0 ? v.text : null);

/** `.reversible = 1` means what KAPI_EFFECT_REVERSIBLE (`= true`) means. */
const boolOf = (text: string): boolean | null =>
  /^(true|1)$/.test(text) ? true : /^(false|0)$/.test(text) ? false : null;

/** A value with where it was written, as the field table's readers take it. */
interface MacroValue extends Written {
  v: Val;
}

function intOf(text: string): number | null {
  const m = /^\(?\s*(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)[uUlL]*\s*\)?$/.exec(text);
  if (!m) return null;
  const lit = m[1] as string;
  const n = /^0[xX]/.test(lit)
    ? Number.parseInt(lit, 16)
    : /^0[0-7]/.test(lit)
      ? Number.parseInt(lit, 8)
      : Number(lit);
  return Number.isSafeInteger(n) ? n : null;
}

/** Issues reported for one spec before the rest are summed up in one 'kapi-macro-too-many-issues'. */
const MAX_ISSUES_PER_SPEC = 20;
const SYSCALL_RE = /^(?:COMPAT_)?SYSCALL_DEFINE\d*$/;
const isPunct = (t: MTok | undefined, p: string): boolean => t?.kind === 'punct' && t.text === p;

const LABELS: Record<BlockKind, string> = {
  spec: 'spec',
  param: 'param',
  return: 'return',
  error: 'error',
  lock: 'lock',
  signal: 'signal',
  signal_mask: 'signal_mask',
  side_effect: 'side_effect',
  state_trans: 'state_trans',
  capability: 'capability',
  constraint: 'constraint',
  struct: 'struct',
  struct_field: 'field',
  socket_state: 'socket_state',
  protocol_behavior: 'protocol_behavior',
  async: 'async',
  buffer: 'buffer',
  addr_family: 'addr_family',
  brace: '{}',
};

interface Block {
  kind: BlockKind;
  label: string;
  /** The model object the block fills (null for blocks the model does not hold). */
  obj: object | null;
  line: number;
}

const CATEGORY_SETS = new Map<string, ReadonlySet<string>>(
  Object.entries(CATEGORIES as Record<string, ConstCategory>).map(([k, c]) => [k, new Set(c.names)]),
);

const literalCache = new Map<string, MTok[]>();
function literalTokens(src: string): MTok[] {
  let toks = literalCache.get(src);
  if (!toks) {
    toks = tokenizeC(src).value;
    literalCache.set(src, toks);
  }
  return toks;
}

/** A token of a helper's body, placed at the helper's invocation `at` (one object shape). */
function expanded(b: MTok, at: MTok, via: string): MTok {
  return {
    kind: b.kind,
    text: b.text,
    value: b.value,
    line: at.line,
    endLine: at.line,
    start: at.start,
    end: at.end,
    space: b.space,
    bol: false,
    via,
  };
}

/** Parses one spec; the stream starts at the opening macro. */
class SpecParser {
  readonly spec: ApiSpec;
  private readonly stack: Block[] = [];
  private readonly top: Block;
  /** The `late` fields of an entry (fields.ts), read by finish(). */
  private readonly scratch = new Map<object, Record<string, Val>>();
  private lastLine: number;
  private reported = 0;

  constructor(
    private readonly st: Stream,
    private readonly issues: Issue[],
    opener: MTok,
    kind: SpecKind,
    path: string,
  ) {
    this.spec = emptySpec('', kind, 'macro', path, opener.line);
    this.top = { kind: 'spec', label: 'spec', obj: this.spec, line: opener.line };
    this.lastLine = opener.line;
  }

  private take(): MTok | undefined {
    const t = this.st.next();
    if (t && t.kind !== 'pp') this.lastLine = Math.max(this.lastLine, t.endLine);
    return t;
  }

  private unknown(text: string, line: number, where: string): void {
    this.spec.unknown.push({ text, line, where });
  }

  private report(
    code: string,
    message: string,
    line: number,
    partial = true,
    data?: Readonly<Record<string, string | number>>,
  ): void {
    if (partial) this.spec.partial = true;
    if (code === 'kapi-macro-unterminated') {
      this.issues.push(issue(code, 'error', message, line));
      return;
    }
    if (this.reported === MAX_ISSUES_PER_SPEC)
      this.issues.push(
        issue(
          'kapi-macro-too-many-issues',
          'info',
          `${this.spec.name}: further issues are not reported`,
          line,
        ),
      );
    if (this.reported++ >= MAX_ISSUES_PER_SPEC) return;
    const i = issue(code, 'warning', message, line);
    this.issues.push(data ? { ...i, data } : i);
  }

  private get current(): Block {
    return this.stack[this.stack.length - 1] ?? this.top;
  }

  /** Reads `DEFINE_…(name)` and the body. */
  run(opener: MTok): ApiSpec {
    this.take();
    const args = isPunct(this.st.peek(), '(') ? this.collectArgs(opener.text, opener) : null;
    if (args) {
      const argc = args.length === 1 && (args[0] as MTok[]).length === 0 ? 0 : args.length;
      if (argc !== 1)
        this.report(
          'kapi-macro-bad-args',
          `${opener.text} takes 1 argument, got ${argc}`,
          opener.line,
          false,
        );
      const name = tokensText(args[0] ?? []);
      this.spec.name = name;
      if (this.spec.kind === 'syscall' && !/^(?:__[a-z0-9]+_)?(?:compat_)?sys_/.test(name))
        this.spec.kind = 'function';
      this.spec.assignments.push({
        block: 'spec',
        field: 'name',
        value: name,
        line: opener.line,
        via: opener.text,
      });
    }
    this.body();
    this.finish();
    return this.spec;
  }

  private body(): void {
    for (;;) {
      const t = this.st.peek();
      if (!t) {
        this.unterminated('the end of the input');
        return;
      }
      if (t.kind === 'pp') {
        this.take();
        this.unknown(t.value, t.line, 'preprocessor');
        continue;
      }
      if (t.kind === 'punct') {
        if (t.text === ',') {
          this.take();
          continue;
        }
        if (t.text === ';') {
          this.unterminated("';'");
          return;
        }
        if (t.text === '}') {
          this.take();
          if (this.stack.length > 0) {
            this.stack.pop();
            continue;
          }
          // `};` closes a generated spec (PATCH v3/v4); any other '}' here closes nothing
          const after = this.st.peek();
          if (after && !isPunct(after, ';')) {
            this.report('kapi-macro-unbalanced', `'}' closes no open block`, t.line);
            continue;
          }
          if (after) this.take();
          this.spec.endLine = t.line;
          return;
        }
        if (t.text === '{') {
          this.take();
          const parent = this.current;
          this.stack.push({ kind: 'brace', label: `${parent.label}.{}`, obj: null, line: t.line });
          continue;
        }
        if (t.text === '.' || t.text === '[') {
          this.designator(t);
          continue;
        }
        this.take();
        this.unknown(t.text, t.line, 'token');
        continue;
      }
      if (t.kind === 'ident') {
        const name = t.text;
        if (name === 'KAPI_END_SPEC') {
          this.take();
          if (isPunct(this.st.peek(), ';')) this.take();
          this.spec.endLine = t.line;
          this.closeAllAtEnd(t);
          return;
        }
        if (this.isSpecStop(t, 0)) {
          this.unterminated(name);
          return;
        }
        const def = own(MACROS, name);
        if (def) {
          this.macro(t, def);
          continue;
        }
        if (own(HELPER_MACROS, name)) {
          this.helper(t);
          continue;
        }
        this.take();
        const where = name.startsWith('KAPI_') && !isKnownConstant(name) ? 'macro' : 'token';
        this.unknown(name, t.line, where);
        if (isPunct(this.st.peek(), '(')) this.collectArgs(name, t);
        continue;
      }
      this.take();
      this.unknown(t.text, t.line, 'token');
    }
  }

  /** An identifier that cannot be inside a spec: the next spec, SYSCALL_DEFINEn, KAPI_END_SPEC. */
  private isSpecStop(t: MTok, at: number): boolean {
    if (t.kind !== 'ident') return false;
    if (t.text === 'KAPI_END_SPEC' || SYSCALL_RE.test(t.text)) return true;
    return own(OPENERS, t.text) !== undefined && isPunct(this.st.peek(at + 1), '(');
  }

  private unterminated(before: string): void {
    this.spec.endLine = this.lastLine;
    this.report(
      'kapi-macro-unterminated',
      `${this.spec.name || 'spec'}: no KAPI_END_SPEC (or closing '};') before ${before}`,
      this.spec.line,
    );
  }

  private closeAllAtEnd(at: MTok): void {
    const open = this.stack.filter((b) => b.kind !== 'brace');
    if (open.length > 0)
      this.report(
        'kapi-macro-unbalanced',
        `${this.spec.name}: ${open.map((b) => b.label).join(', ')} not closed before ${at.text}`,
        at.line,
      );
    this.stack.length = 0;
  }

  /** After `(`…: the arguments split at top-level commas; null (and an issue) when not closed. */
  private collectArgs(name: string, at: MTok): MTok[][] | null {
    this.take();
    const args: MTok[][] = [[]];
    let depth = 0;
    for (;;) {
      const t = this.st.peek();
      // A block or field macro at the start of a line is where the author forgot the ')'.
      const macroAtBol =
        t?.bol === true &&
        t.kind === 'ident' &&
        (own(MACROS, t.text) || own(HELPER_MACROS, t.text)) !== undefined;
      if (!t || isPunct(t, ';') || this.isSpecStop(t, 0) || macroAtBol) {
        this.report('kapi-macro-unbalanced', `${name}( is not closed`, at.line);
        return null;
      }
      this.take();
      if (t.kind === 'pp') {
        this.unknown(t.value, t.line, 'preprocessor');
        continue;
      }
      if (t.kind === 'punct') {
        if (t.text === '(') depth++;
        else if (t.text === ')') {
          if (depth === 0) return args;
          depth--;
        } else if (t.text === ',' && depth === 0) {
          args.push([]);
          continue;
        }
      }
      (args[args.length - 1] as MTok[]).push(t);
    }
  }

  /** Reads the arguments of a function-like macro and checks their number. */
  private readArgs(t: MTok, min: number, max: number): MTok[][] | null {
    if (max === 0) {
      const next = this.st.peek();
      if (isPunct(next, '(') && next && next.line === t.line && !next.space) {
        const args = this.collectArgs(t.text, t);
        const argc = !args || (args.length === 1 && (args[0] as MTok[]).length === 0) ? 0 : args.length;
        this.report('kapi-macro-bad-args', `${t.text} takes no arguments`, t.line, false, {
          macro: t.text,
          args: argc,
        });
      }
      return [];
    }
    if (!isPunct(this.st.peek(), '(')) {
      this.report('kapi-macro-bad-args', `${t.text} needs arguments`, t.line, false, {
        macro: t.text,
        args: -1,
      });
      return null;
    }
    const args = this.collectArgs(t.text, t);
    if (!args) return null;
    const argc = args.length === 1 && (args[0] as MTok[]).length === 0 ? 0 : args.length;
    if (argc < min || argc > max) {
      const want =
        min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
      this.report('kapi-macro-bad-args', `${t.text} takes ${want} argument(s), got ${argc}`, t.line, false, {
        macro: t.text,
        args: argc,
      });
    }
    return argc === 0 ? [] : args;
  }

  private macro(t: MTok, def: MacroDef): void {
    this.take();
    const [min, max] = typeof def.args === 'number' ? [def.args, def.args] : def.args;
    const args = this.readArgs(t, min, max);
    if (!args) return;
    const via = t.via ? `${t.via}>${t.text}` : t.text;
    if (def.closes) {
      this.close(def.closes, via, t.line);
      return;
    }
    let block: Block;
    if (def.opens) {
      block = this.open(def.opens, def.indexed ? (args[0] ?? []) : null, t.line, via);
    } else {
      block = this.current;
      if (!def.home.includes(block.kind)) this.unknown(`${t.text} in ${block.label}`, t.line, 'misplaced');
    }
    for (const [field, ref] of def.sets ?? []) this.apply(block, field, this.argVal(args, ref), t.line, via);
    if (def.selfContained) this.close(def.opens ?? 'brace', via, t.line);
  }

  private argVal(args: MTok[][], ref: ArgRef): Val {
    if (typeof ref === 'number') return mkVal(args[ref] ?? []);
    if ('lit' in ref) return mkVal(literalTokens(ref.lit));
    if ('str' in ref) {
      const s = tokensText(args[ref.str] ?? []);
      return { toks: args[ref.str] ?? [], text: JSON.stringify(s), str: s };
    }
    const rest = args.slice(ref.rest);
    const toks = rest.flat();
    const v = mkVal(toks);
    return rest.length > 1 ? { toks: v.toks, text: rest.map((a) => tokensText(a)).join(', '), str: null } : v;
  }

  private helper(t: MTok): void {
    this.take();
    const def = own(HELPER_MACROS, t.text);
    if (!def) return;
    const params = def.params ?? [];
    const args = def.params ? this.readArgs(t, params.length, params.length) : this.readArgs(t, 0, 0);
    if (!args) return;
    if (this.st.depth > 16) {
      this.unknown(t.text, t.line, 'macro');
      return;
    }
    const via = t.via ? `${t.via}>${t.text}` : t.text;
    const body = literalTokens(def.body);
    const out: MTok[] = [];
    for (let k = 0; k < body.length; k++) {
      const b = body[k] as MTok;
      const nx = body[k + 1];
      if (b.kind === 'punct' && b.text === '#' && nx?.kind === 'ident' && params.includes(nx.text)) {
        const s = tokensText(args[params.indexOf(nx.text)] ?? []);
        out.push(expanded({ ...b, kind: 'string', text: JSON.stringify(s), value: s }, t, via));
        k++;
        continue;
      }
      if (b.kind === 'ident' && params.includes(b.text)) {
        const arg = args[params.indexOf(b.text)] ?? [];
        arg.forEach((a, j) => {
          out.push(j === 0 ? { ...a, space: b.space } : a);
        });
        continue;
      }
      out.push(expanded(b, t, via));
    }
    this.st.push(out);
  }

  /** `.field = value`, `.locks[0] = {`, `[2] = x`: a raw designated initializer. */
  private designator(first: MTok): void {
    const parts: { name: string; index: MTok[] | null }[] = [];
    for (;;) {
      const t = this.st.peek();
      if (isPunct(t, '.') && this.st.peek(1)?.kind === 'ident') {
        this.take();
        parts.push({ name: (this.take() as MTok).text, index: null });
        continue;
      }
      if (isPunct(t, '[')) {
        this.take();
        const idx: MTok[] = [];
        let depth = 0;
        for (;;) {
          const u = this.st.peek();
          if (!u || isPunct(u, ';') || this.isSpecStop(u, 0)) {
            this.report('kapi-macro-unbalanced', `'[' of a designator is not closed`, first.line);
            return;
          }
          this.take();
          if (isPunct(u, '[')) depth++;
          else if (isPunct(u, ']')) {
            if (depth === 0) break;
            depth--;
          }
          if (u.kind !== 'pp') idx.push(u);
        }
        const last = parts[parts.length - 1];
        if (last && last.index === null) last.index = idx;
        else parts.push({ name: '', index: idx });
        continue;
      }
      break;
    }
    const field = parts
      .map(
        (p, k) => `${p.name ? (k > 0 ? '.' : '') + p.name : ''}${p.index ? `[${tokensText(p.index)}]` : ''}`,
      )
      .join('');
    const written = field.startsWith('[') ? field : `.${field}`;
    const via = first.via ? `${first.via}>${written}` : written;
    const eq = this.st.peek();
    if (parts.length === 0 || !isPunct(eq, '=')) {
      if (parts.length === 0) this.take();
      this.unknown(parts.length === 0 ? first.text : written, first.line, 'token');
      return;
    }
    this.take();
    const p0 = parts[0] as { name: string; index: MTok[] | null };
    if (parts.length === 1 && isPunct(this.st.peek(), '{')) {
      const cur = this.current;
      const d =
        cur.kind === 'spec'
          ? own(TOP_DESIGNATORS, p0.name)
          : cur.kind === 'struct' && p0.name === 'fields'
            ? { kind: 'struct_field' as const, indexed: true }
            : undefined;
      if (d && d.indexed === (p0.index !== null)) {
        this.take();
        this.open(d.kind, p0.index, first.line, via);
        return;
      }
    }
    this.apply(this.current, field, mkVal(this.collectExpr()), first.line, via);
  }

  /** An initializer value: up to a top-level ',' or '}' (or the next macro or designator). */
  private collectExpr(): MTok[] {
    const out: MTok[] = [];
    let depth = 0;
    for (;;) {
      const t = this.st.peek();
      if (!t || isPunct(t, ';')) break;
      if (t.kind === 'pp') {
        this.take();
        this.unknown(t.value, t.line, 'preprocessor');
        continue;
      }
      if (t.kind === 'punct') {
        if (depth === 0 && (t.text === ',' || t.text === '}' || t.text === ')' || t.text === ']')) break;
        if (
          depth === 0 &&
          t.text === '.' &&
          this.st.peek(1)?.kind === 'ident' &&
          isPunct(this.st.peek(2), '=') &&
          out.length > 0
        )
          break;
        if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
        else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
      } else if (t.kind === 'ident' && depth === 0) {
        if (own(MACROS, t.text) || own(HELPER_MACROS, t.text) || this.isSpecStop(t, 0)) break;
      }
      this.take();
      out.push(t);
    }
    return out;
  }

  /** Opens a block; a top-level block closes whatever was left open (an issue: C would not compile). */
  private open(kind: BlockKind, indexToks: MTok[] | null, line: number, via: string): Block {
    if (kind === 'struct_field') {
      const top = this.current;
      if (top.kind === 'struct_field') {
        this.report('kapi-macro-unbalanced', `${top.label} not closed before ${via}`, line);
        this.stack.pop();
      }
    } else if (this.stack.length > 0) {
      const open = this.stack.filter((b) => b.kind !== 'brace');
      if (open.length > 0)
        this.report(
          'kapi-macro-unbalanced',
          `${open.map((b) => b.label).join(', ')} not closed before ${via}`,
          line,
        );
      this.stack.length = 0;
    }
    const idxText = indexToks ? tokensText(indexToks.filter((t) => t.kind !== 'pp')) : null;
    const index = idxText === null ? null : intOf(idxText);
    const parent = this.current;
    const base = idxText === null ? LABELS[kind] : `${LABELS[kind]}[${idxText}]`;
    const label = kind === 'struct_field' ? `${parent.label}.${base}` : base;
    const s = this.spec;
    let obj: object | null = null;
    switch (kind) {
      case 'param':
        obj = push(s.params, emptyParam(index, '', line));
        break;
      case 'return':
        s.returns = emptyReturn(line);
        obj = s.returns;
        break;
      case 'error':
        obj = push(s.errors, emptyError(index, '', '', line));
        break;
      case 'lock':
        obj = push(s.locks, emptyLock(index, '', line));
        break;
      case 'signal':
        obj = push(s.signals, emptySignal(index, '', line));
        break;
      case 'signal_mask': {
        const m: SpecSignalMask = { index, name: '', description: null, line };
        obj = push(s.signalMasks, m);
        break;
      }
      case 'side_effect':
        // KAPI_SIDE_EFFECT initializes .reversible = false (R2), and zero-init gives the same.
        obj = push(s.sideEffects, emptySideEffect(index, line));
        break;
      case 'state_trans':
        obj = push(s.stateTransitions, emptyStateTrans(index, line));
        break;
      case 'capability':
        obj = push(s.capabilities, emptyCapability(index, '', line));
        break;
      case 'constraint':
        obj = push(s.constraints, emptyConstraint(index, '', line));
        break;
      case 'struct':
        obj = push(s.structs, emptyStruct(index, '', line));
        break;
      case 'struct_field': {
        const f = emptyStructField(index, '', line);
        if (parent.kind === 'struct') (parent.obj as SpecStruct).fields.push(f);
        else this.unknown(`${via} outside a struct spec`, line, 'misplaced');
        obj = f;
        break;
      }
      default:
        break;
    }
    const block: Block = { kind, label, obj, line };
    this.stack.push(block);
    return block;
  }

  private close(kind: BlockKind, via: string, line: number): void {
    const top = this.stack.pop();
    if (!top) {
      this.report('kapi-macro-unbalanced', `${via} closes no open block`, line);
      return;
    }
    if (top.kind !== kind) this.unknown(`${via} closes ${top.label}`, line, 'misplaced');
  }

  private scratchOf(obj: object): Record<string, Val> {
    let s = this.scratch.get(obj);
    if (!s) {
      s = {};
      this.scratch.set(obj, s);
    }
    return s;
  }

  // --- constants -----------------------------------------------------------------------------

  private mapConst(name: string, cat: CategoryName): readonly string[] | null {
    const c = CATEGORIES[cat] as ConstCategory;
    const alias = c.aliases ? own(c.aliases, name) : undefined;
    if (alias) return alias;
    if (name.startsWith(c.prefix) && CATEGORY_SETS.get(cat)?.has(name.slice(c.prefix.length)))
      return [name.slice(c.prefix.length).toLowerCase()];
    return null;
  }

  /** A set of flags ('KAPI_PARAM_IN | KAPI_PARAM_USER' -> ['in', 'user']); 0 is the empty set. */
  private flags(v: Val, cat: CategoryName, line: number): string[] {
    const out: string[] = [];
    const c = CATEGORIES[cat] as ConstCategory;
    for (const t of v.toks) {
      if (t.kind === 'ident') {
        const m = this.mapConst(t.text, cat);
        if (m) out.push(...m);
        else {
          out.push(t.text);
          this.unknown(t.text, line, 'constant');
        }
      } else if (t.kind === 'number') {
        if (intOf(t.text) === 0) continue;
        out.push(t.text);
        this.unknown(t.text, line, 'constant');
      } else if (t.kind === 'string') {
        out.push(t.value.trim());
        if (!c.strings) this.unknown(JSON.stringify(t.value), line, 'constant');
      }
    }
    return [...new Set(out)];
  }

  /** One enumerated value ('KAPI_TYPE_UINT' -> 'uint'); unknown parts are kept as written. */
  private enumOf(v: Val, cat: CategoryName, line: number): string | null {
    if (v.toks.length === 0) return null;
    const c = CATEGORIES[cat] as ConstCategory;
    if (v.str !== null) {
      if (!c.strings) this.unknown(JSON.stringify(v.str), line, 'constant');
      return v.str;
    }
    const parts: string[] = [];
    for (const t of v.toks) {
      if (t.kind === 'ident') {
        const m = this.mapConst(t.text, cat);
        if (m) parts.push(...m);
        else {
          parts.push(t.text);
          this.unknown(t.text, line, 'constant');
        }
      } else if (t.kind === 'number') {
        parts.push(t.text);
        this.unknown(t.text, line, 'constant');
      }
    }
    // OR'd values joined as kerneldoc joins them, so both forms give the same fact
    return parts.length > 0 ? parts.join(' | ') : v.text;
  }

  /** KAPI_* identifiers in a value that no version defines. */
  private checkConstants(v: Val, line: number): void {
    for (const t of v.toks)
      if (t.kind === 'ident' && t.text.startsWith('KAPI_') && !isKnownConstant(t.text))
        this.unknown(
          t.text,
          line,
          own(MACROS, t.text) || own(HELPER_MACROS, t.text) ? 'misplaced' : 'constant',
        );
  }

  // --- fields --------------------------------------------------------------------------------

  /** Records an assignment and updates the model. */
  private apply(block: Block, field: string, v: Val, line: number, via: string): void {
    this.spec.assignments.push({ block: block.label, field, value: shown(v), line, via });
    if (!this.applyField(block, field, v, line, via)) this.checkConstants(v, line);
  }

  /**
   * Sets the model as the field table says (fields.ts); returns true when the value's constants
   * were normalized (and checked) there. The `late` fields wait for finish().
   */
  private applyField(block: Block, field: string, v: Val, line: number, via: string): boolean {
    const def = block.obj === null ? undefined : fieldDef(block.kind, field);
    if (block.obj === null || def === undefined) return false;
    if (def.kind === 'late') {
      this.scratchOf(block.obj)[field] = v;
      return false;
    }
    return setField(block.obj, def, { v, line, via }, this.reader);
  }

  /** The macro form's reading of a value of each kind: C tokens, strings and numbers. */
  private readonly reader: FieldReader<MacroValue> = {
    shown: (x) => shown(x.v),
    text: (x) => textOf(x.v),
    expr: (x) => x.v.text,
    enum: (x, cat) => this.enumOf(x.v, cat, x.line),
    enums: (x, cat) => this.enumOf(x.v, cat, x.line),
    list: (x, cat) => this.flags(x.v, cat, x.line),
    bool: (x) => {
      const b = boolOf(x.v.text);
      if (b === null) this.unknown(x.v.text, x.line, 'constant');
      return b;
    },
    // `.restartable = 1` means what KAPI_SIGNAL_RESTARTABLE (`= true`) means.
    switch: (x) => boolOf(x.v.text),
    flag: (x) => shown(x.v),
    // `"A, B"` (a string, as the generators emit it) or `A, B` (the variadic arguments)
    values: (x) => (x.v.toks.length === 0 ? null : splitEnumValues(x.v.str ?? x.v.text)),
    errno: (x) => {
      const m = /^\(?\s*-?\s*(E[A-Z0-9_]+)\s*\)?$/.exec(x.v.text);
      return { code: m ? (m[1] as string) : x.v.text, codeText: x.v.text };
    },
    count: (x) => {
      const n = intOf(x.v.text);
      if (n === null) this.unknown(`${x.via}: ${x.v.text}`, x.line, 'count');
      return n;
    },
  };

  private finish(): void {
    for (const g of this.spec.signals) {
      const signum = this.scratch.get(g)?.signal_num?.text;
      if (!signum || signum === '0') continue;
      if (g.signal === '') g.signal = signum;
      else if (signum !== g.signal) g.extra.signum = signum;
    }
    for (const c of this.spec.capabilities) {
      const cap = this.scratch.get(c)?.cap_name;
      const name = cap ? textOf(cap) : null;
      if (name && (c.capability === '' || (!/^CAP_/.test(c.capability) && /^CAP_/.test(name))))
        c.capability = name;
    }
    if (this.spec.endLine < this.spec.line) this.spec.endLine = this.spec.line;
  }
}

const OPENER_HINT = /DEFINE_(?:KERNEL_API_SPEC|KAPI_IOCTL_SPEC|SYSFS_API_SPEC)\s*\(/g;

/**
 * Cheap test before tokenizing: an opener call on a line that is neither a preprocessor line nor
 * a comment line (the framework's own header documents and defines the openers but holds no
 * spec, and is 45 KB of macros). Only a shortcut: the tokenizer decides the rest.
 */
function hasOpenerOutsideDefines(text: string): boolean {
  OPENER_HINT.lastIndex = 0;
  for (let m = OPENER_HINT.exec(text); m !== null; m = OPENER_HINT.exec(text)) {
    const start = text.lastIndexOf('\n', m.index) + 1;
    if (!/^\s*(?:#|\*|\/\/)/.test(text.slice(start, m.index))) return true;
  }
  return false;
}

/**
 * Every macro-form spec in `text` (a C file, or the post-image of a hunk), in order. `path` is
 * copied into each spec. Definitions of the macros themselves (`#define DEFINE_KERNEL_API_SPEC`)
 * are preprocessor lines, not specs.
 */
export function parseMacroSpecs(text: string, path = ''): Parsed<ApiSpec[]> {
  const issues: Issue[] = [];
  const specs: ApiSpec[] = [];
  if (!hasOpenerOutsideDefines(text)) return { value: specs, issues };
  const lexed = tokenizeC(text);
  const toks = lexed.value;
  // the lexer's issues by line, found per spec by bisection (not all of them searched per spec)
  const lexIssues = lexed.issues
    .filter((li) => li.line !== undefined)
    .sort((a, b) => (a.line as number) - (b.line as number));
  let i = 0;
  while (i < toks.length) {
    const t = toks[i] as MTok;
    const kind = t.kind === 'ident' ? own(OPENERS, t.text) : undefined;
    if (kind && isPunct(toks[i + 1], '(')) {
      const st = new Stream(toks, i);
      const specIssues: Issue[] = [];
      const spec = new SpecParser(st, specIssues, t, kind, path).run(t);
      let lo = 0;
      let hi = lexIssues.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (((lexIssues[mid] as Issue).line as number) < spec.line) lo = mid + 1;
        else hi = mid;
      }
      for (
        let k = lo;
        k < lexIssues.length && ((lexIssues[k] as Issue).line as number) <= spec.endLine;
        k++
      ) {
        specIssues.push(lexIssues[k] as Issue);
        spec.partial = true;
      }
      specIssues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
      for (const si of specIssues) issues.push(si); // not push(...): 150,000 issues overflow the stack
      specs.push(spec);
      i = Math.max(st.base, i + 1);
      continue;
    }
    i++;
  }
  return { value: specs, issues };
}
