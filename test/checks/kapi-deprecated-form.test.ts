import { describe, expect, it } from 'vitest';
import { targetOf } from '../../checks/rules/kapi-deprecated-form.js';
import { builtinByPosting } from '../../parsers/kapi/frameworks.js';
import { edit, fixture, frobFramework, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

const macroSince = edit(
  macro,
  '\tKAPI_ERROR_COUNT(4)',
  '\tKAPI_SINCE_VERSION("2.6.12")\n\tKAPI_ERROR_COUNT(4)',
);
const kd1Since = edit(kd1, ' * param-count: 2', ' * since-version: 2.6.12\n * param-count: 2');
const kd2Since = edit(kd2, ' * param-count: 2', ' * since-version: 2.0\n * param-count: 2');
const kd3Since = edit(kd3, ' * param-count: 2', ' * since: 6.1\n *\n * param-count: 2');

/** A gen-1 spec whose flat keys PATCH v4 still reads (context-flags, error-code). */
const kd1Small = `/**
 * sys_frob - Frobnicate a range of memory
 * @start: Start of the range
 * @len: Length of the range in bytes
 *
 * context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE
 * error-code: -EINVAL, EINVAL, start is not page aligned,
 *   The start address must be a multiple of the page size.
 */
SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)
{
	return 0;
}
`;

tableTest('kapi-deprecated-form', {
  valid: [
    {
      name: 'the macro form with KAPI_SINCE_VERSION, judged by RFC v2 (which defines both)',
      text: macroSince,
      framework: builtinByPosting('rfc-v2') ?? undefined,
    },
    {
      name: 'kerneldoc gen 1 with since-version, judged by RFC v3 (which reads both)',
      text: kd1Since,
      framework: builtinByPosting('rfc-v3') ?? undefined,
    },
    {
      name: 'the macro form, judged by frob v1 (it has the *_END macros)',
      text: macro,
      framework: frobFramework(1),
    },
    { name: 'kerneldoc gen 3 under frob v2', text: kd3, framework: frobFramework(2) },
    { name: 'kerneldoc gen 3 under the default target (the latest form)', text: kd3 },
    { name: "target 'kerneldoc-3' given explicitly", text: kd3, options: { target: 'kerneldoc-3' } },
    {
      name: "macro form under target 'macro' (RFC v1/v2: *_END macros belong)",
      text: macro,
      options: { target: 'macro' },
    },
    { name: "raw initializers under target 'macro'", text: raw, options: { target: 'macro' } },
    { name: "ioctl helper macros under target 'macro'", text: ioctl, options: { target: 'macro' } },
    {
      name: 'generated macros in a .apispec.h are not hand-written (and have no *_END)',
      text: generated,
      path: 'kernel/gadget.apispec.h',
    },
    { name: "kerneldoc gen 1 under target 'kerneldoc-1'", text: kd1, options: { target: 'kerneldoc-1' } },
    { name: "kerneldoc gen 2 under target 'kerneldoc-2'", text: kd2, options: { target: 'kerneldoc-2' } },
    { name: 'a form newer than the target is not deprecated', text: kd3, options: { target: 'macro' } },
    { name: "kerneldoc gen 2 under target 'kerneldoc-1'", text: kd2, options: { target: 'kerneldoc-1' } },
  ],
  invalid: [
    {
      name: 'the macro form on a tree whose framework (frob v2) has no *_END macros, its header as evidence',
      text: macro,
      framework: frobFramework(2),
      errors: [
        {
          line: line(macro, 'DEFINE_KERNEL_API_SPEC(sys_frob)'),
          subject: 'form:macro',
          severity: 'warning',
          message:
            /^sys_frob is a hand-written macro spec \(the RFC v1\/v2 form\); include\/linux\/kernel_api_spec\.h of the tree defines no \*_END macros: specs are kerneldoc comments and the build generates the macros, so its \d+ \*_END\/KAPI_END_SPEC macros no longer exist$/,
          evidence: [
            'DEFINE_KERNEL_API_SPEC(sys_frob)',
            'KAPI_PARAM_END',
            '#define DEFINE_KERNEL_API_SPEC(fn)',
          ],
        },
      ],
    },
    {
      name: 'KAPI_SINCE_VERSION under a framework that does not define it (frob v1), named in the message',
      text: macroSince,
      framework: frobFramework(1),
      errors: [
        {
          line: line(macroSince, 'KAPI_SINCE_VERSION'),
          subject: 'since',
          message:
            /^sys_frob: KAPI_SINCE_VERSION is not part of the framework \(include\/linux\/kernel_api_spec\.h of this series does not define it\)/,
        },
      ],
    },
    {
      name: 'kerneldoc gen 2 under frob v2: KAPI_* constants where it has short tokens (info)',
      text: kd2,
      framework: frobFramework(2),
      errors: [{ subject: 'form:kerneldoc-2', severity: 'info', message: /use the short tokens/ }],
    },
    {
      name: 'macro form under the default target: hand-written macros and *_END (PATCH v3/v4)',
      text: macro,
      errors: [
        {
          line: line(macro, 'DEFINE_KERNEL_API_SPEC(sys_frob)'),
          spec: 'sys_frob',
          subject: 'form:macro',
          severity: 'warning',
          message:
            /^sys_frob is a hand-written macro spec \(the RFC v1\/v2 form\); include\/linux\/kernel_api_spec\.h of PATCH v4 defines no \*_END macros: specs are kerneldoc comments and the build generates the macros, so its 11 \*_END\/KAPI_END_SPEC macros no longer exist$/,
          evidence: ['DEFINE_KERNEL_API_SPEC(sys_frob)', 'KAPI_PARAM_END'],
        },
      ],
    },
    {
      name: "macro form under target 'kerneldoc-1': info, the macros still exist",
      text: macro,
      options: { target: 'kerneldoc-1' },
      errors: [
        {
          subject: 'form:macro',
          severity: 'info',
          message: /older than the target kerneldoc-1: write the spec as kerneldoc$/,
        },
      ],
    },
    {
      name: "macro form under target 'kerneldoc-2'",
      text: raw,
      options: { target: 'kerneldoc-2' },
      errors: [{ line: line(raw, 'DEFINE_KERNEL_API_SPEC'), subject: 'form:macro', severity: 'info' }],
    },
    {
      name: 'generated-style macros in a .c file are still hand-written',
      text: generated,
      errors: [
        { line: line(generated, 'DEFINE_KERNEL_API_SPEC'), subject: 'form:macro', severity: 'warning' },
      ],
    },
    {
      name: 'kerneldoc gen 1 under the default target: flat keys PATCH v4 no longer parses',
      text: kd1,
      errors: [
        {
          line: line(kd1, 'param-type: start'),
          subject: 'form:kerneldoc-1',
          severity: 'warning',
          message:
            /kerneldoc gen 1, flat keys \(RFC v3\), older than the target kerneldoc-3: tools\/lib\/python\/kdoc\/kdoc_parser\.py of PATCH v4 no longer parses flat keys such as 'param-type:'/,
          evidence: ['param-type: start, KAPI_TYPE_UINT'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 1 with only keys PATCH v4 still reads: info',
      text: kd1Small,
      errors: [{ line: line(kd1Small, 'error-code:'), subject: 'form:kerneldoc-1', severity: 'info' }],
    },
    {
      name: "kerneldoc gen 1 under target 'kerneldoc-2': info",
      text: kd1,
      options: { target: 'kerneldoc-2' },
      errors: [
        { subject: 'form:kerneldoc-1', severity: 'info', message: /use blocks with indented sub-keys$/ },
      ],
    },
    {
      name: 'kerneldoc gen 2 under the default target: KAPI_* constants where short tokens exist',
      text: kd2,
      errors: [
        {
          line: line(kd2, 'context-flags:'),
          subject: 'form:kerneldoc-2',
          severity: 'info',
          message: /use the short tokens/,
          evidence: ['context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE'],
        },
      ],
    },
    {
      name: 'an unknown target value falls back to the default',
      text: kd2,
      options: { target: 'patch-v9' },
      errors: [{ subject: 'form:kerneldoc-2', message: /target kerneldoc-3/ }],
    },
    {
      name: "macro form: KAPI_SINCE_VERSION, reported whatever the target ('macro')",
      text: macroSince,
      options: { target: 'macro' },
      errors: [
        {
          line: line(macroSince, 'KAPI_SINCE_VERSION'),
          subject: 'since',
          severity: 'warning',
          message:
            /^sys_frob: KAPI_SINCE_VERSION was removed in PATCH v2; a spec describes the kernel as it is now, not when the API appeared$/,
          evidence: ['KAPI_SINCE_VERSION("2.6.12")'],
        },
      ],
    },
    {
      name: "kerneldoc gen 1: since-version under target 'kerneldoc-1'",
      text: kd1Since,
      options: { target: 'kerneldoc-1' },
      errors: [
        { line: line(kd1Since, 'since-version:'), subject: 'since', message: /since-version was removed/ },
      ],
    },
    {
      name: "kerneldoc gen 2: since-version: 2.0 (Greg KH on PATCH v1) under target 'kerneldoc-2'",
      text: kd2Since,
      options: { target: 'kerneldoc-2' },
      errors: [
        { line: line(kd2Since, 'since-version: 2.0'), subject: 'since', evidence: ['since-version: 2.0'] },
      ],
    },
    {
      name: 'kerneldoc gen 3: since: under the default target',
      text: kd3Since,
      errors: [
        {
          line: line(kd3Since, 'since: 6.1'),
          subject: 'since',
          message:
            /since is not part of the framework \(tools\/lib\/python\/kdoc\/kdoc_parser\.py of PATCH v4 does not define it\)/,
        },
      ],
    },
    {
      name: 'a since line added to an existing spec (pre-image given)',
      pre: kd3,
      text: kd3Since,
      errors: [{ line: line(kd3Since, 'since: 6.1'), subject: 'since' }],
    },
    {
      name: 'hunks only: the whole macro spec is in the hunk',
      text: macroSince,
      hunksOnly: true,
      options: { target: 'kerneldoc-1' },
      errors: [{ subject: 'form:macro' }, { subject: 'since' }],
    },
  ],
});

describe('kapi-deprecated-form: options', () => {
  it('reads the target generation, defaulting to the latest', () => {
    expect(targetOf({})).toBe('kerneldoc-3');
    expect(targetOf({ target: 'macro' })).toBe('macro');
    expect(targetOf({ target: 'kerneldoc-1' })).toBe('kerneldoc-1');
    expect(targetOf({ target: 'kerneldoc-2' })).toBe('kerneldoc-2');
    expect(targetOf({ target: 3 })).toBe('kerneldoc-3');
  });
});
