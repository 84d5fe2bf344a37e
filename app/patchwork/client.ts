/**
 * A client of patchwork's REST API (version 1.2; the patches' `msgid` filter came with patchwork
 * 2.2.1, and a server that ignores it is caught by postCheck's exact match), through the one HTTP
 * client (app/net/http.ts): find a patch of a project by its Message-ID,
 * list a patch's checks of one context, create a check. Lists are paginated (`per_page`, and the
 * next page from the Link header, followed only on the instance's own origin, so the token never
 * goes elsewhere). The token goes in `Authorization: Token ...`; it is given by the caller, who
 * reads it from the environment.
 *
 * Failures are PatchworkErrors of three kinds: 'refused' (401 or 403: the token or its rights;
 * every other request would fail the same way), 'rejected' (another 4xx, with patchwork's own
 * words: not worth retrying) and 'failed' (5xx, timeouts, refused connections after the retries,
 * an answer that is not patchwork's JSON).
 */
import { sanitize } from '../../parsers/text/controls.js';
import type { PatchworkState } from '../../reporters/patchwork.js';
import { HttpError, type HttpOptions, type HttpResponse, httpGet, httpRequest } from '../net/http.js';

const API_VERSION = '1.2';

/** Pages of one list read at the most; a patch has a few checks, a Message-ID one patch. */
const MAX_PAGES = 20;
const PER_PAGE = 100;
const MAX_BYTES = 8 * 1024 * 1024;
/** What of a refusal's body is kept for the message. */
const DETAIL_BYTES = 2048;

export type PatchworkErrorKind = 'refused' | 'rejected' | 'failed';

export class PatchworkError extends Error {
  override readonly name = 'PatchworkError';
  constructor(
    message: string,
    readonly kind: PatchworkErrorKind,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface PatchworkPatch {
  id: number;
  msgid: string;
  /** The patch's page on patchwork, when it said. */
  webUrl: string | null;
}

export interface PatchworkCheck {
  id: number;
  url: string | null;
  state: string;
  context: string;
  description: string | null;
  targetUrl: string | null;
}

/** What a new check says. */
export interface CheckBody {
  state: PatchworkState;
  context: string;
  description: string;
  targetUrl: string | null;
}

export interface PatchworkClientOptions {
  /** The instance, e.g. https://patchwork.kernel.org (a trailing /api or /api/1.x is dropped). */
  url: string;
  /** The project's link name (or id) on the instance. */
  project: string;
  /** The API token; null for reading only. */
  token: string | null;
  /** The HTTP client's options: fetch, retries, the waits, the user agent. */
  http?: HttpOptions;
}

/** The instance's base URL: http(s), no query, no trailing slash or API path. Throws on anything else. */
export function patchworkBase(url: string): string {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new PatchworkError(`${url}: not a URL`, 'rejected');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new PatchworkError(`${url}: not an http(s) URL`, 'rejected');
  if (u.username || u.password)
    throw new PatchworkError(
      `${url}: credentials do not go in the URL (the token comes from the environment)`,
      'rejected',
    );
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api(\/\d+\.\d+)?$/, '');
  return `${u.origin}${path}`;
}

/** The `next` target of a Link header, if any. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2] as string))
      return (m[1] as string).trim();
  }
  return null;
}

/** A one-line excerpt of what patchwork said, for a message. */
function said(detail: string | null): string {
  const text = sanitize(detail ?? '', 'mailHeader')
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) return '';
  return `: ${text.length > 200 ? `${text.slice(0, 200)}...` : text}`;
}

function asError(e: unknown, what: string): PatchworkError {
  if (e instanceof PatchworkError) return e;
  if (e instanceof HttpError) {
    const status = e.status;
    if ((e.code === 'http' || e.code === 'not-found') && status !== null && status >= 400 && status < 500) {
      const kind = status === 401 || status === 403 ? 'refused' : 'rejected';
      return new PatchworkError(`${what}: HTTP ${status}${said(e.detail)}`, kind, status);
    }
    return new PatchworkError(`${what}: ${e.message}`, 'failed', status);
  }
  return new PatchworkError(`${what}: ${e instanceof Error ? e.message : String(e)}`, 'failed');
}

function parseJson(res: HttpResponse, what: string): unknown {
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    throw new PatchworkError(`${what}: the answer is not JSON`, 'failed', res.status);
  }
}

