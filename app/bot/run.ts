/**
 * The mailing-list bot's loop: mail in (IMAP, or anything that hands over raw bytes), reviews
 * recorded, replies queued and sent through the outbox, all state in the Store.
 *
 * - `ingest(raw, source)` records one message: bad mail (no Message-ID, broken MIME, HTML only,
 *   over the size limit, no headers) is marked seen with the reason and skipped with one log line;
 *   good mail is kept raw in the store (so a series that waits for its missing patches survives a
 *   restart). A reply to one of our reviews is a follow-up: its `kapi-review:` commands (from the
 *   patch author or a maintainer, and never from a bot) become ignores and mutes. Never throws on
 *   malformed mail; only a store failure escapes (then nothing is flagged on the server).
 * - `tick()` rebuilds the series from the raw mail not yet processed, plans them (app/bot/queue.ts)
 *   and for each decision: review (record the revision, review it, record the findings without
 *   the ignored ones, build the replies with the series' history, queue them unless muted),
 *   supersede, or record a corrupted series for the operator. Then the outbox is sent (the policy
 *   decides what leaves, see app/mail/policy.ts) and the messages of settled revisions are marked
 *   processed. Calling it again does nothing new: the outbox dedupes on the reply's key, settled
 *   revisions are 'done', and processed mail is not read again.
 * - Crash safety: a review is recorded before its replies are queued, and mail is marked processed
 *   only after that. A crash in between leaves the revision reviewed with none of its mail
 *   processed; the next tick then queues its replies again from the recorded findings (the same
 *   keys, so nothing is queued twice).
 * - Reviews run in worker threads (app/review/pool.ts), the series of one tick side by side, each
 *   within its limits (app/review/limits.ts): a series too large to review (or whose review
 *   overran its time budget, or whose worker died) is recorded as reviewed with the reason as its
 *   state detail, logged for the operator, and never answered by mail nor retried. The replies of a
 *   series are sent as soon as its review is recorded, not after the slowest series of the tick.
 * - `watchImap(opts)` runs the IMAP watcher with onMessage = ingest + tick, so the server's keyword
 *   is set only after the message's review (when it completes a series) is recorded.
 *
 * The steps are modules of their own over one BotState (state.ts): ingest.ts takes mail in,
 * tick.ts turns it into series, reviews and replies, revisions.ts records revisions and builds
 * their replies. This file puts them together.
 */
import { type FolderWatcher, type WatchFolderOptions, watchFolder } from '../sources/imap.js';
import type { Store } from '../store/store.js';
import { ingest } from './ingest.js';
import { type Bot, type BotDeps, type BotLog, botState } from './state.js';
import { tick } from './tick.js';

export type { Bot, BotDeps, BotLog, TickReport } from './state.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from './state.js';

export function createBot(deps: BotDeps): Bot {
  const st = botState(deps);
  return {
    ingest: (raw, source) => ingest(st, raw, source),
    tick: () => tick(st),
  };
}

export interface WatchImapOptions extends Omit<WatchFolderOptions, 'onMessage' | 'cursor' | 'log'> {
  bot: Bot;
  store: Store;
  log: BotLog;
  /** The source name recorded with each message; default `imap:<folder>`. */
  source?: string;
}

/** Watches an IMAP folder: each message is ingested and a tick runs before the keyword is set. */
export function watchImap(opts: WatchImapOptions): FolderWatcher {
  const { bot, store, log, source, ...rest } = opts;
  const name = source ?? `imap:${opts.folder}`;
  return watchFolder({
    ...rest,
    cursor: store.cursors,
    log: {
      debug: (o, m) => log.debug?.(o, m),
      info: (o, m) => log.info(o, m),
      warn: (o, m) => log.warn(o, m),
      error: (o, m) => log.error(o, m),
    },
    onMessage: async (raw) => {
      await bot.ingest(raw, name);
      await bot.tick();
    },
  });
}
