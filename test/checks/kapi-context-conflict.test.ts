import { describe, expect, it } from 'vitest';
import { edit, findingsOf, fixture, tableTest } from './harness.js';
import { lineOf } from './spec-texts.js';

const ID = 'kapi-context-conflict';
const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');

const MACRO_CTX = 'KAPI_CONTEXT(KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE)';
const KD_FLAGS = 'context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE';
const KD3_CTX = 'contexts: process, sleepable';
const ctx = (text: string, from: string, to: string): string => edit(text, from, to);

/** frob without the mutex: a body that never sleeps. */
const noSleep = (text: string): string =>
  edit(text, '\tif (mutex_lock_killable(&frob_lock))\n\t\treturn -EINTR;\n', '').replace(
    '\tmutex_unlock(&frob_lock);\n',
    '',
  );

const macroAtomic = ctx(
  macro,
  MACRO_CTX,
  'KAPI_CONTEXT(KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE | KAPI_CTX_ATOMIC)',
);
const kd1Hardirq = ctx(
  kd1,
  KD_FLAGS,
  'context-flags: KAPI_CTX_PROCESS | KAPI_CTX_HARDIRQ | KAPI_CTX_SLEEPABLE',
);
const kd2Preempt = ctx(
  kd2,
  KD_FLAGS,
  'context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE | KAPI_CTX_PREEMPT_DISABLED',
);
const kd3Softirq = ctx(kd3, KD3_CTX, 'contexts: process, softirq, sleepable');
const kd3Sleeps = ctx(kd3, KD3_CTX, 'contexts: process, atomic');
const macroIrqOff = ctx(macro, MACRO_CTX, 'KAPI_CONTEXT(KAPI_CTX_PROCESS | KAPI_CTX_IRQ_DISABLED)');
const kd1HardirqOnly = ctx(kd1, KD_FLAGS, 'context-flags: KAPI_CTX_HARDIRQ');
const ioctlSoftirq = ctx(ioctl, MACRO_CTX, 'KAPI_CONTEXT(KAPI_CTX_SOFTIRQ | KAPI_CTX_SLEEPABLE)');
const macroHelper = ctx(macro, MACRO_CTX, 'KAPI_SYSCALL_ATOMIC');

