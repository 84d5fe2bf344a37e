/**
 * What every review reporter renders: the series reviewed, the findings inside the diff filter,
 * those outside it, the checks that crashed and notes on how the review was made (a file known
 * only by its hunks, a series that is incomplete). Pure data; `buildReport` assembles it from the
 * reviewed series.
 */
import type { ReviewResult, Scope } from '../checks/review.js';
import type { CheckCrash } from '../checks/runner.js';
import type { Evidence, Finding } from '../checks/types.js';
import type { Series, SeriesState } from '../parsers/series.js';
import { stateText } from './series.js';

export type ReportState = SeriesState['kind'];

export interface ReportPatch {
  messageId: string | null;
  /** The mail's whole subject, prefixes included: `[PATCH v2 1/3] mm: ...`. */
  subject: string;
}

export interface ReportSeries {
  title: string;
  revision: number;
  state: ReportState;
  patches: ReportPatch[];
}

/** A finding as reporters see it: a ScopedFinding fits (its `patch` index is not rendered). */
export interface ReportFinding extends Finding {
  scope?: Scope;
  evidence: Evidence[];
}

export interface ReviewReport {
  series: ReportSeries[];
  /** Inside the diff filter: inline material. */
  findings: ReportFinding[];
  /** Outside the diff filter: for the summary, never dropped. */
  outside: ReportFinding[];
  crashes: CheckCrash[];
  /** How the review was made, e.g. 'mm/mlock.c: checked without a kernel tree, hunks only'. */
  notes: string[];
  /** Why series were not reviewed at all (a limit of the review, app/review/limits.ts); also in notes. */
  tooLarge?: string[];
}

/** One reviewed series, as the pipeline hands it over (app/review/run.ts's SeriesReview fits). */
export interface ReviewedSeries {
  /** Null for input that formed no series (e.g. a bare diff). */
  series: Series | null;
  review: ReviewResult;
  /** The pipeline's notes: hunks-only files and why, findings already in the base tree, ... */
  notes: readonly string[];
  /** Set when the review hit a limit and nothing was checked. */
  tooLarge?: { reason: string };
}

/**
 * Assembles one report from reviewed series, in their order. Notes are the pipeline's (it knows
 * why a file was checked on hunks only), then one for each series that is not complete, worded as
 * `kapi-review series` words it; repeated notes appear once.
 */
export function buildReport(items: readonly ReviewedSeries[]): ReviewReport {
  const report: ReviewReport = { series: [], findings: [], outside: [], crashes: [], notes: [] };
  const notes: string[] = [];
  for (const { series: s, review, notes: own, tooLarge } of items) {
    if (tooLarge) report.tooLarge = [...(report.tooLarge ?? []), tooLarge.reason];
    if (s)
      report.series.push({
        title: s.title,
        revision: s.revision,
        state: s.state.kind,
        patches: s.patches.map((p) => ({ messageId: p.mail.messageId, subject: p.mail.subject })),
      });
    report.findings.push(...review.findings);
    report.outside.push(...review.outside);
    report.crashes.push(...review.crashes);
    notes.push(...own);
    if (s && s.state.kind !== 'complete') notes.push(`${s.title} (v${s.revision}): ${stateText(s.state)}`);
  }
  report.notes = [...new Set(notes)];
  return report;
}

/** Every patch of the report by Message-ID, for headers and properties. */
export function patchesById(report: ReviewReport): Map<string, ReportPatch> {
  const m = new Map<string, ReportPatch>();
  for (const s of report.series) for (const p of s.patches) if (p.messageId) m.set(p.messageId, p);
  return m;
}

export interface Counts {
  errors: number;
  warnings: number;
  checks: number;
}

/** checkpatch's three levels: ERROR, WARNING and CHECK (our 'info'). */
export function countLevels(findings: readonly Finding[]): Counts {
  const c: Counts = { errors: 0, warnings: 0, checks: 0 };
  for (const f of findings) {
    if (f.severity === 'error') c.errors++;
    else if (f.severity === 'warning') c.warnings++;
    else c.checks++;
  }
  return c;
}
