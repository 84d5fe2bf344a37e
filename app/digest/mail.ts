/**
 * The weekly digest mail (`kapi-review bot --digest-to ADDR`): once a period has passed, the
 * digest of it (collect.ts) is queued through the outbox like any reply, so the bot's mode, caps
 * and stop file apply to it; a cursor per address remembers where the last period ended.
 */
import { addressOf } from '../../parsers/headers.js';
import { headerText } from '../../parsers/mail-writer.js';
import { digestSubject, renderDigestText } from '../../reporters/digest.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';
import type { Store } from '../store/store.js';
import { collectDigest } from './collect.js';

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

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
    subject: headerText(digestSubject(digest)),
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
