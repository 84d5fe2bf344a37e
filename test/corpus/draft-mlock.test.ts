/**
 * The issue's Done-when for `draft`: on the Debian 6.12 tree (no KAPI framework, so the latest
 * known posting's), the drafts of sys_mlockall and sys_munlockall, put above their syscalls in
 * mm/mlock.c, parse with no issue and draw no finding from any check; then the same through
 * `kapi-review check --tree` on a patch that adds both drafts, as a user would send them.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { kernelTree } from '../../app/context/kernel-source.js';
import { latestBuiltin } from '../../parsers/kapi/frameworks.js';
import { insertAndCheck, runDraft } from '../helpers/draft.js';
import { gitDiff } from '../helpers/mailgen.js';

const found = await kernelTree().catch((e: unknown) => ({ dir: null, reason: String(e) }));
if (!found.dir) console.warn(`draft-mlock corpus test skipped: ${found.reason}`);
const tree = found.dir ?? '';

describe.skipIf(!found.dir)('kapi-review draft on linux-source-6.12 mm/mlock.c', () => {
  const drafts: Record<string, string> = {};
  let mlock = '';

  beforeAll(async () => {
    const { readFileSync } = await import('node:fs');
    mlock = readFileSync(join(tree, 'mm', 'mlock.c'), 'utf8');
    for (const fn of ['sys_mlockall', 'sys_munlockall']) {
      const r = await runDraft([fn, '--tree', tree]);
      expect(r.err).toMatch(new RegExp(`${fn} in mm/mlock\\.c:\\d+: .*kerneldoc-3 form`));
      expect(r.code).toBe(0);
      drafts[fn] = r.out;
    }
  }, 120_000);

  it('sys_mlockall: four errors, each with the guard from the code; no issue, no finding', async () => {
    const r = await insertAndCheck(
      mlock,
      'mm/mlock.c',
      'sys_mlockall',
      drafts.sys_mlockall ?? '',
      latestBuiltin(),
    );
    expect(r.issues).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(r.spec?.params.map((p) => p.name)).toEqual(['flags']);
    expect(r.spec?.errors.map((e) => [e.code, e.condition])).toEqual([
      ['EINTR', 'mmap_write_lock_killable(current->mm)'],
      ['EINVAL', '!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT'],
      [
        'ENOMEM',
        '!(!(flags & MCL_CURRENT) || (current->mm->total_vm <= lock_limit) || capable(CAP_IPC_LOCK))',
      ],
      ['EPERM', '!can_do_mlock()'],
    ]);
  });

  it('sys_munlockall: EINTR alone; no issue, no finding', async () => {
    const r = await insertAndCheck(
      mlock,
      'mm/mlock.c',
      'sys_munlockall',
      drafts.sys_munlockall ?? '',
      latestBuiltin(),
    );
    expect(r.issues).toEqual([]);
    expect(r.findings).toEqual([]);
    expect(r.spec?.params).toEqual([]);
    expect(r.spec?.errors.map((e) => e.code)).toEqual(['EINTR']);
  });

  it('a patch adding both drafts passes `kapi-review check --tree`', async () => {
    let withDrafts = mlock;
    for (const [fn, draft] of Object.entries(drafts)) {
      const anchor = `SYSCALL_DEFINE${fn === 'sys_mlockall' ? '1(mlockall' : '0(munlockall'}`;
      expect(withDrafts.split(anchor)).toHaveLength(2);
      withDrafts = withDrafts.replace(anchor, `${draft}${anchor}`);
    }
    const work = mkdtempSync(join(tmpdir(), 'kapi-draft-'));
    mkdirSync(join(work, 'mm'));
    writeFileSync(join(work, 'mm', 'mlock.c'), mlock);
    const diff = gitDiff('mm/mlock.c', mlock, withDrafts);
    const mail = [
      'From: Ada Example <ada@example.org>',
      'Date: Mon, 2 Mar 2026 10:00:00 +0000',
      'Subject: [PATCH] mm/mlock: specs for mlockall and munlockall, drafted from the code',
      'Message-ID: <draft-mlock@example.org>',
      '',
      'Signed-off-by: Ada Example <ada@example.org>',
      '---',
      'diff --git a/mm/mlock.c b/mm/mlock.c',
      diff.trimEnd(),
      '-- ',
      '2.43.0',
      '',
    ].join('\n');
    writeFileSync(join(work, 'draft.mbox'), mail);
    let out = '';
    const code = await main(
      [
        'node',
        'kapi-review',
        'check',
        '--tree',
        work,
        '--filter',
        'none',
        '--format',
        'json',
        join(work, 'draft.mbox'),
      ],
      { out: (s) => (out += s), err: () => {} },
    );
    const report = JSON.parse(out) as { findings: { check: string }[]; outside: { check: string }[] };
    expect([...report.findings, ...report.outside]).toEqual([]);
    expect(code).toBe(0);
  });
});
