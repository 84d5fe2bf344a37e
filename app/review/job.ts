/**
 * One review as plain data (a job) and what comes back (an outcome): what crosses to a worker
 * thread of the pool (app/review/pool.ts) and back. The checks cross as their ids (functions do not
 * cross); the worker takes them from the registry and loads its own C parser.
 *
 * - 'series': a mail series (its patches' diffs), reviewed on an optional kernel tree (a path: the
 *   worker reads the tree itself), as `kapi-review check` does.
 * - 'pull-request': a pull request's fetched images, reviewed as the App does; the outcome also
 *   says whether any image carries a spec (for the check run's "No spec touched").
 *
 * `submitReview` runs a job in the pool, or here when there is no pool or a check is not one of
 * the registry's (a test's own check cannot cross to a worker).
 */
import type { Parser } from 'web-tree-sitter';
import { CHECKS } from '../../checks/index.js';
import type { Check } from '../../checks/types.js';
import { type FactMemo, specsOf } from '../../checks/unit.js';
import type { Framework } from '../../parsers/kapi/framework.js';
import { loadCParser } from '../c/language.js';
import { type CacheOptions, factCache } from '../cache/facts.js';
import type { ReviewConfig } from '../config/index.js';
import { changedLines } from '../context/postimage.js';
import { type CommitStep, commitPatches, type PrImage, prPatch } from '../github/pr.js';
import { mayCarryKapi, measureReview, overTime, tooLargeText } from './limits.js';
import type { ReviewPool } from './pool.js';
import {
  budget,
  type ReviewOutcome,
  reviewPatches,
  reviewSeriesInput,
  type SeriesInput,
  tooLargeOutcome,
} from './run.js';

export type ReviewJob =
  | {
      kind: 'series';
      series: SeriesInput;
      /** A kernel tree (directory or git checkout), or null for hunks only. */
      tree: string | null;
      config: ReviewConfig;
      /** Check ids, from the registry (checks/index.ts). */
      checks: string[];
      /** False: check without the C parser (the text of the specs only). */
      parser: boolean;
      framework?: Framework;
      /** Where the parsers' results are kept between runs (null or absent: this thread only). */
      cache?: CacheOptions | null;
    }
  | {
      kind: 'pull-request';
      label: string;
      images: PrImage[];
      config: ReviewConfig;
      checks: string[];
      framework: Framework;
      cache?: CacheOptions | null;
      /** The pull request's commits, to review one by one; absent: base..head as one patch. */
      commits?: CommitStep[];
    };

export interface JobOutcome extends ReviewOutcome {
  /** 'pull-request' only: whether any image (base or head) carries a spec. */
  specsTouched?: boolean;
  /** 'pull-request' only: reviewed commit by commit (each finding's `patch` is its commit). */
  byCommit?: boolean;
}

export function checkIds(checks: readonly Check[]): string[] {
  return checks.map((c) => c.meta.id);
}

function registryChecks(ids: readonly string[]): Check[] {
  return ids.map((id) => {
    const c = CHECKS.find((x) => x.meta.id === id);
    if (!c) throw new Error(`unknown check ${id}`);
    return c;
  });
}

function hasSpec(text: string, path: string, memo: FactMemo): boolean {
  return (
    mayCarryKapi(text) && memo.peek('specs', path, text, () => specsOf(text, path, memo)).specs.length > 0
  );
}

/**
 * Runs a job here. `parser` is this thread's C parser; `checks` stand in for the job's ids when
 * given (inline runs only); `startedAt` starts the time budget (default now).
 */
export async function runJob(
  job: ReviewJob,
  env: { parser: Parser | null; checks?: readonly Check[]; startedAt?: number },
): Promise<JobOutcome> {
  const checks = env.checks ?? registryChecks(job.checks);
  const startedAt = env.startedAt ?? Date.now();
  if (job.kind === 'series')
    return reviewSeriesInput(job.series, {
      checks,
      config: job.config,
      parser: job.parser ? env.parser : null,
      tree: job.tree,
      startedAt,
      ...(job.cache !== undefined ? { cache: job.cache } : {}),
      ...(job.framework ? { framework: job.framework } : {}),
    });
  const over = budget({ config: job.config, startedAt });
  const notes: string[] = [];
  let patches = [prPatch(job.label, job.images, { changed: false })];
  const memo = factCache(job.cache);
  // the whole pull request within the limits (GitHub's hunks count here), then its commits
  const tooLarge = measureReview(patches, job.config.limits, memo);
  if (tooLarge) return tooLargeOutcome(tooLarge);
  let byCommit = false;
  if (job.commits) {
    const steps = commitPatches(job.images, job.commits, { changed: false });
    const stepsTooLarge = measureReview(steps, job.config.limits, memo);
    if (stepsTooLarge)
      notes.push(
        `reviewed as one change from the base to the head, not commit by commit (${tooLargeText(stepsTooLarge)})`,
      );
    else [patches, byCommit] = [steps, true];
  }
  const specsTouched = job.images.some(
    (i) =>
      hasSpec(i.post, i.file.filename, memo) || (i.pre !== null && hasSpec(i.pre, i.file.filename, memo)),
  );
  for (const p of patches)
    for (const f of p.files) if (f.post !== null) f.changed = changedLines(f.pre ?? '', f.post);
  if (over()) return tooLargeOutcome(overTime(job.config.limits));
  const done = reviewPatches(patches, {
    checks,
    config: job.config,
    parser: env.parser,
    tree: 'pull request base',
    framework: job.framework,
    stop: over,
    ...(job.cache !== undefined ? { cache: job.cache } : {}),
    anchor: 'latest',
  });
  return { ...done, notes: [...notes, ...done.notes], specsTouched, byCommit };
}

/**
 * Runs a job in the pool's workers, or here when `pool` is null or a check is not the registry's.
 * Here, `parser` is the C parser to use (undefined: load this thread's).
 */
export async function submitReview(
  job: ReviewJob,
  how: { pool: ReviewPool | null; checks: readonly Check[]; parser?: Parser | null },
): Promise<JobOutcome> {
  if (how.pool && how.checks.every((c) => CHECKS.includes(c))) return how.pool.run(job);
  const parser = how.parser !== undefined ? how.parser : await loadCParser();
  return runJob(job, { parser, checks: how.checks });
}
