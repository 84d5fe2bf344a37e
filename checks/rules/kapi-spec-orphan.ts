/**
 * kapi-spec-orphan: a syscall spec that documents another syscall than the one it sits on, or a
 * syscall spec whose syscall is nowhere in the file. A spec named sys_mlock directly above
 * SYSCALL_DEFINE2(munlock, …) (a copy-paste slip) describes the wrong code: the runtime looks
 * specs up by name, so munlock gets no spec and mlock gets this one. Kerneldoc specs take their
 * name from the declaration below them, so for them the name in the summary line is compared.
 *
 * Misnamed is an error, with the right name as the suggestion; an orphan is a warning and only
 * in full mode (in hunks mode the syscall may sit outside the hunks), and only when no line of
 * the file outside the spec names the syscall at all (it may be defined by an unusual macro).
 */
import type { SyscallDef } from '../../parsers/c/model.js';
import type { ApiSpec } from '../../parsers/kapi/model.js';
import { escapeRe } from '../../parsers/text/regex.js';
import { defineCheck, type RuleContext } from '../define.js';
import type { Evidence } from '../types.js';
import { evidenceAt } from '../unit.js';

/** 'sys_mlock' -> 'mlock', 'compat_sys_x' -> 'x'. */
const baseOf = (name: string): string => name.replace(/^(?:__[a-z0-9]+_)?(?:compat_)?sys_/, '');

function ev(ctx: Ctx, line: number): Evidence {
  return evidenceAt(ctx.unit, line);
}

