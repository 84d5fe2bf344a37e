/**
 * The mail writer: an RFC 5322 message out of a mail as data, the inverse of the readers beside it
 * (parsers/mime.ts splits and decodes, parsers/headers.ts decodes encoded words and addresses,
 * parsers/mail.ts reads the rest). Header text that is not plain ASCII goes out as RFC 2047
 * encoded words (UTF-8, base64), headers fold at 78 columns, the text is UTF-8 in 8bit or
 * quoted-printable. What it writes, the readers read back (test/parsers/mail-writer.test.ts).
 *
 * Every header value is stripped of control characters (the mailHeader policy), so nothing taken
 * from a mail can end a header line or add one. Pure: the date is passed in.
 */
import type { Address } from './headers.js';
import { sanitize } from './text/controls.js';

/** A mail to write, as plain data. Header values never contain CR or LF: builders strip them. */
export interface MailMessage {
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  /** Without angle brackets. */
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  /** Extra headers, e.g. Auto-Submitted, X-Mailer. */
  headers: Record<string, string>;
  /** Plain text, lines <= 72 columns where the text allows, LF line ends. */
  text: string;
}

/**
 * The longest Message-ID a reply threads under: `In-Reply-To: <id>`, and ` <id>` as a folded line
 * of References, must stay within RFC 5322's 998 characters a line. A reply to a longer one goes
 * out without it (planReplies in reporters/email.ts says so).
 */
export const MAX_MESSAGE_ID = 900;
/** Display names are cut to this many characters. */
const MAX_NAME = 200;

const utf8 = new TextEncoder();
const isAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);
/** RFC 5322 month-name and day-name, by getUTCMonth() and getUTCDay(). */
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

// ---------------------------------------------------------------------------------------------
// Header values

/** A header value: control characters (CR and LF among them) become spaces, runs collapse. */
export function headerText(s: string): string {
  return sanitize(s, 'mailHeader').replace(/\s+/g, ' ').trim();
}

/** A Message-ID without brackets, or null when nothing usable is left. */
export function cleanMessageId(id: string | null | undefined): string | null {
  if (!id) return null;
  const s = sanitize(id, 'mailHeader').replace(/[\s<>]/g, '');
  if (s.length === 0 || s.length > MAX_MESSAGE_ID) return null;
  return s;
}

/** An address as a header value: `Name <addr>`, the name quoted when it needs it. */
export function formatAddress(a: Address): string | null {
  const address = headerText(a.address).replace(/[\s<>",;]/g, '');
  if (!/^[^@]+@[^@]+$/.test(address) || address.length > 254) return null;
  const name = [...headerText(a.name)].slice(0, MAX_NAME).join('').trim();
  if (!name) return address;
  // an atom-only phrase stays as is; anything else is a quoted-string
  const phrase = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name) ? name : quoteString(name);
  return `${phrase} <${address}>`;
}

function quoteString(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

// ---------------------------------------------------------------------------------------------
// Serialization

/** RFC 2047 B encoded words for `text`, each at most 36 bytes of UTF-8 (60 characters). */
function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk = '';
  let bytes = 0;
  const flush = (): void => {
    if (chunk) words.push(`=?UTF-8?B?${Buffer.from(chunk, 'utf8').toString('base64')}?=`);
    chunk = '';
    bytes = 0;
  };
  for (const ch of text) {
    const n = utf8.encode(ch).length;
    if (bytes + n > 36) flush();
    chunk += ch;
    bytes += n;
  }
  flush();
  return words;
}

/**
 * Header text as tokens that fold at whitespace: words that are not plain ASCII (or look like an
 * encoded word) become encoded words; a run of them is encoded as one text with its spaces.
 */
function unstructuredTokens(value: string): string[] {
  const words = value.split(' ').filter(Boolean);
  const needs = (w: string): boolean => !isAscii(w) || w.includes('=?') || w.length > 900;
  const tokens: string[] = [];
  for (let i = 0; i < words.length; ) {
    if (!needs(words[i] as string)) {
      tokens.push(words[i] as string);
      i++;
      continue;
    }
    let j = i;
    while (j < words.length && needs(words[j] as string)) j++;
    // one run is one text with its spaces inside: whitespace between encoded words is dropped
    tokens.push(...encodedWords(words.slice(i, j).join(' ')));
    i = j;
  }
  return tokens;
}

/** `Name: token token ...` folded before a token whenever a line would pass 78 characters. */
function fold(name: string, tokens: readonly string[], sep = ' '): string {
  let out = `${name}:`;
  let lineLen = out.length;
  for (const [i, t] of tokens.entries()) {
    const piece = i === 0 ? ` ${t}` : `${sep}${t}`;
    if (i > 0 && lineLen + piece.length > 78) {
      const glue = sep.trimEnd();
      out += `${glue}\r\n ${t}`;
      lineLen = 1 + t.length;
    } else {
      out += piece;
      lineLen += piece.length;
    }
  }
  return out;
}

function asciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const domain = address.slice(at + 1);
  if (isAscii(domain)) return address;
  try {
    return `${address.slice(0, at + 1)}${new URL(`http://${domain}/`).hostname}`;
  } catch {
    return address;
  }
}

