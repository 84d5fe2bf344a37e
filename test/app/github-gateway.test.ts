/**
 * The App's GitHub gateway (app/github/gateway.ts) alone, against the GitHub API stand-in on
 * loopback, and the review's plan (pull-review.ts planReview) as a function of what earlier
 * reviews said. The end-to-end behaviour through Probot is github-app.test.ts's.
 */
import { createHash } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appLogin, GitHubGateway, httpStatus, type Octokit } from '../../app/github/gateway.js';
import { createOctokit } from '../../app/github/octokit.js';
import type { PastState, PrFile, PrImage } from '../../app/github/pr.js';
import { failedRun, planReview } from '../../app/github/pull-review.js';
import { type Annotation, marker, type ReviewPayload } from '../../reporters/github.js';
import type { ReportFinding } from '../../reporters/report.js';
import { BOT_LOGIN, GitHubApi } from '../helpers/github-api.js';

const api = new GitHubApi();
const sha = (name: string): string => createHash('sha1').update(name).digest('hex');
const REPO = { owner: 'kmirror', repo: 'linux' };
let octokit: Octokit;
let logins = 0;
const login = async (): Promise<string> => {
  logins++;
  return BOT_LOGIN;
};
const gateway = () => new GitHubGateway(octokit, REPO, login);

beforeAll(async () => {
  await api.start();
  const fast = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });
  const Octokit = createOctokit({ write: fast(), notifications: fast() });
  octokit = new Octokit({
    auth: { token: 'ghs_test' },
    baseUrl: `http://${api.host}/api/v3`,
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  }) as Octokit;
  api.commit(sha('base'), { 'kernel/frob.c': 'int frob;\n', 'kernel/gone.c': 'x\n' });
  api.commit(sha('head'), { 'kernel/frob.c': 'int frob;\nint more;\n', 'kernel/new.c': 'new\n' });
  api.pull(1, 'frob: more', sha('base'), sha('head'));
});

beforeEach(() => {
  api.reset();
  api.reviews.length = 0;
  api.checkRuns.length = 0;
  logins = 0;
});

afterAll(async () => {
  await api.stop();
});

function review(commit: string): ReviewPayload {
  return { commit_id: commit, event: 'COMMENT', body: '<!-- kapi-review:review -->\nhello', comments: [] };
}

describe('GitHubGateway: reading', () => {
  it("reads a file's text at a commit, and null where it does not exist", async () => {
    const gw = gateway();
    expect(await gw.fileAt('kernel/frob.c', sha('head'))).toBe('int frob;\nint more;\n');
    expect(await gw.fileAt('kernel/gone.c', sha('head'))).toBeNull();
    expect(api.trace()).toEqual([
      'GET /repos/kmirror/linux/contents/kernel/frob.c 200',
      'GET /repos/kmirror/linux/contents/kernel/gone.c 404',
    ]);
  });

  it('reads the pull request, its merge base and its files', async () => {
    const gw = gateway();
    expect(await gw.pull(1)).toEqual({
      state: 'open',
      title: 'frob: more',
      headSha: sha('head'),
      baseSha: sha('base'),
    });
    api.mergeBases.set(`${sha('base')}...${sha('head')}`, sha('mb'));
    expect(await gw.mergeBase(sha('base'), sha('head'))).toBe(sha('mb'));
    api.mergeBases.clear();
    const files = await gw.pullFiles(1);
    expect(files.map((f) => [f.filename, f.status])).toEqual([
      ['kernel/frob.c', 'modified'],
      ['kernel/gone.c', 'removed'],
      ['kernel/new.c', 'added'],
    ]);
    expect(files[0]?.patch).toMatch(/^@@ -1,1 \+1,2 @@/);
  });

  it('lets users with write access or more command, nobody else', async () => {
    api.permissions.set('wendy', 'write');
    api.permissions.set('adam', 'admin');
    api.permissions.set('mia', 'maintain');
    api.permissions.set('tom', 'triage');
    const gw = gateway();
    const may = await Promise.all(['wendy', 'adam', 'mia', 'tom', 'rita'].map((u) => gw.mayCommand(u)));
    expect(may).toEqual([true, true, true, false, false]);
  });

  it("reads a pull request's first commits, and each commit's files across GitHub's pages", async () => {
    const many = Object.fromEntries(
      Array.from({ length: 150 }, (_, i) => [`drivers/f${i}.c`, `int f${i};\n`]),
    );
    api.history(2, 'frob: two steps', { sha: sha('c-base'), files: { 'kernel/frob.c': 'int frob;\n' } }, [
      { sha: sha('c1'), message: 'frob: one\n\nWhy.', files: { 'kernel/frob.c': 'int frob;\n', ...many } },
      { sha: sha('c2'), message: 'frob: two', files: { 'kernel/frob.c': 'int frob2;\n', ...many } },
    ]);
    const gw = gateway();
    expect(await gw.pullCommits(2, 5)).toEqual({
      commits: [
        { sha: sha('c1'), message: 'frob: one\n\nWhy.', parents: [sha('c-base')] },
        { sha: sha('c2'), message: 'frob: two', parents: [sha('c1')] },
      ],
      more: false,
    });
    expect((await gw.pullCommits(2, 1)).more).toBe(true);
    const first = await gw.commitFiles(sha('c1'));
    expect(first.length).toBe(150);
    expect(first.every((f) => f.status === 'added')).toBe(true);
    expect((await gw.commitFiles(sha('c2'))).map((f) => [f.filename, f.status, f.patch])).toEqual([
      ['kernel/frob.c', 'modified', '@@ -1,1 +1,1 @@\n-int frob;\n+int frob2;'],
    ]);
    // 150 files are two pages of 100
    expect(api.trace().filter((t) => t.includes(`/commits/${sha('c1')}`))).toEqual([
      `GET /repos/kmirror/linux/commits/${sha('c1')} 200`,
      `GET /repos/kmirror/linux/commits/${sha('c1')} 200`,
    ]);
  });

  it("names the App's login from GET /app", async () => {
    expect(await appLogin(octokit)).toBe('kapi-review[bot]');
  });
});

