/**
 * The tree copy of the C analysis (parsers/c/ast.ts copyTree) next to the plain cursor walk it
 * replaced (bench/copytree-baseline.ts), both measured in the same run, on the trees of every .c
 * file of the kernel tree's mm/, kernel/ and fs/ that defines a syscall, as the analysis parses
 * them (prepareC's text). The trees are parsed once; only the copies are timed.
 *
 * - warm: every tree copied by each, the two alternating (which goes first swaps each round),
 *   `--runs` rounds; the median CPU time of each and their ratio.
 * - cold: the first copies a fresh process makes, before the JIT and the wasm tiers have warmed up,
 *   with V8 tuned as the CLI tunes it (app/cli/launch.ts tuneV8), as in one `check --tree` run:
 *   `--cold` child processes per copy, alternating, each parsing the smallest files up to
 *   `--cold-kb` KB and copying each of them once; the median.
 *
 *   npm run bench:copytree [-- --tree DIR] [-- --runs 9] [-- --cold 9] [-- --cold-kb 200] [-- --quick]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Parser, Tree } from 'web-tree-sitter';
import { loadCParser } from '../app/c/language.js';
import { tuneV8 } from '../app/cli/launch.js';
import { type CNode, copyTree } from '../parsers/c/ast.js';
import { prepareC } from '../parsers/c/preprocess.js';
import { arg, benchTree, flag, machine, median, recordResults } from './common.js';
import { copyTreeOracle } from './copytree-baseline.js';

type Copy = (tree: Tree, text: string) => CNode;
const COPIES: Record<string, Copy> = { old: copyTreeOracle, new: copyTree };

/** The prepared texts of the syscall files of mm/, kernel/ and fs/, by path. */
function syscallTexts(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const sub of ['mm', 'kernel', 'fs'])
    for (const f of readdirSync(join(dir, sub), { recursive: true, encoding: 'utf8' })) {
      if (!f.endsWith('.c')) continue;
      const text = readFileSync(join(dir, sub, f), 'utf8');
      if (text.includes('SYSCALL_DEFINE')) out.push({ path: join(sub, f), text: prepareC(text).text });
    }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function parseAll(parser: Parser, texts: string[]): Tree[] {
  return texts.map((t) => {
    const tree = parser.parse(t);
    if (!tree) throw new Error('tree-sitter gave no tree');
    return tree;
  });
}

function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / 1000;
}

function count(n: CNode): number {
  let k = 1;
  for (const c of n.children) k += count(c);
  return k;
}

