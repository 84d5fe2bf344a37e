/**
 * app/net/http.ts against a real node:http server on loopback. Waits between attempts go through an
 * injected sleep that records them, so the policy is asserted exactly and no test waits for a
 * backoff. (test/app/lore.test.ts drives the same client through lore's thread and feed requests.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  backoffMs,
  HttpError,
  type HttpOptions,
  httpGet,
  httpRequest,
  parseRetryAfter,
  userAgent,
} from '../../app/net/http.js';
import { freePort } from '../helpers/dovecot.js';

describe('retry arithmetic', () => {
  it('reads Retry-After as seconds or as an HTTP-date', () => {
    const now = new Date('2026-03-02T14:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 02 Mar 2026 14:00:07 GMT', now)).toBe(7_000);
    expect(parseRetryAfter('Mon, 02 Mar 2026 13:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('backs off exponentially, bounded, jittered by the injected random, never zero', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffMs(n, () => 0, 100, 1_000))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect([0, 1, 2].map((n) => backoffMs(n, () => 0.999999, 100, 1_000))).toEqual([100, 200, 400]);
    expect(backoffMs(0, () => 0, 1, 1)).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
/** Answers in turn; the last one keeps answering. */
let handlers: Handler[] = [];
const hits: IncomingMessage['headers'][] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.headers);
    res.setHeader('connection', 'close');
    const h = handlers.length > 1 ? (handlers.shift() as Handler) : (handlers[0] as Handler);
    h(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  hits.length = 0;
  handlers = [];
  server.closeAllConnections();
  await new Promise((resolve) => setTimeout(resolve, 50));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const answer =
  (status: number, body: string | Buffer = '', headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };

function options(extra: HttpOptions = {}): { sleeps: number[]; o: HttpOptions } {
  const sleeps: number[] = [];
  return {
    sleeps,
    o: {
      timeoutMs: 2_000,
      retries: 2,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      sleep: async (ms) => void sleeps.push(ms),
      now: () => new Date('2026-03-02T14:00:00Z'),
      random: () => 0.5,
      ...extra,
    },
  };
}

async function failure(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.catch((err: unknown) => err);
  expect(e).toBeInstanceOf(HttpError);
  return e as HttpError;
}

describe('httpGet', () => {
  it("returns a plain body as it is and a gzipped one inflated, with the caller's headers and a user agent", async () => {
    const text = 'From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: x\n\nhi\n';
    handlers = [answer(200, text), answer(200, gzipSync(text), { 'content-type': 'application/gzip' })];
    const { o } = options();
    const plain = await httpGet(`${base}/a`, o, { headers: { accept: 'text/plain' }, defaultMaxBytes: 1000 });
    expect(plain.status).toBe(200);
    expect(plain.body.toString()).toBe(text);
    expect(plain.url).toBe(`${base}/a`);
    const gz = await httpGet(
      `${base}/b`,
      { ...o, userAgent: userAgent('bot-admin@example.net') },
      { defaultMaxBytes: 1000 },
    );
    expect(gz.body.toString()).toBe(text);
    expect(hits[0]?.accept).toBe('text/plain');
    // the bot by name and version; with a contact, whom to write to
    expect(hits[0]?.['user-agent']).toMatch(/^kapi-review\/\d+\.\d+\.\d+$/);
    expect(hits[1]?.['user-agent']).toMatch(
      /^kapi-review\/\d+\.\d+\.\d+ \(\+mailto:bot-admin@example\.net\)$/,
    );
  });

  it('keeps only the characters of an address of the contact, and drops one that is no address', () => {
    expect(userAgent('ops@example.net\r\nX-Evil: 1')).toMatch(/^kapi-review\/[\d.]+ \(\+mailto:[\w.+@-]+\)$/);
    expect(userAgent('Ops <ops@example.net>')).toMatch(/ \(\+mailto:ops@example\.net\)$/);
    expect(userAgent('nobody')).toMatch(/^kapi-review\/[\d.]+$/);
    expect(userAgent(null)).toMatch(/^kapi-review\/[\d.]+$/);
  });

  it('gives 304 and a discarded body back empty; a discarded body is not bounded', async () => {
    handlers = [answer(304), answer(200, 'x'.repeat(5000))];
    const { o } = options();
    const notModified = await httpGet(`${base}/feed`, o, { defaultMaxBytes: 10 });
    expect([notModified.status, notModified.body.length]).toEqual([304, 0]);
    const head = await httpGet(`${base}/raw`, o, { defaultMaxBytes: 10, discardBody: true });
    expect([head.status, head.body.length]).toEqual([200, 0]);
  });

  it('throws final answers at once, with code and status', async () => {
    const cases: [number, string][] = [
      [404, 'not-found'],
      [410, 'not-found'],
      [403, 'http'],
    ];
    for (const [status, code] of cases) {
      handlers = [answer(status)];
      hits.length = 0;
      const { o, sleeps } = options();
      const e = await failure(httpGet(`${base}/x`, o, { defaultMaxBytes: 1000 }));
      expect([e.code, e.status, e.url, hits.length, sleeps]).toEqual([code, status, `${base}/x`, 1, []]);
    }
  });

  it('retries 5xx for as long as Retry-After asks, and reports the last status when the budget is spent', async () => {
    handlers = [answer(503, '', { 'retry-after': '3' }), answer(500)];
    const { o, sleeps } = options();
    const e = await failure(httpGet(`${base}/busy`, o, { defaultMaxBytes: 1000 }));
    expect([e.code, e.status]).toEqual(['exhausted', 500]);
    expect(e.message).toMatch(/giving up after 3 attempts; last error: HTTP 500/);
    expect(sleeps).toEqual([3000, 150]);
  });

  it('refuses a Retry-After beyond the cap without waiting', async () => {
    handlers = [answer(429, '', { 'retry-after': '600' })];
    const { o, sleeps } = options({ maxRetryAfterMs: 60_000 });
    const e = await failure(httpGet(`${base}/slow`, o, { defaultMaxBytes: 1000 }));
    expect([e.code, e.status, sleeps]).toEqual(['retry-after-too-long', 429, []]);
  });

  it('bounds the body before and after decompression, and tells corrupt gzip apart', async () => {
    const { o } = options();
    handlers = [answer(200, 'y'.repeat(100))];
    expect((await failure(httpGet(`${base}/big`, o, { defaultMaxBytes: 50 }))).code).toBe('too-large');
    handlers = [answer(200, gzipSync('z'.repeat(10_000)))];
    const bomb = await failure(httpGet(`${base}/bomb`, { ...o, maxBytes: 1000 }, { defaultMaxBytes: 1e9 }));
    expect([bomb.code, bomb.message]).toEqual([
      'too-large',
      `${base}/bomb: response after decompression exceeds the limit of 1000 bytes; refused`,
    ]);
    const corrupt = Buffer.from(gzipSync('some text'));
    corrupt.fill(0xff, 10, 14);
    handlers = [answer(200, corrupt)];
    expect((await failure(httpGet(`${base}/bad`, o, { defaultMaxBytes: 1000 }))).code).toBe('bad-gzip');
  });

  it('stops at the caller’s abort, and gives up on a refused connection without a status', async () => {
    const controller = new AbortController();
    controller.abort();
    const { o } = options({ signal: controller.signal });
    expect((await failure(httpGet(`${base}/x`, o, { defaultMaxBytes: 1 }))).code).toBe('aborted');
    const closed = `http://127.0.0.1:${await freePort()}/x`;
    const { o: o2, sleeps } = options({ retries: 1 });
    const e = await failure(httpGet(closed, o2, { defaultMaxBytes: 1 }));
    expect([e.code, e.status, sleeps]).toEqual(['exhausted', null, [75]]);
    expect(e.message).toMatch(/connection failed/);
  });
});

describe('httpRequest: POST', () => {
  const bodies: string[] = [];
  /** Keeps the request's body, then answers. */
  const keep =
    (status: number, body = ''): Handler =>
    (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        bodies.push(`${req.method} ${Buffer.concat(parts).toString()}`);
        answer(status, body, { 'content-type': 'application/json' })(req, res);
      });
    };
  afterEach(() => {
    bodies.length = 0;
  });

  it('sends the method, headers and body, and keeps the start of a final answer as its detail', async () => {
    handlers = [keep(400, `{"state": ["not a valid choice"]}${'x'.repeat(5000)}`)];
    const { o, sleeps } = options();
    const e = await failure(
      httpRequest(`${base}/checks/`, o, {
        method: 'POST',
        body: '{"state":"maybe"}',
        headers: { 'content-type': 'application/json' },
        defaultMaxBytes: 1000,
        errorDetailBytes: 40,
      }),
    );
    expect([e.code, e.status, e.detail, sleeps]).toEqual([
      'http',
      400,
      '{"state": ["not a valid choice"]}xxxxxxx',
      [],
    ]);
    expect(bodies).toEqual(['POST {"state":"maybe"}']);
    expect(hits[0]?.['content-type']).toBe('application/json');
  });

  it('is never sent twice when the caller cannot tell whether a failed attempt took effect', async () => {
    handlers = [keep(502)];
    const { o, sleeps } = options();
    const e = await failure(
      httpRequest(`${base}/checks/`, o, { method: 'POST', body: '{}', defaultMaxBytes: 1000 }),
    );
    expect([e.code, e.status, bodies.length, sleeps]).toEqual(['exhausted', 502, 1, []]);
  });

  it('asks `settled` before each retry: what it finds ends the request, null tries again', async () => {
    handlers = [keep(503), keep(500), keep(201, '{"id":1}')];
    const { o, sleeps } = options();
    const asked: number[] = [];
    const made = await httpRequest(`${base}/checks/`, o, {
      method: 'POST',
      body: '{}',
      defaultMaxBytes: 1000,
      settled: async () => {
        asked.push(bodies.length);
        return null;
      },
    });
    expect([made.status, made.body.toString(), asked, sleeps.length]).toEqual([201, '{"id":1}', [1, 2], 2]);
    bodies.length = 0;
    handlers = [keep(504), keep(201)];
    const found = {
      status: 200,
      headers: new Headers(),
      body: Buffer.from('found'),
      url: `${base}/checks/1`,
    };
    const settled = await httpRequest(`${base}/checks/`, o, {
      method: 'POST',
      body: '{}',
      defaultMaxBytes: 1000,
      settled: async () => found,
    });
    expect([settled, bodies.length]).toEqual([found, 1]);
  });
});
