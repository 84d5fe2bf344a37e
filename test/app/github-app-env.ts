/**
 * What the GitHub App end-to-end tests share: the GitHub API stand-in, the App run by Probot on a
 * free port (started before and stopped after each test file), signed deliveries, and fixtures.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import Bottleneck from 'bottleneck';
import { run } from 'probot';
import { afterAll, beforeAll, expect } from 'vitest';
import { applyFileDiff } from '../../app/context/postimage.js';
import { createApp } from '../../app/github/app.js';
import { createOctokit } from '../../app/github/octokit.js';
import { parseMailSync } from '../../parsers/mail.js';
import { appEnv as appEnvFor, GitHubApi } from '../helpers/github-api.js';
export const SECRET = 'webhook-secret-for-tests';
export const BASE = readFileSync('fixtures/github/frob-base.c', 'utf8');
export const EINVAL = readFileSync('fixtures/github/frob-einval.c', 'utf8');
export const FIXED = readFileSync('fixtures/github/frob-fixed.c', 'utf8');
export const PLAIN = readFileSync('fixtures/github/plain.c', 'utf8');
/** A new syscall whose macro spec has no KAPI_END_SPEC: kapi-parse-error, for operators only. */
export const GIZMO = readFileSync('fixtures/github/gizmo-unterminated.c', 'utf8');

export const api = new GitHubApi();
/** A commit id: the name's SHA-1, so tests read `sha('h1')` and the API sees 40 hex digits. */
export const sha = (name: string): string => createHash('sha1').update(name).digest('hex');
let server: Awaited<ReturnType<typeof run>>;
export let webhookUrl = '';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export const REPO = {
  id: 1,
  name: 'linux',
  full_name: 'kmirror/linux',
  owner: { login: 'kmirror', type: 'Organization' },
};

/** Posts `body` as a webhook delivery, signed with `secret`; the status and the answer's text. */
export async function post(
  event: string,
  body: string,
  opts: { secret?: string; id?: string; url?: string } = {},
): Promise<{ status: number; text: string }> {
  const signature = `sha256=${createHmac('sha256', opts.secret ?? SECRET)
    .update(body)
    .digest('hex')}`;
  const res = await fetch(opts.url ?? webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': opts.id ?? randomUUID(),
      'x-hub-signature-256': signature,
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

export async function deliver(
  event: string,
  payload: Record<string, unknown>,
  secret = SECRET,
  id: string = randomUUID(),
  url: string = webhookUrl,
): Promise<number> {
  const body = JSON.stringify({ ...payload, repository: REPO, installation: { id: 7 } });
  return (await post(event, body, { secret, id, url })).status;
}

export function prEvent(action: string, number: number, head: string, base: string): Record<string, unknown> {
  return {
    action,
    number,
    pull_request: {
      number,
      title: `frob change ${number}`,
      state: 'open',
      head: { sha: head },
      base: { sha: base },
    },
    sender: { login: 'dev', type: 'User' },
  };
}

/** The environment `npm start` would read, for an app on `port` talking to the stand-in. */
export function appEnv(port: number): Record<string, string> {
  return appEnvFor(api, port, SECRET);
}

/** A user's PR comment: stored at the stand-in, then delivered as issue_comment.created. */
export async function command(
  pull: number,
  login: string,
  body: string,
): Promise<{ id: number; status: number }> {
  const { id } = api.comment(pull, login, body);
  const status = await deliver('issue_comment', {
    action: 'created',
    issue: { number: pull, pull_request: { url: 'x' } },
    comment: { id, body, user: { login, type: 'User' } },
    sender: { login, type: 'User' },
  });
  return { id, status };
}

beforeAll(async () => {
  await api.start();
  const port = await freePort();
  const fast = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });
  server = await run(createApp(), {
    env: appEnv(port),
    Octokit: createOctokit({ write: fast(), notifications: fast() }),
  });
  webhookUrl = `http://127.0.0.1:${port}/api/github/webhooks`;
});

afterAll(async () => {
  await server?.stop();
  await api.stop();
});

/** A file of `n` syscalls, each with a spec listing EPERM; `withEinval` adds an undocumented -EINVAL. */
export function manySyscalls(n: number, withEinval: boolean): string {
  const out = ['// SPDX-License-Identifier: GPL-2.0', '#include <linux/syscalls.h>', ''];
  for (let i = 0; i < n; i++)
    out.push(
      '/**',
      ` * sys_frob${i} - Frob number ${i}`,
      ' * @a: The value',
      ' *',
      ' * contexts: process',
      ' *',
      ' * param-count: 1',
      ' *',
      ' * param: a',
      ' *   type: int, input',
      ' *',
      ' * error: EPERM, a is negative',
      ' *   desc: Negative values are refused.',
      ' */',
      `SYSCALL_DEFINE1(frob${i}, int, a)`,
      '{',
      '\tif (a < 0)',
      '\t\treturn -EPERM;',
      ...(withEinval ? [`\tif (a > ${i})`, '\t\treturn -EINVAL;'] : []),
      '\treturn 0;',
      '}',
      '',
    );
  return out.join('\n');
}

