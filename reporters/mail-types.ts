/**
 * A mail the bot may send, as pure data (reporters/email.ts builds them; app/mail/ queues and
 * sends them). Header values never contain CR or LF: builders must strip them.
 */
export interface OutgoingMail {
  /** Stable key: the same review of the same message gives the same key (the outbox dedupes on it). */
  key: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  /** Without angle brackets. */
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  /** Extra headers, e.g. Auto-Submitted, X-Mailer. */
  headers: Record<string, string>;
  /** Plain text, lines <= 72 columns where the text allows, LF line ends. */
  text: string;
  /** The Message-ID of the patch (or cover letter) this replies to, and the fingerprints it reports. */
  about: { messageId: string; fingerprints: string[] };
}
