/**
 * `kapi-review dashboard` (serve the dashboard over the bot's store, or write it as a static site)
 * and `kapi-review summary` (the maintainer digest of a period). Both only read the store; a
 * missing store file is an error here, never created.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { digestToJson, renderDigestMarkdown, renderDigestText } from '../../reporters/digest.js';
import {
  parseSpecIndexJson,
  type SpecIndexData,
  SpecIndexError,
  specIndexData,
} from '../dashboard/coverage.js';
import { DEFAULT_LORE_INBOX, type LoreLinks, loreLinks } from '../dashboard/lore.js';
import { exportDashboard, serveDashboard } from '../dashboard/server.js';
import { collectDigest } from '../digest/collect.js';
import { indexTree } from '../index/specs.js';
import { defaultStorePath } from '../store/db.js';
import { Store, StoreError } from '../store/store.js';
import type { CliIo } from './main.js';
import { UsageError } from './usage.js';

export interface DashboardCliOptions {
  state?: string;
  port?: string;
  host: string;
  out?: string;
  specs?: string;
  tree?: string;
  /** The public-inbox inbox mails link to (default: $KAPI_LORE_URL, else lore.kernel.org/all). */
  loreUrl?: string;
}

export interface SummaryCliOptions {
  state?: string;
  since: string;
  format: string;
}

function openStore(db: string | undefined, env: NodeJS.ProcessEnv): Store {
  const path = db ?? defaultStorePath(env, homedir());
  if (!existsSync(path))
    throw new UsageError(
      `no store at ${resolve(path)} (the bot writes one: kapi-review bot --state FILE); give --state FILE`,
    );
  try {
    return Store.open({ path, now: () => new Date(), readonly: true });
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
}

async function loadSpecs(opts: DashboardCliOptions): Promise<SpecIndexData | null> {
  if (opts.specs && opts.tree) throw new UsageError('--specs and --tree: one or the other');
  if (opts.specs) {
    let text: string;
    try {
      text = readFileSync(opts.specs, 'utf8');
    } catch (e) {
      throw new UsageError(`--specs ${opts.specs}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    try {
      return parseSpecIndexJson(text, opts.specs);
    } catch (e) {
      if (e instanceof SpecIndexError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (opts.tree) {
    if (!existsSync(opts.tree) || !statSync(opts.tree).isDirectory())
      throw new UsageError(`--tree ${opts.tree}: not a directory`);
    return specIndexData(await indexTree([opts.tree]), opts.tree);
  }
  return null;
}

/** The lore links of --lore-url (or $KAPI_LORE_URL); a URL that is no http(s) inbox is bad usage. */
function lore(opts: DashboardCliOptions, env: NodeJS.ProcessEnv): LoreLinks {
  const url = opts.loreUrl || env.KAPI_LORE_URL || DEFAULT_LORE_INBOX;
  const r = loreLinks(url);
  if ('error' in r) throw new UsageError(`--lore-url: ${r.error}`);
  return r.links;
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: not a port: ${v}`);
  return n;
}

function signals(): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * Serves (--port) and/or exports (--out). A server runs until `until` settles (default: SIGINT
 * or SIGTERM).
 */
export async function dashboardCommand(
  opts: DashboardCliOptions,
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  until?: (url: string) => Promise<void>,
): Promise<number> {
  if (opts.port === undefined && opts.out === undefined)
    throw new UsageError('give --port N to serve the dashboard or --out DIR to write it');
  const listen = opts.port === undefined ? null : port(opts.port);
  const links = lore(opts, env);
  const specs = await loadSpecs(opts);
  const store = openStore(opts.state, env);
  try {
    if (opts.out !== undefined) {
      const r = await exportDashboard({
        store,
        dir: opts.out,
        specs,
        lore: links,
        now: new Date(),
        tree: opts.tree ?? null,
      });
      io.err(
        `kapi-review dashboard: wrote ${r.files} pages (${r.listPages} list, ${r.seriesPages} series) to ${resolve(opts.out)}; open ${resolve(opts.out, 'index.html')}\n`,
      );
    }
    if (listen !== null) {
      const server = await serveDashboard({
        store,
        host: opts.host,
        port: listen,
        specs,
        lore: links,
        tree: opts.tree ?? null,
        onError: (e) => io.err(`kapi-review dashboard: ${e instanceof Error ? (e.stack ?? e.message) : e}\n`),
      });
      io.err(`kapi-review dashboard: serving ${server.url} (Ctrl-C stops)\n`);
      try {
        await (until ? until(server.url) : signals());
      } finally {
        await server.close();
      }
    }
    return 0;
  } finally {
    store.close();
  }
}

/**
 * A period start from `--since`: `7d`, `36h`, `2w`, `90m`, or a date or time (`2026-03-01`,
 * `2026-03-01T10:00:00Z`). Null when it is none of these.
 */
export function parseSince(text: string, now: Date): Date | null {
  const m = /^\s*(\d+)\s*([mhdw])\s*$/i.exec(text);
  if (m) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      (m[2] as string).toLowerCase() as 'm' | 'h' | 'd' | 'w'
    ];
    return new Date(now.getTime() - Number(m[1]) * unit);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return null;
  const d = new Date(text.trim());
  return Number.isNaN(d.getTime()) ? null : d;
}

export async function summaryCommand(
  opts: SummaryCliOptions,
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  now: Date = new Date(),
): Promise<number> {
  const since = parseSince(opts.since, now);
  if (!since) throw new UsageError(`--since ${opts.since}: a period (7d, 24h, 2w) or a date`);
  if (since.getTime() > now.getTime()) throw new UsageError(`--since ${opts.since}: in the future`);
  const store = openStore(opts.state, env);
  try {
    const digest = collectDigest(store, since.toISOString(), now.toISOString());
    if (opts.format === 'json') io.out(`${JSON.stringify(digestToJson(digest), null, 2)}\n`);
    else if (opts.format === 'text') io.out(renderDigestText(digest));
    else io.out(renderDigestMarkdown(digest));
    return 0;
  } finally {
    store.close();
  }
}
