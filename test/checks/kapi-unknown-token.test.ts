import { describe, expect, it } from 'vitest';
import { editDistance, nearest } from '../../checks/rules/kapi-unknown-token.js';
import { builtinByPosting } from '../../parsers/kapi/frameworks.js';
import { edit, fixture, frobFramework, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

const macroTypo = edit(
  macro,
  '\t\tKAPI_PARAM_FLAGS(KAPI_PARAM_IN)\n\t\tKAPI_PARAM_CONSTRAINT_TYPE(KAPI_CONSTRAINT_ALIGNMENT)',
  '\t\tKAPI_PARAM_FLAG(KAPI_PARAM_IN)\n\t\tKAPI_PARAM_CONSTRAINT_TYPE(KAPI_CONSTRAINT_ALIGNMENT)',
);
/** A spec written for frob v1: its macro KAPI_FROB_HINT and its key frob-hint: (v2 has neither). */
const frobSpecs = `// SPDX-License-Identifier: GPL-2.0
DEFINE_KERNEL_API_SPEC(sys_frob)
	KAPI_DESCRIPTION("Frobnicate a range of memory")
	KAPI_FROB_HINT("frobnicate whole pages only")
	KAPI_PARAM(0, "start", "unsigned long", "Start of the range")
		KAPI_PARAM_TYPE(KAPI_TYPE_UINT)
	KAPI_PARAM_END
KAPI_END_SPEC;

SYSCALL_DEFINE1(frob, unsigned long, start)
{
	return 0;
}

/**
 * sys_unfrob - Undo the frobnication of a page
 * @start: Start of the page
 *
 * contexts: process, sleepable
 *
 * frob-hint: only pages frobnicated before
 *
 * param: start
 *   type: uint, input
 */
SYSCALL_DEFINE1(unfrob, unsigned long, start)
{
	return 0;
}
`;

const kd3Contexts = edit(kd3, ' * contexts: process, sleepable', ' * contexts: process, sleepabel');

tableTest('kapi-unknown-token', {
  valid: [
    {
      name: "a macro and a key the series' own framework defines (frob v1)",
      text: frobSpecs,
      framework: frobFramework(1),
    },
    {
      name: 'the RFC v2 macro form under RFC v2',
      text: macro,
      framework: builtinByPosting('rfc-v2') ?? undefined,
    },
    {
      name: 'the RFC v3 flat keys under RFC v3',
      text: kd1,
      framework: builtinByPosting('rfc-v3') ?? undefined,
    },
    { name: 'macro form', text: macro },
    { name: 'kerneldoc gen 1', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'raw initializers', text: raw },
    { name: 'ioctl helper macros', text: ioctl },
    { name: 'generated macro form', text: generated },
    {
      name: 'macro form: preprocessor lines, count expressions and non-KAPI identifiers are C',
      text: edit(
        edit(
          macro,
          '\tKAPI_ERROR_COUNT(4)',
          '#ifdef CONFIG_FROB_EXTRA\n\tFROB_EXTRA_ERRORS\n#endif\n\tKAPI_ERROR_COUNT(ARRAY_SIZE(frob_errors))',
        ),
        'KAPI_PARAM_RANGE(0, FROB_MAX_LEN)',
        'KAPI_PARAM_RANGE(0, FROB_MAX_LEN + 1)',
      ),
    },
    {
      name: 'kerneldoc gen 3: a kapi-* extension key is recognised',
      text: edit(
        kd3,
        ' * param-count: 2',
        ' * kapi-vendor-note: reviewed by the frob maintainers\n *\n * param-count: 2',
      ),
    },
    {
      name: 'kerneldoc gen 3: a plain "word:" line of prose is no near miss of a key',
      text: edit(kd3, ' * param-count: 2', ' * todo: handle huge pages\n *\n * param-count: 2'),
    },
  ],
  invalid: [
    {
      name: 'the same words on a tree whose framework (frob v2) dropped the macro and renamed the key',
      text: frobSpecs,
      framework: frobFramework(2),
      errors: [
        {
          line: line(frobSpecs, 'KAPI_FROB_HINT'),
          subject: 'unknown:KAPI_FROB_HINT',
          message:
            /^sys_frob: KAPI_FROB_HINT is not defined in include\/linux\/kernel_api_spec\.h of the tree$/,
        },
        {
          line: line(frobSpecs, 'frob-hint:'),
          subject: 'unknown:frob-hint',
          message:
            /^sys_unfrob: 'frob-hint:' is not a key of tools\/lib\/python\/kdoc\/kdoc_parser\.py of the tree; the generator drops it$/,
        },
      ],
    },
    {
      name: "a typo judged by the framework it is written for (RFC v3's kernel-doc), the suggestion's line as evidence",
      text: edit(kd1, ' * param-type: start, KAPI_TYPE_UINT', ' * param-tpye: start, KAPI_TYPE_UINT'),
      framework: builtinByPosting('rfc-v3') ?? undefined,
      errors: [
        {
          subject: 'unknown:param-tpye',
          message:
            /^sys_frob: 'param-tpye:' is not a key of scripts\/lib\/kdoc\/kdoc_parser\.py of RFC v3; did you mean 'param-type:'\?$/,
        },
      ],
    },
    {
      name: 'macro form: a misspelt macro (KAPI_PARAM_FLAG)',
      text: macroTypo,
      errors: [
        {
          line: line(macroTypo, 'KAPI_PARAM_FLAG('),
          spec: 'sys_frob',
          subject: 'unknown:KAPI_PARAM_FLAG',
          severity: 'warning',
          message:
            /^sys_frob: KAPI_PARAM_FLAG is not defined in include\/linux\/kernel_api_spec\.h of PATCH v4; did you mean KAPI_PARAM_FLAGS\?$/,
          evidence: ['KAPI_PARAM_FLAG(KAPI_PARAM_IN)'],
          suggestion: '\t\tKAPI_PARAM_FLAGS(KAPI_PARAM_IN)',
        },
      ],
    },
    {
      name: 'macro form: a misspelt constant (KAPI_TYPE_UNIT)',
      text: edit(
        macro,
        '\t\tKAPI_PARAM_TYPE(KAPI_TYPE_UINT)\n\t\tKAPI_PARAM_FLAGS(KAPI_PARAM_IN)\n\t\tKAPI_PARAM_CONSTRAINT_TYPE(KAPI_CONSTRAINT_RANGE)',
        '\t\tKAPI_PARAM_TYPE(KAPI_TYPE_UNIT)\n\t\tKAPI_PARAM_FLAGS(KAPI_PARAM_IN)\n\t\tKAPI_PARAM_CONSTRAINT_TYPE(KAPI_CONSTRAINT_RANGE)',
      ),
      errors: [
        {
          line: line(macro, 'KAPI_PARAM(1,') + 1,
          subject: 'unknown:KAPI_TYPE_UNIT',
          message:
            /KAPI_TYPE_UNIT is not defined in include\/linux\/kernel_api_spec\.h of PATCH v4; did you mean KAPI_TYPE_UINT\?/,
          suggestion: '\t\tKAPI_PARAM_TYPE(KAPI_TYPE_UINT)',
        },
      ],
    },
    {
      name: 'macro form: a known constant of another kind',
      text: edit(raw, '.flags = KAPI_PARAM_IN,', '.flags = KAPI_LOCK_MUTEX,'),
      errors: [
        {
          line: line(raw, '.flags = KAPI_PARAM_IN,'),
          subject: 'unknown:KAPI_LOCK_MUTEX',
          message: /^sys_gizmo: KAPI_LOCK_MUTEX is not a value this field takes$/,
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: a misspelt flat key (param-tpye:)',
      text: edit(kd1, ' * param-type: len, KAPI_TYPE_UINT', ' * param-tpye: len, KAPI_TYPE_UINT'),
      errors: [
        {
          line: line(kd1, 'param-type: len'),
          subject: 'unknown:param-tpye',
          message:
            /'param-tpye:' is not a key of tools\/lib\/python\/kdoc\/kdoc_parser\.py of PATCH v4; did you mean 'param-type:'\?/,
          suggestion: ' * param-type: len, KAPI_TYPE_UINT',
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: a misspelt KAPI_* constant',
      text: edit(kd1, 'context-flags: KAPI_CTX_PROCESS |', 'context-flags: KAPI_CTX_PROCES |'),
      errors: [
        {
          line: line(kd1, 'context-flags:'),
          subject: 'unknown:KAPI_CTX_PROCES',
          suggestion: ' * context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE',
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: a misspelt sub-key (flgs:)',
      text: edit(
        kd2,
        ' * param: start, KAPI_TYPE_UINT\n *   flags: KAPI_PARAM_IN',
        ' * param: start, KAPI_TYPE_UINT\n *   flgs: KAPI_PARAM_IN',
      ),
      errors: [
        {
          line: line(kd2, 'param: start') + 1,
          subject: 'unknown:flgs',
          message:
            /'flgs:' is not a sub-key of tools\/lib\/python\/kdoc\/kdoc_parser\.py of PATCH v4; did you mean 'flags:'\?/,
          suggestion: ' *   flags: KAPI_PARAM_IN',
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: a C type where a KAPI type goes (Corbet: "why not just say __u64")',
      text: edit(kd2, ' * param: len\n *   type: KAPI_TYPE_UINT', ' * param: len\n *   type: __u64'),
      errors: [
        {
          subject: 'unknown:__u64',
          message:
            /'__u64' is not a token of tools\/lib\/python\/kdoc\/kdoc_apispec\.py of PATCH v4; the generator passes it through unchanged$/,
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: a misspelt context token',
      text: kd3Contexts,
      errors: [
        {
          line: line(kd3Contexts, 'contexts:'),
          subject: 'unknown:sleepabel',
          message:
            /^sys_frob: 'sleepabel' is not a token of tools\/lib\/python\/kdoc\/kdoc_apispec\.py of PATCH v4; did you mean 'sleepable'\?$/,
          evidence: ['contexts: process, sleepabel'],
          suggestion: ' * contexts: process, sleepable',
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: type: unit',
      text: edit(kd3, ' * param: len\n *   type: uint, input', ' * param: len\n *   type: unit, input'),
      errors: [{ subject: 'unknown:unit', suggestion: ' *   type: uint, input' }],
    },
    {
      name: "kerneldoc gen 3: a known token in the wrong field ('mutex' as a param type)",
      text: edit(kd3, ' * param: len\n *   type: uint, input', ' * param: len\n *   type: mutex, input'),
      errors: [{ subject: 'unknown:mutex', message: /mutex is not a value this field takes$/ }],
    },
    {
      name: 'kerneldoc gen 3: a known sub-key in the wrong block',
      text: edit(
        kd3,
        ' *   desc: The range is too long to frobnicate.',
        ' *   desc: The range is too long to frobnicate.\n *   flags: output',
      ),
      errors: [{ subject: 'unknown:flags', message: /'flags:' does not belong in this block$/ }],
    },
    {
      name: 'kerneldoc gen 3: an invented key',
      text: edit(kd3, ' * param-count: 2', ' * errno-map: EINTR=restart\n *\n * param-count: 2'),
      errors: [
        {
          subject: 'unknown:errno-map',
          message:
            /'errno-map:' is not a key of tools\/lib\/python\/kdoc\/kdoc_parser\.py of PATCH v4; the generator drops it$/,
        },
      ],
    },
    {
      name: 'a typo added to an existing spec (pre-image given)',
      pre: kd3,
      text: kd3Contexts,
      errors: [{ line: line(kd3Contexts, 'contexts:'), subject: 'unknown:sleepabel' }],
    },
    {
      name: 'hunks only: the spec is whole in the hunk',
      text: macroTypo,
      hunksOnly: true,
      errors: [{ subject: 'unknown:KAPI_PARAM_FLAG' }],
    },
  ],
});

describe('kapi-unknown-token: suggestions', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('unit', 'uint')).toBe(1);
    expect(editDistance('sleepabel', 'sleepable')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
  });
  it('suggests only a close and unambiguous word', () => {
    expect(nearest('proces', ['process', 'softirq'])).toBe('process');
    expect(nearest('xyz', ['process'])).toBeNull();
    expect(nearest('ab', ['aa', 'bb'])).toBeNull();
  });
});
