/**
 * The messages aggregate: every Message-ID the bot has seen (with where from and when it was
 * processed) and the raw bytes of received mail, kept until its series is settled.
 */
import { StoreError } from './db.js';
import { Aggregate, isoTime, nonEmpty, num, type Row, str, strOrNull, toJson } from './sql.js';

export interface SeenMessage {
  messageId: string;
  source: string;
  info: unknown;
  seenAt: string;
  processedAt: string | null;
}

export interface RawMessage {
  messageId: string;
  source: string;
  receivedAt: string;
  raw: Buffer;
}

export class MessagesRepo extends Aggregate {
  /** Records a message as seen; returns false when it was seen before (the first record stays). */
  markSeen(messageId: string, source: string, info: unknown = null): boolean {
    nonEmpty('messageId', messageId);
    nonEmpty('source', source);
    const r = this.db
      .prepare(
        `INSERT INTO messages_seen (message_id, source, info, seen_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING`,
      )
      .run(messageId, source, info === null ? null : toJson('info', info), this.now().toISOString());
    return r.changes === 1;
  }

  isSeen(messageId: string): boolean {
    return this.db.prepare('SELECT 1 FROM messages_seen WHERE message_id = ?').get(messageId) !== undefined;
  }

  seen(messageId: string): SeenMessage | null {
    const r = this.db.prepare('SELECT * FROM messages_seen WHERE message_id = ?').get(messageId) as
      | Row
      | undefined;
    return r ? seenRow(r) : null;
  }

  /**
   * Marks a seen message processed. A message that belongs to revisions (as cover letter or patch)
   * may be marked only once each of them is settled: its review recorded, or superseded, or
   * corrupted (recorded only). Otherwise a crash could lose its review.
   */
  markProcessed(messageId: string): void {
    const tx = this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT processed_at FROM messages_seen WHERE message_id = ?')
        .get(messageId) as Row | undefined;
      if (!row) throw new StoreError(`message ${messageId} was never marked seen`);
      if (row.processed_at !== null) return;
      const open = this.db
        .prepare(
          `SELECT s.lineage, r.revision FROM revisions r JOIN series s ON s.id = r.series_id
           WHERE r.reviewed_at IS NULL AND r.superseded_by IS NULL AND r.state <> 'corrupted'
             AND (r.cover_message_id = ?
                  OR r.id IN (SELECT revision_id FROM revision_patches WHERE message_id = ?))`,
        )
        .all(messageId, messageId) as Row[];
      if (open.length > 0) {
        const which = open.map((o) => `v${num(o.revision)} of ${str(o.lineage)}`).join(', ');
        throw new StoreError(`message ${messageId} is not processed yet: no review recorded for ${which}`);
      }
      this.db
        .prepare('UPDATE messages_seen SET processed_at = ? WHERE message_id = ?')
        .run(this.now().toISOString(), messageId);
    });
    tx.immediate();
  }

  /** Seen messages not yet processed, oldest first. */
  unprocessed(): SeenMessage[] {
    const rows = this.db
      .prepare('SELECT * FROM messages_seen WHERE processed_at IS NULL ORDER BY seen_at, rowid')
      .all() as Row[];
    return rows.map(seenRow);
  }

  /**
   * Keeps the bytes of a received message (by Message-ID), so a series that waits for its missing
   * patches survives a restart. Returns false when the message was kept before (the first copy
   * stays). `receivedAt` defaults to now.
   */
  saveRaw(messageId: string, source: string, raw: Uint8Array, receivedAt?: string): boolean {
    nonEmpty('messageId', messageId);
    nonEmpty('source', source);
    if (!(raw instanceof Uint8Array)) throw new StoreError(`raw message ${messageId} must be bytes`);
    const at = receivedAt === undefined ? this.now().toISOString() : isoTime('receivedAt', receivedAt);
    const r = this.db
      .prepare(
        `INSERT INTO raw_messages (message_id, source, received_at, raw) VALUES (?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING`,
      )
      .run(messageId, source, at, Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
    return r.changes === 1;
  }

  /** The kept bytes of a message, or null. */
  raw(messageId: string): RawMessage | null {
    const r = this.db.prepare('SELECT * FROM raw_messages WHERE message_id = ?').get(messageId) as
      | Row
      | undefined;
    return r ? rawRow(r) : null;
  }

  /** Raw messages received at or after the ISO time, oldest first. */
  rawSince(isoTime_: string): RawMessage[] {
    const rows = this.db
      .prepare('SELECT * FROM raw_messages WHERE received_at >= ? ORDER BY received_at, message_id')
      .all(isoTime('since', isoTime_)) as Row[];
    return rows.map(rawRow);
  }

  /**
   * Raw messages not yet marked processed (messages_seen.processed_at unset, or never marked
   * seen), oldest first: the mail the bot still has to settle.
   */
  rawUnprocessed(): RawMessage[] {
    const rows = this.db
      .prepare(
        `SELECT r.* FROM raw_messages r LEFT JOIN messages_seen m ON m.message_id = r.message_id
         WHERE m.processed_at IS NULL ORDER BY r.received_at, r.message_id`,
      )
      .all() as Row[];
    return rows.map(rawRow);
  }
}

function seenRow(r: Row): SeenMessage {
  return {
    messageId: str(r.message_id),
    source: str(r.source),
    info: r.info === null ? null : JSON.parse(str(r.info)),
    seenAt: str(r.seen_at),
    processedAt: strOrNull(r.processed_at),
  };
}

function rawRow(r: Row): RawMessage {
  return {
    messageId: str(r.message_id),
    source: str(r.source),
    receivedAt: str(r.received_at),
    raw: r.raw as Buffer,
  };
}
