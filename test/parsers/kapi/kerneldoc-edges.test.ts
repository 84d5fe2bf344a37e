import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKerneldocSpecs } from '../../../parsers/kapi/kerneldoc.js';
import type { ApiSpec } from '../../../parsers/kapi/model.js';
import { assignmentsOf, doc, fixture, one } from './kerneldoc-test-helpers.js';

describe('continuation lines', () => {
  it('joins gen-1 two-space continuation lines and blank-separated paragraphs with one space', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'long-desc: First line',
        '  second line.',
        '',
        '  A second paragraph.',
        'notes: Unindented wrap',
        'of a value.',
        'context-flags: KAPI_CTX_PROCESS',
      ]),
    );
    expect(s.longDescription).toBe('First line second line. A second paragraph.');
    expect(s.notes).toBe('Unindented wrap of a value.');
  });

  it('gen 2/3: deeper-indented lines continue the sub-key, even when they look like keys', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'error: EINVAL, Invalid argument',
        '  desc: Bad input. The constraint:',
        '    blocks cover it. Also',
        '    desc: not a new key at this depth.',
        '  condition: start is',
        '    unaligned',
        'long-desc: Text',
        '  handler: is prose here',
      ]),
    );
    expect(s.errors).toMatchObject([
      {
        description: 'Bad input. The constraint: blocks cover it. Also desc: not a new key at this depth.',
        condition: 'start is unaligned',
      },
    ]);
    expect(s.longDescription).toBe('Text handler: is prose here');
    // the error summary was replaced by condition:, both assignments are kept
    expect(assignmentsOf(s, 'error[0]', 'condition').map((a) => a.via)).toEqual(['error:', 'condition:']);
  });

  it('keeps gen-1 indented lines as continuation, never sub-keys', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'error-code: -EINVAL, EINVAL, Bad,',
        '  desc: this is text, not a key',
        'param-type: start, KAPI_TYPE_UINT',
      ]),
    );
    expect(s.form).toBe('kerneldoc-1');
    expect(s.errors[0]?.description).toBe('desc: this is text, not a key');
  });
});

describe('unknown keys and tokens are kept, not dropped', () => {
  it('keeps unknown top-level keys, sub-keys and tokens in `unknown` and in the assignments', () => {
    const r = parseKerneldocSpecs(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process, interrupt',
        'frobnicity: 11',
        'kapi-vendor: acme',
        'param: start',
        '  type: quaternion, input, sticky',
        '  colour: blue',
        'lock: frob_lock',
        '  type: KAPI_LOCK_SPOOKY',
        'side-effect: modify_state | teleport',
        '  reversible: perhaps',
      ]),
    );
    expect(r.issues).toEqual([]);
    const s = r.value[0] as ApiSpec;
    expect(s.unknown.map((u) => [u.text, u.where])).toEqual([
      ['interrupt', 'token'],
      ['frobnicity', 'key'],
      ['kapi-vendor', 'key'],
      ['quaternion', 'token'],
      ['sticky', 'token'],
      ['colour', 'key'],
      ['KAPI_LOCK_SPOOKY', 'token'],
      ['teleport', 'token'],
      ['perhaps', 'token'],
    ]);
    expect(s.contexts).toEqual(['process', 'interrupt']);
    expect(s.params[0]).toMatchObject({ type: 'quaternion', flags: ['in', 'sticky'] });
    expect(s.locks[0]?.type).toBe('KAPI_LOCK_SPOOKY');
    expect(s.sideEffects[0]).toMatchObject({ types: ['modify_state', 'teleport'], reversible: null });
    expect(assignmentsOf(s, 'spec', 'frobnicity')).toEqual([
      expect.objectContaining({ value: '11', via: 'frobnicity:', line: 4 }),
    ]);
    expect(assignmentsOf(s, 'param[0]', 'colour')).toEqual([
      expect.objectContaining({ value: 'blue', via: 'colour:' }),
    ]);
  });

  it('keeps gen-1 keys outside the RFC v3 list as unknown', () => {
    const s = one(doc(['sys_frob - Frobnicate', 'lock: l, KAPI_LOCK_MUTEX', 'lock-colour: red']));
    expect(s.unknown).toEqual([{ text: 'lock-colour', line: 4, where: 'key' }]);
  });
});

