import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { main } from '../../app/cli/main.js';
import { defaultMailPolicy, mayAnswer } from '../../app/mail/policy.js';
import { Store } from '../../app/store/store.js';
import { parseMailSync } from '../../parsers/mail.js';
import { MAX_MESSAGE_ID, toEml } from '../../parsers/mail-writer.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries } from '../../parsers/series.js';
import { planReplies, type ReplyPolicy } from '../../reporters/email.js';
import { BOT, botDeps, dryRunPolicy, memoryLog, messageIdFor } from '../helpers/bot.js';
import { Dovecot, requireDovecot } from '../helpers/dovecot.js';

/**
 * Issue 14, the bot's edges: every Auto-Submitted header counts, a Message-ID no header can carry
 * still gets its answer (unthreaded, and the log says so), and --once on an empty folder says so.
 */
const frob = splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')).map((m) =>
  m.raw.toString('latin1'),
);
const ID = (n: number) => `20260302100000.frob-v1-${n}@example.org`;
const now = () => new Date('2026-03-02T12:00:00Z');
/** Replies with no list, reviewed on the hunks alone. */
const HUNKS_ONLY: ReplyPolicy = {
  from: BOT,
  lists: [],
  cc: 'none',
  base: { kind: 'hunks', baseCommit: null },
  silenceHint: '',
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'kapi-bot-edges-'));
  dirs.push(d);
  return d;
}

/** A plain mail with these Auto-Submitted headers, in this order. */
function withAuto(values: string[]): string {
  return [
    'From: Ada <ada@example.org>',
    'Subject: [PATCH] frob: x',
    'Message-ID: <auto@example.org>',
    ...values.map((v) => `Auto-Submitted: ${v}`),
    '',
    'hello',
    '',
  ].join('\n');
}

describe('Auto-Submitted: every header counts', () => {
  const policy = defaultMailPolicy(BOT);
  const verdict = (values: string[]) => mayAnswer(parseMailSync(withAuto(values)).value, policy);

  it('refuses a mail when any of its Auto-Submitted headers is not "no"', () => {
    expect(verdict(['no', 'auto-generated'])).toEqual({
      ok: false,
      reasons: ['it is automated (Auto-Submitted: auto-generated)'],
    });
    expect(verdict(['auto-replied', 'no']).ok).toBe(false);
    expect(verdict(['no', 'no', 'auto-notified; owner-email="x@example.org"']).ok).toBe(false);
    expect(verdict(['']).ok).toBe(false);
  });

  it('answers when every one says "no" (comments and case aside), or there is none', () => {
    expect(verdict(['no', 'No (a person wrote this)']).ok).toBe(true);
    expect(verdict([]).ok).toBe(true);
    expect(parseMailSync(withAuto(['no', 'auto-generated'])).value.autoSubmitted).toBe('auto-generated');
  });

  it('the bot records such a mail as refused and never reviews it', async () => {
    const dir = scratch();
    const store = Store.open({ path: join(dir, 'state.db'), now });
    const log = memoryLog();
    const bot = createBot(botDeps({ store, now, log, dryRunDir: join(dir, 'eml') }));
    await bot.ingest(Buffer.from(withAuto(['no', 'auto-generated'])), 'test');
    const info = (store.messages.seen('auto@example.org')?.info ?? {}) as { refused?: unknown };
    expect(String(info.refused)).toMatch(/automated \(Auto-Submitted: auto-generated\)/);
    expect(log.text('info')).toMatch(/not answering auto@example\.org: it is automated/);
    expect((await bot.tick()).decisions).toEqual([]);
    store.close();
  });
});

