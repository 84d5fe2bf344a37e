/**
 * Sending through the outbox (nodemailer, SMTP), so that a crash between the server's accept and
 * the database update neither sends twice nor loses a reply.
 *
 * The protocol: `claim` moves entries to 'sending' (recorded before any SMTP traffic), the SMTP
 * transaction runs, and only the server's final 250 leads to `markSent`. A process that dies in
 * between leaves the entry in 'sending'; `recover` (run at start, before sending) asks a
 * DeliveryProbe whether the mail arrived: yes -> markSent, certainly not -> requeue, cannot tell ->
 * the entry stays in 'sending' and an error line asks the operator, since a second copy on a
 * kernel list is worse than a late one.
 *
 * Failures: a 4xx reply, or a connection lost before the end of the message data, is retried up to
 * `maxAttempts` failed attempts; a 5xx reply is permanent. A connection lost after the whole
 * message went out is the same uncertainty as a crash: the entry stays in 'sending' for `recover`.
 * A server that cannot be reached, whose certificate is not trusted, or that refuses the login
 * counts against no mail: the entry goes back to pending, the batch stops, and an error line says
 * which of these it was (a refused login or certificate is the operator's to fix, not the network's).
 *
 * TLS and authentication are nodemailer's SMTP options (`secure` for TLS from the start,
 * `requireTLS` for STARTTLS, `tls.ca` to trust a CA, `auth`); app/cli/bot.ts builds them from the
 * command line, with the password from the environment.
 *
 * What goes out is decided by the policy (policy.ts): dry-run writes the .eml file it would have
 * sent and marks the entry sent as `dry-run: <file>`, reflect sends to the operator only, and so on.
 * The message text comes from `render` (default: toEml of parsers/mail-writer.ts, the serializer
 * the goldens test), so the dry-run file and the SMTP data are the same bytes.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createTransport } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { addressOf } from '../../parsers/headers.js';
import { toEml } from '../../parsers/mail-writer.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';
import { type Delivery, decideDelivery, type MailPolicy, type SendFacts } from './policy.js';
import type { DeliveryProbe, Outbox, OutboxEntry } from './types.js';

/** The subset of pino's logger the sender uses (a pino logger fits). */
export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** SMTP options (sent over one nodemailer SMTPConnection per mail) or a nodemailer transporter. */
export type MailTransport = SMTPTransport.Options | Mail;

/** Test seams: each may throw (a crash) or wait. */
export interface SendHooks {
  /** Right before the SMTP transaction of one entry. */
  beforeSmtp?(entry: OutboxEntry): void | Promise<void>;
  /** After the server accepted the message, before markSent. */
  afterAccept?(entry: OutboxEntry, response: string): void | Promise<void>;
}

export interface SendPendingOptions {
  outbox: Outbox;
  transport: MailTransport;
  policy: MailPolicy;
  /** Where dry-run mode writes .eml files. */
  dryRunDir: string;
  /** The emergency stop file: while it exists nothing is sent or written. */
  stopFile?: string | null;
  /**
   * When given, entries left in 'sending' are recovered first (see `recover`). Pass it on the first
   * call after start; on every call only with a probe that says `false` only when certain.
   */
  probe?: DeliveryProbe;
  /** Entries claimed in one call (default 20). */
  limit?: number;
  /** Failed attempts after which a transient failure becomes permanent (default 5). */
  maxAttempts?: number;
  log: Log;
  now: () => Date;
  render?: (mail: OutgoingMail, date: Date) => string;
  hooks?: SendHooks;
}

export type Outcome =
  | 'sent'
  | 'dry-run'
  /** Back to pending by policy (stop file, cap) or because the server was unreachable. */
  | 'held'
  /** Recorded as failed for good: policy (nobody to send to, malformed) or a 5xx reply. */
  | 'dropped'
  | 'failed'
  /** Back to pending after a transient failure, to be tried again. */
  | 'retry'
  /** The connection died after the message data: left in 'sending' for `recover`. */
  | 'unknown';

