/**
 * The GitHub App end to end: Probot's own runner and HTTP server (`run` from probot, configured
 * through the environment exactly as `npm start` is), signed webhooks over HTTP, and the app
 * talking to a GitHub API stand-in on loopback (GHE_HOST/GHE_PROTOCOL, /api/v3) that records every
 * call. The throttling plugin's pacing between writes is shortened for the test; its retry logic
 * and Probot's retry plugin are the real ones.
 */

import { spawnSync } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Bottleneck from 'bottleneck';
import { run } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { applyFileDiff } from '../../app/context/postimage.js';
import { createApp } from '../../app/github/app.js';
import { createOctokit } from '../../app/github/octokit.js';
import { SettingsError } from '../../app/github/settings.js';
import { type StartedApp, startApp } from '../../app/github/start.js';
import { createReviewPool } from '../../app/review/pool.js';
import { FRAMEWORK_PATHS, roleOf } from '../../parsers/kapi/framework.js';
import { parseMailSync } from '../../parsers/mail.js';
import { readMarkers } from '../../reporters/github.js';
import { reviewedStore } from '../helpers/dashboard-store.js';
import { appEnv as appEnvFor, GitHubApi, githubPatch } from '../helpers/github-api.js';
import { slowCFile, until } from '../helpers/hostile.js';

const SECRET = 'webhook-secret-for-tests';
const BASE = readFileSync('fixtures/github/frob-base.c', 'utf8');
const EINVAL = readFileSync('fixtures/github/frob-einval.c', 'utf8');
const FIXED = readFileSync('fixtures/github/frob-fixed.c', 'utf8');
const PLAIN = readFileSync('fixtures/github/plain.c', 'utf8');
/** A new syscall whose macro spec has no KAPI_END_SPEC: kapi-parse-error, for operators only. */
const GIZMO = readFileSync('fixtures/github/gizmo-unterminated.c', 'utf8');

const api = new GitHubApi();
/** A commit id: the name's SHA-1, so tests read `sha('h1')` and the API sees 40 hex digits. */
const sha = (name: string): string => createHash('sha1').update(name).digest('hex');
let server: Awaited<ReturnType<typeof run>>;
let webhookUrl = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const REPO = {
  id: 1,
  name: 'linux',
  full_name: 'kmirror/linux',
  owner: { login: 'kmirror', type: 'Organization' },
};

/** Posts `body` as a webhook delivery, signed with `secret`; the status and the answer's text. */
async function post(
  event: string,
  body: string,
  opts: { secret?: string; id?: string; url?: string } = {},
): Promise<{ status: number; text: string }> {
  const signature = `sha256=${createHmac('sha256', opts.secret ?? SECRET)
    .update(body)
    .digest('hex')}`;
  const res = await fetch(opts.url ?? webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': opts.id ?? randomUUID(),
      'x-hub-signature-256': signature,
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

async function deliver(
  event: string,
  payload: Record<string, unknown>,
  secret = SECRET,
  id: string = randomUUID(),
  url: string = webhookUrl,
): Promise<number> {
  const body = JSON.stringify({ ...payload, repository: REPO, installation: { id: 7 } });
  return (await post(event, body, { secret, id, url })).status;
}

function prEvent(action: string, number: number, head: string, base: string): Record<string, unknown> {
  return {
    action,
    number,
    pull_request: {
      number,
      title: `frob change ${number}`,
      state: 'open',
      head: { sha: head },
      base: { sha: base },
    },
    sender: { login: 'dev', type: 'User' },
  };
}

/** The environment `npm start` would read, for an app on `port` talking to the stand-in. */
function appEnv(port: number): Record<string, string> {
  return appEnvFor(api, port, SECRET);
}

/** A user's PR comment: stored at the stand-in, then delivered as issue_comment.created. */
async function command(pull: number, login: string, body: string): Promise<{ id: number; status: number }> {
  const { id } = api.comment(pull, login, body);
  const status = await deliver('issue_comment', {
    action: 'created',
    issue: { number: pull, pull_request: { url: 'x' } },
    comment: { id, body, user: { login, type: 'User' } },
    sender: { login, type: 'User' },
  });
  return { id, status };
}

beforeAll(async () => {
  await api.start();
  const port = await freePort();
  const fast = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });
  server = await run(createApp(), {
    env: appEnv(port),
    Octokit: createOctokit({ write: fast(), notifications: fast() }),
  });
  webhookUrl = `http://127.0.0.1:${port}/api/github/webhooks`;
});

afterAll(async () => {
  await server?.stop();
  await api.stop();
});

/** A file of `n` syscalls, each with a spec listing EPERM; `withEinval` adds an undocumented -EINVAL. */
function manySyscalls(n: number, withEinval: boolean): string {
  const out = ['// SPDX-License-Identifier: GPL-2.0', '#include <linux/syscalls.h>', ''];
  for (let i = 0; i < n; i++)
    out.push(
      '/**',
      ` * sys_frob${i} - Frob number ${i}`,
      ' * @a: The value',
      ' *',
      ' * contexts: process',
      ' *',
      ' * param-count: 1',
      ' *',
      ' * param: a',
      ' *   type: int, input',
      ' *',
      ' * error: EPERM, a is negative',
      ' *   desc: Negative values are refused.',
      ' */',
      `SYSCALL_DEFINE1(frob${i}, int, a)`,
      '{',
      '\tif (a < 0)',
      '\t\treturn -EPERM;',
      ...(withEinval ? [`\tif (a > ${i})`, '\t\treturn -EINVAL;'] : []),
      '\treturn 0;',
      '}',
      '',
    );
  return out.join('\n');
}

const EINVAL_FP = 'e112145f44d2e8e5';
const EINVAL_MARKER = `<!-- kapi-review:fp=${EINVAL_FP} check=kapi-error-undocumented spec=sys_frob subject=EINVAL -->`;
const EINVAL_MESSAGE = 'sys_frob can return -EINVAL here, but its spec does not list EINVAL';
/** The inline comment on the undocumented return in frob-einval.c. */
const EINVAL_COMMENT = {
  path: 'kernel/frob.c',
  line: 42,
  side: 'RIGHT',
  body: [
    EINVAL_MARKER,
    '**Error** `kapi-error-undocumented`: sys\\_frob can return -EINVAL here, but its spec does not list EINVAL',
    '',
    '- spec `kernel/frob.c:10`: `* sys_frob - Frobnicate a range of memory`',
    '- spec `kernel/frob.c:36`: `* error: EPERM, caller lacks CAP_SYS_ADMIN`',
    '- code `kernel/frob.c:42`: `return -EINVAL;`',
    '',
    'Suggested spec line to add after `kernel/frob.c:36`:',
    '',
    '```c',
    ' * error: EINVAL, TODO: condition',
    ' *   desc: TODO: description',
    '```',
  ].join('\n'),
};
const EINVAL_ANNOTATION = {
  path: 'kernel/frob.c',
  start_line: 42,
  end_line: 42,
  annotation_level: 'failure',
  message: EINVAL_MESSAGE,
  title: 'kapi-error-undocumented: sys_frob EINVAL',
  raw_details: [
    'spec: kernel/frob.c:10: * sys_frob - Frobnicate a range of memory',
    'spec: kernel/frob.c:36: * error: EPERM, caller lacks CAP_SYS_ADMIN',
    'code: kernel/frob.c:42: return -EINVAL;',
  ].join('\n'),
};
const EINVAL_SUMMARY_LINE =
  '- **Error** `kapi-error-undocumented` `kernel/frob.c:42`: sys\\_frob can return -EINVAL here, but its spec does not list EINVAL';

