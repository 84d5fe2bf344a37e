/**
 * A pull request's commits, read for a review commit by commit (as the mail bot reviews a series
 * patch by patch): which commits, the reviewed files each changes, and their text after it. Read
 * through the gateway; what to make of it is pr.ts's (commitPatches) and the checks'.
 *
 * Bounded: a pull request of more than MAX_COMMITS commits, one whose commits are not one line of
 * history from the merge base to the head (a merge, a rebase GitHub has not caught up with), or
 * one that renames a reviewed file in one of its commits is reviewed as one change from its base
 * to its head, and the check run says why.
 */
import type { GitHubGateway } from './gateway.js';
import { type CommitStep, notOneLine, type PrFile, type PrImage, subjectOf } from './pr.js';

/** Above this many commits a pull request is reviewed as one change. */
export const MAX_COMMITS = 50;
const FETCH_CONCURRENCY = 8;

/** `fn` over `items`, at most `limit` at a time, the results in the items' order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * How a pull request is reviewed: `steps`, its commits one by one; or null with `note`, why it is
 * reviewed as one change (null for a pull request of one commit: nothing to attribute).
 */
export type CommitPlan = { steps: CommitStep[]; note: string } | { steps: null; note: string | null };

function asOneChange(why: string): CommitPlan {
  return {
    steps: null,
    note: `reviewed as one change from the base to the head, not commit by commit: ${why}`,
  };
}

/**
 * The commits of pull request `number` and, for each, the reviewed files (those of `images`) it
 * changes with their text after it. A file's text after the last commit that changes it is its
 * head image, so only the commits before that are read.
 */
export async function commitSteps(
  gw: GitHubGateway,
  pr: { number: number; headSha: string },
  images: readonly PrImage[],
  mergeBase: string,
): Promise<CommitPlan> {
  const { commits, more } = await gw.pullCommits(pr.number, MAX_COMMITS);
  if (more) return asOneChange(`it has more than ${MAX_COMMITS} commits`);
  if (commits.length <= 1) return { steps: null, note: null };
  const why = notOneLine(commits, mergeBase, pr.headSha);
  if (why) return asOneChange(why);

  const reviewed = new Map(images.map((i) => [i.file.filename, i]));
  const changed = await mapLimit(commits, FETCH_CONCURRENCY, (c) => gw.commitFiles(c.sha));
  const touches: PrFile[][] = [];
  for (const [k, files] of changed.entries()) {
    const renamed = files.find(
      (f) =>
        f.status === 'renamed' &&
        (reviewed.has(f.filename) || reviewed.has(f.previous_filename ?? f.filename)),
    );
    if (renamed)
      return asOneChange(`commit ${commits[k]?.sha.slice(0, 12)} renames ${renamed.previous_filename}`);
    touches.push(files.filter((f) => reviewed.has(f.filename)));
  }
  const last = new Map<string, number>();
  for (const [k, files] of touches.entries()) for (const f of files) last.set(f.filename, k);

  const steps = await mapLimit([...commits.entries()], FETCH_CONCURRENCY, async ([k, c]) => {
    const files = await mapLimit(touches[k] ?? [], FETCH_CONCURRENCY, async (f) => {
      const head = reviewed.get(f.filename);
      const post =
        f.status === 'removed'
          ? null
          : last.get(f.filename) === k && head
            ? head.post
            : await gw.fileAt(f.filename, c.sha);
      return { path: f.filename, post };
    });
    return { sha: c.sha, subject: subjectOf(c.message), files };
  });
  return { steps, note: `reviewed commit by commit (${commits.length} commits)` };
}