/** A child process: parse the smallest files up to `kb` KB, copy each once with `which`, print the ms. */
async function child(dir: string, which: string, kb: number): Promise<void> {
  tuneV8();
  const copy = COPIES[which];
  if (!copy) throw new Error(`no copy named ${which}`);
  const texts: string[] = [];
  let size = 0;
  for (const f of syscallTexts(dir).sort((a, b) => a.text.length - b.text.length)) {
    if (size >= kb * 1024) break;
    texts.push(f.text);
    size += f.text.length;
  }
  const parser = await loadCParser();
  const trees = parseAll(parser, texts);
  const t0 = performance.now();
  const ms = cpuMs(() => {
    for (let i = 0; i < trees.length; i++) copy(trees[i] as Tree, texts[i] as string);
  });
  const wall = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ ms, wall, files: texts.length, chars: size })}\n`);
}

async function main(): Promise<void> {
  const dir = await benchTree('bench:copytree', 'a kernel tree');
  if (!dir) return;
  const quick = flag('quick');
  const coldKb = Number(arg('cold-kb', '200'));
  const which = arg('child', '');
  if (which) return child(dir, which, coldKb);
  const runs = Number(arg('runs', quick ? '3' : '9'));
  const colds = Number(arg('cold', quick ? '3' : '9'));

  const files = syscallTexts(dir);
  const texts = files.map((f) => f.text);
  const chars = texts.reduce((n, t) => n + t.length, 0);
  const parser = await loadCParser();
  const trees = parseAll(parser, texts);
  let nodes = 0;
  let same = 0;
  for (let i = 0; i < trees.length; i++) {
    const a = copyTree(trees[i] as Tree, texts[i] as string);
    nodes += count(a);
    if (isDeepStrictEqual(a, copyTreeOracle(trees[i] as Tree, texts[i] as string))) same++;
  }
  const m = machine();
  console.log(`copyTree: ${dir}; ${m.cpus} x ${m.cpu}, node ${m.node}`);
  console.log(
    `${files.length} syscall files of mm/, kernel/, fs/ (prepared): ${(chars / 1048576).toFixed(2)} M chars, ` +
      `${nodes} nodes copied; the two copies equal on ${same} of ${files.length}`,
  );

  const warm: Record<string, number[]> = { old: [], new: [] };
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
    for (const k of order) {
      const copy = COPIES[k] as Copy;
      (warm[k] as number[]).push(
        cpuMs(() => {
          for (let i = 0; i < trees.length; i++) copy(trees[i] as Tree, texts[i] as string);
        }),
      );
    }
  }
  for (const t of trees) t.delete();
  const wOld = median(warm.old as number[]);
  const wNew = median(warm.new as number[]);
  console.log(`\nwarm, median of ${runs} rounds (CPU time of one copy of every tree):`);
  console.log(`  old walk   ${wOld.toFixed(0).padStart(6)} ms  ${((wOld * 1e6) / nodes).toFixed(0)} ns/node`);
  console.log(
    `  copyTree   ${wNew.toFixed(0).padStart(6)} ms  ${((wNew * 1e6) / nodes).toFixed(0)} ns/node  ${(wOld / wNew).toFixed(2)}x faster`,
  );

  const script = fileURLToPath(import.meta.url);
  // per copy: the CPU time of the process (with the JIT's background threads) and the wall time
  const cold: Record<string, { cpu: number[]; wall: number[] }> = {
    old: { cpu: [], wall: [] },
    new: { cpu: [], wall: [] },
  };
  let coldFiles = 0;
  let coldChars = 0;
  for (let r = 0; r < colds; r++) {
    const order = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
    for (const k of order) {
      const p = spawnSync(
        process.execPath,
        [script, '--tree', dir, '--child', k, '--cold-kb', String(coldKb)],
        { encoding: 'utf8' },
      );
      if (p.status !== 0) throw new Error(`cold child failed: ${p.stderr}`);
      const out = JSON.parse(p.stdout) as { ms: number; wall: number; files: number; chars: number };
      cold[k]?.cpu.push(out.ms);
      cold[k]?.wall.push(out.wall);
      coldFiles = out.files;
      coldChars = out.chars;
    }
  }
  const c = (k: string, m: 'cpu' | 'wall'): number => median(cold[k]?.[m] ?? []);
  console.log(
    `\ncold, median of ${colds} fresh processes each (the first copy of the ${coldFiles} smallest files, ` +
      `${(coldChars / 1024).toFixed(0)} K chars):`,
  );
  console.log('             CPU time   wall time');
  for (const k of ['old', 'new'])
    console.log(
      `  ${k === 'old' ? 'old walk' : 'copyTree'}   ${c(k, 'cpu').toFixed(0).padStart(5)} ms   ${c(k, 'wall').toFixed(0).padStart(6)} ms` +
        (k === 'new'
          ? `   ${(c('old', 'cpu') / c('new', 'cpu')).toFixed(2)}x / ${(c('old', 'wall') / c('new', 'wall')).toFixed(2)}x faster`
          : ''),
    );

  recordResults('copytree', {
    tree: dir,
    files: files.length,
    chars,
    nodes,
    equalCopies: same,
    warm: { runs, oldMs: Math.round(wOld), newMs: Math.round(wNew), ratio: Number((wOld / wNew).toFixed(2)) },
    cold: {
      runs: colds,
      files: coldFiles,
      chars: coldChars,
      oldCpuMs: Math.round(c('old', 'cpu')),
      newCpuMs: Math.round(c('new', 'cpu')),
      oldWallMs: Math.round(c('old', 'wall')),
      newWallMs: Math.round(c('new', 'wall')),
    },
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