export interface SendReport {
  outcomes: { id: number; messageId: string; outcome: Outcome; detail: string }[];
  /** The stop file stopped (part of) this run. */
  stopped: boolean;
  recovered: RecoverReport | null;
}

export interface RecoverReport {
  sent: number[];
  requeued: number[];
  /** Still in 'sending': nobody can tell whether they were delivered. */
  unresolved: number[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

// One sender at a time per process: a recovery must never see another call's in-flight entry.
let chain: Promise<unknown> = Promise.resolve();
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = chain.then(fn, fn);
  chain = run.catch(() => undefined);
  return run;
}

/** After a crash: settles the entries left in 'sending' by asking the probe. */
export function recover(opts: { outbox: Outbox; probe: DeliveryProbe; log: Log }): Promise<RecoverReport> {
  return exclusive(() => recoverNow(opts));
}

async function recoverNow({
  outbox,
  probe,
  log,
}: {
  outbox: Outbox;
  probe: DeliveryProbe;
  log: Log;
}): Promise<RecoverReport> {
  const report: RecoverReport = { sent: [], requeued: [], unresolved: [] };
  for (const entry of outbox.stuck()) {
    const messageId = entry.mail.messageId;
    let delivered: boolean | null;
    try {
      delivered = await probe.wasDelivered(messageId);
    } catch (err) {
      log.warn(
        { id: entry.id, messageId, err: errorText(err) },
        'outbox recovery: the delivery probe failed',
      );
      delivered = null;
    }
    if (delivered === true) {
      outbox.markSent(entry.id, `recovered: <${messageId}> was found delivered after an interrupted send`);
      report.sent.push(entry.id);
      log.info({ id: entry.id, messageId }, 'outbox recovery: already delivered, marked sent');
    } else if (delivered === false) {
      outbox.requeue(entry.id);
      report.requeued.push(entry.id);
      log.info({ id: entry.id, messageId }, 'outbox recovery: not delivered, back to pending');
    } else {
      report.unresolved.push(entry.id);
      log.error(
        { id: entry.id, messageId, to: entry.mail.to, subject: entry.mail.subject },
        'OPERATOR: an interrupted send cannot be settled (was it delivered?); the entry stays in ' +
          "'sending' and will not be sent again until someone checks and marks it sent or requeues it",
      );
    }
  }
  return report;
}

/** Claims pending entries and delivers each as the policy says. */
export function sendPending(opts: SendPendingOptions): Promise<SendReport> {
  return exclusive(() => sendNow(opts));
}

async function sendNow(opts: SendPendingOptions): Promise<SendReport> {
  const { outbox, policy, log, now, hooks } = opts;
  const render = opts.render ?? toEml;
  const maxAttempts = opts.maxAttempts ?? 5;
  const report: SendReport = { outcomes: [], stopped: false, recovered: null };
  if (opts.probe) report.recovered = await recoverNow({ outbox, probe: opts.probe, log });

  const stopFile = opts.stopFile ?? null;
  const stopped = () => stopFile !== null && existsSync(stopFile);
  if (stopped()) {
    report.stopped = true;
    log.warn({ stopFile }, 'outbox: the stop file exists, nothing is sent');
    return report;
  }

  const entries = outbox.claim(opts.limit ?? 20);
  let halt: string | null = null;
  for (const entry of entries) {
    const record = (outcome: Outcome, detail: string) =>
      report.outcomes.push({ id: entry.id, messageId: entry.mail.messageId, outcome, detail });
    if (!halt && stopped()) {
      halt = 'the emergency stop file exists';
      report.stopped = true;
      log.warn({ stopFile }, 'outbox: the stop file appeared, the rest of this run is held');
    }
    if (halt) {
      outbox.requeue(entry.id);
      record('held', halt);
      continue;
    }
    const decision = decideDelivery(entry.mail, policy, sendFacts(outbox, policy, now()));
    const logged = { id: entry.id, messageId: entry.mail.messageId, reason: decision.reason };

    if (decision.action === 'hold') {
      outbox.requeue(entry.id);
      record('held', decision.reason);
      if (decision.everything) halt = decision.reason;
      log.warn(
        logged,
        decision.everything ? 'outbox: held back, and so is the rest of this run' : 'outbox: held back',
      );
      continue;
    }
    if (decision.action === 'drop') {
      outbox.markFailed(entry.id, `policy: ${decision.reason}`, false);
      record('dropped', decision.reason);
      log.warn(logged, 'outbox: dropped by policy');
      continue;
    }

    let eml: string;
    try {
      eml = render(decision.mail, now());
    } catch (err) {
      const error = `cannot render the mail: ${errorText(err)}`;
      outbox.markFailed(entry.id, error, false);
      record('dropped', error);
      log.error({ ...logged, err: errorText(err) }, 'outbox: cannot render the mail');
      continue;
    }

    if (decision.action === 'dry-run') {
      let file: string;
      try {
        file = writeEml(opts.dryRunDir, entry, eml);
      } catch (err) {
        outbox.requeue(entry.id);
        halt = `cannot write to the dry-run folder: ${errorText(err)}`;
        record('held', halt);
        log.error(
          { ...logged, dryRunDir: opts.dryRunDir, err: errorText(err) },
          'outbox: cannot write the dry-run file',
        );
        continue;
      }
      outbox.markSent(entry.id, `dry-run: ${file}`);
      record('dry-run', file);
      log.info({ ...logged, file }, 'outbox: dry-run, written instead of sent');
      continue;
    }

    await hooks?.beforeSmtp?.(entry);
    const result = await deliver(opts.transport, envelopeOf(decision, policy), eml, entry.mail.messageId);
    if (result.ok) {
      await hooks?.afterAccept?.(entry, result.response);
      const refused = result.rejected.length ? ` (refused: ${result.rejected.join(', ')})` : '';
      const info = `${decision.mode === 'reflect' ? `reflect to ${decision.recipients[0]}` : decision.mode}: ${result.response}${refused}`;
      outbox.markSent(entry.id, info);
      record('sent', info);
      log.info({ ...logged, response: result.response, rejected: result.rejected }, 'outbox: sent');
      continue;
    }

    const failure = result;
    if (failure.kind === 'login') {
      outbox.requeue(entry.id);
      record('held', failure.error);
      halt = failure.error;
      log.error(
        { ...logged, err: failure.error },
        `OPERATOR: ${failure.error}; nothing is sent until that is fixed, the mail stays queued`,
      );
    } else if (failure.kind === 'unreachable') {
      outbox.requeue(entry.id);
      record('held', failure.error);
      halt = `the SMTP server was not reachable: ${failure.error}`;
      log.warn({ ...logged, err: failure.error }, 'outbox: SMTP server unreachable, stopping this run');
    } else if (failure.kind === 'unknown') {
      record('unknown', failure.error);
      log.error(
        { ...logged, err: failure.error },
        "outbox: the connection died after the message data; whether it was delivered is unknown, the entry stays in 'sending' for recovery",
      );
    } else if (failure.kind === 'permanent') {
      outbox.markFailed(entry.id, failure.error, false);
      record('failed', failure.error);
      log.error({ ...logged, err: failure.error }, 'outbox: permanently refused');
    } else {
      const retry = entry.attempts + 1 < maxAttempts;
      outbox.markFailed(entry.id, failure.error, retry);
      record(retry ? 'retry' : 'failed', failure.error);
      log.warn(
        { ...logged, err: failure.error, attempts: entry.attempts + 1, maxAttempts },
        retry ? 'outbox: transient failure, will retry' : 'outbox: transient failure, no attempts left',
      );
    }
  }
  return report;
}

/** The counts for the caps; the stop file was looked at just before. */
function sendFacts(outbox: Outbox, policy: MailPolicy, now: Date): SendFacts {
  const since = new Date(now.getTime() - DAY_MS).toISOString();
  const sentLastDayByList: Record<string, number> = {};
  for (const list of policy.lists) {
    const address = addressOf(list.address);
    sentLastDayByList[address] = outbox.sentSince(since, address);
  }
  return { stopped: false, sentLastDay: outbox.sentSince(since), sentLastDayByList };
}

function envelopeOf(decision: Extract<Delivery, { action: 'send' }>, policy: MailPolicy) {
  return { from: addressOf(policy.bot) || addressOf(decision.mail.from), to: decision.recipients };
}

/** Writes the file atomically (temp file, fsync, rename): a crash leaves no half-written .eml. */
function writeEml(dir: string, entry: OutboxEntry, eml: string): string {
  mkdirSync(dir, { recursive: true });
  const safeId = entry.mail.messageId.replace(/[^A-Za-z0-9._@+-]/g, '_').slice(0, 150);
  const file = join(dir, `${String(entry.id).padStart(6, '0')}-${safeId}.eml`);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, eml);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return file;
}

