/**
 * The review of one pull request at one head SHA, as its steps: the configuration (with the
 * `/kapi-review ignore` commands), the images of the changed C files, the checks (in a worker),
 * what to say given what earlier reviews said, the review (with its fallbacks when GitHub rejects
 * it) and the check run. Every GitHub call goes through the gateway (gateway.ts); which event
 * starts a review, and one review per pull request at a time, is app.ts's business.
 */
import type { Parser } from 'web-tree-sitter';
import { isOperatorOnly } from '../../checks/index.js';
import type { Check } from '../../checks/types.js';
import { roleOf } from '../../parsers/kapi/framework.js';
import { latestBuiltin } from '../../parsers/kapi/frameworks.js';
import {
  buildCheckRun,
  buildReview,
  type CheckRunPayload,
  type FixedFinding,
  type GitHubFinding,
  type ReviewInput,
  type ReviewPayload,
  tooLargeRun,
} from '../../reporters/github.js';
import { ConfigError, type IgnoreRule, type ReviewConfig, resolveConfig } from '../config/index.js';
import type { TreeReader } from '../context/postimage.js';
import { type FrameworkChoice, frameworkOfTree } from '../framework/resolve.js';
import { worthParsing } from '../index/walk.js';
import { checkIds as idsOf, type ReviewJob, submitReview } from '../review/job.js';
import { mayCarryKapi } from '../review/limits.js';
import type { ReviewPool } from '../review/pool.js';
import { type CommitPlan, commitSteps, mapLimit } from './commits.js';
import { apiMessage, type GitHubGateway, httpStatus } from './gateway.js';
import {
  againstPast,
  candidateFiles,
  type PastState,
  type PrFile,
  type PrImage,
  parseCommands,
  rightSideLines,
} from './pr.js';
import { pullSpecChanges } from './spec-changes.js';

export const CHECK_NAME = 'kapi-review';
export const CONFIG_FILE = 'kapi-review.yml';
const FETCH_CONCURRENCY = 8;

/** Which pull request. */
export interface PullRequestId {
  owner: string;
  repo: string;
  number: number;
}

/** A pull request as one run reviews it, read from GitHub when the run starts. */
export interface PullRef extends PullRequestId {
  title: string;
  headSha: string;
  baseSha: string;
}

/** What one run did; returned for logs and tests. */
export interface RunOutcome {
  review:
    | 'posted'
    | 'posted-without-inline'
    | 'skipped-same-sha'
    | 'nothing-to-say'
    | 'failed'
    | 'too-large'
    | 'none';
  conclusion: CheckRunPayload['conclusion'] | 'config-error';
  findings: number;
}

/** What every review of the App shares. */
export interface ReviewDeps {
  checks: readonly Check[];
  /** The workers reviews run in; null: this thread. */
  pool: ReviewPool | null;
  /** Where parsed files are kept between reviews (app/cache/facts.ts); absent or null: in memory. */
  cache?: ReviewJob['cache'];
  /** Where a review GitHub rejects is logged. */
  log: { warn(msg: string): void };
  /** The C parser, asked only when a spec's errors changed (for the code's verdict on them). */
  parser?: () => Promise<Parser | null>;
}

/** What the checks made of a pull request. */
export interface Checked {
  /** Whether any image (base or head) carries a spec. */
  specsTouched: boolean;
  /** Inside and outside the diff filter; reviewed commit by commit, each names its commit. */
  findings: GitHubFinding[];
  crashes: NonNullable<Parameters<typeof buildCheckRun>[0]['crashes']>;
  /** Fingerprints the configuration ignores: not "fixed" when they are gone. */
  ignored: Set<string>;
}

/** A completed, failed check run that says why there is no review. */
export function failedRun(headSha: string, title: string, summary: string): CheckRunPayload {
  return {
    name: CHECK_NAME,
    head_sha: headSha,
    status: 'completed',
    conclusion: 'failure',
    output: { title, summary, annotations: [] },
  };
}

