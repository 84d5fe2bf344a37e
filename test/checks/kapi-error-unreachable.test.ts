import { describe, expect, it } from 'vitest';
import { opaqueReturn } from '../../checks/rules/kapi-error-unreachable.js';
import { edit, fixture, tableTest } from './harness.js';
import {
  FORMS,
  type FormName,
  lineOf,
  MLOCK,
  MLOCKALL,
  MUNLOCKALL,
  type SpecInput,
  withSpec,
} from './spec-texts.js';

const ID = 'kapi-error-unreachable';
const mlock = fixture('c/mlock-shapes.c');
const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');

const spec = (s: SpecInput, form: FormName): string => FORMS[form](s);
const munlockall = (form: FormName, s: SpecInput = MUNLOCKALL, src = mlock): string =>
  withSpec(src, 'SYSCALL_DEFINE0(munlockall)', spec(s, form));
const mlockall = (form: FormName, s: SpecInput = MLOCKALL): string =>
  withSpec(mlock, 'SYSCALL_DEFINE1(mlockall,', spec(s, form));
/** munlockall's spec without its (unreachable) ENOMEM, plus `rows`. */
const munlockallWith = (...rows: SpecInput['errors']): SpecInput => ({
  ...MUNLOCKALL,
  errors: [MUNLOCKALL.errors[0] as SpecInput['errors'][number], ...rows],
});
const EINTR_ONLY = munlockallWith();

/** munlockall's body with one edit. */
const munlockallBody = (
  from: string,
  to: string,
  s: SpecInput = MUNLOCKALL,
  form: FormName = 'kd3',
): string => munlockall(form, s, edit(mlock, from, to));

/** An mlock in miniature whose error set is exact: the POSIX translation turns -EFAULT into -ENOMEM. */
const PIN = `static int pin_range(unsigned long start, size_t len)
{
	if (!len)
		return 0;
	if (start & 1)
		return -EFAULT;
	return pages_busy(start, len) ? -ENOMEM : 0;
}

static int posix_error(int err)
{
	if (err == -EFAULT)
		err = -ENOMEM;
	else if (err == -ENOMEM)
		err = -EAGAIN;
	return err;
}

SYSCALL_DEFINE2(pin, unsigned long, start, size_t, len)
{
	int err = pin_range(start, len);

	return err ? posix_error(err) : 0;
}
`;
const PIN_SPEC: SpecInput = {
  name: 'sys_pin',
  summary: 'Pin a range',
  errors: [
    ['ENOMEM', 'the range is not mapped', 'POSIX calls an unmapped range ENOMEM.'],
    ['EAGAIN', 'pages are busy', 'Try again later.'],
    ['EFAULT', 'the range is not accessible', 'The range could not be faulted in.'],
  ],
};
const pin = (form: FormName): string => withSpec(PIN, 'SYSCALL_DEFINE2(pin,', spec(PIN_SPEC, form));

/**
 * mlock's shape with an open set: the pages are populated outside the file, and what that returns
 * passes the POSIX translation, which turns every -EFAULT into -ENOMEM. EFAULT is excluded on the
 * only open path, and nothing in the file returns it.
 */
const POPULATE = `static int mark_range(unsigned long start, size_t len)
{
	if (start & 1)
		return -EINVAL;
	return range_busy(start, len) ? -ENOMEM : 0;
}

static int posix_error(long retval)
{
	if (retval == -EFAULT)
		retval = -ENOMEM;
	else if (retval == -ENOMEM)
		retval = -EAGAIN;
	return retval;
}

static int do_pin(unsigned long start, size_t len)
{
	int error = mark_range(start, len);

	if (error)
		return error;
	error = populate_range(start, len, 0);
	if (error)
		return posix_error(error);
	return 0;
}

SYSCALL_DEFINE2(pin, unsigned long, start, size_t, len)
{
	return do_pin(start, len);
}
`;
const populate = (form: FormName, src = POPULATE, s: SpecInput = PIN_SPEC): string =>
  withSpec(src, 'SYSCALL_DEFINE2(pin,', spec(s, form));