// ---------------------------------------------------------------------------------------------
// SMTP

type DeliverResult =
  | { ok: true; response: string; rejected: string[] }
  | {
      ok: false;
      /**
       * unreachable: no session (connect, greeting, TLS), the mail is not at fault;
       * login: the server refused our credentials or TLS setup (the operator's to fix);
       * transient/permanent: the server refused, or the connection died before the end of the data;
       * unknown: the connection died after all of the data went out.
       */
      kind: 'unreachable' | 'login' | 'transient' | 'permanent' | 'unknown';
      error: string;
    };

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
  command?: string;
  originalCode?: string;
  timeoutType?: string;
}

function refused(err: SmtpError): DeliverResult | null {
  if (typeof err.responseCode !== 'number') return null;
  const permanent = err.permanent ?? err.responseCode >= 500;
  return { ok: false, kind: permanent ? 'permanent' : 'transient', error: smtpErrorText(err) };
}

function smtpErrorText(err: SmtpError): string {
  const parts = [err.message.replace(/\s+/g, ' ').trim()];
  if (err.code) parts.push(`code ${err.code}`);
  if (err.command) parts.push(`during ${err.command}`);
  return parts.join(', ');
}

/** Node's codes for a certificate it does not trust (tls.TLSSocket's authorizationError). */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function certificateRefused(err: SmtpError): boolean {
  const codes = [err.code, err.originalCode, (err.cause as SmtpError | undefined)?.code];
  return (
    codes.some((c) => c !== undefined && CERTIFICATE_CODES.has(c)) ||
    /self[- ]signed certificate|unable to verify|certificate has expired|Hostname\/IP does not match/i.test(
      err.message,
    )
  );
}

