import { describe, expect, it } from 'vitest';
import { edit, findingsOf, fixture, tableTest } from './harness.js';
import { lineOf } from './spec-texts.js';

const ID = 'kapi-lock-unbalanced';
const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');

/** frob's lock with KAPI_LOCK_RELEASED (or its kerneldoc key) taken out. */
const macroAcquiredOnly = edit(macro, '\t\tKAPI_LOCK_RELEASED\n', '');
const kd1AcquiredOnly = edit(kd1, ' * lock-released: true\n', '');
const kd3AcquiredOnly = edit(kd3, ' *   released: true\n', '');
const kd3ReleasedOnly = edit(kd3, ' *   acquired: true\n', '');
const kd2NotReleased = edit(kd2, ' *   released: true\n', ' *   released: false\n');
const rawAcquiredOnly = edit(raw, '\t\t.released = true,\n', '');
/** RFC v2 execveat: cred_guard_mutex, KAPI_LOCK_ACQUIRED between two descriptions, no release. */
const execveatShape = edit(
  macroAcquiredOnly,
  '\t\tKAPI_LOCK_ACQUIRED\n\t\tKAPI_LOCK_DESC("Serialises frobnication")',
  '\t\tKAPI_LOCK_DESC("Serialises frobnication")\n\t\tKAPI_LOCK_ACQUIRED\n\t\tKAPI_LOCK_DESC("Guards the range against concurrent changes")',
);

