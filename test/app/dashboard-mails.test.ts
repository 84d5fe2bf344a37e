import { describe, expect, it } from 'vitest';
import { rawTouches, readHead } from '../../app/dashboard/mails.js';
import { DashboardQueries } from '../../app/dashboard/queries.js';
import type { RevisionInput } from '../../app/store/series.js';
import type { Store } from '../../app/store/store.js';
import { gitDiff, makeMail, patchBody } from '../helpers/mailgen.js';
import * as fx from '../helpers/store.js';

/**
 * The dashboard's read model over the raw mail the store keeps (app/dashboard/mails.ts and the
 * queries on it): the mails' own dates, search by Message-ID, file and syscall, and the people's
 * replies in a revision's thread, over a real store filled through its own methods.
 */
const fixtures = fx.storeFixtures();

function open(c = fx.clock('2026-06-01T00:00:00.000Z')): Store {
  return fixtures.open(`${fixtures.tempDir()}/state.db`, c);
}

function keep(store: Store, text: string): string {
  const id = readHead(Buffer.from(text)).messageId as string;
  store.messages.saveRaw(id, 'test', Buffer.from(text));
  return id;
}

function patchMail(id: string, subject: string, date: string, diff: string, parents: string[] = []): string {
  return makeMail({
    subject,
    messageId: id,
    date,
    ...(parents.length ? { inReplyTo: parents.at(-1) as string, references: parents } : {}),
    body: patchBody(`${subject}\n\nSigned-off-by: Ada Example <ada@example.org>`, diff),
  });
}

function reply(
  id: string,
  parents: string[],
  body: string,
  extra: { date?: string; from?: string; headers?: Record<string, string>; noReferences?: boolean } = {},
): string {
  return makeMail({
    subject: 'Re: [PATCH] x',
    messageId: id,
    inReplyTo: parents.at(-1) as string,
    ...(extra.noReferences ? {} : { references: parents }),
    date: extra.date ?? 'Tue, 3 Mar 2026 10:00:00 +0000',
    from: extra.from ?? 'Bo Reviewer <bo@example.org>',
    ...(extra.headers ? { headers: extra.headers } : {}),
    body,
  });
}

const revision = (n: number, patches: string[], cover: string | null = null): RevisionInput => ({
  revision: n,
  coverMessageId: cover,
  patchMessageIds: patches,
  state: 'complete',
  stateDetail: null,
  baseCommit: null,
  changeId: null,
});

/** Records a series with one revision of the kept mails; returns the series and revision ids. */
function record(store: Store, lineage: string, title: string, rev: RevisionInput) {
  const s = store.series.upsert({ lineage, title, author: 'Ada Example <ada@example.org>', listId: null });
  const r = store.series.addRevision(s.id, rev);
  return { seriesId: s.id, rev: r };
}

const MLOCK_C =
  'SYSCALL_DEFINE1(mlockall, int, flags)\n{\n\tint ret;\n\tint a;\n\tint b;\n\n\tret = 0;\n\treturn ret;\n}\n';
const READ_C =
  'SYSCALL_DEFINE3(read, unsigned int, fd, char __user *, buf, size_t, count)\n{\n\treturn ksys_read(fd, buf, count);\n}\n';
const FROB_C = '#include <linux/syscalls.h>\n\nlong frob(void);\n';

