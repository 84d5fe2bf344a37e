/**
 * Every figure of issue 8, one bench after the other, each in its own process (so one's memory or
 * JIT state does not colour the next): bulk ingest, C analysis, tree index (whole tree, and its
 * scaling), the dashboard, post-images at many hunks (issue 14), review latency; and issue 14's
 * scaling under hostile input. Each prints medians and ratios to a baseline measured in the same
 * run and merges its figures into bench/results.json; this prints the headline table at the end.
 *
 *   npm run bench [-- --quick] [-- --runs N] [-- --size-mb N]
 *                 [-- --only ingest,c,index,index-scale,dashboard,postimage,audit,review,bot,scaling] [-- --tree DIR]
 *
 * --quick: small inputs and one run each (minutes, not a quarter of an hour); its figures go to
 * the temp folder, not over bench/results.json. The kernel tree is
 * Debian's linux-source-6.12 (extracted once to /var/tmp/kapi-review); when the package is missing
 * the figures that need it are skipped with the command that installs it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INSTALL_HINT, kernelTree } from '../app/context/kernel-source.js';
import { arg, flag, RESULTS } from './common.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const project = fileURLToPath(new URL('../..', import.meta.url));

interface Bench {
  name: string;
  script: string;
  needsTree: boolean;
  /** Options for node itself. */
  node?: string[];
  args: (o: { quick: boolean; runs: string; tree: string; sizeMb: string }) => string[];
}

const BENCHES: Bench[] = [
  {
    name: 'ingest',
    script: 'ingest.js',
    needsTree: false,
    args: (o) => [
      ...(o.quick ? ['--quick'] : []),
      ...(o.runs ? ['--runs', o.runs] : []),
      ...(o.sizeMb ? ['--size-mb', o.sizeMb] : []),
    ],
  },
  {
    name: 'c',
    script: 'c.js',
    needsTree: true,
    args: (o) => [...(o.quick ? ['--quick'] : []), ...(o.runs ? ['--runs', o.runs] : []), '--tree', o.tree],
  },
  {
    name: 'index',
    script: 'index.js',
    needsTree: true,
    args: (o) => [
      ...(o.quick ? ['--quick'] : []),
      ...(o.runs || o.quick ? ['--runs', o.runs || '1'] : []),
      '--tree',
      o.tree,
    ],
  },
  {
    name: 'index-scale',
    script: 'index-scale.js',
    needsTree: true,
    args: (o) => [...(o.quick ? ['--quick'] : []), ...(o.runs ? ['--runs', o.runs] : []), '--tree', o.tree],
  },
  {
    name: 'dashboard',
    script: 'dashboard.js',
    needsTree: false,
    node: ['--expose-gc'],
    args: (o) => [
      ...(o.quick ? ['--quick', '--series', '1000'] : []),
      ...(o.runs || o.quick ? ['--runs', o.runs || '1'] : []),
    ],
  },
  {
    name: 'postimage',
    script: 'postimage.js',
    needsTree: false,
    args: (o) => [...(o.quick ? ['--quick'] : []), ...(o.runs ? ['--runs', o.runs] : [])],
  },
  {
    name: 'scaling',
    script: 'scaling.js',
    needsTree: false,
    node: ['--expose-gc'],
    args: (o) => [...(o.quick ? ['--quick'] : []), ...(o.runs ? ['--runs', o.runs] : [])],
  },
  {
    name: 'audit',
    script: 'audit.js',
    needsTree: true,
    args: (o) => [...(o.quick ? ['--quick'] : []), ...(o.runs ? ['--runs', o.runs] : []), '--tree', o.tree],
  },
  {
    name: 'review',
    script: 'review.js',
    needsTree: true,
    args: (o) => [
      ...(o.quick ? ['--quick'] : []),
      ...(o.runs || o.quick ? ['--runs', o.runs || '3'] : []),
      '--tree',
      o.tree,
    ],
  },
  {
    name: 'bot',
    script: 'bot.js',
    needsTree: true,
    args: (o) => [...(o.quick ? ['--quick'] : []), ...(o.runs ? ['--runs', o.runs] : []), '--tree', o.tree],
  },
];

function runChild(script: string, args: string[], node: string[] = []): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...node, join(here, script), ...args], { stdio: 'inherit' });
    p.on('close', (code) => resolve(code ?? 1));
  });
}

type Json = Record<string, unknown>;

