/**
 * References to lore.kernel.org (public-inbox): Message-IDs as they stand in lore's URLs, the URLs
 * of a message, its thread and a list's feed, and reading a Message-ID or a lore URL back. Pure:
 * no network; a reference that cannot be used is an issue, never an exception.
 *
 * What this relies on, from public-inbox's documentation and its WWW/MID/Feed code:
 * - A message lives at `<base>/<inbox>/<mid>/`; the same path ending in `t.mbox.gz` is the whole
 *   thread as a gzipped mboxrd (From_ lines `From mboxrd@z ...`, body lines matching /^>*From /
 *   get one more `>`), `raw` is the message alone, `T/`, `t/` and `t.atom` are other thread views.
 *   lore.kernel.org's `all` inbox searches every list, so `/all/<mid>/t.mbox.gz` finds a thread
 *   without knowing its list. Inbox names are made of word characters, `.` and `-`.
 * - The Message-ID in the path is written without its angle brackets and percent-escaped the way
 *   public-inbox escapes it itself: UTF-8 bytes, keeping only RFC 3986's path characters
 *   (letters, digits, `-._~`, `!$&'()*+,;=`, `:` and `@`); everything else, `/` `%` `?` `#` and
 *   spaces included, becomes %XX. The server routes on one path segment, so an unescaped `/`
 *   would split the Message-ID (it has a fallback for servers that unescape slashes; we never
 *   rely on it). We escape the same set, so our URLs equal the ones lore links to.
 * - `<inbox>/new.atom` lists the inbox's most recent messages (a fixed window, newest arrival
 *   first). Each entry's `id` is a urn:uuid derived from the Message-ID, its `link` is the
 *   message's URL, and `updated` is the message's own date, so `updated` is the sender's clock:
 *   it does not follow arrival order and can lie.
 *
 * Issue codes: `lore-bad-ref` (not a Message-ID or lore URL we can use), `lore-bad-url` (the base
 * URL is not an http(s) URL).
 */
import { issue, type Parsed } from './types.js';

export const DEFAULT_LORE_URL = 'https://lore.kernel.org';

export interface ThreadRef {
  messageId: string;
  /** The inbox to ask: the list the URL named, else `all`. */
  list: string;
}

/** The views of a message or its thread that the bot asks for. */
export type MessageView = '' | 'raw' | 't.mbox.gz';

const LIST_RE = /^[\w.-]+$/;
/** Path segments after the Message-ID that select a view of the message or its thread. */
const VIEW_SUFFIXES = new Set(['', 'T', 't', 't.mbox.gz', 't.mbox', 't.atom', 'raw', 'f', 'R']);
/** Hosts that only redirect a bare Message-ID to lore (b4's patch.msgid.link). */
const REDIRECT_HOSTS = new Set(['patch.msgid.link', 'msgid.link']);
/** Bytes public-inbox leaves as they are in a Message-ID path segment (RFC 3986 pchar). */
const MID_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;

/** Whether a name can be a public-inbox inbox (a list): word characters, `.` and `-`. */
export function isListName(name: string): boolean {
  return LIST_RE.test(name);
}

