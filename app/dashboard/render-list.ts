/**
 * The series list: one row per series with its latest revision, findings by severity and reply
 * status; a GET form filters and searches (no script needed); numbered pages. Pure.
 */

import { type Html, html, raw } from './html.js';
import {
  type Links,
  type ListQuery,
  MAX_PER_PAGE,
  type PageOptions,
  page,
  plural,
  STATES,
  severityCounts,
  stateBadge,
  time,
} from './layout.js';
import type { SeriesPage, SeriesSummary } from './queries.js';

export interface ListView {
  query: ListQuery;
  result: SeriesPage;
  /** The lists to filter by (server only). */
  lists: readonly { listId: string | null; series: number }[];
}

export type ReplyLabel = 'no reply' | 'pending' | 'sending' | 'sent' | 'dry-run' | 'failed' | 'muted';

/** What the reply column says: the outbox's worst state, dry-run when every sent one was a file. */
export function replyLabel(s: SeriesSummary): ReplyLabel {
  switch (s.replyStatus) {
    case 'none':
      return s.muted ? 'muted' : 'no reply';
    case 'sent':
      return s.dryRun >= s.replies.sent ? 'dry-run' : 'sent';
    default:
      return s.replyStatus;
  }
}

function replyCell(s: SeriesSummary): Html {
  const label = replyLabel(s);
  const r = s.replies;
  const detail = [
    r.sent - s.dryRun > 0 ? `${r.sent - s.dryRun} sent` : '',
    s.dryRun > 0 ? `${s.dryRun} dry-run` : '',
    r.pending ? `${r.pending} pending` : '',
    r.sending ? `${r.sending} sending` : '',
    r.failed ? `${r.failed} failed` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const cls = label.replace(' ', '-');
  const muted = s.muted && label !== 'muted' ? html` <span class="badge reply-muted">muted</span>` : '';
  return html`<span class="badge reply-${cls}"${detail ? html` title="${detail}"` : ''}>${label}</span>${muted}`;
}

function row(s: SeriesSummary, links: Links): Html {
  const latest = s.latest;
  const state = latest
    ? html`${stateBadge(latest.state, latest.stateDetail)}${latest.stateDetail ? html`<div class="small">${latest.stateDetail}</div>` : ''}`
    : html`<span class="muted">no revision</span>`;
  const findings = !latest
    ? html`<span class="muted">—</span>`
    : latest.reviewedAt === null
      ? html`<span class="muted">${latest.supersededBy !== null ? 'superseded' : 'not reviewed'}</span>`
      : severityCounts(s.findings);
  return html`<tr>
<td class="title"><a href="${links.series(s.series.id)}">${s.series.title || s.series.lineage}</a><div class="small">${s.series.lineage}</div></td>
<td>${s.series.listId ?? html`<span class="muted">—</span>`}</td>
<td class="num">${latest ? `v${latest.revision}` : '—'}${s.revisions > 1 ? html`<div class="small">${s.revisions} revisions</div>` : ''}</td>
<td>${s.series.author ?? html`<span class="muted">unknown</span>`}</td>
<td>${time(s.postedAt ?? latest?.receivedAt ?? s.series.updatedAt)}</td>
<td>${state}</td>
<td>${findings}</td>
<td>${replyCell(s)}</td>
</tr>`;
}

function filters(v: ListView, links: Links): Html {
  const q = v.query;
  const opt = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? raw(' selected') : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="${links.list()}" role="search">
<label>Search<input type="search" name="q" value="${q.q}" placeholder="title, author, Message-ID, file, syscall"></label>
<label>List<select name="list">${opt('', 'all lists', q.list === null)}${v.lists
    .filter((l) => l.listId !== null)
    .map((l) => opt(l.listId as string, `${l.listId} (${l.series})`, q.list === l.listId))}</select></label>
<label>State<select name="state">${opt('', 'any state', q.state === null)}${STATES.map((s) => opt(s, s, q.state === s))}</select></label>
<label>Per page<input type="number" name="per" min="1" max="${MAX_PER_PAGE}" value="${q.per}"></label>
<button type="submit">Filter</button>
${q.q || q.list || q.state ? html`<a href="${links.list()}">clear</a>` : ''}
</form>`;
}

export function pageCount(total: number, per: number): number {
  return Math.max(1, Math.ceil(total / per));
}

function pager(v: ListView, links: Links): Html {
  const pages = pageCount(v.result.total, v.query.per);
  const p = Math.min(v.query.page, pages);
  if (pages <= 1) return html``;
  const to = (n: number) => links.list({ ...v.query, page: n });
  return html`<nav class="pages" aria-label="pages">
${p > 1 ? html`<a href="${to(1)}">first</a> <a href="${to(p - 1)}" rel="prev">previous</a>` : html`<span class="muted">first previous</span>`}
<span>page ${p} of ${pages}</span>
${p < pages ? html`<a href="${to(p + 1)}" rel="next">next</a> <a href="${to(pages)}">last</a>` : html`<span class="muted">next last</span>`}
</nav>`;
}

export function renderListPage(v: ListView, links: Links, opts: PageOptions): string {
  const { total, items } = v.result;
  const filtered = v.query.q !== '' || v.query.list !== null || v.query.state !== null;
  const start = (Math.min(v.query.page, pageCount(total, v.query.per)) - 1) * v.query.per;
  const summary =
    total === 0
      ? filtered
        ? 'No series match.'
        : 'No series recorded yet.'
      : `${plural(total, 'series', 'series')}${filtered ? ' match' : ''}; ${start + 1}–${start + items.length} shown, most recently active first.`;
  const body = html`<h1>Series</h1>
${links.dynamic ? filters(v, links) : ''}
<p class="small">${summary}</p>
${pager(v, links)}
${
  items.length > 0
    ? html`<table>
<thead><tr><th>Series</th><th>List</th><th class="num">Revision</th><th>Author</th><th>Posted</th><th>State</th><th>Findings (latest)</th><th>Replies</th></tr></thead>
<tbody>
${items.map((s) => row(s, links))}
</tbody>
</table>`
    : ''
}
${pager(v, links)}`;
  return page('Series', links, 'series', body, opts);
}
