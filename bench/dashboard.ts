/**
 * The dashboard's series list over a large store: 10,000 synthetic series (1 to 4 revisions each,
 * a year of arrivals, findings that persist, get fixed or ignored across revisions, replies sent,
 * written as dry-run, pending or failed, some mutes), filled through the Store's own methods.
 * Measured, median of several runs, in the same process:
 *
 * - baseline: the raw SQL alone, one statement that reads the same page (series, latest revision
 *   state, findings by severity, replies by state) and the count, on a separate connection;
 * - the list page (store queries + rendering), first page, a search, the last page;
 * - the first page over HTTP from the standalone server (loopback, includes the socket);
 * - every list page in turn: all 10,000 series rendered;
 * - for information: a series page, the checks page (aggregates every finding), the coverage page.
 *
 * Every revision's mails are kept raw as the bot keeps them (cover letter, patches with a diff
 * in the syscall's function, and the list's replies: Reviewed-by, Acked-by, chatter), so the
 * pages read what the dashboard reads from them: the mails' dates, the replies in each thread,
 * the files and syscalls for the search. Their first use on a connection is timed apart (cold):
 * the reply index over all kept mail, and the patches parsed for the first file search.
 *
 *   npm run bench:dashboard [-- --series 10000] [-- --runs 7] [-- --per 100] [-- --db FILE]
 *
 * The goal (issue 7): the list page of 10,000 series in under a second.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultListQuery, type ListQuery, type PageOptions, serverLinks } from '../app/dashboard/layout.js';
import { checksPage, coveragePage, listPage, seriesPage } from '../app/dashboard/pages.js';
import { DashboardQueries } from '../app/dashboard/queries.js';
import { serveDashboard } from '../app/dashboard/server.js';
import type { RevisionState } from '../app/store/series.js';
import { Store } from '../app/store/store.js';
import { CHECKS } from '../checks/index.js';
import type { Finding, Severity } from '../checks/types.js';
import { arg, machine, median, recordResults, time } from './common.js';

/** mulberry32: a small deterministic PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBSYSTEMS = ['mm', 'fs', 'net', 'kernel', 'ipc', 'io_uring', 'security', 'block', 'sched', 'time'];
const VERBS = [
  'document',
  'add API specification for',
  'fix the spec of',
  'describe errors of',
  'annotate locks in',
];
const SYSCALLS = [
  'mlock',
  'munlock',
  'mlockall',
  'munlockall',
  'mmap',
  'mprotect',
  'madvise',
  'openat2',
  'read',
  'write',
  'execveat',
  'clone3',
  'futex',
  'io_uring_enter',
  'pidfd_open',
  'landlock_add_rule',
  'timerfd_create',
  'epoll_pwait2',
  'statx',
  'renameat2',
  'memfd_create',
  'process_madvise',
  'close_range',
  'fsopen',
];
const FIRST = [
  'Ada',
  'Bo',
  'Chen',
  'Dara',
  'Eli',
  'Fatima',
  'Goran',
  'Hana',
  'Ivo',
  'Jun',
  'Kira',
  'Lars',
  'Mei',
  'Nils',
];
const LAST = ['Example', 'Kernel', 'Hacker', 'Patch', 'Review', 'Lock', 'Page', 'Sched', 'Net', 'Block'];
const LISTS = [
  'linux-api@vger.kernel.org',
  'linux-mm@kvack.org',
  'netdev@vger.kernel.org',
  'linux-fsdevel@vger.kernel.org',
  'linux-kernel@vger.kernel.org',
];
const ERRNOS = [
  'EPERM',
  'EINVAL',
  'ENOMEM',
  'EAGAIN',
  'EINTR',
  'EFAULT',
  'EBADF',
  'ENOSYS',
  'EEXIST',
  'EACCES',
];

interface Fill {
  series: number;
  revisions: number;
  findings: number;
  replies: number;
  /** Mails kept raw: cover letters, patches and the list's replies. */
  mails: number;
  ms: number;
}

/** One revision's mails, as they would come from the list. */
interface RevisionMails {
  i: number;
  v: number;
  cover: string | null;
  patches: string[];
  author: string;
  list: string;
  title: string;
  path: string;
  syscall: string;
  /** When they were posted. */
  at: number;
}

