import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PatchMail, parseMail } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { MAX_JOIN_PAIRS, messageIdStem } from '../../parsers/series-join.js';
import { b4AmStyle } from '../helpers/b4am.js';
import { makeMail, patchBody, smallDiff } from '../helpers/mailgen.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'mail');

async function parseAll(raws: (string | Buffer)[]): Promise<PatchMail[]> {
  return Promise.all(raws.map(async (r) => (await parseMail(r)).value));
}
const mboxMails = (bytes: Buffer) => parseAll(splitMboxBuffer(bytes).map((m) => m.raw));
const fixture = (name: string) => readFileSync(join(fixtures, name));

/** Series as [revision, state, cover?, counters] for compact expectations. */
const shape = (series: Series[]) =>
  series.map((s) => [s.revision, s.state.kind, s.cover !== null, s.patches.map((p) => p.counter)]);

interface Unthreaded {
  n: number;
  /** Message-ID of mail k (0: the cover letter), null for none. */
  id: (k: number) => string | null;
  cover?: boolean;
  from?: string;
  /** Minutes after 10:00 for mail k. */
  minutes?: (k: number) => number;
  prefix?: string;
  tag: string;
}

/** A series posted without any threading header, as `b4 am` or `format-patch` leaves it. */
function unthreaded(s: Unthreaded): string[] {
  const out: string[] = [];
  const at = (k: number) => {
    const m = s.minutes?.(k) ?? k;
    return `Mon, 2 Mar 2026 ${String(10 + Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00 +0000`;
  };
  const prefix = s.prefix ?? 'PATCH';
  for (let k = s.cover ? 0 : 1; k <= s.n; k++)
    out.push(
      makeMail({
        subject: `[${prefix} ${k}/${s.n}] ${k === 0 ? `frob: ${s.tag} series` : `frob: ${s.tag} step ${k}`}`,
        messageId: s.id(k),
        from: s.from,
        date: at(k),
        body:
          k === 0
            ? `The ${s.tag} series.\n`
            : patchBody(
                `Step ${k}.\n\nSigned-off-by: Ada Example <ada@example.org>`,
                smallDiff(`${s.tag}_${k}`),
              ),
      }),
    );
  return out;
}

const sendEmail = (stamp: string, offset: number) => (k: number) =>
  `${stamp}.4242-${k + offset}-ada@example.org`;

describe('messageIdStem', () => {
  it('reads the stems git send-email, b4 send and git format-patch write', () => {
    expect(messageIdStem('20260529233311.1901670-2-sashal@kernel.org')).toEqual({
      tool: 'git-send-email',
      stem: '20260529233311.1901670-*-sashal@kernel.org',
      index: 2,
    });
    expect(messageIdStem('1357498122-1129-12-git-send-email-afaerber@suse.de')).toEqual({
      tool: 'git-send-email',
      stem: '1357498122-1129-*-git-send-email-afaerber@suse.de',
      index: 12,
    });
    expect(messageIdStem('20260301-frob-spec-v3-0-0a1b2c3d4e5f@example.org')).toEqual({
      tool: 'b4',
      stem: '20260301-frob-spec-v3-*-0a1b2c3d4e5f@example.org',
      index: 0,
    });
    const fp = messageIdStem(`${'ab'.repeat(20)}.1773133200.git.dana@example.org`);
    expect(fp).toEqual({ tool: 'git-format-patch', stem: '*.1773133200.git.dana@example.org', index: null });
    expect(messageIdStem('cover.1773133200.git.dana@example.org')?.stem).toBe(fp?.stem);
  });

  it('finds no stem in other Message-IDs', () => {
    for (const id of [
      'm-1@example.org',
      '20260302100000.frob-v1-1@example.org',
      'CAHk-=wjX8T5vX9rK@mail.gmail.com',
      'cover.x.git.dana@example.org',
      `${'1'.repeat(14)}.42-3-${'x'.repeat(400)}@h`,
      '',
      null,
    ])
      expect(messageIdStem(id), String(id)).toBeNull();
  });
});