/**
 * The repository's `.github/kapi-review.yml` (read by `readConfig`, Probot's loader), validated;
 * a ConfigError says what is wrong with it.
 */
async function loadConfig(
  readConfig: () => Promise<unknown>,
  checkIds: readonly string[],
): Promise<ReviewConfig> {
  let raw: unknown;
  try {
    raw = await readConfig();
  } catch (e) {
    throw new ConfigError(`.github/${CONFIG_FILE}: ${apiMessage(e)}`);
  }
  return resolveConfig(raw ?? {}, checkIds, `.github/${CONFIG_FILE}`);
}

/** `/kapi-review ignore <id>` comments on the PR from users with write access. */
async function commandIgnores(
  gw: GitHubGateway,
  number: number,
  checkIds: readonly string[],
): Promise<IgnoreRule[]> {
  const comments = await gw.issueComments(number);
  const allowed = new Map<string, Promise<boolean>>();
  const rules: IgnoreRule[] = [];
  for (const c of comments) {
    if (!c.body || c.user?.type === 'Bot' || !c.user?.login) continue;
    const ignores = parseCommands(c.body).commands.filter((x) => x.kind === 'ignore');
    if (ignores.length === 0) continue;
    const login = c.user.login;
    if (!allowed.has(login)) allowed.set(login, gw.mayCommand(login));
    if (!(await allowed.get(login))) continue;
    for (const x of ignores) if (checkIds.includes(x.check)) rules.push({ check: x.check });
  }
  return rules;
}

/** The fetched C files worth parsing: the text at the head, and at the merge base unless added. */
async function fetchImages(
  gw: GitHubGateway,
  files: readonly PrFile[],
  headSha: string,
  mergeBase: string,
): Promise<PrImage[]> {
  const fetched = await mapLimit(files, FETCH_CONCURRENCY, async (file): Promise<PrImage | null> => {
    const post = await gw.fileAt(file.filename, headSha);
    if (post === null) return null;
    if (!worthParsing(Buffer.from(post))) return null;
    const pre =
      file.status === 'added' ? null : await gw.fileAt(file.previous_filename ?? file.filename, mergeBase);
    return { file, pre, post };
  });
  return fetched.filter((x): x is PrImage => x !== null);
}

/**
 * The KAPI framework a pull request is judged by: the framework files as they are at its head (the
 * base tree's, with whatever the pull request changes in them), else the latest known posting's.
 */
async function pullRequestFramework(
  gw: GitHubGateway,
  headSha: string,
  files: readonly PrFile[],
): Promise<FrameworkChoice> {
  const head: TreeReader = {
    read: (path) => gw.fileAt(path, headSha),
    describe: () => `the pull request head ${headSha.slice(0, 12)}`,
  };
  const touched = files.filter((f) => roleOf(f.filename) !== null).map((f) => f.filename);
  const own = touched.length > 0;
  const fw = await frameworkOfTree(
    head,
    touched,
    own ? 'this pull request' : 'the base tree',
    own ? 'series' : 'tree',
  );
  if (fw)
    return {
      framework: fw,
      note: own
        ? `judged by the KAPI framework as this pull request leaves it (${touched.join(', ')})`
        : `judged by the KAPI framework of the base tree (${fw.files.join(', ')})`,
    };
  const latest = latestBuiltin();
  return {
    framework: latest,
    note: `judged by the KAPI framework of ${latest.name}, the latest known (the repository carries none)`,
  };
}

/**
 * Runs the checks over the images, in a worker: the images, config, framework and the commits to
 * review one by one cross as data, the findings come back, each with the commit that introduced it
 * when the review went commit by commit. `tooLarge` names the limit a pull request too large to
 * review hit.
 */