/** The check run's words for gizmo-unterminated.c: the spec named, the parser's message not. */
const GIZMO_UNREAD = [
  '### Specs not read in full',
  '',
  'kapi-review could not read 1 spec in full, so its checks of it may be incomplete:',
  '',
  '- `sys_gizmo` at `kernel/gizmo.c:10`',
];
/** What the parser's complaint about gizmo-unterminated.c would leave in anything posted. */
const GIZMO_LEAKS = ['kapi-parse-error', 'KAPI_END_SPEC', 'kapi-macro-unterminated', 'SYSCALL_DEFINE1'];

/** Every body the app sent to GitHub since the last reset (reviews, check runs and their updates). */
function sentBodies(): string {
  return JSON.stringify(api.calls.filter((c) => c.method !== 'GET').map((c) => c.body));
}

function failingRun(head: string, pull: number, notes: string[] = []): Record<string, unknown> {
  return {
    external_id: String(pull),
    name: 'kapi-review',
    head_sha: head,
    status: 'completed',
    conclusion: 'failure',
    output: {
      title: '1 error',
      summary: [
        '**1 error**',
        '',
        EINVAL_SUMMARY_LINE,
        ...(notes.length > 0 ? ['', '### Notes', '', ...notes] : []),
      ].join('\n'),
      annotations: [EINVAL_ANNOTATION],
    },
  };
}

/** kernel/frob.c after the one patch of an mbox, applied with kapi-review's own diff code. */
function applyFrobSpecs(base: string, mbox: string): string {
  const diff = parseMailSync(mbox).value.files.find((f) => f.path === 'kernel/frob.c');
  if (!diff) throw new Error('the mbox changes no kernel/frob.c');
  const { post, failure } = applyFileDiff(base, diff);
  if (post === null) throw new Error(`the specs patch does not apply: ${failure}`);
  return post;
}

/** A PR on the frob fixtures: base b<n> with frob-base.c, head h<n> with `head`. */
function frobPull(
  n: number,
  head: string,
  extra: Record<string, string> = {},
): { base: string; head: string } {
  const b = sha(`b${n}`);
  const h = sha(`h${n}`);
  api.commit(b, { 'kernel/frob.c': BASE, 'drivers/misc/plain.c': PLAIN });
  api.commit(h, { 'kernel/frob.c': head, 'drivers/misc/plain.c': PLAIN, ...extra });
  api.pull(n, `frob change ${n}`, b, h);
  return { base: b, head: h };
}

/** The check runs created since `from`, create bodies only. */
function runsSince(from: number): Record<string, unknown>[] {
  return api.checkRuns.slice(from).map((r) => r.create);
}

