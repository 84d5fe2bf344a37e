import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCParser } from '../../../app/c/language.js';
import { analyzeC } from '../../../parsers/c/index.js';
import { prepareC } from '../../../parsers/c/preprocess.js';
import { errorsOf, FIXTURE, facts, lineOf, parser, summary } from './analyze-test-helpers.js';

describe('analyzeC: values the analysis does not follow make the set incomplete', () => {
  /** [errnos, complete, unknownValues] */
  function opaque(src: string, fn = 'f'): [string[], boolean, string[]] {
    const e = errorsOf(facts(src), fn);
    return [e.errnos.map((x) => x.errno), e.complete, e.unknownValues];
  }
  const cases: Array<[string, string, [string[], boolean, string[]]]> = [
    ['a struct field', 'int f(struct ctx *ctx)\n{\n\treturn ctx->err;\n}\n', [[], false, ['ctx->err']]],
    ['a member of a struct value', 'int f(struct ctx c)\n{\n\treturn c.err;\n}\n', [[], false, ['c.err']]],
    ['a dereference', 'int f(int *errp)\n{\n\treturn *errp;\n}\n', [[], false, ['*errp']]],
    ['an array element', 'int f(int i)\n{\n\treturn errs[i];\n}\n', [[], false, ['errs[i]']]],
    [
      'a field assigned to the returned variable',
      'int f(struct data *d)\n{\n\tint ret;\n\n\tret = (int)d->status;\n\tif (!ret)\n\t\tret = -EIO;\n\treturn ret;\n}\n',
      [['EIO'], false, ['d->status']],
    ],
    ['an object-like macro', 'int f(void)\n{\n\treturn MY_ERROR;\n}\n', [[], false, ['MY_ERROR']]],
    ['a negated macro', 'int f(void)\n{\n\treturn -MY_ERROR;\n}\n', [[], false, ['-MY_ERROR']]],
    [
      'a global, even one assigned in the function',
      'static int last_err;\nint f(int a)\n{\n\tif (a)\n\t\tlast_err = -EIO;\n\treturn last_err;\n}\n',
      [[], false, ['last_err']],
    ],
    [
      'a local written through its address by a same-file function',
      'static void fill(int *err)\n{\n\t*err = -ENOMEM;\n}\nint f(void)\n{\n\tint ret = 0;\n\n\tfill(&ret);\n\treturn ret;\n}\n',
      [[], false, ['fill(&ret)']],
    ],
    [
      'fields in conditions and in call arguments are not returned',
      'int f(struct ctx *c)\n{\n\tif (c->dead)\n\t\treturn -ESTALE;\n\treturn helper_ok(c->n) ? 0 : -EIO;\n}\n',
      [['EIO', 'ESTALE'], true, []],
    ],
    [
      'constants: NULL, booleans, positive errno names, numbers',
      'int f(int a)\n{\n\tif (a == 1)\n\t\treturn NULL;\n\tif (a == 2)\n\t\treturn true;\n\tif (a == 3)\n\t\treturn EINVAL;\n\treturn -1;\n}\n',
      [[], true, []],
    ],
    [
      'a local declared under #ifdef is a function-level local',
      'int f(int a)\n{\n#ifdef CONFIG_X\n\tint ret;\n#endif\n\tret = a ? -EINVAL : 0;\n\treturn ret;\n}\n',
      [['EINVAL'], true, []],
    ],
  ];
  for (const [name, src, want] of cases) {
    it(name, () => {
      expect(opaque(src)).toEqual(want);
    });
  }

  it('an unknown value that is translated still counts for `never`', () => {
    const src =
      'int f(struct ctx *c)\n{\n\tif (c->err == -EFAULT)\n\t\treturn -ENOMEM;\n\treturn c->err;\n}\n';
    // `c->err` is not a variable: the test does not narrow what the second read gives
    expect(errorsOf(facts(src), 'f').never).toEqual([]);
    const via =
      'int f(struct ctx *c)\n{\n\tint err = c->err;\n\n\tif (err == -EFAULT)\n\t\treturn -ENOMEM;\n\treturn err;\n}\n';
    expect(errorsOf(facts(via), 'f').never).toEqual(['EFAULT']);
  });
});

