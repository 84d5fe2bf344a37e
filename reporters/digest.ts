/**
 * The maintainer digest (`kapi-review summary`, and the weekly mail): over a period, what
 * arrived (revisions by arrival), what drifted (findings new in a revision reviewed in the
 * period) and what got fixed (findings the previous revision had and this one has not). Pure:
 * the store's records come in as plain data (app/digest/collect.ts collects them), text,
 * Markdown or JSON come out. Text lines stay within 72 columns where words allow (it is mailed).
 */
import { SEVERITIES, type Severity } from '../checks/types.js';
import { codeSpan, markdownText } from '../parsers/text/markdown.js';
import { wrap } from '../parsers/text/wrap.js';

export interface DigestFinding {
  check: string;
  severity: Severity;
  spec: string | null;
  subject: string | null;
  message: string;
  path: string;
  line: number;
}

export interface DigestRevision {
  seriesId: number;
  title: string;
  author: string | null;
  listId: string | null;
  revision: number;
  state: 'complete' | 'incomplete' | 'corrupted';
  stateDetail: string | null;
  receivedAt: string;
  reviewedAt: string | null;
  superseded: boolean;
  /** The reviewed revision this one was compared against; null for a first review. */
  previous: number | null;
  /** All findings of the revision by severity (zero when not reviewed). */
  findings: Record<Severity, number>;
  /** Findings not in the previous reviewed revision. */
  newFindings: DigestFinding[];
  /** Findings also in the previous reviewed revision. */
  stillOpen: number;
  /** Findings of the previous reviewed revision gone from this one, and since when they were there. */
  fixed: (DigestFinding & { since: number })[];
  /** Findings gone because a maintainer's or the author's ignore command silenced them. */
  ignored: number;
}

export interface DigestInput {
  /** ISO times; the period is [since, until). */
  since: string;
  until: string;
  /** Revisions that arrived or were reviewed in the period (others are ignored). */
  revisions: DigestRevision[];
}

export interface Digest {
  since: string;
  until: string;
  /** Revisions that arrived in the period, by arrival. */
  arrived: DigestRevision[];
  /** Revisions reviewed in the period, by arrival. */
  reviewed: DigestRevision[];
  totals: {
    series: number;
    arrived: number;
    incomplete: number;
    corrupted: number;
    reviewed: number;
    newFindings: Record<Severity, number>;
    fixed: number;
    ignored: number;
    stillOpen: number;
  };
  byCheck: { check: string; new: number; fixed: number }[];
  /** Nothing arrived and nothing was reviewed. */
  empty: boolean;
}

function inPeriod(t: string | null, since: string, until: string): boolean {
  return t !== null && t >= since && t < until;
}

function byArrival(a: DigestRevision, b: DigestRevision): number {
  return a.receivedAt.localeCompare(b.receivedAt) || a.seriesId - b.seriesId || a.revision - b.revision;
}

export function buildDigest(input: DigestInput): Digest {
  const { since, until } = input;
  const arrived = input.revisions.filter((r) => inPeriod(r.receivedAt, since, until)).sort(byArrival);
  const reviewed = input.revisions.filter((r) => inPeriod(r.reviewedAt, since, until)).sort(byArrival);
  const newFindings: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  const checks = new Map<string, { check: string; new: number; fixed: number }>();
  const entry = (check: string) => {
    let c = checks.get(check);
    if (!c) {
      c = { check, new: 0, fixed: 0 };
      checks.set(check, c);
    }
    return c;
  };
  for (const r of reviewed) {
    for (const f of r.newFindings) {
      newFindings[f.severity]++;
      entry(f.check).new++;
    }
    for (const f of r.fixed) entry(f.check).fixed++;
  }
  return {
    since,
    until,
    arrived,
    reviewed,
    totals: {
      series: new Set(arrived.map((r) => r.seriesId)).size,
      arrived: arrived.length,
      incomplete: arrived.filter((r) => r.state === 'incomplete').length,
      corrupted: arrived.filter((r) => r.state === 'corrupted').length,
      reviewed: reviewed.length,
      newFindings,
      fixed: reviewed.reduce((a, r) => a + r.fixed.length, 0),
      ignored: reviewed.reduce((a, r) => a + r.ignored, 0),
      stillOpen: reviewed.reduce((a, r) => a + r.stillOpen, 0),
    },
    byCheck: [...checks.values()].sort(
      (a, b) => b.new + b.fixed - (a.new + a.fixed) || a.check.localeCompare(b.check),
    ),
    empty: arrived.length === 0 && reviewed.length === 0,
  };
}

