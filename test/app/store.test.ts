import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_ID, defaultStorePath, MIGRATIONS, StoreError } from '../../app/store/db.js';
import { Store } from '../../app/store/store.js';
import type { Finding, Severity } from '../../checks/types.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';
import { senderSuite } from '../helpers/sender-suite.js';

const root = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
const stores: Store[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kapi-store-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A clock the test moves by hand. */
function clock(start = '2026-03-02T10:00:00.000Z') {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
    iso: () => new Date(t).toISOString(),
  };
}

function open(path: string, c = clock(), migrations?: typeof MIGRATIONS): Store {
  const s = Store.open({ path, now: c.now, ...(migrations ? { migrations } : {}) });
  stores.push(s);
  return s;
}

function raw(path: string): Database.Database {
  return new Database(path);
}

function finding(fingerprint: string, opts: Partial<Finding> & { messageId?: string } = {}): Finding {
  return {
    check: opts.check ?? 'kapi-error-undocumented',
    severity: opts.severity ?? 'warning',
    message: opts.message ?? `problem ${fingerprint}`,
    at: { path: 'mm/mlock.c', line: opts.at?.line ?? 10, messageId: opts.messageId ?? 'p1@example.org' },
    spec: opts.spec ?? 'sys_mlock',
    subject: opts.subject ?? fingerprint.toUpperCase(),
    evidence: [{ path: 'mm/mlock.c', line: 12, text: 'return -EPERM;', kind: 'code' }],
    fingerprint,
  };
}

function mail(
  key: string,
  about = 'p1@example.org',
  opts: { text?: string; cc?: string[]; to?: string[] } = {},
): OutgoingMail {
  const text = opts.text ?? 'hello';
  return {
    key,
    from: 'kapi-review <bot@example.org>',
    to: opts.to ?? ['Ann Author <ann@example.org>'],
    cc: opts.cc ?? ['linux-mm@kvack.example.org'],
    subject: 'Re: [PATCH 1/2] mm: frob',
    messageId: `${key}@kapi-review.example.org`,
    inReplyTo: about,
    references: [about],
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Mailer': 'kapi-review' },
    text,
    about: { messageId: about, fingerprints: ['fp1'] },
  };
}

function seriesWith(
  store: Store,
  lineage: string,
  revision: number,
  patches: string[],
  listId = 'linux-mm@kvack.example.org',
) {
  const s = store.upsertSeries({
    lineage,
    title: `frob ${lineage}`,
    author: 'Ann <ann@example.org>',
    listId,
  });
  const r = store.addRevision(s.id, {
    revision,
    coverMessageId: `${lineage}-v${revision}-cover@example.org`,
    patchMessageIds: patches,
    state: 'complete',
    stateDetail: null,
    baseCommit: 'abc123',
    changeId: null,
  });
  return { series: s, rev: r };
}

describe('store: opening and migrations', () => {
  it('creates a fresh file at the newest version, in WAL mode, marked as kapi-review state', () => {
    const c = clock();
    const path = join(tempDir(), 'state.db');
    const s = open(path, c);
    expect(s.markSeen('m1@x', 'imap', null)).toBe(true);
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
    old.recordFindings(rev.id, [finding('fp-a')]);
    old.close();
    let db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'outbox'").pluck().get()).toBe(0);
    db.close();

    const c = clock('2026-04-01T00:00:00.000Z');
    const s = open(path, c);
    expect(s.getSeries(series.id)?.lineage).toBe('frob');
    expect(s.findings(rev.id).map((f) => f.finding.fingerprint)).toEqual(['fp-a']);
    // the tables of the later migrations now work
    expect(s.enqueue(mail('k1')).state).toBe('pending');
    s.set('imap:INBOX', '42');
    expect(s.get('imap:INBOX')).toBe('42');
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
    expect(open(path).isSeen('x')).toBe(false);
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
    open(deep).markSeen('m@x', 'lore');
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
    s.set('c', 'v');
    expect(s.get('c')).toBe('v');
  });
});

