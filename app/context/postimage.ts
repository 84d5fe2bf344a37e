/**
 * Post-image context: the checks need whole files, not hunks. Each patch of a series is applied in
 * memory, in order, to the files of a kernel tree (when one is given) and the pre- and post-image
 * of every touched file is kept per patch. A hunk that does not apply puts that file in diff-only
 * mode from there on, with the hunk and the reason; without a tree, new files are whole and other
 * files are known only by their hunk fragments.
 */
import { createHash } from 'node:crypto';
import type { FileDiff } from '../../parsers/diff.js';
import { changedLineRanges } from '../../parsers/text/line-diff.js';
import { type Issue, issue } from '../../parsers/types.js';
import { applyHunks } from './apply.js';

/** Post-image lines of one hunk (context and added lines), starting at `startLine`. */
export interface Fragment {
  startLine: number;
  lines: string[];
}

export interface FileImage {
  path: string;
  oldPath: string | null;
  /** The whole pre-image, when known. */
  pre: string | null;
  /** The whole post-image, when known (mode 'full'). */
  post: string | null;
  /** 'full': whole post-image; 'hunks': only `fragments`; 'deleted': the patch removes the file. */
  mode: 'full' | 'hunks' | 'deleted';
  /** The post-image lines each hunk shows; always present, also in mode 'full'. */
  fragments: Fragment[];
  /**
   * Mode 'full': the post-image line each hunk starts on, when every hunk fitted exactly and in
   * order (app/context/apply.ts applyHunks); absent when only a diff of the images can tell.
   */
  hunkStarts?: number[];
  /** Why the file is not in full mode, or what was noticed on the way. */
  notes: string[];
}

export interface PatchInput {
  messageId: string | null;
  label: string;
  files: FileDiff[];
}

export interface PatchImage {
  messageId: string | null;
  label: string;
  files: FileImage[];
}

/** Reads files of the base tree; null when the file does not exist there. */
export interface TreeReader {
  read(path: string): Promise<string | null>;
  /** For messages: 'git tree /x at <sha>' or 'directory /x'. */
  describe(): string;
}

/** git's blob id of a text, to compare with the abbreviated ids of a diff's `index` line. */
export function gitBlobId(text: string): string {
  // hashed as it is encoded: no copy of the file into a buffer, and none to prefix the header
  return createHash('sha1')
    .update(`blob ${Buffer.byteLength(text, 'utf8')}\0`)
    .update(text, 'utf8')
    .digest('hex');
}

/**
 * Whether `pre` is the blob the diff's `index` line names as its base (false when it names none):
 * asked on demand, since hashing every pre-image of a series costs more than anything reads it.
 */
export function isDiffBase(pre: string, f: FileDiff): boolean {
  return f.indexOld ? gitBlobId(pre).startsWith(f.indexOld) : false;
}

function fragmentsOf(f: FileDiff): Fragment[] {
  return f.hunks.map((h) => ({
    startLine: h.newStart,
    lines: h.lines.filter((l) => l.kind !== 'del').map((l) => l.text),
  }));
}

/**
 * Applies one file diff to a pre-image, hunk by hunk, so a failure names its hunk. Each hunk fits
 * as jsdiff's applyPatch fits it alone (exactly, else with a fuzz factor of 2) on the text the
 * previous hunks left, in one pass over the file however many hunks there are (app/context/apply.ts).
 */
export function applyFileDiff(
  pre: string,
  f: FileDiff,
): { post: string | null; failure: string | null; starts?: number[] } {
  const { post, failed, starts } = applyHunks(pre, f.hunks);
  const h = f.hunks[failed];
  if (post === null && h)
    return {
      post: null,
      failure: `hunk ${failed + 1} (@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@) does not apply: its context is not in the file`,
    };
  return { post, failure: null, ...(starts ? { starts } : {}) };
}

/**
 * Applies the patches in order. `tree` gives the base; files a patch touches again see the
 * previous patch's post-image.
 */