describe('kapi-review GitHub App', () => {
  it('rejects a webhook with a bad signature (400) and calls nothing', async () => {
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 1, sha('x'), sha('y')), 'wrong-secret')).toBe(400);
    expect(api.calls).toEqual([]);
  });

  it('reviews a PR that adds an undocumented return -EINVAL: one inline comment, a failing check run', async () => {
    const pr = frobPull(1, EINVAL);
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 1, pr.head, pr.base))).toBe(200);
    expect(api.bodies('POST', /\/pulls\/1\/reviews$/)).toEqual([
      {
        commit_id: pr.head,
        event: 'COMMENT',
        body: ['<!-- kapi-review:review -->', '## kapi-review', '', '1 new finding: 1 inline, 0 below.'].join(
          '\n',
        ),
        comments: [EINVAL_COMMENT],
      },
    ]);
    expect(api.bodies('POST', /\/check-runs$/)).toEqual([failingRun(pr.head, 1)]);
    // the KAPI framework files at the head, read in parallel: this mirror has no header or
    // generator, so nothing else of the framework is read
    const isFramework = (line: string): boolean =>
      FRAMEWORK_PATHS.some((p) => line.includes(`/contents/${p} `));
    expect(api.trace().filter(isFramework).sort()).toEqual(
      FRAMEWORK_PATHS.filter((p) => roleOf(p) === 'header' || roleOf(p) === 'generator')
        .map((p) => `GET /repos/kmirror/linux/contents/${p} 404`)
        .sort(),
    );
    expect(api.trace().filter((l) => !isFramework(l))).toEqual([
      'GET /repos/kmirror/linux/pulls/1 200',
      'GET /repos/kmirror/linux/contents/.github/kapi-review.yml 404',
      'GET /repos/kmirror/.github/contents/.github/kapi-review.yml 404',
      'GET /repos/kmirror/linux/issues/1/comments 200',
      `GET /repos/kmirror/linux/compare/${pr.base}...${pr.head} 200`,
      'GET /repos/kmirror/linux/pulls/1/files 200',
      'GET /repos/kmirror/linux/contents/kernel/frob.c 200',
      'GET /repos/kmirror/linux/contents/kernel/frob.c 200',
      'GET /repos/kmirror/linux/pulls/1/reviews 200',
      'GET /repos/kmirror/linux/pulls/1/comments 200',
      'POST /repos/kmirror/linux/pulls/1/reviews 200',
      'POST /repos/kmirror/linux/check-runs 201',
    ]);
    // the head image at the head SHA, the pre-image at the merge base
    const refs = api.calls.filter((c) => c.path.endsWith('/contents/kernel/frob.c')).map((c) => c.query.ref);
    expect(refs).toEqual([pr.head, pr.base]);
  });

  it('agrees with `kapi-review check --format json` finding for finding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapi-gh-cli-'));
    mkdirSync(join(dir, 'tree/kernel'), { recursive: true });
    writeFileSync(join(dir, 'tree/kernel/frob.c'), BASE);
    const mail = [
      'From: Dev <dev@example.org>',
      'Subject: [PATCH] frob: refuse unaligned ranges',
      'Message-ID: <gh-agree@example.org>',
      'Date: Mon, 23 Nov 2026 10:00:00 +0000',
      '',
      'Refuse unaligned starts.',
      '---',
      'diff --git a/kernel/frob.c b/kernel/frob.c',
      '--- a/kernel/frob.c',
      '+++ b/kernel/frob.c',
      githubPatch(BASE, EINVAL),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'p.mbox'), mail);
    let out = '';
    const code = await main(
      ['node', 'kapi-review', 'check', '--tree', join(dir, 'tree'), '--format', 'json', join(dir, 'p.mbox')],
      {
        out: (s) => {
          out += s;
        },
        err: () => {},
      },
    );
    expect(code).toBe(1);
    const json = JSON.parse(out) as {
      findings: Record<string, unknown>[];
      outside: Record<string, unknown>[];
    };
    const cli = [...json.findings, ...json.outside].map((f) => ({
      fingerprint: f.fingerprint,
      check: f.check,
      severity: f.severity,
      path: f.path,
      line: f.line,
      message: f.message,
    }));
    const review = api.reviewsOf(1)[0];
    const run = api.checkRuns.find((r) => (r.create as { head_sha: string }).head_sha === sha('h1'));
    const annotations =
      (run?.create.output as { annotations: (typeof EINVAL_ANNOTATION)[] } | undefined)?.annotations ?? [];
    const fromGithub = (review?.comments ?? []).map((c, i) => {
      const m = readMarkers(c.body)[0];
      const a = annotations[i];
      return {
        fingerprint: m?.fingerprint,
        check: m?.check,
        severity: a?.annotation_level === 'failure' ? 'error' : a?.annotation_level,
        path: c.path,
        line: c.line,
        message: a?.message,
      };
    });
    expect(cli).toEqual(fromGithub);
    expect(cli).toHaveLength(1);
  });

  it('does not repeat itself on a re-push that changes nothing, nor on a redelivered SHA', async () => {
    const same = sha('h1-amended');
    api.commit(same, api.commits.get(sha('h1')) ? Object.fromEntries(api.commits.get(sha('h1')) ?? []) : {});
    api.pull(1, 'frob change 1', sha('b1'), same);
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('synchronize', 1, same, sha('b1')))).toBe(200);
    expect(await deliver('pull_request', prEvent('reopened', 1, same, sha('b1')))).toBe(200);
    expect(api.bodies('POST', /\/reviews$/)).toEqual([]);
    expect(api.reviewsOf(1)).toHaveLength(1);
    expect(runsSince(before)).toEqual([failingRun(same, 1), failingRun(same, 1)]);
  });

  it('marks the finding resolved on a re-push that fixes it', async () => {
    const fixed = sha('h1-fixed');
    api.commit(fixed, { 'kernel/frob.c': FIXED, 'drivers/misc/plain.c': PLAIN });
    api.pull(1, 'frob change 1', sha('b1'), fixed);
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('synchronize', 1, fixed, sha('b1')))).toBe(200);
    expect(api.bodies('POST', /\/pulls\/1\/reviews$/)).toEqual([
      {
        commit_id: fixed,
        event: 'COMMENT',
        body: [
          '<!-- kapi-review:review -->',
          '## kapi-review',
          '',
          'No findings.',
          '',
          '1 finding resolved since the last review.',
          '',
          '### Resolved',
          '',
          `- <!-- kapi-review:fixed=${EINVAL_FP} check=kapi-error-undocumented spec=sys_frob subject=EINVAL -->\`kapi-error-undocumented\` \`sys_frob EINVAL\``,
        ].join('\n'),
        comments: [],
      },
    ]);
    expect(runsSince(before)).toEqual([
      {
        external_id: '1',
        name: 'kapi-review',
        head_sha: fixed,
        status: 'completed',
        conclusion: 'success',
        output: { title: 'No findings', summary: '**No findings**', annotations: [] },
      },
    ]);
    // resolved once: a further push says nothing more
    api.reset();
    expect(await deliver('pull_request', prEvent('reopened', 1, fixed, sha('b1')))).toBe(200);
    expect(api.bodies('POST', /\/reviews$/)).toEqual([]);
  });

  it('posts no review and a neutral check run for a PR touching no spec', async () => {
    const b = sha('b2');
    const h = sha('h2');
    api.commit(b, { 'kernel/frob.c': BASE, 'drivers/misc/plain.c': PLAIN });
    api.commit(h, {
      'kernel/frob.c': BASE,
      'drivers/misc/plain.c': PLAIN.replace('return 0;', 'if (id > 64)\n\t\treturn -EIO;\n\treturn 0;'),
      'Documentation/frob.rst': 'Frob\n====\n',
    });
    api.pull(2, 'plain: refuse large ids', b, h);
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 2, h, b))).toBe(200);
    expect(api.reviewsOf(2)).toEqual([]);
    expect(runsSince(before)).toEqual([
      {
        external_id: '2',
        name: 'kapi-review',
        head_sha: h,
        status: 'completed',
        conclusion: 'neutral',
        output: {
          title: 'No spec touched',
          summary: '**No spec touched**\n\nThis pull request touches no kernel API spec.',
          annotations: [],
        },
      },
    ]);
    // the C file is read at the head only (it has no spec or syscall); the .rst not at all
    expect(api.trace().filter((t) => t.includes('/contents/') && !t.includes('.github'))).toEqual([
      'GET /repos/kmirror/linux/contents/drivers/misc/plain.c 200',
    ]);
  });

  it('waits out a 403 secondary rate limit and posts the review once', async () => {
    const pr = frobPull(3, EINVAL);
    api.fail({
      method: 'POST',
      path: /\/pulls\/3\/reviews$/,
      status: 403,
      headers: { 'retry-after': '1' },
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
    });
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 3, pr.head, pr.base))).toBe(200);
    const posts = api.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/pulls/3/reviews'));
    expect(posts.map((c) => c.status)).toEqual([403, 200]);
    expect(posts[0]?.body).toEqual(posts[1]?.body);
    expect(api.reviewsOf(3)).toEqual([
      {
        id: expect.any(Number),
        pull: 3,
        commit_id: pr.head,
        event: 'COMMENT',
        body: ['<!-- kapi-review:review -->', '## kapi-review', '', '1 new finding: 1 inline, 0 below.'].join(
          '\n',
        ),
        comments: [EINVAL_COMMENT],
      },
    ]);
    expect(runsSince(before)).toEqual([failingRun(pr.head, 3)]);
  });

  it('retries a server error on a read (5xx) and goes on', async () => {
    const pr = frobPull(7, EINVAL);
    api.fail({ method: 'GET', path: /\/pulls\/7\/files$/, status: 502, body: { message: 'Bad Gateway' } });
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 7, pr.head, pr.base))).toBe(200);
    expect(api.calls.filter((c) => c.path.endsWith('/pulls/7/files')).map((c) => c.status)).toEqual([
      502, 200,
    ]);
    expect(runsSince(before)).toEqual([failingRun(pr.head, 7)]);
    expect(api.reviewsOf(7)).toHaveLength(1);
  });

  it('fails the check run, saying why, when the review cannot finish', async () => {
    const pr = frobPull(9, EINVAL);
    api.fail({ method: 'GET', path: /\/pulls\/9\/files$/, status: 404, body: { message: 'Not Found' } });
    const before = api.checkRuns.length;
    expect(await deliver('pull_request', prEvent('opened', 9, pr.head, pr.base))).toBe(200);
    expect(api.reviewsOf(9)).toEqual([]);
    expect(runsSince(before)).toEqual([
      {
        external_id: '9',
        name: 'kapi-review',
        head_sha: pr.head,
        status: 'completed',
        conclusion: 'failure',
        output: {
          title: 'kapi-review could not finish',
          summary:
            'The review stopped on an error from GitHub or in kapi-review: Not Found\n\nComment `/kapi-review recheck` to try again.',
          annotations: [],
        },
      },
    ]);
  });

  it('records a 422 on the review, retries it without inline comments, and still reports', async () => {
    const pr = frobPull(4, EINVAL);
    const rejection = 'Unprocessable Entity: pull_request_review_thread.line must be part of the diff';
    api.fail({ method: 'POST', path: /\/pulls\/4\/reviews$/, status: 422, body: { message: rejection } });
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 4, pr.head, pr.base))).toBe(200);
    const posts = api.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/pulls/4/reviews'));
    expect(posts.map((c) => c.status)).toEqual([422, 200]);
    expect(posts[1]?.body).toEqual({
      commit_id: pr.head,
      event: 'COMMENT',
      body: [
        '<!-- kapi-review:review -->',
        '## kapi-review',
        '',
        '1 new finding: 0 inline, 1 below.',
        '',
        '### On lines of this diff',
        '',
        'GitHub did not accept inline comments for this review; these findings are listed here instead.',
        '',
        `- ${EINVAL_MARKER}**Error** \`kapi-error-undocumented\` \`kernel/frob.c:42\`: sys\\_frob can return -EINVAL here, but its spec does not list EINVAL`,
      ].join('\n'),
      comments: [],
    });
    expect(runsSince(before)).toEqual([
      failingRun(pr.head, 4, [
        '- GitHub rejected the inline comments (422: Unprocessable Entity: pull\\_request\\_review\\_thread.line must be part of the diff); the review lists every finding in its body instead',
      ]),
    ]);
  });

  it('posts a review once when GitHub answers 5xx after storing it, and again when it did not', async () => {
    const stored = frobPull(10, EINVAL);
    api.fail({ method: 'POST', path: /\/pulls\/10\/reviews$/, status: 502, afterDoing: true });
    expect(await deliver('pull_request', prEvent('opened', 10, stored.head, stored.base))).toBe(200);
    expect(
      api.calls
        .filter((c) => c.method === 'POST' && c.path.endsWith('/pulls/10/reviews'))
        .map((c) => c.status),
    ).toEqual([502]);
    expect(api.reviewsOf(10)).toHaveLength(1);

    const lost = frobPull(11, EINVAL);
    api.fail({ method: 'POST', path: /\/pulls\/11\/reviews$/, status: 502 });
    expect(await deliver('pull_request', prEvent('opened', 11, lost.head, lost.base))).toBe(200);
    expect(
      api.calls
        .filter((c) => c.method === 'POST' && c.path.endsWith('/pulls/11/reviews'))
        .map((c) => c.status),
    ).toEqual([502, 200]);
    expect(api.reviewsOf(11)).toHaveLength(1);
  });

  it('skips a run whose head is no longer the PR head (a late or redelivered webhook)', async () => {
    const pr = frobPull(12, EINVAL);
    const newer = sha('h12-newer');
    api.commit(newer, { 'kernel/frob.c': FIXED, 'drivers/misc/plain.c': PLAIN });
    api.pull(12, 'frob change 12', pr.base, newer);
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 12, pr.head, pr.base))).toBe(200);
    expect(api.trace()).toEqual(['GET /repos/kmirror/linux/pulls/12 200']);
    expect(api.checkRuns.length).toBe(before);
  });

  it('reads the pre-image at the merge base, not at the moved tip of the base branch', async () => {
    const mergeBase = sha('b13');
    const movedTip = sha('b13-moved');
    const head = sha('h13');
    api.commit(mergeBase, { 'kernel/frob.c': BASE });
    api.commit(movedTip, { 'kernel/frob.c': EINVAL, 'kernel/other.c': PLAIN });
    api.commit(head, { 'kernel/frob.c': EINVAL });
    api.pull(13, 'frob change 13', movedTip, head);
    api.mergeBases.set(`${movedTip}...${head}`, mergeBase);
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 13, head, movedTip))).toBe(200);
    const refs = api.calls.filter((c) => c.path.endsWith('/contents/kernel/frob.c')).map((c) => c.query.ref);
    expect(refs).toEqual([head, mergeBase]);
    // against the merge base the PR adds the undocumented return, so it is reported
    expect(api.reviewsOf(13).map((r) => r.comments.length)).toEqual([1]);
  });

  it("re-runs a fork's PR from the check run's external_id (GitHub lists no pull_requests then)", async () => {
    const pr = frobPull(14, EINVAL);
    expect(await deliver('pull_request', prEvent('opened', 14, pr.head, pr.base))).toBe(200);
    const first = api.checkRuns.at(-1);
    expect(first?.create.external_id).toBe('14');
    const before = api.checkRuns.length;
    expect(
      await deliver('check_run', {
        action: 'rerequested',
        check_run: {
          id: first?.id,
          name: 'kapi-review',
          head_sha: pr.head,
          external_id: '14',
          pull_requests: [],
        },
        sender: { login: 'maint', type: 'User' },
      }),
    ).toBe(200);
    expect(runsSince(before)).toEqual([failingRun(pr.head, 14)]);
    expect(api.reviewsOf(14)).toHaveLength(1);
  });

  it('fails the check run with the reason when .github/kapi-review.yml is invalid', async () => {
    const pr = frobPull(5, EINVAL);
    api.config = 'checks:\n  kapi-nope: off\n';
    const before = api.checkRuns.length;
    api.reset();
    try {
      expect(await deliver('pull_request', prEvent('opened', 5, pr.head, pr.base))).toBe(200);
    } finally {
      api.config = undefined;
    }
    expect(api.reviewsOf(5)).toEqual([]);
    expect(runsSince(before)).toEqual([
      {
        external_id: '5',
        name: 'kapi-review',
        head_sha: pr.head,
        status: 'completed',
        conclusion: 'failure',
        output: {
          title: 'Invalid .github/kapi-review.yml',
          summary:
            'kapi-review did not review this pull request: its configuration is invalid.\n\n.github/kapi-review.yml: checks.kapi-nope: unknown check',
          annotations: [],
        },
      },
    ]);
    expect(api.trace().some((t) => t.includes('/pulls/5/files'))).toBe(false);
  });

  it('takes the config from .github/kapi-review.yml: an ignore silences the finding', async () => {
    const pr = frobPull(8, EINVAL);
    api.config = 'ignore:\n  - { check: kapi-error-undocumented, spec: sys_frob }\n';
    const before = api.checkRuns.length;
    try {
      expect(await deliver('pull_request', prEvent('opened', 8, pr.head, pr.base))).toBe(200);
    } finally {
      api.config = undefined;
    }
    expect(api.reviewsOf(8)).toEqual([]);
    expect(runsSince(before)).toEqual([
      {
        external_id: '8',
        name: 'kapi-review',
        head_sha: pr.head,
        status: 'completed',
        conclusion: 'success',
        output: { title: 'No findings', summary: '**No findings**', annotations: [] },
      },
    ]);
  });

  it('obeys /kapi-review commands from users with write access only', async () => {
    // PR 3 has its review and a failing check run from the rate-limit test
    api.permissions.set('maint', 'write');
    const before = api.checkRuns.length;
    const visitor = await command(3, 'visitor', '/kapi-review ignore kapi-error-undocumented');
    expect(visitor.status).toBe(200);
    expect(api.reactions.at(-1)).toEqual({ comment: visitor.id, content: 'confused' });
    expect(api.checkRuns.length).toBe(before);

    const typo = await command(3, 'maint', '/kapi-review ignore kapi-eror-undocumented');
    expect(typo.status).toBe(200);
    expect(api.reactions.at(-1)).toEqual({ comment: typo.id, content: 'confused' });
    expect(api.issueComments.at(-1)?.body).toBe(
      [
        'kapi-review did not understand:',
        '',
        '- `ignore kapi-eror-undocumented`',
        '',
        'Commands: `/kapi-review recheck`, `/kapi-review ignore <check-id>`; the check ids are listed in docs/checks/ of kapi-review.',
      ].join('\n'),
    );
    expect(api.checkRuns.length).toBe(before);

    const ok = await command(
      3,
      'maint',
      'Known and intended.\n\n/kapi-review ignore kapi-error-undocumented\n',
    );
    expect(ok.status).toBe(200);
    expect(api.reactions.at(-1)).toEqual({ comment: ok.id, content: '+1' });
    // same head SHA: no second review; the new check run no longer fails, and the ignored
    // finding is not called resolved
    expect(api.reviewsOf(3)).toHaveLength(1);
    expect(runsSince(before)).toEqual([
      {
        external_id: '3',
        name: 'kapi-review',
        head_sha: sha('h3'),
        status: 'completed',
        conclusion: 'success',
        output: { title: 'No findings', summary: '**No findings**', annotations: [] },
      },
    ]);

    // recheck, and the check run's own "Re-run" button, review again with the ignore in force
    expect((await command(3, 'maint', '/kapi-review recheck')).status).toBe(200);
    expect(
      await deliver('check_run', {
        action: 'rerequested',
        check_run: { id: 1, name: 'kapi-review', head_sha: sha('h3'), pull_requests: [{ number: 3 }] },
        sender: { login: 'maint', type: 'User' },
      }),
    ).toBe(200);
    expect(runsSince(before).map((r) => [r.head_sha, r.conclusion])).toEqual([
      [sha('h3'), 'success'],
      [sha('h3'), 'success'],
      [sha('h3'), 'success'],
    ]);
  });

  it('posts nothing of a spec that does not parse: the review and annotations leave it out, the check run names it', async () => {
    // kernel/frob.c gains the undocumented -EINVAL, and the PR adds kernel/gizmo.c with a spec
    // the parser cannot read in full (an error-severity kapi-parse-error finding)
    const pr = frobPull(15, EINVAL, { 'kernel/gizmo.c': GIZMO });
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 15, pr.head, pr.base))).toBe(200);
    expect(api.trace()).toContain('GET /repos/kmirror/linux/contents/kernel/gizmo.c 200');
    // the review is the one a PR with the -EINVAL alone gets
    expect(api.bodies('POST', /\/pulls\/15\/reviews$/)).toEqual([
      {
        commit_id: pr.head,
        event: 'COMMENT',
        body: ['<!-- kapi-review:review -->', '## kapi-review', '', '1 new finding: 1 inline, 0 below.'].join(
          '\n',
        ),
        comments: [EINVAL_COMMENT],
      },
    ]);
    expect(runsSince(before)).toEqual([
      {
        external_id: '15',
        name: 'kapi-review',
        head_sha: pr.head,
        status: 'completed',
        conclusion: 'failure',
        output: {
          title: '1 error, 1 spec not read in full',
          summary: [
            '**1 error, 1 spec not read in full**',
            '',
            EINVAL_SUMMARY_LINE,
            '',
            ...GIZMO_UNREAD,
          ].join('\n'),
          annotations: [EINVAL_ANNOTATION],
        },
      },
    ]);
    const sent = sentBodies();
    for (const leak of GIZMO_LEAKS) expect(sent).not.toContain(leak);
    const review = api.reviewsOf(15)[0];
    const markers = readMarkers(
      [review?.body ?? '', ...(review?.comments ?? []).map((c) => c.body)].join('\n'),
    );
    expect(markers.map((m) => m.check)).toEqual(['kapi-error-undocumented']);
  });

  it('a PR whose only finding is a spec that does not parse gets no review and a neutral check run', async () => {
    const pr = frobPull(16, BASE, { 'kernel/gizmo.c': GIZMO });
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 16, pr.head, pr.base))).toBe(200);
    expect(api.reviewsOf(16)).toEqual([]);
    expect(api.bodies('POST', /\/reviews$/)).toEqual([]);
    expect(runsSince(before)).toEqual([
      {
        external_id: '16',
        name: 'kapi-review',
        head_sha: pr.head,
        status: 'completed',
        // the finding is of severity error, yet it never fails the run: it only makes it incomplete
        conclusion: 'neutral',
        output: {
          title: 'No findings, 1 spec not read in full',
          summary: ['**No findings, 1 spec not read in full**', '', ...GIZMO_UNREAD].join('\n'),
          annotations: [],
        },
      },
    ]);
    const sent = sentBodies();
    for (const leak of GIZMO_LEAKS) expect(sent).not.toContain(leak);
  });

  it('judges a PR by the framework the mirror carries (frob v2), and says so in the check run', async () => {
    const fw = join(import.meta.dirname, '..', '..', 'fixtures', 'framework');
    const v2 = Object.fromEntries(
      [
        'include/linux/kernel_api_spec.h',
        'tools/lib/python/kdoc/kdoc_parser.py',
        'tools/lib/python/kdoc/kdoc_apispec.py',
        'scripts/Makefile.build',
      ].map((p) => [p, readFileSync(join(fw, 'tree-v2', p), 'utf8')]),
    );
    // the specs written for frob v1 (fixtures/framework/frob-specs-v1.mbox), as a PR on a v2 mirror
    const base = readFileSync(join(fw, 'tree-v2', 'kernel', 'frob.c'), 'utf8');
    const mail = readFileSync(join(fw, 'frob-specs-v1.mbox'), 'utf8');
    const head = applyFrobSpecs(base, mail);
    const b = sha('b17');
    const h = sha('h17');
    api.commit(b, { 'kernel/frob.c': base, ...v2 });
    api.commit(h, { 'kernel/frob.c': head, ...v2 });
    api.pull(17, 'frob: add KAPI specifications', b, h);
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 17, h, b))).toBe(200);
    const [run] = runsSince(before) as { output: { summary: string; annotations: { message: string }[] } }[];
    expect(run?.output.summary).toMatch(
      /judged by the KAPI framework of the base tree \(include\/linux\/kernel\\_api\\_spec\.h/,
    );
    const messages = run?.output.annotations.map((a) => a.message) ?? [];
    expect(messages).toContainEqual(
      expect.stringMatching(
        /KAPI_FROB_HINT is not defined in include\/linux\/kernel_api_spec\.h of the base tree/,
      ),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(
        /'frob-hint:' is not a key of tools\/lib\/python\/kdoc\/kdoc_parser\.py of the base tree/,
      ),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(
        /sys_frob is a hand-written macro spec .* of the base tree defines no \*_END macros/,
      ),
    );
  });

  it('makes one review of a PR with 300 findings: 50 inline, the rest in the body, 300 annotations', async () => {
    const b = sha('b6');
    const h = sha('h6');
    api.commit(b, { 'kernel/many.c': manySyscalls(300, false) });
    api.commit(h, { 'kernel/many.c': manySyscalls(300, true) });
    api.pull(6, 'many: refuse large values', b, h);
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 6, h, b))).toBe(200);
    const reviews = api.reviewsOf(6);
    expect(reviews).toHaveLength(1);
    const review = reviews[0] as (typeof reviews)[0];
    expect(review.comments).toHaveLength(50);
    expect(review.body.length).toBeLessThan(65_536);
    expect(review.body.split('\n').slice(0, 8)).toEqual([
      '<!-- kapi-review:review -->',
      '## kapi-review',
      '',
      '300 new findings: 50 inline, 250 below.',
      '',
      '### More than 50 inline comments',
      '',
      'A review carries at most 50 inline comments; these 250 findings on diff lines are listed here instead.',
    ]);
    const listed = readMarkers(review.body).length;
    const cut = Number(
      /(\d+) more items? did not fit in this review; the check run lists every finding\.$/.exec(
        review.body,
      )?.[1] ?? 0,
    );
    expect(listed + cut).toBe(250);
    const inline = new Set(review.comments.map((c) => readMarkers(c.body)[0]?.fingerprint));
    expect(readMarkers(review.body).some((m) => inline.has(m.fingerprint))).toBe(false);
    const run = api.checkRuns[before];
    expect(run?.create.conclusion).toBe('failure');
    const batches = [run?.create.output, ...(run?.updates ?? []).map((u) => u.output)] as {
      annotations: unknown[];
    }[];
    expect(batches.map((o) => o.annotations.length)).toEqual([50, 50, 50, 50, 50, 50]);
    expect(api.calls.filter((c) => c.method === 'PATCH').length).toBe(5);
  });
});

