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
 */
import { createHash } from 'node:crypto';
import type { Parser } from 'web-tree-sitter';
import type { ScopedFinding } from '../../checks/review.js';
import type { Check } from '../../checks/types.js';
import { type PatchMail, parseMailSync } from '../../parsers/mail.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import {
  DEFAULT_SILENCE_HINT,
  type FindingHistory,
  formatAddress,
  planReplies,
} from '../../reporters/email.js';
import type { ReviewConfig } from '../config/index.js';
import { type DigestMailResult, enqueueDigestIfDue } from '../digest/mail.js';
import { addressOf, type MailPolicy, mayAnswer, parseCommands } from '../mail/policy.js';
import { type MailTransport, type SendReport, sendPending } from '../mail/sender.js';
import type { DeliveryProbe } from '../mail/types.js';
import { checkIds, submitReview } from '../review/job.js';
import { TOO_LARGE, tooLargeText } from '../review/limits.js';
import { ReviewFailed, type ReviewPool, sharedReviewPool } from '../review/pool.js';
import { seriesInput } from '../review/run.js';
import { type FolderWatcher, type WatchFolderOptions, watchFolder } from '../sources/imap.js';
import type { RevisionRecord } from '../store/series.js';
import { type Store, StoreError } from '../store/store.js';
import { type Decision, planQueue } from './queue.js';