/** Escapes a Message-ID (without brackets) for a lore path segment, as public-inbox does. */
export function escapeMessageId(messageId: string): string {
  let out = '';
  for (const byte of Buffer.from(messageId, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && MID_SAFE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-decoding that never throws: bad escapes stay as they are, bytes are read as UTF-8. */
function percentDecode(s: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number;
    if (b === 0x25 && i + 2 < raw.length && /^[0-9A-Fa-f]{2}$/.test(raw.toString('latin1', i + 1, i + 3))) {
      bytes.push(Number.parseInt(raw.toString('latin1', i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(b);
  }
  return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
}

function stripBrackets(s: string): string {
  const t = s.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
}

function badRef(message: string): Parsed<null> {
  return { value: null, issues: [issue('lore-bad-ref', 'error', message)] };
}

function badUrl(message: string): Parsed<null> {
  return { value: null, issues: [issue('lore-bad-url', 'error', message)] };
}

function threadRef(messageId: string, list: string, ref: string): Parsed<ThreadRef | null> {
  if (messageId === '') return badRef(`no Message-ID in ${JSON.stringify(ref)}`);
  // URL parsers resolve "." and ".." segments (escaped or not), so such an id has no URL
  if (messageId === '.' || messageId === '..')
    return badRef(`Message-ID ${JSON.stringify(messageId)} cannot be put in a URL`);
  if (/[\r\n\0]/.test(messageId))
    return badRef(`Message-ID ${JSON.stringify(messageId)} contains a line break or NUL`);
  return { value: { messageId, list }, issues: [] };
}

/**
 * A public-inbox base URL as the URL builders want it: http(s), without query, fragment or
 * trailing slashes.
 */
export function loreBaseUrl(baseUrl: string): Parsed<string | null> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return badUrl(`lore base URL is not a URL: ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return badUrl(`lore base URL must be http(s): ${baseUrl}`);
  url.search = '';
  url.hash = '';
  return { value: url.href.replace(/\/+$/, ''), issues: [] };
}

/** `<base>/<inbox>/<escaped mid>/<view>`; `base` as loreBaseUrl gives it. */
export function messageUrl(base: string, inbox: string, messageId: string, view: MessageView): string {
  return `${base}/${encodeURIComponent(inbox)}/${escapeMessageId(messageId)}/${view}`;
}

/** `<base>/<list>/<escaped mid>/t.mbox.gz`: the whole thread. */
export function threadMboxUrl(base: string, ref: ThreadRef): string {
  return messageUrl(base, ref.list, ref.messageId, 't.mbox.gz');
}

/** `<base>/<list>/new.atom`: the list's most recent messages. */
export function listFeedUrl(base: string, list: string): string {
  return `${base}/${encodeURIComponent(list)}/new.atom`;
}

function readUrlRef(ref: string, input: string, baseUrl: string | undefined): Parsed<ThreadRef | null> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return badRef(`not a valid URL: ${JSON.stringify(ref)}`);
  }
  let path = url.pathname;
  if (baseUrl) {
    const normal = loreBaseUrl(baseUrl);
    if (normal.value === null) return normal as Parsed<null>;
    const base = new URL(normal.value);
    const basePath = base.pathname.replace(/\/+$/, '');
    if (url.origin === base.origin && basePath !== '' && path.startsWith(`${basePath}/`))
      path = path.slice(basePath.length);
  }
  const segs = path.split('/').slice(1);
  while (segs.length > 0 && VIEW_SUFFIXES.has(segs[segs.length - 1] as string)) segs.pop();
  if (segs.length === 0) return badRef(`no Message-ID in URL ${input}`);
  let list = 'all';
  let midSegs = segs;
  if (!REDIRECT_HOSTS.has(url.hostname.toLowerCase())) {
    if (segs.length === 1 && !(segs[0] as string).includes('@'))
      return badRef(`${input} names a list, not a message`);
    if (segs.length > 1) {
      list = segs[0] === 'r' ? 'all' : (segs[0] as string);
      midSegs = segs.slice(1);
    }
  }
  if (!LIST_RE.test(list)) return badRef(`not a list name: ${JSON.stringify(list)} in ${input}`);
  // a Message-ID whose `/` was not escaped spans several segments (public-inbox accepts that too)
  return threadRef(stripBrackets(percentDecode(midSegs.join('/'))), list, ref);
}

/**
 * Reads a Message-ID (`<id@host>`, `id@host`, `mid:id@host`) or a lore URL
 * (`https://lore.kernel.org/<list>/<mid>/`, with `T/`, `t/`, `t.mbox.gz`, `raw`, ...; `/r/<mid>`;
 * `https://patch.msgid.link/<mid>`). Only the list and the Message-ID are taken from a URL: the
 * host asked is always the configured base URL. `baseUrl` lets a URL under a base with a path
 * (a public-inbox mounted at `/lists/`) be read.
 */
export function readThreadRef(ref: string, baseUrl?: string): Parsed<ThreadRef | null> {
  const input = ref.trim();
  if (/^https?:\/\//i.test(input)) return readUrlRef(ref, input, baseUrl);
  const bare = input.toLowerCase().startsWith('mid:') ? percentDecode(input.slice(4)) : input;
  const messageId = stripBrackets(bare);
  if (/\s/.test(messageId) || messageId.includes('<') || messageId.includes('>'))
    return badRef(`not a Message-ID: ${JSON.stringify(ref)}`);
  return threadRef(messageId, 'all', ref);
}

/** `https://lore.kernel.org/linux-mm/` (or `.../new.atom`) -> base and list (for `watch --lore LIST-URL`). */
export function readListUrl(listUrl: string): Parsed<{ baseUrl: string; list: string } | null> {
  const base = loreBaseUrl(listUrl);
  if (base.value === null) return base as Parsed<null>;
  const url = new URL(base.value);
  const segs = url.pathname.split('/').filter(Boolean);
  if (segs[segs.length - 1] === 'new.atom') segs.pop();
  const list = segs.pop();
  if (!list || !LIST_RE.test(list)) return badRef(`no list name in ${listUrl}`);
  url.pathname = segs.length ? `/${segs.join('/')}` : '/';
  return { value: { baseUrl: url.href.replace(/\/+$/, ''), list }, issues: [] };
}

/**
 * Whether a command-line input means a thread on lore: an http(s) URL, `<id@host>`, `mid:...`,
 * or `local@domain` that is not an existing file.
 */
export function looksLikeLoreRef(input: string, fileExists: (path: string) => boolean): boolean {
  const s = input.trim();
  if (s === '-' || s === '') return false;
  if (/^https?:\/\//i.test(s) || /^mid:/i.test(s)) return true;
  if (/^<[^<>\s]+@[^<>\s]+>$/.test(s)) return true;
  return /^[^<>\s/]+@[^<>\s/]+$/.test(s) && !fileExists(s);
}