/** The first line of a syscall's definition macro, e.g. 'SYSCALL_DEFINE2(munlock'. */
function defineOf(sc: SyscallDef): string {
  const m = /^\s*((?:COMPAT_)?SYSCALL_DEFINE\w*)\s*\(\s*(\w+)/.exec(sc.macroText);
  return m ? `${m[1]}(${m[2]}, ...)` : `${sc.fnName}()`;
}

/** The kerneldoc summary line (`sys_x - summary`) of a spec, with the name it gives. */
function summaryOf(ctx: Ctx, spec: ApiSpec): { line: number; name: string } | null {
  for (let n = spec.line; n <= spec.endLine; n++) {
    const body = (ctx.unit.line(n) ?? '')
      .replace(/^\s*\/\*\*/, '')
      .replace(/^\s*\*(?!\/)/, '')
      .trim();
    if (body === '') continue;
    const m = /^([A-Za-z_]\w*)(?:\(\))?\s+-+\s/.exec(body);
    return m ? { line: n, name: m[1] as string } : null;
  }
  return null;
}

/** Where a spec shows its name: the opening macro, or the kerneldoc summary line. */
function lineOf(ctx: Ctx, spec: ApiSpec): number {
  return spec.form === 'macro' ? spec.line : (summaryOf(ctx, spec)?.line ?? spec.line);
}

/**
 * The lines that mention each syscall name (`sys_NAME` as a word, or `SYSCALL…(NAME`), in one
 * pass over the file: a file of 16,000 specs used to be read once per orphan.
 */
function mentionIndex(ctx: Ctx): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const add = (name: string, n: number): void => {
    const lines = out.get(name);
    if (lines) lines.push(n);
    else out.set(name, [n]);
  };
  for (let n = 1; ; n++) {
    const l = ctx.unit.line(n);
    if (l === undefined) break;
    if (!l.includes('sys_') && !l.includes('SYSCALL')) continue;
    for (const m of l.matchAll(/\bsys_(\w+)/g)) add(m[1] as string, n);
    // a lookahead, so that `SYSCALL_X(SYSCALL_Y(name` reaches the second one too
    for (const m of l.matchAll(/SYSCALL\w*\(\s*(?=(\w+))/g)) add(m[1] as string, n);
  }
  return out;
}

const messages = {
  misnamed: '{spec} sits on {define}: it is named for another syscall; the spec of {right} is missing',
  orphan: '{spec}: no syscall {base} is defined in this file, so the spec documents nothing here',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-spec-orphan',
    description:
      'A syscall spec named for another syscall than the one it sits on, or whose syscall is not in the file.',
    severity: 'error',
    messages,
  },
  run(ctx) {
    // macro form (and kerneldoc without a declaration): the spec followed by another syscall
    for (const { spec, next } of ctx.unit.misnamed) {
      if (spec.partial) continue;
      if (ctx.unit.mode === 'hunks') {
        // every line between the spec and the syscall must be known, or the right one may be hidden
        let known = true;
        for (let n = spec.endLine + 1; n < next.line; n++) if (ctx.unit.line(n) === undefined) known = false;
        if (!known) continue;
      }
      const at = lineOf(ctx, spec);
      const openerText = ctx.unit.line(at) ?? '';
      const re = new RegExp(`(?<![\\w])${escapeRe(spec.name)}(?![\\w])`);
      const suggestion = re.test(openerText) ? openerText.replace(re, next.fnName) : undefined;
      ctx.report({
        messageId: 'misnamed',
        data: { spec: spec.name, define: defineOf(next), right: next.fnName },
        line: at,
        spec: spec.name,
        subject: 'misnamed',
        evidence: [ev(ctx, at), ev(ctx, next.line)],
        severity: 'error',
        ...(suggestion !== undefined ? { suggestion } : {}),
      });
    }

    // without a spec there is nothing to name wrongly or to miss its syscall (the syscalls of
    // such an image are not even looked for unless read, checks/unit.ts)
    if (ctx.unit.specs.length === 0) return;

    // kerneldoc: the parser names the spec after the declaration; the summary line may say otherwise
    for (const [i, sc] of ctx.unit.syscalls.entries()) {
      const spec = ctx.unit.specOf[i];
      if (!spec || spec.partial || spec.form === 'macro') continue;
      const summary = summaryOf(ctx, spec);
      if (!summary || !/^(?:compat_)?sys_/.test(summary.name)) continue;
      if (baseOf(summary.name) === baseOf(sc.fnName)) continue;
      const lineText = ctx.unit.line(summary.line) ?? '';
      ctx.report({
        messageId: 'misnamed',
        data: { spec: summary.name, define: defineOf(sc), right: sc.fnName },
        line: summary.line,
        spec: spec.name,
        subject: 'misnamed',
        evidence: [ev(ctx, summary.line), ev(ctx, sc.line)],
        severity: 'error',
        suggestion: lineText.replace(summary.name, sc.fnName),
      });
    }

    // a syscall spec with no syscall of its name in the file
    if (ctx.unit.mode !== 'full') return;
    const defined = new Set(ctx.unit.syscalls.map((s) => s.fnName));
    let mentions: Map<string, number[]> | null = null;
    for (const spec of ctx.unit.orphans) {
      if (spec.partial || spec.kind !== 'syscall') continue;
      if (defined.has(spec.name)) continue;
      const base = baseOf(spec.name);
      if (base === '' || base === spec.name) continue;
      // any mention of the syscall outside the spec (an unusual definition macro, a prototype)
      let mentioned = false;
      if (/^\w+$/.test(base)) {
        mentions ??= mentionIndex(ctx);
        const lines = mentions.get(base) ?? [];
        mentioned =
          lines.length > 0 &&
          ((lines[0] as number) < spec.line || (lines[lines.length - 1] as number) > spec.endLine);
      } else {
        const mention = new RegExp(`\\bsys_${escapeRe(base)}\\b|SYSCALL\\w*\\(\\s*${escapeRe(base)}\\b`);
        for (let n = 1; ; n++) {
          const l = ctx.unit.line(n);
          if (l === undefined) break;
          if (n >= spec.line && n <= spec.endLine) continue;
          if (mention.test(l)) {
            mentioned = true;
            break;
          }
        }
      }
      if (mentioned) continue;
      const at = lineOf(ctx, spec);
      ctx.report({
        messageId: 'orphan',
        data: { spec: spec.name, base },
        line: at,
        spec: spec.name,
        subject: 'orphan',
        evidence: [ev(ctx, at)],
        severity: 'warning',
      });
    }
  },
});
