/**
 * Bounded reviews (app/review/limits.ts) and the worker pool they run in (app/review/pool.ts): the
 * limits counted before the checks, a review over one reported as too large to review (the bot
 * records it for the operator and mails nothing, `kapi-review check` notes it), the time budget,
 * and workers that overrun it or die being replaced. The workers are the real ones (the build's
 * app/review/worker.js) except where a test needs a worker that dies on purpose.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createBot } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { main } from '../../app/cli/main.js';
import { defaultConfig, type ReviewConfig } from '../../app/config/index.js';
import { DashboardQueries } from '../../app/dashboard/queries.js';
import { checkIds, type ReviewJob } from '../../app/review/job.js';
import {
  countSpecEntries,
  DEFAULT_LIMITS,
  measureReview,
  type ReviewLimits,
  utf8Length,
} from '../../app/review/limits.js';
import { createReviewPool, defaultPoolSize, ReviewFailed, type ReviewPool } from '../../app/review/pool.js';
import { reviewOneSeries, seriesInput } from '../../app/review/run.js';
import { Store } from '../../app/store/store.js';
import { CHECKS } from '../../checks/index.js';
import type { ReviewFile, ReviewPatch } from '../../checks/review.js';
import { parseMailSync } from '../../parsers/mail.js';
import { buildSeries } from '../../parsers/series.js';
import { botDeps, dryRunPolicy, memoryLog } from '../helpers/bot.js';
import { addFilesMail, manyErrorsFile, slowCFile, until } from '../helpers/hostile.js';

const dirs: string[] = [];
const pools: ReviewPool[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'kapi-limits-'));
  dirs.push(d);
  return d;
};
const pool = (size: number, extra: Parameters<typeof createReviewPool>[0] = {}): ReviewPool => {
  const p = createReviewPool({ size, ...extra });
  pools.push(p);
  return p;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

const limits = (own: Partial<ReviewLimits>): ReviewLimits => ({ ...DEFAULT_LIMITS, ...own });
const config = (own: Partial<ReviewLimits>): ReviewConfig => ({ ...defaultConfig(), limits: limits(own) });

/** One patch adding `post` as kernel/x.c, whole. */
function added(post: string, path = 'kernel/x.c'): ReviewPatch {
  const file: ReviewFile = {
    path,
    mode: 'full',
    pre: null,
    post,
    fragments: [],
    diff: {
      oldPath: null,
      newPath: path,
      path,
      status: 'added',
      binary: false,
      headerLine: 1,
      hunks: [
        {
          oldStart: 0,
          oldLines: 0,
          newStart: 1,
          newLines: 1,
          section: '',
          headerLine: 2,
          lines: [],
          truncated: false,
        },
      ],
    },
  };
  return { messageId: 'x@example.org', label: 'x', files: [file] };
}

