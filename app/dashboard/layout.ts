/**
 * The dashboard's page shell, links and small shared pieces. Pure: data in, HTML out.
 *
 * No script at all: filters are a GET form, charts are inline SVG drawn here. The one inline
 * style sheet is allowed by its hash in the Content-Security-Policy, so nothing else (no inline
 * script, no style attribute, no external resource) can run or load.
 */
import { createHash } from 'node:crypto';
import { SEVERITIES, type Severity } from '../../checks/types.js';
import type { RevisionState } from '../store/series.js';
import { type Html, html, type Part, raw } from './html.js';
import type { LoreLinks } from './lore.js';

const CSS = `
:root{--fg:#1d1f21;--muted:#5f6368;--line:#d9dce0;--bg:#fff;--soft:#f4f5f7;--err:#b3261e;--warn:#9a6700;
--info:#1f5fa8;--ok:#1e7d32;--link:#0b57d0}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header.top{display:flex;gap:1.5em;align-items:baseline;padding:.6em 1.2em;border-bottom:1px solid var(--line);background:var(--soft)}
header.top .brand{font-weight:600}
header.top a{color:var(--link);text-decoration:none}
header.top a.here{color:var(--fg);font-weight:600}
main{padding:1em 1.2em;max-width:1400px}
a{color:var(--link)}
h1{font-size:1.35em;margin:.2em 0 .6em;overflow-wrap:anywhere}
h2{font-size:1.15em;margin:1.4em 0 .5em}
h3{font-size:1em;margin:1em 0 .4em;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;background:var(--soft)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.title{overflow-wrap:anywhere;max-width:36em}
.small,.muted{color:var(--muted);font-size:.9em}
.badge{display:inline-block;padding:0 .45em;border-radius:.7em;font-size:.85em;border:1px solid currentColor;white-space:nowrap}
.sev-error{color:var(--err)}.sev-warning{color:var(--warn)}.sev-info{color:var(--info)}
.state-complete{color:var(--ok)}.state-incomplete{color:var(--warn)}.state-corrupted{color:var(--err)}
.reply-failed{color:var(--err)}.reply-sent{color:var(--ok)}.reply-pending,.reply-sending,.reply-dry-run{color:var(--info)}
.reply-muted{color:var(--muted)}
.status-new{color:var(--err)}.status-still{color:var(--warn)}.status-fixed{color:var(--ok)}
form.filters{display:flex;flex-wrap:wrap;gap:.6em;align-items:end;margin:.4em 0 1em}
form.filters label{display:flex;flex-direction:column;font-size:.85em;color:var(--muted)}
form.filters input,form.filters select,form.filters button{font:inherit;padding:.25em .4em}
nav.pages{display:flex;gap:1em;margin:1em 0}
article.finding{border:1px solid var(--line);border-left-width:4px;border-radius:4px;padding:.5em .8em;margin:.6em 0}
article.finding.sev-error{border-left-color:var(--err)}article.finding.sev-warning{border-left-color:var(--warn)}
article.finding.sev-info{border-left-color:var(--info)}
article.finding>*{color:var(--fg)}
article.finding p{margin:.3em 0;overflow-wrap:anywhere}
pre{background:var(--soft);padding:.5em;overflow-x:auto;margin:.3em 0;font-size:.9em}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.92em}
section.revision{border-top:2px solid var(--line);margin-top:1.5em}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.4em 0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
svg.chart{max-width:100%;height:auto;font-size:11px}
svg.chart text{fill:var(--fg)}
svg.chart .grid{stroke:var(--line)}
svg .c-error{fill:var(--err)}svg .c-warning{fill:#d4a72c}svg .c-info{fill:var(--info)}
svg .c-spec{fill:var(--ok)}svg .c-nospec{fill:#c4c7cc}svg .c-fixed{fill:var(--ok)}svg .c-ignored{fill:#9aa0a6}
svg .c-open{fill:var(--err)}
.legend span{margin-right:1em}
.sw{display:inline-block;width:.8em;height:.8em;vertical-align:-.05em;margin-right:.3em}
.sw.c-error{background:var(--err)}.sw.c-warning{background:#d4a72c}.sw.c-info{background:var(--info)}
.sw.c-spec,.sw.c-fixed{background:var(--ok)}.sw.c-nospec{background:#c4c7cc}.sw.c-ignored{background:#9aa0a6}
.sw.c-open{background:var(--err)}
ul.replies{padding-left:1.2em}ul.replies li.reply{margin:.4em 0}
ul.trailers{list-style:none;padding-left:1em;margin:.2em 0}
.trailer{color:var(--ok)}
p.mailref{margin:.1em 0 .4em;overflow-wrap:anywhere}
footer{color:var(--muted);font-size:.85em;padding:1em 1.2em;border-top:1px solid var(--line);margin-top:2em}
`.trim();

const STYLE_HASH = `sha256-${createHash('sha256').update(CSS).digest('base64')}`;

