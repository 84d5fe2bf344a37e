/**
 * Series out: one tick of the bot, as its steps. collect rebuilds the series from the raw mail not
 * yet processed; plan decides what each needs now (app/bot/queue.ts); each decision is acted on
 * (review, supersede, record a corrupted series, wait, or queue again the replies a crash lost);
 * the digest is queued when due; the outbox is sent (the policy decides what leaves, see
 * app/mail/policy.ts); the checks owed to patchwork are posted when it is configured
 * (app/bot/patchwork.ts); sweep marks processed the mail of settled revisions. Calling it again does
 * nothing new: the outbox dedupes on the reply's key, settled revisions are 'done', and processed
 * mail is not read again.
 *
 * Reviews run in worker threads (app/review/pool.ts), the series of one tick side by side, each
 * within its limits (app/review/limits.ts); a series' replies are sent as soon as its review is
 * recorded, not after the slowest series of the tick.
 */
import type { PatchMail } from '../../parsers/mail.js';
import { parseMailSync } from '../../parsers/mail.js';
import { buildSeries, type Series, type SeriesSet } from '../../parsers/series.js';
import { enqueueDigestIfDue } from '../digest/mail.js';
import { type SendReport, sendPending } from '../mail/sender.js';
import { checkIds, submitReview } from '../review/job.js';
import { tooLargeText } from '../review/limits.js';
import { ReviewFailed, sharedReviewPool } from '../review/pool.js';
import { seriesInput } from '../review/run.js';
import { StoreError } from '../store/db.js';
import type { RawMessage } from '../store/messages.js';
import type { RevisionRecord } from '../store/series.js';
import { postPatchworkChecks, queuePatchworkChecks } from './patchwork.js';
import { type Decision, planQueue } from './queue.js';
import {
  deliver,
  REVIEW_FAILED,
  recordRevision,
  seriesMessageIds,
  stateDetail,
  storedRevision,
} from './revisions.js';
import { type BotState, reason, type TickReport } from './state.js';

/** The mail of one tick, as series. */
export interface Collected {
  /** The raw mail not processed before this tick. */
  raws: RawMessage[];
  set: SeriesSet;
  /** When the bot first received any mail of a series (by the raw mail's arrival). */
  firstSeenOf(s: Series): Date | undefined;
}

/** The raw mail not yet processed, parsed and built into series. */
export function collect(st: BotState): Collected {
  const { store } = st.deps;
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
  return { raws, set, firstSeenOf };
}

/** What each series of the tick needs now. */
export function plan(st: BotState, c: Collected): Decision[] {
  const byId = new Map(c.set.series.map((s) => [s.id, s]));
  return planQueue(c.set, {
    now: st.deps.now(),
    firstSeen: (id) => {
      const s = byId.get(id);
      return s ? c.firstSeenOf(s) : undefined;
    },
    reviewed: (id) => {
      const s = byId.get(id);
      const r = s ? storedRevision(st, s) : null;
      return r !== null && (r.reviewedAt !== null || r.supersededBy !== null || r.state === 'corrupted');
    },
    incompleteAfterMs: st.deps.incompleteAfterMs,
  });
}

/** Records a revision as reviewed without findings, with why as its state detail; no mail. */
function notReviewed(
  st: BotState,
  s: Series,
  firstSeen: Date | undefined,
  rev: RevisionRecord,
  why: string,
): number {
  const { store, log } = st.deps;
  recordRevision(st, s, firstSeen, s.state.kind, why);
  store.findings.record(rev.id, []);
  log.warn(
    { seriesId: rev.seriesId, revision: rev.revision, reason: why },
    `v${rev.revision} of "${s.title}" not reviewed, ${why}; no mail sent`,
  );
  return 0;
}

/**
 * Reviews a series: its revision recorded first, then the findings (less the ignored ones), then
 * its replies queued. A series too large to review, or whose worker died on it, is recorded with
 * the reason for the operator and never answered nor retried. Returns the replies queued.
 */
