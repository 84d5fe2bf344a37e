import { learnFramework, overlay, wholeFile } from '../../parsers/kapi/framework.js';
import { builtinByPosting, latestBuiltin } from '../../parsers/kapi/frameworks.js';
import { edit, fixture, frobFramework, line, tableTest } from './harness.js';

/** PATCH v4 with PATCH v3's kbuild rule, as a series that changes only scripts/Makefile.build. */
const p3Kbuild = overlay(
  latestBuiltin(),
  learnFramework(
    [
      wholeFile(
        'scripts/Makefile.build',
        "# kbuild\nhas-apispec = $(shell grep -lE '^[[:space:]]*\\*[[:space:]]*(context-flags):' $(1) 2>/dev/null)\n",
      ),
    ],
    'this series',
    'series',
  ),
);

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

/** frob.kd3.c without its `contexts:` line: nothing for PATCH v4's kbuild grep. */
const kd3NoContexts = edit(kd3, ' * contexts: process, sleepable\n *\n', '');

/** A small gen-3 spec: contexts, a param, an error. One indicator section for kernel-doc -apispec. */
const small3 = `// SPDX-License-Identifier: GPL-2.0
/**
 * sys_frob - Frobnicate a range of memory
 * @start: Start of the range
 *
 * contexts: process, sleepable
 *
 * param: start
 *   type: uint, input
 *
 * error: EINVAL, start is not page aligned
 *   desc: The start address must be a multiple of the page size.
 */
SYSCALL_DEFINE1(frob, unsigned long, start)
{
	return 0;
}
`;

/** A gen-1 spec with none of RFC v3's kbuild keys and none of its generator's indicators. */
const small1 = `/**
 * sys_frob - Frobnicate a range of memory
 * @start: Start of the range
 *
 * param-count: 1
 * param-flags: start, KAPI_PARAM_IN
 * return-type: KAPI_TYPE_INT
 * return-check-type: KAPI_RETURN_ERROR_CHECK
 */
SYSCALL_DEFINE1(frob, unsigned long, start)
{
	return 0;
}
`;

/** A gen-2 spec with blocks only: no context-flags, no key of RFC v3's grep. */
const small2 = `/**
 * sys_frob - Frobnicate a range of memory
 * @start: Start of the range
 *
 * param: start, KAPI_TYPE_UINT
 *   flags: KAPI_PARAM_IN
 * error: EINVAL, start is not page aligned
 *   desc: The start address must be a multiple of the page size.
 */
SYSCALL_DEFINE1(frob, unsigned long, start)
{
	return 0;
}
`;

/** A second spec in the file that has the kbuild key. */
const other = `
/**
 * sys_frob2 - Frobnicate again
 * @start: Start of the range
 *
 * contexts: process
 * long-desc: Frobnicates the range a second time.
 */
SYSCALL_DEFINE1(frob2, unsigned long, start)
{
	return 0;
}
`;

