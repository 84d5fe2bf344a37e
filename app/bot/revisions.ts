/**
 * A revision of a series as the store keeps it, and its replies. recordRevision writes what a
 * parsed series is (its lineage, mails, state) and storedRevision reads it back; deliver builds
 * the replies of a reviewed revision from its recorded findings and the series' history, and
 * queues them in the outbox (whose key keeps one per reply, so a second delivery queues nothing).
 */
import type { ScopedFinding } from '../../checks/review.js';
import { addressOf } from '../../parsers/headers.js';
import type { PatchMail } from '../../parsers/mail.js';
import { formatAddress } from '../../parsers/mail-writer.js';
import type { Series } from '../../parsers/series.js';
import { DEFAULT_SILENCE_HINT, type FindingHistory, planReplies } from '../../reporters/email.js';
import { reviewBase } from '../context/tree.js';
import { TOO_LARGE } from '../review/limits.js';
import type { RevisionRecord } from '../store/series.js';
import type { Store } from '../store/store.js';
import { specChangesOf } from './spec-changes.js';
import type { BotState } from './state.js';

/** The state detail of a revision whose review failed (recorded, never answered nor retried). */
export const REVIEW_FAILED = 'review failed';

/** The messages of a parsed series: cover letter, then patches in order. */
export function seriesMessageIds(s: Series): string[] {
  const ids = [
    s.cover?.messageId ?? null,
    ...[...s.patches].sort((a, b) => a.counter - b.counter).map((p) => p.mail.messageId),
  ];
  return ids.filter((m): m is string => m !== null);
}

/** What is wrong with a series that is not complete; null when it is. */
export function stateDetail(s: Series): string | null {
  switch (s.state.kind) {
    case 'complete':
      return null;
    case 'incomplete':
      return `missing ${s.state.missing.map((n) => `${n}/${s.expected}`).join(', ')}`;
    case 'corrupted':
      return s.state.reasons.join('; ');
  }
}

/** Whether a revision was recorded without a review: too large, or its review failed. */
function unreviewed(detail: string | null): boolean {
  return detail !== null && (detail.startsWith(TOO_LARGE) || detail.startsWith(REVIEW_FAILED));
}

function allMails(s: Series): PatchMail[] {
  return [...(s.cover ? [s.cover] : []), ...s.patches.map((p) => p.mail)];
}

/** The configured lists a series was posted to, by its mails' To and Cc, in the order they appear. */
function listsOf(st: BotState, mails: readonly PatchMail[]): string[] {
  const lists: string[] = [];
  for (const m of mails)
    for (const a of [...m.to, ...m.cc]) {
      const addr = addressOf(a);
      if (st.listAddresses.includes(addr) && !lists.includes(addr)) lists.push(addr);
    }
  return lists;
}

/** The first configured list a series was posted to (the one the store files it under). */
export function listOf(st: BotState, mails: readonly PatchMail[]): string | null {
  return listsOf(st, mails)[0] ?? null;
}

/** The stored revision of a parsed series, if the bot recorded it. */
export function storedRevision(st: BotState, s: Series): RevisionRecord | null {
  const { store } = st.deps;
  const rec = store.series.byLineage(s.lineage);
  if (!rec) return null;
  return store.series.revisions(rec.id).find((r) => r.revision === s.revision) ?? null;
}

/** Records a parsed series and its revision (again: the store keeps one per lineage and number). */
export function recordRevision(
  st: BotState,
  s: Series,
  firstSeen: Date | undefined,
  state = s.state.kind,
  detail = stateDetail(s),
): RevisionRecord {
  const { store } = st.deps;
  const mails = allMails(s);
  const sender = s.sender ? formatAddress(s.sender) : null;
  const rec = store.series.upsert({
    lineage: s.lineage,
    title: s.title,
    author: sender,
    listId: listOf(st, mails),
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

/** Each finding's history over the series' earlier revisions; undefined for a first revision. */
function historyOf(store: Store, rev: RevisionRecord): Map<string, FindingHistory> | undefined {
  const h = store.findings.history(rev.seriesId, rev.revision);
  if (h.previous === null) return undefined;
  const history = new Map<string, FindingHistory>();
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
  return history;
}

/**
 * Builds the replies of a reviewed revision from its recorded findings and queues them, the
 * summary with what changed in the specs since the previous revision (app/bot/spec-changes.ts).
 * They Cc every configured list the series was posted to; a mute of any of them, or of the
 * series, holds them all. The footer names the base by commit (app/context/tree.ts reviewBase), never by path.
 */
export async function deliver(st: BotState, s: Series, rev: RevisionRecord): Promise<number> {
  const { store, log, policy } = st.deps;
  // a revision too large to review (or whose review failed) is for the operator: no mail, ever
  if (unreviewed(rev.stateDetail)) return 0;
  const series = store.series.byId(rev.seriesId);
  const listId = series?.listId ?? null;
  const lists = listsOf(st, allMails(s));
  if (listId && !lists.includes(listId)) lists.unshift(listId);
  // asked before the mute, so that nothing runs between the mute and the queueing
  const base = await reviewBase(st.deps.tree, s.baseCommit);
  const specChanges = await specChangesOf(st, s, rev);
  if (
    store.policy.isMuted({ seriesId: rev.seriesId, listId }) ||
    lists.some((l) => store.policy.isMuted({ listId: l }))
  ) {
    log.info(
      { seriesId: rev.seriesId, revision: rev.revision },
      `series ${rev.seriesId} is muted: no mail for v${rev.revision}`,
    );
    return 0;
  }
  const findings = store.findings.ofRevision(rev.id).map((f) => f.finding as ScopedFinding);
  const history = historyOf(store, rev);
  const { mails: replies, notes } = planReplies({
    series: s,
    findings,
    ...(history ? { history } : {}),
    ...(specChanges ? { specChanges } : {}),
    policy: {
      from: policy.bot,
      lists,
      cc: lists.length > 0 ? 'list' : 'none',
      base,
      silenceHint: DEFAULT_SILENCE_HINT,
    },
    messageIdFor: st.deps.messageIdFor,
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
