/**
 * The in-thread review reply, written the way kernel reviewers write them: plain text, in the
 * patch's thread, quoting only the hunk lines a finding is about with `> `, the comment under the
 * quote (tagged with the check id, with its evidence and a suggested spec line), prose wrapped at
 * 72 columns, and a `-- ` signature with the base the review was made on (by commit, never a path
 * of the bot's machine) and how to silence the bot. One reply per patch with findings, and one
 * summary for the series (to the cover letter, else to patch 1).
 *
 * The replies are data (OutgoingMail); parsers/mail-writer.ts (`toEml`) writes one as a complete
 * RFC 5322 message.
 *
 * Pure: the Message-ID maker is passed in. Every header value taken from a mail is stripped of
 * control characters here, so nothing a patch says can add a header.
 */
import { isOperatorOnly } from '../checks/index.js';
import type { ScopedFinding } from '../checks/review.js';
import type { Severity } from '../checks/types.js';
import type { FileDiff, Hunk } from '../parsers/diff.js';
import { fnv64 } from '../parsers/hash.js';
import { addressOf } from '../parsers/headers.js';
import type { PatchMail } from '../parsers/mail.js';
import {
  cleanMessageId,
  DAYS,
  formatAddress,
  headerText,
  MAX_MESSAGE_ID,
  MONTHS,
} from '../parsers/mail-writer.js';
import type { Series, SeriesPatch } from '../parsers/series.js';
import { sanitize } from '../parsers/text/controls.js';
import { columns, WRAP_WIDTH, wrap } from '../parsers/text/wrap.js';
import type { OutgoingMail } from './mail-types.js';
import { type ReportedDelta, specDiffMailSection } from './spec-diff.js';

// ---------------------------------------------------------------------------------------------
// Input types

/** What the store knows about a fingerprint from earlier revisions of the same series. */
export interface FindingHistory {
  /** The revision the finding was first reported on. */
  firstRevision: number;
  /** 'open': still reported; 'fixed': gone in `fixedIn` (default: the revision under review). */
  status: 'open' | 'fixed';
  fixedIn?: number;
  /** How to name a fixed finding (it is not among the current findings). */
  check?: string;
  spec?: string;
  subject?: string;
}

/**
 * What a review was made on, as the footer names it: by commit, so that anyone can check it out,
 * and never by a path of the bot's machine. The app resolves it (app/context/tree.ts reviewBase).
 */
export type ReviewBase =
  /** No kernel tree: the patches' hunks alone; the series' base-commit, when it names one. */
  | { kind: 'hunks'; baseCommit: string | null }
  /**
   * A git tree at a commit: the series' base-commit, or the tree's HEAD when the series names
   * none (`missing` null) or names one the tree does not have (`missing`, that base-commit).
   */
  | { kind: 'commit'; commit: string; from: 'base-commit' | 'head'; missing: string | null }
  /** A tree without git history (a release tarball): its release from its Makefile, when known. */
  | { kind: 'release'; release: string | null; baseCommit: string | null };

export interface ReplyPolicy {
  /** The bot's own address, as a From header value: `kapi-review <bot@example.org>`. */
  from: string;
  /** The configured lists the series was posted to, Cc'd in order (policy 'list'); [] for none. */
  lists: readonly string[];
  cc: 'list' | 'none';
  /** The name the footer signs with; default 'kapi-review'. */
  botName?: string;
  /** What the review was made on. */
  base: ReviewBase;
  /** One or two sentences telling the reader how to silence the bot (see DEFAULT_SILENCE_HINT). */
  silenceHint: string;
}

export const DEFAULT_SILENCE_HINT =
  'To silence a check, reply with "kapi-review: ignore <check-id> [subject]"; to stop all mail ' +
  'on this series, reply with "kapi-review: mute".';

export interface BuildRepliesInput {
  series: Series;
  /** The findings to mail, attached to their patches by `at.messageId`. */
  findings: readonly ScopedFinding[];
  /** By fingerprint: what earlier revisions of this series had. */
  history?: ReadonlyMap<string, FindingHistory>;
  /** What changed in the specs since an earlier revision (`since`); shown when some spec changed. */
  specChanges?: { since: number; deltas: readonly ReportedDelta[] };
  policy: ReplyPolicy;
  /** Deterministic Message-ID (without angle brackets) for a mail key. */
  messageIdFor: (key: string) => string;
}

// ---------------------------------------------------------------------------------------------
// Text from mail, made safe

