/**
 * The block grammar of the kerneldoc KAPI forms (gen 2 and gen 3), as data.
 *
 * A block opens with a header line (`param: len, KAPI_TYPE_UINT`, `struct: frob_attr, desc`) and
 * takes the indented `key: value` lines below it. Which keys open blocks, which sub-keys each block
 * takes and which blocks nest in which is this table, not code: the parser (kerneldoc.ts) builds
 * its blocks by indentation to any depth from it, so a framework version with other blocks is
 * another table (see parseKerneldocSpecs' `blocks` option).
 *
 * Depth: an indented line belongs to the nearest less-indented open header. A sub-key that is
 * itself a header in `nests` of its block (`field:` under `struct:`, `struct:` under `field:`)
 * opens a nested block whose own deeper lines belong to it. So `struct:` -> `field:` -> `struct:`
 * -> `field:` -> `type:` is read as five levels, a struct field whose type is a struct with fields.
 *
 * Gen 1 (RFC v3) has no blocks: its flat keys (`param-type:`, `struct-field-range:`) are tables of
 * their own in kerneldoc.ts.
 */

export type DocBlockKind =
  | 'param'
  | 'return'
  | 'error'
  | 'lock'
  | 'signal'
  | 'side_effect'
  | 'state_trans'
  | 'capability'
  | 'constraint'
  | 'struct'
  | 'struct_field';

export interface DocBlockDef {
  /**
   * Sub-key (lower case, '_' -> '-') -> the canonical field it sets (the C struct's name), which
   * the field table (fields.ts) maps onto the model.
   */
  readonly subKeys: Readonly<Record<string, string>>;
  /** Sub-keys that open a nested block instead, and the kind of block they open. */
  readonly nests: Readonly<Record<string, DocBlockKind>>;
}

export interface DocBlockTable {
  /** Keys that open a block at the top level of a comment. */
  readonly top: Readonly<Record<string, DocBlockKind>>;
  readonly blocks: Readonly<Record<DocBlockKind, DocBlockDef>>;
}

/** The blocks of RFC v4 .. PATCH v4, the union the parser reads in every comment. */
export const KERNELDOC_BLOCKS: DocBlockTable = {
  top: {
    param: 'param',
    return: 'return',
    error: 'error',
    lock: 'lock',
    signal: 'signal',
    'side-effect': 'side_effect',
    'state-trans': 'state_trans',
    capability: 'capability',
    constraint: 'constraint',
    // PATCH v4's `struct-field: NAME, TYPE, desc` block (fields of the struct named last)
    'struct-field': 'struct_field',
    // RFC v4's `struct: NAME, desc` block with nested `field:` blocks
    struct: 'struct',
  },
  blocks: {
    param: {
      subKeys: {
        type: 'type',
        flags: 'flags',
        size: 'size',
        'constraint-type': 'constraint_type',
        constraint: 'constraints',
        cdesc: 'constraints',
        range: 'range',
        mask: 'valid_mask',
        'valid-mask': 'valid_mask',
        'valid-values': 'enum_values',
        enum: 'enum_values',
        'enum-values': 'enum_values',
        alignment: 'alignment',
        'size-param': 'size_param_idx',
        'size-multiplier': 'size_multiplier',
        'struct-type': 'struct_type',
        'arch-mask': 'arch_mask',
        validate: 'validate',
        desc: 'description',
        description: 'description',
      },
      // the struct a user pointer points to, written inside the param block
      nests: { struct: 'struct' },
    },
    return: {
      subKeys: {
        type: 'type',
        'check-type': 'check_type',
        check: 'check_type',
        success: 'success_value',
        'success-range': 'success_range',
        'error-values': 'error_values',
        desc: 'description',
        description: 'description',
      },
      nests: {},
    },
    error: {
      subKeys: { desc: 'description', description: 'description', condition: 'condition' },
      nests: {},
    },
    lock: {
      subKeys: {
        type: 'lock_type',
        acquired: 'acquired',
        released: 'released',
        'held-on-entry': 'held_on_entry',
        'held-on-exit': 'held_on_exit',
        scope: 'scope',
        desc: 'description',
        description: 'description',
      },
      nests: {},
    },
    signal: {
      subKeys: {
        direction: 'direction',
        action: 'action',
        condition: 'condition',
        desc: 'description',
        description: 'description',
        errno: 'error_on_signal',
        error: 'error_on_signal',
        timing: 'timing',
        priority: 'priority',
        restartable: 'restartable',
        interruptible: 'interruptible',
        queue: 'queue_behavior',
        'queue-behavior': 'queue_behavior',
        transform: 'transform_to',
        'transform-to': 'transform_to',
        target: 'target',
        number: 'signal_num',
        'state-req': 'state_required',
        'state-required': 'state_required',
        'state-forbid': 'state_forbidden',
        'state-forbidden': 'state_forbidden',
        'sa-flags-req': 'sa_flags_required',
        'sa-flags-required': 'sa_flags_required',
        'sa-flags-forbid': 'sa_flags_forbidden',
        'sa-flags-forbidden': 'sa_flags_forbidden',
      },
      nests: {},
    },
    side_effect: {
      subKeys: {
        type: 'type',
        target: 'target',
        desc: 'description',
        description: 'description',
        condition: 'condition',
        reversible: 'reversible',
      },
      nests: {},
    },
    state_trans: {
      subKeys: {
        object: 'object',
        from: 'from_state',
        to: 'to_state',
        condition: 'condition',
        desc: 'description',
        description: 'description',
      },
      nests: {},
    },
    capability: {
      subKeys: {
        type: 'action',
        action: 'action',
        allows: 'allows',
        without: 'without_cap',
        condition: 'check_condition',
        priority: 'priority',
        desc: 'cap_name',
        name: 'cap_name',
        alternative: 'alternative',
      },
      nests: {},
    },
    constraint: {
      subKeys: { desc: 'description', description: 'description', expr: 'expression', name: 'name' },
      nests: {},
    },
    struct: {
      subKeys: {
        name: 'name',
        desc: 'description',
        description: 'description',
        size: 'size',
        alignment: 'alignment',
        'field-count': 'field_count',
      },
      nests: { field: 'struct_field' },
    },
    struct_field: {
      subKeys: {
        // `type: KAPI_TYPE_UINT` / `type: uint`; a C type (`type: __u32`) sets the C type
        type: 'type',
        ctype: 'type_name',
        'type-name': 'type_name',
        desc: 'description',
        description: 'description',
        flags: 'flags',
        'constraint-type': 'constraint_type',
        range: 'range',
        mask: 'valid_mask',
        'valid-mask': 'valid_mask',
        enum: 'enum_values',
        'enum-values': 'enum_values',
        'valid-values': 'enum_values',
        validate: 'validate',
        policy: 'policy',
        version: 'version',
        flag: 'flag',
        alignment: 'alignment',
        size: 'size',
        offset: 'offset',
      },
      // a field whose type is a struct, described in place with its own fields
      nests: { struct: 'struct' },
    },
  },
};

