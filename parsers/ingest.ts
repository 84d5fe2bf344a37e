/**
 * Bulk ingest of list mail: split an mbox, decide for every message whether it can belong to a
 * patch series, and parse in full only the ones that can.
 *
 * Most list mail is discussion. prefilterMail decides from the raw bytes, without MIME parsing,
 * that a message cannot be a patch or a cover letter; everything it cannot rule out is parsed by
 * parseMailSync and classified like buildSeries does (seriesMailKind, seriesGroupKey). When no
 * one sees the parsed mail (no `onMail`: counters and series keys only), it is read as an outline
 * instead (outlineMailSync: the header fields and the MIME walk, and of the diff only whether one
 * starts), which gives the same kind, key and diff count for a fraction of the work (the full
 * parse was 40% of the ingest's work per message, its diff parse a quarter of that). The
 * prefilter is conservative by construction, never by tuning:
 *
 * - a diff is found by the mail parser only at a line that starts with `diff --git ` or at a
 *   `+++ ` line (after `--- `, before `@@ `), in the decoded text of a text part. When the message
 *   is a single part whose transfer encoding is the identity (none, 7bit, 8bit, binary) and whose
 *   charset maps ASCII bytes to the same characters one to one, the decoded text has such a line
 *   only if the raw bytes have `\ndiff --git ` (or start with it, or have it after a UTF-8 byte
 *   order mark, which the decoder drops) or `\n+++ `. Anything else (multipart, message/rfc822,
 *   base64, quoted-printable, an unknown encoding, UTF-16, ISO-2022-JP) goes to the full parse.
 * - without a diff, only a subject with an n/N counter and no reply marker makes a patch slot or
 *   a cover letter. The subject is read from the raw header block (the first `Subject:` field
 *   with its continuation lines); an encoded word (`=?`) goes to the full parse, a subject
 *   without `/` has no counter, a `Re:`/`Aw:`/`Fwd:` one is a reply, and the rest is decided by
 *   parseSubject itself.
 *
 * The header scan reads every line up to the first blank one, which is never less than the header
 * block the mail parser reads (that one may end earlier, at a malformed line), and every
 * Content-Type and Content-Transfer-Encoding field in it counts, not only the first. A test checks
 * on generated, fixture and fuzzed mail that no message the full parser makes a patch, a cover
 * letter or a mail with a diff is ever skipped.
 */
import { outlineMailSync, type PatchMail, parseMailSync } from './mail.js';
import { type MboxMessage, type MboxOptions, MboxSplitter } from './mbox.js';
import { collectTextParts, MIME_HEADERS, parseContentType, splitHeaders } from './mime.js';
import {
  type SeriesKeyFields,
  type SeriesMailKind,
  seriesGroupKey,
  seriesKindOf,
  seriesMailKind,
} from './series.js';
import { parseSubject } from './subject.js';
import type { Issue } from './types.js';

/** Why a message is parsed in full ('none': it is not, it cannot belong to a series). */
export type PrefilterReason =
  | 'diff' // `diff --git ` or `+++ ` at a line start in the raw bytes
  | 'mime' // multipart or message/* (parts decide)
  | 'encoded' // a transfer encoding other than the identity
  | 'charset' // a charset that does not keep ASCII bytes as they are
  | 'subject' // a subject with an n/N counter and no reply marker, or an encoded one
  | 'header' // a Content-* field with 8-bit bytes (left to the full parser)
  | 'none';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const bytes = (t: string): Buffer => Buffer.from(t, 'latin1');
const DIFF_GIT = bytes('diff --git ');
const DIFF_SP = bytes('diff ');
const GIT_SP = bytes('--git ');
const PLUS3 = bytes('+++ ');
const BOM_DIFF_GIT = bytes('\xef\xbb\xbfdiff --git ');

/** Lower-case ASCII bytes of `name:`; compared against the start of a header line. */
const CONTENT_TYPE = bytes('content-type:');
const CONTENT_TE = bytes('content-transfer-encoding:');
const SUBJECT = bytes('subject:');

function startsWithLower(b: Buffer, at: number, end: number, name: Buffer): boolean {
  if (end - at < name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = b[at + i] as number;
    const lower = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    if (lower !== name[i]) return false;
  }
  return true;
}

function startsWith(b: Buffer, at: number, needle: Buffer): boolean {
  return at + needle.length <= b.length && b.compare(needle, 0, needle.length, at, at + needle.length) === 0;
}