describe('store: messages seen and processed', () => {
  it('records each message once, with the clock time and its info', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    expect(s.markSeen('m1@x', 'imap:INBOX', { uid: 7 })).toBe(true);
    c.advance(1000);
    expect(s.markSeen('m1@x', 'lore', { other: true })).toBe(false);
    expect(s.isSeen('m1@x')).toBe(true);
    expect(s.isSeen('m2@x')).toBe(false);
    s.markSeen('z@x', 'imap');
    s.markSeen('a@x', 'imap'); // same clock time: arrival order is kept
    expect(s.unprocessed().map((m) => m.messageId)).toEqual(['m1@x', 'z@x', 'a@x']);
    expect(s.seen('m1@x')).toEqual({
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
      s.markSeen(m, 'imap');
      c.advance(1000);
    }
    const { rev } = seriesWith(s, 'frob', 1, ['p1@x', 'p2@x']);
    expect(() => s.markProcessed('p1@x')).toThrow(/no review recorded for v1 of frob/);
    expect(() => s.markProcessed('frob-v1-cover@example.org')).toThrow(StoreError);
    expect(() => s.markProcessed('never@x')).toThrow(/never marked seen/);
    // a mail outside any revision (a reply, bad mail) can be processed at once
    s.markProcessed('reply@x');
    expect(s.unprocessed().map((m) => m.messageId)).toEqual(['p1@x', 'p2@x', 'frob-v1-cover@example.org']);

    s.recordFindings(rev.id, []);
    c.advance(1000);
    s.markProcessed('p1@x');
    s.markProcessed('p1@x'); // again: nothing changes
    expect(s.seen('p1@x')?.processedAt).toBe(c.iso());
    expect(s.unprocessed().map((m) => m.messageId)).toEqual(['p2@x', 'frob-v1-cover@example.org']);
  });

  it('lets the patches of a superseded or corrupted revision be processed without a review', () => {
    const s = open(join(tempDir(), 'state.db'));
    s.markSeen('a1@x', 'lore');
    s.markSeen('c1@x', 'lore');
    const ser = s.upsertSeries({ lineage: 'l', title: 't', author: null, listId: null });
    const base = { coverMessageId: null, stateDetail: null, baseCommit: null, changeId: null };
    const v1 = s.addRevision(ser.id, { ...base, revision: 1, patchMessageIds: ['a1@x'], state: 'complete' });
    const v2 = s.addRevision(ser.id, { ...base, revision: 2, patchMessageIds: ['b1@x'], state: 'complete' });
    expect(() => s.markProcessed('a1@x')).toThrow(StoreError);
    s.supersede(v1.id, v2.id);
    s.markProcessed('a1@x');
    const other = s.upsertSeries({ lineage: 'm', title: 't', author: null, listId: null });
    s.addRevision(other.id, {
      ...base,
      revision: 1,
      patchMessageIds: ['c1@x'],
      state: 'corrupted',
      stateDetail: 'patch 1/1 has no diff',
    });
    s.markProcessed('c1@x');
    expect(s.unprocessed()).toEqual([]);
  });
});

