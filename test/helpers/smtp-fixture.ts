/**
 * A real smtp-server on loopback for the sender tests (STARTTLS and AUTH off, as the bot's tests
 * run it, unless `startSmtp` is given a certificate and a login to require), with a script of how
 * to answer each RCPT TO and each message: accept, refuse with a code, or drop the connection. It
 * records every message it took in full, and every login tried.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Log } from '../../app/mail/sender.js';
import type { DeliveryProbe } from '../../app/mail/types.js';
import { type PatchMail, parseMailSync } from '../../parsers/mail.js';

/** accept; refuse with this reply code; or close the connection without a reply. */
export type Answer = 'accept' | 'drop' | { code: number; message?: string };

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  /** The message as received (CRLF line ends, dots unstuffed). */
  raw: string;
  mail: PatchMail;
  /** Header fields in order, unfolded, names lower-cased. */
  headers: [string, string][];
  /** Who logged in for it (null: nobody), and whether the session was under TLS. */
  user: string | null;
  secure: boolean;
}

export interface SmtpOptions {
  /** Require this login (AUTH PLAIN and LOGIN, offered under TLS only). */
  auth?: { user: string; pass: string };
  /** The server's key and certificate (PEM): STARTTLS, or TLS from the start with `implicit`. */
  tls?: { key: string; cert: string; implicit?: boolean };
}

export interface SmtpFixture {
  port: number;
  /** Messages the server took in full: accepted ones, and those after which it dropped the line. */
  received: ReceivedMail[];
  /** DATA transactions that got as far as the end of the data (whatever the answer). */
  transactions: number;
  /** Answers for the next messages, consumed in order; when empty: accept. */
  dataScript: Answer[];
  /** Answers for the next RCPT TO commands, consumed in order; when empty: accept. */
  rcptScript: Answer[];
  /**
   * Called when the server holds a message, just before it answers 250: a test that kills the
   * sender here has the case "the server accepted the mail, the sender never learned it" without
   * racing the sender for the 250 (a sender that read it first would record the mail as sent).
   */
  onAccepted: ((m: ReceivedMail) => void) | null;
  /** Asks the server's own record: is a mail with this Message-ID here? */
  probe: DeliveryProbe;
  /** Every AUTH tried: the user name and whether the password was right. */
  logins: { user: string; ok: boolean }[];
  close(): Promise<void>;
}

function headerFields(raw: string): [string, string][] {
  const head = raw.replace(/\r\n/g, '\n').split('\n\n')[0] ?? '';
  const fields: [string, string][] = [];
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && fields.length) {
      const last = fields[fields.length - 1] as [string, string];
      last[1] += line;
    } else {
      const i = line.indexOf(':');
      if (i > 0) fields.push([line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()]);
    }
  }
  return fields;
}

function smtpError(answer: { code: number; message?: string }): Error & { responseCode: number } {
  return Object.assign(new Error(answer.message ?? `scripted ${answer.code}`), { responseCode: answer.code });
}

export async function startSmtp(opts: SmtpOptions = {}): Promise<SmtpFixture> {
  const dropSession = (id: string) => {
    for (const c of server.connections) if (c.id === id) c._socket.destroy();
  };
  const fx: SmtpFixture = {
    port: 0,
    received: [],
    transactions: 0,
    dataScript: [],
    rcptScript: [],
    onAccepted: null,
    logins: [],
    probe: {
      wasDelivered: async (messageId) => fx.received.some((m) => m.mail.messageId === messageId),
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    disabledCommands: [...(opts.tls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])],
    authOptional: !opts.auth,
    authMethods: ['PLAIN', 'LOGIN'],
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert, secure: opts.tls.implicit ?? false } : {}),
    onAuth(auth, _session, callback) {
      const ok = auth.username === opts.auth?.user && auth.password === opts.auth?.pass;
      fx.logins.push({ user: auth.username ?? '', ok });
      if (ok) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    logger: false,
    closeTimeout: 200,
    disableReverseLookup: true,
    onRcptTo(_address, session, callback) {
      const answer = fx.rcptScript.shift() ?? 'accept';
      if (answer === 'drop') dropSession(session.id);
      else if (answer === 'accept') callback();
      else callback(smtpError(answer));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        fx.transactions++;
        const raw = Buffer.concat(chunks).toString('utf8');
        const answer = fx.dataScript.shift() ?? 'accept';
        if (answer !== 'accept' && answer !== 'drop') return callback(smtpError(answer));
        const env = session.envelope;
        const received: ReceivedMail = {
          envelopeFrom: env.mailFrom ? env.mailFrom.address : '',
          envelopeTo: env.rcptTo.map((r) => r.address),
          raw,
          mail: parseMailSync(raw).value,
          headers: headerFields(raw),
          user: typeof session.user === 'string' ? session.user : null,
          secure: session.secure,
        };
        fx.received.push(received);
        if (answer === 'drop') return dropSession(session.id);
        fx.onAccepted?.(received);
        callback(null, `Ok: queued as q${fx.received.length}`);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fx.port = (server.server.address() as AddressInfo).port;
  return fx;
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

export function captureLog(): { log: Log; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg: string): void => {
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}
