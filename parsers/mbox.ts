/**
 * Streaming mbox splitter (mboxrd and mboxo), byte-exact.
 *
 * lore.kernel.org (public-inbox) serves mboxrd: every message starts with a `From_` line, body
 * lines matching /^>*From / got one extra `>`, and one empty line follows each message. git
 * format-patch writes the same shape with `From <sha> Mon Sep 17 00:00:00 2001`. An input that does
 * not start with a From_ line is one raw RFC 822 message and is passed through unchanged.
 *
 * One synchronous push-based state machine (MboxSplitter) does all the work; splitMbox (async,
 * streaming) and splitMboxBuffer (synchronous) only drive it. Only lines that can change anything
 * are looked at one by one: blank lines, lines starting with CR, and lines starting with `From `
 * or `>...>From `. Everything between them is plain content, found with one native search for
 * `From ` per chunk region rather than one call per line, so the splitter does not visit every
 * line end. Body bytes are kept as slices of the input chunks (runs of plain lines coalesce into
 * one slice) and copied once, when a message is complete. Memory is bounded by the largest
 * message (capped by maxMessageBytes) plus the chunk being read.
 *
 * Issue lines are lines of the message (1 is the first line of `raw`), like the mail parser's.
 *
 * Chunks pushed into the splitter must not be modified afterwards: slices of them are kept until
 * the message they belong to is complete.
 */
import { type Issue, issue } from './types.js';

export type MboxFormat = 'mboxrd' | 'mboxo';

export interface MboxMessage {
  /** Message bytes, unescaped, byte-exact, including its own final newline; no From_ line, no mbox separator. */
  raw: Buffer;
  /** The From_ line without its line end; null when the input was a single raw message. */
  fromLine: string | null;
  /** 0-based position in the mbox. */
  index: number;
  /** Byte offset of the From_ line in the input (0 for a raw message). */
  offset: number;
  issues: Issue[];
}

export interface MboxOptions {
  /** 'mboxrd' (default) removes one `>` from /^>+From /; 'mboxo' only from /^>From /. */
  format?: MboxFormat;
  /** Longer messages are truncated to this many bytes and flagged 'mbox-message-too-large'. Default 64 MiB. */
  maxMessageBytes?: number;
  /**
   * false: a message that lies within one input chunk is a view of that chunk instead of a copy.
   * Only for a consumer that is done with `raw` before it pushes the next chunk and never keeps
   * it (a bulk ingest that parses and drops); default true.
   */
  copy?: boolean;
}

const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Longest From_ line accepted, and the most bytes of one line ever held back while its kind is
 * unknown (the rest of a long line streams straight into the message).
 */
const HEAD_CAP = 1024;

const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const UPPER_F = 0x46;
const FROM_SPACE = Buffer.from('From ', 'latin1');
const LF_BUF = Buffer.from([LF]);
const CRLF_BUF = Buffer.from([CR, LF]);
const EMPTY = Buffer.alloc(0);

// What a line (or the start of one) turned out to be.
const NEED_MORE = 0; // undecidable yet: keep the head bytes until more input arrives
const BLANK = 1; // "\n" or "\r\n"
const SEPARATOR = 2; // a From_ line that starts a new message
const BODY = 3; // message content, unchanged
const BODY_UNESCAPE = 4; // message content with its first byte (one `>`) removed
const BODY_UNESCAPED_FROM = 5; // unescaped `From ` line after a blank line, kept in the body
const GT_FLUSH = 6; // a long run of `>`: emit all but the last one, keep deciding
const RAW = 7; // first line: not an mbox, a single raw message
const RAW_MALFORMED = 8; // first line starts with `From ` but is no From_ line: raw message too

const MODE_START = 0;
const MODE_MBOX = 1;
const MODE_RAW = 2;

const FROM_LINE_RE = /^From (\S+) +(\S.*)$/s;
const TIME_RE = /(?:^|\D)\d{1,2}:\d\d(?!\d)/;
const YEAR_RE = /(?:^|\D)\d{4}(?!\d)/;
const MONTH_RE = /\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/i;

/** In b[at, end): 1: starts with `From `; 0: is a proper prefix of it; -1: neither. */
function matchFrom(b: Uint8Array, at: number, end: number): number {
  const avail = Math.min(5, end - at);
  for (let i = 0; i < avail; i++) if (b[at + i] !== FROM_SPACE[i]) return -1;
  return avail === 5 ? 1 : 0;
}

