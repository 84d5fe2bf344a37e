/**
 * The dashboard as a plain Node request handler, for the standalone server (server.ts) and for
 * the GitHub App, whose Probot server mounts it with `addHandler`:
 *
 *   server.addHandler(createDashboardHandler({ store, basePath: '/kapi-review' }));
 *
 * It answers every path under `basePath` (a 404 page for the ones it does not know) and returns
 * false, touching nothing, for any other path. GET and HEAD only. Every response carries a strict
 * Content-Security-Policy (layout.ts: no script, the one style sheet by hash).
 *
 * With `auth`, every path under `basePath` answers 401 (and asks for HTTP basic authentication)
 * unless the request carries the token (`Authorization: Bearer TOKEN`, or basic authentication
 * with the token as the password) or the user and password. The secrets are compared in constant
 * time (as SHA-256 digests, so their lengths do not show either). A query parameter the pages do
 * not understand answers 400.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store.js';
import type { SpecIndexData } from './coverage.js';
import {
  CSP,
  type Links,
  normalizeBase,
  type PageOptions,
  parseListQuery,
  QueryError,
  serverLinks,
} from './layout.js';
import type { LoreLinks } from './lore.js';
import { checksPage, coveragePage, errorPage, listPage, seriesPage } from './pages.js';

/** Who may read the dashboard: whoever has the token, or the user with the password. */
export type DashboardAuth = { token: string } | { user: string; pass: string };

export interface DashboardOptions {
  store: Store;
  /** None: anyone who reaches the server (the standalone server stays on loopback by default). */
  auth?: DashboardAuth | null;
  /** Where the dashboard lives: '' or '/' for the root, '/kapi-review' under the GitHub App. */
  basePath: string;
  /** The tree's spec index for the coverage page (or a function giving the current one). */
  specs?: SpecIndexData | null | (() => SpecIndexData | null);
  /** Where mails are linked to (lore.ts loreLinks); default: lore.kernel.org's `all` inbox. */
  lore?: LoreLinks;
  /** The kernel tree the spec changes between revisions are read on; none: from the hunks. */
  tree?: string | null;
  /** The time in the footer; default: the clock. */
  now?: () => Date;
  /** Told about a failure behind a 500 page (the page itself says nothing about it). */
  onError?: (err: unknown, req: IncomingMessage) => void;
}

export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  extra: Record<string, string> = {},
): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(bytes.byteLength),
    ...extra,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time equality of two strings, whatever their lengths. */
function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Whether the request's Authorization header satisfies `auth`. */
function authorized(header: string | undefined, auth: DashboardAuth): boolean {
  if (!header || header.length > 4096) return false;
  const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const scheme = (m[1] as string).toLowerCase();
  const value = m[2] as string;
  if (scheme === 'bearer') return 'token' in auth && same(value, auth.token);
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const pass = decoded.slice(colon + 1);
  if ('token' in auth) return same(pass, auth.token);
  // both compared every time: no early return tells which one was wrong
  const userOk = same(user, auth.user);
  const passOk = same(pass, auth.pass);
  return userOk && passOk;
}

export function createDashboardHandler(opts: DashboardOptions): DashboardHandler {
  const base = normalizeBase(opts.basePath);
  const links: Links = serverLinks(base);
  const specs = (): SpecIndexData | null =>
    typeof opts.specs === 'function' ? opts.specs() : (opts.specs ?? null);
  return async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    } catch {
      return false;
    }
    const path = url.pathname;
    if (base !== '' && path !== base && !path.startsWith(`${base}/`)) return false;
    const rest = path.slice(base.length) || '/';
    const pageOpts: PageOptions = {
      metaCsp: false,
      now: (opts.now ?? (() => new Date()))(),
      ...(opts.lore ? { lore: opts.lore } : {}),
    };
    if (opts.auth && !authorized(req.headers.authorization, opts.auth)) {
      send(req, res, 401, errorPage(401, 'This dashboard needs a login.', links, pageOpts), {
        'WWW-Authenticate': 'Basic realm="kapi-review", charset="UTF-8"',
      });
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, 405, errorPage(405, 'Only GET and HEAD.', links, pageOpts), { Allow: 'GET, HEAD' });
      return true;
    }
    let query: ReturnType<typeof parseListQuery> | null = null;
    if (rest === '/')
      try {
        query = parseListQuery(url.searchParams);
      } catch (e) {
        if (!(e instanceof QueryError)) throw e;
        send(req, res, 400, errorPage(400, `Bad query: ${e.message}.`, links, pageOpts));
        return true;
      }
    try {
      let body: string | null = null;
      if (query !== null) body = listPage(opts.store, query, links, pageOpts);
      else if (rest === '/checks') body = checksPage(opts.store, links, pageOpts);
      else if (rest === '/coverage') body = coveragePage(opts.store, specs(), links, pageOpts);
      else {
        const m = /^\/series\/(\d{1,15})$/.exec(rest);
        if (m) body = await seriesPage(opts.store, Number(m[1]), links, pageOpts, opts.tree ?? null);
      }
      if (body === null) send(req, res, 404, errorPage(404, 'No such page.', links, pageOpts));
      else send(req, res, 200, body);
    } catch (e) {
      opts.onError?.(e, req);
      if (!res.headersSent)
        send(req, res, 500, errorPage(500, 'The dashboard failed on this page.', links, pageOpts));
      else res.end();
    }
    return true;
  };
}
