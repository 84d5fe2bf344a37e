/**
 * Joining the groups of buildSeries that belong to one series although threading does not say
 * so, the way b4 and patchwork do:
 *
 * - Mail without threading headers (`b4 am -o -`, `git format-patch` without `--thread`, a list
 *   that dropped In-Reply-To): each patch roots a thread of its own, so the thread key of
 *   groupMails gives one group per patch. Such groups join by the Message-ID stem the sending
 *   tool wrote (one git send-email, b4 send or format-patch run), by having no Message-ID at all
 *   (files of one format-patch run), or, from one sender, by change-id or by date (patchwork's 20
 *   minutes). Subject revision and n/N must agree; RFC, tree prefix, change-id, base-commit and
 *   the sending run must not contradict; no slot may be claimed twice.
 * - A cover letter whose From differs from its patches' (`format-patch --cover-letter` puts the
 *   committer on the cover and each author on the patches) joins the one group of patches its
 *   thread, or failing a thread the same means, offers.
 *
 * Where two groups are candidates for one place, nothing joins and an issue says why: precision
 * before recall. Everything here is a function of the groups' content, never of arrival order.
 */
import type { Address, PatchMail } from './mail.js';
import { type Issue, issue } from './types.js';

/** Patches and cover letters of one revision of one series, as groupMails collects them. */
export interface MailGroup {
  key: string;
  root: string | null;
  revision: number;
  expected: number;
  sender: Address | null;
  covers: PatchMail[];
  slots: Map<number, PatchMail[]>;
}

/** How far apart in time the mails of one series without a stem may be (patchwork: 20 minutes). */
const SERIES_DATE_WINDOW_MS = 20 * 60_000;

export interface MessageIdStem {
  tool: 'git-send-email' | 'b4' | 'git-format-patch';
  /** The Message-ID without its counter: the same for every mail of one run of the tool. */
  stem: string;
  /** The counter the tool wrote into the Message-ID (git send-email counts mails, b4 patches). */
  index: number | null;
}

/** git send-email: `<20250101120000.12345-3-user@host>` (timestamp.pid-counter-sender). */
const SEND_EMAIL_RE = /^(\d{14}\.\d{1,10})-(\d{1,6})-([^\s@]+@[^\s@]+)$/;
/** git send-email before 2.13: `<1357498122-1129-1-git-send-email-user@host>`. */
const SEND_EMAIL_OLD_RE = /^(\d{9,11}-\d{1,10})-(\d{1,6})-(git-send-email-[^\s@]+@[^\s@]+)$/;
/** b4 send: `<20250101-topic-v4-3-0123456789ab@host>` (change-id stem, revision, counter, random). */
const B4_RE = /^(\d{8}-[^\s@]+-v\d{1,6})-(\d{1,6})-([0-9a-f]{12}@[^\s@]+)$/;
/** git format-patch --thread: `<commit.timestamp.git.committer@host>`, `<cover.timestamp...>`. */
const FORMAT_PATCH_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64}|cover)\.(\d{1,12}\.git\.[^\s@]+@[^\s@]+)$/;

/** The stem of a Message-ID one of the patch-sending tools wrote; null for any other. */
export function messageIdStem(id: string | null): MessageIdStem | null {
  if (!id || id.length > 300) return null;
  for (const [tool, re] of [
    ['git-send-email', SEND_EMAIL_RE],
    ['git-send-email', SEND_EMAIL_OLD_RE],
    ['b4', B4_RE],
  ] as const) {
    const m = re.exec(id);
    if (m) return { tool, stem: `${m[1]}-*-${m[3]}`, index: Number(m[2]) };
  }
  const fp = FORMAT_PATCH_RE.exec(id);
  return fp ? { tool: 'git-format-patch', stem: `*.${fp[1]}`, index: null } : null;
}

/** A group, or groups already joined, with what joining them compares. */
interface Piece {
  groups: MailGroup[];
  mails: PatchMail[];
  /** The Message-ID (or subject) named in issues. */
  name: string;
  /** A total order of pieces: the name, then the group keys. */
  order: string;
  /** Counters taken; 0 for a cover letter. */
  slots: number[];
  coverOnly: boolean;
  idless: boolean;
  /** Stem and the offset of its counter from n/N: mails of one run of one series agree on both. */
  stems: Set<string>;
  /** Stems alone: the runs of a sending tool the mails come from. */
  runs: Set<string>;
  senders: Set<string>;
  first: number | null;
  last: number | null;
  rfc: Set<boolean>;
  treeHints: Set<string>;
  changeIds: Set<string>;
  baseCommits: Set<string>;
}

