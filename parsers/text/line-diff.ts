/**
 * A line diff of two whole texts that says which lines of the second are added and which ranges of
 * it the hunks of a unified diff with `context` lines of context would cover: for every input the
 * very result jsdiff 9.0.0's `structuredPatch(a, b, pre, post, '', '', { context })` gives, read for
 * its `+` lines and its hunks' new ranges (app/context/postimage.ts changedLines, which used it).
 *
 * What has to match jsdiff for that:
 * - Lines: a line ends after each `\n`, whatever is before it (a `\r\n` line keeps its `\r`, a lone
 *   `\r` is part of a line); the last line may have no `\n`, and is then unequal to the same text
 *   with one. Lines compare as whole strings.
 * - The search: Myers' greedy O(ND) search for the furthest-reaching path on each diagonal, with
 *   jsdiff's choices. Diagonal k = old position - new position. At edit length D the diagonals from
 *   -D to D go up in steps of 2; each extends the path of diagonal k+1 by an insertion or that of
 *   k-1 by a deletion: the insertion when the deletion is impossible, or when both are possible and
 *   the insertion's path is further along in the old text; on a tie, the deletion. A path that
 *   reached the last old line bounds the diagonals above it, one that reached the last new line
 *   those below. The path of k-1 is dropped once diagonal k has read it. A path is then extended
 *   along equal lines as far as they go, and the first path to reach both ends is the diff.
 * - The hunks: a change opens a hunk with up to `context` lines of the equal run before it; an
 *   equal run of at most 2 x `context` lines between changes stays inside the hunk (unless it is
 *   the last run of the file), a longer one (or the end) closes it after `context` of its lines.
 *
 * Work saved against jsdiff, not changing the result:
 * - No line is cut out of the texts: lines are compared in place, by length and then characters,
 *   their bounds found as the search reaches them. (Interning every line to an integer, tried
 *   first, cost more than the search itself: a hash of each line of both texts.)
 * - The lines both texts start with are only counted: jsdiff's first extension of diagonal 0 takes
 *   them all, and no path goes back before it.
 * - The common end is not trimmed: the search is greedy from the start, so equal lines at the end
 *   can pair up otherwise than a trimmed diff would pair them (`x` to `x x` adds the second `x`,
 *   not the first). But a path on the end's own diagonal that reaches the common end would compare
 *   equal lines up to the end, so it goes there at once, and those lines are only counted.
 * - Only the diagonals that can still lead to the end are searched (`within`): the winning path
 *   ends on the end's diagonal at the edit length D, and what a diagonal holds at length d can
 *   only reach the end's diagonal by length D if it is at most D - d away. D is not known before,
 *   but the difference in lines bounds it from below and is D itself when a patch only adds (or
 *   only removes) lines, the common case; a search within too low a bound finds nothing and is
 *   tried again within a higher one. Patches that add a few hundred lines of specs take O(D)
 *   steps instead of O(D^2).
 * - Paths share their edit lists as linked lists in typed arrays; lists no path reaches any more
 *   are dropped now and then, so memory follows the live paths and not the whole search.
 *
 * Pure: no I/O, never throws on any text.
 */

import { countNewlines } from './lines.js';

export interface ChangedLines {
  /** 1-based lines of `post` that the diff adds, ascending. */
  added: number[];
  /** The new-text range of each hunk that has lines in `post`, 1-based and inclusive. */
  hunks: { start: number; end: number }[];
}

/** An edit of the path: a run of equal lines, of inserted lines, or of deleted lines. */
const EQUAL = 0;
export const INSERT = 1;
export const DELETE = 2;

export interface LineEdits {
  /** EQUAL, INSERT or DELETE per run, in order. */
  kinds: Uint8Array;
  /** Lines in each run (at least 1). */
  counts: Int32Array;
}

/**
 * The added lines and hunk ranges of the diff of `pre` to `post` with `context` lines of context
 * (3 in unified diffs). An empty `pre` makes every line of `post` added (one hunk), as a new file.
 */
