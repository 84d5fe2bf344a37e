import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DashboardQueries } from '../../app/dashboard/queries.js';
import type { RevisionInput } from '../../app/store/series.js';
import { Store, StoreError } from '../../app/store/store.js';
import type { Finding, Severity } from '../../checks/types.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';
import * as fx from '../helpers/store.js';

const fixtures = fx.storeFixtures();

/** The dashboard's read models (app/dashboard/queries.ts) and the revisions a digest reads, over a real store. */

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function clock(start: string) {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    set(iso: string) {
      t = Date.parse(iso);
    },
  };
}

function open(c: ReturnType<typeof clock>): Store {
  const d = mkdtempSync(join(tmpdir(), 'kapi-store-dash-'));
  dirs.push(d);
  const s = Store.open({ path: join(d, 'state.db'), now: c.now });
  stores.push(s);
  return s;
}

function finding(fp: string, check: string, severity: Severity, extra: Partial<Finding> = {}): Finding {
  return {
    check,
    severity,
    message: `${check} ${fp}`,
    at: { path: 'mm/mlock.c', line: 10, messageId: 'p@x' },
    spec: 'sys_mlock',
    subject: fp.toUpperCase(),
    evidence: [],
    fingerprint: fp,
    ...extra,
  };
}

function mail(key: string, about: string): OutgoingMail {
  return {
    key,
    from: 'bot@example.net',
    to: ['ann@example.org'],
    cc: [],
    subject: 'Re: x',
    messageId: `${key}@example.net`,
    inReplyTo: about,
    references: [about],
    headers: {},
    text: 'x',
    about: { messageId: about, fingerprints: [] },
  };
}

const rev = (revision: number, patch: string, extra: Partial<RevisionInput> = {}): RevisionInput => ({
  revision,
  coverMessageId: null,
  patchMessageIds: [patch],
  state: 'complete',
  stateDetail: null,
  baseCommit: null,
  changeId: null,
  ...extra,
});

