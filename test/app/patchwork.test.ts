/**
 * app/patchwork/ (the client and postCheck) against the patchwork stand-in on loopback
 * (test/helpers/patchwork-api.ts): token auth, pagination, a 5xx with and without the check
 * recorded, 4xx answers, patches patchwork does not have. Waits between attempts go through an
 * injected sleep that records them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nextLink, PatchworkClient, patchworkBase } from '../../app/patchwork/client.js';
import { type CheckToPost, postCheck } from '../../app/patchwork/post.js';
import { PatchworkApi } from '../helpers/patchwork-api.js';

const TOKEN = 'a1b2c3d4e5';
const MSGID = '20260302100000.frob-v1-3@example.org';

let api: PatchworkApi;
let sleeps: number[];

function client(token: string | null = TOKEN, project = 'frob'): PatchworkClient {
  return new PatchworkClient({
    url: api.url,
    project,
    token,
    http: {
      retries: 2,
      baseDelayMs: 10,
      maxDelayMs: 40,
      timeoutMs: 5_000,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0,
    },
  });
}

const want = (over: Partial<CheckToPost> = {}): CheckToPost => ({
  messageId: MSGID,
  context: 'kapi-review',
  state: 'fail',
  description: '1 error',
  targetUrl: 'https://kapi.example.org/series/7',
  ...over,
});

beforeEach(async () => {
  api = new PatchworkApi();
  await api.start();
  api.project('frob', ['bot']);
  api.project('other', []);
  api.user('bot', TOKEN);
  api.user('stranger', 'zzz999');
  sleeps = [];
});

afterEach(async () => {
  await api.stop();
});

describe('postCheck', () => {
  it('posts one check on the patch the Message-ID names, with the token, and says where', async () => {
    const id = api.patch('frob', MSGID);
    api.patch('other', MSGID); // the same mail on another list's project is not ours
    const out = await postCheck(client(), want({ messageId: `<${MSGID}>` }));
    expect(out).toMatchObject({
      kind: 'posted',
      patch: { id },
      check: { state: 'fail', context: 'kapi-review' },
    });
    expect(api.checks).toEqual([
      expect.objectContaining({
        patch: id,
        user: 'bot',
        state: 'fail',
        context: 'kapi-review',
        description: '1 error',
        target_url: 'https://kapi.example.org/series/7',
      }),
    ]);
    expect(api.calls.find((c) => c.method === 'GET' && c.path === '/api/1.2/patches/')?.query).toMatchObject({
      project: 'frob',
      msgid: MSGID,
    });
    expect(api.calls.every((c) => c.auth === `Token ${TOKEN}`)).toBe(true);
  });

  it('does not post again what is already the latest check of its context', async () => {
    api.patch('frob', MSGID);
    expect((await postCheck(client(), want())).kind).toBe('posted');
    expect((await postCheck(client(), want())).kind).toBe('already');
    expect(api.checks).toHaveLength(1);
    // a changed verdict is a new check (patchwork shows the latest of each context)
    expect((await postCheck(client(), want({ state: 'success', description: 'no findings' }))).kind).toBe(
      'posted',
    );
    expect(api.checks.map((c) => c.state)).toEqual(['fail', 'success']);
  });

  it('reads every page of the checks (Link rel="next") before deciding', async () => {
    const id = api.patch('frob', MSGID);
    for (let i = 0; i < 130; i++)
      api.checks.push({
        id: 1000 + i,
        patch: id,
        user: 'bot',
        state: i === 129 ? 'fail' : 'warning',
        target_url: i === 129 ? 'https://kapi.example.org/series/7' : null,
        context: 'kapi-review',
        description: i === 129 ? '1 error' : '1 warning',
      });
    expect((await postCheck(client(), want())).kind).toBe('already');
    const pages = api.calls
      .filter((c) => c.path === `/api/1.2/patches/${id}/checks/`)
      .map((c) => c.query.page);
    expect(pages).toEqual([undefined, '2']);
    expect(api.posts()).toEqual([]);
  });

  it('retries a 5xx after which the check was recorded without making a second one', async () => {
    api.patch('frob', MSGID);
    api.fail({ method: 'POST', path: /checks/, status: 502, afterDoing: true });
    const out = await postCheck(client(), want());
    expect(out.kind).toBe('posted');
    expect(api.checks).toHaveLength(1);
    expect(api.posts()).toEqual(['502 /api/1.2/patches/1/checks/']);
    expect(sleeps).toHaveLength(1);
  });

  it('retries a 5xx that recorded nothing, honouring Retry-After, and posts once', async () => {
    api.patch('frob', MSGID);
    api.fail({ method: 'POST', path: /checks/, status: 503, headers: { 'retry-after': '2' } });
    const out = await postCheck(client(), want());
    expect(out.kind).toBe('posted');
    expect(api.checks).toHaveLength(1);
    expect(api.posts()).toEqual(['503 /api/1.2/patches/1/checks/', '201 /api/1.2/patches/1/checks/']);
    expect(sleeps).toEqual([2_000]);
  });

  it('gives up after the retries with "failed", never having posted twice', async () => {
    api.patch('frob', MSGID);
    for (let i = 0; i < 3; i++) api.fail({ method: 'POST', path: /checks/, status: 500 });
    const out = await postCheck(client(), want());
    expect(out).toMatchObject({ kind: 'failed', status: 500 });
    expect(api.checks).toEqual([]);
    expect(api.posts()).toHaveLength(3);
  });

  it('reports a 4xx with what patchwork said and does not retry it', async () => {
    api.patch('frob', MSGID);
    const out = await postCheck(client(), want({ context: 'kapi review' }));
    expect(out).toMatchObject({ kind: 'rejected', status: 400 });
    expect(out.kind === 'rejected' && out.message).toMatch(/HTTP 400: .*context.*slug/);
    expect(api.posts()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('is refused without a valid token or without rights on the project (401, 403), once each', async () => {
    api.patch('frob', MSGID);
    const bad = await postCheck(client('not-a-token'), want());
    expect(bad).toMatchObject({ kind: 'refused', status: 401 });
    expect(bad.kind === 'refused' && bad.message).toMatch(/Invalid token/);
    const stranger = await postCheck(client('zzz999'), want());
    expect(stranger).toMatchObject({ kind: 'refused', status: 403 });
    const none = await postCheck(client(null), want());
    expect(none).toMatchObject({ kind: 'refused', status: null });
    expect(api.posts()).toEqual(['401 /api/1.2/patches/1/checks/', '403 /api/1.2/patches/1/checks/']);
    expect(api.checks).toEqual([]);
  });

  it('takes only the patch with that very Message-ID from a server that ignores the filter', async () => {
    api.ignoreMsgidFilter = true;
    api.patch('frob', 'other-1@example.org');
    const id = api.patch('frob', MSGID);
    api.patch('frob', 'other-2@example.org');
    expect(await postCheck(client(), want())).toMatchObject({ kind: 'posted', patch: { id } });
    expect(api.checks.map((c) => c.patch)).toEqual([id]);
  });

  it('posts nothing for a patch patchwork does not have, or has twice in the project', async () => {
    expect(await postCheck(client(), want())).toEqual({ kind: 'not-found' });
    api.patch('frob', MSGID);
    api.patch('frob', MSGID);
    expect(await postCheck(client(), want())).toEqual({ kind: 'ambiguous', patchIds: [1, 2] });
    expect(api.posts()).toEqual([]);
  });
});

describe('the client', () => {
  it('takes the instance URL with or without the API path, and nothing but http(s)', () => {
    expect(patchworkBase('https://patchwork.kernel.org/')).toBe('https://patchwork.kernel.org');
    expect(patchworkBase('https://pw.example.org/sub/api/1.1/')).toBe('https://pw.example.org/sub');
    expect(() => patchworkBase('ftp://pw.example.org')).toThrow(/not an http/);
    expect(() => patchworkBase('https://u:p@pw.example.org')).toThrow(/credentials/);
    expect(() => patchworkBase('patchwork')).toThrow(/not a URL/);
  });

  it('reads the next page from a Link header', () => {
    expect(nextLink('<https://a/x?page=3>; rel="next", <https://a/x?page=9>; rel="last"')).toBe(
      'https://a/x?page=3',
    );
    expect(nextLink('<https://a/x?page=1>; rel="first", <https://a/x?page=2>; rel="prev"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});

describe('a next page on another site', () => {
  let server: Server;
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, {
        'content-type': 'application/json',
        link: '<http://127.0.0.2:9/api/1.2/patches/?page=2>; rel="next"',
      });
      res.end(JSON.stringify([{ id: 5, msgid: `<${MSGID}>` }]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('is not followed: the token stays with the instance', async () => {
    const port = (server.address() as AddressInfo).port;
    const c = new PatchworkClient({ url: `http://127.0.0.1:${port}`, project: 'frob', token: TOKEN });
    const out = await postCheck(c, want());
    expect(out).toMatchObject({ kind: 'failed' });
    expect(out.kind === 'failed' && out.message).toMatch(/another site/);
    expect(hits).toHaveLength(1);
  });
});
