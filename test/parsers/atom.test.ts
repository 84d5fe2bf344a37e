import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AtomEntry, parseAtomFeed, parseFeedDate } from '../../parsers/atom.js';

const QUIRKS = readFileSync('fixtures/lore/quirks.atom', 'utf8');
const FEED1 = readFileSync('fixtures/lore/linux-frob-1.atom', 'utf8');

// ---------------------------------------------------------------------------------------------
// A small feed writer: what it writes, the parser must read back

interface DateSpec {
  /** Whole seconds since the epoch (UTC). */
  seconds: number;
  /** Milliseconds written as a fraction, or none. */
  millis: number | null;
  /** The zone offset written, in minutes; null writes `Z`. */
  offsetMin: number | null;
  tag: 'updated' | 'published';
}

interface EntrySpec {
  id: string | null;
  links: { rel: string | null; href: string }[];
  date: DateSpec | null;
  title: string;
  titleForm: 'text' | 'cdata' | 'html' | 'xhtml';
  author: { name: string | null; email: string | null } | null;
  inReplyTo: string | null;
  /** A content element with look-alike id and link elements inside (which must be ignored). */
  decoy: boolean;
  /** Sort keys for the entry's child elements (their order in the output). */
  order: number[];
}

interface FeedStyle {
  prefix: '' | 'a:';
  quote: '"' | "'";
  /** Between elements: nothing, a newline and indentation, or a comment. */
  gap: string;
}

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function writeDate(d: DateSpec): string {
  const local = new Date((d.seconds + (d.offsetMin ?? 0) * 60) * 1000);
  const day = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const frac = d.millis === null ? '' : `.${pad(d.millis, 3)}`;
  const off = d.offsetMin;
  const zone =
    off === null
      ? 'Z'
      : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${day}T${time}${frac}${zone}`;
}

function writeTitle(e: EntrySpec, el: (name: string) => string, q: string): string {
  const open = (type: string) => `<${el('title')}${type ? ` type=${q}${type}${q}` : ''}>`;
  const close = `</${el('title')}>`;
  switch (e.titleForm) {
    case 'cdata':
      if (!e.title.includes(']]>')) return `${open('')}<![CDATA[${e.title}]]>${close}`;
      return `${open('')}${esc(e.title)}${close}`;
    case 'html':
      return `${open('html')}${esc(esc(e.title))}${close}`;
    case 'xhtml':
      return `${open('xhtml')}<div xmlns=${q}http://www.w3.org/1999/xhtml${q}>${esc(e.title)}</div>${close}`;
    default:
      return `${open('text')}${esc(e.title)}${close}`;
  }
}

function writeEntry(e: EntrySpec, style: FeedStyle): string {
  const el = (name: string) => `${style.prefix}${name}`;
  const q = style.quote;
  const attr = (name: string, value: string) => ` ${name}=${q}${esc(value)}${q}`;
  const text = (name: string, value: string) => `<${el(name)}>${esc(value)}</${el(name)}>`;
  const parts: string[] = [];
  if (e.id !== null) parts.push(text('id', e.id));
  parts.push(
    e.links
      .map((l) => `<${el('link')}${l.rel === null ? '' : attr('rel', l.rel)}${attr('href', l.href)}/>`)
      .join(style.gap),
  );
  if (e.date) parts.push(text(e.date.tag, writeDate(e.date)));
  parts.push(writeTitle(e, el, q));
  if (e.author) {
    const name = e.author.name === null ? '' : text('name', e.author.name);
    const email = e.author.email === null ? '' : text('email', e.author.email);
    parts.push(`<${el('author')}>${name}${style.gap}${email}</${el('author')}>`);
  }
  if (e.inReplyTo !== null)
    parts.push(`<thr:in-reply-to${attr('ref', 'urn:x')}${attr('href', e.inReplyTo)}/>`);
  if (e.decoy)
    parts.push(
      `<${el('content')} type=${q}xhtml${q}><div xmlns=${q}http://www.w3.org/1999/xhtml${q}>` +
        `${text('id', 'not-this-id')}<${el('link')}${attr('href', 'https://example.org/not-this')}/>` +
        `</div></${el('content')}>`,
    );
  const keyed = parts.map((p, i) => ({ p, k: e.order[i] ?? 0 }));
  keyed.sort((a, b) => a.k - b.k);
  return `<${el('entry')}>${style.gap}${keyed.map((x) => x.p).join(style.gap)}${style.gap}</${el('entry')}>`;
}

/** The feed, and where each entry ends in it. */
function writeFeed(entries: EntrySpec[], style: FeedStyle): { xml: string; ends: number[] } {
  const el = (name: string) => `${style.prefix}${name}`;
  const ns = style.prefix === '' ? 'xmlns' : 'xmlns:a';
  const q = style.quote;
  let xml =
    `<?xml version=${q}1.0${q} encoding=${q}utf-8${q}?>\n<${el('feed')} ${ns}=${q}http://www.w3.org/2005/Atom${q}` +
    ` xmlns:thr=${q}http://purl.org/syndication/thread/1.0${q}>${style.gap}` +
    `<${el('title')}>a list</${el('title')}><${el('id')}>mailto:list@example.org</${el('id')}>`;
  const ends: number[] = [];
  for (const e of entries) {
    xml += style.gap + writeEntry(e, style);
    ends.push(xml.length);
  }
  xml += `${style.gap}</${el('feed')}>\n`;
  return { xml, ends };
}

