/**
 * GitHub payloads for a pull request: one pull-request review (reviewdog's single buffered review)
 * and one check run with annotations. Pure: data in, the JSON bodies of the REST calls out; the
 * app does the HTTP.
 *
 * Decisions:
 * - The review's event is always COMMENT. The verdict is the check run's conclusion, which branch
 *   protection can require; a REQUEST_CHANGES review blocks the PR until someone dismisses it, so a
 *   fixed finding would leave a stale block behind (and each push would stack another one).
 * - A finding becomes an inline comment only when its line is a RIGHT-side line of the PR diff
 *   (`diffLines`, computed by the caller from the PR's patches). Everything else goes into the
 *   review body: a comment on a line outside the diff makes GitHub reject the whole review (422).
 *   Comments are single-line (at `at.line`); `endLine` is not used, since a range must lie in the
 *   diff as a whole.
 * - Every finding shown carries `<!-- kapi-review:fp=<fingerprint> check=.. spec=.. subject=.. -->`,
 *   inline or in the body; the app reads these markers back (`readMarkers`) from earlier reviews
 *   to build `previous` and `fixed`. A resolved finding is marked `<!-- kapi-review:fixed=... -->`
 *   instead, so it is not mistaken for one still commented on. Fingerprints are reduced to
 *   `[A-Za-z0-9._:-]`; the other values are percent-encoded.
 * - A finding in `previous` is not commented again: the body lists it compactly as still present.
 *   A `fixed` entry whose fingerprint is among the current findings is not listed as resolved.
 * - At most `maxInline` (default 50) inline comments: new in-diff findings sorted by severity
 *   (error, warning, info), then path, line, check and fingerprint (code-unit order, not locale);
 *   the first `maxInline` are inline, the rest are listed in the body, which says so.
 * - Suggestions. A GitHub ```suggestion block replaces the commented line(s) when applied, so one
 *   is written only when applying it is known to do what the check means:
 *   - Replacement: the check is one whose suggestion is the finding's own line rewritten
 *     (REPLACING_CHECKS; e.g. kapi-count-mismatch) and the suggestion is one line. The block is
 *     the suggestion.
 *   - Addition: the check's suggestion is a new entry (ADDING_CHECKS: kapi-error-undocumented), it
 *     goes after the spec's last evidence line (the last error entry), the comment is on that very
 *     line, the caller gave that line's verbatim text (`lineText`) and the suggestion is one line
 *     (a kerneldoc entry spans two lines, and its first line may not end the entry before it).
 *     The block is the commented line followed by the new one, so applying it keeps the original.
 *   - Anything else (a check not known to be either, a multi-line suggestion, an addition whose
 *     anchor is not the commented line, e.g. an undocumented `return -EINVAL;` commented on the
 *     code line) shows the suggestion in a plain ```c block that nobody can apply by mistake,
 *     saying where it goes when known.
 * - Text from patches (messages, paths, subjects, evidence) is made safe: in prose `& < >` become
 *   entities, markdown punctuation is backslash-escaped, `@` gets a zero-width space after it (no
 *   mentions), newlines become spaces; code spans and fenced blocks use a backtick run longer than
 *   any in their content. Evidence is a short list: the first EVIDENCE_MAX lines, then a count.
 * - The body stays under GitHub's 65536-character limit: if the listed findings would exceed
 *   BODY_LIMIT, the list is cut and the body says how many more the check run shows.
 * - Check run conclusion: failure on any error-severity finding; else neutral when no spec was
 *   touched (`specsTouched: false`), a check crashed or a spec could not be read (the review is
 *   incomplete); else success. Annotations: error→failure, warning→warning, info→notice; GitHub
 *   takes 50 per request, so `checkRunRequests` splits them: the create call carries the first
 *   batch, updates the rest.
 * - Findings of operator-only checks (`isOperatorOnly`: kapi-parse-error) are posted nowhere: not
 *   in the review (body, comments, markers, resolved list), not as annotations, not counted. A
 *   parser's complaint may be the parser's own limit. The check run only names the specs they are
 *   about (spec and `path:line`, never the message) as not read in full, so that the maintainer
 *   knows why a spec may have gone unchecked.
 */