function pieceOf(unordered: MailGroup[]): Piece {
  const groups = [...unordered].sort((a, b) => cmp(a.key, b.key));
  const mails = groups.flatMap((g) => [...g.covers, ...[...g.slots.values()].flat()]);
  const p: Piece = {
    groups,
    mails,
    name: '',
    order: '',
    slots: groups.flatMap((g) => [...(g.covers.length > 0 ? [0] : []), ...g.slots.keys()]),
    coverOnly: groups.every((g) => g.slots.size === 0),
    idless: mails.every((m) => m.messageId === null),
    stems: new Set(),
    runs: new Set(),
    senders: new Set(groups.map((g) => g.sender?.address.toLowerCase() ?? '')),
    first: null,
    last: null,
    rfc: new Set(),
    treeHints: new Set(),
    changeIds: new Set(),
    baseCommits: new Set(),
  };
  for (const m of mails) {
    const s = messageIdStem(m.messageId);
    if (s) {
      p.runs.add(`${s.tool}:${s.stem}`);
      const offset = s.index === null ? '' : s.index - (m.subjectInfo.counter ?? 0);
      p.stems.add(`${s.tool}:${s.stem}:${offset}`);
    }
    const t = m.date ? Date.parse(m.date) : Number.NaN;
    if (Number.isFinite(t)) {
      p.first = p.first === null ? t : Math.min(p.first, t);
      p.last = p.last === null ? t : Math.max(p.last, t);
    }
    p.rfc.add(m.subjectInfo.rfc);
    if (m.subjectInfo.treeHint) p.treeHints.add(m.subjectInfo.treeHint.toLowerCase());
    if (m.footer.changeId) p.changeIds.add(m.footer.changeId);
    if (m.footer.baseCommit) p.baseCommits.add(m.footer.baseCommit.toLowerCase());
  }
  let lead: PatchMail | null = null;
  for (const m of mails) if (!lead || leadFirst(m, lead) < 0) lead = m;
  p.name = lead ? nameOf(lead) : '?';
  p.order = [p.name, ...groups.map((g) => g.key).sort()].join('\u0001');
  return p;
}

const nameOf = (m: PatchMail): string => (m.messageId ? `<${m.messageId}>` : `"${m.subject}"`);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** The mail that names a piece: the cover letter, else the lowest counter, then by name. */
const leadFirst = (a: PatchMail, b: PatchMail): number =>
  (a.subjectInfo.counter ?? 0) - (b.subjectInfo.counter ?? 0) || cmp(nameOf(a), nameOf(b));
const meets = <T>(a: Set<T>, b: Set<T>): boolean => [...a].some((x) => b.has(x));
/** Both say something and what they say differs. */
const differ = <T>(a: Set<T>, b: Set<T>): boolean => a.size > 0 && b.size > 0 && !meets(a, b);

/** Why two pieces cannot be one series; null when nothing contradicts it. */
function conflict(a: Piece, b: Piece): string | null {
  const taken = new Set(a.slots);
  const both = b.slots.find((n) => taken.has(n));
  if (both !== undefined) {
    const at = (p: Piece) => {
      const m = p.mails.find((x) => (x.subjectInfo.counter ?? 0) === both);
      return m ? nameOf(m) : p.name;
    };
    return `both have ${both === 0 ? 'a cover letter' : `patch ${both}`} (${at(a)} and ${at(b)})`;
  }
  if (differ(a.rfc, b.rfc)) return 'one is an RFC, the other not';
  if (differ(a.treeHints, b.treeHints)) return 'their subject prefixes name different trees';
  if (differ(a.changeIds, b.changeIds)) return 'their change-ids differ';
  if (differ(a.baseCommits, b.baseCommits)) return 'their base-commits differ';
  if (differ(a.runs, b.runs)) return 'their Message-IDs come from different runs of the sending tool';
  return null;
}