/** End of the line b[start, end) without its LF or CRLF. */
function contentEnd(b: Uint8Array, start: number, end: number): number {
  let e = end;
  if (e > start && b[e - 1] === LF) e--;
  if (e > start && b[e - 1] === CR) e--;
  return e;
}

/**
 * A From_ line: `From `, a sender without spaces, a space, then a date: something with a time
 * (`00:00:00`, `12:34`) or a month name and a four-digit year. At most HEAD_CAP bytes with its
 * line end: the most the splitter holds back of a line it has not decided, so that where the
 * input is cut into chunks never changes what is a separator.
 */
export function isFromLine(line: Uint8Array): boolean {
  const v = Buffer.isBuffer(line) ? line : Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  const end = contentEnd(v, 0, v.length);
  if (v.length > HEAD_CAP || matchFrom(v, 0, end) !== 1) return false;
  const m = FROM_LINE_RE.exec(v.toString('latin1', 0, end));
  const date = m?.[2];
  if (date === undefined) return false;
  return TIME_RE.test(date) || (MONTH_RE.test(date) && YEAR_RE.test(date));
}

const LF_FROM = Buffer.from('\nFrom ', 'latin1');

/**
 * The last position in b[from, end), after `from`, where the splitter of an mbox certainly starts
 * a new message, or -1: a complete From_ line (isFromLine) right after a blank line (LF or CRLF)
 * that lies within b[from, end). Whether a line there is a separator depends on nothing else: not
 * on the messages before it, nor on how the input was cut into chunks (isFromLine caps a From_
 * line at the bytes the splitter may hold back). So an mbox whose first line is a From_ line can
 * be cut at such a position, and each part split on its own (a fresh splitter each), giving the
 * same messages, issues and bytes as the whole input split at once; only each message's index and
 * offset then count from the start of its part. A bulk ingest spreads the parts over threads.
 */
export function lastMessageStart(b: Uint8Array, from: number, end: number): number {
  const v = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const stop = Math.min(end, v.length);
  if (stop - LF_FROM.length <= from) return -1;
  // the LF before `From ` is at most at stop - 6; a search from there finds no later one
  for (
    let at = v.lastIndexOf(LF_FROM, stop - LF_FROM.length);
    at > from;
    at = v.lastIndexOf(LF_FROM, at - 1)
  ) {
    const p = at + 1;
    // the line before the From_ line is blank: it starts at `at` (LF) or at - 1 (CR LF)
    const blank =
      (at - 1 >= from && v[at - 1] === LF) || (at - 2 >= from && v[at - 1] === CR && v[at - 2] === LF);
    if (!blank) continue;
    const lf = v.indexOf(LF, p);
    if (lf !== -1 && lf < stop && isFromLine(v.subarray(p, lf + 1))) return p;
  }
  return -1;
}

function countLineEnds(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(LF); i !== -1; i = b.indexOf(LF, i + 1)) n++;
  return n;
}

function clampMax(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n)) return DEFAULT_MAX_MESSAGE_BYTES;
  return Math.max(0, Math.floor(n));
}

class MessageBuilder {
  readonly parts: Buffer[] = [];
  /** Bytes kept in parts. */
  size = 0;
  /** Bytes the message really has (kept or not). */
  total = 0;
  lastByte = -1;
  crlf = false;
  readonly issues: Issue[] = [];
  /** Line ends in parts[0, countedParts), and in bytes dropped over the limit. */
  private lineEnds = 0;
  private countedParts = 0;

  constructor(
    readonly fromLine: string | null,
    readonly index: number,
    readonly offset: number,
    private readonly max: number,
    private readonly copy: boolean,
  ) {}

  append(b: Buffer): void {
    const n = b.length;
    if (n === 0) return;
    this.total += n;
    this.lastByte = b[n - 1] ?? -1;
    const room = this.max - this.size;
    if (room <= 0) {
      this.lineEnds += countLineEnds(b);
      return;
    }
    const keep = n <= room ? b : b.subarray(0, room);
    if (keep !== b) this.lineEnds += countLineEnds(b.subarray(room));
    this.parts.push(keep);
    this.size += keep.length;
  }