import { isOperatorOnly } from '../checks/index.js';
import type { CheckCrash } from '../checks/runner.js';
import type { Severity } from '../checks/types.js';
import { sanitize } from '../parsers/text/controls.js';
import { codeSpan, FenceTracker, fenced, markdownText } from '../parsers/text/markdown.js';
import type { ReportFinding } from './report.js';
import { type ReportedDelta, specDiffMarkdown } from './spec-diff.js';

const MAX_INLINE = 50;
const ANNOTATIONS_PER_REQUEST = 50;
const EVIDENCE_MAX = 5;
const BODY_LIMIT = 60_000;
/** The spec changes a review body lists at most (`kapi-review spec-diff` has them all). */
const MAX_SPEC_LINES = 60;

/** Checks whose suggestion is the finding's own line (`at.line`) rewritten. */
const REPLACING_CHECKS: ReadonlySet<string> = new Set([
  'kapi-count-mismatch',
  'kapi-context-conflict',
  'kapi-index-sequence',
]);
/** Checks whose suggestion is a new entry, to add after the spec's last evidence line. */
const ADDING_CHECKS: ReadonlySet<string> = new Set(['kapi-error-undocumented']);

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const SEVERITY_WORD: Record<Severity, string> = { error: 'Error', warning: 'Warning', info: 'Note' };

// ---------------------------------------------------------------------------------------------
// Markdown safety

function fpSafe(fp: string): string {
  return fp.replace(/[^A-Za-z0-9._:-]/g, '_');
}

/** What a marker remembers of a finding, so a later push can say which one was resolved. */
export interface MarkedFinding {
  fingerprint: string;
  check?: string;
  spec?: string;
  subject?: string;
}

/** Marker values are percent-encoded: no space, no `>`, so nothing can end the comment early. */
function markerFields(f: MarkedFinding): string {
  const extra = (['check', 'spec', 'subject'] as const)
    .filter((k) => f[k] !== undefined && f[k] !== '')
    .map((k) => ` ${k}=${encodeURIComponent(f[k] as string)}`);
  return `${fpSafe(f.fingerprint)}${extra.join('')}`;
}

export function marker(f: MarkedFinding): string {
  return `<!-- kapi-review:fp=${markerFields(f)} -->`;
}

export function fixedMarker(f: MarkedFinding): string {
  return `<!-- kapi-review:fixed=${markerFields(f)} -->`;
}

export interface ReadMarker extends MarkedFinding {
  kind: 'fp' | 'fixed';
}

const MARKER_LINE = /^(?:- )?<!-- kapi-review:(fp|fixed)=([A-Za-z0-9._:-]+)((?: [a-z]+=[^ >]*)*) -->/;

/**
 * The markers in a review or comment body, in order. Only markers where this module writes them
 * count: at the start of a line, or right after a list item's `- `, outside fenced blocks. Patch
 * text reaches a body only inside code spans (never at a line start: a code span is preceded by
 * our own text) and fenced blocks (skipped here), so a marker pasted into a spec or a path cannot
 * pass for one of ours.
 */