function datesClose(a: Piece, b: Piece): boolean {
  if (a.first === null || a.last === null || b.first === null || b.last === null) return false;
  return Math.max(a.last, b.last) - Math.min(a.first, b.first) <= SERIES_DATE_WINDOW_MS;
}

/** Where pieces are joined, and what counts there as evidence that two are one series. */
interface Context {
  /** How issues name the mails concerned. */
  name: string;
  /** In one thread (the same root) or among mail without threading headers. */
  thread: boolean;
}

/** What says two pieces are one series (whether anything contradicts it is checked apart). */
function evidence(ctx: Context, a: Piece, b: Piece): boolean {
  if (meets(a.runs, b.runs)) return true;
  // in a thread, the thread itself ties a cover letter to the patches
  if (ctx.thread) return a.coverOnly || b.coverOnly;
  if (a.idless && b.idless) return true;
  const oneSender = a.senders.size === 1 && b.senders.size === 1 && meets(a.senders, b.senders);
  return oneSender && !a.senders.has('') && (meets(a.changeIds, b.changeIds) || datesClose(a, b));
}

/**
 * At most this many pairs of pieces are compared in one place; beyond it nothing joins there but
 * by stem (an issue says so). Real input stays far below it: pairs come from indexes, not from
 * every piece against every other.
 */
export const MAX_JOIN_PAIRS = 200_000;

/**
 * The pairs of pieces that can have evidence: the same run, no Message-ID on either, one sender
 * with one change-id or within the date window, and in a thread every cover letter with every
 * group of patches. null when there are more than MAX_JOIN_PAIRS.
 */
function candidatePairs(pieces: Piece[], ctx: Context): [Piece, Piece][] | null {
  const pairs: [Piece, Piece][] = [];
  const buckets = new Map<string, Piece[]>();
  const add = (key: string, p: Piece) => {
    const list = buckets.get(key);
    if (list) list.push(p);
    else buckets.set(key, [p]);
  };
  const bySender = new Map<string, Piece[]>();
  for (const p of pieces) {
    for (const r of p.runs) add(`run\u0000${r}`, p);
    if (ctx.thread) add(p.coverOnly ? 'cover' : 'patches', p);
    else if (p.idless) add('idless', p);
    const sender = p.senders.size === 1 ? ([...p.senders][0] as string) : '';
    if (ctx.thread || !sender) continue;
    for (const c of p.changeIds) add(`change-id\u0000${sender}\u0000${c}`, p);
    if (p.first === null) continue;
    const list = bySender.get(sender);
    if (list) list.push(p);
    else bySender.set(sender, [p]);
  }
  for (const [key, list] of buckets) {
    if (key === 'patches') continue;
    const others = key === 'cover' ? (buckets.get('patches') ?? []) : null;
    for (let i = 0; i < list.length; i++) {
      const from = others ?? list;
      for (let j = others ? 0 : i + 1; j < from.length; j++) pairs.push([list[i] as Piece, from[j] as Piece]);
      if (pairs.length > MAX_JOIN_PAIRS) return null;
    }
  }
  for (const list of bySender.values()) {
    list.sort((a, b) => (a.first as number) - (b.first as number) || cmp(a.order, b.order));
    for (let i = 0; i < list.length; i++) {
      const a = list[i] as Piece;
      for (let j = i + 1; j < list.length; j++) {
        const b = list[j] as Piece;
        if ((b.first as number) - (a.first as number) > SERIES_DATE_WINDOW_MS) break;
        pairs.push([a, b]);
      }
      if (pairs.length > MAX_JOIN_PAIRS) return null;
    }
  }
  return pairs;
}

function merged(pieces: Piece[]): Piece {
  return pieceOf(pieces.flatMap((p) => p.groups));
}

/**
 * Joins pieces that are one series: the same stem and offset first (one run of one series; a
 * slot claimed twice there makes the series corrupted later, as in a thread), then groups of
 * patches with evidence and nothing against it (all of a connected set or none of it), then each
 * cover letter to the one group of patches it can belong to.
 */