describe('dashboard: the dates of the mails', () => {
  it('spreads a backfilled year over the days its mails were posted, not the day they were read', () => {
    const c = fx.clock('2026-06-01T00:00:00.000Z');
    const store = open(c);
    for (let month = 0; month < 12; month++) {
      const day = new Date(Date.UTC(2025, 6 + month, 3, 9, 30)).toUTCString();
      const id = keep(
        store,
        patchMail(
          `m${month}@example.org`,
          `[PATCH] step ${month}`,
          day,
          gitDiff('kernel/a.c', 'a\n', `b${month}\n`),
        ),
      );
      const { rev } = record(store, `lin-${month}`, `step ${month}`, revision(1, [id]));
      store.findings.record(rev.id, [fx.finding(`f${month}`, { messageId: id })]);
    }
    // a revision whose mail was not kept counts on the day it arrived
    const { rev } = record(store, 'lin-lost', 'lost', revision(1, ['lost@example.org']));
    store.findings.record(rev.id, [fx.finding('lost')]);
    const q = new DashboardQueries(store);
    const days = q.findingsPerDay().map((d) => d.day);
    expect(days).toEqual([
      '2025-07-03',
      '2025-08-03',
      '2025-09-03',
      '2025-10-03',
      '2025-11-03',
      '2025-12-03',
      '2026-01-03',
      '2026-02-03',
      '2026-03-03',
      '2026-04-03',
      '2026-05-03',
      '2026-06-01',
      '2026-06-03',
    ]);
    const list = q.listSeries({ search: 'step 11' }).items[0];
    expect(list?.postedAt).toBe('2026-06-03T09:30:00.000Z');
    expect(list?.latest?.receivedAt).toBe('2026-06-01T00:00:00.000Z');
  });

  it('takes the cover letter Date for a revision, else the latest patch Date (a partial reroll keeps old patches)', () => {
    const store = open();
    const cover = keep(
      store,
      makeMail({
        subject: '[PATCH 0/1] c',
        messageId: 'c@x',
        date: 'Mon, 2 Mar 2026 08:00:00 +0000',
        body: 'c',
      }),
    );
    const p1 = keep(
      store,
      patchMail('p1@x', '[PATCH 1/2] a', 'Sun, 1 Feb 2026 08:00:00 +0000', gitDiff('a.c', 'a\n', 'b\n')),
    );
    const p2 = keep(
      store,
      patchMail('p2@x', '[PATCH 2/2] b', 'Wed, 4 Mar 2026 08:00:00 +0100', gitDiff('b.c', 'a\n', 'b\n')),
    );
    const q = new DashboardQueries(store);
    expect(q.postedAt({ coverMessageId: cover, patchMessageIds: [p1, p2] })).toBe('2026-03-02T08:00:00.000Z');
    expect(q.postedAt({ coverMessageId: null, patchMessageIds: [p1, p2] })).toBe('2026-03-04T07:00:00.000Z');
    expect(q.postedAt({ coverMessageId: 'unknown@x', patchMessageIds: ['gone@x'] })).toBeNull();
    expect(q.mailDate('unknown@x')).toBeNull();
  });
});

/** Three series: one touches mlockall in mm/mlock.c, one sys_read in fs/read_write.c, one adds a spec. */
function searchable(store: Store) {
  const a = keep(
    store,
    patchMail(
      'a-1@example.org',
      '[PATCH] one',
      'Mon, 2 Mar 2026 10:00:00 +0000',
      gitDiff('mm/mlock.c', MLOCK_C, MLOCK_C.replace('ret = 0', 'ret = -EINVAL')).replace(
        /^(@@ [^@]+ @@)$/m,
        // as git writes it: the function the hunk is in, after the second @@
        '$1 SYSCALL_DEFINE1(mlockall, int, flags)',
      ),
    ),
  );
  const b = keep(
    store,
    patchMail(
      'b-1@example.org',
      '[PATCH] two',
      'Mon, 2 Mar 2026 11:00:00 +0000',
      gitDiff('fs/read_write.c', READ_C, READ_C.replace('return ksys', 'return 0 + ksys')),
    ),
  );
  const cover = keep(
    store,
    makeMail({ subject: '[PATCH 0/1] three', messageId: 'c-0@example.org', body: 'cover' }),
  );
  const c = keep(
    store,
    patchMail(
      'c-1@example.org',
      '[PATCH 1/1] three',
      'Mon, 2 Mar 2026 12:00:00 +0000',
      gitDiff('kernel/frob.c', FROB_C, `${FROB_C}\nDEFINE_KERNEL_API_SPEC(sys_frob)\nKAPI_END_SPEC;\n`),
      [cover],
    ),
  );
  const A = record(store, 'lin-a', 'one', revision(1, [a]));
  const B = record(store, 'lin-b', 'two', revision(1, [b]));
  const C = record(store, 'lin-c', 'three', revision(1, [c], cover));
  store.findings.record(C.rev.id, [
    {
      ...fx.finding('eperm', { messageId: c, spec: 'sys_frob', subject: 'EPERM' }),
      at: { path: 'kernel/frob.c', line: 4, messageId: c },
      evidence: [],
    },
  ]);
  keep(store, reply('a-review@example.org', [a], 'Reviewed-by: Bo Reviewer <bo@example.org>'));
  store.outbox.enqueue({
    key: 'review-b',
    from: 'bot@example.net',
    to: ['ada@example.org'],
    cc: [],
    subject: 'Re: [PATCH] two',
    messageId: 'bot-review-b@example.net',
    inReplyTo: b,
    references: [b],
    headers: {},
    text: 'x',
    about: { messageId: b, fingerprints: [] },
  });
  return { A: A.seriesId, B: B.seriesId, C: C.seriesId };
}

/** The ids of the series a search finds, in order. */
const foundIn = (q: DashboardQueries) => (search: string) =>
  q
    .listSeries({ search })
    .items.map((i) => i.series.id)
    .sort();