export async function reviewSeries(st: BotState, s: Series, firstSeen: Date | undefined): Promise<number> {
  const { deps } = st;
  const { store, log } = deps;
  const rev = recordRevision(st, s, firstSeen);
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
        ...(deps.cache ? { cache: deps.cache } : {}),
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
    return notReviewed(st, s, firstSeen, rev, `${REVIEW_FAILED}: ${e.message}`);
  }
  if (result.tooLarge) return notReviewed(st, s, firstSeen, rev, tooLargeText(result.tooLarge));
  const listId = store.series.byId(rev.seriesId)?.listId ?? null;
  const kept = result.review.findings.filter(
    (f) =>
      !store.policy.isIgnored({ check: f.check, subject: f.subject ?? null, seriesId: rev.seriesId, listId }),
  );
  store.findings.record(rev.id, kept);
  log.info(
    { seriesId: rev.seriesId, revision: rev.revision, findings: kept.length, notes: result.notes },
    `reviewed v${rev.revision} of "${s.title}": ${kept.length} finding(s)`,
  );
  queuePatchworkChecks(st, s, rev);
  return deliver(st, s, rev);
}

/** The sends of one tick, one at a time: after each review that queued replies, and once at the end. */
class TickSends {
  private readonly reports: SendReport[] = [];
  private chain = Promise.resolve();

  constructor(private readonly st: BotState) {}

  /** Sends what the outbox holds; the first send after start asks about crashed sends first. */
  private async once(): Promise<void> {
    const { st } = this;
    const { deps } = st;
    this.reports.push(
      await sendPending({
        outbox: deps.store.outbox,
        transport: deps.transport,
        policy: deps.policy,
        dryRunDir: deps.dryRunDir,
        stopFile: deps.stopFile ?? null,
        ...(!st.recovered && deps.probe ? { probe: deps.probe } : {}),
        log: deps.log,
        now: deps.now,
      }),
    );
    st.recovered = true;
  }

  /** A send after the ones before it; its failure is logged, and the tick goes on. */
  soon(): void {
    this.chain = this.chain
      .then(() => this.once())
      .catch((e) => {
        this.st.deps.log.error({ err: reason(e) }, `sending replies failed: ${reason(e)}`);
      });
  }

  /** The last send, after the ones under way; what all of them did. */
  async finish(): Promise<SendReport> {
    await this.chain;
    await this.once();
    return {
      outcomes: this.reports.flatMap((r) => r.outcomes),
      stopped: this.reports.some((r) => r.stopped),
      recovered: this.reports.find((r) => r.recovered !== null)?.recovered ?? null,
    };
  }
}

/** One tick under way: its mail, its report, the mail it leaves for later, its reviews and sends. */
interface TickRun {
  st: BotState;
  collected: Collected;
  report: TickReport;
  /** Message-IDs that stay unprocessed: their series waits, or failed this tick. */
  waiting: Set<string>;
  reviews: Promise<void>[];
  sends: TickSends;
}

/** One series' failure must not hold up the others; its mail stays unprocessed for the next tick. */
function failed(run: TickRun, s: Series, e: unknown): void {
  for (const id of seriesMessageIds(s)) run.waiting.add(id);
  run.st.deps.log.error(
    { series: s.id, err: reason(e) },
    `series "${s.title}" v${s.revision} failed: ${reason(e)}`,
  );
}

async function reviewAndSend(run: TickRun, s: Series): Promise<void> {
  try {
    const queued = await reviewSeries(run.st, s, run.collected.firstSeenOf(s));
    run.report.queued += queued;
    if (queued > 0) run.sends.soon();
  } catch (e) {
    failed(run, s, e);
  }
}

/** An older revision a newer one made moot: both recorded, the old one superseded. */
function supersede(run: TickRun, s: Series, by: Series): void {
  const { st, collected } = run;
  const old = recordRevision(st, s, collected.firstSeenOf(s));
  const top = storedRevision(st, by) ?? recordRevision(st, by, collected.firstSeenOf(by));
  st.deps.store.series.supersede(old.id, top.id);
  st.deps.log.info({ lineage: s.lineage }, `v${s.revision} of "${s.title}" superseded by v${by.revision}`);
}

/** A corrupted series: recorded for the operator, not answered. */
function recordCorrupted(run: TickRun, s: Series): void {
  recordRevision(run.st, s, run.collected.firstSeenOf(s), 'corrupted');
  run.st.deps.log.warn(
    { series: s.id, reasons: s.state.kind === 'corrupted' ? s.state.reasons : [] },
    `v${s.revision} of "${s.title}" is corrupted (${stateDetail(s)}): recorded, not answered`,
  );
}

/** An incomplete series within its wait: recorded, its mail left for a later tick. */
function wait(run: TickRun, s: Series, until: Date): void {
  recordRevision(run.st, s, run.collected.firstSeenOf(s));
  for (const id of seriesMessageIds(s)) run.waiting.add(id);
  run.st.deps.log.debug?.(
    { series: s.id, until: until.toISOString() },
    `waiting for ${stateDetail(s)} of "${s.title}"`,
  );
}

