/**
 * The mailing-list bot's steps, each on its own over a BotState and a real store (the end-to-end
 * loop through IMAP and SMTP is bot-e2e.test.ts's): reading and refusing mail, collecting the
 * series of a tick, reviewing one and queueing its replies, muting, and the sweep that marks mail
 * processed only once its revision is settled.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ingest, readMail } from '../../app/bot/ingest.js';
import { deliver, listOf, recordRevision, storedRevision } from '../../app/bot/revisions.js';
import { type BotState, botState } from '../../app/bot/state.js';
import { collect, plan, reviewSeries, sweep } from '../../app/bot/tick.js';
import { TOO_LARGE } from '../../app/review/limits.js';
import { Store } from '../../app/store/store.js';
import { parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import type { Series } from '../../parsers/series.js';
import { botDeps, memoryLog } from '../helpers/bot.js';

const frob = splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')).map((m) => m.raw);
const ID = (n: number) => `20260302100000.frob-v1-${n}@example.org`;

const open: { dir: string; store: Store }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    o.store.close();
    rmSync(o.dir, { recursive: true, force: true });
  }
});

/** A bot's state over a fresh store, its clock at `clock.now`, its log kept. */
function fresh(over: { maxMessageBytes?: number; lists?: string[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kapi-bot-steps-'));
  const clock = { now: new Date('2026-03-02T12:00:00Z') };
  const now = () => clock.now;
  const store = Store.open({ path: join(dir, 'state.db'), now });
  open.push({ dir, store });
  const log = memoryLog();
  const deps = botDeps({ store, log, now, dryRunDir: join(dir, 'eml'), pool: null });
  if (over.maxMessageBytes !== undefined) deps.maxMessageBytes = over.maxMessageBytes;
  if (over.lists)
    deps.policy = {
      ...deps.policy,
      lists: over.lists.map((address) => ({ address, mode: 'list' as const })),
    };
  return { st: botState(deps), store, log, clock };
}

/** Ingests the frob v1 series (cover and three patches), each mail at its own time. */
async function ingestFrob(st: BotState, clock: { now: Date }, times: string[]): Promise<void> {
  for (const [i, raw] of frob.entries()) {
    clock.now = new Date(times[i] as string);
    await ingest(st, raw, 'test');
  }
  clock.now = new Date('2026-03-02T12:00:00Z');
}

function onlySeries(st: BotState): Series {
  const [s] = collect(st).set.series;
  if (!s) throw new Error('no series');
  return s;
}

describe('ingest steps', () => {
  it('refuses a mail without a Message-ID once, under a name its bytes give', () => {
    const { st, store, log } = fresh();
    const raw = Buffer.from('From: Ada <ada@example.org>\nSubject: [PATCH] x\n\nhello\n');
    expect(readMail(st, raw, 'test')).toBeNull();
    expect(readMail(st, raw, 'test')).toBeNull();
    const warned = log.lines.filter((l) => l.level === 'warn');
    expect(warned).toHaveLength(1);
    const id = /skipping mail (no-message-id\.[0-9a-f]{32}@kapi-review\.invalid): /.exec(
      warned[0]?.msg ?? '',
    )?.[1];
    expect(id).toBeDefined();
    const seen = store.messages.seen(id as string);
    expect(seen?.processedAt).not.toBeNull();
    expect(String(((seen?.info ?? {}) as { rejected?: unknown }).rejected)).toMatch(/Message-ID/i);
  });

  it('refuses a message over the size limit unread, named by the Message-ID in its head', () => {
    const { st, store } = fresh({ maxMessageBytes: 200 });
    expect(readMail(st, frob[1] as Buffer, 'test')).toBeNull();
    const info = store.messages.seen(ID(1))?.info as { rejected?: string; size?: number };
    expect(info.rejected).toMatch(/^message of \d+ bytes is over the limit of 200$/);
    expect(info.size).toBe((frob[1] as Buffer).byteLength);
    expect(store.messages.raw(ID(1))).toBeNull();
  });

  it('hands a usable message back parsed, recording nothing', () => {
    const { st, store } = fresh();
    expect(readMail(st, frob[2] as Buffer, 'test')?.messageId).toBe(ID(2));
    expect(store.messages.isSeen(ID(2))).toBe(false);
  });
});

describe('tick steps', () => {
  it('collects the unprocessed mail as series; a series is first seen when its earliest mail arrived', async () => {
    const { st, clock } = fresh();
    await ingestFrob(st, clock, [
      '2026-03-02T10:05:00Z',
      '2026-03-02T10:07:00Z',
      '2026-03-02T10:01:00Z',
      '2026-03-02T10:09:00Z',
    ]);
    const c = collect(st);
    expect(c.raws.map((r) => r.messageId).sort()).toEqual([ID(0), ID(1), ID(2), ID(3)]);
    expect(c.set.series).toHaveLength(1);
    expect(c.firstSeenOf(c.set.series[0] as Series)?.toISOString()).toBe('2026-03-02T10:01:00.000Z');
    expect(plan(st, c).map((d) => d.kind)).toEqual(['review']);
  });

  it('names the configured list a series went to, or none', () => {
    const mails = frob.map((r) => parseMailSync(r).value);
    expect(listOf(fresh({ lists: ['Linux-Frob@Example.org'] }).st, mails)).toBe('linux-frob@example.org');
    expect(listOf(fresh({ lists: ['other@example.org'] }).st, mails)).toBeNull();
  });

  it('reviews a series: findings recorded, replies queued once however often delivered, none when muted', async () => {
    const { st, store, log, clock } = fresh();
    await ingestFrob(st, clock, Array(4).fill('2026-03-02T10:00:00Z'));
    const s = onlySeries(st);
    const queued = await reviewSeries(st, s, undefined);
    expect(queued).toBeGreaterThan(0);
    const rev = storedRevision(st, s);
    expect(rev?.reviewedAt).not.toBeNull();
    expect(store.findings.ofRevision(rev?.id as number).length).toBeGreaterThan(0);
    const pending = () => store.outbox.claim(1000).length;
    expect(await deliver(st, s, rev as NonNullable<typeof rev>)).toBe(queued);
    expect(pending()).toBe(queued);
    store.policy.mute({ kind: 'series', seriesId: rev?.seriesId as number }, 'ada@example.org');
    expect(await deliver(st, s, rev as NonNullable<typeof rev>)).toBe(0);
    expect(log.text('info')).toMatch(/series \d+ is muted: no mail for v1/);
  });

  it('Cc every configured list the series went to; a mute of any of them holds the replies', async () => {
    const { st, store } = fresh({ lists: ['linux-frob@example.org', 'linux-api@example.org'] });
    for (const raw of frob)
      await ingest(
        st,
        Buffer.from(
          raw.toString('utf8').replace(/^To: (.*)$/m, 'To: $1\nCc: Linux API <linux-api@example.org>'),
        ),
        'test',
      );
    const s = onlySeries(st);
    expect(await reviewSeries(st, s, undefined)).toBeGreaterThan(0);
    const queued = store.outbox.claim(1000);
    expect(queued.length).toBeGreaterThan(0);
    for (const e of queued) expect(e.mail.cc).toEqual(['linux-frob@example.org', 'linux-api@example.org']);
    const rev = storedRevision(st, s) as NonNullable<ReturnType<typeof storedRevision>>;
    store.policy.mute({ kind: 'list', listId: 'linux-api@example.org' }, 'maint@example.org');
    expect(await deliver(st, s, rev)).toBe(0);
  });

  it('queues no mail for a revision recorded as too large to review', async () => {
    const { st, store, clock } = fresh();
    await ingestFrob(st, clock, Array(4).fill('2026-03-02T10:00:00Z'));
    const s = onlySeries(st);
    const rev = recordRevision(st, s, undefined, s.state.kind, `${TOO_LARGE}: 9 files over 8`);
    store.findings.record(rev.id, []);
    expect(await deliver(st, s, rev)).toBe(0);
    expect(store.outbox.claim(1000)).toEqual([]);
  });

  it('sweeps only mail whose revision is settled, and never the mail left waiting', async () => {
    const { st, store, log, clock } = fresh();
    await ingestFrob(st, clock, Array(4).fill('2026-03-02T10:00:00Z'));
    const c = collect(st);
    const s = c.set.series[0] as Series;
    const rev = recordRevision(st, s, undefined);
    const waiting = new Set([ID(0)]);
    // the revision is not reviewed yet: the store refuses, the sweep passes over it
    expect(sweep(st, c.raws, waiting)).toBe(0);
    expect(log.text('debug')).toMatch(/frob-v1-1@example\.org/);
    store.findings.record(rev.id, []);
    expect(sweep(st, c.raws, waiting)).toBe(3);
    expect(store.messages.seen(ID(0))?.processedAt).toBeNull();
    expect(store.messages.seen(ID(3))?.processedAt).not.toBeNull();
    expect(collect(st).raws.map((r) => r.messageId)).toEqual([ID(0)]);
  });
});
