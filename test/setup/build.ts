/**
 * vitest's global setup: builds dist/ from this tree before any test runs. The review pool runs
 * its workers from the build (dist/app/review/worker.js: a worker thread cannot load the .ts
 * sources vitest runs), so a stale build would test old code in the workers. tsc takes about 1.5 s.
 * Then the CLI's bundle (app/cli/bundle.ts, about 2 s with its training run), which the tests that
 * run bin/kapi-review.js start from: tsc's new modules would leave the old one unused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  // `kapi-review check` keeps parsed files under $XDG_CACHE_HOME/kapi-review: the tests' runs of it
  // use a cache of their own, empty at the start, never the user's
  const cacheHome = mkdtempSync(join(tmpdir(), 'kapi-review-test-cache-'));
  process.env.XDG_CACHE_HOME = cacheHome;
  const root = join(import.meta.dirname, '..', '..');
  try {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  } catch (e) {
    const out = (e as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`the build for the review workers failed (tsc -p tsconfig.build.json):\n${out}`);
  }
  try {
    execFileSync(process.execPath, [join(root, 'dist/app/cli/bundle.js')], { cwd: root, stdio: 'pipe' });
  } catch (e) {
    const out = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`the CLI's bundle failed (node dist/app/cli/bundle.js):\n${out}`);
  }
  return () => rmSync(cacheHome, { recursive: true, force: true });
}