/** The Content-Security-Policy header of every dashboard response. */
export const CSP = [
  "default-src 'none'",
  `style-src '${STYLE_HASH}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The same policy as a <meta> for the static site (no frame-ancestors there: meta cannot set it). */
export const META_CSP = ["default-src 'none'", `style-src '${STYLE_HASH}'`, "base-uri 'none'"].join('; ');

export const STATES: readonly RevisionState[] = ['complete', 'incomplete', 'corrupted'];

/** The series list's query: search text, filters, and the page. */
export interface ListQuery {
  q: string;
  list: string | null;
  state: RevisionState | null;
  page: number;
  per: number;
}

export const DEFAULT_PER_PAGE = 100;
export const MAX_PER_PAGE = 500;

export function defaultListQuery(): ListQuery {
  return { q: '', list: null, state: null, page: 1, per: DEFAULT_PER_PAGE };
}

/** A list query parameter that is not one the dashboard's form or links could have made. */
export class QueryError extends Error {
  override name = 'QueryError';
}

/** Beyond any real list (a million pages); keeps page * per far from unsafe integers. */
export const MAX_PAGE = 1_000_000;

function whole(params: URLSearchParams, key: string, min: number, max: number): number | null {
  const raw = (params.get(key) ?? '').trim();
  if (raw === '') return null;
  const n = /^\d{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max)) throw new QueryError(`${key} must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * Reads the list's query parameters. Empty ones (a form left blank) are the defaults; the search
 * text and the list are trimmed and cut to their length; a page, page size or state that is not
 * valid throws QueryError (the server answers 400). A page past the end is not an error: the list
 * shows its last page.
 */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const q = defaultListQuery();
  q.q = (params.get('q') ?? '').trim().slice(0, 200);
  const list = (params.get('list') ?? '').trim();
  if (list !== '') q.list = list.slice(0, 320);
  const state = params.get('state') ?? '';
  if (state !== '') {
    if (!(STATES as readonly string[]).includes(state))
      throw new QueryError(`state must be one of ${STATES.join(', ')}`);
    q.state = state as RevisionState;
  }
  q.page = whole(params, 'page', 1, MAX_PAGE) ?? q.page;
  q.per = whole(params, 'per', 1, MAX_PER_PAGE) ?? q.per;
  return q;
}

/** Where the pages are, as hrefs from the page being rendered. */
export interface Links {
  /** true: served, the list's filters work; false: a static export with plain numbered pages. */
  readonly dynamic: boolean;
  list(q?: Partial<ListQuery>): string;
  series(id: number): string;
  checks(): string;
  coverage(): string;
}

/** Absolute links under the handler's base path (`''` for the root, `/kapi-review` under Probot). */
export function serverLinks(basePath: string): Links {
  const base = normalizeBase(basePath);
  return {
    dynamic: true,
    list(q = {}) {
      const p = new URLSearchParams();
      if (q.q) p.set('q', q.q);
      if (q.list) p.set('list', q.list);
      if (q.state) p.set('state', q.state);
      if (q.per && q.per !== DEFAULT_PER_PAGE) p.set('per', String(q.per));
      if (q.page && q.page > 1) p.set('page', String(q.page));
      const s = p.toString();
      return `${base}/${s ? `?${s}` : ''}`;
    },
    series: (id) => `${base}/series/${id}`,
    checks: () => `${base}/checks`,
    coverage: () => `${base}/coverage`,
  };
}

/** Relative links between the files of a static export, from a page `depth` folders down. */
export function staticLinks(depth: number): Links {
  const up = '../'.repeat(depth);
  return {
    dynamic: false,
    list: (q = {}) => `${up}${staticListFile(q.page ?? 1)}`,
    series: (id) => `${up}series/${id}.html`,
    checks: () => `${up}checks.html`,
    coverage: () => `${up}coverage.html`,
  };
}

export function staticListFile(page: number): string {
  return page <= 1 ? 'index.html' : `page-${page}.html`;
}

/** '' for the root; otherwise '/x/y' without a trailing slash. */
export function normalizeBase(basePath: string): string {
  const b = `/${basePath.trim()}`.replace(/\/+/g, '/').replace(/\/$/, '');
  return b;
}

export interface PageOptions {
  /** Put the CSP in a <meta> too (static export: there are no headers on file://). */
  metaCsp: boolean;
  /** Shown in the footer; null: no time. */
  now: Date | null;
  /** Where mails are linked to (lore.ts); default: lore.kernel.org's `all` inbox. */
  lore?: LoreLinks;
}

export type Section = 'series' | 'checks' | 'coverage';

/** A whole HTML document. */
export function page(
  title: string,
  links: Links,
  here: Section | null,
  body: Part,
  opts: PageOptions,
): string {
  const nav = (s: Section, href: string, label: string): Html =>
    html`<a href="${href}"${here === s ? raw(' class="here" aria-current="page"') : ''}>${label}</a>`;
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${opts.metaCsp ? html`<meta http-equiv="Content-Security-Policy" content="${META_CSP}">` : ''}
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · kapi-review</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header class="top"><span class="brand">kapi-review</span>
${nav('series', links.list(), 'Series')}
${nav('checks', links.checks(), 'Checks')}
${nav('coverage', links.coverage(), 'Spec coverage')}
</header>
<main>
${body}
</main>
<footer>kapi-review dashboard${opts.now ? html` · ${fmtTime(opts.now.toISOString())}` : ''}</footer>
</body>
</html>
`;
  return doc.text;
}

/** `2026-03-02 11:00 UTC` from an ISO time; the text as given when it does not parse. */
function fmtTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

export function time(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${fmtTime(iso)}</time>`;
}

export function severityBadge(s: Severity): Html {
  return html`<span class="badge sev-${s}">${s}</span>`;
}

export function stateBadge(state: RevisionState, detail: string | null): Html {
  return html`<span class="badge state-${state}"${detail ? html` title="${detail}"` : ''}>${state}</span>`;
}

/** `1 error, 2 warnings` style counts; `none` when all are zero. */
export function severityCounts(c: Record<Severity, number>): Html {
  const parts = SEVERITIES.filter((s) => c[s] > 0).map(
    (s) => html`<span class="badge sev-${s}" title="${s}">${c[s]} ${s}${c[s] === 1 ? '' : 's'}</span>`,
  );
  return parts.length
    ? html`${parts.map((p, i) => (i ? [raw(' '), p] : p))}`
    : html`<span class="muted">none</span>`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
