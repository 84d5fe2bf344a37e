import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DashboardQueries } from '../../app/dashboard/queries.js';
import { APPLICATION_ID, defaultStorePath, MIGRATIONS, StoreError } from '../../app/store/db.js';
import { Store } from '../../app/store/store.js';
import type { Finding, Severity } from '../../checks/types.js';
import { clock, finding, mail, raw, seriesWith, storeFixtures } from '../helpers/store.js';

const { tempDir, open } = storeFixtures();

describe('store: opening and migrations', () => {
  it('creates a fresh file at the newest version, in WAL mode, marked as kapi-review state', () => {
    const c = clock();
    const path = join(tempDir(), 'state.db');
    const s = open(path, c);
    expect(s.messages.markSeen('m1@x', 'imap', null)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(true);
    const db = raw(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    const log = db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all();
    expect(log).toEqual(MIGRATIONS.map((m) => ({ version: m.version, applied_at: c.iso() })));
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(
      expect.arrayContaining([
        'messages_seen',
        'series',
        'revisions',
        'findings',
        'outbox',
        'cursors',
        'ignores',
      ]),
    );
    db.close();
  });

  it('migrates a file made by the first migration only, keeping its data', () => {
    const path = join(tempDir(), 'state.db');
    const old = open(path, clock(), MIGRATIONS.slice(0, 1));
    const { series, rev } = seriesWith(old, 'frob', 1, ['p1@example.org']);
    old.findings.record(rev.id, [finding('fp-a')]);
    old.close();
    let db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'outbox'").pluck().get()).toBe(0);
    db.close();

    const c = clock('2026-04-01T00:00:00.000Z');
    const s = open(path, c);
    expect(s.series.byId(series.id)?.lineage).toBe('frob');
    expect(s.findings.ofRevision(rev.id).map((f) => f.finding.fingerprint)).toEqual(['fp-a']);
    // the tables of the later migrations now work
    expect(s.outbox.enqueue(mail('k1')).state).toBe('pending');
    s.cursors.set('imap:INBOX', '42');
    expect(s.cursors.get('imap:INBOX')).toBe('42');
    db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const applied = db
      .prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version')
      .all() as {
      version: number;
      applied_at: string;
    }[];
    expect(applied.map((a) => a.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(applied.slice(1).every((a) => a.applied_at === c.iso())).toBe(true);
    db.close();
  });

  it('refuses a file of a newer schema version and leaves it alone', () => {
    const path = join(tempDir(), 'state.db');
    open(path).close();
    let db = raw(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => open(path)).toThrow(StoreError);
    expect(() => open(path)).toThrow(
      new RegExp(
        `schema version ${MIGRATIONS.length + 1}, newer than this kapi-review knows \\(${MIGRATIONS.length}\\)`,
      ),
    );
    db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length + 1);
    db.close();
  });

  it('rolls a failing migration back whole and says which one failed', () => {
    const path = join(tempDir(), 'state.db');
    open(path).close();
    const broken = [
      ...MIGRATIONS,
      {
        version: MIGRATIONS.length + 1,
        name: 'broken',
        sql: 'CREATE TABLE half_done (a); INSERT INTO no_such_table VALUES (1);',
      },
    ];
    expect(() => open(path, clock(), broken)).toThrow(
      new RegExp(`migration ${MIGRATIONS.length + 1} \\(broken\\) failed and was rolled back`),
    );
    const db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
    db.close();
    // and the file still opens with the known migrations
    expect(open(path).messages.isSeen('x')).toBe(false);
  });

  it('refuses files that are not its own: another SQLite database, a text file', () => {
    const dir = tempDir();
    const foreign = join(dir, 'other.db');
    const db = raw(foreign);
    db.exec('CREATE TABLE notes (t TEXT)');
    db.close();
    expect(() => open(foreign)).toThrow(/already holds tables but no kapi-review schema/);
    const text = join(dir, 'notes.txt');
    writeFileSync(
      text,
      'not a database at all, just some text that is long enough to have a header\n'.repeat(20),
    );
    expect(() => open(text)).toThrow(/is not a kapi-review state file/);
  });

  it('creates a missing directory, and says clearly when it cannot', () => {
    const dir = tempDir();
    const deep = join(dir, 'a', 'b', 'state.db');
    open(deep).messages.markSeen('m@x', 'lore');
    expect(existsSync(deep)).toBe(true);
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => open(join(dir, 'file', 'sub', 'state.db'))).toThrow(
      /cannot create the directory for the store/,
    );
  });

  it('defaults to a file under the XDG state directory', () => {
    expect(defaultStorePath({ XDG_STATE_HOME: '/var/lib/bot' }, '/home/ann')).toBe(
      '/var/lib/bot/kapi-review/state.db',
    );
    expect(defaultStorePath({}, '/home/ann')).toBe('/home/ann/.local/state/kapi-review/state.db');
  });

  it('opens ":memory:" for throw-away use', () => {
    const s = open(':memory:');
    s.cursors.set('c', 'v');
    expect(s.cursors.get('c')).toBe('v');
  });
});

describe('store: messages seen and processed', () => {
  it('records each message once, with the clock time and its info', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    expect(s.messages.markSeen('m1@x', 'imap:INBOX', { uid: 7 })).toBe(true);
    c.advance(1000);
    expect(s.messages.markSeen('m1@x', 'lore', { other: true })).toBe(false);
    expect(s.messages.isSeen('m1@x')).toBe(true);
    expect(s.messages.isSeen('m2@x')).toBe(false);
    s.messages.markSeen('z@x', 'imap');
    s.messages.markSeen('a@x', 'imap'); // same clock time: arrival order is kept
    expect(s.messages.unprocessed().map((m) => m.messageId)).toEqual(['m1@x', 'z@x', 'a@x']);
    expect(s.messages.seen('m1@x')).toEqual({
      messageId: 'm1@x',
      source: 'imap:INBOX',
      info: { uid: 7 },
      seenAt: '2026-03-02T10:00:00.000Z',
      processedAt: null,
    });
  });

  it('marks a patch processed only after the review of its revision is recorded', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    for (const m of ['p1@x', 'p2@x', 'reply@x', 'frob-v1-cover@example.org']) {
      s.messages.markSeen(m, 'imap');
      c.advance(1000);
    }
    const { rev } = seriesWith(s, 'frob', 1, ['p1@x', 'p2@x']);
    expect(() => s.messages.markProcessed('p1@x')).toThrow(/no review recorded for v1 of frob/);
    expect(() => s.messages.markProcessed('frob-v1-cover@example.org')).toThrow(StoreError);
    expect(() => s.messages.markProcessed('never@x')).toThrow(/never marked seen/);
    // a mail outside any revision (a reply, bad mail) can be processed at once
    s.messages.markProcessed('reply@x');
    expect(s.messages.unprocessed().map((m) => m.messageId)).toEqual([
      'p1@x',
      'p2@x',
      'frob-v1-cover@example.org',
    ]);

    s.findings.record(rev.id, []);
    c.advance(1000);
    s.messages.markProcessed('p1@x');
    s.messages.markProcessed('p1@x'); // again: nothing changes
    expect(s.messages.seen('p1@x')?.processedAt).toBe(c.iso());
    expect(s.messages.unprocessed().map((m) => m.messageId)).toEqual(['p2@x', 'frob-v1-cover@example.org']);
  });

  it('lets the patches of a superseded or corrupted revision be processed without a review', () => {
    const s = open(join(tempDir(), 'state.db'));
    s.messages.markSeen('a1@x', 'lore');
    s.messages.markSeen('c1@x', 'lore');
    const ser = s.series.upsert({ lineage: 'l', title: 't', author: null, listId: null });
    const base = { coverMessageId: null, stateDetail: null, baseCommit: null, changeId: null };
    const v1 = s.series.addRevision(ser.id, {
      ...base,
      revision: 1,
      patchMessageIds: ['a1@x'],
      state: 'complete',
    });
    const v2 = s.series.addRevision(ser.id, {
      ...base,
      revision: 2,
      patchMessageIds: ['b1@x'],
      state: 'complete',
    });
    expect(() => s.messages.markProcessed('a1@x')).toThrow(StoreError);
    s.series.supersede(v1.id, v2.id);
    s.messages.markProcessed('a1@x');
    const other = s.series.upsert({ lineage: 'm', title: 't', author: null, listId: null });
    s.series.addRevision(other.id, {
      ...base,
      revision: 1,
      patchMessageIds: ['c1@x'],
      state: 'corrupted',
      stateDetail: 'patch 1/1 has no diff',
    });
    s.messages.markProcessed('c1@x');
    expect(s.messages.unprocessed()).toEqual([]);
  });
});

