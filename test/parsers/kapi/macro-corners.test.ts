import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenizeC } from '../../../parsers/kapi/ctokens.js';
import { parseMacroSpecs } from '../../../parsers/kapi/macro.js';
import { HELPER_MACROS } from '../../../parsers/kapi/macro-helpers.js';
import { assigned, at, fixture, only, spec } from './macro-test-helpers.js';

describe('parseMacroSpecs: helper macros', () => {
  it('expands the ioctl helpers with their hard-coded indices (fwctl-like spec)', () => {
    const s = only(fixture('widget-ioctl.macro.c'));
    expect([s.name, s.kind]).toEqual(['widget_query', 'ioctl']);
    expect(s.params.map((p) => [p.index, p.name, p.ctype, p.type, p.flags, p.constraintType])).toEqual([
      [0, 'size', '__u32', 'uint', ['in'], 'custom'],
      [1, 'flags', '__u32', 'uint', ['in'], 'mask'],
      [2, 'out_model', '__u32', 'uint', ['out'], null],
      [3, 'blob_len', '__u32', 'uint', ['inout'], 'range'],
      [4, 'out_blob', '__aligned_u64', 'user_ptr', ['out', 'user'], null],
    ]);
    expect(s.counts.param?.value).toBe(5);
    expect(at(s.params, 0).constraint).toBe('Must match sizeof(struct)');
    expect(at(s.params, 1).validMask).toBe('0');
    expect(assigned(s, 'param[4]', 'size_param_idx').map((a) => [a.value, a.via])).toEqual([
      ['3', 'KAPI_IOCTL_PARAM_USER_OUT_BUF>.size_param_idx'],
    ]);
    expect(assigned(s, 'param[1]', 'name').map((a) => a.via)).toEqual(['KAPI_IOCTL_PARAM_FLAGS>KAPI_PARAM']);
    expect(s.errors.map((e) => [e.index, e.code, e.condition])).toEqual([
      [0, 'EFAULT', 'Bad address'],
      [1, 'ENODEV', 'Widget unplugged'],
    ]);
    // helper-expanded lines are the line of the helper
    const src = fixture('widget-ioctl.macro.c').split('\n');
    expect(at(s.params, 1).line).toBe(src.findIndex((l) => l.trim() === 'KAPI_IOCTL_PARAM_FLAGS') + 1);
  });

  it('expands the syscall param, error, return, context and signal helpers', () => {
    const s = only(
      spec(`KAPI_SYSCALL_SLEEPABLE
        KAPI_PARAM_FD(0, "Directory fd")
        KAPI_PARAM_USER_STRUCT(1, "how", struct open_how, "Open parameters")
        KAPI_PARAM_SIZE_T(2, "size", "Size of how")
        KAPI_PARAM_USER_BUF(3, "buf", "Buffer")
        KAPI_PARAM_USER_PTR_SIZED(4, "ptr", 16, "Sixteen bytes")
        KAPI_PARAM_USER_STRING(5, "name", 1, NAME_MAX, "A name")
        KAPI_PARAM_USER_PATH(6, "path", "A path")
        KAPI_IOCTL_PARAM_LEN(7, "len", "Length", 4096)
        KAPI_IOCTL_PARAM_USER_BUF(8, "in", "Input", 7)
        KAPI_RETURN_FD_SPEC
        KAPI_ERROR_EBADF(0)
        KAPI_ERROR_EINVAL(1, "Bad flags")
        KAPI_ERROR_ENOMEM(2)
        KAPI_ERROR_EPERM(3)
        KAPI_ERROR_EFAULT(4)
        KAPI_SIGNAL_INTERRUPTIBLE_SLEEP
        KAPI_SIGNAL_FATAL_DEFAULT
        KAPI_SIGNAL_STOP_CONT`),
    );
    expect(s.contexts).toEqual(['process', 'sleepable']);
    expect(
      s.params.map((p) => [p.index, p.name, p.ctype, p.type, p.flags, p.constraintType, p.range]),
    ).toEqual([
      [0, 'fd', 'int', 'fd', ['in'], 'none', null],
      [1, 'how', 'struct open_how __user *', 'user_ptr', ['user', 'in'], 'none', null],
      [2, 'size', 'size_t', null, ['in'], null, { min: '0', max: 'SIZE_MAX' }],
      [3, 'buf', 'void __user *', null, ['user', 'in'], null, null],
      [4, 'ptr', 'void __user *', 'user_ptr', ['user', 'in'], 'user_ptr', null],
      [
        5,
        'name',
        'const char __user *',
        'user_ptr',
        ['user', 'in'],
        'user_string',
        { min: '1', max: 'NAME_MAX' },
      ],
      [6, 'path', 'const char __user *', 'path', ['user', 'in'], 'user_path', null],
      [7, 'len', '__u32', 'uint', ['inout'], 'range', { min: '0', max: '4096' }],
      [8, 'in', '__aligned_u64', 'user_ptr', ['in', 'user'], null, null],
    ]);
    expect(assigned(s, 'param[1]', 'size').map((a) => a.value)).toEqual(['sizeof(struct open_how)']);
    expect(s.returns).toMatchObject({ ctype: 'long', checkType: 'fd', success: null });
    expect(s.errors.map((e) => [e.index, e.code, e.condition])).toEqual([
      [0, 'EBADF', 'Invalid file descriptor'],
      [1, 'EINVAL', 'Bad flags'],
      [2, 'ENOMEM', 'Insufficient memory'],
      [3, 'EPERM', 'Operation not permitted'],
      [4, 'EFAULT', 'Bad address'],
    ]);
    expect(s.signals.map((g) => [g.index, g.signal, g.action, g.error])).toEqual([
      [0, 'SIGINT', 'return', '-EINTR'],
      [1, 'SIGTERM', 'return', '-EINTR'],
      [2, 'SIGKILL', 'terminate', null],
      [3, 'SIGSTOP', 'stop', null],
      [4, 'SIGCONT', 'continue', null],
    ]);
  });

  it('expands the return helpers', () => {
    const zero = only(spec('KAPI_RETURN_SUCCESS_ZERO'));
    expect(zero.returns).toMatchObject({
      ctype: 'long',
      success: '0',
      description: '0 on success, negative error code on failure',
    });
    const count = only(spec('KAPI_RETURN_COUNT'));
    expect(count.returns).toMatchObject({ ctype: 'long', success: '0' });
    expect(assigned(count, 'return', 'success_value').map((a) => a.via)).toEqual([
      'KAPI_RETURN_COUNT>KAPI_RETURN_SUCCESS',
    ]);
  });

  it('has a table entry for every helper the brief names', () => {
    expect(Object.keys(HELPER_MACROS).sort()).toEqual(
      [
        'KAPI_PARAM_FD',
        'KAPI_PARAM_USER_BUF',
        'KAPI_PARAM_USER_STRUCT',
        'KAPI_PARAM_SIZE_T',
        'KAPI_PARAM_USER_PTR_SIZED',
        'KAPI_PARAM_USER_STRING',
        'KAPI_PARAM_USER_PATH',
        'KAPI_ERROR_EBADF',
        'KAPI_ERROR_EINVAL',
        'KAPI_ERROR_ENOMEM',
        'KAPI_ERROR_EPERM',
        'KAPI_ERROR_EFAULT',
        'KAPI_RETURN_SUCCESS_ZERO',
        'KAPI_RETURN_FD_SPEC',
        'KAPI_RETURN_COUNT',
        'KAPI_IOCTL_PARAM_SIZE',
        'KAPI_IOCTL_PARAM_FLAGS',
        'KAPI_IOCTL_PARAM_USER_BUF',
        'KAPI_IOCTL_PARAM_USER_OUT_BUF',
        'KAPI_IOCTL_PARAM_LEN',
        'KAPI_SYSCALL_SLEEPABLE',
        'KAPI_SYSCALL_ATOMIC',
        'KAPI_SIGNAL_INTERRUPTIBLE_SLEEP',
        'KAPI_SIGNAL_FATAL_DEFAULT',
        'KAPI_SIGNAL_STOP_CONT',
      ].sort(),
    );
  });

  it('reports a helper called with the wrong number of arguments', () => {
    const r = parseMacroSpecs(spec('KAPI_ERROR_EINVAL(1)\nKAPI_PARAM_FD'));
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([
      ['kapi-macro-bad-args', 2],
      ['kapi-macro-bad-args', 3],
    ]);
    expect(at(r.value, 0).errors.map((e) => [e.code, e.condition])).toEqual([['EINVAL', null]]);
  });
});