describe('dashboard: search by Message-ID, file and syscall', () => {
  it('finds a series by any of its Message-IDs, a reply in its thread, our review of it, or a lore URL', () => {
    const store = open();
    const { A, B, C } = searchable(store);
    const q = new DashboardQueries(store);
    const found = foundIn(q);
    expect(found('c-0@example.org')).toEqual([C]);
    expect(found('<c-1@example.org>')).toEqual([C]);
    expect(found('a-review@example.org')).toEqual([A]);
    expect(found('mid:bot-review-b@example.net')).toEqual([B]);
    expect(found('https://lore.kernel.org/all/b-1@example.org/T/#u')).toEqual([B]);
    expect(found('nobody@example.org')).toEqual([]);
  });

  it('finds a series by a file its patches touch (path, folder or file name) and by a syscall it touches', () => {
    const store = open();
    const { A, B, C } = searchable(store);
    const q = new DashboardQueries(store);
    const found = foundIn(q);
    expect(found('mm/mlock.c')).toEqual([A]);
    expect(found('b/mm/mlock.c')).toEqual([A]);
    expect(found('mlock.c')).toEqual([A]);
    expect(found('fs/')).toEqual([B]);
    expect(found('kernel/frob.c')).toEqual([C]);
    expect(found('net/')).toEqual([]);
    expect(found('mlockall')).toEqual([A]);
    expect(found('sys_read')).toEqual([B]);
    expect(found('read(2)')).toEqual([B]);
    // sys_frob: through the finding's spec and through the spec the diff adds
    expect(found('sys_frob')).toEqual([C]);
    expect(found('EPERM')).toEqual([C]);
    expect(found('munlock')).toEqual([]);
    expect(q.listSeries({ search: 'read' }).total).toBe(1);
  });
});

describe('dashboard: what a patch touches', () => {
  const diff = gitDiff('fs/read_write.c', READ_C, READ_C.replace('return ksys', 'return 0 + ksys'));
  const plain = patchMail('t@x', '[PATCH] t', 'Mon, 2 Mar 2026 10:00:00 +0000', diff);
  const [head, body] = [plain.slice(0, plain.indexOf('\n\n')), plain.slice(plain.indexOf('\n\n') + 2)];

  it('reads plain mail line by line and encoded mail whole, with the same answer', () => {
    const want = { files: ['fs/read_write.c'], syscalls: ['read'] };
    expect(rawTouches(Buffer.from(plain))).toEqual(want);
    const b64 = (
      Buffer.from(body)
        .toString('base64')
        .match(/.{1,76}/g) ?? []
    ).join('\n');
    expect(rawTouches(Buffer.from(`${head}\nContent-Transfer-Encoding: base64\n\n${b64}\n`))).toEqual(want);
    // quoted-printable with a soft line break inside the SYSCALL_DEFINE line
    const qp = body.replaceAll('=', '=3D').replace('SYSCALL_DEFINE3(read,', 'SYSCALL_DEFI=\nNE3(read,');
    expect(rawTouches(Buffer.from(`${head}\nContent-Transfer-Encoding: quoted-printable\n\n${qp}`))).toEqual(
      want,
    );
    // SYSCALL_DEFINE in the commit message is no part of the diff
    expect(rawTouches(Buffer.from(`${head}\n\nSYSCALL_DEFINE1(evil, int, x) moved.\n`))).toEqual({
      files: [],
      syscalls: [],
    });
  });

  it('takes new, deleted and renamed files and a plain diff -u', () => {
    const mail = (d: string) => Buffer.from(`${head}\n\nmsg\n---\n${d}\n`);
    expect(
      rawTouches(
        mail(
          'diff --git a/old.c b/new.c\nsimilarity index 90%\nrename from old.c\nrename to new.c\n--- a/old.c\n+++ b/new.c\n@@ -1 +1 @@\n-a\n+b',
        ),
      ).files,
    ).toEqual(['new.c', 'old.c']);
    expect(
      rawTouches(mail('diff --git a/gone.c b/gone.c\n--- a/gone.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-a')).files,
    ).toEqual(['gone.c']);
    expect(
      rawTouches(mail('--- lib/x.c\t2026-01-01\n+++ lib/x.c\t2026-01-02\n@@ -1 +1 @@\n-a\n+b')).files,
    ).toEqual(['lib/x.c']);
  });
});

