/**
 * kapi-lock-unbalanced: a syscall or ioctl spec declares a lock as acquired but not released
 * (or released but not acquired) without saying why. Such a spec claims the call returns to
 * userspace holding a kernel lock (or expects one held on entry from userspace), which cannot
 * be: lockdep reports "lock held when returning to user space". It is almost always a forgotten
 * `KAPI_LOCK_RELEASED` / `released: true` (RFC v2 execveat: cred_guard_mutex).
 *
 * Silent when the lock says it on purpose: a held-on-entry/exit flag, an explicit scope
 * (`.scope = KAPI_LOCK_…`, `scope:`), or a description that talks about releasing, holding,
 * the caller or the return (RFC v2 socket: a module reference "released only on
 * sock_release()"). Silent for kernel-function and sysfs specs, where a function may well
 * return with a lock held, and for specs cut off by the patch's hunks.
 */
import type { ApiSpec, SpecLock } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext } from '../define.js';
import type { CheckContext, Evidence } from '../types.js';
import { evidenceAt } from '../unit.js';

/** Descriptions that explain a lock kept past the return, or taken before the call. */
const EXPLAINS_HELD =
  /releas|unlock|drop|_put\b|held|hold|kept|keep|until|return|exit|caller|lifetime|later|remain/i;
const EXPLAINS_TAKEN = /acquir|take|taken|grab|obtain|held|hold|caller|entry|enter|before/i;

type Flag = 'yes' | 'no' | 'other';

function flag(v: string | null): Flag {
  if (v === null || v === 'false') return 'no';
  if (v === 'true' || v === 'conditional') return 'yes';
  return 'other';
}

/** The spec's field assignments inside this lock's block. */
function lockAssignments(spec: ApiSpec, lock: SpecLock): ApiSpec['assignments'] | null {
  if (lock.index === null) return null;
  const block = `lock[${lock.index}]`;
  const mine = spec.assignments.filter((a) => a.block === block);
  // two blocks with one index: we cannot tell their fields apart
  if (spec.locks.filter((l) => l.index === lock.index).length > 1) return null;
  return mine;
}

const SCOPE_MACROS = new Set(['KAPI_LOCK_ACQUIRED', 'KAPI_LOCK_RELEASED']);

/** The line to add: the acquired (or released) line turned into its counterpart. */
function counterpart(text: string, from: 'acquired' | 'released'): string | null {
  const to = from === 'acquired' ? 'released' : 'acquired';
  const rules: [RegExp, string][] = [
    [new RegExp(`KAPI_LOCK_${from.toUpperCase()}\\b`), `KAPI_LOCK_${to.toUpperCase()}`],
    [new RegExp(`\\.${from}\\s*=\\s*[^,]*`), `.${to} = true`],
    [new RegExp(`\\b(lock-)?${from}:.*$`), `$1${to}: true`],
  ];
  for (const [re, by] of rules) {
    const all = text.match(new RegExp(re.source, 'g'));
    if (all?.length === 1) return text.replace(re, by);
  }
  return null;
}

/** A macro spec in the R1–P2 style (with *_END macros), where ACQUIRED and RELEASED are two fields. */
function handWritten(unit: CheckContext['unit'], spec: ApiSpec): boolean {
  for (let n = spec.line; n <= spec.endLine; n++)
    if (/\bKAPI_(?:\w+_)?END(?:_SPEC)?\b/.test(unit.line(n) ?? '')) return true;
  return false;
}

/** A `released: false` / `.released = false` line with the value made true. */
function setTrue(text: string, key: 'acquired' | 'released'): string | null {
  const re = new RegExp(`(\\.${key}\\s*=\\s*|\\b(?:lock-)?${key}:\\s*)\\w+`);
  return re.test(text) ? text.replace(re, '$1true') : null;
}

function reportLock(
  ctx: Ctx,
  spec: ApiSpec,
  lock: SpecLock,
  mine: ApiSpec['assignments'],
  have: 'acquired' | 'released',
): void {
  const { unit } = ctx;
  const field = (a: ApiSpec['assignments'][number]): string | null => {
    if (a.field === 'acquired' || a.field === 'released') return a.field;
    if (a.via === 'KAPI_LOCK_ACQUIRED') return 'acquired';
    if (a.via === 'KAPI_LOCK_RELEASED') return 'released';
    return null;
  };
  const haveLine = mine.find((a) => field(a) === have)?.line;
  const missing = have === 'acquired' ? 'released' : 'acquired';
  // `released: false` written out: the line to change is that one
  const explicit = mine.find((a) => field(a) === missing)?.line;
  const evidence: Evidence[] = [evidenceAt(unit, lock.line, 'spec')];
  if (haveLine !== undefined && haveLine !== lock.line) evidence.push(evidenceAt(unit, haveLine, 'spec'));
  if (explicit !== undefined && explicit !== lock.line) evidence.push(evidenceAt(unit, explicit, 'spec'));
  let suggestion: string | null = null;
  if (spec.form === 'macro' && !handWritten(unit, spec)) {
    // PATCH v3/v4 code generated from kerneldoc: both macros would set `.scope` twice (a W=1
    // error), and the fix belongs in the kerneldoc the code is generated from
  } else if (explicit !== undefined) suggestion = setTrue(unit.line(explicit) ?? '', missing);
  else if (haveLine !== undefined) suggestion = counterpart(unit.line(haveLine) ?? '', have);
  ctx.report({
    messageId: have === 'acquired' ? 'notReleased' : 'notAcquired',
    data: { spec: spec.name, lock: lock.name },
    line: lock.line,
    spec: spec.name,
    subject: `lock:${lock.name}`,
    evidence,
    ...(suggestion !== null ? { suggestion: suggestion.replace(/[ \t]+$/, '') } : {}),
  });
}

const messages = {
  notReleased:
    '{spec}: lock {lock} is acquired but never released, and nothing says it stays held when the call returns to userspace',
  notAcquired:
    '{spec}: lock {lock} is released but never acquired, and nothing says who holds it when the call comes from userspace',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-lock-unbalanced',
    description:
      'A syscall spec declares a lock acquired but never released, or released but never acquired.',
    severity: 'warning',
    messages,
  },
  run(ctx) {
    for (const spec of ctx.unit.specs) {
      if (spec.partial || (spec.kind !== 'syscall' && spec.kind !== 'ioctl')) continue;
      for (const lock of spec.locks) {
        const acquired = flag(lock.acquired);
        const released = flag(lock.released);
        if (acquired === 'other' || released === 'other' || acquired === released) continue;
        const mine = lockAssignments(spec, lock);
        if (mine === null) continue;
        const deliberate = mine.some(
          (a) =>
            a.field === 'held_on_entry' ||
            a.field === 'held_on_exit' ||
            (a.field === 'scope' && !SCOPE_MACROS.has(a.via)),
        );
        if (deliberate) continue;
        const have = acquired === 'yes' ? 'acquired' : 'released';
        // every description written (KAPI_LOCK_DESC may be used twice) and the name itself
        const said = [
          lock.name,
          lock.description ?? '',
          ...mine.filter((a) => a.field === 'description').map((a) => a.value),
        ];
        if (said.some((t) => (have === 'acquired' ? EXPLAINS_HELD : EXPLAINS_TAKEN).test(t))) continue;
        reportLock(ctx, spec, lock, mine, have);
      }
    }
  },
});
