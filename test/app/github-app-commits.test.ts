/**
 * The App reviews a pull request of several commits commit by commit, as the mail bot reviews a
 * series patch by patch: a finding names the commit that introduced it (in the inline comment and
 * the check run's summary), is anchored on the head's lines, and a later commit of the same pull
 * request that fixes it drops it. Through the real Probot server and the GitHub API stand-in.
 */
import { describe, expect, it } from 'vitest';
import { MAX_COMMITS } from '../../app/github/commits.js';
import {
  api,
  BASE,
  deliver,
  EINVAL,
  FIXED,
  manySyscalls,
  PLAIN,
  prEvent,
  runsSince,
  sha,
} from './github-app-env.js';

const INCLUDE = '#include <linux/syscalls.h>\n';
/** `text` with `lines` more #include lines after the syscalls one: what follows moves down. */
const withIncludes = (text: string, ...lines: string[]): string =>
  text.replace(INCLUDE, `${INCLUDE}${lines.map((l) => `#include <linux/${l}.h>\n`).join('')}`);

/** The undocumented `return -EINVAL;` of frob-einval.c, and its line there. */
const EINVAL_LINE = 42;
const SUBJECT_2 = 'frob: refuse unaligned ranges';

/** A 3-commit pull request on kernel/frob.c: c1 adds an include, c2 the undocumented -EINVAL, c3 `third`. */
function threeCommits(n: number, third: { message: string; frob: string }): string[] {
  const shas = [1, 2, 3].map((k) => sha(`pr${n}-c${k}`));
  const files = (frob: string) => ({ 'kernel/frob.c': frob, 'drivers/misc/plain.c': PLAIN });
  api.history(n, `frob change ${n}`, { sha: sha(`pr${n}-base`), files: files(BASE) }, [
    {
      sha: shas[0] as string,
      message: 'frob: include mm.h\n\nFor PAGE_MASK.',
      files: files(withIncludes(BASE, 'mm')),
    },
    {
      sha: shas[1] as string,
      message: `${SUBJECT_2}\n\nAn unaligned start used to be rounded down.\n\nSigned-off-by: Dev <dev@example.org>`,
      files: files(withIncludes(EINVAL, 'mm')),
    },
    { sha: shas[2] as string, message: third.message, files: files(third.frob) },
  ]);
  return shas;
}

function summaryOf(run: Record<string, unknown> | undefined): string {
  return ((run?.output ?? {}) as { summary?: string }).summary ?? '';
}

describe('the App attributes findings to commits', () => {
  it('drops a finding that commit 2 introduces and commit 3 fixes', async () => {
    const shas = threeCommits(60, { message: 'frob: document EINVAL', frob: withIncludes(FIXED, 'mm') });
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 60, shas[2] as string, sha('pr60-base')))).toBe(
      200,
    );
    // reviewed commit by commit: each commit's files were read
    expect(api.trace().filter((t) => t.includes('/commits/'))).toEqual(
      shas.map((s) => `GET /repos/kmirror/linux/commits/${s} 200`),
    );
    expect(api.reviewsOf(60)).toEqual([]);
    const runs = runsSince(before);
    expect(runs.map((r) => [r.conclusion, (r.output as { title: string }).title])).toEqual([
      ['success', 'No findings'],
    ]);
    expect(summaryOf(runs[0])).toContain('- reviewed commit by commit (3 commits)');
  });

  it('attributes a finding that commit 2 introduces and commit 3 keeps to commit 2, on the head lines', async () => {
    const shas = threeCommits(61, {
      message: 'frob: include capability.h',
      frob: withIncludes(EINVAL, 'mm', 'capability'),
    });
    const short = (shas[1] as string).slice(0, 12);
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', 61, shas[2] as string, sha('pr61-base')))).toBe(
      200,
    );
    // frob.c after commits 1 and 2 is read at those commits; after commit 3 it is the head image
    const refs = api.calls.filter((c) => c.path.endsWith('/contents/kernel/frob.c')).map((c) => c.query.ref);
    expect(refs.sort()).toEqual([shas[2], sha('pr61-base'), shas[0], shas[1]].sort());

    const reviews = api.reviewsOf(61);
    expect(reviews.map((r) => r.comments.map((c) => [c.path, c.line]))).toEqual([
      [['kernel/frob.c', EINVAL_LINE + 2]],
    ]);
    const body = reviews[0]?.comments[0]?.body ?? '';
    expect(body).toContain('**Error** `kapi-error-undocumented`: sys\\_frob can return -EINVAL here');
    expect(body).toContain(`\n\nIntroduced by \`${short}\` ${SUBJECT_2}.\n`);
    // the evidence is the head's too
    expect(body).toContain(`- code \`kernel/frob.c:${EINVAL_LINE + 2}\`: \`return -EINVAL;\``);

    const runs = runsSince(before);
    expect(runs.map((r) => r.conclusion)).toEqual(['failure']);
    expect(summaryOf(runs[0]).split('\n')).toContain(
      `- **Error** \`kapi-error-undocumented\` \`kernel/frob.c:${EINVAL_LINE + 2}\`: sys\\_frob can return -EINVAL here, but its spec does not list EINVAL (introduced by \`${short}\` ${SUBJECT_2})`,
    );
    const output = runs[0]?.output as { annotations: { start_line: number }[] } | undefined;
    expect(output?.annotations.map((a) => a.start_line)).toEqual([EINVAL_LINE + 2]);
  });

  it(`reviews a pull request of more than ${MAX_COMMITS} commits as one change, and says so`, async () => {
    const n = 62;
    const commits = Array.from({ length: MAX_COMMITS + 1 }, (_, k) => ({
      sha: sha(`pr${n}-c${k}`),
      message: `frob: step ${k}`,
      files: { 'kernel/frob.c': `${EINVAL}/* step ${k} */\n` },
    }));
    api.history(
      n,
      'frob: many steps',
      { sha: sha(`pr${n}-base`), files: { 'kernel/frob.c': BASE } },
      commits,
    );
    const head = commits[commits.length - 1]?.sha as string;
    const before = api.checkRuns.length;
    api.reset();
    expect(await deliver('pull_request', prEvent('opened', n, head, sha(`pr${n}-base`)))).toBe(200);
    expect(api.trace().filter((t) => t.includes('/commits/'))).toEqual([]);
    const comments = api.reviewsOf(n).flatMap((r) => r.comments);
    expect(comments.map((c) => [c.path, c.line])).toEqual([['kernel/frob.c', EINVAL_LINE]]);
    expect(comments[0]?.body).not.toContain('Introduced by');
    const summary = summaryOf(runsSince(before)[0]);
    expect(summary).toContain(
      `- reviewed as one change from the base to the head, not commit by commit: it has more than ${MAX_COMMITS} commits`,
    );
    expect(summary).not.toContain('introduced by');
  });

  it('reviews as one change a pull request whose commits are over a limit that the whole is within', async () => {
    // commit 1 adds twenty specs that commit 2 takes out again: only commit 1's image is over
    const n = 63;
    const big = `${BASE}\n${manySyscalls(20, false)}`;
    api.history(n, 'frob: detour', { sha: sha(`pr${n}-base`), files: { 'kernel/frob.c': BASE } }, [
      { sha: sha(`pr${n}-c1`), message: 'frob: many more', files: { 'kernel/frob.c': big } },
      { sha: sha(`pr${n}-c2`), message: 'frob: fewer again', files: { 'kernel/frob.c': EINVAL } },
    ]);
    api.config = 'limits:\n  spec-entries: 40\n';
    try {
      const before = api.checkRuns.length;
      api.reset();
      expect(await deliver('pull_request', prEvent('opened', n, sha(`pr${n}-c2`), sha(`pr${n}-base`)))).toBe(
        200,
      );
      const comments = api.reviewsOf(n).flatMap((r) => r.comments);
      expect(comments.map((c) => [c.path, c.line])).toEqual([['kernel/frob.c', EINVAL_LINE]]);
      expect(comments[0]?.body).not.toContain('Introduced by');
      const summary = summaryOf(runsSince(before)[0]);
      expect(summary).toMatch(
        /- reviewed as one change from the base to the head, not commit by commit \(too large to review: kernel\/frob\.c after [0-9a-f]{12} frob: many more has \d+ spec entries/,
      );
      expect(summary).not.toContain('reviewed commit by commit');
    } finally {
      api.config = undefined;
    }
  });
});
