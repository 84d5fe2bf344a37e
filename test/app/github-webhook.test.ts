/**
 * The webhook route (app/github/webhook.ts) on a plain node:http server, with a stand-in for
 * Probot's verify and receive: the limits that the App's end-to-end tests (github-app.test.ts)
 * cannot reach cheaply. Signatures are real HMACs.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkWebhook } from '../../app/github/payload.js';
import { createWebhookRoute, RecentIds, type WebhookLimits } from '../../app/github/webhook.js';

const SECRET = 'route-secret';
const sign = (body: string): string => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((ok) => server?.close(ok));
  server = null;
});

async function route(limits: WebhookLimits, receive: () => Promise<void> = async () => undefined) {
  const received: string[] = [];
  const warnings: string[] = [];
  const handler = createWebhookRoute({
    ...limits,
    path: '/hooks/',
    verify: async (payload, signature) => sign(payload) === signature,
    receive: async (e) => {
      received.push(e.id);
      await receive();
    },
    check: checkWebhook,
    log: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
  });
  server = createServer(async (req, res) => {
    if (!(await handler(req, res))) res.writeHead(418).end();
  });
  await new Promise<void>((ok) => server?.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const post = async (body: string, id = randomUUID(), signature = sign(body)) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-github-event': 'ping',
        'x-github-delivery': id,
        'x-hub-signature-256': signature,
      },
      body,
    });
    return { status: res.status, text: await res.text() };
  };
  return { url, post, received, warnings };
}

describe('the webhook route', () => {
  it('answers only its own path (trailing slashes aside)', async () => {
    const r = await route({});
    expect((await fetch(r.url.replace('/hooks', '/other'))).status).toBe(418);
    expect((await r.post('{}')).status).toBe(200);
    expect((await fetch(`${r.url}//`, { method: 'POST' })).status).toBe(415);
  });

  it('refuses bodies past maxBytes with 413, and lets one exactly at the limit through', async () => {
    const r = await route({ maxBytes: 1000 });
    const at = JSON.stringify({ pad: 'x'.repeat(1000 - 10) });
    expect(at.length).toBe(1000);
    expect((await r.post(at)).status).toBe(200);
    expect((await r.post(JSON.stringify({ pad: 'x'.repeat(1000) }))).status).toBe(413);
    expect(r.received).toHaveLength(1);
  });

  it('answers 503 while unverified bodies fill the budget, and frees it afterwards', async () => {
    const r = await route({ maxBytes: 1 << 20, maxBufferedBytes: 64 * 1024 });
    // a body that never finishes holds its bytes
    const held = request(r.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${'1'.repeat(64)}`,
      },
    });
    held.on('error', () => undefined);
    held.write(Buffer.alloc(60 * 1024, 0x20));
    await new Promise((ok) => setTimeout(ok, 100));
    const big = JSON.stringify({ pad: 'y'.repeat(8 * 1024) });
    expect((await r.post(big)).status).toBe(503);
    held.destroy();
    await new Promise((ok) => setTimeout(ok, 100));
    expect((await r.post(big)).status).toBe(200);
  });

  it('answers 408 to a body that does not arrive in time', async () => {
    const r = await route({ bodyTimeoutMs: 200 });
    const status = await new Promise<number>((resolve) => {
      const req = request(r.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': `sha256=${'1'.repeat(64)}`,
        },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', () => undefined);
      req.write('{"zen": "slow');
    });
    expect(status).toBe(408);
  });

  it('answers 202 when the handlers outlast timeoutMs, and they still finish', async () => {
    let finished = false;
    const r = await route({ timeoutMs: 50 }, async () => {
      await new Promise((ok) => setTimeout(ok, 300));
      finished = true;
    });
    expect(await r.post('{}')).toEqual({ status: 202, text: 'still processing\n' });
    expect(finished).toBe(false);
    await new Promise((ok) => setTimeout(ok, 400));
    expect(finished).toBe(true);
  });

  it('a failing handler: 500 without its text, and the id is forgotten so a redelivery runs', async () => {
    let fail = true;
    const r = await route({}, async () => {
      if (fail) throw new TypeError("Cannot read properties of null (reading 'secret')");
    });
    const id = randomUUID();
    const first = await r.post('{}', id);
    expect(first.status).toBe(500);
    expect(first.text).not.toMatch(/TypeError|Cannot read|secret/);
    fail = false;
    expect((await r.post('{}', id)).status).toBe(200);
    expect((await r.post('{}', id)).text).toBe('already received; ignored\n');
    expect(r.received).toEqual([id, id]);
  });

  it('remembers a bounded number of delivery ids, forgetting the oldest', async () => {
    const ids = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'd']) ids.add(id);
    expect(ids.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((id) => ids.has(id))).toEqual([false, true, true, true]);
    const r = await route({ recentDeliveries: 2 });
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of [a, b, c]) await r.post('{}', id);
    await r.post('{}', c);
    await r.post('{}', a);
    expect(r.received).toEqual([a, b, c, a]);
  });

  it('checks the signature over the bytes as sent: a changed byte or another secret is 400', async () => {
    const r = await route({});
    const body = '{"zen":"Design for failure."}';
    expect((await r.post(body.replace('D', 'd'), randomUUID(), sign(body))).status).toBe(400);
    expect((await r.post(body, randomUUID(), `sha256=${'a'.repeat(64)}`)).status).toBe(400);
    expect(r.received).toEqual([]);
    expect(r.warnings.filter((w) => w.includes('signature does not match'))).toHaveLength(2);
  });
});