/** POPULATE where the range helper also returns a value from outside the file, untranslated. */
const UNTRANSLATED = edit(
  POPULATE,
  '\tif (start & 1)\n\t\treturn -EINVAL;\n',
  '\tif (start & 1)\n\t\treturn -EINVAL;\n\tif (start & 2)\n\t\treturn split_range(start, len);\n',
);
/** mlock-shapes.c without its other open path (vma_modify_flags(), untranslated): only __mm_populate() is open. */
const mlockPopulateOnly = (form: FormName): string =>
  withSpec(
    edit(mlock, '\t\trc = PTR_ERR(merged);', '\t\trc = -ENOMEM;'),
    'SYSCALL_DEFINE2(mlock,',
    spec(MLOCK, form),
  );

/** frob in the kerneldoc forms returns exactly what it documents; `busy` adds an EBUSY entry. */
const kdBusy = (text: string, form: 'kd1' | 'kd2'): string =>
  form === 'kd1'
    ? edit(
        text,
        ' * lock: frob_lock',
        ' * error-code: -EBUSY, EBUSY, frob_lock is contended,\n *   Another frobnication is running.\n * lock: frob_lock',
      )
    : edit(
        text,
        ' * lock: frob_lock',
        ' * error: EBUSY, frob_lock is contended\n *   desc: Another frobnication is running.\n * lock: frob_lock',
      );

/** The mission's patch: munlockall gains `return -EINVAL;`. */
const withEinval = (text: string): string =>
  edit(
    text,
    '\tret = set_all_lock_bits(0);',
    '\tif (!current->mm)\n\t\treturn -EINVAL;\n\tret = set_all_lock_bits(0);',
  );
const EINVAL_ROW: SpecInput['errors'][number] = [
  'EINVAL',
  'the caller has no mm',
  'Kernel threads cannot unlock.',
];

