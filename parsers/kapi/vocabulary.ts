/**
 * The KAPI vocabulary both spec parsers read: the enumerated values a spec may use (KAPI_TYPE_UINT
 * in the macro form, `uint` in kerneldoc) by category, learned from the built-in frameworks
 * (frameworks.data.ts, itself learned from the postings' framework patches) instead of written out
 * twice by hand:
 * - a category is a `kapi_*` enum of the headers (KAPI_TYPE_* is `enum kapi_param_type`), or, for
 *   the few values RFC v2 defines as strings (`#define KAPI_SIGNAL_TIME_DURING "during"`), the
 *   object-like #defines with its prefix and the constants the generator maps tokens to;
 * - the canonical token of a constant is its name after the category's prefix, lower case;
 * - the generators' alias tables add the other spellings (`uptr` -> `user_ptr`, `input` -> `in`).
 * What no framework file says is written here, each with the reason: the category names and
 * prefixes, the object-like macros that stand for several values (KAPI_PARAM_FLAGS_INOUT), and two
 * spellings PATCH v4's generator accepts in code rather than in a table.
 *
 * The macro form reads every posting's values (RFC v2's sysfs types too); kerneldoc reads the
 * values of the postings that have a kerneldoc form.
 */
import type { Framework } from './framework.js';
import { BUILTIN_FRAMEWORKS } from './frameworks.data.js';

interface CategorySource {
  /** The prefix of the constants' names. */
  prefix: string;
  /** The enum of the headers that holds the values; absent when they are #defines. */
  enum?: string;
  /** Object-like macros that stand for several values of the category. */
  groups?: Readonly<Record<string, readonly string[]>>;
  /** RFC v2 defines the values as strings ("during"), so a string literal is a value too. */
  strings?: boolean;
  /** Spellings a generator accepts in code, not in an alias table (lower case -> token). */
  extraAliases?: Readonly<Record<string, string>>;
}

const SOURCES = {
  type: { prefix: 'KAPI_TYPE_', enum: 'kapi_param_type' },
  param_flags: {
    prefix: 'KAPI_PARAM_',
    enum: 'kapi_param_flags',
    groups: {
      KAPI_PARAM_USER_PTR: ['user'],
      KAPI_PARAM_FLAGS_INOUT: ['inout'],
      KAPI_PARAM_FLAGS_USER: ['user', 'in'],
    },
  },
  context: { prefix: 'KAPI_CTX_', enum: 'kapi_context_flags' },
  lock_type: { prefix: 'KAPI_LOCK_', enum: 'kapi_lock_type' },
  lock_scope: { prefix: 'KAPI_LOCK_', enum: 'kapi_lock_scope' },
  constraint: {
    prefix: 'KAPI_CONSTRAINT_',
    enum: 'kapi_constraint_type',
    // PATCH v4's _parse_param_spec turns KAPI_CONSTRAINT_BITMASK into KAPI_CONSTRAINT_MASK
    extraAliases: { kapi_constraint_bitmask: 'mask' },
  },
  return_check: { prefix: 'KAPI_RETURN_', enum: 'kapi_return_check_type' },
  signal_dir: { prefix: 'KAPI_SIGNAL_', enum: 'kapi_signal_direction' },
  signal_action: { prefix: 'KAPI_SIGNAL_ACTION_', enum: 'kapi_signal_action' },
  signal_timing: { prefix: 'KAPI_SIGNAL_TIME_', strings: true },
  signal_queue: { prefix: 'KAPI_SIGNAL_QUEUE_', strings: true },
  signal_state: { prefix: 'KAPI_SIGNAL_STATE_' },
  cap_action: {
    prefix: 'KAPI_CAP_',
    enum: 'kapi_capability_action',
    // PATCH v4's capability parser maps KAPI_CAP_REQUIRED as it maps `required`
    extraAliases: { kapi_cap_required: 'perform_operation' },
  },
  effect: {
    prefix: 'KAPI_EFFECT_',
    enum: 'kapi_side_effect_type',
    groups: {
      KAPI_EFFECTS_MEMORY: ['alloc_memory', 'free_memory'],
      KAPI_EFFECTS_LOCKING: ['lock_acquire', 'lock_release'],
      KAPI_EFFECTS_RESOURCES: ['resource_create', 'resource_destroy'],
      KAPI_EFFECTS_IO: ['network', 'filesystem'],
    },
  },
  sock_state: { prefix: 'KAPI_SOCK_STATE_', enum: 'kapi_socket_state' },
  proto: { prefix: 'KAPI_PROTO_', enum: 'kapi_socket_protocol' },
  buf: { prefix: 'KAPI_BUF_', enum: 'kapi_buffer_behavior' },
  async: { prefix: 'KAPI_ASYNC_', enum: 'kapi_async_behavior' },
  api: { prefix: 'KAPI_API_', enum: 'kapi_api_type' },
} as const satisfies Record<string, CategorySource>;