describe('the limits, counted before the checks', () => {
  it('counts spec entries: the spec, its contexts, params, errors, ...', () => {
    expect(countSpecEntries(manyErrorsFile(10), 'kernel/x.c')).toBe(13);
    expect(countSpecEntries('int main(void) { return 0; }\n', 'x.c')).toBe(0);
  });

  it('a file over the entry limit is too large, and says which file, how many and which limit', () => {
    const big = manyErrorsFile(DEFAULT_LIMITS.specEntries);
    expect(measureReview([added(big)], DEFAULT_LIMITS)).toEqual({
      limit: 'spec-entries',
      reason:
        'kernel/x.c has 5,003 spec entries (specs, params, errors, locks, signals, ...), over the limit of 5,000 (limits.spec-entries)',
    });
    expect(measureReview([added(manyErrorsFile(DEFAULT_LIMITS.specEntries - 3))], DEFAULT_LIMITS)).toBeNull();
  });

  it('limits the size of files with a spec or a syscall only, and the hunks of C files', () => {
    const kapi = `${manyErrorsFile(1)}\n${'/* padding */\n'.repeat(80_000)}`;
    const plain = `${'#define REG_X 0x1\n'.repeat(80_000)}`;
    const small = limits({ fileBytes: 1024 * 1024 });
    expect(measureReview([added(kapi)], small)?.reason).toBe(
      'kernel/x.c is 1.1 MB with a spec or a syscall in it, over the limit of 1 MB (limits.file-mb)',
    );
    // a large header without KAPI (like the 24 MB amdgpu register headers) is cheap: no limit
    expect(measureReview([added(plain, 'include/x.h')], small)).toBeNull();
    expect(measureReview([added(plain, 'include/x.h')], limits({ hunks: 0 }))?.reason).toBe(
      '1 hunks in C files, over the limit of 0 (limits.hunks)',
    );
    expect(measureReview([added(plain, 'Documentation/x.rst')], limits({ hunks: 0 }))).toBeNull();
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
  });

  it('the time budget stops a review between files and reports it, with nothing half done', async () => {
    const mail = addFilesMail({
      messageId: 'slow-1@example.org',
      subject: '[PATCH] slow: two files',
      files: { 'kernel/a.c': slowCFile(200_000, 'a'), 'kernel/b.c': slowCFile(200_000, 'b') },
    });
    const [series] = buildSeries([parseMailSync(Buffer.from(mail)).value]).value.series;
    if (!series) throw new Error('no series');
    const r = await reviewOneSeries(series, {
      checks: CHECKS,
      config: config({ timeMs: 1 }),
      parser: await loadCParser(),
      tree: null,
      startedAt: Date.now() - 10,
    });
    expect(r.tooLarge).toEqual({
      limit: 'time',
      reason: 'the review took longer than its time budget of 0.001 s (limits.seconds)',
    });
    expect(r.review.findings).toEqual([]);
    expect(r.notes[0]).toBe(
      'too large to review: the review took longer than its time budget of 0.001 s (limits.seconds)',
    );
  });
});

/** A one-patch series adding a spec of `errors` errors (over the default entry limit at 5,000). */
function manyErrorsMail(errors: number): string {
  return addFilesMail({
    messageId: 'many-errors-1@example.org',
    subject: '[PATCH] frob: document every error there is',
    files: { 'kernel/many.c': manyErrorsFile(errors) },
  });
}

describe('a series over the entry limit', () => {
  it('the bot records it as too large with the reason, logs it for the operator, and mails nothing', async () => {
    const dir = tmp();
    const now = () => new Date('2026-03-02T12:00:00Z');
    const store = Store.open({ path: join(dir, 'state.db'), now });
    const log = memoryLog();
    const bot = createBot(
      botDeps({
        store,
        parser: await loadCParser(),
        tree: 'fixtures/tree-frob',
        policy: dryRunPolicy(),
        now,
        log,
        dryRunDir: join(dir, 'eml'),
        pool: pool(1),
      }),
    );
    await bot.ingest(Buffer.from(manyErrorsMail(DEFAULT_LIMITS.specEntries)), 'test');
    const first = await bot.tick();
    expect(first.decisions.map((d) => d.kind)).toEqual(['review']);
    expect(first.queued).toBe(0);
    const reason =
      'kernel/many.c has 5,003 spec entries (specs, params, errors, locks, signals, ...), over the limit of 5,000 (limits.spec-entries)';
    const rev = new DashboardQueries(store).listSeries({ limit: 10 }).items[0]?.latest;
    expect(rev?.reviewedAt).not.toBeNull();
    expect(rev?.stateDetail).toBe(`too large to review: ${reason}`);
    expect(store.findings.ofRevision(rev?.id ?? 0)).toEqual([]);
    expect(log.text('warn')).toContain(`not reviewed, too large to review: ${reason}; no mail sent`);
    expect(log.text('error')).toBe('');
    // no mail, not even a "no findings" summary, and the mail is settled: never reviewed again
    expect(store.outbox.list()).toEqual([]);
    expect(readdirSync(dir)).not.toContain('eml');
    expect(store.messages.unprocessed()).toEqual([]);
    const second = await bot.tick();
    expect(second).toMatchObject({ decisions: [], queued: 0 });
    store.close();
  });

  it('`kapi-review check` notes it, with the reason, and finds nothing (exit code 0)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'many.mbox'), manyErrorsMail(DEFAULT_LIMITS.specEntries));
    let out = '';
    const code = await main(['node', 'kapi-review', 'check', join(dir, 'many.mbox')], {
      out: (s) => {
        out += s;
      },
      err: () => {},
    });
    expect(code).toBe(0);
    expect(out).toContain(
      'note: too large to review: kernel/many.c has 5,003 spec entries (specs, params, errors, locks, signals, ...), over the limit of 5,000 (limits.spec-entries)',
    );
    expect(out).toContain('total: 0 errors, 0 warnings, 0 checks');
    // as a b4 check it warns: nothing was checked
    out = '';
    expect(
      await main(['node', 'kapi-review', 'check', '--format', 'b4', join(dir, 'many.mbox')], {
        out: (s) => {
          out += s;
        },
        err: () => {},
      }),
    ).toBe(0);
    expect(JSON.parse(out)[0]).toMatchObject({ status: 'warn', summary: 'too large to review' });
  });
});

