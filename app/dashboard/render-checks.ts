/**
 * Per-check figures: how often each check fired and what became of its findings (fixed in a later
 * revision, ignored by a command, or left in the latest revision): the precision signal. With the
 * chart of findings over time. Pure.
 */
import type { CheckMeta } from '../../checks/types.js';
import { SEVERITIES } from '../../checks/types.js';
import { findingsBuckets, stackedBars, stackedColumns } from './charts.js';
import { type Html, html } from './html.js';
import { type Links, type PageOptions, page } from './layout.js';
import type { CheckFigures, FindingsPerDay } from './queries.js';

export interface ChecksView {
  figures: readonly CheckFigures[];
  perDay: readonly FindingsPerDay[];
  /** Every known check, so one that never fired is listed too. */
  checks: readonly Pick<CheckMeta, 'id' | 'description' | 'severity'>[];
}

function pct(n: number, of: number): string {
  return of === 0 ? '—' : `${Math.round((100 * n) / of)}%`;
}

export function renderChecksPage(v: ChecksView, links: Links, opts: PageOptions): string {
  const known = new Map(v.checks.map((c) => [c.id, c]));
  const zero = (id: string): CheckFigures => ({
    check: id,
    findings: 0,
    reports: 0,
    bySeverity: { error: 0, warning: 0, info: 0 },
    fixed: 0,
    ignored: 0,
    open: 0,
  });
  const seen = new Set(v.figures.map((f) => f.check));
  const rows = [...v.figures, ...v.checks.filter((c) => !seen.has(c.id)).map((c) => zero(c.id))];
  const fired = rows.filter((r) => r.findings > 0);
  const buckets = findingsBuckets(v.perDay);
  const overTime: Html = buckets.labels.length
    ? stackedColumns({
        title: `Findings per ${buckets.unit}, by severity`,
        labels: buckets.labels,
        series: SEVERITIES.map((s) => ({ name: s, cls: `c-${s}`, values: buckets.values[s] })),
      })
    : html`<p class="muted">No reviewed revision yet.</p>`;
  const outcome: Html = fired.length
    ? stackedBars({
        title: 'What became of each check’s findings',
        rows: fired.map((r) => ({
          label: r.check,
          values: [r.fixed, r.ignored, r.open],
          note: `${r.findings} (${pct(r.fixed, r.findings)} fixed)`,
        })),
        series: [
          { name: 'fixed later', cls: 'c-fixed' },
          { name: 'ignored by a command', cls: 'c-ignored' },
          { name: 'still in the latest revision', cls: 'c-open' },
        ],
      })
    : html``;
  const body = html`<h1>Checks</h1>
<h2>Findings over time</h2>
<p class="small">Findings of reviewed revisions per ${buckets.unit} of arrival (a finding still present in a later revision counts again there).</p>
${overTime}
<h2>What became of the findings</h2>
<p class="small">A finding is one fingerprint in one series, however many revisions reported it. <b>Fixed</b>: gone from the series’ latest reviewed revision; <b>ignored</b>: silenced by a <code>kapi-review: ignore</code> command; <b>open</b>: still in the latest reviewed revision.</p>
${outcome}
<table>
<thead><tr><th>Check</th><th class="num">Findings</th><th class="num">Reports</th><th class="num">Errors</th><th class="num">Warnings</th><th class="num">Info</th><th class="num">Fixed</th><th class="num">Ignored</th><th class="num">Open</th><th class="num">Fixed share</th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr>
<td><code>${r.check}</code>${known.get(r.check) ? html`<div class="small">${known.get(r.check)?.description}</div>` : ''}</td>
<td class="num">${r.findings}</td><td class="num">${r.reports}</td>
<td class="num">${r.bySeverity.error}</td><td class="num">${r.bySeverity.warning}</td><td class="num">${r.bySeverity.info}</td>
<td class="num">${r.fixed}</td><td class="num">${r.ignored}</td><td class="num">${r.open}</td>
<td class="num">${pct(r.fixed, r.findings)}</td>
</tr>`,
)}
</tbody>
</table>`;
  return page('Checks', links, 'checks', body, opts);
}