tableTest('kapi-detection-key', {
  valid: [
    {
      name: 'a framework without kerneldoc (RFC v2): no rule to break',
      text: small2,
      framework: builtinByPosting('rfc-v2') ?? undefined,
    },
    {
      name: "frob v2's own grep (contexts|frob-ctx) and indicators (2 of contexts, param, error)",
      text: kd3,
      framework: frobFramework(2),
    },
    { name: 'kerneldoc gen 3 (contexts:, and many indicator sections)', text: kd3 },
    { name: 'kerneldoc gen 2 (context-flags:)', text: kd2 },
    { name: 'kerneldoc gen 1 (context-flags:)', text: kd1 },
    { name: 'macro form: always found', text: macro },
    { name: 'raw initializers', text: raw },
    { name: 'ioctl helper macros', text: ioctl },
    { name: 'generated macro form', text: generated },
    {
      name: 'kbuild greps the file: another spec with contexts: is enough',
      text: kd3NoContexts + other,
    },
    {
      name: 'hunks only: the rest of the file may have the kbuild key',
      text: kd3NoContexts,
      hunksOnly: true,
    },
    {
      name: "target 'macro': no kerneldoc tooling to find anything",
      text: small1,
      options: { target: 'macro' },
    },
    {
      name: "target 'kerneldoc-1': RFC v3's keys (long-desc:, error-code:, lock: ...)",
      text: kd1,
      options: { target: 'kerneldoc-1' },
    },
    { name: "target 'kerneldoc-2'", text: kd2, options: { target: 'kerneldoc-2' } },
    {
      name: "keys ['context-flags'] (PATCH v3's grep) on a spec that has it",
      text: kd2,
      options: { keys: ['context-flags'] },
    },
    { name: "tools 'extractor': gen 3 with param-count:", text: kd3, options: { tools: 'extractor' } },
    { name: "tools 'both'", text: kd1, options: { tools: 'both' } },
    {
      name: "tools 'extractor' does not apply to older targets",
      text: small3,
      options: { tools: 'extractor', target: 'kerneldoc-2' },
    },
  ],
  invalid: [
    {
      name: "PATCH v3's break learned from the series' own Makefile.build: its line is the evidence",
      text: kd3,
      framework: p3Kbuild,
      errors: [
        {
          line: line(kd3, 'sys_frob - '),
          subject: 'detect:kbuild',
          message: /has 'context-flags:', and none does$/,
          evidence: ['sys_frob - Frobnicate', 'contexts: process, sleepable', 'grep -lE'],
        },
      ],
    },
    {
      name: "kerneldoc gen 3 without contexts: (PATCH v4's kbuild greps contexts|context-flags|context)",
      text: kd3NoContexts,
      errors: [
        {
          line: line(kd3NoContexts, 'sys_frob - '),
          spec: 'sys_frob',
          subject: 'detect:kbuild',
          severity: 'warning',
          message:
            /^sys_frob is never built: kbuild generates a file's specs only when a line of it has 'contexts:', 'context-flags:' or 'context:', and none does$/,
          evidence: ['sys_frob - Frobnicate a range of memory'],
        },
      ],
    },
    {
      name: "PATCH v3's build break: kbuild grepped context-flags: and the spec says contexts:",
      text: kd3,
      options: { keys: ['context-flags'] },
      errors: [
        {
          line: line(kd3, 'sys_frob - '),
          subject: 'detect:kbuild',
          message: /has 'context-flags:', and none does$/,
          evidence: ['sys_frob - Frobnicate a range of memory', 'contexts: process, sleepable'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 3 with one indicator section: kernel-doc -apispec needs two',
      text: small3,
      errors: [
        {
          line: line(small3, 'sys_frob - '),
          subject: 'detect:generator',
          message:
            /^sys_frob is skipped by kernel-doc -apispec: it needs 2 of the sections 'api-type:', .* or 'long-desc:' and has 'contexts:'$/,
        },
      ],
    },
    {
      name: "kerneldoc gen 1 under target 'kerneldoc-1': no RFC v3 kbuild key, no indicator",
      text: small1,
      options: { target: 'kerneldoc-1' },
      errors: [
        {
          line: line(small1, 'sys_frob - '),
          subject: 'detect:kbuild',
          message: /'api-type:', 'long-desc:', .*'state-trans:'/,
        },
        {
          line: line(small1, 'sys_frob - '),
          subject: 'detect:generator',
          message: /needs one of the sections .* and has none$/,
        },
      ],
    },
    {
      name: 'kerneldoc gen 1 under the default target: no contexts line, no indicator',
      text: small1,
      errors: [
        { subject: 'detect:kbuild' },
        { subject: 'detect:generator', message: /needs 2 .* has none$/ },
      ],
    },
    {
      name: "kerneldoc gen 2 under target 'kerneldoc-2': no key of the grep (its generator is not known: silent)",
      text: small2,
      options: { target: 'kerneldoc-2' },
      errors: [{ subject: 'detect:kbuild', message: /'context-flags:'/ }],
    },
    {
      name: "tools 'extractor': PATCH v4's tools/kapi ignores a comment with none of its keys",
      text: small3,
      options: { tools: 'extractor' },
      errors: [
        {
          line: line(small3, 'sys_frob - '),
          subject: 'detect:extractor',
          message:
            /^sys_frob is skipped by tools\/kapi --source: the comment has none of 'context-flags:', 'param-count:', 'side-effect:', 'state-trans:' or 'error-code:'$/,
        },
      ],
    },
    {
      name: "tools 'both': the build and the extractor, each reported",
      text: small3,
      options: { tools: 'both' },
      errors: [{ subject: 'detect:generator' }, { subject: 'detect:extractor' }],
    },
    {
      name: 'an invalid keys option is ignored (the default grep applies)',
      text: kd3NoContexts,
      options: { keys: 'context-flags' },
      errors: [{ subject: 'detect:kbuild', message: /'contexts:'/ }],
    },
    {
      name: 'the contexts line removed from an existing spec (pre-image given)',
      pre: kd3,
      text: kd3NoContexts,
      errors: [{ subject: 'detect:kbuild' }],
    },
    {
      name: 'hunks only: the generator rule needs only the comment',
      text: small3,
      hunksOnly: true,
      errors: [{ subject: 'detect:generator' }],
    },
  ],
});
