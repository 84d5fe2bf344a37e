/**
 * Post-images at many hunks: one C file of `--lines` lines (default 40,000) and a patch that
 * changes one line in each of N hunks (1,000, 4,000 and 10,000; one line of context either side),
 * applied the way `check --tree` does (buildPostImages on a tree; also on the file with 50 more
 * lines above, so that every hunk is found by a search) and read the way `check` without a tree
 * does (the unit of the checks, built from the hunks). Each figure is the median of
 * `--runs` runs next to baselines measured in the same run:
 *
 * - the old way, hunk by hunk over the whole text (jsdiff's applyPatch once per hunk, and each
 *   hunk parsed after as many empty lines as its start line), at every size up to
 *   `--baseline-max` hunks (default 4,000: the old way takes tens of seconds at 10,000);
 * - one pass over the file: splitting it into lines and joining them again, the least any
 *   post-image costs.
 *
 * Then the line diff changedLines runs when a hunk did not fit at its own lines: on the images
 * `check --tree` builds for the corpus series (../shared/corpus, or --corpus DIR) on the 6.12 tree
 * (--tree DIR, else Debian's linux-source when extracted), parsers/text/line-diff.ts next to jsdiff's
 * structuredPatch (the old changedLines), interleaved in each of `--diff-runs` runs (default 9),
 * over every image a patch changed and over those whose hunks needed fuzz (the ones check diffs).
 *
 *   npm run bench:postimage [-- --quick] [-- --runs 5] [-- --lines 40000] [-- --baseline-max 4000]
 *     [-- --diff-runs 9] [-- --corpus DIR] [-- --tree DIR]
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTree } from '../app/context/kernel-source.js';
import { buildPostImages, changedLines } from '../app/context/postimage.js';
import { directoryTree } from '../app/context/tree.js';
import { buildUnit } from '../checks/unit.js';
import { findSyscalls } from '../parsers/c/preprocess.js';
import type { FileDiff } from '../parsers/diff.js';
import { parseKerneldocSpecs } from '../parsers/kapi/kerneldoc.js';
import { parseMacroSpecs } from '../parsers/kapi/macro.js';
import { parseMailSync } from '../parsers/mail.js';
import { arg, flag, machine, median, recordResults, time } from './common.js';
import { applyFileDiffPerHunk, changedLinesJsdiff } from './postimage-baseline.js';

function makeCase(lineCount: number, hunks: number): { pre: string; file: FileDiff } {
  const lines = Array.from({ length: lineCount }, (_, i) => `\tint v${i} = ${i};`);
  const step = Math.floor(lineCount / hunks);
  if (step < 3) throw new Error(`${hunks} hunks of 3 lines do not fit in ${lineCount} lines`);
  let diff =
    'diff --git a/kernel/big.c b/kernel/big.c\nindex 1111111..2222222 100644\n--- a/kernel/big.c\n+++ b/kernel/big.c\n';
  for (let k = 0; k < hunks; k++) {
    const at = k * step + 2; // the changed line, 1-based
    diff += `@@ -${at - 1},3 +${at - 1},3 @@\n ${lines[at - 2]}\n-${lines[at - 1]}\n+\tint v${at - 1} = -1;\n ${lines[at]}\n`;
  }
  const mail = parseMailSync(
    `From: A <a@example.org>\nSubject: [PATCH] big: change ${hunks} lines\nMessage-ID: <big@example.org>\n\nx\n\nSigned-off-by: A <a@example.org>\n---\n${diff}-- \n2.40.0\n`,
  ).value;
  const file = mail.files[0];
  if (!file || file.hunks.length !== hunks) throw new Error('the generated patch did not parse');
  return { pre: `${lines.join('\n')}\n`, file };
}

/** The old hunks-only unit: each fragment parsed after as many empty lines as its start line. */
function paddedSpecs(file: FileDiff): number {
  let n = 0;
  for (const h of file.hunks) {
    const text =
      '\n'.repeat(Math.max(0, h.newStart - 1)) +
      h.lines
        .filter((l) => l.kind !== 'del')
        .map((l) => l.text)
        .join('\n');
    n += parseMacroSpecs(text, file.path).value.length + parseKerneldocSpecs(text, file.path).value.length;
    n += findSyscalls(text).syscalls.length;
  }
  return n;
}

const project = fileURLToPath(new URL('../..', import.meta.url));

interface LineDiffFigures {
  series: string[];
  images: number;
  lines: number;
  fuzzed: number;
  runs: number;
  jsdiffMs: number;
  newMs: number;
  ratio: number;
  fuzzedJsdiffMs: number;
  fuzzedNewMs: number;
  fuzzedRatio: number;
}

