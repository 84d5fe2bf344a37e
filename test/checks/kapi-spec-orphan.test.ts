import { edit, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

/** The spec renamed: sys_mlock directly above SYSCALL_DEFINE2(frob, ...). */
const macroMisnamed = edit(macro, 'DEFINE_KERNEL_API_SPEC(sys_frob)', 'DEFINE_KERNEL_API_SPEC(sys_mlock)');
const kd1Misnamed = edit(kd1, ' * sys_frob - Frobnicate', ' * sys_mlock - Frobnicate');
const kd2Misnamed = edit(kd2, ' * sys_frob - Frobnicate', ' * sys_mlock - Frobnicate');
const kd3Misnamed = edit(kd3, ' * sys_frob - Frobnicate', ' * sys_munlock() - Frobnicate');

/** A spec and no syscall at all. */
const macroOnly = `// SPDX-License-Identifier: GPL-2.0
DEFINE_KERNEL_API_SPEC(sys_frob)
	KAPI_DESCRIPTION("Frobnicate a range of memory")
	KAPI_ERROR(0, -EINVAL, "EINVAL", "start is not page aligned",
		   "The start address must be a multiple of the page size.")
	KAPI_ERROR_COUNT(1)
KAPI_END_SPEC;
`;
const kd3Only = kd3.slice(0, kd3.indexOf('SYSCALL_DEFINE2'));
const rawOnly = edit(raw, ' * sys_gizmo in the RFC v1 style', ' * The gizmo spec in the RFC v1 style');

tableTest('kapi-spec-orphan', {
  valid: [
    { name: 'macro form above its syscall', text: macro },
    { name: 'kerneldoc gen 1 above its syscall', text: kd1 },
    { name: 'kerneldoc gen 2 above its syscall', text: kd2 },
    { name: 'kerneldoc gen 3 above its syscall', text: kd3 },
    { name: 'generated macro form above its syscall', text: generated },
    { name: 'an ioctl spec has no syscall', text: ioctl },
    { name: 'the syscall is named elsewhere in the file (gizmo: a comment names sys_gizmo)', text: raw },
    { name: 'hunks only: the syscall may be outside the hunks', text: macroOnly, hunksOnly: true },
    {
      name: 'the syscall is defined earlier in the file (the runtime finds macro specs by name)',
      text: `${macro.slice(macro.indexOf('SYSCALL_DEFINE2'))}\n${macro.slice(0, macro.indexOf('SYSCALL_DEFINE2'))}`,
    },
    {
      name: 'a prototype of the syscall in the file (an unusual definition)',
      text: `asmlinkage long sys_frob(unsigned long start, size_t len);\n${macroOnly}`,
    },
    {
      name: 'kerneldoc summary without the sys_ prefix names the same syscall',
      text: edit(kd3, ' * sys_frob - Frobnicate', ' * frob - Frobnicate'),
    },
  ],
  invalid: [
    {
      name: 'macro form: sys_mlock above SYSCALL_DEFINE2(frob, ...)',
      text: macroMisnamed,
      errors: [
        {
          line: line(macroMisnamed, 'DEFINE_KERNEL_API_SPEC'),
          spec: 'sys_mlock',
          subject: 'misnamed',
          severity: 'error',
          message:
            /^sys_mlock sits on SYSCALL_DEFINE2\(frob, \.\.\.\): it is named for another syscall; the spec of sys_frob is missing$/,
          evidence: [
            'DEFINE_KERNEL_API_SPEC(sys_mlock)',
            'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)',
          ],
          suggestion: 'DEFINE_KERNEL_API_SPEC(sys_frob)',
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: the summary names sys_mlock',
      text: kd1Misnamed,
      errors: [
        {
          line: line(kd1Misnamed, 'sys_mlock - '),
          spec: 'sys_frob',
          subject: 'misnamed',
          severity: 'error',
          message: /^sys_mlock sits on SYSCALL_DEFINE2\(frob, \.\.\.\)/,
          evidence: ['sys_mlock - Frobnicate a range of memory', 'SYSCALL_DEFINE2(frob'],
          suggestion: ' * sys_frob - Frobnicate a range of memory',
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: the summary names sys_mlock',
      text: kd2Misnamed,
      errors: [
        {
          line: line(kd2Misnamed, 'sys_mlock - '),
          subject: 'misnamed',
          suggestion: ' * sys_frob - Frobnicate a range of memory',
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: the summary names sys_munlock()',
      text: kd3Misnamed,
      errors: [
        {
          line: line(kd3Misnamed, 'sys_munlock() - '),
          subject: 'misnamed',
          message: /^sys_munlock sits on SYSCALL_DEFINE2\(frob/,
          suggestion: ' * sys_frob() - Frobnicate a range of memory',
        },
      ],
    },
    {
      name: 'macro form: a spec and no syscall in the file',
      text: macroOnly,
      errors: [
        {
          line: line(macroOnly, 'DEFINE_KERNEL_API_SPEC'),
          spec: 'sys_frob',
          subject: 'orphan',
          severity: 'warning',
          message: /^sys_frob: no syscall frob is defined in this file, so the spec documents nothing here$/,
          evidence: ['DEFINE_KERNEL_API_SPEC(sys_frob)'],
        },
      ],
    },
    {
      name: 'raw initializers: a spec and no syscall in the file',
      text: rawOnly,
      errors: [{ line: line(rawOnly, 'DEFINE_KERNEL_API_SPEC'), subject: 'orphan', spec: 'sys_gizmo' }],
    },
    {
      name: 'kerneldoc gen 3: a spec comment with nothing below it',
      text: kd3Only,
      errors: [
        {
          line: line(kd3Only, 'sys_frob - '),
          subject: 'orphan',
          evidence: ['sys_frob - Frobnicate a range of memory'],
        },
      ],
    },
    {
      name: 'a rename in an existing spec (pre-image given)',
      pre: macro,
      text: macroMisnamed,
      errors: [{ line: line(macroMisnamed, 'DEFINE_KERNEL_API_SPEC'), subject: 'misnamed' }],
    },
    {
      name: 'hunks only: misnamed when everything between the spec and the syscall is shown',
      text: macroMisnamed,
      hunksOnly: true,
      errors: [{ subject: 'misnamed' }],
    },
  ],
});