export function changedLineRanges(pre: string, post: string, context = 3): ChangedLines {
  if (pre === post) return { added: [], hunks: [] };
  if (pre === '') {
    const added: number[] = [];
    const n = countLines(post);
    for (let i = 1; i <= n; i++) added.push(i);
    return { added, hunks: n > 0 ? [{ start: 1, end: n }] : [] };
  }
  return hunksOf(diffLineEdits(pre, post), context);
}

/** Lines of a text: one per `\n`, and one more when it does not end with one. */
function countLines(text: string): number {
  const n = countNewlines(text);
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}

/**
 * The edit runs jsdiff's line diff finds from `pre` to `post` (see the module comment), equal runs
 * included. For tests: `poolSize` is the first capacity of the edit-list store (tiny, it grows and
 * drops dead lists often); `slack`, how many edits beyond the difference in lines the first bound
 * of the search allows (the result is the same with any).
 */
export function diffLineEdits(
  pre: string,
  post: string,
  { poolSize = 1024, slack = 0 }: { poolSize?: number; slack?: number } = {},
): LineEdits {
  if (pre === post) {
    const n = countLines(pre);
    return n > 0
      ? { kinds: Uint8Array.of(EQUAL), counts: Int32Array.of(n) }
      : { kinds: new Uint8Array(0), counts: new Int32Array(0) };
  }
  // the lines both start with: up to the last \n before the first unequal character
  const c = commonStart(pre, post);
  const from = c === 0 ? 0 : pre.lastIndexOf('\n', c - 1) + 1;
  const prefix = countNewlines(pre, 0, from);
  // the lines both end with, from the first line start after a \n both share (the end may not
  // reach back into the start: the texts differ between them)
  const s = commonEnd(pre, post, Math.min(pre.length, post.length) - c);
  const nl = s > 0 ? pre.indexOf('\n', pre.length - s) : -1;
  const a: Lines = { text: pre, starts: [from], count: 0, tail: 0 };
  const b: Lines = { text: post, starts: [from], count: 0, tail: 0 };
  if (nl < 0) {
    scanStarts(a, pre.length);
    scanStarts(b, post.length);
    a.count = a.tail = lineCount(a);
    b.count = b.tail = lineCount(b);
  } else {
    const end = nl + 1;
    scanStarts(a, end);
    scanStarts(b, end + post.length - pre.length);
    a.tail = a.starts.length - 1;
    b.tail = b.starts.length - 1;
    const shared = countNewlines(pre, end, pre.length) + (pre.endsWith('\n') ? 0 : 1);
    a.count = a.tail + shared;
    b.count = b.tail + shared;
  }
  const runs = search(a, b, Math.max(16, poolSize), Math.max(0, slack));
  if (prefix > 0) {
    runs.kinds.unshift(EQUAL);
    runs.counts.unshift(prefix);
  }
  return { kinds: Uint8Array.from(runs.kinds), counts: Int32Array.from(runs.counts) };
}

/** Characters both texts start with; blocks compared whole (a string compare runs at memory speed). */
function commonStart(x: string, y: string): number {
  const n = Math.min(x.length, y.length);
  let c = 0;
  for (let step = 1024; c + step <= n && x.slice(c, c + step) === y.slice(c, c + step); ) c += step;
  while (c < n && x.charCodeAt(c) === y.charCodeAt(c)) c++;
  return c;
}

/** Characters both texts end with, at most `max`. */
function commonEnd(x: string, y: string, max: number): number {
  const xl = x.length;
  const yl = y.length;
  let s = 0;
  for (
    let step = 1024;
    s + step <= max && x.slice(xl - s - step, xl - s) === y.slice(yl - s - step, yl - s);
  )
    s += step;
  while (s < max && x.charCodeAt(xl - s - 1) === y.charCodeAt(yl - s - 1)) s++;
  return s;
}

/**
 * The lines of one text from `starts[0]` on, found as the search needs them: line i (0-based from
 * there) is text[starts[i], starts[i + 1]), the last start being the text's length.
 */
interface Lines {
  text: string;
  starts: number[];
  /** How many lines there are. */
  count: number;
  /** The first line of the common end (= count when there is none). */
  tail: number;
}

