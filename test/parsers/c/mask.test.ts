import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskDirectives, maskNonCode } from '../../../parsers/c/preprocess.js';

/** The masks as first written (a regex per character), kept as the oracle of the faster ones. */
const NON_CODE = /\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?/g;
const oldBlank = (s: string): string => s.replace(/[^\n]/g, ' ');
const oldMask = (text: string): string => text.replace(NON_CODE, oldBlank);
const oldDirectives = (code: string): string => code.replace(/^[ \t]*#(?:[^\n\\]|\\[\s\S])*/gm, oldBlank);

const PIECES = [
  '/*',
  '*/',
  '//',
  '"',
  "'",
  '\\',
  '\n',
  '\r\n',
  '#define X ',
  '#if A\n',
  'x',
  ' ',
  '\t',
  '{',
  '}',
  'é',
];

describe('maskNonCode and maskDirectives', () => {
  it('blank comments, literals and directives to spaces, keeping every newline and the length', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }), (parts) => {
        const text = parts.join('');
        const code = maskNonCode(text);
        expect(code).toBe(oldMask(text));
        expect(code).toHaveLength(text.length);
        expect(maskDirectives(code)).toBe(oldDirectives(code));
      }),
      { numRuns: 2000 },
    );
  });

  it('blank a kerneldoc block over many lines', () => {
    const text =
      '/**\n * sys_frob - frob\n *\n * Long text.\n */\nlong sys_frob(void) { return "a\\"b" ? 0 : \'x\'; }\n';
    const code = maskNonCode(text);
    expect(
      code
        .split('\n')
        .slice(0, 5)
        .every((l) => l.trim() === ''),
    ).toBe(true);
    expect(code).toContain('long sys_frob(void) { return ');
    expect(code).not.toContain('frob -');
    expect(code).toBe(oldMask(text));
  });
});
