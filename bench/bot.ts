/**
 * The bot in one process (issue 17): `kapi-review bot` as a user runs it (dry-run, --tree, the
 * review workers, a cache folder), fed the series of ../shared/corpus one after the other; each
 * series is timed from its first mail's ingest to the end of the tick that reviewed it and wrote
 * its replies. The first series of a run pays the start (the workers, the grammar, the JIT); the
 * figure is the time of each series after the first, against `checkpatch.pl --no-tree` on that
 * series' patches in the same run. Each run is a fresh bot (state and cache folder empty) and
 * starts with another series, so that each series is timed after others; median over the runs.
 *
 *   npm run bench:bot [-- --runs 3] [-- --corpus DIR] [-- --tree DIR]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createBot } from '../app/bot/run.js';
import { loadCParser } from '../app/c/language.js';
import { defaultConfig } from '../app/config/index.js';
import { defaultMailPolicy } from '../app/mail/policy.js';
import { sharedReviewPool } from '../app/review/pool.js';
import { Store } from '../app/store/store.js';
import { CHECKS } from '../checks/index.js';
import { fnv64 } from '../parsers/hash.js';
import { arg, benchTree, flag, machine, median, recordResults, time } from './common.js';

const run = promisify(execFile);
const project = fileURLToPath(new URL('../..', import.meta.url));

interface Posting {
  name: string;
  mails: string[];
  patches: string[];
}

function posting(corpus: string, name: string): Posting {
  const dir = join(corpus, name);
  const files = readdirSync(dir)
    .filter((f) => /-\d+-.*\.(patch\.)?txt$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  return { name, mails: files, patches: files.filter((f) => /\.patch\.txt$/.test(f)) };
}

async function checkpatch(tree: string, patches: string[]): Promise<void> {
  await run('perl', [join(tree, 'scripts', 'checkpatch.pl'), '--no-tree', ...patches], {
    maxBuffer: 64 * 1024 * 1024,
  }).catch((e: { code?: number }) => {
    if (e.code !== 1) throw e;
  });
}

const silent = { info() {}, warn() {}, error() {} };

/** One fresh bot over `order`: each series' time (ms) and how many series its tick reviewed. */
async function botRun(order: Posting[], tree: string): Promise<{ ms: number[]; queued: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'kapi-bench-bot-'));
  const store = Store.open({ path: join(dir, 'state.db'), now: () => new Date() });
  const ms: number[] = [];
  const queued: number[] = [];
  try {
    const bot = createBot({
      store,
      parser: await loadCParser(),
      checks: CHECKS,
      config: defaultConfig(),
      tree,
      cache: { dir: join(dir, 'cache') },
      policy: defaultMailPolicy('kapi-review-bench@example.org'),
      transport: { host: '127.0.0.1', port: 9, ignoreTLS: true },
      probe: null,
      now: () => new Date(),
      log: silent,
      messageIdFor: (key) => `bench.${fnv64(key)}@example.org`,
      incompleteAfterMs: 3_600_000,
      dryRunDir: join(dir, 'eml'),
    });
    for (const p of order) {
      const mails = p.mails.map((f) => readFileSync(f));
      const t = await time(async () => {
        for (const m of mails) await bot.ingest(m, 'bench');
        return bot.tick();
      });
      ms.push(t.ms);
      queued.push(t.result.decisions.filter((d) => d.kind === 'review').length);
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { ms, queued };
}

async function main(): Promise<void> {
  const corpus = arg('corpus', join(project, '..', 'shared', 'corpus'));
  const postings = ['rfc-v2', 'rfc-v3', 'patch-v4']
    .filter((s) => existsSync(join(corpus, s)))
    .map((s) => posting(corpus, s));
  if (postings.length < 2) {
    console.error(`bench:bot needs two or more KAPI postings at ${corpus} (or --corpus DIR)`);
    process.exitCode = 2;
    return;
  }
  const tree = await benchTree('bench:bot', 'a kernel tree');
  if (tree === null) return;
  const runs = Number(arg('runs', flag('quick') ? '1' : String(postings.length)));
  const after: Record<string, number[]> = Object.fromEntries(postings.map((p) => [p.name, []]));
  const first: number[] = [];
  const cp: Record<string, number[]> = Object.fromEntries(postings.map((p) => [p.name, []]));
  const reviewed: Record<string, number> = {};
  for (const p of postings) await checkpatch(tree, p.patches); // the page cache and perl's
  for (let i = 0; i < runs; i++) {
    const k = i % postings.length;
    const order = [...postings.slice(k), ...postings.slice(0, k)];
    const r = await botRun(order, tree);
    order.forEach((p, j) => {
      if (j === 0) first.push(r.ms[j] ?? 0);
      else after[p.name]?.push(r.ms[j] ?? 0);
      reviewed[p.name] = r.queued[j] ?? 0;
    });
    for (const p of postings) cp[p.name]?.push((await time(() => checkpatch(tree, p.patches))).ms);
  }
  await sharedReviewPool().close();
  const mc = machine();
  console.log(
    `the bot in one process, dry-run, --tree, ${runs} runs; ${mc.cpus} x ${mc.cpu}, node ${mc.node}; ratios: checkpatch time / ours`,
  );
  console.log(`  the first series of a run (the start): median ${Math.round(median(first))} ms`);
  const series = postings.map((p) => {
    const ours = Math.round(median(after[p.name] ?? []));
    const theirs = Math.round(median(cp[p.name] ?? []));
    const ratio = Number((theirs / ours).toFixed(1));
    console.log(
      `  ${p.name} (${p.patches.length} patches, reviewed ${reviewed[p.name]}): ${ours} ms after another series ` +
        `vs checkpatch ${theirs} ms: ${ratio}x (goal 100x: ${ratio >= 100 ? 'met' : 'NOT met'})`,
    );
    return { series: p.name, patches: p.patches.length, botMs: ours, checkpatchMs: theirs, ratio };
  });
  recordResults('bot', { runs, firstMs: Math.round(median(first)), series });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