function summary(skipped: string[]): void {
  const file = fileURLToPath(RESULTS);
  if (!existsSync(file)) return;
  const r = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Json>;
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const review = r.review as
    | {
        series: string;
        checkpatchMs: number;
        checkpatchPerPatchMs: number;
        noTreeMs: number;
        coldMs: number;
        warmMs: number;
        hookMs: number;
        noTreeRatio: number;
        coldRatio: number;
        warmRatio: number;
        hookRatio: number;
      }
    | undefined;
  if (review?.coldMs !== undefined && !skipped.includes('review')) {
    const s = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
    const c = `vs checkpatch.pl ${s(review.checkpatchMs)}`;
    lines.push(
      `review, ${review.series}: no tree ${s(review.noTreeMs)} ${c}: ${review.noTreeRatio}x (goal 20x: ${verdict(review.noTreeRatio >= 20)})`,
      `review, --tree cold  ${s(review.coldMs)}: ${review.coldRatio}x (goal 10x: ${verdict(review.coldRatio >= 10)})`,
      `review, --tree warm  ${s(review.warmMs)}: ${review.warmRatio}x (goal 25x: ${verdict(review.warmRatio >= 25)})`,
      `b4 hook per patch    ${s(review.hookMs)} vs checkpatch per patch ${s(review.checkpatchPerPatchMs)}: ` +
        `${review.hookRatio}x (goal 2x: ${verdict(review.hookRatio >= 2)})`,
    );
  }
  const bot = r.bot as
    | { series: { series: string; botMs: number; checkpatchMs: number; ratio: number }[] }
    | undefined;
  if (bot && !skipped.includes('bot'))
    for (const b of bot.series)
      lines.push(
        `bot, one process  ${b.series} after another series ${b.botMs} ms vs checkpatch ${b.checkpatchMs} ms: ` +
          `${b.ratio}x (goal 100x: ${verdict(b.ratio >= 100)})`,
      );
  const ingest = r.ingest as { sizes: Json[] } | undefined;
  const big = ingest?.sizes[ingest.sizes.length - 1] as
    | { megabytes: number; ingestMs: number; rawMs: number; ratioToRaw: number; peakRssMb: number }
    | undefined;
  if (big && !skipped.includes('ingest')) {
    const peak = Math.max(...(ingest?.sizes ?? []).map((s) => s.peakRssMb as number));
    lines.push(
      `bulk ingest      ${big.megabytes} MB in ${(big.ingestMs / 1000).toFixed(2)} s vs raw scan ${(big.rawMs / 1000).toFixed(2)} s: ` +
        `${big.ratioToRaw}x (goal 3x: ${verdict(big.ratioToRaw <= 3)}); peak RSS ${peak} MB (goal 200 MB: ${verdict(peak <= 200)})`,
    );
  }
  const index = r.index as { indexMs: number; grepMs: number; ratioToGrep: number } | undefined;
  if (index && !skipped.includes('index'))
    lines.push(
      `tree index       ${(index.indexMs / 1000).toFixed(2)} s vs grep ${(index.grepMs / 1000).toFixed(2)} s: ${index.ratioToGrep}x ` +
        `(goals under 60 s and 3x grep: ${verdict(index.indexMs < 60_000 && index.ratioToGrep <= 3)})`,
    );
  const audit = r.audit as
    | {
        auditMs: number;
        indexMs: number;
        ratioToIndex: number;
        withSpecs: number;
        findings: number;
        goalMs: number;
      }
    | undefined;
  if (audit && !skipped.includes('audit'))
    lines.push(
      `tree audit       6.12 + RFC v2 in ${(audit.auditMs / 1000).toFixed(2)} s vs the index ${(audit.indexMs / 1000).toFixed(2)} s: ${audit.ratioToIndex}x; ` +
        `${audit.withSpecs} files with specs, ${audit.findings} findings (goal under ${audit.goalMs / 1000} s: ${verdict(audit.auditMs < audit.goalMs)})`,
    );
  const c = r.c as { sets: Json[] } | undefined;
  const c1 = c?.sets.find((s) => s.scale === 1) as
    | { analysisMbPerS: number; parseMbPerS: number; ratioToParse: number; megabytes: number }
    | undefined;
  if (c1 && !skipped.includes('c'))
    lines.push(
      `C analysis       ${c1.analysisMbPerS} MB/s over the ten largest syscall files (${c1.megabytes} MB); ` +
        `tree-sitter parse alone ${c1.parseMbPerS} MB/s (analysis ${c1.ratioToParse}x the parse)`,
    );
  const dash = r.dashboard as
    | { series: number; listFirstMs: number; rawSqlMs: number; ratioToRawSql: number }
    | undefined;
  if (dash && !skipped.includes('dashboard'))
    lines.push(
      `dashboard        the list of ${dash.series} series, first page ${dash.listFirstMs} ms vs raw SQL ${dash.rawSqlMs} ms: ` +
        `${dash.ratioToRawSql}x (goal under 1 s: ${verdict(dash.listFirstMs < 1000)})`,
    );
  const post = r.postimage as
    | { lines: number; sizes: { hunks: number; treeMs: number; treeOldMs: number | null; hunksMs: number }[] }
    | undefined;
  const postBig = post?.sizes[post.sizes.length - 1];
  const postOld = post?.sizes.filter((s) => s.treeOldMs !== null).at(-1);
  if (post && postBig && !skipped.includes('postimage'))
    lines.push(
      `post-images      ${postBig.hunks} hunks on ${post.lines} lines: ${postBig.treeMs} ms with a tree, ${postBig.hunksMs} ms from the hunks` +
        (postOld?.treeOldMs
          ? `; at ${postOld.hunks} hunks the old way ${postOld.treeOldMs} ms vs ${postOld.treeMs} ms`
          : ''),
    );
  const scaling: string[] = [];
  if (ingest && !skipped.includes('ingest'))
    scaling.push(
      `ingest ${(ingest.sizes as { scale: number; ingestMsPerMb: number }[]).map((s) => `${s.scale}x ${s.ingestMsPerMb}`).join(', ')} ms/MB`,
    );
  if (c && !skipped.includes('c'))
    scaling.push(
      `C analysis ${(c.sets as { scale: number; analysisMsPerMb: number }[]).map((s) => `${s.scale}x ${s.analysisMsPerMb}`).join(', ')} ms/MB`,
    );
  const is = r.indexScaling as { sets: { scale: number; indexMsPerMb: number }[] } | undefined;
  if (is && !skipped.includes('index-scale'))
    scaling.push(`index ${is.sets.map((s) => `${s.scale}x ${s.indexMsPerMb}`).join(', ')} ms/MB`);
  if (scaling.length > 0) lines.push(`scaling          ${scaling.join('; ')}`);
  const hostile = r.scaling as
    | {
        met: number;
        metFrom4x?: number;
        tooCheap: number;
        notMet: number;
        rows: number;
        goal: number;
      }
    | undefined;
  if (hostile && !skipped.includes('scaling'))
    lines.push(
      `hostile input    cost per entry from 1x to 16x within ${hostile.goal}x: ${hostile.met} of ${hostile.rows} rows met, ` +
        `${hostile.metFrom4x ?? 0} more from 4x to 64x, ` +
        `${hostile.tooCheap} too cheap to judge, ${hostile.notMet} not met (npm run bench:scaling for the table)`,
    );
  const shown = file.startsWith(project) ? relative(project, file) : file;
  if (lines.length > 0) console.log(`\n== summary (${shown})\n${lines.join('\n')}`);
}

