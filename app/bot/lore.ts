/**
 * The bot fed from lore: follow a list's Atom feed (app/sources/lore.ts pollList), fetch the thread
 * of each new entry (fetchThread; the entry's link names the Message-ID and the list), ingest every
 * message of it (the bot skips what it has seen), tick, and only then commit the feed cursor.
 *
 * - Nothing skipped: the cursor moves after the tick that reviewed, queued and sent, so a crash
 *   anywhere before the commit gives the same entries again on the next poll; ingest and the
 *   outbox dedupe, so doing them again sends nothing twice.
 * - Nothing repeated: after the commit the entries are remembered; a 304 or the same feed again
 *   brings nothing new.
 * - One fetch per thread and poll: an entry whose message came with a thread already fetched in this
 *   poll, or which the bot has already seen (`seen`), is not fetched again.
 * - Failures: a transient thread failure (the retry budget ran out, a Retry-After too long, the
 *   network) leaves that entry uncommitted, so it comes again next poll; the entries that worked
 *   are committed. A final one (404, not an mbox, corrupt gzip, too large, an entry whose link
 *   names no message) is logged as an error and committed, so a broken entry cannot block the
 *   list forever. A failing feed is logged and tried again at the next poll.
 */
import type { CursorStore } from '../mail/types.js';
import { defaultSleep, type FetchLike, type HttpOptions } from '../net/http.js';
import { type FeedEntry, fetchThread, LoreError, type LoreErrorCode, pollList } from '../sources/lore.js';
import type { Bot, BotLog, TickReport } from './run.js';

export interface WatchLoreOptions {
  bot: Bot;
  /** lore's base URL (https://lore.kernel.org, or a local public-inbox). */
  baseUrl: string;
  /** The inbox name (`linux-mm`). */
  list: string;
  /** Where the feed cursor lives (the store's cursors). */
  cursor: CursorStore;
  /** Time between polls. */
  pollMs: number;
  /** Whether the bot already has a message (store.messages.isSeen): its thread is not fetched again. */
  seen?: (messageId: string) => boolean;
  fetch?: FetchLike;
  /** Waits between polls and between HTTP attempts (Retry-After, backoff). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
  log: BotLog;
  /** More HTTP settings (timeouts, retries, backoff, jitter) for the feed and the threads. */
  http?: Omit<HttpOptions, 'fetch' | 'sleep' | 'now' | 'signal'>;
  /** With no cursor yet: review the feed's entries ('all', default) or only remember them ('none'). */
  firstPoll?: 'all' | 'none';
  /** The source name recorded with each message; default `lore:<list>`. */
  source?: string;
}

export interface LorePollReport {
  /** The feed answered 304. */
  notModified: boolean;
  /** New entries in the feed. */
  entries: number;
  /** Threads fetched. */
  threads: number;
  /** Messages handed to ingest (seen ones included; the bot skips those). */
  ingested: number;
  /** Entries left for the next poll (transient failures). */
  retry: string[];
  /** Entries given up on (final failures), committed. */
  failed: string[];
  /** The tick after ingesting; null when nothing new came. */
  tick: TickReport | null;
  /** The cursor was committed. */
  committed: boolean;
}

export interface LoreWatcher {
  /** One poll now (waits for a poll in progress first). */
  poll(): Promise<LorePollReport>;
  /** Stops the loop (a poll in progress completes); resolves when it stopped. */
  stop(): Promise<void>;
  /** Resolves when the loop stopped. */
  done: Promise<void>;
}