export const EINVAL_FP = 'e112145f44d2e8e5';
export const EINVAL_MARKER = `<!-- kapi-review:fp=${EINVAL_FP} check=kapi-error-undocumented spec=sys_frob subject=EINVAL -->`;
const EINVAL_MESSAGE = 'sys_frob can return -EINVAL here, but its spec does not list EINVAL';
/** The inline comment on the undocumented return in frob-einval.c. */
export const EINVAL_COMMENT = {
  path: 'kernel/frob.c',
  line: 42,
  side: 'RIGHT',
  body: [
    EINVAL_MARKER,
    '**Error** `kapi-error-undocumented`: sys\\_frob can return -EINVAL here, but its spec does not list EINVAL',
    '',
    '- spec `kernel/frob.c:10`: `* sys_frob - Frobnicate a range of memory`',
    '- spec `kernel/frob.c:36`: `* error: EPERM, caller lacks CAP_SYS_ADMIN`',
    '- code `kernel/frob.c:42`: `return -EINVAL;`',
    '',
    'Suggested spec line to add after `kernel/frob.c:36`:',
    '',
    '```c',
    ' * error: EINVAL, TODO: condition',
    ' *   desc: TODO: description',
    '```',
  ].join('\n'),
};
export const EINVAL_ANNOTATION = {
  path: 'kernel/frob.c',
  start_line: 42,
  end_line: 42,
  annotation_level: 'failure',
  message: EINVAL_MESSAGE,
  title: 'kapi-error-undocumented: sys_frob EINVAL',
  raw_details: [
    'spec: kernel/frob.c:10: * sys_frob - Frobnicate a range of memory',
    'spec: kernel/frob.c:36: * error: EPERM, caller lacks CAP_SYS_ADMIN',
    'code: kernel/frob.c:42: return -EINVAL;',
  ].join('\n'),
};
export const EINVAL_SUMMARY_LINE =
  '- **Error** `kapi-error-undocumented` `kernel/frob.c:42`: sys\\_frob can return -EINVAL here, but its spec does not list EINVAL';

/** The check run's words for gizmo-unterminated.c: the spec named, the parser's message not. */
export const GIZMO_UNREAD = [
  '### Specs not read in full',
  '',
  'kapi-review could not read 1 spec in full, so its checks of it may be incomplete:',
  '',
  '- `sys_gizmo` at `kernel/gizmo.c:10`',
];
/** What the parser's complaint about gizmo-unterminated.c would leave in anything posted. */
export const GIZMO_LEAKS = [
  'kapi-parse-error',
  'KAPI_END_SPEC',
  'kapi-macro-unterminated',
  'SYSCALL_DEFINE1',
];

/** Every body the app sent to GitHub since the last reset (reviews, check runs and their updates). */
export function sentBodies(): string {
  return JSON.stringify(api.calls.filter((c) => c.method !== 'GET').map((c) => c.body));
}

export function failingRun(head: string, pull: number, notes: string[] = []): Record<string, unknown> {
  return {
    external_id: String(pull),
    name: 'kapi-review',
    head_sha: head,
    status: 'completed',
    conclusion: 'failure',
    output: {
      title: '1 error',
      summary: [
        '**1 error**',
        '',
        EINVAL_SUMMARY_LINE,
        ...(notes.length > 0 ? ['', '### Notes', '', ...notes] : []),
      ].join('\n'),
      annotations: [EINVAL_ANNOTATION],
    },
  };
}

/** kernel/frob.c after the one patch of an mbox, applied with kapi-review's own diff code. */
export function applyFrobSpecs(base: string, mbox: string): string {
  const diff = parseMailSync(mbox).value.files.find((f) => f.path === 'kernel/frob.c');
  if (!diff) throw new Error('the mbox changes no kernel/frob.c');
  const { post, failure } = applyFileDiff(base, diff);
  if (post === null) throw new Error(`the specs patch does not apply: ${failure}`);
  return post;
}

/** A PR on the frob fixtures: base b<n> with frob-base.c, head h<n> with `head`. */
export function frobPull(
  n: number,
  head: string,
  extra: Record<string, string> = {},
): { base: string; head: string } {
  const b = sha(`b${n}`);
  const h = sha(`h${n}`);
  api.commit(b, { 'kernel/frob.c': BASE, 'drivers/misc/plain.c': PLAIN });
  api.commit(h, { 'kernel/frob.c': head, 'drivers/misc/plain.c': PLAIN, ...extra });
  api.pull(n, `frob change ${n}`, b, h);
  return { base: b, head: h };
}

/** The check runs created since `from`, create bodies only. */
export function runsSince(from: number): Record<string, unknown>[] {
  return api.checkRuns.slice(from).map((r) => r.create);
}

/** What an answer must never show: an exception's name or text, a stack frame, a path of ours. */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(
    /TypeError|ReferenceError|SyntaxError|Cannot read|undefined|\bat \S+:\d+|\/app\/|node_modules/,
  );
}

/**
 * Streams `total` bytes of one generated 64 KiB chunk to the webhook without a Content-Length
 * (chunked), honouring back-pressure, and reports when the answer came and how much was sent.
 */
export function streamBody(
  total: number,
  headers: Record<string, string>,
): Promise<{ status: number; sentAtAnswer: number; sent: number; cut: boolean }> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Promise((resolve) => {
    let sent = 0;
    let sentAtAnswer = -1;
    let status = 0;
    let cut = false;
    const req = httpRequest(webhookUrl, { method: 'POST', headers });
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      sentAtAnswer = sent;
      res.resume();
    });
    req.on('error', () => {
      cut = true;
    });
    req.on('close', () => resolve({ status, sentAtAnswer, sent, cut }));
    const pump = (): void => {
      while (sent < total && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}