// ---- text -----------------------------------------------------------------------------------

function n(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function when(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

function severities(c: Record<Severity, number>): string {
  const parts = SEVERITIES.filter((s) => c[s] > 0).map((s) =>
    n(c[s], s === 'info' ? 'info' : s, s === 'info' ? 'info' : `${s}s`),
  );
  return parts.length ? parts.join(', ') : 'no findings';
}

function stateText(r: DigestRevision): string {
  const state = r.stateDetail ? `${r.state} (${r.stateDetail})` : r.state;
  if (r.reviewedAt !== null) return `${state}; ${severities(r.findings)}`;
  if (r.superseded) return `${state}; superseded before review`;
  return `${state}; not reviewed`;
}

function about(f: DigestFinding): string {
  return [f.spec, f.subject].filter(Boolean).join(' ');
}

function headline(d: Digest): string[] {
  const t = d.totals;
  const broken = [
    t.incomplete ? `${t.incomplete} incomplete` : '',
    t.corrupted ? `${t.corrupted} corrupted` : '',
  ].filter(Boolean);
  const arrived = `Arrived: ${n(t.arrived, 'revision')} of ${n(t.series, 'series', 'series')}${broken.length ? ` (${broken.join(', ')})` : ''}.`;
  const nf = SEVERITIES.reduce((a, s) => a + t.newFindings[s], 0);
  const reviewed =
    `Reviewed: ${n(t.reviewed, 'revision')}; ${n(nf, 'new finding')}` +
    `${nf ? ` (${severities(t.newFindings)})` : ''}, ${t.fixed} fixed, ` +
    `${t.ignored ? `${t.ignored} ignored by a command, ` : ''}` +
    `${t.stillOpen} still open from earlier revisions.`;
  return [arrived, reviewed];
}

export function renderDigestText(d: Digest): string {
  const out: string[] = [];
  out.push(`kapi-review digest, ${when(d.since)} to ${when(d.until)} UTC`, '');
  if (d.empty) {
    out.push('Nothing arrived and nothing was reviewed in this period.');
    return `${out.join('\n')}\n`;
  }
  for (const l of headline(d)) out.push(...wrap(l));
  if (d.arrived.length) {
    out.push('', 'Arrived');
    for (const r of d.arrived) {
      out.push(...wrap(`${r.title} v${r.revision}`, { first: '  - ', rest: '    ' }));
      const who = [r.author, r.listId].filter(Boolean).join(', ');
      if (who) out.push(...wrap(who, { first: '    ' }));
      out.push(...wrap(stateText(r), { first: '    ' }));
    }
  }
  const drifted = d.reviewed.filter((r) => r.newFindings.length > 0);
  if (drifted.length) {
    out.push('', 'Drifted (new findings)');
    for (const r of drifted) {
      out.push(...wrap(`${r.title} v${r.revision}`, { first: '  - ', rest: '    ' }));
      for (const f of r.newFindings) {
        out.push(
          ...wrap(`${f.severity} ${f.check}${about(f) ? ` (${about(f)})` : ''}`, {
            first: '    ',
            rest: '      ',
          }),
        );
        out.push(...wrap(`${f.path}:${f.line}: ${f.message}`, { first: '      ', rest: '        ' }));
      }
    }
  }
  const fixed = d.reviewed.filter((r) => r.fixed.length > 0);
  if (fixed.length) {
    out.push('', 'Fixed');
    for (const r of fixed) {
      out.push(
        ...wrap(`${r.title} v${r.revision} (against v${r.previous})`, { first: '  - ', rest: '    ' }),
      );
      for (const f of r.fixed)
        out.push(
          ...wrap(`${f.check}${about(f) ? ` (${about(f)})` : ''}, present since v${f.since}`, {
            first: '    ',
            rest: '      ',
          }),
        );
    }
  }
  if (d.byCheck.length) {
    out.push('', 'By check');
    const w = Math.max(...d.byCheck.map((c) => c.check.length));
    for (const c of d.byCheck) out.push(`  ${c.check.padEnd(w)}  ${c.new} new, ${c.fixed} fixed`);
  }
  return `${out.join('\n')}\n`;
}

// ---- Markdown -------------------------------------------------------------------------------

export function renderDigestMarkdown(d: Digest): string {
  const out: string[] = [];
  out.push('# kapi-review digest', '', `${when(d.since)} to ${when(d.until)} UTC`, '');
  if (d.empty) {
    out.push('Nothing arrived and nothing was reviewed in this period.');
    return `${out.join('\n')}\n`;
  }
  out.push(headline(d).join(' '));
  if (d.arrived.length) {
    out.push('', '## Arrived', '');
    for (const r of d.arrived) {
      const who = [r.author, r.listId].filter(Boolean).map((s) => markdownText(s as string, 'commonmark'));
      out.push(
        `- **${markdownText(r.title, 'commonmark')}** v${r.revision}${who.length ? ` (${who.join(', ')})` : ''}: ${markdownText(stateText(r), 'commonmark')}`,
      );
    }
  }
  const drifted = d.reviewed.filter((r) => r.newFindings.length > 0);
  if (drifted.length) {
    out.push('', '## Drifted (new findings)');
    for (const r of drifted) {
      out.push('', `### ${markdownText(r.title, 'commonmark')} v${r.revision}`, '');
      for (const f of r.newFindings)
        out.push(
          `- ${f.severity} ${codeSpan(f.check)}${about(f) ? ` ${markdownText(about(f), 'commonmark')}` : ''}: ${markdownText(f.message, 'commonmark')} (${codeSpan(`${f.path}:${f.line}`)})`,
        );
    }
  }
  const fixed = d.reviewed.filter((r) => r.fixed.length > 0);
  if (fixed.length) {
    out.push('', '## Fixed');
    for (const r of fixed) {
      out.push('', `### ${markdownText(r.title, 'commonmark')} v${r.revision} (against v${r.previous})`, '');
      for (const f of r.fixed)
        out.push(
          `- ${codeSpan(f.check)}${about(f) ? ` ${markdownText(about(f), 'commonmark')}` : ''}, present since v${f.since}`,
        );
    }
  }
  if (d.byCheck.length) {
    out.push('', '## By check', '', '| check | new | fixed |', '| --- | ---: | ---: |');
    for (const c of d.byCheck) out.push(`| ${codeSpan(c.check)} | ${c.new} | ${c.fixed} |`);
  }
  return `${out.join('\n')}\n`;
}

// ---- JSON -----------------------------------------------------------------------------------

/** The JSON contract of `kapi-review summary --format json`. */
export function digestToJson(d: Digest): unknown {
  return {
    version: 1,
    since: d.since,
    until: d.until,
    totals: d.totals,
    arrived: d.arrived.map((r) => ({
      seriesId: r.seriesId,
      title: r.title,
      revision: r.revision,
      author: r.author,
      list: r.listId,
      state: r.state,
      stateDetail: r.stateDetail,
      receivedAt: r.receivedAt,
      reviewedAt: r.reviewedAt,
      findings: r.findings,
    })),
    drifted: d.reviewed
      .filter((r) => r.newFindings.length > 0)
      .map((r) => ({ seriesId: r.seriesId, title: r.title, revision: r.revision, findings: r.newFindings })),
    fixed: d.reviewed
      .filter((r) => r.fixed.length > 0)
      .map((r) => ({
        seriesId: r.seriesId,
        title: r.title,
        revision: r.revision,
        previous: r.previous,
        findings: r.fixed,
      })),
    byCheck: d.byCheck,
  };
}

/** The weekly mail's subject line. */
export function digestSubject(d: Digest): string {
  const t = d.totals;
  const nf = SEVERITIES.reduce((a, s) => a + t.newFindings[s], 0);
  return `kapi-review digest ${d.since.slice(0, 10)} to ${d.until.slice(0, 10)}: ${n(t.arrived, 'revision')}, ${n(nf, 'new finding')}, ${t.fixed} fixed`;
}