describe('store: series, revisions, follow-ups', () => {
  it('upserts a series by lineage and records revisions, updating one whose patches arrived late', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    const a = s.series.upsert({
      lineage: 'ann:frob',
      title: 'mm: frob',
      author: 'ann@x',
      listId: 'Linux MM <Linux-MM@kvack.example.org>',
    });
    const b = s.series.upsert({
      lineage: 'ann:frob',
      title: 'mm: frob the pages',
      author: null,
      listId: null,
    });
    expect(b.id).toBe(a.id);
    expect(s.series.byLineage('ann:frob')?.id).toBe(a.id);
    expect(s.series.byLineage('nobody')).toBeNull();
    expect(b).toMatchObject({
      title: 'mm: frob the pages',
      author: 'ann@x',
      listId: 'linux-mm@kvack.example.org',
    });

    const v1 = s.series.addRevision(a.id, {
      revision: 1,
      coverMessageId: 'c@x',
      patchMessageIds: ['p1@x', 'p3@x'],
      state: 'incomplete',
      stateDetail: 'missing 2/3',
      baseCommit: null,
      changeId: 'frob-1',
      receivedAt: '2026-03-02T09:00:00Z',
    });
    expect(v1).toMatchObject({ revision: 1, state: 'incomplete', receivedAt: '2026-03-02T09:00:00.000Z' });
    c.advance(60_000);
    const again = s.series.addRevision(a.id, {
      revision: 1,
      coverMessageId: 'c@x',
      patchMessageIds: ['p1@x', 'p2@x', 'p3@x'],
      state: 'complete',
      stateDetail: null,
      baseCommit: 'deadbeef',
      changeId: 'frob-1',
      receivedAt: '2026-03-02T09:30:00Z',
    });
    expect(again.id).toBe(v1.id);
    expect(again).toMatchObject({
      state: 'complete',
      stateDetail: null,
      patchMessageIds: ['p1@x', 'p2@x', 'p3@x'],
      baseCommit: 'deadbeef',
      receivedAt: '2026-03-02T09:00:00.000Z',
      createdAt: '2026-03-02T10:00:00.000Z',
      updatedAt: '2026-03-02T10:01:00.000Z',
    });

    const v2 = s.series.addRevision(a.id, {
      revision: 2,
      coverMessageId: null,
      patchMessageIds: ['q1@x'],
      state: 'complete',
      stateDetail: null,
      baseCommit: null,
      changeId: 'frob-1',
    });
    expect(v2.receivedAt).toBe(c.iso());
    expect(s.series.latestRevision(a.id)?.id).toBe(v2.id);
    s.series.supersede(v1.id, v2.id);
    expect(s.series.revision(v1.id)?.supersededBy).toBe(v2.id);
    expect(s.series.revisions(a.id).map((r) => r.revision)).toEqual([1, 2]);
    expect(s.series.revisionsOfMessage('p2@x').map((r) => r.id)).toEqual([v1.id]);
    expect(s.series.revisionsOfMessage('c@x').map((r) => r.id)).toEqual([v1.id]);

    const other = s.series.upsert({ lineage: 'bob:x', title: 'x', author: null, listId: null });
    const o1 = seriesWith(s, 'bob:x', 1, ['z@x']).rev;
    expect(o1.seriesId).toBe(other.id);
    expect(() => s.series.supersede(v2.id, o1.id)).toThrow(/different series/);
    expect(() => s.series.addRevision(999, { ...v2, revision: 3 })).toThrow(/no series 999/);
    expect(() => s.series.addRevision(a.id, { ...v2, revision: 0 })).toThrow(StoreError);
    expect(s.series.latestRevision(12345)).toBeNull();
  });

  it('records follow-ups per revision, once each', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    const { rev } = seriesWith(s, 'frob', 1, ['p1@x']);
    expect(s.series.addFollowUp(rev.id, 'r1@x', 'ann@x', null)).toBe(true);
    c.advance(5000);
    expect(
      s.series.addFollowUp(rev.id, 'r2@x', 'maint@x', 'kapi-review: ignore kapi-errno-alias EAGAIN'),
    ).toBe(true);
    expect(s.series.addFollowUp(rev.id, 'r1@x', 'ann@x', null)).toBe(false);
    expect(s.series.followUps(rev.id)).toEqual([
      {
        revisionId: rev.id,
        messageId: 'r1@x',
        from: 'ann@x',
        commandText: null,
        recordedAt: '2026-03-02T10:00:00.000Z',
      },
      {
        revisionId: rev.id,
        messageId: 'r2@x',
        from: 'maint@x',
        commandText: 'kapi-review: ignore kapi-errno-alias EAGAIN',
        recordedAt: '2026-03-02T10:00:05.000Z',
      },
    ]);
    expect(() => s.series.addFollowUp(777, 'r3@x', 'x', null)).toThrow(/no revision 777/);
  });
});

