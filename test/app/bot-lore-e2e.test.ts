/**
 * The bot fed from lore (app/bot/lore.ts) end to end: a real node:http server on loopback plays
 * lore.kernel.org (the list's new.atom, built here from the messages it lists, and the thread as
 * t.mbox.gz from fixtures/lore/frob-v1.mbox), a real smtp-server (test/helpers/smtp-fixture.ts)
 * takes the replies, the state is a real SQLite file in a temp dir, the series is reviewed on
 * fixtures/tree-frob in 'list' mode. The lore server misbehaves as lore does at times: a 503 with
 * Retry-After, a connection dropped in the middle of a body. Waits go through an injected sleep
 * that records them, so no test waits for a backoff.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { pollLore, type WatchLoreOptions, watchLore } from '../../app/bot/lore.js';
import { type Bot, createBot } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { main } from '../../app/cli/main.js';
import { Store } from '../../app/store/store.js';
import { parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { BOT, botDeps, LIST, listPolicy, memoryLog } from '../helpers/bot.js';
import type { BotChildArgs } from '../helpers/bot-child.js';
import { type ReceivedMail, type SmtpFixture, startSmtp } from '../helpers/smtp-fixture.js';

const INBOX = 'linux-frob';
const ID = (n: number) => `20260302100000.frob-v1-${n}@example.org`;
const V1 = readFileSync('fixtures/lore/frob-v1.mbox');
const V1_MESSAGES = splitMboxBuffer(V1).map((m) => m.raw);

// ---------------------------------------------------------------------------------------------
// the stand-in lore server

type Responder = (req: IncomingMessage, res: ServerResponse) => void;

interface Hit {
  path: string;
  headers: IncomingMessage['headers'];
}

let server: Server;
let base: string;
const hits: Hit[] = [];
/** Answers for the feed, in turn; the last one keeps answering. */
let feedAnswers: Responder[] = [];
/** Answers for any message's t.mbox.gz (public-inbox gives the whole thread for each), in turn. */
let threadAnswers: Responder[] = [];
/** The messages lore has of the thread (and lists in its feed), oldest first. */
let archive: Buffer[] = [];

function next(list: Responder[]): Responder | undefined {
  return list.length > 1 ? list.shift() : list[0];
}

const status =
  (code: number, headers: Record<string, string> = {}): Responder =>
  (_req, res) => {
    res.writeHead(code, { 'content-type': 'text/plain', ...headers });
    res.end(`status ${code}\n`);
  };

/** mboxrd: a From_ line per message, /^>*From / quoted once more. */
function mboxrd(messages: readonly Buffer[]): Buffer {
  return Buffer.from(
    messages
      .map((m) => {
        const text = m.toString('utf8').replace(/\r\n/g, '\n');
        const body = text.replace(/^(>*From )/gm, '>$1');
        return `From mboxrd@z Thu Jan  1 00:00:00 1970\n${body.endsWith('\n') ? body : `${body}\n`}\n`;
      })
      .join(''),
  );
}

/** The thread as it is now, gzipped. */
const thread: Responder = (_req, res) => {
  const gz = gzipSync(mboxrd(archive));
  res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(gz.length) });
  res.end(gz);
};

/** The headers and half the body, then the connection drops. */
const threadDropped: Responder = (_req, res) => {
  const gz = gzipSync(mboxrd(archive));
  res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(gz.length) });
  res.write(gz.subarray(0, gz.length >> 1), () => setTimeout(() => res.socket?.destroy(), 10));
};

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** new.atom as public-inbox writes it: newest arrival first, links to lore.kernel.org. */
function atom(messages: readonly Buffer[]): string {
  const entries = messages
    .map((raw, i) => {
      const m = parseMailSync(raw).value;
      const mid = m.messageId as string;
      const uuid = createHash('sha1').update(mid).digest('hex');
      const updated = new Date(Date.parse('2026-03-02T11:00:00Z') + i * 60_000).toISOString();
      return (
        `<entry><author><name>${xml(m.from?.name ?? '')}</name><email>${xml(m.from?.address ?? '')}</email></author><title>${xml(m.subject)}</title>` +
        `<updated>${updated.replace(/\.000Z$/, 'Z')}</updated>` +
        `<link href="https://lore.kernel.org/${INBOX}/${mid}/"/>` +
        `<id>urn:uuid:${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20, 32)}</id>` +
        `<content type="text">${xml(m.subject)}</content></entry>`
      );
    })
    .reverse()
    .join('');
  return (
    '<?xml version="1.0" encoding="us-ascii"?>\n' +
    '<feed xmlns="http://www.w3.org/2005/Atom"><title>The frob subsystem list</title>' +
    `<id>mailto:${LIST}</id><updated>2026-03-02T12:00:00Z</updated>${entries}</feed>`
  );
}