/**
 * A revision reviewed before with none of its mail processed: a crash may have come before its
 * replies were queued; queue them again (the outbox keeps one per key).
 */
function redeliver(run: TickRun, s: Series): void {
  const { store } = run.st.deps;
  const processed = (id: string): boolean => store.messages.seen(id)?.processedAt != null;
  const rev = storedRevision(run.st, s);
  if (
    rev?.reviewedAt &&
    rev.supersededBy === null &&
    ![...(rev.coverMessageId ? [rev.coverMessageId] : []), ...rev.patchMessageIds].some(processed)
  ) {
    queuePatchworkChecks(run.st, s, rev);
    run.reviews.push(
      deliver(run.st, s, rev).then(
        (queued) => {
          run.report.queued += queued;
        },
        (e) => failed(run, s, e),
      ),
    );
  }
}

/** What each kind of decision does. */
const ACTIONS: { [K in Decision['kind']]: (run: TickRun, d: Extract<Decision, { kind: K }>) => void } = {
  review: (run, d) => {
    run.reviews.push(reviewAndSend(run, d.series));
  },
  superseded: (run, d) => supersede(run, d.series, d.by),
  'record-only': (run, d) => recordCorrupted(run, d.series),
  wait: (run, d) => wait(run, d.series, d.until),
  done: (run, d) => redeliver(run, d.series),
};

/**
 * Acts on one decision. Reviews are started, not awaited: the series of a tick are reviewed side
 * by side (in the pool's workers), a slow one holds up no other, and each one's replies leave as
 * soon as they are queued.
 */
function act(run: TickRun, d: Decision): void {
  run.report.decisions.push({ kind: d.kind, series: d.series.id, revision: d.series.revision });
  try {
    (ACTIONS[d.kind] as (run: TickRun, d: Decision) => void)(run, d);
  } catch (e) {
    failed(run, d.series, e);
  }
}

/** With digestTo: the digest queued when it is due; a failure is logged, never fatal. */
function queueDigest(st: BotState, report: TickReport): void {
  const { deps } = st;
  if (!deps.digestTo) return;
  try {
    const d = enqueueDigestIfDue({
      store: deps.store,
      to: deps.digestTo,
      from: deps.policy.bot,
      now: deps.now(),
      messageIdFor: deps.messageIdFor,
      ...(deps.digestEveryMs ? { everyMs: deps.digestEveryMs } : {}),
    });
    report.digest = d.kind;
    if (d.kind === 'queued')
      deps.log.info(
        { to: deps.digestTo, since: d.since },
        `digest since ${d.since} queued for ${deps.digestTo}`,
      );
  } catch (e) {
    deps.log.error({ err: reason(e) }, `digest for ${deps.digestTo} failed: ${reason(e)}`);
  }
}

/**
 * Marks the tick's raw mail processed, except the mail in `waiting`; returns how many. Mail
 * already processed by another way (a follow-up, say) is passed over.
 */
export function sweep(st: BotState, raws: readonly RawMessage[], waiting: ReadonlySet<string>): number {
  let processed = 0;
  for (const r of raws) {
    if (waiting.has(r.messageId)) continue;
    try {
      st.deps.store.messages.markProcessed(r.messageId);
      processed++;
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      st.deps.log.debug?.({ messageId: r.messageId }, reason(e));
    }
  }
  return processed;
}

/** One tick, now. */
async function tickNow(st: BotState): Promise<TickReport> {
  const collected = collect(st);
  const decisions = plan(st, collected);
  const run: TickRun = {
    st,
    collected,
    report: { decisions: [], queued: 0, send: null, processed: 0 },
    waiting: new Set<string>(),
    reviews: [],
    sends: new TickSends(st),
  };
  for (const d of decisions) act(run, d);
  await Promise.all(run.reviews);
  queueDigest(st, run.report);
  run.report.send = await run.sends.finish();
  await postPatchworkChecks(st, run.report);
  run.report.processed += sweep(st, collected.raws, run.waiting);
  return run.report;
}

/** One tick at a time: a tick started while another runs waits for it and then runs. */
export function tick(st: BotState): Promise<TickReport> {
  const now = () => tickNow(st);
  const run = (st.ticking ?? Promise.resolve()).then(now, now);
  st.ticking = run.catch(() => null as unknown as TickReport);
  return run;
}
