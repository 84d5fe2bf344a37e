/**
 * kapi-context-conflict: a spec's contexts contradict each other, or contradict the syscall body.
 *
 * 1. `sleepable` together with a context in which sleeping is forbidden. The framework's own
 *    runtime check (kapi_check_context, PATCH v4) warns on every call when SLEEPABLE is set and
 *    the caller is not preemptible, and when ATOMIC is set and it is: `atomic`,
 *    `preempt_disabled` and `irq_disabled` are requirements no sleepable call can meet (error);
 *    `softirq`, `hardirq` and `nmi` are calling contexts from which a sleeping call is a bug
 *    (warning). For a syscall, which runs in process context and may sleep, the suggestion drops
 *    the non-sleeping tokens.
 * 2. A syscall spec that requires a non-sleeping context (`atomic`, `preempt_disabled`,
 *    `irq_disabled`, or only interrupt contexts) and does not say `sleepable`, while the
 *    syscall's own body calls a primitive that always may sleep (mutex_lock, copy_from_user,
 *    ...). Only direct calls in the syscall's body, comments and strings ignored, and only
 *    in full mode with a body that parsed cleanly.
 *
 * Silent for specs cut off by the hunks and for specs that set their contexts more than once
 * (the C initializer keeps the last one; another question).
 */
import type { CFunction } from '../../parsers/c/model.js';
import type { ApiSpec } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext } from '../define.js';
import { codeLines } from '../lib/code.js';
import { documentedSyscalls } from '../lib/syscalls.js';
import type { FileUnit } from '../types.js';
import { evidenceAt } from '../unit.js';

/** Requirements that exclude sleeping (the caller is not preemptible). */
const NON_PREEMPTIBLE = ['atomic', 'preempt_disabled', 'irq_disabled'];
/** Calling contexts in which sleeping is a bug. */
const INTERRUPT = ['softirq', 'hardirq', 'nmi'];

/** Kernel primitives that may sleep whatever their arguments. */
const SLEEPING = [
  'mutex_lock',
  'mutex_lock_interruptible',
  'mutex_lock_killable',
  'mutex_lock_nested',
  'mutex_lock_io',
  'down',
  'down_interruptible',
  'down_killable',
  'down_timeout',
  'down_read',
  'down_read_interruptible',
  'down_read_killable',
  'down_write',
  'down_write_killable',
  'mmap_read_lock',
  'mmap_read_lock_killable',
  'mmap_write_lock',
  'mmap_write_lock_killable',
  'msleep',
  'msleep_interruptible',
  'ssleep',
  'usleep_range',
  'schedule',
  'schedule_timeout',
  'schedule_timeout_interruptible',
  'schedule_timeout_killable',
  'schedule_timeout_uninterruptible',
  'io_schedule',
  'wait_for_completion',
  'wait_for_completion_interruptible',
  'wait_for_completion_killable',
  'wait_for_completion_timeout',
  'wait_event',
  'wait_event_interruptible',
  'wait_event_killable',
  'wait_event_timeout',
  'wait_event_interruptible_timeout',
  'might_sleep',
  'might_fault',
  'cond_resched',
  'copy_from_user',
  'copy_to_user',
  'get_user',
  'put_user',
  'strncpy_from_user',
  'clear_user',
  'synchronize_rcu',
  'synchronize_srcu',
  'rcu_barrier',
  'flush_work',
  'flush_workqueue',
  'vmalloc',
  'vzalloc',
  'lock_sock',
];
const SLEEPING_CALL = new RegExp(`(?<![\\w.>$])(${SLEEPING.join('|')})\\s*\\(`);

/** The line of the spec's one contexts assignment (null: none, or more than one). */
function contextLine(spec: ApiSpec): number | null {
  let line: number | null = null;
  for (const a of spec.assignments) {
    if (a.block !== 'spec' || a.field !== 'context_flags') continue;
    if (line !== null) return null;
    line = a.line;
  }
  return line;
}

/** The contexts line without `tokens`, when each occurs exactly once on it. */
function withoutTokens(text: string, tokens: string[]): string | null {
  let t = text;
  for (const tok of tokens) {
    const name = `KAPI_CTX_${tok.toUpperCase()}`;
    const forms = t.includes('KAPI_CTX_')
      ? [new RegExp(`\\s*\\|\\s*${name}\\b`), new RegExp(`\\b${name}\\s*\\|\\s*`)]
      : [new RegExp(`\\s*,\\s*${tok}\\b`), new RegExp(`\\b${tok}\\s*,\\s*`)];
    const word = t.includes('KAPI_CTX_') ? name : tok;
    if ((t.match(new RegExp(`\\b${word}\\b`, 'g')) ?? []).length !== 1) return null;
    const form = forms.find((re) => re.test(t));
    if (!form) return null;
    t = t.replace(form, '');
  }
  return t;
}