/** What an answer must never show: an exception's name or text, a stack frame, a path of ours. */
function expectNoInternals(text: string): void {
  expect(text).not.toMatch(
    /TypeError|ReferenceError|SyntaxError|Cannot read|undefined|\bat \S+:\d+|\/app\/|node_modules/,
  );
}

/**
 * Streams `total` bytes of one generated 64 KiB chunk to the webhook without a Content-Length
 * (chunked), honouring back-pressure, and reports when the answer came and how much was sent.
 */
function streamBody(
  total: number,
  headers: Record<string, string>,
): Promise<{ status: number; sentAtAnswer: number; sent: number; cut: boolean }> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Promise((resolve) => {
    let sent = 0;
    let sentAtAnswer = -1;
    let status = 0;
    let cut = false;
    const req = httpRequest(webhookUrl, { method: 'POST', headers });
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      sentAtAnswer = sent;
      res.resume();
    });
    req.on('error', () => {
      cut = true;
    });
    req.on('close', () => resolve({ status, sentAtAnswer, sent, cut }));
    const pump = (): void => {
      while (sent < total && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

describe('hostile input at the webhook', () => {
  const MB = 1024 * 1024;
  const unsigned = {
    'content-type': 'application/json',
    'x-github-event': 'pull_request',
    'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
  };

  it('refuses a 50 MB unsigned body with 413 while it streams, drops the connection and keeps no memory', async () => {
    api.reset();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 2);
    const r = await streamBody(50 * MB, { ...unsigned, 'x-github-delivery': randomUUID() });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(r.status).toBe(413);
    // the answer came once the limit (25 MB) was passed (plus what the sockets buffer), not at
    // the end; the connection was dropped and the rest never sent
    expect(r.sentAtAnswer).toBeGreaterThan(25 * MB);
    expect(r.sentAtAnswer).toBeLessThan(38 * MB);
    expect(r.cut).toBe(true);
    expect(r.sent).toBeLessThan(45 * MB);
    expect(peak - before).toBeLessThan(50 * MB);
    expect(api.calls).toEqual([]);
  });

  it('refuses a declared Content-Length over 25 MB before reading the body', async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(webhookUrl, {
        method: 'POST',
        headers: { ...unsigned, 'x-github-delivery': randomUUID(), 'content-length': String(50 * MB) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"a":');
    });
    expect(answer).toBe(413);
  });

  it('answers a malformed signature, a missing header or another content type before reading anything', async () => {
    const body = JSON.stringify(prEvent('opened', 1, sha('x'), sha('y')));
    const send = (headers: Record<string, string>) =>
      fetch(webhookUrl, { method: 'POST', headers, body }).then((r) => r.status);
    api.reset();
    const good = { ...unsigned, 'x-github-delivery': randomUUID() };
    expect(await send({ ...good, 'x-hub-signature-256': 'sha256=zz' })).toBe(400);
    expect(await send({ ...good, 'x-hub-signature-256': 'sha1=0123' })).toBe(400);
    expect(await send({ ...good, 'x-github-delivery': 'a'.repeat(500) })).toBe(400);
    expect(await send({ ...good, 'x-github-event': '../../etc' })).toBe(400);
    expect(await send({ ...good, 'content-type': 'text/plain' })).toBe(415);
    expect((await fetch(webhookUrl)).status).toBe(405);
    expect(api.calls).toEqual([]);
  });

  it('answers a signed payload with null, missing or mistyped fields 400, naming the field, without internal text', async () => {
    const pr = prEvent('opened', 1, sha('x'), sha('y'));
    const full = { ...pr, repository: REPO, installation: { id: 7 } };
    const pullRequest = pr.pull_request as Record<string, unknown>;
    const cases: [string, unknown, RegExp][] = [
      ['pull_request', null, /the payload is not an object/],
      ['pull_request', [], /the payload is not an object/],
      ['pull_request', { ...full, pull_request: null }, /pull_request is not an object/],
      ['pull_request', { ...full, pull_request: undefined }, /pull_request is missing/],
      [
        'pull_request',
        { ...full, pull_request: { ...pullRequest, head: null } },
        /pull_request\.head is not an object/,
      ],
      [
        'pull_request',
        { ...full, pull_request: { ...pullRequest, number: '1' } },
        /pull_request\.number is not a positive integer/,
      ],
      [
        'pull_request',
        { ...full, pull_request: { ...pullRequest, head: { sha: '../x' } } },
        /pull_request\.head\.sha is not a commit id/,
      ],
      ['pull_request', { ...full, repository: null }, /repository is not an object/],
      [
        'pull_request',
        { ...full, repository: { ...REPO, owner: null } },
        /repository\.owner is not an object/,
      ],
      [
        'pull_request',
        { ...full, repository: { ...REPO, name: '..' } },
        /repository\.name is not a GitHub name/,
      ],
      ['pull_request', { ...full, installation: undefined }, /installation is missing/],
      ['pull_request', { ...full, action: 7 }, /action is not a string/],
      ['check_run', { ...full, action: 'rerequested', check_run: null }, /check_run is not an object/],
      [
        'check_run',
        {
          ...full,
          action: 'rerequested',
          check_run: { name: 'kapi-review', head_sha: sha('x'), pull_requests: null },
        },
        /check_run\.pull_requests is not a list/,
      ],
      [
        'check_run',
        {
          ...full,
          action: 'rerequested',
          check_run: { name: 'kapi-review', head_sha: sha('x'), pull_requests: [null] },
        },
        /check_run\.pull_requests\[0\]\.number is missing/,
      ],
      [
        'issue_comment',
        { ...full, action: 'created', issue: { number: 1 }, comment: null },
        /comment is not an object/,
      ],
      [
        'issue_comment',
        {
          ...full,
          action: 'created',
          issue: { number: 1 },
          comment: { id: 3, body: null },
          sender: { login: 'x', type: 'User' },
        },
        /comment\.body is not a string/,
      ],
    ];
    api.reset();
    for (const [event, payload, reason] of cases) {
      const r = await post(event, JSON.stringify(payload));
      expect(r.status, r.text).toBe(400);
      expect(JSON.parse(r.text).error, JSON.stringify(payload)).toMatch(reason);
      expectNoInternals(r.text);
    }
    const notJson = await post('pull_request', '{"action": "opened", ');
    expect(notJson).toEqual({ status: 400, text: JSON.stringify({ error: 'the payload is not JSON' }) });
    // an action the App does not handle passes with fewer fields, and does nothing
    expect(
      (await post('pull_request', JSON.stringify({ action: 'closed', pull_request: null }))).status,
    ).toBe(200);
    expect((await post('ping', JSON.stringify({ zen: 'Keep it logically awesome.' }))).status).toBe(200);
    expect(api.calls).toEqual([]);
  });

  it('does nothing on a replayed delivery: one check run for one delivery id', async () => {
    const pr = frobPull(21, EINVAL);
    const id = randomUUID();
    const before = api.checkRuns.length;
    expect(await deliver('pull_request', prEvent('opened', 21, pr.head, pr.base), SECRET, id)).toBe(200);
    expect(runsSince(before)).toHaveLength(1);
    api.reset();
    const again = await post(
      'pull_request',
      JSON.stringify({
        ...prEvent('opened', 21, pr.head, pr.base),
        repository: REPO,
        installation: { id: 7 },
      }),
      { id },
    );
    expect(again.status).toBe(200);
    expect(again.text).toMatch(/already received/);
    expect(api.calls).toEqual([]);
    expect(runsSince(before)).toHaveLength(1);
    expect(api.reviewsOf(21)).toHaveLength(1);
  });

  it('lets GitHub redeliver (same id) a delivery whose handler failed', async () => {
    const pr = frobPull(22, EINVAL);
    const id = randomUUID();
    const before = api.checkRuns.length;
    // the PR cannot be read, and the check run that would say so is refused: the delivery fails
    api.fail({ method: 'GET', path: /\/pulls\/22$/, status: 404 });
    api.fail({ method: 'POST', path: /\/check-runs$/, status: 422 });
    const failed = await post(
      'pull_request',
      JSON.stringify({
        ...prEvent('opened', 22, pr.head, pr.base),
        repository: REPO,
        installation: { id: 7 },
      }),
      { id },
    );
    expect(failed.status).toBe(500);
    expectNoInternals(failed.text);
    expect(failed.text).not.toMatch(/Not Found|HttpError/);
    expect(await deliver('pull_request', prEvent('opened', 22, pr.head, pr.base), SECRET, id)).toBe(200);
    expect(runsSince(before)).toHaveLength(1);
  });
});

describe('the dashboard under the App', () => {
  const TOKEN = 'a-dashboard-token-of-some-length';
  let filled: Awaited<ReturnType<typeof reviewedStore>>;
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kapi-gh-dash-'));
    filled = await reviewedStore(dir);
  }, 60_000);
  afterAll(() => filled?.store.close());

  /** startApp as `npm start` runs it, on a free port, with the App's environment and `extra`. */
  async function start(extra: Record<string, string>): Promise<{ app: StartedApp; base: string }> {
    const port = await freePort();
    const app = await startApp({ env: { ...appEnv(port), ...extra } });
    return { app, base: `http://127.0.0.1:${port}` };
  }

  const basic = (user: string, pass: string): string =>
    `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

  it('is off by default: no /kapi-review on the App server', async () => {
    expect((await fetch(webhookUrl.replace('/api/github/webhooks', '/kapi-review'))).status).toBe(404);
    const { app, base } = await start({});
    try {
      expect((await fetch(`${base}/kapi-review`)).status).toBe(404);
      expect((await fetch(`${base}/ping`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it('with KAPI_DASHBOARD_TOKEN: 401 without the token, 200 with it; a bad page number is 400', async () => {
    const { app, base } = await start({ KAPI_REVIEW_STATE: filled.store.path, KAPI_DASHBOARD_TOKEN: TOKEN });
    try {
      const none = await fetch(`${base}/kapi-review`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Basic realm="kapi-review", charset="UTF-8"');
      expect(await none.text()).not.toContain('frob');
      for (const authorization of [
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        'Bearer ',
        basic('maint', 'wrong'),
        `Basic ${TOKEN}`,
        TOKEN,
      ])
        expect(
          (await fetch(`${base}/kapi-review/checks`, { headers: { authorization } })).status,
          authorization,
        ).toBe(401);
      const list = await fetch(`${base}/kapi-review`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(list.status).toBe(200);
      expect(list.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      const page = await list.text();
      expect(page).toContain('frob: bound, document and restrict sys_frob');
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page).not.toContain('<script>alert(1)');
      // what a browser sends after the prompt: any user, the token as the password
      expect(
        (await fetch(`${base}/kapi-review/`, { headers: { authorization: basic('me', TOKEN) } })).status,
      ).toBe(200);
      const auth = { authorization: `Bearer ${TOKEN}` };
      const bad = await fetch(`${base}/kapi-review/?page=99999999999999999999`, { headers: auth });
      expect(bad.status).toBe(400);
      const text = await bad.text();
      expect(text).toContain('Bad query: page must be a whole number from 1 to 1000000.');
      expectNoInternals(text);
      expect((await fetch(`${base}/kapi-review/?state=evil`, { headers: auth })).status).toBe(400);
      expect((await fetch(`${base}/kapi-review/nope`, { headers: auth })).status).toBe(404);
      // Probot's own routes and the webhooks are untouched
      expect((await fetch(`${base}/ping`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it('with KAPI_DASHBOARD_USER and KAPI_DASHBOARD_PASS: basic authentication, both must match', async () => {
    const { app, base } = await start({
      KAPI_REVIEW_STATE: filled.store.path,
      KAPI_DASHBOARD_USER: 'maint',
      KAPI_DASHBOARD_PASS: 'correct horse battery',
    });
    try {
      const get = (authorization?: string) =>
        fetch(`${base}/kapi-review`, authorization ? { headers: { authorization } } : {}).then(
          (r) => r.status,
        );
      expect(await get()).toBe(401);
      expect(await get(basic('maint', 'correct horse battery'))).toBe(200);
      expect(await get(basic('maint', 'correct horse batter'))).toBe(401);
      expect(await get(basic('other', 'correct horse battery'))).toBe(401);
      expect(await get(`Bearer correct horse battery`)).toBe(401);
    } finally {
      await app.stop();
    }
  });

  it('with KAPI_DASHBOARD_PORT: on a separate loopback port, not on the App server', async () => {
    const { app, base } = await start({ KAPI_REVIEW_STATE: filled.store.path, KAPI_DASHBOARD_PORT: '0' });
    try {
      expect((await fetch(`${base}/kapi-review`)).status).toBe(404);
      expect(app.dashboard?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const side = await fetch(app.dashboard?.url ?? '');
      expect(side.status).toBe(200);
      expect(await side.text()).toContain('frob: bound, document and restrict sys_frob');
      expect((await fetch(`${app.dashboard?.url}?page=0`)).status).toBe(400);
    } finally {
      await app.stop();
    }
  });

  it('refuses to start, with one clear reason, on a bad state file or an open dashboard; creates no file', async () => {
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is not an SQLite database, just some text '.repeat(100));
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    const missing = join(dir, 'no', 'such', 'state.db');
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const withToken = { KAPI_DASHBOARD_TOKEN: TOKEN };
    const cases: [Record<string, string>, RegExp][] = [
      [
        { KAPI_REVIEW_STATE: garbage, ...withToken },
        /^KAPI_REVIEW_STATE: the store .*garbage\.db is not a kapi-review state file: file is not a database$/,
      ],
      [
        { KAPI_REVIEW_STATE: empty, ...withToken },
        /^KAPI_REVIEW_STATE: the store .*empty\.db is empty, not a kapi-review state file$/,
      ],
      [
        { KAPI_REVIEW_STATE: folder, ...withToken },
        /^KAPI_REVIEW_STATE: the store .*a-folder is a directory, not a state file$/,
      ],
      [
        { KAPI_REVIEW_STATE: missing, ...withToken },
        /^KAPI_REVIEW_STATE: the store .*state\.db does not exist \(the bot writes it/,
      ],
      [
        { KAPI_REVIEW_STATE: filled.store.path },
        /^KAPI_REVIEW_STATE is set, but the dashboard would be open to anyone/,
      ],
      [
        { KAPI_REVIEW_STATE: filled.store.path, KAPI_DASHBOARD_TOKEN: 'short' },
        /KAPI_DASHBOARD_TOKEN must have at least 16 characters/,
      ],
      [
        { KAPI_REVIEW_STATE: filled.store.path, KAPI_DASHBOARD_PORT: '8080', KAPI_DASHBOARD_HOST: '0.0.0.0' },
        /KAPI_DASHBOARD_HOST 0\.0\.0\.0 is not a loopback address/,
      ],
      [{ KAPI_DASHBOARD_TOKEN: TOKEN }, /KAPI_DASHBOARD_TOKEN set, but KAPI_REVIEW_STATE is not/],
    ];
    for (const [extra, reason] of cases) {
      const port = await freePort();
      const err = await startApp({ env: { ...appEnv(port), ...extra } }).then(
        (app) => app.stop().then(() => null),
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(extra)).toBeInstanceOf(SettingsError);
      expect((err as Error).message).toMatch(reason);
      // nothing started
      await expect(fetch(`http://127.0.0.1:${port}/ping`)).rejects.toThrow();
    }
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('`npm start` says what is wrong in one line and exits 1, no stack trace', async () => {
    const garbage = join(dir, 'garbage-start.db');
    writeFileSync(garbage, 'x'.repeat(4096));
    const runTs = join(import.meta.dirname, '..', 'helpers', 'run-ts.mjs');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: tmpdir(),
      KAPI_REVIEW_STATE: garbage,
      KAPI_DASHBOARD_TOKEN: TOKEN,
    };
    const r = spawnSync(process.execPath, [runTs, 'app/github/start.ts'], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe(
      `kapi-review: KAPI_REVIEW_STATE: the store ${garbage} is not a kapi-review state file: file is not a database\n`,
    );
  });
});