describe('dashboard queries: lists, replies, checks, coverage', () => {
  it('filters the series list by list and by the latest revision state, with search', () => {
    const c = clock('2026-03-02T10:00:00.000Z');
    const s = open(c);
    const q = new DashboardQueries(s);
    const a = s.series.upsert({ lineage: 'a', title: 'mm: a', author: 'Ann <ann@x>', listId: 'linux-mm@x' });
    const b = s.series.upsert({ lineage: 'b', title: 'net: b', author: 'Bob <bob@x>', listId: 'netdev@x' });
    const n = s.series.upsert({ lineage: 'n', title: 'mm: none', author: null, listId: null });
    s.series.addRevision(a.id, rev(1, 'a1@x', { state: 'incomplete', stateDetail: 'missing 2/2' }));
    s.series.addRevision(a.id, rev(2, 'a2@x'));
    s.series.addRevision(b.id, rev(1, 'b1@x', { state: 'corrupted', stateDetail: 'patch 1/1 has no diff' }));
    const ids = (query: Parameters<DashboardQueries['listSeries']>[0]) =>
      q.listSeries(query).items.map((i) => i.series.id);
    expect(ids({ list: 'linux-mm@x' })).toEqual([a.id]);
    expect(ids({ list: 'Linux MM <LINUX-MM@x>' })).toEqual([a.id]);
    expect(ids({ state: 'complete' })).toEqual([a.id]); // a's v1 was incomplete, its latest is not
    expect(ids({ state: 'corrupted' })).toEqual([b.id]);
    expect(ids({ state: 'incomplete' })).toEqual([]);
    expect(ids({ search: 'mm:', state: 'complete' })).toEqual([a.id]);
    expect(q.listSeries({ search: 'mm:' }).total).toBe(2);
    expect(ids({ list: 'nobody@x' })).toEqual([]);
    expect(q.listSeries({ list: 'linux-mm@x', state: 'corrupted' }).total).toBe(0);
    expect(() => q.listSeries({ state: 'bogus' as 'complete' })).toThrow(StoreError);
    expect(q.seriesLists()).toEqual([
      { listId: 'linux-mm@x', series: 1 },
      { listId: 'netdev@x', series: 1 },
      { listId: null, series: 1 },
    ]);
    expect(n.id).toBeGreaterThan(0);
  });

  it('counts replies by state and tells dry-run files from sent mail', () => {
    const s = open(clock('2026-03-02T10:00:00.000Z'));
    const q = new DashboardQueries(s);
    const a = s.series.upsert({ lineage: 'a', title: 'a', author: null, listId: null });
    const r = s.series.addRevision(a.id, rev(1, 'a1@x'));
    s.findings.record(r.id, []);
    for (const k of ['k1', 'k2', 'k3', 'k4']) s.outbox.enqueue(mail(k, 'a1@x'));
    const [e1, e2, e3] = s.outbox.claim(3);
    s.outbox.markSent(e1?.id as number, 'dry-run: /tmp/x.eml');
    s.outbox.markSent(e2?.id as number, '250 ok');
    s.outbox.markFailed(e3?.id as number, 'refused', false);
    expect(q.replyCounts(r.id)).toEqual({ pending: 1, sending: 0, sent: 2, failed: 1, dryRun: 1 });
    expect(q.listSeries().items[0]).toMatchObject({ replyStatus: 'failed', dryRun: 1 });
    expect(q.replyCounts(9999)).toEqual({ pending: 0, sending: 0, sent: 0, failed: 0, dryRun: 0 });
  });

  it('per check: findings once per series and fingerprint, fixed, ignored or open in the latest revision', () => {
    const c = clock('2026-03-02T10:00:00.000Z');
    const s = open(c);
    const q = new DashboardQueries(s);
    const a = s.series.upsert({ lineage: 'a', title: 'a', author: null, listId: 'l@x' });
    const b = s.series.upsert({ lineage: 'b', title: 'b', author: null, listId: 'l@x' });
    const a1 = s.series.addRevision(a.id, rev(1, 'a1@x'));
    s.findings.record(a1.id, [
      finding('fixed', 'kapi-error-undocumented', 'error'),
      finding('kept', 'kapi-error-undocumented', 'warning'),
      finding('silenced', 'kapi-deprecated-form', 'warning'),
    ]);
    c.set('2026-03-09T10:00:00.000Z');
    const a2 = s.series.addRevision(a.id, rev(2, 'a2@x'));
    s.findings.record(a2.id, [finding('kept', 'kapi-error-undocumented', 'warning')]);
    s.policy.addIgnore({
      scope: { kind: 'list', listId: 'l@x' },
      check: 'kapi-deprecated-form',
      subject: null,
      by: 'm@x',
    });
    // v3 arrived but is not reviewed yet: v2 stays the latest reviewed revision
    s.series.addRevision(a.id, rev(3, 'a3@x'));
    const b1 = s.series.addRevision(b.id, rev(1, 'b1@x'));
    s.findings.record(b1.id, [
      finding('kept', 'kapi-error-undocumented', 'error'),
      finding('info', 'kapi-desc-duplicated', 'info'),
    ]);
    expect(q.checkFigures()).toEqual([
      {
        check: 'kapi-error-undocumented',
        findings: 3,
        reports: 4,
        bySeverity: { error: 2, warning: 1, info: 0 },
        fixed: 1,
        ignored: 0,
        open: 2,
      },
      {
        check: 'kapi-deprecated-form',
        findings: 1,
        reports: 1,
        bySeverity: { error: 0, warning: 1, info: 0 },
        fixed: 0,
        ignored: 1,
        open: 0,
      },
      {
        check: 'kapi-desc-duplicated',
        findings: 1,
        reports: 1,
        bySeverity: { error: 0, warning: 0, info: 1 },
        fixed: 0,
        ignored: 0,
        open: 1,
      },
    ]);
    expect(q.findingsPerDay()).toEqual([
      { day: '2026-03-02', severity: 'error', count: 1 },
      { day: '2026-03-02', severity: 'warning', count: 2 },
      { day: '2026-03-09', severity: 'error', count: 1 },
      { day: '2026-03-09', severity: 'info', count: 1 },
      { day: '2026-03-09', severity: 'warning', count: 1 },
    ]);
    // open drift by spec: a's v2 and b's v1 (their latest reviewed revisions)
    expect(q.openFindingsBySpec()).toEqual([
      {
        spec: 'sys_mlock',
        check: 'kapi-error-undocumented',
        severity: 'warning',
        seriesId: a.id,
        title: 'a',
        revision: 2,
        count: 1,
      },
      {
        spec: 'sys_mlock',
        check: 'kapi-desc-duplicated',
        severity: 'info',
        seriesId: b.id,
        title: 'b',
        revision: 1,
        count: 1,
      },
      {
        spec: 'sys_mlock',
        check: 'kapi-error-undocumented',
        severity: 'error',
        seriesId: b.id,
        title: 'b',
        revision: 1,
        count: 1,
      },
    ]);
  });

  it('revisionsActive: arrived or reviewed in [since, until)', () => {
    const c = clock('2026-03-01T10:00:00.000Z');
    const s = open(c);
    const a = s.series.upsert({ lineage: 'a', title: 'a', author: null, listId: null });
    const old = s.series.addRevision(a.id, rev(1, 'a1@x'));
    c.set('2026-03-05T10:00:00.000Z');
    s.findings.record(old.id, []); // arrived before, reviewed inside
    const inside = s.series.addRevision(a.id, rev(2, 'a2@x'));
    c.set('2026-03-09T10:00:00.000Z');
    s.series.addRevision(a.id, rev(3, 'a3@x')); // after
    const got = s.series.revisionsActive('2026-03-02T00:00:00Z', '2026-03-09T10:00:00.000Z');
    expect(got.map((r) => r.revision)).toEqual([1, 2]);
    expect(got[1]?.id).toBe(inside.id);
    expect(() => s.series.revisionsActive('yesterday', '2026-03-09T00:00:00Z')).toThrow(StoreError);
  });
});

