/**
 * kapi-error-undocumented: a syscall can return an errno that its spec's error list does not
 * name. The code facts (parsers/c) give every `-EXXX` that reaches the syscall's return value,
 * with the chain of lines it travels through; the spec gives the documented set. An errno the
 * patch itself introduces (any line of its chain is an added line) is an error: a new error
 * return went in without its documentation. An older one is a warning: the spec is incomplete.
 *
 * Kernel-internal codes are never asked for: the ERESTART* family becomes EINTR or a transparent
 * restart depending on the signal disposition, which the code does not show, and the rest
 * (ENOIOCTLCMD, EPROBE_DEFER, ENOTSUPP, ...) must not reach userspace at all, which is another
 * problem than documentation.
 */
import { canonicalErrno, isErrnoName } from '../../parsers/c/errno.js';
import type { ErrnoFact, SyscallDef } from '../../parsers/c/model.js';
import type { ApiSpec, SpecError } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext } from '../define.js';
import { KERNEL_INTERNAL, specErrno } from '../lib/errno.js';
import { documentedSyscalls } from '../lib/syscalls.js';
import type { FileUnit } from '../types.js';
import { evidenceAt } from '../unit.js';

/**
 * The errnos a spec documents: its error entries plus a return block's error-values list.
 * `readable` is false when an entry's code is not an errno name (numeric, garbled) or an
 * error-values list names none, since the documented set is then not known.
 */
function documentedErrnos(spec: ApiSpec): { errnos: Set<string>; readable: boolean } {
  const errnos = new Set<string>();
  let readable = true;
  for (const e of spec.errors) {
    const n = specErrno(e);
    if (n) errnos.add(n);
    else readable = false;
  }
  for (const a of spec.assignments) {
    if (a.block !== 'return' || a.field !== 'error_values') continue;
    const names = (a.value.match(/\b[A-Z][A-Z0-9_]+\b/g) ?? []).filter(isErrnoName);
    for (const n of names) errnos.add(canonicalErrno(n));
    // `(const s64[]){}` documents nothing; a named array documents what we cannot see
    if (names.length === 0 && /[A-Za-z_]\w*/.test(a.value.replace(/\bconst\b|\bs64\b|\blong\b/g, '')))
      readable = false;
  }
  return { errnos, readable };
}

/** The line of a spec that names it (`DEFINE_KERNEL_API_SPEC(sys_x)`, ` * sys_x - ...`). */
function specNameLine(unit: FileUnit, spec: ApiSpec): number {
  for (let n = spec.line; n <= spec.endLine; n++) if (unit.line(n)?.includes(spec.name)) return n;
  return spec.line;
}

function leading(text: string): string {
  return /^\s*/.exec(text)?.[0] ?? '';
}

/** The spec's error entry written last in the file (the new one goes after it), if any. */
function lastError(spec: ApiSpec): SpecError | undefined {
  let last: SpecError | undefined;
  for (const e of spec.errors) if (!last || e.line >= last.line) last = e;
  return last;
}

/** The error entry to add, in the spec's own form and indentation. */
function errorEntry(unit: FileUnit, spec: ApiSpec, errno: string): string {
  const last = lastError(spec);
  const lastText = last ? (unit.line(last.line) ?? '') : '';
  const cond = 'TODO: condition';
  const desc = 'TODO: description';
  if (spec.form === 'macro') {
    // a loop, not Math.max(...): spreading 200,000 indices overflows the stack
    let max: number | null = null;
    for (const e of spec.errors) if (e.index !== null && (max === null || e.index > max)) max = e.index;
    const next = max !== null ? max + 1 : spec.errors.length;
    const indent = last ? leading(lastText) : leading(unit.line(spec.line + 1) ?? '\t') || '\t';
    return `${indent}KAPI_ERROR(${next}, -${errno}, "${errno}", "${cond}", "${desc}")`;
  }
  // kerneldoc: ' * ' and whatever indentation the last error entry has
  const key = spec.form === 'kerneldoc-1' ? 'error-code:' : 'error:';
  const at = last ? lastText.indexOf(key) : -1;
  const prefix = at > 0 ? lastText.slice(0, at) : ' * ';
  if (spec.form === 'kerneldoc-1')
    return `${prefix}error-code: -${errno}, ${errno}, ${cond},\n${prefix}  ${desc}`;
  return `${prefix}error: ${errno}, ${cond}\n${prefix}  desc: ${desc}`;
}

const messages = {
  direct: '{spec} can return -{written} here, but its spec does not list {errno}',
  via: '{spec} can return -{written} from {fn}(){through}, but its spec does not list {errno}',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-error-undocumented',
    description: "A syscall can return an errno that its spec's error list does not name.",
    severity: 'warning',
    messages,
  },
  run(ctx) {
    const { unit } = ctx;
    const code = unit.code;
    if (unit.mode !== 'full' || code === null) return;
    const broken = new Set(code.functions.filter((f) => f.hasParseErrors).map((f) => f.name));
    for (const { sc, spec } of documentedSyscalls(unit)) {
      const facts = code.errors[sc.fnName];
      if (!facts || broken.has(sc.fnName)) continue;
      const doc = documentedErrnos(spec);
      if (!doc.readable) continue;
      for (const fact of facts.errnos) {
        const errno = canonicalErrno(fact.errno);
        if (KERNEL_INTERNAL.has(errno) || doc.errnos.has(errno)) continue;
        // a function the parser did not fully understand may hide a translation of this errno
        if (fact.chain.some((c) => broken.has(c.fn)) || fact.chain.length === 0) continue;
        report(ctx, spec, sc, fact, errno);
      }
    }
  },
});

function report(ctx: Ctx, spec: ApiSpec, sc: SyscallDef, fact: ErrnoFact, errno: string): void {
  const { unit } = ctx;
  const first = fact.chain[0] as ErrnoFact['chain'][number];
  // where the spec names the syscall, and where its error list ends (the entry goes after it)
  const last = lastError(spec);
  const nameLine = specNameLine(unit, spec);
  const specLines = last && last.line !== nameLine ? [nameLine, last.line] : [nameLine];
  const added = fact.chain.some((c) => unit.added.has(c.line));
  const middle = fact.chain.slice(1, -1).map((c) => `${c.fn}()`);
  const direct = first.fn === sc.fnName;
  ctx.report({
    messageId: direct ? 'direct' : 'via',
    data: {
      spec: spec.name,
      written: fact.written === errno ? errno : `${fact.written} (${errno})`,
      errno,
      fn: first.fn,
      through: middle.length > 0 ? ` through ${middle.join(', ')}` : '',
    },
    line: first.line,
    severity: added ? 'error' : 'warning',
    spec: spec.name,
    subject: errno,
    evidence: [
      ...specLines.map((l) => evidenceAt(unit, l, 'spec')),
      ...fact.chain.map((c) => evidenceAt(unit, c.line, 'code')),
    ],
    suggestion: errorEntry(unit, spec, errno),
  });
}
