/**
 * The IMAP watcher of imap.ts as its steps: FolderWatch holds the watcher's state (the cursor,
 * the connection, whether it is stopping, the message in hand, what it waits on, its counters)
 * and each method is one step of the cycle imap.ts describes: the cursor (loadCursor, save), the
 * catch-up pass (flagPendingFromEarlier, owedRetries, processOne and its outcomes, catchUp), the
 * session (connect, select, watchLoop, session) and the reconnect loop (run, backoff). `start()`
 * runs it and returns the FolderWatcher callers hold.
 */
import { ImapFlow, type ImapFlowError, type Logger, type MailboxObject, type SearchObject } from 'imapflow';
import type { FolderWatcher, WatchFolderOptions, WatchLog, WatchState, WatchStatus } from './imap.js';
import { formatCursor, type ImapCursor, imapCursorKey, parseImapCursor } from './imap-cursor.js';

/** An error retrying cannot fix: the watcher stops and `done` rejects with it. */
export class ImapWatchFatalError extends Error {
  override name = 'ImapWatchFatalError';
}

/** The connection went away mid-session; the watcher reconnects. */
export class ConnectionLost extends Error {}

/** The options of imap.ts's watchFolder with their defaults applied. */
export interface WatchSettings {
  opts: WatchFolderOptions;
  keyword: string;
  now: () => Date;
  maxAttempts: number;
  idleDelayMs: number;
  pollMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  maxReconnects: number;
}

/** The calls of the catch-up pass, all a stand-in for the server needs to answer. */
export type ImapClient = Pick<ImapFlow, 'search' | 'fetchOne' | 'messageFlagsAdd' | 'usable'>;

/** A connection of one session, and whether the server closed it. */
interface Connection {
  c: ImapFlow;
  closed: boolean;
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

/** Every message with a UID up to `uid` is dealt with. */
function advance(cur: ImapCursor, uid: number): void {
  cur.lastUid = Math.max(cur.lastUid, uid);
}

export class FolderWatch {
  /** The cursor of the folder, once a session has selected it. */
  cursor: ImapCursor | null = null;
  stopping = false;
  state: WatchState = 'connecting';
  readonly stats = {
    sessions: 0,
    processed: 0,
    failures: 0,
    lastError: null as string | null,
    connectedAt: null as Date | null,
    lastMessageAt: null as Date | null,
  };
  private client: ImapFlow | null = null;
  /** A message is between FETCH and the cursor update: stop() lets it finish. */
  private inHand = false;
  /** There may be new mail: the next turn of the watch loop runs a catch-up pass. */
  private dirty = false;
  private wake: (() => void) | null = null;
  private cancelSleep: (() => void) | null = null;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private readonly log: WatchLog;
  private readonly key: string;
  /** `user@host:port/folder`, for log lines. */
  private readonly where: string;
  /** The fields every log line carries. */
  private readonly ctx: { server: string; folder: string };

