/**
 * The review pipeline behind `kapi-review check` (and the bots): series -> post-images on an
 * optional kernel tree -> limits -> checks -> findings, with ignores applied. I/O here is only the
 * kernel tree; the rest is the pure pipeline.
 *
 * Every review is bounded (app/review/limits.ts): the hunks are counted before any image is built,
 * file sizes and spec entries before any check runs, and the time budget is asked before each
 * file. A review over a limit comes back empty with `tooLarge` set, never half done. The bot and
 * the App run this in worker threads (app/review/job.ts, pool.ts), which also end a review that
 * overruns its budget inside one file; `kapi-review check` runs it here.
 */
import type { Parser } from 'web-tree-sitter';
import {
  type ReviewPatch,
  type ReviewResult,
  ReviewStopped,
  reviewSeries,
  type ScopedFinding,
} from '../../checks/review.js';
import type { Check } from '../../checks/types.js';
import { isCFile, specsOf } from '../../checks/unit.js';
import { type FileDiff, parseDiff } from '../../parsers/diff.js';
import type { Framework } from '../../parsers/kapi/framework.js';
import type { Series, SeriesSet } from '../../parsers/series.js';
import { type CacheOptions, type FactCache, factCache } from '../cache/facts.js';
import { outcomeKey, storedOutcome, storeOutcome, type TreeReads, textHash } from '../cache/outcomes.js';
import { isIgnored, type ReviewConfig } from '../config/index.js';
import { buildPostImages, changedLines, shiftedLines, type TreeReader } from '../context/postimage.js';
import { openTree } from '../context/tree.js';
import { chooseFramework } from '../framework/resolve.js';
import {
  countHunks,
  mayCarrySpec,
  measureReview,
  overHunks,
  overTime,
  type TooLarge,
  tooLargeText,
} from './limits.js';

export interface SeriesReview {
  series: Series;
  review: ReviewResult;
  /** Findings a configured ignore rule silenced. */
  ignored: ScopedFinding[];
  /** What the reader should know about how the series was checked. */
  notes: string[];
  /** The KAPI framework the series was judged by (absent where a caller built the review itself). */
  framework?: Framework;
  /** Set when the review hit a limit: nothing was checked and `review` is empty. */
  tooLarge?: TooLarge;
}

export interface ReviewOptions {
  checks: readonly Check[];
  config: ReviewConfig;
  parser: Parser | null;
  /**
   * Where `parser` is null: loads it when the review turns out to need C analysis (a whole image
   * of a C file with a spec in it), so that a review without one (no tree, no new file with a
   * spec) never compiles the grammar (`kapi-review check` without a tree).
   */
  loadParser?: () => Promise<Parser | null>;
  /** A kernel tree to apply the series on (directory or git checkout), or null for hunks only. */
  tree: string | null;
  /** Judge by this framework instead of choosing one (series, tree, latest known). */
  framework?: Framework;
  /** When the review started (ms since the epoch), for the time budget; default now. */
  startedAt?: number;
  /**
   * Where the parsers' results are kept between runs (app/cache/facts.ts); absent or a null `dir`:
   * in this process only.
   */
  cache?: CacheOptions | null;
}

/** What a review comes back with: a SeriesReview without its series (plain data, from a worker). */
export interface ReviewOutcome {
  review: ReviewResult;
  ignored: ScopedFinding[];
  notes: string[];
  framework?: Framework;
  tooLarge?: TooLarge;
}

/**
 * What the review of a series needs of it: the patches' diffs in order, as plain data. For a
 * worker, each diff goes as its text (`asText`): copying a string to another thread is a memcpy,
 * while the parsed diff of a 10 MB patch is a million small objects to copy (a second of the main
 * thread's time); the worker parses the text again, as the mail parser did.
 */
export interface SeriesInput {
  expected: number;
  baseCommit: string | null;
  patches: {
    counter: number;
    messageId: string | null;
    subject: string;
    /** The parsed diff, or (from seriesInput's asText) `diff`, its text. */
    files?: FileDiff[];
    diff?: string | null;
  }[];
}

export function seriesInput(series: Series, opts: { asText?: boolean } = {}): SeriesInput {
  return {
    expected: series.expected,
    baseCommit: series.baseCommit,
    patches: [...series.patches]
      .sort((a, b) => a.counter - b.counter)
      .map((p) => ({
        counter: p.counter,
        messageId: p.mail.messageId,
        subject: p.mail.subject,
        ...(opts.asText ? { diff: p.mail.diff } : { files: p.mail.files }),
      })),
  };
}

function filesOf(p: SeriesInput['patches'][number]): FileDiff[] {
  if (p.files) return p.files;
  return p.diff ? parseDiff(p.diff).value.files : [];
}

export function emptyReview(): ReviewResult {
  return { findings: [], outside: [], crashes: [], preexisting: 0, files: [] };
}