tableTest('kapi-error-unreachable', {
  valid: [
    {
      name: 'end to end: the patch adds the `return -EINVAL;` the macro spec already listed',
      pre: munlockall('macro', munlockallWith(EINVAL_ROW)),
      text: withEinval(munlockall('macro', munlockallWith(EINVAL_ROW))),
    },
    {
      name: 'end to end, gen 3: the same',
      pre: munlockall('kd3', munlockallWith(EINVAL_ROW)),
      text: withEinval(munlockall('kd3', munlockallWith(EINVAL_ROW))),
    },
    { name: 'macro form: frob_range() is outside the file, so the set is not exact', text: macro },
    { name: 'kerneldoc gen 1: every documented errno is returned', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    {
      name: 'mlock documents EFAULT, which the translation removes from __mm_populate(), but vma_modify_flags() (also outside the file) reaches the return untranslated',
      text: withSpec(mlock, 'SYSCALL_DEFINE2(mlock,', spec(MLOCK, 'kd3')),
    },
    {
      name: 'open set: another value from outside the file reaches the return without the translation',
      text: populate('macro', UNTRANSLATED),
    },
    {
      name: 'open set, gen 3: the same',
      text: populate('kd3', UNTRANSLATED),
    },
    {
      name: 'open set: the translation is applied on one branch only',
      text: populate(
        'macro',
        edit(
          POPULATE,
          '\tif (error)\n\t\treturn posix_error(error);',
          '\tif (error > 1)\n\t\treturn error;\n\tif (error)\n\t\treturn posix_error(error);',
        ),
      ),
    },
    {
      name: 'open set: EINTR turned away, but the value from outside may be -ERESTARTSYS (seen as EINTR)',
      text: populate(
        'macro',
        edit(
          POPULATE,
          '\tif (retval == -EFAULT)',
          '\tif (retval == -EINTR)\n\t\tretval = -EAGAIN;\n\telse if (retval == -EFAULT)',
        ),
        {
          ...PIN_SPEC,
          errors: [
            ...PIN_SPEC.errors.filter((e) => e[0] !== 'EFAULT'),
            ['EINTR', 'a signal', 'Interrupted.'],
          ],
        },
      ),
    },
    {
      name: 'open set: the translated value is read from a struct field, which the guard does not follow',
      text: populate(
        'macro',
        edit(POPULATE, '\terror = populate_range(start, len, 0);', '\terror = current->pin_error;'),
      ),
    },
    { name: 'munlockall documenting only EINTR (macro)', text: munlockall('macro', EINTR_ONLY) },
    { name: 'without a tree (hunks only) there are no code facts', text: mlockall('macro'), hunksOnly: true },
    { name: 'gen 3 without a tree', text: munlockall('kd3'), hunksOnly: true },
    {
      name: 'EINTR documented, the code returns -ERESTARTSYS (seen as EINTR)',
      text: munlockallBody(
        '\tif (mmap_write_lock_killable(current->mm))\n\t\treturn -EINTR;\n\tret = set_all_lock_bits(0);',
        '\tif (mmap_write_lock_killable(current->mm))\n\t\treturn -ERESTARTSYS;\n\tret = set_all_lock_bits(0);',
        EINTR_ONLY,
      ),
    },
    {
      name: 'ENOSYS comes from the syscall table, not the function',
      text: munlockall('kd2', munlockallWith(['ENOSYS', 'not built in', 'CONFIG_MMU is off.'])),
    },
    {
      name: 'EINVAL with constrained params: the KAPI runtime validator returns it',
      text: edit(kd3, '\tif (start & ~PAGE_MASK)\n\t\treturn -EINVAL;\n', ''),
    },
    {
      name: 'an alias documented: EWOULDBLOCK is the EAGAIN the code returns',
      text: munlockallBody(
        '\tret = set_all_lock_bits(0);',
        '\tif (mm_busy(current->mm))\n\t\treturn -EAGAIN;\n\tret = set_all_lock_bits(0);',
        munlockallWith(['EWOULDBLOCK', 'the mm is busy', 'Try again.']),
        'macro',
      ),
    },
    {
      name: 'kernel-internal codes documented are not judged',
      text: munlockall('kd1', munlockallWith(['ERESTARTSYS', 'signal', 'Restarted.'])),
    },
    {
      name: 'EOPNOTSUPP documented while the code leaks ENOTSUPP: a leak, not a spec error',
      text: munlockallBody(
        '\tret = set_all_lock_bits(0);',
        '\tif (!mm_lockable(current->mm))\n\t\treturn -ENOTSUPP;\n\tret = set_all_lock_bits(0);',
        munlockallWith(['EOPNOTSUPP', 'no locking here', 'Not supported.']),
      ),
    },
    {
      name: 'a return value read from a struct field is not followed by the analysis',
      text: munlockallBody('\tret = set_all_lock_bits(0);', '\tret = current->mm->lock_error;'),
    },
    {
      name: 'a return value written through an out-parameter',
      text: munlockall(
        'macro',
        MUNLOCKALL,
        edit(
          edit(mlock, '\tret = set_all_lock_bits(0);', '\tret = 0;\n\tnote_lock_error(current->mm, &ret);'),
          'SYSCALL_DEFINE0(munlockall)',
          'static void note_lock_error(struct mm_struct *mm, int *err)\n{\n\tif (mm->locked_vm)\n\t\t*err = -ENOMEM;\n}\n\nSYSCALL_DEFINE0(munlockall)',
        ),
      ),
    },
    {
      name: 'a helper returning an object-like macro (which may expand to an errno)',
      text: munlockallBody('out:\n\treturn 0;\n}', 'out:\n\treturn MLOCK_RESULT;\n}'),
    },
    {
      name: 'a body the C parser could not read',
      text: munlockallBody(
        '\tret = set_all_lock_bits(0);',
        '\tweird_macro(0) @@ [[ garbage ;\n\tret = set_all_lock_bits(0);',
      ),
    },
    {
      name: 'a spec the parser could read only in part',
      text: munlockall('macro').replace('\tKAPI_RETURN_END\n', ''),
    },
  ],
  invalid: [
    {
      name: 'end to end: before the patch EINVAL was unreachable; with it, only ENOMEM is (macro)',
      pre: munlockall('macro', { ...MUNLOCKALL, errors: [...MUNLOCKALL.errors, EINVAL_ROW] }),
      text: withEinval(munlockall('macro', { ...MUNLOCKALL, errors: [...MUNLOCKALL.errors, EINVAL_ROW] })),
      errors: [
        {
          line: lineOf(munlockall('macro'), 'KAPI_ERROR(1, -ENOMEM'),
          severity: 'warning',
          subject: 'ENOMEM',
          message: /it returns only -EINTR, -EINVAL\)$/,
        },
      ],
    },
    {
      name: 'end to end in gen 3: the patch does not touch the spec, the finding stays on its line',
      pre: munlockall('kd3'),
      text: withEinval(munlockall('kd3')),
      errors: [{ line: lineOf(munlockall('kd3'), 'error: ENOMEM'), severity: 'warning', subject: 'ENOMEM' }],
    },
    {
      name: 'mlockall documents EAGAIN, which it cannot return (macro form)',
      text: mlockall('macro'),
      errors: [
        {
          line: lineOf(mlockall('macro'), 'KAPI_ERROR(4, -EAGAIN'),
          severity: 'warning',
          spec: 'sys_mlockall',
          subject: 'EAGAIN',
          message:
            /^sys_mlockall lists EAGAIN, but sys_mlockall\(\) can never return it \(it returns only -EINTR, -EINVAL, -ENOMEM, -EPERM\)$/,
          evidence: ['KAPI_ERROR(4, -EAGAIN', 'SYSCALL_DEFINE1(mlockall, int, flags)', 'ret = -ENOMEM;'],
        },
      ],
    },
    {
      name: 'mlockall in kerneldoc gen 2',
      text: mlockall('kd2'),
      errors: [{ line: lineOf(mlockall('kd2'), 'error: EAGAIN'), subject: 'EAGAIN' }],
    },
    {
      name: 'munlockall documents ENOMEM but returns only EINTR (gen 3)',
      text: munlockall('kd3'),
      errors: [
        {
          line: lineOf(munlockall('kd3'), 'error: ENOMEM'),
          subject: 'ENOMEM',
          message:
            /^sys_munlockall lists ENOMEM, but sys_munlockall\(\) can never return it \(it returns only -EINTR\)$/,
          evidence: ['error: ENOMEM', 'SYSCALL_DEFINE0(munlockall)', 'return -EINTR;'],
        },
      ],
    },
    {
      name: 'munlockall in kerneldoc gen 1',
      text: munlockall('kd1'),
      errors: [{ line: lineOf(munlockall('kd1'), 'error-code: -ENOMEM'), subject: 'ENOMEM' }],
    },
    {
      name: 'EINVAL without constrained params is judged like any errno',
      text: munlockall('macro', munlockallWith(['EINVAL', 'bad call', 'Never.'])),
      errors: [{ subject: 'EINVAL' }],
    },
    {
      name: 'the errno is translated away: the translation line is the evidence (macro)',
      text: pin('macro'),
      errors: [
        {
          line: lineOf(pin('macro'), 'KAPI_ERROR(2, -EFAULT'),
          subject: 'EFAULT',
          message:
            /^sys_pin lists EFAULT, but sys_pin\(\) can never return it: -EFAULT is tested for and replaced \(line \d+\); it returns only -EAGAIN, -ENOMEM$/,
          evidence: [
            'KAPI_ERROR(2, -EFAULT',
            'SYSCALL_DEFINE2(pin,',
            'return -EFAULT;',
            'if (err == -EFAULT)',
          ],
        },
      ],
    },
    {
      name: 'translated away, in gen 3',
      text: pin('kd3'),
      errors: [
        { line: lineOf(pin('kd3'), 'error: EFAULT'), subject: 'EFAULT', message: /tested for and replaced/ },
      ],
    },
    {
      name: 'open set: every value from outside the file passes the POSIX translation of -EFAULT (macro)',
      text: populate('macro'),
      errors: [
        {
          line: lineOf(populate('macro'), 'KAPI_ERROR(2, -EFAULT'),
          severity: 'warning',
          spec: 'sys_pin',
          subject: 'EFAULT',
          message: new RegExp(
            `^sys_pin lists EFAULT, but sys_pin\\(\\) can never return it: what it returns from populate_range\\(\\) passes a test that turns -EFAULT away \\(line ${lineOf(populate('macro'), 'if (retval == -EFAULT)')}\\), and no code in this file returns it$`,
          ),
          evidence: [
            'KAPI_ERROR(2, -EFAULT',
            'SYSCALL_DEFINE2(pin,',
            'if (retval == -EFAULT)',
            'return posix_error(error);',
            'return do_pin(start, len);',
          ],
        },
      ],
    },
    {
      name: 'open set, gen 3',
      text: populate('kd3'),
      errors: [
        { line: lineOf(populate('kd3'), 'error: EFAULT'), subject: 'EFAULT', message: /turns -EFAULT away/ },
      ],
    },
    {
      name: 'open set, kerneldoc gen 1',
      text: populate('kd1'),
      errors: [{ line: lineOf(populate('kd1'), 'error-code: -EFAULT'), subject: 'EFAULT' }],
    },
    {
      name: 'open set: the translation written inline (`if (error == -EFAULT) return -ENOMEM;`)',
      text: populate(
        'macro',
        edit(
          POPULATE,
          '\tif (error)\n\t\treturn posix_error(error);\n\treturn 0;',
          '\tif (error == -EFAULT)\n\t\treturn -ENOMEM;\n\tif (error == -ENOMEM)\n\t\treturn -EAGAIN;\n\treturn error;',
        ),
      ),
      errors: [{ subject: 'EFAULT', evidence: ['KAPI_ERROR(2, -EFAULT', 'if (error == -EFAULT)'] }],
    },
    {
      name: 'mlock-shapes.c with __mm_populate() its only open path: EFAULT is reported (gen 3)',
      text: mlockPopulateOnly('kd3'),
      errors: [
        {
          line: lineOf(mlockPopulateOnly('kd3'), 'error: EFAULT'),
          subject: 'EFAULT',
          message: /what it returns from __mm_populate\(\) passes a test that turns -EFAULT away/,
          evidence: [
            'error: EFAULT',
            'SYSCALL_DEFINE2(mlock,',
            'if (code == -EFAULT)',
            'return posix_lock_error(err);',
            'return lock_user_range(start, len, VM_LOCKED);',
          ],
        },
      ],
    },
    {
      name: 'an errno produced where its value is dropped',
      text: munlockallBody(
        '\tret = set_all_lock_bits(0);',
        '\tret = set_all_lock_bits(0);\n\tif (ret)\n\t\tret = -ENOMEM;\n\tret = 0;',
      ),
      errors: [{ subject: 'ENOMEM', message: /-ENOMEM \(line \d+\) does not reach its return value/ }],
    },
    {
      name: 'kerneldoc gen 1: frob documents EBUSY it never returns',
      text: kdBusy(kd1, 'kd1'),
      errors: [{ line: lineOf(kdBusy(kd1, 'kd1'), 'error-code: -EBUSY'), subject: 'EBUSY' }],
    },
    {
      name: 'kerneldoc gen 2: the same',
      text: kdBusy(kd2, 'kd2'),
      errors: [{ line: lineOf(kdBusy(kd2, 'kd2'), 'error: EBUSY'), subject: 'EBUSY' }],
    },
    {
      name: 'an errno listed twice is one finding, with both entries as evidence',
      text: munlockall('kd3', munlockallWith(['EBUSY', 'a', 'A.'], ['EBUSY', 'b', 'B.'])),
      errors: [{ subject: 'EBUSY', evidence: ['error: EBUSY, a', 'error: EBUSY, b'] }],
    },
  ],
});

describe(`${ID}: the guard for values the analysis does not follow`, () => {
  const cases: [string, boolean][] = [
    ['return -EINVAL;', false],
    ['return err ? posix_error(err) : 0;', false],
    ['return copy_to_user(p, &x.y, 4) ? -EFAULT : 0;', false],
    ['return ctx->err;', true],
    ['return ctx.err;', true],
    ['return *errp;', true],
    ['int ret;\nret = data->status;\nreturn ret;', true],
    ['int ret;\nret = (int)data->status;\nreturn ret;', true],
    ['int ret = 0;\nfill(&ret);\nreturn ret;', true],
    ['int ret = 0;\nif (a && ret)\n\tret = -EIO;\nreturn ret;', false],
    ['return MY_ERROR;', true],
    ['return NULL;', false],
    ['int ret = helper(a->b);\nreturn ret;', false],
  ];
  for (const [code, opaque] of cases)
    it(`${JSON.stringify(code)} is ${opaque ? '' : 'not '}opaque`, () => {
      expect(opaqueReturn(code.split('\n'))).toBe(opaque);
    });
});