describe('store: findings and their history across revisions', () => {
  it('stores findings as JSON with indexed columns, and a re-review replaces them', () => {
    const path = join(tempDir(), 'state.db');
    const s = open(path);
    const { rev } = seriesWith(s, 'frob', 1, ['p1@x', 'p2@x']);
    const f1 = finding('fp1', { messageId: 'p1@x', severity: 'error' });
    const f2 = finding('fp2', {
      messageId: 'p2@x',
      suggestion: ' *   error: EPERM, ...',
    } as Partial<Finding>);
    s.findings.record(rev.id, [f1, f2]);
    expect(s.findings.ofRevision(rev.id).map((f) => [f.patchMessageId, f.finding])).toEqual([
      ['p1@x', f1],
      ['p2@x', f2],
    ]);
    const db = raw(path);
    expect(
      db
        .prepare('SELECT fingerprint, check_id, severity, spec, path, line, patch_message_id FROM findings')
        .all(),
    ).toEqual([
      {
        fingerprint: 'fp1',
        check_id: 'kapi-error-undocumented',
        severity: 'error',
        spec: 'sys_mlock',
        path: 'mm/mlock.c',
        line: 10,
        patch_message_id: 'p1@x',
      },
      expect.objectContaining({ fingerprint: 'fp2', patch_message_id: 'p2@x' }),
    ]);
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM findings WHERE fingerprint = 'fp1'").all() as {
      detail: string;
    }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX findings_fingerprint/);
    db.close();

    s.findings.record(rev.id, [f2]);
    expect(s.findings.ofRevision(rev.id).map((f) => f.finding.fingerprint)).toEqual(['fp2']);
    expect(() => s.findings.record(rev.id, [{ ...f1, severity: 'fatal' as Severity }])).toThrow(
      /unknown severity/,
    );
    // the failed call changed nothing
    expect(s.findings.ofRevision(rev.id).map((f) => f.finding.fingerprint)).toEqual(['fp2']);
  });

  it('says per fingerprint: new in vN, still present since vM, fixed in vN', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    const ser = s.series.upsert({ lineage: 'ann:frob', title: 'frob', author: 'ann@x', listId: 'linux-mm' });
    const rev = (n: number) =>
      s.series.addRevision(ser.id, {
        revision: n,
        coverMessageId: null,
        patchMessageIds: [`v${n}p1@x`],
        state: 'complete',
        stateDetail: null,
        baseCommit: null,
        changeId: null,
      });
    // A: v1 v2 v3 · B: v2 v3 · C: v1 only · D: v1 v2 · E: v3 only · F: v1, gone in v2, back in v3
    const v1 = rev(1);
    s.findings.record(
      v1.id,
      ['A', 'C', 'D', 'F'].map((fp) => finding(fp, { messageId: 'v1p1@x' })),
    );
    const v2 = rev(2);
    s.findings.record(
      v2.id,
      ['A', 'B', 'D'].map((fp) => finding(fp, { messageId: 'v2p1@x' })),
    );
    const v3 = rev(3);
    s.findings.record(v3.id, [
      finding('A', { messageId: 'v3p1@x', at: { path: 'mm/mlock.c', line: 40 } }),
      finding('A', { messageId: 'v3p1@x', at: { path: 'mm/mlock.c', line: 90 } }),
      finding('B', { messageId: 'v3p1@x' }),
      finding('E', { messageId: 'v3p1@x' }),
      finding('F', { messageId: 'v3p1@x' }),
    ]);

    const h1 = s.findings.history(ser.id, 1);
    expect(h1.previous).toBeNull();
    expect(h1.entries.map((e) => [e.fingerprint, e.status, e.since])).toEqual([
      ['A', 'new', 1],
      ['C', 'new', 1],
      ['D', 'new', 1],
      ['F', 'new', 1],
    ]);
    expect(h1.fixed).toEqual([]);

    const h2 = s.findings.history(ser.id, 2);
    expect(h2.previous).toBe(1);
    expect(h2.entries.map((e) => [e.fingerprint, e.status, e.since])).toEqual([
      ['A', 'still', 1],
      ['B', 'new', 2],
      ['D', 'still', 1],
    ]);
    expect(h2.fixed.map((f) => [f.fingerprint, f.since, f.finding.patchMessageId])).toEqual([
      ['C', 1, 'v1p1@x'],
      ['F', 1, 'v1p1@x'],
    ]);

    const h3 = s.findings.history(ser.id, 3);
    expect(h3.previous).toBe(2);
    expect(h3.entries.map((e) => [e.fingerprint, e.status, e.since, e.firstSeen, e.findings.length])).toEqual(
      [
        ['A', 'still', 1, 1, 2],
        ['B', 'still', 2, 2, 1],
        ['E', 'new', 3, 3, 1],
        ['F', 'new', 3, 1, 1],
      ],
    );
    expect(h3.fixed.map((f) => [f.fingerprint, f.since])).toEqual([['D', 1]]);
    expect(h3.entries[0]?.findings.map((f) => f.finding.at.line)).toEqual([40, 90]);

    // v4 is superseded before any review: v5 is compared with v3, the last reviewed revision
    const v4 = rev(4);
    const v5 = rev(5);
    s.series.supersede(v4.id, v5.id);
    expect(() => s.findings.history(ser.id, 4)).toThrow(/no review recorded for v4/);
    s.findings.record(v5.id, [finding('B'), finding('E')]);
    const h5 = s.findings.history(ser.id, 5);
    expect(h5.previous).toBe(3);
    expect(h5.entries.map((e) => [e.fingerprint, e.status, e.since])).toEqual([
      ['B', 'still', 2],
      ['E', 'still', 3],
    ]);
    expect(h5.fixed.map((f) => [f.fingerprint, f.since])).toEqual([
      ['A', 1],
      ['F', 3],
    ]);
    expect(() => s.findings.history(ser.id, 9)).toThrow(/has no revision v9/);
  });
});

