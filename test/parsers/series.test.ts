import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PatchMail, parseMail } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { makeMail, makeSeries, patchBody, smallDiff } from '../helpers/mailgen.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'mail');

async function parseAll(raws: (string | Buffer)[]): Promise<PatchMail[]> {
  return Promise.all(raws.map(async (r) => (await parseMail(r)).value));
}
async function fromMbox(name: string): Promise<PatchMail[]> {
  return parseAll(splitMboxBuffer(readFileSync(join(fixtures, name))).map((m) => m.raw));
}
const only = (series: Series[]): Series => {
  expect(series).toHaveLength(1);
  return series[0] as Series;
};

/** What a series looks like, independent of object identity, for order-invariance checks. */
function shape(series: Series[]): unknown {
  return series.map((s) => ({
    id: s.id,
    revision: s.revision,
    state: s.state,
    cover: s.cover?.messageId ?? null,
    patches: s.patches.map((p) => [p.counter, p.mail.messageId, p.fromRevision ?? 0]),
    followUps: s.followUps.map((m) => m.messageId),
    duplicates: s.duplicates.length,
    previous: s.previousRevision,
    next: s.nextRevision,
    rerollOf: s.rerollOf,
    resendOf: s.resendOf,
  }));
}

describe('buildSeries on the format-patch fixtures', () => {
  it('assembles v1 with its cover letter, base-commit and change-id', async () => {
    const { value, issues } = buildSeries(await fromMbox('base-frob-v1.mbox'));
    expect(issues).toEqual([]);
    const s = only(value.series);
    expect(s.state).toEqual({ kind: 'complete' });
    expect(s.id).toBe('20260302100000.frob-v1-0@example.org');
    expect(s.title).toBe('frob: bound, document and restrict sys_frob');
    expect(s.revision).toBe(1);
    expect(s.expected).toBe(3);
    expect(s.patches.map((p) => p.mail.subjectInfo.title)).toEqual([
      'frob: bound the length of a range',
      'frob: add API specification for sys_frob',
      'frob: require CAP_SYS_ADMIN',
    ]);
    expect(s.changeId).toBe('20260302-frob-spec-1a2b3c');
    expect(s.baseCommit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('links v1 and v2 through the change-id', async () => {
    const mails = [...(await fromMbox('revision-frob-v2.mbox')), ...(await fromMbox('base-frob-v1.mbox'))];
    const { value } = buildSeries(mails);
    expect(value.series.map((s) => s.revision)).toEqual([1, 2]);
    const [v1, v2] = value.series as [Series, Series];
    expect(v1.nextRevision).toBe(v2.id);
    expect(v2.previousRevision).toBe(v1.id);
    expect(v2.lineage).toBe('change-id:20260302-frob-spec-1a2b3c');
  });
});

describe('buildSeries states', () => {
  it('marks a missing patch incomplete, with the numbers', async () => {
    const raws = makeSeries({ n: 5, idPrefix: 'm' }).filter((_, i) => i !== 2 && i !== 4);
    expect(only(buildSeries(await parseAll(raws)).value.series).state).toEqual({
      kind: 'incomplete',
      missing: [2, 4],
    });
  });

  it('marks a cover letter without patches incomplete', async () => {
    const raws = makeSeries({ n: 2, idPrefix: 'c' }).slice(0, 1);
    expect(only(buildSeries(await parseAll(raws)).value.series).state).toEqual({
      kind: 'incomplete',
      missing: [1, 2],
    });
  });

  it('marks two different mails for one slot corrupted', async () => {
    const raws = makeSeries({ n: 3, idPrefix: 'k' });
    raws.push(
      makeMail({
        subject: '[PATCH 2/3] frob: another step 2',
        messageId: 'k-other@example.org',
        inReplyTo: 'k-0@example.org',
        references: ['k-0@example.org'],
        body: patchBody('Other.\n\nSigned-off-by: A <a@x.org>', smallDiff('other')),
      }),
    );
    const s = only(buildSeries(await parseAll(raws)).value.series);
    expect(s.state.kind).toBe('corrupted');
    expect(s.state.kind === 'corrupted' && s.state.reasons[0]).toMatch(/two different mails claim 2\/3/);
  });

  it('marks a counter beyond the announced count corrupted', async () => {
    const raws = makeSeries({ n: 2, idPrefix: 'b' });
    raws.push(
      makeMail({
        subject: '[PATCH 3/2] frob: too far',
        messageId: 'b-3@example.org',
        inReplyTo: 'b-0@example.org',
        references: ['b-0@example.org'],
        body: patchBody('x\n\nSigned-off-by: A <a@x.org>', smallDiff('far')),
      }),
    );
    const s = only(buildSeries(await parseAll(raws)).value.series);
    expect(s.state).toEqual({ kind: 'corrupted', reasons: ['patch 3/2 is beyond the announced count'] });
  });

  it('marks a numbered patch without a diff corrupted', async () => {
    const raws = makeSeries({ n: 2, idPrefix: 'nd' });
    raws[2] = makeMail({
      subject: '[PATCH 2/2] frob: lost its diff',
      messageId: 'nd-2@example.org',
      inReplyTo: 'nd-0@example.org',
      references: ['nd-0@example.org'],
      body: 'The diff was stripped by a mail gateway.\n',
    });
    const s = only(buildSeries(await parseAll(raws)).value.series);
    expect(s.state).toEqual({ kind: 'corrupted', reasons: ['patch 2/2 carries no diff'] });
  });

  it('marks a patch whose diff was cut off corrupted', async () => {
    const raws = makeSeries({ n: 2, idPrefix: 'tr' });
    const cut = raws[1] as string;
    raws[1] = cut.slice(0, cut.indexOf('\n', cut.indexOf('\n@@ ') + 1) + 1);
    const s = only(buildSeries(await parseAll(raws)).value.series);
    expect(s.state).toEqual({ kind: 'corrupted', reasons: ['patch 1/2 has a truncated diff'] });
  });

  it('treats a lone [PATCH] as a complete series of one', async () => {
    const raw = makeMail({
      subject: '[PATCH] frob: one',
      messageId: 'one@x',
      body: patchBody('x\n\nSigned-off-by: A <a@x.org>', smallDiff()),
    });
    const s = only(buildSeries(await parseAll([raw])).value.series);
    expect(s.state).toEqual({ kind: 'complete' });
    expect(s.expected).toBe(1);
    expect(s.patches.map((p) => p.counter)).toEqual([1]);
  });
});

describe('buildSeries duplicates, resends, rerolls, follow-ups', () => {
  it('drops a second copy of the same Message-ID', async () => {
    const raws = makeSeries({ n: 2, idPrefix: 'd' });
    const { value } = buildSeries(await parseAll([...raws, raws[1] as string]));
    const s = only(value.series);
    expect(s.state).toEqual({ kind: 'complete' });
    expect(s.duplicates).toEqual([
      { messageId: 'd-1@example.org', keptMessageId: 'd-1@example.org', reason: 'same-message-id' },
    ]);
  });

  it('keeps the first of an identical in-thread resend', async () => {
    const raws = makeSeries({ n: 2, idPrefix: 'r' });
    const resent = (raws[2] as string)
      .replace('Message-ID: <r-2@example.org>', 'Message-ID: <r-2-resend@example.org>')
      .replace('Date: Mon, 2 Mar 2026 10:00:00', 'Date: Mon, 2 Mar 2026 12:00:00')
      .replace('[PATCH 2/2]', '[PATCH RESEND 2/2]');
    const s = only(buildSeries(await parseAll([...raws, resent])).value.series);
    expect(s.state).toEqual({ kind: 'complete' });
    expect(s.patches[1]?.mail.messageId).toBe('r-2@example.org');
    expect(s.duplicates).toEqual([
      { messageId: 'r-2-resend@example.org', keptMessageId: 'r-2@example.org', reason: 'resend' },
    ]);
  });

  it('completes a partial reroll from the revision it replies to', async () => {
    const v1 = makeSeries({ n: 3, idPrefix: 'p1', title: 'frob: reroll demo' });
    const reroll = makeMail({
      subject: '[PATCH v2 2/3] frob: step 2',
      messageId: 'p2-2@example.org',
      inReplyTo: 'p1-2@example.org',
      references: ['p1-0@example.org', 'p1-2@example.org'],
      date: 'Tue, 3 Mar 2026 10:00:00 +0000',
      body: patchBody('Step 2, fixed.\n\nSigned-off-by: A <a@x.org>', smallDiff('p2_2')),
    });
    const { value } = buildSeries(await parseAll([...v1, reroll]));
    expect(value.series).toHaveLength(2);
    const v2 = value.series.find((s) => s.revision === 2) as Series;
    expect(v2.state).toEqual({ kind: 'complete' });
    expect(v2.rerollOf).toBe('p1-0@example.org');
    expect(v2.patches.map((p) => [p.counter, p.mail.messageId, p.fromRevision ?? null])).toEqual([
      [1, 'p1-1@example.org', 1],
      [2, 'p2-2@example.org', null],
      [3, 'p1-3@example.org', 1],
    ]);
    expect(v2.previousRevision).toBe('p1-0@example.org');
  });

  it('does not fill a gap in a full v2 from v1 (no guessing)', async () => {
    const v1 = makeSeries({ n: 3, idPrefix: 'g1' });
    const v2 = makeSeries({ n: 3, idPrefix: 'g2', revision: 2, inReplyTo: 'g1-0@example.org' }).filter(
      (_, i) => i !== 2,
    );
    const { value } = buildSeries(await parseAll([...v1, ...v2]));
    const s2 = value.series.find((s) => s.revision === 2) as Series;
    expect(s2.state).toEqual({ kind: 'incomplete', missing: [2] });
    expect(s2.rerollOf).toBeNull();
  });

  it('hangs replies on the series they answer; others stay unattached', async () => {
    const raws = makeSeries({ n: 2, idPrefix: 'f' });
    const review = makeMail({
      subject: 'Re: [PATCH 1/2] frob: step 1',
      from: 'Bo Reviewer <bo@example.net>',
      messageId: 'review@example.net',
      inReplyTo: 'f-1@example.org',
      references: ['f-0@example.org', 'f-1@example.org'],
      date: 'Mon, 2 Mar 2026 11:00:00 +0000',
      body: '> quoted\nLooks wrong.',
    });
    const answer = makeMail({
      subject: 'Re: [PATCH 1/2] frob: step 1',
      messageId: 'answer@example.org',
      inReplyTo: 'review@example.net',
      references: ['review@example.net'],
      date: 'Mon, 2 Mar 2026 12:00:00 +0000',
      body: 'Will fix.',
    });
    const stray = makeMail({
      subject: 'Re: something else',
      messageId: 'stray@x',
      inReplyTo: 'nowhere@x',
      body: 'hm',
    });
    const { value } = buildSeries(await parseAll([...raws, answer, review, stray]));
    const s = only(value.series);
    expect(s.followUps.map((m) => m.messageId)).toEqual(['review@example.net', 'answer@example.org']);
    expect(value.unattached.map((m) => m.messageId)).toEqual(['stray@x']);
  });

  it('keeps two series in one thread apart by revision', async () => {
    const v1 = makeSeries({ n: 2, idPrefix: 't1' });
    const v2 = makeSeries({ n: 2, idPrefix: 't2', revision: 2, inReplyTo: 't1-0@example.org' });
    const { value } = buildSeries(await parseAll([...v2, ...v1]));
    expect(value.series.map((s) => [s.revision, s.state.kind, s.patches.length])).toEqual([
      [1, 'complete', 2],
      [2, 'complete', 2],
    ]);
    expect(value.series[1]?.previousRevision).toBe('t1-0@example.org');
  });

  it('links revisions without change-id by sender and title, like b4', async () => {
    const v1 = makeSeries({ n: 1, idPrefix: 'l1', title: 'frob: Same Title' });
    const v3 = makeSeries({
      n: 1,
      idPrefix: 'l3',
      revision: 3,
      title: 'frob: same  title',
      date: 'Wed, 4 Mar 2026 10:00:00 +0000',
    });
    const other = makeSeries({
      n: 1,
      idPrefix: 'l9',
      revision: 2,
      title: 'frob: same title',
      from: 'Eve <eve@x.org>',
    });
    const { value } = buildSeries(await parseAll([...v1, ...v3, ...other]));
    const s3 = value.series.find((s) => s.id === 'l3-0@example.org') as Series;
    expect(s3.previousRevision).toBe('l1-0@example.org');
    expect(value.series.find((s) => s.id === 'l9-0@example.org')?.previousRevision).toBeNull();
  });

  it('marks an identical re-post of a whole series', async () => {
    const a = makeSeries({ n: 2, idPrefix: 'rp', title: 'frob: repost' });
    const b = a.map((m) =>
      m.replaceAll('rp-', 'rq-').replace('Date: Mon, 2 Mar 2026 10:00', 'Date: Mon, 2 Mar 2026 11:00'),
    );
    // the diffs are keyed on the id prefix: make the copy's diffs identical to the original's
    const same = b.map((m, i) =>
      i === 0
        ? m
        : m.replace(/kernel\/frq_\d+\.c|rq_(\d)/g, (x) => x.replace('rq', 'rp').replace('frq', 'frp')),
    );
    const { value } = buildSeries(await parseAll([...a, ...same]));
    expect(value.series).toHaveLength(2);
    expect(value.series[1]?.resendOf).toBe(value.series[0]?.id);
  });
});

describe('buildSeries is order-independent (property)', () => {
  it('gives the same series for any arrival order and any duplication', async () => {
    const raws = [
      ...makeSeries({ n: 4, idPrefix: 'o1', title: 'frob: order' }),
      ...makeSeries({
        n: 4,
        idPrefix: 'o2',
        revision: 2,
        title: 'frob: order',
        inReplyTo: 'o1-0@example.org',
      }).filter((_, i) => i !== 3),
      makeMail({
        subject: 'Re: [PATCH 2/4] frob: step 2',
        messageId: 'o-review@x',
        inReplyTo: 'o1-2@example.org',
        references: ['o1-0@example.org', 'o1-2@example.org'],
        body: 'hm',
      }),
    ];
    const mails = await parseAll(raws);
    const reference = shape(buildSeries(mails).value.series);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(mails, { minLength: mails.length, maxLength: mails.length }),
        fc.array(fc.nat({ max: mails.length - 1 }), { maxLength: 5 }),
        async (order, dups) => {
          const input = [...order, ...dups.map((i) => mails[i] as PatchMail)];
          const built = buildSeries(input).value.series;
          expect(built.map((s) => ({ ...(shape([s]) as object[])[0], duplicates: 0 }))).toEqual(
            (reference as object[]).map((r) => ({ ...r, duplicates: 0 })),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
