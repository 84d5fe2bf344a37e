import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { applyHunks } from '../../app/context/apply.js';
import {
  buildPostImages,
  changedLines,
  gitBlobId,
  isDiffBase,
  type PatchInput,
  shiftedLines,
  type TreeReader,
} from '../../app/context/postimage.js';
import { directoryTree, openTree, safeJoin } from '../../app/context/tree.js';
import { type FileDiff, parseDiff } from '../../parsers/diff.js';
import { parseMail } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries } from '../../parsers/series.js';
import { gitDiff, makeMail, patchBody } from '../helpers/mailgen.js';

const root = join(import.meta.dirname, '..', '..');
const treeDir = join(root, 'fixtures', 'tree-frob');

async function seriesInputs(mbox: string): Promise<{ inputs: PatchInput[]; base: string | null }> {
  const mails = await Promise.all(
    splitMboxBuffer(readFileSync(join(root, 'fixtures', 'mail', mbox))).map(
      async (m) => (await parseMail(m.raw)).value,
    ),
  );
  const s = buildSeries(mails).value.series[0];
  if (!s) throw new Error('no series');
  return {
    inputs: s.patches.map((p) => ({
      messageId: p.mail.messageId,
      label: `${p.counter}/${s.expected}`,
      files: p.mail.files,
    })),
    base: s.baseCommit,
  };
}

function memTree(files: Record<string, string>): TreeReader {
  return { read: async (p) => files[p] ?? null, describe: () => 'memory' };
}