tableTest('kapi-lock-unbalanced', {
  valid: [
    { name: 'macro form: acquired and released', text: macro },
    { name: 'kerneldoc gen 1', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'raw initializers .acquired/.released', text: raw },
    { name: 'ioctl spec without locks', text: ioctl },
    {
      name: 'RFC v2 socket shape: the description says where it is released',
      text: edit(
        macroAcquiredOnly,
        'KAPI_LOCK_DESC("Serialises frobnication")',
        'KAPI_LOCK_DESC("Pins the frob module; released only by frob_release() when the fd is closed")',
      ),
    },
    {
      name: 'macro form: KAPI_LOCK_HELD_EXIT says it stays held',
      text: edit(macro, '\t\tKAPI_LOCK_RELEASED\n', '\t\tKAPI_LOCK_HELD_EXIT\n'),
    },
    {
      name: 'raw initializer .held_on_exit says it stays held',
      text: edit(raw, '\t\t.released = true,\n', '\t\t.held_on_exit = true,\n'),
    },
    {
      name: 'kerneldoc gen 2: held-on-exit',
      text: edit(kd2, ' *   released: true\n', ' *   held-on-exit: true\n'),
    },
    {
      name: 'kerneldoc gen 2: released, and held on entry by its caller',
      text: edit(kd2, ' *   acquired: true\n', ' *   held-on-entry: true\n'),
    },
    {
      name: 'kerneldoc gen 3: an explicit scope (PATCH v4 `scope: acquires`)',
      text: edit(kd3, ' *   released: true\n', ' *   scope: acquires\n'),
    },
    {
      name: 'kerneldoc gen 1: a description that says the caller releases it',
      text: edit(
        kd1AcquiredOnly,
        ' * lock-desc: Serialises frobnication',
        ' * lock-desc: Returned held; the caller unlocks it',
      ),
    },
    {
      name: 'PATCH v4 read shape: acquired conditionally, released',
      text: edit(kd3, ' *   acquired: true\n', ' *   acquired: conditional\n'),
    },
    {
      name: 'neither acquired nor released (a lock only mentioned)',
      text: edit(kd3AcquiredOnly, ' *   acquired: true\n', ' *   acquired: false\n'),
    },
    {
      name: 'a kernel function (not a syscall) may return with a lock held',
      text: edit(
        kd3AcquiredOnly,
        'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)',
        'static int frob_helper(unsigned long start, size_t len)',
      ).replace(' * sys_frob - ', ' * frob_helper - '),
    },
    {
      name: 'a hunk that shows the lock block but not the start of its spec',
      pre: edit(kd3AcquiredOnly, 'Serialises frobnication', 'Serialises frob'),
      text: kd3AcquiredOnly,
      hunksOnly: true,
    },
    {
      name: 'a macro spec read only in part',
      text: edit(macroAcquiredOnly, '\tKAPI_RETURN_END\n', ''),
    },
  ],
  invalid: [
    {
      name: 'macro form: KAPI_LOCK_ACQUIRED without KAPI_LOCK_RELEASED',
      text: macroAcquiredOnly,
      errors: [
        {
          line: lineOf(macroAcquiredOnly, 'KAPI_LOCK(0, "frob_lock"'),
          severity: 'warning',
          spec: 'sys_frob',
          subject: 'lock:frob_lock',
          message:
            /^sys_frob: lock frob_lock is acquired but never released, and nothing says it stays held when the call returns to userspace$/,
          evidence: ['KAPI_LOCK(0, "frob_lock", KAPI_LOCK_MUTEX)', 'KAPI_LOCK_ACQUIRED'],
          suggestion: '\t\tKAPI_LOCK_RELEASED',
        },
      ],
    },
    {
      name: 'RFC v2 execveat shape: two descriptions, neither says where it is released',
      text: execveatShape,
      errors: [{ subject: 'lock:frob_lock', suggestion: '\t\tKAPI_LOCK_RELEASED' }],
    },
    {
      name: 'raw initializers: .acquired = true only',
      text: rawAcquiredOnly,
      errors: [
        {
          line: lineOf(rawAcquiredOnly, '.locks[0]'),
          subject: 'lock:gizmo_lock',
          evidence: ['.acquired = true,'],
          suggestion: '\t\t.released = true,',
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: lock-acquired without lock-released',
      text: kd1AcquiredOnly,
      errors: [
        {
          line: lineOf(kd1AcquiredOnly, ' * lock: frob_lock'),
          evidence: ['lock: frob_lock, KAPI_LOCK_MUTEX', 'lock-acquired: true'],
          suggestion: ' * lock-released: true',
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: released: false written out is the line to change',
      text: kd2NotReleased,
      errors: [
        {
          line: lineOf(kd2NotReleased, ' * lock: frob_lock'),
          evidence: ['lock: frob_lock', 'acquired: true', 'released: false'],
          suggestion: ' *   released: true',
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: acquired without released',
      text: kd3AcquiredOnly,
      errors: [{ line: lineOf(kd3AcquiredOnly, ' * lock: frob_lock'), suggestion: ' *   released: true' }],
    },
    {
      name: 'kerneldoc gen 3: released but never acquired',
      text: kd3ReleasedOnly,
      errors: [
        {
          line: lineOf(kd3ReleasedOnly, ' * lock: frob_lock'),
          message:
            /^sys_frob: lock frob_lock is released but never acquired, and nothing says who holds it when the call comes from userspace$/,
          evidence: ['lock: frob_lock', 'released: true'],
          suggestion: ' *   acquired: true',
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: acquired conditionally and never released',
      text: edit(kd3AcquiredOnly, ' *   acquired: true\n', ' *   acquired: conditional\n'),
      errors: [
        { subject: 'lock:frob_lock', evidence: ['acquired: conditional'], suggestion: ' *   released: true' },
      ],
    },
    {
      name: 'PATCH v4 generated code: reported, with no macro to add (the fix is in its kerneldoc)',
      text: generated,
      errors: [{ line: lineOf(generated, 'KAPI_LOCK(0, "gadget->lock"'), subject: 'lock:gadget->lock' }],
    },
    {
      name: 'the spec alone is enough: reported without a tree too',
      text: kd3AcquiredOnly,
      hunksOnly: true,
      errors: [{ subject: 'lock:frob_lock' }],
    },
    {
      name: 'an ioctl returns to userspace as well',
      text: edit(
        ioctl,
        '\tKAPI_ERROR_COUNT(2)',
        '\tKAPI_LOCK(0, "widget->mutex", KAPI_LOCK_MUTEX)\n\t\tKAPI_LOCK_ACQUIRED\n\tKAPI_LOCK_END\n\n\tKAPI_ERROR_COUNT(2)',
      ),
      errors: [{ subject: 'lock:widget->mutex', suggestion: '\t\tKAPI_LOCK_RELEASED' }],
    },
  ],
});

describe(`${ID}: suggestions`, () => {
  it('none for PATCH v4 generated code: ACQUIRED and RELEASED would both set .scope', async () => {
    const [f] = await findingsOf(ID, { text: generated });
    expect(f?.suggestion).toBeUndefined();
  });

  for (const [name, text] of [
    ['macro', macroAcquiredOnly],
    ['raw', rawAcquiredOnly],
    ['kerneldoc gen 1', kd1AcquiredOnly],
    ['kerneldoc gen 2 (a line to change)', kd2NotReleased],
    ['kerneldoc gen 3', kd3AcquiredOnly],
    ['kerneldoc gen 3, released only', kd3ReleasedOnly],
  ] as const)
    it(`${name}: the suggestion, put in place, balances the lock`, async () => {
      const [f] = await findingsOf(ID, { text });
      const at = f?.evidence.at(-1)?.line as number;
      const lines = text.split('\n');
      // a line to change replaces it; a line to add goes after its counterpart
      if (/false/.test(lines[at - 1] ?? '')) lines.splice(at - 1, 1, f?.suggestion as string);
      else lines.splice(at, 0, f?.suggestion as string);
      expect(await findingsOf(ID, { text: lines.join('\n') })).toEqual([]);
    });
});