/**
 * A session that never started for a reason the operator must fix: a refused login (EAUTH), no
 * STARTTLS where it is required, a certificate that is not trusted. Null for anything else.
 */
function sessionRefused(err: SmtpError, options: SMTPTransport.Options | null): DeliverResult | null {
  if (err.code === 'EAUTH') {
    const user = (options?.auth as { user?: string } | undefined)?.user;
    return {
      ok: false,
      kind: 'login',
      error: `the SMTP server refused the login${user ? ` as ${user}` : ''}: ${smtpErrorText(err)}`,
    };
  }
  if (certificateRefused(err))
    return {
      ok: false,
      kind: 'login',
      error: `the SMTP server's certificate is not trusted (--smtp-ca names a CA to trust): ${smtpErrorText(err)}`,
    };
  if (err.code === 'ETLS' || /STARTTLS/i.test(err.message))
    return {
      ok: false,
      kind: 'login',
      error: `no TLS with the SMTP server, and the credentials are never sent without it: ${smtpErrorText(err)}`,
    };
  return null;
}

async function deliver(
  transport: MailTransport,
  envelope: { from: string; to: string[] },
  eml: string,
  messageId: string,
): Promise<DeliverResult> {
  try {
    if (isTransporter(transport)) return await deliverWithTransporter(transport, envelope, eml);
    if (transport.url || transport.service || transport.getSocket) {
      const transporter = createTransport(transport);
      try {
        return await deliverWithTransporter(transporter, envelope, eml);
      } finally {
        transporter.close();
      }
    }
    return await deliverWithConnection(transport, envelope, eml);
  } catch (err) {
    // not an SMTP answer but a fault of ours or of the library: nobody knows what went out
    return {
      ok: false,
      kind: 'unknown',
      error: `unexpected error while sending <${messageId}>: ${errorText(err)}`,
    };
  }
}