/** The feed of what the archive has, with an ETag; 304 to a matching If-None-Match (unless told not to). */
const feed =
  (conditional = true): Responder =>
  (req, res) => {
    const body = atom(archive);
    const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}${conditional ? '' : `-${hits.length}`}"`;
    if (conditional && req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/atom+xml', etag });
    res.end(body);
  };

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.push({ path, headers: req.headers });
    res.setHeader('connection', 'close');
    let responder: Responder | undefined;
    if (path === `/${INBOX}/new.atom`) responder = next(feedAnswers);
    else {
      const m = /^\/([^/]+)\/([^/]+)\/t\.mbox\.gz$/.exec(path);
      const mid = m ? decodeURIComponent(m[2] as string) : null;
      const known = archive.some((raw) => parseMailSync(raw).value.messageId === mid);
      if (m && (m[1] === INBOX || m[1] === 'all') && known) responder = next(threadAnswers);
    }
    if (!responder) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body>not here</body></html>');
      return;
    }
    responder(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

// ---------------------------------------------------------------------------------------------

/** One reply per patch with findings (2/3 and 3/3) and the summary to the cover letter, threaded. */
function checkReplies(got: readonly ReceivedMail[]): void {
  expect(got.map((m) => m.mail.inReplyTo).sort()).toEqual([ID(0), ID(2), ID(3)]);
  expect(new Set(got.map((m) => m.mail.messageId)).size).toBe(3);
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
  }
}