describe('parseMacroSpecs: raw initializers and the order of things', () => {
  it('records a field set twice in one block twice', () => {
    const s = only(
      spec(`KAPI_LOCK(0, "mmap_lock", KAPI_LOCK_RWLOCK)
              KAPI_LOCK_DESC("First")
              KAPI_LOCK_ACQUIRED
              KAPI_LOCK_DESC("Second")
            KAPI_LOCK_END`),
    );
    expect(assigned(s, 'lock[0]', 'description').map((a) => [a.value, a.line, a.via])).toEqual([
      ['First', 3, 'KAPI_LOCK_DESC'],
      ['Second', 5, 'KAPI_LOCK_DESC'],
    ]);
    expect(at(s.locks, 0).description).toBe('Second');
  });

  it('reads RFC v1 style raw initializers: counts, .locks[0] = {…}, .return_spec = {…}, .type in a param', () => {
    const s = only(fixture('gizmo-raw.macro.c'));
    expect(s.counts).toEqual({
      error: { value: 2, line: 7, via: '.error_count' },
      signal: { value: 1, line: 8, via: '.signal_count' },
    });
    expect(at(s.params, 0)).toMatchObject({
      type: 'int',
      flags: ['in'],
      constraintType: 'range',
      range: { min: '0', max: 'GIZMO_MAX' },
    });
    expect(s.returns).toEqual({
      ctype: 'long',
      type: 'int',
      checkType: 'error_check',
      success: '0',
      description: '0 on success',
      line: 18,
    });
    expect(s.errors.map((e) => [e.index, e.code, e.name, e.condition])).toEqual([
      [0, 'EINVAL', 'EINVAL', 'level out of range'],
      [1, 'EBUSY', 'EBUSY', 'gizmo busy'],
    ]);
    expect(s.locks).toEqual([
      {
        index: 0,
        name: 'gizmo_lock',
        type: 'spinlock',
        acquired: 'true',
        released: 'true',
        description: 'Protects the gizmo level',
        line: 34,
      },
    ]);
    expect(assigned(s, 'lock[0]').map((a) => a.via)).toEqual([
      '.lock_name',
      '.lock_type',
      '.acquired',
      '.released',
      '.description',
    ]);
    expect(at(s.signals, 0).extra).toEqual({ timing: 'during' });
  });

  it('reads .check_type inside KAPI_RETURN … KAPI_RETURN_END, and a value without a trailing comma', () => {
    const s = only(
      spec(`KAPI_RETURN("long", "0 or error")
              KAPI_RETURN_TYPE(KAPI_TYPE_INT)
              .check_type = KAPI_RETURN_ERROR_CHECK,
              .success_value = 0
            KAPI_RETURN_END
            KAPI_SIGNAL_MASK(0, "m", "Mask")
              .description = "Longer " "text"
            KAPI_SIGNAL_MASK_END`),
    );
    expect(s.returns).toMatchObject({ type: 'int', checkType: 'error_check', success: '0' });
    expect(assigned(s, 'return', 'check_type').map((a) => a.via)).toEqual(['.check_type']);
    expect(at(s.signalMasks, 0).description).toBe('Longer text');
  });

  it('takes counts written before the entries they count', () => {
    const s = only(
      spec(`KAPI_SIGNAL_COUNT(1)
            .param_count = 1,
            KAPI_SIGNAL(0, SIGKILL, "SIGKILL", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_TERMINATE)
            KAPI_SIGNAL_END
            KAPI_PARAM(0, "x", "int", "X") KAPI_PARAM_END`),
    );
    expect([s.counts.signal?.value, s.counts.param?.value, s.signals.length, s.params.length]).toEqual([
      1, 1, 1, 1,
    ]);
  });

  it('keeps a count that is not a literal as unknown', () => {
    const s = only(spec('KAPI_ERROR_COUNT(ARRAY_SIZE(t_errors))'));
    expect(s.counts).toEqual({});
    expect(s.unknown).toEqual([{ text: 'KAPI_ERROR_COUNT: ARRAY_SIZE(t_errors)', line: 2, where: 'count' }]);
  });

  it('reads PATCH v3/v4 generated code without END macros up to the closing };', () => {
    const s = only(fixture('gadget-generated.macro.c'));
    expect(s.endLine).toBe(37);
    expect(s.params.map((p) => [p.name, p.type])).toEqual([['fd', 'fd']]);
    expect(s.returns?.checkType).toBe('error_check');
    expect(s.errors.map((e) => e.code)).toEqual(['EBADF']);
    expect(at(s.signals, 0)).toMatchObject({
      signal: 'Any signal',
      error: '-EINTR',
      extra: { timing: 'during', restartable: 'true' },
    });
    expect(at(s.locks, 0)).toMatchObject({ name: 'gadget->lock', acquired: 'true', released: null });
    expect(s.notes).toBe('Poking is idempotent.');
    expect(Object.keys(s.counts)).toEqual(['error', 'signal', 'lock']);
  });
});

