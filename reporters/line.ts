/**
 * `kapi-review check --format line`: one `path:line: LEVEL:check-id: message` line per finding
 * inside the diff filter, and nothing else; nothing at all when there is no finding. It is the
 * shape of `checkpatch.pl -q --terse --no-summary`, for the readers that want exactly that:
 * - b4's per-patch hooks (`b4.am-perpatch-check-cmd`, `b4.prep-perpatch-check-cmd`) read stdout
 *   line by line: a line with `ERROR:` is a failure, any other line a warning, and no output (with
 *   exit 0) is "passed all checks" (b4 0.15.2 src/b4/__init__.py, `run_local_check`);
 * - editors' error parsers (vim's quickfix, Emacs' compilation mode) jump to each line's location.
 *
 * Evidence, suggestions, notes and the total are left to the text, JSON and SARIF formats. What
 * is not a finding (a crashed check, a series too large to review) is not a line here either:
 * the CLI says it on stderr, which b4 shows as a failure, so it never reads as a pass.
 *
 * Pure.
 */
import type { Finding, Severity } from '../checks/types.js';
import type { ReviewReport } from './report.js';
import { safeFindingLine } from './terminal.js';

/** The levels `--fail-on` names, as the lines print them: ERROR, WARNING and CHECK (our info). */
export const FAIL_LEVELS = ['error', 'warning', 'check'] as const;
export type FailLevel = (typeof FAIL_LEVELS)[number];

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const LEVEL_RANK: Record<FailLevel, number> = { error: 0, warning: 1, check: 2 };

/** Whether a finding at `severity` fails a run that fails on `level` and worse. */
export function failsAt(severity: Severity, level: FailLevel): boolean {
  return RANK[severity] <= LEVEL_RANK[level];
}

/** The lines, each ending in a newline; the empty string for a report without findings. */
export function renderLines(report: ReviewReport, opts: { colour: boolean } = { colour: false }): string {
  return report.findings.map((f: Finding) => `${safeFindingLine(f, opts.colour)}\n`).join('');
}