/** Does a line of b start at `at` with a diff start (`diff --git `, `+++ `, or a BOM and `diff --git `)? */
function diffStartAt(b: Buffer, at: number): boolean {
  const c = b[at];
  if (c === 0x64 /* d */) return startsWith(b, at, DIFF_GIT);
  if (c === 0x2b /* + */) return startsWith(b, at, PLUS3);
  if (c === 0xef) return startsWith(b, at, BOM_DIFF_GIT);
  return false;
}

const IDENTITY_ENCODINGS = new Set(['', '7bit', '8bit', 'binary']);

/** Does decoding with this charset label keep every ASCII byte as the same character, one to one? */
const transparentCache = new Map<string, boolean>();
function asciiTransparent(label: string): boolean {
  const l = label.trim().toLowerCase();
  if (l === '' || l === 'utf-8' || l === 'utf8' || l === 'us-ascii' || l === 'ascii' || l === 'iso-8859-1')
    return true;
  let known = transparentCache.get(l);
  if (known === undefined) {
    let encoding = 'windows-1252'; // what mime.ts falls back to (Latin-1) for an unknown label
    try {
      encoding = new TextDecoder(l).encoding;
    } catch {
      // unknown label: read as Latin-1
    }
    // UTF-16 spends two bytes per character; ISO-2022-JP's escape sequences vanish when decoded
    known = !(encoding === 'utf-16le' || encoding === 'utf-16be' || encoding === 'iso-2022-jp');
    if (transparentCache.size > 256) transparentCache.clear();
    transparentCache.set(l, known);
  }
  return known;
}

/** Content-Type values seen before and what they decide (list mail repeats a handful). */
const contentTypeCache = new Map<string, PrefilterReason>();
/** A value parseContentType reads as a multipart or message type (each has a boundary of its own). */
const MIME_TYPE_START = /^(?:multipart|message)\//i;
function contentTypeVerdict(value: string): PrefilterReason {
  // the type is the value up to its first `;`, trimmed (the value is) and lower-cased
  if (MIME_TYPE_START.test(value)) return 'mime';
  let v = contentTypeCache.get(value);
  if (v === undefined) {
    const ct = parseContentType(value);
    if (ct.type.startsWith('multipart/') || ct.type.startsWith('message/')) v = 'mime';
    else v = asciiTransparent(ct.params.charset ?? '') ? 'none' : 'charset';
    if (contentTypeCache.size > 1024) contentTypeCache.clear();
    contentTypeCache.set(value, v);
  }
  return v;
}

const REPLY_START = /^(?:re|aw|fwd?)[ \t]*:/i;
/** An n/N counter is a token of digits, `/` and digits: the subject has a digit, `/` and a digit. */
const COUNTER_INSIDE = /\d\/\d/;

/** The subject decides: can it be a patch slot or a cover letter without a diff? */
function subjectVerdict(subject: string): PrefilterReason {
  if (subject.includes('=?')) return 'subject';
  if (!subject.includes('/')) return 'none'; // no n/N counter
  if (REPLY_START.test(subject) || !COUNTER_INSIDE.test(subject)) return 'none';
  const s = parseSubject(subject).value;
  return !s.reply && s.counter !== null ? 'subject' : 'none';
}

/** Does b[s, e) have a byte >= 0x80? */
function hasEightBit(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if ((b[i] as number) >= 0x80) return true;
  return false;
}

/** Header bytes as the mail parser decodes them: UTF-8 when valid, else Latin-1. */
const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
function headerText(b: Buffer, s: number, e: number, eight: boolean): string {
  if (eight) {
    try {
      return utf8Fatal.decode(b.subarray(s, e));
    } catch {
      // not UTF-8: Latin-1 below
    }
  }
  return b.toString('latin1', s, e);
}

export interface PrefilterResult {
  /** Why the message must be parsed in full; 'none' when it cannot belong to a series. */
  reason: PrefilterReason;
  /** Its MIME structure or transfer encoding had to be decoded to decide. */
  decoded: boolean;
}

/** A decoded text part has a line that starts a diff for the mail parser (see findDiffStart). */
function textHasDiffStart(t: string): boolean {
  return t.startsWith('diff --git ') || t.includes('\ndiff --git ') || t.includes('\n+++ ');
}

/**
 * The MIME walk the mail parser does (splitHeaders, collectTextParts: the same functions; the
 * header block split as the parser splits it, keeping only the fields the walk reads), and the
 * diff starts searched in every text part it yields.
 */