/** What the parser is documented to read from an entry; null when it skips the entry. */
function expected(e: EntrySpec): AtomEntry | null {
  const alt = e.links.find((l) => (l.rel ?? 'alternate').toLowerCase() === 'alternate') ?? e.links[0];
  const link = alt ? alt.href.trim() : null;
  const id = (e.id ?? '').trim() || link;
  if (!id) return null;
  const collapse = (s: string | null | undefined) => {
    const t = (s ?? '').replace(/\s+/g, ' ').trim();
    return t === '' ? null : t;
  };
  const ms = e.date ? e.date.seconds * 1000 + (e.date.millis ?? 0) : null;
  return {
    id,
    link,
    updated: ms === null ? null : new Date(ms).toISOString(),
    title: collapse(e.title) ?? '',
    author: { name: collapse(e.author?.name), email: collapse(e.author?.email) },
    inReplyTo: e.inReplyTo,
  };
}

const textArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc
    .array(
      fc.constantFrom('a', ' ', '\t', '\n', '<', '>', '&', '&amp;', '"', "'", ']]>', '<b>', '\u00a0', 'é'),
      {
        maxLength: 12,
      },
    )
    .map((a) => a.join('')),
);
const hrefArb = fc.webUrl();
const dateArb: fc.Arbitrary<DateSpec> = fc.record({
  // years 1900 to 2999, so a written offset never leaves four-digit years
  seconds: fc.integer({ min: -2_208_988_800, max: 32_503_680_000 - 1 }),
  millis: fc.option(fc.integer({ min: 0, max: 999 })),
  offsetMin: fc.option(fc.integer({ min: -14 * 60, max: 14 * 60 })),
  tag: fc.constantFrom<'updated' | 'published'>('updated', 'published'),
});
const entryArb: fc.Arbitrary<EntrySpec> = fc.record({
  id: fc.option(
    fc.oneof(
      textArb,
      fc.uuid().map((u) => `urn:uuid:${u}`),
    ),
    { freq: 4 },
  ),
  links: fc.array(
    fc.record({
      rel: fc.constantFrom(null, 'alternate', 'Alternate', 'replies', 'related'),
      href: fc.oneof(hrefArb, textArb),
    }),
    { maxLength: 3 },
  ),
  date: fc.option(dateArb, { freq: 4 }),
  title: textArb,
  titleForm: fc.constantFrom<EntrySpec['titleForm']>('text', 'cdata', 'html', 'xhtml'),
  author: fc.option(fc.record({ name: fc.option(textArb), email: fc.option(fc.emailAddress()) })),
  inReplyTo: fc.option(hrefArb),
  decoy: fc.boolean(),
  order: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
});
const styleArb: fc.Arbitrary<FeedStyle> = fc.record({
  prefix: fc.constantFrom<'' | 'a:'>('', 'a:'),
  quote: fc.constantFrom<'"' | "'">('"', "'"),
  gap: fc.constantFrom('', '\n  ', '<!-- a <comment> -->'),
});
const feedArb = fc.record({ entries: fc.array(entryArb, { maxLength: 6 }), style: styleArb });

