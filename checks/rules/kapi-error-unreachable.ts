/**
 * kapi-error-unreachable: a spec lists an errno that its syscall can never return. Claimed when
 * the code facts give the syscall's error set as exact (`complete`: no call to a function outside
 * the file, no value the analysis does not follow and no unparsed code can reach the return value)
 * and the errno is not in it; or, when the set is open, when the errno is in the facts' `never`
 * (every value that comes from outside the file passes a test that turns the errno away, e.g.
 * mlock's POSIX translation of -EFAULT, and no code in the file returns it). Either way only when
 * a textual guard also finds no value the analysis does not follow (a struct field, a
 * dereference, an out-parameter or an object-like macro reaching a return) in the functions the
 * syscall may call.
 *
 * Not claimed for: kernel-internal codes; ENOSYS (the syscall table returns it, not the
 * function); EINTR when the code returns ERESTARTSYS, ERESTARTNOHAND or ERESTART_RESTARTBLOCK
 * (userspace sees them as EINTR); EINVAL when the spec constrains a parameter (with
 * CONFIG_KAPI_RUNTIME_CHECKS the framework's own validator returns -EINVAL before the syscall
 * runs); EOPNOTSUPP when the code returns the kernel-internal ENOTSUPP (a leak, not a spec error).
 * With an open set, EINTR only when the restart codes are excluded too, EOPNOTSUPP only when
 * ENOTSUPP is.
 *
 * Severity warning: `complete` is exact only for what the analysis follows, and another
 * definition of the syscall (arch, compat) may return the errno.
 */
import { canonicalErrno } from '../../parsers/c/errno.js';
import type { CFacts, CFunction, FunctionErrors, SyscallDef } from '../../parsers/c/model.js';
import { type ApiSpec, constrainsParams } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext } from '../define.js';
import { codeLines } from '../lib/code.js';
import { KERNEL_INTERNAL, RESTARTS_AS_EINTR, specErrno } from '../lib/errno.js';
import { documentedSyscalls } from '../lib/syscalls.js';
import type { Evidence, FileUnit } from '../types.js';
import { evidenceAt } from '../unit.js';

/**
 * The file's functions indexed once per run: definitions by name, and each definition's code text
 * and same-file callees computed at most once (a file with 16,000 syscalls used to filter every
 * function, and rebuild the set of their names, for each syscall).
 */
class CodeIndex {
  private readonly defs = new Map<string, CFunction[]>();
  private readonly texts = new Map<CFunction, string[]>();
  private readonly calls = new Map<CFunction, string[]>();
  private readonly opaque = new Map<CFunction, boolean>();

  constructor(
    private readonly unit: FileUnit,
    code: CFacts,
  ) {
    for (const f of code.functions) {
      const same = this.defs.get(f.name);
      if (same) same.push(f);
      else this.defs.set(f.name, [f]);
    }
  }

  /** Definitions of `name` in the file, in the facts' order. */
  defsOf(name: string): readonly CFunction[] {
    return this.defs.get(name) ?? [];
  }

  /** codeLines of a definition. */
  text(f: CFunction): string[] {
    let t = this.texts.get(f);
    if (!t) {
      t = codeLines(this.unit, f.line, f.endLine);
      this.texts.set(f, t);
    }
    return t;
  }

  /** The names of same-file functions a definition calls, in the order of their calls. */
  callees(f: CFunction): string[] {
    let out = this.calls.get(f);
    if (!out) {
      out = [];
      for (const m of this.text(f)
        .join('\n')
        .matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
        const callee = m[1] as string;
        if (this.defs.has(callee)) out.push(callee);
      }
      this.calls.set(f, out);
    }
    return out;
  }

  opaqueReturn(f: CFunction): boolean {
    let o = this.opaque.get(f);
    if (o === undefined) {
      o = opaqueReturn(this.text(f));
      this.opaque.set(f, o);
    }
    return o;
  }

  /** callClosure over this index. */
  closure(fn: string): CFunction[] {
    const seen = new Set<string>([fn]);
    const todo = [fn];
    const out: CFunction[] = [];
    while (todo.length > 0) {
      const name = todo.pop() as string;
      for (const def of this.defsOf(name)) {
        out.push(def);
        for (const callee of this.callees(def)) {
          if (!seen.has(callee)) {
            seen.add(callee);
            todo.push(callee);
          }
        }
      }
    }
    return out;
  }
}

