/**
 * Renders assembled series for people (text) and programs (JSON). Pure: data in, string out.
 */
import type { Address, PatchMail } from '../parsers/mail.js';
import type { Series, SeriesSet, SeriesState } from '../parsers/series.js';
import { sanitize } from '../parsers/text/controls.js';
import type { Issue } from '../parsers/types.js';

export interface MailIssues {
  origin: string;
  messageId: string | null;
  issues: Issue[];
}

function addr(a: Address | null): string {
  if (!a) return '(unknown)';
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

export function stateText(s: SeriesState): string {
  switch (s.kind) {
    case 'complete':
      return 'complete';
    case 'incomplete':
      return `incomplete: missing ${s.missing.join(', ')}`;
    case 'corrupted':
      return `corrupted: ${s.reasons.join('; ')}`;
  }
}

function revisionLabel(s: Series): string {
  return `${s.rfc ? 'RFC ' : ''}v${s.revision}`;
}

function diffStat(m: PatchMail): string {
  let add = 0;
  let del = 0;
  for (const f of m.files)
    for (const h of f.hunks)
      for (const l of h.lines) {
        if (l.kind === 'add') add++;
        else if (l.kind === 'del') del++;
      }
  return `${m.files.length} file${m.files.length === 1 ? '' : 's'}, +${add}/-${del}`;
}

export function renderSeriesText(set: SeriesSet, mailIssues: MailIssues[]): string {
  const out: string[] = [];
  for (const s of set.series) {
    const width = String(s.expected).length;
    out.push(
      `${sanitize(s.title, 'terminal')} (${revisionLabel(s)}, ${s.expected} patch${s.expected === 1 ? '' : 'es'}): ${sanitize(stateText(s.state), 'terminal')}`,
    );
    out.push(`  from ${sanitize(addr(s.sender), 'terminal')}${s.date ? `, ${s.date.slice(0, 10)}` : ''}`);
    if (s.baseCommit) out.push(`  base-commit: ${sanitize(s.baseCommit, 'terminal')}`);
    if (s.changeId) out.push(`  change-id: ${sanitize(s.changeId, 'terminal')}`);
    if (s.previousRevision) out.push(`  previous revision: <${sanitize(s.previousRevision, 'terminal')}>`);
    if (s.rerollOf) out.push(`  partial reroll of <${sanitize(s.rerollOf, 'terminal')}>`);
    if (s.resendOf) out.push(`  re-post of <${sanitize(s.resendOf, 'terminal')}>`);
    if (s.cover)
      out.push(
        `  ${'0'.padStart(width, '0')}/${s.expected} ${sanitize(s.cover.subjectInfo.title, 'terminal')}`,
      );
    for (const p of s.patches) {
      const from = p.fromRevision ? ` (from v${p.fromRevision})` : '';
      out.push(
        `  ${String(p.counter).padStart(width, '0')}/${s.expected} ${sanitize(p.mail.subjectInfo.title, 'terminal')} [${diffStat(p.mail)}]${from}`,
      );
    }
    if (s.followUps.length > 0) out.push(`  follow-ups: ${s.followUps.length}`);
    if (s.duplicates.length > 0) out.push(`  duplicates dropped: ${s.duplicates.length}`);
    out.push('');
  }
  if (set.unattached.length > 0)
    out.push(`${set.unattached.length} message(s) belong to no series in the input`, '');
  for (const m of mailIssues)
    for (const i of m.issues)
      out.push(
        `${sanitize(m.origin, 'terminal')}${i.line ? `:${i.line}` : ''}: ${i.severity.toUpperCase()}:${i.code}: ${sanitize(i.message, 'terminal')}`,
      );
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

export function seriesToJson(set: SeriesSet, mailIssues: MailIssues[]): unknown {
  return {
    version: 1,
    series: set.series.map((s) => ({
      id: s.id,
      title: s.title,
      revision: s.revision,
      rfc: s.rfc,
      treeHint: s.treeHint,
      expected: s.expected,
      state: s.state.kind,
      ...(s.state.kind === 'incomplete' ? { missing: s.state.missing } : {}),
      ...(s.state.kind === 'corrupted' ? { reasons: s.state.reasons } : {}),
      sender: s.sender,
      date: s.date,
      baseCommit: s.baseCommit,
      changeId: s.changeId,
      previousRevision: s.previousRevision,
      nextRevision: s.nextRevision,
      rerollOf: s.rerollOf,
      resendOf: s.resendOf,
      cover: s.cover ? { messageId: s.cover.messageId, subject: s.cover.subject } : null,
      patches: s.patches.map((p) => ({
        counter: p.counter,
        messageId: p.mail.messageId,
        subject: p.mail.subject,
        author: p.mail.author,
        files: p.mail.files.map((f) => ({ path: f.path, status: f.status })),
        trailers: p.mail.trailers.map((t) => ({ key: t.key, value: t.value })),
        ...(p.fromRevision ? { fromRevision: p.fromRevision } : {}),
      })),
      followUps: s.followUps.map((m) => ({ messageId: m.messageId, subject: m.subject, from: m.from })),
      duplicates: s.duplicates,
    })),
    unattached: set.unattached.map((m) => ({ messageId: m.messageId, subject: m.subject })),
    issues: mailIssues.flatMap((m) =>
      m.issues.map((i) => ({ origin: m.origin, messageId: m.messageId, ...i })),
    ),
  };
}