export function readMarkers(body: string): ReadMarker[] {
  const out: ReadMarker[] = [];
  const fences = new FenceTracker();
  for (const line of body.split('\n')) {
    if (fences.inFence(line)) continue;
    const m = MARKER_LINE.exec(line);
    if (!m) continue;
    const r: ReadMarker = { kind: m[1] as 'fp' | 'fixed', fingerprint: m[2] as string };
    for (const kv of (m[3] ?? '').trim().split(' ')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) continue;
      const key = kv.slice(0, eq);
      if (key !== 'check' && key !== 'spec' && key !== 'subject') continue;
      try {
        r[key] = decodeURIComponent(kv.slice(eq + 1));
      } catch {
        // a damaged value: keep the fingerprint, drop the field
      }
    }
    out.push(r);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The review

/** A commit of a pull request as a finding names it: the one that introduced the finding. */
export interface CommitRef {
  sha: string;
  subject: string;
}

/**
 * A finding of a pull request reviewed commit by commit carries the commit that introduced it; the
 * inline comment, the review body and the check run's summary name it (the short SHA and subject).
 */
export interface GitHubFinding extends ReportFinding {
  commit?: CommitRef;
}

/** A commit as a review names it: its SHA shortened to 12 digits in a code span, then its subject. */
function commitText(c: CommitRef): string {
  return `${codeSpan(c.sha.slice(0, 12))} ${markdownText(c.subject, 'github')}`;
}

/** ` (introduced by `1a2b3c4d5e6f` subject)`, or nothing for a finding without a commit. */
function introducedBy(f: GitHubFinding): string {
  return f.commit ? ` (introduced by ${commitText(f.commit)})` : '';
}

export interface FixedFinding {
  fingerprint: string;
  check: string;
  spec?: string;
  subject?: string;
}

export interface ReviewInput {
  /** Every finding of the review (inside and outside the diff filter); operator-only ones are left out. */
  findings: readonly GitHubFinding[];
  commitId: string;
  /** RIGHT-side lines of the PR diff for a path (added and context lines of its hunks). */
  diffLines: (path: string) => ReadonlySet<number>;
  /** Fingerprints already commented on at earlier pushes. */
  previous: ReadonlySet<string>;
  /** Commented on before, gone now. */
  fixed: readonly FixedFinding[];
  maxInline?: number;
  /** Verbatim post-image line, when the caller has it (needed for an applyable addition). */
  lineText?: (path: string, line: number) => string | undefined;
  /**
   * GitHub refused this review's inline comments (a 422): no comments; the findings on diff
   * lines are listed in the body under their own heading.
   */
  bodyOnly?: boolean;
  /** The pull request's spec changes, base vs head; shown when some spec changed. */
  specChanges?: readonly ReportedDelta[];
}

export interface ReviewComment {
  path: string;
  line: number;
  side: 'RIGHT';
  body: string;
}

export interface ReviewPayload {
  commit_id: string;
  event: 'COMMENT';
  body: string;
  comments: ReviewComment[];
}

function compareFindings(a: ReportFinding, b: ReportFinding): number {
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    cmp(a.at.path, b.at.path) ||
    a.at.line - b.at.line ||
    cmp(a.check, b.check) ||
    cmp(a.fingerprint, b.fingerprint)
  );
}

function evidenceList(f: ReportFinding): string[] {
  const shown = f.evidence.slice(0, EVIDENCE_MAX);
  const out = shown.map(
    (e) => `- ${e.kind ? `${e.kind} ` : ''}${codeSpan(`${e.path}:${e.line}`)}: ${codeSpan(e.text.trim())}`,
  );
  const more = f.evidence.length - shown.length;
  if (more > 0) out.push(`- and ${more} more`);
  return out;
}

/** Where an added entry goes: the spec's last evidence line in the finding's file. */
function additionAnchor(f: ReportFinding): number | undefined {
  const spec = f.evidence.filter((e) => e.kind === 'spec' && e.path === f.at.path);
  return spec.length > 0 ? Math.max(...spec.map((e) => e.line)) : undefined;
}

/** The suggestion part of an inline comment, by the rules in the header. */
function suggestionBlock(f: ReportFinding, lineText?: ReviewInput['lineText']): string[] {
  const s = f.suggestion;
  if (s === undefined || s.trim() === '') return [];
  const oneLine = !s.includes('\n');
  if (REPLACING_CHECKS.has(f.check) && oneLine) return ['Suggested fix:', '', fenced(s, 'suggestion')];
  if (ADDING_CHECKS.has(f.check)) {
    const anchor = additionAnchor(f);
    const original = anchor === f.at.line ? lineText?.(f.at.path, f.at.line) : undefined;
    if (original !== undefined && oneLine)
      return ['Suggested addition (keeps this line):', '', fenced(`${original}\n${s}`, 'suggestion')];
    const where =
      anchor !== undefined
        ? `Suggested spec line to add after ${codeSpan(`${f.at.path}:${anchor}`)}:`
        : 'Suggested spec line to add:';
    return [where, '', fenced(s, 'c')];
  }
  return ['Suggested spec line:', '', fenced(s, 'c')];
}

function headline(f: ReportFinding): string {
  return `**${SEVERITY_WORD[f.severity]}** ${codeSpan(f.check)}: ${markdownText(f.message, 'github')}`;
}

