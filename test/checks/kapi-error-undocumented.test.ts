import { describe, expect, it } from 'vitest';
import { parseKerneldocSpecs } from '../../parsers/kapi/kerneldoc.js';
import { parseMacroSpecs } from '../../parsers/kapi/macro.js';
import { edit, findingsOf, fixture, tableTest } from './harness.js';
import { FORMS, type FormName, lineOf, MLOCK, MUNLOCKALL, withSpec } from './spec-texts.js';

const ID = 'kapi-error-undocumented';
const mlock = fixture('c/mlock-shapes.c');
const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');

/** mlock-shapes.c with a munlockall spec in one form. */
const munlockall = (form: FormName): string =>
  withSpec(mlock, 'SYSCALL_DEFINE0(munlockall)', FORMS[form](MUNLOCKALL));
/** The patch the mission is about: munlockall gains `return -EINVAL;`. */
const NEW_EINVAL = [
  '\tret = set_all_lock_bits(0);',
  '\tif (!current->mm)\n\t\treturn -EINVAL;\n\tret = set_all_lock_bits(0);',
];
const withEinval = (text: string): string => edit(text, NEW_EINVAL[0] as string, NEW_EINVAL[1] as string);
const einvalLine = (text: string): number =>
  lineOf(text, 'return -EINVAL;', lineOf(text, 'SYSCALL_DEFINE0(munlockall)'));

/** sys_frob gains an -EBUSY return its spec does not list (frob's body is the same in every form). */
const FROB_BUSY: [string, string] = [
  '\tif (!capable(CAP_SYS_ADMIN))',
  '\tif (frob_busy())\n\t\treturn -EBUSY;\n\tif (!capable(CAP_SYS_ADMIN))',
];
const busy = (text: string): string => edit(text, FROB_BUSY[0], FROB_BUSY[1]);

const macroMunlockall = munlockall('macro');
const kd3Munlockall = munlockall('kd3');
const mlockSpec = (form: FormName): string => withSpec(mlock, 'SYSCALL_DEFINE2(mlock,', FORMS[form](MLOCK));

