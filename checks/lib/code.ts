/**
 * The code of a unit's lines as the checks that read C text see it: comments, string and character
 * literals blanked by the C preprocessor's own masking (parsers/c/preprocess.ts), line breaks kept,
 * so an offset into a line still maps back to the post-image.
 */
import { maskNonCode } from '../../parsers/c/preprocess.js';
import type { FileUnit } from '../types.js';

/** Lines [from, to] of the unit with only their code left; a line the unit does not show is empty. */
export function codeLines(unit: FileUnit, from: number, to: number): string[] {
  const lines: string[] = [];
  for (let n = from; n <= to; n++) lines.push(unit.line(n) ?? '');
  return maskNonCode(lines.join('\n')).split('\n');
}
