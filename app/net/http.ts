/**
 * HTTP(S) for the parts that talk to the web (lore's GETs, patchwork's GETs and POSTs): Node's
 * fetch with a retry policy, bounded bodies and transparent gunzip. No dependencies beyond Node's
 * fetch and zlib.
 *
 * Policy: 4xx answers are final except 408 and 429; 5xx, timeouts, refused and dropped
 * connections are retried with exponential backoff (equal jitter from an injected random, never a
 * zero wait), at least as long as a Retry-After asks; a Retry-After longer than the cap is not
 * waited for but reported (the caller's next poll comes soon enough). Bodies are bounded before
 * and after decompression. The clock, the waits, the jitter and fetch itself can be injected, so
 * tests assert the policy exactly without waiting.
 *
 * A POST is not idempotent: a 5xx may come after the server did what was asked. So a POST is
 * retried only when the caller says how to tell (`settled`): before each retry it is asked
 * whether the failed attempt took effect after all, and its answer ends the request.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import { addressOf } from '../../parsers/headers.js';
import { packageVersion } from '../io/package.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  fetch?: FetchLike;
  /**
   * An attempt fails when no response headers, or no further body bytes, arrive for this long
   * (an idle timeout: a big thread that keeps flowing is not cut off). Default 30 s.
   */
  timeoutMs?: number;
  /** Attempts after the first one for transient failures. Default 4. */
  retries?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
  /** In [0, 1): the jitter source. Default Math.random. */
  random?: () => number;
  /** First backoff step; the step doubles per attempt up to maxDelayMs. Default 1 s. */
  baseDelayMs?: number;
  /** Default 60 s. */
  maxDelayMs?: number;
  /** A longer Retry-After is not waited for: the request fails with 'retry-after-too-long'. Default 5 min. */
  maxRetryAfterMs?: number;
  /** Body limit, before and after decompression. */
  maxBytes?: number;
  /** Cancels the request and any wait between attempts. */
  signal?: AbortSignal;
  /** Default: userAgent(null), the bot's name and version without a contact. */
  userAgent?: string;
}

/**
 * The User-Agent of every request: `kapi-review/<version> (+mailto:<contact>)`, so that the
 * people who run lore can tell the bot apart and write to whoever runs it. Of the contact only the
 * address is kept (`Name <a@b>` gives a@b), and only its characters: nothing from it can end the
 * header.
 */
export function userAgent(contact: string | null): string {
  const address = addressOf(contact ?? '').replace(/[^\w.+@-]/g, '');
  const product = `kapi-review/${packageVersion().replace(/[^\w.+-]/g, '') || 'unknown'}`;
  return /^[^@]+@[^@]+$/.test(address) ? `${product} (+mailto:${address})` : product;
}

/** What one request asks for, besides the caller's options. */
export interface HttpRequest {
  /** Default GET. */
  method?: 'GET' | 'POST';
  /** The body of a POST (set its content-type in `headers`). */
  body?: string;
  /**
   * For a POST: asked before each retry whether the failed attempt took effect after all (look
   * the result up). A response ends the request with it; null makes the next attempt. Without
   * it a POST is never retried.
   */
  settled?: () => Promise<HttpResponse | null>;
  /** For a final 4xx/5xx: keep up to this many bytes of its body as the error's `detail`. Default 0. */
  errorDetailBytes?: number;
  headers?: Record<string, string>;
  /** The body limit when the options set none. */
  defaultMaxBytes: number;
  /** Only the status and headers matter: a 2xx body is not read (and not bounded). */
  discardBody?: boolean;
}

export interface HttpResponse {
  /** 2xx, or 304. */
  status: number;
  headers: Headers;
  /** Decoded body (gunzipped when it was gzip); empty for 304 and when discarded. */
  body: Buffer;
  /** The URL answered, after redirects. */
  url: string;
}

