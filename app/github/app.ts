/**
 * The GitHub App (Probot 14): thin handlers over the same pipeline `kapi-review check` runs.
 *
 * - pull_request opened / synchronize / reopened, check_run rerequested, and the comment commands
 *   `/kapi-review recheck` and `/kapi-review ignore <check-id>` all end in `reviewPullRequest`.
 * - One review per head SHA: a SHA that already has a review of ours gets a new check run only.
 *   A review is posted only when it has something to say (new findings, or resolved ones).
 * - Findings of operator-only checks (kapi-parse-error) are never posted, neither in the review
 *   nor as annotations; the check run names their specs as not read in full.
 * - Earlier reviews are read back through their fingerprint markers, so a re-push repeats no
 *   comment and lists the findings it fixed as resolved.
 * - The config is `.github/kapi-review.yml` of the default branch (Probot's loader, `_extends`
 *   included), validated with the CLI's schema; an invalid one fails the check run with the
 *   reason, and nothing else happens.
 * - Probot's Octokit throttles and retries (secondary rate limits, 5xx); a 422 on the review is
 *   retried once with every finding in the body, then recorded in the check run, never fatal.
 * - Reviews of one pull request run one at a time (a push during a review waits its turn).
 * - Webhooks reach the handlers through webhook.ts, in front of Probot's own route: a size limit
 *   while the body streams, the signature before any parsing, the payload's fields checked
 *   (payload.ts), replayed deliveries dropped.
 * - The dashboard, when given, is served at /kapi-review behind a token or a user and password.
 * - The review itself runs in a worker thread (app/review/pool.ts), within the configured limits
 *   (app/review/limits.ts): webhooks and the dashboard are answered while it runs. A pull request
 *   too large to review gets a neutral check run that says which limit it hit, and no review.
 */
import type { ApplicationFunctionOptions, Context, Probot } from 'probot';
import { isOperatorOnly } from '../../checks/index.js';
import type { Check } from '../../checks/types.js';
import { roleOf } from '../../parsers/kapi/framework.js';
import { latestBuiltin } from '../../parsers/kapi/frameworks.js';
import {
  buildCheckRun,
  buildReview,
  type CheckRunPayload,
  checkRunRequests,
  mdText,
  type ReviewPayload,
  tooLargeRun,
} from '../../reporters/github.js';
import type { ReportFinding } from '../../reporters/report.js';
import { ConfigError, type IgnoreRule, type ReviewConfig, resolveConfig } from '../config/index.js';
import type { TreeReader } from '../context/postimage.js';
import { createDashboardHandler, type DashboardAuth, type DashboardOptions } from '../dashboard/handler.js';
import { type FrameworkChoice, frameworkOfTree } from '../framework/resolve.js';
import { worthParsing } from '../index/walk.js';
import { checkIds as idsOf, submitReview } from '../review/job.js';
import { type ReviewPool, sharedReviewPool } from '../review/pool.js';
import type { Store } from '../store/store.js';
import { checkWebhook, readCheckRunEvent, readIssueCommentEvent, readPullRequestEvent } from './payload.js';
import {
  againstPast,
  canCommand,
  candidateFiles,
  type PastComment,
  type PastReview,
  type PrFile,
  type PrImage,
  parseCommands,
  pastState,
  rightSideLines,
} from './pr.js';
import { createWebhookRoute, type WebhookLimits } from './webhook.js';

export const CHECK_NAME = 'kapi-review';
export const CONFIG_FILE = 'kapi-review.yml';
const FETCH_CONCURRENCY = 8;

type Octokit = Context['octokit'];

