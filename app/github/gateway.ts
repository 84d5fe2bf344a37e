/**
 * The App's GitHub gateway: every call the App makes to GitHub's REST API about one repository,
 * as named methods, so the review (pull-review.ts) and the event wiring (app.ts) say what they
 * want from GitHub and never how it is asked.
 *
 * The Octokit it is given is Probot's, as app/github/octokit.ts configures it: rate limits are
 * waited out and retried there, and 5xx answers retried by Probot's retry plugin. What is left
 * here is what those plugins cannot know: a missing file is `null`, a user without access cannot
 * command, and a review is never posted twice (after a 5xx GitHub may have stored it anyway).
 */
import type { Context } from 'probot';
import { type CheckRunPayload, checkRunRequests, type ReviewPayload } from '../../reporters/github.js';
import {
  canCommand,
  type PastComment,
  type PastReview,
  type PastState,
  type PrCommit,
  type PrFile,
  pastState,
} from './pr.js';

export type Octokit = Context['octokit'];

/** A repository on GitHub. */
export interface Repository {
  owner: string;
  repo: string;
}

/** A pull request as GitHub says it is now. */
export interface PullNow {
  state: string;
  title: string;
  headSha: string;
  baseSha: string;
}

/** A comment on a pull request's conversation, the fields the App reads. */
export interface IssueComment {
  body?: string | null;
  user?: { login: string; type?: string } | null;
}

/** The HTTP status of a failed request, when it has one. */
export function httpStatus(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'status' in e
    ? Number((e as { status: unknown }).status)
    : undefined;
}

/** GitHub's message for a failed request (or the error's), one line, at most 300 characters. */
export function apiMessage(e: unknown): string {
  const data = (e as { response?: { data?: { message?: unknown } } }).response?.data;
  const m = typeof data?.message === 'string' ? data.message : (e as Error).message;
  return String(m).split('\n')[0]?.slice(0, 300) ?? 'unknown error';
}

/** `<slug>[bot]`: the login the App's own reviews carry, read with the App's (not an installation's) Octokit. */
export async function appLogin(octokit: { request: Octokit['request'] }): Promise<string> {
  const { data } = await octokit.request('GET /app');
  if (!data?.slug) throw new Error("GET /app did not name the app's slug");
  return `${data.slug}[bot]`;
}

export class GitHubGateway {
  /**
   * `login` names the App's reviews (appLogin); without it no earlier review can be trusted as
   * ours (any bot could carry the marker), so the methods that need it fail when it fails.
   */
  constructor(
    readonly octokit: Octokit,
    readonly repository: Repository,
    private readonly login: () => Promise<string>,
  ) {}