function decodedHasDiff(b: Buffer): boolean {
  const issues: Issue[] = [];
  const block = splitHeaders(b, issues, MIME_HEADERS);
  for (const part of collectTextParts(block.headers, b.subarray(block.bodyOffset), issues))
    if (textHasDiffStart(part.text)) return true;
  return false;
}

interface Field {
  kind: 'subject' | 'type' | 'te';
  value: string;
  /** It has 8-bit bytes. */
  eight: boolean;
  /** Where the line after it (and after its continuation lines) starts. */
  next: number;
}

/**
 * Reads the header field whose line starts at `at` and ends at `lf` (before `limit`) when it is
 * Subject, Content-Type or Content-Transfer-Encoding: its value unfolded like splitHeaders does,
 * and whether it has 8-bit bytes. Returns null for any other field.
 */
function fieldAt(b: Buffer, at: number, lf: number, limit: number): Field | null {
  let end = lf;
  if (end > at && b[end - 1] === CR) end--;
  const c = (b[at] as number) | 0x20;
  let kind: 'subject' | 'type' | 'te';
  let nameLen: number;
  if (c === 0x73 /* s */ && startsWithLower(b, at, end, SUBJECT)) {
    kind = 'subject';
    nameLen = SUBJECT.length;
  } else if (c === 0x63 /* c */ && startsWithLower(b, at, end, CONTENT_TYPE)) {
    kind = 'type';
    nameLen = CONTENT_TYPE.length;
  } else if (c === 0x63 && startsWithLower(b, at, end, CONTENT_TE)) {
    kind = 'te';
    nameLen = CONTENT_TE.length;
  } else return null;
  // the name is ASCII (it matched): the value has the line's 8-bit bytes, if any
  let eight = hasEightBit(b, at + nameLen, end);
  let value = headerText(b, at + nameLen, end, eight).trim();
  let next = lf + 1;
  while (next < limit && (b[next] === SP || b[next] === TAB)) {
    let lf2 = b.indexOf(LF, next);
    if (lf2 === -1 || lf2 > limit) lf2 = limit;
    let end2 = lf2;
    if (end2 > next && b[end2 - 1] === CR) end2--;
    if (end2 === next) break;
    const eight2 = hasEightBit(b, next, end2);
    eight ||= eight2;
    value += ` ${headerText(b, next, end2, eight2).trim()}`;
    next = lf2 + 1;
  }
  return { kind, value, eight, next };
}

/** What a Content-Type or Content-Transfer-Encoding field means for the raw byte search. */
function contentVerdict(f: Field): PrefilterReason {
  if (f.eight) return 'header';
  if (f.kind === 'te') return IDENTITY_ENCODINGS.has(f.value.toLowerCase()) ? 'none' : 'encoded';
  return contentTypeVerdict(f.value);
}

/**
 * Decides whether a message may be a patch, a cover letter or carry a diff; reason 'none' only
 * when it certainly is none of these. Never throws.
 *
 * The header region (every line before the first blank one) is walked line by line for Subject,
 * Content-Type, Content-Transfer-Encoding and lines that start a diff (a header field never looks
 * like one, so where the mail parser's header block really ends does not matter); the rest is
 * searched natively for `--git ` and `+++ `, each checked for a line start. An encoded or multipart
 * message also gets the MIME walk of its body (never the address, date, subject or patch parsing).
 */