export type HttpErrorCode =
  | 'not-found' // 404/410
  | 'http' // another final HTTP status
  | 'too-large' // the body exceeds the limit (before or after decompression)
  | 'bad-gzip' // the body is a corrupt gzip stream
  | 'retry-after-too-long' // the server asks to wait longer than we are allowed to
  | 'exhausted' // transient failures until the retry budget ran out
  | 'aborted'; // the caller's signal

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    message: string,
    readonly code: HttpErrorCode,
    readonly url: string,
    /** The last HTTP status, when there was one. */
    readonly status: number | null = null,
    /** The start of a final answer's body, when the request asked for it (`errorDetailBytes`). */
    readonly detail: string | null = null,
  ) {
    super(message);
  }
}

const DEFAULTS = {
  timeoutMs: 30_000,
  retries: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 300_000,
};

/** A wait that the signal cuts short (rejecting). */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : {});
}

/** Retry-After in milliseconds: delta-seconds or an HTTP-date (relative to now); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - now.getTime());
}

/** Backoff before retry number `attempt` (0-based): half the step plus a jittered half. */
export function backoffMs(
  attempt: number,
  random: () => number,
  baseDelayMs: number,
  maxDelayMs: number,
): number {
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.max(1, Math.round(step / 2 + (r * step) / 2));
}

/** A failure worth another attempt. */
class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
    readonly status: number | null = null,
    readonly detail: string | null = null,
  ) {
    super(message);
  }
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

function mib(n: number): string {
  return n >= 1024 * 1024
    ? `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`
    : `${n} bytes`;
}

/**
 * Reads a body, gunzipping it when it starts with the gzip magic (lore sends t.mbox.gz as
 * application/gzip; a proxy adding Content-Encoding makes fetch decode it first, so the bytes may
 * also arrive plain). Both the transferred and the decoded size are bounded.
 */
async function readBody(
  body: AsyncIterable<Uint8Array>,
  url: string,
  maxBytes: number,
  onChunk: () => void,
  cancel: () => void,
): Promise<Buffer> {
  let rawBytes = 0;
  const tooLarge = (what: string) =>
    new HttpError(
      `${url}: response ${what} exceeds the limit of ${mib(maxBytes)}; refused`,
      'too-large',
      url,
    );
  async function* raw(): AsyncGenerator<Buffer> {
    for await (const chunk of body) {
      onChunk();
      rawBytes += chunk.byteLength;
      if (rawBytes > maxBytes) throw tooLarge('body');
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  }
  const it = raw()[Symbol.asyncIterator]();
  // look at the first two bytes to decide
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 2) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.length;
  }
  const first = Buffer.concat(head);
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    if (done) return;
    // once the reader has failed, never wait on the network again (an aborted body that was
    // already fully received may never settle)
    while (!failure) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  let failure: unknown = null;
  const gzip = first[0] === GZIP_MAGIC_0 && first[1] === GZIP_MAGIC_1;
  if (!gzip) {
    const parts: Buffer[] = [];
    for await (const c of rest()) parts.push(c);
    return Buffer.concat(parts);
  }
  const gunzip = createGunzip();
  const parts: Buffer[] = [];
  let outBytes = 0;
  // resolved when the reader stops: a destroyed inflater does not always emit 'close' while a
  // write is pending, so the feeder must not wait for stream events alone
  let stop = () => {};
  const stopped = new Promise<void>((res) => {
    stop = res;
  });
  // feed the inflater from the network while reading its output, so a bomb stops at the limit
  const feeding = (async () => {
    try {
      for await (const c of rest()) {
        if (failure || gunzip.destroyed) return;
        if (!gunzip.write(c) && !gunzip.destroyed)
          await Promise.race([
            stopped,
            new Promise<void>((res) => {
              const done = () => {
                gunzip.off('drain', done);
                gunzip.off('close', done);
                res();
              };
              gunzip.once('drain', done);
              gunzip.once('close', done);
            }),
          ]);
      }
      gunzip.end();
    } catch (e) {
      failure ??= e;
      gunzip.destroy();
    }
  })();
  try {
    for await (const c of gunzip as AsyncIterable<Buffer>) {
      outBytes += c.length;
      if (outBytes > maxBytes) throw tooLarge('after decompression');
      parts.push(c);
    }
  } catch (e) {
    failure ??= e;
    gunzip.destroy();
    // stop the transfer too, or the feeder would wait for the rest of a slow body
    cancel();
  } finally {
    stop();
  }
  await feeding;
  if (failure) {
    if (failure instanceof HttpError) throw failure;
    const err = failure as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
      // a stream cut short is a transfer problem; anything else is a corrupt file
      if (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message))
        throw new Transient(`gzip stream ended early: ${err.message}`);
      throw new HttpError(`${url}: corrupt gzip data (${err.message})`, 'bad-gzip', url);
    }
    throw failure;
  }
  return Buffer.concat(parts);
}

