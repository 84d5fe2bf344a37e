/**
 * The store's patchwork aggregate: a check queued once per instance, patch, revision and context
 * (also across a reopen of the file), and the moves of a pending check.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../app/store/db.js';
import type { PatchworkCheckInput } from '../../app/store/patchwork.js';
import { clock, seriesWith, storeFixtures } from '../helpers/store.js';

const { tempDir, open } = storeFixtures();
const PW = 'https://pw.example.org frob';

function check(
  revisionId: number,
  patch: string,
  over: Partial<PatchworkCheckInput> = {},
): PatchworkCheckInput {
  return {
    instance: PW,
    revisionId,
    patchMessageId: patch,
    context: 'kapi-review',
    state: 'warning',
    description: '1 warning',
    targetUrl: 'https://kapi.example.org/series/1',
    ...over,
  };
}

describe('store: patchwork checks', () => {
  it('queues a check once, also after the file is opened again, whatever its verdict says then', () => {
    const path = join(tempDir(), 'state.db');
    const c = clock();
    const s = open(path, c);
    const { rev } = seriesWith(s, 'frob', 1, ['p1@example.org', 'p2@example.org']);
    expect(s.patchwork.queue([check(rev.id, 'p1@example.org'), check(rev.id, 'p2@example.org')])).toBe(2);
    s.close();
    const again = open(path, c);
    expect(
      again.patchwork.queue([check(rev.id, 'p1@example.org', { state: 'fail', description: '1 error' })]),
    ).toBe(0);
    // another instance, or another context, is another check
    expect(
      again.patchwork.queue([
        check(rev.id, 'p1@example.org', { instance: 'https://other.example.org frob' }),
      ]),
    ).toBe(1);
    expect(again.patchwork.queue([check(rev.id, 'p1@example.org', { context: 'other' })])).toBe(1);
    expect(again.patchwork.pending(PW).map((r) => [r.patchMessageId, r.context, r.state])).toEqual([
      ['p1@example.org', 'kapi-review', 'warning'],
      ['p2@example.org', 'kapi-review', 'warning'],
      ['p1@example.org', 'other', 'warning'],
    ]);
  });

  it('moves a pending check to posted or closed, once, counting the attempts', () => {
    const s = open(join(tempDir(), 'state.db'));
    const { rev } = seriesWith(s, 'frob', 1, ['p1@example.org', 'p2@example.org']);
    s.patchwork.queue([check(rev.id, 'p1@example.org'), check(rev.id, 'p2@example.org')]);
    const [a, b] = s.patchwork.pending(PW).map((r) => r.id) as [number, number];
    s.patchwork.markAttempt(a, 'patchwork has no patch with this Message-ID yet');
    s.patchwork.markPosted(a, 17, 'https://pw.example.org/api/1.2/patches/17/checks/3/');
    s.patchwork.close(b, 'rejected', 'HTTP 400: {"context": ["Enter a valid slug."]}');
    expect(
      s.patchwork.list({ revisionId: rev.id }).map((r) => [r.status, r.attempts, r.patchId, r.lastError]),
    ).toEqual([
      ['posted', 2, 17, null],
      ['rejected', 1, null, 'HTTP 400: {"context": ["Enter a valid slug."]}'],
    ]);
    expect(s.patchwork.pending(PW)).toEqual([]);
    expect(() => s.patchwork.markPosted(a, 17, null)).toThrow(/is posted, not pending/);
    expect(() => s.patchwork.close(a, 'posted' as 'failed', 'x')).toThrow(/cannot be closed as posted/);
    expect(() => s.patchwork.markAttempt(999, 'x')).toThrow(/no patchwork check 999/);
  });

  it('refuses a check of no revision or of an unknown state', () => {
    const s = open(join(tempDir(), 'state.db'));
    const { rev } = seriesWith(s, 'frob', 1, ['p1@example.org']);
    expect(() => s.patchwork.queue([check(rev.id + 5, 'p1@example.org')])).toThrow(/no revision/);
    expect(() => s.patchwork.queue([check(rev.id, 'p1@example.org', { state: 'maybe' as 'fail' })])).toThrow(
      /unknown state maybe/,
    );
    expect(s.patchwork.list()).toEqual([]);
  });

  it('adds its table to a file of the schema before it', () => {
    const path = join(tempDir(), 'state.db');
    open(path, clock(), MIGRATIONS.slice(0, MIGRATIONS.length - 1)).close();
    const s = open(path);
    const { rev } = seriesWith(s, 'frob', 1, ['p1@example.org']);
    expect(s.patchwork.queue([check(rev.id, 'p1@example.org')])).toBe(1);
  });
});