describe('a key set twice', () => {
  it('is visible in the assignments; the last one wins in the model', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'param: len',
        '  type: uint',
        '  type: int',
        'error: ENOMEM, Out of memory',
        '  desc: First.',
        '  desc: Second.',
        'long-desc: One',
        'long-desc: Two',
      ]),
    );
    expect(s.params[0]?.type).toBe('int');
    expect(assignmentsOf(s, 'param[0]', 'type').map((a) => [a.value, a.line])).toEqual([
      ['uint', 5],
      ['int', 6],
    ]);
    expect(s.errors[0]?.description).toBe('Second.');
    expect(assignmentsOf(s, 'error[0]', 'description').map((a) => a.value)).toEqual(['First.', 'Second.']);
    expect(s.longDescription).toBe('Two');
    expect(assignmentsOf(s, 'spec', 'long_description')).toHaveLength(2);
  });
});

describe('what is and is not a spec', () => {
  it('ignores plain kerneldoc comments (@x: lines, Return:, Context:, Note:)', () => {
    const text = [
      '/**',
      ' * frob_pages - Frobnicate pages',
      ' * @start: Start',
      ' * @len: Length',
      ' *',
      ' * Walks the pages. lock: is mentioned in prose',
      ' * and error: too.',
      ' *',
      ' * Context: Process context.',
      ' * Note: Takes frob_lock.',
      ' * Return: 0 or an error.',
      ' */',
      'static int frob_pages(unsigned long start, size_t len)',
      '/**',
      ' * struct frob_spec - a struct whose members look like KAPI keys',
      ' * @error_code: Error code',
      ' * @lock: The lock',
      ' * @capability: The capability',
      ' * @param_count: Count',
      ' */',
      'struct frob_spec {',
      '/*',
      ' * param-type: start, KAPI_TYPE_UINT (a plain comment is not kerneldoc)',
      ' */',
    ].join('\n');
    expect(parseKerneldocSpecs(text)).toEqual({ value: [], issues: [] });
  });

  it('takes any KAPI key as the mark of a spec, and reads the ordinary kerneldoc parts too', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate a range',
        '  of memory',
        '@start: Start of',
        '  the range',
        '@len: Length',
        '',
        'A description paragraph',
        'on two lines.',
        '',
        'Another paragraph.',
        '',
        'side-effect: modify_state',
        '',
        'Context: Process context.',
        'Return: 0 or a negative error',
        '  code.',
      ]),
    );
    expect(s.kerneldoc).toEqual({
      summary: 'Frobnicate a range of memory',
      params: [
        { name: 'start', description: 'Start of the range', line: 4 },
        { name: 'len', description: 'Length', line: 6 },
      ],
      description: 'A description paragraph on two lines. Another paragraph.',
      context: 'Process context.',
      returns: '0 or a negative error code.',
    });
    expect(s.description).toBe('Frobnicate a range of memory');
    expect(s.params).toEqual([]);
    expect(s.returns).toBeNull();
  });

  it('an explicit top-level desc: wins over the summary', () => {
    const s = one(doc(['sys_frob - Summary', 'desc: Explicit description', 'contexts: process']));
    expect(s.description).toBe('Explicit description');
    expect(assignmentsOf(s, 'spec', 'description').map((a) => a.via)).toEqual(['desc:']);
  });
});

describe('context-flags: vs contexts:', () => {
  const variants = [
    ['context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE', 'kerneldoc-1'],
    ['context-flags: process | sleepable', 'kerneldoc-3'],
    ['contexts: process, sleepable', 'kerneldoc-3'],
    ['contexts: PROCESS,SLEEPABLE', 'kerneldoc-3'],
  ] as const;
  for (const [line, form] of variants) {
    it(`${line}`, () => {
      const s = one(doc(['sys_frob - Frobnicate', line]));
      expect(s.contexts).toEqual(['process', 'sleepable']);
      expect(s.form).toBe(form);
      expect(assignmentsOf(s, 'spec', 'context_flags')[0]?.via).toBe(line.slice(0, line.indexOf(':') + 1));
    });
  }

  it('every context token', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SOFTIRQ | KAPI_CTX_HARDIRQ | KAPI_CTX_NMI | KAPI_CTX_ATOMIC |',
        '  KAPI_CTX_SLEEPABLE | KAPI_CTX_PREEMPT_DISABLED | KAPI_CTX_IRQ_DISABLED',
      ]),
    );
    expect(s.contexts).toEqual([
      'process',
      'softirq',
      'hardirq',
      'nmi',
      'atomic',
      'sleepable',
      'preempt_disabled',
      'irq_disabled',
    ]);
  });
});