describe('analyzeC: errno names', () => {
  it('canonicalizes aliases and keeps the spelling in `written`', () => {
    const src = `int f(int a)
{
	if (a == 1)
		return -EWOULDBLOCK;
	if (a == 2)
		return -EDEADLOCK;
	if (a == 3)
		return -ENOTSUP;
	if (a == 4)
		return -ENOTSUPP;
	return 0;
}
`;
    const e = errorsOf(facts(src), 'f');
    expect(e.errnos.map((x) => [x.errno, x.written])).toEqual([
      ['EAGAIN', 'EWOULDBLOCK'],
      ['EDEADLK', 'EDEADLOCK'],
      ['ENOTSUPP', 'ENOTSUPP'],
      ['EOPNOTSUPP', 'ENOTSUP'],
    ]);
  });

  it('an alias and its canonical name are one fact', () => {
    const src = 'int f(int a)\n{\n\tif (a)\n\t\treturn -EAGAIN;\n\treturn -EWOULDBLOCK;\n}\n';
    expect(summary(src, 'f')).toEqual([['EAGAIN'], true, []]);
  });

  it('positive errno names and unknown E-names are not errnos', () => {
    const src = 'int f(int a)\n{\n\tif (a)\n\t\treturn EINVAL;\n\treturn -EFOOBAR;\n}\n';
    expect(summary(src, 'f')).toEqual([[], true, []]);
  });
});

describe('analyzeC: functions and SYSCALL_DEFINE', () => {
  const src = `static int helper(void)
{
	return -EIO;
}

int exported(void)
{
	return helper();
}

SYSCALL_DEFINE3(execve_like,
		const char __user *, filename,
		const char __user *const __user *, argv,
		const char __user *const __user *, envp)
{
	if (!filename)
		return -EFAULT;
	return exported();
}

COMPAT_SYSCALL_DEFINE2(thing, compat_uptr_t, uptr,
		       compat_size_t, len)
{
	return len ? -E2BIG : 0;
}

SYSCALL_DEFINE0(nothing)
{
	return -ENOSYS;
}

int after_them(void)
{
	return -EXDEV;
}
`;

  it('lists functions with lines and static-ness', () => {
    const v = facts(src);
    expect(
      v.functions.map((f) => [f.name, f.line, f.endLine, f.isStatic, f.isSyscall, f.hasParseErrors]),
    ).toEqual([
      ['helper', 1, 4, true, false, false],
      ['exported', 6, 9, false, false, false],
      ['sys_execve_like', 11, 19, false, true, false],
      ['compat_sys_thing', 21, 25, false, true, false],
      ['sys_nothing', 27, 30, false, true, false],
      ['after_them', 32, 35, false, false, false],
    ]);
  });

  it('reads multi-line SYSCALL_DEFINE parameters with their types', () => {
    const v = facts(src);
    expect(v.syscalls.map((s) => [s.name, s.fnName, s.arity, s.line, s.endLine])).toEqual([
      ['execve_like', 'sys_execve_like', 3, 11, 19],
      ['thing', 'compat_sys_thing', 2, 21, 25],
      ['nothing', 'sys_nothing', 0, 27, 30],
    ]);
    expect(v.syscalls[0]?.params).toEqual([
      { type: 'const char __user *', name: 'filename' },
      { type: 'const char __user *const __user *', name: 'argv' },
      { type: 'const char __user *const __user *', name: 'envp' },
    ]);
    expect(v.syscalls[1]?.params).toEqual([
      { type: 'compat_uptr_t', name: 'uptr' },
      { type: 'compat_size_t', name: 'len' },
    ]);
    expect(v.syscalls[0]?.macroText.split('\n')).toHaveLength(4);
    expect(v.syscalls[0]?.macroText.startsWith('SYSCALL_DEFINE3(execve_like,')).toBe(true);
  });

  it('keeps line numbers after a multi-line SYSCALL_DEFINE, with evidence from the input', () => {
    const v = facts(src);
    const e = errorsOf(v, 'sys_execve_like');
    expect(e.errnos.map((x) => x.errno)).toEqual(['EFAULT', 'EIO']);
    expect(e.errnos[0]?.chain).toEqual([{ fn: 'sys_execve_like', line: 17, text: 'return -EFAULT;' }]);
    expect(e.errnos[1]?.chain).toEqual([
      { fn: 'helper', line: 3, text: 'return -EIO;' },
      { fn: 'exported', line: 8, text: 'return helper();' },
      { fn: 'sys_execve_like', line: 18, text: 'return exported();' },
    ]);
    expect(errorsOf(v, 'after_them').errnos[0]?.chain[0]?.line).toBe(34);
    expect(summary(src, 'compat_sys_thing')).toEqual([['E2BIG'], true, []]);
    expect(summary(src, 'sys_nothing')).toEqual([['ENOSYS'], true, []]);
  });

  it('the rewrite never changes the number of lines', () => {
    expect(prepareC(src).text.split('\n')).toHaveLength(src.split('\n').length);
    const fixture = readFileSync(FIXTURE, 'utf8');
    expect(prepareC(fixture).text.split('\n')).toHaveLength(fixture.split('\n').length);
  });

  it('#if-chosen alternative headers in front of one body are one function', () => {
    const s = `#ifdef CONFIG_BACKWARDS
SYSCALL_DEFINE2(twin, int, b, long, a)
#else
SYSCALL_DEFINE2(twin, long, a,
		int, b)
#endif
{
	return a ? -EINVAL : 0;
}
`;
    const v = facts(s);
    expect(v.functions.map((f) => [f.name, f.line, f.endLine, f.isSyscall])).toEqual([
      ['sys_twin', 4, 9, true],
    ]);
    expect(v.syscalls.map((x) => [x.fnName, x.line, x.endLine, x.params.map((p) => p.name)])).toEqual([
      ['sys_twin', 2, 9, ['b', 'a']],
      ['sys_twin', 4, 9, ['a', 'b']],
    ]);
    expect(summary(s, 'sys_twin')).toEqual([['EINVAL'], true, []]);
  });

  it('compat_arg_u64_dual stands for two parameters', () => {
    const s =
      'COMPAT_SYSCALL_DEFINE4(ra, int, fd, compat_arg_u64_dual(offset), size_t, count)\n{\n\treturn -EBADF;\n}\n';
    const r = analyzeC(parser, s);
    expect(r.issues).toEqual([]);
    expect(r.value.syscalls[0]?.params.map((p) => p.name)).toEqual(['fd', 'offset_lo', 'offset_hi', 'count']);
  });

  it('reports a SYSCALL_DEFINE whose argument count does not match n', () => {
    const r = analyzeC(parser, 'SYSCALL_DEFINE2(odd, int, a)\n{\n\treturn 0;\n}\n', 'odd.c');
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([['c-syscall-define-args', 1]]);
  });

  it('several definitions of one name (#ifdef variants) are merged', () => {
    const s = `#ifdef CONFIG_X
static int pick(void) { return -ENODEV; }
#else
static inline int pick(void) { return -EOPNOTSUPP; }
#endif
int f(void) { return pick(); }
`;
    expect(facts(s).functions.filter((f) => f.name === 'pick')).toHaveLength(2);
    expect(summary(s, 'f')).toEqual([['ENODEV', 'EOPNOTSUPP'], true, []]);
  });
});