export interface AppOptions {
  /** The checks to run (the CLI's registry by default). */
  checks?: readonly Check[];
  /**
   * The bot's store: the maintainer dashboard is served at /kapi-review on Probot's server, to
   * requests that carry `auth` (there is no unauthenticated dashboard on the App's server).
   */
  dashboard?: { store: Store; specs?: DashboardOptions['specs']; auth: DashboardAuth };
  /** The webhook route's limits (webhook.ts); the defaults suit GitHub. */
  webhook?: WebhookLimits;
  /** The workers reviews run in; default the process's pool (sharedReviewPool), null: this thread. */
  pool?: ReviewPool | null;
}

export const DASHBOARD_PATH = '/kapi-review';

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

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
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

function errorStatus(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'status' in e
    ? Number((e as { status: unknown }).status)
    : undefined;
}

function errorMessage(e: unknown): string {
  const data = (e as { response?: { data?: { message?: unknown } } }).response?.data;
  const m = typeof data?.message === 'string' ? data.message : (e as Error).message;
  return String(m).split('\n')[0]?.slice(0, 300) ?? 'unknown error';
}

/** A file's text at a commit, or null when it does not exist there. */
async function fetchText(
  octokit: Octokit,
  ref: { owner: string; repo: string },
  path: string,
  sha: string,
): Promise<string | null> {
  try {
    const r = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...ref,
      path,
      ref: sha,
      mediaType: { format: 'raw' },
    });
    const data = r.data as unknown;
    if (typeof data === 'string') return data;
    if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
    throw new Error(`${path}@${sha}: the contents API did not return the file's text`);
  } catch (e) {
    if (errorStatus(e) === 404) return null;
    throw e;
  }
}

/**
 * The KAPI framework a pull request is judged by: the framework files as they are at its head (the
 * base tree's, with whatever the pull request changes in them), else the latest known posting's.
 */