function describeNetworkError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause ? ` (${[err.cause.code, err.cause.message].filter(Boolean).join(': ')})` : '';
  return `${err.message ?? String(e)}${cause}`;
}

/** The options with their defaults filled in. */
interface Settings {
  fetch: FetchLike;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => Date;
  random: () => number;
  timeoutMs: number;
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  maxBytes: number;
  headers: Record<string, string>;
  discardBody: boolean;
  signal: AbortSignal | undefined;
  method: 'GET' | 'POST';
  body: string | undefined;
  settled: (() => Promise<HttpResponse | null>) | undefined;
  errorDetailBytes: number;
}

function settings(opts: HttpOptions, request: HttpRequest): Settings {
  const method = request.method ?? 'GET';
  // a POST that cannot tell whether a failed attempt took effect is not tried twice
  const retries = method === 'POST' && !request.settled ? 0 : (opts.retries ?? DEFAULTS.retries);
  return {
    fetch: opts.fetch ?? ((u, init) => fetch(u, init)),
    sleep: opts.sleep ?? defaultSleep,
    now: opts.now ?? (() => new Date()),
    random: opts.random ?? Math.random,
    timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
    retries: Math.max(0, Math.floor(retries)),
    baseDelayMs: opts.baseDelayMs ?? DEFAULTS.baseDelayMs,
    maxDelayMs: opts.maxDelayMs ?? DEFAULTS.maxDelayMs,
    maxRetryAfterMs: opts.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs,
    maxBytes: opts.maxBytes ?? request.defaultMaxBytes,
    headers: {
      'user-agent': opts.userAgent ?? userAgent(null),
      ...request.headers,
    },
    discardBody: request.discardBody ?? false,
    signal: opts.signal,
    method,
    body: request.body,
    settled: request.settled,
    errorDetailBytes: Math.max(0, request.errorDetailBytes ?? 0),
  };
}

/** Up to `max` bytes of a body, as text; the rest is not read. Empty when there is none or it fails. */
async function bodyStart(res: Response, max: number): Promise<string> {
  if (max <= 0 || res.body === null) {
    await res.body?.cancel().catch(() => undefined);
    return '';
  }
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    while (n < max) {
      const r = await reader.read();
      if (r.done) break;
      parts.push(r.value);
      n += r.value.byteLength;
    }
  } catch {
    // what arrived is enough for a message
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(parts).subarray(0, max).toString('utf8');
}

/** A 2xx or 304 answer as the caller gets it: the body read (bounded, gunzipped) or discarded. */
async function answer(res: Response, url: string, s: Settings, arm: () => void, cancel: () => void) {
  const status = res.status;
  if (status === 304 || res.body === null || s.discardBody) {
    await res.body?.cancel().catch(() => undefined);
    return { status, headers: res.headers, body: Buffer.alloc(0), url: res.url || url };
  }
  const length = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(length) && length > s.maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new HttpError(
      `${url}: response of ${mib(length)} exceeds the limit of ${mib(s.maxBytes)}; refused`,
      'too-large',
      url,
      status,
    );
  }
  const body = await readBody(res.body as unknown as AsyncIterable<Uint8Array>, url, s.maxBytes, arm, cancel);
  return { status, headers: res.headers, body, url: res.url || url };
}

