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
export const SERIES_DATE_WINDOW_MS = 20 * 60_000;

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
  const lead = [...mails].sort((a, b) => leadOrder(a) - leadOrder(b) || cmp(nameOf(a), nameOf(b)))[0];
  p.name = lead ? nameOf(lead) : '?';
  p.order = [p.name, ...groups.map((g) => g.key).sort()].join('\u0001');
  return p;
}

const leadOrder = (m: PatchMail): number => m.subjectInfo.counter ?? 0;
const nameOf = (m: PatchMail): string => (m.messageId ? `<${m.messageId}>` : `"${m.subject}"`);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const meets = <T>(a: Set<T>, b: Set<T>): boolean => [...a].some((x) => b.has(x));
/** Both say something and what they say differs. */
const differ = <T>(a: Set<T>, b: Set<T>): boolean => a.size > 0 && b.size > 0 && !meets(a, b);

/** Why two pieces cannot be one series; null when nothing contradicts it. */
function conflict(a: Piece, b: Piece): string | null {
  const taken = new Set(a.slots);
  const both = b.slots.find((n) => taken.has(n));
  if (both !== undefined) {
    const at = (p: Piece) => p.mails.find((m) => (m.subjectInfo.counter ?? 0) === both);
    const which = both === 0 ? 'a cover letter' : `patch ${both}`;
    return `both have ${which} (${nameOf(at(a) as PatchMail)} and ${nameOf(at(b) as PatchMail)})`;
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

/** What says two un-threaded pieces are one series (compatibility is checked apart). */
function unthreadedEvidence(a: Piece, b: Piece): boolean {
  if (a.idless && b.idless) return true;
  if (meets(a.runs, b.runs)) return true;
  const oneSender = a.senders.size === 1 && b.senders.size === 1 && meets(a.senders, b.senders);
  return oneSender && !a.senders.has('') && (meets(a.changeIds, b.changeIds) || datesClose(a, b));
}

/** In one thread, the thread itself is the evidence for a cover letter; patches need one run. */
function threadEvidence(a: Piece, b: Piece): boolean {
  return a.coverOnly || b.coverOnly || meets(a.runs, b.runs);
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
function joinPieces(
  groups: MailGroup[],
  evidence: (a: Piece, b: Piece) => boolean,
  context: string,
  issues: Issue[],
): Piece[] {
  const byStem = new Map<string, Piece[]>();
  const loose: Piece[] = [];
  for (const p of groups.map((g) => pieceOf([g]))) {
    const stem = [...p.stems].sort()[0];
    if (stem === undefined) loose.push(p);
    else byStem.set(stem, [...(byStem.get(stem) ?? []), p]);
  }
  const stemmed = [...byStem.values()].map((ps) => (ps.length === 1 ? (ps[0] as Piece) : merged(ps)));
  let pieces = [...stemmed, ...loose].sort((a, b) => cmp(a.order, b.order));
  pieces = joinPatchPieces(pieces, evidence, context, issues);
  return joinCovers(pieces, evidence, context, issues);
}

function joinPatchPieces(
  pieces: Piece[],
  evidence: (a: Piece, b: Piece) => boolean,
  context: string,
  issues: Issue[],
): Piece[] {
  const patchPieces = pieces.filter((p) => !p.coverOnly);
  const parent = new Map<Piece, Piece>(patchPieces.map((p) => [p, p]));
  const find = (p: Piece): Piece => {
    let r = p;
    while (parent.get(r) !== r) r = parent.get(r) as Piece;
    return r;
  };
  for (let i = 0; i < patchPieces.length; i++)
    for (let j = i + 1; j < patchPieces.length; j++) {
      const a = patchPieces[i] as Piece;
      const b = patchPieces[j] as Piece;
      if (!evidence(a, b) || conflict(a, b) !== null) continue;
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent.set(rb, ra);
    }
  const components = new Map<Piece, Piece[]>();
  for (const p of patchPieces) components.set(find(p), [...(components.get(find(p)) ?? []), p]);
  const out: Piece[] = pieces.filter((p) => p.coverOnly);
  for (const members of components.values()) {
    if (members.length === 1) {
      out.push(members[0] as Piece);
      continue;
    }
    const why = componentConflict(members);
    if (why === null) out.push(merged(members));
    else {
      out.push(...members);
      issues.push(
        issue(
          'series-join-ambiguous',
          'warning',
          `${context}: ${members.map((p) => p.name).join(', ')} may be one series, but ${why}; kept apart`,
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

/** Each cover letter alone joins the one group of patches it can belong to, if there is one. */
function joinCovers(
  pieces: Piece[],
  evidence: (a: Piece, b: Piece) => boolean,
  context: string,
  issues: Issue[],
): Piece[] {
  const covers = pieces.filter((p) => p.coverOnly);
  const targets = pieces.filter((p) => !p.coverOnly);
  const claims = new Map<Piece, Piece[]>();
  for (const c of covers) {
    const cands = targets.filter((t) => evidence(c, t) && conflict(c, t) === null);
    if (cands.length === 1) claims.set(cands[0] as Piece, [...(claims.get(cands[0] as Piece) ?? []), c]);
    else if (cands.length > 1)
      issues.push(
        issue(
          'series-join-ambiguous',
          'warning',
          `${context}: cover letter ${c.name} could belong to ${cands.map((t) => t.name).join(' or ')}; kept apart`,
        ),
      );
  }
  const out: Piece[] = [];
  const joined = new Set<Piece>();
  for (const [t, cs] of claims) {
    if (cs.length > 1) {
      issues.push(
        issue(
          'series-join-ambiguous',
          'warning',
          `${context}: cover letters ${cs.map((c) => c.name).join(' and ')} could both belong to ${t.name}; kept apart`,
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

/**
 * The groups of groupMails with those that are one series joined: in one thread (the same root,
 * revision and n/N, told apart only by sender), and without threading (by revision and n/N, then
 * the evidence above). Lone patches without n/N are never joined.
 */
export function joinGroups(groups: MailGroup[], issues: Issue[]): MailGroup[] {
  const numbered = groups.filter((g) => !g.key.startsWith('single\u0000'));
  const singles = groups.filter((g) => g.key.startsWith('single\u0000'));
  const byThread = new Map<string, MailGroup[]>();
  for (const g of numbered)
    if (g.root) {
      const k = `${g.root}\u0000${g.revision}\u0000${g.expected}`;
      byThread.set(k, [...(byThread.get(k) ?? []), g]);
    }
  const out: MailGroup[] = [...singles];
  const byShape = new Map<string, MailGroup[]>();
  for (const g of numbered) {
    const k = g.root ? `${g.root}\u0000${g.revision}\u0000${g.expected}` : null;
    const thread = k ? (byThread.get(k) ?? []) : [];
    if (thread.length > 1) continue;
    if (!unthreaded(g)) out.push(g);
    else {
      const shape = `${g.revision}\u0000${g.expected}`;
      byShape.set(shape, [...(byShape.get(shape) ?? []), g]);
    }
  }
  for (const thread of byThread.values()) {
    if (thread.length < 2) continue;
    const g = thread[0] as MailGroup;
    const context = `the v${g.revision} n/${g.expected} mails in thread <${g.root}>`;
    for (const p of joinPieces(thread, threadEvidence, context, issues)) out.push(groupOf(p));
  }
  for (const list of byShape.values()) {
    const g = list[0] as MailGroup;
    const context = `the un-threaded v${g.revision} n/${g.expected} mails`;
    for (const p of joinPieces(list, unthreadedEvidence, context, issues)) out.push(groupOf(p));
  }
  return out;
}
