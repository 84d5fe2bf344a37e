import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const kapi = join(import.meta.dirname, '..', '..', 'fixtures', 'kapi');

/** A one-patch series (revision `rev`) that adds `path` with the text of a fixture. */
function newFilePatch(fixture: string, path: string, rev: number): string {
  const lines = readFileSync(join(kapi, fixture), 'utf8').replace(/\n$/, '').split('\n');
  return [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    'From: Ada Example <ada@example.org>',
    `Date: Mon, ${rev} Mar 2026 10:00:00 +0000`,
    `Subject: [PATCH v${rev}] frob: add sys_frob`,
    `Message-ID: <frob-v${rev}@example.org>`,
    '',
    'Adds frob.',
    '---',
    `diff --git a/${path} b/${path}`,
    'new file mode 100644',
    '--- /dev/null',
    `+++ b/${path}`,
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((l) => `+${l}`),
    '-- ',
    '2.43.0',
    '',
  ].join('\n');
}

describe('kapi-review spec-diff', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kapi-specdiff-'));
    writeFileSync(join(dir, 'v1.patch'), newFilePatch('frob.macro.c', 'kernel/frob.c', 1));
    writeFileSync(join(dir, 'v2.patch'), newFilePatch('../spec-diff/frob-v2.kd3.c', 'kernel/frob.c', 2));
    mkdirSync(join(dir, 'tree', 'kernel'), { recursive: true });
    writeFileSync(join(dir, 'tree', 'kernel', 'frob.c'), readFileSync(join(kapi, 'frob.kd2.c')));
  });

  it('lists the spec changes between two revisions of a series, with the code verdicts', async () => {
    const run = await runCli(['spec-diff', join(dir, 'v1.patch'), join(dir, 'v2.patch')]);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split('\n');
    expect(lines[0]).toBe('spec changes from frob: add sys_frob v1 to frob: add sys_frob v2');
    expect(lines[1]).toMatch(/^sys_frob \(kernel\/frob\.c:\d+, macro -> kerneldoc-3\): 11 changes$/);
    expect(lines).toContain('  ~ param len type: "uint" -> "int"');
    expect(lines.find((l) => l.includes('error EFAULT'))).toMatch(
      /; the code returns it \(kernel\/frob\.c:\d+: return -EFAULT;\)$/,
    );
    expect(lines).toContain(
      '  - error EPERM: caller lacks CAP_SYS_ADMIN; but the code still returns it (kernel/frob.c:108: return -EPERM;)',
    );
    expect(lines).toHaveLength(13);
  });

  it('compares a tree with a series by meaning: the kerneldoc-2 tree and the macro v1 agree', async () => {
    const same = await runCli(['spec-diff', join(dir, 'tree'), join(dir, 'v1.patch'), '--format', 'json']);
    expect(same.code).toBe(0);
    const json = JSON.parse(same.out) as { specs: { name: string; status: string; changes: unknown[] }[] };
    expect(json.specs.map((s) => [s.name, s.status, s.changes.length])).toEqual([['sys_frob', 'same', 0]]);
    const text = await runCli(['spec-diff', join(dir, 'tree'), join(dir, 'v2.patch')]);
    expect(text.out).toContain('kerneldoc-2 -> kerneldoc-3');
  });

  it("with --tree, a file only one side touches is the tree's on the other", async () => {
    const run = await runCli([
      'spec-diff',
      '--tree',
      join(dir, 'tree'),
      join(dir, 'v1.patch'),
      join(dir, 'v1.patch'),
    ]);
    expect(run.out.trimEnd().split('\n').slice(1)).toEqual(['1 spec unchanged']);
  });

  it('refuses what it cannot read (exit 2)', async () => {
    const missing = await runCli(['spec-diff', join(dir, 'nope.patch'), join(dir, 'v2.patch')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.patch');
    const badTree = await runCli([
      'spec-diff',
      '--tree',
      join(dir, 'v1.patch'),
      join(dir, 'v1.patch'),
      join(dir, 'v2.patch'),
    ]);
    expect(badTree.code).toBe(2);
    expect(badTree.err).toContain('not a directory');
    writeFileSync(join(dir, 'empty.txt'), 'hello\n');
    const noSeries = await runCli(['spec-diff', join(dir, 'empty.txt'), join(dir, 'v2.patch')]);
    expect(noSeries.code).toBe(2);
    expect(noSeries.err).toContain('no patch series');
  });
});
