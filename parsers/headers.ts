/**
 * Structured header fields, read without a mail library: unfolding (RFC 5322 2.2.3), RFC 2047
 * encoded words, and address lists (RFC 5322 3.4). Both readers are lenient the way mail clients
 * are: they keep whatever is usable, report what they had to guess or drop, and never throw.
 */
import { sanitize } from './text/controls.js';
import { type Issue, issue } from './types.js';

export interface Address {
  /** Display name, encoded words decoded; '' when there is none. */
  name: string;
  /** The addr-spec as written (not lower-cased); an IDNA (xn--) domain is shown in Unicode. */
  address: string;
}

/** RFC 5322 2.2.3: a line break followed by whitespace is removed; the whitespace stays. */
export function unfoldHeader(value: string): string {
  if (!value.includes('\n') && !value.includes('\r')) return value;
  return value.replace(/(?:\r\n|\r|\n)(?=[ \t])/g, '');
}

// ---------------------------------------------------------------------------------------------
// RFC 2047 encoded words

/**
 * `=?charset?B|Q?text?=`. Lenient like most readers: the word need not stand alone between
 * whitespace, and Q text may hold spaces (read as spaces).
 */
const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?]*)\?=/g;
const LINEAR_WHITESPACE = /^[ \t\r\n]*$/;
const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

export interface Decoded {
  text: string;
  issues: Issue[];
}

/**
 * Decodes the RFC 2047 encoded words in a header value. Adjacent encoded words (separated only
 * by linear whitespace) are joined without that whitespace; when they share a charset their bytes
 * are joined before decoding, so a character split across two words survives. A malformed word
 * stays as written. A value without `=?` is returned unchanged.
 */
export function decodeEncodedWords(value: string): Decoded {
  const issues: Issue[] = [];
  if (!value.includes('=?')) return { text: value, issues };
  let out = '';
  let last = 0;
  // the run of adjacent words in one charset whose bytes are not decoded yet
  let runCharset: string | null = null;
  let runChunks: Uint8Array[] = [];
  const flush = (): void => {
    if (runCharset !== null) out += decodeBytes(concat(runChunks), runCharset, issues);
    runCharset = null;
    runChunks = [];
  };
  let adjacent = false; // the previous match was a good encoded word
  for (const m of value.matchAll(ENCODED_WORD)) {
    const start = m.index;
    const gap = value.slice(last, start);
    last = start + m[0].length;
    const bytes = wordBytes(m[2] as string, m[3] as string);
    if (bytes === null) {
      flush();
      out += gap + m[0];
      adjacent = false;
      note(issues, 'mail-bad-encoded-word', `malformed encoded word "${clip(m[0])}" kept as written`);
      continue;
    }
    const charset = charsetOf(m[1] as string);
    if (!adjacent || !LINEAR_WHITESPACE.test(gap)) {
      flush();
      out += gap;
    } else if (charset !== runCharset) flush();
    runCharset = charset;
    runChunks.push(bytes);
    adjacent = true;
  }
  flush();
  out += value.slice(last);
  return { text: out, issues };
}

/** The bytes an encoded word stands for, or null when its text is not valid for the encoding. */
function wordBytes(encoding: string, text: string): Uint8Array | null {
  if (encoding === 'B' || encoding === 'b') {
    const b64 = text.replace(/[ \t\r\n]+/g, '');
    if (!BASE64_TEXT.test(b64) || b64.length % 4 === 1) return null;
    return Buffer.from(b64, 'base64');
  }
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 95 /* _ */ || c === 9) out.push(32);
    else if (c === 61 /* = */ && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) out.push(c);
    else for (const b of Buffer.from(text[i] as string, 'utf8')) out.push(b); // raw 8-bit: as read
  }
  return Uint8Array.from(out);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
}

/** Lower-cased charset without an RFC 2231 language suffix (`utf-8*en` -> `utf-8`). */
function charsetOf(label: string): string {
  const star = label.indexOf('*');
  return (star === -1 ? label : label.slice(0, star)).trim().toLowerCase();
}

const decoders = new Map<string, InstanceType<typeof TextDecoder> | null>();