/** The pre- and post-images of every file the corpus patches change on the tree; `fuzzed`: no hunkStarts. */
async function corpusImages(
  corpus: string,
  tree: string,
  names: string[],
): Promise<{ pre: string; post: string; fuzzed: boolean }[]> {
  const out: { pre: string; post: string; fuzzed: boolean }[] = [];
  for (const name of names) {
    const dir = join(corpus, name);
    const inputs = readdirSync(dir)
      .filter((f) => f.endsWith('.txt'))
      .sort()
      .map((f) => {
        const mail = parseMailSync(readFileSync(join(dir, f), 'utf8')).value;
        return { messageId: null, label: f, files: mail.files };
      })
      .filter((p) => p.files.length > 0);
    const images = await buildPostImages(inputs, directoryTree(tree));
    for (const p of images.patches)
      for (const f of p.files)
        if (f.mode === 'full' && f.pre && f.post !== null && f.pre !== f.post)
          out.push({ pre: f.pre, post: f.post, fuzzed: f.hunkStarts === undefined });
  }
  return out;
}

/** jsdiff's structuredPatch (the old changedLines) and parsers/text/line-diff.ts on the corpus images. */
async function lineDiffs(quick: boolean): Promise<LineDiffFigures | null> {
  const corpus = arg('corpus', join(project, '..', 'shared', 'corpus'));
  const names = ['rfc-v2', 'rfc-v3', 'patch-v4'].filter((s) => existsSync(join(corpus, s)));
  const given = arg('tree', '');
  const tree = given || (await kernelTree()).dir;
  if (names.length === 0 || !tree) {
    console.log(
      `line diff of the corpus images skipped: needs ${corpus} and the 6.12 tree (--corpus, --tree)`,
    );
    return null;
  }
  const images = await corpusImages(corpus, tree, names);
  const fuzzed = images.filter((i) => i.fuzzed);
  for (const { pre, post } of images)
    if (JSON.stringify(changedLines(pre, post)) !== JSON.stringify(changedLinesJsdiff(pre, post)))
      throw new Error('the line diff and jsdiff disagree on a corpus image');
  const runs = Number(arg('diff-runs', quick ? '3' : '9'));
  const all = (fn: typeof changedLines, set: typeof images) => () => {
    let n = 0;
    for (const { pre, post } of set) n += fn(pre, post).added.length;
    return n;
  };
  const t = {
    old: [] as number[],
    now: [] as number[],
    fuzzedOld: [] as number[],
    fuzzedNow: [] as number[],
  };
  // both once before timing, then interleaved, the order swapped each run
  all(changedLinesJsdiff, images)();
  all(changedLines, images)();
  for (let r = 0; r < runs; r++) {
    const pairs: [number[], () => number][] = [
      [t.old, all(changedLinesJsdiff, images)],
      [t.now, all(changedLines, images)],
      [t.fuzzedOld, all(changedLinesJsdiff, fuzzed)],
      [t.fuzzedNow, all(changedLines, fuzzed)],
    ];
    if (r % 2 === 1) pairs.reverse();
    for (const [into, fn] of pairs) into.push((await time(fn)).ms);
  }
  const m = (xs: number[]) => +median(xs).toFixed(2);
  const figures: LineDiffFigures = {
    series: names,
    images: images.length,
    lines: images.reduce((n, i) => n + i.post.split('\n').length, 0),
    fuzzed: fuzzed.length,
    runs,
    jsdiffMs: m(t.old),
    newMs: m(t.now),
    ratio: +(median(t.old) / median(t.now)).toFixed(1),
    fuzzedJsdiffMs: m(t.fuzzedOld),
    fuzzedNewMs: m(t.fuzzedNow),
    fuzzedRatio: +(median(t.fuzzedOld) / median(t.fuzzedNow)).toFixed(1),
  };
  console.log(
    `line diff of the ${figures.images} images the corpus patches change (${figures.lines} lines; ${names.join(', ')}), median of ${runs}: ` +
      `jsdiff ${figures.jsdiffMs} ms, parsers/text/line-diff ${figures.newMs} ms (${figures.ratio}x); ` +
      `the ${figures.fuzzed} that check diffs: ${figures.fuzzedJsdiffMs} ms vs ${figures.fuzzedNewMs} ms (${figures.fuzzedRatio}x)`,
  );
  return figures;
}