describe('buildSeries on mail without threading headers', () => {
  it('joins b4 am output by its git send-email stem, even hours apart', async () => {
    const raws = unthreaded({ n: 3, id: sendEmail('20260302100000', 1), minutes: (k) => k * 90, tag: 'am' });
    const { value, issues } = buildSeries(await parseAll(raws));
    expect(issues).toEqual([]);
    expect(shape(value.series)).toEqual([[1, 'complete', false, [1, 2, 3]]]);
    expect(value.series[0]?.id).toBe('20260302100000.4242-2-ada@example.org');
  });

  it('adds the cover letter of the same git send-email run', async () => {
    const raws = unthreaded({ n: 2, cover: true, id: sendEmail('20260302100000', 1), tag: 'cv' });
    const s = buildSeries(await parseAll(raws)).value.series;
    expect(shape(s)).toEqual([[1, 'complete', true, [1, 2]]]);
    expect(s[0]?.id).toBe('20260302100000.4242-1-ada@example.org');
  });

  it('joins b4 send Message-IDs, whose counter is the patch number', async () => {
    const id = (k: number) => `20260302-frob-b4-v2-${k}-0a1b2c3d4e5f@example.org`;
    const raws = unthreaded({ n: 3, cover: true, id, prefix: 'PATCH v2', minutes: (k) => k * 45, tag: 'b4' });
    expect(shape(buildSeries(await parseAll(raws)).value.series)).toEqual([[2, 'complete', true, [1, 2, 3]]]);
  });

  it('joins one sender within 20 minutes when the Message-IDs carry no stem', async () => {
    const raws = unthreaded({
      n: 3,
      id: (k) => `CAfrob${k}x@mail.example.com`,
      minutes: (k) => k * 9,
      tag: 'dt',
    });
    const { value, issues } = buildSeries(await parseAll(raws));
    expect(issues).toEqual([]);
    expect(shape(value.series)).toEqual([[1, 'complete', false, [1, 2, 3]]]);
  });

  it('keeps mails without a stem apart when they are hours apart', async () => {
    const raws = unthreaded({
      n: 2,
      id: (k) => `CAfar${k}@mail.example.com`,
      minutes: (k) => k * 60,
      tag: 'far',
    });
    const { value, issues } = buildSeries(await parseAll(raws));
    expect(issues).toEqual([]);
    expect(shape(value.series)).toEqual([
      [1, 'incomplete', false, [1]],
      [1, 'incomplete', false, [2]],
    ]);
  });

  it('keeps two runs of git send-email apart, minutes apart and of the same shape', async () => {
    const a = unthreaded({ n: 2, id: sendEmail('20260302100000', 0), tag: 'ra' });
    const b = unthreaded({ n: 2, id: sendEmail('20260302100500', 0), minutes: (k) => 5 + k, tag: 'rb' });
    const { value, issues } = buildSeries(await parseAll([...b, ...a]));
    expect(issues).toEqual([]);
    expect(shape(value.series)).toEqual([
      [1, 'complete', false, [1, 2]],
      [1, 'complete', false, [1, 2]],
    ]);
  });

  it('does not join across an RFC or tree prefix that differs', async () => {
    const id = (k: number) => `CAmix${k}@mail.example.com`;
    const rfc = [
      ...unthreaded({ n: 2, id, tag: 'mx', prefix: 'RFC PATCH' }).slice(0, 1),
      ...unthreaded({ n: 2, id, tag: 'mx' }).slice(1),
    ];
    expect(buildSeries(await parseAll(rfc)).value.series).toHaveLength(2);
    const trees = [
      ...unthreaded({ n: 2, id, tag: 'tr', prefix: 'PATCH net' }).slice(0, 1),
      ...unthreaded({ n: 2, id, tag: 'tr', prefix: 'PATCH net-next' }).slice(1),
    ];
    expect(buildSeries(await parseAll(trees)).value.series).toHaveLength(2);
  });

  it('joins nothing and says why when a patch could complete two groups', async () => {
    const raws = [
      ...unthreaded({ n: 2, id: (k) => `CAone${k}@mail.example.com`, tag: 'one' }),
      ...unthreaded({
        n: 2,
        id: (k) => `CAtwo${k}@mail.example.com`,
        tag: 'two',
        minutes: (k) => 3 + k,
      }).slice(0, 1),
    ];
    const { value, issues } = buildSeries(await parseAll(raws));
    expect(value.series.every((s) => s.patches.length === 1)).toBe(true);
    expect(value.series).toHaveLength(3);
    expect(issues.map((i) => i.code)).toEqual(['series-join-ambiguous']);
    expect(issues[0]?.message).toMatch(
      /un-threaded v1 n\/2 mails: .*<CAone2@mail\.example\.com>.* may be one series, but .*both have patch 1/,
    );
  });

  it('compares a bounded number of pairs, and says so when it stops', async () => {
    // one sender, one minute, no stem: every pair is a candidate, more than MAX_JOIN_PAIRS
    const k = Math.ceil(Math.sqrt(2 * MAX_JOIN_PAIRS)) + 10;
    const raws = Array.from({ length: k }, (_, i) =>
      makeMail({
        subject: `[PATCH ${1 + (i % 2)}/2] frob: flood ${i}`,
        messageId: `CAflood${i}@mail.example.com`,
        body: patchBody('Flood.\n\nSigned-off-by: A <a@x.org>', smallDiff(`flood_${i}`)),
      }),
    );
    const { value, issues } = buildSeries(await parseAll(raws));
    expect(value.series).toHaveLength(k);
    expect(issues.map((i) => i.code)).toEqual(['series-join-skipped']);
    expect(issues[0]?.message).toBe(
      `the un-threaded v1 n/2 mails: ${k} groups are too many to compare; none joined but by Message-ID stem`,
    );
  });

  it('never joins lone patches without n/N', async () => {
    const lone = (k: number) =>
      makeMail({
        subject: `[PATCH] frob: lone ${k}`,
        messageId: `20260302100000.4242-${k}-ada@example.org`,
        body: patchBody('Lone.\n\nSigned-off-by: Ada Example <ada@example.org>', smallDiff(`lone_${k}`)),
      });
    expect(buildSeries(await parseAll([lone(1), lone(2)])).value.series).toHaveLength(2);
  });
});

