/**
 * Applies the hunks of one file diff to a pre-image in one pass over the file.
 *
 * The result is, hunk for hunk, what jsdiff's `applyPatch` gives when each hunk is applied alone
 * to the text the previous hunks left (first exactly, then with a fuzz factor of 2), which is how
 * post-images were built before; that took a split, a join and a line-ending scan of the whole
 * file per hunk, so hunks x lines. Here the text is a cursor over the pre-image's lines: the lines
 * before the cursor are the finished output, the ones after it are still the pre-image, and a hunk
 * that applies after the cursor (every hunk of a well-formed diff) costs its own lines and the
 * distance searched, not the file. jsdiff's search, fuzz and end-of-file newline rules are kept
 * as they are (app/context/postimage.ts documents the contract; a property test compares the two
 * on random files and diffs); a hunk that lands before the cursor (out of order, or found by a
 * backward search) rebuilds the text once, the way jsdiff would.
 */
import type { Hunk } from '../../parsers/diff.js';

/** The lines jsdiff's structured patch carries for one hunk: an op character and the text. */
export function hunkPatchLines(h: Hunk): string[] {
  const lines: string[] = [];
  for (const l of h.lines) {
    lines.push(`${l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' '}${l.text}`);
    if (l.noNewlineAtEof) lines.push('\\ No newline at end of file');
  }
  return lines;
}

const endsCr = (s: string | undefined): boolean => s?.endsWith('\r') === true;

function isUnix(lines: readonly string[]): boolean {
  return !lines.some((l) => !l.startsWith('\\') && l.endsWith('\r'));
}

function keepsEnding(lines: readonly string[], l: string, i: number): boolean {
  return l.startsWith('\\') || l.endsWith('\r') || (lines[i + 1]?.startsWith('\\') ?? false);
}

function isWin(lines: readonly string[]): boolean {
  return lines.some((l) => l.endsWith('\r')) && lines.every((l, i) => keepsEnding(lines, l, i));
}

/** jsdiff's util/distance-iterator: start+1, start-1, start+2, ... within [min, max]. */
function distanceIterator(start: number, minLine: number, maxLine: number): () => number | undefined {
  let wantForward = true;
  let backwardExhausted = false;
  let forwardExhausted = false;
  let localOffset = 1;
  const iterator = (): number | undefined => {
    if (wantForward && !forwardExhausted) {
      if (backwardExhausted) localOffset++;
      else wantForward = false;
      if (start + localOffset <= maxLine) return start + localOffset;
      forwardExhausted = true;
    }
    if (!backwardExhausted) {
      if (!forwardExhausted) wantForward = true;
      if (minLine <= start - localOffset) return start - localOffset++;
      backwardExhausted = true;
      return iterator();
    }
    return undefined;
  };
  return iterator;
}

/**
 * The text being patched: `out` (finished lines) followed by `src` from `cur` on. `cr` counts the
 * lines that end in CR, so whether the text has only CRLF or only LF line ends is known without
 * a scan.
 */
class LineText {
  private out: string[] = [];
  private src: string[];
  private cur = 0;
  private cr = 0;

  constructor(text: string) {
    this.src = text.split('\n');
    for (const l of this.src) if (endsCr(l)) this.cr++;
  }

  get length(): number {
    return this.out.length + this.src.length - this.cur;
  }

  at(i: number): string | undefined {
    if (i < 0) return undefined;
    const k = this.out.length;
    return i < k ? this.out[i] : this.src[this.cur + i - k];
  }

  /** jsdiff's hasOnlyWinLineEndings / hasOnlyUnixLineEndings of the joined text. */
  lineEnds(): 'win' | 'unix' | 'mixed' {
    const n = this.length;
    const breaks = n - 1;
    if (breaks <= 0) return 'mixed';
    const crlf = this.cr - (endsCr(this.at(n - 1)) ? 1 : 0);
    return crlf === breaks ? 'win' : crlf === 0 ? 'unix' : 'mixed';
  }

  /** Removes the last line (only ever an empty one). */
  pop(): void {
    if (this.cur < this.src.length) this.src.pop();
    else this.out.pop();
  }

  /** Appends an empty line. */
  pushEmpty(): void {
    if (this.cur < this.src.length) this.src.push('');
    else this.out.push('');
  }

