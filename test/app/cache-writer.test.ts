import { execFile } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FactCache } from '../../app/cache/facts.js';
import { BackgroundWriter } from '../../app/cache/writer.js';
import { DIST } from '../../app/cli/launch.js';
import { sourceFiles } from '../meta/files.js';

const TEXT = 'SYSCALL_DEFINE0(frob)\n{\n\treturn 0;\n}\n';
const tmp = (): string => mkdtempSync(join(tmpdir(), 'kapi-writer-'));

/** Every file under a cache folder. */
const files = (dir: string): string[] => sourceFiles(dir, () => true);

/** Syscalls as the cache keeps them (an entry of another shape is refused when read). */
const syscalls = (name: string) => [
  {
    name,
    fnName: `sys_${name}`,
    arity: 0,
    params: [],
    line: 1,
    endLine: 1,
    macroText: 'SYSCALL_DEFINE0(frob)',
  },
];

/** Entry `i` of a writer test: file e<i> in the folder v1/<folder> of the cache folder `root`. */
const entryIn = (root: string, folder: string, i: number, bytes: Uint8Array) => ({
  root,
  dir: join(root, 'v1', folder),
  file: join(root, 'v1', folder, `e${i}`),
  tmp: join(root, 'v1', folder, `e${i}.tmp`),
  bytes,
});

/** Asks a cache for the syscalls of `path`, and says whether it had to make them. */
function ask(c: FactCache, path: string, value: unknown = syscalls('frob')): boolean {
  let made = false;
  c.get('syscalls', path, TEXT, () => {
    made = true;
    return value;
  });
  return made;
}

