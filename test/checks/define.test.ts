import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCheck, optionProblems, optionsSchema, readOptions } from '../../checks/define.js';
import { CHECKS, checkById } from '../../checks/index.js';
import { runChecks } from '../../checks/runner.js';
import type { Check } from '../../checks/types.js';
import { buildUnit } from '../../checks/unit.js';

const unit = buildUnit(
  { path: 'kernel/x.c', mode: 'full', post: 'int x;\n', fragments: [], diff: null },
  null,
);

const options = z.strictObject({
  mode: z.enum(['fast', 'slow']).default('fast'),
  names: z.array(z.string()).min(1).optional(),
});

/** A check that reports the options it was given, as its message. */
const echo = defineCheck({
  meta: {
    id: 'kapi-echo',
    description: 'reports its options',
    severity: 'info',
    messages: { seen: 'mode {mode}, names {names}' },
  },
  options: { schema: () => options, defaults: { mode: 'fast' } },
  run(ctx) {
    const mode: 'fast' | 'slow' = ctx.options.mode;
    ctx.report({
      messageId: 'seen',
      data: { mode, names: ctx.options.names?.join(',') ?? 'none' },
      line: 1,
      evidence: [],
    });
  },
});

const seen = (raw?: Record<string, unknown>): string[] =>
  runChecks(unit, [echo], raw ? { options: { 'kapi-echo': raw } } : {}).findings.map((f) => f.message);

describe('defineCheck', () => {
  it('hands the check its options as the schema gives them, defaults applied', () => {
    expect(seen()).toEqual(['mode fast, names none']);
    expect(seen({ mode: 'slow', names: ['a', 'b'] })).toEqual(['mode slow, names a,b']);
  });

  it('lays the options it is given over the defaults (the config loader has refused bad ones)', () => {
    expect(seen({ names: ['a'] })).toEqual(['mode fast, names a']);
    expect(seen({ mode: 'slow' })).toEqual(['mode slow, names none']);
  });

  it("every check's defaults are what its schema gives for no options", () => {
    for (const c of CHECKS) expect(c.options?.defaults ?? {}).toEqual(readOptions(optionsSchema(c, z), {}));
    expect(CHECKS.filter((c) => c.options).length).toBeGreaterThan(0);
  });

  it('loads no zod to run the checks: only a type of it is imported under checks/', () => {
    const files = readdirSync('checks', { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
    const eager = files.filter((f) =>
      /^import\s+\{[^}]*\}\s+from\s+'zod'/m.test(readFileSync(join('checks', f), 'utf8')),
    );
    expect(files.length).toBeGreaterThan(10);
    expect(eager).toEqual([]);
  });

  it('message ids are the keys of its messages (a wrong one does not compile)', () => {
    const typo = defineCheck({
      meta: { id: 'kapi-typo', description: 'reports a typo', severity: 'info', messages: { one: 'one' } },
      run(ctx) {
        // @ts-expect-error 'two' is not a key of its messages
        ctx.report({ messageId: 'two', line: 1, evidence: [] });
      },
    });
    // the runner still refuses it at run time, as an internal error of the check
    expect(runChecks(unit, [typo]).crashes.map((c) => c.error)).toEqual([
      'kapi-typo reported unknown message id two',
    ]);
  });

  it('refuses a schema with an option that has no default, when its options are read', () => {
    expect(() => readOptions(z.strictObject({ must: z.string() }), {})).toThrow(
      /option must is neither optional nor has a default/,
    );
  });
});

describe('readOptions', () => {
  it('reads each option on its own; prototype keys are no options', () => {
    expect(readOptions(options, {})).toEqual({ mode: 'fast' });
    expect(readOptions(options, { mode: 'slow', names: 'a' })).toEqual({ mode: 'slow' });
    expect(readOptions(options, Object.create({ mode: 'slow' }))).toEqual({ mode: 'fast' });
    expect(readOptions(options, { mode: 'medium', names: ['a'] })).toEqual({ mode: 'fast', names: ['a'] });
  });
});

describe('optionProblems', () => {
  it('names each option the schema refuses, and each unknown one', () => {
    expect(optionProblems(echo, { mode: 'slow' }, z)).toEqual([]);
    expect(optionProblems(echo, { mode: 'medium', nmaes: ['a'] }, z)).toEqual([
      { option: 'mode', message: expect.stringMatching(/expected one of "fast"\|"slow"/) },
      { option: 'nmaes', message: 'unknown option' },
    ]);
    expect(optionProblems(echo, { names: ['a', 3] }, z)).toEqual([
      { option: 'names.1', message: expect.stringMatching(/expected string/) },
    ]);
  });

  it('a check without options takes none', () => {
    const plain = checkById('kapi-count-mismatch') as Check;
    expect(optionProblems(plain, {}, z)).toEqual([]);
    expect(optionProblems(plain, { target: 'macro' }, z)).toEqual([
      { option: 'target', message: 'unknown option' },
    ]);
  });

  it('the checks with options accept what their docs show', () => {
    const deprecated = checkById('kapi-deprecated-form') as Check;
    const detection = checkById('kapi-detection-key') as Check;
    expect(optionProblems(deprecated, { target: 'kerneldoc-2' }, z)).toEqual([]);
    expect(optionProblems(deprecated, { target: 'patch-v9' }, z).map((p) => p.option)).toEqual(['target']);
    expect(
      optionProblems(detection, { target: 'kerneldoc-1', tools: 'both', keys: ['context-flags'] }, z),
    ).toEqual([]);
    expect(optionProblems(detection, { keys: 'context-flags' }, z).map((p) => p.option)).toEqual(['keys']);
    expect(optionProblems(detection, { keys: ['context flags'] }, z).map((p) => p.option)).toEqual([
      'keys.0',
    ]);
  });
});
