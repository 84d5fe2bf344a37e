import { describe, expect, it } from 'vitest';
import { checkById } from '../../checks/index.js';
import { runChecks } from '../../checks/runner.js';
import { buildUnit } from '../../checks/unit.js';
import { parseMail } from '../../parsers/mail.js';
import { corpusFiles, corpusPresent } from '../helpers/corpus.js';
import { edit, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

/** RFC v2 mlock2's shape: a lock block with two KAPI_LOCK_DESC lines. */
const twoDescs = edit(
  macro,
  '\t\tKAPI_LOCK_ACQUIRED\n',
  '\t\tKAPI_LOCK_DESC("The frob mutex")\n\t\tKAPI_LOCK_ACQUIRED\n',
);

/** A signal mask block whose description is set by the macro and again by a raw initializer. */
const maskTwice = edit(
  macro,
  '\tKAPI_ERROR_COUNT(4)',
  `\tKAPI_SIGNAL_MASK(0, "sigmask", "Mask applied while frobnicating")
		.description = "The caller's mask is restored on return",
	KAPI_SIGNAL_MASK_END

	KAPI_ERROR_COUNT(4)`,
);

const kd2LockDesc = edit(
  kd2,
  ' *   desc: Serialises frobnication\n',
  ' *   desc: Serialises frobnication\n *   desc: Taken killably\n',
);

tableTest('kapi-field-override', {
  valid: [
    {
      name: 'macro form up to PATCH v2 (*_END macros): KAPI_LOCK_ACQUIRED and _RELEASED set separate fields',
      text: macro,
    },
    { name: 'kerneldoc gen 1', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'raw initializers mixed with macros', text: raw },
    { name: 'ioctl helper macros', text: ioctl },
    { name: 'generated code with one scope macro', text: generated },
    {
      name: 'KAPI_SIGNAL_MASK_ADD appends, it does not override',
      text: edit(
        macro,
        '\tKAPI_ERROR_COUNT(4)',
        '\tKAPI_SIGNAL_MASK(0, "sigmask", "Blocked while frobnicating")\n\t\tKAPI_SIGNAL_MASK_ADD(SIGINT)\n\t\tKAPI_SIGNAL_MASK_ADD(SIGTERM)\n\tKAPI_SIGNAL_MASK_END\n\n\tKAPI_ERROR_COUNT(4)',
      ),
    },
    {
      name: 'two blocks with one index are kapi-index-sequence business, not field overrides',
      text: edit(
        macro,
        '\tKAPI_SIGNAL(0, SIGKILL',
        '\tKAPI_LOCK(0, "frob_list_lock", KAPI_LOCK_SPINLOCK)\n\t\tKAPI_LOCK_DESC("Protects the frob list")\n\tKAPI_LOCK_END\n\n\tKAPI_SIGNAL(0, SIGKILL',
      ),
    },
    {
      name: "kerneldoc gen 3: an error's desc: lines are joined by the generator",
      text: edit(
        kd3,
        ' *   desc: The range is too long to frobnicate.\n',
        ' *   desc: The range is too long to frobnicate.\n *   desc: Split the call.\n',
      ),
    },
    {
      name: "kerneldoc gen 3: a constraint's header description is joined with its desc:",
      text: edit(kd3, ' * constraint: Frob length limit\n', ' * constraint: Frob length limit, Bounded\n'),
    },
    {
      name: 'kerneldoc gen 3: the flag tokens of a type: line are OR-ed into the flags',
      text: edit(
        kd3,
        ' *   type: uint, input\n *   constraint-type: range',
        ' *   flags: optional\n *   type: uint, input\n *   constraint-type: range',
      ),
    },
    {
      name: 'a spec the hunk cuts off is not judged',
      text: twoDescs,
      pre: macro,
      hunksOnly: true,
    },
  ],
  invalid: [
    {
      name: 'macro form: two KAPI_LOCK_DESC in one lock block (RFC v2 mlock2)',
      text: twoDescs,
      errors: [
        {
          line: line(twoDescs, 'KAPI_LOCK_DESC("Serialises frobnication")'),
          spec: 'sys_frob',
          subject: 'lock[0].description',
          severity: 'error',
          message:
            /sys_frob: lock\[0\]\.description is set twice \(first on line 49\); the first value is silently lost/,
          evidence: ['KAPI_LOCK_DESC("The frob mutex")', 'KAPI_LOCK_DESC("Serialises frobnication")'],
        },
      ],
    },
    {
      name: 'macro form, patch context: the second KAPI_LOCK_DESC is the added line',
      text: edit(
        macro,
        '\t\tKAPI_LOCK_DESC("Serialises frobnication")\n',
        '\t\tKAPI_LOCK_DESC("Serialises frobnication")\n\t\tKAPI_LOCK_DESC("Killable")\n',
      ),
      pre: macro,
      errors: [{ line: line(macro, 'KAPI_LOCK_END'), subject: 'lock[0].description' }],
    },
    {
      name: 'PATCH v4 headers (no *_END): KAPI_LOCK_ACQUIRED and KAPI_LOCK_RELEASED both set .scope',
      text: edit(generated, '\t\tKAPI_LOCK_ACQUIRED\n', '\t\tKAPI_LOCK_ACQUIRED\n\t\tKAPI_LOCK_RELEASED\n'),
      errors: [
        {
          line: line(generated, 'KAPI_LOCK_ACQUIRED') + 1,
          spec: 'sys_gadget',
          subject: 'lock[0].scope',
          severity: 'error',
          message:
            /KAPI_LOCK_ACQUIRED and KAPI_LOCK_RELEASED both set lock\[0\]\.scope since PATCH v4, so the lock reads as released only/,
          evidence: ['KAPI_LOCK_ACQUIRED', 'KAPI_LOCK_RELEASED'],
        },
      ],
    },
    {
      name: 'PATCH v4 headers: KAPI_LOCK_HELD_ENTRY and KAPI_LOCK_RELEASED',
      text: edit(generated, '\t\tKAPI_LOCK_ACQUIRED\n', '\t\tKAPI_LOCK_HELD_ENTRY\n\t\tKAPI_LOCK_RELEASED\n'),
      errors: [
        {
          subject: 'lock[0].scope',
          message:
            /KAPI_LOCK_HELD_ENTRY and KAPI_LOCK_RELEASED both set lock\[0\]\.scope since PATCH v4, so only KAPI_LOCK_RELEASED stays/,
        },
      ],
    },
    {
      name: 'PATCH v4 headers: KAPI_LOCK_HELD_ENTRY and _EXIT give the same scope twice (warning)',
      text: edit(
        generated,
        '\t\tKAPI_LOCK_ACQUIRED\n',
        '\t\tKAPI_LOCK_HELD_ENTRY\n\t\tKAPI_LOCK_HELD_EXIT\n',
      ),
      errors: [{ subject: 'lock[0].scope', severity: 'warning', message: /set twice to the same value/ }],
    },
    {
      name: 'macro form: the same flags twice (warning)',
      text: edit(
        macro,
        '\t\tKAPI_PARAM_ALIGNMENT(PAGE_SIZE)\n',
        '\t\tKAPI_PARAM_ALIGNMENT(PAGE_SIZE)\n\t\tKAPI_PARAM_FLAGS(KAPI_PARAM_IN)\n',
      ),
      errors: [
        {
          line: line(macro, 'KAPI_PARAM_ALIGNMENT(PAGE_SIZE)') + 1,
          subject: 'param[0].flags',
          severity: 'warning',
          message: /sys_frob: param\[0\]\.flags is set twice to the same value \(first on line 21\)/,
        },
      ],
    },
    {
      name: 'raw initializer then macro: .flags overridden',
      text: edit(
        raw,
        '\t\t.flags = KAPI_PARAM_IN,\n',
        '\t\t.flags = KAPI_PARAM_IN,\n\t\tKAPI_PARAM_FLAGS(KAPI_PARAM_IN | KAPI_PARAM_OPTIONAL)\n',
      ),
      errors: [
        {
          line: line(raw, '.flags = KAPI_PARAM_IN') + 1,
          spec: 'sys_gizmo',
          subject: 'param[0].flags',
          severity: 'error',
          evidence: ['.flags = KAPI_PARAM_IN,', 'KAPI_PARAM_FLAGS(KAPI_PARAM_IN | KAPI_PARAM_OPTIONAL)'],
        },
      ],
    },
    {
      name: 'macro form: a signal mask description set by the macro and again raw (RFC v2 epoll_pwait)',
      text: maskTwice,
      errors: [
        {
          line: line(maskTwice, '.description = "The caller'),
          subject: 'signal_mask[0].description',
          evidence: ['KAPI_SIGNAL_MASK(0, "sigmask"', '.description = "The caller'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: lock-desc twice for one lock',
      text: edit(
        kd1,
        ' * lock-desc: Serialises frobnication\n',
        ' * lock-desc: Serialises frobnication\n * lock-desc: Killable\n',
      ),
      errors: [
        {
          line: line(kd1, 'lock-desc: Serialises frobnication') + 1,
          subject: 'lock[0].description',
          severity: 'error',
          message:
            /sys_frob: lock\[0\]\.description is set twice \(first on line 42\); the generated spec keeps only one of them/,
          evidence: ['lock-desc: Serialises frobnication', 'lock-desc: Killable'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: desc: twice in a lock block',
      text: kd2LockDesc,
      errors: [
        {
          line: line(kd2LockDesc, 'desc: Taken killably'),
          subject: 'lock[0].description',
          evidence: ['desc: Serialises frobnication', 'desc: Taken killably'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 2, patch context: the added desc: line',
      text: kd2LockDesc,
      pre: kd2,
      errors: [{ line: line(kd2LockDesc, 'desc: Taken killably'), subject: 'lock[0].description' }],
    },
    {
      name: 'kerneldoc gen 2: a type in the param header and again as a sub-key',
      text: edit(
        kd2,
        ' * param: start, KAPI_TYPE_UINT\n',
        ' * param: start, KAPI_TYPE_UINT\n *   type: KAPI_TYPE_INT\n',
      ),
      errors: [
        {
          line: line(kd2, ' * param: start') + 1,
          subject: 'param[0].type',
          evidence: ['param: start, KAPI_TYPE_UINT', 'type: KAPI_TYPE_INT'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: timing: twice in a signal block',
      text: edit(kd3, ' *   timing: during\n', ' *   timing: during\n *   timing: before\n'),
      errors: [
        {
          line: line(kd3, 'timing: during') + 1,
          subject: 'signal[0].timing',
          message: /signal\[0\]\.timing is set twice/,
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: long-desc: twice',
      text: edit(
        kd3,
        ' * contexts: process, sleepable\n',
        ' * contexts: process, sleepable\n * long-desc: Frobnicates pages.\n',
      ),
      errors: [{ line: line(kd3, 'contexts: process') + 1, subject: 'spec.long_description' }],
    },
  ],
});

describe('kapi-field-override on the real postings', () => {
  it.skipIf(!corpusPresent)(
    'RFC v2 mlock2: both lock descriptions reported; ACQUIRED with RELEASED is fine under RFC v2 headers',
    async () => {
      const file = corpusFiles('rfc-v2').find((f) => f.name.endsWith('rfc-v2-11-mlock2.patch.txt'));
      const diff = (await parseMail(file?.bytes ?? Buffer.alloc(0))).value.files[0];
      if (!diff) throw new Error('no diff in RFC v2 11/22');
      const fragments = diff.hunks.map((h) => ({
        startLine: h.newStart,
        lines: h.lines.filter((l) => l.kind !== 'del').map((l) => l.text),
      }));
      const unit = buildUnit({ path: diff.path, mode: 'hunks', post: null, fragments, diff }, null);
      const check = checkById('kapi-field-override');
      if (!check) throw new Error('not registered');
      const found = runChecks(unit, [check]).findings;
      expect(found.map((f) => [f.spec, f.subject, f.severity])).toEqual([
        ['sys_mlock2', 'lock[0].description', 'error'],
        ['sys_mlock2', 'lock[1].description', 'error'],
      ]);
      expect(found[0]?.evidence.map((e) => e.text)).toEqual([
        'KAPI_LOCK_DESC("Process memory map write lock")',
        'KAPI_LOCK_DESC("Protects VMA modifications during lock operation")',
      ]);
    },
  );
});