/** `expr` with every call's argument list emptied (calls are what the analysis follows). */
function withoutCallArgs(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const m = /^[A-Za-z_]\w*\s*\(/.exec(expr.slice(i));
    if (m && (i === 0 || !/[\w$]/.test(expr[i - 1] as string))) {
      // skip to the matching parenthesis
      let depth = 1;
      let j = i + m[0].length;
      while (j < expr.length && depth > 0) {
        if (expr[j] === '(') depth++;
        else if (expr[j] === ')') depth--;
        j++;
      }
      out += `${m[0]})`;
      i = j;
    } else {
      out += expr[i];
      i++;
    }
  }
  return out;
}

/** A member access or a dereference outside call arguments. */
function readsMemory(expr: string): boolean {
  const e = withoutCallArgs(expr);
  return /->|[A-Za-z_\])]\s*\.\s*[A-Za-z_]|(^|[=(?:,!&|])\s*\*\s*[A-Za-z_(]/.test(e);
}

const CONSTANTS = new Set(['NULL', 'TRUE', 'FALSE']);

/**
 * Whether a function returns a value the errno analysis does not follow: a member access or a
 * dereference in a `return` expression or assigned to a returned variable, a returned variable
 * passed by address, or a returned bare upper-case name (an object-like macro).
 */
export function opaqueReturn(lines: string[]): boolean {
  const text = lines.join('\n');
  const returned = new Set<string>();
  for (const m of text.matchAll(/\breturn\b([^;]*);/g)) {
    const expr = (m[1] as string).trim();
    if (readsMemory(expr)) return true;
    const bare = /^\(?\s*([A-Za-z_]\w*)\s*\)?$/.exec(expr)?.[1];
    if (bare && /^[A-Z][A-Z0-9_]*$/.test(bare) && !/^E[A-Z0-9_]+$/.test(bare) && !CONSTANTS.has(bare))
      return true;
    for (const id of withoutCallArgs(expr).matchAll(/\b([a-z_]\w*)\b(?!\s*\()/g))
      returned.add(id[1] as string);
  }
  for (const v of returned) {
    const assign = new RegExp(`(?<![\\w.>])${v}\\s*=(?!=)\\s*([^;]*);`, 'g');
    for (const m of text.matchAll(assign)) if (readsMemory((m[1] as string).trim())) return true;
    if (new RegExp(`(?<=[(,=]\\s*)&\\s*${v}\\b(?!\\s*(->|\\.|\\[))`).test(text)) return true;
  }
  return false;
}

/** The spellings of a canonical errno (errno.ts folds these aliases). */
const SPELLINGS: Readonly<Record<string, string>> = {
  EAGAIN: 'EAGAIN|EWOULDBLOCK',
  EDEADLK: 'EDEADLK|EDEADLOCK',
  EOPNOTSUPP: 'EOPNOTSUPP|ENOTSUP',
};

/** `-EXXX` (or `-(EXXX)`) in any spelling. */
function errnoMention(errno: string): RegExp {
  return new RegExp(`-\\s*\\(?\\s*(?:${SPELLINGS[errno] ?? errno})\\b`);
}

const messages = {
  unreachable: '{spec} lists {errno}, but {fn}() can never return it (it returns {returned})',
  translated:
    '{spec} lists {errno}, but {fn}() can never return it: -{errno} is tested for and replaced (line {at}); it returns {returned}',
  dropped:
    '{spec} lists {errno}, but {fn}() can never return it: -{errno} (line {at}) does not reach its return value; it returns {returned}',
  excluded:
    '{spec} lists {errno}, but {fn}() can never return it: what it returns from {unknown} passes a test that turns -{errno} away (line {at}), and no code in this file returns it',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-error-unreachable',
    description: 'A spec lists an errno that its syscall can never return.',
    severity: 'warning',
    messages,
  },
  run(ctx) {
    const { unit } = ctx;
    const code = unit.code;
    if (unit.mode !== 'full' || code === null) return;
    const index = new CodeIndex(unit, code);
    for (const { sc, spec } of documentedSyscalls(unit)) {
      const facts = code.errors[sc.fnName];
      const defs = index.defsOf(sc.fnName);
      if (!facts || defs.length === 0 || defs.some((d) => d.hasParseErrors)) continue;
      // an open set says only what its `never` says
      const never = new Set(facts.complete ? [] : facts.never.map(canonicalErrno));
      if (!facts.complete && never.size === 0) continue;
      const closure = index.closure(sc.fnName);
      if (closure.some((f) => f.hasParseErrors || index.opaqueReturn(f))) continue;

      const returned = new Set(facts.errnos.map((e) => canonicalErrno(e.errno)));
      const reachable = new Set(returned);
      if ([...returned].some((e) => RESTARTS_AS_EINTR.has(e))) reachable.add('EINTR');
      const shown = [...returned].filter((e) => !KERNEL_INTERNAL.has(e) || RESTARTS_AS_EINTR.has(e));

      const byErrno = new Map<string, number[]>();
      for (const e of spec.errors) {
        const errno = specErrno(e);
        if (!errno) continue;
        const lines = byErrno.get(errno);
        if (lines) lines.push(e.line);
        else byErrno.set(errno, [e.line]);
      }
      for (const [errno, lines] of byErrno) {
        if (reachable.has(errno) || KERNEL_INTERNAL.has(errno) || errno === 'ENOSYS') continue;
        if (errno === 'EINVAL' && constrainsParams(spec)) continue;
        if (errno === 'EOPNOTSUPP' && returned.has('ENOTSUPP')) continue;
        if (!facts.complete) {
          if (!never.has(errno)) continue;
          // what comes from outside may still be a code userspace sees as this errno
          if (errno === 'EINTR' && [...RESTARTS_AS_EINTR].some((r) => !never.has(r))) continue;
          if (errno === 'EOPNOTSUPP' && !never.has('ENOTSUPP')) continue;
          // open only through a same-file function whose analysis did not finish: too little to go on
          if (facts.unknownCalls.length + facts.unknownValues.length === 0) continue;
          reportExcluded(ctx, spec, sc, facts, errno, lines);
          continue;
        }

        const mention = errnoMention(errno);
        const mentions: number[] = [];
        const codeLines = new Map<number, string>();
        for (const f of closure) {
          const body = index.text(f);
          for (const [k, l] of body.entries())
            if (mention.test(l) && !codeLines.has(f.line + k)) {
              mentions.push(f.line + k);
              codeLines.set(f.line + k, l);
            }
        }
        mentions.sort((a, b) => a - b);
        // a comparison is where the errno is translated or filtered away
        const test = new RegExp(
          `[=!]=\\s*${mention.source}|${mention.source}\\s*[=!]=|\\bcase\\s+${mention.source}`,
        );
        const tested = mentions.find((l) => test.test(codeLines.get(l) ?? ''));
        const evidence: Evidence[] = [
          ...lines.map((l) => evidenceAt(unit, l, 'spec')),
          evidenceAt(unit, sc.line, 'code'),
          ...mentions.map((l) => evidenceAt(unit, l, 'code')),
          ...facts.errnos.map((e) => evidenceAt(unit, (e.chain[0] ?? { line: sc.line }).line, 'code')),
        ];
        ctx.report({
          messageId: tested !== undefined ? 'translated' : mentions.length > 0 ? 'dropped' : 'unreachable',
          data: {
            spec: spec.name,
            errno,
            fn: sc.fnName,
            returned: shown.length > 0 ? `only ${shown.map((e) => `-${e}`).join(', ')}` : 'no errno',
            at: tested ?? mentions[0] ?? 0,
          },
          line: lines[0] as number,
          spec: spec.name,
          subject: errno,
          evidence,
        });
      }
    }
  },
});

/** The open-set finding: every value from outside the file is tested for `errno` and turned away. */
function reportExcluded(
  ctx: Ctx,
  spec: ApiSpec,
  sc: SyscallDef,
  facts: FunctionErrors,
  errno: string,
  lines: number[],
): void {
  const { unit } = ctx;
  const via = facts.neverVia[errno] ?? [];
  const sources = [...facts.unknownCalls.map((c) => `${c}()`), ...facts.unknownValues];
  const unknown =
    sources.length > 3
      ? `${sources.slice(0, 3).join(', ')} and ${sources.length - 3} more`
      : sources.join(', ');
  const cited = [...new Set(via.map((v) => v.line))];
  ctx.report({
    messageId: 'excluded',
    data: { spec: spec.name, errno, fn: sc.fnName, unknown, at: via[0]?.line ?? sc.line },
    line: lines[0] as number,
    spec: spec.name,
    subject: errno,
    evidence: [
      ...lines.map((l) => evidenceAt(unit, l, 'spec')),
      evidenceAt(unit, sc.line, 'code'),
      ...cited.map((l) => evidenceAt(unit, l, 'code')),
    ],
  });
}
