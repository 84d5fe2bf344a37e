/**
 * The per-hunk way post-images were built before app/context/apply.ts: jsdiff's applyPatch on the
 * whole text once per hunk (exactly, else with a fuzz factor of 2). Kept as the bench's same-run
 * baseline and as the reference the property test (test/app/apply.test.ts) compares with.
 */
import { applyPatch, type StructuredPatch } from 'diff';
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