tableTest('kapi-error-undocumented', {
  valid: [
    { name: 'macro form: every errno is documented', text: macro },
    { name: 'kerneldoc gen 1: every errno is documented', text: kd1 },
    { name: 'kerneldoc gen 2: every errno is documented', text: kd2 },
    { name: 'kerneldoc gen 3: every errno is documented', text: kd3 },
    { name: 'macro: munlockall documents EINTR, all it returns', text: macroMunlockall },
    { name: 'kerneldoc gen 3: munlockall', text: kd3Munlockall },
    {
      name: 'without a tree (hunks only) there are no code facts',
      pre: macroMunlockall,
      text: withEinval(macroMunlockall),
      hunksOnly: true,
    },
    {
      name: 'kerneldoc gen 3 without a tree',
      pre: kd3,
      text: busy(kd3),
      hunksOnly: true,
    },
    {
      name: 'a syscall without a spec is not this check’s business',
      pre: mlock,
      text: withEinval(mlock),
    },
    {
      name: 'an alias is the same errno: -EWOULDBLOCK documented as EAGAIN',
      text: edit(
        edit(
          kd3,
          'error: EINTR,',
          'error: EAGAIN, frob_lock is contended\n *   desc: Try again.\n *\n * error: EINTR,',
        ),
        FROB_BUSY[0],
        `\tif (frob_busy())\n\t\treturn -EWOULDBLOCK;\n${FROB_BUSY[0]}`,
      ),
    },
    {
      name: 'ERESTARTSYS is not asked for, nor EINTR on its account',
      text: edit(
        macroMunlockall,
        '\tret = set_all_lock_bits(0);',
        '\tif (signal_pending(current))\n\t\treturn -ERESTARTSYS;\n\tret = set_all_lock_bits(0);',
      ),
    },
    {
      name: 'other kernel-internal codes (ENOIOCTLCMD, ENOTSUPP) are not asked for',
      text: edit(
        kd2,
        FROB_BUSY[0],
        `\tif (a())\n\t\treturn -ENOIOCTLCMD;\n\tif (b())\n\t\treturn -ENOTSUPP;\n${FROB_BUSY[0]}`,
      ),
    },
    {
      name: 'an error entry with a code that is no errno name: the documented set is unknown',
      text: busy(
        edit(
          macro,
          '\tKAPI_ERROR_COUNT(4)',
          '\tKAPI_ERROR(4, FROB_ERR_BUSY, "FROB_ERR_BUSY", "busy", "Busy")\n\tKAPI_ERROR_COUNT(5)',
        ),
      ),
    },
    {
      name: 'a return block that points to an error array we cannot see',
      text: busy(
        edit(
          macro,
          '\t\tKAPI_RETURN_SUCCESS(0)',
          '\t\tKAPI_RETURN_SUCCESS(0)\n\t\tKAPI_RETURN_ERROR_VALUES(frob_errors)',
        ),
      ),
    },
    {
      name: 'a return block listing the errno (KAPI_RETURN_ERROR_VALUES) documents it',
      text: busy(
        edit(
          macro,
          '\t\tKAPI_RETURN_SUCCESS(0)',
          '\t\tKAPI_RETURN_SUCCESS(0)\n\t\tKAPI_RETURN_ERROR_VALUES(((const s64[]){-EBUSY, -EINVAL}))',
        ),
      ),
    },
    {
      name: 'a spec the parser could read only in part (unbalanced macros)',
      text: busy(
        edit(
          macro,
          '\t\tKAPI_PARAM_ALIGNMENT(PAGE_SIZE)\n\tKAPI_PARAM_END\n',
          '\t\tKAPI_PARAM_ALIGNMENT(PAGE_SIZE)\n',
        ),
      ),
    },
    {
      name: 'a syscall body the C parser could not read: its errnos may be translated in what it missed',
      text: edit(
        busy(kd1),
        '\tfrob_pages(start, len);',
        '\tweird_macro(start) @@ [[ garbage ;\n\tfrob_pages(start, len);',
      ),
    },
    {
      name: 'an errno passed up through a helper the C parser could not read',
      text: edit(
        edit(
          kd3,
          '\tif (!capable(CAP_SYS_ADMIN))',
          '\tif (frob_check(start))\n\t\treturn frob_check(start);\n\tif (!capable(CAP_SYS_ADMIN))',
        ),
        '/**\n * sys_frob',
        'static int frob_check(unsigned long start)\n{\n\tif (start == 1)\n\t\treturn -EBUSY;\n\tweird_macro(start) @@ [[ garbage ;\n\treturn 0;\n}\n\n/**\n * sys_frob',
      ),
    },
  ],
  invalid: [
    {
      name: 'the mission: a patch adds `return -EINVAL;` to munlockall (macro form)',
      pre: macroMunlockall,
      text: withEinval(macroMunlockall),
      errors: [
        {
          line: einvalLine(withEinval(macroMunlockall)),
          severity: 'error',
          spec: 'sys_munlockall',
          subject: 'EINVAL',
          message: /^sys_munlockall can return -EINVAL here, but its spec does not list EINVAL$/,
          evidence: ['DEFINE_KERNEL_API_SPEC(sys_munlockall)', 'KAPI_ERROR(1, -ENOMEM', 'return -EINVAL;'],
          suggestion: '\tKAPI_ERROR(2, -EINVAL, "EINVAL", "TODO: condition", "TODO: description")',
        },
      ],
    },
    {
      name: 'the mission in kerneldoc gen 3',
      pre: kd3Munlockall,
      text: withEinval(kd3Munlockall),
      errors: [
        {
          line: einvalLine(withEinval(kd3Munlockall)),
          severity: 'error',
          subject: 'EINVAL',
          evidence: [' sys_munlockall - Unlock', 'error: ENOMEM', 'return -EINVAL;'],
          suggestion: ' * error: EINVAL, TODO: condition\n *   desc: TODO: description',
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: an errno the patch did not add is a warning (the spec was incomplete)',
      pre: busy(edit(kd1, 'Frobnicate a range of memory', 'Frobnicate memory')),
      text: busy(kd1),
      errors: [
        {
          line: lineOf(busy(kd1), 'return -EBUSY;'),
          severity: 'warning',
          subject: 'EBUSY',
          evidence: ['sys_frob - Frobnicate', 'error-code: -EINTR', 'return -EBUSY;'],
          suggestion: ' * error-code: -EBUSY, EBUSY, TODO: condition,\n *   TODO: description',
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: a new errno',
      pre: kd2,
      text: busy(kd2),
      errors: [
        {
          line: lineOf(busy(kd2), 'return -EBUSY;'),
          severity: 'error',
          subject: 'EBUSY',
          suggestion: ' * error: EBUSY, TODO: condition\n *   desc: TODO: description',
        },
      ],
    },
    {
      name: 'macro form, raw initializers: the next index follows the highest one',
      text: `${fixture('kapi/gizmo-raw.macro.c')}
SYSCALL_DEFINE1(gizmo, int, level)
{
	if (level > GIZMO_MAX)
		return -EINVAL;
	if (gizmo_busy())
		return -EAGAIN;
	return 0;
}
`,
      errors: [
        {
          subject: 'EAGAIN',
          suggestion: '\tKAPI_ERROR(2, -EAGAIN, "EAGAIN", "TODO: condition", "TODO: description")',
        },
      ],
    },
    {
      name: 'an errno from a helper: located where it is written, with the whole chain (gen 3)',
      text: mlockSpec('kd3'),
      errors: [
        {
          line: lineOf(mlock, 'return -EINVAL;'),
          subject: 'EINVAL',
          message:
            /^sys_mlock can return -EINVAL from set_range_lock_bits\(\) through lock_user_range\(\), but its spec does not list EINVAL$/,
          evidence: [
            'error: EFAULT',
            'return -EINVAL;',
            'err = set_range_lock_bits(addr, size, bits);',
            'return lock_user_range(start, len, VM_LOCKED);',
          ],
        },
      ],
    },
    {
      name: 'a helper errno in the macro form; a whole new file is all added lines',
      text: mlockSpec('macro'),
      errors: [{ line: lineOf(mlock, 'return -EINVAL;'), subject: 'EINVAL', severity: 'error' }],
    },
    {
      name: 'an alias as written: -EWOULDBLOCK is reported as EAGAIN',
      pre: kd3,
      text: edit(kd3, FROB_BUSY[0], `\tif (frob_busy())\n\t\treturn -EWOULDBLOCK;\n${FROB_BUSY[0]}`),
      errors: [
        {
          subject: 'EAGAIN',
          message: /can return -EWOULDBLOCK \(EAGAIN\) here, but its spec does not list EAGAIN/,
        },
      ],
    },
  ],
});

describe(`${ID}: suggestions parse back`, () => {
  const parse = (text: string) => [
    ...parseMacroSpecs(text, 'x.c').value,
    ...parseKerneldocSpecs(text, 'x.c').value,
  ];
  const cases: [string, string][] = [
    ['macro', busy(macro)],
    ['kerneldoc gen 1', busy(kd1)],
    ['kerneldoc gen 2', busy(kd2)],
    ['kerneldoc gen 3', busy(kd3)],
    ['macro munlockall', withEinval(macroMunlockall)],
    ['kerneldoc gen 3 munlockall', withEinval(kd3Munlockall)],
  ];
  for (const [name, text] of cases)
    it(`${name}: the suggested entry, put in the spec, documents the errno and silences the check`, async () => {
      const [f] = await findingsOf(ID, { text });
      if (!f?.suggestion) throw new Error('no finding with a suggestion');
      const errno = f.subject as string;
      const spec = parse(text).find((s) => s.name === f.spec);
      const last = spec?.errors.at(-1);
      if (!spec || !last) throw new Error('no spec or no error entry');
      // just above the last entry is inside the error list in every form
      const lines = text.split('\n');
      lines.splice(last.line - 1, 0, ...f.suggestion.split('\n'));
      const fixed = lines.join('\n');
      const after = parse(fixed).find((s) => s.name === f.spec);
      expect(after?.partial).toBe(false);
      expect(after?.errors.map((e) => e.code)).toContain(errno);
      expect(after?.errors).toHaveLength(spec.errors.length + 1);
      expect(after?.unknown).toEqual(spec.unknown);
      expect(await findingsOf(ID, { text: fixed })).toEqual([]);
    });
});
