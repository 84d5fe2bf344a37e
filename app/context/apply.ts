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
import { lineStarts } from '../../parsers/text/lines.js';

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
 * The lines of a text, read in place: line `i` is `text` from `start[i]` to `start[i + 1] - 1`
 * (the last one to the end), so a file is indexed by one scan for line ends instead of split
 * into a string per line.
 */
class SourceLines {
  readonly start: number[];
  readonly count: number;

  /** `none`: no lines at all (which `text`, empty, cannot tell from one empty line). */
  constructor(
    readonly text: string,
    none = false,
  ) {
    if (none) {
      this.start = [0];
      this.count = 0;
      return;
    }
    const start = lineStarts(text);
    this.count = start.length;
    // one past the last line's end, as if a line end followed it
    start.push(text.length + 1);
    this.start = start;
  }

  line(i: number): string {
    return this.text.slice(this.start[i] as number, (this.start[i + 1] as number) - 1);
  }

  /** Whether line `i` is `s`, without slicing it out. */
  is(i: number, s: string): boolean {
    const from = this.start[i] as number;
    return (this.start[i + 1] as number) - 1 - from === s.length && this.text.startsWith(s, from);
  }

  endsCr(i: number): boolean {
    const end = (this.start[i + 1] as number) - 1;
    return end > (this.start[i] as number) && this.text.charCodeAt(end - 1) === 0x0d;
  }

  /** Lines [a, b) as they read joined: one slice of the text. */
  slice(a: number, b: number): string {
    return this.text.slice(this.start[a] as number, (this.start[b] as number) - 1);
  }

  /** The lines that end in CR: zero without a scan per line when the text has no CR at all. */
  countCr(): number {
    if (this.text.indexOf('\r') === -1) return 0;
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.endsCr(i)) n++;
    return n;
  }
}

/** Finished output: a run of source lines kept as they were, or lines a hunk made. */
type Segment = { from: number; to: number } | { lines: string[] };

function segmentLength(s: Segment): number {
  return 'lines' in s ? s.lines.length : s.to - s.from;
}

/**
 * The text being patched: the finished output (`out`, `outLength` lines) followed by the source's
 * lines from `cur` on. The output is kept as segments, runs of untouched source lines and the
 * lines hunks made, so a hunk costs its own lines and the text is joined once at the end. `cr`
 * counts the lines that end in CR, so whether the text has only CRLF or only LF line ends is
 * known without a scan. What is rare (a hunk before the cursor, an end-of-file newline change)
 * rebuilds the source from the whole text.
 */
class LineText {
  private out: Segment[] = [];
  /** Lines of the output up to the end of each segment: where a line before the cursor lies. */
  private outEnds: number[] = [];
  private outLength = 0;
  private src: SourceLines;
  private cur = 0;
  private cr: number;

  constructor(text: string) {
    this.src = new SourceLines(text);
    this.cr = this.src.countCr();
  }

  get length(): number {
    return this.outLength + this.src.count - this.cur;
  }

  at(i: number): string | undefined {
    if (i < 0) return undefined;
    if (i >= this.outLength) {
      const j = this.cur + i - this.outLength;
      return j < this.src.count ? this.src.line(j) : undefined;
    }
    // the first segment that ends after line i (a search backwards from a hunk reads many
    // lines before the cursor, and a file of many hunks has many segments)
    let lo = 0;
    let hi = this.outEnds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.outEnds[mid] as number) > i) hi = mid;
      else lo = mid + 1;
    }
    const s = this.out[lo];
    if (s === undefined) return undefined;
    const k = i - ((this.outEnds[lo] as number) - segmentLength(s));
    return 'lines' in s ? s.lines[k] : this.src.line(s.from + k);
  }

  /** Whether line `i` is `s` (`at(i) === s`), reading the source in place. */
  is(i: number, s: string): boolean {
    if (i >= this.outLength) {
      const j = this.cur + i - this.outLength;
      return j < this.src.count && this.src.is(j, s);
    }
    return this.at(i) === s;
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
    const all = this.lines();
    all.pop();
    this.reset(all);
  }

  /** Appends an empty line. */
  pushEmpty(): void {
    const all = this.lines();
    all.push('');
    this.reset(all);
  }

  /** Starts over from `lines` as the whole text, nothing finished. */
  private reset(lines: string[]): void {
    this.src = new SourceLines(lines.join('\n'), lines.length === 0);
    this.out = [];
    this.outEnds = [];
    this.outLength = 0;
    this.cur = 0;
    this.cr = this.src.countCr();
  }

  /**
   * Lines [from, to) become `lines`, as jsdiff's copy loops do it (indices out of range included:
   * a missing line is an empty one once joined).
   */
  replace(from: number, to: number, lines: readonly (string | undefined)[]): void {
    const k = this.outLength;
    const n = this.length;
    if (from >= k && from <= to && to <= n) {
      const a = this.cur + from - k;
      const b = this.cur + to - k;
      if (a > this.cur) {
        this.out.push({ from: this.cur, to: a });
        this.outLength += a - this.cur;
        this.outEnds.push(this.outLength);
      }
      for (let i = a; i < b; i++) if (this.src.endsCr(i)) this.cr--;
      const made: string[] = [];
      for (const l of lines) {
        const s = l ?? '';
        made.push(s);
        if (endsCr(s)) this.cr++;
      }
      if (made.length > 0) {
        this.out.push({ lines: made });
        this.outLength += made.length;
        this.outEnds.push(this.outLength);
      }
      this.cur = b;
    } else {
      // a hunk before the cursor, or one that reaches past either end: rebuild, like jsdiff would
      const all = this.lines();
      const next: string[] = [];
      for (let i = 0; i < from; i++) next.push(all[i] ?? '');
      for (const l of lines) next.push(l ?? '');
      for (let i = to; i < all.length; i++) next.push(all[i] ?? '');
      this.reset(next);
    }
    // jsdiff joins and the next hunk splits again: no lines at all read back as one empty line
    if (this.length === 0) this.pushEmpty();
  }

  lines(): string[] {
    const all: string[] = [];
    for (const s of this.out)
      if ('lines' in s) for (const l of s.lines) all.push(l);
      else for (let i = s.from; i < s.to; i++) all.push(this.src.line(i));
    for (let i = this.cur; i < this.src.count; i++) all.push(this.src.line(i));
    return all;
  }

  toString(): string {
    const parts: string[] = [];
    for (const s of this.out) parts.push('lines' in s ? s.lines.join('\n') : this.src.slice(s.from, s.to));
    if (this.cur < this.src.count) parts.push(this.src.slice(this.cur, this.src.count));
    return parts.join('\n');
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
  ops: HunkOps;
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
    ops: hunkOps(lines),
  };
}

