/**
 * Kernel trees the post-image is built on: a plain directory, or a git checkout read at the
 * series' base-commit when that commit exists there (else its working tree, and we say so).
 */
import { execFile } from 'node:child_process';
import { existsSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
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
