/**
 * The outbox aggregate (app/mail/types.ts Outbox): the replies and digests to send, one per key,
 * moved pending -> sending -> sent (or failed) in write transactions, so two senders never claim
 * the same mail and a crash never sends one twice. Each mail's To and Cc addresses are kept for
 * the per-list daily caps.
 */
import type { OutgoingMail } from '../../reporters/mail-types.js';
import type { Outbox, OutboxEntry, OutboxState } from '../mail/types.js';
import { StoreError } from './db.js';
import {
  Aggregate,
  addressOf,
  intArg,
  isoTime,
  nonEmpty,
  num,
  type Row,
  str,
  strOrNull,
  toJson,
} from './sql.js';

/** The outbox entry with what `kapi-review outbox list` shows besides the contract's fields. */
export interface OutboxRow extends OutboxEntry {
  /** The To and Cc addresses, lower case. */
  recipients: string[];
  revisionId: number | null;
  createdAt: string;
  updatedAt: string;
  claimedAt: string | null;
  sentAt: string | null;
}

export class OutboxRepo extends Aggregate implements Outbox {
  /**
   * Adds a mail unless one with the same key exists (then returns that one, unchanged). The entry
   * is linked to the revision whose patch or cover letter `mail.about.messageId` names, if any.
   */
  enqueue(mail: OutgoingMail): OutboxEntry {
    nonEmpty('mail.key', mail.key);
    const json = toJson('mail', mail);
    const tx = this.db.transaction((): OutboxEntry => {
      const existing = this.db.prepare('SELECT * FROM outbox WHERE key = ?').get(mail.key) as Row | undefined;
      if (existing) return outboxEntry(existing);
      const about = mail.about?.messageId ?? null;
      const rev = about
        ? (this.db
            .prepare(
              `SELECT id FROM revisions
               WHERE cover_message_id = ? OR id IN (SELECT revision_id FROM revision_patches WHERE message_id = ?)
               ORDER BY revision DESC LIMIT 1`,
            )
            .pluck()
            .get(about, about) as number | undefined)
        : undefined;
      const t = this.now().toISOString();
      const r = this.db
        .prepare(
          `INSERT INTO outbox (key, mail, state, attempts, about_message_id, revision_id, created_at, updated_at)
           VALUES (?, ?, 'pending', 0, ?, ?, ?, ?) RETURNING *`,
        )
        .get(mail.key, json, about, rev ?? null, t, t) as Row;
      const ins = this.db.prepare(
        'INSERT OR IGNORE INTO outbox_recipients (outbox_id, address) VALUES (?, ?)',
      );
      for (const a of [...(mail.to ?? []), ...(mail.cc ?? [])]) {
        const addr = addressOf(a);
        if (addr) ins.run(r.id, addr);
      }
      return outboxEntry(r);
    });
    return tx.immediate();
  }

  /**
   * Moves up to `limit` pending entries, oldest first, to 'sending' and returns them. Atomic
   * across connections and processes: the select and the update share one write transaction, so
   * two claimers never get the same entry. Entries left in 'sending' by a crash are not claimed
   * again: see `stuck`.
   */
  claim(limit: number): OutboxEntry[] {
    intArg('limit', limit, 0, 100_000);
    const tx = this.db.transaction((): OutboxEntry[] => {
      const ids = this.db
        .prepare("SELECT id FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?")
        .pluck()
        .all(limit) as number[];
      const t = this.now().toISOString();
      const upd = this.db.prepare(
        `UPDATE outbox SET state = 'sending', claimed_at = ?, updated_at = ?
         WHERE id = ? AND state = 'pending' RETURNING *`,
      );
      const out: OutboxEntry[] = [];
      for (const id of ids) {
        const r = upd.get(t, t, id) as Row | undefined;
        if (r) out.push(outboxEntry(r));
      }
      return out;
    });
    return tx.immediate();
  }

  /** Records a claimed entry as sent. Marking a sent entry again changes nothing. */
  markSent(id: number, info: string): void {
    this.transition(id, ['sending'], 'sent', (t) => ({ sent_info: info, sent_at: t }), 'sent');
  }

  /** Counts a failed attempt and keeps the error: back to 'pending' when `retry`, else 'failed'. */
  markFailed(id: number, error: string, retry: boolean): void {
    this.transition(
      id,
      ['sending'],
      retry ? 'pending' : 'failed',
      () => ({ last_error: error }),
      undefined,
      true,
    );
  }

  /** Entries in 'sending': after a crash, the ones whose fate the sender must settle. */
  stuck(): OutboxEntry[] {
    const rows = this.db.prepare("SELECT * FROM outbox WHERE state = 'sending' ORDER BY id").all() as Row[];
    return rows.map(outboxEntry);
  }

