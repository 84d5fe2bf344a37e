/**
 * A store filled the way the bot fills it: the real bot (app/bot/run.ts, dry-run, no IMAP) reviews
 * the frob series v1 on fixtures/tree-frob, the author answers one review with
 * `kapi-review: ignore kapi-deprecated-form`, v2 arrives a day later and is reviewed, and a third
 * series arrives whose subject and author name are HTML (`<script>alert(1)</script>`).
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
  t = Date.parse('2026-03-04T09:05:00Z');
  await bot.ingest(hostileMail(), 'test');
  await bot.tick();
  const queries = new DashboardQueries(store);
  const frob = store.series.byLineage(queries.listSeries().items.at(-1)?.series.lineage ?? '');
  const hostile = queries.listSeries({ search: 'script' }).items[0]?.series;
  if (!frob || !hostile) throw new Error(`the bot did not record both series: ${log.text()}`);
  return { store, dir, log, frobId: frob.id, hostileId: hostile.id };
}