interface Fit {
  patchedLines: (string | undefined)[];
  oldLineLastI: number;
}

/**
 * A hunk's lines split once into their op characters and texts (what jsdiff's applyHunk slices
 * from each line at every position it tries), and where its first old line (context or removed)
 * is: with no errors allowed, a position fits only where the text has that line.
 */
interface HunkOps {
  ops: string[];
  contents: string[];
  /** Index of the first ' ' or '-' line; -1 when the hunk only adds. */
  firstOld: number;
}

function hunkOps(lines: readonly string[]): HunkOps {
  const ops: string[] = [];
  const contents: string[] = [];
  let firstOld = -1;
  for (const l of lines) {
    const op = l.length > 0 ? (l[0] as string) : ' ';
    if (firstOld === -1 && (op === ' ' || op === '-')) firstOld = ops.length;
    ops.push(op);
    contents.push(l.length > 0 ? l.slice(1) : l);
  }
  return { ops, contents, firstOld };
}

/** jsdiff's applyHunk, reading the text through `text.at`. */
function fitHunk(text: LineText, hunk: HunkOps, start: number, maxErrors: number): Fit | null {
  const { ops, contents } = hunk;
  const n = ops.length;
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
    for (; hunkLinesI < n; hunkLinesI++) {
      const operation = ops[hunkLinesI];
      const content = contents[hunkLinesI];
      if (operation === '-') {
        if (text.is(toPos, content as string)) {
          toPos++;
          nConsecutiveOldContextLines = 0;
        } else {
          if (!errors || text.at(toPos) == null) return null;
          patchedLines[patchedLinesLength] = text.at(toPos);
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
        if (text.is(toPos, content as string)) {
          patchedLines[patchedLinesLength] = content;
          patchedLinesLength++;
          lastContextLineMatched = true;
          nextContextLineMustMatch = false;
          toPos++;
        } else {
          const line = text.at(toPos);
          patchedLines[patchedLinesLength] = line;
          if (nextContextLineMustMatch || !errors) return null;
          // a substitution, an insertion or a deletion the hunk's context does not show
          return (
            (line &&
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
 * Whether `pos` can fit with no errors: the hunk's first old line must be the text's line there
 * (fitHunk with maxErrors 0 returns null at once otherwise). Says nothing when errors are allowed.
 */
function mayFitExactly(text: LineText, hunk: HunkOps, pos: number): boolean {
  return hunk.firstOld === -1 || text.is(pos, hunk.contents[hunk.firstOld] as string);
}

/** What a fuzz-0 applyOne left known: the positions where the hunk does not fit with no errors. */
interface ExactMisses {
  start: number;
  maxLine: number;
}

/**
 * jsdiff's applyPatch of a one-hunk patch, on `text` in place: the 0-based line the hunk's first
 * line went to, or null (text unchanged) when it does not fit. `misses`: when the fuzz-0 call
 * before this one failed on the same text with the same lines, the positions it tried, which the
 * no-error pass here skips (fitHunk would fail on each of them again).
 */
function applyOne(
  text: LineText,
  h: PreparedHunk,
  fuzzFactor: number,
  misses: ExactMisses | null = null,
): number | null {
  let lines = h.lines;
  const ends = text.lineEnds();
  if (ends === 'win' && h.unix) lines = lines.map((l, i) => (keepsEnding(lines, l, i) ? l : `${l}\r`));
  else if (ends === 'unix' && h.win) lines = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const ops = lines === h.lines ? h.ops : hunkOps(lines);

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

  const maxLine = text.length - h.oldLines + fuzzFactor;
  let result: Fit | null = null;
  let toPos: number | undefined;
  for (let maxErrors = 0; maxErrors <= fuzzFactor; maxErrors++) {
    toPos = h.oldStart - 1;
    const skip = maxErrors === 0 ? misses : null;
    const next = distanceIterator(toPos, 0, maxLine);
    for (; toPos !== undefined; toPos = next()) {
      if (maxErrors === 0) {
        if (skip && (toPos === skip.start || (toPos >= 0 && toPos <= skip.maxLine))) continue;
        if (!mayFitExactly(text, ops, toPos)) continue;
      }
      result = fitHunk(text, ops, toPos, maxErrors);
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
    // without an end-of-file newline change, the fuzz-2 call starts from the text and lines the
    // fuzz-0 one failed on: the positions that one tried need no second no-error try
    const same = !p.removeEofNl && !p.addEofNl;
    const misses = same ? { start: p.oldStart - 1, maxLine: text.length - p.oldLines } : null;
    const at = exact ?? applyOne(text, p, 2, misses);
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
