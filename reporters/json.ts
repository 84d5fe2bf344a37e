/**
 * The JSON contract of a review (`--format json`), version 1. Stable: every finding has exactly
 * the keys of `FindingJson`, in that order, with null for an absent optional value (a key is never
 * left out), so consumers can rely on `"spec" in f` and on a fixed column order. New keys may be
 * added at the end of an object in a later version; none is removed or reordered within version 1.
 */
import type { Severity } from '../checks/types.js';
import type { ReportFinding, ReportState, ReviewReport } from './report.js';

export interface EvidenceJson {
  path: string;
  line: number;
  text: string;
}

export interface FindingJson {
  check: string;
  severity: Severity;
  message: string;
  path: string;
  line: number;
  messageId: string | null;
  spec: string | null;
  subject: string | null;
  evidence: EvidenceJson[];
  suggestion: string | null;
  fingerprint: string;
}

export interface CrashJson {
  check: string;
  path: string;
  messageId: string | null;
  error: string;
}

export interface ReviewJson {
  version: 1;
  series: {
    title: string;
    revision: number;
    state: ReportState;
    patches: { messageId: string | null; subject: string }[];
  }[];
  findings: FindingJson[];
  outside: FindingJson[];
  errors: CrashJson[];
  notes: string[];
}

function findingToJson(f: ReportFinding): FindingJson {
  return {
    check: f.check,
    severity: f.severity,
    message: f.message,
    path: f.at.path,
    line: f.at.line,
    messageId: f.at.messageId ?? null,
    spec: f.spec ?? null,
    subject: f.subject ?? null,
    // only the three keys: a reporter-side `kind` is presentation, not contract
    evidence: f.evidence.map((e) => ({ path: e.path, line: e.line, text: e.text })),
    suggestion: f.suggestion ?? null,
    fingerprint: f.fingerprint,
  };
}

export function reportToJson(report: ReviewReport): ReviewJson {
  return {
    version: 1,
    series: report.series.map((s) => ({
      title: s.title,
      revision: s.revision,
      state: s.state,
      patches: s.patches.map((p) => ({ messageId: p.messageId, subject: p.subject })),
    })),
    findings: report.findings.map(findingToJson),
    outside: report.outside.map(findingToJson),
    errors: report.crashes.map((c) => ({
      check: c.check,
      path: c.path,
      messageId: c.messageId,
      error: c.error,
    })),
    notes: [...report.notes],
  };
}

/** The contract as text: two-space indentation and a final newline. */
export function renderJson(report: ReviewReport): string {
  return `${JSON.stringify(reportToJson(report), null, 2)}\n`;
}
