/**
 * One vocabulary for both spec parsers, learned from the built-in frameworks (and so from the
 * postings' own headers and generator), not written out twice: the macro parser's categories and
 * the kerneldoc parser's tokens are read from it, and this test keeps each equal to the source.
 */
import { describe, expect, it } from 'vitest';
import { builtinFrameworks } from '../../../parsers/kapi/frameworks.js';
import { KERNELDOC_VOCABULARY } from '../../../parsers/kapi/kerneldoc.js';
import { CATEGORIES, KNOWN_CONSTANTS } from '../../../parsers/kapi/macro.js';
import {
  type CategoryName,
  KERNELDOC_VALUES,
  learnVocabulary,
  VOCABULARY,
} from '../../../parsers/kapi/vocabulary.js';

describe('the vocabulary learned from the built-in frameworks', () => {
  it("holds every kapi_* enum member of every posting's headers, in the category of its enum", () => {
    const byEnum: Record<string, CategoryName> = {
      kapi_param_type: 'type',
      kapi_param_flags: 'param_flags',
      kapi_context_flags: 'context',
      kapi_lock_type: 'lock_type',
      kapi_lock_scope: 'lock_scope',
      kapi_constraint_type: 'constraint',
      kapi_return_check_type: 'return_check',
      kapi_signal_direction: 'signal_dir',
      kapi_signal_action: 'signal_action',
      kapi_capability_action: 'cap_action',
      kapi_side_effect_type: 'effect',
    };
    let checked = 0;
    for (const fw of builtinFrameworks())
      for (const [name, c] of Object.entries(fw.constants)) {
        const cat = c.group ? byEnum[c.group] : undefined;
        if (!cat) continue;
        const v = VOCABULARY[cat];
        expect(v.tokens, `${name} (${fw.name})`).toContain(name.slice(v.prefix.length).toLowerCase());
        checked++;
      }
    expect(checked).toBeGreaterThan(200);
  });

  it("PATCH v4's alias tables: every short token means what its generator maps it to", () => {
    const p4 = builtinFrameworks().find((f) => f.posting === 'patch-v4');
    const tokens = Object.entries(p4?.kerneldoc?.tokens ?? {});
    expect(tokens.length).toBeGreaterThan(50);
    for (const [word, t] of tokens)
      for (const constant of t.constants) {
        const cats = (
          Object.entries(KERNELDOC_VALUES) as [CategoryName, (typeof KERNELDOC_VALUES)[CategoryName]][]
        )
          .filter(([, v]) => constant.startsWith(v.prefix))
          .sort((a, b) => b[1].prefix.length - a[1].prefix.length);
        const [, v] = cats[0] ?? [];
        expect(v, constant).toBeDefined();
        if (!v) continue;
        const canonical = constant.slice(v.prefix.length).toLowerCase();
        expect(
          v.aliases[word] ?? (v.tokens.includes(word) ? word : undefined),
          `${word} -> ${constant}`,
        ).toBe(canonical);
      }
  });

  it('RFC v2 sysfs values are macro-form only; the values RFC v2 spells as strings are learned from #defines', () => {
    expect(VOCABULARY.type.tokens).toContain('string');
    expect(KERNELDOC_VALUES.type.tokens).not.toContain('string');
    expect(VOCABULARY.signal_timing.strings).toBe(true);
    expect(VOCABULARY.signal_timing.tokens).toEqual(
      expect.arrayContaining(['entry', 'during', 'before', 'after']),
    );
  });

  it('a framework that adds a value adds it to the vocabulary learned from it', () => {
    const [first] = builtinFrameworks();
    if (!first) throw new Error('no built-in framework');
    const extra = structuredClone(first);
    extra.constants.KAPI_TYPE_WIDGET = {
      path: 'include/linux/kernel_api_spec.h',
      line: 1,
      group: 'kapi_param_type',
    };
    expect(learnVocabulary([extra]).type.tokens).toContain('widget');
    expect(VOCABULARY.type.tokens).not.toContain('widget');
  });
});

describe('both parsers read it', () => {
  it("the macro parser's categories are the vocabulary's, in the macro form's spelling", () => {
    for (const [name, v] of Object.entries(VOCABULARY)) {
      const c = CATEGORIES[name as CategoryName];
      expect(c.prefix).toBe(v.prefix);
      expect(c.names).toEqual(v.tokens.map((t) => t.toUpperCase()));
    }
    expect(KNOWN_CONSTANTS.has('KAPI_TYPE_USER_PTR')).toBe(true);
    expect(KNOWN_CONSTANTS.has('KAPI_PARAM_FLAGS_INOUT')).toBe(true);
  });

  it("the kerneldoc parser's tokens are the vocabulary's kerneldoc values and their aliases", () => {
    for (const cat of [
      'type',
      'param_flags',
      'context',
      'constraint',
      'cap_action',
      'signal_timing',
    ] as const) {
      const v = KERNELDOC_VALUES[cat];
      for (const t of v.tokens) expect(KERNELDOC_VOCABULARY.tokens.has(t), `${cat}: ${t}`).toBe(true);
      for (const a of Object.keys(v.aliases))
        if (!a.startsWith('kapi_')) expect(KERNELDOC_VOCABULARY.tokens.has(a), `${cat}: ${a}`).toBe(true);
    }
    expect(KERNELDOC_VOCABULARY.tokens.has('uptr')).toBe(true);
    expect(KERNELDOC_VOCABULARY.tokens.has('string')).toBe(false);
  });
});
