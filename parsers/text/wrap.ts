/**
 * Prose in lines of plain text, the way mail is read: the review replies (reporters/email.ts) and
 * the maintainer digest (reporters/digest.ts) both wrap with this. Pure; never throws.
 */
import { sanitize } from './controls.js';

/** The width of mailed text. */
export const WRAP_WIDTH = 72;

/** Columns `s` takes: a character a column, tabs to the next multiple of 8. */
export function columns(s: string): number {
  let n = 0;
  for (const ch of s) n += ch === '\t' ? 8 - (n % 8) : 1;
  return n;
}

export interface WrapOptions {
  /** Columns a line may take (default WRAP_WIDTH). */
  width?: number;
  /** Starts the first line (default ''). */
  first?: string;
  /** Starts every other line (default: `first`). */
  rest?: string;
}

/**
 * The words of `text` in lines of at most `width` columns. Words are never split, so a line is
 * longer only when it holds one word that is longer by itself. Words are what lies between
 * spaces once control characters (line breaks and tabs among them) are spaces too; a no-break
 * space stays inside its word. Text without a word is one line holding `first`.
 */
export function wrap(text: string, opts: WrapOptions = {}): string[] {
  const width = opts.width ?? WRAP_WIDTH;
  const first = opts.first ?? '';
  const rest = opts.rest ?? first;
  const words = sanitize(text, 'mailBody').replace(/\t/g, ' ').split(' ').filter(Boolean);
  const out: string[] = [];
  let line = first;
  let empty = true;
  for (const w of words) {
    if (empty) {
      line += w;
      empty = false;
    } else if (columns(line) + 1 + columns(w) <= width) line += ` ${w}`;
    else {
      out.push(line);
      line = rest + w;
    }
  }
  out.push(line);
  return out;
}
