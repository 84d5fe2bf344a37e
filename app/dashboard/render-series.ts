/**
 * One series: every revision (newest first) with its state, when it was posted (its mails' own
 * Date), where it is on lore and the `b4 am` line that fetches it, and per mail its Message-ID
 * (linked to lore) and each finding with its evidence, marked new or still present against the
 * previous reviewed revision; what that revision fixed is listed after the patches, then the
 * people's replies with their review trailers. What changed in the specs since the revision
 * before comes first, as spec-diff prints it. Pure.
 */
import type { Finding } from '../../checks/types.js';
import type { History, StoredFinding } from '../store/findings.js';
import type { IgnoreRecord, MuteRecord } from '../store/policy.js';
import type { RevisionRecord, SeriesRecord } from '../store/series.js';
import { type Html, html } from './html.js';
import { type Links, type PageOptions, page, plural, severityBadge, stateBadge, time } from './layout.js';
import { b4AmCommand, type LoreLinks } from './lore.js';
import type { HumanReply, ReplyCounts } from './queries.js';
import type { SpecChangesView } from './spec-changes.js';

export interface RevisionView {
  rev: RevisionRecord;
  replies: ReplyCounts;
  /** Null when the revision was not reviewed (waiting, superseded or corrupted). */
  history: History | null;
  findings: readonly StoredFinding[];
  /** Subjects of the cover letter and patches by Message-ID, where known. */
  subjects: ReadonlyMap<string, string>;
  /** The Date of the cover letter and patches by Message-ID, where known. */
  dates: ReadonlyMap<string, string>;
  /** When it was posted, by its mails' Date (DashboardQueries.postedAt); null when unknown. */
  postedAt: string | null;
  /** The people's replies in its thread, oldest first. */
  humanReplies: readonly HumanReply[];
  /** What changed in the specs since the revision before; null when unknown or nothing changed. */
  specChanges: SpecChangesView | null;
}

export interface SeriesView {
  series: SeriesRecord;
  /** Newest first. */
  revisions: readonly RevisionView[];
  mute: MuteRecord | null;
  /** The ignores that apply to this series (its own, its list's, global ones). */
  ignores: readonly IgnoreRecord[];
  /** Where its mails are on lore. */
  lore: LoreLinks;
}

type Status = { kind: 'new' } | { kind: 'still'; since: number; firstSeen: number };

function statusBadge(s: Status | undefined, revision: number): Html {
  if (!s) return html``;
  if (s.kind === 'new') return html`<span class="badge status-new">new in v${revision}</span>`;
  const back = s.firstSeen < s.since ? ` (first in v${s.firstSeen})` : '';
  return html`<span class="badge status-still">still present since v${s.since}${back}</span>`;
}

function findingBody(f: Finding): Html {
  const evidence = f.evidence.length
    ? html`<pre class="evidence">${f.evidence.map(
        (e, i) => html`${i ? '\n' : ''}${e.kind ? `${e.kind}: ` : ''}${e.path}:${e.line}: ${e.text}`,
      )}</pre>`
    : '';
  const about = [f.spec ? html`spec <code>${f.spec}</code>` : '', f.subject ? html` · ${f.subject}` : ''];
  return html`<p class="msg">${f.message}</p>
${f.spec || f.subject ? html`<p class="small">${about}</p>` : ''}
${evidence}
${f.suggestion ? html`<p class="small">suggestion:</p><pre class="suggestion">${f.suggestion}</pre>` : ''}`;
}

function findingCard(sf: StoredFinding, status: Status | undefined, revision: number): Html {
  const f = sf.finding;
  return html`<article class="finding sev-${f.severity}" id="f${sf.id}">
<p>${severityBadge(f.severity)} <code>${f.check}</code> ${statusBadge(status, revision)} <span class="small">${f.at.path}:${f.at.line}</span></p>
${findingBody(f)}
</article>`;
}

function fixedCard(e: History['fixed'][number], ignored: boolean): Html {
  const f = e.finding.finding;
  const badge = ignored
    ? html`<span class="badge reply-muted" title="silenced by a kapi-review: ignore command">ignored</span>`
    : html`<span class="badge status-fixed">fixed</span>`;
  return html`<article class="finding sev-${f.severity}">
<p>${badge} ${severityBadge(f.severity)} <code>${f.check}</code> <span class="small">was at ${f.at.path}:${f.at.line}, present since v${e.since}</span></p>
${findingBody(f)}
</article>`;
}

