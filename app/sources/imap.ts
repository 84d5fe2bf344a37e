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
 *
 * This file is the watcher's face: its options, its status and watchFolder. The cursor value is
 * imap-cursor.ts; the watcher itself is FolderWatch (imap-watch.ts), one method per step above.
 */
import type { ConnectionOptions } from 'node:tls';
import type { CursorStore } from '../mail/types.js';
import { FolderWatch, type WatchSettings } from './imap-watch.js';

export { type ImapCursor, imapCursorKey, parseImapCursor } from './imap-cursor.js';
export { ImapWatchFatalError } from './imap-watch.js';

const DEFAULT_KEYWORD = '$KapiReviewed';

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

/** RFC 3501 flag-keyword: printable ASCII atom characters, none of `(){%*"\]` nor space. */
function validKeyword(k: string): boolean {
  if (!k || k.startsWith('\\')) return false;
  for (const ch of k) {
    const code = ch.charCodeAt(0);
    if (code <= 0x20 || code >= 0x7f || '(){%*"\\]'.includes(ch)) return false;
  }
  return true;
}

/** The options with their defaults; throws on a keyword IMAP cannot store, or no folder. */
export function watchSettings(opts: WatchFolderOptions): WatchSettings {
  const keyword = opts.keyword ?? DEFAULT_KEYWORD;
  if (!validKeyword(keyword))
    throw new Error(`IMAP keyword ${JSON.stringify(keyword)} is not a valid IMAP flag keyword`);
  if (!opts.folder) throw new Error('IMAP folder is empty');
  const initialDelayMs = opts.reconnect?.initialDelayMs ?? 1000;
  return {
    opts,
    keyword,
    now: opts.now ?? (() => new Date()),
    maxAttempts: Math.max(1, opts.maxAttempts ?? 3),
    idleDelayMs: opts.idleDelayMs ?? 1000,
    pollMs: opts.pollMs ?? 300_000,
    initialDelayMs,
    maxDelayMs: Math.max(initialDelayMs, opts.reconnect?.maxDelayMs ?? 60_000),
    maxReconnects: opts.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
  };
}

/** Watches the folder until stopped (or a fatal error); see the top of this file. */
export function watchFolder(opts: WatchFolderOptions): FolderWatcher {
  return new FolderWatch(watchSettings(opts)).start();
}
