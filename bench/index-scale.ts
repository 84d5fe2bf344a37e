/**
 * Tree index scaling: the index behind `kapi-review specs` (read, byte prefilter, spec and
 * syscall index of the survivors) over 1/16, 1/4 and all of the Debian 6.12 tree's .c/.h files
 * (every 16th, every 4th, every file of the sorted list: 1x, 4x, 16x), next to grep -lF
 * SYSCALL_DEFINE over the same files, measured in the same run; per-file and per-MB cost show
 * whether the index grows linearly. The whole-tree figure with the directory walk, against
 * grep -r, is bench/index.ts.
 *
 *   npm run bench:index-scale [-- --tree DIR] [-- --runs 3] [-- --quick]
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { INSTALL_HINT, kernelTree } from '../app/context/kernel-source.js';
import { listSourceFiles, scanFiles } from '../app/index/walk.js';
import { indexText } from '../parsers/specindex.js';
import { arg, flag, machine, median, recordResults, time } from './common.js';

/**
 * What indexTree does for a list of files it has already walked: read, prefilter, index the
 * survivors (indexTree's own walk stats every path given to it, which a list of 60,000 files
 * would pay for twice).
 */
function indexFiles(files: string[], base: string): { parsed: number; syscalls: number } {
  let syscalls = 0;
  const scan = scanFiles(files, (path, buf) => {
    syscalls += indexText(buf.toString('utf8'), relative(base, path)).syscalls.length;
  });
  return { parsed: scan.parsed, syscalls };
}

/** grep -lF SYSCALL_DEFINE over a list of files (xargs, so the list can be long). */
function grepFiles(files: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('xargs', ['-0', 'grep', '-lF', 'SYSCALL_DEFINE', '--'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (d: string) => {
      out += d;
    });
    p.on('error', reject);
    // grep exits 1 when a batch has no match: not an error here
    p.on('close', () => resolve(out.split('\n').filter(Boolean).length));
    p.stdin.end(files.join('\0'));
  });
}

async function main(): Promise<void> {
  const quick = flag('quick');
  const runs = Number(arg('runs', quick ? '1' : '3'));
  let dir = arg('tree', '');
  if (!dir) {
    const t = await kernelTree();
    if (!t.dir) {
      console.error(`bench:index-scale needs a kernel tree: ${t.reason ?? INSTALL_HINT}, or pass --tree DIR`);
      process.exitCode = 2;
      return;
    }
    dir = t.dir;
  }
  const all = await listSourceFiles([dir]);
  const sets = [16, 4, 1].map((every) => ({
    scale: 16 / every,
    files: all.filter((_, i) => i % every === 0),
  }));
  await grepFiles(all); // page cache
  const m = machine();
  console.log(
    `tree index scaling: ${dir}; median of ${runs} run${runs > 1 ? 's' : ''}; ${m.cpus} x ${m.cpu}, node ${m.node}`,
  );
  const rows: Record<string, unknown>[] = [];
  for (const set of sets) {
    const bytes = set.files.reduce((n, f) => n + statSync(f).size, 0);
    const mb = bytes / 1048576;
    const g: number[] = [];
    const x: number[] = [];
    let syscalls = 0;
    let parsed = 0;
    for (let r = 0; r < runs; r++) {
      g.push((await time(() => grepFiles(set.files))).ms);
      const t = await time(() => indexFiles(set.files, dir));
      x.push(t.ms);
      syscalls = t.result.syscalls;
      parsed = t.result.parsed;
    }
    const gm = median(g);
    const xm = median(x);
    console.log(
      `${String(set.scale).padStart(2)}x: ${set.files.length.toLocaleString('en-US').padStart(6)} files, ${mb.toFixed(0).padStart(4)} MB: ` +
        `grep ${(gm / 1000).toFixed(2)} s, index ${(xm / 1000).toFixed(2)} s (${(xm / gm).toFixed(2)}x grep), ` +
        `${((1000 * xm) / set.files.length).toFixed(1)} us/file, ${(xm / mb).toFixed(2)} ms/MB; ${parsed} parsed, ${syscalls} SYSCALL_DEFINEs`,
    );
    rows.push({
      scale: set.scale,
      files: set.files.length,
      megabytes: Math.round(mb),
      grepMs: Math.round(gm),
      indexMs: Math.round(xm),
      ratioToGrep: Number((xm / gm).toFixed(2)),
      indexUsPerFile: Number(((1000 * xm) / set.files.length).toFixed(1)),
      indexMsPerMb: Number((xm / mb).toFixed(2)),
      parsed,
      syscalls,
    });
  }
  recordResults('indexScaling', { tree: dir, runs, sets: rows });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
