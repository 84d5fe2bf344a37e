import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeC, type PartMemo, type PartParse } from '../../../parsers/c/index.js';
import type { CFacts } from '../../../parsers/c/model.js';
import { prepareC } from '../../../parsers/c/preprocess.js';
import { compactFor, planReach } from '../../../parsers/c/trim.js';
import { FIXTURE, parser } from './analyze-test-helpers.js';

const FILE = [
  '/* helpers */', // 1
  'static int leaf(int x)', // 2
  '{', // 3
  '\treturn x ? -EINVAL : 0;', // 4
  '}', // 5
  'static const struct ops table = { .run = far };', // 6
  'static int far(int x) { return -EIO; }', // 7
  'static int unrelated(int x)', // 8
  '{', // 9
  '\treturn x ? -EPERM : -EBUSY;', // 10
  '}', // 11
  'long sys_frob(int x)', // 12
  '{', // 13
  '\treturn leaf(x);', // 14
  '}', // 15
  '',
].join('\n');

function rows(text: string, root: string): number[] | null {
  const plan = planReach(text);
  if (!plan) throw new Error('no plan');
  return compactFor(plan, root)?.lines ?? null;
}

describe('planReach and compactFor: the text of what a root may reach', () => {
  it('keeps the root and what its lines spell, nothing a table or an unrelated function names', () => {
    expect(rows(FILE, 'sys_frob')).toEqual([2, 3, 4, 5, 12, 13, 14, 15]);
    expect(rows(FILE, 'unrelated')).toEqual([8, 9, 10, 11]);
  });

  it('keeps the lines and columns of what it keeps', () => {
    const plan = planReach(FILE);
    const cut = plan && compactFor(plan, 'sys_frob');
    const lines = FILE.split('\n');
    expect(cut?.text.split('\n')).toEqual((cut?.lines ?? []).map((l) => lines[l - 1]));
  });

  it('blanks what shares a first or last row with a kept block but is not part of it', () => {
    const text = 'int a; int f(void) { return g(); } int b;\nint g(void) { return -EIO; }\n';
    const plan = planReach(text);
    const cut = plan && compactFor(plan, 'f');
    expect(cut?.text).toBe('       int f(void) { return g(); }       \nint g(void) { return -EIO; }');
  });

  it('has no text for a name that is no plain function', () => {
    expect(rows(FILE, 'table')).toBeNull();
    expect(rows('int (f)(void) { return 0; }\n', 'f')).toBeNull();
  });

  it('goes by every name a header spells before a parenthesis at its level', () => {
    const text = 'int f(void) __attribute__((cold)) { return 0; }\nint g(void) { return f(); }\n';
    expect(rows(text, 'g')).toEqual([1, 2]);
  });

  it('reaches no other syscall through the macro or an annotation each header spells', () => {
    const text = [
      'SYSCALL_DEFINE1(a, int, x)', // 1
      '{ return x; }', // 2
      'SYSCALL_DEFINE1(b, int, x)', // 3
      '{ return -EIO; }', // 4
      'static int locked(int x) __must_hold(&l)', // 5
      '{ return x; }', // 6
      'static int other(int x) __must_hold(&l)', // 7
      '{ return locked(x); }', // 8
      '',
    ].join('\n');
    expect(rows(text, 'sys_a')).toEqual([1, 2]);
    expect(rows(text, 'sys_b')).toEqual([3, 4]);
    expect(rows(text, 'locked')).toEqual([5, 6]);
    expect(rows(text, 'other')).toEqual([5, 6, 7, 8]);
  });

  it('keeps a block it cannot name, and what that block spells', () => {
    const text =
      'int (*pick(int n))(int) { return h; }\nint h(int x) { return -EIO; }\nint g(void) { return 0; }\n';
    expect(rows(text, 'g')).toEqual([1, 2, 3]);
  });

  it('has no plan when braces do not balance or a conditional crosses a block', () => {
    expect(planReach('int f(void) {\n\treturn 0;\n')).toBeNull();
    expect(planReach('int f(void) }\n')).toBeNull();
    const crossing = [
      '#ifdef A',
      'int f(int a)',
      '{',
      '\tif (a)',
      '#else',
      'int f(void)',
      '{',
      '#endif',
      '\treturn 0;',
      '}',
      '',
    ];
    expect(planReach(crossing.join('\n'))).toBeNull();
    const around = [
      '#ifdef A',
      'int f(void)',
      '{',
      '#if B',
      '\treturn 1;',
      '#endif',
      '\treturn 0;',
      '}',
      '#endif',
      '',
    ];
    expect(planReach(around.join('\n'))).not.toBeNull();
  });

  it('ignores braces in comments, strings and directives', () => {
    const text =
      '#define OPEN {\n/* } */ int f(void) { char *s = "}"; return g(); }\nint g(void) { return 0; }\n';
    expect(rows(text, 'f')).toEqual([2, 3]);
  });
});

