/**
 * Delivery probes (the DeliveryProbe of types.ts) for the sender's crash recovery: did a reply the
 * bot was sending when it died reach the list? The bot's replies go to the list, and the bot reads
 * the list, so the answer is wherever the bot reads it: its IMAP folder or lore.
 *
 * - Seen there: `true`.
 * - Not seen: lists deliver late (moderation queues, a slow list server, lore's archiving lag), so
 *   absence proves nothing by itself. `recover()` hands a probe only the Message-ID, so the probe
 *   asks `claimedAt` (given by the caller, e.g. from the store's outbox rows) when the entry went
 *   to 'sending'. Only when that is known and more than `graceMs` ago is the answer `false`
 *   (resend); otherwise `null` (the entry stays for the operator). Without `claimedAt`, a mail not
 *   found is always `null`.
 * - Any connection, login, folder or HTTP trouble: `null`. A probe never throws.
 */
import { ImapFlow, type Logger } from 'imapflow';
import { loreBaseUrl, messageUrl } from '../../parsers/lore-refs.js';
import { type FetchLike, HttpError, httpGet } from '../net/http.js';
import type { DeliveryProbe } from './types.js';

/** The subset of pino's logger the probes use. */
export interface ProbeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface GraceOptions {
  /** How long after the claim a mail not found counts as certainly not delivered. */
  graceMs: number;
  now: () => Date;
  /**
   * When the outbox entry with this Message-ID went to 'sending', or null when unknown. Without
   * it a mail not found is never called undelivered.
   */
  claimedAt?: (messageId: string) => Date | null;
}

export interface ImapProbeOptions extends GraceOptions {
  host: string;
  port: number;
  secure: boolean;
  auth: { user: string; pass: string };
  /** The folder the list's mail arrives in (the one the bot watches). */
  folder: string;
  log: ProbeLog;
  /** Connect, greeting and socket timeouts (default 30 s, 16 s, 60 s). */
  timeouts?: { connectMs?: number; greetingMs?: number; socketMs?: number };
}

export interface LoreProbeOptions extends GraceOptions {
  baseUrl: string;
  /** The public-inbox inbox to look in (default `all`, lore's inbox of every list). */
  inbox?: string;
  fetch?: FetchLike;
  log: ProbeLog;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** The HTTP User-Agent (app/net/http.ts userAgent). */
  userAgent?: string;
}

/** Message-IDs are compared without angle brackets and surrounding blanks. */
function bare(messageId: string): string {
  return messageId.trim().replace(/^<|>$/g, '').trim();
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `false` when the claim is known and older than the grace period, else `null`. */
function notFound(opts: GraceOptions, messageId: string, log: ProbeLog, where: string): false | null {
  let claimed: Date | null = null;
  try {
    claimed = opts.claimedAt?.(messageId) ?? null;
  } catch (err) {
    log.warn({ messageId, err: errorText(err) }, 'delivery probe: cannot tell when the entry was claimed');
  }
  if (claimed && !Number.isNaN(claimed.getTime())) {
    const ageMs = opts.now().getTime() - claimed.getTime();
    if (ageMs >= opts.graceMs) {
      log.info({ messageId, where, ageMs }, 'delivery probe: not found after the grace period');
      return false;
    }
    log.info(
      { messageId, where, ageMs, graceMs: opts.graceMs },
      'delivery probe: not found yet, too early to tell',
    );
    return null;
  }
  log.info({ messageId, where }, 'delivery probe: not found, and the claim time is unknown');
  return null;
}

const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Looks for the Message-ID in the IMAP folder the list delivers to (read-only, one connection per question). */
export function imapDeliveryProbe(opts: ImapProbeOptions): DeliveryProbe {
  const { log } = opts;
  return {
    async wasDelivered(messageId: string): Promise<boolean | null> {
      const id = bare(messageId);
      if (!id || /[\r\n"\\]/.test(id)) {
        log.warn({ messageId }, 'delivery probe: not a Message-ID that can be searched for');
        return null;
      }
      const where = `imap://${opts.host}:${opts.port}/${opts.folder}`;
      const client = new ImapFlow({
        host: opts.host,
        port: opts.port,
        secure: opts.secure,
        auth: { ...opts.auth },
        logger: quietLogger,
        connectionTimeout: opts.timeouts?.connectMs ?? 30_000,
        greetingTimeout: opts.timeouts?.greetingMs ?? 16_000,
        socketTimeout: opts.timeouts?.socketMs ?? 60_000,
      });
      // imapflow reports socket trouble as an 'error' event; unhandled it would end the process
      client.on('error', (err: unknown) => {
        log.warn({ where, err: errorText(err) }, 'delivery probe: IMAP connection error');
      });
      try {
        await client.connect();
        await client.mailboxOpen(opts.folder, { readOnly: true });
        // SEARCH HEADER is a substring match: the brackets anchor it, the envelope check makes it exact
        const uids = await client.search({ header: { 'message-id': `<${id}>` } }, { uid: true });
        if (uids === false || uids === undefined) throw new Error('the server refused the search');
        if (uids.length > 0) {
          const found = await client.fetchAll(uids, { envelope: true }, { uid: true });
          if (found.some((m) => m.envelope?.messageId && bare(m.envelope.messageId) === id)) {
            log.info({ messageId: id, where }, 'delivery probe: found');
            return true;
          }
        }
        return notFound(opts, id, log, where);
      } catch (err) {
        log.warn({ messageId: id, where, err: errorText(err) }, 'delivery probe: cannot ask the IMAP server');
        return null;
      } finally {
        if (client.usable) await client.logout().catch(() => client.close());
        else client.close();
      }
    },
  };
}

/** Asks lore (public-inbox) for `<base>/<inbox>/<escaped mid>/raw`: 200 found, 404 not (yet) there. */
export function loreDeliveryProbe(opts: LoreProbeOptions): DeliveryProbe {
  const { log } = opts;
  const inbox = opts.inbox ?? 'all';
  return {
    async wasDelivered(messageId: string): Promise<boolean | null> {
      const id = bare(messageId);
      if (!id) {
        log.warn({ messageId }, 'delivery probe: an empty Message-ID');
        return null;
      }
      const base = loreBaseUrl(opts.baseUrl);
      if (base.value === null) {
        log.warn(
          { baseUrl: opts.baseUrl, err: base.issues[0]?.message },
          'delivery probe: bad lore base URL',
        );
        return null;
      }
      const url = messageUrl(base.value, inbox, id, 'raw');
      let status: number;
      try {
        // one attempt, no waiting: trouble answers null, as the probe always did
        const res = await httpGet(
          url,
          {
            ...(opts.fetch ? { fetch: opts.fetch } : {}),
            timeoutMs: opts.timeoutMs ?? 30_000,
            retries: 0,
            now: opts.now,
            ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
          },
          {
            headers: { accept: 'text/plain, message/rfc822;q=0.9, */*;q=0.1' },
            defaultMaxBytes: 0,
            discardBody: true,
          },
        );
        status = res.status;
      } catch (err) {
        // an answer other than 2xx is still an answer; no answer at all is trouble asking
        if (err instanceof HttpError && err.status !== null) status = err.status;
        else {
          log.warn({ messageId: id, url, err: errorText(err) }, 'delivery probe: cannot ask lore');
          return null;
        }
      }
      if (status === 200) {
        log.info({ messageId: id, url }, 'delivery probe: found');
        return true;
      }
      if (status === 404) return notFound(opts, id, log, url);
      log.warn({ messageId: id, url, status }, 'delivery probe: lore gave no clear answer');
      return null;
    },
  };
}