  /** The 1-based message line that the next appended byte starts (counted only when asked). */
  nextLine(): number {
    for (; this.countedParts < this.parts.length; this.countedParts++)
      this.lineEnds += countLineEnds(this.parts[this.countedParts] as Buffer);
    return this.lineEnds + 1;
  }

  build(): MboxMessage {
    const issues = this.issues;
    if (this.total > this.size) {
      issues.push(
        issue(
          'mbox-message-too-large',
          'error',
          `message is ${this.total} bytes, over the ${this.max}-byte limit; only the first ${this.size} bytes are kept`,
        ),
      );
    }
    if (this.total > 0 && this.lastByte !== LF) {
      issues.push(issue('mbox-no-final-newline', 'info', 'the message does not end with a newline'));
    }
    if (this.crlf) issues.push(issue('mbox-crlf', 'info', 'the message uses CRLF line ends'));
    const raw =
      !this.copy && this.parts.length === 1
        ? (this.parts[0] as Buffer)
        : Buffer.concat(this.parts, this.size);
    return {
      raw,
      fromLine: this.fromLine,
      index: this.index,
      offset: this.offset,
      issues,
    };
  }
}

/**
 * The splitter state machine. push() takes the next chunk and returns the messages completed by
 * it; end() flushes the last one. Never throws on input.
 */
export class MboxSplitter {
  private readonly format: MboxFormat;
  private readonly maxBytes: number;
  private readonly copy: boolean;
  private mode = MODE_START;
  private msg: MessageBuilder | null = null;
  private count = 0;
  private out: MboxMessage[] = [];
  private ended = false;

  /** Input bytes before the current chunk. */
  private consumed = 0;
  /** Last byte of the previous chunk (-1 before the first). */
  private lastInputByte = -1;
  /** Input offset where the line being read starts. */
  private lineStart = 0;
  private prevBlank = false;
  /** Inside a line whose kind is decided: its remaining bytes are plain content. */
  private inLine = false;
  /** Length of a blank line held back (0: none, 1: LF, 2: CRLF): it belongs to the mbox if a separator or EOF follows. */
  private held = 0;
  /** Position of the held blank line in the current chunk, -1 when it came in an earlier chunk. */
  private heldPos = -1;
  /** First bytes of a line split across chunks whose kind is not known yet. */
  private readonly head = Buffer.alloc(HEAD_CAP);
  private headLen = 0;
  /** For GT_FLUSH: how many `>` can be emitted now. */
  private flushLen = 0;
  private rawLfSeen = false;

  /** The chunk being scanned and the pending run [runStart, runEnd) of its bytes to append. */
  private cur: Buffer = EMPTY;
  private runStart = 0;
  private runEnd = 0;
  /**
   * Per chunk: where its last line end is followed (tailStart: after the last LF), and cached
   * search hits for `From ` and CR (-2: not searched yet in this chunk, -1: none further on).
   */
  private tailStart = 0;
  private fromHit = -2;
  private crHit = -2;
  /** The last From_ line accepted as a separator (lore repeats one line), bytes and text. */
  private lastFrom: Buffer = EMPTY;
  private lastFromText = '';

  constructor(options: MboxOptions = {}) {
    this.format = options.format === 'mboxo' ? 'mboxo' : 'mboxrd';
    this.maxBytes = clampMax(options.maxMessageBytes);
    this.copy = options.copy !== false;
  }

  /** Feeds the next chunk; returns the messages it completed. The chunk must not be modified afterwards. */
  push(chunk: Uint8Array): MboxMessage[] {
    if (this.ended || chunk.length === 0) return [];
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.cur = buf;
    this.runStart = 0;
    this.runEnd = 0;
    this.tailStart = buf.lastIndexOf(LF) + 1;
    this.fromHit = -2;
    this.crHit = -2;
    this.scan(buf);
    this.flushRun();
    this.cur = EMPTY;
    this.heldPos = -1;
    this.lastInputByte = buf[buf.length - 1] ?? -1;
    this.consumed += buf.length;
    return this.takeOut();
  }

  end(): MboxMessage[] {
    if (this.ended) return [];
    this.ended = true;
    if (this.headLen > 0 && this.mode !== MODE_RAW) {
      // the input ended inside a line that was still undecided: decide it as it is
      const h = this.head;
      const n = this.headLen;
      const d = this.mode === MODE_START ? this.classifyFirst(h, 0, n, true) : this.classify(h, 0, n, true);
      this.resolve(d, h, 0, n, true);
    }
    this.finishMessage();
    return this.takeOut();
  }