/** Adds the start of each line that begins after a \n before `to`. */
function scanStarts(l: Lines, to: number): void {
  const { text, starts } = l;
  for (let i = text.indexOf('\n', starts[starts.length - 1]); i >= 0 && i < to; i = text.indexOf('\n', i + 1))
    starts.push(i + 1);
}

/** Lines of `l` when its starts reach the end of the text. */
function lineCount(l: Lines): number {
  const { text, starts } = l;
  const last = starts[starts.length - 1] as number;
  if (last < text.length) starts.push(text.length);
  return starts.length - 1;
}

/** Knows the start of line `i` (at most the count: the end of the text). */
function reach(l: Lines, i: number): void {
  const { text, starts } = l;
  while (starts.length <= i) {
    const nl = text.indexOf('\n', starts[starts.length - 1]);
    starts.push(nl < 0 ? text.length : nl + 1);
  }
}

/**
 * The last stretch of equal text found, as pre-image offsets [start, end) and the post-image's
 * offset from them: the lines of a path extending along a diagonal through it are equal without
 * looking at them again.
 */
interface Stretch {
  shift: number;
  start: number;
  end: number;
}

/** Line i of `a` equals line j of `b`, both known to their end. */
function sameLine(a: Lines, i: number, b: Lines, j: number, seen: Stretch): boolean {
  const sa = a.starts[i] as number;
  const sb = b.starts[j] as number;
  const len = (a.starts[i + 1] as number) - sa;
  if ((b.starts[j + 1] as number) - sb !== len) return false;
  if (sb - sa === seen.shift && sa >= seen.start && sa + len <= seen.end) return true;
  const r = equalFrom(a.text, sa, b.text, sb);
  if (r < len) return false;
  seen.shift = sb - sa;
  seen.start = sa;
  seen.end = sa + r;
  return true;
}

/**
 * How many characters x and y have equal from offsets p and q: one by one for a line's worth,
 * then in blocks twice as long each time (a string compare runs at memory speed), then halving.
 */
function equalFrom(x: string, p: number, y: string, q: number): number {
  const n = Math.min(x.length - p, y.length - q);
  let r = 0;
  for (; r < n && r < 32; r++) if (x.charCodeAt(p + r) !== y.charCodeAt(q + r)) return r;
  let step = 64;
  while (r + step <= n && x.slice(p + r, p + r + step) === y.slice(q + r, q + r + step)) {
    r += step;
    if (step < 1 << 16) step *= 2;
  }
  for (step >>= 1; step >= 16; step >>= 1)
    if (r + step <= n && x.slice(p + r, p + r + step) === y.slice(q + r, q + r + step)) r += step;
  while (r < n && x.charCodeAt(p + r) === y.charCodeAt(q + r)) r++;
  return r;
}

/** No path on this diagonal (jsdiff's undefined entry). */
const NONE = -2;

/**
 * The edit lists of all paths, as one store of runs: kind, line count and the run before (-1 at
 * the start). A run is never changed once made; a path that adds one more line of the kind its
 * last run has gets a new run with one line more and the same run before.
 */
class RunStore {
  kind: Uint8Array;
  count: Int32Array;
  prev: Int32Array;
  used = 0;

  constructor(size: number) {
    this.kind = new Uint8Array(size);
    this.count = new Int32Array(size);
    this.prev = new Int32Array(size);
  }

  add(kind: number, count: number, prev: number): number {
    const r = this.used++;
    this.kind[r] = kind;
    this.count[r] = count;
    this.prev[r] = prev;
    return r;
  }

  /** `last` followed by one more line of `kind`. */
  extend(last: number, kind: number): number {
    if (last >= 0 && this.kind[last] === kind)
      return this.add(kind, (this.count[last] as number) + 1, this.prev[last] as number);
    return this.add(kind, 1, last);
  }