/** What the parser derives from a table once (cached per table). */
export interface DocGrammar {
  readonly table: DocBlockTable;
  /** Every sub-key and nested header of any block (for recognising orphan sub-keys). */
  readonly anySubKey: ReadonlySet<string>;
  /** Header keys that open a block only when nested (`field:`), with the kind they open. */
  readonly nestedOnly: Readonly<Record<string, DocBlockKind>>;
  /** Sub-keys of a block and of every block that can nest in it, at any depth. */
  readonly subtreeKeys: Readonly<Record<DocBlockKind, ReadonlySet<string>>>;
}

const grammars = new WeakMap<DocBlockTable, DocGrammar>();

export function docGrammar(table: DocBlockTable = KERNELDOC_BLOCKS): DocGrammar {
  const cached = grammars.get(table);
  if (cached) return cached;
  const kinds = Object.keys(table.blocks) as DocBlockKind[];
  const anySubKey = new Set<string>();
  const nestedOnly: Record<string, DocBlockKind> = {};
  for (const k of kinds) {
    const def = table.blocks[k];
    for (const s of Object.keys(def.subKeys)) anySubKey.add(s);
    for (const [s, kind] of Object.entries(def.nests)) {
      anySubKey.add(s);
      if (!Object.hasOwn(table.top, s) && !Object.hasOwn(nestedOnly, s)) nestedOnly[s] = kind;
    }
  }
  const subtreeKeys = {} as Record<DocBlockKind, ReadonlySet<string>>;
  for (const k of kinds) {
    const keys = new Set<string>();
    const seen = new Set<DocBlockKind>();
    const walk = (kind: DocBlockKind): void => {
      if (seen.has(kind)) return;
      seen.add(kind);
      const def = table.blocks[kind];
      for (const s of Object.keys(def.subKeys)) keys.add(s);
      for (const [s, child] of Object.entries(def.nests)) {
        keys.add(s);
        walk(child);
      }
    };
    walk(k);
    subtreeKeys[k] = keys;
  }
  const g: DocGrammar = { table, anySubKey, nestedOnly, subtreeKeys };
  grammars.set(table, g);
  return g;
}

/** A table lookup that ignores Object.prototype ('constructor', '__proto__'). */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