describe('arch-mask and #ifdef CONFIG_X', () => {
  it('keeps arch-mask lines (the generator wraps them in #ifdef CONFIG_<ARCH>) and reports unknown arches', () => {
    const s = one(
      doc(
        [
          'sys_frob - Frobnicate',
          'contexts: process',
          'param: flags',
          '  type: uint, input',
          '  valid-mask: FROB_A | FROB_B',
          '  arch-mask: x86 = FROB_X86_ONLY',
          '  arch-mask: powerpc = FROB_PPC_ONLY',
          '  arch-mask: frobarch = FROB_NOWHERE',
        ],
        '#ifdef CONFIG_X86\nSYSCALL_DEFINE1(frob, unsigned int, flags)',
      ),
    );
    expect(s.params[0]).toMatchObject({ name: 'flags', validMask: 'FROB_A | FROB_B', ctype: 'unsigned int' });
    expect(assignmentsOf(s, 'param[0]', 'arch_mask').map((a) => a.value)).toEqual([
      'x86 = FROB_X86_ONLY',
      'powerpc = FROB_PPC_ONLY',
      'frobarch = FROB_NOWHERE',
    ]);
    expect(s.unknown).toEqual([{ text: 'frobarch', line: 9, where: 'token' }]);
    expect(s.name).toBe('sys_frob');
  });

  it('skips preprocessor lines and comments between the spec and its declaration', () => {
    const s = one(
      doc(
        ['frob_helper - Frobnicate', 'contexts: process', 'param: len', '  type: uint'],
        [
          '#ifdef CONFIG_FROB',
          '/* helper */',
          'static inline long',
          'frob_helper(unsigned long start,',
          '\t    size_t len)',
        ].join('\n'),
      ),
    );
    expect(s).toMatchObject({ name: 'frob_helper', kind: 'function' });
    expect(s.params[0]?.ctype).toBe('size_t');
    expect(assignmentsOf(s, 'param[0]', 'type_name')[0]).toMatchObject({ via: 'declaration', line: 9 });
  });
});

describe('declarations', () => {
  it('multi-line SYSCALL_DEFINE and COMPAT_SYSCALL_DEFINE', () => {
    const text = [
      doc(
        ['sys_frob - Frobnicate', 'contexts: process'],
        'SYSCALL_DEFINE3(frob, unsigned int, fd,\n\t\tconst char __user *, buf,\n\t\tsize_t, count)',
      ),
      doc(
        ['compat_sys_frob - Frobnicate', 'contexts: process'],
        'COMPAT_SYSCALL_DEFINE1(frob, compat_ulong_t, start)',
      ),
    ].join('\n');
    const r = parseKerneldocSpecs(text);
    expect(r.issues).toEqual([]);
    expect(r.value.map((s) => [s.name, s.kind])).toEqual([
      ['sys_frob', 'syscall'],
      ['compat_sys_frob', 'syscall'],
    ]);
  });

  it('falls back to the summary name when nothing follows within 10 lines', () => {
    const text = `${doc(['sys_frob - Frobnicate', 'contexts: process'], '\n\n\n\n\n\n\n\n\n\n')}SYSCALL_DEFINE0(frob)\n`;
    const s = one(text);
    expect(s).toMatchObject({ name: 'sys_frob', kind: 'syscall' });
  });

  it('reports a spec that names nothing', () => {
    const r = parseKerneldocSpecs('/**\n * contexts: process\n */\n');
    expect(r.value).toHaveLength(1);
    expect(r.issues.map((i) => i.code)).toEqual(['kapi-doc-no-name']);
  });
});

