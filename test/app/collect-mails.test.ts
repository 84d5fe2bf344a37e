import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { collectMails } from '../../app/io/inputs.js';
import { syntheticMessages } from '../../bench/synth.js';
import { type PatchMail, parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries, compactMail, MailCollector } from '../../parsers/series.js';
import { seriesToJson } from '../../reporters/series.js';
import { makeMail, makeSeries, patchBody, smallDiff } from '../helpers/mailgen.js';

/**
 * Issue 14: `series` and `check` on a big mbox of mostly duplicates kept every parsed mail (5.6x
 * the input in memory). Copies are now dropped as they are read and follow-ups kept compact; the
 * series built are the same as from every mail.
 */
const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'mail');
const scratches: string[] = [];
afterAll(() => {
  for (const d of scratches) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'kapi-collect-'));
  scratches.push(d);
  return d;
}

const asMbox = (raws: string[]): string =>
  raws.map((r) => `From x@y Mon Sep 17 00:00:00 2001\n${r}\n`).join('');
const json = (mails: PatchMail[], dropped = [] as Parameters<typeof buildSeries>[1]) => {
  const built = buildSeries(mails, dropped);
  return { set: seriesToJson(built.value, []), issues: built.issues };
};

/** A pool of mails with the shapes that matter: copies, conflicting copies, no Message-ID. */
function pool(): string[] {
  const series = makeSeries({ n: 3, idPrefix: 'p' });
  const reply = (id: string, to: string, body: string, extra: Partial<Parameters<typeof makeMail>[0]> = {}) =>
    makeMail({
      subject: 'Re: [PATCH 1/3] frob: demo series',
      messageId: id,
      inReplyTo: to,
      references: ['p-0@example.org', to],
      body,
      ...extra,
    });
  return [
    ...series,
    reply('r1@example.org', 'p-1@example.org', 'Looks good.\n'),
    reply('r1@example.org', 'p-1@example.org', 'Looks good, but another copy.\n'),
    reply('r1@example.org', 'p-1@example.org', 'A later copy.\n', { date: 'Tue, 3 Mar 2026 10:00:00 +0000' }),
    reply('r1@example.org', 'p-2@example.org', 'Same id, other thread.\n', { from: 'Bo <bo@example.org>' }),
    reply('r2@example.org', 'r1@example.org', 'A reply to the reply.\n'),
    reply('nomid', 'p-2@example.org', 'No Message-ID here.\n', { messageId: null }),
    reply('nomid', 'p-2@example.org', 'No Message-ID either.\n', { messageId: null }),
    makeMail({
      subject: '[PATCH 2/3] frob: demo series',
      messageId: 'p-2@example.org',
      inReplyTo: 'p-0@example.org',
      references: ['p-0@example.org'],
      body: patchBody('A conflicting copy.\n\nSigned-off-by: A <a@x.org>', smallDiff('c')),
    }),
    makeMail({ subject: 'unrelated', messageId: 'u@example.org', body: 'Hello.\n' }),
  ];
}

describe('collecting mails for series', () => {
  it('gives the series every mail gives, whatever the copies and their order', async () => {
    const raws = pool();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: raws.length - 1 }), { minLength: 1, maxLength: 30 }),
        async (picks) => {
          const chosen = picks.map((i) => raws[i] as string);
          const all = chosen.map((r) => parseMailSync(r).value);
          const c = new MailCollector({ compact: true });
          for (const m of all) c.add(m);
          expect(json(c.mails, c.dropped)).toEqual(json(all));
          // and through the reader, where byte-identical copies are not even parsed again
          const dir = scratch();
          writeFileSync(join(dir, 'in.mbox'), asMbox(chosen));
          const read = await collectMails([join(dir, 'in.mbox')]);
          expect(read.messages).toBe(chosen.length);
          expect(json(read.mails, read.dropped)).toEqual(json(all));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives what it gave before on every fixture mbox, and on synthetic list mail', () => {
    const mboxes = readdirSync(fixtures).filter((f) => f.endsWith('.mbox'));
    const inputs = [
      ...mboxes.map((f) =>
        splitMboxBuffer(readFileSync(join(fixtures, f))).map((m) => m.raw.toString('latin1')),
      ),
      [...syntheticMessages(400, 0.2, 3)].flatMap((m) =>
        splitMboxBuffer(Buffer.from(m)).map((x) => x.raw.toString('latin1')),
      ),
    ];
    for (const raws of inputs) {
      const all = [...raws, ...raws.slice(0, 50)].map((r) => parseMailSync(Buffer.from(r, 'latin1')).value);
      const c = new MailCollector({ compact: true });
      for (const m of all) c.add(m);
      expect(json(c.mails, c.dropped)).toEqual(json(all));
    }
  });

  it('keeps one copy per Message-ID, and follow-ups without their text', async () => {
    // 2,000 messages of list mail, twenty times over: about 20 MB, generated here
    const once = [...syntheticMessages(2000, 0.05, 11)].join('');
    const dir = scratch();
    writeFileSync(join(dir, 'once.mbox'), once);
    writeFileSync(join(dir, 'many.mbox'), once.repeat(20));
    const one = await collectMails([join(dir, 'once.mbox')]);
    const many = await collectMails([join(dir, 'many.mbox')]);
    expect(many.messages).toBe(20 * one.messages);
    expect(many.mails.length).toBe(one.mails.length);
    expect(many.dropped.length).toBe(19 * one.mails.filter((m) => m.messageId !== null).length);
    expect(JSON.stringify(many.mails).length).toBe(JSON.stringify(one.mails).length);
    // follow-ups carry no body; what is kept is a fraction of what was read
    const followUps = many.mails.filter((m) => m.bodyDigest !== undefined);
    expect(followUps.length).toBeGreaterThan(one.mails.length / 2);
    expect(followUps.every((m) => m.body === '' && m.files.length === 0 && m.to.length === 0)).toBe(true);
    // about 1 KB each, of messages of about 5 KB (the 5% with patches are kept whole)
    expect(JSON.stringify(followUps).length / followUps.length).toBeLessThan(1500);
    expect(once.length / one.messages).toBeGreaterThan(4000);
  });

  it('compacts only what stays a follow-up', () => {
    const [cover, patch] = makeSeries({ n: 1, idPrefix: 'k' }).map((r) => parseMailSync(r).value);
    expect(compactMail(cover as PatchMail)).toBe(cover);
    expect(compactMail(patch as PatchMail)).toBe(patch);
    const reply = parseMailSync(
      makeMail({ subject: 'Re: x', messageId: 'q@example.org', body: 'text\n' }),
    ).value;
    expect(compactMail(reply)).toMatchObject({ body: '', messageId: 'q@example.org', subject: 'Re: x' });
  });
});
