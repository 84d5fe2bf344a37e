/** Line starts of a text and the row of an index, for code that maps offsets to lines. */

/** The index each line of `text` starts at (the first line at 0). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Row `row` (0-based) of `text`, without its line end, given its line starts; undefined outside it. */
export function lineAt(text: string, starts: readonly number[], row: number): string | undefined {
  if (!Number.isInteger(row) || row < 0 || row >= starts.length) return undefined;
  const next = starts[row + 1];
  return text.slice(starts[row] as number, next === undefined ? text.length : next - 1);
}

/** How many `\n` lie in `text` from `from` up to (not including) `to`. */
export function countNewlines(text: string, from = 0, to = text.length): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The 0-based row of a UTF-16 index, by binary search in the sorted line starts. */
export function rowAt(starts: readonly number[], index: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
