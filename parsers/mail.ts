/**
 * RFC 822 message -> PatchMail: the headers a reviewer bot needs, the body text byte-exact, and
 * the git format-patch anatomy of that body (commit message, trailers, notes, diff, footer).
 *
 * Everything is read here and in the modules next to it, without a mail library: header fields
 * are split in mime.ts, address lists and RFC 2047 encoded words are decoded in headers.ts, and
 * body parts are decoded in mime.ts byte-exact (no format=flowed reflow, which would corrupt
 * patches). Parsing is synchronous; `parseMail` is the async form existing callers await.
 */
import { type FileDiff, parseDiff } from './diff.js';
import { type Address, decodeEncodedWords, parseAddressList } from './headers.js';
import {
  collectTextParts,
  headerNames,
  headerValue,
  MIME_HEADERS,
  type MimePart,
  parseContentType,
  type RawHeader,
  splitHeaders,
} from './mime.js';
import { parseSubject, type SubjectInfo } from './subject.js';
import { type Issue, issue, type Parsed } from './types.js';

export type { Address } from './headers.js';

export interface Trailer {
  key: string; // as written: 'Signed-off-by'
  value: string;
  /** 1-based line in `body`. */
  line: number;
}

export interface PatchFooter {
  baseCommit: string | null;
  changeId: string | null;
  /** prerequisite-patch-id, prerequisite-change-id, prerequisite-message-id, in order. */
  prerequisites: { key: string; value: string }[];
  /** The line after the `-- ` signature separator, e.g. '2.39.5'. */
  signature: string | null;
}

export interface PatchMail {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: Address | null;
  /** The patch author: the in-body `From:` when git send-email added one, else `from`. */
  author: Address | null;
  to: Address[];
  cc: Address[];
  /** ISO 8601, or null when absent or unparseable. */
  date: string | null;
  subject: string;
  subjectInfo: SubjectInfo;
  listId: string | null;
  /** Of every Auto-Submitted header, the first that is not `no`, else the first (null: none). */
  autoSubmitted: string | null;
  mailer: string | null;
  /** The decoded text that carries the patch (CRLF normalised to LF, nothing else changed). */
  body: string;
  /** Where the diff came from: the message text or an attached .patch/.diff part. */
  diffSource: 'body' | 'attachment' | null;
  commitMessage: string;
  trailers: Trailer[];
  /** Between the `---` separator and the diff: diffstat, changelog notes. */
  notes: string;
  diff: string | null;
  /** 1-based line of `diff` within `body` (or within the attachment for diffSource 'attachment'). */
  diffStartLine: number | null;
  files: FileDiff[];
  footer: PatchFooter;
  /** Size of the raw message in bytes. */
  size: number;
  /**
   * Set on a compacted follow-up (parsers/series.ts compactMail), whose body, diff and files were
   * dropped: the digest of the body it had.
   */
  bodyDigest?: string;
}

/** Message-IDs without the angle brackets, in order of appearance. */
export function extractMessageIds(value: string | null): string[] {
  if (!value) return [];
  const ids: string[] = [];
  for (const m of value.matchAll(/<([^<>\s]+)>/g)) if (m[1]) ids.push(m[1]);
  if (ids.length === 0) {
    // some clients drop the brackets
    for (const tok of value.split(/\s+/)) if (/^[^\s@<>()]+@[^\s@<>()]+$/.test(tok)) ids.push(tok);
  }
  return ids;
}

/**
 * The mailboxes of an address header, every occurrence of it in order (To and Cc may repeat), or
 * only the first (From). What could not be read is reported at the header's line.
 */
function addressesOf(headers: RawHeader[], name: string, issues: Issue[], firstOnly = false): Address[] {
  const out: Address[] = [];
  for (const h of headers) {
    if (h.name !== name) continue;
    const parsed = addressList(h.value);
    for (const a of parsed.addresses) out.push({ name: a.name, address: a.address });
    for (const i of parsed.issues) issues.push(issue(i.code, i.severity, `${h.name}: ${i.message}`, h.line));
    if (firstOnly) break;
  }
  return out;
}

/**
 * parseAddressList, remembered for the last few hundred distinct values: list mail repeats the
 * same To and Cc lists through a whole thread. Callers get fresh copies of the addresses.
 */
