/**
 * The bot's patchwork checks end to end: the frob series (fixtures/mail/base-frob-v1.mbox, then
 * revision-frob-v2.mbox) reviewed on fixtures/tree-frob by app/bot/run.ts with a real SQLite
 * state file, posting to the patchwork stand-in on loopback (test/helpers/patchwork-api.ts).
 * Restarts are a new bot over the same file; a crash is a store whose write dies once.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { createBot } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { PatchworkClient } from '../../app/patchwork/client.js';
import { Store } from '../../app/store/store.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { botDeps, dryRunPolicy, memoryLog } from '../helpers/bot.js';
import { PatchworkApi } from '../helpers/patchwork-api.js';
import { clock } from '../helpers/store.js';

const TOKEN = 'f00dcafe';
const v1 = splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')).map((m) => m.raw);
const v2 = splitMboxBuffer(readFileSync('fixtures/mail/revision-frob-v2.mbox')).map((m) => m.raw);
const V1 = (n: number) => `20260302100000.frob-v1-${n}@example.org`;
const V2 = (n: number) => `20260302110000.frob-v2-${n}@example.org`;

let parser: Parser;
let api: PatchworkApi;
let dir: string;

beforeAll(async () => {
  parser = await loadCParser();
});

beforeEach(async () => {
  api = new PatchworkApi();
  await api.start();
  api.project('frob', ['bot']);
  api.user('bot', TOKEN);
  dir = mkdtempSync(join(tmpdir(), 'kapi-bot-pw-'));
});

afterEach(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A bot over the state file in `dir` (a new one is a restart), posting to the stand-in. */
function startBot(
  c: ReturnType<typeof clock>,
  opts: { token?: string; patchwork?: boolean; store?: Store; file?: string; stopFile?: string } = {},
) {
  const store = opts.store ?? Store.open({ path: join(dir, opts.file ?? 'state.db'), now: c.now });
  const log = memoryLog();
  const client = new PatchworkClient({
    url: api.url,
    project: 'frob',
    token: opts.token ?? TOKEN,
    http: { retries: 2, baseDelayMs: 1, maxDelayMs: 2, sleep: async () => undefined },
  });
  const bot = createBot(
    botDeps({
      store,
      now: c.now,
      log,
      dryRunDir: join(dir, 'eml'),
      policy: dryRunPolicy(),
      parser,
      tree: 'fixtures/tree-frob',
      pool: null,
      stopFile: opts.stopFile ?? null,
      ...(opts.patchwork === false
        ? {}
        : { patchwork: { client, dashboardUrl: 'https://kapi.example.org/dash/' } }),
    }),
  );
  return { store, log, bot };
}

async function feed(bot: ReturnType<typeof createBot>, mails: Buffer[]) {
  for (const m of mails) await bot.ingest(m, 'test');
  return bot.tick();
}

/** Each patch's checks on the stand-in, as `state description`. */
function onPatchwork(ids: string[]): string[][] {
  return ids.map((id) => api.checksOf(id).map((c) => `${c.state} ${c.description}`));
}

