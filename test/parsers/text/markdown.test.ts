import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeSpan, fenced, markdownText } from '../../../parsers/text/markdown.js';

/** What CommonMark shows of a code span `span` (6.1), or null when `span` is not one code span. */
function readCodeSpan(span: string): string | null {
  const open = /^`+/.exec(span)?.[0] ?? '';
  if (open === '' || !span.endsWith(open) || span.length < 2 * open.length) return null;
  const inner = span.slice(open.length, span.length - open.length);
  if (inner.startsWith('`') || inner.endsWith('`')) return null;
  // no run of exactly the delimiter's length inside: it would close the span early
  for (const run of inner.match(/`+/g) ?? []) if (run.length === open.length) return null;
  return inner.length >= 2 && inner.startsWith(' ') && inner.endsWith(' ') && /[^ ]/.test(inner)
    ? inner.slice(1, -1)
    : inner;
}

describe('codeSpan', () => {
  it.each([
    ['plain', 'kernel/frob.c:12', '`kernel/frob.c:12`'],
    ['a backtick', '`', '`` ` ``'],
    ['backtick runs', 'a ``` b ```` c', '`````a ``` b ```` c`````'],
    ['line breaks', 'a\nb\r\nc', '`a b c`'],
    ['a space at each end', ' a ', '`  a  `'],
    ['spaces only', '  ', '`  `'],
  ])('%s', (_label, input, expected) => {
    expect(codeSpan(input)).toBe(expected);
  });

  it('shows its text exactly, on one line, whatever the text (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '`', '\n', '\u0007', 'é'), maxLength: 30 });
    fc.assert(
      fc.property(text, (s) => {
        const shown = s.replace(/[\r\n]+/g, ' ').replaceAll('\u0007', '');
        if (shown === '') return;
        const span = codeSpan(s);
        expect(span).not.toMatch(/[\r\n]/);
        expect(readCodeSpan(span)).toBe(shown);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fenced', () => {
  it('uses a fence longer than any backtick run inside, three at least', () => {
    expect(fenced('x', 'c')).toBe('```c\nx\n```');
    expect(fenced('````', 'c')).toBe('`````c\n````\n`````');
  });
});

describe('markdownText', () => {
  it('commonmark: escapes what can start markup, `_` and block markers only where they count', () => {
    expect(markdownText('# _init_ a_b | `x` <b> & 1. \n- y', 'commonmark')).toBe(
      '\\# \\_init\\_ a_b \\| \\`x\\` \\<b\\> &amp; 1.  - y',
    );
    expect(markdownText('1. first', 'commonmark')).toBe('1\\. first');
    expect(markdownText('- item', 'commonmark')).toBe('\\- item');
  });

  it('github: no HTML, no markup, no mention, no autolink, one line', () => {
    expect(markdownText('x </details><script> ```\n# @octocat *b* a_b', 'github')).toBe(
      'x &lt;/details&gt;&lt;script&gt; \\`\\`\\` \\# @\u200boctocat \\*b\\* a\\_b',
    );
    expect(markdownText('see https://x.org or www.x.org!', 'github')).toBe(
      'see https:\u200b//x.org or www\u200b.x.org\\!',
    );
    expect(markdownText('a\tb\u0007c\r\nd', 'github')).toBe('a bc d');
  });

  it('leaves no line break and no unescaped markup character (property)', () => {
    const text = fc.string({
      unit: fc.constantFrom(
        'a',
        '1',
        '.',
        ' ',
        '\n',
        '\t',
        '_',
        '*',
        '`',
        '#',
        '<',
        '>',
        '&',
        '[',
        ']',
        '|',
        '@',
      ),
      maxLength: 30,
    });
    fc.assert(
      fc.property(text, fc.constantFrom('github' as const, 'commonmark' as const), (s, flavour) => {
        const md = markdownText(s, flavour);
        expect(md).not.toMatch(/[\r\n]/);
        // every `*`, backtick, `[`, `]`, `|` and `~` is escaped: preceded by an odd run of backslashes
        for (const m of md.matchAll(/(\\*)[*`[\]|~]/g)) expect((m[1] as string).length % 2).toBe(1);
        if (flavour === 'github') expect(md).not.toMatch(/[<>]|@(?!\u200b)/);
      }),
    );
  });
});
