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
import type { Framework } from '../../parsers/kapi/framework.js';
import type { Issue } from '../../parsers/types.js';
import { defineCheck, type RuleContext } from '../define.js';
import { evidenceAt } from '../unit.js';

/**
 * The first of `ranges` (in their order) that holds `line`. Ranges sorted by start are searched
 * by bisection over the running maximum of their ends (a file with 40,000 issues and as many
 * specs used to search every spec for each issue); ranges in another order one by one.
 */
class RangeFinder<R extends { start: number; end: number }> {
  private readonly maxEnd: number[] | null = null;

  constructor(private readonly ranges: readonly R[]) {
    let sorted = true;
    for (let i = 1; i < ranges.length && sorted; i++)
      sorted = (ranges[i - 1] as R).start <= (ranges[i] as R).start;
    if (!sorted) return;
    this.maxEnd = [];
    let max = Number.NEGATIVE_INFINITY;
    for (const r of ranges) {
      max = Math.max(max, r.end);
      this.maxEnd.push(max);
    }
  }

  at(line: number): R | null {
    const { ranges, maxEnd } = this;
    if (maxEnd === null) return ranges.find((r) => r.start <= line && line <= r.end) ?? null;
    // the first range whose end (or an earlier range's) reaches the line; it holds the line if it
    // starts at or above it, and no later range starts above it
    let lo = 0;
    let hi = maxEnd.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((maxEnd[mid] as number) < line) lo = mid + 1;
      else hi = mid;
    }
    const r = ranges[lo];
    return r !== undefined && r.start <= line ? r : null;
  }
}

/**
 * In hunks mode: does the text a spec starts at run to the end of what the hunk shows? `memo`
 * keeps the answer per hunk and end line (many issues of one spec look past it once).
 */
function cutByHunk(
  ctx: Ctx,
  hunks: RangeFinder<{ start: number; end: number }>,
  memo: Map<string, boolean>,
  issue: Issue,
  endLine: number,
): boolean {
  const h = hunks.at(issue.line ?? 0);
  if (!h) return true;
  const key = `${h.start}:${h.end}:${endLine}`;
  let cut = memo.get(key);
  if (cut === undefined) {
    cut = true;
    for (let n = endLine + 1; n <= h.end && cut; n++) if ((ctx.unit.line(n) ?? '').trim() !== '') cut = false;
    memo.set(key, cut);
  }
  return cut;
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

const messages = {
  issue: '{prefix}{message} ({code})',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-parse-error',
    description: 'A spec the spec parsers could not read in full (for operators).',
    severity: 'warning',
    operatorOnly: true,
    messages,
  },
  run(ctx) {
    // the spec an issue is about: the one whose lines hold the issue's line
    const specs = new RangeFinder(
      ctx.unit.specs.map((spec) => ({ start: spec.line, end: spec.endLine, spec })),
    );
    // the hunk (post-image range) that holds a line
    const hunks = new RangeFinder(ctx.unit.hunks);
    const cut = new Map<string, boolean>();
    for (const issue of ctx.unit.specIssues) {
      if (!issue.code.startsWith('kapi-')) continue;
      if (issue.severity !== 'error' && issue.severity !== 'warning') continue;
      if (arityFitsFramework(issue, ctx.framework)) continue;
      const line = issue.line ?? 1;
      const spec = specs.at(line)?.spec ?? null;
      const unterminated = issue.code.endsWith('-unterminated');
      if (
        ctx.unit.mode === 'hunks' &&
        unterminated &&
        cutByHunk(ctx, hunks, cut, issue, spec?.endLine ?? line)
      )
        continue;
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
});