export async function buildPostImages(
  patches: PatchInput[],
  tree: TreeReader | null,
): Promise<{ patches: PatchImage[]; issues: Issue[] }> {
  const issues: Issue[] = [];
  /** Current text of each path after the patches so far; null = known not to exist; absent = unknown. */
  const current = new Map<string, string | null>();
  /** Paths that fell back to diff-only mode stay there for the rest of the series. */
  const diffOnly = new Set<string>();
  const out: PatchImage[] = [];
  for (const p of patches) {
    const files: FileImage[] = [];
    for (const f of p.files) {
      const oldPath = f.oldPath;
      const img: FileImage = {
        path: f.path,
        oldPath,
        pre: null,
        post: null,
        mode: 'hunks',
        fragments: fragmentsOf(f),
        notes: [],
      };
      files.push(img);
      if (f.binary) {
        img.notes.push('binary file');
        continue;
      }
      // the pre-image
      let pre: string | null | undefined;
      if (f.status === 'added') pre = '';
      else if (oldPath && diffOnly.has(oldPath)) pre = undefined;
      else if (oldPath && current.has(oldPath)) pre = current.get(oldPath);
      else if (oldPath && tree) {
        pre = await tree.read(oldPath);
        if (pre === null) {
          img.notes.push(`${oldPath} is not in ${tree.describe()}`);
          issues.push(
            issue(
              'context-missing-file',
              'warning',
              `${p.label}: ${oldPath} is not in ${tree.describe()}; diff-only`,
            ),
          );
          pre = undefined;
        }
      } else pre = undefined;
      if (pre === null) {
        img.notes.push(`${oldPath} was deleted by an earlier patch`);
        pre = undefined;
      }
      if (pre === undefined) {
        if (!tree && f.status !== 'added') img.notes.push('no kernel tree given: only the hunks are known');
        if (f.status === 'deleted') img.mode = 'deleted';
        if (oldPath) diffOnly.add(oldPath);
        diffOnly.add(f.path);
        continue;
      }
      img.pre = pre;
      if (f.status === 'deleted') {
        img.mode = 'deleted';
        if (oldPath) current.set(oldPath, null);
        continue;
      }
      const { post, failure, starts } = applyFileDiff(pre, f);
      if (post === null) {
        img.notes.push(failure ?? 'does not apply');
        issues.push(
          issue('context-hunk-failed', 'warning', `${p.label}: ${f.path}: ${failure}; diff-only from here`),
        );
        diffOnly.add(f.path);
        if (oldPath) diffOnly.add(oldPath);
        continue;
      }
      img.post = post;
      img.mode = 'full';
      if (starts) img.hunkStarts = starts;
      if (oldPath && oldPath !== f.path) current.set(oldPath, null);
      current.set(f.path, post);
    }
    out.push({ messageId: p.messageId, label: p.label, files });
  }
  return { patches: out, issues };
}

/**
 * The post-image lines a patch added and its hunks' post-image ranges, from its hunks when they
 * fitted exactly at `starts` (each hunk's own numbering shifted to where it landed): what
 * changedLines would find by diffing the images, without the diff.
 */
export function shiftedLines(
  f: FileDiff,
  starts: readonly number[],
): { added: number[]; hunks: { start: number; end: number }[] } {
  const added: number[] = [];
  const hunks: { start: number; end: number }[] = [];
  for (const [i, h] of f.hunks.entries()) {
    const shift = (starts[i] ?? h.newStart) - h.newStart;
    if (h.newLines > 0) hunks.push({ start: h.newStart + shift, end: h.newStart + shift + h.newLines - 1 });
    for (const l of h.lines) if (l.kind === 'add' && l.newLine !== undefined) added.push(l.newLine + shift);
  }
  return { added, hunks };
}

/**
 * The post-image lines a patch added and its hunks' post-image ranges, from the two whole images.
 * The diff's own line numbers describe the tree the patch was made on; when a hunk applied at an
 * offset (another base, an earlier patch of the series moved it), only a diff of the images we
 * actually built says which lines are new.
 */
export function changedLines(
  pre: string,
  post: string,
): { added: number[]; hunks: { start: number; end: number }[] } {
  // the lines a unified diff with 3 lines of context would add, and its hunks, exactly as jsdiff's
  // structuredPatch gave them (parsers/text/line-diff.ts, checked against it by a property test)
  return changedLineRanges(pre, post, 3);
}
