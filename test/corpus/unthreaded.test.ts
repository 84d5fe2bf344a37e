import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { kernelTarballPresent, kernelTree } from '../../app/context/kernel-source.js';
import { parseMail } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries } from '../../parsers/series.js';
import { b4AmStyle, toMboxrd } from '../helpers/b4am.js';
import { corpusDir, corpusFiles, corpusPresent } from '../helpers/corpus.js';

/**
 * PATCH v4 as `b4 am -o -` hands it on (no cover letter, no In-Reply-To or References, made at
 * test time from the corpus mails) is one complete series, and `kapi-review check` on it gives
 * the findings of the threaded mails at the same lines: before, each of its 11 patches was a
 * series of its own, applied alone, and sys_write's finding moved from fs/read_write.c:1146 to
 * :845. The same holds for what the real b4 writes, when b4's source and Python packages are here.
 */
const withTree = kernelTarballPresent() || Boolean(process.env.KAPI_KERNEL_TREE);
if (corpusPresent && !withTree)
  console.warn('unthreaded corpus test: the --tree half is skipped (no linux-source-6.12)');
/** Debian's python3, which has the packages b4 needs (../shared/tools/README.md). */
const PYTHON = '/usr/bin/python3';
const b4Src = join(import.meta.dirname, '..', '..', '..', 'shared', 'tools', 'b4-0.15.2', 'src');
const b4Ready =
  existsSync(b4Src) && spawnSync(PYTHON, ['-c', 'import requests, dkim'], { stdio: 'ignore' }).status === 0;
if (corpusPresent && !b4Ready)
  console.warn(
    `unthreaded corpus test: the real-b4 case is skipped (needs ${b4Src} and Debian's python3-requests, python3-dkim)`,
  );

const work = mkdtempSync(join(tmpdir(), 'kapi-b4am-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Finding {
  check: string;
  path: string;
  line: number;
  messageId: string | null;
  spec: string | null;
  subject: string | null;
}

async function findings(input: string, tree: string | null): Promise<{ rows: string[]; series: unknown }> {
  let out = '';
  const argv = ['node', 'kapi-review', 'check', '--filter', 'none', '--format', 'json'];
  if (tree) argv.push('--tree', tree);
  await main([...argv, input], { out: (s) => (out += s), err: () => {} });
  const r = JSON.parse(out) as {
    series: { state: string; patches: unknown[] }[];
    findings: Finding[];
    outside: Finding[];
    errors: unknown[];
  };
  expect(r.errors).toEqual([]);
  const rows = [...r.findings, ...r.outside].map(
    (f) => `${f.path}:${f.line} ${f.check} ${f.spec ?? '-'} ${f.subject ?? '-'} <${f.messageId}>`,
  );
  return { rows: rows.sort(), series: r.series.map((s) => [s.state, s.patches.length]) };
}

describe.skipIf(!corpusPresent)('PATCH v4 without threading (b4 am -o -)', () => {
  const threaded = join(corpusDir, 'patch-v4');
  const am = join(work, 'patch-v4.am.mbox');
  if (corpusPresent) writeFileSync(am, b4AmStyle(corpusFiles('patch-v4').map((f) => f.bytes)));

  it('is one complete series of 11 patches', async () => {
    const mails = await Promise.all(
      splitMboxBuffer(readFileSync(am)).map(async (m) => (await parseMail(m.raw)).value),
    );
    expect(mails).toHaveLength(11);
    expect(mails.every((m) => m.inReplyTo === null && m.references.length === 0)).toBe(true);
    const { value, issues } = buildSeries(mails);
    expect(issues).toEqual([]);
    expect(value.series.map((s) => [s.revision, s.state.kind, s.cover, s.patches.length])).toEqual([
      [4, 'complete', null, 11],
    ]);
  });

  it('gives the findings of the threaded mails, hunks only', async () => {
    const [want, got] = [await findings(threaded, null), await findings(am, null)];
    expect(got.series).toEqual([['complete', 11]]);
    expect(got.rows).toEqual(want.rows);
  });

  it.skipIf(!withTree)(
    'gives the findings of the threaded mails at the same lines of the 6.12 tree',
    async () => {
      const t = await kernelTree();
      const [want, got] = [await findings(threaded, t.dir), await findings(am, t.dir)];
      expect(got.rows).toEqual(want.rows);
      expect(got.rows.some((r) => r.startsWith('fs/read_write.c:1146 kapi-errno-alias sys_write'))).toBe(
        true,
      );
    },
  );

  it.skipIf(!b4Ready)('does the same with what the real b4 am -o - writes', async () => {
    const thread = join(work, 'patch-v4.thread.mbox');
    writeFileSync(thread, toMboxrd(corpusFiles('patch-v4').map((f) => f.bytes)));
    const b4 = spawnSync(
      PYTHON,
      [
        '-c',
        'import sys, b4.command; sys.argv[0] = "b4"; b4.command.cmd()',
        '--offline-mode',
        'am',
        '-m',
        thread,
        '-o',
        '-',
      ],
      {
        env: { PATH: '/usr/bin:/bin', HOME: work, PYTHONPATH: b4Src },
        cwd: work,
        maxBuffer: 1 << 26,
      },
    );
    expect(b4.status, b4.stderr.toString()).toBe(0);
    const out = join(work, 'patch-v4.b4.mbox');
    writeFileSync(out, b4.stdout);
    expect(b4.stdout.toString('latin1')).not.toMatch(/^(In-Reply-To|References):/im);
    const [want, got] = [await findings(threaded, null), await findings(out, null)];
    expect(got.series).toEqual([['complete', 11]]);
    expect(got.rows).toEqual(want.rows);
  });
});