/** pino-compatible; `debug` is optional. */
export interface BotLog {
  debug?(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface BotDeps {
  store: Store;
  /** The C parser (app/c/language.ts loadCParser); null checks hunks as text only. */
  parser: Parser | null;
  checks: readonly Check[];
  config: ReviewConfig;
  /** A kernel tree to apply series on, or null for hunks only. */
  tree: string | null;
  policy: MailPolicy;
  transport: MailTransport;
  /** Asked at the first send after start for entries a crash left in 'sending'; null: no recovery. */
  probe: DeliveryProbe | null;
  now: () => Date;
  log: BotLog;
  /** Deterministic Message-ID (without brackets) for a reply's key. */
  messageIdFor: (key: string) => string;
  /** How long an incomplete series waits for its missing patches, from its first mail. */
  incompleteAfterMs: number;
  /** Where dry-run mode writes .eml files. */
  dryRunDir: string;
  /** The emergency stop file (nothing is sent while it exists). */
  stopFile?: string | null;
  /** Maintainers who may give mail commands besides the patch author (addresses or globs). */
  maintainers?: readonly string[];
  /** Larger messages are refused unread. Default 20 MB. */
  maxMessageBytes?: number;
  /** What the signature says the review was made on; default from `tree`. */
  baseTree?: string;
  /** Mail a digest (app/digest/mail.ts) to this address through the outbox once a week. */
  digestTo?: string | null;
  /** How often the digest goes out; default a week. */
  digestEveryMs?: number;
  /** The workers reviews run in; default the process's pool (sharedReviewPool), null: this thread. */
  pool?: ReviewPool | null;
}

export interface TickReport {
  decisions: { kind: Decision['kind']; series: string; revision: number }[];
  queued: number;
  send: SendReport | null;
  processed: number;
  /** With digestTo: what the digest did this tick (started, not-due, empty, queued). */
  digest?: DigestMailResult['kind'];
}

export interface Bot {
  ingest(raw: Buffer, source: string): Promise<void>;
  tick(): Promise<TickReport>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 20 * 1024 * 1024;

/** Issues that make a message unusable for the bot. */
const FATAL_ISSUES = new Set([
  'mail-empty',
  'mail-no-headers',
  'mail-missing-message-id',
  'mail-broken-mime',
  'mail-html-only',
]);

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The messages of a parsed series: cover letter, then patches in order. */
function seriesMessageIds(s: Series): string[] {
  const ids = [
    s.cover?.messageId ?? null,
    ...[...s.patches].sort((a, b) => a.counter - b.counter).map((p) => p.mail.messageId),
  ];
  return ids.filter((m): m is string => m !== null);
}

function stateDetail(s: Series): string | null {
  switch (s.state.kind) {
    case 'complete':
      return null;
    case 'incomplete':
      return `missing ${s.state.missing.map((n) => `${n}/${s.expected}`).join(', ')}`;
    case 'corrupted':
      return s.state.reasons.join('; ');
  }
}

/** The state detail of a revision recorded without a review: too large, or its review failed. */
const REVIEW_FAILED = 'review failed';
function unreviewed(detail: string | null): boolean {
  return detail !== null && (detail.startsWith(TOO_LARGE) || detail.startsWith(REVIEW_FAILED));
}

function allMails(s: Series): PatchMail[] {
  return [...(s.cover ? [s.cover] : []), ...s.patches.map((p) => p.mail)];
}

export function createBot(deps: BotDeps): Bot {
  const { store, log } = deps;
  const maxBytes = deps.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const listAddresses = deps.policy.lists.map((l) => addressOf(l.address));
  let recovered = false;

  /** The configured list a series was posted to, by its mails' To and Cc. */
  function listOf(mails: readonly PatchMail[]): string | null {
    for (const m of mails)
      for (const a of [...m.to, ...m.cc]) {
        const addr = addressOf(a);
        if (listAddresses.includes(addr)) return addr;
      }
    return null;
  }

  function reject(raw: Buffer, source: string, messageId: string | null, why: string): void {
    // without a Message-ID the bytes name the message, so the same bad mail is recorded once
    const id =
      messageId ??
      `no-message-id.${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@kapi-review.invalid`;
    const fresh = store.messages.markSeen(id, source, { rejected: why, size: raw.byteLength });
    if (fresh) store.messages.markProcessed(id);
    if (fresh) log.warn({ messageId: id, source, size: raw.byteLength }, `skipping mail ${id}: ${why}`);
  }

  async function ingest(raw: Buffer, source: string): Promise<void> {
    if (raw.byteLength > maxBytes) {
      const head = raw.subarray(0, 64 * 1024);
      const id = parseMailSync(head).value.messageId;
      reject(raw, source, id, `message of ${raw.byteLength} bytes is over the limit of ${maxBytes}`);
      return;
    }
    let parsed: ReturnType<typeof parseMailSync>;
    try {
      parsed = parseMailSync(raw);
    } catch (e) {
      reject(raw, source, null, `the parser failed on it: ${reason(e)}`);
      return;
    }
    const mail = parsed.value;
    const fatal = parsed.issues.filter((i) => FATAL_ISSUES.has(i.code));
    if (fatal.length > 0 || !mail.messageId) {
      reject(raw, source, mail.messageId, fatal.map((i) => i.message).join('; ') || 'no Message-ID');
      return;
    }
    const id = mail.messageId;
    if (store.messages.isSeen(id) && store.messages.raw(id) === null) return; // recorded before and not kept (refused)
    const verdict = mayAnswer(mail, deps.policy);
    if (!verdict.ok) {
      if (store.messages.markSeen(id, source, { refused: verdict.reasons }))
        log.info(
          { messageId: id, source, reasons: verdict.reasons },
          `not answering ${id}: ${verdict.reasons.join('; ')}`,
        );
      store.messages.markProcessed(id);
      return;
    }
    // a reply to one of our reviews: follow-up with possible commands, never a patch to review
    const parent = [mail.inReplyTo, ...mail.references].find((m) => m && store.outbox.byMessageId(m));
    if (parent) {
      followUp(mail, parent, source);
      return;
    }
    store.messages.saveRaw(id, source, raw, deps.now().toISOString());
    store.messages.markSeen(id, source, { subject: mail.subject.slice(0, 200) });
  }

  function followUp(mail: PatchMail, parentId: string, source: string): void {
    const id = mail.messageId as string;
    if (!store.messages.markSeen(id, source, { followUpTo: parentId })) return;
    const ours = store.outbox.byMessageId(parentId);
    const about = ours?.mail.about.messageId ?? null;
    const rev = about ? (store.series.revisionsOfMessage(about).at(-1) ?? null) : null;
    if (!rev) {
      log.warn(
        { messageId: id, parent: parentId },
        `reply ${id} to our mail ${parentId}: its revision is unknown`,
      );
      store.messages.markProcessed(id);
      return;
    }
    const series = store.series.byId(rev.seriesId);
    const by = addressOf(mail.from);
    const { accepted, refused } = parseCommands(mail.body, mail.from, {
      author: series?.author ?? null,
      maintainers: deps.maintainers ?? [],
      checks: deps.checks.map((c) => c.meta.id),
    });
    const text =
      accepted.length > 0
        ? mail.body
            .split('\n')
            .filter((_, i) => accepted.some((a) => a.line === i + 1))
            .join('\n')
        : null;
    store.series.addFollowUp(rev.id, id, by, text);
    for (const c of accepted) {
      if (c.kind === 'ignore') {
        store.policy.addIgnore({
          scope: { kind: 'series', seriesId: rev.seriesId },
          check: c.check,
          subject: c.subject,
          by,
        });
        log.info(
          { messageId: id, seriesId: rev.seriesId, check: c.check, subject: c.subject, by },
          `ignore ${c.check}${c.subject ? ` ${c.subject}` : ''} on series ${rev.seriesId}, asked by ${by}`,
        );
      } else {
        store.policy.mute({ kind: 'series', seriesId: rev.seriesId }, by);
        log.info(
          { messageId: id, seriesId: rev.seriesId, by },
          `series ${rev.seriesId} muted, asked by ${by}`,
        );
      }
    }
    for (const r of refused)
      log.info({ messageId: id, line: r.line, text: r.text }, `command refused in ${id}: ${r.reason}`);
    store.messages.markProcessed(id);
  }

  // ---- tick ----------------------------------------------------------------------------------

  function storedRevision(s: Series): RevisionRecord | null {
    const rec = store.series.byLineage(s.lineage);
    if (!rec) return null;
    return store.series.revisions(rec.id).find((r) => r.revision === s.revision) ?? null;
  }

  function recordRevision(
    s: Series,
    firstSeen: Date | undefined,
    state = s.state.kind,
    detail = stateDetail(s),
  ): RevisionRecord {
    const mails = allMails(s);
    const sender = s.sender ? formatAddress(s.sender) : null;
    const rec = store.series.upsert({
      lineage: s.lineage,
      title: s.title,
      author: sender,
      listId: listOf(mails),
    });
    return store.series.addRevision(rec.id, {
      revision: s.revision,
      coverMessageId: s.cover?.messageId ?? null,
      patchMessageIds: [...s.patches]
        .sort((a, b) => a.counter - b.counter)
        .map((p) => p.mail.messageId)
        .filter((m): m is string => m !== null),
      state,
      stateDetail: detail,
      baseCommit: s.baseCommit,
      changeId: s.changeId,
      ...(firstSeen ? { receivedAt: firstSeen.toISOString() } : {}),
    });
  }

  /** Builds the replies of a reviewed revision from its recorded findings and queues them. */
  function deliver(s: Series, rev: RevisionRecord): number {
    // a revision too large to review (or whose review failed) is for the operator: no mail, ever
    if (unreviewed(rev.stateDetail)) return 0;
    const series = store.series.byId(rev.seriesId);
    const listId = series?.listId ?? null;
    if (store.policy.isMuted({ seriesId: rev.seriesId, listId })) {
      log.info(
        { seriesId: rev.seriesId, revision: rev.revision },
        `series ${rev.seriesId} is muted: no mail for v${rev.revision}`,
      );
      return 0;
    }
    const findings = store.findings.ofRevision(rev.id).map((f) => f.finding as ScopedFinding);
    const h = store.findings.history(rev.seriesId, rev.revision);
    let history: Map<string, FindingHistory> | undefined;
    if (h.previous !== null) {
      history = new Map();
      for (const e of h.entries) history.set(e.fingerprint, { firstRevision: e.firstSeen, status: 'open' });
      for (const f of h.fixed)
        history.set(f.fingerprint, {
          firstRevision: f.since,
          status: 'fixed',
          fixedIn: rev.revision,
          check: f.finding.finding.check,
          ...(f.finding.finding.spec ? { spec: f.finding.finding.spec } : {}),
          ...(f.finding.finding.subject ? { subject: f.finding.finding.subject } : {}),
        });
    }
    const { mails: replies, notes } = planReplies({
      series: s,
      findings,
      ...(history ? { history } : {}),
      policy: {
        from: deps.policy.bot,
        listAddress: listId,
        cc: listId ? 'list' : 'none',
        baseTree: deps.baseTree ?? (deps.tree ? `${deps.tree}` : 'hunks only, no tree'),
        silenceHint: DEFAULT_SILENCE_HINT,
      },
      messageIdFor: deps.messageIdFor,
    });
    // a reply that goes out unthreaded or not at all (an over-long Message-ID, no address) is
    // logged, so a review without an answer always says why
    for (const note of notes)
      log.warn(
        { seriesId: rev.seriesId, revision: rev.revision },
        `series ${rev.seriesId} v${rev.revision}: ${note}`,
      );
    for (const m of replies) store.outbox.enqueue(m);
    return replies.length;
  }

  async function review(s: Series, firstSeen: Date | undefined): Promise<number> {
    const rev = recordRevision(s, firstSeen);
    let result: Awaited<ReturnType<typeof submitReview>>;
    try {
      result = await submitReview(
        {
          kind: 'series',
          series: seriesInput(s, { asText: true }),
          tree: deps.tree,
          config: deps.config,
          checks: checkIds(deps.checks),
          parser: deps.parser !== null,
        },
        {
          pool: deps.pool === undefined ? sharedReviewPool() : deps.pool,
          checks: deps.checks,
          parser: deps.parser,
        },
      );
    } catch (e) {
      if (!(e instanceof ReviewFailed)) throw e;
      // the worker died on it: recorded for the operator, not retried (it would die again)
      return notReviewed(s, firstSeen, rev, `${REVIEW_FAILED}: ${e.message}`);
    }
    if (result.tooLarge) return notReviewed(s, firstSeen, rev, tooLargeText(result.tooLarge));
    const listId = store.series.byId(rev.seriesId)?.listId ?? null;
    const kept = result.review.findings.filter(
      (f) =>
        !store.policy.isIgnored({
          check: f.check,
          subject: f.subject ?? null,
          seriesId: rev.seriesId,
          listId,
        }),
    );
    store.findings.record(rev.id, kept);
    log.info(
      { seriesId: rev.seriesId, revision: rev.revision, findings: kept.length, notes: result.notes },
      `reviewed v${rev.revision} of "${s.title}": ${kept.length} finding(s)`,
    );
    return deliver(s, rev);
  }

  /** Records a revision as reviewed without findings, with why as its state detail; no mail. */
  function notReviewed(s: Series, firstSeen: Date | undefined, rev: RevisionRecord, why: string): number {
    recordRevision(s, firstSeen, s.state.kind, why);
    store.findings.record(rev.id, []);
    log.warn(
      { seriesId: rev.seriesId, revision: rev.revision, reason: why },
      `v${rev.revision} of "${s.title}" not reviewed, ${why}; no mail sent`,
    );
    return 0;
  }

  function processed(id: string): boolean {
    return store.messages.seen(id)?.processedAt != null;
  }

  let ticking: Promise<TickReport> | null = null;

  async function tickNow(): Promise<TickReport> {
    const raws = store.messages.rawUnprocessed();
    const received = new Map<string, Date>();
    const mails: PatchMail[] = [];
    for (const r of raws) {
      store.messages.markSeen(r.messageId, r.source); // a crash between saveRaw and markSeen
      const m = parseMailSync(r.raw).value;
      mails.push(m);
      received.set(r.messageId, new Date(r.receivedAt));
    }
    const set = buildSeries(mails).value;
    const firstSeenOf = (s: Series): Date | undefined => {
      const times = seriesMessageIds(s)
        .map((id) => received.get(id))
        .filter((d): d is Date => d !== undefined);
      return times.length ? new Date(Math.min(...times.map((d) => d.getTime()))) : undefined;
    };
    const byId = new Map(set.series.map((s) => [s.id, s]));
    const decisions = planQueue(set, {
      now: deps.now(),
      firstSeen: (id) => {
        const s = byId.get(id);
        return s ? firstSeenOf(s) : undefined;
      },
      reviewed: (id) => {
        const s = byId.get(id);
        const r = s ? storedRevision(s) : null;
        return r !== null && (r.reviewedAt !== null || r.supersededBy !== null || r.state === 'corrupted');
      },
      incompleteAfterMs: deps.incompleteAfterMs,
    });
    const report: TickReport = { decisions: [], queued: 0, send: null, processed: 0 };
    const waiting = new Set<string>();
    const failed = (s: Series, e: unknown): void => {
      // one series' failure must not hold up the others; its mail stays unprocessed for the next tick
      for (const id of seriesMessageIds(s)) waiting.add(id);
      log.error({ series: s.id, err: reason(e) }, `series "${s.title}" v${s.revision} failed: ${reason(e)}`);
    };
    // sends run one at a time: after each review that queued replies, and once at the end
    const sends: SendReport[] = [];
    const sendOnce = async (): Promise<void> => {
      sends.push(
        await sendPending({
          outbox: store.outbox,
          transport: deps.transport,
          policy: deps.policy,
          dryRunDir: deps.dryRunDir,
          stopFile: deps.stopFile ?? null,
          ...(!recovered && deps.probe ? { probe: deps.probe } : {}),
          log,
          now: deps.now,
        }),
      );
      recovered = true;
    };
    let sending = Promise.resolve();
    const sendSoon = (): void => {
      sending = sending.then(sendOnce).catch((e) => {
        log.error({ err: reason(e) }, `sending replies failed: ${reason(e)}`);
      });
    };
    // the series of this tick are reviewed side by side (in the pool's workers): a slow one
    // holds up no other, and each one's replies leave as soon as they are queued
    const reviews: Promise<void>[] = [];
    const reviewAndSend = async (s: Series): Promise<void> => {
      try {
        const queued = await review(s, firstSeenOf(s));
        report.queued += queued;
        if (queued > 0) sendSoon();
      } catch (e) {
        failed(s, e);
      }
    };
    for (const d of decisions) {
      report.decisions.push({ kind: d.kind, series: d.series.id, revision: d.series.revision });
      const s = d.series;
      try {
        switch (d.kind) {
          case 'review':
            reviews.push(reviewAndSend(s));
            break;
          case 'superseded': {
            const old = recordRevision(s, firstSeenOf(s));
            const top = storedRevision(d.by) ?? recordRevision(d.by, firstSeenOf(d.by));
            store.series.supersede(old.id, top.id);
            log.info(
              { lineage: s.lineage },
              `v${s.revision} of "${s.title}" superseded by v${d.by.revision}`,
            );
            break;
          }
          case 'record-only': {
            recordRevision(s, firstSeenOf(s), 'corrupted');
            log.warn(
              { series: s.id, reasons: s.state.kind === 'corrupted' ? s.state.reasons : [] },
              `v${s.revision} of "${s.title}" is corrupted (${stateDetail(s)}): recorded, not answered`,
            );
            break;
          }
          case 'wait':
            recordRevision(s, firstSeenOf(s));
            for (const id of seriesMessageIds(s)) waiting.add(id);
            log.debug?.(
              { series: s.id, until: d.until.toISOString() },
              `waiting for ${stateDetail(s)} of "${s.title}"`,
            );
            break;
          case 'done': {
            // reviewed, but none of its mail processed: a crash may have come before the replies
            // were queued; queue them again (the outbox keeps one per key)
            const rev = storedRevision(s);
            if (
              rev?.reviewedAt &&
              rev.supersededBy === null &&
              ![...(rev.coverMessageId ? [rev.coverMessageId] : []), ...rev.patchMessageIds].some(processed)
            )
              report.queued += deliver(s, rev);
            break;
          }
        }
      } catch (e) {
        failed(s, e);
      }
    }
    await Promise.all(reviews);
    if (deps.digestTo) {
      try {
        const d = enqueueDigestIfDue({
          store,
          to: deps.digestTo,
          from: deps.policy.bot,
          now: deps.now(),
          messageIdFor: deps.messageIdFor,
          ...(deps.digestEveryMs ? { everyMs: deps.digestEveryMs } : {}),
        });
        report.digest = d.kind;
        if (d.kind === 'queued')
          log.info(
            { to: deps.digestTo, since: d.since },
            `digest since ${d.since} queued for ${deps.digestTo}`,
          );
      } catch (e) {
        log.error({ err: reason(e) }, `digest for ${deps.digestTo} failed: ${reason(e)}`);
      }
    }
    await sending;
    await sendOnce();
    report.send = {
      outcomes: sends.flatMap((r) => r.outcomes),
      stopped: sends.some((r) => r.stopped),
      recovered: sends.find((r) => r.recovered !== null)?.recovered ?? null,
    };
    for (const r of raws) {
      if (waiting.has(r.messageId)) continue;
      try {
        store.messages.markProcessed(r.messageId);
        report.processed++;
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
        log.debug?.({ messageId: r.messageId }, reason(e));
      }
    }
    return report;
  }

  /** One tick at a time: a tick started while another runs waits for it and then runs. */
  function tick(): Promise<TickReport> {
    const run = (ticking ?? Promise.resolve()).then(tickNow, tickNow);
    ticking = run.catch(() => null as unknown as TickReport);
    return run;
  }

  return { ingest, tick };
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