describe('GitHubGateway: writing', () => {
  it('creates a check run with the PR number as external_id, and adds annotations past 50 in updates', async () => {
    const annotations: Annotation[] = Array.from({ length: 120 }, (_, i) => ({
      path: 'kernel/frob.c',
      start_line: i + 1,
      end_line: i + 1,
      annotation_level: 'warning',
      message: `finding ${i}`,
      title: 'kapi-x',
    }));
    const run = failedRun(sha('head'), 'title', 'summary');
    await gateway().postCheckRun(1, { ...run, output: { ...run.output, annotations } });
    expect(api.checkRuns).toHaveLength(1);
    const [stored] = api.checkRuns;
    expect(stored?.create).toMatchObject({ name: 'kapi-review', head_sha: sha('head'), external_id: '1' });
    const counts = [stored?.create, ...(stored?.updates ?? [])].map(
      (b) => (b as { output: { annotations: unknown[] } }).output.annotations.length,
    );
    expect(counts).toEqual([50, 50, 20]);
  });

  it('posts a review once when GitHub answers 5xx after storing it, and again when it did not', async () => {
    const gw = gateway();
    api.fail({ method: 'POST', path: /\/pulls\/1\/reviews$/, status: 502, afterDoing: true });
    await gw.postReview(1, review(sha('head')));
    expect(api.reviewsOf(1)).toHaveLength(1);
    expect(api.bodies('POST', /\/pulls\/1\/reviews$/)).toHaveLength(1);

    api.fail({ method: 'POST', path: /\/pulls\/1\/reviews$/, status: 502 });
    await gw.postReview(1, review(sha('other')));
    expect(api.reviewsOf(1).map((r) => r.commit_id)).toEqual([sha('head'), sha('other')]);
    expect(api.bodies('POST', /\/pulls\/1\/reviews$/)).toHaveLength(3);
    expect(logins).toBe(2);
  });

  it('throws a 422 on the review to its caller, unretried', async () => {
    api.fail({ method: 'POST', path: /\/pulls\/1\/reviews$/, status: 422, body: { message: 'line gone' } });
    const e = await gateway()
      .postReview(1, review(sha('head')))
      .catch((x: unknown) => x);
    expect(httpStatus(e)).toBe(422);
    expect(api.reviewsOf(1)).toEqual([]);
    expect(api.bodies('POST', /\/pulls\/1\/reviews$/)).toHaveLength(1);
  });

  it('reads back what its earlier reviews said, by their markers', async () => {
    const gw = gateway();
    const f = { fingerprint: 'fp1', check: 'kapi-x', spec: 'sys_frob' };
    await gw.postReview(1, { ...review(sha('head')), body: `<!-- kapi-review:review -->\n${marker(f)}` });
    const past = await gw.pastReviews(1);
    expect([...past.reviewedShas]).toEqual([sha('head')]);
    expect([...past.open.values()]).toEqual([f]);
  });
});

describe('planReview', () => {
  const finding = (fingerprint: string, check = 'kapi-error-undocumented'): ReportFinding => ({
    check,
    severity: 'warning',
    message: 'm',
    at: { path: 'kernel/frob.c', line: 2 },
    evidence: [],
    fingerprint,
  });
  const file: PrFile = { filename: 'kernel/frob.c', status: 'modified', patch: '@@ -1,1 +1,2 @@\n a\n+b' };
  const images: PrImage[] = [{ file, pre: 'a\n', post: 'a\nb\n' }];
  const past = (open: string[]): PastState => ({
    open: new Map(open.map((fp) => [fp, { fingerprint: fp, check: fp === 'op' ? 'kapi-parse-error' : 'c' }])),
    reviewedShas: new Set(),
  });
  const at = { headSha: sha('head'), images, files: [file], maxInline: 10 };

  it('says only what is new, and what was commented on before and is gone now', () => {
    const { fresh, fixed, input } = planReview(
      past(['kept', 'gone']),
      { findings: [finding('kept'), finding('new')], ignored: new Set() },
      at,
    );
    expect(fresh.map((f) => f.fingerprint)).toEqual(['new']);
    expect(fixed.map((f) => f.fingerprint)).toEqual(['gone']);
    expect([...input.previous]).toEqual(['kept']);
    expect(input.commitId).toBe(sha('head'));
    expect([...input.diffLines('kernel/frob.c')]).toEqual([1, 2]);
    expect(input.lineText?.('kernel/frob.c', 2)).toBe('b');
  });

  it('calls neither an ignored finding nor an operator-only one fixed, and never posts operator-only ones', () => {
    const { fresh, fixed } = planReview(
      past(['ignored', 'op']),
      { findings: [finding('parse', 'kapi-parse-error')], ignored: new Set(['ignored']) },
      at,
    );
    expect(fresh).toEqual([]);
    expect(fixed).toEqual([]);
  });
});