async function runChecks(
  gw: GitHubGateway,
  deps: ReviewDeps,
  pr: PullRef,
  work: { images: PrImage[]; files: readonly PrFile[]; config: ReviewConfig; plan: CommitPlan },
  notes: string[],
): Promise<Checked | { tooLarge: string }> {
  if (work.images.length === 0) return { specsTouched: false, findings: [], crashes: [], ignored: new Set() };
  const framework = await pullRequestFramework(gw, pr.headSha, work.files);
  // the latest known posting is the default: only a framework of the repository's own is worth a note
  if (framework.framework.origin !== 'builtin') notes.push(framework.note);
  const done = await submitReview(
    {
      kind: 'pull-request',
      label: `#${pr.number} ${pr.title}`,
      images: work.images,
      config: work.config,
      checks: idsOf(deps.checks),
      framework: framework.framework,
      ...(work.plan.steps ? { commits: work.plan.steps } : {}),
      ...(deps.cache ? { cache: deps.cache } : {}),
    },
    { pool: deps.pool, checks: deps.checks },
  );
  if (done.tooLarge) return { tooLarge: done.tooLarge.reason };
  const steps = done.byCommit ? work.plan.steps : null;
  // the plan's note says how the review went, unless the commits were too large to go one by one
  if (work.plan.note !== null && (steps || !work.plan.steps)) notes.push(work.plan.note);
  notes.push(...done.notes);
  const withCommit = (f: (typeof done.review.findings)[number]): GitHubFinding => {
    const c = steps?.[f.patch];
    return c ? { ...f, commit: { sha: c.sha, subject: c.subject } } : f;
  };
  return {
    specsTouched: done.specsTouched ?? false,
    findings: [...done.review.findings, ...done.review.outside].map(withCommit),
    crashes: done.review.crashes,
    ignored: new Set(done.ignored.map((f) => f.fingerprint)),
  };
}

/**
 * What a review at `headSha` would say, given what earlier reviews said: `fresh`, the postable
 * findings not commented on before; `fixed`, those commented on before and gone now (unless the
 * configuration ignores them now, or they are for the operator only); and the review's input.
 */
export function planReview(
  past: PastState,
  checked: Pick<Checked, 'findings' | 'ignored'>,
  at: { headSha: string; images: readonly PrImage[]; files: readonly PrFile[]; maxInline: number },
): { fresh: GitHubFinding[]; fixed: FixedFinding[]; input: ReviewInput } {
  const { findings, ignored } = checked;
  // operator-only findings are never posted: they alone are nothing to say
  const posted = findings.filter((f) => !isOperatorOnly(f.check));
  const { previous, fixed } = againstPast(past, findings, ignored);
  const fresh = posted.filter((f) => !previous.has(f.fingerprint));
  const lines = new Map(at.images.map((i) => [i.file.filename, i.post.split('\n')]));
  const diffLines = new Map(at.files.map((f) => [f.filename, rightSideLines(f.patch)]));
  const input: ReviewInput = {
    findings,
    commitId: at.headSha,
    diffLines: (p: string) => diffLines.get(p) ?? new Set<number>(),
    previous,
    fixed,
    maxInline: at.maxInline,
    lineText: (p: string, l: number) => lines.get(p)?.[l - 1],
  };
  return { fresh, fixed, input };
}

/**
 * Posts the review. A 422 (GitHub refuses a comment's position, say) is retried once with every
 * finding in the body; a second 422, or one on a review without inline comments, leaves the
 * findings to the check run. Each fallback is said in `notes`.
 */
async function postReview(
  gw: GitHubGateway,
  deps: Pick<ReviewDeps, 'log'>,
  pr: PullRef,
  review: ReviewPayload,
  bodyOnly: () => ReviewPayload,
  notes: string[],
): Promise<RunOutcome['review']> {
  try {
    await gw.postReview(pr.number, review);
    return 'posted';
  } catch (e) {
    if (httpStatus(e) !== 422) throw e;
    deps.log.warn(`review of ${pr.owner}/${pr.repo}#${pr.number} rejected (422): ${apiMessage(e)}`);
    if (review.comments.length > 0) {
      try {
        await gw.postReview(pr.number, bodyOnly());
        notes.push(
          `GitHub rejected the inline comments (422: ${apiMessage(e)}); the review lists every finding in its body instead`,
        );
        return 'posted-without-inline';
      } catch (e2) {
        if (httpStatus(e2) !== 422) throw e2;
        notes.push(
          `GitHub rejected the review (422: ${apiMessage(e2)}); only this check run reports the findings`,
        );
        return 'failed';
      }
    }
    notes.push(
      `GitHub rejected the review (422: ${apiMessage(e)}); only this check run reports the findings`,
    );
    return 'failed';
  }
}