export function prefilterMail(raw: Uint8Array): PrefilterResult {
  const b = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const len = b.length;
  let decode: PrefilterReason = 'none';
  let subjectSeen = false;
  let subjectCounts = false;
  let pos = 0;
  let hdrEnd = len;
  while (pos < len) {
    let lf = b.indexOf(LF, pos);
    if (lf === -1) lf = len;
    const c = b[pos] as number;
    if (c === LF || (c === CR && pos + 1 === lf)) {
      hdrEnd = pos;
      break;
    }
    const lower = c | 0x20;
    const second = (b[pos + 1] as number) | 0x20;
    let next = lf + 1;
    // a Content-* field only counts while nothing else has made the message need decoding
    if (
      (lower === 0x63 /* c */ && second === 0x6f /* o */ && decode === 'none') ||
      (lower === 0x73 /* s */ && second === 0x75 /* u */ && !subjectSeen)
    ) {
      const f = fieldAt(b, pos, lf, len);
      if (f?.kind === 'subject') {
        subjectSeen = true;
        subjectCounts = subjectVerdict(f.value) !== 'none';
      } else if (f !== null) decode = contentVerdict(f);
      // its continuation lines start with a space or a tab: nothing to see there
      if (f !== null) next = f.next;
    } else if ((c === 0x64 /* d */ || c === 0x2b /* + */ || c === 0xef) && diffStartAt(b, pos)) {
      return { reason: 'diff', decoded: false };
    }
    pos = next;
  }
  if (decode !== 'none') {
    if (decodedHasDiff(b)) return { reason: decode, decoded: true };
    return { reason: subjectCounts ? 'subject' : 'none', decoded: true };
  }
  for (let at = b.indexOf(GIT_SP, hdrEnd); at !== -1; at = b.indexOf(GIT_SP, at + 1)) {
    const ls = at - DIFF_SP.length;
    // at a line start, or after a byte order mark (dropped by the decoder when it opens the body)
    if (
      ls > hdrEnd &&
      startsWith(b, ls, DIFF_SP) &&
      (b[ls - 1] === LF || (ls >= 3 && diffStartAt(b, ls - 3)))
    )
      return { reason: 'diff', decoded: false };
  }
  for (let at = b.indexOf(PLUS3, hdrEnd); at !== -1; at = b.indexOf(PLUS3, at + 1))
    if (b[at - 1] === LF) return { reason: 'diff', decoded: false };
  return { reason: subjectCounts ? 'subject' : 'none', decoded: false };
}

/** What the ingest made of one message. */
export interface IngestedMail {
  /** 0-based position in the mbox, and the byte offset of its From_ line. */
  index: number;
  offset: number;
  size: number;
  /** Why it was parsed; 'none' when the prefilter ruled it out (then `mail` is null). */
  reason: PrefilterReason;
  /** 'other' for a message that was not parsed: it cannot be a patch or a cover letter. */
  kind: SeriesMailKind | 'other';
  /** The series (one revision) a patch or cover letter belongs to; null otherwise. */
  seriesKey: string | null;
  /** The parsed mail, when it was parsed. */
  mail: PatchMail | null;
  /** Issues of the mbox split (always) and of the parse (when parsed). */
  issueCount: number;
}

export interface IngestStats {
  messages: number;
  bytes: number;
  /** Messages the prefilter could not rule out, parsed in full. */
  parsed: number;
  parsedBytes: number;
  /** Of the parsed ones: patches (slot in a series), cover letters, anything else (replies...). */
  patches: number;
  covers: number;
  parsedOther: number;
  /** Mails with a diff (patches, and replies or others that carry one). */
  withDiff: number;
  /** Distinct series (revision groups) the patches and cover letters belong to. */
  series: number;
  /** Why messages were parsed, per reason; 'none' counts the skipped ones. */
  reasons: Record<PrefilterReason, number>;
  /** Messages whose MIME structure or transfer encoding the prefilter decoded to decide. */
  decoded: number;
}

export function emptyIngestStats(): IngestStats {
  return {
    messages: 0,
    bytes: 0,
    parsed: 0,
    parsedBytes: 0,
    patches: 0,
    covers: 0,
    parsedOther: 0,
    withDiff: 0,
    series: 0,
    reasons: { diff: 0, mime: 0, encoded: 0, charset: 0, subject: 0, header: 0, none: 0 },
    decoded: 0,
  };
}

const COUNTERS = [
  'messages',
  'bytes',
  'parsed',
  'parsedBytes',
  'patches',
  'covers',
  'parsedOther',
  'withDiff',
  'decoded',
] as const;

/** Adds the counters of `part` to `into` (not `series`: distinct keys do not add up). */
export function addIngestStats(into: IngestStats, part: IngestStats): void {
  for (const k of COUNTERS) into[k] += part[k];
  for (const r of Object.keys(into.reasons) as PrefilterReason[]) into.reasons[r] += part.reasons[r];
}

/**
 * Streaming ingest: push() mbox chunks, end() at the end. Each message is split, prefiltered,
 * and (when it may belong to a series) parsed; `onMail` sees each result and may keep what it
 * needs. Without `onMail` a message is read as an outline, not parsed in full (the same stats). The ingest itself keeps only counters and the set of series keys, so memory is bounded
 * by the largest message plus one chunk, plus the number of distinct series.
 */
export class MboxIngest {
  private readonly splitter: MboxSplitter;
  /** The series keys seen so far, in the order first seen. */
  readonly seriesKeys = new Set<string>();
  readonly stats: IngestStats = emptyIngestStats();