function record(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toPatch(v: unknown): PatchworkPatch | null {
  const r = record(v);
  if (!r || !Number.isSafeInteger(r.id) || typeof r.msgid !== 'string') return null;
  return { id: r.id as number, msgid: r.msgid, webUrl: strOrNull(r.web_url) };
}

function toCheck(v: unknown): PatchworkCheck | null {
  const r = record(v);
  if (!r || !Number.isSafeInteger(r.id) || typeof r.state !== 'string' || typeof r.context !== 'string')
    return null;
  return {
    id: r.id as number,
    url: strOrNull(r.url),
    state: r.state,
    context: r.context,
    description: strOrNull(r.description),
    targetUrl: strOrNull(r.target_url),
  };
}

export class PatchworkClient {
  readonly base: string;
  readonly project: string;
  private readonly token: string | null;
  private readonly http: HttpOptions;

  constructor(opts: PatchworkClientOptions) {
    this.base = patchworkBase(opts.url);
    if (!opts.project.trim()) throw new PatchworkError('the patchwork project is empty', 'rejected');
    this.project = opts.project.trim();
    this.token = opts.token;
    this.http = opts.http ?? {};
  }

  /** Names the instance and project in the store and in messages. */
  get instance(): string {
    return `${this.base} ${this.project}`;
  }

  private api(path: string, query: Record<string, string> = {}): string {
    const q = new URLSearchParams(query).toString();
    return `${this.base}/api/${API_VERSION}/${path}${q ? `?${q}` : ''}`;
  }

  private headers(json = false): Record<string, string> {
    return {
      accept: 'application/json',
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...(this.token ? { authorization: `Token ${this.token}` } : {}),
    };
  }

  /** Every item of a paginated list, following Link rel="next" on this instance's origin only. */
  private async list<T>(first: string, what: string, read: (v: unknown) => T | null): Promise<T[]> {
    const out: T[] = [];
    const origin = new URL(this.base).origin;
    let url: string | null = first;
    for (let page = 0; url !== null; page++) {
      if (page >= MAX_PAGES) throw new PatchworkError(`${what}: more than ${MAX_PAGES} pages`, 'failed');
      let res: HttpResponse;
      try {
        res = await httpGet(url, this.http, {
          headers: this.headers(),
          defaultMaxBytes: MAX_BYTES,
          errorDetailBytes: DETAIL_BYTES,
        });
      } catch (e) {
        throw asError(e, what);
      }
      const body = parseJson(res, what);
      if (!Array.isArray(body)) throw new PatchworkError(`${what}: the answer is not a list`, 'failed');
      for (const item of body) {
        const v = read(item);
        if (v !== null) out.push(v);
      }
      const next = nextLink(res.headers.get('link'));
      if (next === null) break;
      let nextUrl: URL;
      try {
        nextUrl = new URL(next, url);
      } catch {
        throw new PatchworkError(`${what}: a next page that is not a URL`, 'failed');
      }
      if (nextUrl.origin !== origin)
        throw new PatchworkError(
          `${what}: the next page is on another site (${nextUrl.origin}); not followed`,
          'failed',
        );
      url = nextUrl.href;
    }
    return out;
  }

  /** The project's patches with this Message-ID (without angle brackets): one, or none yet. */
  patchesByMsgid(msgid: string): Promise<PatchworkPatch[]> {
    return this.list(
      this.api('patches/', { project: this.project, msgid, per_page: String(PER_PAGE) }),
      `looking up patch <${msgid}> in ${this.project}`,
      toPatch,
    );
  }

  /** A patch's checks of one context, in patchwork's order. */
  checks(patchId: number, context: string): Promise<PatchworkCheck[]> {
    return this.list(
      this.api(`patches/${patchId}/checks/`, { context, per_page: String(PER_PAGE) }),
      `listing the checks of patch ${patchId}`,
      toCheck,
    );
  }

  /**
   * Creates a check. A failed attempt is retried (with the HTTP client's policy) only after
   * `settled` said that the check is not there after all: a 5xx may come after patchwork
   * recorded it. `settled` answers with the check it found, or null.
   */
  async createCheck(
    patchId: number,
    body: CheckBody,
    settled: () => Promise<PatchworkCheck | null>,
  ): Promise<PatchworkCheck> {
    const what = `posting a check on patch ${patchId}`;
    if (!this.token) throw new PatchworkError(`${what}: no token`, 'refused');
    const url = this.api(`patches/${patchId}/checks/`);
    // the check a failed attempt left after all, as `settled` found it
    let recovered: PatchworkCheck | null = null;
    let res: HttpResponse;
    try {
      res = await httpRequest(url, this.http, {
        method: 'POST',
        body: JSON.stringify({
          state: body.state,
          context: body.context,
          description: body.description,
          target_url: body.targetUrl,
        }),
        headers: this.headers(true),
        defaultMaxBytes: MAX_BYTES,
        errorDetailBytes: DETAIL_BYTES,
        settled: async () => {
          recovered = await settled();
          return recovered ? { status: 200, headers: new Headers(), body: Buffer.alloc(0), url } : null;
        },
      });
    } catch (e) {
      throw asError(e, what);
    }
    if (recovered) return recovered;
    const check = toCheck(parseJson(res, what));
    if (!check) throw new PatchworkError(`${what}: the answer is not a check`, 'failed', res.status);
    return check;
  }
}
