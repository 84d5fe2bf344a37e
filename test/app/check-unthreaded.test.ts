import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { b4AmStyle } from '../helpers/b4am.js';

/**
 * `kapi-review check` on mail without threading headers gives what it gives on the threaded
 * mails: the patches are one series, applied in order, so each finding is at the same line.
 */
const TREE = 'fixtures/tree-frob';
const dir = mkdtempSync(join(tmpdir(), 'kapi-unthreaded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  series: { state: string; patches: unknown[] }[];
  findings: Record<string, unknown>[];
  outside: unknown[];
  errors: unknown[];
}

async function check(file: string): Promise<Report> {
  let out = '';
  await main(['node', 'kapi-review', 'check', '--tree', TREE, '--format', 'json', '--filter', 'none', file], {
    out: (s) => (out += s),
    err: () => {},
  });
  return JSON.parse(out) as Report;
}

describe('kapi-review check on mail without threading', () => {
  it('b4 am output of the frob series: one series, the same findings at the same lines', async () => {
    const threaded = 'fixtures/mail/base-frob-v1.mbox';
    const am = join(dir, 'frob-v1.am.mbox');
    writeFileSync(am, b4AmStyle(splitMboxBuffer(readFileSync(threaded)).map((m) => m.raw)));
    const [want, got] = [await check(threaded), await check(am)];
    expect(got.series.map((s) => [s.state, s.patches.length])).toEqual([['complete', 3]]);
    expect(got.errors).toEqual([]);
    // the spec of 2/3 at line 21 (after 1/3) and the -EPERM of 3/3 at line 55 (after 1/3 and 2/3)
    expect(got.findings.map((f) => `${f.path}:${f.line} ${f.check}`)).toEqual([
      'kernel/frob.c:21 kapi-deprecated-form',
      'kernel/frob.c:55 kapi-error-undocumented',
    ]);
    expect(got.findings).toEqual(want.findings);
    expect(got.outside).toEqual(want.outside);
  });

  it('format-patch with a cover letter by another From: one series, as with --thread', async () => {
    const [plain, thread] = [
      await check('fixtures/mail/base-cover-author.mbox'),
      await check('fixtures/mail/base-cover-author-thread.mbox'),
    ];
    expect(plain.series.map((s) => [s.state, s.patches.length])).toEqual([['complete', 2]]);
    expect(thread.series.map((s) => [s.state, s.patches.length])).toEqual([['complete', 2]]);
    // without --thread there is no Message-ID to name; everything else is the same
    const noId = (r: Report) => r.findings.map((f) => ({ ...f, messageId: null }));
    expect(noId(plain)).toEqual(noId(thread));
    expect(plain.findings.map((f) => `${f.path}:${f.line} ${f.check} ${f.subject}`)).toEqual([
      'kernel/frob.c:47 kapi-error-undocumented E2BIG',
    ]);
  });
});