describe('store: ignores and mutes', () => {
  it('matches ignores by scope, check and subject', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    const { series } = seriesWith(s, 'frob', 1, ['p1@x']);
    const other = seriesWith(s, 'other', 1, ['o1@x'], 'netdev@vger.example.org').series;
    expect(
      s.policy.addIgnore({
        scope: { kind: 'series', seriesId: series.id },
        check: 'kapi-errno-alias',
        subject: null,
        by: 'a@x',
      }),
    ).toBe(true);
    expect(
      s.policy.addIgnore({
        scope: { kind: 'series', seriesId: series.id },
        check: 'kapi-errno-alias',
        subject: null,
        by: 'b@x',
      }),
    ).toBe(false);
    s.policy.addIgnore({
      scope: { kind: 'list', listId: 'netdev@vger.example.org' },
      check: 'kapi-error-undocumented',
      subject: 'EAGAIN',
      by: 'maint@x',
      at: '2026-03-01T08:00:00Z',
    });
    s.policy.addIgnore({ scope: { kind: 'global' }, check: 'kapi-deprecated-form', subject: '', by: 'op@x' });

    expect(
      s.policy.isIgnored({ check: 'kapi-errno-alias', subject: 'EWOULDBLOCK', seriesId: series.id }),
    ).toBe(true);
    expect(
      s.policy.isIgnored({ check: 'kapi-errno-alias', subject: 'EWOULDBLOCK', seriesId: other.id }),
    ).toBe(false);
    expect(
      s.policy.isIgnored({
        check: 'kapi-error-undocumented',
        subject: 'EAGAIN',
        listId: 'NETDEV@vger.example.org',
      }),
    ).toBe(true);
    expect(
      s.policy.isIgnored({
        check: 'kapi-error-undocumented',
        subject: 'EPERM',
        listId: 'netdev@vger.example.org',
      }),
    ).toBe(false);
    expect(
      s.policy.isIgnored({
        check: 'kapi-error-undocumented',
        subject: 'EAGAIN',
        listId: 'linux-mm@kvack.example.org',
      }),
    ).toBe(false);
    expect(s.policy.isIgnored({ check: 'kapi-deprecated-form', subject: 'anything' })).toBe(true);
    expect(s.policy.isIgnored({ check: 'kapi-deprecated-form' })).toBe(true);
    expect(s.policy.ignores().map((i) => [i.scope.kind, i.check, i.subject, i.at])).toEqual([
      ['list', 'kapi-error-undocumented', 'EAGAIN', '2026-03-01T08:00:00.000Z'],
      ['series', 'kapi-errno-alias', null, c.iso()],
      ['global', 'kapi-deprecated-form', null, c.iso()],
    ]);
  });

  it('mutes a series or a list', () => {
    const s = open(join(tempDir(), 'state.db'));
    const { series } = seriesWith(s, 'frob', 1, ['p1@x']);
    expect(s.policy.isMuted({ seriesId: series.id, listId: 'linux-mm@kvack.example.org' })).toBe(false);
    expect(s.policy.mute({ kind: 'series', seriesId: series.id }, 'ann@x')).toBe(true);
    expect(s.policy.mute({ kind: 'series', seriesId: series.id }, 'ann@x')).toBe(false);
    expect(s.policy.isMuted({ seriesId: series.id })).toBe(true);
    expect(s.policy.isMuted({ seriesId: series.id + 1, listId: 'linux-mm@kvack.example.org' })).toBe(false);
    s.policy.mute({ kind: 'list', listId: 'Linux MM <LINUX-MM@kvack.example.org>' }, 'op@x');
    expect(s.policy.isMuted({ seriesId: series.id + 1, listId: 'linux-mm@kvack.example.org' })).toBe(true);
    expect(s.policy.unmute({ kind: 'list', listId: 'linux-mm@kvack.example.org' })).toBe(true);
    expect(s.policy.isMuted({ listId: 'linux-mm@kvack.example.org' })).toBe(false);
    expect(s.policy.mutes().map((m) => m.target)).toEqual([{ kind: 'series', seriesId: series.id }]);
  });
});

