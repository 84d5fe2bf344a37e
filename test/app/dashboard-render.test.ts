import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findingsBuckets, stackedColumns, weekOf } from '../../app/dashboard/charts.js';
import {
  buildCoverage,
  parseSpecIndexJson,
  SpecIndexError,
  specIndexData,
  subsystemOf,
} from '../../app/dashboard/coverage.js';
import { esc, html, joinHtml, raw } from '../../app/dashboard/html.js';
import {
  CSP,
  defaultListQuery,
  MAX_PAGE,
  META_CSP,
  normalizeBase,
  type PageOptions,
  parseListQuery,
  QueryError,
  serverLinks,
  staticLinks,
} from '../../app/dashboard/layout.js';
import { b4AmCommand, type LoreLinks, loreLinks } from '../../app/dashboard/lore.js';
import type { SeriesSummary } from '../../app/dashboard/queries.js';
import { renderChecksPage } from '../../app/dashboard/render-checks.js';
import { renderCoveragePage } from '../../app/dashboard/render-coverage.js';
import { renderListPage, replyLabel } from '../../app/dashboard/render-list.js';
import { renderSeriesPage, type SeriesView } from '../../app/dashboard/render-series.js';
import type { StoredFinding } from '../../app/store/findings.js';
import type { RevisionRecord } from '../../app/store/series.js';
import type { Finding } from '../../checks/types.js';

const HOSTILE = '<script>alert(1)</script>';
const LORE = (loreLinks('https://lore.kernel.org/all') as { links: LoreLinks }).links;
const opts: PageOptions = { metaCsp: false, now: null };

function revision(extra: Partial<RevisionRecord> = {}): RevisionRecord {
  return {
    id: 1,
    seriesId: 1,
    revision: 1,
    coverMessageId: null,
    patchMessageIds: ['p1@x'],
    state: 'complete',
    stateDetail: null,
    baseCommit: null,
    changeId: null,
    receivedAt: '2026-03-02T11:00:00.000Z',
    createdAt: '2026-03-02T11:00:00.000Z',
    updatedAt: '2026-03-02T11:00:00.000Z',
    supersededBy: null,
    reviewedAt: '2026-03-02T11:05:00.000Z',
    ...extra,
  };
}

function summary(id: number, extra: Partial<SeriesSummary> = {}): SeriesSummary {
  return {
    series: {
      id,
      lineage: `lin-${id}`,
      title: `series ${id}`,
      author: 'Ann <ann@example.org>',
      listId: 'linux-mm@example.org',
      createdAt: '2026-03-02T11:00:00.000Z',
      updatedAt: '2026-03-02T11:00:00.000Z',
    },
    latest: revision({ id, seriesId: id }),
    postedAt: null,
    revisions: 1,
    findings: { error: 0, warning: 0, info: 0 },
    replies: { pending: 0, sending: 0, sent: 0, failed: 0 },
    replyStatus: 'none',
    dryRun: 0,
    muted: false,
    ...extra,
  };
}

function finding(fp: string, extra: Partial<Finding> = {}): Finding {
  return {
    check: 'kapi-error-undocumented',
    severity: 'error',
    message: `sys_frob can return -${fp.toUpperCase()} here`,
    at: { path: 'kernel/frob.c', line: 55, messageId: 'p1@x' },
    spec: 'sys_frob',
    subject: fp.toUpperCase(),
    evidence: [{ path: 'kernel/frob.c', line: 55, text: 'return -EPERM;', kind: 'code' }],
    fingerprint: fp,
    ...extra,
  };
}

