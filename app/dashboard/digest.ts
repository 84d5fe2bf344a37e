/**
 * The maintainer digest over the store: `collectDigest` reads what a period holds (for
 * `kapi-review summary`), `enqueueDigestIfDue` queues it as a mail through the outbox once a week
 * (for `kapi-review bot --digest-to ADDR`). The digest itself is built and rendered by
 * reporters/digest.ts.
 */
import { isOperatorOnly } from '../../checks/index.js';
import type { Severity } from '../../checks/types.js';
import {
  buildDigest,
  type Digest,
  type DigestFinding,
  type DigestRevision,
  digestSubject,
  renderDigestText,
} from '../../reporters/digest.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';
import { addressOf } from '../mail/policy.js';
import type { StoredFinding } from '../store/findings.js';
import type { Store } from '../store/store.js';

function digestFinding(f: StoredFinding): DigestFinding {
  const x = f.finding;
  return {
    check: x.check,
    severity: x.severity,
    spec: x.spec ?? null,
    subject: x.subject ?? null,
    message: x.message,
    path: x.at.path,
    line: x.at.line,
  };
}

/**
 * The digest of the period [since, until) (ISO times). `mailed`: the digest goes out as mail, so
 * operator-only findings (kapi-parse-error) are left out of it, as out of every reply; the
 * operator's own `kapi-review summary` shows them.
 */
export function collectDigest(
  store: Store,
  since: string,
  until: string,
  opts: { mailed?: boolean } = {},
): Digest {
  const shown = (f: StoredFinding): boolean => !(opts.mailed && isOperatorOnly(f.finding.check));
  const revisions: DigestRevision[] = [];
  for (const rev of store.series.revisionsActive(since, until)) {
    const series = store.series.byId(rev.seriesId);
    if (!series) continue;
    const base: DigestRevision = {
      seriesId: series.id,
      title: series.title || series.lineage,
      author: series.author,
      listId: series.listId,
      revision: rev.revision,
      state: rev.state,
      stateDetail: rev.stateDetail,
      receivedAt: rev.receivedAt,
      reviewedAt: rev.reviewedAt,
      superseded: rev.supersededBy !== null,
      previous: null,
      findings: { error: 0, warning: 0, info: 0 },
      newFindings: [],
      stillOpen: 0,
      fixed: [],
      ignored: 0,
    };
    if (rev.reviewedAt !== null) {
      const h = store.findings.history(series.id, rev.revision);
      base.previous = h.previous;
      for (const e of h.entries) {
        const findings = e.findings.filter(shown);
        for (const f of findings) base.findings[f.finding.severity as Severity]++;
        const first = findings[0];
        if (e.status === 'new' && first) base.newFindings.push(digestFinding(first));
        else if (e.status === 'still') base.stillOpen++;
      }
      for (const x of h.fixed) {
        if (!shown(x.finding)) continue;
        const f = x.finding.finding;
        const silenced = store.policy.isIgnored({
          check: f.check,
          subject: f.subject ?? null,
          seriesId: series.id,
          listId: series.listId,
        });
        if (silenced) base.ignored++;
        else base.fixed.push({ ...digestFinding(x.finding), since: x.since });
      }
    }
    revisions.push(base);
  }
  return buildDigest({ since, until, revisions });
}

export const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export interface DigestMailOptions {
  store: Store;
  /** Who gets the digest (an address, or `Name <address>`). */
  to: string;
  /** The bot's From. */
  from: string;
  now: Date;
  messageIdFor: (key: string) => string;
  /** Default: a week. */
  everyMs?: number;
}

export type DigestMailResult =
  | { kind: 'started'; next: string }
  | { kind: 'not-due'; next: string }
  | { kind: 'empty'; since: string; until: string }
  | { kind: 'queued'; since: string; until: string; outboxId: number };

/** The cursor (store.cursors) that holds the end of the last digest's period for an address. */
export function digestCursor(to: string): string {
  return `digest:${addressOf(to) || to}`;
}

/**
 * Queues the digest of the period since the last one when `everyMs` has passed. The first call
 * only starts the clock. A period with nothing in it moves the cursor on without a mail. The
 * mail's key names its period, so a crash between queuing and moving the cursor never queues
 * it twice (the outbox keeps one mail per key).
 */
export function enqueueDigestIfDue(o: DigestMailOptions): DigestMailResult {
  const every = o.everyMs ?? WEEK_MS;
  const cursor = digestCursor(o.to);
  const now = o.now.toISOString();
  const last = o.store.cursors.get(cursor);
  const lastMs = last === null ? Number.NaN : Date.parse(last);
  if (last === null || Number.isNaN(lastMs)) {
    o.store.cursors.set(cursor, now);
    return { kind: 'started', next: new Date(o.now.getTime() + every).toISOString() };
  }
  if (o.now.getTime() - lastMs < every)
    return { kind: 'not-due', next: new Date(lastMs + every).toISOString() };
  const since = new Date(lastMs).toISOString();
  const digest = collectDigest(o.store, since, now, { mailed: true });
  if (digest.empty) {
    o.store.cursors.set(cursor, now);
    return { kind: 'empty', since, until: now };
  }
  const key = `digest:${addressOf(o.to) || o.to}:${since}`;
  const messageId = o.messageIdFor(key);
  const mail: OutgoingMail = {
    key,
    from: o.from,
    to: [o.to],
    cc: [],
    subject: digestSubject(digest).replace(/[\r\n]+/g, ' '),
    messageId,
    inReplyTo: null,
    references: [],
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Mailer': 'kapi-review' },
    text: renderDigestText(digest),
    about: { messageId, fingerprints: [] },
  };
  const entry = o.store.outbox.enqueue(mail);
  o.store.cursors.set(cursor, now);
  return { kind: 'queued', since, until: now, outboxId: entry.id };
}
