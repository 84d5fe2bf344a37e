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
  /** Failed delivery attempts so far: markFailed counts one; claim, requeue and markSent do not. */
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
  /** Counts a failed attempt and keeps the error; `retry` puts it back to 'pending', else 'failed'. */
  markFailed(id: number, error: string, retry: boolean): void;
  /**
   * After a crash: entries left in 'sending'. The sender decides, per entry, whether the server
   * already has it (then markSent) or not (then back to pending): never send twice, never lose one.
   */
  stuck(): OutboxEntry[];
  /** 'sending' back to 'pending' without counting an attempt (recovery, or a send held by policy). */
  requeue(id: number): void;
  /**
   * Mails sent since the given ISO time (for daily caps), optionally for one list: a mail is for a
   * list when the list's address is among its To or Cc addresses (compared without case).
   */
  sentSince(isoTime: string, list?: string): number;
}

/**
 * Whether a mail with this Message-ID (without angle brackets) reached its destination, asked after
 * a crash for entries left in 'sending'. In production: the list archive, the bot's IMAP folder or
 * lore. `true` only when the mail is seen there; `false` only when it certainly is not there (a
 * resend must not make a second copy); `null` when it cannot tell, and then the entry stays in
 * 'sending' for the operator.
 */
export interface DeliveryProbe {
  wasDelivered(messageId: string): Promise<boolean | null>;
}

/** Where a source keeps its position (lore feed cursor, IMAP last UID), so restarts resume. */
export interface CursorStore {
  get(source: string): string | null;
  set(source: string, value: string): void;
}