function mailText(o: {
  id: string;
  parents: string[];
  from: string;
  to: string;
  at: number;
  subject: string;
  body: string;
}): Buffer {
  return Buffer.from(
    [
      `From: ${o.from}`,
      `To: ${o.to}`,
      `Date: ${new Date(o.at).toUTCString()}`,
      `Subject: ${o.subject}`,
      `Message-ID: <${o.id}>`,
      ...(o.parents.length
        ? [`In-Reply-To: <${o.parents.at(-1)}>`, `References: ${o.parents.map((p) => `<${p}>`).join(' ')}`]
        : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      o.body,
      '',
    ].join('\n'),
  );
}

const PROSE =
  'The spec and the code disagree about what this path returns when the range is not mapped; ' +
  'this brings them in line and says why in the description of each error.\n';

function patchText(r: RevisionMails, n: number): string {
  const fn = `SYSCALL_DEFINE2(${r.syscall}, unsigned long, start, size_t, len)`;
  return [
    `${r.path.split('/')[0]}: step ${n} of ${r.title}`,
    '',
    PROSE.repeat(4),
    `Signed-off-by: ${r.author}`,
    '---',
    ` ${r.path} | 3 ++-`,
    ' 1 file changed, 2 insertions(+), 1 deletion(-)',
    '',
    `diff --git a/${r.path} b/${r.path}`,
    'index 1111111..2222222 100644',
    `--- a/${r.path}`,
    `+++ b/${r.path}`,
    `@@ -${100 + n * 20},5 +${100 + n * 20},6 @@ ${fn}`,
    ' \tint ret;',
    ' ',
    '-\tret = 0;',
    '+\tret = -EINVAL;',
    `+\t/* ${r.i}.${r.v}.${n} */`,
    ' \treturn ret;',
    ' }',
    '-- ',
    '2.39.5',
  ].join('\n');
}

/** Keeps a revision's mails raw and the list's replies to them; returns how many mails. */
function keepRevisionMails(store: Store, random: () => number, r: RevisionMails): number {
  let kept = 0;
  const keep = (id: string, mail: Buffer) => {
    store.messages.saveRaw(id, 'bench', mail, new Date(r.at).toISOString());
    kept++;
  };
  const n = r.patches.length;
  const root = r.cover ? [r.cover] : [];
  const rev = r.v > 1 ? ` v${r.v}` : '';
  if (r.cover)
    keep(
      r.cover,
      mailText({
        id: r.cover,
        parents: [],
        from: r.author,
        to: r.list,
        at: r.at,
        subject: `[PATCH${rev} 0/${n}] ${r.title}`,
        body: `${PROSE.repeat(6)}\n${r.author}`,
      }),
    );
  r.patches.forEach((id, k) => {
    keep(
      id,
      mailText({
        id,
        parents: root,
        from: r.author,
        to: r.list,
        at: r.at + (k + 1) * 1000,
        subject: `[PATCH${rev} ${k + 1}/${n}] ${r.title} (${k + 1})`,
        body: patchText(r, k + 1),
      }),
    );
  });
  // the list answers a patch or two: a Reviewed-by, or a word
  const replies = Math.floor(random() * 4);
  for (let k = 0; k < replies; k++) {
    const about = r.patches[Math.floor(random() * n)] as string;
    const trailer =
      random() < 0.5 ? `Reviewed-by: Rae Viewer <rae${k}@example.org>` : 'Thanks, one nit below.';
    const id = `${r.i}.v${r.v}.re${k}@example.org`;
    keep(
      id,
      mailText({
        id,
        parents: [...root, about],
        from: `Rae Viewer <rae${k}@example.org>`,
        to: r.list,
        at: r.at + 3_600_000 * (k + 1),
        subject: `Re: [PATCH${rev}] ${r.title}`,
        body: `> ${PROSE}\n${PROSE}\n${trailer}`,
      }),
    );
  }
  return kept;
}

function fillStore(path: string, count: number, seed = 7): Fill {
  const random = rng(seed);
  // the mails draw from their own stream, so the series, findings and replies stay as they were
  const mailRandom = rng(seed + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const start = Date.parse('2025-11-01T00:00:00.000Z');
  const span = 365 * 86_400_000;
  let now = start;
  const store = Store.open({ path, now: () => new Date(now) });
  const checks = CHECKS.map((c) => c.meta);
  const t0 = performance.now();
  let revisions = 0;
  let findings = 0;
  let replies = 0;
  let mails = 0;
  try {
    for (let i = 0; i < count; i++) {
      now = start + Math.floor((i / count) * span);
      const sub = pick(SUBSYSTEMS);
      const sc = pick(SYSCALLS);
      const author = `${pick(FIRST)} ${pick(LAST)} <${i % 500}.dev@example.org>`;
      const list = pick(LISTS);
      const series = store.series.upsert({
        lineage: `change-id:2025${String(i).padStart(6, '0')}-${sub}-${sc}`,
        title: `${sub}: ${pick(VERBS)} ${sc}${random() < 0.1 ? ` (take ${1 + Math.floor(random() * 3)})` : ''}`,
        author,
        listId: list,
      });
      const nrev = 1 + Math.floor(random() ** 2 * 4);
      const patches = 1 + Math.floor(random() * 6);
      // the series' open problems: some are fixed at each new revision, a few appear
      let open = Array.from({ length: Math.floor(random() * 5) }, (_, k) => k);
      let next = open.length;
      for (let v = 1; v <= nrev; v++) {
        now += Math.floor(random() * 5 * 86_400_000);
        const roll = random();
        const state: RevisionState =
          v === nrev && roll < 0.05 ? 'incomplete' : v === nrev && roll < 0.06 ? 'corrupted' : 'complete';
        const ids = Array.from({ length: patches }, (_, p) => `${i}.v${v}.${p + 1}@example.org`);
        const rev = store.series.addRevision(series.id, {
          revision: v,
          coverMessageId: patches > 1 ? `${i}.v${v}.0@example.org` : null,
          patchMessageIds: ids,
          state,
          stateDetail:
            state === 'incomplete'
              ? `missing 1/${patches}`
              : state === 'corrupted'
                ? 'patch 1 has a truncated diff'
                : null,
          baseCommit: null,
          changeId: null,
        });
        revisions++;
        mails += keepRevisionMails(store, mailRandom, {
          i,
          v,
          cover: patches > 1 ? `${i}.v${v}.0@example.org` : null,
          patches: ids,
          author,
          list,
          title: series.title,
          path: `${sub}/${sc}.c`,
          syscall: sc,
          at: now - 3_600_000,
        });
        if (state === 'corrupted') continue;
        const fs: Finding[] = open.map((k) => {
          const check = checks[(k * 7 + i) % checks.length] as (typeof checks)[number];
          const errno = ERRNOS[(k + i) % ERRNOS.length] as string;
          const severity: Severity = k % 5 === 0 ? 'error' : k % 5 === 4 ? 'info' : 'warning';
          const messageId = ids[k % ids.length] as string;
          return {
            check: check.id,
            severity,
            message: `sys_${sc} ${check.description.toLowerCase()} (${errno})`,
            at: { path: `${sub}/${sc}.c`, line: 100 + k * 13, messageId },
            spec: `sys_${sc}`,
            subject: errno,
            evidence: [
              {
                path: `${sub}/${sc}.c`,
                line: 40 + k,
                text: `KAPI_ERROR(${k}, -${errno}, "${errno}", "…")`,
                kind: 'spec',
              },
              { path: `${sub}/${sc}.c`, line: 100 + k * 13, text: `return -${errno};`, kind: 'code' },
            ],
            fingerprint: `${i}:${k}`,
          };
        });
        store.findings.record(rev.id, fs);
        findings += fs.length;
        // one reply per patch with findings: sent, written as dry-run, pending or failed
        for (const messageId of new Set(fs.map((f) => f.at.messageId as string))) {
          const key = `r:${messageId}`;
          store.outbox.enqueue({
            key,
            from: 'kapi-review <bot@example.net>',
            to: [author],
            cc: [list],
            subject: `Re: ${series.title}`,
            messageId: `${key}@example.net`,
            inReplyTo: messageId,
            references: [messageId],
            headers: {},
            text: 'review',
            about: { messageId, fingerprints: [] },
          });
          replies++;
        }
        const r = random();
        for (const e of store.outbox.claim(100)) {
          if (r < 0.55) store.outbox.markSent(e.id, '250 2.0.0 queued');
          else if (r < 0.9) store.outbox.markSent(e.id, `dry-run: /var/lib/kapi-review/dry-run/${e.id}.eml`);
          else if (r < 0.97) store.outbox.requeue(e.id);
          else store.outbox.markFailed(e.id, '550 rejected', false);
        }
        open = open.filter(() => random() < 0.5);
        if (random() < 0.3) open.push(next++);
      }
      if (random() < 0.02) store.policy.mute({ kind: 'series', seriesId: series.id }, author);
      if (random() < 0.01)
        store.policy.addIgnore({
          scope: { kind: 'series', seriesId: series.id },
          check: pick(checks).id,
          subject: null,
          by: author,
        });
    }
  } finally {
    store.close();
  }
  return { series: count, revisions, findings, replies, mails, ms: performance.now() - t0 };
}

/** The baseline: one SQL statement for the same page and the count, on its own connection. */
function rawQuery(db: Database.Database, per: number, offset: number): number {
  const total = db.prepare('SELECT count(*) FROM series').pluck().get() as number;
  const rows = db
    .prepare(
      `SELECT s.*, l.id AS latest_id, l.revision, l.state, l.state_detail, l.received_at, l.reviewed_at,
         (SELECT count(*) FROM revisions r WHERE r.series_id = s.id) AS revisions,
         (SELECT count(*) FROM findings f WHERE f.revision_id = l.id AND f.severity = 'error') AS errors,
         (SELECT count(*) FROM findings f WHERE f.revision_id = l.id AND f.severity = 'warning') AS warnings,
         (SELECT count(*) FROM findings f WHERE f.revision_id = l.id AND f.severity = 'info') AS infos,
         (SELECT group_concat(state) FROM outbox o WHERE o.revision_id = l.id) AS replies
       FROM series s LEFT JOIN revisions l
         ON l.id = (SELECT r.id FROM revisions r WHERE r.series_id = s.id ORDER BY r.revision DESC LIMIT 1)
       ORDER BY s.updated_at DESC, s.id DESC LIMIT ? OFFSET ?`,
    )
    .all(per, offset);
  return total + rows.length;
}

interface Cold {
  mails: number;
  megabytes: number;
  seriesMs: number;
  indexHeapMb: number;
  searchMs: number;
  searchHits: number;
  checksMs: number;
}

/** The first use of the kept mail on this connection: each read model's one-time cost. */
function coldStart(
  store: Store,
  seriesId: number,
  q: (extra: Partial<ListQuery>) => ListQuery,
  opts: PageOptions,
): Cold {
  const links = serverLinks('');
  const kept = store.db
    .prepare('SELECT count(*) AS n, sum(length(raw)) AS bytes FROM raw_messages')
    .get() as {
    n: number;
    bytes: number | null;
  };
  // the reply index is a typed array: outside the JS heap, counted in arrayBuffers
  const used = () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const heap0 = used();
  let t = performance.now();
  seriesPage(store, seriesId, links, opts);
  const seriesMs = performance.now() - t;
  const indexHeapMb = (used() - heap0) / 1048576;
  t = performance.now();
  listPage(store, q({ q: 'mm/mlock.c' }), links, opts);
  const searchMs = performance.now() - t;
  t = performance.now();
  checksPage(store, links, opts);
  const checksMs = performance.now() - t;
  return {
    mails: kept.n,
    megabytes: (kept.bytes ?? 0) / 1048576,
    seriesMs,
    indexHeapMb,
    searchMs,
    searchHits: new DashboardQueries(store).listSeries({ search: 'mm/mlock.c', limit: 1 }).total,
    checksMs,
  };
}

async function measure(runs: number, fn: () => unknown): Promise<number> {
  await fn(); // warm-up: statement cache, V8
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await time(fn)).ms);
  return median(ms);
}

