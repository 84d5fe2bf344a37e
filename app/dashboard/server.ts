/**
 * `kapi-review dashboard --port N`: the handler on its own node:http server (at the root), and
 * `--out DIR`: the same pages written as a static site.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import type { SpecIndexData } from './coverage.js';
import { createDashboardHandler, type DashboardAuth } from './handler.js';
import {
  DEFAULT_PER_PAGE,
  defaultListQuery,
  type PageOptions,
  staticLinks,
  staticListFile,
} from './layout.js';
import type { LoreLinks } from './lore.js';
import { checksPage, coveragePage, listPage, seriesPage } from './pages.js';
import { DashboardQueries } from './queries.js';
import { pageCount } from './render-list.js';

export interface ServeOptions {
  store: Store;
  /** Default 127.0.0.1: without `auth` the dashboard has no login, so it stays on loopback unless asked. */
  host?: string;
  /** A token or a user and password every request must carry (handler.ts). */
  auth?: DashboardAuth | null;
  /** 0: any free port. */
  port: number;
  specs?: SpecIndexData | null;
  /** Where mails are linked to; default: lore.kernel.org's `all` inbox. */
  lore?: LoreLinks;
  /** The kernel tree the spec changes between revisions are read on; none: from the hunks. */
  tree?: string | null;
  now?: () => Date;
  onError?: (err: unknown) => void;
}

export interface DashboardServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function serveDashboard(opts: ServeOptions): Promise<DashboardServer> {
  const handler = createDashboardHandler({
    store: opts.store,
    basePath: '',
    specs: opts.specs ?? null,
    ...(opts.auth ? { auth: opts.auth } : {}),
    ...(opts.lore ? { lore: opts.lore } : {}),
    ...(opts.tree ? { tree: opts.tree } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.onError ? { onError: (e: unknown) => opts.onError?.(e) } : {}),
  });
  const server = createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      opts.onError?.(e);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface ExportOptions {
  store: Store;
  dir: string;
  specs?: SpecIndexData | null;
  /** Where mails are linked to; default: lore.kernel.org's `all` inbox. */
  lore?: LoreLinks;
  now?: Date | null;
  perPage?: number;
  /** The kernel tree the spec changes between revisions are read on; none: from the hunks. */
  tree?: string | null;
}

export interface ExportReport {
  listPages: number;
  seriesPages: number;
  files: number;
}

/**
 * Writes the dashboard as files that work from file:// (relative links, the CSP in a <meta>):
 * index.html and page-N.html (the list), series/ID.html, checks.html, coverage.html.
 */
export async function exportDashboard(opts: ExportOptions): Promise<ExportReport> {
  const per = opts.perPage ?? DEFAULT_PER_PAGE;
  const pageOpts: PageOptions = {
    metaCsp: true,
    now: opts.now ?? null,
    ...(opts.lore ? { lore: opts.lore } : {}),
  };
  mkdirSync(join(opts.dir, 'series'), { recursive: true });
  const top = staticLinks(0);
  const queries = new DashboardQueries(opts.store);
  const total = queries.listSeries({ limit: 1 }).total;
  const pages = pageCount(total, per);
  let seriesPages = 0;
  for (let p = 1; p <= pages; p++) {
    writeFileSync(
      join(opts.dir, staticListFile(p)),
      listPage(opts.store, { ...defaultListQuery(), page: p, per }, top, pageOpts),
    );
    for (const item of queries.listSeries({ limit: per, offset: (p - 1) * per }).items) {
      const html = await seriesPage(opts.store, item.series.id, staticLinks(1), pageOpts, opts.tree ?? null);
      if (html === null) continue;
      writeFileSync(join(opts.dir, 'series', `${item.series.id}.html`), html);
      seriesPages++;
    }
  }
  writeFileSync(join(opts.dir, 'checks.html'), checksPage(opts.store, top, pageOpts));
  writeFileSync(join(opts.dir, 'coverage.html'), coveragePage(opts.store, opts.specs ?? null, top, pageOpts));
  return { listPages: pages, seriesPages, files: pages + seriesPages + 2 };
}