  /**
   * Room for `more` runs: drops the runs no entry of `heads` (where `pos` has a path, between
   * `lo` and `hi`) reaches, renumbering the rest and `heads`, and grows the arrays when the live
   * runs fill half of them.
   */
  reserve(more: number, pos: Int32Array, heads: Int32Array, lo: number, hi: number): void {
    if (this.used + more <= this.kind.length) return;
    const live = new Int32Array(this.used).fill(-1);
    for (let d = lo; d <= hi; d++) {
      if (pos[d] === NONE) continue;
      for (let r = heads[d] as number; r >= 0 && live[r] === -1; r = this.prev[r] as number) live[r] = 0;
    }
    // a run's predecessor is older, so one pass in store order renumbers in place
    let w = 0;
    for (let r = 0; r < this.used; r++) {
      if (live[r] === -1) continue;
      live[r] = w;
      const p = this.prev[r] as number;
      this.kind[w] = this.kind[r] as number;
      this.count[w] = this.count[r] as number;
      this.prev[w] = p < 0 ? -1 : (live[p] as number);
      w++;
    }
    this.used = w;
    for (let d = lo; d <= hi; d++) {
      const h = heads[d] as number;
      if (pos[d] !== NONE && h >= 0) heads[d] = live[h] as number;
    }
    const need = 2 * (w + more);
    if (need > this.kind.length) {
      const size = Math.max(need, 2 * this.kind.length);
      const kind = new Uint8Array(size);
      const count = new Int32Array(size);
      const prev = new Int32Array(size);
      kind.set(this.kind.subarray(0, w));
      count.set(this.count.subarray(0, w));
      prev.set(this.prev.subarray(0, w));
      this.kind = kind;
      this.count = count;
      this.prev = prev;
    }
  }
}

/**
 * Myers' search with jsdiff's choices: the runs of the first path to the end, found within a
 * bound on the edit length, raised until a search within it gets there (see `within`).
 */
function search(a: Lines, b: Lines, poolSize: number, slack: number): { kinds: number[]; counts: number[] } {
  const store = new RunStore(poolSize);
  const max = a.count + b.count;
  // the edit length is at least the difference in lines: a patch that only adds lines needs no more
  for (let s = slack; ; s = s < 16 ? 16 : 4 * s) {
    const bound = Math.min(max, Math.abs(a.count - b.count) + s);
    const end = within(a, b, bound, store);
    if (end !== null || bound === max) return runsOf(store, end ?? -1);
    store.used = 0;
  }
}

/**
 * The search for a path to the end of at most `bound` edits; its last run, or null when it takes
 * more. It follows only the diagonals that can still lead to the end within the bound: at edit
 * length d, those at most `bound - d` from the end's diagonal. Nothing outside them reaches what
 * they compute: each step reads the diagonals next to its own at an earlier edit length (and drops
 * the one below, read by no one after), so what is more than `bound - d` diagonals away at length
 * d could only reach the end's diagonal after more than `bound` edits. jsdiff's limits (the diagonals below a
 * path that reached the last new line, above one that reached the last old line) only ever cut
 * off diagonals outside that cone, and keep the parity of each length's diagonals. So within a
 * bound at least the edit length, the path found is jsdiff's; below it, none is found.
 *
 * A path extending along the end's own diagonal into the common end of the texts goes to the end
 * at once: from there every line equals its partner (what comparing them one by one would find).
 */
