/**
 * The pull-request side of the GitHub App, pure: which files of a PR to fetch, the PR as one
 * ReviewPatch, the diff lines a review may comment on, what earlier reviews said and what a push
 * changes against it, and commands in comments. No network here; app/github/gateway.ts does the
 * calls and hands the data in.
 */
import { isOperatorOnly } from '../../checks/index.js';
import type { ReviewFile, ReviewPatch } from '../../checks/review.js';
import { isCFile } from '../../checks/unit.js';
import { parseDiff } from '../../parsers/diff.js';
import { sanitize } from '../../parsers/text/controls.js';
import { FenceTracker } from '../../parsers/text/markdown.js';
import { compare } from '../../reporters/compare.js';
import { type CommitRef, type FixedFinding, readMarkers } from '../../reporters/github.js';
import { changedLines } from '../context/postimage.js';

/** A file of `GET /repos/{o}/{r}/pulls/{n}/files`, the fields the app uses. */
export interface PrFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  previous_filename?: string;
  /** The hunks of the file's diff; GitHub leaves it out for large or binary diffs. */
  patch?: string;
}

/** Whether `path` is one of the configured paths: an exact path or a directory prefix. */
export function pathSelected(path: string, paths: readonly string[]): boolean {
  if (paths.length === 0) return true;
  return paths.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p || path.startsWith(`${p}/`)));
}

/**
 * The files worth fetching: C sources and headers that the PR does not delete, within the
 * configured paths. Whether a file carries a spec is only known once its text is fetched.
 */
export function candidateFiles(files: readonly PrFile[], paths: readonly string[]): PrFile[] {
  return files.filter(
    (f) => f.status !== 'removed' && isCFile(f.filename) && pathSelected(f.filename, paths),
  );
}

/**
 * RIGHT-side lines of a file's PR diff: the added and context lines of its hunks. Only these can
 * carry an inline review comment. No patch (a diff too large for GitHub to show) means none.
 */
export function rightSideLines(patch: string | undefined): Set<number> {
  const out = new Set<number>();
  if (!patch) return out;
  let line = 0;
  let inHunk = false;
  for (const l of patch.split('\n')) {
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) {
      line = Number(h[1]);
      inHunk = true;
      continue;
    }
    if (!inHunk) continue;
    if (l.startsWith('+') || l.startsWith(' ')) out.add(line++);
    else if (l === '') {
      // GitHub's patch has no trailing context marker for an empty last line; nothing to count
    }
    // '-' and '\ No newline at end of file' do not move the right side
  }
  return out;
}

/** A fetched file of the PR: its text at the merge base (null when added) and at the head. */
export interface PrImage {
  file: PrFile;
  pre: string | null;
  post: string;
}

/**
 * The pull request as one patch from its merge base to its head, every file whole. The diff
 * filter's added lines come from the two images (they are exact); GitHub's hunks, when present,
 * give the diff context. `changed: false` leaves the added lines out (a diff of the two images,
 * which can be slow: the review measures its limits first and adds them after).
 */
export function prPatch(
  label: string,
  images: readonly PrImage[],
  opts: { changed?: boolean } = {},
): ReviewPatch {
  const files: ReviewFile[] = images.map(({ file, pre, post }) => {
    const oldPath = file.previous_filename ?? file.filename;
    let diff: ReviewFile['diff'] = null;
    if (file.patch) {
      const header = [
        `diff --git a/${oldPath} b/${file.filename}`,
        `--- ${pre === null ? '/dev/null' : `a/${oldPath}`}`,
        `+++ b/${file.filename}`,
      ].join('\n');
      diff = parseDiff(`${header}\n${file.patch}\n`).value.files[0] ?? null;
    }
    return {
      path: file.filename,
      mode: 'full',
      pre,
      post,
      fragments: [],
      diff,
      ...(opts.changed === false ? {} : { changed: changedLines(pre ?? '', post) }),
    };
  });
  return { messageId: null, label, files };
}

/** A commit of `GET /repos/{o}/{r}/pulls/{n}/commits`, the fields the App uses. */
export interface PrCommit {
  sha: string;
  message: string;
  parents: string[];
}

/**
 * One commit of a pull request as its review sees it: the reviewed files it changes, each with
 * its text after the commit (null: the commit deletes it).
 */
export interface CommitStep extends CommitRef {
  files: { path: string; post: string | null }[];
}

/** A commit message's subject: its first line, without control characters, at most 200 characters. */
export function subjectOf(message: string): string {
  const first = sanitize(message.split('\n')[0] ?? '', 'subject').trim();
  return first.length > 200 ? `${first.slice(0, 199)}\u2026` : first;
}

/**
 * Why a pull request's commits cannot be reviewed one by one, or null when they can: they must be
 * one line of history from the merge base to the head, without merges.
 */
export function notOneLine(commits: readonly PrCommit[], mergeBase: string, headSha: string): string | null {
  let parent = mergeBase;
  for (const c of commits) {
    const short = c.sha.slice(0, 12);
    if (c.parents.length !== 1) return `commit ${short} is a merge`;
    if (c.parents[0] !== parent)
      return parent === mergeBase
        ? `its first commit ${short} does not start from the merge base`
        : `its commits are not one line of history (${short} does not follow ${parent.slice(0, 12)})`;
    parent = c.sha;
  }
  return parent === headSha ? null : `its last commit is not its head ${headSha.slice(0, 12)}`;
}

/**
 * The pull request as one patch per commit, oldest first: each reviewed file a commit changes,
 * whole, before and after it (before the first commit that touches it: its image at the merge
 * base). `changed: false` leaves the added lines out, as prPatch does.
 */