describe('cache entries written in the background', () => {
  it('are on disk, whole and under their names, once flush() resolves', async () => {
    const dir = tmp();
    const c = new FactCache(dir, { background: true });
    for (let i = 0; i < 40; i++) expect(ask(c, `kernel/f${i}.c`)).toBe(true);
    await c.flush();
    expect(c.stats.writes).toBe(40);
    const written = files(dir);
    expect(written.length).toBe(40);
    expect(written.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // another process reads every one of them back
    const later = new FactCache(dir);
    for (let i = 0; i < 40; i++) expect(ask(later, `kernel/f${i}.c`)).toBe(false);
    expect(later.stats.hits).toBe(40);
  });

  it('keep the cap: a prune asked for while writes are out is done by flush()', async () => {
    const dir = tmp();
    const c = new FactCache(dir, { background: true, maxBytes: 4000 });
    for (let i = 0; i < 20; i++) ask(c, `f${i}.c`, syscalls(`${i}`.repeat(600)));
    c.prune();
    expect(c.stats.evicted).toBe(0);
    await c.flush();
    expect(c.stats.evicted).toBeGreaterThan(0);
    expect(files(dir).reduce((n, f) => n + statSync(f).size, 0)).toBeLessThanOrEqual(4000);
  });

  it('turn the disk off when it refuses them, and the values still come back', async () => {
    // the cache folder is a regular file: no entry can be written under it
    const dir = join(tmp(), 'a-file');
    writeFileSync(dir, 'not a folder');
    const c = new FactCache(dir, { background: true });
    expect(ask(c, 'a.c')).toBe(true);
    await c.flush();
    expect(c.onDisk).toBe(false);
    expect(ask(c, 'b.c')).toBe(true);
    expect(ask(c, 'a.c')).toBe(false); // from memory
    // the same writer thread goes on writing for a cache whose folder takes them
    const good = tmp();
    const other = new FactCache(good, { background: true });
    expect(ask(other, 'a.c')).toBe(true);
    await other.flush();
    expect(other.onDisk).toBe(true);
    expect(files(good).filter((f) => !f.endsWith('written')).length).toBe(1);
  });

  it('are handed back to the caller while too many bytes are out, and taken again once written', async () => {
    const w = BackgroundWriter.start(2, 3000) as BackgroundWriter;
    await w.whenStarted();
    expect(w.started).toBe(true);
    const root = tmp();
    const entry = (i: number) => entryIn(root, 'aa', i, new Uint8Array(1000));
    // nothing is known written yet: four entries of 1,000 bytes go out, the fifth is refused
    const taken = [0, 1, 2, 3, 4].map((i) => w.write(entry(i)));
    expect(taken).toEqual([true, true, true, true, false]);
    await w.flush();
    expect(files(root).length).toBe(4);
    expect(w.write(entry(4))).toBe(true);
    await w.flush();
    expect(files(root).length).toBe(5);
  });

  it('wait for the worker to start, and a flush() before it has are written on the calling thread', async () => {
    const root = tmp();
    const entry = (i: number) => entryIn(root, 'ab', i, new Uint8Array([i, i, i]));
    const w = BackgroundWriter.start(2) as BackgroundWriter;
    // a thread cannot have started before this one has let it say so
    expect(w.started).toBe(false);
    expect([0, 1, 2].map((i) => w.write(entry(i)))).toEqual([true, true, true]);
    expect(files(root)).toEqual([]);
    const flushed = w.flush();
    // written by now, before the flush has waited for anything
    expect(
      files(root)
        .map((f) => f.slice(-2))
        .sort(),
    ).toEqual(['e0', 'e1', 'e2']);
    expect(w.started).toBe(false);
    await flushed;
    // once started, the worker writes what comes after
    await w.whenStarted();
    expect(w.started).toBe(true);
    expect(w.write(entry(3))).toBe(true);
    await w.flush();
    expect(files(root).length).toBe(4);
    expect(files(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('made before the worker started go to it once it has, and the cap opens again without a flush()', async () => {
    const root = tmp();
    const entry = (i: number) => entryIn(root, 'ac', i, new Uint8Array(1000));
    const w = BackgroundWriter.start(2, 3000) as BackgroundWriter;
    expect([0, 1, 2, 3, 4].map((i) => w.write(entry(i)))).toEqual([true, true, true, true, false]);
    await w.whenStarted();
    expect(w.started).toBe(true);
    // the worker writes the four and says so; then the fifth is taken (a bounded wait, not a time)
    let taken = false;
    for (let i = 0; i < 1000 && !taken; i++) {
      taken = w.write(entry(4));
      if (!taken) await new Promise((r) => setTimeout(r, 10));
    }
    expect(taken).toBe(true);
    await w.flush();
    expect(
      files(root)
        .map((f) => f.slice(-2))
        .sort(),
    ).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('are not started on one core: the cache writes them itself', () => {
    expect(BackgroundWriter.start(1)).toBeNull();
    const w = BackgroundWriter.start(2);
    expect(w).not.toBeNull();
    expect(
      w?.write({
        root: tmp(),
        dir: tmp(),
        file: join(tmp(), 'x'),
        tmp: join(tmp(), 'x.tmp'),
        bytes: new Uint8Array(1),
      }),
    ).toBe(true);
    return w?.flush();
  });

  it('do not keep a process alive: one that started the writer and ends without flush() exits', async () => {
    const root = tmp();
    // a process of its own, from the build (what the CLI and the pool's workers run), its code
    // in a file: Node 20 held a module run from a file (not one from -e) alive on the old writer
    const script = join(root, 'start.mjs');
    writeFileSync(
      script,
      [
        `const { BackgroundWriter } = await import(${JSON.stringify(join(DIST, 'app', 'cache', 'writer.js'))});`,
        'const w = BackgroundWriter.start(2);',
        `const at = ${JSON.stringify(join(root, 'x'))};`,
        "const posted = w?.write({ root: at, dir: at, file: at + '/e', tmp: at + '/e.tmp', bytes: new Uint8Array(4) });",
        "console.log(posted ? 'posted' : 'refused');",
      ].join('\n'),
    );
    const r = await promisify(execFile)(process.execPath, [script], { timeout: 10_000 });
    // a writer that held the process would have run into the timeout (execFile rejects then)
    expect(r.stdout.trim()).toBe('posted');
  });
});
