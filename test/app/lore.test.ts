/**
 * app/sources/lore.ts against a real node:http server on loopback that plays lore.kernel.org:
 * our own thread fixtures (fixtures/lore/*.mbox, gzipped here as lore serves them) and feeds
 * (fixtures/lore/*.atom). Waits between attempts go through an injected sleep that records them,
 * so the retry policy is asserted exactly and the tests never wait for a backoff.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import type { CursorStore } from '../../app/mail/types.js';
import {
  type FeedEntry,
  fetchThread,
  LoreError,
  parseAtom,
  parseListUrl,
  parseThreadRef,
  pollList,
} from '../../app/sources/lore.js';
import { escapeMessageId, looksLikeLoreRef } from '../../parsers/lore-refs.js';
import { parseMailSync } from '../../parsers/mail.js';

const FIX = 'fixtures/lore';
const V1 = readFileSync(`${FIX}/frob-v1.mbox`);
const ODD = readFileSync(`${FIX}/odd-msgid.mbox`);
const FEED1 = readFileSync(`${FIX}/linux-frob-1.atom`, 'utf8');
const FEED2 = readFileSync(`${FIX}/linux-frob-2.atom`, 'utf8');
const FEED3 = readFileSync(`${FIX}/linux-frob-3.atom`, 'utf8');
const QUIRKS = readFileSync(`${FIX}/quirks.atom`, 'utf8');
const V1_COVER = '20260302100000.frob-v1-0@example.org';
const ODD_COVER = 'frob/v1+0%cover?#&=\u00fc@example.org';

// ---------------------------------------------------------------------------------------------
// the stand-in lore server

type Responder = (req: IncomingMessage, res: ServerResponse) => void;

interface Hit {
  path: string;
  headers: IncomingMessage['headers'];
}

const hits: Hit[] = [];
const routes = new Map<string, Responder[]>();
let server: Server;
let base: string;

/** Answers requests for `path` with the responders in turn; the last one keeps answering. */
function route(path: string, ...responders: Responder[]): void {
  routes.set(path, responders);
}

const gzipped =
  (body: Buffer, headers: Record<string, string> = {}): Responder =>
  (_req, res) => {
    const gz = gzipSync(body);
    res.writeHead(200, {
      'content-type': 'application/gzip',
      'content-length': String(gz.length),
      ...headers,
    });
    res.end(gz);
  };
const status =
  (code: number, headers: Record<string, string> = {}): Responder =>
  (_req, res) => {
    res.writeHead(code, { 'content-type': 'text/plain', ...headers });
    res.end(`status ${code}\n`);
  };
/** Sends the headers and half the body, then drops the connection. */
const dropMidBody =
  (body: Buffer): Responder =>
  (_req, res) => {
    const gz = gzipSync(body);
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(gz.length) });
    res.write(gz.subarray(0, gz.length >> 1), () => setTimeout(() => res.socket?.destroy(), 10));
  };
