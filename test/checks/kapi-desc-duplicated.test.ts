import { describe, expect, it } from 'vitest';
import { repeats } from '../../checks/rules/kapi-desc-duplicated.js';
import { edit, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

/** Corbet's RFC v2 case: a kerneldoc paragraph, then a long-desc that says it again. */
const PARAGRAPH = ' * Walks the pages of [start, start + len) and frobnicates each of\n * them.\n *\n';
const kd1Corbet = edit(
  kd1,
  ' * @len: Length of the range in bytes\n *\n',
  ` * @len: Length of the range in bytes\n *\n${PARAGRAPH}`,
);
/** The same paragraph, wrapped differently and in another case, above gen 2's long-desc. */
const kd2Corbet = edit(
  kd2,
  ' * @len: Length of the range in bytes\n *\n',
  ' * @len: Length of the range in bytes\n *\n * WALKS the pages of [start,   start + len) and\n * frobnicates each of them\n *\n',
);
/** Gen 3: the long-desc holds the paragraph and adds a sentence. */
const kd3Contains = edit(
  edit(
    kd3,
    ' * @len: Length of the range in bytes\n *\n',
    ` * @len: Length of the range in bytes\n *\n${PARAGRAPH}`,
  ),
  ' * long-desc: Walks the pages of [start, start + len) and frobnicates each of\n *   them.',
  ' * long-desc: Walks the pages of [start, start + len) and frobnicates each of\n *   them. Pages that are already frobnicated are skipped.',
);

tableTest('kapi-desc-duplicated', {
  valid: [
    { name: 'macro form', text: macro },
    { name: 'kerneldoc gen 1', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'raw initializers', text: raw },
    { name: 'ioctl helper macros', text: ioctl },
    { name: 'generated macro form', text: generated },
    {
      name: 'trivially short equal strings ("None") do not count',
      text: edit(
        macro,
        '"len exceeds FROB_MAX_LEN",\n\t\t   "The range is too long to frobnicate.")',
        '"None",\n\t\t   "None")',
      ),
    },
    {
      name: 'a long description that starts with the (short) description is not a repeat',
      text: edit(
        macro,
        'KAPI_LONG_DESC("Walks the pages of [start, start + len) "',
        'KAPI_LONG_DESC("Frobnicate a range of memory: walks the pages of [start, start + len) "',
      ),
    },
    {
      name: 'two entries of one errno may share a description (different conditions)',
      text: edit(
        macro,
        'KAPI_ERROR(1, -ENOMEM, "ENOMEM", "len exceeds FROB_MAX_LEN",\n\t\t   "The range is too long to frobnicate.")',
        'KAPI_ERROR(1, -EINVAL, "EINVAL", "len exceeds FROB_MAX_LEN",\n\t\t   "The start address must be a multiple of the page size.")',
      ),
    },
    {
      name: 'params may share a description ("Reserved, must be zero")',
      text: edit(
        edit(macro, '"Start of the range")', '"Reserved, must be zero")'),
        '"Length of the range in bytes")',
        '"Reserved, must be zero")',
      ),
    },
    {
      name: 'signals handled alike may share a description (RFC v2 epoll: SIGINT and SIGTERM)',
      text: edit(
        macro,
        '\tKAPI_SIDE_EFFECT(0,',
        '\tKAPI_SIGNAL(1, SIGTERM, "SIGTERM", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_RETURN)\n' +
          '\t\tKAPI_SIGNAL_DESC("The killable wait for frob_lock is abandoned")\n' +
          '\tKAPI_SIGNAL_END\n\n\tKAPI_SIDE_EFFECT(0,',
      ),
    },
    {
      name: "a helper macro's fixed text is not the author's duplicate",
      text: edit(
        ioctl,
        'KAPI_ERROR_EFAULT(0)',
        'KAPI_ERROR_EINVAL(0, "flags has unknown bits")\n\tKAPI_ERROR_EINVAL(2, "blob_len too big")',
      ),
    },
    {
      name: 'gen 1: the param description comes from @len, it is not written twice',
      text: kd1,
      hunksOnly: true,
    },
  ],
  invalid: [
    {
      name: 'macro form: KAPI_LONG_DESC repeats KAPI_DESCRIPTION',
      text: edit(
        macro,
        'KAPI_LONG_DESC("Walks the pages of [start, start + len) "\n\t\t       "and frobnicates each of them.")',
        'KAPI_LONG_DESC("Frobnicate a range of memory.")',
      ),
      errors: [
        {
          line: line(macro, 'KAPI_LONG_DESC'),
          spec: 'sys_frob',
          subject: 'long_description',
          severity: 'warning',
          message: /^sys_frob: the long description repeats the description$/,
          evidence: [
            'KAPI_LONG_DESC("Frobnicate a range of memory.")',
            'KAPI_DESCRIPTION("Frobnicate a range of memory")',
          ],
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: long-desc repeats the description paragraph (Corbet on RFC v2 01)',
      text: kd1Corbet,
      errors: [
        {
          line: line(kd1Corbet, 'long-desc:'),
          subject: 'long_description',
          message: /the long description repeats the kerneldoc description paragraph/,
          evidence: [
            'long-desc: Walks the pages',
            '* Walks the pages of [start, start + len) and frobnicates each of',
          ],
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: compared whitespace-normalized and case-insensitively',
      text: kd2Corbet,
      errors: [
        {
          line: line(kd2Corbet, 'long-desc:'),
          subject: 'long_description',
          message: /repeats the kerneldoc description paragraph/,
          evidence: ['long-desc:', 'WALKS the pages'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: the long-desc contains the whole paragraph',
      text: kd3Contains,
      errors: [
        {
          line: line(kd3Contains, 'long-desc:'),
          subject: 'long_description',
          message: /repeats the kerneldoc description paragraph/,
        },
      ],
    },
    {
      name: "macro form: an error's condition and description are the same text",
      text: edit(
        macro,
        '"len exceeds FROB_MAX_LEN",\n\t\t   "The range is too long to frobnicate.")',
        '"The range is too long to frobnicate",\n\t\t   "The range is too long to frobnicate.")',
      ),
      errors: [
        {
          line: line(macro, '-ENOMEM'),
          subject: 'error[ENOMEM].description',
          message: /^sys_frob: the description of error ENOMEM repeats its condition$/,
          evidence: ['KAPI_ERROR(1, -ENOMEM'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: two errors with the same description',
      text: edit(
        kd3,
        '*   desc: Frobnicating is a privileged operation.',
        '*   desc: The range is too long to frobnicate.',
      ),
      errors: [
        {
          line: line(kd3, 'desc: Frobnicating is a privileged operation.'),
          subject: 'error[EPERM].description',
          message: /the description of error EPERM repeats the description of error ENOMEM/,
          evidence: [
            'desc: The range is too long to frobnicate.',
            'desc: The range is too long to frobnicate.',
          ],
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: an error-code whose description repeats its condition',
      text: edit(
        kd1,
        ' * error-code: -EPERM, EPERM, caller lacks CAP_SYS_ADMIN,\n *   Frobnicating is a privileged operation.',
        ' * error-code: -EPERM, EPERM, caller lacks CAP_SYS_ADMIN,\n *   Caller lacks CAP_SYS_ADMIN.',
      ),
      errors: [{ subject: 'error[EPERM].description', message: /repeats its condition/ }],
    },
    {
      name: "kerneldoc gen 2: a param's desc: repeats its @len line",
      text: edit(kd2, ' * param: len\n', ' * param: len\n *   desc: Length of the range in bytes\n'),
      errors: [
        {
          line: line(kd2, ' * param: len') + 1,
          subject: 'param[len].description',
          message: /the description of param len repeats @len/,
          evidence: ['desc: Length of the range in bytes', '@len: Length of the range in bytes'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: the return desc: repeats the Return: section',
      text: edit(
        kd2,
        ' * Context: Process context. Sleeps on frob_lock.\n',
        ' * Context: Process context. Sleeps on frob_lock.\n * Return: 0 on success, negative error code on failure\n',
      ),
      errors: [
        {
          line: line(kd2, 'desc: 0 on success, negative error code'),
          subject: 'return.description',
          message: /the return description repeats the Return: section/,
          evidence: ['desc: 0 on success', 'Return: 0 on success, negative error code on failure'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: notes repeat the long description',
      text: edit(
        kd1,
        ' * context-flags:',
        ' * notes: Walks the pages of [start, start + len) and frobnicates each of them.\n * context-flags:',
      ),
      errors: [{ subject: 'notes', message: /the notes text repeats the long description/ }],
    },
    {
      name: 'macro form: two side effects with the same description',
      text: edit(macro, '"Missing page tables are allocated")', '"Frobnicated pages change state")'),
      errors: [
        {
          line: line(macro, 'KAPI_SIDE_EFFECT(1,'),
          subject: 'side_effect[1].description',
          message: /the description of side effect 1 repeats the description of side effect 0/,
        },
      ],
    },
    {
      name: 'an edit that adds the long-desc to an existing spec (pre-image given)',
      pre: edit(
        kd1Corbet,
        ' * long-desc: Walks the pages of [start, start + len) and frobnicates\n *   each of them.\n',
        '',
      ),
      text: kd1Corbet,
      errors: [{ line: line(kd1Corbet, 'long-desc:'), subject: 'long_description' }],
    },
    {
      name: 'hunks only: the spec is whole in the hunk',
      text: kd1Corbet,
      hunksOnly: true,
      errors: [{ subject: 'long_description' }],
    },
  ],
});

describe('kapi-desc-duplicated: repeats()', () => {
  it('equal texts must be substantive', () => {
    expect(repeats('None', 'none')).toBe(false);
    expect(repeats('Bad address', 'bad address')).toBe(false);
    expect(repeats('Invalid argument provided', 'invalid  argument provided.')).toBe(true);
  });
  it('containment needs 40 characters and whole words', () => {
    expect(repeats('Frobnicate a range of memory', 'Frobnicate a range of memory, page by page')).toBe(false);
    const long = 'Walks the pages of the range and frobnicates each';
    expect(repeats(long, `${long} of them, one at a time.`)).toBe(true);
    expect(repeats(long, `Re${long.toLowerCase()}rs`)).toBe(false);
  });
});
