/**
 * A patchwork REST API stand-in on loopback (node:http), modelled on patchwork's documented API
 * (docs/api/rest and the OpenAPI schema of version 1.2) as far as kapi-review uses it:
 *
 * - `GET /api/1.2/patches/?project=&msgid=`: the project by link name or id, the Message-ID
 *   case-sensitive and without angle brackets; patches carry theirs with the brackets.
 * - `GET /api/1.2/patches/{id}/checks/?context=` and `POST` there: a check is state (pending,
 *   success, warning, fail), target_url (a URL of up to 200 characters, or null), context
 *   (`[-a-zA-Z0-9_]+`) and description. POST needs `Authorization: Token ...` (401 without it or
 *   with an unknown token, 403 for a user who does not maintain the project), a JSON body (415
 *   otherwise), and answers 201 with the check, 400 with patchwork's field errors, 404 for an
 *   unknown patch.
 * - Lists are paginated: `page` and `per_page` (30 by default, 100 at the most), the Link header
 *   with first, prev, next and last.
 *
 * Every call is recorded; faults can be queued per method and path: the next matching call gets
 * the fault's status (and, with `afterDoing`, the call is carried out first, as a server that
 * records a check and then fails to answer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PwCall {
  method: string;
  path: string;
  query: Record<string, string>;
  auth: string | null;
  status: number;
}

export interface PwFault {
  method: string;
  path: RegExp;
  status: number;
  afterDoing?: boolean;
  headers?: Record<string, string>;
}

export interface PwCheck {
  id: number;
  patch: number;
  user: string;
  state: string;
  target_url: string | null;
  context: string;
  description: string | null;
}

interface PwPatch {
  id: number;
  project: string;
  msgid: string;
  name: string;
}

const STATES = ['pending', 'success', 'warning', 'fail'];

export class PatchworkApi {
  readonly calls: PwCall[] = [];
  readonly checks: PwCheck[] = [];
  readonly patches: PwPatch[] = [];
  /** token -> user */
  readonly tokens = new Map<string, string>();
  /** project link name -> its id and its maintainers */
  readonly projects = new Map<string, { id: number; maintainers: Set<string> }>();
  /** As patchwork before 2.2.1: the msgid filter is not known, so every patch of the project is listed. */
  ignoreMsgidFilter = false;
  private faults: PwFault[] = [];
  private nextId = 1;
  private server: Server | null = null;
  port = 0;

  /** Listens on a free loopback port. */
  async start(): Promise<void> {
    const server = createServer(
      (req, res) => void this.handle(req, res).catch((e) => this.send(res, 500, { detail: String(e) })),
    );
    this.server = server;
    this.port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  project(linkname: string, maintainers: string[] = []): void {
    this.projects.set(linkname, { id: this.projects.size + 1, maintainers: new Set(maintainers) });
  }

  user(name: string, token: string): void {
    this.tokens.set(token, name);
  }

  /** A patch patchwork parsed from the list; `msgid` without brackets. */
  patch(project: string, msgid: string, name = msgid): number {
    const id = this.nextId++;
    this.patches.push({ id, project, msgid: `<${msgid}>`, name });
    return id;
  }

  fail(fault: PwFault): void {
    this.faults.push(fault);
  }

  checksOf(msgid: string): PwCheck[] {
    const p = this.patches.find((x) => x.msgid === `<${msgid}>`);
    return p ? this.checks.filter((c) => c.patch === p.id) : [];
  }

  /** The POSTs that reached the server, as `status path`. */
  posts(): string[] {
    return this.calls.filter((c) => c.method === 'POST').map((c) => `${c.status} ${c.path}`);
  }

  /** Answers with JSON (unless an answer went out already); returns the status. */
  private send(res: ServerResponse, status: number, body: unknown, more?: Record<string, string>): number {
    if (!res.headersSent) {
      res.writeHead(status, { 'content-type': 'application/json', ...more });
      res.end(JSON.stringify(body));
    }
    return status;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const call: PwCall = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(u.pathname),
      query: Object.fromEntries(u.searchParams),
      auth: req.headers.authorization ?? null,
      status: 0,
    };
    this.calls.push(call);
    const fault = this.faults.findIndex((f) => f.method === call.method && f.path.test(call.path));
    if (fault >= 0) {
      const f = this.faults.splice(fault, 1)[0] as PwFault;
      if (f.afterDoing) this.route(req, u, Buffer.concat(chunks), call, null);
      call.status = this.send(res, f.status, { detail: 'fault' }, f.headers);
      return;
    }
    call.status = this.route(req, u, Buffer.concat(chunks), call, res);
  }

  /** Answers a call (or only carries it out, when `res` is null); returns the status. */
  private route(
    req: IncomingMessage,
    u: URL,
    body: Buffer,
    call: PwCall,
    res: ServerResponse | null,
  ): number {
    const send = (status: number, b: unknown, h: Record<string, string> = {}) =>
      res ? this.send(res, status, b, h) : status;
    const m = /^\/api\/(?:1\.2\/)?patches\/(?:(\d+)\/checks\/)?$/.exec(call.path);
    if (!m) return send(404, { detail: 'Not found.' });
    if (m[1] === undefined) {
      if (call.method !== 'GET') return send(405, { detail: 'Method not allowed.' });
      return this.page(u, this.findPatches(u.searchParams), send, (p) => ({
        id: p.id,
        url: `${this.url}/api/1.2/patches/${p.id}/`,
        web_url: `${this.url}/project/${p.project}/patch/${encodeURIComponent(p.msgid)}/`,
        project: { id: this.projects.get(p.project)?.id, link_name: p.project },
        msgid: p.msgid,
        name: p.name,
      }));
    }
    const patch = this.patches.find((p) => p.id === Number(m[1]));
    if (!patch) return send(404, { detail: 'Not found.' });
    if (call.method === 'GET') {
      const ctx = u.searchParams.get('context');
      const list = this.checks.filter((c) => c.patch === patch.id && (ctx === null || c.context === ctx));
      return this.page(u, list, send, (c) => this.checkJson(c));
    }
    if (call.method !== 'POST') return send(405, { detail: 'Method not allowed.' });
    return this.createCheck(req, patch, body, send);
  }

  private findPatches(q: URLSearchParams): PwPatch[] {
    const project = q.get('project');
    const msgid = q.get('msgid');
    return this.patches.filter(
      (p) =>
        (project === null || p.project === project || String(this.projects.get(p.project)?.id) === project) &&
        (msgid === null || this.ignoreMsgidFilter || p.msgid === `<${msgid}>`),
    );
  }

  private createCheck(
    req: IncomingMessage,
    patch: PwPatch,
    body: Buffer,
    send: (status: number, b: unknown) => number,
  ): number {
    const auth = /^Token\s+(\S+)$/.exec(req.headers.authorization ?? '');
    if (!auth) return send(401, { detail: 'Authentication credentials were not provided.' });
    const user = this.tokens.get(auth[1] as string);
    if (!user) return send(401, { detail: 'Invalid token.' });
    if (!this.projects.get(patch.project)?.maintainers.has(user))
      return send(403, { detail: 'You do not have permission to perform this action.' });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
      return send(415, { detail: 'Unsupported media type.' });
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return send(400, { detail: 'JSON parse error' });
    }
    const errors: Record<string, string[]> = {};
    if (!STATES.includes(String(data.state)))
      errors.state = [`"${String(data.state)}" is not a valid choice.`];
    const context = data.context ?? 'default';
    if (typeof context !== 'string' || !/^[-a-zA-Z0-9_]+$/.test(context) || context.length > 255)
      errors.context = ['Enter a valid "slug".'];
    const target = data.target_url ?? null;
    if (
      target !== null &&
      (typeof target !== 'string' || target.length > 200 || !/^https?:\/\//.test(target))
    )
      errors.target_url = ['Enter a valid URL.'];
    if (Object.keys(errors).length > 0) return send(400, errors);
    const check: PwCheck = {
      id: this.nextId++,
      patch: patch.id,
      user,
      state: String(data.state),
      target_url: target as string | null,
      context: context as string,
      description: typeof data.description === 'string' ? data.description : null,
    };
    this.checks.push(check);
    return send(201, this.checkJson(check));
  }

  private checkJson(c: PwCheck): Record<string, unknown> {
    return {
      id: c.id,
      url: `${this.url}/api/1.2/patches/${c.patch}/checks/${c.id}/`,
      user: { username: c.user },
      state: c.state,
      target_url: c.target_url,
      context: c.context,
      description: c.description,
    };
  }

  /** One page of a list, with patchwork's Link header. */
  private page<T>(
    u: URL,
    all: T[],
    send: (s: number, b: unknown, h?: Record<string, string>) => number,
    json: (t: T) => unknown,
  ): number {
    const per = Math.min(100, Math.max(1, Number(u.searchParams.get('per_page') ?? 30) || 30));
    const last = Math.max(1, Math.ceil(all.length / per));
    const page = Number(u.searchParams.get('page') ?? 1);
    if (!Number.isInteger(page) || page < 1 || page > last) return send(404, { detail: 'Invalid page.' });
    const at = (n: number) => {
      const q = new URLSearchParams(u.searchParams);
      q.set('page', String(n));
      return `<${this.url}${u.pathname}?${q}>`;
    };
    const links = [`${at(1)}; rel="first"`];
    if (page > 1) links.push(`${at(page - 1)}; rel="prev"`);
    if (page < last) links.push(`${at(page + 1)}; rel="next"`);
    links.push(`${at(last)}; rel="last"`);
    return send(200, all.slice((page - 1) * per, page * per).map(json), { link: links.join(', ') });
  }
}