/** A fatal TextDecoder for a charset label, also trying the common misspellings; null if unknown. */
function decoderFor(label: string): InstanceType<typeof TextDecoder> | null {
  let d = decoders.get(label);
  if (d !== undefined) return d;
  d = null;
  for (const candidate of [label, aliasOf(label)]) {
    try {
      d = new TextDecoder(candidate, { fatal: true });
      break;
    } catch {
      // not a label TextDecoder knows
    }
  }
  if (decoders.size < 256) decoders.set(label, d);
  return d;
}

/** `win-1252`, `utf_8`, `iso8859_15`, `latin-2`: spellings mailers use that WHATWG does not list. */
function aliasOf(label: string): string {
  return label
    .replace(/^utf[-_]?(\d+)/, 'utf-$1')
    .replace(/^win(?:dows)?[-_]?(\d+)$/, 'windows-$1')
    .replace(/^(?:iso[-_]?8859|latin)[-_]?(\d+)$/, 'iso-8859-$1')
    .replace(/^cp[-_]?(\d+)$/, 'windows-$1');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const UTF8_LOOSE = new TextDecoder('utf-8');
const LATIN1 = new TextDecoder('latin1');

function decodeBytes(bytes: Uint8Array, charset: string, issues: Issue[]): string {
  if (charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii' || charset === 'ascii') {
    try {
      return UTF8.decode(bytes);
    } catch {
      if (charset.startsWith('utf')) {
        note(issues, 'mail-bad-encoded-word', `encoded word has bytes that are invalid in ${charset}`);
        return UTF8_LOOSE.decode(bytes);
      }
      return LATIN1.decode(bytes); // 8-bit text labelled ASCII: Latin-1 loses no byte
    }
  }
  const decoder = decoderFor(charset);
  if (decoder?.encoding === 'windows-1252') return decodeWindows1252(bytes);
  if (decoder === null) {
    let text: string;
    let as = 'UTF-8';
    try {
      text = UTF8.decode(bytes);
    } catch {
      text = LATIN1.decode(bytes);
      as = 'Latin-1';
    }
    note(
      issues,
      'mail-unknown-charset',
      `unknown charset "${clip(charset)}" in an encoded word; read as ${as}`,
    );
    return text;
  }
  try {
    return decoder.decode(bytes);
  } catch {
    note(issues, 'mail-bad-encoded-word', `encoded word has bytes that are invalid in ${charset}`);
    return new TextDecoder(decoder.encoding).decode(bytes);
  }
}

/** 0x80-0x9f of windows-1252 (WHATWG's reading of latin1, iso-8859-1 and us-ascii as well). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];

/** Node 20's TextDecoder reads windows-1252 as ISO-8859-1 (C1 controls instead of “ ” €...). */
function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes)
    out += String.fromCharCode(b >= 0x80 && b < 0xa0 ? (CP1252_HIGH[b - 0x80] as number) : b);
  return out;
}

/** Enough to say what is wrong with a header; a hostile one does not get a million issues. */
const MAX_ISSUES = 20;

/** One issue per distinct message: a header full of the same bad word says it once. */
function note(issues: Issue[], code: string, message: string): void {
  if (issues.length < MAX_ISSUES && !issues.some((i) => i.code === code && i.message === message))
    issues.push(issue(code, 'warning', message));
}

function clip(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

// ---------------------------------------------------------------------------------------------
// Address lists

type TokenKind = 'atom' | 'quoted' | 'angle' | 'comment';

interface Token {
  kind: TokenKind;
  text: string;
  /** The whitespace in front of the token ('' when it touches the previous one; ' ' for a comment). */
  ws: string;
}

interface Entry {
  name: string;
  address: string;
}

/** Characters that end an atom: whitespace and the specials an address list is built from. */
function endsAtom(c: string): boolean {
  switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '(':
    case ')':
    case '<':
    case '>':
    case '"':
    case ',':
    case ';':
    case ':':
      return true;
    default:
      return false;
  }
}
const WSP = /[ \t\r\n]/;

/**
 * The addr-spec of a header value (`Name <addr>`, `<addr>` or a bare `addr`) or of a parsed
 * Address, trimmed and lower-cased: the key two addresses are compared by (the bot's own, a list's,
 * an opt-out's, a recipient's). '' when there is none.
 */
