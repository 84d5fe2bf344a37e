import { describe, expect, it } from 'vitest';
import { kernelWording, libcConvention } from '../../checks/rules/kapi-return-convention.js';
import { edit, findingsOf, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

const MACRO_RET = 'KAPI_RETURN("long", "0 on success, negative error code on failure")';
const macroLibc = edit(macro, MACRO_RET, 'KAPI_RETURN("long", "File descriptor or -1")');
const kd1Libc = edit(
  kd1,
  ' * Return: 0 on success, negative error code on failure',
  ' * Return: 0 on success. On error, -1 is returned, and errno is set appropriately.',
);
const kd2Libc = edit(
  kd2,
  ' *   desc: 0 on success, negative error code\n *     on failure',
  ' *   desc: 0 on success, -1 on error with errno set',
);
const kd3Libc = edit(
  kd3,
  ' *   desc: 0 on success, negative error code on failure',
  ' *   desc: 0 on success; returns -1 and sets errno on failure',
);

tableTest('kapi-return-convention', {
  valid: [
    { name: 'macro form: negative error code', text: macro },
    { name: 'kerneldoc gen 1: Return: section in the kernel convention', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'raw initializers', text: raw },
    { name: 'generated macro form', text: generated },
    {
      name: 'an ioctl spec is not a syscall (libc ioctl() is not in question here)',
      text: edit(ioctl, '"0 or a negative errno"', '"0, or -1 with errno set"'),
    },
    {
      name: '"negative errno" is the kernel convention',
      text: edit(macro, MACRO_RET, 'KAPI_RETURN("long", "0 on success, negative errno on failure")'),
    },
    {
      name: 'arithmetic and other numbers are not -1',
      text: edit(macro, MACRO_RET, 'KAPI_RETURN("long", "Index in 0..n-1, size - 1 at most, or -10 ms")'),
    },
    {
      name: 'a -1 outside the return description (a param constraint) is not this check',
      text: edit(macro, '"Length of the range in bytes")', '"Length in bytes; -1 means the whole range")'),
    },
    {
      name: 'a kerneldoc function (not a syscall) may document -1',
      text: edit(
        kd3,
        'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)',
        'static int frob_helper(unsigned long start, size_t len)',
      )
        .replace(' * sys_frob - ', ' * frob_helper - ')
        .replace('desc: 0 on success, negative error code on failure', 'desc: 0 on success, -1 on failure'),
    },
  ],
  invalid: [
    {
      name: 'macro form: "File descriptor or -1" (RFC v2 01 documentation example)',
      text: macroLibc,
      errors: [
        {
          line: line(macroLibc, 'KAPI_RETURN('),
          spec: 'sys_frob',
          subject: 'return.description',
          severity: 'warning',
          message:
            /^sys_frob: the return description describes libc's convention \('-1'\); the syscall itself returns a negative error code such as -EINVAL$/,
          evidence: ['KAPI_RETURN("long", "File descriptor or -1")'],
          suggestion: '\tKAPI_RETURN("long", "File descriptor or a negative error code")',
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: Return: "-1 is returned, and errno is set"',
      text: kd1Libc,
      errors: [
        {
          line: line(kd1Libc, 'Return:'),
          subject: 'Return',
          message: /the Return: section describes libc's convention \('errno is set'\)/,
          evidence: ['Return: 0 on success. On error, -1 is returned'],
          suggestion: ' * Return: 0 on success. On error, a negative error code is returned.',
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: desc: "-1 on error with errno set"',
      text: kd2Libc,
      errors: [
        {
          line: line(kd2Libc, 'desc: 0 on success, -1'),
          subject: 'return.description',
          evidence: ['desc: 0 on success, -1 on error with errno set'],
          suggestion: ' *   desc: 0 on success, a negative error code on error',
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: desc: "returns -1 and sets errno"',
      text: kd3Libc,
      errors: [
        {
          line: line(kd3Libc, 'returns -1'),
          subject: 'return.description',
          message: /\('sets errno'\)/,
          suggestion: ' *   desc: 0 on success; returns a negative error code on failure',
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: errno wording over two lines (no line to rewrite)',
      text: edit(
        kd3,
        ' *   desc: 0 on success, negative error code on failure',
        ' *   desc: 0 on success, otherwise errno is\n *     set to the error',
      ),
      errors: [
        { line: line(kd3, 'desc: 0 on success'), subject: 'return.description', message: /'errno is set'/ },
      ],
    },
    {
      name: 'macro form: execve-like "does not return on success; -1 on error" (Weimer on RFC v1)',
      text: edit(macro, MACRO_RET, 'KAPI_RETURN("long", "Does not return on success; -1 on error")'),
      errors: [
        {
          subject: 'return.description',
          suggestion: '\tKAPI_RETURN("long", "Does not return on success; a negative error code on error")',
        },
      ],
    },
    {
      name: 'hunks only: a new spec seen through its hunk',
      text: macroLibc,
      hunksOnly: true,
      errors: [{ subject: 'return.description' }],
    },
  ],
});

describe('kapi-return-convention: wording', () => {
  it('recognises the libc phrasings', () => {
    expect(libcConvention('On error, -1 is returned')).toBe('-1');
    expect(libcConvention('returns 0, or sets errno')).toBe('sets errno');
    expect(libcConvention('errno = EINVAL on failure')).toBe('errno =');
    expect(libcConvention('0 on success, negative errno on failure')).toBeNull();
    expect(libcConvention('range 0..-1UL')).toBeNull();
  });
  it('rewrites only what it can rewrite whole', () => {
    expect(kernelWording('On error, -1 is returned, and errno is set appropriately.')).toBe(
      'On error, a negative error code is returned.',
    );
    expect(kernelWording('0 on success, errno is')).toBeNull();
  });
  it('fires on the changed return of an existing spec (pre-image given)', async () => {
    const found = await findingsOf('kapi-return-convention', { pre: macro, text: macroLibc });
    expect(found.map((f) => f.at.line)).toEqual([line(macroLibc, 'KAPI_RETURN(')]);
  });
});