  constructor(
    private readonly onMail: ((m: IngestedMail) => void) | null = null,
    options?: MboxOptions,
  ) {
    // each message is parsed and dropped before the next chunk comes: no copy needed
    this.splitter = new MboxSplitter({ ...options, copy: false });
  }

  push(chunk: Uint8Array): void {
    for (const msg of this.splitter.push(chunk)) this.take(msg);
  }

  end(): IngestStats {
    for (const msg of this.splitter.end()) this.take(msg);
    this.stats.series = this.seriesKeys.size;
    return this.stats;
  }

  private take(msg: MboxMessage): void {
    const st = this.stats;
    const size = msg.raw.length;
    st.messages++;
    st.bytes += size;
    const verdict = prefilterMail(msg.raw);
    const reason = verdict.reason;
    st.reasons[reason]++;
    if (verdict.decoded) st.decoded++;
    if (reason === 'none') {
      this.onMail?.({
        index: msg.index,
        offset: msg.offset,
        size,
        reason,
        kind: 'other',
        seriesKey: null,
        mail: null,
        issueCount: msg.issues.length,
      });
      return;
    }
    st.parsed++;
    st.parsedBytes += size;
    if (this.onMail === null) {
      // nobody sees the parsed mail: its outline decides the same kind, key and diff
      const outline = outlineMailSync(msg.raw);
      this.count(seriesKindOf(outline.subjectInfo, outline.hasDiff), outline.hasDiff, outline);
      return;
    }
    const parsed = parseMailSync(msg.raw);
    const mail = parsed.value;
    const kind = seriesMailKind(mail);
    const seriesKey = this.count(kind, mail.files.length > 0, mail);
    this.onMail({
      index: msg.index,
      offset: msg.offset,
      size,
      reason,
      kind,
      seriesKey,
      mail,
      issueCount: msg.issues.length + parsed.issues.length,
    });
  }

  /** Counts a parsed mail of this kind; its series key (null for a follow-up). */
  private count(kind: SeriesMailKind, hasDiff: boolean, mail: SeriesKeyFields): string | null {
    const st = this.stats;
    if (hasDiff) st.withDiff++;
    if (kind === 'followup') {
      st.parsedOther++;
      return null;
    }
    if (kind === 'patch') st.patches++;
    else st.covers++;
    const seriesKey = seriesGroupKey(mail);
    this.seriesKeys.add(seriesKey);
    return seriesKey;
  }
}

/** What one part of an mbox came to (see ingestPart). */
export interface IngestPart {
  /** Its counters; `series` counts its own distinct keys. */
  stats: IngestStats;
  /** Its distinct series keys, in the order first seen. */
  seriesKeys: string[];
  /** Every message's record in order, when asked; index and offset count from the part's start. */
  mails: IngestedMail[] | null;
}

export interface IngestPartOptions extends MboxOptions {
  /** Keep every message's record (default false: counters and series keys only). */
  records?: boolean;
  /** With records: keep the parsed mail in them too (default true; false: `mail` is null). */
  parsedMail?: boolean;
}

/**
 * One part of an mbox ingested on its own: the bytes from a message start (the start of the
 * input, or a position parsers/mbox.ts lastMessageStart found) up to the next such position or
 * the end, pushed as consecutive chunks. Parts ingested one by one and added up in order (index
 * and offset moved by the messages and bytes before each) give what one MboxIngest over the
 * whole input gives. Chunks are read in place and must not change until end().
 */
export class PartIngest {
  private readonly ing: MboxIngest;
  private readonly mails: IngestedMail[] | null;

  constructor(options: IngestPartOptions = {}) {
    const { records = false, parsedMail = true, format, maxMessageBytes } = options;
    const mails: IngestedMail[] | null = records ? [] : null;
    this.mails = mails;
    this.ing = new MboxIngest(
      mails === null ? null : (m) => mails.push(parsedMail || m.mail === null ? m : { ...m, mail: null }),
      { format, maxMessageBytes },
    );
  }

  push(chunk: Uint8Array): void {
    this.ing.push(chunk);
  }

  end(): IngestPart {
    const stats = this.ing.end();
    return { stats, seriesKeys: [...this.ing.seriesKeys], mails: this.mails };
  }
}

/** PartIngest over chunks already at hand. */
export function ingestPart(chunks: Iterable<Uint8Array>, options: IngestPartOptions = {}): IngestPart {
  const part = new PartIngest(options);
  for (const c of chunks) part.push(c);
  return part.end();
}