function joinPieces(groups: MailGroup[], ctx: Context, issues: Issue[]): Piece[] {
  const byStem = new Map<string, Piece[]>();
  const loose: Piece[] = [];
  for (const p of groups.map((g) => pieceOf([g]))) {
    const stem = [...p.stems].sort()[0];
    const list = stem === undefined ? undefined : byStem.get(stem);
    if (stem === undefined) loose.push(p);
    else if (list) list.push(p);
    else byStem.set(stem, [p]);
  }
  const stemmed = [...byStem.values()].map((ps) => (ps.length === 1 ? (ps[0] as Piece) : merged(ps)));
  const pieces = [...stemmed, ...loose].sort((a, b) => cmp(a.order, b.order));
  const joined = joinPatchPieces(pieces, ctx, issues);
  return joined ? (joinCovers(joined, ctx, issues) ?? joined) : pieces;
}

function tooMany(ctx: Context, n: number): Issue {
  return issue(
    'series-join-skipped',
    'warning',
    `${ctx.name}: ${n} groups are too many to compare; none joined but by Message-ID stem`,
  );
}

/** Groups of patches joined (null: too many to compare, with an issue). */
function joinPatchPieces(pieces: Piece[], ctx: Context, issues: Issue[]): Piece[] | null {
  const pairs = candidatePairs(pieces, ctx);
  if (!pairs) {
    issues.push(tooMany(ctx, pieces.length));
    return null;
  }
  const parent = new Map<Piece, Piece>(pieces.map((p) => [p, p]));
  const find = (p: Piece): Piece => {
    let r = p;
    while (parent.get(r) !== r) r = parent.get(r) as Piece;
    return r;
  };
  for (const [a, b] of pairs) {
    if (a.coverOnly || b.coverOnly || !evidence(ctx, a, b) || conflict(a, b) !== null) continue;
    const ra = find(a);
    const rb = find(b);
    // the root is the first in the total order, so the union does not depend on the pairs' order
    if (ra !== rb) cmp(ra.order, rb.order) < 0 ? parent.set(rb, ra) : parent.set(ra, rb);
  }
  const components = new Map<Piece, Piece[]>();
  for (const p of pieces) {
    const list = components.get(find(p));
    if (list) list.push(p);
    else components.set(find(p), [p]);
  }
  const out: Piece[] = [];
  for (const members of components.values()) {
    const why = members.length === 1 ? null : componentConflict(members);
    if (members.length === 1) out.push(members[0] as Piece);
    else if (why === null) out.push(merged(members));
    else {
      out.push(...members);
      const names = members.map((p) => p.name).join(', ');
      issues.push(
        issue(
          'series-join-ambiguous',
          'warning',
          `${ctx.name}: ${names} may be one series, but ${why}; kept apart`,
        ),
      );
    }
  }
  return out.sort((a, b) => cmp(a.order, b.order));
}

/** The first reason the pieces of a connected set are not one series; null when they are. */
function componentConflict(members: Piece[]): string | null {
  for (let i = 0; i < members.length; i++)
    for (let j = i + 1; j < members.length; j++) {
      const why = conflict(members[i] as Piece, members[j] as Piece);
      if (why !== null) return `${(members[i] as Piece).name} and ${(members[j] as Piece).name}: ${why}`;
    }
  return null;
}

/**
 * Each cover letter alone joins the one group of patches it can belong to, if there is one
 * (null: too many to compare, with an issue).
 */
