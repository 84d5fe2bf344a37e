/**
 * The IMAP source of the mailing-list bot: watch one folder, hand every new message to the bot
 * once, and mark it processed on the server (a keyword flag) only after the bot has recorded it.
 *
 * The cycle, per connection ("session"):
 * 1. Connect, SELECT the folder, read UIDVALIDITY and compare it with the cursor.
 * 2. Catch up: every message with a UID above the cursor's last UID that does not carry the
 *    keyword, in UID order (plus, in the first pass of a session, the earlier failures still
 *    owed a retry). For each: FETCH it, `await onMessage(raw, uid)`, then STORE +FLAGS (keyword),
 *    then advance the cursor. Nothing is flagged or advanced before onMessage resolves.
 * 3. Wait for new mail: imapflow starts IDLE after `idleDelayMs` without commands, and the
 *    server's EXISTS (the 'exists' event) starts another catch-up pass. A slow poll
 *    (`pollMs`, 5 min) runs a pass even without one, in case a notification is lost; it also
 *    renews IDLE well inside the 29 minutes RFC 2177 allows.
 * A dropped connection or a server restart ends the session; the watcher reconnects with
 * bounded exponential backoff and resumes from the cursor. `stop()` finishes the message in
 * hand, logs out and resolves.
 *
 * The cursor (CursorStore, key `imap:<user>@<host>:<port>/<folder>`) holds one JSON value:
 * `{ v: 1, uidValidity, lastUid, failed: { <uid>: attempts }, unflagged: [<uid>] }`. UIDs mean
 * something only within one UIDVALIDITY, so the value records it; when the server reports
 * another one (the folder was recreated or restored) the watcher says so, drops the old UIDs
 * and rescans the folder by keyword: every message without the keyword is processed again,
 * which is also what a first run with no cursor does. (A key that contained UIDVALIDITY could not
 * tell "changed" from "never seen", and the change must be reported.)
 *
 * Delivery is at least once: a crash after onMessage resolved but before the flag is stored
 * hands the same message over again on restart, so onMessage must be idempotent (the bot
 * records messages by Message-ID). A lost connection while flagging does not cause a repeat:
 * the message goes on the cursor's `unflagged` list and is flagged at the next session.
 *
 * One watcher per folder and cursor key at a time; two would race on the cursor.
 *
 * Retries are bounded per message: a message whose onMessage throws is logged, left without
 * the keyword, and counted in the cursor's `failed` map; the cursor still moves past it so later
 * messages are not held up. It is retried at the start of each later session (the next run of
 * the watcher, or after a reconnect), never in a tight loop, up to `maxAttempts` attempts in all
 * (default 3). Then the watcher gives up on it with an error log line naming the UID; it stays
 * unflagged on the server for the operator to look at.
 */
import type { ConnectionOptions } from 'node:tls';
import { ImapFlow, type ImapFlowError, type Logger, type MailboxObject, type SearchObject } from 'imapflow';
import type { CursorStore } from '../mail/types.js';

export const DEFAULT_KEYWORD = '$KapiReviewed';

/** pino-compatible: `log.info({ uid }, 'message')`. */
export interface WatchLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ImapAuth {
  user: string;
  pass?: string;
  accessToken?: string;
}

export interface ReconnectOptions {
  /** First delay after a failure; doubles per failed attempt. Default 1000 ms. */
  initialDelayMs?: number;
  /** The cap on the delay. Default 60000 ms. */
  maxDelayMs?: number;
  /**
   * Failed connection attempts in a row (no completed catch-up pass in between) before the
   * watcher gives up and `done` rejects. Default: never give up.
   */
  maxAttempts?: number;
}