/** The outcome of a review that hit a limit: nothing checked, the reason in `tooLarge` and a note. */
export function tooLargeOutcome(tooLarge: TooLarge, notes: readonly string[] = []): ReviewOutcome {
  return { review: emptyReview(), ignored: [], notes: [tooLargeText(tooLarge), ...notes], tooLarge };
}

/**
 * Whether the diff's own post-image line numbers are wrong for the image we built (a hunk applied
 * at an offset). Only C files matter to the checks; the test is a walk over the hunks' lines.
 */
function needsRenumbering(post: string, diff: FileDiff | undefined): boolean {
  if (!diff || !isCFile(diff.path)) return false;
  // the lines the hunks name, found by walking the line ends once (no split of the whole file)
  let line = 1;
  let pos = 0;
  for (const h of diff.hunks)
    for (const l of h.lines) {
      if (l.kind === 'del' || l.newLine === undefined) continue;
      if (l.newLine < line) {
        line = 1;
        pos = 0;
      }
      for (; line < l.newLine; line++) {
        const nl = post.indexOf('\n', pos);
        if (nl < 0) return true;
        pos = nl + 1;
      }
      const end = post.indexOf('\n', pos);
      if ((end < 0 ? post.slice(pos) : post.slice(pos, end)) !== l.text) return true;
    }
  return false;
}

/** Whether every hunk fitted exactly where its header said: its lines are numbered as they are. */
function atTheirLines(diff: FileDiff, starts: readonly number[] | undefined): boolean {
  return starts !== undefined && diff.hunks.every((h, i) => starts[i] === h.newStart);
}

function patchLabel(expected: number, counter: number, subject: string): string {
  return expected > 1 ? `[${counter}/${expected}] ${subject}` : subject;
}

/** The time budget of a review that started at `startedAt`: a test to ask, and the outcome. */
export function budget(opts: { config: ReviewConfig; startedAt?: number }): () => boolean {
  const deadline = (opts.startedAt ?? Date.now()) + opts.config.limits.timeMs;
  return () => Date.now() > deadline;
}

/** Reviews a series given as plain data (the worker's entry, and the inline path's). */
export async function reviewSeriesInput(input: SeriesInput, opts: ReviewOptions): Promise<ReviewOutcome> {
  const limits = opts.config.limits;
  const notes: string[] = [];
  const diffs = input.patches.map(filesOf);
  const hunks = overHunks(countHunks(diffs.map((files) => ({ files }))), limits);
  if (hunks) return tooLargeOutcome(hunks);
  let tree: TreeReader | null = null;
  if (opts.tree) {
    const t = await openTree(opts.tree, input.baseCommit);
    tree = t.tree;
    if (t.note) notes.push(t.note);
  }
  const memo = factCache(opts.cache);
  const stored = memo.onDisk ? await storedReview(input, opts, tree, notes, memo) : null;
  if (stored?.outcome) return stored.outcome;
  if (tree && stored) tree = recordReads(tree, stored.reads);
  return reviewImages(input, opts, { diffs, tree, notes, memo, stored });
}

/** reviewSeriesInput once the stored outcome missed: the images, the limits, the checks. */
async function reviewImages(
  input: SeriesInput,
  opts: ReviewOptions,
  at: {
    diffs: FileDiff[][];
    tree: TreeReader | null;
    notes: string[];
    memo: FactCache;
    stored: { key: string; reads: TreeReads } | null;
  },
): Promise<ReviewOutcome> {
  const { diffs, tree, notes, memo, stored } = at;
  const limits = opts.config.limits;
  const over = budget(opts);
  const inputs = input.patches.map((p, k) => ({
    messageId: p.messageId,
    label: patchLabel(input.expected, p.counter, p.subject),
    files: diffs[k] ?? [],
  }));
  const images = await buildPostImages(inputs, tree);
  for (const i of images.issues) notes.push(i.message);
  // the C grammar compiles on V8's own threads: when an image looks as if it holds a spec, that
  // starts now, while the specs are parsed, and is awaited only once the review knows it needs it
  let loading: Promise<Parser | null> | undefined;
  const request = opts.loadParser;
  const loadParser = request ? () => (loading ??= request()) : undefined;
  if (!opts.parser && loadParser && images.patches.some((p) => p.files.some(mayHoldSpec)))
    loadParser().catch(() => undefined); // a failure is met again where the parser is awaited
  if (over()) return tooLargeOutcome(overTime(limits), notes);
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
    })),
  }));
  // where a hunk applied at an offset: its own lines shifted to where it landed, else (fuzz, an
  // end-of-file change) the added lines from a diff of the images themselves
  const renumber: { f: ReviewPatch['files'][number]; starts: number[] | undefined }[] = [];
  for (const [k, p] of patches.entries())
    for (const [j, f] of p.files.entries()) {
      if (f.mode !== 'full' || f.pre === null || f.post === null || !f.diff) continue;
      const starts = images.patches[k]?.files[j]?.hunkStarts;
      if (!atTheirLines(f.diff, starts) && needsRenumbering(f.post, f.diff)) renumber.push({ f, starts });
    }
  const tooLarge = measureReview(patches, limits, memo);
  if (tooLarge) return tooLargeOutcome(tooLarge, notes);
  let framework = opts.framework;
  if (!framework) {
    const choice = await chooseFramework(images.patches, tree);
    framework = choice.framework;
    notes.push(choice.note);
  }
  for (const { f, starts } of renumber)
    f.changed = starts
      ? shiftedLines(f.diff as FileDiff, starts)
      : changedLines(f.pre as string, f.post as string);
  const parser = opts.parser ?? (loadParser && needsCAnalysis(patches, memo) ? await loadParser() : null);
  const done = reviewPatches(patches, { ...opts, parser, framework, stop: over });
  const outcome: ReviewOutcome = { ...done, notes: [...notes, ...done.notes], framework };
  // a review the time budget ended says nothing about the next one
  if (stored && done.tooLarge?.limit !== 'time') storeOutcome(memo, stored.key, stored.reads, outcome);
  memo.prune();
  return outcome;
}