describe('bot end to end: lore -> review -> smtp-server', () => {
  let smtp: SmtpFixture;
  let parser: Parser;
  const dirs: string[] = [];
  const stores: Store[] = [];
  const t = Date.parse('2026-03-02T12:00:00Z');
  const now = () => new Date(t);

  beforeAll(async () => {
    [smtp, parser] = await Promise.all([startSmtp(), loadCParser()]);
  }, 30_000);

  afterEach(async () => {
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    smtp.received.length = 0;
    smtp.onAccepted = null;
    hits.length = 0;
    feedAnswers = [];
    threadAnswers = [];
    archive = [];
    server.closeAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  afterAll(async () => {
    await smtp?.close();
  });

  function tempState(): string {
    const dir = mkdtempSync(join(tmpdir(), 'kapi-bot-lore-'));
    dirs.push(dir);
    return join(dir, 'state.db');
  }

  function start(path: string): {
    bot: Bot;
    store: Store;
    log: ReturnType<typeof memoryLog>;
    sleeps: number[];
    opts: WatchLoreOptions;
  } {
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
    const sleeps: number[] = [];
    const opts: WatchLoreOptions = {
      bot,
      baseUrl: base,
      list: INBOX,
      cursor: store.cursors,
      seen: (id) => store.messages.isSeen(id),
      pollMs: 60_000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      now,
      log,
      http: { timeoutMs: 5_000, retries: 3, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5 },
    };
    return { bot, store, log, sleeps, opts };
  }

  function close(store: Store): void {
    store.close();
    stores.splice(stores.indexOf(store), 1);
  }

  const feedHits = () => hits.filter((h) => h.path.endsWith('/new.atom'));
  const threadHits = () => hits.filter((h) => h.path.endsWith('/t.mbox.gz'));

  it('through a 503 with Retry-After and a dropped connection: one reply per patch with findings, once; a 304, the same feed again and a restart send nothing', async () => {
    archive = [...V1_MESSAGES];
    feedAnswers = [status(503, { 'retry-after': '2' }), feed()];
    threadAnswers = [threadDropped, thread];
    const path = tempState();
    const a = start(path);

    const first = await pollLore(a.opts);
    // the 503 waited the 2 s lore asked for; the dropped body was retried after a backoff
    expect(a.sleeps).toEqual([2_000, 75]);
    expect(feedHits()).toHaveLength(2);
    // one thread fetch serves all four entries (and was retried once)
    expect(threadHits()).toHaveLength(2);
    expect(first).toMatchObject({
      entries: 4,
      threads: 1,
      ingested: 4,
      retry: [],
      failed: [],
      committed: true,
    });
    expect(first.tick?.decisions.map((d) => d.kind)).toEqual(['review']);
    expect(smtp.received).toHaveLength(3);
    checkReplies(smtp.received);
    expect(a.store.outbox.list().map((e) => e.state)).toEqual(['sent', 'sent', 'sent']);
    expect(a.store.messages.unprocessed()).toEqual([]);
    expect(a.log.text('error')).toBe('');

    // the same feed: the server answers 304 to our ETag; nothing fetched, nothing sent
    hits.length = 0;
    const second = await pollLore(a.opts);
    expect(second).toMatchObject({ notModified: true, entries: 0, threads: 0 });
    expect(feedHits()[0]?.headers['if-none-match']).toMatch(/^"/);
    expect(threadHits()).toHaveLength(0);
    expect(smtp.received).toHaveLength(3);

    // a server that ignores validators sends the same feed in full: the cursor knows every entry
    feedAnswers = [feed(false)];
    const third = await pollLore(a.opts);
    expect(third).toMatchObject({ notModified: false, entries: 0, threads: 0 });
    expect(threadHits()).toHaveLength(0);
    expect(smtp.received).toHaveLength(3);
    close(a.store);

    // our replies reach the list and lore: the feed lists them, the thread has them. A restart
    // (a new bot on the same state file) fetches the thread for them and answers nothing.
    archive = [...V1_MESSAGES, ...smtp.received.map((m) => Buffer.from(m.raw))];
    feedAnswers = [feed()];
    threadAnswers = [thread];
    hits.length = 0;
    const b = start(path);
    const fourth = await pollLore(b.opts);
    expect(fourth).toMatchObject({ entries: 3, threads: 1, ingested: 7, committed: true });
    expect(fourth.tick?.queued).toBe(0);
    expect(smtp.received).toHaveLength(3);
    for (const m of smtp.received)
      expect(
        String(
          (b.store.messages.seen(m.mail.messageId as string)?.info as { refused?: unknown } | undefined)
            ?.refused,
        ),
      ).toMatch(/our own mail/);
    expect(b.store.outbox.list()).toHaveLength(3);
    // and once more, through the loop this time: 304, nothing
    hits.length = 0;
    const w = watchLore({
      ...b.opts,
      sleep: async (ms, signal) => {
        b.sleeps.push(ms);
        await new Promise((r) => setTimeout(r, 5));
        if (signal?.aborted) throw new Error('aborted');
      },
    });
    const polled = await w.poll();
    await w.stop();
    expect(polled.notModified).toBe(true);
    expect(feedHits().length).toBeGreaterThanOrEqual(1);
    expect(threadHits()).toHaveLength(0);
    expect(smtp.received).toHaveLength(3);
    expect(b.log.text('error')).toBe('');
  });

  it('a series that arrives over two polls waits for its last patch; a thread that keeps failing comes again next poll', async () => {
    const path = tempState();
    const a = start(path);
    archive = V1_MESSAGES.slice(0, 3);
    feedAnswers = [feed()];
    threadAnswers = [thread];
    const first = await pollLore(a.opts);
    expect(first).toMatchObject({ entries: 3, threads: 1, committed: true });
    expect(first.tick?.decisions.map((d) => d.kind)).toEqual(['wait']);
    expect(smtp.received).toHaveLength(0);

    // 3/3 arrives; its thread fails every attempt: not committed, nothing lost
    archive = [...V1_MESSAGES];
    threadAnswers = [status(503)];
    hits.length = 0;
    const second = await pollLore(a.opts);
    expect(second.entries).toBe(1);
    expect(second.retry).toHaveLength(1);
    expect(threadHits()).toHaveLength(4); // retries: 3
    expect(smtp.received).toHaveLength(0);
    expect(a.log.text('warn')).toMatch(/comes again next poll/);

    // lore is back: the same entry comes again (no 304: the validators were not stored)
    threadAnswers = [thread];
    hits.length = 0;
    const third = await pollLore(a.opts);
    expect(feedHits()[0]?.headers['if-none-match']).toBeUndefined();
    expect(third).toMatchObject({ entries: 1, threads: 1, retry: [] });
    expect(third.tick?.decisions.map((d) => d.kind)).toEqual(['review']);
    expect(smtp.received).toHaveLength(3);
    checkReplies(smtp.received);
    const fourth = await pollLore(a.opts);
    expect(fourth.notModified).toBe(true);
    expect(smtp.received).toHaveLength(3);
  });

  it('kapi-review bot --lore-url --lore-list --once: dry-run by default, .eml files, nothing sent, nothing twice', async () => {
    archive = [...V1_MESSAGES];
    feedAnswers = [feed()];
    threadAnswers = [thread];
    const path = tempState();
    const out = join(path, '..', 'eml');
    const args = (extra: string[]) => [
      'node',
      'kapi-review',
      'bot',
      '--lore-url',
      base,
      '--lore-list',
      INBOX,
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
    expect(await main(args([]), io)).toBe(0);
    expect(err).toMatch(/mode dry-run for linux-frob@example.org/);
    expect(smtp.received).toHaveLength(0);
    const files = readdirSync(out).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(3);
    const replyTo = files.map(
      (f) => /^In-Reply-To: <([^>]+)>/m.exec(readFileSync(join(out, f), 'utf8'))?.[1],
    );
    expect(replyTo.sort()).toEqual([ID(0), ID(2), ID(3)]);
    hits.length = 0;
    expect(await main(args([]), io)).toBe(0);
    expect(threadHits()).toHaveLength(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.eml'))).toHaveLength(3);
    // one source at a time, and both lore options
    err = '';
    expect(await main(args(['--imap-host', 'localhost']), io)).toBe(2);
    expect(err).toMatch(/one source at a time/);
    err = '';
    expect(
      await main(['node', 'kapi-review', 'bot', '--lore-url', base, '--from', BOT, '--state', path], io),
    ).toBe(2);
    expect(err).toMatch(/--lore-url and --lore-list go together/);
    err = '';
    expect(await main(['node', 'kapi-review', 'bot', '--from', BOT, '--state', path], io)).toBe(2);
    expect(err).toMatch(/a source is needed/);
  });

  it('a bot process SIGKILLed the moment smtp-server accepted a reply: a fresh bot with a delivery probe ends with exactly one copy of each reply', async () => {
    archive = [...V1_MESSAGES];
    feedAnswers = [feed()];
    threadAnswers = [thread];
    const path = tempState();
    const childArgs: BotChildArgs = {
      statePath: path,
      baseUrl: base,
      list: INBOX,
      smtpPort: smtp.port,
      policy: listPolicy(),
      dryRunDir: join(path, '..', 'eml'),
      now: now().toISOString(),
      messageIdDomain: 'example.net',
    };
    const runTs = join(import.meta.dirname, '..', 'helpers', 'run-ts.mjs');
    const entry = join(import.meta.dirname, '..', 'helpers', 'bot-child.ts');
    const child: ChildProcess = spawn(process.execPath, [runTs, entry, JSON.stringify(childArgs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    // the kill goes out when smtp-server holds the mail, before it writes its 250 (smtp-fixture.ts)
    smtp.onAccepted = () => {
      smtp.onAccepted = null;
      child.kill('SIGKILL');
    };
    const { signal, code } = await exited;
    expect({ signal, code }, output).toEqual({ signal: 'SIGKILL', code: null });
    expect(smtp.received).toHaveLength(1);
    const delivered = smtp.received[0]?.mail.messageId as string;

    // what the dead bot left: the review recorded, the replies queued, the accepted one not
    // recorded as sent, the feed cursor not moved
    const store = Store.open({ path, now });
    stores.push(store);
    const left = store.outbox.list();
    expect(left).toHaveLength(3);
    expect(left.filter((e) => e.state === 'sent')).toEqual([]);
    expect(left.find((e) => e.mail.messageId === delivered)?.state).toBe('sending');
    expect(store.cursors.get(`lore:${base}/${INBOX}`)).toBeNull();
    close(store);

    // a fresh bot on the same file; its probe asks smtp-server (the stand-in for seeing our mail
    // on the list) and finds the one the dead bot sent
    hits.length = 0;
    const b = start(path);
    const report = await pollLore(b.opts);
    expect(report).toMatchObject({ entries: 4, threads: 0, committed: true });
    expect(report.tick?.send?.recovered?.sent).toHaveLength(1);
    expect(report.tick?.send?.recovered?.unresolved).toEqual([]);
    expect(smtp.received).toHaveLength(3);
    checkReplies(smtp.received);
    expect(smtp.received.filter((m) => m.mail.messageId === delivered)).toHaveLength(1);
    expect(b.store.outbox.list().map((e) => e.state)).toEqual(['sent', 'sent', 'sent']);
    // and nothing more on the next poll
    const again = await pollLore(b.opts);
    expect(again.notModified).toBe(true);
    expect(smtp.received).toHaveLength(3);
  });
});
