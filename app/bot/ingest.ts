/**
 * Mail in: one message recorded in the store, or refused with its reason. Bad mail (no
 * Message-ID, broken MIME, HTML only, over the size limit, no headers) is marked seen with the
 * reason and skipped with one log line; mail the policy does not answer is recorded as refused;
 * good mail is kept raw (so a series that waits for its missing patches survives a restart). A
 * reply to one of our reviews is a follow-up: its `kapi-review:` commands (from the patch author
 * or a maintainer, never from a bot) become ignores and mutes. Never throws on malformed mail;
 * only a store failure escapes.
 */
import { createHash } from 'node:crypto';
import { addressOf } from '../../parsers/headers.js';
import { type PatchMail, parseMailSync } from '../../parsers/mail.js';
import { mayAnswer, parseCommands } from '../mail/policy.js';
import { type BotState, reason } from './state.js';

/** Issues that make a message unusable for the bot. */
const FATAL_ISSUES = new Set([
  'mail-empty',
  'mail-no-headers',
  'mail-missing-message-id',
  'mail-broken-mime',
  'mail-html-only',
]);

/**
 * Records a message the bot cannot use as seen and processed, with why. Without a Message-ID the
 * bytes name the message, so the same bad mail is recorded (and logged) once.
 */
function reject(st: BotState, raw: Buffer, source: string, messageId: string | null, why: string): void {
  const { store, log } = st.deps;
  const id =
    messageId ??
    `no-message-id.${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@kapi-review.invalid`;
  const fresh = store.messages.markSeen(id, source, { rejected: why, size: raw.byteLength });
  if (fresh) store.messages.markProcessed(id);
  if (fresh) log.warn({ messageId: id, source, size: raw.byteLength }, `skipping mail ${id}: ${why}`);
}

/** The message parsed, when the bot can use it at all; else it is rejected and null. */
export function readMail(st: BotState, raw: Buffer, source: string): PatchMail | null {
  if (raw.byteLength > st.maxBytes) {
    const head = raw.subarray(0, 64 * 1024);
    const id = parseMailSync(head).value.messageId;
    reject(st, raw, source, id, `message of ${raw.byteLength} bytes is over the limit of ${st.maxBytes}`);
    return null;
  }
  let parsed: ReturnType<typeof parseMailSync>;
  try {
    parsed = parseMailSync(raw);
  } catch (e) {
    reject(st, raw, source, null, `the parser failed on it: ${reason(e)}`);
    return null;
  }
  const mail = parsed.value;
  const fatal = parsed.issues.filter((i) => FATAL_ISSUES.has(i.code));
  if (fatal.length > 0 || !mail.messageId) {
    reject(st, raw, source, mail.messageId, fatal.map((i) => i.message).join('; ') || 'no Message-ID');
    return null;
  }
  return mail;
}

/** Records one message: refused, a follow-up to our mail, or kept for the next tick. */
export async function ingest(st: BotState, raw: Buffer, source: string): Promise<void> {
  const { store, log } = st.deps;
  const mail = readMail(st, raw, source);
  if (mail === null) return;
  const id = mail.messageId as string;
  if (store.messages.isSeen(id) && store.messages.raw(id) === null) return; // recorded before and not kept (refused)
  const verdict = mayAnswer(mail, st.deps.policy);
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
    followUp(st, mail, parent, source);
    return;
  }
  store.messages.saveRaw(id, source, raw, st.deps.now().toISOString());
  store.messages.markSeen(id, source, { subject: mail.subject.slice(0, 200) });
}

/**
 * A reply to one of our mails: recorded on the revision it answers, and its commands obeyed
 * (ignore a check, mute the series) when they come from someone who may give them.
 */
function followUp(st: BotState, mail: PatchMail, parentId: string, source: string): void {
  const { store, log } = st.deps;
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
    maintainers: st.deps.maintainers ?? [],
    checks: st.deps.checks.map((c) => c.meta.id),
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
      log.info({ messageId: id, seriesId: rev.seriesId, by }, `series ${rev.seriesId} muted, asked by ${by}`);
    }
  }
  for (const r of refused)
    log.info({ messageId: id, line: r.line, text: r.text }, `command refused in ${id}: ${r.reason}`);
  store.messages.markProcessed(id);
}
