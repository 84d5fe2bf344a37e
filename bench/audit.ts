/**
 * `kapi-review audit` over the whole Debian 6.12 tree with the RFC v2 specs applied (the postings
 * in ../shared/corpus/rfc-v2, applied as far as they apply to 6.12), against the tree index
 * (`kapi-review specs`) of the same tree in the same run: the index reads every file and parses
 * the specs; the audit also analyses the C of every file with a spec and runs every check.
 *
 *   npm run bench:audit [-- --tree DIR] [-- --runs 3]
 *
 * The patched tree is a hard-linked copy kept in KAPI_KERNEL_CACHE (default /var/tmp/kapi-review).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { auditTree } from '../app/audit/run.js';
import { loadCParser } from '../app/c/language.js';
import { defaultConfig } from '../app/config/index.js';
import { INSTALL_HINT, kernelTree } from '../app/context/kernel-source.js';
import { RFC_V2_TREE, treeWithPosting } from '../app/context/series-tree.js';
import { indexTree } from '../app/index/specs.js';
import { CHECKS } from '../checks/index.js';
import { arg, flag, machine, median, recordResults, time } from './common.js';

/** Under this the whole tree is "well under a minute" on two cores. */
const GOAL_MS = 30_000;

async function rfcV2Tree(kernel: string): Promise<{ dir: string; written: number; failed: number } | null> {
  const corpus = process.env.KAPI_CORPUS ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
  const posting = join(corpus, 'rfc-v2');
  if (!existsSync(posting)) return null;
  const cache = process.env.KAPI_KERNEL_CACHE ?? '/var/tmp/kapi-review';
  const t = await treeWithPosting(kernel, posting, join(cache, RFC_V2_TREE));
  return { dir: t.dir, written: t.written.length, failed: t.failed.length };
}

async function main(): Promise<void> {
  const quick = flag('quick');
  const runs = Number(arg('runs', quick ? '1' : '3'));
  let kernel = arg('tree', '');
  if (!kernel) {
    const t = await kernelTree();
    if (!t.dir) {
      console.error(`bench:audit needs a kernel tree: ${t.reason ?? INSTALL_HINT}, or pass --tree DIR`);
      process.exitCode = 2;
      return;
    }
    kernel = t.dir;
  }
  const made = await time(() => rfcV2Tree(kernel));
  const tree = made.result;
  if (!tree) {
    console.error('bench:audit needs ../shared/corpus/rfc-v2 (or KAPI_CORPUS) for the specs to audit');
    process.exitCode = 2;
    return;
  }
  const parser = await loadCParser();
  const config = defaultConfig();
  // warm the page cache so that neither contender pays the first read alone
  await indexTree([tree.dir]);
  const auditMs: number[] = [];
  const indexMs: number[] = [];
  let summary = '';
  let figures = { files: 0, reviewed: 0, withSpecs: 0, findings: 0 };
  for (let i = 0; i < runs; i++) {
    const x = await time(() => indexTree([tree.dir]));
    indexMs.push(x.ms);
    const a = await time(() => auditTree([tree.dir], { checks: CHECKS, config, parser }));
    auditMs.push(a.ms);
    const r = a.result;
    figures = { ...r.stats, findings: r.findings.length };
    delete (figures as { tooLarge?: number }).tooLarge;
    summary =
      `${r.stats.files} C files, ${r.stats.reviewed} past the prefilter, ${r.stats.withSpecs} with specs ` +
      `(the index: ${x.result.specs.length} specs); ${r.findings.length} findings, ${r.crashes.length} crashes`;
  }
  const a = median(auditMs);
  const x = median(indexMs);
  const ratio = Math.round((a / x) * 10) / 10;
  const m = machine();
  console.log(
    `tree: ${tree.dir} (6.12 + RFC v2: ${tree.written} files written, ${tree.failed} hunks that did not apply; made or reused in ${(made.ms / 1000).toFixed(1)} s)`,
  );
  console.log(`machine: ${m.cpus} x ${m.cpu}, node ${m.node}; median of ${runs} runs`);
  console.log(summary);
  console.log(`kapi-review specs (index)  ${(x / 1000).toFixed(2).padStart(6)} s`);
  console.log(
    `kapi-review audit          ${(a / 1000).toFixed(2).padStart(6)} s  ${ratio}x the index (goal under ${GOAL_MS / 1000} s: ${a < GOAL_MS ? 'met' : 'NOT met'})`,
  );
  recordResults('audit', {
    tree: tree.dir,
    runs,
    ...figures,
    auditMs: Math.round(a),
    indexMs: Math.round(x),
    ratioToIndex: ratio,
    goalMs: GOAL_MS,
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