async function main(): Promise<void> {
  const quick = flag('quick');
  const runs = Number(arg('runs', quick ? '1' : '5'));
  const lineCount = Number(arg('lines', quick ? '10000' : '40000'));
  const sizes = quick ? [500, 2000] : [1000, 4000, 10000];
  const baselineMax = Number(arg('baseline-max', quick ? '2000' : '4000'));
  const m = machine();
  console.log(
    `one file of ${lineCount} lines, one-line hunks; median of ${runs} runs; ${m.cpus} x ${m.cpu}, node ${m.node}`,
  );
  const rows: Record<string, number | null>[] = [];
  {
    // warm-up: compile the paths measured below, so the first size does not pay for it
    const { pre, file } = makeCase(lineCount, sizes[0] as number);
    const images = await buildPostImages([{ messageId: 'w', label: 'w', files: [file] }], {
      read: async () => pre,
      describe: () => 'memory',
    });
    const fragments = images.patches[0]?.files[0]?.fragments ?? [];
    buildUnit({ path: file.path, mode: 'hunks', post: null, fragments, diff: file }, null);
  }
  for (const hunks of sizes) {
    const { pre, file } = makeCase(lineCount, hunks);
    const tree = { read: async () => pre, describe: () => 'memory' };
    // the tree's file with 50 lines the patch's base did not have: every hunk found by a search
    const off = `${Array.from({ length: 50 }, (_, i) => `\tint extra${i};`).join('\n')}\n${pre}`;
    const offTree = { read: async () => off, describe: () => 'memory' };
    const input = [{ messageId: 'big@example.org', label: 'big', files: [file] }];
    const onePass: number[] = [];
    const withTree: number[] = [];
    const withOffset: number[] = [];
    const hunksOnly: number[] = [];
    const oldTree: number[] = [];
    const oldHunks: number[] = [];
    let want = '';
    for (let r = 0; r < runs; r++) {
      onePass.push((await time(() => pre.split('\n').join('\n'))).ms);
      const t = await time(() => buildPostImages(input, tree));
      withTree.push(t.ms);
      want = t.result.patches[0]?.files[0]?.post ?? '';
      const o = await time(() => buildPostImages(input, offTree));
      if (o.result.patches[0]?.files[0]?.mode !== 'full') throw new Error('the offset hunks did not apply');
      withOffset.push(o.ms);
      const fragments = t.result.patches[0]?.files[0]?.fragments ?? [];
      hunksOnly.push(
        (
          await time(() =>
            buildUnit({ path: file.path, mode: 'hunks', post: null, fragments, diff: file }, null),
          )
        ).ms,
      );
      if (hunks <= baselineMax) {
        const old = await time(() => applyFileDiffPerHunk(pre, file));
        if (old.result.post !== want) throw new Error('the old and the new post-image differ');
        oldTree.push(old.ms);
        oldHunks.push((await time(() => paddedSpecs(file))).ms);
      }
    }
    const row = {
      hunks,
      lines: lineCount,
      onePassMs: +median(onePass).toFixed(2),
      treeMs: +median(withTree).toFixed(1),
      treeOffsetMs: +median(withOffset).toFixed(1),
      treeOldMs: oldTree.length ? +median(oldTree).toFixed(0) : null,
      hunksMs: +median(hunksOnly).toFixed(1),
      hunksOldMs: oldHunks.length ? +median(oldHunks).toFixed(0) : null,
    };
    rows.push(row);
    const vs = (now: number, old: number | null) =>
      old === null ? '' : `, the old way ${old} ms (${(old / now).toFixed(0)}x)`;
    console.log(
      `${String(hunks).padStart(6)} hunks: with a tree ${row.treeMs} ms${vs(row.treeMs, row.treeOldMs)} ` +
        `(50 lines off, each hunk searched for: ${row.treeOffsetMs} ms); ` +
        `hunks only ${row.hunksMs} ms${vs(row.hunksMs, row.hunksOldMs)}; one split+join ${row.onePassMs} ms`,
    );
  }
  type Row = { hunks: number; treeMs: number; treeOffsetMs: number; hunksMs: number };
  const first = rows[0] as Row;
  const last = rows[rows.length - 1] as Row;
  console.log(
    `from ${first.hunks} to ${last.hunks} hunks (${last.hunks / first.hunks}x): ` +
      `${(last.treeMs / first.treeMs).toFixed(1)}x the time with a tree, ` +
      `${(last.treeOffsetMs / first.treeOffsetMs).toFixed(1)}x with the hunks 50 lines off, ` +
      `${(last.hunksMs / first.hunksMs).toFixed(1)}x from the hunks`,
  );
  const lineDiff = await lineDiffs(quick);
  recordResults('postimage', { runs, lines: lineCount, sizes: rows, ...(lineDiff ? { lineDiff } : {}) });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