export function commitPatches(
  images: readonly PrImage[],
  steps: readonly CommitStep[],
  opts: { changed?: boolean } = {},
): ReviewPatch[] {
  const text = new Map<string, string | null>(images.map((i) => [i.file.filename, i.pre]));
  return steps.map((step) => ({
    messageId: null,
    label: `${step.sha.slice(0, 12)} ${step.subject}`,
    files: step.files.map(({ path, post }): ReviewFile => {
      const pre = text.get(path) ?? null;
      text.set(path, post);
      if (post === null) return { path, mode: 'deleted', pre, post: null, fragments: [], diff: null };
      return {
        path,
        mode: 'full',
        pre,
        post,
        fragments: [],
        diff: null,
        ...(opts.changed === false ? {} : { changed: changedLines(pre ?? '', post) }),
      };
    }),
  }));
}

/** A review as `GET /repos/{o}/{r}/pulls/{n}/reviews` lists it. */
export interface PastReview {
  id: number;
  commit_id: string | null;
  body: string | null;
  user: { login: string; type?: string } | null;
}

/** A review comment as `GET /repos/{o}/{r}/pulls/{n}/comments` lists it. */
export interface PastComment {
  pull_request_review_id: number | null;
  body: string;
}

const REVIEW_MARKER = '<!-- kapi-review:review -->';

/** Whether a review is one of ours: written by a bot, with our review marker first. */
export function isOurReview(r: PastReview, botLogin: string | null): boolean {
  if (!r.body?.startsWith(REVIEW_MARKER)) return false;
  if (botLogin !== null) return r.user?.login === botLogin;
  return r.user?.type === 'Bot';
}

export interface PastState {
  /** Fingerprints commented on and not marked resolved since. */
  open: Map<string, FixedFinding>;
  /** Head SHAs that already have a review of ours. */
  reviewedShas: Set<string>;
}

/**
 * What our earlier reviews said, in the order GitHub lists them (oldest first): each marker moves
 * its fingerprint to open (`fp=`) or resolved (`fixed=`); the last word counts. Markers in review
 * comments belong to their review.
 */
export function pastState(
  reviews: readonly PastReview[],
  comments: readonly PastComment[],
  botLogin: string | null,
): PastState {
  const ours = reviews.filter((r) => isOurReview(r, botLogin));
  const byReview = new Map<number, string[]>();
  for (const c of comments)
    if (c.pull_request_review_id !== null)
      byReview.set(c.pull_request_review_id, [...(byReview.get(c.pull_request_review_id) ?? []), c.body]);
  const open = new Map<string, FixedFinding>();
  const reviewedShas = new Set<string>();
  for (const r of [...ours].sort((a, b) => a.id - b.id)) {
    if (r.commit_id) reviewedShas.add(r.commit_id);
    for (const text of [...(byReview.get(r.id) ?? []), r.body ?? ''])
      for (const m of readMarkers(text)) {
        if (m.kind === 'fixed') open.delete(m.fingerprint);
        else
          open.set(m.fingerprint, {
            fingerprint: m.fingerprint,
            check: m.check ?? 'unknown',
            ...(m.spec !== undefined ? { spec: m.spec } : {}),
            ...(m.subject !== undefined ? { subject: m.subject } : {}),
          });
      }
  }
  return { open, reviewedShas };
}

/**
 * A push's findings against what our earlier reviews left open (the one comparison of
 * reporters/compare.ts, with those reviews as the revision before): `previous`, the fingerprints
 * already commented on (not commented again); `fixed`, the open ones the push no longer has, less
 * those `ignored` by configuration in this run and operator-only ones (never posted, never fixed).
 */
export function againstPast(
  past: PastState,
  findings: readonly FixedFinding[],
  ignored: ReadonlySet<string>,
): { previous: Set<string>; fixed: FixedFinding[] } {
  // GitHub has no revision numbers: the earlier reviews count as one revision, the push as the next
  const c = compare<FixedFinding>(
    [
      { revision: 1, findings: [...past.open.values()] },
      { revision: 2, findings },
    ],
    (f) => f.fingerprint,
  );
  return {
    previous: new Set(c.entries.filter((e) => e.status === 'still').map((e) => e.fingerprint)),
    fixed: c.fixed
      .map((x) => x.finding)
      .filter((f) => !ignored.has(f.fingerprint) && !isOperatorOnly(f.check)),
  };
}

export type Command = { kind: 'recheck' } | { kind: 'ignore'; check: string };

/**
 * The commands in a comment: lines `/kapi-review recheck` and `/kapi-review ignore <check-id>`,
 * outside quotes and code fences. Anything else after `/kapi-review` is reported as unknown.
 */
export function parseCommands(body: string): { commands: Command[]; unknown: string[] } {
  const commands: Command[] = [];
  const unknown: string[] = [];
  const fences = new FenceTracker();
  for (const raw of body.split(/\r?\n/)) {
    if (fences.inFence(raw)) continue;
    const line = raw.trim();
    if (!line.startsWith('/kapi-review')) continue;
    const words = line.split(/\s+/);
    if (words[0] !== '/kapi-review') continue;
    if (words[1] === 'recheck' && words.length === 2) commands.push({ kind: 'recheck' });
    else if (words[1] === 'ignore' && words.length === 3 && /^[a-z0-9-]+$/.test(words[2] as string))
      commands.push({ kind: 'ignore', check: words[2] as string });
    else unknown.push(line.slice(0, 120));
  }
  return { commands, unknown };
}

/** A repository permission as `GET .../collaborators/{user}/permission` names it. */
export function canCommand(permission: string | undefined): boolean {
  return permission === 'admin' || permission === 'maintain' || permission === 'write';
}
