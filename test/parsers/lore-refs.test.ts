import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeMessageId,
  isListName,
  listFeedUrl,
  loreBaseUrl,
  messageUrl,
  readListUrl,
  readThreadRef,
  threadMboxUrl,
} from '../../parsers/lore-refs.js';

const codes = (p: { issues: { code: string }[] }) => p.issues.map((i) => i.code);

describe('lore URLs', () => {
  it('builds message, thread and feed URLs under a normalised base', () => {
    const base = loreBaseUrl('https://lore.kernel.org/?q=x#frag').value as string;
    expect(base).toBe('https://lore.kernel.org');
    expect(messageUrl(base, 'all', 'odd/id x@example.org', 'raw')).toBe(
      'https://lore.kernel.org/all/odd%2Fid%20x@example.org/raw',
    );
    expect(messageUrl(base, 'linux-mm', 'a@b', '')).toBe('https://lore.kernel.org/linux-mm/a@b/');
    expect(threadMboxUrl(base, { messageId: 'a@b', list: 'all' })).toBe(
      'https://lore.kernel.org/all/a@b/t.mbox.gz',
    );
    expect(listFeedUrl('http://127.0.0.1:8080/pi', 'linux-frob')).toBe(
      'http://127.0.0.1:8080/pi/linux-frob/new.atom',
    );
  });

  it('gives an issue, not an exception, for a base that is no http(s) URL', () => {
    expect(codes(loreBaseUrl('ftp://example.org'))).toEqual(['lore-bad-url']);
    expect(loreBaseUrl('not a url')).toMatchObject({
      value: null,
      issues: [
        { code: 'lore-bad-url', severity: 'error', message: 'lore base URL is not a URL: "not a url"' },
      ],
    });
    expect(codes(readThreadRef('https://lore.kernel.org/all/a@b/', 'mailto:x'))).toEqual(['lore-bad-url']);
    expect(codes(readListUrl('https://lore.kernel.org/'))).toEqual(['lore-bad-ref']);
  });

  it('reads references into a Message-ID and a list, or an issue', () => {
    expect(readThreadRef('<a@b>')).toEqual({ value: { messageId: 'a@b', list: 'all' }, issues: [] });
    expect(readThreadRef('https://lore.kernel.org/r/a@b').value).toEqual({ messageId: 'a@b', list: 'all' });
    for (const bad of ['', '<a b@c>', 'https://lore.kernel.org/linux-frob/', 'https://[/', 'mid:a%0Ab@x'])
      expect(codes(readThreadRef(bad))).toEqual(['lore-bad-ref']);
    expect(isListName('linux-mm')).toBe(true);
    expect(isListName('li st')).toBe(false);
  });
});

// Message-IDs as they come: they have an `@`, no line breaks or NUL, and no blanks or brackets
// around them (readers strip those)
const midArb = fc
  .tuple(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 20 }))
  .map(([l, r]) => `${l}@${r}`)
  .filter((m) => m === m.trim() && !/[\r\n\0]/.test(m) && !(m.startsWith('<') && m.endsWith('>')));
const listArb = fc.stringMatching(/^[\w.-]{1,12}$/).filter((l) => l !== 'r' && l !== '.' && l !== '..');
const baseArb = fc.constantFrom(
  'https://lore.kernel.org',
  'http://127.0.0.1:8080',
  'https://example.org/lists',
  'https://example.org/a/b',
);

describe('round trip', () => {
  it('reads back the Message-ID and list of every URL it builds', () => {
    fc.assert(
      fc.property(
        baseArb,
        listArb,
        midArb,
        fc.constantFrom('', 'raw', 't.mbox.gz'),
        (base, list, mid, view) => {
          const url = messageUrl(base, list, mid, view as '' | 'raw' | 't.mbox.gz');
          expect(readThreadRef(url, `${base}/`)).toEqual({ value: { messageId: mid, list }, issues: [] });
          // escaped ids are plain ASCII path characters and the bare forms read back the same
          expect(escapeMessageId(mid)).toMatch(/^[A-Za-z0-9\-._~!$&'()*+,;=:@%]*$/);
          if (!/[\s<>]/.test(mid)) {
            expect(readThreadRef(`mid:${escapeMessageId(mid)}`).value).toEqual({
              messageId: mid,
              list: 'all',
            });
            expect(readThreadRef(`<${mid}>`).value).toEqual({ messageId: mid, list: 'all' });
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('splits the feed URL it builds back into base and list', () => {
    fc.assert(
      fc.property(baseArb, listArb, (base, list) => {
        expect(readListUrl(listFeedUrl(base, list)).value).toEqual({ baseUrl: base, list });
      }),
    );
  });

  it('never throws on any input, and a failure always says why', () => {
    const piece = fc.constantFrom(
      'https://',
      'http://',
      'mid:',
      '<',
      '>',
      '@',
      '/',
      '%',
      '%2F',
      '%zz',
      '..',
      ' ',
      'r/',
    );
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 12 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(input, fc.option(input), (ref, base) => {
        for (const parsed of [readThreadRef(ref, base ?? undefined), readListUrl(ref), loreBaseUrl(ref)]) {
          if (parsed.value === null) expect(parsed.issues).toHaveLength(1);
          else expect(parsed.issues).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });
});
