import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planQueue } from '../../app/bot/queue.js';
import { type PatchMail, parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries } from '../../parsers/series.js';

function mails(path: string): PatchMail[] {
  return splitMboxBuffer(readFileSync(path)).map((m) => parseMailSync(m.raw).value);
}

const v1 = mails('fixtures/mail/base-frob-v1.mbox');
const v2 = mails('fixtures/mail/revision-frob-v2.mbox');
const T0 = new Date('2026-03-02T10:00:00Z');
const HOUR = 3600_000;

function plan(ms: PatchMail[], opts: { now?: Date; reviewed?: string[]; firstSeen?: Date } = {}) {
  const set = buildSeries(ms).value;
  return planQueue(set, {
    now: opts.now ?? T0,
    firstSeen: () => opts.firstSeen ?? T0,
    reviewed: (id) => (opts.reviewed ?? []).includes(id),
    incompleteAfterMs: 6 * HOUR,
  }).map((d) => [
    d.kind,
    d.series.revision,
    'reason' in d ? d.reason : 'until' in d ? d.until.toISOString() : '',
  ]);
}

describe('series queue', () => {
  it('reviews a complete series at once', () => {
    expect(plan(v1)).toEqual([['review', 1, 'complete']]);
  });

  it('waits for the missing patches of an incomplete series, then reviews it as incomplete', () => {
    const partial = v1.filter((m) => !m.subject.includes('2/3'));
    expect(plan(partial, { now: new Date(T0.getTime() + HOUR) })).toEqual([
      ['wait', 1, new Date(T0.getTime() + 6 * HOUR).toISOString()],
    ]);
    expect(plan(partial, { now: new Date(T0.getTime() + 6 * HOUR) })).toEqual([
      ['review', 1, 'incomplete-timeout'],
    ]);
  });

  it('reviews only the newest revision; an older one not yet reviewed is superseded', () => {
    expect(plan([...v1, ...v2])).toEqual([
      ['superseded', 1, ''],
      ['review', 2, 'complete'],
    ]);
  });

  it('does not review a revision twice', () => {
    const id = buildSeries(v1).value.series[0]?.id as string;
    expect(plan(v1, { reviewed: [id] })).toEqual([['done', 1, '']]);
  });

  it('records a corrupted series without replying', () => {
    const broken = mails('fixtures/mail/bugs-corrupted.mbox');
    const kinds = plan(broken).map((d) => d[0]);
    expect(kinds).toContain('record-only');
    expect(kinds).not.toContain('review');
  });
});
