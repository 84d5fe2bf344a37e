/**
 * The spec coverage page: syscalls with and without a spec by subsystem (a chart and a table per
 * subsystem, with the `kapi-review draft` line for each syscall without a spec), specs that document
 * no syscall, and the specs with open drift findings. Pure.
 */

import { stackedBars } from './charts.js';
import type { Coverage, CoverageGroup, CoverageSyscall } from './coverage.js';
import { type Html, html } from './html.js';
import { type Links, type PageOptions, page, plural, severityBadge } from './layout.js';
import type { OpenFinding } from './queries.js';

function pct(n: number, of: number): string {
  return of === 0 ? '0%' : `${Math.round((100 * n) / of)}%`;
}

function forms(byForm: Record<string, number>): string {
  const parts = Object.entries(byForm)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([f, n]) => `${n} ${f}`);
  return parts.length ? parts.join(', ') : '—';
}

function driftLinks(fs: readonly OpenFinding[], links: Links): Html {
  return html`${fs.map(
    (f, i) =>
      html`${i ? html`<br>` : ''}${severityBadge(f.severity)} <code>${f.check}</code> ×${f.count} in <a href="${links.series(f.seriesId)}">${f.title}</a> v${f.revision}`,
  )}`;
}

/**
 * The command that drafts a spec for a syscall without one, run at the top of the tree: the
 * file named, so that a syscall defined in several files gets the one this row is about.
 */
function draftCommand(s: CoverageSyscall): string {
  return `kapi-review draft ${s.fnName} --tree . --file ${s.path}`;
}

function group(g: CoverageGroup, links: Links): Html {
  return html`<details${g.syscalls.some((s) => s.drift.length) ? html` open` : ''}>
<summary><b>${g.subsystem}</b>: ${g.withSpec} of ${plural(g.syscalls.length, 'syscall')} with a spec (${pct(g.withSpec, g.syscalls.length)})</summary>
<table>
<thead><tr><th>Syscall</th><th>Where</th><th>Spec</th><th>Open drift</th></tr></thead>
<tbody>${g.syscalls.map(
    (
      s,
    ) => html`<tr><td><code>${s.compat ? 'compat ' : ''}${s.name}</code></td><td class="small">${s.path}:${s.line}</td>
<td>${s.form ?? html`<span class="muted">none</span>${s.compat ? '' : html`<br><code class="small">${draftCommand(s)}</code>`}`}</td><td>${s.drift.length ? driftLinks(s.drift, links) : html`<span class="muted">—</span>`}</td></tr>`,
  )}</tbody>
</table>
</details>`;
}

export function renderCoveragePage(c: Coverage, links: Links, opts: PageOptions): string {
  const index = c.source
    ? html`<p class="small">Index: ${c.source}. ${plural(c.total, 'syscall')}, ${c.withSpec} with a spec (${pct(c.withSpec, c.total)}); forms: ${forms(c.byForm)}.</p>
${
  c.groups.length
    ? stackedBars({
        title: 'Syscalls with and without a spec, by subsystem',
        rows: c.groups.map((g) => ({
          label: g.subsystem,
          values: [g.withSpec, g.syscalls.length - g.withSpec],
          note: `${g.withSpec}/${g.syscalls.length} (${pct(g.withSpec, g.syscalls.length)})`,
        })),
        series: [
          { name: 'with a spec', cls: 'c-spec' },
          { name: 'without', cls: 'c-nospec' },
        ],
      })
    : ''
}
<h2>By subsystem</h2>
${c.groups.map((g) => group(g, links))}
${
  c.unattached.length
    ? html`<h2>Specs without a SYSCALL_DEFINE</h2>
<table><thead><tr><th>Spec</th><th>Kind</th><th>Form</th><th>Where</th></tr></thead><tbody>${c.unattached.map(
        (s) =>
          html`<tr><td><code>${s.name}</code></td><td>${s.kind}</td><td>${s.form}</td><td class="small">${s.path}:${s.line}</td></tr>`,
      )}</tbody></table>`
    : ''
}`
    : html`<p>No spec index loaded. Start the dashboard with <code>--specs FILE</code> (from <code>kapi-review specs DIR --format json</code>) or <code>--tree DIR</code> to see which syscalls have specs.</p>`;
  const body = html`<h1>Spec coverage</h1>
${index}
<h2>Specs with open drift findings</h2>
<p class="small">Findings about a spec still present in the latest reviewed revision of their series.</p>
${
  c.drift.length
    ? html`<table><thead><tr><th>Spec</th><th>Findings</th></tr></thead><tbody>${c.drift.map(
        (d) => html`<tr><td><code>${d.spec}</code></td><td>${driftLinks(d.findings, links)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">None.</p>`
}`;
  return page('Spec coverage', links, 'coverage', body, opts);
}