describe('store: cursors', () => {
  it('keeps cursors across reopening', () => {
    const path = join(tempDir(), 'state.db');
    const a = open(path);
    expect(a.cursors.get('lore:linux-mm')).toBeNull();
    a.cursors.set('lore:linux-mm', '2026-03-02T10:00:00Z <m@x>');
    a.cursors.set('imap:INBOX', '17');
    a.cursors.set('imap:INBOX', '18');
    a.close();
    const b = open(path);
    expect(b.cursors.get('lore:linux-mm')).toBe('2026-03-02T10:00:00Z <m@x>');
    expect(b.cursors.get('imap:INBOX')).toBe('18');
  });
});

describe('store: raw mail', () => {
  it('keeps the bytes of each message across reopening, once, until the message is processed', () => {
    const c = clock();
    const path = join(tempDir(), 'state.db');
    const a = open(path, c);
    // bytes that are not UTF-8 (a latin-1 body, a NUL) must come back unchanged
    const p1 = Buffer.concat([
      Buffer.from('Message-ID: <p1@x>\r\n\r\nna\xefve'),
      Buffer.from([0, 0xff, 0xe9]),
    ]);
    const p2 = Buffer.from('Message-ID: <p2@x>\n\nsecond\n');
    expect(a.messages.saveRaw('p1@x', 'imap', p1)).toBe(true);
    c.advance(1000);
    expect(a.messages.saveRaw('p2@x', 'lore', p2)).toBe(true);
    // the first copy stays
    expect(a.messages.saveRaw('p1@x', 'imap', Buffer.from('other'))).toBe(false);
    expect(() => a.messages.saveRaw('', 'imap', p1)).toThrow(StoreError);
    expect(() => a.messages.saveRaw('p3@x', 'imap', p1, 'yesterday-ish')).toThrow(/not a time/);
    a.close();

    const b = open(path, c);
    const got = b.messages.raw('p1@x');
    expect(got?.source).toBe('imap');
    expect(got?.receivedAt).toBe('2026-03-02T10:00:00.000Z');
    expect(Buffer.compare(got?.raw as Buffer, p1)).toBe(0);
    expect(b.messages.raw('nope@x')).toBeNull();
    expect(b.messages.rawSince('2026-03-02T10:00:00.500Z').map((r) => r.messageId)).toEqual(['p2@x']);
    expect(b.messages.rawSince('2026-03-02T09:00:00Z').map((r) => r.messageId)).toEqual(['p1@x', 'p2@x']);

    // processed messages drop out of rawUnprocessed; never-seen ones stay in it
    b.messages.markSeen('p1@x', 'imap');
    b.messages.markSeen('p2@x', 'lore');
    b.messages.markProcessed('p1@x');
    expect(b.messages.rawUnprocessed().map((r) => r.messageId)).toEqual(['p2@x']);
    expect(b.messages.saveRaw('p4@x', 'imap', Buffer.from('x'))).toBe(true);
    expect(b.messages.rawUnprocessed().map((r) => r.messageId)).toEqual(['p2@x', 'p4@x']);
  });

  it('adds the raw mail table to a file made before it (migration 4)', () => {
    const path = join(tempDir(), 'state.db');
    const old = open(path, clock(), MIGRATIONS.slice(0, 3));
    old.messages.markSeen('m@x', 'imap');
    old.close();
    const s = open(path);
    expect(s.messages.isSeen('m@x')).toBe(true);
    expect(s.messages.saveRaw('m@x', 'imap', Buffer.from('hello'))).toBe(true);
    expect(s.messages.raw('m@x')?.raw.toString()).toBe('hello');
    const db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });
});