describe('the review pool', () => {
  const job = (own: Partial<ReviewLimits>, mail: string): ReviewJob => {
    const [series] = buildSeries([parseMailSync(Buffer.from(mail)).value]).value.series;
    if (!series) throw new Error('no series');
    return {
      kind: 'series',
      series: seriesInput(series, { asText: true }),
      tree: 'fixtures/tree-frob',
      config: config(own),
      checks: checkIds(CHECKS),
      parser: true,
    };
  };
  const frob = (): string =>
    addFilesMail({
      messageId: 'frob-new@example.org',
      subject: '[PATCH] frob: a small new syscall',
      files: { 'kernel/small.c': manyErrorsFile(2, 'small') },
    });

  it('answers before its cache entries are all written, and a later job reads them back', async () => {
    const p = pool(1);
    const dir = tmp();
    const cached = (): ReviewJob => ({ ...job({}, frob()), cache: { dir } });
    const first = await p.run(cached());
    expect(first.review.findings.length).toBeGreaterThan(0);
    // the worker's writer puts the entries on disk after the answer: the parsed files, and the
    // stored review (under v1/o...)
    const files = (): string[] =>
      existsSync(join(dir, 'v1')) ? (readdirSync(join(dir, 'v1'), { recursive: true }) as string[]) : [];
    await until(() => files().some((f) => /^o.*\/./.test(f)) && files().length > 3, 10_000, 'entries');
    // a fresh pool (an empty thread) gives the same review from them
    const again = await pool(1).run(cached());
    expect(again.review).toEqual(first.review);
  });

  it('is sized to the cores, at least one worker', () => {
    expect(defaultPoolSize()).toBeGreaterThanOrEqual(1);
    expect(createReviewPool().size).toBe(defaultPoolSize());
    expect(createReviewPool({ size: 0 }).size).toBe(1);
  });

  it('ends a worker that overruns its budget inside one file, replaces it, and reviews on', async () => {
    const p = pool(1);
    // one 2.5 MB file: seconds of tree-sitter and errno analysis in one go, no file boundary to stop at
    const slow = addFilesMail({
      messageId: 'huge-1@example.org',
      subject: '[PATCH] huge: one very large file',
      files: { 'kernel/huge.c': slowCFile(2.5 * 1024 * 1024) },
    });
    const started = Date.now();
    const over = await p.run(job({ timeMs: 500 }, slow));
    const took = Date.now() - started;
    expect(over.tooLarge?.limit).toBe('time');
    expect(over.review.findings).toEqual([]);
    // answered at the budget, not when the file would have been done
    expect(took).toBeLessThan(3_000);
    expect(p.stats()).toMatchObject({ workers: 0, busy: 0, replaced: 1 });
    const ok = await p.run(job({}, frob()));
    expect(ok.tooLarge).toBeUndefined();
    expect(ok.notes.join('\n')).toContain('judged by the KAPI framework');
    expect(p.stats()).toMatchObject({ workers: 1, busy: 0, replaced: 1 });
  });

  it('reports a worker that dies as failed (not retried) and one out of memory as too large', async () => {
    const dir = tmp();
    const script = join(dir, 'worker.mjs');
    writeFileSync(
      script,
      [
        "import { parentPort } from 'node:worker_threads';",
        "parentPort.on('message', ({ job }) => {",
        "  if (job.label === 'die') process.exit(3);",
        "  if (job.label === 'oom') { const keep = []; for (;;) keep.push(new Array(1e5).fill(keep.length)); }",
        "  parentPort.postMessage({ type: 'done', outcome: { review: null, ignored: [], notes: [job.label] } });",
        '});',
        "parentPort.postMessage({ type: 'ready' });",
      ].join('\n'),
    );
    const p = pool(1, { workerUrl: pathToFileURL(script), maxHeapMb: 16 });
    const fake = (label: string): ReviewJob =>
      ({ kind: 'pull-request', label, config: defaultConfig() }) as unknown as ReviewJob;
    await expect(p.run(fake('die'))).rejects.toThrow(ReviewFailed);
    await expect(p.run(fake('die'))).rejects.toThrow(/the review worker died: exit code 3/);
    expect((await p.run(fake('fine'))).notes).toEqual(['fine']);
    const oom = await p.run(fake('oom'));
    expect(oom.tooLarge).toEqual({ limit: 'memory', reason: 'the review ran out of memory' });
    expect((await p.run(fake('after'))).notes).toEqual(['after']);
    expect(p.stats().replaced).toBe(3);

    // a worker that cannot even start fails the job waiting for it, once, and does not spin
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, "throw new Error('no grammar here');\n");
    const q = pool(2, { workerUrl: pathToFileURL(broken) });
    await expect(q.run(fake('x'))).rejects.toThrow(/the review worker did not start: no grammar here/);
    expect(q.stats()).toMatchObject({ workers: 0, queued: 0 });
  });
});