export type CategoryName = keyof typeof SOURCES;

export interface VocabCategory {
  prefix: string;
  /** Canonical tokens, lower case, in the order the frameworks define them. */
  tokens: readonly string[];
  /** Other spellings (lower case) -> token: the generators' aliases and lower-cased full names. */
  aliases: Readonly<Record<string, string>>;
  groups: Readonly<Record<string, readonly string[]>>;
  strings: boolean;
}

/**
 * The categories a constant name belongs to: those whose prefix it starts with, when no other
 * category's prefix it starts with is longer (KAPI_SIGNAL_ACTION_X is a signal action, not a
 * signal direction). Several categories share a prefix (KAPI_LOCK_: lock types and scopes).
 */
function categoriesOf(name: string): CategoryName[] {
  let best = -1;
  let out: CategoryName[] = [];
  for (const [cat, src] of Object.entries(SOURCES) as [CategoryName, CategorySource][]) {
    if (!name.startsWith(src.prefix) || src.prefix.length < best) continue;
    if (src.prefix.length > best) {
      best = src.prefix.length;
      out = [];
    }
    out.push(cat);
  }
  return out;
}

/**
 * The vocabulary the frameworks define; `kerneldoc` keeps only frameworks with a kerneldoc form.
 * One pass over each framework's names for all categories (it runs at every start, on the
 * built-in frameworks): a category's tokens come in the order the frameworks define them, each
 * framework's macros before its kerneldoc constants.
 */
export function learnVocabulary(
  frameworks: readonly Framework[],
  opts: { kerneldoc?: boolean } = {},
): Record<CategoryName, VocabCategory> {
  const fws = opts.kerneldoc ? frameworks.filter((f) => f.kerneldoc !== null) : frameworks;
  const sources = SOURCES as Record<CategoryName, CategorySource>;
  const names = Object.keys(SOURCES) as CategoryName[];
  const known = new Map<string, CategoryName[]>();
  const categories = (name: string): CategoryName[] => {
    let c = known.get(name);
    if (!c) {
      c = categoriesOf(name);
      known.set(name, c);
    }
    return c;
  };
  const tokens = new Map<CategoryName, string[]>(names.map((n) => [n, []]));
  const seen = new Map<CategoryName, Set<string>>(names.map((n) => [n, new Set()]));
  const add = (cat: CategoryName, constant: string): void => {
    const t = constant.slice(sources[cat].prefix.length).toLowerCase();
    const had = seen.get(cat) as Set<string>;
    if (t === '' || had.has(t)) return;
    had.add(t);
    tokens.get(cat)?.push(t);
  };
  const byEnum = new Map<string, CategoryName[]>();
  for (const n of names) {
    const e = sources[n].enum;
    if (e !== undefined) byEnum.set(e, [...(byEnum.get(e) ?? []), n]);
  }
  for (const fw of fws) {
    for (const [c, f] of Object.entries(fw.constants))
      for (const cat of (f.group !== null && byEnum.get(f.group)) || [])
        if (c.startsWith(sources[cat].prefix)) add(cat, c);
    for (const [m, f] of Object.entries(fw.macros)) {
      if (f.arity !== null) continue;
      for (const cat of categories(m)) {
        const src = sources[cat];
        if (!src.enum && !(src.groups && m in src.groups)) add(cat, m);
      }
    }
    for (const t of Object.values(fw.kerneldoc?.tokens ?? {}))
      for (const c of t.constants) for (const cat of categories(c)) if (!sources[cat].enum) add(cat, c);
  }
  const aliases = new Map<CategoryName, Record<string, string>>(
    names.map((n) => [n, { ...(sources[n].extraAliases ?? {}) }]),
  );
  for (const fw of fws)
    for (const [word, t] of Object.entries(fw.kerneldoc?.tokens ?? {}))
      for (const c of t.constants)
        for (const cat of categories(c)) {
          const canonical = c.slice(sources[cat].prefix.length).toLowerCase();
          const a = aliases.get(cat) as Record<string, string>;
          if (word !== canonical && seen.get(cat)?.has(canonical) && !(word in a)) a[word] = canonical;
        }
  const out = {} as Record<CategoryName, VocabCategory>;
  for (const n of names) {
    const src = sources[n];
    out[n] = {
      prefix: src.prefix,
      tokens: tokens.get(n) ?? [],
      aliases: aliases.get(n) ?? {},
      groups: src.groups ?? {},
      strings: src.strings ?? false,
    };
  }
  return out;
}

/** Every value any known posting defines, for the macro form. */
export const VOCABULARY = learnVocabulary(BUILTIN_FRAMEWORKS);

/** The values of the postings with a kerneldoc form, for kerneldoc specs. */
export const KERNELDOC_VALUES = learnVocabulary(BUILTIN_FRAMEWORKS, { kerneldoc: true });
