/**
 * Markdown (CommonMark, as GitHub renders it) that shows text from a patch literally: prose with
 * its markup escaped, code spans and fenced blocks that nothing inside can close. Pure; never
 * throws.
 */
import { sanitize } from './controls.js';

/** The longest run of `ch` in `s`. */
function longestRun(s: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of s) {
    run = c === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/**
 * An inline code span showing `s` on one line (line breaks become spaces, control characters go).
 * The delimiter is a backtick run longer than any inside, so none closes it early; a space pads
 * each side when the text starts or ends with a backtick (which would join the delimiter) or
 * starts with a space (CommonMark strips one space from each side when both have one), and when
 * it is empty.
 */
export function codeSpan(s: string): string {
  const text = sanitize(s.replace(/[\r\n]+/g, ' '), 'markdown');
  const tick = '`'.repeat(longestRun(text, '`') + 1);
  // a span of spaces only is never stripped: padding it would show two more
  const pad =
    !/^ +$/.test(text) && (text.startsWith('`') || text.endsWith('`') || text.startsWith(' ') || text === '')
      ? ' '
      : '';
  return `${tick}${pad}${text}${pad}${tick}`;
}

/** A fenced block whose fence is longer than any backtick run in `content`. */
export function fenced(content: string, info: string): string {
  const fence = '`'.repeat(Math.max(3, longestRun(content, '`') + 1));
  return `${fence}${info}\n${content}\n${fence}`;
}

/**
 * Where Markdown goes:
 * - `github`: a comment, review or check run on GitHub. Besides CommonMark's markup it must not
 *   mention anyone (`@` gets a zero-width space after it), autolink (`://`, `www.`) or carry
 *   HTML (`& < >` become entities); control characters go, tabs become spaces, and every
 *   punctuation character that can start markup is escaped wherever it stands.
 * - `commonmark`: a Markdown document (`kapi-review summary --format markdown`): backslash
 *   escapes, `_` only where it can open or close emphasis (not inside a word), `#`, `+`, `-` and
 *   `1.` / `1)` only at the start, where they would begin a heading or a list.
 */
export type MarkdownFlavour = 'github' | 'commonmark';

/**
 * Prose from a patch as one line of Markdown that shows it literally: line breaks become
 * spaces, `&` an entity, and markup characters are escaped as `flavour` needs.
 */
export function markdownText(s: string, flavour: MarkdownFlavour): string {
  if (flavour === 'commonmark')
    return s
      .replace(/[\r\n]+/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/[\\`*[\]<>|~]/g, (c) => `\\${c}`)
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
      .replace(/^([#+-])/, '\\$1')
      .replace(/^(\d+)([.)])/, '$1\\$2');
  return sanitize(s.replace(/[\r\n\t]+/g, ' '), 'markdown')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~#!]/g, (c) => `\\${c}`)
    .replace(/@/g, '@\u200b')
    .replace(/:\/\//g, ':\u200b//')
    .replace(/\b(www)\./gi, '$1\u200b.');
}

/** A fence line (CommonMark 4.5): up to three spaces, then three or more backticks or tildes. */
const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * Follows CommonMark fenced code blocks line by line, so that text inside one (where a pasted
 * marker or command is code, not ours) can be told apart. A block opens at a fence (a backtick
 * fence's info string may hold no backtick) and closes at a fence of the same character, at least
 * as long, with nothing after it but spaces or tabs, indented three spaces at most; an unclosed
 * block runs to the end. Container blocks (quotes, list items) are not followed.
 */
export class FenceTracker {
  private fence: { char: string; length: number } | null = null;

  /** Whether `line` (a trailing CR ignored) belongs to a fenced block: a fence or a line inside. */
  inFence(line: string): boolean {
    const m = FENCE_LINE.exec(line.endsWith('\r') ? line.slice(0, -1) : line);
    const run = m?.[1] ?? '';
    const after = m?.[2] ?? '';
    if (this.fence === null) {
      if (!m || (run[0] === '`' && after.includes('`'))) return false;
      this.fence = { char: run[0] as string, length: run.length };
      return true;
    }
    if (m && run[0] === this.fence.char && run.length >= this.fence.length && /^[ \t]*$/.test(after))
      this.fence = null;
    return true;
  }
}