describe('a hostile pull request on the App server', () => {
  it('while its review runs in a worker, another PR is reviewed and the dashboard serves within 100 ms', async () => {
    const filled = await reviewedStore(mkdtempSync(join(tmpdir(), 'kapi-gh-load-')));
    // two workers whatever the machine: one for the hostile review, one for the other PR
    const pool = createReviewPool({ size: 2 });
    const port = await freePort();
    const fast = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });
    const token = 'load-test-dashboard-token';
    const busy = await run(createApp({ dashboard: { store: filled.store, auth: { token } }, pool }), {
      env: appEnv(port),
      Octokit: createOctokit({ write: fast(), notifications: fast() }),
    });
    const url = `http://127.0.0.1:${port}/api/github/webhooks`;
    const budget = 6;
    api.config = `limits:\n  seconds: ${budget}\n`;
    try {
      // PR 30 adds three C files of 3.5 MB (under the 4 MB limit), each seconds of real analysis
      const b = sha('b30');
      const h = sha('h30');
      api.commit(b, { 'kernel/frob.c': BASE });
      api.commit(h, {
        'kernel/frob.c': BASE,
        ...Object.fromEntries(
          [1, 2, 3].map((i) => [`kernel/huge${i}.c`, slowCFile(3.5 * 1024 * 1024, `huge${i}`)]),
        ),
      });
      api.pull(30, 'huge: three very large files', b, h);
      const other = frobPull(31, EINVAL);
      const before = api.checkRuns.length;
      let hostileAnswered = false;
      const hostile = deliver('pull_request', prEvent('opened', 30, h, b), SECRET, undefined, url).finally(
        () => {
          hostileAnswered = true;
        },
      );
      await until(() => pool.stats().busy > 0, 60_000, 'the hostile review started');

      // the main thread is free: each dashboard page is served in milliseconds, not after the review
      const dashboardMs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const page = await fetch(`http://127.0.0.1:${port}/kapi-review`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('frob: bound, document and restrict sys_frob');
        dashboardMs.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 50));
      }
      // and another PR's webhook is answered, its review done in the other worker
      const t = performance.now();
      expect(
        await deliver('pull_request', prEvent('opened', 31, other.head, other.base), SECRET, undefined, url),
      ).toBe(200);
      const webhookMs = performance.now() - t;
      expect(hostileAnswered).toBe(false);
      dashboardMs.sort((x, y) => x - y);
      expect(dashboardMs[2]).toBeLessThan(100);
      expect(dashboardMs[4]).toBeLessThan(1_000);
      expect(webhookMs).toBeLessThan(budget * 1000);
      expect(api.reviewsOf(31).map((r) => r.comments)).toEqual([[EINVAL_COMMENT]]);

      // the hostile PR ends at its budget: a neutral check run that says so, and no review
      // (202 when the handler outlasts the webhook middleware's own wait, about ten seconds)
      expect([200, 202]).toContain(await hostile);
      await until(() => runsSince(before).some((r) => r.head_sha === h), 60_000, 'the hostile check run');
      const runs = runsSince(before) as {
        head_sha: string;
        conclusion: string;
        output: Record<string, unknown>;
      }[];
      expect(runs.find((r) => r.head_sha === h)).toEqual({
        external_id: '30',
        name: 'kapi-review',
        head_sha: h,
        status: 'completed',
        conclusion: 'neutral',
        output: {
          title: 'Too large to review',
          summary: [
            '**Too large to review**',
            '',
            `kapi-review did not review this pull request: the review took longer than its time budget of ${budget} s (limits.seconds).`,
            '',
            'Nothing of it was checked. The limits are set under `limits:` in `.github/kapi-review.yml`.',
          ].join('\n'),
          annotations: [],
        },
      });
      expect(runs.find((r) => r.head_sha === other.head)?.conclusion).toBe('failure');
      expect(api.reviewsOf(30)).toEqual([]);
      expect(pool.stats()).toMatchObject({ busy: 0, replaced: 1 });
    } finally {
      api.config = undefined;
      await busy.stop();
      await pool.close();
      filled.store.close();
    }
  }, 120_000);
});