export interface WatchFolderOptions {
  host: string;
  port: number;
  /** TLS from the start (IMAPS); false = plain, upgraded by STARTTLS when the server offers it. */
  secure: boolean;
  auth: ImapAuth;
  folder: string;
  /** The keyword that marks a message processed. Default `$KapiReviewed`. */
  keyword?: string;
  cursor: CursorStore;
  /** Records the message; resolves once the bot has recorded it (then it is flagged). */
  onMessage: (raw: Buffer, uid: number) => Promise<void>;
  log: WatchLog;
  now?: () => Date;
  /** Attempts of onMessage per message before giving up on it. Default 3. */
  maxAttempts?: number;
  /** Quiet time before IDLE starts (imapflow `autoIdleDelay`, whose own default is 15 s). Default 1000 ms. */
  idleDelayMs?: number;
  /** Look for new mail this often even without a notification. Default 300000 ms; 0 turns it off. */
  pollMs?: number;
  reconnect?: ReconnectOptions;
  /** imapflow timeouts: TCP/TLS connect (default 30 s), greeting (16 s), socket inactivity (5 min). */
  timeouts?: { connectMs?: number; greetingMs?: number; socketMs?: number };
  tls?: ConnectionOptions;
}

export type WatchState = 'connecting' | 'scanning' | 'waiting' | 'backoff' | 'stopped' | 'failed';

export interface WatchStatus {
  state: WatchState;
  cursorKey: string;
  uidValidity: string | null;
  lastUid: number;
  /** Sessions that got as far as selecting the folder. */
  sessions: number;
  /** onMessage calls that resolved / threw, since this watcher started. */
  processed: number;
  failures: number;
  lastError: string | null;
  connectedAt: Date | null;
  lastMessageAt: Date | null;
}

export interface FolderWatcher {
  /** Finishes the message in hand (onMessage, flag, cursor), logs out, and resolves when stopped. */
  stop(): Promise<void>;
  /**
   * Resolves when the watcher has stopped after `stop()`; rejects on a fatal error: login refused,
   * folder missing or read-only, keyword not allowed, cursor store failing, or reconnects exhausted.
   */
  readonly done: Promise<void>;
  /** Resolves the next time the watcher has caught up and waits for new mail (at once if it does now). */
  caughtUp(): Promise<void>;
  status(): WatchStatus;
}

/** The cursor value (stored as JSON under `imapCursorKey`). */
export interface ImapCursor {
  uidValidity: string;
  /** Every message with a UID up to this one was handed over (or skipped as already flagged). */
  lastUid: number;
  /** Messages whose onMessage threw, with the number of attempts so far. */
  failed: Record<string, number>;
  /** Processed messages the keyword could not be stored on yet (the connection dropped). */
  unflagged: number[];
}

export function imapCursorKey(o: {
  host: string;
  port: number;
  auth: { user: string };
  folder: string;
}): string {
  return `imap:${o.auth.user}@${o.host}:${o.port}/${o.folder}`;
}

/** Reads a stored cursor value; null when absent. Throws with the reason when it is unreadable. */
export function parseImapCursor(text: string | null): ImapCursor | null {
  if (text === null) return null;
  const v: unknown = JSON.parse(text);
  if (!v || typeof v !== 'object') throw new Error('not a JSON object');
  const o = v as Record<string, unknown>;
  if (o.v !== 1) throw new Error(`unknown cursor version ${JSON.stringify(o.v)}`);
  const uid = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (typeof o.uidValidity !== 'string' || !/^\d+$/.test(o.uidValidity)) throw new Error('bad uidValidity');
  if (!uid(o.lastUid)) throw new Error('bad lastUid');
  const failed: Record<string, number> = {};
  if (o.failed !== undefined) {
    if (!o.failed || typeof o.failed !== 'object') throw new Error('bad failed');
    for (const [k, n] of Object.entries(o.failed)) {
      if (!/^\d+$/.test(k) || !uid(n)) throw new Error(`bad failed entry ${k}`);
      failed[k] = n as number;
    }
  }
  const unflagged = o.unflagged ?? [];
  if (!Array.isArray(unflagged) || !unflagged.every(uid)) throw new Error('bad unflagged');
  return { uidValidity: o.uidValidity, lastUid: o.lastUid as number, failed, unflagged: [...unflagged] };
}

function formatCursor(c: ImapCursor): string {
  return JSON.stringify({ v: 1, ...c });
}

/** An error retrying cannot fix: the watcher stops and `done` rejects with it. */
export class ImapWatchFatalError extends Error {
  override name = 'ImapWatchFatalError';
}

/** The connection went away mid-session; the watcher reconnects. */
class ConnectionLost extends Error {}

