/**
 * SMTP as a public bot needs it: TLS (STARTTLS, or from the start) to a real smtp-server on
 * loopback that requires a login, its certificate issued at test time by a CA of our own that
 * --smtp-ca trusts (test/helpers/tls-cert.ts). The options are built by the CLI's own
 * smtpTransport (app/cli/bot.ts), the mail goes through the outbox (app/mail/sender.ts): the
 * server that requires the login gets the mail; a wrong password, an untrusted certificate or a
 * server without STARTTLS each give one clear error and leave the mail queued, never dropped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotOptions } from '../../app/cli/bot.js';
import { smtpTransport } from '../../app/cli/bot.js';
import { UsageError } from '../../app/cli/usage.js';
import { type MailTransport, sendPending } from '../../app/mail/sender.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import { reply, testPolicy } from '../helpers/sender-suite.js';
import { captureLog, type SmtpFixture, startSmtp } from '../helpers/smtp-fixture.js';
import { makeCertificates, type TestCertificates } from '../helpers/tls-cert.js';

const USER = 'kapi-bot';
const PASS = 'correct horse battery staple';
const ENV = { KAPI_SMTP_TEST_PASS: PASS, KAPI_SMTP_WRONG: 'Tr0ub4dor&3' };

let certs: TestCertificates;
let starttls: SmtpFixture;
let implicit: SmtpFixture;
let plain: SmtpFixture;

beforeAll(async () => {
  certs = makeCertificates();
  const auth = { user: USER, pass: PASS };
  [starttls, implicit, plain] = await Promise.all([
    startSmtp({ auth, tls: { key: certs.key, cert: certs.cert } }),
    startSmtp({ auth, tls: { key: certs.key, cert: certs.cert, implicit: true } }),
    startSmtp(),
  ]);
});

afterAll(async () => {
  await Promise.all([starttls?.close(), implicit?.close(), plain?.close()]);
  certs?.cleanup();
});

type SmtpOpts = Pick<BotOptions, 'smtpTls' | 'smtpUser' | 'smtpPassEnv' | 'smtpCa'>;

function transportFor(server: SmtpFixture, opts: SmtpOpts): Promise<MailTransport> {
  return smtpTransport({ smtpHost: '127.0.0.1', smtpPort: String(server.port), ...opts }, ENV);
}

/** One reply through a fresh outbox over `transport`: the outcome, the outbox and the log. */
async function sendOne(transport: MailTransport) {
  const outbox = new MemoryOutbox(() => new Date('2026-03-02T10:00:00Z'));
  outbox.enqueue(reply(1));
  const logs = captureLog();
  const report = await sendPending({
    outbox,
    transport,
    policy: testPolicy(),
    dryRunDir: join(tmpdir(), 'kapi-never-written'),
    log: logs.log,
    now: () => new Date('2026-03-02T10:00:00Z'),
  });
  return { outcome: report.outcomes[0], entry: outbox.all()[0], lines: logs.lines };
}

const login = { smtpUser: USER, smtpPassEnv: 'KAPI_SMTP_TEST_PASS' };

