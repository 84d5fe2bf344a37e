/**
 * The GitHub App (Probot 14): thin handlers over the same pipeline `kapi-review check` runs.
 * This file is the App's event wiring: which webhook event leads to what. The review of one pull
 * request is pull-review.ts; every call to GitHub's API goes through gateway.ts.
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
import type { Parser } from 'web-tree-sitter';
import type { Check } from '../../checks/types.js';
import { markdownText } from '../../parsers/text/markdown.js';
import { loadCParser } from '../c/language.js';
import { createDashboardHandler, type DashboardAuth, type DashboardOptions } from '../dashboard/handler.js';
import type { ReviewJob } from '../review/job.js';
import { type ReviewPool, sharedReviewPool } from '../review/pool.js';
import type { Store } from '../store/store.js';
import { apiMessage, appLogin, GitHubGateway, type Repository } from './gateway.js';
import { checkWebhook, readCheckRunEvent, readIssueCommentEvent, readPullRequestEvent } from './payload.js';
import { parseCommands } from './pr.js';
import {
  CHECK_NAME,
  CONFIG_FILE,
  failedRun,
  type PullRequestId,
  type ReviewDeps,
  type RunOutcome,
  reviewPullRequest,
} from './pull-review.js';
import { createWebhookRoute, type WebhookLimits } from './webhook.js';

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
  /** Where parsed files are kept between reviews (app/cache/facts.ts); absent or null: in memory. */
  cache?: ReviewJob['cache'];
}

const DASHBOARD_PATH = '/kapi-review';

/**
 * Probot's server puts its webhook middleware first and reads a whole body before it looks at the
 * signature: our route takes the webhook path in front of it (Probot's server and
 * createNodeMiddleware both ask the app's Probot for its middleware after loading the app).
 */
function routeWebhooksFirst(app: Probot, limits: WebhookLimits | undefined): void {
  const probotMiddleware = app.getNodeMiddleware.bind(app);
  app.getNodeMiddleware = async (o = {}) => {
    const inner = await probotMiddleware(o);
    const route = createWebhookRoute({
      ...limits,
      path: o.path ?? app.webhookPath,
      verify: (payload, signature) => app.webhooks.verify(payload, signature),
      receive: (event) => app.receive(event as Parameters<Probot['receive']>[0]),
      check: checkWebhook,
      log: app.log,
    });
    return async (req, res, next) => (await route(req, res)) || inner(req, res, next);
  };
}

/** The dashboard at DASHBOARD_PATH on Probot's server, when the App was given one. */
function addDashboard(
  app: Probot,
  probotOptions: ApplicationFunctionOptions | undefined,
  dashboard: AppOptions['dashboard'],
): void {
  if (!dashboard || !probotOptions?.addHandler) return;
  probotOptions.addHandler(
    createDashboardHandler({
      store: dashboard.store,
      basePath: DASHBOARD_PATH,
      auth: dashboard.auth,
      ...(dashboard.specs !== undefined ? { specs: dashboard.specs } : {}),
      onError: (e) => app.log.error(`dashboard: ${apiMessage(e)}`),
    }),
  );
}

/** The App's login (appLogin), read once; a failure is not kept, so the next run asks again. */
function cachedLogin(app: Probot): () => Promise<string> {
  let login: Promise<string> | null = null;
  return () => {
    login ??= (async () => appLogin(await app.auth()))();
    login.catch(() => {
      login = null;
    });
    return login;
  };
}

/** The runs of the App's reviews: one per pull request at a time, stale ones skipped. */
class ReviewRuns {
  private readonly queues = new Map<string, Promise<unknown>>();
  readonly checkIds: string[];

  constructor(
    private readonly deps: ReviewDeps,
    private readonly login: () => Promise<string>,
  ) {
    this.checkIds = deps.checks.map((c) => c.meta.id);
  }

  /** The gateway to one repository, with the installation's Octokit of this event. */
  gateway(context: Context, repository: Repository): GitHubGateway {
    return new GitHubGateway(context.octokit, { owner: repository.owner, repo: repository.repo }, this.login);
  }

  /** Runs `fn` after every earlier run for the same pull request. */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.queues.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return run;
  }

  /**
   * Reviews the PR as it is now, one run per PR at a time. The PR is read here, once: a run for
   * a head SHA that is no longer the head (a later push, a late or redelivered webhook) or for
   * a closed PR is stale and does nothing.
   */
  run(context: Context, id: PullRequestId, headSha: string | null): Promise<RunOutcome | undefined> {
    const key = `${id.owner}/${id.repo}#${id.number}`;
    return this.serial(key, async () => {
      const gw = this.gateway(context, id);
      let head = headSha;
      try {
        const now = await gw.pull(id.number);
        if (now.state !== 'open' || (headSha !== null && now.headSha !== headSha)) {
          context.log.info(
            `${key}@${(headSha ?? now.headSha).slice(0, 12)}: stale (head is ${now.headSha.slice(0, 12)}, ${now.state}); skipped`,
          );
          return undefined;
        }
        head = now.headSha;
        const pr = { ...id, title: now.title, headSha: now.headSha, baseSha: now.baseSha };
        const outcome = await reviewPullRequest(gw, this.deps, pr, () => context.config(CONFIG_FILE));
        context.log.info(
          `${key}@${head.slice(0, 12)}: ${outcome.findings} finding(s), review ${outcome.review}, check ${outcome.conclusion}`,
        );
        return outcome;
      } catch (e) {
        context.log.error(`${key}@${(head ?? '?').slice(0, 12)}: review failed: ${apiMessage(e)}`);
        // with no head SHA known there is nothing to attach a check run to
        if (head === null) throw e;
        // say so on the PR rather than leave it without a run, and fail it: a required check
        // must not pass because the review broke; if even this fails, the webhook delivery
        // fails and GitHub shows it as such
        await gw.postCheckRun(
          id.number,
          failedRun(
            head,
            'kapi-review could not finish',
            `The review stopped on an error from GitHub or in kapi-review: ${markdownText(apiMessage(e), 'github')}\n\nComment \`/kapi-review recheck\` to try again.`,
          ),
        );
        return undefined;
      }
    });
  }
}

