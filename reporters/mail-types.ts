/**
 * A mail the bot may send, as pure data (reporters/email.ts builds them; app/mail/ queues and
 * sends them; parsers/mail-writer.ts writes them out). Header values never contain CR or LF:
 * builders must strip them.
 */
import type { MailMessage } from '../parsers/mail-writer.js';

export interface OutgoingMail extends MailMessage {
  /** Stable key: the same review of the same message gives the same key (the outbox dedupes on it). */
  key: string;
  /** The Message-ID of the patch (or cover letter) this replies to, and the fingerprints it reports. */
  about: { messageId: string; fingerprints: string[] };
}