/** A link, or the text alone when there is no URL. */
function link(href: string | null, text: string): Html {
  return href === null ? html`${text}` : html`<a href="${href}">${text}</a>`;
}

/** A mail's Date and its Message-ID, linked to the message and its raw text on lore. */
function mailLine(id: string, date: string | undefined, lore: LoreLinks): Html {
  return html`<p class="small mailref">${date ? html`${time(date)} · ` : ''}${link(lore.message(id), `<${id}>`)} · ${link(lore.raw(id), 'raw')}</p>`;
}

function trailerList(r: HumanReply): Html {
  if (r.trailers.length === 0) return html``;
  return html`<ul class="trailers">${r.trailers.map(
    (t) =>
      html`<li><span class="badge trailer">${t.key}</span> ${t.name ? `${t.name} <${t.address}>` : t.address}</li>`,
  )}</ul>`;
}

function replyItem(r: HumanReply, label: (id: string) => string, lore: LoreLinks): Html {
  const when = r.date
    ? time(r.date)
    : r.followUp
      ? html`received ${time(r.followUp.receivedAt)}`
      : time(null);
  const what = r.followUp
    ? html`answered a kapi-review reply${r.followUp.command ? html`: <code>${r.followUp.command}</code>` : ''}`
    : html`on ${r.about ? label(r.about) : 'the series'}`;
  const onLore = r.kept ? html` · ${link(lore.message(r.messageId), 'on lore')}` : '';
  return html`<li class="reply">${when} <span class="from">${r.from}</span> ${what}${onLore}
${trailerList(r)}</li>`;
}