/** Reads what earlier reviews said and posts a review when there is something new to say. */
async function answer(
  gw: GitHubGateway,
  deps: ReviewDeps,
  pr: PullRef,
  work: { checked: Checked; images: readonly PrImage[]; files: readonly PrFile[]; config: ReviewConfig },
  notes: string[],
): Promise<RunOutcome['review']> {
  const past = await gw.pastReviews(pr.number);
  const { fresh, fixed, input } = planReview(past, work.checked, {
    headSha: pr.headSha,
    images: work.images,
    files: work.files,
    maxInline: work.config.github.maxInline,
  });
  if (past.reviewedShas.has(pr.headSha)) return 'skipped-same-sha';
  if (fresh.length === 0 && fixed.length === 0) return 'nothing-to-say';
  const full: ReviewInput = { ...input, specChanges: await pullSpecChanges(work.images, deps.parser) };
  return postReview(gw, deps, pr, buildReview(full), () => buildReview({ ...full, bodyOnly: true }), notes);
}

/**
 * The whole review of one pull request at one head SHA. An invalid configuration fails the check
 * run with the reason; a pull request too large to review gets a neutral one; otherwise a review
 * when there is something to say, and a check run with every finding.
 */
export async function reviewPullRequest(
  gw: GitHubGateway,
  deps: ReviewDeps,
  pr: PullRef,
  readConfig: () => Promise<unknown>,
): Promise<RunOutcome> {
  const checkIds = deps.checks.map((c) => c.meta.id);
  let config: ReviewConfig;
  try {
    config = await loadConfig(readConfig, checkIds);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    await gw.postCheckRun(
      pr.number,
      failedRun(
        pr.headSha,
        `Invalid .github/${CONFIG_FILE}`,
        `kapi-review did not review this pull request: its configuration is invalid.\n\n${e.message}`,
      ),
    );
    return { review: 'none', conclusion: 'config-error', findings: 0 };
  }
  const ignores = await commandIgnores(gw, pr.number, checkIds);
  config = { ...config, ignore: [...config.ignore, ...ignores] };

  const notes: string[] = [];
  const mergeBase = await gw.mergeBase(pr.baseSha, pr.headSha);
  const files = await gw.pullFiles(pr.number);
  const images = await fetchImages(gw, candidateFiles(files, config.github.paths), pr.headSha, mergeBase);
  // only a pull request whose files may carry a spec is worth reading commit by commit
  const plan: CommitPlan = images.some((i) => mayCarryKapi(i.post) || (i.pre !== null && mayCarryKapi(i.pre)))
    ? await commitSteps(gw, pr, images, mergeBase)
    : { steps: null, note: null };
  const checked = await runChecks(gw, deps, pr, { images, files, config, plan }, notes);
  if ('tooLarge' in checked) {
    await gw.postCheckRun(
      pr.number,
      tooLargeRun({ name: CHECK_NAME, headSha: pr.headSha, reason: checked.tooLarge, notes }),
    );
    return { review: 'too-large', conclusion: 'neutral', findings: 0 };
  }

  let outcome: RunOutcome['review'] = 'none';
  if (checked.specsTouched || checked.findings.length > 0)
    outcome = await answer(gw, deps, pr, { checked, images, files, config }, notes);

  const { findings, crashes, specsTouched } = checked;
  const run = buildCheckRun({
    findings,
    name: CHECK_NAME,
    headSha: pr.headSha,
    crashes,
    notes,
    specsTouched,
  });
  await gw.postCheckRun(pr.number, run);
  return { review: outcome, conclusion: run.conclusion, findings: findings.length };
}
