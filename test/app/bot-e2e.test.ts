import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { type Bot, createBot, watchImap } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { main } from '../../app/cli/main.js';
import { DashboardQueries } from '../../app/dashboard/queries.js';
import type { FolderWatcher } from '../../app/sources/imap.js';
import { Store } from '../../app/store/store.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { BOT, botDeps, dryRunPolicy, LIST, memoryLog } from '../helpers/bot.js';
import { Dovecot, requireDovecot } from '../helpers/dovecot.js';
import { type SmtpFixture, startSmtp } from '../helpers/smtp-fixture.js';

/**
 * app/bot/run.ts end to end: a real dovecot (test/helpers/dovecot.ts) the bot watches, a real
 * smtp-server (test/helpers/smtp-fixture.ts) it sends to, a real SQLite state file in a temp dir,
 * the frob v1 series (fixtures/mail/base-frob-v1.mbox: cover letter and three patches) reviewed on
 * fixtures/tree-frob in 'list' mode.
 */
const KW = '$KapiReviewed';
const frob = splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')).map((m) => m.raw);
const ID = (n: number) => `20260302100000.frob-v1-${n}@example.org`;

describe('bot without IMAP: bad mail and mail commands', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('records bad mail with its reason and one log line, never throws, and skips it on the next tick', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapi-bot-'));
    dirs.push(dir);
    const store = Store.open({ path: join(dir, 'state.db'), now: () => new Date('2026-03-02T12:00:00Z') });
    const log = memoryLog();
    const bot = createBot(
      botDeps({
        store,
        now: () => new Date('2026-03-02T12:00:00Z'),
        log,
        dryRunDir: join(dir, 'eml'),
        maxMessageBytes: 4096,
      }),
    );
    const noId = Buffer.from('From: a@example.org\nSubject: [PATCH] x\n\nhello\n');
    const html = Buffer.from(
      'Message-ID: <html@example.org>\nFrom: a@example.org\nSubject: [PATCH] y\nContent-Type: text/html\n\n<p>hi</p>\n',
    );
    const big = Buffer.concat([
      Buffer.from('Message-ID: <big@example.org>\nFrom: a@example.org\n\n'),
      Buffer.alloc(5000, 'a'),
    ]);
    const fromBot = Buffer.from(
      'Message-ID: <lkp@example.org>\nFrom: kernel test robot <lkp@intel.com>\nSubject: [PATCH] z\n\nbody\n',
    );
    const brokenMime = Buffer.from(
      'Message-ID: <mime@example.org>\nFrom: a@example.org\nSubject: [PATCH] w\nMIME-Version: 1.0\n' +
        'Content-Type: multipart/mixed; boundary="never-used"\n\nno parts at all\n',
    );
    const injected = Buffer.from(
      'Message-ID: <crlf@example.org>\nFrom: a@example.org\n' +
        'Subject: =?utf-8?q?[PATCH]_v=0D=0ABcc:_evil@example.org?=\n\nhello\n',
    );
    for (const m of [noId, html, big, fromBot, noId, Buffer.alloc(0), brokenMime, injected])
      await bot.ingest(m, 'test');
    const info = (id: string): Record<string, unknown> =>
      (store.messages.seen(id)?.info ?? {}) as Record<string, unknown>;
    expect(String(info('html@example.org').rejected)).toMatch(/HTML-only/);
    expect(String(info('big@example.org').rejected)).toMatch(/over the limit/);
    expect(String(info('lkp@example.org').refused)).toMatch(/known bot/);
    expect(store.messages.isSeen('mime@example.org')).toBe(true);
    expect(JSON.stringify(info('mime@example.org'))).toMatch(/rejected/);
    expect(store.messages.isSeen('crlf@example.org')).toBe(true);
    // the same mail without a Message-ID twice: recorded (and logged) once
    expect(
      log.lines.filter((l) => /skipping mail no-message-id/.test(l.msg) && /no Message-ID/.test(l.msg)),
    ).toHaveLength(1);
    expect(log.text('warn')).toMatch(/empty message/);
    // the CR/LF in the encoded subject is gone before anything stores or answers it; the mail
    // itself is ordinary (no diff), so it waits like any unattached mail
    expect(String(info('crlf@example.org').subject)).not.toMatch(/[\r\n]/);
    expect(store.messages.unprocessed().map((m) => m.messageId)).toEqual(['crlf@example.org']);
    const t = await bot.tick();
    expect(t.decisions).toEqual([]);
    expect(store.outbox.list()).toEqual([]);
    store.close();
  });
});