describe('loadCParser', () => {
  it('returns one shared parser', async () => {
    expect(await loadCParser()).toBe(parser);
  });
});

describe('analyzeC: what cannot be understood', () => {
  const broken = `static int broken(int a)
{
	if (a)
		return -EINVAL;
	weird_macro(a) @@ [[ garbage ;
	return -EIO;
}

int caller(int a)
{
	return broken(a);
}

int bystander(int a)
{
	broken(a);
	return -ENOENT;
}
`;

  it('a function with parse errors is incomplete, and keeps what it could read', () => {
    const r = analyzeC(parser, broken, 'broken.c');
    const fn = r.value.functions.find((f) => f.name === 'broken');
    expect(fn?.hasParseErrors).toBe(true);
    const e = errorsOf(r.value, 'broken');
    expect(e.complete).toBe(false);
    expect(e.errnos.map((x) => x.errno)).toContain('EINVAL');
    expect(r.issues.some((i) => i.code === 'c-function-parse-error' && i.line === 1)).toBe(true);
  });

  it('its callers are incomplete only when its result reaches their return value', () => {
    const v = facts(broken);
    expect(errorsOf(v, 'caller').complete).toBe(false);
    expect(errorsOf(v, 'caller').unknownCalls).toEqual([]);
    expect(summary(broken, 'bystander')).toEqual([['ENOENT'], true, []]);
  });

  it('never throws on odd input', () => {
    for (const s of [
      '',
      '}}}}',
      '{{{{',
      'int',
      'SYSCALL_DEFINE3(',
      'SYSCALL_DEFINE1(x, int',
      '\u0000\uffff',
      '#if\n',
    ]) {
      const r = analyzeC(parser, s);
      expect(r.value.functions).toBeInstanceOf(Array);
    }
  });
});