/**
 * The webhook route answers 400 to a payload these readers reject; a handler reached another
 * way (`app.receive`, another server's middleware) logs it and does nothing.
 */
function skip(context: Context, reason: string): void {
  context.log.warn(`${context.name} ${context.id}: ignored: ${reason}`);
}

/** A pull request opened, pushed to or reopened: review its head. */
async function onPullRequest(runs: ReviewRuns, context: Context): Promise<void> {
  const p = readPullRequestEvent(context.payload);
  if (!p.ok) return skip(context, p.reason);
  const { repo, number, headSha } = p.value;
  await runs.run(context, { owner: repo.owner, repo: repo.repo, number }, headSha);
}

/** "Re-run" on one of our check runs: review its pull requests again, if the run is for their head. */
async function onCheckRunRerequested(runs: ReviewRuns, context: Context): Promise<void> {
  const p = readCheckRunEvent(context.payload);
  if (!p.ok) return skip(context, p.reason);
  const c = p.value;
  if (c.name !== CHECK_NAME) return;
  const r = { owner: c.repo.owner, repo: c.repo.repo };
  // a fork's PR is not listed in pull_requests; our runs carry the PR number as external_id
  const numbers = [...c.pullNumbers];
  if (numbers.length === 0 && /^\d{1,9}$/.test(c.externalId ?? '')) numbers.push(Number(c.externalId));
  // a run for an older head is stale: a later push has its own run
  for (const number of numbers) await runs.run(context, { ...r, number }, c.headSha);
}

/** The comment that answers commands kapi-review did not understand. */
function notUnderstood(bad: readonly string[]): string {
  return [
    'kapi-review did not understand:',
    '',
    ...bad.map((b) => `- \`${b.replace(/`/g, "'")}\``),
    '',
    'Commands: `/kapi-review recheck`, `/kapi-review ignore <check-id>`; the check ids are listed in docs/checks/ of kapi-review.',
  ].join('\n');
}

/**
 * `/kapi-review` commands in a comment on a pull request, from a user with write access: 👍 and
 * a review for good ones, 😕 and a comment naming the ones not understood.
 */
async function onIssueComment(runs: ReviewRuns, context: Context): Promise<void> {
  const p = readIssueCommentEvent(context.payload);
  if (!p.ok) return skip(context, p.reason);
  const { issue, isPull, commentId, body, sender } = p.value;
  if (!isPull || sender.type === 'Bot') return;
  const { commands, unknown } = parseCommands(body);
  if (commands.length === 0 && unknown.length === 0) return;
  const r = { owner: p.value.repo.owner, repo: p.value.repo.repo };
  const gw = runs.gateway(context, r);
  if (!(await gw.mayCommand(sender.login))) {
    context.log.info(`${r.owner}/${r.repo}#${issue}: command from ${sender.login} without write access`);
    await gw.react(commentId, 'confused');
    return;
  }
  const known = (c: (typeof commands)[number]) => c.kind !== 'ignore' || runs.checkIds.includes(c.check);
  const valid = commands.filter(known);
  const bad = [
    ...unknown,
    ...commands.flatMap((c) => (c.kind === 'ignore' && !known(c) ? [`ignore ${c.check}`] : [])),
  ];
  if (bad.length > 0) {
    await gw.react(commentId, 'confused');
    await gw.comment(issue, notUnderstood(bad));
  } else await gw.react(commentId, '+1');
  if (valid.length === 0) return;
  await runs.run(context, { ...r, number: issue }, null);
}

export function createApp(
  options: AppOptions = {},
): (app: Probot, probotOptions?: ApplicationFunctionOptions) => Promise<void> {
  return async (app: Probot, probotOptions?: ApplicationFunctionOptions) => {
    routeWebhooksFirst(app, options.webhook);
    addDashboard(app, probotOptions, options.dashboard);
    const checks = options.checks ?? (await import('../../checks/index.js')).CHECKS;
    const pool = options.pool === undefined ? sharedReviewPool() : options.pool;
    // the grammar is loaded once, and only when a pull request's spec changes need it
    let grammar: Promise<Parser | null> | null = null;
    const parser = (): Promise<Parser | null> => {
      grammar ??= loadCParser().catch(() => null);
      return grammar;
    };
    const runs = new ReviewRuns(
      { checks, pool, log: app.log, parser, ...(options.cache ? { cache: options.cache } : {}) },
      cachedLogin(app),
    );
    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'], (context) =>
      onPullRequest(runs, context),
    );
    app.on('check_run.rerequested', (context) => onCheckRunRerequested(runs, context));
    app.on('issue_comment.created', (context) => onIssueComment(runs, context));
  };
}
