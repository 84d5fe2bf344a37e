import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeSpan, FenceTracker, fenced, markdownText } from '../../../parsers/text/markdown.js';

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

describe('FenceTracker', () => {
  const inside = (lines: string[]): boolean[] => {
    const t = new FenceTracker();
    return lines.map((l) => t.inFence(l));
  };

  it.each([
    ['a backtick fence', ['a', '```', 'x', '```', 'b'], [false, true, true, true, false]],
    ['a tilde fence with an info string', ['~~~c', 'x', '~~~', 'b'], [true, true, true, false]],
    ['a closing fence at least as long', ['```', '````', 'b'], [true, true, false]],
    ['a shorter fence does not close', ['````', '```', 'x', '````', 'b'], [true, true, true, true, false]],
    ['the other character does not close', ['```', '~~~', 'x', '```', 'b'], [true, true, true, true, false]],
    ['an info string does not close', ['```', '```c', 'x', '```', 'b'], [true, true, true, true, false]],
    ['trailing spaces, tab or CR close', ['```', '```  \t\r', 'b'], [true, true, false]],
    ['up to three spaces of indent', ['   ```', 'x', '   ```', 'b'], [true, true, true, false]],
    ['four spaces are no fence', ['    ```', 'x'], [false, false]],
    ['a tab is no fence indent', ['\t```', 'x'], [false, false]],
    ['two backticks are no fence', ['``', 'x'], [false, false]],
    ['a backtick in a backtick info string: no fence', ['``` a`b', 'x'], [false, false]],
    ['a backtick in a tilde info string is fine', ['~~~ a`b', 'x', '~~~', 'b'], [true, true, true, false]],
    ['an unclosed block runs to the end', ['```', 'x', 'y'], [true, true, true]],
  ] as [string, string[], boolean[]][])('%s', (_label, lines, expected) => {
    expect(inside(lines)).toEqual(expected);
  });

  it('sees no line of a block fenced() writes as outside it (property)', () => {
    const content = fc.array(fc.string({ unit: fc.constantFrom('`', '~', ' ', 'a', 'c'), maxLength: 8 }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(content, fc.constantFrom('c', 'suggestion', ''), (lines, info) => {
        const block = fenced(lines.join('\n'), info).split('\n');
        expect(inside([...block, 'after'])).toEqual([...block.map(() => true), false]);
      }),
    );
  });
});
