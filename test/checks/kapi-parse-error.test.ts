import { describe, expect, it } from 'vitest';
import { checkById } from '../../checks/index.js';
import { learnFramework, wholeFile } from '../../parsers/kapi/framework.js';
import { edit, findingsOf, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

const macroNoEnd = edit(macro, 'KAPI_END_SPEC;\n', '');
const kd3Open = edit(kd3, ' *   expr: len <= FROB_MAX_LEN\n */\n', ' *   expr: len <= FROB_MAX_LEN\n');
const noName = `// SPDX-License-Identifier: GPL-2.0
/**
 * contexts: process
 * long-desc: Not attached to any function.
 */
static int frob_count;
`;

/** A framework whose KAPI_DESCRIPTION takes a second argument (a posting that changed the macro). */
const twoArgDescription = learnFramework(
  [
    wholeFile(
      'include/linux/kernel_api_spec.h',
      [
        '#define DEFINE_KERNEL_API_SPEC(fn) static const struct kernel_api_spec __kapi_##fn = {',
        '#define KAPI_DESCRIPTION(d, when) .description = d, .when = when,',
        '#define KAPI_END_SPEC };',
      ].join('\n'),
    ),
  ],
  'this series',
  'series',
);
const rawTwoArgs = edit(
  raw,
  'KAPI_DESCRIPTION("Adjust the gizmo")',
  'KAPI_DESCRIPTION("Adjust the gizmo", "now")',
);

tableTest('kapi-parse-error', {
  valid: [
    { name: 'macro form', text: macro },
    {
      name: "a macro's arity as the series' own header defines it: the framework is the judge, not the parser",
      text: rawTwoArgs,
      framework: twoArgDescription,
    },
    { name: 'kerneldoc gen 1', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'raw initializers', text: raw },
    { name: 'ioctl helper macros', text: ioctl },
    { name: 'generated macro form (closed by };)', text: generated },
    {
      name: 'hunks only: a macro spec cut off by the end of its hunk is not unterminated',
      pre: macro,
      text: edit(
        macro,
        'KAPI_DESCRIPTION("Frobnicate a range of memory")',
        'KAPI_DESCRIPTION("Frobnicate memory")',
      ),
      hunksOnly: true,
    },
    {
      name: 'hunks only: a kerneldoc comment cut off by the end of its hunk is not unterminated',
      pre: kd3,
      text: edit(kd3, ' * sys_frob - Frobnicate a range of memory', ' * sys_frob - Frobnicate memory'),
      hunksOnly: true,
    },
  ],
  invalid: [
    {
      name: 'macro form: KAPI_END_SPEC missing before the syscall',
      text: macroNoEnd,
      errors: [
        {
          line: line(macroNoEnd, 'DEFINE_KERNEL_API_SPEC'),
          spec: 'sys_frob',
          subject: 'kapi-macro-unterminated',
          severity: 'error',
          message:
            /^sys_frob: no KAPI_END_SPEC \(or closing '};'\) before SYSCALL_DEFINE2 \(kapi-macro-unterminated\)$/,
          evidence: ['DEFINE_KERNEL_API_SPEC(sys_frob)'],
        },
      ],
    },
    {
      name: 'macro form: a block left open',
      text: edit(
        macro,
        '\t\tKAPI_PARAM_ALIGNMENT(PAGE_SIZE)\n\tKAPI_PARAM_END\n',
        '\t\tKAPI_PARAM_ALIGNMENT(PAGE_SIZE)\n',
      ),
      errors: [
        {
          line: line(macro, 'KAPI_PARAM(1,') - 1,
          subject: 'kapi-macro-unbalanced',
          severity: 'error',
          message: /^sys_frob: param\[0\] not closed before KAPI_PARAM/,
          evidence: ['KAPI_PARAM(1, "len"'],
        },
      ],
    },
    {
      name: 'macro form: a macro with the wrong number of arguments',
      text: edit(raw, 'KAPI_DESCRIPTION("Adjust the gizmo")', 'KAPI_DESCRIPTION("Adjust the gizmo", "now")'),
      errors: [
        {
          line: line(raw, 'KAPI_DESCRIPTION'),
          spec: 'sys_gizmo',
          subject: 'kapi-macro-bad-args',
          severity: 'warning',
          message: /^sys_gizmo: KAPI_DESCRIPTION takes 1 argument\(s\), got 2 \(kapi-macro-bad-args\)$/,
        },
      ],
    },
    {
      name: "the framework's header does not make any arity right: 3 arguments to its 2-argument macro",
      text: edit(
        raw,
        'KAPI_DESCRIPTION("Adjust the gizmo")',
        'KAPI_DESCRIPTION("Adjust the gizmo", "now", 3)',
      ),
      framework: twoArgDescription,
      errors: [{ subject: 'kapi-macro-bad-args', message: /KAPI_DESCRIPTION takes 1 argument\(s\), got 3/ }],
    },
    {
      name: "generated macro form: the closing '};' missing",
      text: edit(
        generated,
        '\tKAPI_NOTES("Poking is idempotent.")\n\n};\n',
        '\tKAPI_NOTES("Poking is idempotent.")\n\n',
      ),
      errors: [{ subject: 'kapi-macro-unterminated', severity: 'error', spec: 'sys_gadget' }],
    },
    {
      name: 'kerneldoc gen 2: an indented sub-key outside any block',
      text: edit(kd2, ' * param-count: 2\n', ' * param-count: 2\n *   type: KAPI_TYPE_INT\n'),
      errors: [
        {
          line: line(kd2, ' * param-count: 2') + 1,
          spec: 'sys_frob',
          subject: 'kapi-doc-orphan-subkey',
          severity: 'warning',
          message: /^sys_frob: indented sub-key 'type:' is not inside a block/,
          evidence: ['*   type: KAPI_TYPE_INT'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: a block header without a name',
      text: edit(kd3, ' * lock: frob_lock\n', ' * lock:\n'),
      errors: [
        {
          line: line(kd3, ' * lock: frob_lock'),
          subject: 'kapi-doc-empty-header',
          message: /'lock:' has no name/,
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: the comment is never closed',
      text: kd3Open,
      errors: [
        {
          line: line(kd3Open, '/**'),
          subject: 'kapi-doc-unterminated',
          severity: 'error',
          message: /KAPI kerneldoc comment is not closed with \*\//,
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: a spec comment that names no API (no spec name to give)',
      text: noName,
      errors: [
        {
          line: line(noName, '/**'),
          subject: 'kapi-doc-no-name',
          message: /^KAPI kerneldoc comment names no API/,
        },
      ],
    },
    {
      name: 'hunks only: a spec unterminated before a syscall the hunk shows',
      text: macroNoEnd,
      hunksOnly: true,
      errors: [{ subject: 'kapi-macro-unterminated' }],
    },
  ],
});

describe('kapi-parse-error: meta', () => {
  it('is for operators only (never mailed to a list)', () => {
    expect(checkById('kapi-parse-error')?.meta.operatorOnly).toBe(true);
  });
  it('a finding without a spec has no spec field', async () => {
    const [f] = await findingsOf('kapi-parse-error', { text: noName });
    expect(f?.spec).toBeUndefined();
  });
});