export function addressOf(value: string | Address | null | undefined): string {
  if (!value) return '';
  const text = typeof value === 'string' ? value : value.address;
  if (typeof text !== 'string') return '';
  const angle = /<([^<>]*)>\s*$/.exec(text);
  return (angle ? (angle[1] ?? '') : text).trim().toLowerCase();
}

/**
 * Parses an address list (From, To, Cc, ...): mailboxes, `Name <addr>`, `addr (Comment Name)`,
 * groups (flattened; their names are dropped), obsolete routes, and the usual damage (unquoted
 * commas in names, stray commas, a missing `>`, spaces inside the brackets). Entries without a
 * usable address are dropped and reported in `issues` when one is given. Never throws.
 */
export function parseAddressList(value: string, issues?: Issue[]): Address[] {
  const sink: Issue[] = [];
  // C0 control characters go (tab kept); line breaks left by bad folding read as spaces
  const input = sanitize(unfoldHeader(value), 'headerField');
  // top-level entries, with each group's members as one nested list, in order of appearance
  const top: (Entry | Entry[])[] = [];
  let group: Entry[] | null = null;
  let tokens: Token[] = [];
  let ws = '';
  // after a comment, an angle-addr or a stray character, whitespace counts as one space
  let collapse = false;
  const closeEntry = (): void => {
    if (tokens.length > 0) (group ?? top).push(entryOf(tokens, sink));
    tokens = [];
  };
  const resetSpace = (): void => {
    ws = '';
    collapse = false;
  };
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      ws = collapse ? ' ' : ws + c;
      i++;
      continue;
    }
    if (c === '"') {
      const r = readQuoted(input, i + 1);
      if (r.closed) {
        tokens.push({ kind: 'quoted', text: r.text, ws });
        resetSpace();
        i = r.end;
      } else {
        // a quote that never closes would swallow the rest of the list: read on without it
        report(sink, `unterminated quoted string in "${clip(input)}"`);
        i++;
      }
    } else if (c === '(') {
      const r = readComment(input, i + 1);
      if (!r.closed) report(sink, `unterminated comment in "${clip(input)}"`);
      tokens.push({ kind: 'comment', text: r.text, ws });
      ws = ' '; // a comment separates what is around it, like one space
      collapse = true;
      i = r.end;
    } else if (c === '<') {
      const r = readAngle(input, i + 1);
      if (!r.closed) report(sink, `angle-addr without its ">" in "${clip(input)}"`);
      tokens.push({ kind: 'angle', text: r.text, ws });
      ws = '';
      collapse = true;
      i = r.end;
    } else if (c === ',' || c === ';') {
      closeEntry();
      if (c === ';') group = null;
      resetSpace();
      i++;
    } else if (c === ':') {
      // a group: its name is not a mailbox; a nested group's members join the outer one
      tokens = [];
      if (group === null) {
        group = [];
        top.push(group);
      }
      resetSpace();
      i++;
    } else if (c === ')' || c === '>') {
      report(sink, `stray "${c}" in "${clip(input)}"`);
      ws = ' ';
      collapse = true;
      i++;
    } else {
      let j = i;
      while (j < input.length) {
        const d = input[j] as string;
        if (endsAtom(d)) break;
        j = d === '[' && input[j - 1] === '@' ? domainLiteralEnd(input, j) : j + 1;
      }
      tokens.push({ kind: 'atom', text: input.slice(i, j), ws });
      resetSpace();
      i = j;
    }
  }
  closeEntry();
  const out: Address[] = [];
  const emit = (e: Entry): void => {
    const name = e.name.includes('=?') ? decodeEncodedWords(e.name) : null;
    if (name) for (const x of name.issues) note(sink, x.code, x.message);
    const a = finish(name ? name.text.trim() : e.name, e.address, sink);
    if (a) out.push(a);
  };
  for (const e of mergeNameFragments(top)) {
    if (Array.isArray(e)) for (const m of mergeNameFragments(e)) emit(m as Entry);
    else emit(e);
  }
  if (issues) for (const i of sink) issues.push(i);
  return out;
}

/**
 * Past the `]` of a domain literal starting at `from` (`a@[IPv6:::1]` holds ':'s that are no
 * group), or just past the `[` when no `]` closes it before whitespace or a list separator.
 */
