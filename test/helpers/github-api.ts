/**
 * A GitHub REST API stand-in on loopback for the GitHub App tests. It answers under /api/v3 (the
 * path GitHub Enterprise uses, which Probot targets with GHE_HOST and GHE_PROTOCOL), keeps a small
 * model of one repository (commits as path -> text maps, pull requests, reviews, comments, check
 * runs), and records every call. Faults can be queued per route: the next matching call gets the
 * queued status, headers and body instead of the model's answer.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { structuredPatch } from 'diff';

export interface Call {
  method: string;
  /** Path below /api/v3, query string removed, percent-decoding applied. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  accept: string;
  status: number;
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  /** Do what the call asks (e.g. store the review), then answer with the fault anyway. */
  afterDoing?: boolean;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Pull {
  number: number;
  title: string;
  base: string;
  head: string;
  state: 'open' | 'closed';
  /** The pull request's commits, oldest first; the head alone when not given. */
  commits?: string[];
}

/** What a commit says besides its files: its parents and message. */
export interface CommitMeta {
  parents: string[];
  message: string;
}

export interface StoredReview {
  id: number;
  pull: number;
  commit_id: string;
  body: string;
  event: string;
  comments: { path: string; line: number; side: string; body: string }[];
}

export const BOT_LOGIN = 'kapi-review[bot]';

/**
 * The environment `npm start` would read for an App on `port` that talks to `api` (GHE_HOST,
 * /api/v3) and checks webhooks against `secret`: a fresh private key each time.
 */
export function appEnv(api: GitHubApi, port: number, secret: string): Record<string, string> {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    APP_ID: '1',
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: secret,
    GHE_HOST: api.host,
    GHE_PROTOCOL: 'http',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'fatal',
    LOG_FORMAT: 'json',
  };
}

/** GitHub's `patch` field: the hunks of a unified diff, without file headers. */
export function githubPatch(pre: string, post: string): string | undefined {
  const p = structuredPatch('a', 'b', pre, post, '', '', { context: 3 });
  if (p.hunks.length === 0) return undefined;
  const out: string[] = [];
  for (const h of p.hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    // not push(...h.lines): a hunk of a few MB has more lines than a call takes arguments
    for (const l of h.lines) out.push(l);
  }
  return out.join('\n');
}

