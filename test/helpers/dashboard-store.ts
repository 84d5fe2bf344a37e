/**
 * A store filled the way the bot fills it: the real bot (app/bot/run.ts, dry-run, no IMAP) reviews
 * the frob series v1 on fixtures/tree-frob, the author answers one review with
 * `kapi-review: ignore kapi-deprecated-form`, v2 (posted the same day) arrives a day later and is
 * reviewed, people review it on the list (a Reviewed-by on patch 2/3, an Acked-by on the cover
 * letter, an answer that quotes the Reviewed-by back), and a third series arrives whose subject
 * and author name are HTML (`<script>alert(1)</script>`), answered by a reply whose Message-ID,
 * name and trailer are hostile too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBot } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { DashboardQueries } from '../../app/dashboard/queries.js';
import { Store } from '../../app/store/store.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { BOT, botDeps, dryRunPolicy, memoryLog } from './bot.js';
import { gitDiff, makeMail, patchBody } from './mailgen.js';

export const HOSTILE_TITLE = '<script>alert(1)</script>';
const HOSTILE_AUTHOR = '"<img src=x onerror=alert(2)>" <mallory@example.org>';
/** A Message-ID that would end an HTML attribute, and a reviewer's name that is markup. */
export const HOSTILE_REPLY_ID = 'x"onmouseover=alert(3)"@evil.example';
export const HOSTILE_REVIEWER = '<img src=x onerror=alert(6)>';
/** The review of frob v2 patch 2/3 on the list. */
export const REVIEW_ID = 'bo-review-v2-2@example.org';