/**
 * Whether a file of a patch may hold a spec in a whole image: a guess, which decides only when
 * the C grammar starts loading (needsCAnalysis decides whether it is used).
 */
function mayHoldSpec(f: { path: string; mode: string; pre: string | null; post: string | null }): boolean {
  if (f.mode !== 'full' || !isCFile(f.path)) return false;
  return (f.post !== null && mayCarrySpec(f.post)) || (f.pre !== null && mayCarrySpec(f.pre));
}

/**
 * Whether buildUnit will analyse C in these patches: a whole image of a C file (its post-image, or
 * the pre-image the review starts from) with a spec. The specs come from the memo the limits filled.
 */
function needsCAnalysis(patches: readonly ReviewPatch[], memo: FactCache): boolean {
  for (const p of patches)
    for (const f of p.files) {
      if (f.mode !== 'full' || !isCFile(f.path)) continue;
      for (const text of [f.post, f.pre])
        if (text !== null && memo.peek('specs', f.path, text, () => specsOf(text, f.path)).specs.length > 0)
          return true;
    }
  return false;
}

/** A tree reader that notes the hash of each file it reads. */
function recordReads(tree: TreeReader, reads: TreeReads): TreeReader {
  return {
    async read(path) {
      const text = await tree.read(path);
      reads.set(path, textHash(text));
      return text;
    },
    describe: () => tree.describe(),
  };
}

/**
 * The stored outcome of this very review (same series, tree, notes so far, configuration, checks
 * and build) when the tree files it read are unchanged; else its key, for storing it once done.
 */
async function storedReview(
  input: SeriesInput,
  opts: ReviewOptions,
  tree: TreeReader | null,
  notes: readonly string[],
  memo: FactCache,
): Promise<{ outcome?: ReviewOutcome; key: string; reads: TreeReads }> {
  const key = outcomeKey({
    input,
    tree: opts.tree,
    treeIs: tree?.describe() ?? null,
    notes,
    config: opts.config,
    checks: opts.checks.map((c) => c.meta.id),
    parser: opts.parser !== null || opts.loadParser !== undefined,
    framework: opts.framework ?? null,
  });
  const reader = tree ?? { read: async () => null };
  const outcome = await storedOutcome<ReviewOutcome>(memo, key, (p) => reader.read(p));
  return { ...(outcome ? { outcome } : {}), key, reads: new Map() };
}

/** Reviews one series here, on this thread (`kapi-review check`; the bot and the App use workers). */
export async function reviewOneSeries(series: Series, opts: ReviewOptions): Promise<SeriesReview> {
  return { series, ...(await reviewSeriesInput(seriesInput(series), opts)) };
}

/**
 * Runs the checks over patches whose images are already built (the mail pipeline above, or a
 * pull request's base and head images) and applies the configured ignores. The notes say which
 * files were checked on hunks only and how many findings the base already had. The caller has
 * measured the patches against the limits; `stop` (the time budget) may end the review, which
 * then comes back empty with `tooLarge` set.
 */
export function reviewPatches(
  patches: readonly ReviewPatch[],
  opts: Omit<ReviewOptions, 'tree'> & {
    tree?: string | null;
    stop?: () => boolean;
    /** checks/review.ts's anchor: 'latest' for the App, which comments on the head's lines. */
    anchor?: 'introduced' | 'latest';
  },
): ReviewOutcome {
  const notes: string[] = [];
  let review: ReviewResult;
  try {
    review = reviewSeries(patches, {
      checks: opts.checks,
      parser: opts.parser,
      config: opts.config.checks,
      filter: opts.config.filter,
      ...(opts.framework ? { framework: opts.framework } : {}),
      ...(opts.stop ? { stop: opts.stop } : {}),
      memo: factCache(opts.cache),
      ...(opts.anchor ? { anchor: opts.anchor } : {}),
    });
  } catch (e) {
    if (e instanceof ReviewStopped) return tooLargeOutcome(overTime(opts.config.limits));
    throw e;
  }
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