describe('store: series, revisions, follow-ups', () => {
  it('upserts a series by lineage and records revisions, updating one whose patches arrived late', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    const a = s.upsertSeries({
      lineage: 'ann:frob',
      title: 'mm: frob',
      author: 'ann@x',
      listId: 'Linux MM <Linux-MM@kvack.example.org>',
    });
    const b = s.upsertSeries({
      lineage: 'ann:frob',
      title: 'mm: frob the pages',
      author: null,
      listId: null,
    });
    expect(b.id).toBe(a.id);
    expect(s.seriesByLineage('ann:frob')?.id).toBe(a.id);
    expect(s.seriesByLineage('nobody')).toBeNull();
    expect(b).toMatchObject({
      title: 'mm: frob the pages',
      author: 'ann@x',
      listId: 'linux-mm@kvack.example.org',
    });

    const v1 = s.addRevision(a.id, {
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
    const again = s.addRevision(a.id, {
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

    const v2 = s.addRevision(a.id, {
      revision: 2,
      coverMessageId: null,
      patchMessageIds: ['q1@x'],
      state: 'complete',
      stateDetail: null,
      baseCommit: null,
      changeId: 'frob-1',
    });
    expect(v2.receivedAt).toBe(c.iso());
    expect(s.latestRevision(a.id)?.id).toBe(v2.id);
    s.supersede(v1.id, v2.id);
    expect(s.getRevision(v1.id)?.supersededBy).toBe(v2.id);
    expect(s.revisions(a.id).map((r) => r.revision)).toEqual([1, 2]);
    expect(s.revisionsOfMessage('p2@x').map((r) => r.id)).toEqual([v1.id]);
    expect(s.revisionsOfMessage('c@x').map((r) => r.id)).toEqual([v1.id]);

    const other = s.upsertSeries({ lineage: 'bob:x', title: 'x', author: null, listId: null });
    const o1 = seriesWith(s, 'bob:x', 1, ['z@x']).rev;
    expect(o1.seriesId).toBe(other.id);
    expect(() => s.supersede(v2.id, o1.id)).toThrow(/different series/);
    expect(() => s.addRevision(999, { ...v2, revision: 3 })).toThrow(/no series 999/);
    expect(() => s.addRevision(a.id, { ...v2, revision: 0 })).toThrow(StoreError);
    expect(s.latestRevision(12345)).toBeNull();
  });

  it('records follow-ups per revision, once each', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    const { rev } = seriesWith(s, 'frob', 1, ['p1@x']);
    expect(s.addFollowUp(rev.id, 'r1@x', 'ann@x', null)).toBe(true);
    c.advance(5000);
    expect(s.addFollowUp(rev.id, 'r2@x', 'maint@x', 'kapi-review: ignore kapi-errno-alias EAGAIN')).toBe(
      true,
    );
    expect(s.addFollowUp(rev.id, 'r1@x', 'ann@x', null)).toBe(false);
    expect(s.followUps(rev.id)).toEqual([
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
    expect(() => s.addFollowUp(777, 'r3@x', 'x', null)).toThrow(/no revision 777/);
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
    s.recordFindings(rev.id, [f1, f2]);
    expect(s.findings(rev.id).map((f) => [f.patchMessageId, f.finding])).toEqual([
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

    s.recordFindings(rev.id, [f2]);
    expect(s.findings(rev.id).map((f) => f.finding.fingerprint)).toEqual(['fp2']);
    expect(() => s.recordFindings(rev.id, [{ ...f1, severity: 'fatal' as Severity }])).toThrow(
      /unknown severity/,
    );
    // the failed call changed nothing
    expect(s.findings(rev.id).map((f) => f.finding.fingerprint)).toEqual(['fp2']);
  });

  it('says per fingerprint: new in vN, still present since vM, fixed in vN', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    const ser = s.upsertSeries({ lineage: 'ann:frob', title: 'frob', author: 'ann@x', listId: 'linux-mm' });
    const rev = (n: number) =>
      s.addRevision(ser.id, {
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
    s.recordFindings(
      v1.id,
      ['A', 'C', 'D', 'F'].map((fp) => finding(fp, { messageId: 'v1p1@x' })),
    );
    const v2 = rev(2);
    s.recordFindings(
      v2.id,
      ['A', 'B', 'D'].map((fp) => finding(fp, { messageId: 'v2p1@x' })),
    );
    const v3 = rev(3);
    s.recordFindings(v3.id, [
      finding('A', { messageId: 'v3p1@x', at: { path: 'mm/mlock.c', line: 40 } }),
      finding('A', { messageId: 'v3p1@x', at: { path: 'mm/mlock.c', line: 90 } }),
      finding('B', { messageId: 'v3p1@x' }),
      finding('E', { messageId: 'v3p1@x' }),
      finding('F', { messageId: 'v3p1@x' }),
    ]);

    const h1 = s.history(ser.id, 1);
    expect(h1.previous).toBeNull();
    expect(h1.entries.map((e) => [e.fingerprint, e.status, e.since])).toEqual([
      ['A', 'new', 1],
      ['C', 'new', 1],
      ['D', 'new', 1],
      ['F', 'new', 1],
    ]);
    expect(h1.fixed).toEqual([]);

    const h2 = s.history(ser.id, 2);
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

    const h3 = s.history(ser.id, 3);
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
    s.supersede(v4.id, v5.id);
    expect(() => s.history(ser.id, 4)).toThrow(/no review recorded for v4/);
    s.recordFindings(v5.id, [finding('B'), finding('E')]);
    const h5 = s.history(ser.id, 5);
    expect(h5.previous).toBe(3);
    expect(h5.entries.map((e) => [e.fingerprint, e.status, e.since])).toEqual([
      ['B', 'still', 2],
      ['E', 'still', 3],
    ]);
    expect(h5.fixed.map((f) => [f.fingerprint, f.since])).toEqual([
      ['A', 1],
      ['F', 3],
    ]);
    expect(() => s.history(ser.id, 9)).toThrow(/has no revision v9/);
  });
});

describe('store: ignores and mutes', () => {
  it('matches ignores by scope, check and subject', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    const { series } = seriesWith(s, 'frob', 1, ['p1@x']);
    const other = seriesWith(s, 'other', 1, ['o1@x'], 'netdev@vger.example.org').series;
    expect(
      s.addIgnore({
        scope: { kind: 'series', seriesId: series.id },
        check: 'kapi-errno-alias',
        subject: null,
        by: 'a@x',
      }),
    ).toBe(true);
    expect(
      s.addIgnore({
        scope: { kind: 'series', seriesId: series.id },
        check: 'kapi-errno-alias',
        subject: null,
        by: 'b@x',
      }),
    ).toBe(false);
    s.addIgnore({
      scope: { kind: 'list', listId: 'netdev@vger.example.org' },
      check: 'kapi-error-undocumented',
      subject: 'EAGAIN',
      by: 'maint@x',
      at: '2026-03-01T08:00:00Z',
    });
    s.addIgnore({ scope: { kind: 'global' }, check: 'kapi-deprecated-form', subject: '', by: 'op@x' });

    expect(s.isIgnored({ check: 'kapi-errno-alias', subject: 'EWOULDBLOCK', seriesId: series.id })).toBe(
      true,
    );
    expect(s.isIgnored({ check: 'kapi-errno-alias', subject: 'EWOULDBLOCK', seriesId: other.id })).toBe(
      false,
    );
    expect(
      s.isIgnored({ check: 'kapi-error-undocumented', subject: 'EAGAIN', listId: 'NETDEV@vger.example.org' }),
    ).toBe(true);
    expect(
      s.isIgnored({ check: 'kapi-error-undocumented', subject: 'EPERM', listId: 'netdev@vger.example.org' }),
    ).toBe(false);
    expect(
      s.isIgnored({
        check: 'kapi-error-undocumented',
        subject: 'EAGAIN',
        listId: 'linux-mm@kvack.example.org',
      }),
    ).toBe(false);
    expect(s.isIgnored({ check: 'kapi-deprecated-form', subject: 'anything' })).toBe(true);
    expect(s.isIgnored({ check: 'kapi-deprecated-form' })).toBe(true);
    expect(s.ignores().map((i) => [i.scope.kind, i.check, i.subject, i.at])).toEqual([
      ['list', 'kapi-error-undocumented', 'EAGAIN', '2026-03-01T08:00:00.000Z'],
      ['series', 'kapi-errno-alias', null, c.iso()],
      ['global', 'kapi-deprecated-form', null, c.iso()],
    ]);
  });

  it('mutes a series or a list', () => {
    const s = open(join(tempDir(), 'state.db'));
    const { series } = seriesWith(s, 'frob', 1, ['p1@x']);
    expect(s.isMuted({ seriesId: series.id, listId: 'linux-mm@kvack.example.org' })).toBe(false);
    expect(s.mute({ kind: 'series', seriesId: series.id }, 'ann@x')).toBe(true);
    expect(s.mute({ kind: 'series', seriesId: series.id }, 'ann@x')).toBe(false);
    expect(s.isMuted({ seriesId: series.id })).toBe(true);
    expect(s.isMuted({ seriesId: series.id + 1, listId: 'linux-mm@kvack.example.org' })).toBe(false);
    s.mute({ kind: 'list', listId: 'Linux MM <LINUX-MM@kvack.example.org>' }, 'op@x');
    expect(s.isMuted({ seriesId: series.id + 1, listId: 'linux-mm@kvack.example.org' })).toBe(true);
    expect(s.unmute({ kind: 'list', listId: 'linux-mm@kvack.example.org' })).toBe(true);
    expect(s.isMuted({ listId: 'linux-mm@kvack.example.org' })).toBe(false);
    expect(s.mutes().map((m) => m.target)).toEqual([{ kind: 'series', seriesId: series.id }]);
  });
});

describe('store: outbox', () => {
  it('enqueues once per key, linked to the revision the mail is about', () => {
    const s = open(join(tempDir(), 'state.db'));
    const { rev } = seriesWith(s, 'frob', 1, ['p1@example.org'], 'linux-mm@kvack.example.org');
    const a = s.enqueue(mail('review:p1:abc'));
    const b = s.enqueue(mail('review:p1:abc', 'p1@example.org', { text: 'a different text' }));
    expect(b).toEqual(a);
    expect(a).toEqual({
      id: a.id,
      mail: mail('review:p1:abc'),
      state: 'pending',
      attempts: 0,
      lastError: null,
      sentInfo: null,
    });
    expect(s.outboxList()).toHaveLength(1);
    expect(s.outboxList()[0]).toMatchObject({
      revisionId: rev.id,
      recipients: ['ann@example.org', 'linux-mm@kvack.example.org'],
    });
    const loose = s.enqueue(mail('k2', 'unknown@x'));
    expect(s.outboxList().find((r) => r.id === loose.id)?.revisionId).toBeNull();
    expect(() => s.enqueue(mail(''))).toThrow(/mail.key must be a non-empty string/);
  });

  it('walks entries through sending, sent, failed and retry; counts sent mail for daily caps', () => {
    const c = clock('2026-03-02T23:59:00.000Z');
    const s = open(join(tempDir(), 'state.db'), c);
    seriesWith(s, 'frob', 1, ['p1@example.org', 'p2@example.org']);
    const mm = 'linux-mm@kvack.example.org';
    const [k1, k2, k3, k4] = ['k1', 'k2', 'k3', 'k4'].map((k) => s.enqueue(mail(k, 'p1@example.org')).id) as [
      number,
      number,
      number,
      number,
    ];
    // for netdev: the list is in To, spelled with a name and in capitals
    const k5 = s.enqueue(mail('k5', 'x@x', { to: ['NetDev List <NETDEV@vger.example.org>'], cc: [] })).id;
    expect(s.claim(2).map((e) => [e.id, e.state, e.attempts])).toEqual([
      [k1, 'sending', 0],
      [k2, 'sending', 0],
    ]);
    s.markSent(k1, '250 OK id=1');
    c.advance(2 * 60_000); // past midnight
    s.markSent(k2, '250 OK id=2');
    s.markSent(k2, '250 OK again'); // a second record changes nothing
    expect(s.getOutboxEntry(k2)).toMatchObject({ state: 'sent', sentInfo: '250 OK id=2', attempts: 0 });

    expect(s.claim(10).map((e) => e.id)).toEqual([k3, k4, k5]);
    s.markFailed(k3, '451 try later', true);
    s.markFailed(k4, '550 no such user', false);
    s.markSent(k5, '250 OK id=5');
    expect(s.getOutboxEntry(k3)).toMatchObject({ state: 'pending', lastError: '451 try later', attempts: 1 });
    expect(s.getOutboxEntry(k4)).toMatchObject({
      state: 'failed',
      lastError: '550 no such user',
      attempts: 1,
    });
    expect(s.claim(10).map((e) => [e.id, e.attempts])).toEqual([[k3, 1]]);
    s.requeue(k3); // held back by policy: no attempt counted
    expect(s.getOutboxEntry(k3)).toMatchObject({ state: 'pending', attempts: 1 });
    s.claim(10);
    s.markFailed(k3, '421 closing', true);
    expect(s.getOutboxEntry(k3)).toMatchObject({ state: 'pending', attempts: 2, lastError: '421 closing' });

    expect(s.sentSince('2026-03-02T00:00:00Z')).toBe(3);
    expect(s.sentSince('2026-03-03T00:00:00Z')).toBe(2);
    expect(s.sentSince('2026-03-03T00:00:00Z', mm)).toBe(1);
    expect(s.sentSince('2026-03-03T00:00:00Z', 'LINUX-MM@kvack.example.org')).toBe(1);
    expect(s.sentSince('2026-03-03T00:00:00Z', 'netdev@vger.example.org')).toBe(1);
    expect(s.sentSince('2026-03-03T00:00:00Z', 'Netdev <netdev@VGER.example.org>')).toBe(1);
    expect(s.sentSince('2026-03-02T00:00:00Z', mm)).toBe(2);
    expect(s.sentSince('2026-03-02T00:00:00Z', 'ann@example.org')).toBe(2);
    expect(s.sentSince('2026-03-02T00:00:00Z', 'other@vger.example.org')).toBe(0);
    expect(s.sentSince('2026-03-03T00:01:00.000Z')).toBe(2); // the boundary counts
    expect(s.sentSince('2026-03-03T00:01:00.001Z')).toBe(0);
    expect(() => s.sentSince('yesterday')).toThrow(/not a time/);

    expect(() => s.markSent(k4, 'x')).toThrow(/is failed; it cannot become sent/);
    expect(() => s.requeue(k4)).toThrow(/is failed; it cannot become pending/);
    s.retryFailed(k4);
    expect(s.getOutboxEntry(k4)).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: '550 no such user',
    });
    expect(() => s.requeue(k1)).toThrow(/is sent; it cannot become pending/);
    expect(() => s.markFailed(k4, 'x', true)).toThrow(/is pending/);
    expect(() => s.markSent(9999, 'x')).toThrow(/no outbox entry 9999/);
    expect(s.claim(0)).toEqual([]);
  });

  it('after a crash between claim and record, stuck() shows the entry and claim() leaves it alone', () => {
    const path = join(tempDir(), 'state.db');
    const a = open(path);
    const e = a.enqueue(mail('k1'));
    a.enqueue(mail('k2'));
    expect(a.claim(1).map((x) => x.id)).toEqual([e.id]);
    a.close(); // no markSent: the process "died"

    const b = open(path);
    expect(b.stuck().map((x) => [x.id, x.state, x.mail.key])).toEqual([[e.id, 'sending', 'k1']]);
    expect(b.claim(10).map((x) => x.mail.key)).toEqual(['k2']);
    b.requeue(e.id);
    expect(b.stuck().map((x) => x.mail.key)).toEqual(['k2']);
    expect(b.claim(10).map((x) => [x.id, x.state])).toEqual([[e.id, 'sending']]);
  });

  it('two connections to one file never claim the same entry', () => {
    const path = join(tempDir(), 'state.db');
    const a = open(path);
    const b = open(path);
    for (let i = 0; i < 20; i++) a.enqueue(mail(`k${i}`));
    const got: number[] = [];
    for (;;) {
      const x = a.claim(3);
      const y = b.claim(2);
      if (x.length === 0 && y.length === 0) break;
      got.push(...x.map((e) => e.id), ...y.map((e) => e.id));
    }
    expect(got).toHaveLength(20);
    expect(new Set(got).size).toBe(20);
  });
});

describe('store: cursors', () => {
  it('keeps cursors across reopening', () => {
    const path = join(tempDir(), 'state.db');
    const a = open(path);
    expect(a.get('lore:linux-mm')).toBeNull();
    a.set('lore:linux-mm', '2026-03-02T10:00:00Z <m@x>');
    a.set('imap:INBOX', '17');
    a.set('imap:INBOX', '18');
    a.close();
    const b = open(path);
    expect(b.get('lore:linux-mm')).toBe('2026-03-02T10:00:00Z <m@x>');
    expect(b.get('imap:INBOX')).toBe('18');
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
    expect(a.saveRaw('p1@x', 'imap', p1)).toBe(true);
    c.advance(1000);
    expect(a.saveRaw('p2@x', 'lore', p2)).toBe(true);
    // the first copy stays
    expect(a.saveRaw('p1@x', 'imap', Buffer.from('other'))).toBe(false);
    expect(() => a.saveRaw('', 'imap', p1)).toThrow(StoreError);
    expect(() => a.saveRaw('p3@x', 'imap', p1, 'yesterday-ish')).toThrow(/not a time/);
    a.close();

    const b = open(path, c);
    const got = b.getRaw('p1@x');
    expect(got?.source).toBe('imap');
    expect(got?.receivedAt).toBe('2026-03-02T10:00:00.000Z');
    expect(Buffer.compare(got?.raw as Buffer, p1)).toBe(0);
    expect(b.getRaw('nope@x')).toBeNull();
    expect(b.rawSince('2026-03-02T10:00:00.500Z').map((r) => r.messageId)).toEqual(['p2@x']);
    expect(b.rawSince('2026-03-02T09:00:00Z').map((r) => r.messageId)).toEqual(['p1@x', 'p2@x']);

    // processed messages drop out of rawUnprocessed; never-seen ones stay in it
    b.markSeen('p1@x', 'imap');
    b.markSeen('p2@x', 'lore');
    b.markProcessed('p1@x');
    expect(b.rawUnprocessed().map((r) => r.messageId)).toEqual(['p2@x']);
    expect(b.saveRaw('p4@x', 'imap', Buffer.from('x'))).toBe(true);
    expect(b.rawUnprocessed().map((r) => r.messageId)).toEqual(['p2@x', 'p4@x']);
  });

  it('adds the raw mail table to a file made before it (migration 4)', () => {
    const path = join(tempDir(), 'state.db');
    const old = open(path, clock(), MIGRATIONS.slice(0, 3));
    old.markSeen('m@x', 'imap');
    old.close();
    const s = open(path);
    expect(s.isSeen('m@x')).toBe(true);
    expect(s.saveRaw('m@x', 'imap', Buffer.from('hello'))).toBe(true);
    expect(s.getRaw('m@x')?.raw.toString()).toBe('hello');
    const db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });
});

describe('store: listSeries for the dashboard', () => {
  it('pages, searches, and counts the latest revision findings and replies', () => {
    const c = clock();
    const s = open(join(tempDir(), 'state.db'), c);
    const made: number[] = [];
    for (let i = 1; i <= 5; i++) {
      c.advance(60_000);
      const ser = s.upsertSeries({
        lineage: `lin-${i}`,
        title: i === 3 ? 'mm: 100% faster mlock' : `mm: frob part ${i}`,
        author: i % 2 ? 'Ann <ann@example.org>' : 'Bob <bob@example.org>',
        listId: i < 5 ? 'linux-mm@kvack.example.org' : 'netdev@vger.example.org',
      });
      made.push(ser.id);
    }
    // series 2: v1 with 3 findings, v2 (latest) with 1 error + 2 info, two replies (one sent)
    c.advance(60_000);
    const base = {
      coverMessageId: null,
      state: 'complete' as const,
      stateDetail: null,
      baseCommit: null,
      changeId: null,
    };
    const v1 = s.addRevision(made[1] as number, { ...base, revision: 1, patchMessageIds: ['s2v1@x'] });
    s.recordFindings(v1.id, [finding('a'), finding('b'), finding('c')]);
    const v2 = s.addRevision(made[1] as number, {
      ...base,
      revision: 2,
      patchMessageIds: ['s2v2p1@x', 's2v2p2@x'],
    });
    s.recordFindings(v2.id, [
      finding('a', { severity: 'error', messageId: 's2v2p1@x' }),
      finding('d', { severity: 'info', messageId: 's2v2p2@x' }),
      finding('e', { severity: 'info', messageId: 's2v2p2@x' }),
    ]);
    s.enqueue(mail('r1', 's2v2p1@x'));
    s.enqueue(mail('r2', 's2v2p2@x'));
    s.enqueue(mail('old', 's2v1@x'));
    const [r1] = s.claim(1);
    s.markSent(r1?.id as number, 'ok');
    s.mute({ kind: 'list', listId: 'netdev@vger.example.org' }, 'op@x');

    const page1 = s.listSeries({ limit: 2, offset: 0 });
    expect(page1.total).toBe(5);
    // most recently active first: series 2 got revisions last
    expect(page1.items.map((i) => i.series.lineage)).toEqual(['lin-2', 'lin-5']);
    const two = page1.items[0];
    expect(two?.latest?.revision).toBe(2);
    expect(two?.revisions).toBe(2);
    expect(two?.findings).toEqual({ error: 1, warning: 0, info: 2 });
    expect(two?.replies).toEqual({ pending: 1, sending: 0, sent: 1, failed: 0 });
    expect(two?.replyStatus).toBe('pending');
    expect(page1.items[1]).toMatchObject({
      latest: null,
      revisions: 0,
      findings: { error: 0, warning: 0, info: 0 },
      replyStatus: 'none',
      muted: true,
    });
    expect(s.listSeries({ limit: 2, offset: 2 }).items.map((i) => i.series.lineage)).toEqual([
      'lin-4',
      'lin-3',
    ]);
    expect(s.listSeries({ limit: 2, offset: 4 }).items.map((i) => i.series.lineage)).toEqual(['lin-1']);
    expect(s.listSeries({ limit: 2, offset: 6 }).items).toEqual([]);

    expect(s.listSeries({ search: 'BOB@' }).items.map((i) => i.series.lineage)).toEqual(['lin-2', 'lin-4']);
    expect(s.listSeries({ search: '100%' }).items.map((i) => i.series.lineage)).toEqual(['lin-3']);
    expect(s.listSeries({ search: '%' }).total).toBe(1); // a literal percent sign, not a wildcard
    expect(s.listSeries({ search: 'part_' }).total).toBe(0); // a literal underscore
    expect(s.listSeries({ search: 'netdev' }).items.map((i) => i.series.lineage)).toEqual(['lin-5']);
    expect(s.listSeries({ search: "'; DROP TABLE series; --" }).total).toBe(0);
    expect(s.listSeries().total).toBe(5);
    expect(() => s.listSeries({ limit: 0 })).toThrow(StoreError);
  });
});

/**
 * Real concurrency: separate processes on one file. The store is compiled with the project's tsc
 * into a temp dir (vitest's transform is not available to child processes).
 */
describe('store: across processes', () => {
  let built = '';

  beforeAll(() => {
    built = mkdtempSync(join(tmpdir(), 'kapi-store-build-'));
    execFileSync(
      join(root, 'node_modules', '.bin', 'tsc'),
      [
        '--ignoreConfig',
        '--noCheck',
        '--outDir',
        built,
        '--rootDir',
        root,
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--skipLibCheck',
        '--types',
        'node',
        join(root, 'app', 'store', 'store.ts'),
      ],
      { cwd: root },
    );
    writeFileSync(join(built, 'package.json'), '{"type":"module"}\n');
    symlinkSync(join(root, 'node_modules'), join(built, 'node_modules'), 'dir');
    writeFileSync(
      join(built, 'worker.mjs'),
      `import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Store } from './app/store/store.js';
const [path, mode, go, ready] = process.argv.slice(2);
let tick = Date.parse('2026-03-02T10:00:00Z');
const store = Store.open({ path, now: () => new Date(tick++), busyTimeoutMs: 60000 });
if (mode === 'crash') {
  store.claim(1);
  process.kill(process.pid, 'SIGKILL');
}
(await import('node:fs')).writeFileSync(ready, '');
while (!existsSync(go)) await sleep(2);
const got = [];
for (;;) {
  const c = store.claim(2);
  if (c.length === 0) break;
  got.push(...c.map((e) => e.id));
  // a sender sends between claims; without a pause one process can starve the others of the lock
  await sleep(1);
}
store.close();
process.stdout.write(JSON.stringify(got));
`,
    );
    return () => rmSync(built, { recursive: true, force: true });
  });

  function run(args: string[]): Promise<{ code: number | null; signal: string | null; out: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [join(built, 'worker.mjs'), ...args], (err, stdout) => {
        const e = err as (Error & { code?: number; signal?: string }) | null;
        resolve({ code: e ? (e.code ?? null) : 0, signal: e?.signal ?? null, out: stdout });
      });
    });
  }

  it('four processes claiming at once never get the same entry', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.db');
    const s = open(path);
    const all = new Set<number>();
    for (let i = 0; i < 300; i++) all.add(s.enqueue(mail(`k${i}`)).id);
    const go = join(dir, 'go');
    const readies = [0, 1, 2, 3].map((i) => join(dir, `ready${i}`));
    const runs = readies.map((ready) => run([path, 'claim', go, ready]));
    const deadline = Date.now() + 30_000;
    while (!readies.every((r) => existsSync(r)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    mkdirSync(go);
    const results = await Promise.all(runs);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const per = results.map((r) => JSON.parse(r.out) as number[]);
    const claimed = per.flat();
    expect(claimed).toHaveLength(300);
    expect(new Set(claimed)).toEqual(all);
    // they did run side by side: more than one process got entries
    expect(per.filter((p) => p.length > 0).length).toBeGreaterThan(1);
    expect(s.stuck().map((e) => e.id)).toEqual([...all]);
  });

  it('a process killed after claiming leaves its entry in stuck()', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.db');
    const s = open(path);
    const e = s.enqueue(mail('k1'));
    s.enqueue(mail('k2'));
    s.close();
    const r = await run([path, 'crash', join(dir, 'go'), join(dir, 'ready')]);
    expect(r.signal).toBe('SIGKILL');
    const after = open(path);
    expect(after.stuck().map((x) => [x.id, x.state])).toEqual([[e.id, 'sending']]);
    expect(after.claim(5).map((x) => x.mail.key)).toEqual(['k2']);
  });
});

/**
 * The sender's own suite (test/helpers/sender-suite.ts: real smtp-server, policies, recovery, and
 * SIGKILLed child processes) with this store as the outbox. The child opens the store through a
 * module written here, in a temp dir, that imports app/store/store.ts by absolute path.
 */
const childDir = mkdtempSync(join(tmpdir(), 'kapi-store-child-'));
writeFileSync(
  join(childDir, 'open-store.ts'),
  `import { join } from 'node:path';
import { Store } from ${JSON.stringify(join(root, 'app', 'store', 'store.ts'))};
export function openOutbox(dir: string) {
  return Store.open({ path: join(dir, 'state.db'), now: () => new Date() });
}
`,
);
afterAll(() => rmSync(childDir, { recursive: true, force: true }));

senderSuite('the SQLite store', {
  open: (dir, now) => Store.open({ path: join(dir, 'state.db'), now }),
  close: (o) => (o as Store).close(),
  persistent: true,
  childModule: join(childDir, 'open-store.ts'),
});

describe('store: opened by a reader (readonly)', () => {
  const reader = (path: string) => Store.open({ path, now: clock().now, readonly: true });

  it('reads an existing state file and writes nothing to it', () => {
    const path = join(tempDir(), 'state.db');
    const w = open(path);
    const { series } = seriesWith(w, 'frob', 1, ['p1@example.org']);
    const r = reader(path);
    try {
      expect(r.getSeries(series.id)?.lineage).toBe('frob');
      expect(() => r.markSeen('m@x', 'imap')).toThrow(/readonly/);
      // the writer's later work is visible to the reader
      seriesWith(w, 'other', 1, ['p2@example.org']);
      expect(r.listSeries({ limit: 10 }).total).toBe(2);
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