const addressCache = new Map<string, { addresses: Address[]; issues: Issue[] }>();
function addressList(value: string): { addresses: Address[]; issues: Issue[] } {
  let hit = addressCache.get(value);
  if (hit === undefined) {
    const found: Issue[] = [];
    hit = { addresses: parseAddressList(value, found), issues: found };
    if (addressCache.size >= 512) addressCache.clear();
    addressCache.set(value, hit);
  }
  return hit;
}

export function parseDate(value: string | null): string | null {
  if (!value) return null;
  // strip comments such as "(CEST)" that Date.parse does not accept everywhere
  const cleaned = value.replace(/\([^)]*\)/g, ' ').trim();
  const t = Date.parse(cleaned);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

const KNOWN_TRAILERS = new Set(
  [
    'signed-off-by',
    'reviewed-by',
    'acked-by',
    'tested-by',
    'reported-by',
    'suggested-by',
    'co-developed-by',
    'requested-by',
    'debugged-by',
    'assisted-by',
    'fixes',
    'link',
    'closes',
    'cc',
    'message-id',
    'change-id',
  ].map((s) => s.toLowerCase()),
);

const TRAILER_RE = /^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*)$/;

/**
 * Git's rule, simplified: the last paragraph of the commit message is a trailer block when it has
 * a known trailer (or consists only of `Key: value` lines). Bracketed maintainer notes such as
 * `[akpm: fix typo]` may sit between trailers; indented lines continue the previous trailer.
 */
export function parseTrailers(lines: string[], firstLine: number): Trailer[] {
  let end = lines.length;
  while (end > 0 && (lines[end - 1] as string).trim() === '') end--;
  let start = end;
  while (start > 0 && (lines[start - 1] as string).trim() !== '') start--;
  const trailers: Trailer[] = [];
  let known = false;
  let others = 0;
  for (let i = start; i < end; i++) {
    const l = lines[i] as string;
    const m = TRAILER_RE.exec(l);
    if (m?.[1] && !/^(https?|ftp)$/i.test(m[1])) {
      trailers.push({ key: m[1], value: (m[2] ?? '').trim(), line: firstLine + i });
      if (KNOWN_TRAILERS.has(m[1].toLowerCase()) || /-by$/i.test(m[1])) known = true;
    } else if (/^\s/.test(l) && trailers.length > 0) {
      const last = trailers[trailers.length - 1] as Trailer;
      last.value = `${last.value} ${l.trim()}`;
    } else if (!/^\[.*\]$/.test(l.trim())) {
      others++;
    }
  }
  if (trailers.length === 0) return [];
  if (!known && others > 0) return [];
  return trailers;
}

const FOOTER_RE = /^(base-commit|change-id|prerequisite-[a-z-]+):\s*(\S+)\s*$/;

function parseFooter(lines: string[], from: number): PatchFooter {
  const footer: PatchFooter = { baseCommit: null, changeId: null, prerequisites: [], signature: null };
  for (let i = from; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l === '-- ') {
      const sig = lines[i + 1];
      footer.signature = sig !== undefined && sig.trim() !== '' ? sig.trim() : null;
      break;
    }
    const m = FOOTER_RE.exec(l);
    if (!m) continue;
    const key = m[1] as string;
    const value = m[2] as string;
    if (key === 'base-commit') footer.baseCommit ??= value;
    else if (key === 'change-id') footer.changeId ??= value;
    else footer.prerequisites.push({ key, value });
  }
  return footer;
}

/** The first line of a diff: `diff --git`, or a `--- `/`+++ ` pair of a plain unified diff. */
function findDiffStart(lines: string[], from = 0): number {
  for (let i = from; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.startsWith('diff --git ')) return i;
    if (
      l.startsWith('--- ') &&
      (lines[i + 1] ?? '').startsWith('+++ ') &&
      (lines[i + 2] ?? '').startsWith('@@ ')
    )
      return i;
  }
  return -1;
}

interface InBody {
  author: Address | null;
  subject: string | null;
  skip: number;
}

/** git send-email puts `From:` (and sometimes `Date:`/`Subject:`) at the top of the body. */
function parseInBodyHeaders(lines: string[]): InBody {
  const res: InBody = { author: null, subject: null, skip: 0 };
  let i = 0;
  const found: Record<string, string> = {};
  while (i < lines.length && i < 5) {
    const m = /^(From|Date|Subject):\s*(.*)$/.exec(lines[i] as string);
    if (!m) break;
    found[(m[1] as string).toLowerCase()] = (m[2] ?? '').trim();
    i++;
  }
  if (i === 0 || (lines[i] ?? '') !== '') return res;
  res.skip = i + 1;
  if (found.from) {
    const m = /^(.*?)\s*<([^<>\s]+)>\s*$/.exec(found.from);
    res.author = m
      ? { name: (m[1] ?? '').replace(/^"|"$/g, '').trim(), address: m[2] as string }
      : { name: '', address: found.from };
  }
  if (found.subject) res.subject = found.subject;
  return res;
}

