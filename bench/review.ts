/**
 * Review latency: the whole RFC v2 series (22 patches, ../shared/corpus/rfc-v2) reviewed end to
 * end by `kapi-review check` as a fresh process, next to `perl scripts/checkpatch.pl --no-tree`
 * from the Debian 6.12 tree on the same patch files, measured in the same run (interleaved).
 *
 *   npm run bench:review [-- --runs 5] [-- --corpus DIR] [-- --tree DIR]
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { INSTALL_HINT, kernelTree } from '../app/context/kernel-source.js';
import { arg, machine, median, recordResults, time } from './common.js';

const run = promisify(execFile);
const project = fileURLToPath(new URL('../..', import.meta.url));

async function main(): Promise<void> {
  const runs = Number(arg('runs', '5'));
  const corpus = arg('corpus', join(project, '..', 'shared', 'corpus', 'rfc-v2'));
  if (!existsSync(corpus)) {
    console.error(`bench:review needs the RFC v2 corpus at ${corpus} (or --corpus DIR)`);
    process.exitCode = 2;
    return;
  }
  let tree = arg('tree', '');
  if (!tree) {
    const t = await kernelTree();
    if (!t.dir) {
      console.error(`bench:review needs checkpatch.pl from a kernel tree: ${t.reason ?? INSTALL_HINT}`);
      process.exitCode = 2;
      return;
    }
    tree = t.dir;
  }
  const patches = readdirSync(corpus)
    .filter((f) => /^rfc-v2-\d+-.*\.patch\.txt$/.test(f))
    .sort()
    .map((f) => join(corpus, f));
  const checkpatch = (): Promise<unknown> =>
    run('perl', [join(tree, 'scripts', 'checkpatch.pl'), '--no-tree', ...patches], {
      maxBuffer: 64 * 1024 * 1024,
    }).catch((e: { code?: number }) => {
      // checkpatch exits 1 when it finds style problems: that is a normal run
      if (typeof e.code !== 'number') throw e;
    });
  const bin = join(project, 'bin', 'kapi-review.js');
  let findings = 0;
  const ours = async (): Promise<void> => {
    const r = await run(process.execPath, [bin, 'check', '--format', 'json', ...patches], {
      maxBuffer: 64 * 1024 * 1024,
    }).catch((e: { code?: number; stdout?: string }) => {
      if (e.code === 1 && e.stdout) return { stdout: e.stdout }; // findings at error severity
      throw e;
    });
    findings = (JSON.parse(r.stdout) as { findings: unknown[] }).findings.length;
  };
  // one warm-up each: page cache, perl's and node's compile caches
  await checkpatch();
  await ours();
  const cp: number[] = [];
  const kr: number[] = [];
  for (let i = 0; i < runs; i++) {
    cp.push((await time(checkpatch)).ms);
    kr.push((await time(ours)).ms);
  }
  const c = median(cp);
  const k = median(kr);
  const m = machine();
  console.log(
    `${patches.length} patches from ${corpus}; median of ${runs} runs; ${m.cpus} x ${m.cpu}, node ${m.node}`,
  );
  console.log(`checkpatch.pl --no-tree   ${(c / 1000).toFixed(3).padStart(7)} s`);
  console.log(
    `kapi-review check         ${(k / 1000).toFixed(3).padStart(7)} s  (${findings} findings)  ${(c / k).toFixed(1)}x faster than checkpatch`,
  );
  recordResults('review', {
    patches: patches.length,
    runs,
    checkpatchMs: Math.round(c),
    kapiReviewMs: Math.round(k),
    speedup: Number((c / k).toFixed(1)),
    findings,
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
