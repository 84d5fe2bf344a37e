import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_POLICIES,
  type ControlPolicyName,
  sanitize,
  sanitizeCounting,
} from '../../../parsers/text/controls.js';

/**
 * The control-character sets each caller had before they shared one table, as oracles: every
 * policy must do to any text exactly what its caller's own expression did.
 */
/* biome-ignore-start lint/suspicious/noControlCharactersInRegex: these are the sets under test */
const BEFORE: Record<ControlPolicyName, (s: string) => string> = {
  terminal: (s) => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, ' '),
  terminalLine: (s) => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' '),
  markdown: (s) => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ''),
  mailHeader: (s) => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' '),
  mailBody: (s) => s.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g, ' '),
  headerField: (s) =>
    /[\x00-\x08\x0a-\x1f]/.test(s) ? s.replace(/[\r\n]/g, ' ').replace(/[\x00-\x08\x0b-\x1f]/g, '') : s,
  subject: (s) => s.replace(/\x1b\[[0-?]*[ -/]*[@-~]|[\p{Cc}\u2028\u2029]/gu, ' '),
};
/* biome-ignore-end lint/suspicious/noControlCharactersInRegex: these are the sets under test */

const NAMES = Object.keys(CONTROL_POLICIES) as ControlPolicyName[];

const nasty = fc.string({
  unit: fc.oneof(
    fc.constantFrom('a', ' ', '\t', '\n', '\r', '\u0000', '\u001b', '[', '3', '1', 'm', ';', '\u007f'),
    fc.constantFrom('\u0080', '\u0085', '\u009b', '\u009f', '\u00a0', '\u2028', '\u2029', 'é', '😂'),
    fc.string({ unit: 'binary', maxLength: 1 }),
  ),
  maxLength: 40,
});

describe('sanitize', () => {
  it.each(NAMES)('%s does what its caller did before (property)', (name) => {
    fc.assert(
      fc.property(nasty, (s) => {
        expect(sanitize(s, name)).toBe(BEFORE[name](s));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['terminal', 'a\tb\nc\rd\u001b[31m\u009be', 'a\tb\nc d [31m e'],
    ['terminalLine', 'a\tb\nc\u2028d\u009be', 'a b c d e'],
    ['markdown', 'a\tb\nc\rd\u001b\u007f\u0085e', 'a\tb\ncd\u0085e'],
    ['mailHeader', 'a\tb\nc\u2028d\u0085e', 'a b c d e'],
    ['mailBody', 'a\tb\nc\u2028d', 'a\tb c d'],
    ['headerField', 'a\r\nb\u0001c\td\u007f', 'a  bc\td\u007f'],
    ['subject', 'a\u001b[1;31mb\u0007c', 'a b c'],
  ] as [ControlPolicyName, string, string][])('%s: %j', (name, input, expected) => {
    expect(sanitize(input, name)).toBe(expected);
  });

  it('leaves text without controls as it is, under every policy', () => {
    for (const name of NAMES) expect(sanitize('plain text, é 😂', name)).toBe('plain text, é 😂');
  });
});

describe('sanitizeCounting', () => {
  it('counts a whole escape sequence once', () => {
    expect(sanitizeCounting('\u001b[31mred\u001b[0m\u0007', 'subject')).toEqual({
      text: ' red  ',
      count: 3,
    });
  });

  it('gives the text sanitize gives (property)', () => {
    fc.assert(
      fc.property(nasty, fc.constantFrom(...NAMES), (s, name) => {
        expect(sanitizeCounting(s, name).text).toBe(sanitize(s, name));
      }),
    );
  });
});