/** Never answers (the socket is closed when the test server closes its connections). */
const hang: Responder = () => undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.push({ path, headers: req.headers });
    // a fresh connection per request: no test inherits a pooled socket another test closed
    res.setHeader('connection', 'close');
    const list = routes.get(path);
    if (!list || list.length === 0) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body>not here</body></html>');
      return;
    }
    const responder = list.length > 1 ? (list.shift() as Responder) : (list[0] as Responder);
    responder(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  hits.length = 0;
  routes.clear();
  server.closeAllConnections();
  // let the client see those sockets close before the next test, or its first request may go out
  // on one of them and fail once (retried, but then the counts below would not be exact)
  await new Promise((resolve) => setTimeout(resolve, 50));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Options with a recording sleep that does not wait, a fixed clock and a fixed jitter. */
function opts<T extends object>(extra: T = {} as T) {
  const sleeps: number[] = [];
  return {
    sleeps,
    o: {
      baseUrl: base,
      timeoutMs: 2_000,
      retries: 3,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      now: () => new Date('2026-03-02T14:00:00Z'),
      random: () => 0.5,
      ...extra,
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<LoreError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LoreError);
  return e as LoreError;
}

async function messageIds(thread: Awaited<ReturnType<typeof fetchThread>>): Promise<(string | null)[]> {
  const ids = [];
  for await (const m of thread.messages()) ids.push(parseMailSync(m.raw).value.messageId);
  return ids;
}

// ---------------------------------------------------------------------------------------------

describe('Message-IDs and lore URLs', () => {
  it('escapes a Message-ID as public-inbox does: path characters stay, the rest becomes UTF-8 %XX', () => {
    expect(escapeMessageId(V1_COVER)).toBe(V1_COVER);
    expect(escapeMessageId("a!$&'()*+,;=:@b-._~")).toBe("a!$&'()*+,;=:@b-._~");
    expect(escapeMessageId(ODD_COVER)).toBe('frob%2Fv1+0%25cover%3F%23&=%C3%BC@example.org');
    expect(escapeMessageId('a b"<>[]\\^`{|}')).toBe('a%20b%22%3C%3E%5B%5D%5C%5E%60%7B%7C%7D');
  });

  it('reads bare ids, bracketed ids, mid: URIs and every lore URL form', () => {
    const all = { messageId: V1_COVER, list: 'all' };
    const frob = { messageId: V1_COVER, list: 'linux-frob' };
    expect(parseThreadRef(V1_COVER)).toEqual(all);
    expect(parseThreadRef(` <${V1_COVER}> `)).toEqual(all);
    expect(parseThreadRef(`mid:${escapeMessageId(ODD_COVER)}`)).toEqual({
      messageId: ODD_COVER,
      list: 'all',
    });
    for (const suffix of ['', '/', '/T/', '/t/', '/t.mbox.gz', '/raw', '/t.atom', '/#r'])
      expect(parseThreadRef(`https://lore.kernel.org/linux-frob/${V1_COVER}${suffix}`)).toEqual(frob);
    expect(parseThreadRef(`https://lore.kernel.org/all/${V1_COVER}/`)).toEqual(all);
    expect(parseThreadRef(`https://lore.kernel.org/r/${V1_COVER}`)).toEqual(all);
    expect(parseThreadRef(`https://patch.msgid.link/${V1_COVER}`)).toEqual(all);
    // as lore links it (escaped), and with the slash left unescaped by some other tool
    const escaped = `https://lore.kernel.org/linux-frob/${escapeMessageId(ODD_COVER)}/`;
    expect(parseThreadRef(escaped)).toEqual({ messageId: ODD_COVER, list: 'linux-frob' });
    expect(parseThreadRef('https://lore.kernel.org/linux-frob/a/b@example.org/T/')).toEqual({
      messageId: 'a/b@example.org',
      list: 'linux-frob',
    });
    // a public-inbox mounted under a path
    expect(
      parseThreadRef(`https://example.org/lists/frob/${V1_COVER}/`, 'https://example.org/lists/'),
    ).toEqual({ messageId: V1_COVER, list: 'frob' });
    // a bad escape is kept as it is, never an exception
    expect(parseThreadRef('https://lore.kernel.org/all/100%zz@example.org/').messageId).toBe(
      '100%zz@example.org',
    );
  });

  it('refuses what is no Message-ID, with the reason', () => {
    expect(() => parseThreadRef('')).toThrow(/no Message-ID/);
    expect(() => parseThreadRef('<a b@c>')).toThrow(/not a Message-ID/);
    expect(() => parseThreadRef('https://lore.kernel.org/linux-frob/')).toThrow(
      /names a list, not a message/,
    );
    expect(() => parseThreadRef('https://lore.kernel.org/all/../')).toThrow(/no Message-ID/);
    expect(() => parseThreadRef('<..>')).toThrow(/cannot be put in a URL/);
    expect(() => parseThreadRef('https://lore.kernel.org/li%20st/x@y/')).toThrow(/not a list name/);
  });

  it('tells lore references from files on the command line', () => {
    const none = () => false;
    expect(looksLikeLoreRef(`<${V1_COVER}>`, none)).toBe(true);
    expect(looksLikeLoreRef(V1_COVER, none)).toBe(true);
    expect(looksLikeLoreRef(V1_COVER, () => true)).toBe(false); // a file of that name exists
    expect(looksLikeLoreRef('https://lore.kernel.org/all/x@y/', none)).toBe(true);
    expect(looksLikeLoreRef('fixtures/mail/base-frob-v1.mbox', none)).toBe(false);
    expect(looksLikeLoreRef('dir/x@y.patch', none)).toBe(false);
    expect(looksLikeLoreRef('-', none)).toBe(false);
  });

  it('splits a list URL into base and list', () => {
    expect(parseListUrl('https://lore.kernel.org/linux-mm/')).toEqual({
      baseUrl: 'https://lore.kernel.org',
      list: 'linux-mm',
    });
    expect(parseListUrl('http://127.0.0.1:8080/pi/linux-frob/new.atom')).toEqual({
      baseUrl: 'http://127.0.0.1:8080/pi',
      list: 'linux-frob',
    });
  });
});

describe('fetchThread', () => {
  it('fetches a thread by Message-ID from /all/<mid>/t.mbox.gz and splits it', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, gzipped(V1));
    const { o, sleeps } = opts();
    const thread = await fetchThread(`<${V1_COVER}>`, o);
    expect(thread.url).toBe(`${base}/all/${V1_COVER}/t.mbox.gz`);
    expect(thread.mbox.equals(V1)).toBe(true);
    expect(await messageIds(thread)).toEqual(
      [0, 1, 2, 3].map((n) => `20260302100000.frob-v1-${n}@example.org`),
    );
    expect(hits).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('fetches from the list a lore URL names', async () => {
    route(`/linux-frob/${V1_COVER}/t.mbox.gz`, gzipped(V1));
    const { o } = opts();
    const thread = await fetchThread(`https://lore.kernel.org/linux-frob/${V1_COVER}/T/#u`, o);
    expect(thread.ref).toEqual({ messageId: V1_COVER, list: 'linux-frob' });
    expect(await messageIds(thread)).toHaveLength(4);
    expect(hits.map((h) => h.path)).toEqual([`/linux-frob/${V1_COVER}/t.mbox.gz`]);
  });

  it('escapes odd Message-IDs on the wire, from a bare id and from an escaped lore URL', async () => {
    const path = '/all/frob%2Fv1+0%25cover%3F%23&=%C3%BC@example.org/t.mbox.gz';
    route(path, gzipped(ODD));
    const { o } = opts();
    const byId = await fetchThread(`<${ODD_COVER}>`, o);
    const byUrl = await fetchThread(`https://lore.kernel.org/all/${escapeMessageId(ODD_COVER)}/raw`, o);
    expect(hits.map((h) => h.path)).toEqual([path, path]);
    expect((await messageIds(byId))[0]).toBe(ODD_COVER);
    expect(byUrl.mbox.equals(ODD)).toBe(true);
  });

  it('says clearly when lore has no such thread (404), without retrying', async () => {
    const { o, sleeps } = opts();
    const e = await rejection(fetchThread('<missing@example.org>', o));
    expect(e.code).toBe('not-found');
    expect(e.status).toBe(404);
    expect(e.message).toBe(`${base}/all/missing@example.org/t.mbox.gz: not found (HTTP 404)`);
    expect(hits).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry other 4xx answers', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, status(403));
    const { o, sleeps } = opts();
    const e = await rejection(fetchThread(V1_COVER, o));
    expect([e.code, e.status]).toEqual(['http', 403]);
    expect(hits).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('waits as long as a 503 Retry-After (seconds) asks, then succeeds', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, status(503, { 'retry-after': '2' }), gzipped(V1));
    const { o, sleeps } = opts();
    const thread = await fetchThread(V1_COVER, o);
    expect(sleeps).toEqual([2_000]);
    expect(hits).toHaveLength(2);
    expect(await messageIds(thread)).toHaveLength(4);
  });

  it('honours a Retry-After HTTP-date against the injected clock, and 429 is retried too', async () => {
    route(
      `/all/${V1_COVER}/t.mbox.gz`,
      status(429, { 'retry-after': 'Mon, 02 Mar 2026 14:00:07 GMT' }),
      status(503, { 'retry-after': '0' }),
      gzipped(V1),
    );
    const { o, sleeps } = opts();
    await fetchThread(V1_COVER, o);
    // 7 s as asked; "0" never means a busy retry: the backoff still applies (100 ms step, jitter 0.5)
    expect(sleeps).toEqual([7_000, 150]);
  });

  it('refuses to wait longer than the cap and says so', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, status(503, { 'retry-after': '3600' }));
    const { o, sleeps } = opts({ maxRetryAfterMs: 60_000 });
    const e = await rejection(fetchThread(V1_COVER, o));
    expect(e.code).toBe('retry-after-too-long');
    expect(e.message).toMatch(/HTTP 503, and the server asks to wait 3600 s, longer than the 60 s allowed/);
    expect(sleeps).toEqual([]);
    expect(hits).toHaveLength(1);
  });

  it('gives up after the retry budget with the last error, backing off between attempts', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, status(500));
    const { o, sleeps } = opts({ random: () => 0 });
    const e = await rejection(fetchThread(V1_COVER, o));
    expect(e.code).toBe('exhausted');
    expect(e.message).toBe(
      `${base}/all/${V1_COVER}/t.mbox.gz: giving up after 4 attempts; last error: HTTP 500 Internal Server Error`,
    );
    expect(sleeps).toEqual([50, 100, 200]);
    expect(hits).toHaveLength(4);
  });

  it('retries a connection dropped in the middle of the body', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, dropMidBody(V1), gzipped(V1));
    const { o, sleeps } = opts();
    const thread = await fetchThread(V1_COVER, o);
    expect(thread.mbox.equals(V1)).toBe(true);
    expect(hits).toHaveLength(2);
    expect(sleeps).toEqual([75]);
  });

  it('times out a server that does not answer, then retries', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, hang, gzipped(V1));
    const { o, sleeps } = opts({ timeoutMs: 150 });
    const t0 = Date.now();
    const thread = await fetchThread(V1_COVER, o);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(thread.mbox.equals(V1)).toBe(true);
    expect(sleeps).toHaveLength(1);
  });

  it('times out a body that stops flowing, and reports the timeout when the budget is spent', async () => {
    const stall: Responder = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.write(gzipSync(V1).subarray(0, 20));
    };
    route(`/all/${V1_COVER}/t.mbox.gz`, stall);
    const { o } = opts({ timeoutMs: 150, retries: 1 });
    const e = await rejection(fetchThread(V1_COVER, o));
    expect(e.code).toBe('exhausted');
    expect(e.message).toMatch(/giving up after 2 attempts; last error: no data for 150 ms \(timed out\)/);
    expect(hits).toHaveLength(2);
  });

  it('refuses a gzip bomb at the limit, without retrying and without inflating it all', async () => {
    // 64 MiB of mail inflated from about 64 KiB
    const bomb = Buffer.alloc(64 * 1024 * 1024, 'a');
    Buffer.from('From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: x\n\n').copy(bomb);
    route(`/all/${V1_COVER}/t.mbox.gz`, gzipped(bomb));
    const { o, sleeps } = opts({ maxBytes: 1024 * 1024 });
    const e = await rejection(fetchThread(V1_COVER, o));
    expect(e.code).toBe('too-large');
    expect(e.message).toBe(
      `${base}/all/${V1_COVER}/t.mbox.gz: response after decompression exceeds the limit of 1 MiB; refused`,
    );
    expect(hits).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('refuses an oversized body announced by Content-Length, and one that is just big', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'a');
    route(`/all/${V1_COVER}/t.mbox.gz`, (_req, res) => {
      res.writeHead(200, { 'content-length': String(big.length) });
      res.end(big);
    });
    route(`/all/big@example.org/t.mbox.gz`, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/mbox' }); // chunked: no length announced
      res.end(big);
    });
    const { o } = opts({ maxBytes: 1024 * 1024 });
    const announced = await rejection(fetchThread(V1_COVER, o));
    expect(announced.message).toMatch(/response of 3 MiB exceeds the limit of 1 MiB; refused/);
    const streamed = await rejection(fetchThread('big@example.org', o));
    expect(streamed.code).toBe('too-large');
    expect(streamed.message).toMatch(/response body exceeds the limit of 1 MiB; refused/);
  });

  it('takes a thread a proxy already decoded (Content-Encoding: gzip) as plain mbox', async () => {
    route(
      `/all/${V1_COVER}/t.mbox.gz`,
      gzipped(V1, { 'content-type': 'application/mbox', 'content-encoding': 'gzip' }),
    );
    const { o } = opts();
    expect((await fetchThread(V1_COVER, o)).mbox.equals(V1)).toBe(true);
  });

  it('says what came instead of an mbox, and reports corrupt gzip', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Please prove you are human</body></html>');
    });
    route('/all/corrupt@example.org/t.mbox.gz', (_req, res) => {
      const gz = gzipSync(V1);
      gz.fill(0x55, 20, 200);
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.end(gz);
    });
    const { o } = opts();
    const html = await rejection(fetchThread(V1_COVER, o));
    expect(html.code).toBe('not-mbox');
    expect(html.message).toMatch(/expected a thread mbox, got text\/html starting "<html><body>Please prove/);
    const corrupt = await rejection(fetchThread('corrupt@example.org', o));
    expect(corrupt.code).toBe('bad-gzip');
  });

  it('stops when the caller aborts, also during a wait', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, status(503, { 'retry-after': '1' }));
    const ac = new AbortController();
    const { o } = opts({
      signal: ac.signal,
      sleep: async () => {
        ac.abort();
      },
    });
    const e = await rejection(fetchThread(V1_COVER, o));
    expect(e.code).toBe('aborted');
    expect(hits).toHaveLength(1);
  });

  it('reports a refused connection after the budget', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { o, sleeps } = opts({ baseUrl: `http://127.0.0.1:${port}`, retries: 2 });
    const e = await rejection(fetchThread(V1_COVER, o));
    expect(e.message).toMatch(
      /giving up after 3 attempts; last error: connection failed: fetch failed \(ECONNREFUSED/,
    );
    expect(sleeps).toEqual([75, 150]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('parseAtom', () => {
  it("reads public-inbox's feed: ids, links, Message-IDs, dates, titles, authors", () => {
    const feed = parseAtom(FEED1);
    expect(feed.issues).toEqual([]);
    expect(feed.entries).toHaveLength(3);
    expect(feed.entries[0]).toEqual({
      id: 'urn:uuid:e108395b-bf76-14a3-3cf7-4c2a2310f6b1',
      link: 'https://lore.kernel.org/linux-frob/20260302100000.frob-v1-2@example.org/',
      messageId: '20260302100000.frob-v1-2@example.org',
      updated: '2026-03-02T11:02:00.000Z',
      title: '[PATCH 2/3] frob: add API specification for sys_frob',
      author: { name: 'Ada Example', email: 'ada@example.org' },
      inReplyTo: `https://lore.kernel.org/linux-frob/${V1_COVER}/`,
    });
    expect(feed.entries[2]?.inReplyTo).toBeNull();
  });

  it('copes with namespaces, CDATA, entities, html and xhtml titles, look-alikes and damage', () => {
    const feed = parseAtom(QUIRKS);
    const [cdata, html, xhtml, unclosed] = feed.entries;
    expect(feed.entries).toHaveLength(4);
    expect(cdata).toMatchObject({
      id: 'tag:example.org,2026:cdata',
      title: '[PATCH] frob: keep </a:entry> & <b>tags</b> literal',
      updated: '2026-03-02T11:00:00.000Z',
      link: 'https://lore.kernel.org/linux-frob/cdata%2Fslash@example.org/',
      messageId: 'cdata/slash@example.org',
      author: { name: 'José & Co', email: 'jose@example.org' },
      inReplyTo: 'https://lore.kernel.org/linux-frob/parent@example.org/',
    });
    expect(html).toMatchObject({
      title: '[PATCH] a < b & c \u{1F600}', // the no-break space is whitespace too
      updated: '2026-03-02T11:30:00.250Z',
      messageId: 'html@example.org',
    });
    expect(xhtml).toMatchObject({
      id: 'https://lore.kernel.org/linux-frob/no-id@example.org/',
      title: '[PATCH] xhtml title',
      updated: null,
    });
    expect(unclosed?.id).toBe('tag:example.org,2026:unclosed');
    expect(unclosed?.title).toMatch(/^a stray < and an unclosed/);
    expect(feed.issues).toEqual([
      'entry https://lore.kernel.org/linux-frob/no-id@example.org/: unreadable date "yesterday"',
      'entry 4 has neither an id nor a link; skipped',
      '<title> not closed before </a:entry>',
    ]);
  });

  it('never throws on garbage and keeps what it can read of a truncated feed', () => {
    expect(parseAtom('').entries).toEqual([]);
    expect(parseAtom('<<<>>> </x> & <!-- ').entries).toEqual([]);
    // cut inside the second entry's title: that entry has no id or link yet
    const early = parseAtom(FEED1.slice(0, FEED1.indexOf('[PATCH 1/3]') + 5));
    expect(early.entries.map((e) => e.messageId)).toEqual(['20260302100000.frob-v1-2@example.org']);
    expect(early.issues).toEqual([
      'input ends inside an entry',
      'entry 2 has neither an id nor a link; skipped',
    ]);
    // cut after its id: both entries, the second one flagged
    const late = parseAtom(FEED1.slice(0, FEED1.indexOf('urn:uuid:cd863bf1') + 60));
    expect(late.entries.map((e) => e.messageId)).toEqual([
      '20260302100000.frob-v1-2@example.org',
      '20260302100000.frob-v1-1@example.org',
    ]);
    expect(late.issues).toContain('input ends inside an entry');
  });
});

// ---------------------------------------------------------------------------------------------

class MemoryCursors implements CursorStore {
  readonly map = new Map<string, string>();
  get(source: string): string | null {
    return this.map.get(source) ?? null;
  }
  set(source: string, value: string): void {
    this.map.set(source, value);
  }
}

/** Serves a feed with an ETag and Last-Modified, answering 304 to a matching conditional request. */
function atomFeed(xml: string, etag: string, lastModified = 'Mon, 02 Mar 2026 13:00:00 GMT'): Responder {
  return (req, res) => {
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/atom+xml', etag, 'last-modified': lastModified });
    res.end(xml);
  };
}

/** A feed server that ignores conditional requests. */
function plainFeed(xml: string): Responder {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/atom+xml' });
    res.end(xml);
  };
}

const mids = (es: FeedEntry[]) => es.map((e) => e.messageId);
const v1 = (n: number) => `20260302100000.frob-v1-${n}@example.org`;
const v2 = (n: number) => `20260302110000.frob-v2-${n}@example.org`;
const FEED_PATH = '/linux-frob/new.atom';

describe('pollList', () => {
  it('delivers new entries oldest first, answers 304 with nothing, and survives a restart', async () => {
    const cursor = new MemoryCursors();
    const { o } = opts({ cursor });

    route(FEED_PATH, atomFeed(FEED1, '"f1"'));
    const first = await pollList('linux-frob', o);
    expect(mids(first.entries)).toEqual([v1(0), v1(1), v1(2)]);
    expect([first.notModified, first.gap]).toEqual([false, false]);
    first.commit();
    expect(cursor.map.has(`lore:${base}/linux-frob`)).toBe(true);

    // nothing new: a conditional request and a 304
    const same = await pollList('linux-frob', o);
    expect(same.notModified).toBe(true);
    expect(same.entries).toEqual([]);
    expect(hits[1]?.headers['if-none-match']).toBe('"f1"');
    expect(hits[1]?.headers['if-modified-since']).toBe('Mon, 02 Mar 2026 13:00:00 GMT');

    // 3/3 arrives late with a date older than all seen (kept), v2's cover is new, v1's cover
    // shows up again with a newer `updated` (not repeated)
    route(FEED_PATH, atomFeed(FEED2, '"f2"'));
    const second = await pollList('linux-frob', o);
    expect(mids(second.entries)).toEqual([v1(3), v2(0)]);
    // crash before commit: the restarted poller (same store, nothing else kept) gets them again
    const again = await pollList('linux-frob', o);
    expect(mids(again.entries)).toEqual([v1(3), v2(0)]);
    expect(hits.at(-1)?.headers['if-none-match']).toBe('"f1"');
    again.commit();
    again.commit(); // idempotent

    // after the commit, even a server that ignores validators gives nothing twice
    route(FEED_PATH, plainFeed(FEED2));
    const after = await pollList('linux-frob', o);
    expect(after.entries).toEqual([]);
    expect(after.gap).toBe(false);
    expect(hits.at(-1)?.headers['if-none-match']).toBe('"f2"');

    // the window moves on: only the new ones, in date order
    route(FEED_PATH, atomFeed(FEED3, '"f3"'));
    const third = await pollList('linux-frob', o);
    expect(mids(third.entries)).toEqual([v2(1), v2(2), v2(3)]);
    expect(third.gap).toBe(false);
  });

  it('commits part of a poll: the rest comes again and no validator hides it', async () => {
    const cursor = new MemoryCursors();
    const { o } = opts({ cursor });
    route(FEED_PATH, atomFeed(FEED1, '"f1"'));
    const first = await pollList('linux-frob', o);
    const [cover] = first.entries;
    first.commit([cover?.id as string]);
    const next = await pollList('linux-frob', o);
    expect(hits.at(-1)?.headers['if-none-match']).toBeUndefined();
    expect(mids(next.entries)).toEqual([v1(1), v1(2)]);
    expect(() => next.commit(['urn:uuid:not-in-this-poll'])).toThrow(/not one of this poll's new entries/);
    next.commit();
    expect((await pollList('linux-frob', o)).notModified).toBe(true);
  });

  it('flags a gap when the feed shares nothing with the cursor', async () => {
    const cursor = new MemoryCursors();
    const { o } = opts({ cursor });
    route(FEED_PATH, atomFeed(FEED1, '"f1"'));
    (await pollList('linux-frob', o)).commit();
    route(FEED_PATH, atomFeed(FEED3, '"f3"'));
    const r = await pollList('linux-frob', o);
    expect(r.gap).toBe(true);
    expect(mids(r.entries)).toEqual([v1(3), v2(0), v2(1), v2(2), v2(3)]);
  });

  it('keeps a bounded memory: forgotten old entries that come back are stale, newer unknown ones are new', async () => {
    const cursor = new MemoryCursors();
    const { o } = opts({ cursor, remember: 3 });
    route(FEED_PATH, plainFeed(FEED1));
    (await pollList('linux-frob', o)).commit();
    route(FEED_PATH, plainFeed(FEED3));
    (await pollList('linux-frob', o)).commit(); // the five of FEED3 stay; v1 0-2 are forgotten
    const stored = JSON.parse(cursor.map.get(`lore:${base}/linux-frob`) as string) as {
      floor: number;
      seen: unknown[];
    };
    expect(stored.seen).toHaveLength(5);
    expect(new Date(stored.floor).toISOString()).toBe('2026-03-02T11:02:00.000Z');

    // FEED1 again (a replay of old mail), plus one genuinely new entry
    const replay = FEED1.replace(
      '<entry>',
      '<entry><title>[PATCH] frob: new</title><updated>2026-03-02T13:00:00Z</updated>' +
        '<link href="https://lore.kernel.org/linux-frob/new@example.org/"/><id>urn:uuid:new</id></entry><entry>',
    );
    route(FEED_PATH, plainFeed(replay));
    const r = await pollList('linux-frob', o);
    expect(mids(r.entries)).toEqual(['new@example.org']);
    expect(mids(r.stale)).toEqual([v1(2), v1(1), v1(0)]);
    expect(r.gap).toBe(false);
    r.commit();
    const quiet = await pollList('linux-frob', o);
    expect([quiet.entries, quiet.stale]).toEqual([[], []]);
  });

  it('can start quietly: the first feed is only remembered', async () => {
    const cursor = new MemoryCursors();
    const { o } = opts({ cursor, firstPoll: 'none' as const });
    route(FEED_PATH, plainFeed(FEED1));
    const first = await pollList('linux-frob', o);
    expect(first.entries).toEqual([]);
    first.commit();
    route(FEED_PATH, plainFeed(FEED2));
    expect(mids((await pollList('linux-frob', o)).entries)).toEqual([v1(3), v2(0)]);
  });

  it('retries the feed through a 503 with Retry-After and a dropped connection', async () => {
    const cursor = new MemoryCursors();
    const { o, sleeps } = opts({ cursor });
    const drop: Responder = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/atom+xml', 'content-length': String(FEED1.length) });
      res.write(FEED1.slice(0, 500), () => setTimeout(() => res.socket?.destroy(), 10));
    };
    route(FEED_PATH, status(503, { 'retry-after': '5' }), drop, atomFeed(FEED1, '"f1"'));
    const r = await pollList('linux-frob', o);
    expect(mids(r.entries)).toEqual([v1(0), v1(1), v1(2)]);
    expect(sleeps).toEqual([5_000, 150]);
    expect(hits).toHaveLength(3);
  });

  it('refuses a cursor that is not its own, and a bad list name', async () => {
    const cursor = new MemoryCursors();
    cursor.set(`lore:${base}/linux-frob`, '{"uid": 42}');
    const { o } = opts({ cursor });
    const e = await rejection(pollList('linux-frob', o));
    expect(e.code).toBe('bad-cursor');
    expect(e.message).toMatch(/is not a lore feed cursor \(unknown version\); fix or delete it/);
    expect(hits).toHaveLength(0);
    expect((await rejection(pollList('../etc', o))).code).toBe('bad-ref');
  });
});

// ---------------------------------------------------------------------------------------------

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'kapi-review', ...argv], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
}

