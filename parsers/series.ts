/**
 * Messages -> series, in b4's and patchwork's vocabulary: a cover letter, patches ordered by
 * counter, follow-ups, revisions linked v1..vN, partial rerolls, duplicates and resends, and an
 * explicit state. It never guesses: what does not add up is marked incomplete or corrupted.
 *
 * The result does not depend on the order the mails arrive in: the input is put in a canonical
 * order first and every later choice is made on content.
 */
import { createHash } from 'node:crypto';
import type { Address, PatchMail } from './mail.js';
import { joinGroups, type MailGroup } from './series-join.js';
import type { SubjectInfo } from './subject.js';
import { type Issue, issue, type Parsed } from './types.js';

export type SeriesState =
  | { kind: 'complete' }
  | { kind: 'incomplete'; missing: number[] }
  | { kind: 'corrupted'; reasons: string[] };

export interface SeriesPatch {
  counter: number;
  mail: PatchMail;
  /** Set when the slot was filled from an earlier revision (partial reroll). */
  fromRevision?: number;
}

export interface Duplicate {
  messageId: string | null;
  /** The Message-ID of the copy that was kept. */
  keptMessageId: string | null;
  reason: 'same-message-id' | 'resend';
}

export interface Series {
  /** Message-ID of the cover letter, or of the lowest-numbered patch. */
  id: string;
  title: string;
  sender: Address | null;
  revision: number;
  rfc: boolean;
  treeHint: string | null;
  /** N of n/N; 1 for a lone patch. */
  expected: number;
  cover: PatchMail | null;
  patches: SeriesPatch[];
  state: SeriesState;
  followUps: PatchMail[];
  duplicates: Duplicate[];
  changeId: string | null;
  baseCommit: string | null;
  /** Message-ID at the top of the thread the series was posted in. */
  threadRoot: string | null;
  date: string | null;
  /** Revisions of the same series share this key: change-id, else sender + normalised title. */
  lineage: string;
  previousRevision: string | null;
  nextRevision: string | null;
  /** Set when a partial reroll was completed from an earlier revision. */
  rerollOf: string | null;
  /** Set when this series is an identical re-post of another series of the same revision. */
  resendOf: string | null;
}

export interface SeriesSet {
  series: Series[];
  /** Mails that are neither patches nor replies to any series in the input. */
  unattached: PatchMail[];
}

/** What a mail is to a series: a patch (claims a slot), a cover letter, or anything else. */
export type SeriesMailKind = 'patch' | 'cover' | 'followup';

export function seriesMailKind(m: PatchMail): SeriesMailKind {
  return seriesKindOf(m.subjectInfo, m.files.length > 0);
}

/**
 * seriesMailKind from what it reads: the subject, and whether the mail has a diff (at least one
 * file diff). The bulk ingest asks it of a mail outline (parsers/mail.ts outlineMailSync).
 */
export function seriesKindOf(s: SubjectInfo, hasDiff: boolean): SeriesMailKind {
  if (s.reply) return 'followup';
  if (s.counter === 0 && (s.expected ?? 0) > 0 && !hasDiff) return 'cover';
  if (hasDiff && (s.patch || s.counter !== null || s.prefixes.length === 0 || s.rfc)) return 'patch';
  // `[PATCH 3/5]` without a diff still claims a slot; the series will say what is wrong with it
  if (s.counter !== null && s.counter > 0 && (s.patch || s.rfc)) return 'patch';
  return 'followup';
}

/** What seriesGroupKey reads of a mail (the body only for its digest, and only without a Message-ID). */
export type SeriesKeyFields = Pick<
  PatchMail,
  | 'messageId'
  | 'inReplyTo'
  | 'references'
  | 'from'
  | 'date'
  | 'subject'
  | 'subjectInfo'
  | 'body'
  | 'bodyDigest'
>;

const digests = new WeakMap<SeriesKeyFields, string>();

/** A digest of the body: what the canonical order and copy comparisons use instead of the text. */
function bodyDigest(m: SeriesKeyFields): string {
  if (m.bodyDigest !== undefined) return m.bodyDigest;
  let d = digests.get(m);
  if (d === undefined) {
    d = createHash('sha256').update(m.body).digest('base64');
    digests.set(m, d);
  }
  return d;
}

/**
 * The canonical order: Message-ID, date, subject, then the body's digest (two copies that agree
 * on the rest are ordered by their content, not by which arrived first).
 */
