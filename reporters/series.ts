/**
 * Renders assembled series for people (text) and programs (JSON). Pure: data in, string out.
 */
import type { Address, PatchMail } from '../parsers/mail.js';
import type { Series, SeriesSet, SeriesState } from '../parsers/series.js';
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

/** Strips terminal control characters from text taken from mail before it reaches a terminal. */
export function safeText(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, ' ');
}

export function renderSeriesText(set: SeriesSet, mailIssues: MailIssues[]): string {
  const out: string[] = [];
  for (const s of set.series) {
    const width = String(s.expected).length;
    out.push(
      `${safeText(s.title)} (${revisionLabel(s)}, ${s.expected} patch${s.expected === 1 ? '' : 'es'}): ${safeText(stateText(s.state))}`,
    );
    out.push(`  from ${safeText(addr(s.sender))}${s.date ? `, ${s.date.slice(0, 10)}` : ''}`);
    if (s.baseCommit) out.push(`  base-commit: ${safeText(s.baseCommit)}`);
    if (s.changeId) out.push(`  change-id: ${safeText(s.changeId)}`);
    if (s.previousRevision) out.push(`  previous revision: <${safeText(s.previousRevision)}>`);
    if (s.rerollOf) out.push(`  partial reroll of <${safeText(s.rerollOf)}>`);
    if (s.resendOf) out.push(`  re-post of <${safeText(s.resendOf)}>`);
    if (s.cover)
      out.push(`  ${'0'.padStart(width, '0')}/${s.expected} ${safeText(s.cover.subjectInfo.title)}`);
    for (const p of s.patches) {
      const from = p.fromRevision ? ` (from v${p.fromRevision})` : '';
      out.push(
        `  ${String(p.counter).padStart(width, '0')}/${s.expected} ${safeText(p.mail.subjectInfo.title)} [${diffStat(p.mail)}]${from}`,
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
        `${safeText(m.origin)}${i.line ? `:${i.line}` : ''}: ${i.severity.toUpperCase()}:${i.code}: ${safeText(i.message)}`,
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