describe('issues', () => {
  it('kapi-doc-unterminated: the spec is kept and marked partial', () => {
    const text = [
      'int x;',
      '/**',
      ' * sys_frob - Frobnicate',
      ' * contexts: process',
      ' * param: len',
      ' *   type: uint',
    ].join('\n');
    const r = parseKerneldocSpecs(text);
    expect(r.issues).toEqual([
      { code: 'kapi-doc-unterminated', severity: 'warning', message: expect.any(String), line: 2 },
    ]);
    expect(r.value).toHaveLength(1);
    expect(r.value[0]).toMatchObject({ name: 'sys_frob', partial: true, line: 2, endLine: 6 });
    expect(r.value[0]?.params[0]?.type).toBe('uint');
  });

  it('a new comment inside an unterminated one ends it', () => {
    const text = [
      '/**',
      ' * sys_cut - Cut off',
      ' * contexts: process',
      '/**',
      ' * sys_frob - Frobnicate',
      ' * contexts: process',
      ' */',
      'SYSCALL_DEFINE0(frob)',
    ].join('\n');
    const r = parseKerneldocSpecs(text);
    expect(r.value.map((s) => [s.name, s.partial, s.line])).toEqual([
      ['sys_cut', true, 1],
      ['sys_frob', false, 4],
    ]);
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([['kapi-doc-unterminated', 1]]);
  });

  it('plain unterminated comments are not reported', () => {
    expect(parseKerneldocSpecs('/**\n * foo - bar\n * @x: y\n')).toEqual({ value: [], issues: [] });
  });

  it('kapi-doc-orphan-subkey: an indented sub-key outside a block, and gen-1 keys with no entry', () => {
    const r = parseKerneldocSpecs(
      doc(['sys_frob - Frobnicate', 'contexts: process', '', '  type: uint, input', '  cdesc: Lost']),
    );
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([
      ['kapi-doc-orphan-subkey', 5],
      ['kapi-doc-orphan-subkey', 6],
    ]);
    expect(r.value[0]?.contexts).toEqual(['process']);
    const r1 = parseKerneldocSpecs(
      doc([
        'sys_frob - Frobnicate',
        'lock-acquired: true',
        'constraint-expr: Nowhere, x',
        'param-type: start, KAPI_TYPE_UINT',
      ]),
    );
    expect(r1.issues.map((i) => [i.code, i.line])).toEqual([
      ['kapi-doc-orphan-subkey', 3],
      ['kapi-doc-orphan-subkey', 4],
    ]);
  });

  it('kapi-doc-empty-header: a block header without a name', () => {
    const r = parseKerneldocSpecs(
      doc(['sys_frob - Frobnicate', 'contexts: process', 'param:', '  type: uint']),
    );
    expect(r.issues.map((i) => i.code)).toEqual(['kapi-doc-empty-header']);
    expect(r.value[0]?.params).toMatchObject([{ name: '', type: 'uint' }]);
  });
});

describe('hunks: fragments of a spec', () => {
  it('reads a hunk that starts inside a spec comment as a partial spec, named by the declaration', () => {
    const hunk = [
      ' *   desc: The start address must be a multiple of',
      ' *     the page size.',
      ' *',
      ' * error: ENOMEM, len exceeds FROB_MAX_LEN',
      ' *   desc: The range is too long.',
      ' */',
      'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)',
    ].join('\n');
    const s = one(hunk);
    expect(s).toMatchObject({
      name: 'sys_frob',
      kind: 'syscall',
      form: 'kerneldoc-3',
      partial: true,
      line: 1,
      endLine: 6,
    });
    expect(s.errors).toMatchObject([{ code: 'ENOMEM', condition: 'len exceeds FROB_MAX_LEN', line: 4 }]);
    expect(s.kerneldoc?.summary).toBeNull();
  });

  it('a fragment cut at both ends is partial, unnamed and not reported', () => {
    const r = parseKerneldocSpecs(' * param: len\n *   type: uint, input\n * lock: frob_lock\n');
    expect(r.issues).toEqual([]);
    expect(r.value).toMatchObject([{ name: '', partial: true, params: [{ name: 'len', type: 'uint' }] }]);
  });

  it('a fragment of a plain comment, or code that starts with *, is not a spec', () => {
    expect(parseKerneldocSpecs(' * Returns the frob.\n */\nint frob(void)\n')).toEqual({
      value: [],
      issues: [],
    });
    expect(parseKerneldocSpecs('*p = x;\n/* lock: not kerneldoc */\n')).toEqual({ value: [], issues: [] });
  });
});

describe('prose in headers', () => {
  it('splits headers on plain commas, like the generators, whatever the apostrophes and parentheses', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        "error-code: -EPERM, EPERM, Caller's privileges (see below, Returned when the caller's",
        '  capability set is empty)',
        "side-effect: KAPI_EFFECT_MODIFY_STATE, caller's memory, Changes (it, reversible=yes",
      ]),
    );
    expect(s.errors[0]).toMatchObject({
      condition: "Caller's privileges (see below",
      description: "Returned when the caller's capability set is empty)",
    });
    expect(s.sideEffects[0]).toMatchObject({
      target: "caller's memory",
      description: 'Changes (it',
      reversible: true,
    });
  });
});