function isTransporter(t: MailTransport): t is Mail {
  return typeof (t as Mail).sendMail === 'function';
}

/**
 * One SMTPConnection per mail. The message goes in as a stream of our own, so we know whether the
 * connection died before the end of the data (the server cannot have the mail: the terminating
 * dot never went out) or after it (it may have).
 */
function deliverWithConnection(
  options: SMTPTransport.Options,
  envelope: { from: string; to: string[] },
  eml: string,
): Promise<DeliverResult> {
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let dataEnded = false;
    const conn = new SMTPConnection({
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
      ...options,
    });
    const finish = (result: DeliverResult) => {
      if (settled) return;
      settled = true;
      if (result.ok) conn.quit();
      else conn.close();
      resolve(result);
    };
    const fail = (err: SmtpError) => {
      if (!connected) {
        finish(sessionRefused(err, options) ?? { ok: false, kind: 'unreachable', error: smtpErrorText(err) });
        return;
      }
      const answer = refused(err);
      if (answer) finish(answer);
      else if (dataEnded) finish({ ok: false, kind: 'unknown', error: smtpErrorText(err) });
      else finish({ ok: false, kind: 'transient', error: smtpErrorText(err) });
    };
    conn.on('error', (err: SmtpError) => fail(err));
    conn.connect((err) => {
      if (err) return fail(err);
      const send = () => {
        connected = true;
        const data = Readable.from([Buffer.from(eml, 'utf8')], { objectMode: false });
        data.on('end', () => {
          dataEnded = true;
        });
        conn.send(
          { from: envelope.from, to: envelope.to, use8BitMime: !isAscii(eml) },
          data,
          (sendErr, info) => {
            if (sendErr) return fail(sendErr);
            finish({ ok: true, response: info.response, rejected: info.rejected ?? [] });
          },
        );
      };
      if (!options.auth) return send();
      conn.login(options.auth as SMTPConnection.AuthenticationType, (loginErr) => {
        if (loginErr) return fail(loginErr);
        send();
      });
    });
  });
}

/** Through a transporter we cannot see how far the data got: a mid-session drop counts as unknown. */
async function deliverWithTransporter(
  transporter: Mail,
  envelope: { from: string; to: string[] },
  eml: string,
): Promise<DeliverResult> {
  try {
    const info = await transporter.sendMail({ envelope, raw: eml });
    return { ok: true, response: String(info.response ?? 'accepted'), rejected: info.rejected ?? [] };
  } catch (e) {
    const err = e as SmtpError;
    const session = sessionRefused(err, null);
    if (session) return session;
    const answer = refused(err);
    if (answer) return answer;
    const beforeSession =
      ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(
        err.originalCode ?? '',
      ) ||
      ['CONNECT_TIMEOUT', 'GREETING_TIMEOUT'].includes(err.timeoutType ?? '') ||
      ['EDNS', 'EAUTH', 'ENOAUTH', 'ECONFIG', 'ETLS', 'EPROXY'].includes(err.code ?? '');
    return { ok: false, kind: beforeSession ? 'unreachable' : 'unknown', error: smtpErrorText(err) };
  }
}

function isAscii(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') === text.length;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