  /** The pull request as it is now: open or not, its title, head and base. */
  async pull(number: number): Promise<PullNow> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.repository, pull_number: number });
    return { state: data.state, title: data.title, headSha: data.head.sha, baseSha: data.base.sha };
  }

  /** The merge base of `base...head`: where a pull request's pre-images are read. */
  async mergeBase(baseSha: string, headSha: string): Promise<string> {
    const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({
      ...this.repository,
      basehead: `${baseSha}...${headSha}`,
      per_page: 1,
    });
    return data.merge_base_commit.sha;
  }

  /** The files a pull request changes, with their hunks when GitHub shows them. */
  async pullFiles(number: number): Promise<PrFile[]> {
    return (await this.octokit.paginate(this.octokit.rest.pulls.listFiles, {
      ...this.repository,
      pull_number: number,
      per_page: 100,
    })) as PrFile[];
  }

  /**
   * The first `max` commits of a pull request, oldest first, and whether it has more (one request:
   * a pull request of more commits than the App reviews one by one is not read further).
   */
  async pullCommits(number: number, max: number): Promise<{ commits: PrCommit[]; more: boolean }> {
    const { data } = await this.octokit.rest.pulls.listCommits({
      ...this.repository,
      pull_number: number,
      per_page: Math.min(100, max + 1),
    });
    const commits = data.slice(0, max).map((c) => ({
      sha: c.sha,
      message: c.commit.message,
      parents: c.parents.map((p) => p.sha),
    }));
    return { commits, more: data.length > max };
  }

  /**
   * The files one commit changes against its first parent, with their hunks when GitHub shows them:
   * GitHub pages a large commit's files (the commit itself repeated on each page), up to 3,000.
   */
  async commitFiles(sha: string): Promise<PrFile[]> {
    const perPage = 100;
    const out: PrFile[] = [];
    for (let page = 1; page <= 30; page++) {
      const { data } = await this.octokit.rest.repos.getCommit({
        ...this.repository,
        ref: sha,
        per_page: perPage,
        page,
      });
      const files = (data.files ?? []) as PrFile[];
      out.push(...files);
      if (files.length < perPage) break;
    }
    return out;
  }

  /** A file's text at a commit, or null when it does not exist there. */
  async fileAt(path: string, sha: string): Promise<string | null> {
    try {
      const r = await this.octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        ...this.repository,
        path,
        ref: sha,
        mediaType: { format: 'raw' },
      });
      const data = r.data as unknown;
      if (typeof data === 'string') return data;
      if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
      throw new Error(`${path}@${sha}: the contents API did not return the file's text`);
    } catch (e) {
      if (httpStatus(e) === 404) return null;
      throw e;
    }
  }

  /** Every comment on a pull request's conversation, oldest first. */
  async issueComments(number: number): Promise<IssueComment[]> {
    return this.octokit.paginate(this.octokit.rest.issues.listComments, {
      ...this.repository,
      issue_number: number,
      per_page: 100,
    });
  }

  /** Whether `username` may give the App commands: write access or more; a stranger may not. */
  async mayCommand(username: string): Promise<boolean> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({
        ...this.repository,
        username,
      });
      return canCommand(data.role_name === 'maintain' ? 'maintain' : data.permission);
    } catch (e) {
      if (httpStatus(e) === 404) return false;
      throw e;
    }
  }

  /**
   * Creates a check run on the head SHA, then adds the annotations GitHub takes fifty at a time.
   * The run carries the pull request's number as its external_id: GitHub lists no pull_requests on
   * a fork's run, and a "Re-run" must still find the pull request.
   */
  async postCheckRun(number: number, run: CheckRunPayload): Promise<void> {
    const { create, updates } = checkRunRequests(run);
    const { data } = await this.octokit.rest.checks.create({
      ...this.repository,
      ...create,
      external_id: String(number),
    });
    for (const u of updates)
      await this.octokit.rest.checks.update({ ...this.repository, check_run_id: data.id, ...u });
  }

  /** What the App's earlier reviews of a pull request said (pr.ts pastState). */
  async pastReviews(number: number): Promise<PastState> {
    const [reviews, comments, login] = await Promise.all([
      this.octokit.paginate(this.octokit.rest.pulls.listReviews, {
        ...this.repository,
        pull_number: number,
        per_page: 100,
      }),
      this.octokit.paginate(this.octokit.rest.pulls.listReviewComments, {
        ...this.repository,
        pull_number: number,
        per_page: 100,
      }),
      this.login(),
    ]);
    return pastState(reviews as PastReview[], comments as PastComment[], login);
  }

  /**
   * Posts a review, once. The POST is not retried automatically: after a 5xx GitHub may have
   * stored the review anyway, so the reviews are read first, and it is posted again only when
   * none of ours is on `review.commit_id`. Other failures (a 422 among them) are thrown.
   */
  async postReview(number: number, review: ReviewPayload): Promise<void> {
    const send = () =>
      this.octokit.rest.pulls.createReview({
        ...this.repository,
        pull_number: number,
        ...review,
        request: { retries: 0 },
      });
    try {
      await send();
    } catch (e) {
      const status = httpStatus(e) ?? 0;
      if (status < 500) throw e;
      const reviews = await this.octokit.paginate(this.octokit.rest.pulls.listReviews, {
        ...this.repository,
        pull_number: number,
        per_page: 100,
      });
      const login = await this.login();
      if (pastState(reviews as PastReview[], [], login).reviewedShas.has(review.commit_id)) return;
      await send();
    }
  }

  /** Reacts to a comment on the conversation (acknowledged, or not understood). */
  async react(commentId: number, content: '+1' | 'confused'): Promise<void> {
    await this.octokit.rest.reactions.createForIssueComment({
      ...this.repository,
      comment_id: commentId,
      content,
    });
  }

  /** Comments on a pull request's conversation. */
  async comment(number: number, body: string): Promise<void> {
    await this.octokit.rest.issues.createComment({ ...this.repository, issue_number: number, body });
  }
}
