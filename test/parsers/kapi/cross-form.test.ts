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

const FORMS: readonly { file: string; form: SpecForm; parse: Parser }[] = [
  { file: 'frob.macro.c', form: 'macro', parse: parseMacroSpecs },
  { file: 'frob.kd1.c', form: 'kerneldoc-1', parse: parseKerneldocSpecs },
  { file: 'frob.kd2.c', form: 'kerneldoc-2', parse: parseKerneldocSpecs },
  { file: 'frob.kd3.c', form: 'kerneldoc-3', parse: parseKerneldocSpecs },
];

/** The sys_frob spec of `text`, asserting a clean parse: no issues, one full spec, nothing unknown. */
function frob(parse: Parser, text: string, path: string): ApiSpec {
  const r = parse(text, path);
  expect(r.issues).toEqual([]);
  expect(r.value.map((s) => s.name)).toEqual(['sys_frob']);
  const s = r.value[0] as ApiSpec;
  expect(s.unknown).toEqual([]);
  expect(s.partial).toBe(false);
  return s;
}

const parsed = FORMS.map(({ file, form, parse }) => ({
  file,
  form,
  parse,
  spec: frob(parse, fixture(file), `fixtures/kapi/${file}`),
}));
const macro = parsed[0] as (typeof parsed)[number];
const kd3 = parsed[3] as (typeof parsed)[number];

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