/** A reply on the list: plain text, threaded under `parents` (nearest last). */
function listReply(o: {
  id: string;
  parents: string[];
  from: string;
  date: string;
  subject: string;
  body: string;
}): Buffer {
  return Buffer.from(
    [
      `Message-ID: <${o.id}>`,
      `In-Reply-To: <${o.parents.at(-1)}>`,
      `References: ${o.parents.map((p) => `<${p}>`).join(' ')}`,
      `From: ${o.from}`,
      'To: linux-frob@example.org',
      `Date: ${o.date}`,
      `Subject: ${o.subject}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      o.body,
      '',
    ].join('\n'),
  );
}

/** The list's review of frob v2: on patch 2/3, on the cover letter, and an answer quoting it back. */
function reviewsOfV2(): Buffer[] {
  const cover = '20260302110000.frob-v2-0@example.org';
  const patch2 = '20260302110000.frob-v2-2@example.org';
  return [
    listReply({
      id: REVIEW_ID,
      parents: [cover, patch2],
      from: 'Bo Reviewer <bo@example.org>',
      date: 'Tue, 3 Mar 2026 15:30:00 +0100',
      subject: 'Re: [PATCH v2 2/3] frob: add API specification for sys_frob',
      body: '> +DEFINE_KERNEL_API_SPEC(sys_frob)\n\nThe spec reads well.\n\nReviewed-by: Bo Reviewer <bo@example.org>',
    }),
    listReply({
      id: 'cy-ack-v2@example.org',
      parents: [cover],
      from: 'Cy Maintainer <cy@example.org>',
      date: 'Tue, 3 Mar 2026 18:00:00 +0000',
      subject: 'Re: [PATCH v2 0/3] frob: bound, document and restrict sys_frob',
      body: 'For the series:\n\nAcked-by: Cy Maintainer <cy@example.org>\n\n-- \nCy',
    }),
    listReply({
      id: 'ann-thanks-v2@example.org',
      parents: [cover, patch2, REVIEW_ID],
      from: 'Ann Author <ann@example.org>',
      date: 'Wed, 4 Mar 2026 08:00:00 +0000',
      subject: 'Re: [PATCH v2 2/3] frob: add API specification for sys_frob',
      body: '> Reviewed-by: Bo Reviewer <bo@example.org>\n\nThanks!',
    }),
  ];
}

const mbox = (name: string): Buffer[] =>
  splitMboxBuffer(readFileSync(join('fixtures', 'mail', name))).map((m) => m.raw);

/** One patch that adds sys_frob's spec in the macro form, under a hostile subject and name. */
function hostileMail(): Buffer {
  const before = readFileSync('fixtures/tree-frob/kernel/frob.c', 'utf8');
  const after = readFileSync('fixtures/kapi/frob.macro.c', 'utf8');
  return Buffer.from(
    makeMail({
      subject: `[PATCH] ${HOSTILE_TITLE}`,
      messageId: 'hostile-1@example.org',
      from: HOSTILE_AUTHOR,
      date: 'Wed, 4 Mar 2026 09:00:00 +0000',
      body: patchBody(
        'frob: a spec, and a subject that is HTML.\n\nSigned-off-by: M <mallory@example.org>',
        gitDiff('kernel/frob.c', before, after),
      ),
    }),
  );
}

export interface ReviewedStore {
  store: Store;
  dir: string;
  log: ReturnType<typeof memoryLog>;
  /** The series ids by lineage order of arrival: frob, then the hostile one. */
  frobId: number;
  hostileId: number;
}

export async function reviewedStore(dir: string): Promise<ReviewedStore> {
  let t = Date.parse('2026-03-02T12:00:00Z');
  const now = () => new Date(t);
  const store = Store.open({ path: join(dir, 'state.db'), now });
  const log = memoryLog();
  const bot = createBot(
    botDeps({
      store,
      parser: await loadCParser(),
      tree: 'fixtures/tree-frob',
      policy: dryRunPolicy(),
      now,
      log,
      dryRunDir: join(dir, 'eml'),
    }),
  );
  for (const m of mbox('base-frob-v1.mbox')) await bot.ingest(m, 'test');
  await bot.tick();
  const ours = store.outbox
    .list()
    .find((e) => e.mail.about.messageId === '20260302100000.frob-v1-2@example.org');
  if (!ours) throw new Error(`the bot did not answer patch 2/3: ${log.text()}`);
  t += 3_600_000;
  await bot.ingest(
    Buffer.from(
      [
        'Message-ID: <ada-reply@example.org>',
        `In-Reply-To: <${ours.mail.messageId}>`,
        `References: <20260302100000.frob-v1-0@example.org> <${ours.mail.messageId}>`,
        'From: Ada Example <ada@example.org>',
        `To: ${BOT}`,
        'Subject: Re: [PATCH 2/3] frob: add API specification for sys_frob',
        '',
        'kapi-review: ignore kapi-deprecated-form',
        '',
      ].join('\n'),
    ),
    'test',
  );
  t = Date.parse('2026-03-03T12:00:00Z');
  for (const m of mbox('revision-frob-v2.mbox')) await bot.ingest(m, 'test');
  await bot.tick();
  t = Date.parse('2026-03-04T09:00:00Z');
  for (const m of reviewsOfV2()) await bot.ingest(m, 'test');
  await bot.tick();
  t = Date.parse('2026-03-04T09:05:00Z');
  await bot.ingest(hostileMail(), 'test');
  await bot.tick();
  await bot.ingest(
    listReply({
      id: HOSTILE_REPLY_ID,
      parents: ['hostile-1@example.org'],
      from: `"${HOSTILE_REVIEWER}" <eve@example.org>`,
      date: 'Wed, 4 Mar 2026 10:00:00 +0000',
      subject: `Re: [PATCH] ${HOSTILE_TITLE}`,
      body: `Acked-by: "${HOSTILE_REVIEWER}" <eve@example.org>`,
    }),
    'test',
  );
  await bot.tick();
  const queries = new DashboardQueries(store);
  const frob = store.series.byLineage(queries.listSeries().items.at(-1)?.series.lineage ?? '');
  const hostile = queries.listSeries({ search: 'script' }).items[0]?.series;
  if (!frob || !hostile) throw new Error(`the bot did not record both series: ${log.text()}`);
  return { store, dir, log, frobId: frob.id, hostileId: hostile.id };
}