  constructor(private readonly s: WatchSettings) {
    const { opts } = s;
    this.log = opts.log;
    this.key = imapCursorKey(opts);
    this.where = `${opts.auth.user}@${opts.host}:${opts.port}/${opts.folder}`;
    this.ctx = { server: `${opts.host}:${opts.port}`, folder: opts.folder };
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private setState(s: WatchState): void {
    this.state = s;
    if (s === 'waiting') {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w.resolve();
    }
  }

  // ---- the cursor -----------------------------------------------------------------------------

  save(): void {
    if (!this.cursor) return;
    try {
      this.s.opts.cursor.set(this.key, formatCursor(this.cursor));
    } catch (err) {
      // carrying on would hand messages over again after a restart
      throw new ImapWatchFatalError(`IMAP ${this.where}: the cursor store failed: ${explain(err)}`);
    }
  }

  /**
   * The stored cursor when it is for this UIDVALIDITY; else (none, unreadable, or another
   * UIDVALIDITY, each said in the log) a fresh one, and the folder is rescanned by keyword.
   */
  loadCursor(uidValidity: string): void {
    const { log, key, where, ctx } = this;
    const keyword = this.s.keyword;
    let stored: ImapCursor | null = null;
    let text: string | null;
    try {
      text = this.s.opts.cursor.get(key);
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
      this.cursor = stored;
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
    this.cursor = { uidValidity, lastUid: 0, failed: {}, unflagged: [] };
    this.save();
  }

  // ---- the catch-up pass ------------------------------------------------------------------------

  private async search(c: ImapClient, query: SearchObject): Promise<number[]> {
    const r = await c.search(query, { uid: true });
    if (!Array.isArray(r)) {
      if (!c.usable) throw new ConnectionLost('connection lost during SEARCH');
      throw new Error(`the server refused UID SEARCH ${JSON.stringify(query)}`);
    }
    return r;
  }

  /** Stores the keyword on the messages an earlier session processed but could not flag. */
  async flagPendingFromEarlier(c: ImapClient, cur: ImapCursor): Promise<void> {
    if (!cur.unflagged.length) return;
    const { log, where, ctx } = this;
    const keyword = this.s.keyword;
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
    this.save();
  }

  /**
   * The messages that failed before and are still owed a retry: those still without the keyword.
   * The others (gone, or flagged by someone) are dropped from the cursor.
   */
  async owedRetries(c: ImapClient, cur: ImapCursor): Promise<number[]> {
    const owed = Object.keys(cur.failed).map(Number);
    if (!owed.length) return [];
    const { log, where, ctx } = this;
    const still = new Set(await this.search(c, { uid: owed.join(','), unKeyword: this.s.keyword }));
    for (const u of owed) {
      if (still.has(u)) continue;
      log.info(
        { ...ctx, uid: u },
        `IMAP ${where}: UID ${u} (failed before) is gone or flagged now; no retry`,
      );
      delete cur.failed[u];
    }
    const retry = owed.filter((u) => still.has(u));
    if (retry.length)
      log.info(
        { ...ctx, uids: retry },
        `IMAP ${where}: retrying ${retry.length} message(s) that failed before`,
      );
    this.save();
    return retry;
  }

  /** A message passed over (gone, or flagged already): no retry owed, the cursor past it. */
  private passOver(cur: ImapCursor, uid: number): void {
    delete cur.failed[uid];
    advance(cur, uid);
    this.save();
  }

  /**
   * One message: FETCH it, hand it to onMessage, then flag it and move the cursor past it.
   * Nothing is flagged or advanced before onMessage resolves.
   */
  async processOne(c: ImapClient, cur: ImapCursor, uid: number): Promise<void> {
    const { log, where, ctx } = this;
    const keyword = this.s.keyword;
    const msg = await c.fetchOne(String(uid), { uid: true, flags: true, source: true }, { uid: true });
    if (msg === false || !msg.source) {
      if (!c.usable) throw new ConnectionLost(`connection lost while fetching UID ${uid}`);
      log.warn({ ...ctx, uid }, `IMAP ${where}: UID ${uid} vanished before it could be fetched (expunged?)`);
      this.passOver(cur, uid);
      return;
    }
    if (msg.flags?.has(keyword)) {
      log.debug({ ...ctx, uid }, `IMAP ${where}: UID ${uid} already carries ${keyword}; skipped`);
      this.passOver(cur, uid);
      return;
    }
    this.inHand = true;
    try {
      const failure = await this.handOver(msg.source, uid);
      if (failure) this.failedOnce(cur, uid, failure.error);
      else await this.flagProcessed(c, cur, uid);
    } finally {
      this.inHand = false;
    }
  }

  /** onMessage on one message; what it threw, if it did. */
  private async handOver(raw: Buffer, uid: number): Promise<{ error: unknown } | null> {
    try {
      await this.s.opts.onMessage(raw, uid);
      return null;
    } catch (error) {
      return { error };
    }
  }

  /**
   * onMessage threw: the message stays unflagged, owed a retry until it has failed `maxAttempts`
   * times; the cursor moves past it so later messages are not held up.
   */
  private failedOnce(cur: ImapCursor, uid: number, failure: unknown): void {
    const { log, where, ctx } = this;
    const { keyword, maxAttempts } = this.s;
    this.stats.failures++;
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
    advance(cur, uid);
    this.save();
  }

  /**
   * onMessage resolved: the cursor moves past the message and it gets the keyword; when the
   * server does not store it, the message goes on the cursor's `unflagged` list for the next session.
   */
  private async flagProcessed(c: ImapClient, cur: ImapCursor, uid: number): Promise<void> {
    const { log, where, ctx } = this;
    const keyword = this.s.keyword;
    this.stats.processed++;
    this.stats.lastMessageAt = this.s.now();
    delete cur.failed[uid];
    advance(cur, uid);
    let flagged = false;
    try {
      flagged = await c.messageFlagsAdd(String(uid), [keyword], { uid: true });
    } catch {
      flagged = false;
    }
    if (flagged) {
      this.save();
      log.debug({ ...ctx, uid }, `IMAP ${where}: UID ${uid} processed and flagged ${keyword}`);
      return;
    }
    cur.unflagged.push(uid);
    this.save();
    if (!c.usable)
      throw new ConnectionLost(`connection lost while flagging UID ${uid}; it is flagged next session`);
    log.error(
      { ...ctx, uid },
      `IMAP ${where}: the server refused ${keyword} on UID ${uid} (processed); retried next session`,
    );
  }

  /**
   * One catch-up pass: every message above the cursor without the keyword, in UID order, and in
   * the first pass of a session also the earlier failures still owed a retry.
   */
  async catchUp(c: ImapClient, first: boolean): Promise<void> {
    const cur = this.cursor as ImapCursor;
    if (first) await this.flagPendingFromEarlier(c, cur);
    const fresh = (await this.search(c, { uid: `${cur.lastUid + 1}:*`, unKeyword: this.s.keyword })).filter(
      (u) => u > cur.lastUid,
    );
    const retry = first ? await this.owedRetries(c, cur) : [];
    const todo = [...new Set([...retry, ...fresh])].sort((a, b) => a - b);
    if (todo.length)
      this.log.info(
        { ...this.ctx, count: todo.length, from: todo[0] },
        `IMAP ${this.where}: ${todo.length} message(s) to process`,
      );
    for (const uid of todo) {
      if (this.stopping) return;
      if (!c.usable) throw new ConnectionLost('connection lost during the catch-up pass');
      await this.processOne(c, cur, uid);
    }
  }

  // ---- the session ------------------------------------------------------------------------------

  /** A new client, its events wired: errors logged, a close or new mail wakes the watch loop. */
  private connect(): Connection {
    const { opts } = this.s;
    const { log, where, ctx } = this;
    const c = new ImapFlow({
      host: opts.host,
      port: opts.port,
      secure: opts.secure,
      auth: { ...opts.auth },
      ...(opts.tls ? { tls: opts.tls } : {}),
      logger: imapflowLogger(log),
      autoIdleDelay: this.s.idleDelayMs,
      connectionTimeout: opts.timeouts?.connectMs ?? 30_000,
      greetingTimeout: opts.timeouts?.greetingMs ?? 16_000,
      socketTimeout: opts.timeouts?.socketMs ?? 300_000,
    });
    this.client = c;
    const conn: Connection = { c, closed: false };
    c.on('error', (err: unknown) => {
      this.stats.lastError = explain(err);
      log.warn({ ...ctx, error: explain(err) }, `IMAP ${where}: connection error: ${explain(err)}`);
    });
    c.on('close', () => {
      conn.closed = true;
      this.wakeUp();
    });
    c.on('exists', (e: { count: number; prevCount: number }) => {
      log.debug({ ...ctx, ...e }, `IMAP ${where}: EXISTS ${e.count}`);
      this.dirty = true;
      this.wakeUp();
    });
    return conn;
  }

  /**
   * SELECTs the folder and loads the cursor for its UIDVALIDITY. A missing or read-only folder,
   * or one that does not allow the keyword, is fatal.
   */
  private async select(c: ImapFlow): Promise<void> {
    const { where, ctx } = this;
    const { opts, keyword } = this.s;
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
    this.loadCursor(String(mb.uidValidity));
    this.stats.sessions++;
    this.stats.connectedAt = this.s.now();
    this.log.info(
      { ...ctx, exists: mb.exists, uidNext: mb.uidNext },
      `IMAP ${where}: connected and selected`,
    );
  }

  /** A catch-up pass whenever there may be new mail, and waiting in between, until stopped or closed. */
  private async watchLoop(conn: Connection, onCaughtUp: () => void): Promise<void> {
    let first = true;
    this.dirty = true;
    while (!this.stopping && !conn.closed) {
      if (this.dirty) {
        this.dirty = false;
        this.setState('scanning');
        await this.catchUp(conn.c, first);
        first = false;
        continue;
      }
      onCaughtUp();
      this.setState('waiting');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** One connection, from connect to close; it ends by throwing unless the watcher is stopping. */
  async session(onCaughtUp: () => void): Promise<void> {
    const conn = this.connect();
    const { c } = conn;
    let poll: NodeJS.Timeout | null = null;
    try {
      this.setState('connecting');
      await c.connect();
      await this.select(c);
      if (this.s.pollMs > 0)
        poll = setInterval(() => {
          this.dirty = true;
          this.wakeUp();
        }, this.s.pollMs);
      await this.watchLoop(conn, onCaughtUp);
    } catch (err) {
      if (conn.closed && !isFatal(err) && !this.stopping)
        throw new ConnectionLost(`connection lost: ${explain(err)}`);
      throw err;
    } finally {
      if (poll) clearInterval(poll);
      this.client = null;
      this.wake = null;
      if (!conn.closed) {
        if (this.stopping && c.usable) await c.logout().catch(() => c.close());
        else c.close();
      }
    }
    if (!this.stopping) throw new ConnectionLost('the server closed the connection');
  }

  // ---- the reconnect loop -----------------------------------------------------------------------

  /** A fatal error, logged once, as the error `done` rejects with. */
  private fatal(err: unknown): ImapWatchFatalError {
    const e =
      err instanceof ImapWatchFatalError
        ? err
        : new ImapWatchFatalError(`IMAP ${this.where}: ${explain(err)}`);
    this.stats.lastError = e.message;
    this.log.error({ ...this.ctx, error: e.message }, `${e.message}; the watcher stops`);
    return e;
  }

  /** Waits before the next attempt (bounded exponential backoff); stop() cuts the wait short. */
  private async backoff(failedInRow: number): Promise<void> {
    const { initialDelayMs, maxDelayMs } = this.s;
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(failedInRow - 1, 30));
    this.log.warn(
      { ...this.ctx, attempt: failedInRow, delayMs: delay, error: this.stats.lastError },
      `IMAP ${this.where}: connection lost or failed (${this.stats.lastError}); reconnecting in ${delay} ms`,
    );
    this.setState('backoff');
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      this.cancelSleep = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.cancelSleep = null;
  }

  /** Sessions until stopped; a fatal error, or too many failed attempts in a row, ends it. */
  async run(): Promise<void> {
    const { maxReconnects } = this.s;
    let failedInRow = 0;
    while (!this.stopping) {
      let caughtUp = false;
      try {
        await this.session(() => {
          caughtUp = true;
        });
      } catch (err) {
        if (this.stopping) break;
        if (isFatal(err)) throw this.fatal(err);
        this.stats.lastError = explain(err);
      }
      if (this.stopping) break;
      if (caughtUp) failedInRow = 0;
      failedInRow++;
      if (failedInRow > maxReconnects) {
        const e = new ImapWatchFatalError(
          `IMAP ${this.where}: gave up after ${maxReconnects} failed connection attempt(s); last error: ${this.stats.lastError}`,
        );
        this.log.error({ ...this.ctx, error: this.stats.lastError }, e.message);
        throw e;
      }
      await this.backoff(failedInRow);
    }
  }

  // ---- the watcher ------------------------------------------------------------------------------

  /** Starts the reconnect loop; the FolderWatcher its callers hold. */
  start(): FolderWatcher {
    const done = this.run().then(
      () => {
        this.setState('stopped');
        for (const w of this.waiters) w.resolve();
        this.waiters = [];
        this.log.info({ ...this.ctx }, `IMAP ${this.where}: stopped`);
      },
      (err: unknown) => {
        this.setState('failed');
        for (const w of this.waiters) w.reject(err);
        this.waiters = [];
        throw err;
      },
    );
    // a caller that never awaits `done` still gets the error log line, not an unhandled rejection
    done.catch(() => {});
    return {
      done,
      stop: () => this.stop(done),
      caughtUp: () => this.caughtUp(done),
      status: () => this.status(),
    };
  }

  /** Finishes the message in hand, logs out, and resolves when stopped. */
  private async stop(done: Promise<void>): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.log.info({ ...this.ctx }, `IMAP ${this.where}: stopping`);
      this.cancelSleep?.();
      this.wakeUp();
      // nothing in hand: no need to wait for a connect or a command to finish
      if (!this.inHand && this.client && this.state !== 'waiting') this.client.close();
    }
    await done.catch(() => {});
  }

  private caughtUp(done: Promise<void>): Promise<void> {
    if (this.state === 'waiting' && !this.dirty) return Promise.resolve();
    if (this.state === 'stopped') return Promise.resolve();
    if (this.state === 'failed') return done;
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  status(): WatchStatus {
    return {
      state: this.state,
      cursorKey: this.key,
      uidValidity: this.cursor?.uidValidity ?? null,
      lastUid: this.cursor?.lastUid ?? 0,
      ...this.stats,
    };
  }
}
