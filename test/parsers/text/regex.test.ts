import { describe, expect, it } from 'vitest';
import { escapeRe, replaceOnce } from '../../../parsers/text/regex.js';

describe('escapeRe', () => {
  it('makes a pattern that matches the text itself and nothing else', () => {
    for (const s of ['a.b', 'x*', '(?:y)', '[z]', '^$', 'a|b', '{1,2}', 'back\\slash', 'u+v?'])
      expect(new RegExp(`^${escapeRe(s)}$`).test(s), s).toBe(true);
    expect(new RegExp(escapeRe('a.b')).test('axb')).toBe(false);
    expect(escapeRe('KAPI_CTX-1')).toBe('KAPI_CTX-1');
  });
});

describe('replaceOnce', () => {
  it('replaces a match that occurs exactly once', () => {
    expect(replaceOnce('error: -ENOMEM, out', /(error:\s*)-\s*/, '$1')).toBe('error: ENOMEM, out');
  });

  it('refuses a line with no match or more than one, and an unknown line', () => {
    expect(replaceOnce('"len", "len"', /"len"/, '"size"')).toBeUndefined();
    expect(replaceOnce('"start"', /"len"/, '"size"')).toBeUndefined();
    expect(replaceOnce(undefined, /x/, 'y')).toBeUndefined();
  });
});