export const WIDTH = WRAP_WIDTH;
/** The spec changes a reply lists at most (the rest are counted; `kapi-review spec-diff` has them all). */
const MAX_SPEC_LINES = 20;
/** Lines of diff shown before and after the lines a finding is about. */
const CONTEXT_BEFORE = 2;
const CONTEXT_AFTER = 1;
/** Evidence this close to the finding's line (same file) is quoted with it. */
const ANCHOR_REACH = 6;
/** Findings of one hunk share a quote while it stays this short. */
const MAX_SHARED_QUOTE = 18;
/** References kept: the thread root and the newest ones (RFC 5322 3.6.4 allows trimming). */
const MAX_REFERENCES = 20;

/** A line of text for the body: no control characters but tab. */
function bodyText(s: string): string {
  return sanitize(s, 'mailBody');
}

/** `Re: ` once before the original subject, whatever reply markers it already had. */
export function replySubject(subject: string): string {
  let s = headerText(subject);
  const marker = /^(?:re|aw|sv|antw)(?:\[\d{1,6}\]|\(\d{1,6}\))?\s*:\s*/i;
  for (let i = 0; i < 100 && marker.test(s); i++) s = s.replace(marker, '');
  return `Re: ${s}`.trimEnd();
}

/** References of a reply: the parent's References and the parent, deduplicated and bounded. */
export function replyReferences(parent: Pick<PatchMail, 'references' | 'messageId' | 'inReplyTo'>): string[] {
  const ids: string[] = [];
  const push = (v: string | null | undefined): void => {
    const id = cleanMessageId(v);
    if (id && !ids.includes(id)) ids.push(id);
  };
  for (const r of parent.references) push(r);
  // a parent with In-Reply-To but no References (some clients): keep the chain
  if (parent.references.length === 0) push(parent.inReplyTo);
  const own = cleanMessageId(parent.messageId);
  if (own) {
    const at = ids.indexOf(own);
    if (at >= 0) ids.splice(at, 1);
    ids.push(own);
  }
  if (ids.length <= MAX_REFERENCES) return ids;
  return [ids[0] as string, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
}

// ---------------------------------------------------------------------------------------------
// Wrapping

/** A rendered body: prose is wrapped, verbatim lines (quotes, code, suggestions) never are. */
export type Block = { prose: string; first?: string; rest?: string } | { verbatim: string[] };

function renderBlocks(blocks: readonly Block[]): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    if ('prose' in b)
      out.push(...wrap(b.prose, { width: WIDTH, first: b.first ?? '', rest: b.rest ?? b.first ?? '' }));
    else out.push(...b.verbatim);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Where a finding sits in the patch

interface Spot {
  fileIndex: number;
  file: FileDiff;
  hunkIndex: number;
  hunk: Hunk;
  /** Index in hunk.lines of the finding's own line. */
  index: number;
  /** Indices in hunk.lines of every line the quote must show. */
  anchors: number[];
}

const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Whether a diff line is the evidence text (evidence may join a statement's lines into one). */
function sameText(diffText: string, evidence: string | undefined): boolean {
  if (evidence === undefined) return true;
  const a = norm(diffText);
  const b = norm(evidence);
  if (a === b) return true;
  // evidence may join a statement's lines; a short line (`}`) proves nothing by prefix
  return Math.min(a.length, b.length) >= 8 && (b.startsWith(a) || a.startsWith(b));
}

function evidenceText(f: ScopedFinding, line: number): string | undefined {
  return f.evidence.find((e) => e.path === f.at.path && e.line === line)?.text;
}

/**
 * The diff line a finding is about: the post-image line with its number, when its text agrees with
 * the evidence; else the line with the evidence's text nearest to it (a hunk applied at an offset).
 */
function locate(f: ScopedFinding, files: readonly FileDiff[]): Spot | null {
  const expected = evidenceText(f, f.at.line);
  let best: { fi: number; hi: number; li: number; delta: number } | null = null;
  for (const [fi, file] of files.entries()) {
    if (file.path !== f.at.path || file.binary) continue;
    for (const [hi, hunk] of file.hunks.entries())
      for (const [li, l] of hunk.lines.entries()) {
        if (l.kind === 'del' || l.newLine === undefined) continue;
        const delta = l.newLine - f.at.line;
        if (delta !== 0 && expected === undefined) continue;
        if (!sameText(l.text, expected)) continue;
        if (!best || Math.abs(delta) < Math.abs(best.delta)) best = { fi, hi, li, delta };
      }
  }
  if (!best) return null;
  const file = files[best.fi] as FileDiff;
  const hunk = file.hunks[best.hi] as Hunk;
  const byNewLine = new Map<number, number>();
  for (const [li, l] of hunk.lines.entries())
    if (l.newLine !== undefined && l.kind !== 'del') byNewLine.set(l.newLine, li);
  const anchors = new Set<number>([best.li]);
  const lines = new Set<number>();
  if (f.at.endLine !== undefined && f.at.endLine - f.at.line <= ANCHOR_REACH)
    for (let n = f.at.line; n <= f.at.endLine; n++) lines.add(n);
  for (const e of f.evidence)
    if (e.path === f.at.path && Math.abs(e.line - f.at.line) <= ANCHOR_REACH) lines.add(e.line);
  for (const n of lines) {
    const li = byNewLine.get(n + best.delta);
    const l = li === undefined ? undefined : hunk.lines[li];
    if (li !== undefined && l && sameText(l.text, evidenceText(f, n))) anchors.add(li);
  }
  return {
    fileIndex: best.fi,
    file,
    hunkIndex: best.hi,
    hunk,
    index: best.li,
    anchors: [...anchors].sort((a, b) => a - b),
  };
}

/** Index ranges of the hunk to show around the anchors: context added, near ranges joined. */
function quoteRanges(hunk: Hunk, anchors: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  // context stops at a blank line: what lies beyond it belongs to something else
  const blank = (i: number): boolean => {
    const l = hunk.lines[i];
    return l !== undefined && l.kind !== 'del' && l.text.trim() === '';
  };
  for (const a of anchors) {
    let start = a;
    while (start > 0 && a - start < CONTEXT_BEFORE && !blank(start - 1)) start--;
    let end = a;
    while (end < hunk.lines.length - 1 && end - a < CONTEXT_AFTER && !blank(end + 1)) end++;
    const last = ranges[ranges.length - 1];
    // snip only when it hides more than a couple of lines
    if (last && start <= last[1] + 3) last[1] = Math.max(last[1], end);
    else ranges.push([start, end]);
  }
  for (const r of ranges) {
    while (r[0] < r[1] && blank(r[0]) && !anchors.includes(r[0])) r[0]++;
    while (r[1] > r[0] && blank(r[1]) && !anchors.includes(r[1])) r[1]--;
  }
  return ranges;
}

function quotedLine(marker: string, text: string): string {
  const line = `> ${marker}${bodyText(text)}`;
  return line.trim() === '>' ? '>' : line;
}

function quoteHunk(hunk: Hunk, ranges: readonly [number, number][]): string[] {
  const out: string[] = [];
  for (const [k, [s, e]] of ranges.entries()) {
    if (k > 0) out.push('> [...]');
    for (let i = s; i <= e; i++) {
      const l = hunk.lines[i];
      if (!l) continue;
      out.push(quotedLine(l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ', l.text));
    }
  }
  return out;
}

function quoteSize(ranges: readonly [number, number][]): number {
  return ranges.reduce((n, [s, e]) => n + e - s + 1, 0) + ranges.length - 1;
}

// ---------------------------------------------------------------------------------------------
// The comment under a quote

const SEVERITY_WORD: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note' };

function sentence(s: string): string {
  const t = headerText(s);
  return /[.!?:]$/.test(t) ? t : `${t}.`;
}

function historyNote(
  f: ScopedFinding,
  revision: number,
  history?: ReadonlyMap<string, FindingHistory>,
): string {
  const h = history?.get(f.fingerprint);
  if (!history) return '';
  if (!h || h.firstRevision >= revision) return revision > 1 ? ` New in v${revision}.` : '';
  return ` Still present since v${h.firstRevision}.`;
}

/**
 * What to do about a finding that comes without a suggested line, where the message leaves it
 * unsaid. Mail-only wording, keyed by check and matched on the message (or the subject) so that a
 * variant whose message already says what to do gets no hint.
 */
const FIX_HINTS: Record<string, (message: string, subject: string | undefined) => string | null> = {
  'kapi-field-override': (m) =>
    /set twice to the same value/.test(m)
      ? 'Drop one of the two lines.'
      : /is set twice/.test(m)
        ? 'Keep one of the two lines, or merge their text into one.'
        : null,
  'kapi-error-unreachable': () => 'Drop the entry, unless the code is meant to return it.',
  // the since line (KAPI_SINCE_VERSION, since-version:) has no successor: it goes
  'kapi-deprecated-form': (_m, subject) => (subject === 'since' ? 'Drop the line.' : null),
  'kapi-index-sequence': (m) => (/is defined twice/.test(m) ? 'Give each entry its own index.' : null),
};

function fixHint(f: ScopedFinding): string | null {
  return FIX_HINTS[f.check]?.(f.message, f.subject) ?? null;
}

function commentBlocks(
  f: ScopedFinding,
  revision: number,
  history: ReadonlyMap<string, FindingHistory> | undefined,
): Block[] {
  const blocks: Block[] = [];
  blocks.push({
    prose: `[${headerText(f.check)}] ${SEVERITY_WORD[f.severity]}: ${sentence(f.message)}${historyNote(f, revision, history)}`,
  });
  if (f.evidence.length > 0) {
    blocks.push({ verbatim: [''] });
    blocks.push({
      verbatim: f.evidence.map(
        (e) => `  ${e.kind ? `${e.kind}: ` : ''}${headerText(e.path)}:${e.line}: ${bodyText(e.text).trim()}`,
      ),
    });
  }
  const hint = f.suggestion === undefined ? fixHint(f) : null;
  if (hint) blocks.push({ verbatim: [''] }, { prose: hint });
  if (f.suggestion !== undefined && f.suggestion.trim() !== '') {
    const lines = f.suggestion
      .split('\n')
      .map((l) => bodyText(l).trimEnd())
      .filter((l, i, all) => l !== '' || (i > 0 && i < all.length - 1));
    const indented = lines.map((l) => (/^\s/.test(l) || l === '' ? l : `\t${l}`));
    blocks.push({ verbatim: [''] });
    blocks.push({ prose: lines.length > 1 ? 'Suggested spec lines:' : 'Suggested spec line:' });
    blocks.push({ verbatim: ['', ...indented] });
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Building the replies

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function countText(findings: readonly ScopedFinding[]): string {
  const e = findings.filter((f) => f.severity === 'error').length;
  const w = findings.filter((f) => f.severity === 'warning').length;
  const n = findings.filter((f) => f.severity === 'info').length;
  const parts: string[] = [];
  if (e) parts.push(plural(e, 'error'));
  if (w) parts.push(plural(w, 'warning'));
  if (n) parts.push(plural(n, 'note'));
  if (parts.length === 0) return 'no findings';
  const last = parts.pop() as string;
  return parts.length > 0 ? `${parts.join(', ')} and ${last}` : last;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Mutt's attribution, as most kernel reviewers' mail carries it (the time in UTC). */
function attribution(mail: PatchMail): string {
  const who = headerText(mail.from?.name || mail.from?.address || '') || 'the author';
  const t = mail.date ? Date.parse(mail.date) : Number.NaN;
  if (Number.isNaN(t)) return `${who} wrote:`;
  const d = new Date(t);
  const h = d.getUTCHours();
  const clock = `${pad2(h % 12 === 0 ? 12 : h % 12)}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${h < 12 ? 'AM' : 'PM'}`;
  return `On ${DAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())}, ${d.getUTCFullYear()} at ${clock} +0000, ${who} wrote:`;
}

/** A commit id as git prints it (abbreviated or whole), else null: mail text is not trusted here. */
function commitId(v: string | null | undefined): string | null {
  const t = (v ?? '').trim();
  return /^[0-9a-f]{7,64}$/i.test(t) ? t.toLowerCase() : null;
}

/** The footer's `Base:` line: a commit (or a release), never a path. */
export function baseLine(base: ReviewBase): string {
  switch (base.kind) {
    case 'hunks': {
      const bc = commitId(base.baseCommit);
      return `Base: the patches' hunks alone, no kernel tree${bc ? ` (base-commit ${bc})` : ''}.`;
    }
    case 'commit': {
      const commit = commitId(base.commit);
      if (!commit) return 'Base: a kernel tree whose commit could not be named.';
      if (base.from === 'base-commit') return `Base: base-commit ${commit}.`;
      const missing = commitId(base.missing);
      return `Base: HEAD ${commit} of the reviewer's tree (${missing ? `base-commit ${missing} is not in it` : 'the series gives no base-commit'}).`;
    }
    case 'release': {
      const release = headerText(base.release ?? '').replace(/[^\w.+~-]/g, '');
      const bc = commitId(base.baseCommit);
      const what = release ? `Linux ${release} sources` : 'kernel sources';
      return `Base: ${what} without git history${bc ? `, not checked against base-commit ${bc}` : ''}.`;
    }
  }
}

function footer(policy: ReplyPolicy): string[] {
  const name = headerText(policy.botName ?? 'kapi-review') || 'kapi-review';
  return [
    '-- ',
    ...wrap(`This is an automated review by ${name}. ${headerText(policy.silenceHint)}`),
    ...wrap(baseLine(policy.base)),
  ];
}

function recipients(mail: PatchMail, policy: ReplyPolicy): { to: string[]; cc: string[] } | null {
  const self = addressOf(headerText(policy.from));
  const author = mail.from ?? mail.author;
  const to: string[] = [];
  const cc: string[] = [];
  const authorText = author ? formatAddress(author) : null;
  if (authorText && addressOf(authorText) !== self) to.push(authorText);
  if (policy.cc === 'list')
    for (const address of policy.lists) {
      const list = headerText(address);
      const bare = addressOf(list);
      const known = [...to, ...cc].some((t) => addressOf(t) === bare);
      if (bare.includes('@') && bare !== self && !known) cc.push(list);
    }
  if (to.length === 0 && cc.length > 0) return { to: cc, cc: [] };
  if (to.length === 0) return null;
  return { to, cc };
}

function fingerprints(findings: readonly ScopedFinding[]): string[] {
  return [...new Set(findings.map((f) => headerText(f.fingerprint)).filter(Boolean))];
}

function mailKey(kind: string, target: string, fps: readonly string[]): string {
  return `kapi-review/${kind}/${target}/${fnv64([...fps].sort().join(' '))}`;
}

/**
 * What a reply needs of its parent's Message-ID: the id it threads under (null when no header can
 * carry it: over-long, or nothing usable left once cleaned), the id its outbox entry is about, and
 * the target of its key (a stand-in digest for an id that cannot be threaded under).
 */
interface Parent {
  inReplyTo: string | null;
  about: string;
  target: string;
}

function parentOf(mail: PatchMail): Parent | null {
  const raw = mail.messageId;
  if (!raw) return null;
  const clean = cleanMessageId(raw);
  return { inReplyTo: clean, about: clean ?? raw, target: clean ?? `unthreadable.${fnv64(raw)}` };
}

function outgoing(
  kind: string,
  parent: PatchMail,
  ref: Parent,
  recipientsOf: { to: string[]; cc: string[] },
  findings: readonly ScopedFinding[],
  text: string,
  input: BuildRepliesInput,
): OutgoingMail {
  const fps = fingerprints(findings);
  const key = mailKey(kind, ref.target, fps);
  const messageId = cleanMessageId(input.messageIdFor(key)) ?? `${fnv64(key)}@kapi-review.invalid`;
  return {
    key,
    from: headerText(input.policy.from),
    to: recipientsOf.to,
    cc: recipientsOf.cc,
    subject: replySubject(parent.subject),
    messageId,
    inReplyTo: ref.inReplyTo,
    // the parent's own id is left out when it cannot be carried (replyReferences drops it)
    references: replyReferences(parent),
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Mailer': 'kapi-review',
      'X-Kapi-Review-Fingerprints': fps.join(' '),
    },
    text,
    about: { messageId: ref.about, fingerprints: fps },
  };
}

/** Why a reply to `mail` goes out unthreaded, or null when it is threaded. */
function threadingNote(what: string, mail: PatchMail, ref: Parent): string | null {
  if (ref.inReplyTo !== null) return null;
  const id = mail.messageId ?? '';
  const shown = JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}...` : id);
  return id.length > MAX_MESSAGE_ID
    ? `the reply to ${what} goes out without In-Reply-To: its Message-ID ${shown} is ${id.length} characters, longer than a header line can carry (${MAX_MESSAGE_ID})`
    : `the reply to ${what} goes out without In-Reply-To: its Message-ID ${shown} is not usable in a header`;
}

interface Group {
  spot: Spot | null;
  ranges: [number, number][];
  findings: ScopedFinding[];
}

/** Findings in line order, those of one hunk sharing a quote while it stays short. */
function groupFindings(findings: readonly ScopedFinding[], files: readonly FileDiff[]): Group[] {
  const located = findings.map((f) => ({ f, spot: locate(f, files) }));
  located.sort((a, b) => {
    const fa = a.spot?.fileIndex ?? files.findIndex((x) => x.path === a.f.at.path);
    const fb = b.spot?.fileIndex ?? files.findIndex((x) => x.path === b.f.at.path);
    return (
      fa - fb ||
      a.f.at.path.localeCompare(b.f.at.path) ||
      a.f.at.line - b.f.at.line ||
      a.f.check.localeCompare(b.f.check)
    );
  });
  const groups: Group[] = [];
  for (const { f, spot } of located) {
    const last = groups[groups.length - 1];
    if (
      spot &&
      last?.spot &&
      last.spot.fileIndex === spot.fileIndex &&
      last.spot.hunkIndex === spot.hunkIndex
    ) {
      const anchors = [...new Set([...last.spot.anchors, ...spot.anchors])].sort((a, b) => a - b);
      const ranges = quoteRanges(spot.hunk, anchors);
      const lastEnd = last.ranges[last.ranges.length - 1]?.[1] ?? -1;
      const own = quoteRanges(spot.hunk, spot.anchors);
      // only quotes that overlap are shared: each finding keeps the lines it is about close by
      const overlaps = (own[0]?.[0] ?? 0) <= lastEnd;
      if (overlaps && quoteSize(ranges) <= MAX_SHARED_QUOTE) {
        last.spot = { ...last.spot, anchors };
        last.ranges = ranges;
        last.findings.push(f);
        continue;
      }
    }
    if (
      !spot &&
      last &&
      !last.spot &&
      last.findings[0]?.at.path === f.at.path &&
      last.findings[0]?.at.line === f.at.line
    ) {
      last.findings.push(f);
      continue;
    }
    groups.push({ spot, ranges: spot ? quoteRanges(spot.hunk, spot.anchors) : [], findings: [f] });
  }
  return groups;
}

/** For a finding outside the diff: the spec line it is about, from its evidence. */
function outsideQuote(f: ScopedFinding): Block[] {
  const ev =
    f.evidence.find((e) => e.path === f.at.path && e.line === f.at.line && e.kind !== 'code') ??
    f.evidence.find((e) => e.kind === 'spec') ??
    f.evidence.find((e) => e.path === f.at.path && e.line === f.at.line) ??
    f.evidence[0];
  const where = `${headerText(f.at.path)}:${f.at.line}`;
  if (!ev) return [{ prose: `In ${where}, outside the lines this patch changes:` }];
  return [
    { prose: `In ${headerText(ev.path)}:${ev.line}, outside the lines this patch changes:` },
    { verbatim: ['', `> ${bodyText(ev.text).trim()}`] },
  ];
}

function patchBody(
  patch: SeriesPatch,
  findings: readonly ScopedFinding[],
  input: BuildRepliesInput,
  extra: Block[],
): { text: string; ordered: ScopedFinding[] } {
  const mail = patch.mail;
  const files = mail.files;
  const multiFile = new Set(files.map((f) => f.path)).size > 1;
  const blocks: Block[] = [{ prose: attribution(mail) }];
  let lastFile = -1;
  const groups = groupFindings(findings, files);
  for (const [k, g] of groups.entries()) {
    if (k > 0) blocks.push({ verbatim: [''] });
    if (g.spot) {
      const quote: string[] = [];
      if (multiFile && g.spot.fileIndex !== lastFile) {
        const file = g.spot.file;
        quote.push(
          `> diff --git a/${bodyText(file.oldPath ?? file.path)} b/${bodyText(file.newPath ?? file.path)}`,
        );
        if (g.ranges[0] && g.ranges[0][0] > 0) quote.push('> [...]');
      }
      lastFile = g.spot.fileIndex;
      quote.push(...quoteHunk(g.spot.hunk, g.ranges));
      blocks.push({ verbatim: [...quote, ''] });
    } else {
      const first = g.findings[0] as ScopedFinding;
      blocks.push(...outsideQuote(first), { verbatim: [''] });
    }
    for (const [j, f] of g.findings.entries()) {
      if (j > 0) blocks.push({ verbatim: [''] });
      blocks.push(...commentBlocks(f, input.series.revision, input.history));
    }
  }
  if (extra.length > 0) blocks.push({ verbatim: [''] }, ...extra);
  blocks.push({ verbatim: [''] });
  return {
    text: `${[...renderBlocks(blocks), ...footer(input.policy)].join('\n')}\n`,
    ordered: groups.flatMap((g) => g.findings),
  };
}

/** 1, 2, 3, 5 -> '1-3, 5'. */
function numberRanges(ns: readonly number[]): string {
  const sorted = [...new Set(ns)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(', ');
}

function label(check?: string, spec?: string, subject?: string): string {
  return [
    check ? `[${headerText(check)}]` : '',
    spec ? headerText(spec) : '',
    subject ? headerText(subject) : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** "new in vN", "still present since vN", "fixed in vN" lines, when history was given. */
function historyBlocks(
  input: BuildRepliesInput,
  findings: readonly ScopedFinding[],
  counterOf: (f: ScopedFinding) => string,
): Block[] {
  const history = input.history;
  if (!history) return [];
  const rev = input.series.revision;
  const present = new Set(findings.map((f) => f.fingerprint));
  const lines: Block[] = [];
  const fresh: ScopedFinding[] = [];
  const old: ScopedFinding[] = [];
  for (const f of findings) {
    const h = history.get(f.fingerprint);
    if (!h || h.firstRevision >= rev) fresh.push(f);
    else old.push(f);
  }
  const fixed = [...history.entries()]
    .filter(
      ([fp, h]) =>
        h.status === 'fixed' &&
        (h.fixedIn ?? rev) === rev &&
        !present.has(fp) &&
        !(h.check !== undefined && isOperatorOnly(h.check)),
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (old.length === 0 && fixed.length === 0) return [];
  lines.push({ prose: `Compared with earlier revisions of this series:` }, { verbatim: [''] });
  for (const f of fresh)
    lines.push({
      prose: `new in v${rev} (${counterOf(f)}): ${label(f.check, f.spec, f.subject)}`,
      first: '  ',
      rest: '      ',
    });
  for (const f of old) {
    const h = history.get(f.fingerprint) as FindingHistory;
    lines.push({
      prose: `still present since v${h.firstRevision} (${counterOf(f)}): ${label(f.check, f.spec, f.subject)}`,
      first: '  ',
      rest: '      ',
    });
  }
  for (const [fp, h] of fixed)
    lines.push({
      prose: `fixed in v${rev}: ${label(h.check, h.spec, h.subject) || headerText(fp)}`,
      first: '  ',
      rest: '      ',
    });
  return lines;
}

/** The spec changes since an earlier revision, after a blank line; nothing when no spec changed. */
function specBlocks(input: BuildRepliesInput): Block[] {
  const c = input.specChanges;
  const lines = c ? specDiffMailSection(c.deltas, `v${c.since}`, MAX_SPEC_LINES) : [];
  if (lines.length === 0) return [];
  // each change wrapped under its own indent, a continuation four columns further in
  const wrapped = lines.slice(1).map((l): Block => {
    const indent = /^ */.exec(l)?.[0] ?? '';
    return { prose: l.slice(indent.length), first: indent, rest: `${indent}    ` };
  });
  return [{ verbatim: ['', lines[0] as string] }, ...wrapped];
}

/** planReplies without its notes. */
export function buildReplies(input: BuildRepliesInput): OutgoingMail[] {
  return planReplies(input).mails;
}

/**
 * The replies for one reviewed series: one per patch with findings, in that patch's thread, and a
 * summary to the cover letter (else to patch 1) when the series has more than one patch. Findings
 * of operator-only checks (`isOperatorOnly`) are never mailed, nor named among the fixed ones of
 * the history. A message whose Message-ID no header can carry (over MAX_MESSAGE_ID characters) is
 * still answered, without In-Reply-To and with the References that can be carried (RFC 5322
 * 3.6.4 allows trimming them). `notes` says, for the operator's log, every reply that goes out
 * unthreaded and every one that cannot go out at all (no Message-ID, no address to send to).
 */
export function planReplies(input: BuildRepliesInput): { mails: OutgoingMail[]; notes: string[] } {
  const notes: string[] = [];
  const mails = repliesOf(input, notes);
  return { mails, notes };
}

function repliesOf(input: BuildRepliesInput, notes: string[]): OutgoingMail[] {
  const { series, policy } = input;
  const patches = [...series.patches].sort((a, b) => a.counter - b.counter);
  const byId = new Map<string, SeriesPatch>();
  for (const p of patches) {
    const id = p.mail.messageId;
    if (id && !byId.has(id)) byId.set(id, p);
  }
  const mine = input.findings.filter(
    (f) => !isOperatorOnly(f.check) && f.at.messageId !== undefined && byId.has(f.at.messageId),
  );
  if (mine.length === 0) return [];
  const of = (p: SeriesPatch): ScopedFinding[] => mine.filter((f) => f.at.messageId === p.mail.messageId);
  const counterText = (p: SeriesPatch): string =>
    series.expected > 1 ? `${p.counter}/${series.expected}` : 'the patch';
  const counterOf = (f: ScopedFinding): string => {
    const p = f.at.messageId ? byId.get(f.at.messageId) : undefined;
    return p ? counterText(p) : '?';
  };
  const summaryWanted = series.cover !== null || patches.length > 1;
  const out: OutgoingMail[] = [];
  const noAddress = (what: string, mail: PatchMail) =>
    `no reply to ${what}: no address to send it to (From ${JSON.stringify(headerText(mail.from?.address ?? '').slice(0, 80))})`;
  for (const p of patches) {
    const found = of(p);
    const ref = parentOf(p.mail);
    // a slot filled from an earlier revision was posted in another thread: the summary counts it
    if (found.length === 0 || !ref || p.fromRevision !== undefined) continue;
    const what = `patch ${counterText(p)}`;
    const to = recipients(p.mail, policy);
    if (!to) {
      notes.push(noAddress(what, p.mail));
      continue;
    }
    const note = threadingNote(what, p.mail, ref);
    if (note) notes.push(note);
    const extra = summaryWanted ? [] : [...historyBlocks(input, found, counterOf), ...specBlocks(input)];
    const body = patchBody(p, found, input, extra);
    out.push(outgoing('reply', p.mail, ref, to, body.ordered, body.text, input));
  }
  if (!summaryWanted) return out;

  // the summary: to the cover letter, else to the first patch that can be replied to, in a
  // thread when one of them can be threaded under
  const candidates = [...(series.cover ? [series.cover] : []), ...patches.map((p) => p.mail)];
  const target =
    candidates.find((m) => parentOf(m)?.inReplyTo) ?? candidates.find((m) => parentOf(m)) ?? null;
  const ref = target ? parentOf(target) : null;
  if (!target || !ref) {
    notes.push('no summary: neither the cover letter nor a patch has a Message-ID to answer');
    return out;
  }
  const what =
    target === series.cover
      ? 'the cover letter'
      : `patch ${counterText(patches.find((p) => p.mail === target) as SeriesPatch)}`;
  const to = recipients(target, policy);
  if (!to) {
    notes.push(noAddress(`${what} (the summary)`, target));
    return out;
  }
  const note = threadingNote(`${what} (the summary)`, target, ref);
  if (note) notes.push(note);
  const name = headerText(policy.botName ?? 'kapi-review') || 'kapi-review';
  const blocks: Block[] = [
    {
      prose: `${name} compared the KAPI specifications in this series (v${series.revision}) with the code they describe and found ${countText(mine)}:`,
    },
    { verbatim: [''] },
  ];
  // one line per patch: number, counts, and the titles when every one of them fits
  const heads = patches.map((p) => `  ${counterText(p)}: ${countText(of(p))}`);
  const col = Math.max(...heads.map((h) => h.length)) + 2;
  const titled = patches.map((p, i) => {
    const title = headerText(p.mail.subjectInfo.title || p.mail.subject);
    return `${(heads[i] as string).padEnd(col)}${title}`;
  });
  const rows = titled.every((t) => columns(t) <= WIDTH) ? titled : heads;
  blocks.push({ verbatim: rows });
  const missing = series.state.kind === 'incomplete' ? series.state.missing : [];
  if (missing.length > 0)
    blocks.push(
      { verbatim: [''] },
      {
        prose: `${missing.length === 1 ? 'Patch' : 'Patches'} ${numberRanges(missing)} of ${series.expected} never reached ${name}, so ${missing.length === 1 ? 'it was' : 'they were'} not reviewed.`,
      },
    );
  blocks.push(
    { verbatim: [''] },
    { prose: 'Each finding is in the reply to its patch, under the lines it is about.' },
  );
  const history = historyBlocks(input, mine, counterOf);
  if (history.length > 0) blocks.push({ verbatim: [''] }, ...history);
  blocks.push(...specBlocks(input), { verbatim: [''] });
  const text = `${[...renderBlocks(blocks), ...footer(policy)].join('\n')}\n`;
  out.push(outgoing('summary', target, ref, to, mine, text, input));
  return out;
}