/** Errors that another attempt will not fix. */
const FINAL: ReadonlySet<LoreErrorCode> = new Set([
  'bad-ref',
  'not-found',
  'http',
  'too-large',
  'bad-gzip',
  'not-mbox',
]);

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Polls once: feed, threads, ingest, tick, commit. Throws only when the feed or the store fails. */
export async function pollLore(opts: WatchLoreOptions, signal?: AbortSignal): Promise<LorePollReport> {
  const { bot, log } = opts;
  const source = opts.source ?? `lore:${opts.list}`;
  const http: HttpOptions = {
    ...opts.http,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(signal ? { signal } : {}),
  };
  const poll = await pollList(opts.list, {
    ...http,
    baseUrl: opts.baseUrl,
    cursor: opts.cursor,
    ...(opts.firstPoll ? { firstPoll: opts.firstPoll } : {}),
  });
  const report: LorePollReport = {
    notModified: poll.notModified,
    entries: poll.entries.length,
    threads: 0,
    ingested: 0,
    retry: [],
    failed: [],
    tick: null,
    committed: false,
  };
  for (const issue of poll.issues) log.warn({ url: poll.url }, `lore feed ${poll.url}: ${issue}`);
  if (poll.gap)
    log.warn(
      { url: poll.url },
      `lore feed ${poll.url}: no entry of it was known; messages may have scrolled past while we were away`,
    );
  for (const e of poll.stale)
    log.info(
      { id: e.id, link: e.link },
      `lore feed: ${e.link ?? e.id} is older than the cursor; not fetched`,
    );
  if (poll.notModified || poll.entries.length === 0) {
    poll.commit(); // settles stale entries, stores the validators
    report.committed = !poll.notModified;
    return report;
  }

  const got = new Set<string>(); // Message-IDs that came with a thread fetched in this poll
  const handled: string[] = [];
  for (const entry of poll.entries) {
    const mid = entry.messageId;
    if (mid === null) {
      report.failed.push(entry.id);
      handled.push(entry.id);
      log.error(
        { id: entry.id, link: entry.link },
        `lore feed entry ${entry.id} (${entry.title}): its link ${entry.link ?? '(none)'} names no message; skipped`,
      );
      continue;
    }
    if (got.has(mid) || opts.seen?.(mid)) {
      handled.push(entry.id);
      continue;
    }
    try {
      await ingestThread(opts, entry, mid, http, source, got, report);
      handled.push(entry.id);
    } catch (e) {
      if (signal?.aborted) throw e;
      if (e instanceof LoreError && FINAL.has(e.code)) {
        report.failed.push(entry.id);
        handled.push(entry.id);
        log.error({ messageId: mid, code: e.code }, `lore: thread of ${mid} skipped: ${e.message}`);
      } else if (e instanceof LoreError) {
        report.retry.push(entry.id);
        log.warn(
          { messageId: mid, code: e.code },
          `lore: thread of ${mid} comes again next poll: ${e.message}`,
        );
      } else throw e; // a store failure: nothing is committed
    }
  }
  // everything ingested is reviewed, queued and sent before the cursor moves
  report.tick = await bot.tick();
  poll.commit(handled);
  report.committed = true;
  log.info(
    {
      list: opts.list,
      entries: report.entries,
      threads: report.threads,
      retry: report.retry.length,
      failed: report.failed.length,
    },
    `lore ${opts.list}: ${report.entries} new entr${report.entries === 1 ? 'y' : 'ies'}, ${report.threads} thread(s) fetched`,
  );
  return report;
}

async function ingestThread(
  opts: WatchLoreOptions,
  entry: FeedEntry,
  mid: string,
  http: HttpOptions,
  source: string,
  got: Set<string>,
  report: LorePollReport,
): Promise<void> {
  // the link gives the list too; the host asked is always the configured base
  const thread = await fetchThread(entry.link ?? `<${mid}>`, { ...http, baseUrl: opts.baseUrl });
  report.threads++;
  // read the whole thread before ingesting, so a thread that breaks half-way ingests nothing twice
  const messages = [];
  for await (const m of thread.messages()) messages.push(m);
  for (const m of messages) {
    for (const issue of m.issues)
      opts.log.warn(
        { url: thread.url, index: m.index },
        `lore: message ${m.index + 1} of ${thread.url}: ${issue.message}`,
      );
    await opts.bot.ingest(m.raw, source);
    report.ingested++;
    const id = messageIdOf(m.raw);
    if (id) got.add(id);
  }
  got.add(mid);
}

/** The Message-ID of a raw message, from its header only (cheap; the bot parses it properly). */
function messageIdOf(raw: Buffer): string | null {
  const end = raw.indexOf('\n\n');
  const head = raw.toString('latin1', 0, end < 0 ? Math.min(raw.length, 65536) : end).replace(/\r\n/g, '\n');
  const m = /^message-id:[ \t]*(?:\n[ \t]+)?<([^<>\s]+)>/im.exec(head);
  return m ? (m[1] as string) : null;
}

/** Polls the list every `pollMs` until stopped; a failed poll is logged and tried again. */
export function watchLore(opts: WatchLoreOptions): LoreWatcher {
  const controller = new AbortController();
  const sleep = opts.sleep ?? defaultSleep;
  let running: Promise<LorePollReport> | null = null;
  const poll = (): Promise<LorePollReport> => {
    const run = (running ?? Promise.resolve()).then(
      () => pollLore(opts, controller.signal),
      () => pollLore(opts, controller.signal),
    );
    running = run.catch(() => null as unknown as LorePollReport);
    return run;
  };
  const loop = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        await poll();
      } catch (e) {
        if (controller.signal.aborted) break;
        opts.log.error({ list: opts.list, err: reason(e) }, `lore ${opts.list}: poll failed: ${reason(e)}`);
      }
      if (controller.signal.aborted) break;
      try {
        await sleep(opts.pollMs, controller.signal);
      } catch {
        break; // aborted
      }
    }
  };
  const done = loop();
  return {
    poll,
    stop: async () => {
      controller.abort();
      await done;
      await running;
    },
    done,
  };
}
