/**
 * The same syscall written in the three forms gives equal models.
 *
 * fixtures/kapi/frob.{macro,kd1,kd2,kd3}.c state the same facts about the made-up sys_frob in the
 * macro form and in each kerneldoc generation. specFacts() of every one must be deep-equal, with no
 * projection: every fact in specFacts() is compared. The fixtures keep to facts that all four forms
 * can state. For example, the state transition has no condition, because the RFC v3 flat keys have
 * no `state-trans-cond` and read the whole tail of `state-trans:` as the description. The signal's
 * boolean is `interruptible` and not `restartable`, because the RFC v3 keys have no
 * `signal-restartable`.
 *
 * fixtures/kapi/frob2.{macro,kd1,kd2,kd3}.c are frob with a struct argument (as mlock2 is mlock with
 * flags): the same facts plus a third param `attr` pointing to struct frob_attr, whose fields carry
 * a mask, a range and an enum constraint. The struct is compared in full between the macro form,
 * gen 2 (`struct:` with nested `field:` blocks, KAPI_* constants) and gen 3 (the same blocks, short
 * tokens). Gen 1 states the param and the struct as far as its flat keys can (`struct-type:`,
 * `struct-field: NAME, CTYPE, desc`, `struct-field-mask/range/enum:`), but RFC v3 has no key for
 * the struct's description, size or alignment, nor for a field's KAPI type, and
 * KAPI_STRUCT_SPEC/KAPI_STRUCT_FIELD cannot leave the description and the type out: so frob2.kd1.c
 * is compared on every fact but `structs`, and its struct on the facts gen 1 can state
 * (GEN1_STRUCT_FACTS). The struct went into frob2 rather than into frob itself because the check
 * tables (test/checks) edit frob's text by anchors such as `SYSCALL_DEFINE2(frob, ...)` and
 * `param-count: 2`, which a third argument would change.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKerneldocSpecs } from '../../../parsers/kapi/kerneldoc.js';
import { parseMacroSpecs } from '../../../parsers/kapi/macro.js';
import { type ApiSpec, type SpecForm, specFacts } from '../../../parsers/kapi/model.js';
import type { Parsed } from '../../../parsers/types.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../fixtures/kapi/${name}`, import.meta.url), 'utf8');

type Parser = (text: string, path?: string) => Parsed<ApiSpec[]>;

const FORMS: readonly { ext: string; form: SpecForm; parse: Parser }[] = [
  { ext: 'macro', form: 'macro', parse: parseMacroSpecs },
  { ext: 'kd1', form: 'kerneldoc-1', parse: parseKerneldocSpecs },
  { ext: 'kd2', form: 'kerneldoc-2', parse: parseKerneldocSpecs },
  { ext: 'kd3', form: 'kerneldoc-3', parse: parseKerneldocSpecs },
];

/** The one spec of `text`, asserting a clean parse: no issues, one full spec, nothing unknown. */
function cleanSpec(parse: Parser, text: string, path: string, name: string): ApiSpec {
  const r = parse(text, path);
  expect(r.issues).toEqual([]);
  expect(r.value.map((s) => s.name)).toEqual([name]);
  const s = r.value[0] as ApiSpec;
  expect(s.unknown).toEqual([]);
  expect(s.partial).toBe(false);
  return s;
}

/** The sys_frob spec of `text`, asserting a clean parse. */
const frob = (parse: Parser, text: string, path: string): ApiSpec => cleanSpec(parse, text, path, 'sys_frob');

/** The four forms of fixtures/kapi/BASE.*.c, parsed. */
const parseSet = (base: string, name: string) =>
  FORMS.map(({ ext, form, parse }) => {
    const file = `${base}.${ext}.c`;
    return { file, form, parse, spec: cleanSpec(parse, fixture(file), `fixtures/kapi/${file}`, name) };
  });