describe('bot without IMAP: a crash between recording a review and queuing its replies', () => {
  it('queues the replies on the next tick from the recorded findings, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapi-bot-'));
    try {
      const now = () => new Date('2026-03-02T12:00:00Z');
      const store = Store.open({ path: join(dir, 'state.db'), now });
      let crash = true;
      // the store as the bot sees it: the first enqueue dies as a crash would
      const outbox = new Proxy(store.outbox, {
        get(target, prop, receiver) {
          if (prop === 'enqueue')
            return (m: Parameters<Store['outbox']['enqueue']>[0]) => {
              if (crash) {
                crash = false;
                throw new Error('simulated crash before queuing');
              }
              return target.enqueue(m);
            };
          return Reflect.get(target, prop, receiver);
        },
      });
      const crashing = new Proxy(store, {
        get(target, prop, receiver) {
          return prop === 'outbox' ? outbox : Reflect.get(target, prop, receiver);
        },
      });
      const log = memoryLog();
      const bot = createBot(
        botDeps({
          store: crashing,
          parser: await loadCParser(),
          tree: 'fixtures/tree-frob',
          policy: dryRunPolicy(),
          now,
          log,
          dryRunDir: join(dir, 'eml'),
        }),
      );
      for (const m of frob) await bot.ingest(m, 'test');
      const first = await bot.tick();
      expect(first.decisions.map((d) => d.kind)).toEqual(['review']);
      expect(log.text('error')).toMatch(/simulated crash/);
      // the review is recorded, but no mail of it is processed and nothing is queued
      expect(store.outbox.list()).toHaveLength(0);
      expect(store.messages.unprocessed()).toHaveLength(4);
      const second = await bot.tick();
      expect(second.decisions.map((d) => d.kind)).toEqual(['done']);
      expect(second.queued).toBe(3);
      expect(store.outbox.list().map((e) => e.state)).toEqual(['sent', 'sent', 'sent']);
      expect(readdirSync(join(dir, 'eml')).filter((f) => f.endsWith('.eml'))).toHaveLength(3);
      expect(store.messages.unprocessed()).toEqual([]);
      const third = await bot.tick();
      expect(third).toMatchObject({ decisions: [], queued: 0, processed: 0 });
      expect(store.outbox.list()).toHaveLength(3);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const runTests = requireDovecot('bot end-to-end tests');

describe.skipIf(!runTests)('bot end to end: dovecot -> review -> smtp-server', () => {
  let server: Dovecot;
  let smtp: SmtpFixture;
  let parser: Parser;
  let folderSeq = 0;
  const dirs: string[] = [];
  const watchers: FolderWatcher[] = [];
  const stores: Store[] = [];

  beforeAll(async () => {
    [server, smtp, parser] = await Promise.all([Dovecot.start(), startSmtp(), loadCParser()]);
  }, 30_000);

  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((w) => w.stop()));
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    smtp.received.length = 0;
  });

  afterAll(async () => {
    await server?.cleanup();
    await smtp?.close();
  });

  let t = Date.parse('2026-03-02T12:00:00Z');
  const now = () => new Date(t);

  function start(
    path: string,
    folder: string,
  ): { bot: Bot; store: Store; w: FolderWatcher; log: ReturnType<typeof memoryLog> } {
    const store = Store.open({ path, now });
    stores.push(store);
    const log = memoryLog();
    const bot = createBot(
      botDeps({
        store,
        parser,
        tree: 'fixtures/tree-frob',
        transport: { host: '127.0.0.1', port: smtp.port, ignoreTLS: true },
        probe: smtp.probe,
        now,
        log,
        dryRunDir: join(path, '..', 'eml'),
      }),
    );
    const w = watchImap({
      ...server.endpoint,
      folder,
      bot,
      store,
      log,
      idleDelayMs: 100,
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    watchers.push(w);
    return { bot, store, w, log };
  }

  async function stop(run: { w: FolderWatcher; store: Store }): Promise<void> {
    await run.w.stop();
    watchers.splice(watchers.indexOf(run.w), 1);
    run.store.close();
    stores.splice(stores.indexOf(run.store), 1);
  }

  async function newFolder(): Promise<{ folder: string; path: string }> {
    const folder = `bot${++folderSeq}`;
    await server.createFolder(folder);
    const dir = mkdtempSync(join(tmpdir(), 'kapi-bot-e2e-'));
    dirs.push(dir);
    return { folder, path: join(dir, 'state.db') };
  }

  function checkReplies(): void {
    const got = smtp.received;
    // one reply per patch with findings (2/3 and 3/3) and the summary to the cover letter
    expect(got.map((m) => m.mail.inReplyTo).sort()).toEqual([ID(0), ID(2), ID(3)]);
    const to = (n: number) => got.find((m) => m.mail.inReplyTo === ID(n));
    expect(to(3)?.mail.body).toMatch(/kapi-error-undocumented/);
    expect(to(3)?.mail.body).toMatch(/EPERM/);
    expect(to(2)?.mail.body).toMatch(/kapi-deprecated-form/);
    expect(to(2)?.mail.body).not.toMatch(/kapi-error-undocumented/);
    for (const m of got) {
      expect(m.mail.references).toContain(ID(0));
      expect(m.mail.subject).toMatch(/^Re: \[PATCH [0-3]\/3\]/);
      expect(m.envelopeFrom).toBe('bot@example.net');
      expect(m.envelopeTo.sort()).toEqual(['ada@example.org', LIST]);
      expect(m.headers.find(([k]) => k === 'auto-submitted')?.[1]).toMatch(/^auto-/);
    }
  }

  it('reviews the series once: one reply per patch with findings and a summary, threaded, all flagged; a restart sends nothing new', async () => {
    const { folder, path } = await newFolder();
    for (const m of frob) await server.append(folder, m);
    const a = start(path, folder);
    await a.w.caughtUp();
    expect(smtp.received).toHaveLength(3);
    checkReplies();
    const flags = await server.flags(folder);
    expect([...flags.values()].filter((f) => f.has(KW))).toHaveLength(4);
    expect(a.store.outbox.list().map((e) => e.state)).toEqual(['sent', 'sent', 'sent']);
    expect(a.store.messages.unprocessed()).toEqual([]);
    // idempotent: another tick does nothing new
    const again = await a.bot.tick();
    expect(again.queued).toBe(0);
    expect(smtp.received).toHaveLength(3);

    // mail commands in a reply to one of our reviews, from the patch author
    const ours = smtp.received.find((m) => m.mail.inReplyTo === ID(2))?.mail.messageId as string;
    const cmd = Buffer.from(
      [
        `Message-ID: <ada-reply@example.org>`,
        `In-Reply-To: <${ours}>`,
        `References: <${ID(0)}> <${ID(2)}> <${ours}>`,
        'From: Ada Example <ada@example.org>',
        `To: ${BOT}`,
        'Subject: Re: [PATCH 2/3] frob: add API specification for sys_frob',
        '',
        '> kapi-review: mute',
        'kapi-review: ignore kapi-deprecated-form',
        '',
      ].join('\n'),
    );
    await a.bot.ingest(cmd, 'test');
    expect(a.store.policy.ignores().map((i) => [i.check, i.scope.kind, i.by])).toEqual([
      ['kapi-deprecated-form', 'series', 'ada@example.org'],
    ]);
    expect(a.store.policy.mutes()).toEqual([]); // the quoted command does not count
    await stop(a);

    // restart on the same state file, nothing new in the folder: nothing sent
    t += 60_000;
    const b = start(path, folder);
    await b.w.caughtUp();
    const r = await b.bot.tick();
    expect(r.queued).toBe(0);
    expect(smtp.received).toHaveLength(3);
    expect(b.store.outbox.list()).toHaveLength(3);

    // v2 arrives: its only finding (the macro form, as in v1 2/3) is what Ada told the bot to
    // ignore, so v2 is reviewed and recorded but gets no reply
    const v2 = splitMboxBuffer(readFileSync('fixtures/mail/revision-frob-v2.mbox')).map((m) => m.raw);
    for (const m of v2) await server.append(folder, m);
    const reviewedV2 = async (): Promise<boolean> => {
      const rev = new DashboardQueries(b.store).listSeries({ limit: 10 }).items[0]?.latest;
      return rev?.revision === 2 && rev.reviewedAt !== null;
    };
    for (let i = 0; i < 100 && !(await reviewedV2()); i++) await new Promise((res) => setTimeout(res, 50));
    expect(await reviewedV2()).toBe(true);
    await b.bot.tick();
    expect(smtp.received).toHaveLength(3);
    expect(b.log.text('error')).toBe('');
  });

  it('kapi-review bot --once: dry-run by default writes .eml files and sends nothing', async () => {
    const { folder, path } = await newFolder();
    for (const m of frob) await server.append(folder, m);
    const out = join(path, '..', 'eml');
    const ep = server.endpoint;
    const args = (extra: string[]) => [
      'node',
      'kapi-review',
      'bot',
      '--imap-host',
      ep.host,
      '--imap-port',
      String(ep.port),
      '--imap-user',
      ep.auth.user,
      '--imap-pass-env',
      'KAPI_BOT_TEST_PASS',
      '--folder',
      folder,
      '--smtp-host',
      '127.0.0.1',
      '--smtp-port',
      String(smtp.port),
      '--from',
      BOT,
      '--list',
      LIST,
      '--tree',
      'fixtures/tree-frob',
      '--state',
      path,
      '--out',
      out,
      '--once',
      ...extra,
    ];
    let err = '';
    const io = {
      out: () => undefined,
      err: (s: string) => {
        err += s;
      },
    };
    delete process.env.KAPI_BOT_TEST_PASS;
    expect(await main(args([]), io)).toBe(2);
    expect(err).toMatch(/KAPI_BOT_TEST_PASS: that environment variable is not set/);
    process.env.KAPI_BOT_TEST_PASS = ep.auth.pass;
    try {
      err = '';
      expect(await main(args([]), io)).toBe(0);
      expect(err).toMatch(/mode dry-run for linux-frob@example.org/);
      expect(smtp.received).toHaveLength(0);
      const files = readdirSync(out).filter((f) => f.endsWith('.eml'));
      expect(files).toHaveLength(3);
      const replyTo = files.map(
        (f) => /^In-Reply-To: <([^>]+)>/m.exec(readFileSync(join(out, f), 'utf8'))?.[1],
      );
      expect(replyTo.sort()).toEqual([ID(0), ID(2), ID(3)]);
      expect([...(await server.flags(folder)).values()].filter((f) => f.has(KW))).toHaveLength(4);
      // a second run finds nothing new
      expect(await main(args([]), io)).toBe(0);
      expect(readdirSync(out).filter((f) => f.endsWith('.eml'))).toHaveLength(3);
      expect(await main(args(['--mode', 'bogus']), io)).toBe(2);
    } finally {
      delete process.env.KAPI_BOT_TEST_PASS;
    }
  });

  it('keeps an incomplete series across a restart and reviews it once the rest arrives', async () => {
    const { folder, path } = await newFolder();
    await server.append(folder, frob[0] as Buffer);
    await server.append(folder, frob[1] as Buffer);
    const a = start(path, folder);
    await a.w.caughtUp();
    // waiting for 2/3 and 3/3: nothing sent, but both mails are flagged (kept in the store)
    expect(smtp.received).toHaveLength(0);
    expect([...(await server.flags(folder)).values()].filter((f) => f.has(KW))).toHaveLength(2);
    expect(a.store.messages.rawUnprocessed().map((r) => r.messageId)).toEqual([ID(0), ID(1)]);
    await stop(a);

    await server.append(folder, frob[2] as Buffer);
    await server.append(folder, frob[3] as Buffer);
    t += 60_000;
    const b = start(path, folder);
    await b.w.caughtUp();
    expect(smtp.received).toHaveLength(3);
    checkReplies();
    expect([...(await server.flags(folder)).values()].filter((f) => f.has(KW))).toHaveLength(4);
    expect(b.store.messages.unprocessed()).toEqual([]);
    await stop(b);

    const c = start(path, folder);
    await c.w.caughtUp();
    await c.bot.tick();
    expect(smtp.received).toHaveLength(3);
  });
});
