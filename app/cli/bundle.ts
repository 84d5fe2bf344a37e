/**
 * The last step of `npm run build` (`node dist/app/cli/bundle.js`, after tsc): the CLI's bundle
 * that app/cli/launch.ts starts from.
 *
 * 1. rolldown joins the build's modules reachable from dist/app/cli/main.js into CommonJS chunks
 *    in dist/app/bundle/ (the commands loaded on demand stay chunks of their own, loaded on
 *    demand); node's modules and the packages stay outside, required as they are.
 * 2. The manifest (bundle.json) names the entry chunk and each module joined, with its size and
 *    modification time: launch.ts takes the bundle only while they are unchanged.
 * 3. A training run of `check` on the fixtures (with and without a tree, every output format)
 *    through the bundle, then V8's code cache of each chunk next to it (`--no-code-cache` skips
 *    this; the bundle works without).
 *
 * The chunks are CommonJS because only a script (node:vm) takes a code cache in Node 20; every
 * dynamic import() becomes a require, which the build checks.
 */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import {
  BUNDLE_DIR,
  type BundleManifest,
  DIST,
  loadBundle,
  MANIFEST,
  tuneV8,
  writeCodeCache,
} from './launch.js';

const ENTRY = 'cli.cjs';

/** The fixtures of the training run, from the project's root (dist/'s parent). */
const ROOT = join(DIST, '..');
const TRAINING: string[][] = [
  ['--format', 'json', 'fixtures/lore/frob-v1.mbox', 'fixtures/b4/widget-v1.mbox'],
  ['--format', 'json', 'fixtures/framework/frob-fw-v1.mbox', 'fixtures/framework/frob-specs-v1.mbox'],
  ['--format', 'b4', '--tree', 'fixtures/tree-frob', 'fixtures/lore/frob-v2.mbox'],
  ['--format', 'line', '--tree', 'fixtures/tree-frob', 'fixtures/lore/frob-v1.mbox'],
  ['--format', 'text', 'fixtures/b4/gauge-v1.mbox'],
];

/** Builds the bundle; false when rolldown cannot run here (the CLI then starts from the modules). */
async function bundle(): Promise<boolean> {
  let build: typeof import('rolldown').build;
  try {
    ({ build } = await import('rolldown'));
  } catch (e) {
    process.stderr.write(`bundle: rolldown does not load (${String(e)}); the CLI starts from its modules\n`);
    return false;
  }
  const out = await build({
    input: join(DIST, 'app', 'cli', 'main.js'),
    platform: 'node',
    // our modules are joined; node's and the packages' are required where they are
    external: (id) => !id.startsWith('.') && !isAbsolute(id),
    logLevel: 'warn',
    output: {
      dir: BUNDLE_DIR,
      format: 'cjs',
      entryFileNames: ENTRY,
      chunkFileNames: '[name]-[hash].cjs',
      dynamicImportInCjs: false,
      comments: false,
      cleanDir: true,
    },
  });
  const modules: BundleManifest['modules'] = [];
  for (const chunk of out.output) {
    if (chunk.type !== 'chunk') continue;
    // a chunk is run as a script, which has no import(): each must have become a require
    if (/\bimport\s*\(/.test(chunk.code))
      throw new Error(`${chunk.fileName} still holds a dynamic import(), which a script cannot run`);
    for (const id of chunk.moduleIds) {
      if (!isAbsolute(id) || !id.startsWith(DIST)) continue;
      const { size, mtimeMs } = statSync(id);
      modules.push([relative(DIST, id), size, mtimeMs]);
    }
  }
  const manifest: BundleManifest = { format: 'kapi-review-bundle', entry: ENTRY, modules };
  const tmp = join(BUNDLE_DIR, `${MANIFEST}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(manifest)}\n`);
  renameSync(tmp, join(BUNDLE_DIR, MANIFEST));
  return true;
}

/** The training run: `check` on the fixtures through the bundle, then each chunk's code cache. */
async function train(): Promise<void> {
  if (TRAINING.some((args) => args.some((a) => a.startsWith('fixtures/') && !existsSync(join(ROOT, a))))) {
    process.stderr.write('bundle: no fixtures here; the bundle has no code cache\n');
    return;
  }
  tuneV8();
  const loaded = loadBundle();
  if (!loaded) throw new Error(`the bundle just made in ${BUNDLE_DIR} does not load`);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const quiet = { out: () => undefined, err: () => undefined };
    for (const args of TRAINING)
      await loaded.cli.main(['node', 'kapi-review', 'check', '--no-cache', ...args], quiet);
  } finally {
    process.chdir(cwd);
  }
  writeCodeCache(loaded.chunks);
}

if ((await bundle()) && !process.argv.includes('--no-code-cache')) await train();
