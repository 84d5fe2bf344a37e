/**
 * kapi-parse-error: a spec the parsers could not read in full (an unterminated spec or comment,
 * unbalanced macros, wrong argument counts, a sub-key outside any block, ...). The other checks
 * skip such a spec as partial, so this is the one place where it shows. For operators only: a
 * parser's complaint may be the parser's own limit, so it is never mailed to a list.
 *
 * Reports the spec parsers' issues (codes 'kapi-…') of severity error or warning: error for an
 * unterminated or unbalanced spec, warning otherwise. In hunks mode a spec or comment that runs
 * to the end of its hunk is cut off by the hunk, not by its author: its 'unterminated' is dropped.
 * A macro the parser thinks has the wrong number of arguments is not reported when the framework
 * the series is written for (ctx.framework) defines it with exactly that number.
 */
import type { Framework } from '../parsers/kapi/framework.js';
import type { Issue } from '../parsers/types.js';
import type { Check, CheckContext } from './types.js';
import { evidenceAt } from './unit.js';

/** The spec an issue is about: the one whose lines hold the issue's line. */
function specAt(ctx: CheckContext, line: number) {
  return ctx.unit.specs.find((s) => s.line <= line && line <= s.endLine) ?? null;
}

/** The hunk (post-image range) that holds a line. */
function hunkAt(ctx: CheckContext, line: number) {
  return ctx.unit.hunks.find((h) => h.start <= line && line <= h.end) ?? null;
}

/** In hunks mode: does the text a spec starts at run to the end of what the hunk shows? */
function cutByHunk(ctx: CheckContext, issue: Issue, endLine: number): boolean {
  const h = hunkAt(ctx, issue.line ?? 0);
  if (!h) return true;
  for (let n = endLine + 1; n <= h.end; n++) if ((ctx.unit.line(n) ?? '').trim() !== '') return false;
  return true;
}

/**
 * A macro called with a number of arguments the parser does not expect, but that the framework
 * the series is written for defines with exactly that arity (a posting that changed the macro):
 * the framework's header is the judge, not the parser's table.
 */
function arityFitsFramework(issue: Issue, fw: Framework): boolean {
  if (issue.code !== 'kapi-macro-bad-args') return false;
  const macro = issue.data?.macro;
  const args = issue.data?.args;
  if (typeof macro !== 'string' || typeof args !== 'number' || !fw.header) return false;
  const def = Object.hasOwn(fw.macros, macro) ? fw.macros[macro] : undefined;
  if (!def) return false;
  if (def.arity === null) return args === -1; // object-like, used without parentheses
  return def.variadic ? args >= def.arity - 1 : def.arity === args;
}

export const check: Check = {
  meta: {
    id: 'kapi-parse-error',
    description: 'A spec the spec parsers could not read in full (for operators).',
    severity: 'warning',
    operatorOnly: true,
    messages: {
      issue: '{prefix}{message} ({code})',
    },
  },
  run(ctx) {
    for (const issue of ctx.unit.specIssues) {
      if (!issue.code.startsWith('kapi-')) continue;
      if (issue.severity !== 'error' && issue.severity !== 'warning') continue;
      if (arityFitsFramework(issue, ctx.framework)) continue;
      const line = issue.line ?? 1;
      const spec = specAt(ctx, line);
      const unterminated = issue.code.endsWith('-unterminated');
      if (ctx.unit.mode === 'hunks' && unterminated && cutByHunk(ctx, issue, spec?.endLine ?? line)) continue;
      const name = spec?.name ?? '';
      const prefix = name !== '' && !issue.message.startsWith(name) ? `${name}: ` : '';
      ctx.report({
        messageId: 'issue',
        data: { prefix, message: issue.message, code: issue.code },
        line,
        ...(name !== '' ? { spec: name } : {}),
        subject: issue.code,
        evidence: [evidenceAt(ctx.unit, line)],
        severity: unterminated || issue.code.endsWith('-unbalanced') ? 'error' : 'warning',
      });
    }
  },
};