  /**
   * Lines [from, to) become `lines`, as jsdiff's copy loops do it (indices out of range included:
   * a missing line is an empty one once joined).
   */
  replace(from: number, to: number, lines: readonly (string | undefined)[]): void {
    const k = this.out.length;
    const n = this.length;
    if (from >= k && from <= to && to <= n) {
      const a = this.cur + from - k;
      const b = this.cur + to - k;
      for (let i = this.cur; i < a; i++) this.out.push(this.src[i] as string);
      for (let i = a; i < b; i++) if (endsCr(this.src[i])) this.cr--;
      for (const l of lines) {
        const s = l ?? '';
        this.out.push(s);
        if (endsCr(s)) this.cr++;
      }
      this.cur = b;
    } else {
      // a hunk before the cursor, or one that reaches past either end: rebuild, like jsdiff would
      const all = this.lines();
      const next: string[] = [];
      for (let i = 0; i < from; i++) next.push(all[i] ?? '');
      for (const l of lines) next.push(l ?? '');
      for (let i = to; i < all.length; i++) next.push(all[i] ?? '');
      this.out = [];
      this.src = next;
      this.cur = 0;
      this.cr = 0;
      for (const l of next) if (endsCr(l)) this.cr++;
    }
    // jsdiff joins and the next hunk splits again: no lines at all read back as one empty line
    if (this.length === 0) this.pushEmpty();
  }

  lines(): string[] {
    return this.out.concat(this.src.slice(this.cur));
  }

  toString(): string {
    return this.lines().join('\n');
  }
}

interface PreparedHunk {
  oldStart: number;
  oldLines: number;
  lines: string[];
  unix: boolean;
  win: boolean;
  removeEofNl: boolean;
  addEofNl: boolean;
}

function prepare(h: Hunk, oldStart: number): PreparedHunk {
  const lines = hunkPatchLines(h);
  let prev = '';
  let removeEofNl = false;
  let addEofNl = false;
  for (const line of lines) {
    if (line[0] === '\\') {
      if (prev[0] === '+') removeEofNl = true;
      else if (prev[0] === '-') addEofNl = true;
    }
    prev = line;
  }
  return {
    // jsdiff counts an empty old range from the line after it, as its own parser does
    oldStart: h.oldLines === 0 ? oldStart + 1 : oldStart,
    oldLines: h.oldLines,
    lines,
    unix: isUnix(lines),
    win: isWin(lines),
    removeEofNl,
    addEofNl,
  };
}

interface Fit {
  patchedLines: (string | undefined)[];
  oldLineLastI: number;
}

/** jsdiff's applyHunk, reading the text through `at`. */
function fitHunk(
  at: (i: number) => string | undefined,
  hunkLines: readonly string[],
  start: number,
  maxErrors: number,
): Fit | null {
  const tryAt = (
    toPos: number,
    errors: number,
    hunkLinesI: number,
    lastContextLineMatched: boolean,
    patchedLines: (string | undefined)[],
    patchedLinesLength: number,
  ): Fit | null => {
    let nConsecutiveOldContextLines = 0;
    let nextContextLineMustMatch = false;
    for (; hunkLinesI < hunkLines.length; hunkLinesI++) {
      const hunkLine = hunkLines[hunkLinesI] as string;
      const operation = hunkLine.length > 0 ? hunkLine[0] : ' ';
      const content = hunkLine.length > 0 ? hunkLine.slice(1) : hunkLine;
      if (operation === '-') {
        if (at(toPos) === content) {
          toPos++;
          nConsecutiveOldContextLines = 0;
        } else {
          if (!errors || at(toPos) == null) return null;
          patchedLines[patchedLinesLength] = at(toPos);
          return tryAt(toPos + 1, errors - 1, hunkLinesI, false, patchedLines, patchedLinesLength + 1);
        }
      }
      if (operation === '+') {
        if (!lastContextLineMatched) return null;
        patchedLines[patchedLinesLength] = content;
        patchedLinesLength++;
        nConsecutiveOldContextLines = 0;
        nextContextLineMustMatch = true;
      }
      if (operation === ' ') {
        nConsecutiveOldContextLines++;
        patchedLines[patchedLinesLength] = at(toPos);
        if (at(toPos) === content) {
          patchedLinesLength++;
          lastContextLineMatched = true;
          nextContextLineMustMatch = false;
          toPos++;
        } else {
          if (nextContextLineMustMatch || !errors) return null;
          // a substitution, an insertion or a deletion the hunk's context does not show
          return (
            (at(toPos) &&
              (tryAt(toPos + 1, errors - 1, hunkLinesI + 1, false, patchedLines, patchedLinesLength + 1) ||
                tryAt(toPos + 1, errors - 1, hunkLinesI, false, patchedLines, patchedLinesLength + 1))) ||
            tryAt(toPos, errors - 1, hunkLinesI + 1, false, patchedLines, patchedLinesLength)
          );
        }
      }
    }
    patchedLinesLength -= nConsecutiveOldContextLines;
    toPos -= nConsecutiveOldContextLines;
    patchedLines.length = patchedLinesLength;
    return { patchedLines, oldLineLastI: toPos - 1 };
  };
  return tryAt(start, maxErrors, 0, true, [], 0);
}

