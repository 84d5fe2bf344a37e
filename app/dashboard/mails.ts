/**
 * The dashboard's read model over the mail the store keeps raw (raw_messages: every mail the bot
 * accepted, by Message-ID, never rewritten): the mails' own dates, the replies in a revision's
 * thread, and what each patch touches (files, syscalls) for the search. Nothing here is written
 * back: the dashboard opens the store read-only, and the store schema stays as it is.
 *
 * Reading the raw mail again on every page would cost a full pass over it (a year of a busy list
 * is gigabytes), so one `StoredMails` per connection keeps, in memory:
 * - a reply index: for every kept mail that replies to something, its In-Reply-To and its thread
 *   root (first References entry), each as a 32-bit hash next to the mail's rowid, in one sorted
 *   BigUint64Array (8 bytes an edge, about 3 MB for 200,000 replies). It grows by the rows added
 *   since it last looked (raw rows are only ever inserted); a hash that collides, or a rowid that
 *   moved, is caught because every candidate is parsed and checked before it is shown;
 * - the date and thread root of the mails of recorded revisions, and what each patch touches,
 *   read on first use.
 */
import { extractMessageIds, type PatchMail, parseDate, parseMailSync } from '../../parsers/mail.js';
import { headerValue, splitHeaders } from '../../parsers/mime.js';
import type { Db } from '../store/db.js';
import { cached, num, type Row } from '../store/sql.js';

/** What the dashboard needs of a mail's header block. */
export interface MailHead {
  messageId: string | null;
  /** The mail's own Date (ISO), null when absent or unreadable. */
  date: string | null;
  /** In-Reply-To first, then References from the nearest to the root; each once. */
  ancestors: string[];
  /** The first References entry, else In-Reply-To; null for a mail that starts a thread. */
  root: string | null;
}

/** What a patch's diff touches. */
export interface PatchTouches {
  files: string[];
  /** Syscall names (`frob` for sys_frob) of SYSCALL_DEFINEs and specs the diff touches. */
  syscalls: string[];
}

/** The header block of a raw mail: only its first bytes are read. */
export function readHead(raw: Uint8Array): MailHead {
  const headers = splitHeaders(raw.subarray(0, 256 * 1024), []).headers;
  const ids = (name: string) => extractMessageIds(headerValue(headers, name));
  const inReplyTo = ids('in-reply-to')[0] ?? null;
  const references = ids('references');
  const ancestors = [...new Set([...(inReplyTo ? [inReplyTo] : []), ...references.reverse()])];
  return {
    messageId: ids('message-id')[0] ?? null,
    date: parseDate(headerValue(headers, 'date')),
    ancestors,
    root: references.at(-1) ?? inReplyTo,
  };
}