  private takeOut(): MboxMessage[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private scan(buf: Buffer): void {
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      if (this.mode === MODE_RAW) {
        this.rawData(buf, pos);
        return;
      }
      const lf = buf.indexOf(LF, pos);
      if (this.inLine) {
        // the rest of a line whose kind is already known
        if (lf < 0) {
          this.emitRange(pos, len);
          return;
        }
        if (this.byteBefore(buf, lf) === CR) this.markCrlf();
        this.emitRange(pos, lf + 1);
        this.inLine = false;
        this.prevBlank = false;
        pos = lf + 1;
        continue;
      }
      const lineEnd = lf < 0 ? len : lf + 1;
      if (this.headLen === 0) {
        this.lineStart = this.consumed + pos;
        const b0 = buf[pos];
        if (
          this.mode === MODE_MBOX &&
          b0 !== LF &&
          b0 !== CR &&
          b0 !== GT &&
          (b0 !== UPPER_F || !this.prevBlank)
        ) {
          // hot path: an ordinary content line, nothing to decide
          if (this.held > 0) this.releaseHeld();
          if (lf < 0) {
            this.emitRange(pos, lineEnd);
            this.inLine = true;
            return;
          }
          if (buf[lf - 1] === CR) this.markCrlf();
          this.prevBlank = false;
          // and so are the lines after it, up to the next one that needs a decision
          const stop = this.plainRunEnd(buf, lineEnd);
          this.emitRange(pos, stop);
          pos = stop;
          continue;
        }
        const complete = lf >= 0;
        const d =
          this.mode === MODE_START
            ? this.classifyFirst(buf, pos, lineEnd, complete)
            : this.classify(buf, pos, lineEnd, complete);
        this.resolve(d, buf, pos, lineEnd, complete);
        pos = lineEnd;
      } else {
        // continue a line head carried over from the previous chunk
        const take = Math.min(lineEnd - pos, HEAD_CAP - this.headLen);
        buf.copy(this.head, this.headLen, pos, pos + take);
        this.headLen += take;
        pos += take;
        const h = this.head;
        const n = this.headLen;
        const complete = h[n - 1] === LF;
        const d =
          this.mode === MODE_START ? this.classifyFirst(h, 0, n, complete) : this.classify(h, 0, n, complete);
        this.resolve(d, h, 0, n, complete);
      }
    }
  }

  /**
   * From line start `from` of the current chunk, the start of the first line that must go through
   * the line-by-line path: the line before the next line that starts with `>*From ` (it may be the
   * blank line that makes that one a separator), or the line before the chunk's incomplete tail
   * (it may be a blank line held back for the next chunk). Every complete line in between is plain
   * content whatever the state: not blank before a `From ` line, no escape to remove, no
   * separator. Their CRLF line ends are noted here.
   */
  private plainRunEnd(buf: Buffer, from: number): number {
    const tail = this.tailStart;
    if (from >= tail) return from;
    let target = tail;
    let f = this.fromHit;
    if (f === -2 || (f >= 0 && f < from)) f = buf.indexOf(FROM_SPACE, from);
    while (f !== -1 && f < tail) {
      let k = f - 1;
      while (k >= from && buf[k] === GT) k--;
      if (k < from) {
        target = from;
        break;
      }
      if (buf[k] === LF) {
        target = k + 1;
        break;
      }
      f = buf.indexOf(FROM_SPACE, f + 1);
    }
    this.fromHit = f;
    if (target <= from + 1) return from;
    const stop = Math.max(from, buf.lastIndexOf(LF, target - 2) + 1);
    if (stop > from && this.msg !== null && !this.msg.crlf) {
      let c = this.crHit;
      if (c === -2 || (c >= 0 && c < from)) c = buf.indexOf(CR, from);
      while (c !== -1 && c < stop) {
        if (buf[c + 1] === LF) {
          this.msg.crlf = true;
          break;
        }
        c = buf.indexOf(CR, c + 1);
      }
      this.crHit = c;
    }
    return stop;
  }