/**
 * jsdiff's applyPatch of a one-hunk patch, on `text` in place: the 0-based line the hunk's first
 * line went to, or null (text unchanged) when it does not fit.
 */
function applyOne(text: LineText, h: PreparedHunk, fuzzFactor: number): number | null {
  let lines = h.lines;
  const ends = text.lineEnds();
  if (ends === 'win' && h.unix) lines = lines.map((l, i) => (keepsEnding(lines, l, i) ? l : `${l}\r`));
  else if (ends === 'unix' && h.win) lines = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));

  let undo: 'none' | 'push' | 'pop' = 'none';
  const last = text.at(text.length - 1);
  if (h.removeEofNl) {
    if (h.addEofNl) {
      if (!fuzzFactor && last === '') return null;
    } else if (last === '') {
      text.pop();
      undo = 'push';
    } else if (!fuzzFactor) return null;
  } else if (h.addEofNl) {
    if (last !== '') {
      text.pushEmpty();
      undo = 'pop';
    } else if (!fuzzFactor) return null;
  }

  const at = (i: number): string | undefined => text.at(i);
  const maxLine = text.length - h.oldLines + fuzzFactor;
  let result: Fit | null = null;
  let toPos: number | undefined;
  for (let maxErrors = 0; maxErrors <= fuzzFactor; maxErrors++) {
    toPos = h.oldStart - 1;
    const next = distanceIterator(toPos, 0, maxLine);
    for (; toPos !== undefined; toPos = next()) {
      result = fitHunk(at, lines, toPos, maxErrors);
      if (result) break;
    }
    if (result) break;
  }
  if (!result || toPos === undefined) {
    if (undo === 'push') text.pushEmpty();
    else if (undo === 'pop') text.pop();
    return null;
  }
  text.replace(toPos, result.oldLineLastI + 1, result.patchedLines);
  return toPos;
}

/**
 * Applies one file diff to a pre-image, hunk by hunk, so a failure names its hunk. `starts` is
 * the post-image line (1-based) each hunk's first line landed on, when every hunk fitted exactly
 * (no fuzz, no end-of-file newline change, no line-end conversion) and in order, each below the
 * one before: then a hunk's lines are its own lines shifted, and nothing needs diffing to number
 * them. Otherwise null.
 */
export function applyHunks(
  pre: string,
  hunks: readonly Hunk[],
): { post: string | null; failed: number; starts: number[] | null } {
  const text = new LineText(pre);
  let delta = 0;
  let starts: number[] | null = [];
  for (const [i, h] of hunks.entries()) {
    const p = prepare(h, h.oldStart + delta);
    const exact = applyOne(text, p, 0);
    const at = exact ?? applyOne(text, p, 2);
    if (at === null) return { post: null, failed: i, starts: null };
    const plain = exact !== null && !p.removeEofNl && !p.addEofNl && text.lineEnds() !== 'win';
    const prev = hunks[i - 1];
    const below =
      i === 0 || (starts !== null && prev !== undefined && at + 1 >= (starts[i - 1] ?? 0) + prev.newLines);
    if (starts && plain && below) starts.push(at + 1);
    else starts = null;
    delta += h.newLines - h.oldLines;
  }
  return { post: text.toString(), failed: -1, starts };
}