describe('shape of the input', () => {
  it('CRLF, tabs after the star, single-line comments and several specs', () => {
    const text = [
      '/** sys_one - One */',
      'int a;',
      '/**',
      ' * sys_two - Two',
      ' * contexts: process',
      ' * param: len',
      ' *\ttype: uint',
      ' */',
      'SYSCALL_DEFINE1(two, size_t, len)',
    ].join('\r\n');
    const r = parseKerneldocSpecs(text, 'x.c');
    expect(r.issues).toEqual([]);
    expect(r.value.map((s) => [s.name, s.line, s.endLine, s.path])).toEqual([['sys_two', 3, 8, 'x.c']]);
    expect(r.value[0]?.params[0]).toMatchObject({ name: 'len', type: 'uint', ctype: 'size_t', line: 6 });
  });

  it('empty and garbage input', () => {
    expect(parseKerneldocSpecs('')).toEqual({ value: [], issues: [] });
    expect(parseKerneldocSpecs('*/ /** */ /**/ /***/')).toEqual({ value: [], issues: [] });
  });

  it('is linear on a large file', () => {
    const body: string[] = ['sys_big - Big', 'contexts: process'];
    for (let i = 0; i < 4000; i++) {
      body.push(`param-type: p${i}, KAPI_TYPE_UINT`, `param-range: p${i}, 0, ${i}`);
      body.push(`error-code: -EINVAL, EINVAL, Bad p${i},`, `  continued ${i}`);
      body.push(`constraint: C${i}, desc`, `constraint-expr: C${i}, p${i} < ${i}`);
    }
    const text = Array.from({ length: 5 }, () => doc(body)).join('\n');
    const t0 = performance.now();
    const r = parseKerneldocSpecs(text);
    const ms = performance.now() - t0;
    expect(r.issues).toEqual([]);
    expect(r.value).toHaveLength(5);
    expect(r.value[0]?.params).toHaveLength(4000);
    expect(r.value[0]?.errors).toHaveLength(4000);
    expect(ms).toBeLessThan(5_000);
  });
});

describe('property: never throws', () => {
  const sources = ['frob.kd1.c', 'frob.kd2.c', 'frob.kd3.c'].map(fixture);
  const check = (text: string): void => {
    const r = parseKerneldocSpecs(text);
    expect(Array.isArray(r.value)).toBe(true);
    expect(r.issues.filter((i) => i.code === 'kapi-doc-internal')).toEqual([]);
    for (const s of r.value) {
      expect(s.line).toBeGreaterThanOrEqual(1);
      expect(s.endLine).toBeGreaterThanOrEqual(s.line);
      for (const a of s.assignments) expect(typeof a.value).toBe('string');
    }
  };

  it('random truncations of the fixtures', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.nat(), (which, a, b) => {
        const src = sources[which] ?? '';
        const lo = Math.min(a, b) % (src.length + 1);
        const hi = Math.max(a, b) % (src.length + 1);
        check(src.slice(0, hi));
        check(src.slice(lo));
        check(src.slice(lo, hi));
      }),
      { numRuns: 300 },
    );
  });

  it('random line mutations of the fixtures', () => {
    const pieces = [
      '',
      ' *',
      ' */',
      '/**',
      ' *   type: uint',
      ' * param:',
      ' * error: ',
      ' *   desc:',
      ' * side-effect: a, b, condition=, reversible=',
      ' * @x:',
      ' * constraint-type: range(',
      ' * constraint-type: mask())',
      'SYSCALL_DEFINE9(',
      '\t',
      '*/ /**',
      ' * lock-acquired: true',
      ' * struct-field-range: x',
    ];
    const mutation = fc.record({
      which: fc.integer({ min: 0, max: 2 }),
      edits: fc.array(
        fc.record({
          at: fc.nat(),
          op: fc.constantFrom('delete', 'insert', 'replace', 'indent', 'dedent'),
          piece: fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 40 })),
        }),
        { maxLength: 8 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ which, edits }) => {
        const lines = (sources[which] ?? '').split('\n');
        for (const e of edits) {
          const i = e.at % (lines.length + 1);
          if (e.op === 'delete') lines.splice(i, 1);
          else if (e.op === 'insert') lines.splice(i, 0, e.piece);
          else if (e.op === 'replace') lines[i] = e.piece;
          else if (e.op === 'indent') lines[i] = `  ${lines[i] ?? ''}`;
          else lines[i] = (lines[i] ?? '').replace(/^(\s*\*)\s+/, '$1 ');
        }
        check(lines.join('\n'));
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        check(s);
        check(`/**\n${s}`);
        check(`/**\n * sys_x - y\n * contexts: process\n${s}\n */`);
      }),
      { numRuns: 300 },
    );
  });
});