/** The body of one inline comment. */
export function commentBody(f: GitHubFinding, lineText?: ReviewInput['lineText']): string {
  const parts = [marker(f), headline(f)];
  if (f.commit) parts.push('', `Introduced by ${commitText(f.commit)}.`);
  const ev = evidenceList(f);
  if (ev.length > 0) parts.push('', ...ev);
  const sug = suggestionBlock(f, lineText);
  if (sug.length > 0) parts.push('', ...sug);
  return parts.join('\n');
}

function listItem(f: GitHubFinding): string {
  return `- ${marker(f)}${findingLine(f)}`;
}

/** A finding in a list: severity, check, place and message, and the commit that introduced it. */
function findingLine(f: GitHubFinding): string {
  return `**${SEVERITY_WORD[f.severity]}** ${codeSpan(f.check)} ${codeSpan(`${f.at.path}:${f.at.line}`)}: ${markdownText(f.message, 'github')}${introducedBy(f)}`;
}

function fixedItem(f: FixedFinding): string {
  const what = [f.spec, f.subject].filter((x): x is string => x !== undefined && x !== '');
  return `- ${fixedMarker(f)}${codeSpan(f.check)}${what.length > 0 ? ` ${codeSpan(what.join(' '))}` : ''}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function buildReview(input: ReviewInput): ReviewPayload {
  const max = input.maxInline ?? MAX_INLINE;
  const current = new Set(input.findings.map((f) => f.fingerprint));
  const sorted = input.findings.filter((f) => !isOperatorOnly(f.check)).sort(compareFindings);
  const still: GitHubFinding[] = [];
  const inDiff: GitHubFinding[] = [];
  const offDiff: GitHubFinding[] = [];
  for (const f of sorted) {
    if (input.previous.has(f.fingerprint)) still.push(f);
    else if (input.diffLines(f.at.path).has(f.at.line)) inDiff.push(f);
    else offDiff.push(f);
  }
  const inline = input.bodyOnly ? [] : inDiff.slice(0, Math.max(0, max));
  const overflow = inDiff.slice(inline.length);
  const fixed = input.fixed.filter((f) => !current.has(f.fingerprint) && !isOperatorOnly(f.check));

  const comments: ReviewComment[] = inline.map((f) => ({
    path: f.at.path,
    line: f.at.line,
    side: 'RIGHT',
    body: commentBody(f, input.lineText),
  }));

  const fresh = inDiff.length + offDiff.length;
  const head: string[] = ['<!-- kapi-review:review -->', '## kapi-review', ''];
  if (fresh === 0 && still.length === 0) head.push('No findings.');
  else
    head.push(
      `${plural(fresh, 'new finding')}: ${inline.length} inline, ${fresh - inline.length} below` +
        (still.length > 0 ? `; ${still.length} still present from an earlier push.` : '.'),
    );
  if (fixed.length > 0) head.push('', `${plural(fixed.length, 'finding')} resolved since the last review.`);
  // a spec the parsers could not read is the operator's (the check run names it), never compared here
  const unread = new Set(unreadSpecs(input.findings).map((u) => u.spec));
  const changes = input.specChanges?.filter((d) => !unread.has(d.name));
  const specs = changes ? specDiffMarkdown(changes, MAX_SPEC_LINES) : null;
  if (specs) head.push('', specs);

  const sections: { title: string; note?: string; items: string[] }[] = [
    { title: 'Not on a line of this diff', items: offDiff.map(listItem) },
    input.bodyOnly
      ? {
          title: 'On lines of this diff',
          note: 'GitHub did not accept inline comments for this review; these findings are listed here instead.',
          items: overflow.map(listItem),
        }
      : {
          title: `More than ${max} inline comments`,
          note: `A review carries at most ${max} inline comments; these ${plural(overflow.length, 'finding')} on diff lines are listed here instead.`,
          items: overflow.map(listItem),
        },
    { title: 'Still present (commented on earlier)', items: still.map(listItem) },
    { title: 'Resolved', items: fixed.map(fixedItem) },
  ];

  const out = [...head];
  let length = out.join('\n').length;
  let cut = 0;
  for (const s of sections) {
    if (s.items.length === 0) continue;
    if (cut > 0) {
      cut += s.items.length;
      continue;
    }
    const intro = ['', `### ${s.title}`, ...(s.note ? ['', s.note] : []), ''];
    out.push(...intro);
    length += intro.join('\n').length + 1;
    for (const [i, item] of s.items.entries()) {
      if (length + item.length + 1 > BODY_LIMIT) {
        cut += s.items.length - i;
        break;
      }
      out.push(item);
      length += item.length + 1;
    }
  }
  if (cut > 0)
    out.push(
      '',
      `${plural(cut, 'more item')} did not fit in this review; the check run lists every finding.`,
    );
  return { commit_id: input.commitId, event: 'COMMENT', body: out.join('\n'), comments };
}

