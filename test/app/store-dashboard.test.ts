import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RevisionInput } from '../../app/store/series.js';
import { Store, StoreError } from '../../app/store/store.js';
import type { Finding, Severity } from '../../checks/types.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';

/** The store's read-only queries for the dashboard and the digest (app/store/store.ts). */

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

describe('store: the dashboard queries', () => {
  it('filters the series list by list and by the latest revision state, with search', () => {
    const c = clock('2026-03-02T10:00:00.000Z');
    const s = open(c);
    const a = s.series.upsert({ lineage: 'a', title: 'mm: a', author: 'Ann <ann@x>', listId: 'linux-mm@x' });
    const b = s.series.upsert({ lineage: 'b', title: 'net: b', author: 'Bob <bob@x>', listId: 'netdev@x' });
    const n = s.series.upsert({ lineage: 'n', title: 'mm: none', author: null, listId: null });
    s.series.addRevision(a.id, rev(1, 'a1@x', { state: 'incomplete', stateDetail: 'missing 2/2' }));
    s.series.addRevision(a.id, rev(2, 'a2@x'));
    s.series.addRevision(b.id, rev(1, 'b1@x', { state: 'corrupted', stateDetail: 'patch 1/1 has no diff' }));
    const ids = (q: Parameters<Store['listSeries']>[0]) => s.listSeries(q).items.map((i) => i.series.id);
    expect(ids({ list: 'linux-mm@x' })).toEqual([a.id]);
    expect(ids({ list: 'Linux MM <LINUX-MM@x>' })).toEqual([a.id]);
    expect(ids({ state: 'complete' })).toEqual([a.id]); // a's v1 was incomplete, its latest is not
    expect(ids({ state: 'corrupted' })).toEqual([b.id]);
    expect(ids({ state: 'incomplete' })).toEqual([]);
    expect(ids({ search: 'mm:', state: 'complete' })).toEqual([a.id]);
    expect(s.listSeries({ search: 'mm:' }).total).toBe(2);
    expect(ids({ list: 'nobody@x' })).toEqual([]);
    expect(s.listSeries({ list: 'linux-mm@x', state: 'corrupted' }).total).toBe(0);
    expect(() => s.listSeries({ state: 'bogus' as 'complete' })).toThrow(StoreError);
    expect(s.seriesLists()).toEqual([
      { listId: 'linux-mm@x', series: 1 },
      { listId: 'netdev@x', series: 1 },
      { listId: null, series: 1 },
    ]);
    expect(n.id).toBeGreaterThan(0);
  });

  it('counts replies by state and tells dry-run files from sent mail', () => {
    const s = open(clock('2026-03-02T10:00:00.000Z'));
    const a = s.series.upsert({ lineage: 'a', title: 'a', author: null, listId: null });
    const r = s.series.addRevision(a.id, rev(1, 'a1@x'));
    s.findings.record(r.id, []);
    for (const k of ['k1', 'k2', 'k3', 'k4']) s.outbox.enqueue(mail(k, 'a1@x'));
    const [e1, e2, e3] = s.outbox.claim(3);
    s.outbox.markSent(e1?.id as number, 'dry-run: /tmp/x.eml');
    s.outbox.markSent(e2?.id as number, '250 ok');
    s.outbox.markFailed(e3?.id as number, 'refused', false);
    expect(s.replyCounts(r.id)).toEqual({ pending: 1, sending: 0, sent: 2, failed: 1, dryRun: 1 });
    expect(s.listSeries().items[0]).toMatchObject({ replyStatus: 'failed', dryRun: 1 });
    expect(s.replyCounts(9999)).toEqual({ pending: 0, sending: 0, sent: 0, failed: 0, dryRun: 0 });
  });

  it('per check: findings once per series and fingerprint, fixed, ignored or open in the latest revision', () => {
    const c = clock('2026-03-02T10:00:00.000Z');
    const s = open(c);
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
    expect(s.checkFigures()).toEqual([
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
    expect(s.findingsPerDay()).toEqual([
      { day: '2026-03-02', severity: 'error', count: 1 },
      { day: '2026-03-02', severity: 'warning', count: 2 },
      { day: '2026-03-09', severity: 'error', count: 1 },
      { day: '2026-03-09', severity: 'info', count: 1 },
      { day: '2026-03-09', severity: 'warning', count: 1 },
    ]);
    // open drift by spec: a's v2 and b's v1 (their latest reviewed revisions)
    expect(s.openFindingsBySpec()).toEqual([
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
