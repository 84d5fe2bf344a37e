/** RegExp helpers for finding a literal word in a line and replacing it there. Pure. */

/** `s` with every character a RegExp gives a meaning escaped: it matches only itself. */
export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `line` with the only match of `re` replaced, or undefined when it matches other than once. */
export function replaceOnce(line: string | undefined, re: RegExp, to: string): string | undefined {
  if (line === undefined) return undefined;
  const g = new RegExp(re.source, 'g');
  if ((line.match(g) ?? []).length !== 1) return undefined;
  return line.replace(re, to);
}
