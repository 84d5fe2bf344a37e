import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBot } from '../../app/bot/run.js';
import { botCommand } from '../../app/cli/bot.js';
import { UsageError } from '../../app/cli/usage.js';
import { collectDigest } from '../../app/digest/collect.js';
import { digestCursor, enqueueDigestIfDue } from '../../app/digest/mail.js';
import { Store } from '../../app/store/store.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { BOT, botDeps, dryRunPolicy, memoryLog, messageIdFor } from '../helpers/bot.js';

/** The weekly digest mail: queued through the outbox once a week (app/digest/). */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kapi-digest-'));
  dirs.push(d);
  return d;
}

const TO = 'Maintainer <maint@example.org>';

function filled(now: () => Date): Store {
  const s = Store.open({ path: join(temp(), 'state.db'), now });
  const ser = s.series.upsert({ lineage: 'a', title: 'mm: a', author: 'Ann <ann@x>', listId: null });
  const r = s.series.addRevision(ser.id, {
    revision: 1,
    coverMessageId: null,
    patchMessageIds: ['a1@x'],
    state: 'complete',
    stateDetail: null,
    baseCommit: null,
    changeId: null,
  });
  s.findings.record(r.id, [
    {
      check: 'kapi-error-undocumented',
      severity: 'error',
      message: 'sys_a can return -EPERM',
      at: { path: 'mm/a.c', line: 3, messageId: 'a1@x' },
      spec: 'sys_a',
      subject: 'EPERM',
      evidence: [],
      fingerprint: 'fp1',
    },
  ]);
  return s;
}

describe('operator-only findings in the digest', () => {
  it('the mailed digest leaves kapi-parse-error out; the summary the operator reads keeps it', () => {
    let t = Date.parse('2026-03-03T10:00:00.000Z');
    const store = filled(() => new Date(t));
    const ser = store.series.upsert({ lineage: 'b', title: 'mm: b', author: 'Bo <bo@x>', listId: null });
    const r = store.series.addRevision(ser.id, {
      revision: 1,
      coverMessageId: null,
      patchMessageIds: ['b1@x'],
      state: 'complete',
      stateDetail: null,
      baseCommit: null,
      changeId: null,
    });
    store.findings.record(r.id, [
      {
        check: 'kapi-parse-error',
        severity: 'error',
        message: 'sys_b: KAPI_END_SPEC missing (kapi-macro-unterminated)',
        at: { path: 'mm/b.c', line: 9, messageId: 'b1@x' },
        spec: 'sys_b',
        subject: 'kapi-macro-unterminated',
        evidence: [],
        fingerprint: 'fp-parse',
      },
    ]);
    const since = '2026-03-01T00:00:00.000Z';
    const until = '2026-03-04T00:00:00.000Z';
    const operator = collectDigest(store, since, until);
    expect(operator.reviewed.flatMap((x) => x.newFindings.map((f) => f.check))).toContain('kapi-parse-error');
    const mailed = collectDigest(store, since, until, { mailed: true });
    expect(mailed.reviewed.flatMap((x) => x.newFindings.map((f) => f.check))).toEqual([
      'kapi-error-undocumented',
    ]);
    // and the mail itself
    const at = (iso: string) => {
      t = Date.parse(iso);
      return { store, to: TO, from: BOT, now: new Date(t), messageIdFor };
    };
    expect(enqueueDigestIfDue(at('2026-03-01T00:00:00.000Z')).kind).toBe('started');
    expect(enqueueDigestIfDue(at('2026-03-09T00:00:00.000Z')).kind).toBe('queued');
    const text = store.outbox
      .list()
      .map((m) => m.mail.text)
      .join('\n');
    expect(text).toContain('kapi-error-undocumented');
    expect(text).not.toContain('kapi-parse-error');
    expect(text).not.toContain('KAPI_END_SPEC missing');
  });
});