function within(a: Lines, b: Lines, bound: number, store: RunStore): number | null {
  const oldLen = a.count;
  const newLen = b.count;
  const last = oldLen - newLen;
  const off = bound + 1;
  const seen: Stretch = { shift: 0, start: 0, end: 0 };
  /** Per diagonal (index k + off): how far its path got in the old text, or NONE. */
  const pos = new Int32Array(2 * bound + 3).fill(NONE);
  /** Per diagonal: the last run of its path (-1: none yet). */
  const heads = new Int32Array(2 * bound + 3).fill(-1);

  // edit length 0: the equal lines at the start (none here, the caller has taken them; kept general)
  let o = -1;
  while (o + 1 < newLen && o + 1 < oldLen) {
    reach(a, o + 2);
    reach(b, o + 2);
    if (!sameLine(a, o + 1, b, o + 1, seen)) break;
    o++;
  }
  if (o >= 0) heads[off] = store.add(EQUAL, o + 1, -1);
  pos[off] = o;
  if (o + 1 >= oldLen && o + 1 >= newLen) return heads[off] as number;

  let minK = -off - 1;
  let maxK = off + 1;
  for (let d = 1; d <= bound; d++) {
    const hi = Math.min(maxK, d, last + (bound - d));
    const coneLo = last - (bound - d);
    let k = Math.max(minK, -d);
    // the first diagonal in the cone of those jsdiff would visit (every other one from its first)
    if (k < coneLo) k += (coneLo - k + 1) & ~1;
    // the paths so far are on the diagonals from -(d - 1) to d - 1
    if (k <= hi) store.reserve(2 * (hi - k + 2), pos, heads, off - d, off + d);
    for (; k <= hi; k += 2) {
      const del = pos[off + k - 1] as number;
      const ins = pos[off + k + 1] as number;
      if (del !== NONE) pos[off + k - 1] = NONE;
      const insNew = ins - k; // the new position after inserting, on diagonal k
      const canInsert = ins !== NONE && insNew >= 0 && insNew < newLen;
      const canDelete = del !== NONE && del + 1 < oldLen;
      if (!canInsert && !canDelete) {
        pos[off + k] = NONE;
        continue;
      }
      let x: number;
      let run: number;
      if (!canDelete || (canInsert && del < ins)) {
        x = ins;
        run = store.extend(heads[off + k + 1] as number, INSERT);
      } else {
        x = del + 1;
        run = store.extend(heads[off + k - 1] as number, DELETE);
      }
      const start = x;
      let y = x - k;
      while (y + 1 < newLen && x + 1 < oldLen) {
        if (k === last && x + 1 >= a.tail) {
          x = oldLen - 1;
          y = newLen - 1;
          break;
        }
        if (a.starts.length <= x + 2) reach(a, x + 2);
        if (b.starts.length <= y + 2) reach(b, y + 2);
        if (!sameLine(a, x + 1, b, y + 1, seen)) break;
        x++;
        y++;
      }
      if (x > start) run = store.add(EQUAL, x - start, run);
      if (x + 1 >= oldLen && y + 1 >= newLen) return run;
      pos[off + k] = x;
      heads[off + k] = run;
      if (x + 1 >= oldLen) maxK = Math.min(maxK, k - 1);
      if (y + 1 >= newLen) minK = Math.max(minK, k + 1);
    }
  }
  return null;
}

/** The runs of the path whose last run is `end`, in order. */
function runsOf(store: RunStore, end: number): { kinds: number[]; counts: number[] } {
  const kinds: number[] = [];
  const counts: number[] = [];
  for (let r = end; r >= 0; r = store.prev[r] as number) {
    kinds.push(store.kind[r] as number);
    counts.push(store.count[r] as number);
  }
  kinds.reverse();
  counts.reverse();
  return { kinds, counts };
}

/**
 * The added lines and the hunks' new ranges of a diff given as runs, grouped as jsdiff's
 * structuredPatch groups them.
 */
export function hunksOf(edits: LineEdits, context: number): ChangedLines {
  const added: number[] = [];
  const hunks: { start: number; end: number }[] = [];
  const { kinds, counts } = edits;
  // one empty equal run after the last, as jsdiff appends, so the last hunk closes
  const total = kinds.length + 1;
  let open = false;
  let start = 0;
  let line = 1; // the next line of the new text
  for (let i = 0; i < total; i++) {
    const kind = i < kinds.length ? (kinds[i] as number) : EQUAL;
    const count = i < kinds.length ? (counts[i] as number) : 0;
    if (kind !== EQUAL) {
      if (!open) {
        open = true;
        start = line;
        if (i > 0 && context > 0) start -= Math.min(counts[i - 1] as number, context);
      }
      if (kind === INSERT) {
        for (let j = 0; j < count; j++) added.push(line + j);
        line += count;
      }
      continue;
    }
    if (open && !(count <= 2 * context && i < total - 2)) {
      const lines = line - start + Math.min(count, context);
      if (lines > 0) hunks.push({ start, end: start + lines - 1 });
      open = false;
    }
    line += count;
  }
  return { added, hunks };
}
