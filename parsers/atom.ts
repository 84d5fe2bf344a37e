/**
 * Atom feeds (RFC 4287), read for their entries: id, alternate link, date, title, author, and the
 * threading extension's in-reply-to (RFC 4685). Pure: text in, entries and issues out, and it never
 * throws on input.
 *
 * The reader is small and tolerant rather than a full XML parser: namespace prefixes are ignored
 * (elements are known by their local names), comments, processing instructions and a DOCTYPE are
 * skipped, CDATA is text, the five XML entities and numeric references are decoded,
 * `type="html"` titles are reduced to their text and `type="xhtml"` titles to the text of their
 * markup. Damage gives issues, never an exception: an end tag without a start tag is ignored,
 * elements left open are closed by an outer end tag or by the end of input, and a `<` that starts
 * no tag is text.
 */
import { type Issue, type IssueSeverity, issue, type Parsed } from './types.js';

export interface AtomEntry {
  /** The entry's id; its link when the id is missing or blank. */
  id: string;
  /** The alternate link (else the first link), trimmed; null without one. */
  link: string | null;
  /** `updated` (else `published`) as an ISO time; null when missing or unreadable. */
  updated: string | null;
  /** The title as text, its whitespace collapsed to single spaces. */
  title: string;
  /** Whitespace collapsed; null when missing or blank. */
  author: { name: string | null; email: string | null };
  /** thr:in-reply-to's href (else its ref), when present. */
  inReplyTo: string | null;
}

/**
 * Issue codes: `atom-entry-without-id` (an entry with neither id nor link is skipped),
 * `atom-bad-date`, `atom-stray-end-tag`, `atom-unclosed-element`, `atom-unterminated-cdata`,
 * `atom-truncated-tag`, `atom-truncated-entry`.
 */
export function parseAtomFeed(xml: string): Parsed<AtomEntry[]> {
  const reader = new EntryReader(xml);
  scanXml(xml, reader);
  reader.end();
  return { value: reader.entries, issues: reader.issues };
}

/** RFC 3339 (Atom's date format); a missing zone is read as UTC, so results never depend on the host's zone. */
export function parseFeedDate(value: string): number | null {
  const v = value.trim();
  const m =
    /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?)?\s*([Zz]|[+-]\d\d:?\d\d)?$/.exec(v);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
    let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (frac) t += Math.round(Number(frac) * 1000);
    if (zone !== 'Z' && zone !== 'z') {
      const zm = /^([+-])(\d\d):?(\d\d)$/.exec(zone) as RegExpExecArray;
      const off = (Number(zm[2]) * 60 + Number(zm[3])) * 60_000;
      t -= zm[1] === '+' ? off : -off;
    }
    return Number.isNaN(t) ? null : t;
  }
  // tolerate RFC 822 dates (some feeds), but only with an explicit zone
  if (!/(?:GMT|UTC|[+-]\d{4})\s*$/i.test(v)) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

// ---------------------------------------------------------------------------------------------
// Text

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const HTML_ENTITIES: Record<string, string> = { ...XML_ENTITIES, nbsp: '\u00a0' };

function decodeEntities(s: string, named: Record<string, string>): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|[A-Za-z][A-Za-z0-9]{0,31});/g, (m, body: string) => {
    if (body.startsWith('#')) {
      const cp =
        body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
      if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(cp);
    }
    return named[body] ?? m;
  });
}

function collapse(s: string | undefined): string | null {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t === '' ? null : t;
}