describe('the bot under a hostile series', () => {
  it('answers the next series while the hostile one runs, then records that one as too large', async () => {
    const dir = tmp();
    const now = () => new Date('2026-03-02T12:00:00Z');
    const store = Store.open({ path: join(dir, 'state.db'), now });
    const log = memoryLog();
    const budgetMs = 6_000;
    const bot = createBot(
      botDeps({
        store,
        parser: await loadCParser(),
        tree: 'fixtures/tree-frob',
        policy: dryRunPolicy(),
        config: config({ timeMs: budgetMs }),
        now,
        log,
        dryRunDir: join(dir, 'eml'),
        pool: pool(2),
      }),
    );
    // the hostile series: three files of 3.5 MB, each seconds of real analysis; it comes first
    const hostile = addFilesMail({
      messageId: 'hostile-1@example.org',
      subject: '[PATCH] huge: three very large files',
      files: Object.fromEntries(
        [1, 2, 3].map((i) => [`kernel/huge${i}.c`, slowCFile(3.5 * 1024 * 1024, `huge${i}`)]),
      ),
    });
    await bot.ingest(Buffer.from(hostile), 'test');
    const frob = (await import('node:fs')).readFileSync('fixtures/mail/base-frob-v1.mbox');
    const { splitMboxBuffer } = await import('../../parsers/mbox.js');
    for (const m of splitMboxBuffer(frob)) await bot.ingest(m.raw, 'test');

    const started = Date.now();
    let settled = false;
    const ticking = bot.tick().finally(() => {
      settled = true;
    });
    // the frob series is answered (its three replies written) while the hostile review still runs
    const answered = () =>
      store.outbox.list().length === 3 && store.outbox.list().every((e) => e.state === 'sent');
    await until(() => answered() || settled, 60_000, 'the frob series answered');
    const answeredAfter = Date.now() - started;
    expect(settled).toBe(false);
    expect(answered()).toBe(true);
    expect(answeredAfter).toBeLessThan(budgetMs);

    const report = await ticking;
    expect(report.decisions.map((d) => d.kind)).toEqual(['review', 'review']);
    expect(report.queued).toBe(3);
    const items = new DashboardQueries(store).listSeries({ limit: 10 }).items;
    const hostileRev = items.find((i) => i.series.title === 'huge: three very large files')?.latest;
    expect(hostileRev?.stateDetail).toBe(
      'too large to review: the review took longer than its time budget of 6 s (limits.seconds)',
    );
    expect(log.text('warn')).toMatch(/"huge: three very large files" not reviewed, too large to review/);
    // every reply is about the frob series: the hostile one gets no mail
    expect(store.outbox.list().map((e) => e.mail.about.messageId)).not.toContain('hostile-1@example.org');
    expect(readdirSync(join(dir, 'eml')).filter((f) => f.endsWith('.eml'))).toHaveLength(3);
    // settled, not retried
    const again = await bot.tick();
    expect(again).toMatchObject({ decisions: [], queued: 0 });
    store.close();
  }, 120_000);
});