const parsed = parseSet('frob', 'sys_frob');
const macro = parsed[0] as (typeof parsed)[number];
const kd3 = parsed[3] as (typeof parsed)[number];
const parsed2 = parseSet('frob2', 'sys_frob2');
const macro2 = parsed2[0] as (typeof parsed2)[number];

/** specFacts() without the structs, for gen 1 (see the header). */
function factsButStructs(spec: ApiSpec): Record<string, unknown> {
  const { structs: _s, ...rest } = specFacts(spec) as Record<string, unknown>;
  return rest;
}

/** What the RFC v3 keys can state of a struct: all but its description, size and field types. */
const GEN1_STRUCT_FACTS = (spec: ApiSpec) =>
  spec.structs.map((st) => ({
    name: st.name,
    fields: st.fields.map(({ line: _l, type: _t, ...f }) => f),
  }));

describe('sys_frob in the macro form and the three kerneldoc generations', () => {
  for (const { file, form, spec } of parsed) {
    it(`${file} parses cleanly as one ${form} spec`, () => {
      expect(spec.form).toBe(form);
      expect(spec.kind).toBe('syscall');
      expect(spec.path).toBe(`fixtures/kapi/${file}`);
    });
  }

  for (const { file, form, spec } of parsed.slice(1)) {
    it(`specFacts() of ${file} (${form}) deep-equals that of frob.macro.c`, () => {
      expect(specFacts(spec)).toEqual(specFacts(macro.spec));
    });
  }

  it('the kerneldoc generations agree with each other as well', () => {
    const [kd1, kd2, kd3facts] = parsed.slice(1).map((p) => specFacts(p.spec));
    expect(kd2).toEqual(kd1);
    expect(kd3facts).toEqual(kd1);
  });

  it('the compared facts are not trivial: every kind of entry is present and filled in', () => {
    const s = macro.spec;
    expect(s.description).toBe('Frobnicate a range of memory');
    expect(s.longDescription).not.toBeNull();
    expect(s.contexts.length).toBeGreaterThan(0);
    expect(s.params).toHaveLength(2);
    expect(s.returns).not.toBeNull();
    expect(s.errors.map((e) => e.code)).toEqual(['EINVAL', 'ENOMEM', 'EPERM', 'EINTR']);
    expect(s.locks).toHaveLength(1);
    expect(s.signals).toHaveLength(1);
    expect(s.sideEffects).toHaveLength(2);
    expect(s.stateTransitions).toHaveLength(1);
    expect(s.capabilities).toHaveLength(1);
    expect(s.constraints).toHaveLength(1);
    // one reversible and one irreversible side effect, so the default and the explicit value are both compared
    expect(s.sideEffects.map((x) => x.reversible)).toEqual([false, true]);
    // no field the fixtures state was left unread: the entries carry their descriptions and conditions
    expect(s.signals[0]).toMatchObject({
      error: '-EINTR',
      extra: { interruptible: 'true', timing: 'during' },
    });
    expect(s.sideEffects[1]?.condition).toBe('Pages not yet mapped');
    expect(s.capabilities[0]?.condition).toBe('Checked before frob_lock is taken');
    expect(s.constraints[0]?.expr).toBe('len <= FROB_MAX_LEN');
    expect(s.stateTransitions[0]).toMatchObject({ object: 'range pages', from: 'plain', to: 'frobnicated' });
  });
});