// ---------------------------------------------------------------------------------------------
// The check run

export type AnnotationLevel = 'failure' | 'warning' | 'notice';
const ANNOTATION_LEVEL: Record<Severity, AnnotationLevel> = {
  error: 'failure',
  warning: 'warning',
  info: 'notice',
};

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: AnnotationLevel;
  message: string;
  title: string;
  raw_details?: string;
}

export interface CheckRunInput {
  /** Every finding; operator-only ones only name their spec as not read in full. */
  findings: readonly GitHubFinding[];
  name: 'kapi-review';
  headSha: string;
  crashes?: readonly CheckCrash[];
  notes?: readonly string[];
  /** False when the pull request touched no spec: the run is neutral. Default true. */
  specsTouched?: boolean;
}

export interface CheckRunPayload {
  name: string;
  head_sha: string;
  status: 'completed';
  conclusion: 'success' | 'neutral' | 'failure';
  output: { title: string; summary: string; annotations: Annotation[] };
}

/** GitHub's limits on an annotation: a longer one makes the whole request fail (422). */
const ANNOTATION_TITLE_MAX = 255;
const ANNOTATION_TEXT_MAX = 60_000;

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}\u2026`;
}

/** Annotations are plain text: only control characters are dropped. */
function plain(s: string): string {
  return sanitize(s, 'markdown');
}

export function annotationOf(f: ReportFinding): Annotation {
  const what = [f.spec, f.subject].filter((x): x is string => x !== undefined && x !== '');
  const a: Annotation = {
    path: f.at.path,
    start_line: f.at.line,
    end_line: Math.max(f.at.line, f.at.endLine ?? f.at.line),
    annotation_level: ANNOTATION_LEVEL[f.severity],
    message: cut(plain(f.message), ANNOTATION_TEXT_MAX),
    title: cut(plain(what.length > 0 ? `${f.check}: ${what.join(' ')}` : f.check), ANNOTATION_TITLE_MAX),
  };
  if (f.evidence.length > 0)
    a.raw_details = cut(
      plain(
        f.evidence
          .map((e) => `${e.kind ? `${e.kind}: ` : ''}${e.path}:${e.line}: ${e.text.trim()}`)
          .join('\n'),
      ),
      ANNOTATION_TEXT_MAX,
    );
  return a;
}

/** A spec that an operator-only finding is about: its name (when known) and first line. */
export interface UnreadSpec {
  path: string;
  line: number;
  spec?: string;
}

/**
 * The specs operator-only findings are about, one entry per spec (by path and name; an unnamed
 * one by its line), at the first line reported, in path and line order.
 */
export function unreadSpecs(findings: readonly ReportFinding[]): UnreadSpec[] {
  const bySpec = new Map<string, UnreadSpec>();
  for (const f of findings) {
    if (!isOperatorOnly(f.check)) continue;
    const named = f.spec !== undefined && f.spec !== '';
    const key = JSON.stringify([f.at.path, named ? f.spec : f.at.line]);
    const seen = bySpec.get(key);
    if (seen && seen.line <= f.at.line) continue;
    bySpec.set(key, { path: f.at.path, line: f.at.line, ...(named ? { spec: f.spec } : {}) });
  }
  return [...bySpec.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
}

export function buildCheckRun(input: CheckRunInput): CheckRunPayload {
  const sorted = input.findings.filter((f) => !isOperatorOnly(f.check)).sort(compareFindings);
  const unread = unreadSpecs(input.findings);
  const crashes = input.crashes ?? [];
  const notes = input.notes ?? [];
  const c = { error: 0, warning: 0, info: 0 };
  for (const f of sorted) c[f.severity]++;
  const touched = input.specsTouched ?? true;
  const conclusion: CheckRunPayload['conclusion'] =
    c.error > 0 ? 'failure' : !touched || crashes.length > 0 || unread.length > 0 ? 'neutral' : 'success';
  const counts = [
    c.error > 0 ? plural(c.error, 'error') : '',
    c.warning > 0 ? plural(c.warning, 'warning') : '',
    c.info > 0 ? plural(c.info, 'note') : '',
  ].filter((x) => x !== '');
  const title =
    !touched && sorted.length === 0 && unread.length === 0
      ? 'No spec touched'
      : [
          ...(counts.length > 0 ? counts : ['No findings']),
          ...(unread.length > 0 ? [`${plural(unread.length, 'spec')} not read in full`] : []),
        ].join(', ');
  const summary: string[] = [`**${markdownText(title, 'github')}**`];
  if (!touched) summary.push('', 'This pull request touches no kernel API spec.');
  if (sorted.length > 0) {
    // a list, not a table: a `|` in a code span would split a table cell
    summary.push('');
    for (const f of sorted) summary.push(`- ${findingLine(f)}`);
  }
  if (unread.length > 0) {
    summary.push(
      '',
      '### Specs not read in full',
      '',
      `kapi-review could not read ${plural(unread.length, 'spec')} in full, so its checks of ${unread.length === 1 ? 'it' : 'them'} may be incomplete:`,
      '',
    );
    for (const u of unread)
      summary.push(
        `- ${u.spec !== undefined ? codeSpan(u.spec) : 'a spec'} at ${codeSpan(`${u.path}:${u.line}`)}`,
      );
  }
  if (crashes.length > 0) {
    summary.push('', '### Checks that crashed', '');
    for (const x of crashes)
      summary.push(`- ${codeSpan(x.check)} on ${codeSpan(x.path)}: ${markdownText(x.error, 'github')}`);
  }
  if (notes.length > 0) {
    summary.push('', '### Notes', '');
    for (const n of notes) summary.push(`- ${markdownText(n, 'github')}`);
  }
  let text = summary.join('\n');
  if (text.length > BODY_LIMIT)
    text = `${text.slice(0, BODY_LIMIT).replace(/\n[^\n]*$/, '')}\n\n(summary cut; every finding is an annotation)`;
  return {
    name: input.name,
    head_sha: input.headSha,
    status: 'completed',
    conclusion,
    output: { title, summary: text, annotations: sorted.map(annotationOf) },
  };
}

/**
 * The check run of a pull request too large to review (a limit of the review was hit): neutral,
 * since nothing of it was checked, with the reason and where the limits are set.
 */
export function tooLargeRun(input: {
  name: 'kapi-review';
  headSha: string;
  reason: string;
  notes?: readonly string[];
}): CheckRunPayload {
  const summary = [
    '**Too large to review**',
    '',
    `kapi-review did not review this pull request: ${markdownText(input.reason, 'github')}.`,
    '',
    'Nothing of it was checked. The limits are set under `limits:` in `.github/kapi-review.yml`.',
  ];
  const notes = input.notes ?? [];
  if (notes.length > 0) {
    summary.push('', '### Notes', '');
    for (const n of notes) summary.push(`- ${markdownText(n, 'github')}`);
  }
  return {
    name: input.name,
    head_sha: input.headSha,
    status: 'completed',
    conclusion: 'neutral',
    output: { title: 'Too large to review', summary: summary.join('\n'), annotations: [] },
  };
}

/** Splits annotations into requests of at most `size` (GitHub: 50). */
export function annotationBatches<T>(annotations: readonly T[], size = ANNOTATIONS_PER_REQUEST): T[][] {
  if (size < 1) throw new RangeError('batch size must be at least 1');
  const out: T[][] = [];
  for (let i = 0; i < annotations.length; i += size) out.push(annotations.slice(i, i + size));
  return out;
}

/**
 * The check run as REST bodies: the create call with the first batch of annotations, then one
 * update per further batch (same output title and summary; GitHub appends the annotations).
 */
export function checkRunRequests(run: CheckRunPayload): {
  create: CheckRunPayload;
  updates: { output: CheckRunPayload['output'] }[];
} {
  const [first = [], ...rest] = annotationBatches(run.output.annotations);
  return {
    create: { ...run, output: { ...run.output, annotations: first } },
    updates: rest.map((b) => ({
      output: { title: run.output.title, summary: run.output.summary, annotations: b },
    })),
  };
}