function canonicalKey(m: SeriesKeyFields): string {
  return `${m.messageId ?? '\uffff'}\u0000${m.date ?? ''}\u0000${m.subject}\u0000${bodyDigest(m)}`;
}

/** What decides whether two copies of one Message-ID conflict: diff, title and body, as a digest. */
function copyFingerprint(m: PatchMail): string {
  const h = createHash('sha256');
  h.update(m.diff === null ? '-' : `+${m.diff}`);
  h.update(`\u0000${bodyDigest(m)}\u0000${m.subjectInfo.title}`);
  return h.digest('base64');
}

/**
 * A string that holds its own characters. Header fields are slices of the message's header block
 * (V8 keeps the whole block alive for a slice of it); what is kept for long is detached from it.
 */
function own(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/** A copy of plain data whose strings hold their own characters (undefined members dropped). */
function detach<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function threadRoot(m: SeriesKeyFields): string | null {
  return m.references[0] ?? m.inReplyTo ?? m.messageId;
}

function byDateThenId(a: PatchMail, b: PatchMail): number {
  const da = a.date ?? '';
  const db = b.date ?? '';
  if (da !== db) return da < db ? -1 : 1;
  const ka = canonicalKey(a);
  const kb = canonicalKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function samePatch(a: PatchMail, b: PatchMail): boolean {
  return a.diff === b.diff && a.subjectInfo.title === b.subjectInfo.title;
}

type Group = MailGroup;

/**
 * The group a patch or cover letter is first put in: the thread root, revision, size and sender;
 * a lone patch without n/N is a series of its own. joinGroups (parsers/series-join.ts) then joins
 * the groups of one series that threading did not tie together (mail without In-Reply-To, a
 * cover letter from another From).
 */
export function seriesGroupKey(m: SeriesKeyFields): string {
  const s = m.subjectInfo;
  if (s.counter === null) return `single\u0000${m.messageId ?? canonicalKey(m)}`;
  const expected = s.expected ?? 1;
  return `${threadRoot(m) ?? ''}\u0000${s.revision}\u0000${expected}\u0000${m.from?.address.toLowerCase() ?? ''}`;
}

/** A copy of a Message-ID dropped before buildSeries saw it (MailCollector). */
export interface DroppedCopy {
  messageId: string;
  /** It differs from the copy that was kept (diff, title or body). */
  conflict: boolean;
}

/**
 * Builds series from parsed mails. Never throws; inconsistencies become series state or issues.
 * `dropped`: copies a MailCollector already dropped, reported as if they had been in `input`.
 */
export function buildSeries(input: PatchMail[], dropped: readonly DroppedCopy[] = []): Parsed<SeriesSet> {
  const issues: Issue[] = [];
  const keys = new Map<PatchMail, string>();
  for (const m of input) keys.set(m, canonicalKey(m));
  const sorted = [...input].sort((a, b) => {
    const ka = keys.get(a) as string;
    const kb = keys.get(b) as string;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const { mails, idDuplicates } = keepOneCopy(sorted, dropped, issues);
  const { groups, followups } = groupMails(mails);
  const series: Series[] = [];
  const seriesOfMessage = new Map<string, Series>();
  for (const g of joinGroups([...groups.values()], issues)) {
    const made = seriesOfGroup(g);
    if (!made) continue;
    series.push(made.series);
    for (const m of made.members) if (m.messageId) seriesOfMessage.set(m.messageId, made.series);
  }
  adoptRerolledSlots(series, seriesOfMessage);
  markIncomplete(series);
  const { unattached, ownerOf } = attachFollowups(followups, seriesOfMessage);
  linkRevisions(series, issues);
  // message-id duplicates go to the series that kept the copy
  for (const d of idDuplicates) {
    const s = d.keptMessageId ? ownerOf(d.keptMessageId) : undefined;
    if (s) s.duplicates.push(d);
  }

  series.sort((a, b) => (a.date ?? '').localeCompare(b.date ?? '') || a.id.localeCompare(b.id));
  return { value: { series, unattached }, issues };
}

/**
 * The same Message-ID twice: one copy is kept, deterministically the first of `sorted` (the
 * canonical order); the copies a MailCollector dropped count as if they had been there.
 */
function keepOneCopy(
  sorted: PatchMail[],
  dropped: readonly DroppedCopy[],
  issues: Issue[],
): { mails: PatchMail[]; idDuplicates: Duplicate[] } {
  const droppedById = new Map<string, DroppedCopy[]>();
  for (const d of dropped) droppedById.set(d.messageId, [...(droppedById.get(d.messageId) ?? []), d]);
  const conflicting = (id: string) =>
    issue('series-conflicting-copies', 'warning', `two different messages share Message-ID <${id}>`);
  const byId = new Map<string, PatchMail>();
  const mails: PatchMail[] = [];
  const idDuplicates: Duplicate[] = [];
  for (const m of sorted) {
    if (m.messageId) {
      const kept = byId.get(m.messageId);
      if (kept) {
        idDuplicates.push({
          messageId: m.messageId,
          keptMessageId: kept.messageId,
          reason: 'same-message-id',
        });
        if (!samePatch(kept, m) || bodyDigest(kept) !== bodyDigest(m)) issues.push(conflicting(m.messageId));
        continue;
      }
      byId.set(m.messageId, m);
      for (const d of droppedById.get(m.messageId) ?? []) {
        idDuplicates.push({ messageId: d.messageId, keptMessageId: m.messageId, reason: 'same-message-id' });
        if (d.conflict) issues.push(conflicting(d.messageId));
      }
    }
    mails.push(m);
  }
  return { mails, idDuplicates };
}

/** Patches and cover letters grouped by thread, revision, size and sender; the rest follow-ups. */
function groupMails(mails: PatchMail[]): { groups: Map<string, Group>; followups: PatchMail[] } {
  const groups = new Map<string, Group>();
  const followups: PatchMail[] = [];
  for (const m of mails) {
    const kind = seriesMailKind(m);
    if (kind === 'followup') {
      followups.push(m);
      continue;
    }
    const s = m.subjectInfo;
    const root = threadRoot(m);
    const expected = s.counter === null ? 1 : (s.expected ?? 1);
    const sender = m.from;
    const key = seriesGroupKey(m);
    let g = groups.get(key);
    if (!g) {
      g = { key, root, revision: s.revision, expected, sender, covers: [], slots: new Map() };
      groups.set(key, g);
    }
    if (kind === 'cover') g.covers.push(m);
    else {
      const n = s.counter ?? 1;
      const list = g.slots.get(n) ?? [];
      list.push(m);
      g.slots.set(n, list);
    }
  }
  return { groups, followups };
}

/** One group as a series, with every mail of it (null: a group with neither cover nor patch). */
function seriesOfGroup(g: Group): { series: Series; members: PatchMail[] } | null {
  const reasons: string[] = [];
  const duplicates: Duplicate[] = [];
  const covers = [...g.covers].sort(byDateThenId);
  const cover = covers[0] ?? null;
  for (const c of covers.slice(1)) {
    if (cover && c.body === cover.body)
      duplicates.push({ messageId: c.messageId, keptMessageId: cover.messageId, reason: 'resend' });
    else reasons.push(`two different cover letters: <${cover?.messageId}> and <${c.messageId}>`);
  }
  const patches: SeriesPatch[] = [];
  for (const n of [...g.slots.keys()].sort((a, b) => a - b)) {
    // of identical copies the original wins over a RESEND, then the earliest
    const cands = (g.slots.get(n) ?? []).sort(
      (a, b) => Number(a.subjectInfo.resend) - Number(b.subjectInfo.resend) || byDateThenId(a, b),
    );
    const first = cands[0] as PatchMail;
    for (const c of cands.slice(1)) {
      if (samePatch(first, c))
        duplicates.push({ messageId: c.messageId, keptMessageId: first.messageId, reason: 'resend' });
      else
        reasons.push(
          `two different mails claim ${n}/${g.expected}: <${first.messageId}> and <${c.messageId}>`,
        );
    }
    if (n > g.expected) reasons.push(`patch ${n}/${g.expected} is beyond the announced count`);
    if (first.files.length === 0) reasons.push(`patch ${n}/${g.expected} carries no diff`);
    else if (first.files.some((f) => f.hunks.some((h) => h.truncated)))
      reasons.push(`patch ${n}/${g.expected} has a truncated diff`);
    patches.push({ counter: n, mail: first });
  }
  const lead = cover ?? patches[0]?.mail ?? null;
  if (!lead) return null;
  const changeId =
    cover?.footer.changeId ?? patches.find((p) => p.mail.footer.changeId)?.mail.footer.changeId ?? null;
  const baseCommit =
    cover?.footer.baseCommit ?? patches.find((p) => p.mail.footer.baseCommit)?.mail.footer.baseCommit ?? null;
  const title = lead.subjectInfo.title;
  const sender = g.sender;
  const s: Series = {
    id: lead.messageId ?? `no-message-id:${title}`,
    title,
    sender,
    revision: g.revision,
    rfc: lead.subjectInfo.rfc,
    treeHint: lead.subjectInfo.treeHint,
    expected: g.expected,
    cover,
    patches,
    state: { kind: 'complete' },
    followUps: [],
    duplicates: [...duplicates],
    changeId,
    baseCommit,
    threadRoot: g.root,
    date: lead.date,
    lineage: changeId
      ? `change-id:${changeId}`
      : `title:${sender?.address.toLowerCase() ?? ''}:${lead.subjectInfo.normalizedTitle}`,
    previousRevision: null,
    nextRevision: null,
    rerollOf: null,
    resendOf: null,
  };
  if (reasons.length > 0) s.state = { kind: 'corrupted', reasons };
  const members = [cover, ...covers, ...patches.map((p) => p.mail), ...[...g.slots.values()].flat()];
  return { series: s, members: members.filter((m): m is PatchMail => m !== null) };
}

/** Partial rerolls: a `[PATCH v2 3/5]` sent in reply to v1's 3/5 takes the other slots from v1. */
function adoptRerolledSlots(series: Series[], seriesOfMessage: Map<string, Series>): void {
  for (const s of series) {
    if (s.cover || s.patches.length === 0 || s.patches.length >= s.expected) continue;
    let base: Series | null = null;
    let allRerolls = true;
    for (const p of s.patches) {
      const parent = p.mail.inReplyTo ? seriesOfMessage.get(p.mail.inReplyTo) : undefined;
      const parentPatch = parent?.patches.find((q) => q.mail.messageId === p.mail.inReplyTo);
      if (!parent || !parentPatch || parentPatch.counter !== p.counter || parent.revision >= s.revision) {
        allRerolls = false;
        break;
      }
      if (base && base !== parent) {
        allRerolls = false;
        break;
      }
      base = parent;
    }
    if (!allRerolls || !base || base.expected !== s.expected) continue;
    const have = new Set(s.patches.map((p) => p.counter));
    for (const p of base.patches)
      if (!have.has(p.counter))
        s.patches.push({ counter: p.counter, mail: p.mail, fromRevision: base.revision });
    s.patches.sort((a, b) => a.counter - b.counter);
    s.rerollOf = base.id;
    s.cover = null;
    s.title = base.title;
    s.lineage = base.lineage;
  }
}

/** A series that lacks some of its n/N (and is not corrupted) is incomplete. */
function markIncomplete(series: Series[]): void {
  for (const s of series) {
    if (s.state.kind === 'corrupted') continue;
    const have = new Set(s.patches.map((p) => p.counter));
    const missing: number[] = [];
    for (let n = 1; n <= s.expected; n++) if (!have.has(n)) missing.push(n);
    if (missing.length > 0) s.state = { kind: 'incomplete', missing };
  }
}

/**
 * Follow-ups hang off the nearest ancestor that belongs to a series, also through other
 * follow-ups (a reply to a review), whatever order they arrived in. Returns those that hang off
 * nothing, and the series that owns a message (a series mail or an attached follow-up).
 */
function attachFollowups(
  followups: PatchMail[],
  seriesOfMessage: Map<string, Series>,
): { unattached: PatchMail[]; ownerOf: (id: string) => Series | undefined } {
  const followupById = new Map<string, PatchMail>();
  for (const m of followups)
    if (m.messageId && !seriesOfMessage.has(m.messageId)) followupById.set(m.messageId, m);
  const resolved = new Map<PatchMail, Series | null>();
  const resolve = (m: PatchMail, seen: Set<PatchMail>): Series | null => {
    const known = resolved.get(m);
    if (known !== undefined) return known;
    seen.add(m);
    let target: Series | null = null;
    for (const a of [m.inReplyTo, ...[...m.references].reverse()]) {
      if (!a) continue;
      target = seriesOfMessage.get(a) ?? null;
      const parent = followupById.get(a);
      if (!target && parent && !seen.has(parent)) target = resolve(parent, seen);
      if (target) break;
    }
    resolved.set(m, target);
    return target;
  };
  const unattached: PatchMail[] = [];
  for (const m of followups.sort(byDateThenId)) {
    const target = resolve(m, new Set());
    if (target) target.followUps.push(m);
    else unattached.push(m);
  }
  const ownerOf = (id: string): Series | undefined => {
    const s = seriesOfMessage.get(id);
    if (s) return s;
    const f = followupById.get(id);
    return f ? (resolved.get(f) ?? undefined) : undefined;
  };
  return { unattached, ownerOf };
}

/** Revisions: links v1..vN within a lineage; the same revision twice is a re-post. */
function linkRevisions(series: Series[], issues: Issue[]): void {
  const lineages = new Map<string, Series[]>();
  for (const s of series) {
    const list = lineages.get(s.lineage) ?? [];
    list.push(s);
    lineages.set(s.lineage, list);
  }
  for (const list of lineages.values()) {
    list.sort(
      (a, b) =>
        a.revision - b.revision || (a.date ?? '').localeCompare(b.date ?? '') || a.id.localeCompare(b.id),
    );
    let prev: Series | null = null;
    for (const s of list) {
      if (prev && prev.revision === s.revision) {
        if (sameContent(prev, s)) s.resendOf = prev.id;
        else
          issues.push(
            issue(
              'series-revision-reused',
              'warning',
              `two different postings of v${s.revision} of "${s.title}": <${prev.id}> and <${s.id}>`,
            ),
          );
        continue;
      }
      if (prev) {
        s.previousRevision = prev.id;
        prev.nextRevision = s.id;
      }
      prev = s;
    }
  }
}

function sameContent(a: Series, b: Series): boolean {
  if (a.patches.length !== b.patches.length) return false;
  return a.patches.every((p, i) => {
    const q = b.patches[i];
    return q !== undefined && q.counter === p.counter && samePatch(p.mail, q.mail);
  });
}

/**
 * Drops copies of a Message-ID as mails are read, keeping the one buildSeries would keep (the
 * first in the canonical order; of equal ones the first read) and, per dropped copy, only whether
 * it conflicts with the kept one: buildSeries(mails, dropped) gives what buildSeries of every mail
 * read gives. With `compact`, a mail that can only be a follow-up keeps no body, diff or
 * recipients (compactMail): a big mbox is mostly discussion, and a series needs only its thread.
 */
export class MailCollector {
  private readonly kept: PatchMail[] = [];
  private readonly byId = new Map<
    string,
    { index: number; key: string; fingerprint: string; copies: string[] }
  >();

  constructor(private readonly opts: { compact?: boolean } = {}) {}

  /**
   * Adds a mail; returns its copy fingerprint and Message-ID (a string of its own), what addCopy
   * needs for an identical mail later.
   */
  add(mail: PatchMail): { fingerprint: string; messageId: string | null } {
    const fingerprint = copyFingerprint(mail);
    const key = own(canonicalKey(mail));
    const m = this.opts.compact ? compactMail(mail) : mail;
    const id = mail.messageId === null ? null : own(mail.messageId);
    const had = id ? this.byId.get(id) : undefined;
    if (!id) this.kept.push(m);
    else if (!had) {
      this.byId.set(id, { index: this.kept.length, key, fingerprint, copies: [] });
      this.kept.push(m);
    } else if (key < had.key) {
      had.copies.push(had.fingerprint);
      this.kept[had.index] = m;
      had.key = key;
      had.fingerprint = fingerprint;
    } else had.copies.push(fingerprint);
    return { fingerprint, messageId: id };
  }

  /**
   * Another copy of a mail added before, byte for byte (so never kept: its key is not below that
   * mail's): counted without being parsed again.
   */
  addCopy(messageId: string, fingerprint: string): void {
    this.byId.get(messageId)?.copies.push(fingerprint);
  }

  get mails(): PatchMail[] {
    return this.kept;
  }

  get dropped(): DroppedCopy[] {
    const out: DroppedCopy[] = [];
    for (const [messageId, e] of this.byId)
      for (const fp of e.copies) out.push({ messageId, conflict: fp !== e.fingerprint });
    return out;
  }
}

/**
 * A follow-up without what no series uses of it: body (kept as its digest), diff, files, commit
 * message, notes, trailers, recipients, and detached from the message it was parsed from.
 * Patches and cover letters come back unchanged, and so does any mail that would then classify
 * otherwise.
 */
export function compactMail(m: PatchMail): PatchMail {
  if (seriesMailKind(m) !== 'followup') return m;
  const c: PatchMail = detach({
    ...m,
    to: [],
    cc: [],
    body: '',
    bodyDigest: bodyDigest(m),
    diffSource: null,
    commitMessage: '',
    trailers: [],
    notes: '',
    diff: null,
    diffStartLine: null,
    files: [],
  });
  return seriesMailKind(c) === 'followup' ? c : m;
}
