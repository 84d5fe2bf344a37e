/**
 * Review latency (issue 17): `kapi-review check` as a fresh process, next to
 * `perl scripts/checkpatch.pl --no-tree` from the Debian 6.12 tree on the same patch files,
 * measured in the same run, interleaved, median of --runs. For each series of ../shared/corpus:
 *
 * - no tree: the whole series, hunks only, without a cache and with a warm one;
 * - cold: `--tree` 6.12 with an empty cache (a fresh folder each run, made and removed outside
 *   the timed command);
 * - warm: `--tree` 6.12 with the cache a previous run of the same command filled;
 * - hook: b4's per-patch hook, one process per patch, the patch on stdin, `--tree`, warm cache,
 *   summed over the patches, against checkpatch run once per patch, summed.
 *
 *   npm run bench:review [-- --runs 5] [-- --corpus DIR] [-- --tree DIR] [-- --series rfc-v2,rfc-v3]
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { arg, benchTree, flag, machine, median, recordResults, time } from './common.js';

const run = promisify(execFile);
const project = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(project, 'bin', 'kapi-review.js');

/** A run of a command that may exit 1 (findings, style problems): only a crash is an error. */
async function quiet(cmd: string, args: string[], stdin?: Buffer): Promise<string> {
  if (stdin) {
    return new Promise((resolve, reject) => {
      const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('error', reject);
      p.on('close', (code) =>
        code === 0 || code === 1 ? resolve(out) : reject(new Error(`${cmd} exited ${code}`)),
      );
      p.stdin.end(stdin);
    });
  }
  const r = await run(cmd, args, { maxBuffer: 64 * 1024 * 1024 }).catch(
    (e: { code?: number; stdout?: string }) => {
      if (e.code === 1 && e.stdout !== undefined) return { stdout: e.stdout };
      throw e;
    },
  );
  return r.stdout;
}

interface SeriesFigures {
  series: string;
  patches: number;
  checkpatchMs: number;
  checkpatchPerPatchMs: number;
  noTreeMs: number;
  noTreeWarmMs: number;
  coldMs: number;
  warmMs: number;
  hookMs: number;
  findings: number;
  noTreeRatio: number;
  noTreeWarmRatio: number;
  coldRatio: number;
  warmRatio: number;
  hookRatio: number;
}

async function benchSeries(dir: string, name: string, tree: string, runs: number): Promise<SeriesFigures> {
  const patches = readdirSync(dir)
    .filter((f) => /-\d+-.*\.patch\.txt$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  const checkpatch = join(tree, 'scripts', 'checkpatch.pl');
  const warmDir = mkdtempSync(join(tmpdir(), 'kapi-bench-warm-'));
  let coldDir = '';
  let findings = 0;
  const ours = async (args: string[]): Promise<void> => {
    const out = await quiet(process.execPath, [bin, 'check', '--format', 'json', ...args]);
    findings = (JSON.parse(out) as { findings: unknown[] }).findings.length;
  };
  const subjects: Record<string, () => Promise<unknown>> = {
    checkpatch: () => quiet('perl', [checkpatch, '--no-tree', ...patches]),
    checkpatchPerPatch: async () => {
      for (const p of patches) await quiet('perl', [checkpatch, '--no-tree', p]);
    },
    noTree: () => ours(['--no-cache', ...patches]),
    noTreeWarm: () => ours(['--cache-dir', warmDir, ...patches]),
    // the empty cache folder is made before and removed after the timed command (the loop below)
    cold: () => ours(['--tree', tree, '--cache-dir', coldDir, ...patches]),
    warm: () => ours(['--tree', tree, '--cache-dir', warmDir, ...patches]),
    hook: async () => {
      for (const p of patches)
        await quiet(
          process.execPath,
          [bin, 'check', '--format', 'b4', '--tree', tree, '--cache-dir', warmDir, '-'],
          readFileSync(p),
        );
    },
  };
  /** Times `f`; for `cold`, with a fresh empty cache folder, made and removed outside the timing. */
  const timed = async (k: string, f: () => Promise<unknown>): Promise<number> => {
    if (k !== 'cold') return (await time(f)).ms;
    coldDir = mkdtempSync(join(tmpdir(), 'kapi-bench-cold-'));
    try {
      return (await time(f)).ms;
    } finally {
      rmSync(coldDir, { recursive: true, force: true });
    }
  };
  // one warm-up each: the page cache, perl's and node's compile caches, and the warm cache itself
  for (const [k, f] of Object.entries(subjects)) await timed(k, f);
  const ms: Record<string, number[]> = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));
  for (let i = 0; i < runs; i++)
    for (const [k, f] of Object.entries(subjects)) ms[k]?.push(await timed(k, f));
  rmSync(warmDir, { recursive: true, force: true });
  const m = (k: string): number => Math.round(median(ms[k] ?? []));
  const r = (a: number, b: number): number => Number((a / b).toFixed(1));
  return {
    series: name,
    patches: patches.length,
    checkpatchMs: m('checkpatch'),
    checkpatchPerPatchMs: m('checkpatchPerPatch'),
    noTreeMs: m('noTree'),
    noTreeWarmMs: m('noTreeWarm'),
    coldMs: m('cold'),
    warmMs: m('warm'),
    hookMs: m('hook'),
    findings,
    noTreeRatio: r(m('checkpatch'), m('noTree')),
    noTreeWarmRatio: r(m('checkpatch'), m('noTreeWarm')),
    coldRatio: r(m('checkpatch'), m('cold')),
    warmRatio: r(m('checkpatch'), m('warm')),
    hookRatio: r(m('checkpatchPerPatch'), m('hook')),
  };
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', flag('quick') ? '1' : '5'));
  const corpus = arg('corpus', join(project, '..', 'shared', 'corpus'));
  const names = arg('series', flag('quick') ? 'rfc-v2' : 'rfc-v2,rfc-v3,patch-v4')
    .split(',')
    .filter((s) => existsSync(join(corpus, s)));
  if (names.length === 0) {
    console.error(`bench:review needs the KAPI postings at ${corpus} (or --corpus DIR)`);
    process.exitCode = 2;
    return;
  }
  const tree = await benchTree('bench:review', 'checkpatch.pl from a kernel tree');
  if (tree === null) return;
  const mc = machine();
  console.log(
    `median of ${runs} runs; ${mc.cpus} x ${mc.cpu}, node ${mc.node}; ratios: checkpatch time / ours`,
  );
  const all: SeriesFigures[] = [];
  for (const name of names) {
    const f = await benchSeries(join(corpus, name), name, tree, runs);
    all.push(f);
    const s = (x: number): string => `${(x / 1000).toFixed(3)} s`;
    console.log(
      `${name} (${f.patches} patches, ${f.findings} findings): checkpatch ${s(f.checkpatchMs)}, per patch ${s(f.checkpatchPerPatchMs)}\n` +
        `  no tree ${s(f.noTreeMs)} ${f.noTreeRatio}x (warm cache ${s(f.noTreeWarmMs)} ${f.noTreeWarmRatio}x) | --tree cold ${s(f.coldMs)} ${f.coldRatio}x | ` +
        `warm ${s(f.warmMs)} ${f.warmRatio}x | b4 hook per patch, warm ${s(f.hookMs)} ${f.hookRatio}x`,
    );
  }
  const head = all[0] as SeriesFigures;
  recordResults('review', {
    runs,
    ...head,
    // the figure of issue 8, kept under its old names
    kapiReviewMs: head.noTreeMs,
    speedup: head.noTreeRatio,
    others: all.slice(1),
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