describe('a Message-ID no header can carry', () => {
  const long = (n: number) => `${'x'.repeat(10_000)}.frob-v1-${n}@example.org`;
  /** The frob series with these messages' Message-IDs (and every mention of them) 10 KB long. */
  const stretched = (which: number[]) =>
    frob.map((raw) => which.reduce((r, n) => r.replaceAll(ID(n), long(n)), raw));

  it('is answered without In-Reply-To, with the References that fit, and the notes say so', () => {
    const mails = stretched([0, 3]).map((r) => parseMailSync(Buffer.from(r, 'latin1')).value);
    expect(mails[3]?.messageId).toBe(long(3));
    const series = buildSeries(mails).value.series[0];
    if (!series) throw new Error('no series');
    const patch3 = series.patches[2]?.mail;
    const finding = {
      check: 'kapi-error-undocumented',
      severity: 'error' as const,
      message: 'sys_frob can return -EPERM here, but its spec does not list EPERM',
      at: { path: 'kernel/frob.c', line: 55, messageId: patch3?.messageId ?? '' },
      evidence: [],
      fingerprint: 'f1',
      scope: 'added',
    };
    const { mails: replies, notes } = planReplies({
      series,
      findings: [finding] as never,
      policy: HUNKS_ONLY,
      messageIdFor,
    });
    // the reply to 3/3, and the summary: to patch 1, the first message a reply can thread under
    expect(replies.map((m) => m.inReplyTo)).toEqual([null, ID(1)]);
    expect(replies[0]?.references).toEqual([]);
    expect(replies[0]?.about.messageId).toBe(long(3));
    expect(replies[0]?.key.length).toBeLessThan(200);
    expect(notes).toEqual([
      `the reply to patch 3/3 goes out without In-Reply-To: its Message-ID "${'x'.repeat(60)}..." is ${long(3).length} characters, longer than a header line can carry (${MAX_MESSAGE_ID})`,
    ]);
    for (const m of replies) {
      const eml = toEml(m, now());
      for (const line of eml.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    }
    // a long but carriable Message-ID still threads
    const fine = `${'y'.repeat(700)}@example.org`;
    const again = planReplies({
      series: {
        ...series,
        cover: null,
        patches: series.patches.map((p) => ({
          ...p,
          mail: { ...p.mail, messageId: p.counter === 3 ? fine : p.mail.messageId },
        })),
      },
      findings: [{ ...finding, at: { ...finding.at, messageId: fine } }] as never,
      policy: HUNKS_ONLY,
      messageIdFor,
    });
    expect(again.mails[0]?.inReplyTo).toBe(fine);
    expect(again.notes).toEqual([]);
  });

  it('the bot reviews such a series, answers it and logs why a reply is unthreaded', async () => {
    const dir = scratch();
    const store = Store.open({ path: join(dir, 'state.db'), now });
    const log = memoryLog();
    const bot = createBot(
      botDeps({
        store,
        now,
        log,
        parser: await loadCParser(),
        policy: dryRunPolicy(),
        dryRunDir: join(dir, 'eml'),
        tree: 'fixtures/tree-frob',
      }),
    );
    for (const raw of stretched([0, 1, 2, 3])) await bot.ingest(Buffer.from(raw, 'latin1'), 'test');
    const t = await bot.tick();
    expect(t.decisions.map((d) => d.kind)).toEqual(['review']);
    expect(t.queued).toBe(3);
    const files = readdirSync(join(dir, 'eml')).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(3);
    for (const f of files) {
      const eml = readFileSync(join(dir, 'eml', f), 'utf8');
      expect(eml).not.toMatch(/^In-Reply-To:/m);
      expect(eml).toMatch(/^Subject: Re: \[PATCH [0-3]\/3\]/m);
    }
    const warned = log.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warned).toHaveLength(3);
    for (const w of warned)
      expect(w).toMatch(
        /goes out without In-Reply-To: its Message-ID .* longer than a header line can carry/,
      );
    store.close();
  });
});

const runImap = requireDovecot('bot --once on an empty folder');

describe.skipIf(!runImap)('bot --once on a folder with no mail', () => {
  let server: Dovecot;
  beforeAll(async () => {
    server = await Dovecot.start();
  }, 30_000);
  afterAll(async () => {
    await server?.cleanup();
  });

  it('says there is no new mail, and exits 0', async () => {
    await server.createFolder('empty');
    const dir = scratch();
    const ep = server.endpoint;
    process.env.KAPI_BOT_EDGES_PASS = ep.auth.pass;
    let err = '';
    try {
      const code = await main(
        [
          'node',
          'kapi-review',
          'bot',
          '--imap-host',
          ep.host,
          '--imap-port',
          String(ep.port),
          '--imap-user',
          ep.auth.user,
          '--imap-pass-env',
          'KAPI_BOT_EDGES_PASS',
          '--folder',
          'empty',
          '--from',
          BOT,
          '--state',
          join(dir, 'state.db'),
          '--once',
        ],
        { out: () => undefined, err: (s) => (err += s) },
      );
      expect(code).toBe(0);
      expect(err).toMatch(/kapi-review bot: no new mail in folder empty\n/);
    } finally {
      delete process.env.KAPI_BOT_EDGES_PASS;
    }
  });
});