/** 1-based line of an offset; the newline index is built on the first question only. */
function lineIndex(text: string): (offset: number) => number {
  let starts: number[] | null = null;
  return (offset) => {
    if (starts === null) {
      starts = [];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i);
    }
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((starts[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

// ---------------------------------------------------------------------------------------------
// The scanner: XML tokens to a handler

interface XmlHandler {
  text(text: string): void;
  open(name: string, attrs: Record<string, string>, selfClosing: boolean, at: number): void;
  close(name: string, at: number): void;
  problem(code: string, severity: IssueSeverity, message: string, at: number): void;
}

/** A tag's name, right at its start and followed by a space, `/` or the end. */
const TAG_NAME_RE = /^([A-Za-z_][\w.:-]*)(?=[\s/]|$)/;
const ATTR_RE = /([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>/]+))/g;

function localName(name: string): string {
  const i = name.lastIndexOf(':');
  return (i >= 0 ? name.slice(i + 1) : name).toLowerCase();
}

/** The end of a DOCTYPE (or another `<!` declaration) with its bracketed internal subset. */
function declarationEnd(xml: string, lt: number): number {
  let j = lt + 2;
  let depth = 0;
  while (j < xml.length) {
    const c = xml[j];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '>' && depth <= 0) break;
    j++;
  }
  return j;
}

/** The first `>` or `<` after `lt` outside quotes (the input's length when there is none). */
function tagEnd(xml: string, lt: number): number {
  let j = lt + 1;
  let quote: string | null = null;
  while (j < xml.length) {
    const c = xml[j];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>' || c === '<') break;
    j++;
  }
  return j;
}

function attributes(source: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of source.matchAll(ATTR_RE))
    attrs[localName(m[1] as string)] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '', XML_ENTITIES);
  return attrs;
}

/** Skips a `<!-- -->`, `<![CDATA[ ]]>`, `<? ?>` or `<! >` at `lt`; null when there is none. */
function skipSpecial(xml: string, lt: number, h: XmlHandler): number | null {
  const n = xml.length;
  if (xml.startsWith('<!--', lt)) {
    const end = xml.indexOf('-->', lt + 4);
    return end < 0 ? n : end + 3;
  }
  if (xml.startsWith('<![CDATA[', lt)) {
    const end = xml.indexOf(']]>', lt + 9);
    h.text(xml.slice(lt + 9, end < 0 ? n : end));
    if (end < 0) h.problem('atom-unterminated-cdata', 'warning', 'unterminated CDATA section', lt);
    return end < 0 ? n : end + 3;
  }
  if (xml.startsWith('<?', lt)) {
    const end = xml.indexOf('?>', lt + 2);
    return end < 0 ? n : end + 2;
  }
  if (xml.startsWith('<!', lt)) return declarationEnd(xml, lt) + 1;
  return null;
}

function scanXml(xml: string, h: XmlHandler): void {
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      h.text(decodeEntities(xml.slice(i), XML_ENTITIES));
      break;
    }
    if (lt > i) h.text(decodeEntities(xml.slice(i, lt), XML_ENTITIES));
    const skipped = skipSpecial(xml, lt, h);
    if (skipped !== null) {
      i = skipped;
      continue;
    }
    // a tag: a name right after `<` (or `</`), and its end is the first `>` outside quotes; a
    // `<` before that end means the first one was a stray `<` in text
    const j = tagEnd(xml, lt);
    const inner = xml.slice(lt + 1, j);
    const closing = inner.startsWith('/');
    const name = TAG_NAME_RE.exec(closing ? inner.slice(1) : inner)?.[1] ?? '';
    if (j >= n || xml[j] === '<' || name === '') {
      // a stray `<` (or a tag cut off by the end of input): text
      if (j >= n && name !== '') h.problem('atom-truncated-tag', 'warning', 'input ends inside a tag', lt);
      h.text('<');
      i = lt + 1;
      continue;
    }
    i = j + 1;
    if (closing) h.close(name, lt);
    else h.open(name, attributes(inner.slice(name.length)), inner.trimEnd().endsWith('/'), lt);
  }
}

// ---------------------------------------------------------------------------------------------
// Entries

interface Frame {
  local: string;
}

interface EntryDraft {
  text: Record<string, string>;
  titleType: string;
  links: { rel: string; href: string }[];
  inReplyTo: string | null;
  /** Where the entry starts in the input. */
  at: number;
}

