/**
 * The contracts between the bot's parts, so each can be built and tested alone: the outbox (the
 * store implements it), cursors for sources (the store implements them too).
 */
import type { OutgoingMail } from '../../reporters/mail-types.js';

export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed';

export interface OutboxEntry {
  id: number;
  mail: OutgoingMail;
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  /** The SMTP server's reply or Message-ID when sent. */
  sentInfo: string | null;
}

export interface Outbox {
  /** Adds a mail unless one with the same key exists; returns the entry (new or existing). */
  enqueue(mail: OutgoingMail): OutboxEntry;
  /**
   * Moves up to `limit` pending entries to 'sending' (and entries stuck in 'sending' from a crash
   * back through recovery, see `recover`) and returns them.
   */
  claim(limit: number): OutboxEntry[];
  markSent(id: number, info: string): void;
  markFailed(id: number, error: string, retry: boolean): void;
  /**
   * After a crash: entries left in 'sending'. The sender decides, per entry, whether the server
   * already has it (then markSent) or not (then back to pending): never send twice, never lose one.
   */
  stuck(): OutboxEntry[];
  requeue(id: number): void;
  /** Mails sent since the given ISO time (for daily caps), optionally for one list. */
  sentSince(isoTime: string, list?: string): number;
}

/** Where a source keeps its position (lore feed cursor, IMAP last UID), so restarts resume. */
export interface CursorStore {
  get(source: string): string | null;
  set(source: string, value: string): void;
}