/** One attempt: the answer, an HttpError when it is final, a Transient when another attempt may help. */
async function attempt(url: string, s: Settings): Promise<HttpResponse> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, s.timeoutMs);
  };
  const onOuterAbort = () => controller.abort();
  s.signal?.addEventListener('abort', onOuterAbort, { once: true });
  arm();
  try {
    const res = await s.fetch(url, {
      method: s.method,
      headers: s.headers,
      signal: controller.signal,
      // a POST is not sent again to wherever a redirect points
      redirect: s.method === 'GET' ? 'follow' : 'manual',
      ...(s.body !== undefined ? { body: s.body } : {}),
    });
    const status = res.status;
    if (status === 304 || (status >= 200 && status < 300))
      return await answer(res, url, s, arm, () => controller.abort());
    const detail = await bodyStart(res, s.errorDetailBytes);
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), s.now());
      if (retryAfterMs !== null && retryAfterMs > s.maxRetryAfterMs)
        throw new HttpError(
          `${url}: HTTP ${status}, and the server asks to wait ${Math.ceil(retryAfterMs / 1000)} s, ` +
            `longer than the ${Math.ceil(s.maxRetryAfterMs / 1000)} s allowed; try again later`,
          'retry-after-too-long',
          url,
          status,
          detail || null,
        );
      throw new Transient(`HTTP ${status} ${res.statusText}`.trim(), retryAfterMs, status, detail || null);
    }
    if (status === 404 || status === 410)
      throw new HttpError(`${url}: not found (HTTP ${status})`, 'not-found', url, status, detail || null);
    throw new HttpError(
      `${url}: HTTP ${status} ${res.statusText}`.trim(),
      'http',
      url,
      status,
      detail || null,
    );
  } catch (e) {
    if (e instanceof HttpError || e instanceof Transient) throw e;
    if (s.signal?.aborted) throw e;
    if (timedOut) throw new Transient(`no data for ${s.timeoutMs} ms (timed out)`);
    throw new Transient(`connection failed: ${describeNetworkError(e)}`);
  } finally {
    clearTimeout(timer);
    s.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * GET with the retry policy. Returns 2xx and 304 answers; throws HttpError for anything else,
 * including the caller's abort.
 */
export function httpGet(
  url: string,
  opts: HttpOptions,
  request: Omit<HttpRequest, 'method' | 'body' | 'settled'>,
): Promise<HttpResponse> {
  return httpRequest(url, opts, { ...request, method: 'GET' });
}

/**
 * A GET or a POST with the retry policy (a POST retried only with `settled`, see the file's
 * comment). Returns 2xx and 304 answers (or what `settled` found); throws HttpError for anything
 * else, including the caller's abort.
 */
export async function httpRequest(
  url: string,
  opts: HttpOptions,
  request: HttpRequest,
): Promise<HttpResponse> {
  const s = settings(opts, request);
  const aborted = () => new HttpError(`${url}: aborted`, 'aborted', url);
  let last: Transient | null = null;
  for (let n = 0; n <= s.retries; n++) {
    if (s.signal?.aborted) throw aborted();
    if (n > 0 && last) {
      const wait = Math.max(last.retryAfterMs ?? 0, backoffMs(n - 1, s.random, s.baseDelayMs, s.maxDelayMs));
      try {
        await s.sleep(wait, s.signal);
      } catch (e) {
        if (s.signal?.aborted) throw aborted();
        throw e;
      }
      if (s.signal?.aborted) throw aborted();
      // the failed attempt may have taken effect: ask before doing it again
      const done = s.settled ? await s.settled() : null;
      if (done) return done;
    }
    try {
      return await attempt(url, s);
    } catch (e) {
      if (e instanceof HttpError) throw e;
      if (s.signal?.aborted) throw aborted();
      if (!(e instanceof Transient)) throw e;
      last = e;
    }
  }
  const attempts = s.retries + 1;
  throw new HttpError(
    `${url}: giving up after ${attempts} attempt${attempts === 1 ? '' : 's'}; last error: ${last?.message ?? 'unknown'}`,
    'exhausted',
    url,
    last?.status ?? null,
    last?.detail ?? null,
  );
}
