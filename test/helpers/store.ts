/**
 * What the store's tests share: temp dirs and stores closed after each test, a clock moved by
 * hand, a finding, a reply mail and a series with one revision.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach } from 'vitest';
import type { MIGRATIONS } from '../../app/store/db.js';
import { Store } from '../../app/store/store.js';
import type { Finding } from '../../checks/types.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';

/** A clock the test moves by hand. */
export function clock(start = '2026-03-02T10:00:00.000Z') {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
    iso: () => new Date(t).toISOString(),
  };
}

/**
 * Temp dirs and stores for the tests of one file, removed and closed after each test. Call it at
 * the top level of the test file (it registers an afterEach).
 */
export function storeFixtures() {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    tempDir(): string {
      const d = mkdtempSync(join(tmpdir(), 'kapi-store-'));
      dirs.push(d);
      return d;
    },
    open(path: string, c = clock(), migrations?: typeof MIGRATIONS): Store {
      const s = Store.open({ path, now: c.now, ...(migrations ? { migrations } : {}) });
      stores.push(s);
      return s;
    },
  };
}

/** The file under another connection, as another program would see it. */
export function raw(path: string): Database.Database {
  return new Database(path);
}

export function finding(fingerprint: string, opts: Partial<Finding> & { messageId?: string } = {}): Finding {
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

export function mail(
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

export function seriesWith(
  store: Store,
  lineage: string,
  revision: number,
  patches: string[],
  listId = 'linux-mm@kvack.example.org',
) {
  const s = store.series.upsert({
    lineage,
    title: `frob ${lineage}`,
    author: 'Ann <ann@example.org>',
    listId,
  });
  const r = store.series.addRevision(s.id, {
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