describe('buildSeries on a cover letter from another From', () => {
  it('joins the files of one format-patch run without Message-IDs, cover by the committer', async () => {
    const { value, issues } = buildSeries(await mboxMails(fixture('base-cover-author.mbox')));
    expect(issues).toEqual([]);
    expect(shape(value.series)).toEqual([[2, 'complete', true, [1, 2]]]);
    const s = value.series[0] as Series;
    expect(s.sender?.address).toBe('dana@example.org');
    expect(s.patches.map((p) => p.mail.from?.address)).toEqual(['cleo@example.net', 'cleo@example.net']);
    expect(s.title).toBe('frob: specify sys_frob and bound its ranges');
    expect(s.baseCommit).toBe('7a928514222143387560c06dac5cd48f8ad566cb');
  });

  it('joins the cover letter of a threaded format-patch run', async () => {
    const { value, issues } = buildSeries(await mboxMails(fixture('base-cover-author-thread.mbox')));
    expect(issues).toEqual([]);
    expect(shape(value.series)).toEqual([[2, 'complete', true, [1, 2]]]);
    expect(value.series[0]?.id).toBe('cover.1773133200.git.dana@example.org');
  });

  it('joins a threaded cover letter to the one patch group of its thread without a stem', async () => {
    const raws = fixture('base-cover-author-thread.mbox')
      .toString('latin1')
      .replace(/[0-9a-f]{40}\.1773133200\.git\.dana/g, (m) => `p${m.slice(0, 6)}`);
    const { value, issues } = buildSeries(await mboxMails(Buffer.from(raws, 'latin1')));
    expect(issues).toEqual([]);
    expect(shape(value.series)).toEqual([[2, 'complete', true, [1, 2]]]);
  });

  it('keeps a cover letter apart, saying why, when two patch groups could be its own', async () => {
    const none = () => null;
    const raws = [
      ...unthreaded({ n: 2, cover: true, id: none, from: 'Carol <carol@example.org>', tag: 'c' }).slice(0, 1),
      ...unthreaded({ n: 2, id: none, from: 'Alice <alice@example.org>', tag: 'a' }),
      ...unthreaded({ n: 2, id: none, from: 'Bob <bob@example.org>', tag: 'b' }),
    ];
    const { value, issues } = buildSeries(await parseAll(raws));
    expect(shape(value.series)).toEqual([
      [1, 'incomplete', true, []],
      [1, 'complete', false, [1, 2]],
      [1, 'complete', false, [1, 2]],
    ]);
    expect(issues.map((i) => i.code)).toEqual(['series-join-ambiguous']);
    expect(issues[0]?.message).toMatch(/cover letter "\[PATCH 0\/2\] frob: c series" could belong to .* or /);
  });
});

