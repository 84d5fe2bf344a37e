/**
 * lore.kernel.org (public-inbox) over HTTP: whole threads as gzipped mboxes, and a list's Atom feed
 * followed with conditional requests and a cursor.
 *
 * How public-inbox names messages, threads and feeds, and how Message-IDs are escaped in its URLs,
 * is parsers/lore-refs.ts (pure); this module asks the network and keeps the feed cursor.
 *
 * The requests go through app/net/http.ts (retries, Retry-After, size caps, gzip); its failures
 * come out as LoreErrors with the same codes.
 */
import { type AtomEntry, parseAtomFeed } from '../../parsers/atom.js';
import {
  isListName,
  listFeedUrl,
  loreBaseUrl,
  readListUrl,
  readThreadRef,
  type ThreadRef,
  threadMboxUrl,
} from '../../parsers/lore-refs.js';
import { parseMailSync } from '../../parsers/mail.js';
import { isFromLine, type MboxMessage, splitMbox } from '../../parsers/mbox.js';
import type { Parsed } from '../../parsers/types.js';
import type { InputMail } from '../io/inputs.js';
import type { CursorStore } from '../mail/types.js';
import {
  HttpError,
  type HttpErrorCode,
  type HttpOptions,
  type HttpRequest,
  type HttpResponse,
  httpGet,
} from '../net/http.js';

/** The HTTP client's codes (app/net/http.ts: not-found, http, too-large, ...), and lore's own. */
export type LoreErrorCode =
  | HttpErrorCode
  | 'bad-ref' // not a Message-ID or lore URL we can use
  | 'bad-url' // the base URL is not http(s)
  | 'not-mbox' // the body is no mbox (an HTML page, an empty answer)
  | 'bad-cursor'; // the stored cursor is not ours

