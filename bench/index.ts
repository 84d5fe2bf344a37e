/**
 * Tree index throughput: `kapi-review specs` over the whole Debian 6.12 kernel tree against a
 * plain byte scan of the same files (grep -rlF SYSCALL_DEFINE), measured in the same run. The
 * index's own read + prefilter pass is shown separately, so what parsing costs is visible.
 *
 *   npm run bench:index [-- --tree DIR] [-- --runs 3]
 *
 * Without --tree it uses the extracted linux-source-6.12 (extracting /usr/src's tarball once);
 * when that package is missing it says how to install it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { INSTALL_HINT, kernelTree } from '../app/context/kernel-source.js';
import { indexTree } from '../app/index/specs.js';
import { listSourceFiles, scanFiles } from '../app/index/walk.js';
import { arg, machine, median, recordResults, time } from './common.js';

const run = promisify(execFile);

async function grepBaseline(dir: string): Promise<number> {
  // the same files the index walks: .c and .h, without .git, .pc, debian, node_modules
  const args = ['-rlF', 'SYSCALL_DEFINE', '--include=*.c', '--include=*.h'];
  for (const d of ['.git', '.pc', 'debian', 'node_modules']) args.push(`--exclude-dir=${d}`);
  args.push(dir);
  const { stdout } = await run('grep', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean).length;
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '3'));
  let dir = arg('tree', '');
  if (!dir) {
    const t = await kernelTree();
    if (!t.dir) {
      console.error(`bench:index needs a kernel tree: ${t.reason ?? INSTALL_HINT}, or pass --tree DIR`);
      process.exitCode = 2;
      return;
    }
    dir = t.dir;
  }
  const files = await listSourceFiles([dir]);
  // warm the page cache so that no contender pays the first read alone
  await grepBaseline(dir);

  const grepMs: number[] = [];
  const scanMs: number[] = [];
  const indexMs: number[] = [];
  let grepFiles = 0;
  let bytes = 0;
  let summary = '';
  for (let i = 0; i < runs; i++) {
    // interleaved, so drift on the machine hits all three alike
    const g = await time(() => grepBaseline(dir));
    grepMs.push(g.ms);
    grepFiles = g.result;
    const s = await time(() => scanFiles(files, () => {}));
    scanMs.push(s.ms);
    bytes = s.result.bytes;
    const x = await time(() => indexTree([dir]));
    indexMs.push(x.ms);
    const idx = x.result;
    summary =
      `${idx.specs.length} specs, ${idx.syscalls.length} SYSCALL_DEFINEs ` +
      `(${idx.syscalls.filter((s) => s.spec).length} with a spec), ${idx.stats.parsed} files parsed, ` +
      `${idx.issues.length} issues`;
  }
  const mb = bytes / 1e6;
  const g = median(grepMs);
  const rows: [string, number][] = [
    ['grep -rlF SYSCALL_DEFINE', g],
    ['read + prefilter only', median(scanMs)],
    ['kapi-review specs (index)', median(indexMs)],
  ];
  const m = machine();
  console.log(`tree: ${dir}: ${files.length} .c/.h files, ${mb.toFixed(0)} MB; median of ${runs} runs`);
  console.log(`machine: ${m.cpus} x ${m.cpu}, node ${m.node}`);
  console.log(`grep found SYSCALL_DEFINE in ${grepFiles} files; index: ${summary}`);
  for (const [name, ms] of rows)
    console.log(
      `${name.padEnd(27)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${Math.round(files.length / (ms / 1000))
        .toString()
        .padStart(
          6,
        )} files/s  ${(mb / (ms / 1000)).toFixed(0).padStart(5)} MB/s  ${(ms / g).toFixed(2)}x grep`,
    );
  recordResults('index', {
    tree: dir,
    files: files.length,
    megabytes: Math.round(mb),
    runs,
    grepMs: Math.round(g),
    prefilterMs: Math.round(median(scanMs)),
    indexMs: Math.round(median(indexMs)),
    ratioToGrep: Number((median(indexMs) / g).toFixed(2)),
    summary,
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