function domainLiteralEnd(s: string, from: number): number {
  for (let i = from + 1; i < s.length; i++) {
    const c = s[i] as string;
    if (c === ']') return i + 1;
    if (c === '[' || c === ',' || c === ';' || c === '<' || c === '>' || c === '"' || WSP.test(c))
      return from + 1;
  }
  return from + 1;
}

function report(issues: Issue[], message: string): void {
  note(issues, 'mail-bad-address', message);
}

function readQuoted(s: string, from: number): { text: string; end: number; closed: boolean } {
  let text = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) text += s[++i];
    else if (c === '"') return { text, end: i + 1, closed: true };
    else text += c;
  }
  return { text, end: s.length, closed: false };
}

function readComment(s: string, from: number): { text: string; end: number; closed: boolean } {
  let text = '';
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) text += s[++i];
    else if (c === '(') {
      depth++;
      text += c;
    } else if (c === ')') {
      if (--depth === 0) return { text: text.trim(), end: i + 1, closed: true };
      text += c;
    } else text += c;
  }
  return { text: text.trim(), end: s.length, closed: false };
}

/**
 * The contents of an angle-addr up to its `>` (quoted strings and comments inside are skipped
 * over). An angle-addr that is not closed before the next `<` or the end of the value ends where
 * its list entry ends, at the first `,` or `;` inside it.
 */
function readAngle(s: string, from: number): { text: string; end: number; closed: boolean } {
  let quoted = false;
  let depth = 0;
  let sep = -1;
  for (let i = from; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && (quoted || depth > 0)) i++;
    else if (quoted) quoted = c !== '"';
    else if (depth > 0) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    else if (c === '"') quoted = true;
    else if (c === '(') depth = 1;
    else if (c === '>') return { text: s.slice(from, i), end: i + 1, closed: true };
    else if ((c === ',' || c === ';') && sep === -1) sep = i;
    else if (c === '<' && sep !== -1) break;
  }
  if (sep === -1) return { text: s.slice(from), end: s.length, closed: false };
  return { text: s.slice(from, sep), end: sep, closed: false };
}

const ADDR_SPEC = /^[^@\s]+@[^@\s]+$/;
const LOOSE_ADDR_SPEC = /^[^@\s]+@\S+$/;

/** The tokens of one list entry -> display name (not yet decoded) and addr-spec. */
function entryOf(tokens: Token[], issues: Issue[]): Entry {
  const nameParts: Token[] = [];
  const comments: string[] = [];
  // a second angle-addr, or the leftovers inside one, go to the end of the display text
  const extra: Token[] = [];
  let address = '';
  for (const t of tokens) {
    if (t.kind === 'comment') {
      if (t.text) comments.push(t.text);
    } else if (t.kind === 'angle') {
      const a = cleanAngle(t.text);
      if (!address && a.address) address = a.address;
      else if (a.address) extra.push({ kind: 'atom', text: a.address, ws: ' ' });
      if (a.rest) extra.push({ kind: 'atom', text: a.rest, ws: ' ' });
    } else nameParts.push(t);
  }
  if (!address) {
    // no angle-addr: the first addr-spec in the text is the mailbox
    const parts = joinAtSpacing(nameParts);
    let at = findAddrSpec(parts, ADDR_SPEC);
    if (at === -1) at = findAddrSpec(parts, LOOSE_ADDR_SPEC);
    if (at !== -1) {
      const p = parts[at] as Token;
      if (p.kind === 'quoted') {
        // "quoted local"@domain: the domain is the next atom
        const domain = (parts[at + 1] as Token).text;
        address = quoteLocal(p.text) + domain;
        parts.splice(at, 2);
      } else {
        address = p.text;
        parts.splice(at, 1);
      }
      if (parts[at]) (parts[at] as Token).ws = (parts[at] as Token).ws || p.ws;
    }
    nameParts.length = 0;
    for (const t of parts) nameParts.push(t);
  }
  let name = joinName(nameParts.concat(extra));
  if (!address && ADDR_SPEC.test(name) && nameParts.every((t) => t.kind === 'quoted')) {
    // `"a@b"`: a quoted address and nothing else
    address = name;
    name = '';
  }
  if (!name && comments.length > 0) name = comments.join(' ');
  if (!address && !name) report(issues, 'an address list entry is empty');
  return { name, address };
}