describe('SMTP with TLS and a login', () => {
  it('STARTTLS with the CA from --smtp-ca and the password from the environment: the server that requires the login gets the mail', async () => {
    const before = starttls.received.length;
    const sent = await sendOne(
      await transportFor(starttls, { ...login, smtpTls: 'starttls', smtpCa: certs.caFile }),
    );
    expect(sent.outcome?.outcome).toBe('sent');
    expect(sent.entry?.state).toBe('sent');
    const got = starttls.received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ user: USER, secure: true, envelopeFrom: 'bot@kapi.example.org' });
    expect(got[0]?.mail.messageId).toBe(reply(1).messageId);
  });

  it('auto with a login requires STARTTLS; TLS from the start with --smtp-tls tls', async () => {
    const before = starttls.received.length;
    expect(
      (await sendOne(await transportFor(starttls, { ...login, smtpCa: certs.caFile }))).outcome?.outcome,
    ).toBe('sent');
    expect(starttls.received.slice(before).map((m) => m.secure)).toEqual([true]);
    const sent = await sendOne(
      await transportFor(implicit, { ...login, smtpTls: 'tls', smtpCa: certs.caFile }),
    );
    expect(sent.outcome?.outcome).toBe('sent');
    expect(implicit.received.at(-1)).toMatchObject({ user: USER, secure: true });
  });

  it('a wrong password: one clear error naming the login, the mail stays queued with no attempt counted', async () => {
    const before = starttls.received.length;
    const logins = starttls.logins.length;
    const sent = await sendOne(
      await transportFor(starttls, { smtpUser: USER, smtpPassEnv: 'KAPI_SMTP_WRONG', smtpCa: certs.caFile }),
    );
    expect(sent.outcome?.outcome).toBe('held');
    expect(sent.outcome?.detail).toMatch(/^the SMTP server refused the login as kapi-bot: .*535/);
    expect(sent.entry).toMatchObject({ state: 'pending', attempts: 0 });
    expect(starttls.logins.slice(logins)).toEqual([{ user: USER, ok: false }]);
    expect(starttls.received.length).toBe(before);
    const errors = sent.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(
      /^OPERATOR: the SMTP server refused the login as kapi-bot: .*the mail stays queued$/,
    );
    // the password is in no log line
    expect(JSON.stringify(sent.lines)).not.toContain(ENV.KAPI_SMTP_WRONG);
  });

  it('a certificate nobody said to trust: no login is tried, the error says how to trust it, the mail stays queued', async () => {
    const logins = starttls.logins.length;
    const sent = await sendOne(await transportFor(starttls, { ...login, smtpTls: 'starttls' }));
    expect(sent.outcome?.outcome).toBe('held');
    expect(sent.outcome?.detail).toMatch(/certificate is not trusted \(--smtp-ca names a CA to trust\)/);
    expect(sent.entry?.state).toBe('pending');
    expect(starttls.logins.length).toBe(logins);
  });

  it('a server that offers no STARTTLS never gets the password', async () => {
    const sent = await sendOne(await transportFor(plain, login));
    expect(sent.outcome?.outcome).toBe('held');
    expect(sent.outcome?.detail).toMatch(/no TLS with the SMTP server/);
    expect(sent.entry?.state).toBe('pending');
    expect(plain.received).toHaveLength(0);
  });
});

describe('the SMTP options', () => {
  it('builds what nodemailer takes, and says what is wrong with a bad combination', async () => {
    const base = { smtpHost: 'mail.example.org', smtpPort: '587' };
    expect(await smtpTransport(base, {})).toEqual({ host: 'mail.example.org', port: 587 });
    expect(await smtpTransport({ ...base, smtpPort: '465' }, {})).toEqual({
      host: 'mail.example.org',
      port: 465,
      secure: true,
    });
    expect(await smtpTransport({ ...base, ...login }, ENV)).toEqual({
      host: 'mail.example.org',
      port: 587,
      requireTLS: true,
      auth: { user: USER, pass: PASS },
    });
    const fails = (opts: Partial<BotOptions>, env: NodeJS.ProcessEnv = ENV) =>
      expect(smtpTransport({ ...base, ...opts }, env)).rejects.toThrow(UsageError);
    await fails({ smtpUser: USER });
    await fails({ smtpPassEnv: 'KAPI_SMTP_TEST_PASS' });
    await fails(login, {});
    await fails({ ...login, smtpTls: 'none' });
    await fails({ smtpTls: 'sometimes' });
    await expect(smtpTransport({ ...base, smtpCa: '/nonexistent/ca.pem' }, {})).rejects.toThrow(
      /--smtp-ca \/nonexistent\/ca.pem: ENOENT/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'kapi-ca-'));
    try {
      writeFileSync(join(dir, 'notes.txt'), 'not a certificate\n');
      await expect(smtpTransport({ ...base, smtpCa: join(dir, 'notes.txt') }, {})).rejects.toThrow(
        /no PEM certificate in it/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // a relay on loopback may take a login without TLS, when told so
    expect(
      await smtpTransport({ smtpHost: 'localhost', smtpPort: '25', smtpTls: 'none', ...login }, ENV),
    ).toMatchObject({ ignoreTLS: true, auth: { user: USER } });
  });
});
