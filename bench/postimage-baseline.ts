/**
 * The per-hunk way post-images were built before app/context/apply.ts: jsdiff's applyPatch on the
 * whole text once per hunk (exactly, else with a fuzz factor of 2). Kept as the bench's same-run
 * baseline and as the reference the property test (test/app/apply.test.ts) compares with. Also the
 * way changedLines numbered a post-image before parsers/text/line-diff.ts: jsdiff's structuredPatch.
 */
import { applyPatch, type StructuredPatch, structuredPatch } from 'diff';
import { hunkPatchLines } from '../app/context/apply.js';
import type { FileDiff, Hunk } from '../parsers/diff.js';

function hunkToStructured(path: string, h: Hunk, oldStart: number): StructuredPatch {
  return {
    oldFileName: path,
    newFileName: path,
    oldHeader: '',
    newHeader: '',
    hunks: [
      {
        oldStart: h.oldLines === 0 ? oldStart + 1 : oldStart,
        oldLines: h.oldLines,
        newStart: h.newStart,
        newLines: h.newLines,
        lines: hunkPatchLines(h),
      },
    ],
  };
}

/** The old applyFileDiff: the post-image, or the index of the first hunk that does not apply. */
export function applyFileDiffPerHunk(
  pre: string,
  f: Pick<FileDiff, 'path' | 'hunks'>,
): { post: string | null; failed: number } {
  let text = pre;
  let delta = 0;
  for (const [i, h] of f.hunks.entries()) {
    const patch = hunkToStructured(f.path, h, h.oldStart + delta);
    const out = applyPatch(text, patch, { fuzzFactor: 0 });
    if (out === false) {
      const fuzzy = applyPatch(text, patch, { fuzzFactor: 2 });
      if (fuzzy === false) return { post: null, failed: i };
      text = fuzzy;
    } else text = out;
    delta += h.newLines - h.oldLines;
  }
  return { post: text, failed: -1 };
}

/** The old changedLines (app/context/postimage.ts): jsdiff's structuredPatch of the two images, read for its + lines. */
export function changedLinesJsdiff(
  pre: string,
  post: string,
): { added: number[]; hunks: { start: number; end: number }[] } {
  const added: number[] = [];
  const hunks: { start: number; end: number }[] = [];
  if (pre === post) return { added, hunks };
  if (pre === '') {
    const n = post.endsWith('\n') ? post.split('\n').length - 1 : post.split('\n').length;
    for (let i = 1; i <= n; i++) added.push(i);
    if (n > 0) hunks.push({ start: 1, end: n });
    return { added, hunks };
  }
  const patch = structuredPatch('a', 'b', pre, post, '', '', { context: 3 });
  for (const h of patch.hunks) {
    if (h.newLines > 0) hunks.push({ start: h.newStart, end: h.newStart + h.newLines - 1 });
    let n = h.newStart;
    for (const l of h.lines) {
      if (l.startsWith('+')) added.push(n++);
      else if (l.startsWith(' ')) n++;
    }
  }
  return { added, hunks };
}
