/**
 * How `kapi-review` starts (bin/kapi-review.js). Most runs are short (b4 runs one per patch), so
 * the start is a good part of a run:
 *
 * - V8 is tuned for a short process (tuneV8).
 * - The CLI comes from its bundle, dist/app/bundle/ (made by `npm run build` after tsc:
 *   app/cli/bundle.ts): the same build modules joined by rolldown into a few CommonJS chunks,
 *   each compiled with the V8 code cache the build made of it in a run of `check`, so that
 *   neither the ES module loader's resolving and linking of a hundred modules nor the compiling
 *   of the functions a review runs is paid again at every start.
 * - Without a bundle, or when one of the modules it was made of has changed since (a `tsc` run
 *   alone), the CLI comes from the modules themselves: slower to start, never stale.
 *
 * A code cache V8 does not accept (another Node version, other flags) is ignored; so is a bundle
 * that does not load. The chunks' names carry a hash of their text, and V8 checks the rest.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

import type { CliIo } from './main.js';

type Cli = typeof import('./main.js');

/**
 * V8's interrupt budget for a command: 16 times its default of 66 KB. TurboFan would compile the
 * many lukewarm functions of a review on background threads for more CPU than the optimized code
 * saves before the process ends (RFC v2 without a tree: about 0.2 s of CPU, competing with the
 * review itself on a small machine); with this budget they stay with the interpreter and the
 * baseline compiler, while a really hot loop (a whole tree, a huge patch) is still optimized, a
 * little later.
 */
const INTERRUPT_BUDGET = 16 * 67_584;

/** Sets V8's flags for a command; before any of the CLI's code is compiled, as a command line would. */
export function tuneV8(): void {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}

/** The build's root (dist/; from the sources, under vitest, the build of the same tree), and the bundle's folder in it. */
export const DIST = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../../dist/' : '../../', import.meta.url),
);
export const BUNDLE_DIR = join(DIST, 'app', 'bundle');
/** The manifest app/cli/bundle.ts writes last: the entry chunk and the modules in the chunks. */
export const MANIFEST = 'bundle.json';
const FORMAT = 'kapi-review-bundle';

export interface BundleManifest {
  format: typeof FORMAT;
  /** The entry chunk, in the bundle's folder. */
  entry: string;
  /** Each module joined into the chunks: its path under dist/, size and modification time. */
  modules: [path: string, size: number, mtimeMs: number][];
}

/** Where a process started from the bundle keeps the text of its manifest (app/cache/facts.ts reads it). */
const BUILD_STAMP = Symbol.for('kapi-review.build');

/** The code cache of a chunk sits next to it. */
export function codeCacheFile(chunk: string): string {
  return `${chunk}.v8cache`;
}

/**
 * The manifest (and its text), when it is one and every module it names is still the one the
 * bundle holds.
 */
function freshManifest(dir: string, dist: string): { manifest: BundleManifest; text: string } | null {
  let m: Partial<BundleManifest>;
  let text: string;
  try {
    text = readFileSync(join(dir, MANIFEST), 'utf8');
    m = JSON.parse(text) as Partial<BundleManifest>;
  } catch {
    return null;
  }
  if (m.format !== FORMAT || typeof m.entry !== 'string' || !Array.isArray(m.modules)) return null;
  // the paths are relative to dist/ already: a concatenation, not path.join (2 ms for 170 paths)
  const base = dist.endsWith(sep) ? dist : `${dist}${sep}`;
  for (const entry of m.modules) {
    if (!Array.isArray(entry)) return null;
    const [path, size, mtimeMs] = entry;
    try {
      const st = statSync(`${base}${path}`);
      if (st.size !== size || st.mtimeMs !== mtimeMs) return null;
    } catch {
      return null;
    }
  }
  return { manifest: m as BundleManifest, text };
}

/** A chunk as CommonJS wraps a module: V8's code cache belongs to this exact text. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
}

export interface LoadedBundle {
  cli: Cli;
  /** Each chunk loaded, and its script: whether V8 took its cache, and the cache to write. */
  chunks: { file: string; script: Script }[];
}

/**
 * The CLI from the bundle in `dir` (default dist/app/bundle), or null when there is none, it is
 * older than a module it holds, or it does not load. Chunks require each other by `./name`;
 * everything else (node's modules, packages) goes to node's own require.
 */
export function loadBundle(dir = BUNDLE_DIR, dist = DIST): LoadedBundle | null {
  const fresh = freshManifest(dir, dist);
  if (!fresh) return null;
  const { manifest } = fresh;
  const loaded = new Map<string, { exports: unknown }>();
  const chunks: LoadedBundle['chunks'] = [];
  // one require for what lies outside: the chunks share their folder, so they resolve alike
  const outside = createRequire(join(dir, manifest.entry));
  const require = Object.assign(
    (id: string): unknown => (id.startsWith('./') ? load(join(dir, id)) : outside(id)),
    { resolve: outside.resolve, cache: outside.cache, main: outside.main, extensions: outside.extensions },
  );
  function load(file: string): unknown {
    const known = loaded.get(file);
    if (known) return known.exports;
    const module = { exports: {} as unknown };
    loaded.set(file, module);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(codeCacheFile(file));
    } catch {
      // no cache: V8 compiles the chunk as it would any script
    }
    const script = new Script(wrap(readFileSync(file, 'utf8')), {
      filename: file,
      ...(cachedData ? { cachedData } : {}),
    });
    chunks.push({ file, script });
    const run = script.runInThisContext() as (...args: unknown[]) => void;
    run.call(module.exports, module.exports, require, module, file, dirname(file));
    return module.exports;
  }
  // the build this process runs, for app/cache's entries: the manifest just checked names every
  // module of it with its size and mtime, so its text stands for them (no second walk of dist/;
  // app/cache hashes it only when a cache is used)
  const globals = globalThis as Record<symbol, unknown>;
  globals[BUILD_STAMP] = fresh.text;
  try {
    const cli = load(join(dir, manifest.entry)) as Partial<Cli>;
    if (typeof cli.main === 'function') return { cli: cli as Cli, chunks };
    delete globals[BUILD_STAMP];
    return null;
  } catch {
    delete globals[BUILD_STAMP];
    return null;
  }
}

/** Writes the code cache of each chunk as V8 has compiled it so far (the build's training run). */
export function writeCodeCache(chunks: LoadedBundle['chunks']): void {
  for (const { file, script } of chunks) {
    const target = codeCacheFile(file);
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, target);
  }
}

/** Runs the command line `argv` (process.argv's shape) and returns the exit code. */
export async function launch(argv: string[], io?: CliIo): Promise<number> {
  tuneV8();
  const cli = loadBundle()?.cli ?? (await import('./main.js'));
  return io ? cli.main(argv, io) : cli.main(argv);
}