describe('fixtures/c/mlock-shapes.c', () => {
  const src = readFileSync(FIXTURE, 'utf8');

  it('parses cleanly', () => {
    const r = analyzeC(parser, src, 'mlock-shapes.c');
    expect(r.issues).toEqual([]);
    expect(r.value.functions.filter((f) => f.hasParseErrors)).toEqual([]);
    expect(r.value.syscalls.map((s) => [s.name, s.arity])).toEqual([
      ['mlock', 2],
      ['mlock2', 3],
      ['munlock', 2],
      ['mlockall', 1],
      ['munlockall', 0],
    ]);
  });

  it('mlockall: exactly EINVAL, EPERM, EINTR, ENOMEM (mm_populate ignored, no EAGAIN)', () => {
    const e = errorsOf(facts(src), 'sys_mlockall');
    expect(e.errnos.map((x) => x.errno)).toEqual(['EINTR', 'EINVAL', 'ENOMEM', 'EPERM']);
    expect(e.complete).toBe(true);
    expect(e.unknownCalls).toEqual([]);
    expect(e.errnos.find((x) => x.errno === 'ENOMEM')?.chain).toEqual([
      { fn: 'sys_mlockall', line: lineOf(src, 'ret = -ENOMEM;'), text: 'ret = -ENOMEM;' },
    ]);
    expect(e.errnos.find((x) => x.errno === 'EINTR')?.chain[0]?.line).toBe(
      lineOf(src, 'return -EINTR;', lineOf(src, 'SYSCALL_DEFINE1(mlockall')),
    );
  });

  it('munlockall: exactly EINTR', () => {
    expect(summary(src, 'sys_munlockall')).toEqual([['EINTR'], true, []]);
  });

  it('mlock: no EFAULT, EAGAIN via the POSIX translation, with chains', () => {
    const e = errorsOf(facts(src), 'sys_mlock');
    expect(e.errnos.map((x) => x.errno)).toEqual(['EAGAIN', 'EINTR', 'EINVAL', 'ENOMEM', 'EPERM']);
    expect(e.complete).toBe(false);
    expect(e.unknownCalls).toEqual(['__mm_populate', 'vma_modify_flags']);
    expect(e.unknownValues).toEqual([]);
    // vma_modify_flags()'s value reaches the return untranslated: EFAULT cannot be excluded
    expect(e.never).toEqual([]);
    expect(e.errnos.find((x) => x.errno === 'EAGAIN')?.chain.map((c) => c.fn)).toEqual([
      'posix_lock_error',
      'lock_user_range',
      'sys_mlock',
    ]);
    expect(e.errnos.find((x) => x.errno === 'EINVAL')?.chain.map((c) => [c.fn, c.text])).toEqual([
      ['set_range_lock_bits', 'return -EINVAL;'],
      ['lock_user_range', 'err = set_range_lock_bits(addr, size, bits);'],
      ['sys_mlock', 'return lock_user_range(start, len, VM_LOCKED);'],
    ]);
  });

  it('mlock2 adds its own EINVAL; munlock has no translation', () => {
    const v = facts(src);
    expect(errorsOf(v, 'sys_mlock2').errnos.find((x) => x.errno === 'EINVAL')?.chain).toHaveLength(1);
    expect(errorsOf(v, 'sys_mlock2').errnos.map((x) => x.errno)).toEqual([
      'EAGAIN',
      'EINTR',
      'EINVAL',
      'ENOMEM',
      'EPERM',
    ]);
    expect(summary(src, 'sys_munlock')).toEqual([['EINTR', 'EINVAL', 'ENOMEM'], false, ['vma_modify_flags']]);
  });

  it('mlock and mlock2 without the vma_modify_flags() path: EFAULT is never returned', () => {
    const edited = src.replace('\t\trc = PTR_ERR(merged);', '\t\trc = -ENOMEM;');
    expect(edited).not.toBe(src);
    const v = facts(edited);
    for (const fn of ['sys_mlock', 'sys_mlock2']) {
      const e = errorsOf(v, fn);
      expect([e.complete, e.unknownCalls, e.never]).toEqual([false, ['__mm_populate'], ['EFAULT']]);
      expect(e.neverVia.EFAULT?.map((c) => [c.fn, c.line])).toEqual([
        ['posix_lock_error', lineOf(edited, 'if (code == -EFAULT)')],
        ['lock_user_range', lineOf(edited, 'return posix_lock_error(err);')],
        [
          fn,
          lineOf(
            edited,
            'return lock_user_range(start, len,',
            lineOf(edited, `SYSCALL_DEFINE${fn === 'sys_mlock' ? 2 : 3}(mlock`),
          ),
        ],
      ]);
    }
    expect(errorsOf(v, 'sys_munlock').complete).toBe(true);
    expect(errorsOf(v, 'sys_mlockall').never).toEqual([]);
  });

  it('helpers: set_all_lock_bits returns no errno; the translator is a mapping', () => {
    expect(summary(src, 'set_all_lock_bits')).toEqual([[], true, []]);
    expect(summary(src, 'posix_lock_error')).toEqual([['EAGAIN', 'ENOMEM'], true, []]);
    expect(facts(src).functions.find((f) => f.name === 'posix_lock_error')?.isStatic).toBe(true);
  });

  it('random mutations of the fixture never throw and keep the result well-formed', () => {
    const lines = src.split('\n');
    const tokens = [
      '{',
      '}',
      '(',
      ')',
      ';',
      'goto out;',
      'out:',
      'return -EIO;',
      '#if X',
      '#endif',
      '"',
      '/*',
      '\\',
    ];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.nat({ max: 200 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...tokens) }),
      fc.record({ kind: fc.constant('junk' as const), at: fc.nat(), token: fc.string({ maxLength: 12 }) }),
      fc.record({ kind: fc.constant('dupline' as const), at: fc.nat(), len: fc.nat({ max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (muts) => {
        let text = src;
        for (const m of muts) {
          const at = m.at % (text.length + 1);
          if (m.kind === 'delete') text = text.slice(0, at) + text.slice(at + m.len);
          else if (m.kind === 'insert' || m.kind === 'junk')
            text = text.slice(0, at) + m.token + text.slice(at);
          else {
            const l = m.at % lines.length;
            const ls = text.split('\n');
            ls.splice(l, 0, ...ls.slice(l, l + m.len));
            text = ls.join('\n');
          }
        }
        const r = analyzeC(parser, text);
        expect(r.issues.filter((i) => i.code === 'c-internal-error')).toEqual([]);
        const nLines = text.split('\n').length;
        for (const f of r.value.functions) {
          expect(r.value.errors[f.name]).toBeDefined();
          expect(f.line).toBeLessThanOrEqual(f.endLine);
          expect(f.endLine).toBeLessThanOrEqual(nLines);
        }
        for (const e of Object.values(r.value.errors)) {
          for (const x of e.errnos) {
            expect(x.chain.length).toBeGreaterThan(0);
            for (const c of x.chain) expect(c.line).toBeGreaterThan(0);
          }
          if (e.unknownCalls.length > 0 || e.unknownValues.length > 0) expect(e.complete).toBe(false);
          if (e.complete) expect(e.never).toEqual([]);
          expect(Object.keys(e.neverVia).sort()).toEqual(e.never);
          for (const n of e.never) {
            expect(e.errnos.map((x) => x.errno)).not.toContain(n);
            expect(e.neverVia[n]?.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("errorsOf 'syscalls': the error sets the checks read, of a file's syscalls only", () => {
  const src = [
    'static int leaf(int x) { return x ? -EINVAL : 0; }',
    'static int (*pick)(int) = leaf;',
    'static int mid(int x) { if (x > 2) return -ENOMEM; return (leaf)(x); }',
    'static int via_pointer(int x) { return pick(x); }',
    'static int unrelated(int x) { return x ? -EPERM : -EBUSY; }',
    'SYSCALL_DEFINE1(frob, int, x)',
    '{',
    '\tif (x == 1) return via_pointer(x);',
    '\treturn mid(x);',
    '}',
    '',
  ].join('\n');

  it('gives the syscalls what the whole analysis gives them, and leaves the unreached out', () => {
    const all = analyzeC(parser, src).value;
    const some = analyzeC(parser, src, 'x.c', { errorsOf: 'syscalls' }).value;
    expect(some.errors.sys_frob).toEqual(all.errors.sys_frob);
    expect(errorsOf(some, 'sys_frob').errnos.map((e) => e.errno)).toContain('ENOMEM');
    expect(some.errors.unrelated).toBeUndefined();
    expect(all.errors.unrelated).toBeDefined();
    // only the definitions the syscall's analysis read, each as the whole file gives it
    expect(some.functions.map((f) => f.name)).toEqual(['leaf', 'mid', 'via_pointer', 'sys_frob']);
    for (const f of some.functions) expect(all.functions).toContainEqual(f);
    expect(some.syscalls).toEqual(all.syscalls);
  });

  it('on the fixture of many shapes, every syscall alike', () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const all = analyzeC(parser, text).value;
    const some = analyzeC(parser, text, 'mlock-shapes.c', { errorsOf: 'syscalls' }).value;
    const names = all.syscalls.map((s) => s.fnName);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(some.errors[n]).toEqual(all.errors[n]);
  });
});