describe('enqueueDigestIfDue', () => {
  it('starts the clock, waits a week, queues one mail per period, and moves on past empty ones', () => {
    let t = Date.parse('2026-03-03T10:00:00.000Z');
    const store = filled(() => new Date(t));
    const at = (iso: string) => {
      t = Date.parse(iso);
      return { store, to: TO, from: BOT, now: new Date(t), messageIdFor };
    };
    try {
      expect(enqueueDigestIfDue(at('2026-03-01T00:00:00.000Z'))).toEqual({
        kind: 'started',
        next: '2026-03-08T00:00:00.000Z',
      });
      expect(store.cursors.get(digestCursor(TO))).toBe('2026-03-01T00:00:00.000Z');
      expect(digestCursor(TO)).toBe('digest:maint@example.org');
      expect(enqueueDigestIfDue(at('2026-03-07T23:59:59.000Z'))).toEqual({
        kind: 'not-due',
        next: '2026-03-08T00:00:00.000Z',
      });
      const q = enqueueDigestIfDue(at('2026-03-08T06:00:00.000Z'));
      expect(q).toMatchObject({
        kind: 'queued',
        since: '2026-03-01T00:00:00.000Z',
        until: '2026-03-08T06:00:00.000Z',
      });
      const [entry] = store.outbox.list();
      expect(entry?.mail).toMatchObject({
        key: 'digest:maint@example.org:2026-03-01T00:00:00.000Z',
        to: [TO],
        cc: [],
        inReplyTo: null,
        subject: 'kapi-review digest 2026-03-01 to 2026-03-08: 1 revision, 1 new finding, 0 fixed',
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Mailer': 'kapi-review' },
      });
      expect(entry?.mail.text).toContain('  - mm: a v1\n    Ann <ann@x>\n    complete; 1 error\n');
      expect(entry?.mail.text).toContain('    error kapi-error-undocumented (sys_a EPERM)');
      // a crash after queuing, before the cursor moved: the same period again is the same mail
      store.cursors.set(digestCursor(TO), '2026-03-01T00:00:00.000Z');
      expect(enqueueDigestIfDue(at('2026-03-08T06:00:00.000Z')).kind).toBe('queued');
      expect(store.outbox.list()).toHaveLength(1);
      // a week with nothing in it: no mail, the cursor moves on
      expect(enqueueDigestIfDue(at('2026-03-15T06:00:00.000Z'))).toEqual({
        kind: 'empty',
        since: '2026-03-08T06:00:00.000Z',
        until: '2026-03-15T06:00:00.000Z',
      });
      expect(store.outbox.list()).toHaveLength(1);
      expect(store.cursors.get(digestCursor(TO))).toBe('2026-03-15T06:00:00.000Z');
    } finally {
      store.close();
    }
  });
});

describe('kapi-review bot --digest-to', () => {
  it('the bot tick queues the weekly digest, and the outbox writes it like any mail (dry-run here)', async () => {
    const dir = temp();
    let t = Date.parse('2026-03-02T12:00:00.000Z');
    const now = () => new Date(t);
    const store = Store.open({ path: join(dir, 'state.db'), now });
    const log = memoryLog();
    const bot = createBot(
      botDeps({
        store,
        policy: dryRunPolicy(),
        now,
        log,
        dryRunDir: join(dir, 'eml'),
        digestTo: TO,
      }),
    );
    try {
      expect((await bot.tick()).digest).toBe('started');
      for (const m of splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')))
        await bot.ingest(m.raw, 'test');
      t += 60_000;
      const reviewed = await bot.tick();
      expect(reviewed.decisions.map((d) => d.kind)).toEqual(['review']);
      expect(reviewed.digest).toBe('not-due');
      t += 7 * 86_400_000;
      const weekly = await bot.tick();
      expect(weekly.digest).toBe('queued');
      expect(weekly.send?.outcomes.map((o) => o.outcome)).toEqual(['dry-run']);
      const digest = store.outbox.list().find((e) => e.mail.key.startsWith('digest:'));
      expect(digest?.state).toBe('sent');
      expect(digest?.sentInfo).toMatch(/^dry-run: /);
      const emls = readdirSync(join(dir, 'eml')).map((f) => readFileSync(join(dir, 'eml', f), 'utf8'));
      const mail = emls.find((e) => /Subject: kapi-review digest/.test(e));
      expect(mail).toMatch(/To: Maintainer <maint@example.org>/);
      expect(mail).toContain('frob: bound, document and restrict sys_frob v1');
      expect((await bot.tick()).digest).toBe('not-due');
      expect(log.text('error')).toBe('');
    } finally {
      store.close();
    }
  });

  it('refuses a --digest-to that is not an address', async () => {
    await expect(
      botCommand(
        {
          loreUrl: 'http://127.0.0.1:9',
          loreList: 'x',
          from: BOT,
          mode: 'dry-run',
          imapPort: '993',
          folder: 'INBOX',
          smtpHost: 'localhost',
          smtpPort: '25',
          incompleteAfter: '60',
          digestTo: 'not an address',
        },
        { out: () => undefined, err: () => undefined },
        {},
      ),
    ).rejects.toThrow(UsageError);
  });
});