describe('dashboard queries: the series list', () => {
  it('pages, searches, and counts the latest revision findings and replies', () => {
    const c = fx.clock();
    const s = fixtures.open(join(fixtures.tempDir(), 'state.db'), c);
    const q = new DashboardQueries(s);
    const made: number[] = [];
    for (let i = 1; i <= 5; i++) {
      c.advance(60_000);
      const ser = s.series.upsert({
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
    const v1 = s.series.addRevision(made[1] as number, { ...base, revision: 1, patchMessageIds: ['s2v1@x'] });
    s.findings.record(v1.id, [fx.finding('a'), fx.finding('b'), fx.finding('c')]);
    const v2 = s.series.addRevision(made[1] as number, {
      ...base,
      revision: 2,
      patchMessageIds: ['s2v2p1@x', 's2v2p2@x'],
    });
    s.findings.record(v2.id, [
      fx.finding('a', { severity: 'error', messageId: 's2v2p1@x' }),
      fx.finding('d', { severity: 'info', messageId: 's2v2p2@x' }),
      fx.finding('e', { severity: 'info', messageId: 's2v2p2@x' }),
    ]);
    s.outbox.enqueue(fx.mail('r1', 's2v2p1@x'));
    s.outbox.enqueue(fx.mail('r2', 's2v2p2@x'));
    s.outbox.enqueue(fx.mail('old', 's2v1@x'));
    const [r1] = s.outbox.claim(1);
    s.outbox.markSent(r1?.id as number, 'ok');
    s.policy.mute({ kind: 'list', listId: 'netdev@vger.example.org' }, 'op@x');

    const page1 = q.listSeries({ limit: 2, offset: 0 });
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
    expect(q.listSeries({ limit: 2, offset: 2 }).items.map((i) => i.series.lineage)).toEqual([
      'lin-4',
      'lin-3',
    ]);
    expect(q.listSeries({ limit: 2, offset: 4 }).items.map((i) => i.series.lineage)).toEqual(['lin-1']);
    expect(q.listSeries({ limit: 2, offset: 6 }).items).toEqual([]);

    expect(q.listSeries({ search: 'BOB@' }).items.map((i) => i.series.lineage)).toEqual(['lin-2', 'lin-4']);
    expect(q.listSeries({ search: '100%' }).items.map((i) => i.series.lineage)).toEqual(['lin-3']);
    expect(q.listSeries({ search: '%' }).total).toBe(1); // a literal percent sign, not a wildcard
    expect(q.listSeries({ search: 'part_' }).total).toBe(0); // a literal underscore
    expect(q.listSeries({ search: 'netdev' }).items.map((i) => i.series.lineage)).toEqual(['lin-5']);
    expect(q.listSeries({ search: "'; DROP TABLE series; --" }).total).toBe(0);
    expect(q.listSeries().total).toBe(5);
    expect(() => q.listSeries({ limit: 0 })).toThrow(StoreError);
  });
});