async function main(): Promise<void> {
  const count = Number(arg('series', '10000'));
  const runs = Number(arg('runs', '7'));
  const per = Number(arg('per', '100'));
  const given = arg('db', '');
  // tmpfs when there is one: the fill commits about 100,000 transactions, each synced to disk
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = given ? null : mkdtempSync(join(base, 'kapi-bench-dashboard-'));
  const path = given || join(dir as string, 'state.db');
  try {
    let fill: Fill | null = null;
    if (!given || !existsSync(path)) {
      fill = fillStore(path, count);
      console.log(
        `filled ${path}: ${fill.series.toLocaleString('en-US')} series, ${fill.revisions.toLocaleString('en-US')} revisions, ` +
          `${fill.findings.toLocaleString('en-US')} findings, ${fill.replies.toLocaleString('en-US')} replies, ${fill.mails.toLocaleString('en-US')} mails kept in ${(fill.ms / 1000).toFixed(1)} s`,
      );
    }
    const store = Store.open({ path, now: () => new Date() });
    const raw = new Database(path, { readonly: true });
    const links = serverLinks('');
    const opts: PageOptions = { metaCsp: false, now: null };
    const queries = new DashboardQueries(store);
    const total = queries.listSeries({ limit: 1 }).total;
    const pages = Math.ceil(total / per);
    const q = (extra: Partial<ListQuery>): ListQuery => ({ ...defaultListQuery(), per, ...extra });
    const someId = queries.listSeries({ limit: 1, offset: Math.floor(total / 2) }).items[0]?.series.id ?? 1;
    const cold = coldStart(store, someId, q, opts);
    const searchHits = queries.listSeries({ search: 'mlockall', limit: 1 }).total;
    const baseline = await measure(runs, () => rawQuery(raw, per, 0));
    const first = await measure(runs, () => listPage(store, q({}), links, opts));
    const search = await measure(runs, () => listPage(store, q({ q: 'mlockall' }), links, opts));
    const last = await measure(runs, () => listPage(store, q({ page: pages }), links, opts));
    const filtered = await measure(runs, () => listPage(store, q({ state: 'incomplete' }), links, opts));
    const bytes = Buffer.byteLength(listPage(store, q({}), links, opts));
    const every = await measure(Math.min(runs, 3), () => {
      for (let p = 1; p <= pages; p++) listPage(store, q({ page: p }), links, opts);
    });
    const series = await measure(runs, () => seriesPage(store, someId, links, opts));
    const checks = await measure(Math.min(runs, 3), () => checksPage(store, links, opts));
    const coverage = await measure(Math.min(runs, 3), () => coveragePage(store, null, links, opts));
    const server = await serveDashboard({ store, port: 0 });
    let http: number;
    try {
      http = await measure(runs, async () => {
        const res = await fetch(`${server.url}?per=${per}`);
        await res.text();
      });
    } finally {
      await server.close();
    }
    raw.close();
    store.close();
    const m = machine();
    const f = (ms: number) => `${ms.toFixed(1).padStart(8)} ms`;
    console.log(
      `${total.toLocaleString('en-US')} series, ${per} per page (${pages} pages); median of ${runs} runs; ${m.cpus} x ${m.cpu}, node ${m.node}`,
    );
    console.log(`raw SQL, first page + count   ${f(baseline)}   (baseline)`);
    console.log(
      `list page, first              ${f(first)}   ${(first / baseline).toFixed(1)}x the raw SQL, ${(bytes / 1024).toFixed(0)} KB`,
    );
    console.log(`list page, search (${searchHits} hits)   ${f(search)}`);
    console.log(`list page, last (${pages})         ${f(last)}`);
    console.log(`list page, state=incomplete   ${f(filtered)}`);
    console.log(`list page over HTTP           ${f(http)}`);
    console.log(
      `every list page (${pages} pages)  ${f(every)}   all ${total.toLocaleString('en-US')} series rendered`,
    );
    console.log(`series page                   ${f(series)}`);
    console.log(
      `kept mail: ${cold.mails.toLocaleString('en-US')} mails (${cold.megabytes.toFixed(0)} MB); first use on a connection (cold):`,
    );
    console.log(
      `  series page, reply index built ${f(cold.seriesMs)}   +${cold.indexHeapMb.toFixed(1)} MB memory`,
    );
    console.log(
      `  list page, first file search   ${f(cold.searchMs)}   every patch parsed once (${cold.searchHits} hits)`,
    );
    console.log(`  checks page, every revision's Date ${f(cold.checksMs)}`);
    console.log(`checks page (all findings)    ${f(checks)}`);
    console.log(`coverage page (no index)      ${f(coverage)}`);
    const worst = Math.max(first, search, last, filtered, http);
    console.log(
      `goal: the list page under 1 s: ${worst < 1000 ? 'met' : 'NOT met'} (slowest ${worst.toFixed(1)} ms)`,
    );
    recordResults('dashboard', {
      series: total,
      perPage: per,
      runs,
      ...(fill
        ? {
            fill: {
              revisions: fill.revisions,
              findings: fill.findings,
              replies: fill.replies,
              seconds: +(fill.ms / 1000).toFixed(1),
            },
          }
        : {}),
      rawSqlMs: +baseline.toFixed(2),
      listFirstMs: +first.toFixed(2),
      ratioToRawSql: +(first / baseline).toFixed(1),
      listSearchMs: +search.toFixed(2),
      listLastMs: +last.toFixed(2),
      listFilteredMs: +filtered.toFixed(2),
      listHttpMs: +http.toFixed(2),
      everyListPageMs: +every.toFixed(1),
      seriesPageMs: +series.toFixed(2),
      keptMails: cold.mails,
      keptMegabytes: +cold.megabytes.toFixed(1),
      coldSeriesPageMs: +cold.seriesMs.toFixed(1),
      replyIndexHeapMb: +cold.indexHeapMb.toFixed(1),
      coldFileSearchMs: +cold.searchMs.toFixed(1),
      coldChecksPageMs: +cold.checksMs.toFixed(1),
      checksPageMs: +checks.toFixed(2),
      coveragePageMs: +coverage.toFixed(2),
      pageKB: Math.round(bytes / 1024),
      goalMet: worst < 1000,
    });
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
