/**
 * The review pipeline behind `kapi-review check` (and the bots): series -> post-images on an
 * optional kernel tree -> checks -> findings, with ignores applied. I/O here is only the kernel
 * tree; the rest is the pure pipeline.
 */
import type { Parser } from 'web-tree-sitter';
import {
  type ReviewPatch,
  type ReviewResult,
  reviewSeries,
  type ScopedFinding,
} from '../../checks/review.js';
import type { Check } from '../../checks/types.js';
import { isCFile } from '../../checks/unit.js';
import type { FileDiff } from '../../parsers/diff.js';
import type { Framework } from '../../parsers/kapi/framework.js';
import type { Series, SeriesSet } from '../../parsers/series.js';
import { isIgnored, type ReviewConfig } from '../config/index.js';
import { buildPostImages, changedLines, type TreeReader } from '../context/postimage.js';
import { openTree } from '../context/tree.js';
import { chooseFramework } from '../framework/resolve.js';

export interface SeriesReview {
  series: Series;
  review: ReviewResult;
  /** Findings a configured ignore rule silenced. */
  ignored: ScopedFinding[];
  /** What the reader should know about how the series was checked. */
  notes: string[];
  /** The KAPI framework the series was judged by (absent where a caller built the review itself). */
  framework?: Framework;
}

export interface ReviewOptions {
  checks: readonly Check[];
  config: ReviewConfig;
  parser: Parser | null;
  /** A kernel tree to apply the series on (directory or git checkout), or null for hunks only. */
  tree: string | null;
  /** Judge by this framework instead of choosing one (series, tree, latest known). */
  framework?: Framework;
}

/**
 * Whether the diff's own post-image line numbers are wrong for the image we built (a hunk applied
 * at an offset). Only C files matter to the checks; the test is a walk over the hunks' lines.
 */
function needsRenumbering(post: string, diff: FileDiff | undefined): boolean {
  if (!diff || !isCFile(diff.path)) return false;
  const lines = post.split('\n');
  for (const h of diff.hunks)
    for (const l of h.lines)
      if (l.kind !== 'del' && l.newLine !== undefined && lines[l.newLine - 1] !== l.text) return true;
  return false;
}

function patchLabel(series: Series, counter: number, subject: string): string {
  return series.expected > 1 ? `[${counter}/${series.expected}] ${subject}` : subject;
}

export async function reviewOneSeries(series: Series, opts: ReviewOptions): Promise<SeriesReview> {
  const notes: string[] = [];
  let tree: TreeReader | null = null;
  if (opts.tree) {
    const t = await openTree(opts.tree, series.baseCommit);
    tree = t.tree;
    if (t.note) notes.push(t.note);
  }
  const mails = [...series.patches].sort((a, b) => a.counter - b.counter);
  const inputs = mails.map((p) => ({
    messageId: p.mail.messageId,
    label: patchLabel(series, p.counter, p.mail.subject),
    files: p.mail.files,
  }));
  const images = await buildPostImages(inputs, tree);
  for (const i of images.issues) notes.push(i.message);
  const patches: ReviewPatch[] = images.patches.map((img, k) => ({
    messageId: img.messageId,
    label: img.label,
    files: img.files.map((f, j) => ({
      path: f.path,
      mode: f.mode,
      pre: f.pre,
      post: f.post,
      fragments: f.fragments,
      diff: inputs[k]?.files[j] ?? null,
      ...(f.mode === 'full' &&
      f.pre !== null &&
      f.post !== null &&
      needsRenumbering(f.post, inputs[k]?.files[j])
        ? { changed: changedLines(f.pre, f.post) }
        : {}),
    })),
  }));
  let framework = opts.framework;
  if (!framework) {
    const choice = await chooseFramework(images.patches, tree);
    framework = choice.framework;
    notes.push(choice.note);
  }
  const done = reviewPatches(patches, { ...opts, framework });
  return { series, review: done.review, ignored: done.ignored, notes: [...notes, ...done.notes], framework };
}

/**
 * Runs the checks over patches whose images are already built (the mail pipeline above, or a
 * pull request's base and head images) and applies the configured ignores. The notes say which
 * files were checked on hunks only and how many findings the base already had.
 */
export function reviewPatches(
  patches: readonly ReviewPatch[],
  opts: Omit<ReviewOptions, 'tree'> & { tree?: string | null },
): { review: ReviewResult; ignored: ScopedFinding[]; notes: string[] } {
  const notes: string[] = [];
  const review = reviewSeries(patches, {
    checks: opts.checks,
    parser: opts.parser,
    config: opts.config.checks,
    filter: opts.config.filter,
    ...(opts.framework ? { framework: opts.framework } : {}),
  });
  const hunkOnly = [
    ...new Set(review.files.filter((f) => f.mode === 'hunks' && isCFile(f.path)).map((f) => f.path)),
  ];
  if (hunkOnly.length > 0)
    notes.push(
      `${hunkOnly.join(', ')}: checked on the hunks only${opts.tree ? '' : ' (no --tree given)'}; checks that need the whole file stayed silent`,
    );
  if (review.preexisting > 0)
    notes.push(
      `${review.preexisting} finding(s) were already in the base tree before this series and are not reported`,
    );
  const ignored = [...review.findings, ...review.outside].filter((f) => isIgnored(f, opts.config.ignore));
  const keep = (f: ScopedFinding): boolean => !ignored.includes(f);
  return {
    review: { ...review, findings: review.findings.filter(keep), outside: review.outside.filter(keep) },
    ignored,
    notes,
  };
}

export async function reviewSeriesSet(set: SeriesSet, opts: ReviewOptions): Promise<SeriesReview[]> {
  const out: SeriesReview[] = [];
  for (const s of set.series) out.push(await reviewOneSeries(s, opts));
  return out;
}
