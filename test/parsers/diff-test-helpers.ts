/** Helpers the diff test files share. */
import { readFileSync } from 'node:fs';
import type { DiffLine, Hunk, ParsedDiff } from '../../parsers/diff.js';
import type { Parsed } from '../../parsers/types.js';

/** Joins lines into LF-terminated patch text. */
export function patch(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

export function codes(r: Parsed<ParsedDiff>): string[] {
  return r.issues.map((i) => i.code);
}

export function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no element ${index} (length ${items.length})`);
  return item;
}

/** [kind, oldLine, newLine, patchLine] of every line, for compact exact assertions. */
export function shape(h: Hunk): Array<[string, number | undefined, number | undefined, number]> {
  return h.lines.map((l) => [l.kind, l.oldLine, l.newLine, l.patchLine]);
}

export function marker(l: DiffLine): string {
  return l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ';
}

export function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/diff/${name}`, import.meta.url), 'utf8');
}