describe("dashboard: the people's replies in a revision's thread", () => {
  it('puts each reply on the revision and mail it answers, with its trailers; leaves out bots and other revisions', () => {
    const c = fx.clock('2026-03-05T00:00:00.000Z');
    const store = open(c);
    const v1c = keep(
      store,
      makeMail({ subject: '[PATCH 0/2] frob', messageId: 'v1-0@x.org', body: 'cover' }),
    );
    const v1p = ['v1-1@x.org', 'v1-2@x.org'].map((id, i) =>
      keep(
        store,
        patchMail(
          id,
          `[PATCH ${i + 1}/2] frob`,
          'Mon, 2 Mar 2026 10:00:00 +0000',
          gitDiff(`k${i}.c`, 'a\n', 'b\n'),
          [v1c],
        ),
      ),
    );
    // v2 is posted in the thread of v1
    const v2c = keep(
      store,
      makeMail({
        subject: '[PATCH v2 0/2] frob',
        messageId: 'v2-0@x.org',
        inReplyTo: v1c,
        references: [v1c],
        body: 'cover',
      }),
    );
    const v2p = ['v2-1@x.org', 'v2-2@x.org'].map((id, i) =>
      keep(
        store,
        patchMail(
          id,
          `[PATCH v2 ${i + 1}/2] frob`,
          'Wed, 4 Mar 2026 10:00:00 +0000',
          gitDiff(`k${i}.c`, 'a\n', 'c\n'),
          [v1c, v2c],
        ),
      ),
    );
    const { seriesId, rev: r1 } = record(store, 'lin', 'frob', revision(1, v1p, v1c));
    const r2 = store.series.addRevision(seriesId, revision(2, v2p, v2c));
    keep(
      store,
      reply('r1@x.org', [v1c, v1p[0] as string], 'Reviewed-by: Bo Reviewer <bo@example.org>', {
        date: 'Mon, 2 Mar 2026 12:00:00 +0000',
      }),
    );
    keep(
      store,
      reply(
        'r2@x.org',
        [v1c, v2c, v2p[1] as string],
        '> Reviewed-by: Old <old@example.org>\nAcked-by: Cy <cy@example.org>',
        { from: 'Cy <cy@example.org>', date: 'Wed, 4 Mar 2026 12:00:00 +0000' },
      ),
    );
    // only In-Reply-To, to another reply: found through it
    keep(
      store,
      reply('r3@x.org', ['r2@x.org'], 'Tested-by: Dee <dee@example.org>', {
        noReferences: true,
        from: 'Dee <dee@example.org>',
        date: 'Wed, 4 Mar 2026 13:00:00 +0000',
      }),
    );
    keep(
      store,
      reply('ci@x.org', [v1c, v2c], 'Tested-by: CI <ci@example.org>', {
        headers: { 'Auto-Submitted': 'auto-generated' },
      }),
    );
    keep(
      store,
      reply('ours@x.org', [v1c, v2c, v2p[0] as string], 'Reviewed-by: Not Us <bot@example.net>', {
        headers: { 'X-Mailer': 'kapi-review 0.1.0' },
      }),
    );
    store.series.addFollowUp(r1.id, 'cmd@x.org', 'ada@example.org', 'kapi-review: mute');
    const q = new DashboardQueries(store);
    const of = (rev: typeof r1) =>
      q.humanReplies(rev).map((r) => ({
        id: r.messageId,
        about: r.about,
        date: r.date,
        trailers: r.trailers.map((t) => `${t.key}: ${t.name} <${t.address}>`),
        command: r.followUp?.command ?? null,
      }));
    expect(of(r1)).toEqual([
      {
        id: 'r1@x.org',
        about: 'v1-1@x.org',
        date: '2026-03-02T12:00:00.000Z',
        trailers: ['Reviewed-by: Bo Reviewer <bo@example.org>'],
        command: null,
      },
      // an answer to our review: its mail is not kept, so it sorts by when it arrived
      { id: 'cmd@x.org', about: null, date: null, trailers: [], command: 'kapi-review: mute' },
    ]);
    expect(of(r2)).toEqual([
      {
        id: 'r2@x.org',
        about: 'v2-2@x.org',
        date: '2026-03-04T12:00:00.000Z',
        trailers: ['Acked-by: Cy <cy@example.org>'],
        command: null,
      },
      {
        id: 'r3@x.org',
        about: 'v2-2@x.org',
        date: '2026-03-04T13:00:00.000Z',
        trailers: ['Tested-by: Dee <dee@example.org>'],
        command: null,
      },
    ]);
    // a reply kept after the first look is found by the next page (each page asks anew)
    keep(store, reply('r4@x.org', [v1c, v2c], 'Looks good.', { from: 'Eli <eli@example.org>' }));
    expect(new DashboardQueries(store).humanReplies(r2).map((r) => r.messageId)).toEqual([
      'r4@x.org',
      'r2@x.org',
      'r3@x.org',
    ]);
  });
});