describe('parseMacroSpecs: lexical corners', () => {
  it('notes #ifdef inside a spec and reads both branches', () => {
    const s = only(
      spec(`KAPI_PARAM(0, "flags", "int", "Flags")
            #ifdef CONFIG_X86
              KAPI_PARAM_VALID_MASK(T_X86_MASK)
            #else
              KAPI_PARAM_VALID_MASK(T_MASK)
            #endif
            KAPI_PARAM_END`),
    );
    expect(s.unknown).toEqual([
      { text: '#ifdef CONFIG_X86', line: 3, where: 'preprocessor' },
      { text: '#else', line: 5, where: 'preprocessor' },
      { text: '#endif', line: 7, where: 'preprocessor' },
    ]);
    expect(assigned(s, 'param[0]', 'valid_mask').map((a) => a.value)).toEqual(['T_X86_MASK', 'T_MASK']);
  });

  it('concatenates adjacent strings across lines and decodes escapes', () => {
    const s = only(
      spec(`KAPI_LONG_DESC("Tab\\there, "
                     /* a comment between the pieces */
                     "quote \\"q\\", "
                     "back\\\\slash, octal \\101, hex \\x42,\\n"
                     "second line")`),
    );
    expect(s.longDescription).toBe('Tab\there, quote "q", back\\slash, octal A, hex B,\nsecond line');
  });

  it('ignores KAPI_ tokens in comments and KAPI_END_SPEC inside a string', () => {
    const s = only(
      spec(`/* KAPI_END_SPEC; KAPI_PARAM(9, "x", "int", "x") KAPI_PARAM_END */
            // KAPI_ERROR(9, -EIO, "EIO", "c", "d")
            KAPI_DESCRIPTION("Ends with KAPI_END_SPEC; really")
            KAPI_NOTES("}; KAPI_PARAM_END")`),
    );
    expect([s.description, s.notes, s.params.length, s.errors.length, s.endLine]).toEqual([
      'Ends with KAPI_END_SPEC; really',
      '}; KAPI_PARAM_END',
      0,
      0,
      6,
    ]);
  });

  it('skips the #defines of the macros themselves', () => {
    const r = parseMacroSpecs(
      '#define DEFINE_KERNEL_API_SPEC(func_name) \\\n\tstatic struct kernel_api_spec __kapi_spec_##func_name = {\n' +
        '#define KAPI_END_SPEC };\n#define DEFINE_SYSFS_API_SPEC(a) \\\n\t.name = #a,\n',
    );
    expect(r).toEqual({ value: [], issues: [] });
  });

  it('reads two specs in one file, of different kinds', () => {
    const r = parseMacroSpecs(
      `${spec('KAPI_DESCRIPTION("One")', 'sys_one')}\nint between;\n` +
        'DEFINE_SYSFS_API_SPEC(nr_things)\n  KAPI_DESCRIPTION("Two")\n  KAPI_PARAM_COUNT(1)\nKAPI_END_SPEC;\n',
      'f.c',
    );
    expect(r.issues).toEqual([]);
    expect(r.value.map((s) => [s.name, s.kind, s.description, s.line, s.endLine, s.path])).toEqual([
      ['sys_one', 'syscall', 'One', 1, 3, 'f.c'],
      ['nr_things', 'sysfs', 'Two', 6, 9, 'f.c'],
    ]);
  });

  it('calls a DEFINE_KERNEL_API_SPEC that is not sys_* a function spec', () => {
    expect(only(spec('', 'vfs_frob')).kind).toBe('function');
    expect(only(spec('', 'compat_sys_frob')).kind).toBe('syscall');
  });
});

