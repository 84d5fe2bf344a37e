/**
 * b4's external check protocol (`b4 review`), for `b4.review-perpatch-check-cmd` and
 * `b4.review-series-check-cmd`. What b4 does, as read in its source and docs (mricon/b4:
 * docs/maintainer/review.rst, "Writing an external check script"; src/b4/review/checks.py,
 * `_run_external_cmd`; misc/review-ci-example.py):
 * - it runs the command from the top of the git tree with ONE RFC 2822 message on stdin: a patch
 *   for the per-patch command, the cover letter for the per-series one (B4_TRACKING_FILE may name a
 *   JSON file with the series' tracking data);
 * - stdout must be a JSON array of objects with `tool` and `status` (required) and `summary`,
 *   `url`, `details` (optional). `status` is one of `pass`, `warn`, `fail`; b4 turns any other
 *   value into `fail`, so the words must be exactly these. `summary` is one line, `tool` is the
 *   column of b4's results matrix;
 * - `details` is a string. b4 stores it as it is (an SQLite TEXT column: checks.py
 *   `store_results`) and its detail view (review_tui/_modals.py `_render_detail_lines`) first
 *   reads it as JSON: a list of `{status, description}` objects (what its own checkpatch and
 *   patchwork checks give, `json.dumps(findings)`) is shown one coloured bullet per entry, any
 *   other string as plain lines. A JSON array in place of the string would break both (SQLite
 *   cannot bind a list, `json.loads` refuses one), so `details` is that list, encoded;
 * - `[]` means nothing to report; a bare object instead of an array is accepted; a non-zero exit
 *   with empty stdout is shown as a failure, and so is output that is not JSON;
 * - results are cached per (Message-ID, tool) with insert-or-replace, so two objects with the same
 *   `tool` for one message overwrite each other there.
 *
 * Decisions: exactly one object per mail, tool `kapi-review`. More objects are allowed (the docs
 * call it reporting "several tools in one invocation"), but one per check or per file would either
 * share the tool name and be collapsed by the cache, or each add a column to the matrix. We never
 * answer `[]`: a pass with its notes (e.g. a file checked by hunks only) says the review ran and
 * how. Status: an error inside the diff filter fails; a warning inside it, a crashed check, or a
 * series too large to review (nothing of it was checked), warns; anything else passes. Findings
 * outside the filter are counted in the summary and listed in the details but do not set the
 * status, as the filter decides what a review reports.
 *
 * The details, one entry each, in this order: the findings inside the filter (ERROR fail, WARNING
 * warn, CHECK pass, as b4 maps a low-severity finding of its own to pass), each described by its
 * finding line with the evidence and suggestion on the lines under it; those outside the filter
 * (pass, `outside the diff: ` first); crashed checks (warn); notes (pass, or warn for a series
 * too large to review).
 */
import type { Severity } from '../checks/types.js';
import { sanitize } from '../parsers/text/controls.js';
import { countLevels, type ReviewReport } from './report.js';
import { findingBlock } from './terminal.js';

export const B4_TOOL = 'kapi-review';

export type B4Status = 'pass' | 'warn' | 'fail';

/** One entry of `details`, in the shape of b4's own checks. */
export interface B4Check {
  status: B4Status;
  description: string;
}

export interface B4Result {
  tool: string;
  status: B4Status;
  summary: string;
  /** A JSON-encoded B4Check[]; absent when there is nothing to list. */
  details?: string;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function b4Status(report: ReviewReport): B4Status {
  const c = countLevels(report.findings);
  if (c.errors > 0) return 'fail';
  if (c.warnings > 0 || report.crashes.length > 0 || (report.tooLarge?.length ?? 0) > 0) return 'warn';
  return 'pass';
}

/** One line: the counts of the findings inside the filter, then those outside, then crashes. */
export function b4Summary(report: ReviewReport): string {
  const c = countLevels(report.findings);
  const parts: string[] = [];
  if ((report.tooLarge?.length ?? 0) > 0) parts.push('too large to review');
  if (c.errors > 0) parts.push(plural(c.errors, 'error'));
  if (c.warnings > 0) parts.push(plural(c.warnings, 'warning'));
  if (c.checks > 0) parts.push(plural(c.checks, 'check'));
  if (parts.length === 0) parts.push('no findings');
  if (report.outside.length > 0) parts.push(`${report.outside.length} outside the diff`);
  if (report.crashes.length > 0) parts.push(plural(report.crashes.length, 'internal error'));
  return parts.join(', ');
}

const FINDING_STATUS: Record<Severity, B4Status> = { error: 'fail', warning: 'warn', info: 'pass' };

/** The entries of `details` (see the header for their order and statuses). */
export function b4Checks(report: ReviewReport): B4Check[] {
  const out: B4Check[] = [];
  for (const f of report.findings)
    out.push({ status: FINDING_STATUS[f.severity], description: findingBlock(f).join('\n') });
  for (const f of report.outside)
    out.push({ status: 'pass', description: `outside the diff: ${findingBlock(f).join('\n')}` });
  for (const c of report.crashes) {
    const where = sanitize(c.path, 'terminalLine');
    const why = sanitize(c.error, 'terminalLine');
    out.push({ status: 'warn', description: `internal error: check ${c.check} crashed on ${where}: ${why}` });
  }
  const tooLarge = report.tooLarge ?? [];
  for (const n of report.notes)
    out.push({
      status: tooLarge.some((r) => n.endsWith(r)) ? 'warn' : 'pass',
      description: `note: ${sanitize(n, 'terminalLine')}`,
    });
  return out;
}

export function reportToB4(report: ReviewReport): B4Result[] {
  const checks = b4Checks(report);
  const result: B4Result = { tool: B4_TOOL, status: b4Status(report), summary: b4Summary(report) };
  if (checks.length > 0) result.details = JSON.stringify(checks);
  return [result];
}

/** What the command prints on stdout. */
export function renderB4(report: ReviewReport): string {
  return `${JSON.stringify(reportToB4(report), null, 2)}\n`;
}