/** RFC 3501 flag-keyword: printable ASCII atom characters, none of `(){%*"\]` nor space. */
function validKeyword(k: string): boolean {
  if (!k || k.startsWith('\\')) return false;
  for (const ch of k) {
    const code = ch.charCodeAt(0);
    if (code <= 0x20 || code >= 0x7f || '(){%*"\\]'.includes(ch)) return false;
  }
  return true;
}

function explain(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as ImapFlowError & { reason?: string };
  const extra = [e.code, e.responseText ?? e.reason].filter(Boolean).join(': ');
  return extra && !err.message.includes(extra) ? `${err.message} (${extra})` : err.message;
}

function isFatal(err: unknown): boolean {
  if (err instanceof ImapWatchFatalError) return true;
  const e = err as ImapFlowError | undefined;
  // a wrong password stays wrong; UNAVAILABLE is the server's "try again later"
  if (e?.authenticationFailed && e.serverResponseCode !== 'UNAVAILABLE') return true;
  return false;
}

function keywordAllowed(mb: MailboxObject, keyword: string): boolean {
  const pf = mb.permanentFlags;
  if (!pf) return true; // no PERMANENTFLAGS: the server did not restrict them
  if (pf.has('\\*')) return true;
  for (const f of pf) if (f.toLowerCase() === keyword.toLowerCase()) return true;
  return false;
}

function imapflowLogger(log: WatchLog): Logger {
  const pass =
    (to: 'debug' | 'warn') =>
    (obj: unknown): void => {
      const o = (obj && typeof obj === 'object' ? obj : { msg: String(obj) }) as Record<string, unknown>;
      const { msg, ...rest } = o;
      log[to]({ imapflow: rest }, `imapflow: ${typeof msg === 'string' ? msg : 'log'}`);
    };
  return { debug: pass('debug'), info: pass('debug'), warn: pass('warn'), error: pass('warn') };
}