  /** isFromLine for b[s, e), remembering the last accepted line: lore repeats the same one. */
  private isSeparator(b: Buffer, s: number, e: number): boolean {
    const end = contentEnd(b, s, e);
    const last = this.lastFrom;
    if (last.length === end - s && last.length > 0 && last.compare(b, s, end) === 0) return true;
    if (!isFromLine(b.subarray(s, e))) return false;
    this.lastFrom = Buffer.from(b.subarray(s, end));
    this.lastFromText = b.toString('utf8', s, end);
    return true;
  }

  /** The text of the separator b[s, e) (without its line end). */
  private fromLineText(b: Buffer, s: number, e: number): string {
    const end = contentEnd(b, s, e);
    const last = this.lastFrom;
    if (last.length === end - s && last.compare(b, s, end) === 0) return this.lastFromText;
    return b.toString('utf8', s, end);
  }

  /** Decides the first line of the input: a From_ line makes it an mbox, anything else a raw message. */
  private classifyFirst(b: Buffer, s: number, e: number, complete: boolean): number {
    const m = matchFrom(b, s, e);
    if (m < 0) return RAW;
    if (m === 0) return complete ? RAW : NEED_MORE;
    if (!complete) return e - s >= HEAD_CAP ? RAW_MALFORMED : NEED_MORE;
    return this.isSeparator(b, s, e) ? SEPARATOR : RAW_MALFORMED;
  }

  /**
   * Decides a line of an mbox from its first bytes b[s, e). `complete`: they are the whole line (or
   * the input ended). Returns NEED_MORE only while there are fewer than HEAD_CAP of them.
   */
  private classify(b: Buffer, s: number, e: number, complete: boolean): number {
    const n = e - s;
    const b0 = b[s];
    if (b0 === LF) return BLANK;
    if (b0 === CR) {
      if (n === 1) return complete ? BODY : NEED_MORE;
      return b[s + 1] === LF ? BLANK : BODY;
    }
    if (b0 === GT) {
      let r = s + 1;
      if (this.format === 'mboxrd') {
        while (r < e && b[r] === GT) r++;
      } else if (n > 1 && b[r] === GT) {
        return BODY; // mboxo only escapes `From ` to `>From `
      }
      if (r < e) {
        const m = matchFrom(b, r, e);
        if (m > 0) return BODY_UNESCAPE;
        if (m < 0 || complete) return BODY;
      } else if (complete) {
        return BODY;
      }
      // a run of `>` not yet followed by five bytes
      if (n < HEAD_CAP) return NEED_MORE;
      this.flushLen = r - s - 1;
      return GT_FLUSH;
    }
    if (b0 === UPPER_F && this.prevBlank) {
      const m = matchFrom(b, s, e);
      if (m < 0) return BODY;
      if (m === 0) return complete ? BODY : NEED_MORE;
      if (!complete) return n >= HEAD_CAP ? BODY_UNESCAPED_FROM : NEED_MORE;
      return this.isSeparator(b, s, e) ? SEPARATOR : BODY_UNESCAPED_FROM;
    }
    return BODY;
  }

