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

/** Does a constant name belong to a category (and not to one with a longer prefix)? */
function inCategory(name: string, src: CategorySource, all: readonly CategorySource[]): boolean {
  if (!name.startsWith(src.prefix)) return false;
  return !all.some((o) => o.prefix.length > src.prefix.length && name.startsWith(o.prefix));
}

/** The vocabulary the frameworks define; `kerneldoc` keeps only frameworks with a kerneldoc form. */
export function learnVocabulary(
  frameworks: readonly Framework[],
  opts: { kerneldoc?: boolean } = {},
): Record<CategoryName, VocabCategory> {
  const fws = opts.kerneldoc ? frameworks.filter((f) => f.kerneldoc !== null) : frameworks;
  const all: CategorySource[] = Object.values(SOURCES);
  const out = {} as Record<CategoryName, VocabCategory>;
  for (const [name, src0] of Object.entries(SOURCES) as [CategoryName, CategorySource][]) {
    const src: CategorySource = src0;
    const tokens: string[] = [];
    const add = (constant: string): void => {
      const t = constant.slice(src.prefix.length).toLowerCase();
      if (t !== '' && !tokens.includes(t)) tokens.push(t);
    };
    for (const fw of fws) {
      if (src.enum) {
        for (const [c, f] of Object.entries(fw.constants))
          if (f.group === src.enum && c.startsWith(src.prefix)) add(c);
      } else {
        for (const [m, f] of Object.entries(fw.macros))
          if (f.arity === null && inCategory(m, src, all) && !(src.groups && m in src.groups)) add(m);
        for (const t of Object.values(fw.kerneldoc?.tokens ?? {}))
          for (const c of t.constants) if (inCategory(c, src, all)) add(c);
      }
    }
    const aliases: Record<string, string> = { ...(src.extraAliases ?? {}) };
    for (const fw of fws)
      for (const [word, t] of Object.entries(fw.kerneldoc?.tokens ?? {}))
        for (const c of t.constants) {
          if (!inCategory(c, src, all)) continue;
          const canonical = c.slice(src.prefix.length).toLowerCase();
          if (word !== canonical && tokens.includes(canonical) && !(word in aliases))
            aliases[word] = canonical;
        }
    out[name] = {
      prefix: src.prefix,
      tokens,
      aliases,
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