tableTest('kapi-context-conflict', {
  valid: [
    { name: 'macro form: process, sleepable', text: macro },
    { name: 'kerneldoc gen 1', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'raw initializers, no contexts', text: raw },
    { name: 'PATCH v4 generated code', text: generated },
    { name: 'an ioctl spec', text: ioctl },
    { name: 'atomic, and the body does not sleep (gen 3)', text: noSleep(kd3Sleeps) },
    {
      name: 'a sleeping primitive named only in a comment and a string',
      text: edit(
        noSleep(kd3Sleeps),
        '\tfrob_pages(start, len);',
        '\t/* no mutex_lock() here: we are atomic */\n\tpr_debug("not copy_to_user(%lu)\\n", start);\n\tfrob_pages(start, len);',
      ),
    },
    {
      name: 'a method of the same name is not the primitive',
      text: edit(
        noSleep(kd3Sleeps),
        '\tfrob_pages(start, len);',
        '\tfrob->ops->mutex_lock(frob);\n\tfrob_pages(start, len);',
      ),
    },
    {
      name: 'process and softirq, not sleepable, with a sleeping body: callable from process context',
      text: ctx(kd3, KD3_CTX, 'contexts: process, softirq'),
    },
    { name: 'without a tree the body is unknown', text: kd3Sleeps, hunksOnly: true },
    {
      name: 'contexts set twice: the C initializer keeps the last (another question)',
      text: ctx(macroAtomic, '\tKAPI_DESCRIPTION(', '\tKAPI_CONTEXT(KAPI_CTX_PROCESS)\n\tKAPI_DESCRIPTION('),
    },
    { name: 'a spec read only in part', text: edit(macroAtomic, '\tKAPI_RETURN_END\n', '') },
    {
      name: 'a hunk that shows the contexts line but not the start of its spec',
      pre: kd3,
      text: kd3Softirq,
      hunksOnly: true,
    },
  ],
  invalid: [
    {
      name: 'macro form: sleepable and atomic',
      text: macroAtomic,
      errors: [
        {
          line: lineOf(macroAtomic, 'KAPI_CONTEXT('),
          severity: 'error',
          spec: 'sys_frob',
          subject: 'contexts',
          message: /^sys_frob says sleepable and also atomic: a call that may sleep cannot run there$/,
          evidence: ['KAPI_CONTEXT(KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE | KAPI_CTX_ATOMIC)'],
          suggestion: `\t${MACRO_CTX}`,
        },
      ],
    },
    {
      name: 'kerneldoc gen 1: sleepable and hardirq is a warning',
      text: kd1Hardirq,
      errors: [
        {
          line: lineOf(kd1Hardirq, 'context-flags:'),
          severity: 'warning',
          message: /^sys_frob says sleepable and also hardirq: code called from there cannot sleep$/,
          suggestion: ` * ${KD_FLAGS}`,
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: sleepable and preempt_disabled',
      text: kd2Preempt,
      errors: [{ severity: 'error', subject: 'contexts', suggestion: ` * ${KD_FLAGS}` }],
    },
    {
      name: 'kerneldoc gen 3: softirq cannot sleep either',
      text: kd3Softirq,
      errors: [{ line: lineOf(kd3Softirq, 'contexts:'), severity: 'warning', suggestion: ` * ${KD3_CTX}` }],
    },
    {
      name: 'the spec alone is enough for the flags: reported without a tree too (a new file)',
      text: kd3Softirq,
      hunksOnly: true,
      errors: [{ line: lineOf(kd3Softirq, 'contexts:'), subject: 'contexts' }],
    },
    {
      name: 'kerneldoc gen 3: several at once, one finding',
      text: ctx(kd3, KD3_CTX, 'contexts: sleepable, nmi, atomic'),
      errors: [{ severity: 'error', message: /also atomic, nmi:/, suggestion: ' * contexts: sleepable' }],
    },
    {
      name: 'an ioctl spec: reported, no suggestion (its handler may run elsewhere)',
      text: ioctlSoftirq,
      errors: [{ subject: 'contexts', severity: 'warning' }],
    },
    {
      name: 'gen 3: atomic required while the syscall takes a mutex',
      text: kd3Sleeps,
      errors: [
        {
          line: lineOf(kd3Sleeps, 'contexts:'),
          severity: 'error',
          subject: 'contexts:sleeps',
          message:
            /^sys_frob requires atomic context, but sys_frob\(\) calls mutex_lock_killable\(\), which may sleep$/,
          evidence: ['contexts: process, atomic', 'if (mutex_lock_killable(&frob_lock))'],
          suggestion: ` * ${KD3_CTX}`,
        },
      ],
    },
    {
      name: 'macro form: irq_disabled required while the syscall takes a mutex',
      text: macroIrqOff,
      errors: [
        {
          subject: 'contexts:sleeps',
          message: /requires irq_disabled context/,
          suggestion: `\t${MACRO_CTX}`,
        },
      ],
    },
    {
      name: 'gen 1: only hardirq, and the body sleeps',
      text: kd1HardirqOnly,
      errors: [
        { subject: 'contexts:sleeps', message: /requires hardirq context/, suggestion: ` * ${KD_FLAGS}` },
      ],
    },
    {
      name: 'gen 2: atomic, and copy_from_user in the body',
      text: edit(
        noSleep(ctx(kd2, KD_FLAGS, 'context-flags: KAPI_CTX_ATOMIC')),
        '\tfrob_pages(start, len);',
        '\tif (copy_from_user(&hdr, (void __user *)start, sizeof(hdr)))\n\t\treturn -EFAULT;\n\tfrob_pages(start, len);',
      ),
      errors: [{ subject: 'contexts:sleeps', message: /calls copy_from_user\(\)/ }],
    },
    {
      name: 'the KAPI_SYSCALL_ATOMIC helper becomes KAPI_SYSCALL_SLEEPABLE',
      text: macroHelper,
      errors: [{ line: lineOf(macroHelper, 'KAPI_SYSCALL_ATOMIC'), suggestion: '\tKAPI_SYSCALL_SLEEPABLE' }],
    },
  ],
});

describe(`${ID}: suggestions`, () => {
  it('none for a spec that is not a syscall: which context is wrong is not known', async () => {
    const [f] = await findingsOf(ID, { text: ioctlSoftirq });
    expect(f?.suggestion).toBeUndefined();
  });
});