  /**
   * Acts on decision d about the line head b[s, e): bytes of the current chunk, or of this.head
   * (then s is 0).
   */
  private resolve(d: number, b: Buffer, s: number, e: number, complete: boolean): void {
    const fromHead = b === this.head;
    switch (d) {
      case NEED_MORE:
        if (!fromHead) b.copy(this.head, 0, s, e);
        this.headLen = e - s;
        return;
      case GT_FLUSH: {
        const k = this.flushLen;
        if (this.held > 0) this.releaseHeld();
        this.emitBytes(b, s, s + k);
        if (fromHead) this.head.copyWithin(0, k, e);
        else b.copy(this.head, 0, s + k, e);
        this.headLen = e - s - k;
        return;
      }
      case BLANK:
        if (this.held > 0) this.releaseHeld();
        this.held = e - s;
        this.heldPos = fromHead ? -1 : s;
        this.prevBlank = true;
        break;
      case SEPARATOR:
        this.finishMessage();
        this.mode = MODE_MBOX;
        this.msg = new MessageBuilder(
          this.fromLineText(b, s, e),
          this.count++,
          this.lineStart,
          this.maxBytes,
          this.copy,
        );
        this.prevBlank = false;
        break;
      case RAW:
      case RAW_MALFORMED: {
        this.mode = MODE_RAW;
        const msg = new MessageBuilder(null, this.count++, 0, this.maxBytes, this.copy);
        this.msg = msg;
        if (d === RAW_MALFORMED) {
          msg.issues.push(
            issue(
              'mbox-malformed-from-line',
              'warning',
              'the input starts with "From " but not with an mbox From_ line; read as one raw message',
              1,
            ),
          );
        }
        this.emitBytes(b, s, e);
        if (complete && b[e - 1] === LF) {
          this.rawLfSeen = true;
          if (e - s >= 2 && b[e - 2] === CR) msg.crlf = true;
        }
        break;
      }
      default: {
        if (this.held > 0) this.releaseHeld();
        if (d === BODY_UNESCAPED_FROM && this.msg) {
          this.flushRun();
          const line = this.msg.nextLine();
          this.msg.issues.push(
            issue(
              'mbox-unescaped-from',
              'warning',
              `line ${line} starts with an unescaped "From " after a blank line; kept in the message body`,
              line,
            ),
          );
        }
        this.emitBytes(b, d === BODY_UNESCAPE ? s + 1 : s, e);
        if (complete) {
          if (e - s >= 2 && b[e - 2] === CR && b[e - 1] === LF) this.markCrlf();
          this.prevBlank = false;
        } else {
          this.inLine = true;
        }
      }
    }
    this.headLen = 0;
  }

  private rawData(buf: Buffer, pos: number): void {
    if (!this.rawLfSeen) {
      const lf = buf.indexOf(LF, pos);
      if (lf >= 0) {
        this.rawLfSeen = true;
        if (this.byteBefore(buf, lf) === CR) this.markCrlf();
      }
    }
    this.emitRange(pos, buf.length);
  }

  /** The input byte before position i of the current chunk. */
  private byteBefore(buf: Buffer, i: number): number {
    return i > 0 ? (buf[i - 1] ?? -1) : this.lastInputByte;
  }

  private markCrlf(): void {
    if (this.msg) this.msg.crlf = true;
  }

  /** Appends bytes [a, b) of the current chunk, growing the pending run when contiguous. */
  private emitRange(a: number, b: number): void {
    if (b <= a) return;
    if (this.runEnd !== a) {
      this.flushRun();
      this.runStart = a;
    }
    this.runEnd = b;
  }

  /** Appends b[from, to): a range of the current chunk, or a copy of bytes of the carried head. */
  private emitBytes(b: Buffer, from: number, to: number): void {
    if (to <= from) return;
    if (b !== this.head) {
      this.emitRange(from, to);
    } else {
      this.flushRun();
      this.msg?.append(Buffer.from(b.subarray(from, to)));
    }
  }

  private flushRun(): void {
    if (this.runEnd > this.runStart) this.msg?.append(this.cur.subarray(this.runStart, this.runEnd));
    this.runStart = this.runEnd;
  }

  /** The held blank line turned out to be message content. */
  private releaseHeld(): void {
    const h = this.held;
    this.held = 0;
    if (h === 2) this.markCrlf();
    if (this.heldPos >= 0) {
      this.emitRange(this.heldPos, this.heldPos + h);
    } else {
      this.flushRun();
      this.msg?.append(h === 2 ? CRLF_BUF : LF_BUF);
    }
  }

  /** Completes the current message; a held blank line is the mbox separator and is dropped. */
  private finishMessage(): void {
    this.flushRun();
    this.held = 0;
    this.heldPos = -1;
    this.inLine = false;
    const msg = this.msg;
    if (!msg) return;
    this.msg = null;
    this.out.push(msg.build());
  }
}

/** Splits a stream of chunks into messages, yielding each as soon as it is complete. */
export async function* splitMbox(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options?: MboxOptions,
): AsyncGenerator<MboxMessage> {
  const splitter = new MboxSplitter(options);
  for await (const chunk of chunks) {
    for (const msg of splitter.push(chunk)) yield msg;
  }
  for (const msg of splitter.end()) yield msg;
}

/** splitMbox for an input already in memory. */
export function splitMboxBuffer(data: Uint8Array, options?: MboxOptions): MboxMessage[] {
  const splitter = new MboxSplitter(options);
  const out = splitter.push(data);
  for (const msg of splitter.end()) out.push(msg);
  return out;
}
