/**
 * The App's development setup, offline: Probot's setup flow serves the manifest from app.yml, and
 * its webhook URL is WEBHOOK_PROXY_URL when that is set (app.yml carries none to override it);
 * with the App registered, the smee client (the dev dependency Probot imports) reads that channel
 * and forwards each webhook to the App, which reviews the pull request as if GitHub had called.
 * The channel is a stand-in for smee.io on loopback that speaks its protocol (server-sent events
 * whose data is the webhook's headers and body); GitHub's API is the stand-in of the App tests.
 * Probot reads WEBHOOK_PROXY_URL and NO_SMEE_SETUP for the setup flow from process.env itself,
 * so they are set there too; NO_SMEE_SETUP keeps it from asking smee.io for a channel.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from 'probot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../app/github/app.js';
import { freePort } from '../helpers/dovecot.js';
import { appEnv, GitHubApi } from '../helpers/github-api.js';
import { until } from '../helpers/hostile.js';

const SECRET = 'smee-forwarded-secret';
const saved = { proxy: process.env.WEBHOOK_PROXY_URL, noSmee: process.env.NO_SMEE_SETUP };

/** A smee.io channel on loopback: who connected (and with what), and a way to send events. */
interface Channel {
  url: string;
  connections: { accept: string }[];
  send(data: Record<string, unknown>): void;
  close(): Promise<void>;
}

async function startChannel(): Promise<Channel> {
  const clients: ServerResponse[] = [];
  const connections: { accept: string }[] = [];
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/kapi-test-channel') {
      res.writeHead(404).end();
      return;
    }
    connections.push({ accept: String(req.headers.accept) });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('event: ready\ndata: {}\n\n');
    clients.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/kapi-test-channel`,
    connections,
    send: (data) => {
      for (const c of clients) c.write(`data: ${JSON.stringify(data)}\n\n`);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let channel: Channel;
beforeAll(async () => {
  channel = await startChannel();
});
afterAll(async () => {
  await channel.close();
});
afterEach(() => {
  if (saved.proxy === undefined) delete process.env.WEBHOOK_PROXY_URL;
  else process.env.WEBHOOK_PROXY_URL = saved.proxy;
  if (saved.noSmee === undefined) delete process.env.NO_SMEE_SETUP;
  else process.env.NO_SMEE_SETUP = saved.noSmee;
});

/** The manifest Probot's setup page would post to GitHub. */
async function manifestAt(port: number): Promise<Record<string, unknown>> {
  const page = await (await fetch(`http://127.0.0.1:${port}/probot`)).text();
  expect(page).not.toContain('example.invalid');
  const value = /name="manifest" id="manifest" value='([^']*)'/.exec(page)?.[1];
  return JSON.parse(value ?? '{}') as Record<string, unknown>;
}

describe('npm start without credentials: the setup flow', () => {
  it('serves the manifest from app.yml, its webhook URL the WEBHOOK_PROXY_URL, and connects to that channel', async () => {
    process.env.WEBHOOK_PROXY_URL = channel.url;
    const port = await freePort();
    const before = channel.connections.length;
    const setup = await run(createApp(), {
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'fatal',
        LOG_FORMAT: 'json',
        WEBHOOK_PROXY_URL: channel.url,
      },
    });
    try {
      const manifest = await manifestAt(port);
      expect(manifest.hook_attributes).toEqual({ url: channel.url });
      expect(manifest.default_permissions).toEqual({
        pull_requests: 'write',
        checks: 'write',
        contents: 'read',
        metadata: 'read',
      });
      expect(manifest.default_events).toEqual(['pull_request', 'check_run', 'issue_comment']);
      expect(manifest.name).toBe('kapi-review');
      expect(manifest.public).toBe(false);
      expect(channel.connections.slice(before)).toEqual([{ accept: 'text/event-stream' }]);
    } finally {
      await setup.stop();
    }
  });

  it('without WEBHOOK_PROXY_URL (and told not to ask smee.io) the URL is the setup page, not a placeholder', async () => {
    delete process.env.WEBHOOK_PROXY_URL;
    process.env.NO_SMEE_SETUP = 'true';
    const port = await freePort();
    const setup = await run(createApp(), {
      env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'fatal', LOG_FORMAT: 'json' },
    });
    try {
      expect((await manifestAt(port)).hook_attributes).toEqual({ url: `http://127.0.0.1:${port}/` });
    } finally {
      await setup.stop();
    }
  });
});

describe('npm start with credentials and WEBHOOK_PROXY_URL', () => {
  const api = new GitHubApi();
  beforeAll(() => api.start());
  afterAll(() => api.stop());

  it('the smee client forwards a webhook from the channel to the App, which reviews the pull request', async () => {
    const port = await freePort();
    const before = channel.connections.length;
    const app = await run(createApp(), {
      env: { ...appEnv(api, port, SECRET), WEBHOOK_PROXY_URL: channel.url },
    });
    try {
      expect(channel.connections.length).toBe(before + 1);
      const sha = (name: string) => createHash('sha1').update(name).digest('hex');
      const [base, head] = [sha('smee-base'), sha('smee-head')];
      const frob = readFileSync('fixtures/github/frob-base.c', 'utf8');
      api.commit(base, { 'kernel/frob.c': frob });
      api.commit(head, { 'kernel/frob.c': readFileSync('fixtures/github/frob-einval.c', 'utf8') });
      api.pull(7, 'frob: forwarded by smee', base, head);
      const body = {
        action: 'opened',
        number: 7,
        pull_request: {
          number: 7,
          title: 'frob: forwarded by smee',
          state: 'open',
          head: { sha: head },
          base: { sha: base },
        },
        sender: { login: 'dev', type: 'User' },
        repository: {
          id: 1,
          name: 'linux',
          full_name: 'kmirror/linux',
          owner: { login: 'kmirror', type: 'Organization' },
        },
        installation: { id: 7 },
      };
      // what smee.io sends: the delivery's headers and its parsed body, one event per webhook
      channel.send({
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(JSON.stringify(body)).digest('hex')}`,
        body,
        timestamp: 1772445600000,
      });
      await until(
        () => api.checkRuns.some((r) => r.create.head_sha === head),
        60_000,
        'the check run of the forwarded PR',
      );
      const checkRun = api.checkRuns.find((r) => r.create.head_sha === head)?.create;
      expect(checkRun).toMatchObject({ name: 'kapi-review', conclusion: 'failure' });
      expect(api.reviewsOf(7)).toHaveLength(1);
    } finally {
      await app.stop();
    }
  }, 90_000);
});
