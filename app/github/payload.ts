/**
 * The fields of a webhook payload the App acts on, read defensively: a payload is whatever bytes
 * arrived with a valid signature, and GitHub's own schema is no promise that every field is there
 * (a field can be null, missing or of another type in an event we did not expect). Each reader
 * returns the fields the handler uses, typed, or the first field that is wrong, named by its path;
 * the webhook route answers 400 with that name before any handler runs, and the handlers read
 * their payload through the same functions.
 */

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Where an event happened: the repository and the installation whose token acts on it. */
export interface RepoRef {
  owner: string;
  repo: string;
  installation: number;
}

export interface PullRequestEvent {
  repo: RepoRef;
  number: number;
  headSha: string;
}

export interface CheckRunEvent {
  repo: RepoRef;
  name: string;
  headSha: string;
  /** The pull requests GitHub lists for the run (none for a fork's). */
  pullNumbers: number[];
  externalId: string | null;
}

export interface IssueCommentEvent {
  repo: RepoRef;
  issue: number;
  /** Whether the issue is a pull request. */
  isPull: boolean;
  commentId: number;
  body: string;
  sender: { login: string; type: string };
}

class Wrong extends Error {}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a dotted path; `Wrong` naming the path when it cannot be reached. */
function at(root: unknown, path: string): unknown {
  let v: unknown = root;
  let where = '';
  for (const key of path.split('.')) {
    if (!isObj(v))
      throw new Wrong(`${where || 'the payload'} is ${v === undefined ? 'missing' : 'not an object'}`);
    v = v[key];
    where = where ? `${where}.${key}` : key;
  }
  return v;
}

function str(root: unknown, path: string, max = 1000): string {
  const v = at(root, path);
  if (typeof v !== 'string') throw new Wrong(`${path} is ${v === undefined ? 'missing' : 'not a string'}`);
  if (v.length > max) throw new Wrong(`${path} is longer than ${max} characters`);
  return v;
}

function id(root: unknown, path: string): number {
  return positive(at(root, path), path);
}

function positive(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new Wrong(`${path} is ${v === undefined ? 'missing' : 'not a positive integer'}`);
  return v;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function sha(root: unknown, path: string): string {
  const v = str(root, path);
  if (!SHA.test(v)) throw new Wrong(`${path} is not a commit id`);
  return v;
}

/** GitHub's login and repository names: letters, digits and a few marks, never a path. */
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

function name(root: unknown, path: string): string {
  const v = str(root, path);
  if (!NAME.test(v) || v === '.' || v === '..') throw new Wrong(`${path} is not a GitHub name`);
  return v;
}

function read<T>(fn: () => T): Read<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof Wrong) return { ok: false, reason: e.message };
    throw e;
  }
}

function repoRef(p: unknown): RepoRef {
  return {
    owner: name(p, 'repository.owner.login'),
    repo: name(p, 'repository.name'),
    installation: id(p, 'installation.id'),
  };
}

export function readPullRequestEvent(p: unknown): Read<PullRequestEvent> {
  return read(() => ({
    repo: repoRef(p),
    number: id(p, 'pull_request.number'),
    headSha: sha(p, 'pull_request.head.sha'),
  }));
}

export function readCheckRunEvent(p: unknown): Read<CheckRunEvent> {
  return read(() => {
    const prs = at(p, 'check_run.pull_requests');
    if (!Array.isArray(prs)) throw new Wrong('check_run.pull_requests is not a list');
    const ext = at(p, 'check_run.external_id');
    if (ext !== undefined && ext !== null && typeof ext !== 'string')
      throw new Wrong('check_run.external_id is not a string');
    return {
      repo: repoRef(p),
      name: str(p, 'check_run.name'),
      headSha: sha(p, 'check_run.head_sha'),
      pullNumbers: prs
        .slice(0, 100)
        .map((pr, i) => positive(isObj(pr) ? pr.number : undefined, `check_run.pull_requests[${i}].number`)),
      externalId: typeof ext === 'string' ? ext : null,
    };
  });
}

export function readIssueCommentEvent(p: unknown): Read<IssueCommentEvent> {
  return read(() => {
    const pull = at(p, 'issue.pull_request');
    return {
      repo: repoRef(p),
      issue: id(p, 'issue.number'),
      isPull: isObj(pull),
      commentId: id(p, 'comment.id'),
      // GitHub's limit is 65536 characters; a longer one is not a comment GitHub sent
      body: str(p, 'comment.body', 262_144),
      sender: { login: str(p, 'sender.login'), type: str(p, 'sender.type') },
    };
  });
}

/** The events (and actions) the App has handlers for, with their readers. */
const HANDLED: Record<string, { actions: readonly string[]; read: (p: unknown) => Read<unknown> }> = {
  pull_request: { actions: ['opened', 'synchronize', 'reopened'], read: readPullRequestEvent },
  check_run: { actions: ['rerequested'], read: readCheckRunEvent },
  issue_comment: { actions: ['created'], read: readIssueCommentEvent },
};

/**
 * Why a signed delivery cannot be handled, or null when it can: the payload must be an object,
 * its `action` (when there is one) a string, and an event the App handles must carry every field
 * its handler reads. Events the App does not handle pass with those two checks.
 */
export function checkWebhook(event: string, payload: unknown): string | null {
  if (!isObj(payload)) return 'the payload is not an object';
  const action = payload.action;
  if (action !== undefined && typeof action !== 'string') return 'action is not a string';
  const h = HANDLED[event];
  if (!h || typeof action !== 'string' || !h.actions.includes(action)) return null;
  const r = h.read(payload);
  return r.ok ? null : r.reason;
}
