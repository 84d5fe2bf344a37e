/**
 * The dashboard's pages over the store: each reads what it shows (read-only queries) and hands
 * it to the pure renderers. Shared by the request handler and the static export.
 */
import { CHECKS } from '../../checks/index.js';
import type { IgnoreRecord, MuteRecord } from '../store/policy.js';
import type { Store } from '../store/store.js';
import { buildCoverage, type SpecIndexData } from './coverage.js';
import { html } from './html.js';
import type { Links, ListQuery, PageOptions } from './layout.js';
import { page } from './layout.js';
import { DEFAULT_LORE_INBOX, type LoreLinks, loreLinks } from './lore.js';
import { DashboardQueries } from './queries.js';
import { renderChecksPage } from './render-checks.js';
import { renderCoveragePage } from './render-coverage.js';
import { pageCount, renderListPage } from './render-list.js';
import { type RevisionView, renderSeriesPage } from './render-series.js';
import { specChangesByRevision } from './spec-changes.js';

export function listPage(store: Store, query: ListQuery, links: Links, opts: PageOptions): string {
  const filter = {
    ...(query.q ? { search: query.q } : {}),
    ...(query.list ? { list: query.list } : {}),
    ...(query.state ? { state: query.state } : {}),
  };
  const queries = new DashboardQueries(store);
  let result = queries.listSeries({ ...filter, limit: query.per, offset: (query.page - 1) * query.per });
  const pages = pageCount(result.total, query.per);
  let q = query;
  if (query.page > pages) {
    // past the end (the list shrank, or a hand-made URL): show the last page
    q = { ...query, page: pages };
    result = queries.listSeries({ ...filter, limit: query.per, offset: (pages - 1) * query.per });
  }
  const lists = links.dynamic ? queries.seriesLists() : [];
  return renderListPage({ query: q, result, lists }, links, opts);
}

function subjectOf(store: Store, messageId: string): string | null {
  const info = store.messages.seen(messageId)?.info as { subject?: unknown } | null | undefined;
  return typeof info?.subject === 'string' ? info.subject : null;
}

const DEFAULT_LORE = (loreLinks(DEFAULT_LORE_INBOX) as { links: LoreLinks }).links;

/**
 * Null when there is no such series. `tree`: the kernel tree the spec changes between revisions
 * are read on; null reads them from the hunks.
 */
export async function seriesPage(
  store: Store,
  id: number,
  links: Links,
  opts: PageOptions,
  tree: string | null = null,
): Promise<string | null> {
  const series = store.series.byId(id);
  if (!series) return null;
  const queries = new DashboardQueries(store);
  const stored = store.series.revisions(id);
  const specChanges = await specChangesByRevision(store, stored, tree);
  const revisions: RevisionView[] = stored.reverse().map((rev) => {
    const subjects = new Map<string, string>();
    const dates = new Map<string, string>();
    for (const m of [...(rev.coverMessageId ? [rev.coverMessageId] : []), ...rev.patchMessageIds]) {
      const s = subjectOf(store, m);
      if (s !== null) subjects.set(m, s);
      const d = queries.mailDate(m);
      if (d !== null) dates.set(m, d);
    }
    return {
      rev,
      replies: queries.replyCounts(rev.id),
      history: rev.reviewedAt ? store.findings.history(id, rev.revision) : null,
      findings: store.findings.ofRevision(rev.id),
      subjects,
      dates,
      postedAt: queries.postedAt(rev),
      humanReplies: queries.humanReplies(rev),
      specChanges: specChanges.get(rev.id) ?? null,
    };
  });
  const applies = (i: IgnoreRecord) =>
    i.scope.kind === 'global' ||
    (i.scope.kind === 'series' && i.scope.seriesId === id) ||
    (i.scope.kind === 'list' && i.scope.listId === series.listId);
  const mutes = store.policy.mutes();
  const mute: MuteRecord | null =
    mutes.find((m) => m.target.kind === 'series' && m.target.seriesId === id) ??
    mutes.find((m) => m.target.kind === 'list' && m.target.listId === series.listId) ??
    null;
  return renderSeriesPage(
    {
      series,
      revisions,
      mute,
      ignores: store.policy.ignores().filter(applies),
      lore: opts.lore ?? DEFAULT_LORE,
    },
    links,
    opts,
  );
}

export function checksPage(store: Store, links: Links, opts: PageOptions): string {
  const queries = new DashboardQueries(store);
  return renderChecksPage(
    {
      figures: queries.checkFigures(),
      perDay: queries.findingsPerDay(),
      checks: CHECKS.map((c) => c.meta),
    },
    links,
    opts,
  );
}

export function coveragePage(
  store: Store,
  specs: SpecIndexData | null,
  links: Links,
  opts: PageOptions,
): string {
  return renderCoveragePage(
    buildCoverage(specs, new DashboardQueries(store).openFindingsBySpec()),
    links,
    opts,
  );
}

export function errorPage(status: number, message: string, links: Links, opts: PageOptions): string {
  return page(
    String(status),
    links,
    null,
    html`<h1>${status}</h1><p>${message}</p><p><a href="${links.list()}">All series</a></p>`,
    opts,
  );
}