  /** 'sending' back to 'pending', without counting an attempt. A pending entry stays as it is. */
  requeue(id: number): void {
    this.transition(id, ['sending'], 'pending', () => ({}), 'pending');
  }

  /** For the operator: a failed entry back to 'pending' (its attempts and last error kept). */
  retryFailed(id: number): void {
    this.transition(id, ['failed'], 'pending', () => ({}), 'pending');
  }

  /**
   * Mails sent at or after `isoTime`; with `list`, only those with the list's address (bare, or
   * as `Name <address>`) among their To or Cc addresses, compared without case.
   */
  sentSince(isoTime_: string, list?: string): number {
    const since = isoTime('sentSince time', isoTime_);
    if (list === undefined)
      return num(
        this.db
          .prepare("SELECT count(*) FROM outbox WHERE state = 'sent' AND sent_at >= ?")
          .pluck()
          .get(since),
      );
    const addr = addressOf(list);
    if (!addr) throw new StoreError(`sentSince: no address in list ${JSON.stringify(list)}`);
    return num(
      this.db
        .prepare(
          `SELECT count(*) FROM outbox o JOIN outbox_recipients r ON r.outbox_id = o.id
           WHERE r.address = ? AND o.state = 'sent' AND o.sent_at >= ?`,
        )
        .pluck()
        .get(addr, since),
    );
  }

  /** The entry whose mail has this Message-ID (without brackets): is a message one of ours? */
  byMessageId(messageId: string): OutboxEntry | null {
    const r = this.db
      .prepare("SELECT * FROM outbox WHERE json_extract(mail, '$.messageId') = ? ORDER BY id LIMIT 1")
      .get(messageId) as Row | undefined;
    return r ? outboxEntry(r) : null;
  }

  /** An entry by its id, or null. */
  entry(id: number): OutboxEntry | null {
    const r = this.db.prepare('SELECT * FROM outbox WHERE id = ?').get(id) as Row | undefined;
    return r ? outboxEntry(r) : null;
  }

  /** Entries with their times and list, oldest first, for `kapi-review outbox list`. */
  list(q: { state?: OutboxState; limit?: number; offset?: number } = {}): OutboxRow[] {
    const limit = intArg('limit', q.limit ?? 100, 1, 10_000);
    const offset = intArg('offset', q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const rows = (
      q.state === undefined
        ? this.db.prepare('SELECT * FROM outbox ORDER BY id LIMIT ? OFFSET ?').all(limit, offset)
        : this.db
            .prepare('SELECT * FROM outbox WHERE state = ? ORDER BY id LIMIT ? OFFSET ?')
            .all(q.state, limit, offset)
    ) as Row[];
    return rows.map((r) => ({
      ...outboxEntry(r),
      recipients: this.db
        .prepare('SELECT address FROM outbox_recipients WHERE outbox_id = ? ORDER BY address')
        .pluck()
        .all(r.id) as string[],
      revisionId: r.revision_id === null ? null : num(r.revision_id),
      createdAt: str(r.created_at),
      updatedAt: str(r.updated_at),
      claimedAt: strOrNull(r.claimed_at),
      sentAt: strOrNull(r.sent_at),
    }));
  }

  private transition(
    id: number,
    from: readonly OutboxState[],
    to: OutboxState,
    set: (t: string) => Record<string, string | null>,
    noopIn?: OutboxState,
    countAttempt = false,
  ): void {
    const tx = this.db.transaction(() => {
      const r = this.db.prepare('SELECT state FROM outbox WHERE id = ?').get(id) as Row | undefined;
      if (!r) throw new StoreError(`no outbox entry ${id}`);
      const state = str(r.state) as OutboxState;
      if (state === noopIn) return;
      if (!from.includes(state))
        throw new StoreError(
          `outbox entry ${id} is ${state}; it cannot become ${to} (only from ${from.join(' or ')})`,
        );
      const t = this.now().toISOString();
      const fields = set(t);
      // the column names come from this file only; the values are parameters
      const cols = Object.keys(fields);
      const attempts = countAttempt ? ', attempts = attempts + 1' : '';
      const sql = `UPDATE outbox SET state = ?, updated_at = ?${attempts}${cols.map((c) => `, ${c} = ?`).join('')} WHERE id = ?`;
      this.db.prepare(sql).run(to, t, ...cols.map((c) => fields[c] ?? null), id);
    });
    tx.immediate();
  }
}

function outboxEntry(r: Row): OutboxEntry {
  return {
    id: num(r.id),
    mail: JSON.parse(str(r.mail)) as OutgoingMail,
    state: str(r.state) as OutboxState,
    attempts: num(r.attempts),
    lastError: strOrNull(r.last_error),
    sentInfo: strOrNull(r.sent_info),
  };
}