export function watchFolder(opts: WatchFolderOptions): FolderWatcher {
  const keyword = opts.keyword ?? DEFAULT_KEYWORD;
  if (!validKeyword(keyword))
    throw new Error(`IMAP keyword ${JSON.stringify(keyword)} is not a valid IMAP flag keyword`);
  if (!opts.folder) throw new Error('IMAP folder is empty');
  const log = opts.log;
  const now = opts.now ?? (() => new Date());
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const idleDelayMs = opts.idleDelayMs ?? 1000;
  const pollMs = opts.pollMs ?? 300_000;
  const initialDelayMs = opts.reconnect?.initialDelayMs ?? 1000;
  const maxDelayMs = Math.max(initialDelayMs, opts.reconnect?.maxDelayMs ?? 60_000);
  const maxReconnects = opts.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY;
  const key = imapCursorKey(opts);
  const where = `${opts.auth.user}@${opts.host}:${opts.port}/${opts.folder}`;
  const ctx = { server: `${opts.host}:${opts.port}`, folder: opts.folder };

  let cursor: ImapCursor | null = null;
  let stopping = false;
  let state: WatchState = 'connecting';
  let client: ImapFlow | null = null;
  /** A message is between FETCH and the cursor update: stop() lets it finish. */
  let inHand = false;
  let dirty = false;
  let wake: (() => void) | null = null;
  let cancelSleep: (() => void) | null = null;
  let waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const stats = {
    sessions: 0,
    processed: 0,
    failures: 0,
    lastError: null as string | null,
    connectedAt: null as Date | null,
    lastMessageAt: null as Date | null,
  };

  const wakeUp = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  function setState(s: WatchState): void {
    state = s;
    if (s === 'waiting') {
      const ws = waiters;
      waiters = [];
      for (const w of ws) w.resolve();
    }
  }

  function save(): void {
    if (!cursor) return;
    try {
      opts.cursor.set(key, formatCursor(cursor));
    } catch (err) {
      // carrying on would hand messages over again after a restart
      throw new ImapWatchFatalError(`IMAP ${where}: the cursor store failed: ${explain(err)}`);
    }
  }

  function loadCursor(uidValidity: string): void {
    let stored: ImapCursor | null = null;
    let text: string | null;
    try {
      text = opts.cursor.get(key);
    } catch (err) {
      throw new ImapWatchFatalError(`IMAP ${where}: the cursor store failed: ${explain(err)}`);
    }
    try {
      stored = parseImapCursor(text);
    } catch (err) {
      log.error(
        { ...ctx, key, value: text, error: explain(err) },
        `IMAP cursor ${key} is unreadable (${explain(err)}); rescanning the folder for messages without ${keyword}`,
      );
    }
    if (stored && stored.uidValidity === uidValidity) {
      cursor = stored;
      log.info(
        { ...ctx, uidValidity, lastUid: stored.lastUid },
        `IMAP ${where}: resuming after UID ${stored.lastUid}`,
      );
      return;
    }
    if (stored) {
      log.warn(
        { ...ctx, was: stored.uidValidity, now: uidValidity, lastUid: stored.lastUid },
        `IMAP ${where}: UIDVALIDITY changed from ${stored.uidValidity} to ${uidValidity}, so the stored UIDs mean nothing; rescanning the folder for messages without ${keyword}`,
      );
    } else if (text === null) {
      log.info(
        { ...ctx, uidValidity },
        `IMAP ${where}: no cursor yet; processing every message without ${keyword}`,
      );
    }
    cursor = { uidValidity, lastUid: 0, failed: {}, unflagged: [] };
    save();
  }

  async function search(c: ImapFlow, query: SearchObject): Promise<number[]> {
    const r = await c.search(query, { uid: true });
    if (!Array.isArray(r)) {
      if (!c.usable) throw new ConnectionLost('connection lost during SEARCH');
      throw new Error(`the server refused UID SEARCH ${JSON.stringify(query)}`);
    }
    return r;
  }

  async function flagPendingFromEarlier(c: ImapFlow, cur: ImapCursor): Promise<void> {
    if (!cur.unflagged.length) return;
    const uids = [...cur.unflagged];
    const ok = await c.messageFlagsAdd(uids.join(','), [keyword], { uid: true });
    if (!ok && !c.usable) throw new ConnectionLost('connection lost while storing flags');
    if (!ok)
      log.error(
        { ...ctx, uids },
        `IMAP ${where}: the server refused ${keyword} on UIDs ${uids.join(',')} (processed already); they stay unflagged`,
      );
    else
      log.info(
        { ...ctx, uids },
        `IMAP ${where}: flagged ${uids.length} message(s) processed in an earlier session`,
      );
    cur.unflagged = cur.unflagged.filter((u) => !uids.includes(u));
    save();
  }

  async function processOne(c: ImapFlow, cur: ImapCursor, uid: number): Promise<void> {
    const advance = () => {
      cur.lastUid = Math.max(cur.lastUid, uid);
    };
    const msg = await c.fetchOne(String(uid), { uid: true, flags: true, source: true }, { uid: true });
    if (msg === false || !msg.source) {
      if (!c.usable) throw new ConnectionLost(`connection lost while fetching UID ${uid}`);
      log.warn({ ...ctx, uid }, `IMAP ${where}: UID ${uid} vanished before it could be fetched (expunged?)`);
      delete cur.failed[uid];
      advance();
      save();
      return;
    }
    if (msg.flags?.has(keyword)) {
      log.debug({ ...ctx, uid }, `IMAP ${where}: UID ${uid} already carries ${keyword}; skipped`);
      delete cur.failed[uid];
      advance();
      save();
      return;
    }
    inHand = true;
    try {
      let failure: unknown = null;
      let failedAtAll = false;
      try {
        await opts.onMessage(msg.source, uid);
      } catch (err) {
        failure = err;
        failedAtAll = true;
      }
      if (failedAtAll) {
        stats.failures++;
        const attempts = (cur.failed[uid] ?? 0) + 1;
        if (attempts >= maxAttempts) {
          delete cur.failed[uid];
          log.error(
            { ...ctx, uid, attempts, error: explain(failure) },
            `IMAP ${where}: giving up on UID ${uid} after ${attempts} failed attempt(s): ${explain(failure)}; it stays without ${keyword}`,
          );
        } else {
          cur.failed[uid] = attempts;
          log.warn(
            { ...ctx, uid, attempts, maxAttempts, error: explain(failure) },
            `IMAP ${where}: processing UID ${uid} failed (attempt ${attempts} of ${maxAttempts}): ${explain(failure)}; left unflagged, retried next session`,
          );
        }
        advance();
        save();
        return;
      }
      stats.processed++;
      stats.lastMessageAt = now();
      delete cur.failed[uid];
      advance();
      let flagged = false;
      try {
        flagged = await c.messageFlagsAdd(String(uid), [keyword], { uid: true });
      } catch {
        flagged = false;
      }
      if (flagged) {
        save();
        log.debug({ ...ctx, uid }, `IMAP ${where}: UID ${uid} processed and flagged ${keyword}`);
        return;
      }
      cur.unflagged.push(uid);
      save();
      if (!c.usable)
        throw new ConnectionLost(`connection lost while flagging UID ${uid}; it is flagged next session`);
      log.error(
        { ...ctx, uid },
        `IMAP ${where}: the server refused ${keyword} on UID ${uid} (processed); retried next session`,
      );
    } finally {
      inHand = false;
    }
  }

  async function catchUp(c: ImapFlow, first: boolean): Promise<void> {
    const cur = cursor as ImapCursor;
    if (first) await flagPendingFromEarlier(c, cur);
    const fresh = (await search(c, { uid: `${cur.lastUid + 1}:*`, unKeyword: keyword })).filter(
      (u) => u > cur.lastUid,
    );
    let retry: number[] = [];
    const owed = Object.keys(cur.failed).map(Number);
    if (first && owed.length) {
      const still = new Set(await search(c, { uid: owed.join(','), unKeyword: keyword }));
      for (const u of owed) {
        if (still.has(u)) continue;
        log.info(
          { ...ctx, uid: u },
          `IMAP ${where}: UID ${u} (failed before) is gone or flagged now; no retry`,
        );
        delete cur.failed[u];
      }
      retry = owed.filter((u) => still.has(u));
      if (retry.length)
        log.info(
          { ...ctx, uids: retry },
          `IMAP ${where}: retrying ${retry.length} message(s) that failed before`,
        );
      save();
    }
    const todo = [...new Set([...retry, ...fresh])].sort((a, b) => a - b);
    if (todo.length)
      log.info(
        { ...ctx, count: todo.length, from: todo[0] },
        `IMAP ${where}: ${todo.length} message(s) to process`,
      );
    for (const uid of todo) {
      if (stopping) return;
      if (!c.usable) throw new ConnectionLost('connection lost during the catch-up pass');
      await processOne(c, cur, uid);
    }
  }

  async function session(onCaughtUp: () => void): Promise<void> {
    const c = new ImapFlow({
      host: opts.host,
      port: opts.port,
      secure: opts.secure,
      auth: { ...opts.auth },
      ...(opts.tls ? { tls: opts.tls } : {}),
      logger: imapflowLogger(log),
      autoIdleDelay: idleDelayMs,
      connectionTimeout: opts.timeouts?.connectMs ?? 30_000,
      greetingTimeout: opts.timeouts?.greetingMs ?? 16_000,
      socketTimeout: opts.timeouts?.socketMs ?? 300_000,
    });
    client = c;
    let closed = false;
    c.on('error', (err: unknown) => {
      stats.lastError = explain(err);
      log.warn({ ...ctx, error: explain(err) }, `IMAP ${where}: connection error: ${explain(err)}`);
    });
    c.on('close', () => {
      closed = true;
      wakeUp();
    });
    c.on('exists', (e: { count: number; prevCount: number }) => {
      log.debug({ ...ctx, ...e }, `IMAP ${where}: EXISTS ${e.count}`);
      dirty = true;
      wakeUp();
    });
    let poll: NodeJS.Timeout | null = null;
    try {
      setState('connecting');
      await c.connect();
      const mb = await c.mailboxOpen(opts.folder).catch((err: ImapFlowError) => {
        if (
          err?.serverResponseCode === 'NONEXISTENT' ||
          /doesn't exist|not exist/i.test(err?.responseText ?? '')
        )
          throw new ImapWatchFatalError(`IMAP ${where}: the folder does not exist (${explain(err)})`);
        throw err;
      });
      if (mb.readOnly) throw new ImapWatchFatalError(`IMAP ${where}: the folder opened read-only`);
      if (!keywordAllowed(mb, keyword))
        throw new ImapWatchFatalError(
          `IMAP ${where}: the server does not allow the keyword ${keyword} here (PERMANENTFLAGS ${[...(mb.permanentFlags ?? [])].join(' ')})`,
        );
      loadCursor(String(mb.uidValidity));
      stats.sessions++;
      stats.connectedAt = now();
      log.info({ ...ctx, exists: mb.exists, uidNext: mb.uidNext }, `IMAP ${where}: connected and selected`);
      if (pollMs > 0)
        poll = setInterval(() => {
          dirty = true;
          wakeUp();
        }, pollMs);
      let first = true;
      dirty = true;
      while (!stopping && !closed) {
        if (dirty) {
          dirty = false;
          setState('scanning');
          await catchUp(c, first);
          first = false;
          continue;
        }
        onCaughtUp();
        setState('waiting');
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } catch (err) {
      if (closed && !isFatal(err) && !stopping) throw new ConnectionLost(`connection lost: ${explain(err)}`);
      throw err;
    } finally {
      if (poll) clearInterval(poll);
      client = null;
      wake = null;
      if (!closed) {
        if (stopping && c.usable) await c.logout().catch(() => c.close());
        else c.close();
      }
    }
    if (!stopping) throw new ConnectionLost('the server closed the connection');
  }

  async function run(): Promise<void> {
    let failedInRow = 0;
    while (!stopping) {
      let caughtUp = false;
      try {
        await session(() => {
          caughtUp = true;
        });
      } catch (err) {
        if (stopping) break;
        if (isFatal(err)) {
          const e =
            err instanceof ImapWatchFatalError
              ? err
              : new ImapWatchFatalError(`IMAP ${where}: ${explain(err)}`);
          stats.lastError = e.message;
          log.error({ ...ctx, error: e.message }, `${e.message}; the watcher stops`);
          throw e;
        }
        stats.lastError = explain(err);
      }
      if (stopping) break;
      if (caughtUp) failedInRow = 0;
      failedInRow++;
      if (failedInRow > maxReconnects) {
        const e = new ImapWatchFatalError(
          `IMAP ${where}: gave up after ${maxReconnects} failed connection attempt(s); last error: ${stats.lastError}`,
        );
        log.error({ ...ctx, error: stats.lastError }, e.message);
        throw e;
      }
      const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(failedInRow - 1, 30));
      log.warn(
        { ...ctx, attempt: failedInRow, delayMs: delay, error: stats.lastError },
        `IMAP ${where}: connection lost or failed (${stats.lastError}); reconnecting in ${delay} ms`,
      );
      setState('backoff');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        cancelSleep = () => {
          clearTimeout(t);
          resolve();
        };
      });
      cancelSleep = null;
    }
  }

  const done = run().then(
    () => {
      setState('stopped');
      for (const w of waiters) w.resolve();
      waiters = [];
      log.info({ ...ctx }, `IMAP ${where}: stopped`);
    },
    (err: unknown) => {
      setState('failed');
      for (const w of waiters) w.reject(err);
      waiters = [];
      throw err;
    },
  );
  // a caller that never awaits `done` still gets the error log line, not an unhandled rejection
  done.catch(() => {});

  return {
    done,
    async stop() {
      if (!stopping) {
        stopping = true;
        log.info({ ...ctx }, `IMAP ${where}: stopping`);
        cancelSleep?.();
        wakeUp();
        // nothing in hand: no need to wait for a connect or a command to finish
        if (!inHand && client && state !== 'waiting') client.close();
      }
      await done.catch(() => {});
    },
    caughtUp() {
      if (state === 'waiting' && !dirty) return Promise.resolve();
      if (state === 'stopped') return Promise.resolve();
      if (state === 'failed') return done;
      return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    },
    status() {
      return {
        state,
        cursorKey: key,
        uidValidity: cursor?.uidValidity ?? null,
        lastUid: cursor?.lastUid ?? 0,
        ...stats,
      };
    },
  };
}