export class LoreError extends Error {
  override readonly name = 'LoreError';
  constructor(
    message: string,
    readonly code: LoreErrorCode,
    readonly url: string | null = null,
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Message-IDs and lore URLs (parsers/lore-refs.ts), their issues thrown as LoreErrors

function orThrow<T>(parsed: Parsed<T | null>): T {
  if (parsed.value !== null) return parsed.value;
  const first = parsed.issues[0];
  throw new LoreError(
    first?.message ?? 'not a lore reference',
    first?.code === 'lore-bad-url' ? 'bad-url' : 'bad-ref',
  );
}

/** readThreadRef (parsers/lore-refs.ts), throwing a LoreError ('bad-ref', 'bad-url') for what it cannot use. */
export function parseThreadRef(ref: string, baseUrl?: string): ThreadRef {
  return orThrow(readThreadRef(ref, baseUrl));
}

/** readListUrl (parsers/lore-refs.ts), throwing a LoreError for what it cannot use. */
export function parseListUrl(listUrl: string): { baseUrl: string; list: string } {
  return orThrow(readListUrl(listUrl));
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A GET through app/net/http.ts; its failures become LoreErrors with the same code and text. */
async function loreGet(url: string, opts: HttpOptions, request: HttpRequest): Promise<HttpResponse> {
  try {
    return await httpGet(url, opts, request);
  } catch (e) {
    if (e instanceof HttpError) throw new LoreError(e.message, e.code, e.url, e.status, { cause: e });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Threads

export interface FetchThreadOptions extends HttpOptions {
  baseUrl: string;
}

export interface LoreThread {
  ref: ThreadRef;
  /** The URL asked (before redirects). */
  url: string;
  /** The thread as mboxrd bytes, decompressed. */
  mbox: Buffer;
  /** The thread's messages through the streaming mbox splitter (a fresh iteration per call). */
  messages(): AsyncGenerator<MboxMessage>;
}

/** Default limit for a thread: the decompressed mbox (lore's largest threads are a few MiB). */
const DEFAULT_MAX_THREAD_BYTES = 256 * 1024 * 1024;

/** Fetches a whole thread from `<base>/<list or all>/<mid>/t.mbox.gz`. */
export async function fetchThread(ref: string, opts: FetchThreadOptions): Promise<LoreThread> {
  const parsed = parseThreadRef(ref, opts.baseUrl);
  const url = threadMboxUrl(orThrow(loreBaseUrl(opts.baseUrl)), parsed);
  const res = await loreGet(url, opts, {
    headers: { accept: 'application/gzip, application/mbox;q=0.9' },
    defaultMaxBytes: DEFAULT_MAX_THREAD_BYTES,
  });
  const mbox = res.body;
  const firstLine = mbox.subarray(0, Math.min(mbox.length, 1024));
  const nl = firstLine.indexOf(0x0a);
  if (mbox.length === 0 || !isFromLine(nl >= 0 ? firstLine.subarray(0, nl + 1) : firstLine)) {
    const type = res.headers.get('content-type') ?? 'no content type';
    const sample = mbox
      .toString('latin1', 0, 60)
      .replace(/[^\x20-\x7e]+/g, ' ')
      .trim();
    throw new LoreError(
      mbox.length === 0
        ? `${url}: empty answer, expected a thread mbox`
        : `${url}: expected a thread mbox, got ${type} starting ${JSON.stringify(sample)}`,
      'not-mbox',
      url,
      res.status,
    );
  }
  return { ref: parsed, url, mbox, messages: () => splitMbox([mbox]) };
}

/** A fetched thread's messages, parsed, for `kapi-review check` (shaped like app/io/inputs.ts InputMail). */
export async function fetchThreadMails(ref: string, opts: FetchThreadOptions): Promise<InputMail[]> {
  const thread = await fetchThread(ref, opts);
  const out: InputMail[] = [];
  for await (const msg of thread.messages()) {
    const parsed = parseMailSync(msg.raw);
    out.push({
      origin: `${thread.url}#${msg.index + 1}`,
      mail: parsed.value,
      issues: [...msg.issues, ...parsed.issues],
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Atom

/** An entry of a lore feed: the Atom entry, and the Message-ID its link names. */
export interface FeedEntry extends AtomEntry {
  /** The Message-ID read from the link, when it is a lore message URL. */
  messageId: string | null;
}

export interface AtomFeed {
  entries: FeedEntry[];
  /** What could not be read; entries that could be read are still returned. */
  issues: string[];
}

function messageIdOfLink(link: string | null): string | null {
  if (!link || !/^https?:\/\//i.test(link)) return null;
  return readThreadRef(link).value?.messageId ?? null;
}

/** A lore feed (parsers/atom.ts), each entry with the Message-ID of its link. */
export function parseAtom(xml: string): AtomFeed {
  const feed = parseAtomFeed(xml);
  return {
    entries: feed.value.map((e) => ({ ...e, messageId: messageIdOfLink(e.link) })),
    issues: feed.issues.map((i) => i.message),
  };
}

// ---------------------------------------------------------------------------------------------
// Following a list

/**
 * The cursor (JSON, in the CursorStore under `lore:<base>/<list>` unless told otherwise):
 *
 *   { v: 1, etag, lastModified, floor, seen: [[id, updatedMs], ...] }
 *
 * `seen` remembers the ids of delivered (and otherwise settled) entries, at most `remember` of
 * them, newest `updated` kept. Ids are the identity: an entry is new iff its id is not remembered,
 * whatever its `updated` says, so entries arriving out of date order are delivered, and an old
 * entry showing up again with a new `updated` is not delivered twice. Forgetting is the only
 * risk, so it is bounded by `floor`: the newest `updated` among forgotten ids. An unknown entry
 * dated at or before the floor may be one we forgot; it is reported as `stale`, not delivered
 * (ids still in the current feed are never forgotten, so the window itself never goes stale).
 * With nothing forgotten yet, `floor` is null and every unknown id is new.
 *
 * The cursor moves only in commit(): a crash before it gives the same entries again (no skip);
 * after it, they are remembered (no repeat). The validators (ETag, Last-Modified) are stored only
 * when every new entry was committed, so a 304 can never hide an entry that was not handled.
 * `gap` says the feed shares no entry with what we remember: the window may have scrolled past
 * messages while we were away (the caller can backfill from the threads it knows).
 */
export interface PollOptions extends HttpOptions {
  baseUrl: string;
  cursor: CursorStore;
  /** Key in the CursorStore. Default `lore:<base>/<list>`. */
  cursorKey?: string;
  /** How many entry ids the cursor keeps. Default 1000 (lore's feed shows far fewer). */
  remember?: number;
  /** With no cursor yet: deliver the feed's entries ('all', default) or only remember them ('none'). */
  firstPoll?: 'all' | 'none';
}

export interface PollResult {
  url: string;
  /** New entries, oldest first. */
  entries: FeedEntry[];
  /** The server answered 304 Not Modified. */
  notModified: boolean;
  /** No entry of the feed was known: messages may have been missed between polls. */
  gap: boolean;
  /** Unknown entries dated at or before the cursor's floor: possibly delivered long ago; not delivered. */
  stale: FeedEntry[];
  /** What the feed parser could not read. */
  issues: string[];
  /**
   * Records entries as handled: all new ones, or only the given ids (then the feed is fetched in
   * full next time, and the others come again). Idempotent.
   */
  commit(ids?: Iterable<string>): void;
}

interface CursorState {
  etag: string | null;
  lastModified: string | null;
  floor: number | null;
  seen: Map<string, number | null>;
}

const DEFAULT_MAX_FEED_BYTES = 16 * 1024 * 1024;

function loadCursor(raw: string | null, key: string): CursorState | null {
  if (raw === null) return null;
  const bad = (why: string) =>
    new LoreError(`cursor ${key} is not a lore feed cursor (${why}); fix or delete it`, 'bad-cursor');
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw bad('not JSON');
  }
  const o = v as { v?: unknown; etag?: unknown; lastModified?: unknown; floor?: unknown; seen?: unknown };
  if (typeof o !== 'object' || o === null || o.v !== 1) throw bad('unknown version');
  const str = (x: unknown) => (typeof x === 'string' ? x : null);
  if (o.floor !== null && typeof o.floor !== 'number') throw bad('floor');
  if (!Array.isArray(o.seen)) throw bad('seen');
  const seen = new Map<string, number | null>();
  for (const e of o.seen) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || (e[1] !== null && typeof e[1] !== 'number'))
      throw bad('seen entry');
    seen.set(e[0], e[1]);
  }
  return { etag: str(o.etag), lastModified: str(o.lastModified), floor: o.floor as number | null, seen };
}

function saveCursor(s: CursorState): string {
  return JSON.stringify({
    v: 1,
    etag: s.etag,
    lastModified: s.lastModified,
    floor: s.floor,
    seen: [...s.seen],
  });
}

function entryMs(e: FeedEntry): number | null {
  return e.updated === null ? null : Date.parse(e.updated);
}

/** The feed's entries against the cursor: the new ones oldest first, the stale ones, the known count. */
function classify(
  entries: FeedEntry[],
  seen: Map<string, number | null>,
  floor: number | null,
  nowMs: number,
): { fresh: FeedEntry[]; stale: FeedEntry[]; inFeed: Map<string, FeedEntry>; known: number } {
  const fresh: { e: FeedEntry; pos: number }[] = [];
  const stale: FeedEntry[] = [];
  const inFeed = new Map<string, FeedEntry>();
  let known = 0;
  entries.forEach((e, pos) => {
    if (inFeed.has(e.id)) return; // the same entry twice in one feed
    inFeed.set(e.id, e);
    if (seen.has(e.id)) {
      known++;
      return;
    }
    const ms = entryMs(e);
    if (floor !== null && ms !== null && ms <= floor) stale.push(e);
    else fresh.push({ e, pos });
  });
  // oldest first by date; equal or missing dates by arrival (the feed lists newest arrivals first)
  fresh.sort((a, b) => (entryMs(a.e) ?? nowMs) - (entryMs(b.e) ?? nowMs) || b.pos - a.pos);
  return { fresh: fresh.map((f) => f.e), stale, inFeed, known };
}

/** Forgets the oldest ids beyond `remember` (never one still in the feed), raising the floor to them. */
function forget(next: CursorState, inFeed: Map<string, FeedEntry>, remember: number, nowMs: number): void {
  if (next.seen.size <= remember) return;
  const evictable = [...next.seen]
    .filter(([id]) => !inFeed.has(id))
    .sort((a, b) => (a[1] ?? nowMs) - (b[1] ?? nowMs));
  let excess = next.seen.size - remember;
  for (const [id, ms] of evictable) {
    if (excess <= 0) break;
    next.seen.delete(id);
    const t = ms ?? nowMs;
    next.floor = next.floor === null ? t : Math.max(next.floor, t);
    excess--;
  }
}

/** One poll of `<base>/<list>/new.atom`. The cursor moves only when the result is committed. */
export async function pollList(list: string, opts: PollOptions): Promise<PollResult> {
  if (!isListName(list)) throw new LoreError(`not a list name: ${JSON.stringify(list)}`, 'bad-ref');
  const base = orThrow(loreBaseUrl(opts.baseUrl));
  const url = listFeedUrl(base, list);
  const key = opts.cursorKey ?? `lore:${base}/${list}`;
  const now = opts.now ?? (() => new Date());
  const remember = Math.max(1, Math.floor(opts.remember ?? 1000));
  const state = loadCursor(opts.cursor.get(key), key);

  const headers: Record<string, string> = {
    accept: 'application/atom+xml, application/xml;q=0.9, */*;q=0.1',
  };
  if (state?.etag) headers['if-none-match'] = state.etag;
  if (state?.lastModified) headers['if-modified-since'] = state.lastModified;
  const res = await loreGet(url, opts, { headers, defaultMaxBytes: DEFAULT_MAX_FEED_BYTES });
  if (res.status === 304) {
    return {
      url,
      entries: [],
      notModified: true,
      gap: false,
      stale: [],
      issues: [],
      commit: () => undefined,
    };
  }

  const feed = parseAtom(new TextDecoder('utf-8').decode(res.body));
  const seen = state?.seen ?? new Map<string, number | null>();
  const nowMs = now().getTime();
  const { fresh, stale, inFeed, known } = classify(feed.entries, seen, state?.floor ?? null, nowMs);
  const gap = state !== null && seen.size > 0 && inFeed.size > 0 && known === 0 && stale.length === 0;
  const quiet = state === null && opts.firstPoll === 'none';
  const deliver = quiet ? [] : fresh;
  // settled by a complete commit without being delivered: stale entries (reported once), and the
  // first feed when told to start quietly
  const settleOnly = quiet ? [...stale, ...fresh] : stale;
  const validators = { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };

  const commit = (ids?: Iterable<string>) => {
    const chosen = ids === undefined ? new Set(deliver.map((e) => e.id)) : new Set(ids);
    const delivered = new Set(deliver.map((e) => e.id));
    for (const id of chosen)
      if (!delivered.has(id)) throw new TypeError(`commit: ${id} is not one of this poll's new entries`);
    const complete = deliver.every((e) => chosen.has(e.id));
    // merge into what is stored now (a commit of an earlier poll may have happened meanwhile)
    const cur = loadCursor(opts.cursor.get(key), key) ?? {
      etag: null,
      lastModified: null,
      floor: null,
      seen: new Map(),
    };
    const next: CursorState = {
      etag: complete ? validators.etag : null,
      lastModified: complete ? validators.lastModified : null,
      floor: cur.floor,
      seen: new Map(cur.seen),
    };
    const settle = (e: FeedEntry) => {
      const ms = entryMs(e) ?? nowMs;
      const old = next.seen.get(e.id);
      next.seen.set(e.id, old === undefined || old === null ? ms : Math.max(old, ms));
    };
    for (const e of inFeed.values()) if (seen.has(e.id) || chosen.has(e.id)) settle(e);
    if (complete) for (const e of settleOnly) settle(e);
    forget(next, inFeed, remember, nowMs);
    opts.cursor.set(key, saveCursor(next));
  };

  return { url, entries: deliver, notModified: false, gap, stale, issues: feed.issues, commit };
}