export class GitHubApi {
  readonly calls: Call[] = [];
  readonly commits = new Map<string, Map<string, string>>();
  /** Parents and messages of commits that have them (`history`). */
  readonly meta = new Map<string, CommitMeta>();
  readonly pulls = new Map<number, Pull>();
  readonly reviews: StoredReview[] = [];
  readonly issueComments: {
    id: number;
    issue: number;
    body: string;
    user: { login: string; type: string };
  }[] = [];
  readonly checkRuns: { id: number; create: Record<string, unknown>; updates: Record<string, unknown>[] }[] =
    [];
  readonly reactions: { comment: number; content: string }[] = [];
  /** Repository permission of users (`GET .../collaborators/{u}/permission`); others read. */
  readonly permissions = new Map<string, string>();
  /** Merge bases by `base...head`; the base itself when not set (the base branch did not move). */
  readonly mergeBases = new Map<string, string>();
  /** `.github/kapi-review.yml` on the default branch, or undefined for none. */
  config: string | undefined;
  private faults: Fault[] = [];
  private nextId = 100;
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: String(e) }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  commit(sha: string, files: Record<string, string>): void {
    this.commits.set(sha, new Map(Object.entries(files)));
  }

  pull(number: number, title: string, base: string, head: string): void {
    this.pulls.set(number, { number, title, base, head, state: 'open' });
  }

  /**
   * A pull request of several commits: `base` then each commit's files in turn, each commit the
   * child of the one before (the first, of `base`); the last is the head.
   */
  history(
    number: number,
    title: string,
    base: { sha: string; files: Record<string, string> },
    commits: readonly { sha: string; message: string; files: Record<string, string> }[],
  ): void {
    this.commit(base.sha, base.files);
    let parent = base.sha;
    for (const c of commits) {
      this.commit(c.sha, c.files);
      this.meta.set(c.sha, { parents: [parent], message: c.message });
      parent = c.sha;
    }
    this.pulls.set(number, {
      number,
      title,
      base: base.sha,
      head: parent,
      state: 'open',
      commits: commits.map((c) => c.sha),
    });
  }

  fail(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Calls other than authentication, as `METHOD path`. */
  trace(): string[] {
    return this.calls
      .filter((c) => !c.path.startsWith('/app'))
      .map((c) => `${c.method} ${c.path} ${c.status}`);
  }

  reset(): void {
    this.calls.length = 0;
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): number {
    if (typeof body === 'string') {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    } else {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    }
    return status;
  }

  private mergeBaseOf(pull: Pull): string {
    return this.mergeBases.get(`${pull.base}...${pull.head}`) ?? pull.base;
  }

  private files(pull: Pull): Record<string, unknown>[] {
    // like GitHub: the PR's files are its changes since the merge base (a three-dot diff)
    return this.changes(this.mergeBaseOf(pull), pull.head);
  }

  /** The files changed from one commit to another, as GitHub lists them (path order). */
  private changes(from: string | undefined, to: string): Record<string, unknown>[] {
    const base = (from !== undefined ? this.commits.get(from) : undefined) ?? new Map<string, string>();
    const head = this.commits.get(to) ?? new Map<string, string>();
    const out: Record<string, unknown>[] = [];
    for (const path of [...new Set([...base.keys(), ...head.keys()])].sort()) {
      const pre = base.get(path);
      const post = head.get(path);
      if (pre === post) continue;
      const status = pre === undefined ? 'added' : post === undefined ? 'removed' : 'modified';
      const patch = githubPatch(pre ?? '', post ?? '');
      out.push({ filename: path, status, ...(patch !== undefined ? { patch } : {}) });
    }
    return out;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const raw = url.pathname.startsWith('/api/v3') ? url.pathname.slice('/api/v3'.length) : url.pathname;
    const path = decodeURIComponent(raw);
    const call: Call = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: text ? JSON.parse(text) : undefined,
      accept: String(req.headers.accept ?? ''),
      status: 0,
    };
    this.calls.push(call);
    const fault = this.faults.findIndex((f) => f.method === method && f.path.test(path));
    if (fault >= 0) {
      const f = this.faults.splice(fault, 1)[0] as Fault;
      if (f.afterDoing) {
        const sink = { writeHead: () => sink, end: () => sink } as unknown as ServerResponse;
        this.route(method, path, call, sink);
      }
      call.status = this.send(res, f.status, f.body ?? { message: 'fault' }, f.headers);
      return;
    }
    call.status = this.route(method, path, call, res);
  }

  private route(method: string, path: string, call: Call, res: ServerResponse): number {
    const notFound = () => this.send(res, 404, { message: 'Not Found' });
    if (method === 'GET' && path === '/app') return this.send(res, 200, { id: 1, slug: 'kapi-review' });
    if (method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path))
      return this.send(res, 201, {
        token: 'ghs_standin',
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        permissions: { pull_requests: 'write', checks: 'write', contents: 'read', metadata: 'read' },
        repository_selection: 'all',
      });
    const m = /^\/repos\/([^/]+)\/([^/]+)\/(.*)$/.exec(path);
    if (!m) return notFound();
    const rest = m[3] as string;
    let r: string[] = [];
    /** Matches `rest` against `re` (keeping the groups in `r`) when the method is `want`. */
    const on = (want: string | null, re: RegExp): boolean => {
      const m = want === null || method === want ? re.exec(rest) : null;
      if (m) r = [...m];
      return m !== null;
    };
    const is = (re: RegExp): boolean => on(null, re);
    if (on('GET', /^contents\/(.+)$/)) {
      const file = r[1] as string;
      const ref = call.query.ref;
      if (ref === undefined) {
        return file === '.github/kapi-review.yml' && this.config !== undefined
          ? this.send(res, 200, this.config)
          : notFound();
      }
      const text = this.commits.get(ref)?.get(file);
      if (text === undefined) return notFound();
      if (!call.accept.includes('raw')) return this.send(res, 415, { message: 'stand-in serves raw only' });
      return this.send(res, 200, text);
    }
    if (on('GET', /^compare\/([0-9a-f]+)\.\.\.([0-9a-f]+)$/))
      return this.send(res, 200, {
        merge_base_commit: { sha: this.mergeBases.get(`${r[1]}...${r[2]}`) ?? r[1] },
        status: 'ahead',
        files: [],
      });
    if (on('GET', /^commits\/([0-9a-f]{40})$/)) {
      const sha = r[1] as string;
      if (!this.commits.has(sha)) return notFound();
      const parents = this.parentsOf(sha);
      const { items, link } = this.page(this.changes(parents[0], sha), call, path);
      return this.send(res, 200, { ...this.commitJson(sha), files: items }, link);
    }
    if (is(/^pulls\/(\d+)(\/.*)?$/)) {
      const pull = this.pulls.get(Number(r[1]));
      if (!pull) return notFound();
      const sub = r[2] ?? '';
      if (method === 'GET' && sub === '')
        return this.send(res, 200, {
          number: pull.number,
          title: pull.title,
          state: pull.state,
          head: { sha: pull.head },
          base: { sha: pull.base },
        });
      if (method === 'GET' && sub === '/files') return this.send(res, 200, this.files(pull));
      if (method === 'GET' && sub === '/commits') {
        const list = (pull.commits ?? [pull.head]).map((c) => this.commitJson(c, this.mergeBaseOf(pull)));
        const { items, link } = this.page(list, call, path);
        return this.send(res, 200, items, link);
      }
      if (method === 'GET' && sub === '/reviews')
        return this.send(
          res,
          200,
          this.reviewsOf(pull.number).map((v) => ({
            id: v.id,
            commit_id: v.commit_id,
            body: v.body,
            state: 'COMMENTED',
            user: { login: BOT_LOGIN, type: 'Bot' },
          })),
        );
      if (method === 'GET' && sub === '/comments')
        return this.send(
          res,
          200,
          this.reviewsOf(pull.number).flatMap((v) =>
            v.comments.map((c, i) => ({
              id: v.id * 1000 + i,
              pull_request_review_id: v.id,
              path: c.path,
              line: c.line,
              body: c.body,
              user: { login: BOT_LOGIN, type: 'Bot' },
            })),
          ),
        );
      if (method === 'POST' && sub === '/reviews') {
        const b = call.body as Omit<StoredReview, 'id'>;
        const id = this.nextId++;
        this.reviews.push({
          id,
          pull: pull.number,
          commit_id: b.commit_id,
          body: b.body,
          event: b.event,
          comments: b.comments ?? [],
        });
        return this.send(res, 200, { id, commit_id: b.commit_id, body: b.body, state: 'COMMENTED' });
      }
      return notFound();
    }
    if (is(/^issues\/(\d+)\/comments$/)) {
      const issue = Number(r[1]);
      if (method === 'GET')
        return this.send(
          res,
          200,
          this.issueComments.filter((c) => c.issue === issue),
        );
      if (method === 'POST') {
        const id = this.nextId++;
        const c = {
          id,
          issue,
          body: (call.body as { body: string }).body,
          user: { login: BOT_LOGIN, type: 'Bot' },
        };
        this.issueComments.push(c);
        return this.send(res, 201, c);
      }
    }
    if (on('POST', /^issues\/comments\/(\d+)\/reactions$/)) {
      this.reactions.push({ comment: Number(r[1]), content: (call.body as { content: string }).content });
      return this.send(res, 201, { id: this.nextId++ });
    }
    if (on('GET', /^collaborators\/([^/]+)\/permission$/)) {
      const permission = this.permissions.get(r[1] as string) ?? 'read';
      return this.send(res, 200, { permission, role_name: permission, user: { login: r[1] } });
    }
    if (method === 'POST' && rest === 'check-runs') {
      const id = this.nextId++;
      this.checkRuns.push({ id, create: call.body as Record<string, unknown>, updates: [] });
      return this.send(res, 201, { id });
    }
    if (on('PATCH', /^check-runs\/(\d+)$/)) {
      const run = this.checkRuns.find((c) => c.id === Number(r?.[1]));
      if (!run) return notFound();
      run.updates.push(call.body as Record<string, unknown>);
      return this.send(res, 200, { id: run.id });
    }
    return notFound();
  }

  /** A commit's parents: from `history`, else none. */
  private parentsOf(sha: string): string[] {
    return this.meta.get(sha)?.parents ?? [];
  }

  /**
   * A commit as the commits APIs list it; a commit without `history` is the only commit of its
   * pull request, the child of `orphanParent` (its merge base).
   */
  private commitJson(sha: string, orphanParent?: string): Record<string, unknown> {
    const meta = this.meta.get(sha);
    const parents = meta?.parents ?? (orphanParent !== undefined ? [orphanParent] : []);
    return {
      sha,
      commit: { message: meta?.message ?? `commit ${sha.slice(0, 7)}` },
      parents: parents.map((p) => ({ sha: p })),
    };
  }

  /** One page of a list, by the call's `page` and `per_page` (GitHub's default 30), with its Link header. */
  private page<T>(all: readonly T[], call: Call, path: string): { items: T[]; link: Record<string, string> } {
    const per = Math.min(100, Math.max(1, Number(call.query.per_page ?? 30) || 30));
    const page = Math.max(1, Number(call.query.page ?? 1) || 1);
    const items = all.slice((page - 1) * per, page * per);
    if (page * per >= all.length) return { items, link: {} };
    const next = `http://${this.host}/api/v3${path}?per_page=${per}&page=${page + 1}`;
    return { items, link: { link: `<${next}>; rel="next"` } };
  }

  reviewsOf(pull: number): StoredReview[] {
    return this.reviews.filter((r) => r.pull === pull);
  }

  /** The request bodies of the calls matching `method` and `path`, in order. */
  bodies(method: string, path: RegExp): unknown[] {
    return this.calls.filter((c) => c.method === method && path.test(c.path)).map((c) => c.body);
  }

  /** A human's comment on the pull request's conversation. */
  comment(issue: number, login: string, body: string): { id: number } {
    const id = this.nextId++;
    this.issueComments.push({ id, issue, body, user: { login, type: 'User' } });
    return { id };
  }
}
