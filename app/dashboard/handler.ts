/**
 * The dashboard as a plain Node request handler, for the standalone server (server.ts) and for
 * the GitHub App, whose Probot server mounts it with `addHandler`:
 *
 *   server.addHandler(createDashboardHandler({ store, basePath: '/kapi-review' }));
 *
 * It answers every path under `basePath` (a 404 page for the ones it does not know) and returns
 * false, touching nothing, for any other path. GET and HEAD only. Every response carries a strict
 * Content-Security-Policy (layout.ts: no script, the one style sheet by hash).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store.js';
import type { SpecIndexData } from './coverage.js';
import { CSP, type Links, normalizeBase, type PageOptions, parseListQuery, serverLinks } from './layout.js';
import { checksPage, coveragePage, errorPage, listPage, seriesPage } from './pages.js';

export interface DashboardOptions {
  store: Store;
  /** Where the dashboard lives: '' or '/' for the root, '/kapi-review' under the GitHub App. */
  basePath: string;
  /** The tree's spec index for the coverage page (or a function giving the current one). */
  specs?: SpecIndexData | null | (() => SpecIndexData | null);
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
    const pageOpts: PageOptions = { metaCsp: false, now: (opts.now ?? (() => new Date()))() };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, 405, errorPage(405, 'Only GET and HEAD.', links, pageOpts), { Allow: 'GET, HEAD' });
      return true;
    }
    try {
      let body: string | null = null;
      if (rest === '/') body = listPage(opts.store, parseListQuery(url.searchParams), links, pageOpts);
      else if (rest === '/checks') body = checksPage(opts.store, links, pageOpts);
      else if (rest === '/coverage') body = coveragePage(opts.store, specs(), links, pageOpts);
      else {
        const m = /^\/series\/(\d{1,15})$/.exec(rest);
        if (m) body = seriesPage(opts.store, Number(m[1]), links, pageOpts);
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
