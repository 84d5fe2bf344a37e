/**
 * The last step of `npm run build` (`node dist/app/cli/bundle.js`, after tsc): the CLI's bundle
 * that app/cli/launch.ts starts from.
 *
 * 1. rolldown joins the build's modules reachable from dist/app/cli/main.js into CommonJS chunks
 *    in dist/app/bundle/ (the commands loaded on demand stay chunks of their own, loaded on
 *    demand); node's modules and the packages stay outside, required as they are.
 * 2. The manifest (bundle.json) names the entry chunk and each module joined, with its size and
 *    modification time: launch.ts takes the bundle only while they are unchanged.
 * 3. A training run of `check` through the bundle on the fixtures' series and on patches it
 *    makes of the fixtures' specs (new files, and hunks), with and without a tree, in every
 *    output format; then V8's code cache of each chunk next to it, which holds the functions the
 *    run compiled (`--no-code-cache` skips this; the bundle works without).
 *
 * The chunks are CommonJS because only a script (node:vm) takes a code cache in Node 20; every
 * dynamic import() becomes a require, which the build checks.
 */
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
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
/** Series in mail; and C files with specs of every form, which the training run makes patches of. */
const MAIL = ['fixtures/mail', 'fixtures/lore', 'fixtures/framework', 'fixtures/b4'];
const SPECS = 'fixtures/kapi';

/**
 * A patch of one C file, as b4 or git send-email would mail it: the file as new (reviewed whole,
 * its C analysed) or, `asHunk`, one hunk that shows all of it (what a review without a tree sees).
 */
function trainingPatch(path: string, text: string, n: number, asHunk: boolean): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const diff = asHunk
    ? [`--- a/${path}`, `+++ b/${path}`, `@@ -1,${lines.length} +1,${lines.length + 1} @@`, '+/* trained */']
    : ['new file mode 100644', '--- /dev/null', `+++ b/${path}`, `@@ -0,0 +1,${lines.length} @@`];
  const mark = asHunk ? ' ' : '+';
  return [
    'From: Training <training@example.org>',
    `Subject: [PATCH] ${asHunk ? 'change' : 'add'} ${path}`,
    `Message-ID: <training-${n}@example.org>`,
    'Date: Mon, 1 Dec 2025 10:00:00 +0000',
    '',
    `What the training run reviews: ${path}.`,
    '---',
    `diff --git a/${path} b/${path}`,
    ...diff,
    ...lines.map((l) => `${mark}${l}`),
    '',
  ].join('\n');
}

/** The command lines of the training run: every output format, with and without a tree. */
function trainingRuns(patches: string): string[][] {
  const mail = MAIL.map((d) => join(ROOT, d));
  return [
    ['--format', 'json', ...mail],
    ['--format', 'json', patches],
    ['--format', 'text', 'fixtures/lore/frob-v1.mbox', 'fixtures/b4/widget-v1.mbox'],
    ['--format', 'sarif', 'fixtures/framework/frob-specs-v1.mbox'],
    ['--format', 'b4', '--tree', 'fixtures/tree-frob', 'fixtures/lore/frob-v2.mbox'],
    ['--format', 'line', '--tree', 'fixtures/tree-frob', 'fixtures/lore/frob-v1.mbox', 'fixtures/mail'],
  ];
}

/** The licences of the packages joined into the chunks, which travel with them. */
function notices(packages: readonly string[]): string {
  const parts = ['The chunks in this folder hold code of these packages, under these licences.'];
  for (const dir of packages) {
    const name = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    parts.push(
      `== ${name ?? dir}\n\n${file ? readFileSync(join(dir, file), 'utf8').trim() : '(no licence file)'}`,
    );
  }
  return `${parts.join('\n\n')}\n`;
}

/** Builds the bundle; false when rolldown cannot run here (the CLI then starts from its modules). */
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
    // our modules are joined, and commander (its CommonJS files cost every start their own
    // loading and compiling); node's and the other packages' are required where they are
    external: (id) => !id.startsWith('.') && !isAbsolute(id) && id !== 'commander',
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
  const packages = new Set<string>();
  for (const chunk of out.output) {
    if (chunk.type !== 'chunk') continue;
    // a chunk is run as a script, which has no import(): each must have become a require
    if (/\bimport\s*\(/.test(chunk.code))
      throw new Error(`${chunk.fileName} still holds a dynamic import(), which a script cannot run`);
    for (const id of chunk.moduleIds) {
      if (!isAbsolute(id)) continue; // rolldown's own helpers
      const { size, mtimeMs } = statSync(id);
      modules.push([relative(DIST, id), size, mtimeMs]);
      const pkg = /^(.*[\\/]node_modules[\\/][^\\/]+)[\\/]/.exec(id)?.[1];
      if (pkg) packages.add(pkg);
    }
  }
  writeFileSync(join(BUNDLE_DIR, 'NOTICES.txt'), notices([...packages].sort()));
  const manifest: BundleManifest = { format: 'kapi-review-bundle', entry: ENTRY, modules };
  const tmp = join(BUNDLE_DIR, `${MANIFEST}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(manifest)}\n`);
  renameSync(tmp, join(BUNDLE_DIR, MANIFEST));
  return true;
}

/** The training run: `check` on the fixtures through the bundle, then each chunk's code cache. */
async function train(): Promise<void> {
  if (![...MAIL, SPECS, 'fixtures/tree-frob'].every((d) => existsSync(join(ROOT, d)))) {
    process.stderr.write('bundle: no fixtures here; the bundle has no code cache\n');
    return;
  }
  const patches = mkdtempSync(join(tmpdir(), 'kapi-review-training-'));
  const cwd = process.cwd();
  try {
    let n = 0;
    for (const name of readdirSync(join(ROOT, SPECS)).sort()) {
      const text = readFileSync(join(ROOT, SPECS, name), 'utf8');
      for (const asHunk of [false, true])
        writeFileSync(
          join(patches, `${++n}.patch`),
          trainingPatch(`kernel/${name.replace(/\..*$/, '')}-${n}.c`, text, n, asHunk),
        );
    }
    tuneV8();
    const loaded = loadBundle();
    if (!loaded) throw new Error(`the bundle just made in ${BUNDLE_DIR} does not load`);
    process.chdir(ROOT);
    const quiet = { out: () => undefined, err: () => undefined };
    for (const args of trainingRuns(patches))
      await loaded.cli.main(['node', 'kapi-review', 'check', '--no-cache', ...args], quiet);
    writeCodeCache(loaded.chunks);
  } finally {
    process.chdir(cwd);
    rmSync(patches, { recursive: true, force: true });
  }
}

if ((await bundle()) && !process.argv.includes('--no-code-cache')) await train();
