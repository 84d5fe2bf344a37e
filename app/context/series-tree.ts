/**
 * A kernel tree with a series applied, on disk: a copy of the base tree made of hard links (a
 * whole 6.12 tree in a few seconds and no extra space; a plain copy across filesystems), in which each file the series changes is
 * replaced (never written through its link, which would change the base) by its last post-image.
 * For the benches and the corpus suite: `audit` reads a tree from disk.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fnv64 } from '../../parsers/hash.js';
import { parseMail } from '../../parsers/mail.js';
import { buildPostImages, type PatchInput } from './postimage.js';
import { directoryTree, safeJoin } from './tree.js';

const run = promisify(execFile);
const STAMP = '.kapi-series-tree';

/** The folder, in the kernel cache, that the bench and the corpus suite keep 6.12 + RFC v2 in. */
export const RFC_V2_TREE = 'linux-6.12-rfc-v2';

export interface SeriesTree {
  dir: string;
  /** Paths written with their post-image, and removed. */
  written: string[];
  removed: string[];
  /** Paths a hunk of the series did not apply to (left as in the base), with the reason. */
  failed: string[];
}

/**
 * Makes `out` the base tree `base` with `patches` applied in order. `key` names the series: a tree
 * already made at `out` with the same key is reused as it is.
 */
export async function treeWithSeries(
  base: string,
  patches: readonly PatchInput[],
  out: string,
  key: string,
): Promise<SeriesTree> {
  const stamp = join(out, STAMP);
  if (existsSync(stamp)) {
    const kept = JSON.parse(readFileSync(stamp, 'utf8')) as SeriesTree & { key: string };
    if (kept.key === key)
      return { dir: out, written: kept.written, removed: kept.removed, failed: kept.failed };
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  // hard links need one filesystem; a copy elsewhere (a fixture into the temp folder) is a copy
  await run('cp', ['-al', base, out]).catch(async () => {
    rmSync(out, { recursive: true, force: true });
    await run('cp', ['-a', base, out]);
  });
  const images = await buildPostImages([...patches], directoryTree(base));
  const last = new Map<string, { mode: string; post: string | null }>();
  for (const p of images.patches) for (const f of p.files) last.set(f.path, { mode: f.mode, post: f.post });
  const result: SeriesTree = {
    dir: out,
    written: [],
    removed: [],
    failed: images.issues.map((i) => i.message),
  };
  for (const [path, f] of last) {
    const full = safeJoin(out, path);
    if (!full) continue;
    if (f.mode === 'deleted') {
      rmSync(full, { force: true });
      result.removed.push(path);
    } else if (f.mode === 'full' && f.post !== null) {
      mkdirSync(dirname(full), { recursive: true });
      // a hard link to the base: unlink first, so the base keeps its text
      if (existsSync(full)) unlinkSync(full);
      writeFileSync(full, f.post);
      result.written.push(path);
    }
  }
  writeFileSync(stamp, JSON.stringify({ key, ...result }));
  return result;
}

/**
 * A kernel tree with one posting of ../shared/corpus applied (its `*.patch.txt` files in name
 * order, as far as they apply), kept at `out` and reused while the tree and the patches are the same.
 */
export async function treeWithPosting(kernel: string, postingDir: string, out: string): Promise<SeriesTree> {
  const names = readdirSync(postingDir)
    .filter((n) => n.endsWith('.patch.txt'))
    .sort();
  const patches: PatchInput[] = [];
  const key: string[] = [kernel];
  for (const n of names) {
    const bytes = readFileSync(join(postingDir, n));
    key.push(n, fnv64(bytes.toString('latin1')));
    const m = (await parseMail(bytes)).value;
    patches.push({ messageId: m.messageId, label: n, files: m.files });
  }
  return treeWithSeries(kernel, patches, out, fnv64(key.join('\0')));
}