async function pullRequestFramework(
  octokit: Octokit,
  ref: { owner: string; repo: string },
  headSha: string,
  files: readonly PrFile[],
): Promise<FrameworkChoice> {
  const head: TreeReader = {
    read: (path) => fetchText(octokit, ref, path, headSha),
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

/** A completed, failed check run that says why there is no review. */
function failedRun(headSha: string, title: string, summary: string): CheckRunPayload {
  return {
    name: CHECK_NAME,
    head_sha: headSha,
    status: 'completed',
    conclusion: 'failure',
    output: { title, summary, annotations: [] },
  };
}

export function createApp(
  options: AppOptions = {},
): (app: Probot, probotOptions?: ApplicationFunctionOptions) => Promise<void> {
  return async (app: Probot, probotOptions?: ApplicationFunctionOptions) => {
    // Probot's server puts its webhook middleware first and reads a whole body before it looks
    // at the signature: our route takes the webhook path in front of it (Probot's server and
    // createNodeMiddleware both ask the app's Probot for its middleware after loading the app)
    const probotMiddleware = app.getNodeMiddleware.bind(app);
    app.getNodeMiddleware = async (o = {}) => {
      const inner = await probotMiddleware(o);
      const route = createWebhookRoute({
        ...options.webhook,
        path: o.path ?? app.webhookPath,
        verify: (payload, signature) => app.webhooks.verify(payload, signature),
        receive: (event) => app.receive(event as Parameters<Probot['receive']>[0]),
        check: checkWebhook,
        log: app.log,
      });
      return async (req, res, next) => (await route(req, res)) || inner(req, res, next);
    };
    if (options.dashboard && probotOptions?.addHandler)
      probotOptions.addHandler(
        createDashboardHandler({
          store: options.dashboard.store,
          basePath: DASHBOARD_PATH,
          auth: options.dashboard.auth,
          ...(options.dashboard.specs !== undefined ? { specs: options.dashboard.specs } : {}),
          onError: (e) => app.log.error(`dashboard: ${errorMessage(e)}`),
        }),
      );
    const checks = options.checks ?? (await import('../../checks/index.js')).CHECKS;
    const pool = options.pool === undefined ? sharedReviewPool() : options.pool;
    const checkIds = checks.map((c) => c.meta.id);
    const queues = new Map<string, Promise<unknown>>();
    let botLogin: Promise<string> | null = null;

    /**
     * `<slug>[bot]`, the login our reviews carry. Without it no earlier review can be trusted as
     * ours (any bot could carry the marker), so a failure to read it fails the run.
     */
    const ourLogin = (): Promise<string> => {
      botLogin ??= (async () => {
        const octokit = await app.auth();
        const { data } = await octokit.request('GET /app');
        if (!data?.slug) throw new Error("GET /app did not name the app's slug");
        return `${data.slug}[bot]`;
      })();
      botLogin.catch(() => {
        botLogin = null;
      });
      return botLogin;
    };

    /** Runs `fn` after every earlier run for the same pull request. */
    function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const before = queues.get(key) ?? Promise.resolve();
      const run = before.then(fn, fn);
      const settled = run.catch(() => undefined);
      queues.set(key, settled);
      void settled.then(() => {
        if (queues.get(key) === settled) queues.delete(key);
      });
      return run;
    }

    async function loadConfig(context: Context): Promise<ReviewConfig> {
      let raw: unknown;
      try {
        raw = await context.config(CONFIG_FILE);
      } catch (e) {
        throw new ConfigError(`.github/${CONFIG_FILE}: ${errorMessage(e)}`);
      }
      return resolveConfig(raw ?? {}, checkIds, `.github/${CONFIG_FILE}`);
    }

    /** `/kapi-review ignore <id>` comments on the PR from users with write access. */
    async function commandIgnores(octokit: Octokit, pr: PullRef): Promise<IgnoreRule[]> {
      const comments = await octokit.paginate(octokit.rest.issues.listComments, {
        owner: pr.owner,
        repo: pr.repo,
        issue_number: pr.number,
        per_page: 100,
      });
      const allowed = new Map<string, Promise<boolean>>();
      const rules: IgnoreRule[] = [];
      for (const c of comments) {
        if (!c.body || c.user?.type === 'Bot' || !c.user?.login) continue;
        const ignores = parseCommands(c.body).commands.filter((x) => x.kind === 'ignore');
        if (ignores.length === 0) continue;
        const login = c.user.login;
        if (!allowed.has(login)) allowed.set(login, permitted(octokit, pr, login));
        if (!(await allowed.get(login))) continue;
        for (const x of ignores) if (checkIds.includes(x.check)) rules.push({ check: x.check });
      }
      return rules;
    }

    async function permitted(
      octokit: Octokit,
      ref: { owner: string; repo: string },
      username: string,
    ): Promise<boolean> {
      try {
        const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...ref, username });
        return canCommand(data.role_name === 'maintain' ? 'maintain' : data.permission);
      } catch (e) {
        if (errorStatus(e) === 404) return false;
        throw e;
      }
    }

    async function postCheckRun(octokit: Octokit, pr: PullRequestId, run: CheckRunPayload): Promise<void> {
      const { create, updates } = checkRunRequests(run);
      // external_id: the PR, for a "Re-run" on a fork's PR (GitHub then lists no pull_requests)
      const { data } = await octokit.rest.checks.create({
        owner: pr.owner,
        repo: pr.repo,
        ...create,
        external_id: String(pr.number),
      });
      for (const u of updates)
        await octokit.rest.checks.update({ owner: pr.owner, repo: pr.repo, check_run_id: data.id, ...u });
    }

    async function postReview(
      octokit: Octokit,
      pr: PullRef,
      review: ReviewPayload,
      bodyOnly: () => ReviewPayload,
      notes: string[],
    ): Promise<RunOutcome['review']> {
      // no automatic retry of the POST: after a 5xx GitHub may have stored the review anyway,
      // so look before posting again (once)
      const post = async (r: ReviewPayload): Promise<void> => {
        const send = () =>
          octokit.rest.pulls.createReview({
            owner: pr.owner,
            repo: pr.repo,
            pull_number: pr.number,
            ...r,
            request: { retries: 0 },
          });
        try {
          await send();
        } catch (e) {
          const status = errorStatus(e) ?? 0;
          if (status < 500) throw e;
          const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
            owner: pr.owner,
            repo: pr.repo,
            pull_number: pr.number,
            per_page: 100,
          });
          const login = await ourLogin();
          if (pastState(reviews as PastReview[], [], login).reviewedShas.has(pr.headSha)) return;
          await send();
        }
      };
      try {
        await post(review);
        return 'posted';
      } catch (e) {
        if (errorStatus(e) !== 422) throw e;
        app.log.warn(`review of ${pr.owner}/${pr.repo}#${pr.number} rejected (422): ${errorMessage(e)}`);
        if (review.comments.length > 0) {
          try {
            await post(bodyOnly());
            notes.push(
              `GitHub rejected the inline comments (422: ${errorMessage(e)}); the review lists every finding in its body instead`,
            );
            return 'posted-without-inline';
          } catch (e2) {
            if (errorStatus(e2) !== 422) throw e2;
            notes.push(
              `GitHub rejected the review (422: ${errorMessage(e2)}); only this check run reports the findings`,
            );
            return 'failed';
          }
        }
        notes.push(
          `GitHub rejected the review (422: ${errorMessage(e)}); only this check run reports the findings`,
        );
        return 'failed';
      }
    }

    /** The whole review of one pull request at one head SHA. */
    async function reviewPullRequest(context: Context, pr: PullRef): Promise<RunOutcome> {
      const octokit = context.octokit;
      const ref = { owner: pr.owner, repo: pr.repo };
      let config: ReviewConfig;
      try {
        config = await loadConfig(context);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        await postCheckRun(
          octokit,
          pr,
          failedRun(
            pr.headSha,
            `Invalid .github/${CONFIG_FILE}`,
            `kapi-review did not review this pull request: its configuration is invalid.\n\n${e.message}`,
          ),
        );
        return { review: 'none', conclusion: 'config-error', findings: 0 };
      }
      const ignores = await commandIgnores(octokit, pr);
      config = { ...config, ignore: [...config.ignore, ...ignores] };

      const notes: string[] = [];
      const { data: compare } = await octokit.rest.repos.compareCommitsWithBasehead({
        ...ref,
        basehead: `${pr.baseSha}...${pr.headSha}`,
        per_page: 1,
      });
      const mergeBase = compare.merge_base_commit.sha;
      const files = (await octokit.paginate(octokit.rest.pulls.listFiles, {
        ...ref,
        pull_number: pr.number,
        per_page: 100,
      })) as PrFile[];

      const fetched = await mapLimit(
        candidateFiles(files, config.github.paths),
        FETCH_CONCURRENCY,
        async (file): Promise<PrImage | null> => {
          const post = await fetchText(octokit, ref, file.filename, pr.headSha);
          if (post === null) return null;
          if (!worthParsing(Buffer.from(post))) return null;
          const pre =
            file.status === 'added'
              ? null
              : await fetchText(octokit, ref, file.previous_filename ?? file.filename, mergeBase);
          return { file, pre, post };
        },
      );
      const images = fetched.filter((x): x is PrImage => x !== null);

      let specsTouched = false;
      let findings: ReportFinding[] = [];
      let crashes: Parameters<typeof buildCheckRun>[0]['crashes'] = [];
      let ignoredFps = new Set<string>();
      if (images.length > 0) {
        const framework = await pullRequestFramework(octokit, ref, pr.headSha, files);
        // the latest known posting is the default: only a framework of the repository's own is worth a note
        if (framework.framework.origin !== 'builtin') notes.push(framework.note);
        // in a worker: the images, config and framework cross as data, the findings come back
        const done = await submitReview(
          {
            kind: 'pull-request',
            label: `#${pr.number} ${pr.title}`,
            images,
            config,
            checks: idsOf(checks),
            framework: framework.framework,
          },
          { pool, checks },
        );
        if (done.tooLarge) {
          await postCheckRun(
            octokit,
            pr,
            tooLargeRun({ name: CHECK_NAME, headSha: pr.headSha, reason: done.tooLarge.reason, notes }),
          );
          return { review: 'too-large', conclusion: 'neutral', findings: 0 };
        }
        specsTouched = done.specsTouched ?? false;
        findings = [...done.review.findings, ...done.review.outside];
        crashes = done.review.crashes;
        ignoredFps = new Set(done.ignored.map((f) => f.fingerprint));
        notes.push(...done.notes);
      }

      let outcome: RunOutcome['review'] = 'none';
      if (specsTouched || findings.length > 0) {
        const [reviews, comments, login] = await Promise.all([
          octokit.paginate(octokit.rest.pulls.listReviews, { ...ref, pull_number: pr.number, per_page: 100 }),
          octokit.paginate(octokit.rest.pulls.listReviewComments, {
            ...ref,
            pull_number: pr.number,
            per_page: 100,
          }),
          ourLogin(),
        ]);
        const past = pastState(reviews as PastReview[], comments as PastComment[], login);
        // operator-only findings are never posted: they alone are nothing to say
        const posted = findings.filter((f) => !isOperatorOnly(f.check));
        const { previous, fixed } = againstPast(past, findings, ignoredFps);
        const fresh = posted.filter((f) => !previous.has(f.fingerprint));
        const lines = new Map(images.map((i) => [i.file.filename, i.post.split('\n')]));
        const diffLines = new Map(files.map((f) => [f.filename, rightSideLines(f.patch)]));
        const input = {
          findings,
          commitId: pr.headSha,
          diffLines: (p: string) => diffLines.get(p) ?? new Set<number>(),
          previous,
          fixed,
          maxInline: config.github.maxInline,
          lineText: (p: string, l: number) => lines.get(p)?.[l - 1],
        };
        if (past.reviewedShas.has(pr.headSha)) outcome = 'skipped-same-sha';
        else if (fresh.length === 0 && fixed.length === 0) outcome = 'nothing-to-say';
        else
          outcome = await postReview(
            octokit,
            pr,
            buildReview(input),
            () => buildReview({ ...input, bodyOnly: true }),
            notes,
          );
      }

      const run = buildCheckRun({
        findings,
        name: CHECK_NAME,
        headSha: pr.headSha,
        crashes,
        notes,
        specsTouched,
      });
      await postCheckRun(octokit, pr, run);
      return { review: outcome, conclusion: run.conclusion, findings: findings.length };
    }

    /**
     * Reviews the PR as it is now, one run per PR at a time. The PR is read here, once: a run for
     * a head SHA that is no longer the head (a later push, a late or redelivered webhook) or for
     * a closed PR is stale and does nothing.
     */
    function run(
      context: Context,
      id: PullRequestId,
      headSha: string | null,
    ): Promise<RunOutcome | undefined> {
      const key = `${id.owner}/${id.repo}#${id.number}`;
      return serial(key, async () => {
        let head = headSha;
        try {
          const { data: now } = await context.octokit.rest.pulls.get({
            owner: id.owner,
            repo: id.repo,
            pull_number: id.number,
          });
          if (now.state !== 'open' || (headSha !== null && now.head.sha !== headSha)) {
            context.log.info(
              `${key}@${(headSha ?? now.head.sha).slice(0, 12)}: stale (head is ${now.head.sha.slice(0, 12)}, ${now.state}); skipped`,
            );
            return undefined;
          }
          head = now.head.sha;
          const outcome = await reviewPullRequest(context, {
            ...id,
            title: now.title,
            headSha: now.head.sha,
            baseSha: now.base.sha,
          });
          context.log.info(
            `${key}@${head.slice(0, 12)}: ${outcome.findings} finding(s), review ${outcome.review}, check ${outcome.conclusion}`,
          );
          return outcome;
        } catch (e) {
          context.log.error(`${key}@${(head ?? '?').slice(0, 12)}: review failed: ${errorMessage(e)}`);
          // with no head SHA known there is nothing to attach a check run to
          if (head === null) throw e;
          // say so on the PR rather than leave it without a run, and fail it: a required check
          // must not pass because the review broke; if even this fails, the webhook delivery
          // fails and GitHub shows it as such
          await postCheckRun(
            context.octokit,
            id,
            failedRun(
              head,
              'kapi-review could not finish',
              `The review stopped on an error from GitHub or in kapi-review: ${mdText(errorMessage(e))}\n\nComment \`/kapi-review recheck\` to try again.`,
            ),
          );
          return undefined;
        }
      });
    }

    /**
     * The webhook route answers 400 to a payload these readers reject; a handler reached another
     * way (`app.receive`, another server's middleware) logs it and does nothing.
     */
    function skip(context: Context, reason: string): void {
      context.log.warn(`${context.name} ${context.id}: ignored: ${reason}`);
    }

    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'], async (context) => {
      const p = readPullRequestEvent(context.payload);
      if (!p.ok) return skip(context, p.reason);
      const { repo, number, headSha } = p.value;
      await run(context, { owner: repo.owner, repo: repo.repo, number }, headSha);
    });

    app.on('check_run.rerequested', async (context) => {
      const p = readCheckRunEvent(context.payload);
      if (!p.ok) return skip(context, p.reason);
      const c = p.value;
      if (c.name !== CHECK_NAME) return;
      const r = { owner: c.repo.owner, repo: c.repo.repo };
      // a fork's PR is not listed in pull_requests; our runs carry the PR number as external_id
      const numbers = [...c.pullNumbers];
      if (numbers.length === 0 && /^\d{1,9}$/.test(c.externalId ?? '')) numbers.push(Number(c.externalId));
      // a run for an older head is stale: a later push has its own run
      for (const number of numbers) await run(context, { ...r, number }, c.headSha);
    });

    app.on('issue_comment.created', async (context) => {
      const p = readIssueCommentEvent(context.payload);
      if (!p.ok) return skip(context, p.reason);
      const { issue, isPull, commentId, body, sender } = p.value;
      if (!isPull || sender.type === 'Bot') return;
      const { commands, unknown } = parseCommands(body);
      if (commands.length === 0 && unknown.length === 0) return;
      const r = { owner: p.value.repo.owner, repo: p.value.repo.repo };
      const react = (content: '+1' | 'confused') =>
        context.octokit.rest.reactions.createForIssueComment({ ...r, comment_id: commentId, content });
      if (!(await permitted(context.octokit, r, sender.login))) {
        context.log.info(`${r.owner}/${r.repo}#${issue}: command from ${sender.login} without write access`);
        await react('confused');
        return;
      }
      const valid = commands.filter((c) => c.kind !== 'ignore' || checkIds.includes(c.check));
      const bad = [
        ...unknown,
        ...commands.flatMap((c) =>
          c.kind === 'ignore' && !checkIds.includes(c.check) ? [`ignore ${c.check}`] : [],
        ),
      ];
      if (bad.length > 0) {
        await react('confused');
        await context.octokit.rest.issues.createComment({
          ...r,
          issue_number: issue,
          body: [
            'kapi-review did not understand:',
            '',
            ...bad.map((b) => `- \`${b.replace(/`/g, "'")}\``),
            '',
            'Commands: `/kapi-review recheck`, `/kapi-review ignore <check-id>`; the check ids are listed in docs/checks/ of kapi-review.',
          ].join('\n'),
        });
      } else await react('+1');
      if (valid.length === 0) return;
      await run(context, { ...r, number: issue }, null);
    });
  };
}
