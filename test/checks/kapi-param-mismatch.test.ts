import { describe, expect, it } from 'vitest';
import { checkById } from '../../checks/index.js';
import { runChecks } from '../../checks/runner.js';
import { buildUnit } from '../../checks/unit.js';
import { parseMail } from '../../parsers/mail.js';
import { corpusFiles, corpusPresent } from '../helpers/corpus.js';
import { edit, findingsOf, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const shapes = fixture('c/mlock-shapes.c');

/** mlock2 with a macro-form spec of its three params, in the shape of RFC v2's mlock2. */
const MLOCK2_SPEC = `DEFINE_KERNEL_API_SPEC(sys_mlock2)
	KAPI_DESCRIPTION("Lock a range of memory, with flags")
	KAPI_PARAM(0, "start", "unsigned long", "First address of the range")
		KAPI_PARAM_TYPE(KAPI_TYPE_UINT)
	KAPI_PARAM_END
	KAPI_PARAM(1, "len", "size_t", "Length of the range")
		KAPI_PARAM_TYPE(KAPI_TYPE_UINT)
	KAPI_PARAM_END
	KAPI_PARAM(2, "flags", "int", "MLOCK_ONFAULT or 0")
		KAPI_PARAM_TYPE(KAPI_TYPE_INT)
	KAPI_PARAM_END
	KAPI_PARAM_COUNT(3)
KAPI_END_SPEC;

`;
const mlock2 = edit(shapes, 'SYSCALL_DEFINE3(mlock2,', `${MLOCK2_SPEC}SYSCALL_DEFINE3(mlock2,`);

/** A gen-3 param block for a third, made-up parameter. */
const kd3Extra = edit(kd3, ' * return:\n', ' * param: flags\n *   type: uint, input\n *\n * return:\n');

tableTest('kapi-param-mismatch', {
  valid: [
    { name: 'macro form: names and C types match', text: macro },
    { name: 'kerneldoc gen 1', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'RFC v2 mlock2 shape: three params over a two-line SYSCALL_DEFINE3', text: mlock2 },
    {
      name: '__user, spacing around * and qualifier order are not differences',
      text: edit(
        edit(
          macro,
          '"start", "unsigned long", "Start of the range")\n\t\tKAPI_PARAM_TYPE(KAPI_TYPE_UINT)',
          '"start", "const char*", "Start of the range")\n\t\tKAPI_PARAM_TYPE(KAPI_TYPE_USER_PTR)',
        ),
        'SYSCALL_DEFINE2(frob, unsigned long, start',
        'SYSCALL_DEFINE2(frob, char const __user *, start',
      ),
    },
    {
      name: '`unsigned` is `unsigned int`, `long int` is `long`',
      text: edit(
        edit(macro, '"len", "size_t"', '"len", "unsigned"'),
        'unsigned long, start, size_t, len)\n{\n\tint ret;',
        'unsigned long, start, unsigned int, len)\n{\n\tint ret;',
      ),
    },
    {
      name: 'kerneldoc gen 3 without any param: block (the generator takes the declaration)',
      text: edit(
        edit(
          kd3,
          ' * param: start\n *   type: uint, input\n *   constraint-type: alignment(PAGE_SIZE)\n *\n',
          '',
        ),
        ' * param: len\n *   type: uint, input\n *   constraint-type: range(0, FROB_MAX_LEN)\n *\n',
        '',
      ).replace(' * param-count: 2\n *\n', ''),
    },
    {
      name: 'a pointer token for an unsigned long is not a contradiction (user addresses travel as longs)',
      text: edit(
        kd3,
        ' * param: start\n *   type: uint, input',
        ' * param: start\n *   type: user_ptr, input',
      ),
    },
    {
      name: 'a spec the hunk cuts off is not compared',
      text: edit(macro, 'KAPI_PARAM(1, "len"', 'KAPI_PARAM(1, "size"'),
      pre: macro,
      hunksOnly: true,
    },
  ],
  invalid: [
    {
      name: 'macro form: a param renamed in the spec',
      text: edit(macro, 'KAPI_PARAM(1, "len"', 'KAPI_PARAM(1, "size"'),
      errors: [
        {
          line: line(macro, 'KAPI_PARAM(1, "len"'),
          spec: 'sys_frob',
          subject: 'param:size',
          severity: 'error',
          message: /sys_frob: param 1 is 'size' in the spec but 'len' in SYSCALL_DEFINE2\(frob\)/,
          evidence: ['KAPI_PARAM(1, "size"', 'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)'],
          suggestion: '\tKAPI_PARAM(1, "len", "size_t", "Length of the range in bytes")',
        },
      ],
    },
    {
      name: 'macro form, hunks only: the patch renames the C parameter; reported on the added SYSCALL_DEFINE line',
      text: edit(
        macro,
        'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)',
        'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, size)',
      ),
      pre: macro,
      errors: [
        {
          line: line(macro, 'SYSCALL_DEFINE2(frob'),
          subject: 'param:len',
          message: /param 1 is 'len' in the spec but 'size' in SYSCALL_DEFINE2\(frob\)/,
          evidence: ['KAPI_PARAM(1, "len"', 'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, size)'],
        },
      ],
    },
    {
      name: 'macro form: a param missing from the spec',
      text: edit(
        mlock2,
        '\tKAPI_PARAM(2, "flags", "int", "MLOCK_ONFAULT or 0")\n\t\tKAPI_PARAM_TYPE(KAPI_TYPE_INT)\n\tKAPI_PARAM_END\n',
        '',
      ),
      errors: [
        {
          line: line(mlock2, 'KAPI_PARAM(1, "len"'),
          spec: 'sys_mlock2',
          subject: 'params',
          severity: 'error',
          message: /sys_mlock2 documents 2 params but SYSCALL_DEFINE3\(mlock2\) takes 3/,
          evidence: ['KAPI_PARAM(1, "len"', 'SYSCALL_DEFINE3(mlock2'],
        },
      ],
    },
    {
      name: 'macro form: a param the syscall does not have',
      text: edit(
        macro,
        '\tKAPI_RETURN("long"',
        '\tKAPI_PARAM(2, "flags", "int", "Frob flags")\n\tKAPI_PARAM_END\n\n\tKAPI_RETURN("long"',
      ),
      errors: [
        {
          line: line(macro, 'KAPI_RETURN("long"'),
          subject: 'params',
          message: /documents 3 params but SYSCALL_DEFINE2\(frob\) takes 2/,
          evidence: ['KAPI_PARAM(2, "flags"', 'SYSCALL_DEFINE2(frob'],
        },
      ],
    },
    {
      name: 'macro form: a C type spelled differently (a typedef may hide the difference: warning)',
      text: edit(macro, '"len", "size_t"', '"len", "unsigned int"'),
      errors: [
        {
          line: line(macro, 'KAPI_PARAM(1, "len"'),
          subject: 'param:len',
          severity: 'warning',
          message: /param 'len' is 'unsigned int' in the spec but 'size_t' in SYSCALL_DEFINE2\(frob\)/,
          evidence: ['KAPI_PARAM(1, "len", "unsigned int"', 'SYSCALL_DEFINE2(frob'],
          suggestion: '\tKAPI_PARAM(1, "len", "size_t", "Length of the range in bytes")',
        },
      ],
    },
    {
      name: 'macro form: a pointer documented as an integer type',
      text: edit(mlock2, '"start", "unsigned long"', '"start", "void __user *"'),
      errors: [
        {
          line: line(mlock2, 'KAPI_PARAM(0, "start"'),
          subject: 'param:start',
          severity: 'error',
          message:
            /param 'start' is 'void __user \*' in the spec but 'unsigned long' in SYSCALL_DEFINE3\(mlock2\)/,
        },
      ],
    },
    {
      name: 'macro form: a 32-bit int typed as a user pointer',
      text: edit(
        mlock2,
        'MLOCK_ONFAULT or 0")\n\t\tKAPI_PARAM_TYPE(KAPI_TYPE_INT)',
        'MLOCK_ONFAULT or 0")\n\t\tKAPI_PARAM_TYPE(KAPI_TYPE_USER_PTR)',
      ),
      errors: [
        {
          line: line(mlock2, 'KAPI_PARAM(2, "flags"'),
          subject: 'param:flags',
          message: /param 'flags' has KAPI type 'user_ptr', which cannot hold its C type 'int'/,
          evidence: ['KAPI_PARAM(2, "flags"', 'SYSCALL_DEFINE3(mlock2', 'int, flags)'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: the patch renames the C parameter (reported on the added line, no one-line fix)',
      text: edit(
        kd1,
        'SYSCALL_DEFINE2(frob, unsigned long, start,',
        'SYSCALL_DEFINE2(frob, unsigned long, addr,',
      ),
      pre: kd1,
      errors: [
        {
          line: line(kd1, 'SYSCALL_DEFINE2(frob'),
          subject: 'param:start',
          message: /param 0 is 'start' in the spec but 'addr' in SYSCALL_DEFINE2\(frob\)/,
          evidence: ['param-type: start, KAPI_TYPE_UINT', 'SYSCALL_DEFINE2(frob, unsigned long, addr'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: a param: block names no parameter',
      text: edit(kd2, ' * param: len\n', ' * param: length\n'),
      errors: [
        {
          line: line(kd2, ' * param: len'),
          spec: 'sys_frob',
          subject: 'param:length',
          message: /param 1 is 'length' in the spec but 'len' in SYSCALL_DEFINE2\(frob\)/,
          evidence: ['param: length', 'SYSCALL_DEFINE2(frob'],
          suggestion: ' * param: len',
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: a param: block for a parameter the syscall does not have',
      text: kd3Extra,
      errors: [
        {
          line: line(kd3Extra, ' * param: flags'),
          subject: 'param:flags',
          message:
            /sys_frob documents a parameter 'flags' that SYSCALL_DEFINE2\(frob\) does not have \(start, len\)/,
          evidence: ['param: flags', 'SYSCALL_DEFINE2(frob'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: one of two params without a block (warning)',
      text: edit(
        kd3,
        ' * param: len\n *   type: uint, input\n *   constraint-type: range(0, FROB_MAX_LEN)\n *\n',
        '',
      ),
      errors: [
        {
          line: line(kd3, ' * param: start'),
          subject: 'params',
          severity: 'warning',
          message:
            /sys_frob documents 1 of the 2 parameters of SYSCALL_DEFINE2\(frob\): no param: block for len/,
          evidence: ['param: start', 'SYSCALL_DEFINE2(frob'],
          suggestion: ' * param: len',
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: a pointer typed uint',
      text: edit(
        kd3,
        'SYSCALL_DEFINE2(frob, unsigned long, start,',
        'SYSCALL_DEFINE2(frob, void __user *, start,',
      ),
      errors: [
        {
          line: line(kd3, ' * param: start'),
          subject: 'param:start',
          severity: 'error',
          message: /param 'start' has KAPI type 'uint', which cannot hold its C type 'void __user \*'/,
        },
      ],
    },
    {
      name: 'hunks only: a rename inside one hunk that shows the spec and the syscall',
      text: edit(macro, 'KAPI_PARAM(1, "len"', 'KAPI_PARAM(1, "size"'),
      hunksOnly: true,
      errors: [{ subject: 'param:size' }],
    },
  ],
});

describe('kapi-param-mismatch on the real postings', () => {
  it.skipIf(!corpusPresent)('stays silent on RFC v2 mlock2, whose three params match', async () => {
    const file = corpusFiles('rfc-v2').find((f) => f.name.endsWith('rfc-v2-11-mlock2.patch.txt'));
    const mail = (await parseMail(file?.bytes ?? Buffer.alloc(0))).value;
    const diff = mail.files[0];
    if (!diff) throw new Error('no diff in RFC v2 11/22');
    const fragments = diff.hunks.map((h) => ({
      startLine: h.newStart,
      lines: h.lines.filter((l) => l.kind !== 'del').map((l) => l.text),
    }));
    const unit = buildUnit({ path: diff.path, mode: 'hunks', post: null, fragments, diff }, null);
    // the comparison really happens: the spec is linked to its SYSCALL_DEFINE3 with three params
    const at = unit.syscalls.findIndex((s) => s.name === 'mlock2');
    expect(unit.specOf[at]?.params.map((p) => [p.name, p.ctype])).toEqual([
      ['start', 'unsigned long'],
      ['len', 'size_t'],
      ['flags', 'int'],
    ]);
    expect(unit.syscalls[at]?.params.map((p) => p.name)).toEqual(['start', 'len', 'flags']);
    const check = checkById('kapi-param-mismatch');
    if (!check) throw new Error('not registered');
    expect(runChecks(unit, [check]).findings).toEqual([]);
  });

  it('says nothing when the spec is not linked to a syscall', async () => {
    const text = edit(macro, 'DEFINE_KERNEL_API_SPEC(sys_frob)', 'DEFINE_KERNEL_API_SPEC(sys_frobnicate)');
    expect(
      await findingsOf('kapi-param-mismatch', { text: edit(text, '"len", "size_t"', '"n", "int"') }),
    ).toEqual([]);
  });
});
