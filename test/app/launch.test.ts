import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deserialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { LEDGER } from '../../app/cache/facts.js';
import {
  BUNDLE_DIR,
  type BundleManifest,
  codeCacheFile,
  DIST,
  launch,
  loadBundle,
  MANIFEST,
  writeCodeCache,
} from '../../app/cli/launch.js';
import { main } from '../../app/cli/main.js';

/** A build of two modules and a bundle of two chunks made of them, in a folder of its own. */
function fakeBuild(chunks: Record<string, string> = {}): { dist: string; dir: string; module: string } {
  const dist = mkdtempSync(join(tmpdir(), 'kapi-launch-'));
  const dir = join(dist, 'app', 'bundle');
  mkdirSync(join(dist, 'app', 'cli'), { recursive: true });
  mkdirSync(dir, { recursive: true });
  const module = join(dist, 'app', 'cli', 'main.js');
  writeFileSync(module, 'export async function main() { return 7; }\n');
  writeFileSync(join(dist, 'app', 'cli', 'other.js'), 'export const x = 1;\n');
  const files = {
    'cli.cjs': 'const dep = require("./dep-Ab12.cjs");\nexports.main = async (argv) => dep.answer(argv);\n',
    'dep-Ab12.cjs':
      'const { join } = require("node:path");\nexports.answer = (argv) => join("a", "b").length + argv.length;\n',
    ...chunks,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const modules: BundleManifest['modules'] = ['app/cli/main.js', 'app/cli/other.js'].map((p) => {
    const st = statSync(join(dist, p));
    return [p, st.size, st.mtimeMs];
  });
  const manifest: BundleManifest = { format: 'kapi-review-bundle', entry: 'cli.cjs', modules };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest));
  return { dist, dir, module };
}

describe('the CLI bundle loader', () => {
  it('loads the entry chunk and the chunks it requires, and runs what they export', async () => {
    const b = fakeBuild();
    const loaded = loadBundle(b.dir, b.dist);
    expect(loaded).not.toBeNull();
    expect(await loaded?.cli.main(['node', 'kapi-review'])).toBe(5);
    expect(loaded?.chunks.map((c) => c.file)).toEqual([join(b.dir, 'cli.cjs'), join(b.dir, 'dep-Ab12.cjs')]);
  });

  it('is not used once a module it was made of changed, or without a sound manifest', () => {
    const changed = fakeBuild();
    utimesSync(changed.module, new Date(), new Date(Date.now() + 5000));
    expect(loadBundle(changed.dir, changed.dist)).toBeNull();
    const grown = fakeBuild();
    writeFileSync(grown.module, 'export async function main() { return 8; } // changed\n');
    expect(loadBundle(grown.dir, grown.dist)).toBeNull();
    for (const text of [
      '',
      '{',
      '{"format":"other","entry":"cli.cjs","modules":[]}',
      '{"format":"kapi-review-bundle"}',
    ]) {
      const b = fakeBuild();
      writeFileSync(join(b.dir, MANIFEST), text);
      expect(loadBundle(b.dir, b.dist)).toBeNull();
    }
    const none = fakeBuild();
    writeFileSync(
      join(none.dir, MANIFEST),
      JSON.stringify({ format: 'kapi-review-bundle', entry: 'gone.cjs', modules: [] }),
    );
    expect(loadBundle(none.dir, none.dist)).toBeNull();
  });

  it('is not used when a chunk throws or the entry exports no main', () => {
    const throws = fakeBuild({ 'dep-Ab12.cjs': 'throw new Error("broken chunk");\n' });
    expect(loadBundle(throws.dir, throws.dist)).toBeNull();
    const empty = fakeBuild({ 'cli.cjs': 'exports.other = 1;\n' });
    expect(loadBundle(empty.dir, empty.dist)).toBeNull();
  });

  it("writes each chunk's code cache, which V8 takes in the next process; a bad one is only ignored", async () => {
    const b = fakeBuild();
    const first = loadBundle(b.dir, b.dist);
    expect(first?.chunks.every((c) => c.script.cachedDataRejected === undefined)).toBe(true);
    await first?.cli.main(['x']);
    writeCodeCache(first?.chunks ?? []);
    for (const c of first?.chunks ?? []) expect(statSync(codeCacheFile(c.file)).size).toBeGreaterThan(0);
    // a process of its own: this one would find the chunks in V8's own cache of compiled scripts
    const probe = async (): Promise<{ rejected: (boolean | undefined)[]; result: number }> => {
      const code = [
        `import { loadBundle } from ${JSON.stringify(join(DIST, 'app', 'cli', 'launch.js'))};`,
        `const b = loadBundle(${JSON.stringify(b.dir)}, ${JSON.stringify(b.dist)});`,
        "const result = await b.cli.main(['x', 'y']);",
        'console.log(JSON.stringify({ rejected: b.chunks.map((c) => c.script.cachedDataRejected), result }));',
      ].join('\n');
      const r = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code]);
      return JSON.parse(r.stdout) as { rejected: (boolean | undefined)[]; result: number };
    };
    expect(await probe()).toEqual({ rejected: [false, false], result: 5 });
    writeFileSync(codeCacheFile(join(b.dir, 'dep-Ab12.cjs')), 'not a code cache');
    expect(await probe()).toEqual({ rejected: [false, true], result: 5 });
  });
});

