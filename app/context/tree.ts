/**
 * Kernel trees the post-image is built on: a plain directory, or a git checkout read at the
 * series' base-commit when that commit exists there (else its working tree, and we say so); and
 * what a review was made on, named by commit for the replies (reviewBase).
 */
import { execFile } from 'node:child_process';
import { existsSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import type { ReviewBase } from '../../reporters/email.js';
import { FileError, fsErrorText, isFsError, notRegular, readRegularFile } from '../io/files.js';
import type { TreeReader } from './postimage.js';

const run = promisify(execFile);

/** Paths from mail must stay inside the tree: no absolute paths, no `..` escapes. */
export function safeJoin(root: string, path: string): string | null {
  const p = normalize(path);
  if (p.startsWith('..') || p.startsWith(sep) || p.includes(`${sep}..${sep}`)) return null;
  return join(root, p);
}

/**
 * A plain directory. A path that is not there (or runs through a file) is not in the tree: null.
 * A FIFO, a device or a socket at a path a patch touches is never opened, and any other
 * filesystem error (a symbolic link loop, permissions) is not taken for a missing file: both throw
 * a FileError that names the path (`check` exits 2 with it; the bot logs it for that series).
 */
export function directoryTree(root: string, label = `directory ${root}`): TreeReader {
  return {
    async read(path) {
      const full = safeJoin(root, path);
      if (!full) return null;
      let st: Stats;
      try {
        st = await stat(full);
      } catch (e) {
        if (isFsError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return null;
        if (isFsError(e)) throw new FileError(`${label}: ${fsErrorText(e, path)}`, full, e.code ?? null);
        throw e;
      }
      if (st.isDirectory()) return null;
      if (!st.isFile()) {
        const refused = notRegular(path, st);
        throw new FileError(`${label}: ${refused.message}`, full);
      }
      try {
        return await readRegularFile(full, st);
      } catch (e) {
        if (e instanceof FileError) throw new FileError(`${label}: ${e.message}`, full, e.code);
        throw e;
      }
    },
    describe: () => label,
  };
}

function gitTreeAt(root: string, commit: string): TreeReader {
  return {
    async read(path) {
      if (!safeJoin(root, path)) return null;
      try {
        const { stdout } = await run('git', ['-C', root, 'show', `${commit}:${path}`], {
          maxBuffer: 256 * 1024 * 1024,
          encoding: 'utf8',
        });
        return stdout;
      } catch {
        return null;
      }
    },
    describe: () => `git tree ${root} at ${commit.slice(0, 12)}`,
  };
}

async function commitExists(root: string, commit: string): Promise<boolean> {
  if (!/^[0-9a-f]{7,64}$/i.test(commit)) return false;
  try {
    await run('git', ['-C', root, 'cat-file', '-e', `${commit}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Opens `root` as the base of a series: at base-commit in a git checkout when possible. */
export async function openTree(
  root: string,
  baseCommit: string | null,
): Promise<{ tree: TreeReader; note: string | null }> {
  const isGit = existsSync(join(root, '.git'));
  if (isGit && baseCommit && (await commitExists(root, baseCommit)))
    return { tree: gitTreeAt(root, baseCommit), note: null };
  const tree = directoryTree(root);
  if (isGit && baseCommit)
    return { tree, note: `base-commit ${baseCommit.slice(0, 12)} is not in ${root}; using its working tree` };
  if (baseCommit)
    return {
      tree,
      note: `${root} is not a git checkout; base-commit ${baseCommit.slice(0, 12)} not checked`,
    };
  return { tree, note: null };
}

/** The commit HEAD names in a git checkout, or null (not a checkout, an unborn branch, no git). */
async function headCommit(root: string): Promise<string | null> {
  try {
    const { stdout } = await run('git', ['-C', root, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
    const id = stdout.trim();
    return /^[0-9a-f]{40,64}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** `6.12.5`, `6.13-rc1`: the release a kernel Makefile describes, or null when it is not one. */
export function kernelRelease(makefile: string): string | null {
  const field = (name: string): string | null =>
    new RegExp(`^${name}\\s*=[ \\t]*(\\S*)[ \\t]*$`, 'm').exec(makefile)?.[1] ?? null;
  const version = field('VERSION');
  const patchlevel = field('PATCHLEVEL');
  if (!version || !patchlevel || !/^\d+$/.test(version) || !/^\d+$/.test(patchlevel)) return null;
  const sublevel = field('SUBLEVEL');
  const extra = field('EXTRAVERSION') ?? '';
  const sub = sublevel && /^\d+$/.test(sublevel) && sublevel !== '0' ? `.${sublevel}` : '';
  return `${version}.${patchlevel}${sub}${/^[\w.+~-]{0,40}$/.test(extra) ? extra : ''}`;
}

/**
 * What a review of a series with this base-commit is made on when `root` is the tree (null: the
 * hunks alone), as openTree decides: the base-commit when the checkout has it, else its HEAD; a
 * tree without git is named by its Makefile's release. Never the tree's path: the replies carry it.
 */
export async function reviewBase(root: string | null, baseCommit: string | null): Promise<ReviewBase> {
  const base = baseCommit && /^[0-9a-f]{7,64}$/i.test(baseCommit) ? baseCommit.toLowerCase() : null;
  if (!root) return { kind: 'hunks', baseCommit: base };
  if (existsSync(join(root, '.git'))) {
    if (base && (await commitExists(root, base)))
      return { kind: 'commit', commit: base, from: 'base-commit', missing: null };
    const head = await headCommit(root);
    if (head) return { kind: 'commit', commit: head, from: 'head', missing: base };
  }
  const makefile = await readFile(join(root, 'Makefile'), 'utf8').catch(() => '');
  return { kind: 'release', release: kernelRelease(makefile.slice(0, 4096)), baseCommit: base };
}