/** The contexts line saying process context that may sleep, in the line's own style. */
function processSleepable(text: string): string | null {
  if (/KAPI_SYSCALL_ATOMIC\b/.test(text))
    return text.replace(/KAPI_SYSCALL_ATOMIC\b/, 'KAPI_SYSCALL_SLEEPABLE');
  if (/KAPI_CONTEXT\([^()]*\)/.test(text))
    return text.replace(/KAPI_CONTEXT\([^()]*\)/, 'KAPI_CONTEXT(KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE)');
  const m = /^(.*?\b(?:contexts|context-flags):\s*)(.*)$/.exec(text);
  if (!m) return null;
  const value = (m[2] as string).includes('KAPI_CTX_')
    ? 'KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE'
    : 'process, sleepable';
  return `${m[1]}${value}`;
}

function reportConflict(ctx: Ctx, spec: ApiSpec, line: number): void {
  const conflicts = [...NON_PREEMPTIBLE, ...INTERRUPT].filter((c) => spec.contexts.includes(c));
  if (!spec.contexts.includes('sleepable') || conflicts.length === 0) return;
  const hard = conflicts.some((c) => NON_PREEMPTIBLE.includes(c));
  const text = ctx.unit.line(line) ?? '';
  const suggestion = spec.kind === 'syscall' ? withoutTokens(text, conflicts) : null;
  ctx.report({
    messageId: hard ? 'requirement' : 'calling',
    data: { spec: spec.name, conflicts: conflicts.join(', ') },
    line,
    severity: hard ? 'error' : 'warning',
    spec: spec.name,
    subject: 'contexts',
    evidence: [evidenceAt(ctx.unit, line, 'spec')],
    ...(suggestion !== null ? { suggestion } : {}),
  });
}

/** The first line of a syscall body calling a sleeping primitive, with the primitive. */
function sleepingCall(unit: FileUnit, from: number, to: number): { line: number; call: string } | null {
  const lines = codeLines(unit, from, to);
  // from the opening brace on: the SYSCALL_DEFINE header is no call
  let started = false;
  for (const [k, l] of lines.entries()) {
    let body = l;
    if (!started) {
      const brace = l.indexOf('{');
      if (brace < 0) continue;
      started = true;
      body = l.slice(brace);
    }
    const m = SLEEPING_CALL.exec(body);
    if (m) return { line: from + k, call: m[1] as string };
  }
  return null;
}

const messages = {
  requirement: '{spec} says sleepable and also {conflicts}: a call that may sleep cannot run there',
  calling: '{spec} says sleepable and also {conflicts}: code called from there cannot sleep',
  sleeps: '{spec} requires {contexts} context, but {fn}() calls {call}(), which may sleep',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-context-conflict',
    description:
      'A spec says sleepable together with a context that cannot sleep, or requires one while its syscall sleeps.',
    severity: 'error',
    messages,
  },
  run(ctx) {
    const { unit } = ctx;
    for (const spec of unit.specs) {
      if (spec.partial) continue;
      const line = contextLine(spec);
      if (line !== null) reportConflict(ctx, spec, line);
    }
    const code = unit.code;
    if (unit.mode !== 'full' || code === null) return;
    // the syscall definitions by name, indexed once (not searched for each syscall)
    const syscallDefs = new Map<string, CFunction[]>();
    for (const f of code.functions) {
      if (!f.isSyscall) continue;
      const same = syscallDefs.get(f.name);
      if (same) same.push(f);
      else syscallDefs.set(f.name, [f]);
    }
    for (const { sc, spec } of documentedSyscalls(unit)) {
      const line = contextLine(spec);
      if (line === null || spec.contexts.includes('sleepable')) continue;
      const required = NON_PREEMPTIBLE.filter((c) => spec.contexts.includes(c));
      const onlyInterrupt =
        !spec.contexts.includes('process') && INTERRUPT.filter((c) => spec.contexts.includes(c));
      const why = required.length > 0 ? required : onlyInterrupt || [];
      if (why.length === 0) continue;
      const defs = syscallDefs.get(sc.fnName) ?? [];
      if (defs.length !== 1 || defs.some((d) => d.hasParseErrors)) continue;
      const def = defs[0] as (typeof defs)[number];
      const found = sleepingCall(unit, def.line, def.endLine);
      if (!found) continue;
      const fix = processSleepable(unit.line(line) ?? '');
      ctx.report({
        messageId: 'sleeps',
        data: { spec: spec.name, contexts: why.join(', '), fn: sc.fnName, call: found.call },
        line,
        severity: 'error',
        spec: spec.name,
        subject: 'contexts:sleeps',
        evidence: [evidenceAt(unit, line, 'spec'), evidenceAt(unit, found.line, 'code')],
        ...(fix !== null ? { suggestion: fix } : {}),
      });
    }
  },
});