describe('bot: patchwork checks', () => {
  it('posts one check per patch per revision, and none twice after a restart', async () => {
    for (const n of [1, 2, 3]) api.patch('frob', V1(n));
    for (const n of [1, 2, 3]) api.patch('frob', V2(n));
    const c = clock('2026-03-02T12:00:00Z');
    const first = startBot(c);
    const t1 = await feed(first.bot, v1);
    expect(t1.patchwork).toMatchObject({ posted: 3, already: 0, waiting: 0, rejected: 0 });
    expect(onPatchwork([V1(1), V1(2), V1(3)])).toEqual([
      ['success no findings'],
      ['warning 1 warning'],
      ['fail 1 error'],
    ]);
    const seriesId = first.store.series.revisionsOfMessage(V1(1))[0]?.seriesId;
    expect(new Set(api.checks.map((k) => `${k.context} ${k.target_url}`))).toEqual(
      new Set([`kapi-review https://kapi.example.org/dash/series/${seriesId}`]),
    );
    first.store.close();

    // a restart: the same mail again (already seen) and a tick post nothing
    const again = startBot(c);
    const t2 = await feed(again.bot, v1);
    expect(t2.patchwork).toMatchObject({ posted: 0, waiting: 0 });
    expect(api.posts()).toHaveLength(3);

    c.advance(3_600_000);
    const t3 = await feed(again.bot, v2);
    expect(t3.patchwork).toMatchObject({ posted: 3 });
    expect(onPatchwork([V2(1), V2(2), V2(3)])).toEqual([
      ['success no findings'],
      ['warning 1 warning'],
      ['success no findings'],
    ]);
    again.store.close();

    const third = startBot(c);
    await third.bot.tick();
    third.store.close();
    expect(api.posts()).toHaveLength(6);
    expect(api.posts().every((p) => p.startsWith('201 '))).toBe(true);
    expect(onPatchwork([V1(1), V1(2), V1(3), V2(1), V2(2), V2(3)]).map((l) => l.length)).toEqual([
      1, 1, 1, 1, 1, 1,
    ]);
  });

  it('retries a 5xx without a duplicate, reports a 4xx once, and waits for a patch patchwork has not read yet', async () => {
    api.patch('frob', V1(1));
    api.patch('frob', V1(2));
    api.fail({ method: 'POST', path: /checks/, status: 502, afterDoing: true });
    api.fail({ method: 'POST', path: /checks/, status: 400 });
    const c = clock('2026-03-02T12:00:00Z');
    const { store, log, bot } = startBot(c);
    const t1 = await feed(bot, v1);
    expect(t1.patchwork).toMatchObject({ posted: 1, rejected: 1, waiting: 1 });
    expect(log.text('warn')).toMatch(
      /no check on <20260302100000\.frob-v1-2@example\.org> \(rejected\): .*HTTP 400/,
    );
    api.patch('frob', V1(3));
    c.advance(300_000);
    const t2 = await bot.tick();
    expect(t2.patchwork).toMatchObject({ posted: 1, rejected: 0, waiting: 0 });
    await bot.tick();
    expect(api.posts().map((p) => p.slice(0, 3))).toEqual(['502', '400', '201']);
    expect(onPatchwork([V1(1), V1(2), V1(3)])).toEqual([['success no findings'], [], ['fail 1 error']]);
    expect(store.patchwork.list().map((r) => [r.patchMessageId, r.status])).toEqual([
      [V1(1), 'posted'],
      [V1(2), 'rejected'],
      [V1(3), 'posted'],
    ]);
    store.close();
  });

  it('gives a patch patchwork never gets up after a day, and posts nothing at all unless configured', async () => {
    const c = clock('2026-03-02T12:00:00Z');
    const off = startBot(c, { patchwork: false, file: 'off.db' });
    await feed(off.bot, v1);
    expect(api.calls).toEqual([]);
    expect(off.store.patchwork.list()).toEqual([]);
    off.store.close();

    const { store, log, bot } = startBot(c);
    expect((await feed(bot, v1)).patchwork).toMatchObject({ waiting: 3 });
    c.advance(25 * 3_600_000);
    expect((await bot.tick()).patchwork).toMatchObject({ unmatched: 3, waiting: 0 });
    expect(log.text('warn')).toMatch(/\(unmatched\): patchwork has no patch with this Message-ID/);
    expect(api.posts()).toEqual([]);
    store.close();
  });

  it('posts nothing while the stop file exists, and what is owed once it is gone', async () => {
    for (const n of [1, 2, 3]) api.patch('frob', V1(n));
    const stop = join(dir, 'STOP');
    writeFileSync(stop, '');
    const { store, log, bot } = startBot(clock('2026-03-02T12:00:00Z'), { stopFile: stop });
    expect((await feed(bot, v1)).patchwork).toBeUndefined();
    expect(log.text('warn')).toMatch(/no patchwork checks posted/);
    expect(api.calls).toEqual([]);
    rmSync(stop);
    expect((await bot.tick()).patchwork).toMatchObject({ posted: 3 });
    store.close();
  });

  it('stops at a refused token and posts once the operator fixes it', async () => {
    for (const n of [1, 2, 3]) api.patch('frob', V1(n));
    const c = clock('2026-03-02T12:00:00Z');
    const bad = startBot(c, { token: 'expired' });
    expect((await feed(bad.bot, v1)).patchwork).toMatchObject({ refused: true, posted: 0, waiting: 3 });
    expect(api.posts()).toEqual(['401 /api/1.2/patches/1/checks/']);
    expect(bad.log.text('error')).toMatch(/patchwork refused the token.*Invalid token/);
    bad.store.close();
    const good = startBot(c);
    expect((await good.bot.tick()).patchwork).toMatchObject({ posted: 3 });
    good.store.close();
    expect(api.checks).toHaveLength(3);
  });

  it('does not post again a check whose POST went through just before a crash', async () => {
    for (const n of [1, 2, 3]) api.patch('frob', V1(n));
    const c = clock('2026-03-02T12:00:00Z');
    const store = Store.open({ path: join(dir, 'state.db'), now: c.now });
    let crash = true;
    const patchwork = new Proxy(store.patchwork, {
      get(target, prop, receiver) {
        if (prop === 'markPosted' && crash)
          return () => {
            crash = false;
            throw new Error('simulated crash after the POST');
          };
        return Reflect.get(target, prop, receiver);
      },
    });
    const crashing = new Proxy(store, {
      get: (target, prop, receiver) =>
        prop === 'patchwork' ? patchwork : Reflect.get(target, prop, receiver),
    });
    const { log, bot } = startBot(c, { store: crashing });
    await feed(bot, v1);
    expect(log.text('error')).toMatch(/posting patchwork checks failed: simulated crash/);
    expect(api.checks).toHaveLength(1);
    expect((await bot.tick()).patchwork).toMatchObject({ already: 1, posted: 2 });
    expect(api.posts()).toHaveLength(3);
    expect(onPatchwork([V1(1), V1(2), V1(3)]).map((l) => l.length)).toEqual([1, 1, 1]);
    store.close();
  });
});
