import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columns, WRAP_WIDTH, wrap } from '../../../parsers/text/wrap.js';

describe('wrap', () => {
  it('starts the first line with `first`, the others with `rest`', () => {
    expect(wrap('aaa bbb ccc ddd', { width: 9, first: '- ', rest: '  ' })).toEqual([
      '- aaa bbb',
      '  ccc ddd',
    ]);
    expect(wrap('aaa bbb ccc', { width: 7, first: '  ' })).toEqual(['  aaa', '  bbb', '  ccc']);
  });

  it('gives text without a word as one line holding `first`', () => {
    expect(wrap('', { first: '  ' })).toEqual(['  ']);
    expect(wrap(' \t\n ')).toEqual(['']);
  });

  it('never splits a word: a longer one has a line of its own', () => {
    expect(wrap(`a ${'x'.repeat(80)} b`)).toEqual(['a', 'x'.repeat(80), 'b']);
  });

  it('breaks at spaces, tabs, line breaks and control characters, never at a no-break space', () => {
    expect(wrap('a\tb\nc\r\nd\u001be\u2028f')).toEqual(['a b c d e f']);
    expect(wrap('10\u00a0MB of text', { width: 8 })).toEqual(['10\u00a0MB of', 'text']);
  });

  it('counts columns by character, tabs to the next stop of 8', () => {
    expect(columns('😂é')).toBe(2);
    expect(columns('\tx')).toBe(9);
    expect(columns('ab\tx')).toBe(9);
    expect(wrap('😂😂 😂😂', { width: 5 })).toEqual(['😂😂 😂😂']);
    expect(wrap('aa bb', { width: 11, first: '\t' })).toEqual(['\taa', '\tbb']);
  });

  it('keeps every word, in order, within the width unless a word is longer (property)', () => {
    const word = fc.string({
      unit: fc.constantFrom('a', 'é', '😂', '-', '\u00a0'),
      minLength: 1,
      maxLength: 20,
    });
    const text = fc.array(word, { maxLength: 30 }).map((ws) => ws.join(' '));
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 80 }), (t, width) => {
        const lines = wrap(t, { width, first: '> ', rest: '  ' });
        expect(lines.map((l) => l.slice(2)).join(' ')).toBe(t.split(' ').filter(Boolean).join(' '));
        for (const l of lines) if (columns(l) > width) expect(l.slice(2).includes(' ')).toBe(false);
      }),
    );
    expect(WRAP_WIDTH).toBe(72);
  });
});