describe("analyzeC 'syscalls': each root in its compact text", () => {
  const src = [
    'static int leaf(int x) { return x ? -EINVAL : 0; }',
    'static int unrelated(int x) { return x ? -EPERM : -EBUSY; }',
    'SYSCALL_DEFINE1(frob, int, x)',
    '{',
    '\treturn leaf(x);',
    '}',
    'SYSCALL_DEFINE1(gleam, int, x)',
    '{',
    '\treturn unrelated(x);',
    '}',
    '',
  ].join('\n');

  it('analyses only the syscalls it is asked for', () => {
    const some = analyzeC(parser, src, 'x.c', { errorsOf: 'syscalls', only: new Set(['sys_frob']) }).value;
    expect(Object.keys(some.errors).sort()).toEqual(['leaf', 'sys_frob']);
    expect(some.syscalls.map((s) => s.name)).toEqual(['frob', 'gleam']);
  });

  it('keeps a root in the memo by its text: comments added between functions hit it', () => {
    const made: string[] = [];
    const kept = new Map<string, CFacts>();
    const memo = (key: string, make: () => CFacts): CFacts => {
      const hit = kept.get(key);
      if (hit) return hit;
      made.push(key.split('\n')[0] as string);
      const v = make();
      kept.set(key, v);
      return v;
    };
    const opts = { errorsOf: 'syscalls' as const, memo };
    const first = analyzeC(parser, src, 'x.c', opts).value;
    expect(made.sort()).toEqual(['sys_frob', 'sys_gleam']);
    const commented = src.replace('SYSCALL_DEFINE1(gleam', '/**\n * a spec\n */\nSYSCALL_DEFINE1(gleam');
    const again = analyzeC(parser, commented, 'x.c', opts).value;
    expect(made).toHaveLength(2);
    // the memo's facts moved to the new lines: gleam's syscall and evidence three lines down
    const whole = analyzeC(parser, commented).value;
    expect(again.errors.sys_gleam).toEqual(whole.errors.sys_gleam);
    expect(again.errors.sys_frob).toEqual(first.errors.sys_frob);
    expect(again.errors.sys_gleam?.errnos[0]?.chain.at(-1)?.line).toBe(
      (first.errors.sys_gleam?.errnos[0]?.chain.at(-1)?.line ?? 0) + 3,
    );
  });

  it('parses the whole file when cutting it is not safe, with the same error sets', () => {
    const odd = `#ifdef A\nint f(int a)\n{\n#else\nint f(void)\n{\n#endif\n\treturn -EIO;\n}\n${src}`;
    expect(planReach(prepareC(odd).text)).toBeNull();
    const some = analyzeC(parser, odd, 'x.c', { errorsOf: 'syscalls', only: new Set(['sys_frob']) }).value;
    const all = analyzeC(parser, odd).value;
    expect(some.errors.sys_frob).toEqual(all.errors.sys_frob);
    expect(some.functions).toEqual(all.functions);
  });

  it('on a file of shared helpers, #ifdef variants, an ops table and annotations: each cut is the whole analysis', () => {
    const text = readFileSync('fixtures/c/shared-helpers.c', 'utf8');
    const all = analyzeC(parser, text).value;
    const names = [...new Set(all.syscalls.map((s) => s.fnName))];
    expect(names).toEqual(['sys_gadget_open', 'sys_gadget_ctl', 'compat_sys_gadget_open']);
    const reached: Record<string, string[]> = {};
    for (const n of names) {
      const one = analyzeC(parser, text, 'g.c', { errorsOf: 'syscalls', only: new Set([n]) }).value;
      expect(one.errors[n]).toEqual(all.errors[n]);
      for (const [k, v] of Object.entries(one.errors)) expect(v).toEqual(all.errors[k]);
      for (const f of one.functions) expect(all.functions).toContainEqual(f);
      reached[n] = one.functions.map((f) => f.name);
    }
    // both variants of the #ifdef'd helper, no annotation shared with gadget_unused, no table
    expect(reached.sys_gadget_open).toEqual([
      'gadget_check',
      'gadget_policy',
      'gadget_policy',
      'gadget_locked',
      'sys_gadget_open',
    ]);
    expect(reached.sys_gadget_ctl).toEqual(['gadget_check', 'sys_gadget_ctl']);
    expect(reached.compat_sys_gadget_open).toEqual(['gadget_reset', 'compat_sys_gadget_open']);
    expect(all.errors.sys_gadget_open?.errnos.map((e) => e.errno)).toEqual(['EINVAL', 'EPERM', 'ERANGE']);
  });

  it('on the fixture of many shapes, each syscall alone gives what the whole analysis gives', () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const all = analyzeC(parser, text).value;
    const names = [...new Set(all.syscalls.map((s) => s.fnName))];
    expect(names.length).toBeGreaterThan(1);
    for (const n of names) {
      const one = analyzeC(parser, text, 'f.c', { errorsOf: 'syscalls', only: new Set([n]) }).value;
      expect(one.errors[n]).toEqual(all.errors[n]);
      for (const [k, v] of Object.entries(one.errors)) expect(v).toEqual(all.errors[k]);
      for (const f of one.functions) expect(all.functions).toContainEqual(f);
    }
  });

  /** A parts memo that keeps every part and records what it had to parse. */
  function keptParts(): { memo: PartMemo; parsed: string[]; clean: () => number } {
    const kept = new Map<string, PartParse | null>();
    const parsed: string[] = [];
    return {
      parsed,
      clean: () => [...kept.values()].filter((p) => p !== null).length,
      memo: (text, make) => {
        if (!kept.has(text)) {
          parsed.push(text);
          kept.set(text, make());
        }
        return kept.get(text) ?? null;
      },
    };
  }

  it('puts each compact text together from its parts, each part parsed once for all roots', () => {
    const text = readFileSync('fixtures/c/shared-helpers.c', 'utf8');
    const { memo, parsed, clean } = keptParts();
    const plan = planReach(text);
    const all = analyzeC(parser, text).value;
    const names = [...new Set(all.syscalls.map((s) => s.fnName))];
    let partsCut = 0;
    for (const n of names) {
      partsCut += plan ? (compactFor(plan, n)?.parts.length ?? 0) : 0;
      const alone = analyzeC(parser, text, 'g.c', { errorsOf: 'syscalls', only: new Set([n]) }).value;
      const joined = analyzeC(parser, text, 'g.c', { errorsOf: 'syscalls', only: new Set([n]), parts: memo });
      expect(joined.value).toEqual(alone);
    }
    // gadget_check is cut for two roots and parsed once
    expect(parsed.length).toBeLessThan(partsCut);
    expect(clean()).toBe(parsed.length);
    expect(parsed.some((p) => p.includes('gadget_check('))).toBe(true);
  });

  it('parses a compact text whole when one of its parts does not parse alone', () => {
    // a helper tree-sitter cannot read (a stray `)`), reached from the syscall
    const broken = `static int broken(int x)\n{\n\treturn x ? -EIO) : 0;\n}\n${src.replace('return leaf(x);', 'return leaf(x) ?: broken(x);')}`;
    const { memo, clean, parsed } = keptParts();
    const opts = { errorsOf: 'syscalls' as const, only: new Set(['sys_frob']) };
    const joined = analyzeC(parser, broken, 'x.c', { ...opts, parts: memo }).value;
    expect(joined).toEqual(analyzeC(parser, broken, 'x.c', opts).value);
    expect(joined.errors.sys_frob?.errnos.map((e) => e.errno)).toContain('EINVAL');
    expect(parsed.length).toBeGreaterThan(clean());
  });
});
