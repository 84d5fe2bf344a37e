import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { directoryTree } from '../../app/context/tree.js';
import { FileError, readRegularFile, regularFileChunks } from '../../app/io/files.js';

/**
 * Issue 14: inputs an attacker (or a slip of the shell) hands the CLI. Special files are refused
 * before they are opened, every filesystem error is one line and exit 2, and an input with no mail
 * in it says so instead of passing for an empty success.
 */
const root = join(import.meta.dirname, '..', '..');
const V1 = join(root, 'fixtures', 'mail', 'base-frob-v1.mbox');

async function run(
  args: string[],
  stdin: AsyncIterable<Uint8Array> = (async function* () {})(),
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'kapi-review', ...args], {
    out: (s) => (out += s),
    err: (s) => (err += s),
    stdin,
  });
  return { code, out, err };
}

const scratches: string[] = [];
afterAll(() => {
  for (const d of scratches) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'kapi-hostile-'));
  scratches.push(d);
  return d;
}

function fifo(path: string): string {
  execFileSync('mkfifo', [path]);
  return path;
}

/** One line on stderr, no stack trace, no "internal error". */
function oneLine(err: string): void {
  expect(err.trim().split('\n')).toHaveLength(1);
  expect(err).not.toMatch(/internal error|\n\s+at /);
}

describe('special files are refused before they are opened', () => {
  it('/dev/zero, as an input of series, check and specs', async () => {
    for (const cmd of ['series', 'check', 'specs']) {
      const r = await run([cmd, '/dev/zero']);
      expect(r.code, cmd).toBe(2);
      expect(r.err).toBe(
        'kapi-review: /dev/zero is a character device, not a regular file; refusing to read it\n',
      );
    }
  });

  it('a FIFO as an input, in a folder under a mail-like name, and as --config', async () => {
    const dir = scratch();
    const p = fifo(join(dir, 'series.mbox'));
    for (const args of [
      ['series', p],
      ['check', p],
      ['specs', p],
      ['series', dir],
      ['check', '--config', p, V1],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(`${p} is a FIFO, not a regular file; refusing to read it`);
      oneLine(r.err);
    }
  });

  it('a FIFO or a device at a path the patch touches in --tree', async () => {
    const tree = scratch();
    mkdirSync(join(tree, 'kernel'));
    fifo(join(tree, 'kernel', 'frob.c'));
    const r = await run(['check', '--tree', tree, V1]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `kapi-review: directory ${tree}: kernel/frob.c is a FIFO, not a regular file; refusing to read it\n`,
    );
    const dev = scratch();
    mkdirSync(join(dev, 'kernel'));
    symlinkSync('/dev/zero', join(dev, 'kernel', 'frob.c'));
    await expect(directoryTree(dev).read('kernel/frob.c')).rejects.toThrow(
      'kernel/frob.c is a character device, not a regular file',
    );
    // a path that is not in the tree is still just missing
    expect(await directoryTree(dev).read('kernel/none.c')).toBeNull();
    expect(await directoryTree(dev).read('kernel/frob.c/x.c')).toBeNull();
  });

  it('a file that reports size 0 is read to its end, through the same reader', async () => {
    const text = await readRegularFile('/proc/self/status');
    expect(text).toMatch(/^Name:/);
    let chunks = 0;
    for await (const c of regularFileChunks('/proc/self/status')) chunks += c.length > 0 ? 1 : 0;
    expect(chunks).toBeGreaterThan(0);
    await expect(readRegularFile('/dev/null')).rejects.toBeInstanceOf(FileError);
  });
});

describe('filesystem errors are one line and exit 2', () => {
  it('a symbolic link loop, a path through a file, a name too long', async () => {
    const dir = scratch();
    symlinkSync(join(dir, 'b'), join(dir, 'a'));
    symlinkSync(join(dir, 'a'), join(dir, 'b'));
    writeFileSync(join(dir, 'plain'), '');
    const cases: [string, string, RegExp][] = [
      ['loop', join(dir, 'a'), /cannot read .*\/a: ELOOP \(too many levels of symbolic links\)/],
      ['file', join(dir, 'plain', 'x.mbox'), /cannot read .*plain\/x\.mbox: ENOTDIR/],
      ['long', join(dir, 'x'.repeat(300)), /cannot read .*: ENAMETOOLONG \(file name too long\)/],
    ];
    for (const [what, p, want] of cases)
      for (const cmd of ['series', 'check', 'specs', 'framework']) {
        const r = await run([cmd, p]);
        expect(r.code, `${cmd} ${what}`).toBe(2);
        expect(r.err, `${cmd} ${what}`).toMatch(want);
        oneLine(r.err);
      }
    const t = await run(['check', '--tree', join(dir, 'a'), V1]);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/--tree .*\/a: not a directory: ELOOP/);
    // in --tree, a loop at a path the patch touches is not taken for a missing file
    const tree = scratch();
    mkdirSync(join(tree, 'kernel'));
    symlinkSync(join(tree, 'kernel', 'frob.c'), join(tree, 'kernel', 'frob.c'));
    const r = await run(['check', '--tree', tree, V1]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read kernel\/frob\.c: ELOOP/);
    oneLine(r.err);
  });
});

describe('an input with no mail in it says so', () => {
  it('an empty file, an empty folder, empty stdin: exit 2 with a message', async () => {
    const dir = scratch();
    const empty = join(dir, 'empty.mbox');
    writeFileSync(empty, '');
    const folder = join(dir, 'nothing');
    mkdirSync(folder);
    writeFileSync(join(folder, 'notes.md'), 'not mail\n');
    for (const cmd of ['series', 'check', 'framework']) {
      expect(await run([cmd, empty])).toMatchObject({
        code: 2,
        out: '',
        err: `kapi-review: no mail in ${empty}\n`,
      });
      const f = await run([cmd, folder]);
      expect(f.code).toBe(2);
      expect(f.err).toMatch(/^kapi-review: no mail in .*nothing \(a folder is searched for \.patch, \.eml/);
      expect(await run([cmd, '-'])).toMatchObject({
        code: 2,
        out: '',
        err: 'kapi-review: no mail on stdin\n',
      });
    }
    // `check --format b4 -`, as b4 runs it: an empty stdin is a failed run, not a pass
    expect(await run(['check', '--format', 'b4', '-'])).toMatchObject({ code: 2, out: '' });
    const specs = await run(['specs', folder]);
    expect(specs).toMatchObject({ code: 2, err: `kapi-review: no .c or .h file in ${folder}\n` });
  });

  it('check on mail without a patch notes that nothing was reviewed', async () => {
    const mail = 'From: A <a@example.org>\nSubject: a question\nMessage-ID: <q@example.org>\n\nhello\n';
    const r = await run(
      ['check', '-'],
      (async function* () {
        yield Buffer.from(mail);
      })(),
    );
    expect(r.code).toBe(0);
    expect(r.err).toBe('kapi-review: no patch in the input: nothing was reviewed\n');
  });
});