describe('parseMacroSpecs: what it cannot read', () => {
  it('marks a spec without KAPI_END_SPEC partial and stops at SYSCALL_DEFINE', () => {
    const r = parseMacroSpecs(
      'DEFINE_KERNEL_API_SPEC(sys_cut)\n  KAPI_DESCRIPTION("Cut")\n  KAPI_ERROR_COUNT(0)\n\nSYSCALL_DEFINE0(cut)\n{\n\treturn 0;\n}\n',
    );
    expect(r.issues.map((i) => [i.code, i.severity, i.line])).toEqual([
      ['kapi-macro-unterminated', 'error', 1],
    ]);
    const s = at(r.value, 0);
    expect([s.partial, s.description, s.endLine, s.counts.error?.value]).toEqual([true, 'Cut', 3, 0]);
  });

  it('marks a spec cut off by the end of a hunk partial', () => {
    const r = parseMacroSpecs('DEFINE_KERNEL_API_SPEC(sys_cut)\n  KAPI_PARAM(0, "a", "int", "A")\n');
    expect(r.issues.map((i) => i.code)).toEqual(['kapi-macro-unterminated']);
    expect(at(r.value, 0).params.length).toBe(1);
    expect(at(r.value, 0).partial).toBe(true);
  });

  it('starts the next spec when the previous one has no end', () => {
    const r = parseMacroSpecs(`DEFINE_KERNEL_API_SPEC(sys_a)\n  KAPI_DESCRIPTION("A")\n${spec('', 'sys_b')}`);
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([['kapi-macro-unterminated', 1]]);
    expect(r.value.map((s) => [s.name, s.partial])).toEqual([
      ['sys_a', true],
      ['sys_b', false],
    ]);
  });

  it('reports unbalanced parentheses, bad argument counts and blocks left open', () => {
    const r = parseMacroSpecs(
      spec(`KAPI_PARAM(0, "a", "int", "A"
            KAPI_PARAM_END
            KAPI_ERROR(0, -EIO, "EIO")
            KAPI_LOCK(0, "l", KAPI_LOCK_MUTEX)
            KAPI_SIGNAL_END
            KAPI_SIGNAL_END
            KAPI_PARAM(1, "b", "int", "B")`),
    );
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([
      ['kapi-macro-unbalanced', 2],
      ['kapi-macro-unbalanced', 3],
      ['kapi-macro-bad-args', 4],
      ['kapi-macro-unbalanced', 7],
      ['kapi-macro-unbalanced', 9],
    ]);
    const s = at(r.value, 0);
    expect(s.partial).toBe(true);
    expect(s.unknown).toEqual([{ text: 'KAPI_SIGNAL_END closes lock[0]', line: 6, where: 'misplaced' }]);
  });

  it("reports a stray '}' that closes no block, and reads on", () => {
    const r = parseMacroSpecs(
      spec('KAPI_PARAM(0, "a", "int", "A")\nKAPI_PARAM_END\n},\nKAPI_ERROR_COUNT(0)'),
    );
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([['kapi-macro-unbalanced', 4]]);
    expect(at(r.value, 0).counts.error?.value).toBe(0);
    expect(at(r.value, 0).endLine).toBe(6);
  });

  it('sums up a flood of issues in one spec', () => {
    const r = parseMacroSpecs(spec('KAPI_PARAM_END\n'.repeat(30)));
    expect(r.issues).toHaveLength(21);
    expect(r.issues.slice(19).map((i) => [i.code, i.severity])).toEqual([
      ['kapi-macro-unbalanced', 'warning'],
      ['kapi-macro-too-many-issues', 'info'],
    ]);
  });

  it('is not fooled by names of Object.prototype', () => {
    const s = only(
      spec(`__proto__ constructor(1) toString
            KAPI_SIGNAL(0, SIGINT, "SIGINT", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_RETURN)
              .__proto__ = 1,
              .hasOwnProperty = 2,
            KAPI_SIGNAL_END
            .constructor = 3,`),
    );
    expect(at(s.signals, 0).extra).toEqual({ hasOwnProperty: '2' });
    expect(s.unknown.map((u) => u.text)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(tokenizeC('(\u02bd').value.map((t) => t.kind)).toEqual(['punct', 'other']);
  });

  it('reports an unterminated string inside a spec but not outside', () => {
    const r = parseMacroSpecs(`char *s = "open;\n${spec('KAPI_DESCRIPTION("broken)\nKAPI_NOTES("fine")')}`);
    // the unclosed string swallows the ')' of KAPI_DESCRIPTION; KAPI_NOTES on the next line is read
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([
      ['kapi-macro-unbalanced', 3],
      ['c-unterminated-string', 3],
    ]);
    const s = at(r.value, 0);
    expect([s.partial, s.description, s.notes, s.endLine]).toEqual([true, null, 'fine', 5]);
  });

  it('keeps unknown macros and constants as facts, not issues', () => {
    const s = only(
      spec(`KAPI_FROBNICATE("x")
            KAPI_CONTEXT(KAPI_CTX_PROCESS | KAPI_CTX_WARP)
            KAPI_PARAM(0, "a", "int", "A")
              KAPI_PARAM_TYPE(KAPI_TYPE_QUUX)
              KAPI_PARAM_FLAGS(KAPI_PARAM_IN | 8)
              KAPI_LOCK_DESC("In a param")
              KAPI_PARAM_VALID_MASK(KAPI_MASK_ALL)
            KAPI_PARAM_END
            KAPI_LOCK_ACQUIRED
            stray_token`),
    );
    expect(s.contexts).toEqual(['process', 'KAPI_CTX_WARP']);
    expect(at(s.params, 0)).toMatchObject({
      type: 'KAPI_TYPE_QUUX',
      flags: ['in', '8'],
      description: 'In a param',
    });
    expect(s.unknown).toEqual([
      { text: 'KAPI_FROBNICATE', line: 2, where: 'macro' },
      { text: 'KAPI_CTX_WARP', line: 3, where: 'constant' },
      { text: 'KAPI_TYPE_QUUX', line: 5, where: 'constant' },
      { text: '8', line: 6, where: 'constant' },
      { text: 'KAPI_LOCK_DESC in param[0]', line: 7, where: 'misplaced' },
      { text: 'KAPI_MASK_ALL', line: 8, where: 'constant' },
      { text: 'KAPI_LOCK_ACQUIRED in spec', line: 10, where: 'misplaced' },
      { text: 'stray_token', line: 11, where: 'token' },
    ]);
  });
});

describe('parseMacroSpecs: robustness', () => {
  const frob = fixture('frob.macro.c');

  it('never throws on truncations and mutations of frob.macro.c', () => {
    const pieces = [
      '(',
      ')',
      '{',
      '}',
      ',',
      ';',
      '"',
      "'",
      '/*',
      '*/',
      '\\\n',
      '#if X\n',
      'KAPI_PARAM_END',
      'KAPI_END_SPEC',
    ];
    fc.assert(
      fc.property(
        fc.nat(frob.length),
        fc.array(
          fc.tuple(fc.nat(frob.length), fc.nat(40), fc.oneof(fc.constantFrom(...pieces), fc.string())),
          {
            maxLength: 6,
          },
        ),
        (cut, edits) => {
          let text = frob.slice(0, cut);
          for (const [pos, del, ins] of edits) {
            const p = Math.min(pos, text.length);
            text = text.slice(0, p) + ins + text.slice(p + del);
          }
          const r = parseMacroSpecs(text, 'm.c');
          for (const s of r.value) {
            expect(s.endLine).toBeGreaterThanOrEqual(s.line);
            expect(s.form).toBe('macro');
          }
          for (const i of r.issues) expect(i.code).toMatch(/^(kapi-macro-|c-unterminated-)/);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never throws on arbitrary text after an opener', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (tail) => {
        const r = parseMacroSpecs(`DEFINE_KERNEL_API_SPEC(sys_x)\n${tail}`);
        expect(r.value.length).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('parses a 2 MB file in well under a second', () => {
    const body = frob.replace(/sys_frob/g, 'sys_frobN');
    const parts: string[] = [];
    let size = 0;
    for (let n = 0; size < 2_000_000; n++) {
      const piece = body.replace(/sys_frobN/g, `sys_frob${n}`);
      parts.push(piece);
      size += piece.length;
    }
    const text = parts.join('\n');
    // best of two, so a cold JIT or a busy machine does not decide
    let ms = Number.POSITIVE_INFINITY;
    let r = parseMacroSpecs('', 'big.c');
    for (let k = 0; k < 2; k++) {
      const t0 = performance.now();
      r = parseMacroSpecs(text, 'big.c');
      ms = Math.min(ms, performance.now() - t0);
    }
    expect(r.issues).toEqual([]);
    expect(r.value.length).toBe(parts.length);
    expect(ms).toBeLessThan(1000);
  });
});

describe('parseMacroSpecs: openers in comments and #defines', () => {
  it('finds no spec where the opener is only documented or defined', () => {
    const header = [
      '/**',
      ' * DEFINE_KERNEL_API_SPEC - Define a kernel API specification',
      ' */',
      '#define DEFINE_KERNEL_API_SPEC(func_name) \\',
      '\tstatic struct kernel_api_spec __kapi_spec_##func_name = {',
      '// DEFINE_KAPI_IOCTL_SPEC(x) is the ioctl variant',
    ].join('\n');
    expect(parseMacroSpecs(header, 'h.h')).toEqual({ value: [], issues: [] });
  });

  it('still finds a spec after an inline comment on its line', () => {
    const text =
      '/* hand-written */ DEFINE_KERNEL_API_SPEC(sys_x)\n\tKAPI_DESCRIPTION("x")\nKAPI_END_SPEC;\n';
    expect(parseMacroSpecs(text, 'x.c').value.map((s) => s.name)).toEqual(['sys_x']);
  });
});