describe('the bundle of this build (test/setup/build.ts makes it)', () => {
  it('is fresh, has no dynamic import() left, and every chunk it loads for check has a code cache', () => {
    const names = readdirSync(BUNDLE_DIR);
    for (const n of names.filter((f) => f.endsWith('.cjs')))
      expect(readFileSync(join(BUNDLE_DIR, n), 'utf8')).not.toMatch(/\bimport\s*\(/);
    const loaded = loadBundle();
    expect(loaded).not.toBeNull();
    for (const c of loaded?.chunks ?? []) expect(names).toContain(`${c.file.split('/').pop()}.v8cache`);
  });

  it("finds from its chunks' folder the files the modules find from theirs: the review worker", () => {
    const named = readdirSync(BUNDLE_DIR)
      .filter((n) => n.endsWith('.cjs'))
      .flatMap((n) => [
        ...readFileSync(join(BUNDLE_DIR, n), 'utf8').matchAll(/new URL\("([^"]*worker\.js)"/g),
      ])
      .map((m) => m[1] as string)
      .filter((rel) => !rel.includes('dist/'));
    expect(named).toEqual(['../review/worker.js']);
    expect(existsSync(join(BUNDLE_DIR, ...named))).toBe(true);
  });

  it('reviews as the modules do: the same JSON, byte for byte', async () => {
    const argv = [
      'node',
      'kapi-review',
      'check',
      '--no-cache',
      '--format',
      'json',
      '--tree',
      'fixtures/tree-frob',
    ];
    const inputs = ['fixtures/lore/frob-v1.mbox', 'fixtures/b4/widget-v1.mbox'];
    const capture = async (run: (io: { out: (s: string) => void; err: () => void }) => Promise<number>) => {
      let out = '';
      const code = await run({ out: (s) => (out += s), err: () => undefined });
      return { code, out };
    };
    const bundled = loadBundle();
    const viaBundle = await capture(
      (io) => bundled?.cli.main([...argv, ...inputs], io) ?? Promise.resolve(-1),
    );
    const viaModules = await capture((io) => main([...argv, ...inputs], io));
    expect(viaBundle.out.length).toBeGreaterThan(100);
    expect(viaBundle).toEqual(viaModules);
  });

  it('names its cache entries by the manifest it checked, and a later process reads them', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kapi-launch-cache-'));
    const args = ['bin/kapi-review.js', 'check', '--cache-dir', cache, '--format', 'json'];
    const run = (): Promise<unknown> =>
      promisify(execFile)(process.execPath, [
        ...args,
        '--tree',
        'fixtures/tree-frob',
        'fixtures/mail/base-frob-v1.mbox',
      ]).catch((e: { code?: number }) => {
        if (e.code !== 1) throw e; // findings: exit 1
      });
    const entries = (): Map<string, number> => {
      const out = new Map<string, number>();
      for (const f of readdirSync(cache, { recursive: true, withFileTypes: true }))
        if (f.isFile() && f.name !== LEDGER)
          out.set(join(f.parentPath, f.name), statSync(join(f.parentPath, f.name)).mtimeMs);
      return out;
    };
    await run();
    const first = entries();
    expect(first.size).toBeGreaterThan(0);
    const versions = new Set(
      [...first.keys()].map((f) => {
        const e = deserialize(readFileSync(f)) as { version?: unknown };
        return typeof e.version === 'string' ? e.version.replace(/^[^+]*/, '') : null;
      }),
    );
    const named = [...versions].filter((v): v is string => v !== null);
    expect(named.length).toBeGreaterThan(0);
    expect(named.every((v) => /^\+b[0-9a-f]{16}$/.test(v))).toBe(true);
    await run();
    // the second process found the whole review stored: it wrote nothing
    expect(entries()).toEqual(first);
  });

  it('launch runs a command line and returns its exit code', async () => {
    let out = '';
    const code = await launch(['node', 'kapi-review', '--version'], {
      out: (s) => (out += s),
      err: () => undefined,
    });
    expect(code).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+/);
  });
});