const EMPTY_SUBJECT = parseSubject('').value;

function emptyMail(size: number): PatchMail {
  return {
    messageId: null,
    inReplyTo: null,
    references: [],
    from: null,
    author: null,
    to: [],
    cc: [],
    date: null,
    subject: '',
    subjectInfo: { ...EMPTY_SUBJECT, prefixes: [] },
    listId: null,
    autoSubmitted: null,
    mailer: null,
    body: '',
    diffSource: null,
    commitMessage: '',
    trailers: [],
    notes: '',
    diff: null,
    diffStartLine: null,
    files: [],
    footer: { baseCommit: null, changeId: null, prerequisites: [], signature: null },
    size,
  };
}

function chooseBody(parts: MimePart[]): { body: MimePart | null; patch: MimePart | null } {
  let body: MimePart | null = null;
  let patch: MimePart | null = null;
  for (const p of parts) {
    const inline = p.disposition !== 'attachment';
    if (!body && inline && p.contentType.type === 'text/plain') body = p;
    else if (
      !patch &&
      (/\.(patch|diff)$/i.test(p.filename ?? '') || /^text\/(x-)?(patch|diff)$/.test(p.contentType.type))
    )
      patch = p;
  }
  return { body, patch };
}

/** The keyword of an Auto-Submitted value (RFC 3834): `no`, `auto-generated`, ...; comments dropped. */
export function autoSubmittedKeyword(value: string): string {
  return (value.replace(/\([^()]*\)/g, ' ').split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * The Auto-Submitted value that counts when a mail has several: the first whose keyword is not
 * `no` (any one of them makes the mail automated), else the first.
 */
function autoSubmitted(headers: RawHeader[]): string | null {
  const values = headers.filter((h) => h.name === 'auto-submitted').map((h) => h.value);
  return values.find((v) => autoSubmittedKeyword(v) !== 'no') ?? values[0] ?? null;
}

function describeIdList(headers: RawHeader[], name: string, issues: Issue[]): string[] {
  const raw = headers.filter((h) => h.name === name).map((h) => h.value);
  const ids = raw.flatMap((v) => extractMessageIds(v));
  if (raw.length > 0 && ids.length === 0)
    issues.push(issue('mail-bad-message-id', 'warning', `${name} header has no usable Message-ID`));
  return ids;
}

/** Parses one message. Never throws: whatever is malformed is reported in `issues`. */
export async function parseMail(raw: Uint8Array | string): Promise<Parsed<PatchMail>> {
  return parseMailSync(raw);
}

/** parseMail without the promise: parsing does no I/O and never waits. */
export function parseMailSync(raw: Uint8Array | string): Parsed<PatchMail> {
  const issues: Issue[] = [];
  const head = readMail(raw, issues, true);
  if (head.patch !== undefined) analyseBody(head.mail, head.patch, head.headerLines, issues);
  return { value: head.mail, issues };
}

/**
 * What the series grouping reads of a mail (parsers/series.ts seriesKindOf and seriesGroupKey),
 * and whether it has a diff: `hasDiff` is true exactly when parseMailSync's `files` is not empty.
 */
export interface MailOutline
  extends Pick<
    PatchMail,
    'messageId' | 'inReplyTo' | 'references' | 'from' | 'date' | 'subject' | 'subjectInfo' | 'body'
  > {
  hasDiff: boolean;
}

/**
 * parseMailSync reduced to what a mail outline holds: the same header fields and MIME walk, but
 * no To, Cc or other fields, no commit message, trailers or footer, and of the diff only whether
 * it starts (which is whether the diff parser finds a file: it is handed the text from the line
 * that starts the diff, and that line starts a file diff). What the bulk ingest reads when it
 * keeps no parsed mail. Never throws.
 */
export function outlineMailSync(raw: Uint8Array | string): MailOutline {
  const head = readMail(raw, [], false);
  const m = head.mail;
  // the diff is looked for in the body, then in an attached patch (analyseBody)
  const hasDiff = hasDiffStart(m.body) || (typeof head.patch === 'string' && hasDiffStart(head.patch));
  return {
    messageId: m.messageId,
    inReplyTo: m.inReplyTo,
    references: m.references,
    from: m.from,
    date: m.date,
    subject: m.subject,
    subjectInfo: m.subjectInfo,
    body: m.body,
    hasDiff,
  };
}

/** The fields readMail reads for an outline: the series grouping's and the MIME walk's. */
const OUTLINE_HEADERS = headerNames([
  'message-id',
  'in-reply-to',
  'references',
  'from',
  'date',
  'subject',
  ...MIME_HEADERS.names,
]);

interface MailHead {
  mail: PatchMail;
  /** The text of an attached patch part (null: none); undefined when the message is empty. */
  patch: string | null | undefined;
  headerLines: number;
}

/**
 * The header fields and the MIME walk of parseMailSync, up to the body's analysis. Without
 * `full`, only the fields a mail outline holds are read (the issues are then incomplete).
 */
function readMail(raw: Uint8Array | string, issues: Issue[], full: boolean): MailHead {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const mail = emptyMail(bytes.byteLength);
  if (bytes.byteLength === 0) {
    issues.push(issue('mail-empty', 'error', 'empty message'));
    return { mail, patch: undefined, headerLines: 0 };
  }
  if (full && bytes.indexOf(0) !== -1)
    issues.push(issue('mail-nul-bytes', 'warning', 'the message contains NUL bytes'));

  const block = splitHeaders(bytes, issues, full ? null : OUTLINE_HEADERS);
  const headers = block.headers;
  if (headers.length === 0) issues.push(issue('mail-no-headers', 'error', 'no header fields found'));

  mail.messageId = describeIdList(headers, 'message-id', issues)[0] ?? null;
  if (!mail.messageId) issues.push(issue('mail-missing-message-id', 'warning', 'no Message-ID'));
  mail.inReplyTo = describeIdList(headers, 'in-reply-to', issues)[0] ?? null;
  mail.references = describeIdList(headers, 'references', issues);
  mail.from = addressesOf(headers, 'from', issues, true)[0] ?? null;
  if (!mail.from) issues.push(issue('mail-missing-from', 'warning', 'no usable From address'));
  if (full) {
    mail.to = addressesOf(headers, 'to', issues);
    mail.cc = addressesOf(headers, 'cc', issues);
  }
  const dateHeader = headerValue(headers, 'date');
  mail.date = parseDate(dateHeader);
  if (dateHeader && !mail.date)
    issues.push(issue('mail-bad-date', 'warning', `unparseable Date "${dateHeader.slice(0, 80)}"`));
  const subjectHeader = headers.find((h) => h.name === 'subject');
  const decoded = decodeEncodedWords(subjectHeader?.value ?? '');
  for (const i of decoded.issues)
    issues.push(issue(i.code, i.severity, `subject: ${i.message}`, subjectHeader?.line));
  const subj = parseSubject(decoded.text);
  mail.subjectInfo = subj.value;
  mail.subject = subj.value.raw;
  issues.push(...subj.issues);
  if (full) {
    const listId = headerValue(headers, 'list-id');
    mail.listId = listId ? (extractMessageIds(listId)[0] ?? listId.trim()) : null;
    mail.autoSubmitted = autoSubmitted(headers);
    mail.mailer = headerValue(headers, 'x-mailer');
  }

  const bodyBytes = bytes.subarray(block.bodyOffset);
  const parts = collectTextParts(headers, bodyBytes, issues);
  const { body, patch } = chooseBody(parts);
  if (full && !body && !patch) {
    const top = parseContentType(headerValue(headers, 'content-type')).type;
    if (parts.some((p) => p.contentType.type === 'text/html') || top === 'text/html')
      issues.push(issue('mail-html-only', 'warning', 'HTML-only message: no text/plain part to read'));
    else if (bodyBytes.length > 0) issues.push(issue('mail-no-text', 'warning', `no text part in ${top}`));
  }
  mail.body = body?.text ?? '';
  return { mail, patch: patch?.text ?? null, headerLines: block.headerLines };
}

/**
 * Does a line of `text` start a diff, as findDiffStart decides on the text's lines? Searched in
 * the text, not split into lines. analyseBody looks for it in the body after the in-body header
 * lines (parseInBodyHeaders), but those are `From:`, `Date:` and `Subject:` lines and a blank one,
 * none of which starts a diff: searching the whole body finds the same.
 */
function hasDiffStart(text: string): boolean {
  const atLineStart = (i: number): boolean => i === 0 || text.charCodeAt(i - 1) === 0x0a;
  for (let i = text.indexOf('diff --git '); i !== -1; i = text.indexOf('diff --git ', i + 1))
    if (atLineStart(i)) return true;
  for (let i = text.indexOf('--- '); i !== -1; i = text.indexOf('--- ', i + 1)) {
    if (!atLineStart(i)) continue;
    const plus = text.indexOf('\n', i) + 1;
    if (plus === 0 || !text.startsWith('+++ ', plus)) continue;
    const hunk = text.indexOf('\n', plus) + 1;
    if (hunk !== 0 && text.startsWith('@@ ', hunk)) return true;
  }
  return false;
}

/** Offset of line `to` in the text `lines` were split from, given that line `from` starts at `at`. */
function lineOffset(lines: string[], from: number, at: number, to: number): number {
  let off = at;
  for (let i = from; i < to; i++) off += (lines[i] as string).length + 1;
  return off;
}

/** Splits a body into commit message, trailers, notes, diff and footer (git am's rules). */
function analyseBody(mail: PatchMail, attachment: string | null, headerLines: number, issues: Issue[]): void {
  const lines = mail.body.split('\n');
  const inBody = parseInBodyHeaders(lines);
  mail.author = inBody.author ?? mail.from;
  let diffText: string | null = null;
  let diffLines: string[] = lines;
  let diffStart = findDiffStart(lines, inBody.skip);
  let msgEnd = diffStart === -1 ? lines.length : diffStart;
  mail.diffSource = diffStart === -1 ? null : 'body';
  if (diffStart === -1 && attachment !== null) {
    diffLines = attachment.split('\n');
    diffStart = findDiffStart(diffLines);
    if (diffStart !== -1) mail.diffSource = 'attachment';
  }
  // the commit message ends at the first `---` line (git am's scissors) or at the diff
  let sep = -1;
  for (let i = inBody.skip; i < msgEnd; i++) {
    if (lines[i] === '---') {
      sep = i;
      break;
    }
  }
  if (sep !== -1) {
    mail.notes = lines
      .slice(sep + 1, msgEnd)
      .join('\n')
      .replace(/\n+$/, '');
    msgEnd = sep;
  }
  const msgLines = lines.slice(inBody.skip, msgEnd);
  while (msgLines.length > 0 && (msgLines[msgLines.length - 1] as string).trim() === '') msgLines.pop();
  mail.commitMessage = msgLines.join('\n');
  mail.trailers = parseTrailers(msgLines, inBody.skip + 1);

  let footerFrom = msgEnd;
  if (diffStart !== -1) {
    // lines are the text split on '\n': a run of them joined is a slice of the text
    const source = mail.diffSource === 'body' ? mail.body : (attachment as string);
    const from = lineOffset(diffLines, 0, 0, diffStart);
    const pd = parseDiff(source.slice(from));
    mail.files = pd.value.files;
    const end = pd.value.endLine > 0 ? pd.value.endLine : diffLines.length - diffStart;
    diffText =
      diffStart + end >= diffLines.length
        ? source.slice(from)
        : source.slice(from, lineOffset(diffLines, diffStart, from, diffStart + end) - 1);
    mail.diff = diffText.endsWith('\n') ? diffText : `${diffText}\n`;
    mail.diffStartLine = diffStart + 1;
    const offset = mail.diffSource === 'body' ? headerLines + diffStart : 0;
    for (const i of pd.issues) issues.push(i.line === undefined ? i : { ...i, line: i.line + offset });
    if (mail.files.length === 0)
      issues.push(issue('mail-empty-diff', 'warning', 'diff start found but no file diff parsed'));
    footerFrom = mail.diffSource === 'body' ? diffStart + end : lines.length;
    if (mail.diffSource === 'attachment') {
      const f = parseFooter(diffLines, diffStart + end);
      mail.footer = f;
      return;
    }
  }
  mail.footer = parseFooter(lines, footerFrom);
  if (mail.diffSource === null) {
    // cover letters carry b4's base-commit/change-id after the text; look at the whole body
    const whole = parseFooter(lines, inBody.skip);
    mail.footer = { ...whole, signature: mail.footer.signature ?? whole.signature };
  }
}