/** One address header value (`Name <addr>`, `"Q. Name" <addr>` or `addr`) as folding tokens. */
function addressTokens(value: string): string[] {
  const v = headerText(value);
  const m = /^(.*?)\s*<([^<>]*)>$/.exec(v);
  if (!m) return [asciiDomain(v)];
  let name = (m[1] as string).trim();
  const addr = `<${asciiDomain((m[2] as string).trim())}>`;
  if (/^".*"$/.test(name)) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  if (!name) return [addr];
  if (!isAscii(name) || name.includes('=?') || name.split(' ').some((w) => w.length > 70))
    return [...encodedWords(name), addr];
  const phrase = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name) ? name : quoteString(name);
  return [...phrase.split(' '), addr];
}

function addressHeader(name: string, values: readonly string[]): string {
  const tokens: string[] = [];
  for (const [i, v] of values.entries()) {
    const t = addressTokens(v);
    if (i < values.length - 1) t[t.length - 1] += ',';
    tokens.push(...t);
  }
  return fold(name, tokens);
}

/** RFC 5322 date-time in UTC. */
export function rfc5322Date(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

/** Quoted-printable (RFC 2045 6.7) of UTF-8 text with LF line ends, CRLF out, soft breaks at 76. */
function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const bytes = utf8.encode(line);
    let cur = '';
    const parts: string[] = [];
    for (const [i, b] of bytes.entries()) {
      const last = i === bytes.length - 1;
      const plain = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
      const enc = plain ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
      if (cur.length + enc.length > 75) {
        parts.push(`${cur}=`);
        cur = '';
      }
      cur += enc;
    }
    parts.push(cur);
    out.push(parts.join('\r\n'));
  }
  return out.join('\r\n');
}

const STANDARD = new Set(
  [
    'from',
    'to',
    'cc',
    'bcc',
    'subject',
    'date',
    'message-id',
    'in-reply-to',
    'references',
    'mime-version',
    'content-type',
    'content-transfer-encoding',
  ].map((s) => s.toLowerCase()),
);

/**
 * A complete RFC 5322 message for `mail` (CRLF line ends): headers folded at 78 columns, non-ASCII
 * header text as RFC 2047 encoded words, the text as UTF-8 in 8bit, or quoted-printable when a line
 * would pass 998 octets. Every header value is stripped of control characters again here.
 */
export function toEml(mail: MailMessage, date: Date): string {
  const h: string[] = [];
  h.push(addressHeader('From', [mail.from]));
  const to = mail.to.map(headerText).filter(Boolean);
  const cc = mail.cc.map(headerText).filter(Boolean);
  if (to.length > 0) h.push(addressHeader('To', to));
  if (cc.length > 0) h.push(addressHeader('Cc', cc));
  h.push(fold('Subject', unstructuredTokens(headerText(mail.subject))));
  h.push(`Date: ${rfc5322Date(date)}`);
  const id = (v: string | null): string | null => {
    const c = cleanMessageId(v);
    return c ? `<${c}>` : null;
  };
  const own = id(mail.messageId);
  if (own) h.push(`Message-ID: ${own}`);
  const parent = id(mail.inReplyTo);
  if (parent) h.push(`In-Reply-To: ${parent}`);
  const refs = mail.references.map(id).filter((r): r is string => r !== null);
  if (refs.length > 0) h.push(fold('References', refs));
  const text = mail.text.replace(/\r\n?/g, '\n');
  const long = text.split('\n').some((l) => utf8.encode(l).length > 998);
  h.push('MIME-Version: 1.0');
  h.push('Content-Type: text/plain; charset=utf-8');
  h.push(`Content-Transfer-Encoding: ${long ? 'quoted-printable' : '8bit'}`);
  for (const [name, value] of Object.entries(mail.headers)) {
    if (!/^[!-9;-~]{1,76}$/.test(name) || STANDARD.has(name.toLowerCase())) continue;
    const v = headerText(value);
    h.push(fold(name, v ? unstructuredTokens(v) : ['']));
  }
  const body = long ? quotedPrintable(text) : text.split('\n').join('\r\n');
  const ended = body.endsWith('\r\n') ? body : `${body}\r\n`;
  return `${h.join('\r\n')}\r\n\r\n${ended}`;
}
