/**
 * The GitHub App end to end under hostile input: floods and malformed deliveries at the webhook,
 * the dashboard served under the App, a pull request that takes a long review, and `npm start`
 * without credentials (github-app-env.ts runs the App as github-app.test.ts does).
 */

import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Bottleneck from 'bottleneck';
import { run } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../app/github/app.js';
import { createOctokit } from '../../app/github/octokit.js';
import { SettingsError } from '../../app/github/settings.js';
import { type StartedApp, startApp } from '../../app/github/start.js';
import { createReviewPool } from '../../app/review/pool.js';
import { reviewedStore } from '../helpers/dashboard-store.js';
import { slowCFile, until } from '../helpers/hostile.js';
import {
  api,
  appEnv,
  BASE,
  deliver,
  EINVAL,
  EINVAL_COMMENT,
  expectNoInternals,
  freePort,
  frobPull,
  post,
  prEvent,
  REPO,
  runsSince,
  SECRET,
  sha,
  streamBody,
  webhookUrl,
} from './github-app-env.js';

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
      [
        { KAPI_REVIEW_CACHE: 'relative/cache' },
        /^KAPI_REVIEW_CACHE: not an absolute path or `off`: relative\/cache$/,
      ],
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

describe('the cache of the App started as `npm start` starts it', () => {
  it('keeps what its reviews parsed in KAPI_REVIEW_CACHE, and nothing on disk with `off`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapi-gh-cache-'));
    const folder = join(dir, 'cache');
    const files = (d: string): number =>
      existsSync(d)
        ? readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
        : 0;
    const runs: [Record<string, string>, number][] = [
      [{ KAPI_REVIEW_CACHE: folder }, 40],
      [{ KAPI_REVIEW_CACHE: 'off', XDG_CACHE_HOME: join(dir, 'xdg-off') }, 41],
      [{ XDG_CACHE_HOME: join(dir, 'xdg') }, 42],
    ];
    for (const [extra, n] of runs) {
      const port = await freePort();
      const app = await startApp({ env: { ...appEnv(port), ...extra } });
      try {
        const pr = frobPull(n, EINVAL);
        const url = `http://127.0.0.1:${port}/api/github/webhooks`;
        expect(
          await deliver('pull_request', prEvent('opened', n, pr.head, pr.base), SECRET, undefined, url),
        ).toBe(200);
        await until(() => api.reviewsOf(n).length > 0, 60_000, `the review of PR ${n}`);
      } finally {
        await app.server.stop();
      }
    }
    // the named folder and the default one under XDG_CACHE_HOME got entries; `off` wrote none
    expect(files(folder)).toBeGreaterThan(0);
    expect(files(join(dir, 'xdg', 'kapi-review'))).toBeGreaterThan(0);
    expect(readdirSync(dir).sort()).toEqual(['cache', 'xdg']);
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