const SYSCALL_DEFINE = /\b(?:COMPAT_)?SYSCALL_DEFINE\d\s*\(\s*(\w+)/g;
const SPEC_MACRO = /\bDEFINE_KERNEL_API_SPEC\s*\(\s*(?:compat_)?sys_(\w+)\s*\)/g;
const KERNELDOC_HEAD = /^\s*\*\s+(?:compat_)?sys_(\w+)\s+-\s/g;

/** Adds the syscalls a line of a diff names to `into`. */
function scanSyscalls(text: string, into: Set<string>): void {
  if (!text.includes('SYSCALL_DEFINE') && !text.includes('sys_')) return;
  for (const re of [SYSCALL_DEFINE, SPEC_MACRO, KERNELDOC_HEAD])
    for (const m of text.matchAll(re)) into.add(m[1] as string);
}

/** The files and syscalls a parsed patch mail's diff touches (changed lines, context, hunk headers). */
function patchTouches(mail: PatchMail): PatchTouches {
  const files = new Set<string>();
  const syscalls = new Set<string>();
  for (const f of mail.files) {
    for (const p of [f.oldPath, f.newPath]) if (p) files.add(p);
    for (const h of f.hunks) {
      scanSyscalls(h.section, syscalls);
      for (const l of h.lines) scanSyscalls(l.text, syscalls);
    }
  }
  return { files: [...files].sort(), syscalls: [...syscalls].sort() };
}

/** A path of a `---`/`+++` line without its a/ or b/; null for /dev/null. */
function diffPath(rest: string): string | null {
  const p = (rest.split('\t')[0] ?? '').trim();
  return p === '/dev/null' || p === '' ? null : p.replace(/^[ab]\//, '');
}

/**
 * What a raw patch mail touches. Mail in plain text (7bit or 8bit, one part: how git send-email
 * sends) is read line by line from its diff on; encoded or multipart mail is parsed whole.
 * Both give the same answer (test/app/dashboard-mails.test.ts); the first is about ten times
 * faster, which is what a search's first pass over every patch costs.
 */
export function rawTouches(raw: Uint8Array): PatchTouches {
  const block = splitHeaders(raw, []);
  const type = (headerValue(block.headers, 'content-type') ?? '').toLowerCase();
  const encoding = (headerValue(block.headers, 'content-transfer-encoding') ?? '').toLowerCase();
  if (type.startsWith('multipart/') || /base64|quoted-printable/.test(encoding))
    return patchTouches(parseMailSync(raw).value);
  const lines = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
    .toString('utf8', block.bodyOffset)
    .split('\n');
  const files = new Set<string>();
  const syscalls = new Set<string>();
  let inDiff = false;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const plain = line.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ');
    if (line.startsWith('diff --git ') || plain) inDiff = true;
    if (!inDiff) continue;
    if (line.startsWith('--- ') || line.startsWith('+++ ')) {
      const p = diffPath(line.slice(4));
      if (p) files.add(p);
    } else if (/^[ +\-@]/.test(line))
      scanSyscalls(line.startsWith('@@') ? line.replace(/^@@[^@]*@@/, '') : line.slice(1), syscalls);
  }
  return { files: [...files].sort(), syscalls: [...syscalls].sort() };
}

/** A 32-bit FNV-1a of a Message-ID's UTF-16 units: a bucket, never a key on its own. */
function bucket(messageId: string): bigint {
  let h = 0x811c9dc5;
  for (let i = 0; i < messageId.length; i++) {
    h ^= messageId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return BigInt(h);
}

/** Message-ID bucket -> rowids of the raw mails that reply to it or sit in its thread. */
class ReplyIndex {
  private edges = new BigUint64Array(1024);
  private n = 0;
  private sorted = 0;

  add(messageId: string, rowid: number): void {
    if (this.n === this.edges.length) {
      const bigger = new BigUint64Array(this.edges.length * 2);
      bigger.set(this.edges);
      this.edges = bigger;
    }
    this.edges[this.n++] = (bucket(messageId) << 32n) | BigInt(rowid);
  }

  rowids(messageId: string): number[] {
    if (this.sorted !== this.n) {
      this.edges.subarray(0, this.n).sort();
      this.sorted = this.n;
    }
    const lo = bucket(messageId) << 32n;
    const hi = lo | 0xffffffffn;
    let a = 0;
    let b = this.n;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if ((this.edges[mid] as bigint) < lo) a = mid + 1;
      else b = mid;
    }
    const out: number[] = [];
    for (let i = a; i < this.n && (this.edges[i] as bigint) <= hi; i++)
      out.push(Number((this.edges[i] as bigint) & 0xffffffffn));
    return out;
  }

  clear(): void {
    this.n = 0;
    this.sorted = 0;
  }
}

/** At most this many mails of one thread are looked at for a revision's replies. */
const MAX_THREAD = 5000;

export class StoredMails {
  private readonly index = new ReplyIndex();
  /** The highest rowid the reply index has read, and the highest there was at the last sync. */
  private lastRowid = 0;
  private seenTop = 0;
  private readonly heads = new Map<string, MailHead>();
  private readonly touches = new Map<string, PatchTouches>();
  /** seriesTouches' last answer, and what it was read at. */
  private bySeries: { marker: string; touches: Map<number, PatchTouches> } | null = null;
  /** Message-IDs with no kept mail at the last sync. */
  private readonly absent = new Set<string>();

  constructor(private readonly db: Db) {}

  /** The header of a kept mail (remembered: raw mail never changes); null when none is kept. */
  head(messageId: string): MailHead | null {
    const known = this.heads.get(messageId);
    if (known) return known;
    const raw = this.raw(messageId);
    if (!raw) return null;
    const h = readHead(raw);
    this.heads.set(messageId, h);
    return h;
  }

  /** A kept mail, parsed whole (not remembered); null when none is kept. */
  mail(messageId: string): PatchMail | null {
    const raw = this.raw(messageId);
    return raw ? parseMailSync(raw).value : null;
  }

  /** The bytes of a kept mail; null when none is kept (remembered until mail is kept again). */
  private raw(messageId: string): Buffer | null {
    if (this.absent.has(messageId)) return null;
    const r = cached(this.db, 'SELECT raw FROM raw_messages WHERE message_id = ?').get(messageId) as
      | Row
      | undefined;
    if (!r) this.absent.add(messageId);
    return r ? (r.raw as Buffer) : null;
  }

  /** The files and syscalls a kept patch touches (remembered); null when the mail is not kept. */
  private touched(messageId: string): PatchTouches | null {
    const known = this.touches.get(messageId);
    if (known !== undefined) return known;
    const raw = this.raw(messageId);
    if (!raw) return null;
    const t = rawTouches(raw);
    this.touches.set(messageId, t);
    return t;
  }

  /**
   * What each series' patches touch, all its revisions together: read again when a revision is
   * added or changed, or mail was kept since.
   */
  seriesTouches(): ReadonlyMap<number, PatchTouches> {
    const marker = `${String(
      cached(
        this.db,
        "SELECT count(*) || ':' || ifnull(max(id), 0) || ':' || ifnull(max(updated_at), '') FROM revisions",
      )
        .pluck()
        .get(),
    )}:${this.seenTop}`;
    if (this.bySeries?.marker === marker) return this.bySeries.touches;
    const sets = new Map<number, { files: Set<string>; syscalls: Set<string> }>();
    const rows = cached(
      this.db,
      'SELECT r.series_id, p.message_id FROM revision_patches p JOIN revisions r ON r.id = p.revision_id',
    ).all() as Row[];
    for (const row of rows) {
      const t = this.touched(String(row.message_id));
      if (!t) continue;
      const id = num(row.series_id);
      let set = sets.get(id);
      if (!set) {
        set = { files: new Set(), syscalls: new Set() };
        sets.set(id, set);
      }
      for (const f of t.files) set.files.add(f);
      for (const c of t.syscalls) set.syscalls.add(c);
    }
    const touches = new Map<number, PatchTouches>();
    for (const [id, set] of sets) touches.set(id, { files: [...set.files], syscalls: [...set.syscalls] });
    this.bySeries = { marker, touches };
    return touches;
  }

  /**
   * Takes note of mail kept since the last look (raw rows are only ever added): mails found
   * missing before are looked for again, and the reply index reads the new rows when next asked.
   */
  sync(): void {
    const top = num(cached(this.db, 'SELECT ifnull(max(rowid), 0) FROM raw_messages').pluck().get());
    if (top === this.seenTop) return;
    this.absent.clear();
    if (top < this.seenTop) {
      // rows went away (a clean-up, a vacuum): start again rather than trust old rowids
      this.index.clear();
      this.lastRowid = 0;
    }
    this.seenTop = top;
  }

  /** Brings the reply index up to the rows seen by the last sync. */
  private refresh(): void {
    if (this.lastRowid >= this.seenTop) return;
    const rows = cached(
      this.db,
      'SELECT rowid AS rid, raw FROM raw_messages WHERE rowid > ? AND rowid <= ? ORDER BY rowid',
    ).iterate(this.lastRowid, this.seenTop) as IterableIterator<Row>;
    for (const r of rows) {
      const rowid = num(r.rid);
      const h = readHead(r.raw as Buffer);
      const parent = h.ancestors[0];
      if (parent) this.index.add(parent, rowid);
      if (h.root && h.root !== parent) this.index.add(h.root, rowid);
    }
    this.lastRowid = this.seenTop;
  }

  /**
   * The kept mails in the threads of these messages: replies to them, replies to those, and
   * anything under the same thread root. Each is checked (its header really names one of them
   * or an earlier find); the caller decides what each one answers.
   */
  threadOf(messageIds: readonly string[]): MailHead[] {
    this.refresh();
    const byRow = cached(this.db, 'SELECT message_id, raw FROM raw_messages WHERE rowid = ?');
    const known = new Set(messageIds);
    const queue = [...messageIds];
    for (const m of messageIds) {
      const root = this.head(m)?.root;
      if (root && !known.has(root)) {
        known.add(root);
        queue.push(root);
      }
    }
    const found = new Map<string, MailHead>();
    const rowsSeen = new Set<number>();
    while (queue.length > 0 && found.size < MAX_THREAD) {
      const key = queue.shift() as string;
      for (const rowid of this.index.rowids(key)) {
        if (rowsSeen.has(rowid)) continue;
        rowsSeen.add(rowid);
        const r = byRow.get(rowid) as Row | undefined;
        if (!r) continue;
        const id = String(r.message_id);
        const h = this.heads.get(id) ?? readHead(r.raw as Buffer);
        if (h.messageId !== id || !h.ancestors.includes(key) || found.has(id)) continue;
        found.set(id, h);
        if (!known.has(id)) {
          known.add(id);
          queue.push(id);
        }
      }
    }
    return [...found.values()];
  }
}

const perConnection = new WeakMap<Db, StoredMails>();

/** The one StoredMails of a store's connection, shared by every page and request. */
export function storedMails(db: Db): StoredMails {
  let m = perConnection.get(db);
  if (!m) {
    m = new StoredMails(db);
    perConnection.set(db, m);
  }
  m.sync();
  return m;
}