async function main(): Promise<void> {
  const quick = flag('quick');
  const runs = arg('runs', '');
  const sizeMb = arg('size-mb', '');
  const only = arg('only', '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const chosen = BENCHES.filter((b) => only.length === 0 || only.includes(b.name));
  let tree = arg('tree', '');
  const skipped: string[] = BENCHES.filter((b) => !chosen.includes(b)).map((b) => b.name);
  if (!tree && chosen.some((b) => b.needsTree)) {
    const t = await kernelTree();
    if (t.dir) tree = t.dir;
    else {
      const names = chosen.filter((b) => b.needsTree).map((b) => b.name);
      console.log(
        `skipping ${names.join(', ')}: they need the Debian 6.12 kernel tree: ${t.reason ?? INSTALL_HINT}\n` +
          '  install it with: sudo apt-get install linux-source-6.12   (or pass --tree DIR / set KAPI_KERNEL_TREE)',
      );
      skipped.push(...names);
    }
  }
  const failed: string[] = [];
  for (const b of chosen) {
    if (skipped.includes(b.name)) continue;
    console.log(`\n== ${b.name}`);
    const code = await runChild(b.script, b.args({ quick, runs, tree, sizeMb }), b.node);
    if (code === 2)
      skipped.push(b.name); // the bench said what it is missing
    else if (code !== 0) failed.push(b.name);
  }
  summary(skipped);
  if (skipped.length > 0) console.log(`skipped: ${skipped.join(', ')}`);
  if (failed.length > 0) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