/** `user @ host` and `user@ host` name user@host (RFC 5322 obs-local-part/obs-domain CFWS). */
function joinAtSpacing(parts: Token[]): Token[] {
  const out: Token[] = [];
  for (const t of parts) {
    const prev = out[out.length - 1];
    if (
      prev &&
      t.kind === 'atom' &&
      prev.kind === 'atom' &&
      ((t.text.startsWith('@') && !prev.text.includes('@')) ||
        (prev.text.endsWith('@') && !t.text.includes('@')))
    ) {
      out[out.length - 1] = { ...prev, text: prev.text + t.text };
    } else out.push({ ...t });
  }
  return out;
}

function findAddrSpec(parts: Token[], re: RegExp): number {
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as Token;
    if (p.kind === 'atom' && re.test(p.text) && !p.text.startsWith('@')) return i;
    const next = parts[i + 1];
    if (p.kind === 'quoted' && next?.kind === 'atom' && next.ws === '' && /^@[^@\s]+$/.test(next.text))
      return i;
  }
  return -1;
}

/** A quoted local part keeps its quotes only when it needs them. */
function quoteLocal(local: string): string {
  if (/^[^\s"(),:;<>@[\\\]]+$/.test(local)) return local;
  return `"${local.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Display name: atoms keep the whitespace written between them, other words are joined by one
 * space, and a quoted string always starts a new word.
 */
function joinName(parts: Token[]): string {
  let name = '';
  let prev: Token | null = null;
  for (const t of parts) {
    const text = t.kind === 'quoted' ? t.text.trim() : t.text;
    if (!text) continue;
    if (prev !== null && (t.ws || t.kind === 'quoted'))
      name += prev.kind === 'atom' && t.kind === 'atom' ? t.ws : ' ';
    name += text;
    prev = t;
  }
  return name.trim();
}

/**
 * Inside `<...>`: comments dropped, an obsolete source route (`@relay,@relay:`) dropped,
 * whitespace beside a single `@` removed. Two runs inside the brackets (`<a@b c@d>`): the first
 * addr-spec is the address and the rest is display text.
 */
function cleanAngle(raw: string): { address: string; rest: string } {
  let s = raw;
  const lt = lastUnquoted(s, '<');
  if (lt !== -1) s = s.slice(lt + 1); // `<junk <a@b>`: what follows the last '<'
  if (s.includes('(')) s = stripComments(s);
  s = s.trim();
  if (s.startsWith('@')) {
    const colon = s.indexOf(':');
    if (colon !== -1 && s.indexOf('@', colon) !== -1) s = s.slice(colon + 1).trim();
  }
  const at = s.indexOf('@');
  if (at !== -1 && s.indexOf('@', at + 1) === -1 && !s.includes('"')) {
    let l = at;
    while (l > 0 && WSP.test(s[l - 1] as string)) l--;
    let r = at + 1;
    while (r < s.length && WSP.test(s[r] as string)) r++;
    s = `${s.slice(0, l)}@${s.slice(r)}`;
  }
  if (!/\s/.test(s) || s.startsWith('"')) return { address: s, rest: '' };
  const parts = s.split(/\s+/);
  let i = parts.findIndex((p) => ADDR_SPEC.test(p));
  if (i === -1) i = parts.findIndex((p) => LOOSE_ADDR_SPEC.test(p));
  if (i === -1) return { address: s, rest: '' };
  const address = parts.splice(i, 1)[0] as string;
  return { address, rest: parts.join(' ') };
}

function lastUnquoted(s: string, ch: string): number {
  let quoted = false;
  let found = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ch && !quoted) found = i;
  }
  return found;
}

function stripComments(s: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        const next = s[i + 1];
        if (next !== undefined && next !== '@' && !out.endsWith('@') && !WSP.test(next)) out += ' ';
      }
      continue;
    }
    if (c === '\\' && quoted) {
      out += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === '(' && !quoted) {
      depth = 1;
      continue;
    }
    out += c;
  }
  return out;
}

/**
 * Display names and addresses that name one another's kind: a name with no address folds into the
 * next entry (`Doe, John <j@x>` is one mailbox whose name lost its quotes).
 */
function mergeNameFragments(list: (Entry | Entry[])[]): (Entry | Entry[])[] {
  const merged: (Entry | Entry[])[] = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const cur = list[i] as Entry | Entry[];
    const next = merged[merged.length - 1];
    if (
      next &&
      !Array.isArray(cur) &&
      !Array.isArray(next) &&
      cur.address === '' &&
      cur.name &&
      next.address &&
      next.name
    )
      next.name = `${cur.name}, ${next.name}`;
    else merged.push(Array.isArray(cur) ? cur : { ...cur });
  }
  return merged.reverse();
}

/** The final checks on one mailbox: encoded words in the address, IDNA domain, name == address. */
function finish(name: string, address: string, issues: Issue[]): Address | null {
  let addr = address.trim();
  if (addr.includes('=?')) {
    // RFC 2047 5: no encoded words in an addr-spec; one that decodes to a plain address is
    // taken, anything else could name a mailbox the header never carried
    const d = decodeEncodedWords(addr).text;
    if (/^[^\s@]+@[^\s@]+$/.test(d) && !d.includes('=?')) addr = d;
    else {
      report(issues, `encoded word in the address "${clip(addr)}"; entry dropped`);
      return null;
    }
  }
  if (!addr.includes('@')) {
    // a bare word (`To: linux-frob`, `<root>`) is a name or a local alias, not a mailbox
    if (name || addr) report(issues, `no address in "${clip(addr ? `${name} <${addr}>`.trim() : name)}"`);
    return null;
  }
  if (/xn--/i.test(addr.slice(addr.lastIndexOf('@')))) addr = idnaToUnicode(addr);
  return { name: name === addr ? '' : name, address: addr };
}

// ---------------------------------------------------------------------------------------------
// Punycode (RFC 3492), for the xn-- labels of a domain

function idnaToUnicode(address: string): string {
  const at = address.lastIndexOf('@');
  const labels = address.slice(at + 1).split('.');
  const out: string[] = [];
  for (const l of labels) {
    if (!/^xn--/i.test(l)) {
      out.push(l);
      continue;
    }
    if (l.length > 63) return address; // longer than a DNS label can be
    const u = punycodeDecode(l.slice(4).toLowerCase());
    if (u === null) return address; // not valid punycode: the domain stays as written
    out.push(u);
  }
  return `${address.slice(0, at + 1)}${out.join('.')}`;
}

const PC_BASE = 36;
const PC_TMIN = 1;
const PC_TMAX = 26;

function pcDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 22;
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 97;
  return PC_BASE;
}

function pcAdapt(delta: number, points: number, first: boolean): number {
  let d = first ? Math.floor(delta / 700) : delta >> 1;
  d += Math.floor(d / points);
  let k = 0;
  while (d > ((PC_BASE - PC_TMIN) * PC_TMAX) >> 1) {
    d = Math.floor(d / (PC_BASE - PC_TMIN));
    k += PC_BASE;
  }
  return k + Math.floor(((PC_BASE - PC_TMIN + 1) * d) / (d + 38));
}

export function punycodeDecode(input: string): string | null {
  const output: number[] = [];
  const basic = Math.max(0, input.lastIndexOf('-'));
  for (let j = 0; j < basic; j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) return null;
    output.push(c);
  }
  let n = 128;
  let bias = 72;
  let i = 0;
  for (let idx = basic > 0 ? basic + 1 : 0; idx < input.length; ) {
    const old = i;
    let w = 1;
    for (let k = PC_BASE; ; k += PC_BASE) {
      if (idx >= input.length) return null;
      const digit = pcDigit(input.charCodeAt(idx++));
      if (digit >= PC_BASE) return null;
      i += digit * w;
      if (i > 0x7fffffff) return null;
      const t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
      if (digit < t) break;
      w *= PC_BASE - t;
      if (w > 0x7fffffff) return null;
    }
    const len = output.length + 1;
    bias = pcAdapt(i - old, len, old === 0);
    n += Math.floor(i / len);
    i %= len;
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return null;
    output.splice(i++, 0, n);
  }
  let text = '';
  for (const c of output) text += String.fromCodePoint(c);
  return text;
}