/** Text between tags, with entities decoded: what a reader sees. */
function visible(doc: string): string {
  return doc
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('dashboard html: one escape function', () => {
  it('escapes every interpolated value, keeps Html as it is, joins arrays', () => {
    expect(esc(`<a href="x" onclick='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    const inner = html`<b>${HOSTILE}</b>`;
    expect(
      html`<p title="${'" onmouseover="x'}">${inner}${[1, ' & ', null, false, undefined, 2]}</p>`.text,
    ).toBe('<p title="&quot; onmouseover=&quot;x"><b>&lt;script&gt;alert(1)&lt;/script&gt;</b>1 &amp; 2</p>');
    expect(joinHtml(['<a>', raw('<br>'), 'b'], raw('|')).text).toBe('&lt;a&gt;|<br>|b');
  });
});

describe('dashboard: the series list', () => {
  const items = [
    summary(1, {
      series: { ...summary(1).series, title: HOSTILE, author: '"<img src=x onerror=alert(2)>" <m@x>' },
      findings: { error: 1, warning: 2, info: 0 },
      replies: { pending: 0, sending: 0, sent: 2, failed: 0 },
      replyStatus: 'sent',
      dryRun: 2,
    }),
    summary(2, {
      latest: revision({ id: 2, seriesId: 2, revision: 3, state: 'incomplete', stateDetail: 'missing 2/5' }),
      revisions: 3,
      replies: { pending: 0, sending: 0, sent: 3, failed: 0 },
      replyStatus: 'sent',
      dryRun: 1,
    }),
    summary(3, {
      latest: revision({
        id: 3,
        seriesId: 3,
        state: 'corrupted',
        stateDetail: 'patch 1/1 has no diff',
        reviewedAt: null,
      }),
      muted: true,
    }),
    summary(4, { latest: null, revisions: 0 }),
    summary(5, {
      replies: { pending: 1, sending: 0, sent: 0, failed: 1 },
      replyStatus: 'failed',
      muted: true,
    }),
  ];

  it('says dry-run, sent, muted, failed or no reply', () => {
    expect(items.map(replyLabel)).toEqual(['dry-run', 'sent', 'muted', 'no reply', 'failed']);
  });

  it('renders each row: hostile values as text, states, counts, replies; no script anywhere', () => {
    const out = renderListPage(
      {
        query: defaultListQuery(),
        result: { total: 5, items },
        lists: [
          { listId: 'linux-mm@example.org', series: 5 },
          { listId: null, series: 1 },
        ],
      },
      serverLinks('/kapi-review'),
      opts,
    );
    expect(out).not.toMatch(/<script|<img/i);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const text = visible(out);
    expect(text).toContain(`${HOSTILE} lin-1`);
    expect(text).toContain('"<img src=x onerror=alert(2)>" <m@x>');
    expect(out).toContain('href="/kapi-review/series/1"');
    expect(text).toMatch(/complete .*1 error 2 warnings .*dry-run/);
    expect(text).toMatch(/v3 3 revisions .*incomplete missing 2\/5 none sent/);
    expect(text).toMatch(/corrupted patch 1\/1 has no diff not reviewed muted/);
    expect(text).toMatch(/no revision — no reply/);
    expect(text).toMatch(/failed muted/);
    expect(out).toContain('title="2 dry-run"'); // both sent ones were dry-run files
    expect(out).toContain('title="2 sent, 1 dry-run"');
    // the filter form works without script: GET to the list, with the lists known
    expect(out).toMatch(/<form class="filters" method="get" action="\/kapi-review\/"/);
    expect(out).toContain('<option value="linux-mm@example.org">linux-mm@example.org (5)</option>');
    expect(text).toContain('5 series; 1–5 shown');
  });

  it('pages: links keep the filters; the static export has numbered files and no form', () => {
    const query = { ...parseListQuery(new URLSearchParams('q=mm&state=complete&page=2')), per: 100 };
    const v = { query, result: { total: 250, items: [summary(1)] }, lists: [] };
    const out = renderListPage(v, serverLinks(''), opts);
    expect(visible(out)).toContain('page 2 of 3');
    expect(out).toContain('href="/?q=mm&amp;state=complete" rel="prev"');
    expect(out).toContain('href="/?q=mm&amp;state=complete&amp;page=3" rel="next"');
    expect(visible(out)).toContain('250 series match; 101–101 shown');
    const st = renderListPage({ ...v, query: { ...defaultListQuery(), page: 2 } }, staticLinks(0), {
      ...opts,
      metaCsp: true,
    });
    expect(st).not.toContain('<form');
    expect(st).toContain('href="index.html" rel="prev"');
    expect(st).toContain('href="page-3.html" rel="next"');
    expect(st).toContain('href="series/1.html"');
    expect(st).toContain(
      `<meta http-equiv="Content-Security-Policy" content="${META_CSP.replaceAll("'", '&#39;')}">`,
    );
  });

  it('reads the query the form makes, and refuses a page, size or state it could not have made', () => {
    expect(parseListQuery(new URLSearchParams('page=&per=&state=&list=%20&q=%20x%20'))).toEqual({
      ...defaultListQuery(),
      q: 'x',
    });
    expect(parseListQuery(new URLSearchParams('page=7&per=500&state=corrupted&list=linux-mm'))).toEqual({
      q: '',
      list: 'linux-mm',
      state: 'corrupted',
      page: 7,
      per: 500,
    });
    expect(parseListQuery(new URLSearchParams(`q=${'y'.repeat(300)}`)).q).toHaveLength(200);
    for (const bad of [
      'page=-3',
      'page=0',
      'page=2.5',
      'page=1e3',
      'page=99999999999999999999',
      `page=${MAX_PAGE + 1}`,
      'per=99999',
      'per=abc',
      'per=0',
      'state=evil',
    ])
      expect(() => parseListQuery(new URLSearchParams(bad)), bad).toThrow(QueryError);
    expect(() => parseListQuery(new URLSearchParams('page=99999999999999999999'))).toThrow(
      'page must be a whole number from 1 to 1000000',
    );
    expect(normalizeBase('/kapi-review/')).toBe('/kapi-review');
    expect(normalizeBase('')).toBe('');
    expect(normalizeBase('/')).toBe('');
  });

  it('allows its one style sheet by hash in the CSP, and nothing else', () => {
    const out = renderListPage(
      { query: defaultListQuery(), result: { total: 0, items: [] }, lists: [] },
      serverLinks(''),
      opts,
    );
    const css = /<style>([\s\S]*?)<\/style>/.exec(out)?.[1] ?? '';
    const hash = createHash('sha256').update(css).digest('base64');
    expect(CSP).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
    expect(out).not.toMatch(/ style="/);
    expect(visible(out)).toContain('No series recorded yet.');
  });
});

describe('dashboard: one series', () => {
  const sf = (id: number, revisionId: number, f: Finding): StoredFinding => ({
    id,
    revisionId,
    patchMessageId: f.at.messageId ?? null,
    finding: f,
  });
  const v2 = revision({
    id: 2,
    revision: 2,
    patchMessageIds: ['q1@x', 'q2@x'],
    receivedAt: '2026-03-03T10:00:00.000Z',
  });
  // a Message-ID can carry quotes and shell syntax: links and the b4 line must hold it
  const shelly = `r1'$(touch /tmp/pwn)"@x`;
  const v3 = revision({
    id: 3,
    revision: 3,
    patchMessageIds: [shelly],
    reviewedAt: null,
    state: 'incomplete',
    stateDetail: 'missing 2/2',
  });
  const still = finding('eperm', { at: { path: 'kernel/frob.c', line: 60, messageId: 'q2@x' } });
  const fresh = finding('eintr', {
    severity: 'warning',
    check: 'kapi-error-unreachable',
    at: { path: 'kernel/frob.c', line: 30, messageId: 'q1@x' },
  });
  const view: SeriesView = {
    series: { ...summary(1).series, title: HOSTILE },
    lore: LORE,
    mute: null,
    ignores: [
      {
        id: 1,
        scope: { kind: 'series', seriesId: 1 },
        check: 'kapi-deprecated-form',
        subject: null,
        by: 'ann@example.org',
        at: '2026-03-02T12:00:00.000Z',
      },
    ],
    revisions: [
      {
        rev: v3,
        replies: { pending: 0, sending: 0, sent: 0, failed: 0, dryRun: 0 },
        history: null,
        findings: [],
        subjects: new Map(),
        dates: new Map(),
        postedAt: null,
        humanReplies: [],
        specChanges: null,
      },
      {
        rev: v2,
        replies: { pending: 1, sending: 0, sent: 2, failed: 0, dryRun: 2 },
        history: {
          seriesId: 1,
          revision: 2,
          previous: 1,
          entries: [
            { fingerprint: 'eperm', status: 'still', since: 1, firstSeen: 1, findings: [sf(12, 2, still)] },
            { fingerprint: 'eintr', status: 'new', since: 2, firstSeen: 2, findings: [sf(11, 2, fresh)] },
          ],
          fixed: [
            {
              fingerprint: 'einval',
              since: 1,
              finding: sf(
                3,
                1,
                finding('einval', { at: { path: 'kernel/frob.c', line: 40, messageId: 'p2@x' } }),
              ),
            },
            {
              fingerprint: 'form',
              since: 1,
              finding: sf(
                4,
                1,
                finding('form', {
                  check: 'kapi-deprecated-form',
                  severity: 'warning',
                  subject: 'form:macro',
                }),
              ),
            },
          ],
        },
        findings: [sf(11, 2, fresh), sf(12, 2, still)],
        subjects: new Map([['q1@x', `[PATCH v2 1/2] ${HOSTILE}`]]),
        dates: new Map([['q1@x', '2026-03-03T09:30:00.000Z']]),
        postedAt: '2026-03-03T09:30:00.000Z',
        humanReplies: [
          {
            messageId: 'x"onmouseover=alert(3)"@evil.example',
            from: '"<img src=x onerror=alert(4)>" <eve@example.org>',
            subject: `Re: [PATCH v2 1/2] ${HOSTILE}`,
            date: '2026-03-04T08:00:00.000Z',
            about: 'q1@x',
            trailers: [
              { key: 'Reviewed-by', name: '<script>alert(5)</script>', address: 'eve@example.org', line: 3 },
              { key: 'Tested-by', name: '', address: 'bot"><b>x</b>@example.org', line: 4 },
            ],
            followUp: null,
            kept: true,
          },
          {
            messageId: 'f@x',
            from: 'ann@example.org',
            subject: null,
            date: null,
            about: null,
            trailers: [],
            followUp: { receivedAt: '2026-03-03T11:00:00.000Z', command: 'kapi-review: ignore <b>x</b>' },
            kept: false,
          },
        ],
        specChanges: {
          since: 1,
          lines: [
            'sys_frob (kernel/frob.c:14, macro): 1 change',
            '  + error EPERM: <script>alert(6)</script>',
          ],
        },
      },
    ],
  };

  it('shows per revision and patch each finding with its evidence, new / still / fixed / ignored', () => {
    const out = renderSeriesPage(view, serverLinks(''), opts);
    expect(out).not.toMatch(/<script|<b>x<\/b>|<img|\sonmouseover=/);
    const text = visible(out);
    expect(out).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(text).toMatch(/v3 incomplete State missing 2\/2 .*Reviewed not reviewed yet/);
    expect(text).toContain('against v1: 1 new, 1 still present, 1 fixed, 1 ignored by a command');
    expect(text).toContain('Replies 2 written as dry-run, 1 pending');
    expect(text).toMatch(
      new RegExp(
        `patch 1/2: \\[PATCH v2 1/2\\] ${HOSTILE.replace(/[()/]/g, '\\$&')} 2026-03-03 09:30 UTC · <q1@x> · raw warning kapi-error-unreachable new in v2 kernel/frob.c:30`,
      ),
    );
    expect(text).toMatch(
      /patch 2\/2 <q2@x> · raw error kapi-error-undocumented still present since v1 kernel\/frob.c:60/,
    );
    expect(text).toContain('code: kernel/frob.c:55: return -EPERM;');
    expect(text).toMatch(
      /Gone since v1 fixed error kapi-error-undocumented was at kernel\/frob.c:40, present since v1/,
    );
    expect(text).toMatch(/ignored warning kapi-deprecated-form was at/);
    expect(text).toContain(
      'received 2026-03-03 11:00 UTC ann@example.org answered a kapi-review reply: kapi-review: ignore <b>x</b>',
    );
    expect(text).toContain('kapi-deprecated-form (this series), by ann@example.org');
    expect(out).toContain('<a href="#v2">v2</a>');
    // the spec changes since v1, escaped, in v2's section only
    expect(out).toContain(
      '<h3>Spec changes since v1</h3>\n<pre class="spec-diff">sys_frob (kernel/frob.c:14, macro): 1 change\n  + error EPERM: &lt;script&gt;alert(6)&lt;/script&gt;</pre>',
    );
    expect(out.match(/Spec changes since/g)).toHaveLength(1);
  });

  it('links each mail, thread and mbox to lore, gives a b4 am line per revision, and shows the replies with their trailers', () => {
    const out = renderSeriesPage(view, serverLinks(''), opts);
    const text = visible(out);
    expect(text).toContain('Posted 2026-03-03 09:30 UTC Arrived 2026-03-03 10:00 UTC');
    expect(text).toContain('Posted no Date in its mails');
    expect(out).toContain('<a href="https://lore.kernel.org/all/q1@x/T/#u">thread</a>');
    expect(out).toContain('<a href="https://lore.kernel.org/all/q1@x/t.mbox.gz">mbox</a>');
    expect(out).toContain('<a href="https://lore.kernel.org/all/q2@x/">&lt;q2@x&gt;</a>');
    expect(out).toContain('<a href="https://lore.kernel.org/all/q2@x/raw">raw</a>');
    expect(text).toContain('b4 b4 am -v 2 q1@x');
    // the quote and $( ) stay inside one single-quoted word; the URL escapes the double quote
    expect(text).toContain(`b4 b4 am -v 3 'r1'\\''$(touch /tmp/pwn)"@x'`);
    expect(out).toContain('href="https://lore.kernel.org/all/r1&#39;$(touch%20%2Ftmp%2Fpwn)%22@x/"');
    expect(text).toMatch(
      /Replies in the thread 2026-03-04 08:00 UTC "<img src=x onerror=alert\(4\)>" <eve@example.org> on patch 1\/2 · on lore Reviewed-by <script>alert\(5\)<\/script> <eve@example.org> Tested-by bot"><b>x<\/b>@example.org /,
    );
    expect(out).toContain('href="https://lore.kernel.org/all/x%22onmouseover=alert(3)%22@evil.example/"');
  });

  it('builds lore links under any inbox URL, and refuses one that is no http(s) URL', () => {
    const mm = loreLinks('https://lore.kernel.org/linux-mm/') as { links: LoreLinks };
    expect(mm.links.inbox).toBe('https://lore.kernel.org/linux-mm');
    expect(mm.links.raw('a/b@x')).toBe('https://lore.kernel.org/linux-mm/a%2Fb@x/raw');
    const bare = loreLinks('http://127.0.0.1:8080') as { links: LoreLinks };
    expect(bare.links.message('a@b')).toBe('http://127.0.0.1:8080/all/a@b/');
    const deep = loreLinks('https://example.org/lists/frob') as { links: LoreLinks };
    expect(deep.links.thread('a@b')).toBe('https://example.org/lists/frob/a@b/T/#u');
    expect(LORE.message('..')).toBeNull();
    expect(LORE.mbox('.')).toBeNull();
    expect(loreLinks('javascript:alert(1)')).toEqual({
      error: 'lore base URL must be http(s): javascript:alert(1)',
    });
    expect(loreLinks('not a url')).toHaveProperty('error');
    expect(b4AmCommand('-rf@x', 1)).toBe("b4 am -v 1 '<-rf@x>'");
    expect(b4AmCommand('20260302.1-2-ann@example.org', 4)).toBe('b4 am -v 4 20260302.1-2-ann@example.org');
  });
});

describe('dashboard: charts', () => {
  it('weeks start on Monday; empty weeks are kept; long spans become months', () => {
    expect(weekOf('2026-03-04')).toBe('2026-03-02');
    expect(weekOf('2026-03-02')).toBe('2026-03-02');
    expect(weekOf('2026-03-08')).toBe('2026-03-02');
    const b = findingsBuckets([
      { day: '2026-03-03', severity: 'error', count: 2 },
      { day: '2026-03-05', severity: 'info', count: 1 },
      { day: '2026-03-17', severity: 'error', count: 4 },
    ]);
    expect(b).toEqual({
      unit: 'week',
      labels: ['2026-03-02', '2026-03-09', '2026-03-16'],
      values: { error: [2, 0, 4], warning: [0, 0, 0], info: [1, 0, 0] },
    });
    const m = findingsBuckets(
      [
        { day: '2024-11-30', severity: 'warning', count: 1 },
        { day: '2026-01-02', severity: 'warning', count: 3 },
      ],
      52,
    );
    expect(m.unit).toBe('month');
    expect(m.labels[0]).toBe('2024-11');
    expect(m.labels.at(-1)).toBe('2026-01');
    expect(m.labels).toHaveLength(15);
    expect(m.values.warning.reduce((a, c) => a + c, 0)).toBe(4);
    expect(findingsBuckets([]).labels).toEqual([]);
  });

  it('draws SVG with escaped labels and a title per shape', () => {
    const svg = stackedColumns({
      title: 'x',
      labels: [HOSTILE, 'b'],
      series: [{ name: 'error', cls: 'c-error', values: [3, 1] }],
    }).text;
    expect(svg).not.toContain('<script');
    expect(svg).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt;: 3 error</title>');
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain('<desc>&lt;script&gt;alert(1)&lt;/script&gt;: 3; b: 1</desc>');
  });
});

describe('dashboard: checks and coverage pages', () => {
  it('lists every check, fired or not, with what became of its findings', () => {
    const out = renderChecksPage(
      {
        figures: [
          {
            check: 'kapi-error-undocumented',
            findings: 4,
            reports: 6,
            bySeverity: { error: 3, warning: 1, info: 0 },
            fixed: 3,
            ignored: 0,
            open: 1,
          },
        ],
        perDay: [{ day: '2026-03-02', severity: 'error', count: 6 }],
        checks: [
          { id: 'kapi-error-undocumented', description: 'undocumented errno', severity: 'error' },
          { id: 'kapi-lock-unbalanced', description: 'lock', severity: 'warning' },
        ],
      },
      staticLinks(0),
      opts,
    );
    const text = visible(out);
    expect(text).toContain('kapi-error-undocumented undocumented errno 4 6 3 1 0 3 0 1 75%');
    expect(text).toContain('kapi-lock-unbalanced lock 0 0 0 0 0 0 0 0 —');
    expect(out).toContain('<title>kapi-error-undocumented: 3 fixed later</title>');
    expect(out).toContain('<title>2026-03-02: 6 error</title>');
  });

  it('groups syscalls by subsystem with their spec form and open drift', () => {
    expect(subsystemOf('mm/mlock.c')).toBe('mm');
    expect(subsystemOf('kernel/sched/core.c')).toBe('kernel/sched');
    expect(subsystemOf('arch/x86/kernel/ioport.c')).toBe('arch/x86');
    expect(subsystemOf('init.c')).toBe('(top level)');
    const index = specIndexData(
      {
        specs: [
          {
            name: 'sys_mlock',
            kind: 'syscall',
            form: 'kerneldoc-3',
            path: 'mm/mlock.c',
            line: 10,
            syscall: 'sys_mlock',
          },
          {
            name: 'widget_query',
            kind: 'ioctl',
            form: 'macro',
            path: 'drivers/w/w.c',
            line: 3,
            syscall: null,
          },
        ],
        syscalls: [
          {
            name: 'mlock',
            fnName: 'sys_mlock',
            path: 'mm/mlock.c',
            line: 40,
            compat: false,
            spec: { path: 'mm/mlock.c', line: 10, form: 'kerneldoc-3' },
          },
          { name: 'munlock', fnName: 'sys_munlock', path: 'mm/mlock.c', line: 60, compat: false, spec: null },
          {
            name: 'sched_yield',
            fnName: 'sys_sched_yield',
            path: 'kernel/sched/core.c',
            line: 9,
            compat: false,
            spec: null,
          },
        ],
      } as never,
      'tree',
    );
    const drift = [
      {
        spec: 'sys_mlock',
        check: 'kapi-error-unreachable',
        severity: 'warning' as const,
        seriesId: 7,
        title: HOSTILE,
        revision: 2,
        count: 1,
      },
      {
        spec: 'sys_gone',
        check: 'kapi-spec-orphan',
        severity: 'warning' as const,
        seriesId: 8,
        title: 'x',
        revision: 1,
        count: 2,
      },
    ];
    const c = buildCoverage(index, drift);
    expect(c.total).toBe(3);
    expect(c.withSpec).toBe(1);
    expect(c.byForm).toEqual({ 'kerneldoc-3': 1 });
    expect(c.groups.map((g) => [g.subsystem, g.syscalls.length, g.withSpec])).toEqual([
      ['mm', 2, 1],
      ['kernel/sched', 1, 0],
    ]);
    expect(c.groups[0]?.syscalls[0]?.drift).toEqual([drift[0]]);
    expect(c.unattached.map((s) => s.name)).toEqual(['widget_query']);
    expect(c.drift.map((d) => d.spec)).toEqual(['sys_mlock', 'sys_gone']);
    const out = renderCoveragePage(c, serverLinks(''), opts);
    expect(out).not.toContain('<script');
    const text = visible(out);
    expect(text).toContain('3 syscalls, 1 with a spec (33%); forms: 1 kerneldoc-3');
    expect(text).toContain('mm : 1 of 2 syscalls with a spec (50%)');
    expect(text).toMatch(
      /mlock mm\/mlock.c:40 kerneldoc-3 warning kapi-error-unreachable ×1 in <script>alert\(1\)<\/script> v2/,
    );
    expect(out).toContain('<title>mm: 1 with a spec</title>');
    // a syscall without a spec gets the command that drafts one; one with a spec does not
    expect(text).toContain(
      'munlock mm/mlock.c:60 none kapi-review draft sys_munlock --tree . --file mm/mlock.c',
    );
    expect(text).toContain('kapi-review draft sys_sched_yield --tree . --file kernel/sched/core.c');
    expect(text).not.toContain('draft sys_mlock ');
    const none = visible(renderCoveragePage(buildCoverage(null, []), serverLinks(''), opts));
    expect(none).toContain('No spec index loaded');
  });

  it('reads a spec index file, and says what is wrong with a bad one', () => {
    const good = JSON.stringify({
      version: 1,
      stats: { files: 1, bytes: 1, parsed: 1, ms: 1 },
      specs: [],
      syscalls: [
        {
          name: 'a',
          fnName: 'sys_a',
          path: 'x/a.c',
          line: 1,
          arity: 0,
          params: [],
          compat: false,
          spec: null,
        },
      ],
      issues: [],
    });
    expect(parseSpecIndexJson(good, 'f.json').syscalls).toEqual([
      { name: 'a', fnName: 'sys_a', path: 'x/a.c', line: 1, compat: false, spec: null },
    ]);
    expect(() => parseSpecIndexJson('{', 'f.json')).toThrow(/f.json: not JSON/);
    expect(() => parseSpecIndexJson('{"version":1,"specs":[],"syscalls":[{"name":1}]}', 'f.json')).toThrow(
      SpecIndexError,
    );
    expect(() => parseSpecIndexJson('{"version":2}', 'f.json')).toThrow(/not a spec index .*version/);
  });
});