function repliesText(r: ReplyCounts): string {
  const parts = [
    r.sent - r.dryRun > 0 ? `${r.sent - r.dryRun} sent` : '',
    r.dryRun > 0 ? `${r.dryRun} written as dry-run` : '',
    r.pending ? `${r.pending} pending` : '',
    r.sending ? `${r.sending} sending` : '',
    r.failed ? `${r.failed} failed` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

/** The spec changes since the revision before, one escaped line each, as spec-diff prints them. */
function specSection(c: SpecChangesView | null): Html {
  if (!c) return html``;
  return html`<h3>Spec changes since v${c.since}</h3>
<pre class="spec-diff">${c.lines.join('\n')}</pre>`;
}

function revisionSection(
  v: RevisionView,
  byId: ReadonlyMap<number, number>,
  ignored: (f: Finding) => boolean,
  lore: LoreLinks,
): Html {
  const { rev, history } = v;
  const gone = history?.fixed ?? [];
  const silenced = gone.filter((e) => ignored(e.finding.finding)).length;
  const status = new Map<string, Status>();
  for (const e of history?.entries ?? [])
    status.set(
      e.fingerprint,
      e.status === 'new' ? { kind: 'new' } : { kind: 'still', since: e.since, firstSeen: e.firstSeen },
    );
  const groups = new Map<string | null, StoredFinding[]>();
  for (const f of v.findings) {
    const key = f.patchMessageId;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const n = rev.patchMessageIds.length;
  const patchIds = [...(rev.coverMessageId ? [rev.coverMessageId] : []), ...rev.patchMessageIds];
  const position = (id: string): string => {
    const i = rev.patchMessageIds.indexOf(id);
    return i >= 0 ? `patch ${i + 1}/${n}` : 'cover letter';
  };
  const label = (id: string): string => {
    const subject = v.subjects.get(id);
    return subject ? `${position(id)}: ${subject}` : position(id);
  };
  const patches = patchIds.map((id) => {
    const fs = groups.get(id) ?? [];
    groups.delete(id);
    const none = rev.reviewedAt === null ? '' : html`<p class="small muted">no findings</p>`;
    return html`<h3>${label(id)}</h3>
${mailLine(id, v.dates.get(id), lore)}
${fs.length ? fs.map((f) => findingCard(f, status.get(f.finding.fingerprint), rev.revision)) : none}`;
  });
  const lead = patchIds[0];
  const rest = [...groups.values()].flat();
  const counts = history
    ? history.previous === null
      ? `first review: ${plural(v.findings.length, 'finding')}`
      : `against v${history.previous}: ${history.entries.filter((e) => e.status === 'new').length} new, ` +
        `${history.entries.filter((e) => e.status === 'still').length} still present, ${gone.length - silenced} fixed` +
        (silenced ? `, ${silenced} ignored by a command` : '')
    : null;
  const superseded = rev.supersededBy !== null ? byId.get(rev.supersededBy) : undefined;
  const reviewed = rev.reviewedAt
    ? time(rev.reviewedAt)
    : html`<span class="muted">${
        rev.supersededBy !== null
          ? `not reviewed: superseded${superseded ? ` by v${superseded}` : ''}`
          : rev.state === 'corrupted'
            ? 'not reviewed: corrupted (recorded for the operator)'
            : 'not reviewed yet'
      }</span>`;
  return html`<section class="revision" id="v${rev.revision}">
<h2>v${rev.revision} ${stateBadge(rev.state, rev.stateDetail)}</h2>
<dl class="meta">
${rev.stateDetail ? html`<dt>State</dt><dd>${rev.stateDetail}</dd>` : ''}
<dt>Posted</dt><dd>${v.postedAt ? time(v.postedAt) : html`<span class="muted">no Date in its mails</span>`}</dd>
<dt>Arrived</dt><dd>${time(rev.receivedAt)}</dd>
<dt>Reviewed</dt><dd>${reviewed}</dd>
${
  lead
    ? html`<dt>Lore</dt><dd>${link(lore.thread(lead), 'thread')} · ${link(lore.mbox(lead), 'mbox')}</dd>
<dt>b4</dt><dd><code class="b4">${b4AmCommand(lead, rev.revision)}</code></dd>`
    : ''
}
${counts ? html`<dt>Findings</dt><dd>${counts}</dd>` : ''}
<dt>Replies</dt><dd>${repliesText(v.replies)}</dd>
${rev.baseCommit ? html`<dt>base-commit</dt><dd><code>${rev.baseCommit}</code></dd>` : ''}
${rev.changeId ? html`<dt>change-id</dt><dd><code>${rev.changeId}</code></dd>` : ''}
</dl>
${specSection(v.specChanges)}
${patches}
${rest.length ? html`<h3>Other findings</h3>${rest.map((f) => findingCard(f, status.get(f.finding.fingerprint), rev.revision))}` : ''}
${gone.length ? html`<h3>Gone since v${history?.previous}</h3>${gone.map((e) => fixedCard(e, ignored(e.finding.finding)))}` : ''}
${
  v.humanReplies.length
    ? html`<h3>Replies in the thread</h3><ul class="replies">${v.humanReplies.map((r) => replyItem(r, position, lore))}</ul>`
    : ''
}
</section>`;
}

/** Whether one of the ignores (already those that apply to the series) silences a finding. */
function ignoredBy(ignores: readonly IgnoreRecord[]): (f: Finding) => boolean {
  return (f) =>
    ignores.some((i) => i.check === f.check && (i.subject === null || i.subject === (f.subject ?? null)));
}

function scopeText(i: IgnoreRecord): string {
  return i.scope.kind === 'series'
    ? 'this series'
    : i.scope.kind === 'list'
      ? `list ${i.scope.listId}`
      : 'everywhere';
}

export function renderSeriesPage(v: SeriesView, links: Links, opts: PageOptions): string {
  const s = v.series;
  const byId = new Map(v.revisions.map((r) => [r.rev.id, r.rev.revision]));
  const body = html`<p class="small"><a href="${links.list()}">← all series</a></p>
<h1>${s.title || s.lineage}</h1>
<dl class="meta">
<dt>Author</dt><dd>${s.author ?? 'unknown'}</dd>
<dt>List</dt><dd>${s.listId ?? '—'}</dd>
<dt>Lineage</dt><dd><code>${s.lineage}</code></dd>
<dt>Revisions</dt><dd>${v.revisions.length ? v.revisions.map((r, i) => html`${i ? ', ' : ''}<a href="#v${r.rev.revision}">v${r.rev.revision}</a>`) : 'none recorded'}</dd>
${v.mute ? html`<dt>Muted</dt><dd>${v.mute.target.kind === 'list' ? 'its list is muted' : 'muted'} by ${v.mute.by}, ${time(v.mute.at)}</dd>` : ''}
${
  v.ignores.length
    ? html`<dt>Ignored</dt><dd><ul>${v.ignores.map(
        (i) =>
          html`<li><code>${i.check}</code>${i.subject ? html` ${i.subject}` : ''} (${scopeText(i)}), by ${i.by}, ${time(i.at)}</li>`,
      )}</ul></dd>`
    : ''
}
</dl>
${v.revisions.map((r) => revisionSection(r, byId, ignoredBy(v.ignores), v.lore))}`;
  return page(s.title || s.lineage, links, 'series', body, opts);
}