describe('b4 am output of the frob fixture', () => {
  it('is one complete series, like the threaded mails', async () => {
    const threaded = splitMboxBuffer(fixture('base-frob-v1.mbox')).map((m) => m.raw);
    const { value, issues } = buildSeries(await mboxMails(b4AmStyle(threaded)));
    expect(issues).toEqual([]);
    expect(shape(value.series)).toEqual([[1, 'complete', false, [1, 2, 3]]]);
  });
});

describe('buildSeries on mail without threading is order-independent (property)', () => {
  it('gives the same series and issues for any arrival order and any duplication', async () => {
    const none = () => null;
    const raws: (string | Buffer)[] = [
      // b4 am output (one git send-email run, no cover, hours apart) and its cover letter
      ...unthreaded({
        n: 3,
        cover: true,
        id: sendEmail('20260302100000', 1),
        minutes: (k) => k * 70,
        tag: 'p1',
      }),
      // no stem: one sender within 20 minutes, and a second 1/2 that makes it ambiguous
      ...unthreaded({ n: 2, id: (k) => `CAp2${k}@mail.example.com`, tag: 'p2' }),
      ...unthreaded({ n: 2, id: (k) => `CAp3${k}@mail.example.com`, tag: 'p3', minutes: () => 4 }).slice(
        0,
        1,
      ),
      // b4 send, and a second run of the same shape a minute later
      ...unthreaded({
        n: 2,
        id: (k) => `20260302-frob-p4-v3-${k}-0a1b2c3d4e5f@x.org`,
        prefix: 'PATCH v3',
        tag: 'p4',
      }),
      ...unthreaded({
        n: 2,
        id: (k) => `20260302-frob-p5-v3-${k}-5f4e3d2c1b0a@x.org`,
        prefix: 'PATCH v3',
        tag: 'p5',
      }),
      // a cover letter by another From with two candidate groups (no Message-IDs)
      ...unthreaded({ n: 4, cover: true, id: none, from: 'Carol <carol@example.org>', tag: 'c' }).slice(0, 1),
      ...unthreaded({ n: 4, id: none, from: 'Alice <alice@example.org>', tag: 'a' }),
      ...unthreaded({ n: 4, id: none, from: 'Bob <bob@example.org>', tag: 'b' }),
      // format-patch runs with the cover letter by the committer, without and with --thread
      ...splitMboxBuffer(fixture('base-cover-author.mbox')).map((m) => m.raw),
      ...splitMboxBuffer(fixture('base-cover-author-thread.mbox')).map((m) => m.raw),
    ];
    const mails = await parseAll(raws);
    const summary = (mails: PatchMail[]) => {
      const { value, issues } = buildSeries(mails);
      return {
        series: value.series.map((s) => ({
          id: s.id,
          state: s.state,
          cover: s.cover?.messageId ?? s.cover?.subject ?? null,
          patches: s.patches.map((p) => [p.counter, p.mail.messageId ?? p.mail.subject]),
          sender: s.sender?.address,
        })),
        issues: issues.filter((i) => i.code !== 'series-conflicting-copies'),
      };
    };
    const reference = summary(mails);
    expect(reference.series.filter((s) => s.state.kind === 'complete')).toHaveLength(7);
    expect(reference.issues.map((i) => i.code)).toEqual(['series-join-ambiguous', 'series-join-ambiguous']);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(mails, { minLength: mails.length, maxLength: mails.length }),
        fc.array(fc.nat({ max: mails.length - 1 }), { maxLength: 5 }),
        async (order, dups) => {
          expect(summary([...order, ...dups.map((i) => mails[i] as PatchMail)])).toEqual(reference);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('buildSeries on generated un-threaded mail (property)', () => {
  /** Mostly `usual`, one time in five `rare`. */
  const rarely = <T, U>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<U>) =>
    fc.oneof({ arbitrary: usual, weight: 4 }, { arbitrary: rare, weight: 1 });
  const mailArb = fc.record({
    counter: fc.nat({ max: 3 }),
    expected: fc.constantFrom(2, 3),
    revision: fc.constantFrom(1, 1, 1, 2),
    id: fc.oneof(
      fc.constant(null),
      fc.nat({ max: 6 }).map((k) => `20260302100000.77-${k}-ada@example.org`),
      fc.nat({ max: 6 }).map((k) => `20260302100900.78-${k}-ada@example.org`),
      fc.nat({ max: 4 }).map((k) => `20260302-frob-gen-v2-${k}-0a1b2c3d4e5f@example.org`),
      fc.nat({ max: 30 }).map((k) => `CAgen${k}@mail.example.com`),
      fc.nat({ max: 30 }).map((k) => `CAgen${k}@mail.example.com`),
    ),
    minute: rarely(fc.nat({ max: 40 }), fc.constant(null)),
    sender: fc.constantFrom('Ada <ada@example.org>', 'Bo <bo@example.net>'),
    rfc: rarely(fc.constant(false), fc.constant(true)),
    base: rarely(fc.constant(null), fc.constantFrom('1'.repeat(40), '2'.repeat(40))),
    replyTo: rarely(
      fc.constant(null),
      fc.constantFrom('CAgen1@mail.example.com', '20260302100000.77-1-ada@example.org'),
    ),
  });

  it('never throws and does not depend on the order of the mails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mailArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat({ max: 1000 }), { minLength: 10, maxLength: 10 }),
        async (specs, keys) => {
          const raws = specs.map((m, i) =>
            makeMail({
              subject: `[${m.rfc ? 'RFC ' : ''}PATCH${m.revision > 1 ? ` v${m.revision}` : ''} ${m.counter}/${m.expected}] frob: gen ${i}`,
              messageId: m.id,
              from: m.sender,
              ...(m.minute === null
                ? {}
                : { date: `Mon, 2 Mar 2026 10:${String(m.minute % 60).padStart(2, '0')}:00 +0000` }),
              ...(m.replyTo ? { inReplyTo: m.replyTo, references: [m.replyTo] } : {}),
              body:
                m.counter === 0
                  ? `Cover ${i}.\n${m.base ? `\nbase-commit: ${m.base}\n` : ''}`
                  : patchBody(
                      `Gen ${i}.\n\nSigned-off-by: A <a@x.org>`,
                      smallDiff(`gen_${i}`),
                      m.base ? `\nbase-commit: ${m.base}\n` : '',
                    ),
            }),
          );
          const mails = await parseAll(raws);
          const view = (input: PatchMail[]) => {
            const { value, issues } = buildSeries(input);
            const ids = (s: Series) =>
              [s.cover, ...s.patches.map((p) => p.mail)].map((m) => m && (m.messageId ?? m.subject));
            return { series: value.series.map((s) => [s.id, s.state, ids(s)]), issues };
          };
          const reference = view(mails);
          // any order: the mails sorted by a random key each
          const shuffled = mails
            .map((m, k) => ({ m, key: keys[k] ?? 0, k }))
            .sort((a, b) => a.key - b.key || a.k - b.k)
            .map((x) => x.m);
          expect(view(shuffled)).toEqual(reference);
          expect(view([...shuffled].reverse())).toEqual(reference);
        },
      ),
      { numRuns: 300 },
    );
  });
});