class EntryReader implements XmlHandler {
  readonly entries: AtomEntry[] = [];
  readonly issues: Issue[] = [];
  private readonly stack: Frame[] = [];
  /** Index in the stack of the open entry. */
  private entryDepth = -1;
  private draft: EntryDraft | null = null;
  private entryCount = 0;
  private readonly lineAt: (offset: number) => number;

  constructor(xml: string) {
    this.lineAt = lineIndex(xml);
  }

  problem(code: string, severity: IssueSeverity, message: string, at: number): void {
    this.issues.push(issue(code, severity, message, this.lineAt(at)));
  }

  text(text: string): void {
    const draft = this.draft;
    if (!draft || text === '') return;
    const [a, b] = this.stack.slice(this.entryDepth + 1).map((f) => f.local);
    let key: string | null = null;
    if (a === 'id' || a === 'updated' || a === 'published' || a === 'title') key = a;
    else if (a === 'author' && (b === 'name' || b === 'email')) key = `author.${b}`;
    if (key) draft.text[key] = (draft.text[key] ?? '') + text;
  }

  open(name: string, attrs: Record<string, string>, selfClosing: boolean, at: number): void {
    const local = localName(name);
    const draft = this.draft;
    if (draft && this.stack.length === this.entryDepth + 1) {
      if (local === 'link' && attrs.href !== undefined)
        draft.links.push({ rel: (attrs.rel ?? 'alternate').toLowerCase(), href: attrs.href });
      else if (local === 'in-reply-to') draft.inReplyTo = attrs.href ?? attrs.ref ?? null;
      else if (local === 'title') draft.titleType = (attrs.type ?? 'text').toLowerCase();
    }
    if (selfClosing) return;
    this.stack.push({ local });
    if (local === 'entry' && !draft) {
      this.draft = { text: {}, titleType: 'text', links: [], inReplyTo: null, at };
      this.entryDepth = this.stack.length - 1;
    }
  }

  close(name: string, at: number): void {
    const local = localName(name);
    const stack = this.stack;
    let i = stack.length - 1;
    while (i >= 0 && (stack[i] as Frame).local !== local) i--;
    if (i < 0) {
      this.problem('atom-stray-end-tag', 'warning', `end tag </${name}> without a start tag; ignored`, at);
      return;
    }
    if (i !== stack.length - 1)
      this.problem(
        'atom-unclosed-element',
        'warning',
        `<${(stack[stack.length - 1] as Frame).local}> not closed before </${name}>`,
        at,
      );
    stack.length = i;
    if (this.draft && i <= this.entryDepth) this.finish();
  }

  end(): void {
    if (!this.draft) return;
    this.problem('atom-truncated-entry', 'warning', 'input ends inside an entry', this.draft.at);
    this.finish();
  }

  private finish(): void {
    const d = this.draft as EntryDraft;
    this.draft = null;
    this.entryDepth = -1;
    this.entryCount++;
    const alt = d.links.find((l) => l.rel === 'alternate') ?? d.links[0] ?? null;
    const link = alt ? alt.href.trim() : null;
    const id = (d.text.id ?? '').trim() || link;
    if (!id) {
      const message = `entry ${this.entryCount} has neither an id nor a link; skipped`;
      this.problem('atom-entry-without-id', 'error', message, d.at);
      return;
    }
    let title = d.text.title ?? '';
    if (d.titleType === 'html') title = decodeEntities(title.replace(/<[^>]*>/g, ''), HTML_ENTITIES);
    const rawDate = (d.text.updated ?? d.text.published ?? '').trim();
    const ms = rawDate ? parseFeedDate(rawDate) : null;
    if (rawDate && ms === null)
      this.problem(
        'atom-bad-date',
        'warning',
        `entry ${id}: unreadable date ${JSON.stringify(rawDate)}`,
        d.at,
      );
    this.entries.push({
      id,
      link,
      updated: ms === null ? null : new Date(ms).toISOString(),
      title: collapse(title) ?? '',
      author: { name: collapse(d.text['author.name']), email: collapse(d.text['author.email']) },
      inReplyTo: d.inReplyTo,
    });
  }
}