describe('parseAtomFeed: round trip', () => {
  it('reads back what the writer wrote', () => {
    fc.assert(
      fc.property(feedArb, ({ entries, style }) => {
        const { xml } = writeFeed(entries, style);
        const got = parseAtomFeed(xml);
        const want = entries.map(expected);
        expect(got.value).toEqual(want.filter((e) => e !== null));
        expect(got.issues.map((i) => i.code)).toEqual(
          want.filter((e) => e === null).map(() => 'atom-entry-without-id'),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every complete entry of a feed cut anywhere', () => {
    fc.assert(
      fc.property(feedArb, fc.double({ min: 0, max: 1, noNaN: true }), ({ entries, style }, where) => {
        const { xml, ends } = writeFeed(entries, style);
        const cut = Math.floor(xml.length * where);
        const complete = ends.filter((end) => end <= cut).length;
        const want = entries
          .slice(0, complete)
          .map(expected)
          .filter((e) => e !== null);
        expect(parseAtomFeed(xml.slice(0, cut)).value.slice(0, want.length)).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseAtomFeed: robustness', () => {
  const piece = fc.constantFrom(
    '<entry>',
    '</entry>',
    '<a:entry>',
    '</a:entry>',
    '<id>',
    '</id>',
    '<title type="html">',
    '</title>',
    '<link href="x@y"/>',
    "<link rel=alternate href='h'>",
    '<updated>2026-03-02T12:00:00+01:00</updated>',
    '<published>',
    '<author><name>',
    '</name>',
    '<![CDATA[',
    ']]>',
    '<!--',
    '-->',
    '<?xml ?>',
    '<!DOCTYPE x [<!ENTITY a "b">]>',
    '&amp;',
    '&#x0;',
    '&#xD800;',
    '&#99999999;',
    '&nbsp;',
    '<',
    '>',
    '"',
    "'",
    '/',
    ' ',
    '\n',
    '</>',
    '<thr:in-reply-to ref="r"/>',
  );
  const hostile = fc.oneof(
    fc.array(piece, { maxLength: 40 }).map((p) => p.join('')),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.tuple(feedArb, fc.nat(), fc.nat(), fc.string({ maxLength: 5 })).map(([f, a, b, s]) => {
      // a written feed with a slice replaced by noise
      const { xml } = writeFeed(f.entries, f.style);
      const i = a % (xml.length + 1);
      return xml.slice(0, i) + s + xml.slice(i + (b % 20));
    }),
  );

  it('never throws, and what it returns is well formed', () => {
    fc.assert(
      fc.property(hostile, (xml) => {
        const { value, issues } = parseAtomFeed(xml);
        for (const e of value) {
          expect(e.id).not.toBe('');
          if (e.updated !== null) expect(new Date(e.updated).toISOString()).toBe(e.updated);
          expect(e.title).toBe(e.title.replace(/\s+/g, ' ').trim());
        }
        const lines = xml.split('\n').length;
        for (const i of issues) {
          expect(i.code).toMatch(/^atom-/);
          expect(i.line).toBeGreaterThanOrEqual(1);
          expect(i.line).toBeLessThanOrEqual(lines);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads nothing, without complaint, from empty and entry-less input', () => {
    expect(parseAtomFeed('')).toEqual({ value: [], issues: [] });
    expect(parseAtomFeed('<feed><title>t</title></feed>')).toEqual({ value: [], issues: [] });
  });
});

describe('parseAtomFeed: issues', () => {
  it('names each problem with a code and the line it is on', () => {
    // the date and the missing id are reported at their entry's start, the unclosed title at the end tag
    const { issues } = parseAtomFeed(QUIRKS);
    expect(issues).toEqual([
      {
        code: 'atom-bad-date',
        severity: 'warning',
        message: 'entry https://lore.kernel.org/linux-frob/no-id@example.org/: unreadable date "yesterday"',
        line: 26,
      },
      {
        code: 'atom-entry-without-id',
        severity: 'error',
        message: 'entry 4 has neither an id nor a link; skipped',
        line: 32,
      },
      {
        code: 'atom-unclosed-element',
        severity: 'warning',
        message: '<title> not closed before </a:entry>',
        line: 38,
      },
    ]);
  });

  it('flags a stray end tag, a cut tag, an unterminated CDATA section and a cut entry', () => {
    const codes = (xml: string) => parseAtomFeed(xml).issues.map((i) => [i.code, i.line]);
    expect(codes('<feed>\n</entry></feed>')).toEqual([['atom-stray-end-tag', 2]]);
    expect(codes('<feed>\n<entry><id>x</id>\n<title')).toEqual([
      ['atom-truncated-tag', 3],
      ['atom-truncated-entry', 2],
    ]);
    expect(codes('<entry><id>x</id><title><![CDATA[abc')).toEqual([
      ['atom-unterminated-cdata', 1],
      ['atom-truncated-entry', 1],
    ]);
    expect(parseAtomFeed('<entry><id>x</id><title><![CDATA[abc').value[0]?.title).toBe('abc');
  });

  it("reads public-inbox's feed without an issue", () => {
    const { value, issues } = parseAtomFeed(FEED1);
    expect(issues).toEqual([]);
    expect(value.map((e) => e.link)).toEqual([
      'https://lore.kernel.org/linux-frob/20260302100000.frob-v1-2@example.org/',
      'https://lore.kernel.org/linux-frob/20260302100000.frob-v1-1@example.org/',
      'https://lore.kernel.org/linux-frob/20260302100000.frob-v1-0@example.org/',
    ]);
  });
});

describe('parseFeedDate', () => {
  it.each([
    ['2026-03-02T12:00:00Z', Date.UTC(2026, 2, 2, 12)],
    ['2026-03-02t12:00:00.25+01:00', Date.UTC(2026, 2, 2, 11, 0, 0, 250)],
    ['2026-03-02 12:00-0130', Date.UTC(2026, 2, 2, 13, 30)],
    ['2026-03-02', Date.UTC(2026, 2, 2)],
    ['2026-03-02T12:00:00', Date.UTC(2026, 2, 2, 12)], // no zone: UTC, never the host's
    ['Mon, 02 Mar 2026 12:00:00 +0100', Date.UTC(2026, 2, 2, 11)],
    ['Mon, 02 Mar 2026 12:00:00', null], // RFC 822 only with a zone
    ['yesterday', null],
  ])('%j', (input, ms) => {
    expect(parseFeedDate(input)).toBe(ms);
  });
});
