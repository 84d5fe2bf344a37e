import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCParser } from '../../app/c/language.js';
import { main } from '../../app/cli/main.js';
import { loadConfig } from '../../app/config/index.js';
import { kernelTarballPresent, kernelTree } from '../../app/context/kernel-source.js';
import { reviewSeriesSet } from '../../app/review/run.js';
import { CHECKS } from '../../checks/index.js';
import { parseMail } from '../../parsers/mail.js';
import { buildSeries } from '../../parsers/series.js';

/**
 * The cache (app/cache/) changes how fast `check` is, never what it says: on every posting of
 * ../shared/corpus, with and without the Debian 6.12 tree, the report is the same with no cache,
 * an empty one, a warm one, and one an older build of the tool filled.
 */
const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const present = existsSync(corpus);
if (!present) console.warn(`cache-corpus test skipped: ${corpus} is absent`);
const withTree = present && (kernelTarballPresent() || Boolean(process.env.KAPI_KERNEL_TREE));
if (present && !withTree) console.warn('cache-corpus --tree half skipped: linux-source-6.12 is absent');

const POSTINGS = ['rfc-v2', 'rfc-v3', 'patch-v4'];

async function check(args: string[]): Promise<string> {
  let out = '';
  await main(['node', 'kapi-review', 'check', '--filter', 'none', '--format', 'json', ...args], {
    out: (s) => (out += s),
    err: () => {},
  });
  return out;
}

/** Fills a cache folder as an older build would: the same reviews under another version. */
async function olderBuild(dir: string, posting: string, tree: string | null): Promise<void> {
  const mails = [];
  for (const f of readdirSync(join(corpus, posting)).sort())
    mails.push((await parseMail(readFileSync(join(corpus, posting, f)))).value);
  const config = await loadConfig(
    null,
    CHECKS.map((c) => c.meta.id),
  );
  config.filter = 'none';
  await reviewSeriesSet(buildSeries(mails).value, {
    checks: CHECKS,
    config,
    parser: await loadCParser(),
    tree,
    cache: { dir, version: '0.0.1-older' },
  });
}

for (const mode of ['no tree', 'tree'] as const)
  describe.skipIf(!present || (mode === 'tree' && !withTree))(`the cache on the corpus, ${mode}`, () => {
    for (const posting of POSTINGS)
      it(`${posting}: the same report with no cache, an empty, a warm and an older build's cache`, async () => {
        const tree = mode === 'tree' ? ((await kernelTree()).dir as string) : null;
        const on = tree ? ['--tree', tree] : [];
        const dir = join(corpus, posting);
        const cacheDir = mkdtempSync(join(tmpdir(), 'kapi-cache-corpus-'));
        const none = await check([...on, '--no-cache', dir]);
        expect(JSON.parse(none).series.length).toBeGreaterThan(0);
        expect(await check([...on, '--cache-dir', cacheDir, dir])).toBe(none);
        expect(await check([...on, '--cache-dir', cacheDir, dir])).toBe(none);
        const older = mkdtempSync(join(tmpdir(), 'kapi-cache-corpus-old-'));
        await olderBuild(older, posting, tree);
        expect(readdirSync(older).length).toBeGreaterThan(0);
        expect(await check([...on, '--cache-dir', older, dir])).toBe(none);
      });
  });