describe('buildPostImages', () => {
  it('applies a whole series to the tree, patch after patch, and verifies the base blob', async () => {
    const { inputs } = await seriesInputs('base-frob-v1.mbox');
    const { patches, issues } = await buildPostImages(inputs, directoryTree(treeDir));
    expect(issues).toEqual([]);
    expect(patches.map((p) => p.files.map((f) => f.mode))).toEqual([['full'], ['full'], ['full']]);
    const [p1, p2, p3] = patches.map((p) => p.files[0]);
    const [d1, d2, d3] = inputs.map((p) => p.files[0]) as [FileDiff, FileDiff, FileDiff];
    expect(isDiffBase(p1?.pre ?? '', d1)).toBe(true);
    expect(p1?.pre).toBe(readFileSync(join(treeDir, 'kernel', 'frob.c'), 'utf8'));
    // each patch starts from the previous one's result; the blob ids of the index lines agree
    expect(p2?.pre).toBe(p1?.post);
    expect(isDiffBase(p2?.pre ?? '', d2)).toBe(true);
    expect(isDiffBase(p3?.pre ?? '', d3)).toBe(true);
    // the tree's file is not the base the second patch names
    expect(isDiffBase(p1?.pre ?? '', d2)).toBe(false);
    expect(p3?.post).toContain('DEFINE_KERNEL_API_SPEC(sys_frob)');
    expect(p3?.post).toContain(
      '\tif (!capable(CAP_SYS_ADMIN))\n\t\treturn -EPERM;\n\treturn frob_range(start, len);',
    );
    // the fragment of the last hunk sits at the right lines of the full post-image
    const post = (p3?.post ?? '').split('\n');
    for (const fr of p3?.fragments ?? [])
      expect(post.slice(fr.startLine - 1, fr.startLine - 1 + fr.lines.length)).toEqual(fr.lines);
  });

  it('without a tree keeps only the hunks, and says so', async () => {
    const { inputs } = await seriesInputs('base-frob-v1.mbox');
    const { patches } = await buildPostImages(inputs, null);
    const f = patches[0]?.files[0];
    expect(f?.mode).toBe('hunks');
    expect(f?.post).toBeNull();
    expect(f?.notes).toEqual(['no kernel tree given: only the hunks are known']);
    expect(f?.fragments[0]?.lines).toContain('#define FROB_MAX_LEN\t(1UL << 30)');
  });

  it('names the hunk that does not apply and goes on in diff-only mode for that file', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const after = lines.map((l, i) => (i === 1 || i === 17 ? l.toUpperCase() : l));
    const diff = gitDiff('a.c', `${lines.join('\n')}\n`, `${after.join('\n')}\n`);
    const mail = (
      await parseMail(
        makeMail({ subject: '[PATCH] a', body: patchBody('x\n\nSigned-off-by: A <a@x.org>', diff) }),
      )
    ).value;
    expect(mail.files[0]?.hunks).toHaveLength(2);
    const drifted = lines.map((l, i) => (i === 16 ? 'drifted' : l));
    const tree = memTree({ 'a.c': `${drifted.join('\n')}\n` });
    const { patches, issues } = await buildPostImages(
      [{ messageId: 'm', label: '1/1', files: mail.files }],
      tree,
    );
    expect(patches[0]?.files[0]?.mode).toBe('hunks');
    expect(issues.map((i) => i.code)).toEqual(['context-hunk-failed']);
    expect(issues[0]?.message).toMatch(/hunk 2 \(@@ -15,6 \+15,6 @@\) does not apply/);
  });

  it('creates new files without a tree and follows renames', async () => {
    const created = (
      await parseMail(
        makeMail({
          subject: '[PATCH 1/2] n',
          body: patchBody(
            'x\n\nSigned-off-by: A <a@x.org>',
            gitDiff('new.c', '', 'int x;\n').replace(
              'index 1111111..2222222 100644',
              'new file mode 100644\nindex 0000000..2222222',
            ),
          ),
        }),
      )
    ).value;
    const renamed = (
      await parseMail(
        makeMail({
          subject: '[PATCH 2/2] r',
          body: patchBody(
            'x\n\nSigned-off-by: A <a@x.org>',
            'diff --git a/new.c b/moved.c\nsimilarity index 100%\nrename from new.c\nrename to moved.c\n',
          ),
        }),
      )
    ).value;
    expect(created.files[0]?.status).toBe('added');
    const { patches } = await buildPostImages(
      [
        { messageId: '1', label: '1/2', files: created.files },
        { messageId: '2', label: '2/2', files: renamed.files },
      ],
      null,
    );
    expect(patches[0]?.files[0]).toMatchObject({ mode: 'full', post: 'int x;\n' });
    expect(patches[1]?.files[0]).toMatchObject({ path: 'moved.c', mode: 'full', post: 'int x;\n' });
  });

  it('computes git blob ids', () => {
    expect(gitBlobId('')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(gitBlobId('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });
});

describe('trees', () => {
  it('refuses paths that leave the tree', () => {
    expect(safeJoin('/t', '../etc/passwd')).toBeNull();
    expect(safeJoin('/t', 'a/../../x')).toBeNull();
    expect(safeJoin('/t', 'mm/mlock.c')).toBe('/t/mm/mlock.c');
  });

  it('reads a git checkout at base-commit, not its working tree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapi-tree-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, '-c', 'user.name=T', '-c', 'user.email=t@x', ...args], {
        encoding: 'utf8',
      }).trim();
    git('init', '-q');
    writeFileSync(join(dir, 'f.c'), 'base\n');
    git('add', '.');
    git('commit', '-qm', 'base');
    const base = git('rev-parse', 'HEAD');
    writeFileSync(join(dir, 'f.c'), 'later\n');
    git('commit', '-qam', 'later');
    const at = await openTree(dir, base);
    expect(at.note).toBeNull();
    expect(await at.tree.read('f.c')).toBe('base\n');
    const missing = await openTree(dir, 'a'.repeat(40));
    expect(missing.note).toMatch(/is not in/);
    expect(await missing.tree.read('f.c')).toBe('later\n');
  });
});

describe('changedLines', () => {
  it('numbers added lines in the image actually built, wherever the hunk applied', async () => {
    const { changedLines } = await import('../../app/context/postimage.js');
    const pre = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');
    const post = pre.replace('line 30', 'new a\nnew b\nline 30');
    expect(changedLines(pre, post)).toEqual({ added: [30, 31], hunks: [{ start: 27, end: 34 }] });
    expect(changedLines(pre, pre)).toEqual({ added: [], hunks: [] });
  });
});

describe('changedLines of a new file', () => {
  it('counts every line as added, with or without a final newline', async () => {
    const { changedLines } = await import('../../app/context/postimage.js');
    expect(changedLines('', 'a\nb\n')).toEqual({ added: [1, 2], hunks: [{ start: 1, end: 2 }] });
    expect(changedLines('', 'a\nb')).toEqual({ added: [1, 2], hunks: [{ start: 1, end: 2 }] });
  });
});

describe('shiftedLines: a hunk that fitted exactly at an offset is numbered without a diff', () => {
  const base = Array.from({ length: 60 }, (_, i) => `int v${i + 1};`);
  const edited = [...base];
  edited.splice(40, 1, 'int w40;', 'int w41;');
  edited.splice(10, 0, 'int added;');
  const diff = parseDiff(
    createTwoFilesPatch(
      'a/kernel/x.c',
      'b/kernel/x.c',
      `${base.join('\n')}\n`,
      `${edited.join('\n')}\n`,
      undefined,
      undefined,
      { context: 3 },
    ),
  ).value.files[0] as FileDiff;

  it('gives what a diff of the images gives, wherever the hunks landed', () => {
    const moved = `${['/* one */', '/* two */', '/* three */', ...base].join('\n')}\n`;
    const { post, starts } = applyHunks(moved, diff.hunks);
    expect(diff.hunks.length).toBe(2);
    expect(starts).toEqual(diff.hunks.map((h) => h.newStart + 3));
    expect(shiftedLines(diff, starts ?? [])).toEqual(changedLines(moved, post ?? ''));
    // where it was made, the hunks' own numbers
    const here = applyHunks(`${base.join('\n')}\n`, diff.hunks);
    expect(here.starts).toEqual(diff.hunks.map((h) => h.newStart));
  });

  it('says nothing when a hunk only fitted with fuzz (then the images are diffed)', () => {
    const fuzzy = [...base];
    fuzzy[8] = 'int changed_context;';
    const r = applyHunks(`${fuzzy.join('\n')}\n`, diff.hunks);
    expect(r.post).not.toBeNull();
    expect(r.starts).toBeNull();
  });
});
