/**
 * The GitHub App end to end: Probot's own runner and HTTP server (`run` from probot, configured
 * through the environment exactly as `npm start` is), signed webhooks over HTTP, and the app
 * talking to a GitHub API stand-in on loopback (GHE_HOST/GHE_PROTOCOL, /api/v3) that records every
 * call. The throttling plugin's pacing between writes is shortened for the test; its retry logic
 * and Probot's retry plugin are the real ones.
 */

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { FRAMEWORK_PATHS, roleOf } from '../../parsers/kapi/framework.js';
import { readMarkers } from '../../reporters/github.js';
import { githubPatch } from '../helpers/github-api.js';
import {
  api,
  applyFrobSpecs,
  BASE,
  command,
  deliver,
  EINVAL,
  EINVAL_ANNOTATION,
  EINVAL_COMMENT,
  EINVAL_FP,
  EINVAL_MARKER,
  EINVAL_SUMMARY_LINE,
  FIXED,
  failingRun,
  frobPull,
  GIZMO,
  GIZMO_LEAKS,
  GIZMO_UNREAD,
  manySyscalls,
  PLAIN,
  prEvent,
  runsSince,
  sentBodies,
  sha,
} from './github-app-env.js';

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
      // one commit: nothing to attribute, so no commit is read
      'GET /repos/kmirror/linux/pulls/1/commits 200',
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
          // the fix documents EINVAL: the spec change, base vs head, and that the code agrees
          '**Spec changes** (base -> head)',
          '',
          '```diff',
          '@@ sys_frob (kernel/frob.c:9, kerneldoc-3): 1 change @@',
          '+ error EINVAL: start is not page aligned; the code returns it (kernel/frob.c:45: return -EINVAL;)',
          '```',
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