describe('kapi-review check <lore-url|msgid>', () => {
  const errorLine =
    'kernel/frob.c:55: ERROR:kapi-error-undocumented: sys_frob can return -EPERM here, but its spec does not list EPERM';

  it('reviews a thread fetched by Message-ID from the server --lore-url names', async () => {
    route(`/all/${V1_COVER}/t.mbox.gz`, gzipped(V1));
    const r = await cli(['check', '--lore-url', base, '--tree', 'fixtures/tree-frob', `<${V1_COVER}>`]);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toContain(errorLine);
    expect(hits.map((h) => h.path)).toEqual([`/all/${V1_COVER}/t.mbox.gz`]);
  });

  it('takes a lore URL, KAPI_LORE_URL, and local files next to it', async () => {
    route(`/linux-frob/${V1_COVER}/t.mbox.gz`, gzipped(V1));
    const saved = process.env.KAPI_LORE_URL;
    process.env.KAPI_LORE_URL = base;
    try {
      const r = await cli([
        'check',
        '--format',
        'json',
        '--tree',
        'fixtures/tree-frob',
        `https://lore.kernel.org/linux-frob/${V1_COVER}/`,
        'fixtures/mail/revision-frob-v2.mbox',
      ]);
      const report = JSON.parse(r.out) as { series: { revision: number }[]; findings: { check: string }[] };
      expect(report.series.map((s) => s.revision).sort()).toEqual([1, 2]);
      expect(report.findings.filter((f) => f.check === 'kapi-error-undocumented')).toHaveLength(1);
      expect(r.code).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.KAPI_LORE_URL;
      else process.env.KAPI_LORE_URL = saved;
    }
    expect(hits.map((h) => h.path)).toEqual([`/linux-frob/${V1_COVER}/t.mbox.gz`]);
  });

  it('exits 2 with the reason when the thread is not on lore', async () => {
    const r = await cli(['check', '--lore-url', base, 'missing@example.org']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`kapi-review: ${base}/all/missing@example.org/t.mbox.gz: not found (HTTP 404)\n`);
    expect(r.out).toBe('');
  });
});