describe('sys_frob2: frob with a struct argument, in the macro form and the three kerneldoc generations', () => {
  for (const { file, form, spec } of parsed2) {
    it(`${file} parses cleanly as one ${form} spec`, () => {
      expect(spec.form).toBe(form);
      expect(spec.kind).toBe('syscall');
    });
  }

  for (const { file, form, spec } of parsed2.slice(2)) {
    it(`specFacts() of ${file} (${form}) deep-equals that of frob2.macro.c, struct included`, () => {
      expect(specFacts(spec)).toEqual(specFacts(macro2.spec));
    });
  }

  it('specFacts() of frob2.kd1.c (kerneldoc-1) deep-equals that of frob2.macro.c but for the struct', () => {
    const kd1 = parsed2[1] as (typeof parsed2)[number];
    expect(factsButStructs(kd1.spec)).toEqual(factsButStructs(macro2.spec));
    // ... and the struct agrees on everything RFC v3 can state
    expect(GEN1_STRUCT_FACTS(kd1.spec)).toEqual(GEN1_STRUCT_FACTS(macro2.spec));
    expect(kd1.spec.structs[0]).toMatchObject({ description: null, size: null, alignment: null });
    expect(kd1.spec.structs[0]?.fields.map((f) => f.type)).toEqual([null, null, null]);
  });

  it('frob2 is frob plus the struct argument, in every form', () => {
    for (const [k, p] of parsed2.entries()) {
      const f2 = specFacts(p.spec) as Record<string, unknown> & { params: unknown[] };
      const f1 = specFacts((parsed[k] as (typeof parsed)[number]).spec);
      expect({ ...f2, name: 'sys_frob', params: f2.params.slice(0, 2), structs: [] }).toEqual(f1);
    }
  });

  it('the compared struct facts are not trivial', () => {
    const s = macro2.spec;
    expect(s.params[2]).toMatchObject({
      name: 'attr',
      ctype: 'const struct frob_attr __user *',
      type: 'user_ptr',
      flags: ['in', 'user'],
      description: 'Attributes of the request',
    });
    expect(s.structs).toHaveLength(1);
    expect(s.structs[0]).toMatchObject({
      name: 'frob_attr',
      description: 'Attributes of a frob request',
      size: '16',
      alignment: '8',
    });
    // each field carries a different constraint
    expect(
      s.structs[0]?.fields.map((f) => [
        f.name,
        f.type,
        f.ctype,
        f.constraintType,
        f.range,
        f.validMask,
        f.enumValues,
      ]),
    ).toEqual([
      ['flags', 'uint', '__u32', 'mask', null, 'FROB_F_ALL', null],
      ['level', 'int', '__s32', 'range', { min: '0', max: '9' }, null, null],
      ['mode', 'enum', '__u64', 'enum', null, null, ['FROB_MODE_A', 'FROB_MODE_B']],
    ]);
  });
});

describe('the comparison detects a difference', () => {
  it('one errno changed in a copy of the gen-3 text', () => {
    const text = fixture('frob.kd3.c');
    const changed = text.replace(
      'error: EPERM, caller lacks CAP_SYS_ADMIN',
      'error: EACCES, caller lacks CAP_SYS_ADMIN',
    );
    expect(changed).not.toBe(text);
    const s = frob(kd3.parse, changed, 'changed.c');
    expect(specFacts(s)).not.toEqual(specFacts(macro.spec));
    // ... and only the errors differ
    const { errors: a, ...restA } = specFacts(s) as Record<string, unknown>;
    const { errors: b, ...restB } = specFacts(macro.spec) as Record<string, unknown>;
    expect(restA).toEqual(restB);
    expect(a).not.toEqual(b);
    expect(s.errors.map((e) => e.code)).toEqual(['EINVAL', 'ENOMEM', 'EACCES', 'EINTR']);
  });

  it('one struct field bound changed in a copy of the frob2 gen-3 text', () => {
    const text = fixture('frob2.kd3.c');
    const changed = text.replace('constraint-type: range(0, 9)', 'constraint-type: range(0, 10)');
    expect(changed).not.toBe(text);
    const s = cleanSpec(parseKerneldocSpecs, changed, 'changed.c', 'sys_frob2');
    const { structs: a, ...restA } = specFacts(s) as Record<string, unknown>;
    const { structs: b, ...restB } = specFacts(macro2.spec) as Record<string, unknown>;
    expect(restA).toEqual(restB);
    expect(a).not.toEqual(b);
    expect(s.structs[0]?.fields[1]?.range).toEqual({ min: '0', max: '10' });
  });

  it('a dropped KAPI_EFFECT_REVERSIBLE in a copy of the macro text', () => {
    const text = fixture('frob.macro.c');
    const changed = text.replace(/^\s*KAPI_EFFECT_REVERSIBLE\n/m, '');
    expect(changed).not.toBe(text);
    const s = frob(macro.parse, changed, 'changed.c');
    expect(s.sideEffects.map((x) => x.reversible)).toEqual([false, false]);
    for (const other of parsed.slice(1)) expect(specFacts(s)).not.toEqual(specFacts(other.spec));
  });
});