describe('store: opened by a reader (readonly)', () => {
  const reader = (path: string) => Store.open({ path, now: clock().now, readonly: true });

  it('reads an existing state file and writes nothing to it', () => {
    const path = join(tempDir(), 'state.db');
    const w = open(path);
    const { series } = seriesWith(w, 'frob', 1, ['p1@example.org']);
    const r = reader(path);
    try {
      expect(r.series.byId(series.id)?.lineage).toBe('frob');
      expect(() => r.messages.markSeen('m@x', 'imap')).toThrow(/readonly/);
      // the writer's later work is visible to the reader
      seriesWith(w, 'other', 1, ['p2@example.org']);
      expect(new DashboardQueries(r).listSeries({ limit: 10 }).total).toBe(2);
    } finally {
      r.close();
      w.close();
    }
  });

  it('refuses a missing path, and creates neither the file nor its directory', () => {
    const dir = tempDir();
    const path = join(dir, 'sub', 'state.db');
    expect(() => reader(path)).toThrow(/state\.db does not exist \(the bot writes it/);
    expect(existsSync(join(dir, 'sub'))).toBe(false);
  });

  it('refuses a directory, an empty file, a file of garbage and another program’s SQLite file, by name', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'empty.db'), '');
    writeFileSync(join(dir, 'garbage.db'), 'not sqlite at all\n'.repeat(500));
    const other = new Database(join(dir, 'other.db'));
    other.exec('CREATE TABLE t (a)');
    other.close();
    const cases: [string, RegExp][] = [
      ['folder', /folder is a directory, not a state file/],
      ['empty.db', /empty\.db is empty, not a kapi-review state file/],
      ['garbage.db', /garbage\.db is not a kapi-review state file: file is not a database/],
      ['other.db', /other\.db is an SQLite file but not a kapi-review state file/],
    ];
    for (const [name, msg] of cases) {
      expect(() => reader(join(dir, name)), name).toThrow(StoreError);
      expect(() => reader(join(dir, name)), name).toThrow(msg);
    }
  });

  it('refuses a file of an older schema instead of migrating it', () => {
    const path = join(tempDir(), 'state.db');
    open(path, clock(), MIGRATIONS.slice(0, 1)).close();
    expect(() => reader(path)).toThrow(
      new RegExp(`schema version 1, older than this kapi-review reads \\(${MIGRATIONS.length}\\)`),
    );
    const db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
  });
});