function joinCovers(pieces: Piece[], ctx: Context, issues: Issue[]): Piece[] | null {
  const pairs = candidatePairs(pieces, ctx);
  if (!pairs) {
    issues.push(tooMany(ctx, pieces.length));
    return null;
  }
  const candidates = new Map<Piece, Piece[]>();
  for (const [a, b] of pairs) {
    if (a.coverOnly === b.coverOnly) continue;
    const [c, t] = a.coverOnly ? [a, b] : [b, a];
    if (!evidence(ctx, c, t) || conflict(c, t) !== null) continue;
    const list = candidates.get(c);
    if (!list) candidates.set(c, [t]);
    else if (!list.includes(t)) list.push(t);
  }
  const claims = new Map<Piece, Piece[]>();
  for (const c of pieces) {
    const cands = (candidates.get(c) ?? []).sort((x, y) => cmp(x.order, y.order));
    const t = cands[0];
    if (cands.length === 1 && t) {
      const list = claims.get(t);
      if (list) list.push(c);
      else claims.set(t, [c]);
    } else if (cands.length > 1) {
      const names = cands.map((x) => x.name).join(' or ');
      issues.push(
        issue(
          'series-join-ambiguous',
          'warning',
          `${ctx.name}: cover letter ${c.name} could belong to ${names}; kept apart`,
        ),
      );
    }
  }
  const out: Piece[] = [];
  const joined = new Set<Piece>();
  for (const t of pieces) {
    const cs = claims.get(t);
    if (!cs) continue;
    if (cs.length > 1) {
      const names = cs.map((c) => c.name).join(' and ');
      issues.push(
        issue(
          'series-join-ambiguous',
          'warning',
          `${ctx.name}: cover letters ${names} could both belong to ${t.name}; kept apart`,
        ),
      );
      continue;
    }
    out.push(merged([t, ...cs]));
    joined.add(t);
    for (const c of cs) joined.add(c);
  }
  for (const p of pieces) if (!joined.has(p)) out.push(p);
  return out;
}

/** Every mail of a group lacks In-Reply-To and References. */
function unthreaded(g: MailGroup): boolean {
  for (const m of [...g.covers, ...[...g.slots.values()].flat()])
    if (m.inReplyTo || m.references.length > 0) return false;
  return true;
}

/** One group of several, as buildSeries' later steps expect it. */
function groupOf(p: Piece): MailGroup {
  if (p.groups.length === 1) return p.groups[0] as MailGroup;
  const first = p.groups[0] as MailGroup;
  const slots = new Map<number, PatchMail[]>();
  for (const g of p.groups) for (const [n, list] of g.slots) slots.set(n, [...(slots.get(n) ?? []), ...list]);
  const covers = p.groups.flatMap((g) => g.covers);
  const withCover = p.groups.find((g) => g.covers.length > 0);
  const roots = new Set(p.groups.map((g) => g.root));
  const leadId = p.name.startsWith('<') ? p.name.slice(1, -1) : null;
  return {
    key: p.groups.map((g) => g.key).join('\u0001'),
    root: roots.size === 1 ? first.root : leadId,
    revision: first.revision,
    expected: first.expected,
    // a cover letter's From is who posted the series (format-patch: the committer)
    sender: (withCover ?? first).sender,
    covers,
    slots,
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * The groups of groupMails with those that are one series joined: in one thread (the same root,
 * revision and n/N, told apart only by sender), and without threading (by revision and n/N, then
 * the evidence above). Lone patches without n/N are never joined.
 */
export function joinGroups(groups: MailGroup[], issues: Issue[]): MailGroup[] {
  const numbered = groups.filter((g) => !g.key.startsWith('single\u0000'));
  const threadKey = (g: MailGroup) => (g.root ? `${g.root}\u0000${g.revision}\u0000${g.expected}` : null);
  const byThread = new Map<string, MailGroup[]>();
  for (const g of numbered) {
    const k = threadKey(g);
    if (k) push(byThread, k, g);
  }
  const out: MailGroup[] = groups.filter((g) => g.key.startsWith('single\u0000'));
  const byShape = new Map<string, MailGroup[]>();
  for (const g of numbered) {
    const k = threadKey(g);
    if (k && (byThread.get(k)?.length ?? 0) > 1) continue;
    if (unthreaded(g)) push(byShape, `${g.revision}\u0000${g.expected}`, g);
    else out.push(g);
  }
  for (const thread of byThread.values()) {
    if (thread.length < 2) continue;
    const g = thread[0] as MailGroup;
    const ctx = { name: `the v${g.revision} n/${g.expected} mails in thread <${g.root}>`, thread: true };
    for (const p of joinPieces(thread, ctx, issues)) out.push(groupOf(p));
  }
  for (const list of byShape.values()) {
    const g = list[0] as MailGroup;
    if (list.length === 1) {
      out.push(g);
      continue;
    }
    const ctx = { name: `the un-threaded v${g.revision} n/${g.expected} mails`, thread: false };
    for (const p of joinPieces(list, ctx, issues)) out.push(groupOf(p));
  }
  return out;
}