describe('facts left to a default, or spelt differently, give the same model in every form', () => {
  const gen = (n: 1 | 2 | 3, body: string[]): ApiSpec =>
    frob(
      parseKerneldocSpecs,
      [
        '/**',
        ' * sys_frob - Frobnicate',
        ...body.map((l) => ` * ${l}`),
        ' */',
        'SYSCALL_DEFINE0(frob)',
        '',
      ].join('\n'),
      `gen${n}.c`,
    );
  const mac = (body: string[]): ApiSpec =>
    frob(
      parseMacroSpecs,
      [
        'DEFINE_KERNEL_API_SPEC(sys_frob)',
        'KAPI_DESCRIPTION("Frobnicate")',
        ...body,
        'KAPI_END_SPEC;',
        '',
      ].join('\n'),
      'm.c',
    );

  it('a side effect that does not say it is reversible is not reversible', () => {
    const specs = [
      mac([
        'KAPI_SIDE_EFFECT(0, KAPI_EFFECT_MODIFY_STATE, "process memory", "Changes")',
        'KAPI_SIDE_EFFECT_END',
      ]),
      gen(1, ['side-effect: KAPI_EFFECT_MODIFY_STATE, process memory, Changes']),
      gen(2, ['side-effect: KAPI_EFFECT_MODIFY_STATE', '  target: process memory', '  desc: Changes']),
      gen(3, ['side-effect: modify_state', '  target: process memory', '  desc: Changes']),
    ];
    for (const s of specs) expect(s.sideEffects.map((x) => x.reversible)).toEqual([false]);
    const facts = specs.map(specFacts);
    for (const f of facts.slice(1)) expect(f).toEqual(facts[0]);
  });

  it('signal booleans: KAPI_SIGNAL_INTERRUPTIBLE, `= 1`, `yes` and `true` are all true; `= 0` and `no` false', () => {
    const sig = 'KAPI_SIGNAL(0, 0, "FATAL", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_RETURN)';
    const specs = [
      mac([sig, 'KAPI_SIGNAL_INTERRUPTIBLE', '.restartable = 0,', 'KAPI_SIGNAL_END']),
      mac([sig, '.interruptible = 1,', '.restartable = false,', 'KAPI_SIGNAL_END']),
      gen(2, [
        'signal: FATAL',
        '  direction: KAPI_SIGNAL_RECEIVE',
        '  action: KAPI_SIGNAL_ACTION_RETURN',
        '  interruptible: true',
        '  restartable: no',
      ]),
      gen(3, [
        'signal: FATAL',
        '  direction: receive',
        '  action: return',
        '  interruptible: yes',
        '  restartable: 0',
      ]),
    ];
    for (const s of specs)
      expect(s.signals[0]?.extra).toEqual({ interruptible: 'true', restartable: 'false' });
    const facts = specs.map(specFacts);
    for (const f of facts.slice(1)) expect(f).toEqual(facts[0]);
    // RFC v3 has no signal-restartable key, so gen 1 is compared on interruptible alone
    const g1 = gen(1, [
      'signal: FATAL',
      'signal-direction: KAPI_SIGNAL_RECEIVE',
      'signal-action: KAPI_SIGNAL_ACTION_RETURN',
      'signal-interruptible: yes',
    ]);
    expect(specFacts(g1)).toEqual(specFacts(mac([sig, 'KAPI_SIGNAL_INTERRUPTIBLE', 'KAPI_SIGNAL_END'])));
  });
});
