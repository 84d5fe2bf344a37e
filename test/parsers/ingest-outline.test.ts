import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syntheticMessages } from '../../bench/synth.js';
import { type IngestedMail, MboxIngest, prefilterMail } from '../../parsers/ingest.js';
import { outlineMailSync, parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { seriesGroupKey, seriesKindOf, seriesMailKind } from '../../parsers/series.js';
import {
  bin,
  bodyArb,
  charsetArb,
  DIFF,
  encodingArb,
  generated,
  layoutArb,
  nameCase,
  subjectArb,
} from '../helpers/ingest-mail.js';

/**
 * The bulk ingest reads a mail outline (parsers/mail.ts outlineMailSync) instead of the full parse
 * when it keeps no parsed mail: the outline must give the same kind, series key and "has a diff"
 * as the full parse, for any mail, and the ingest the same counters and keys either way.
 */
const root = join(import.meta.dirname, '..', '..');

/** The outline of `raw` against the full parse; what the full parse made of it. */
function expectSameOutline(raw: Uint8Array | string): { kind: string; files: number } {
  const full = parseMailSync(raw).value;
  const outline = outlineMailSync(raw);
  const files = full.files.length;
  const kind = seriesMailKind(full);
  expect(outline).toEqual({
    messageId: full.messageId,
    inReplyTo: full.inReplyTo,
    references: full.references,
    from: full.from,
    date: full.date,
    subject: full.subject,
    subjectInfo: full.subjectInfo,
    body: full.body,
    hasDiff: files > 0,
  });
  expect(seriesKindOf(outline.subjectInfo, outline.hasDiff)).toBe(kind);
  expect(seriesGroupKey(outline)).toBe(seriesGroupKey(full));
  return { kind, files };
}

const fixtureFiles: string[] = [];
for (const dir of ['fixtures/mail', 'fixtures/lore', 'fixtures/email'])
  for (const f of readdirSync(join(root, dir)))
    if (/\.(mbox|eml|patch)$/.test(f)) fixtureFiles.push(join(root, dir, f));
const fixtureMails = fixtureFiles.flatMap((f) => splitMboxBuffer(readFileSync(f)).map((m) => m.raw));

describe('outlineMailSync on fixture mail', () => {
  it('gives what the full parse gives on every fixture message', () => {
    for (const raw of fixtureMails) expectSameOutline(raw);
    expect(fixtureMails.length).toBeGreaterThan(20);
  });

  it('reads the odd diff shapes of bugs-diff-shapes.mbox as the full parse does', () => {
    const raws = splitMboxBuffer(readFileSync(join(root, 'fixtures/mail/bugs-diff-shapes.mbox'))).map(
      (m) => m.raw,
    );
    const seen = raws.map((raw) => {
      const { kind, files } = expectSameOutline(raw);
      const full = parseMailSync(raw).value;
      return `${prefilterMail(raw).reason} ${kind} ${files} ${full.diffSource} ${full.files[0]?.binary ?? '-'}`;
    });
    expect(seen).toEqual([
      'subject cover 0 null -', // cover letter
      'diff patch 1 body false', // a truncated hunk
      'diff patch 1 body true', // a binary file only
      'mime patch 1 attachment false', // the diff in an attachment
      'mime patch 0 null -', // `diff --git` in parts the parser does not read: no file
      'diff patch 0 null -', // `---`/`+++` without a hunk, a lone `+++ `: no diff starts
      'diff patch 1 body false', // in-body From: and a `diff --git` line without paths
      'diff patch 1 body false', // no Message-ID: the key holds the body's digest
      'none followup 0 null -', // a reply quoting a diff
    ]);
  });

  it('gives it on fixture mail after random byte mutations, and never throws', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: fixtureMails.length - 1 }),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.constantFrom(0x0a, 0x0d, 0x20, 0x3a, 0x3d, 0x2b, 0x2d, 0x40, 0x64, 0xef, 0x80),
          ),
          { maxLength: 8 },
        ),
        (i, edits) => {
          const raw = Buffer.from(fixtureMails[i] as Buffer);
          for (const [at, byte] of edits) if (raw.length > 0) raw[at % raw.length] = byte;
          expectSameOutline(raw);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives it on the empty message and on text input', () => {
    expect(expectSameOutline(new Uint8Array(0)).files).toBe(0);
    expect(expectSameOutline('').files).toBe(0);
    expect(expectSameOutline(`Subject: [PATCH] x\n\n${DIFF}\n`).files).toBe(1);
  });
});

/** Lines a body is made of: every piece that can start, end or fake a diff. */
const lineArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      'diff --git a/x.c b/x.c',
      'diff --git',
      'diff --git ',
      ' diff --git a/x.c b/x.c',
      '> diff --git a/x.c b/x.c',
      '\ufeffdiff --git a/x.c b/x.c',
      'index 1111111..2222222 100644',
      '--- a/x.c',
      '---',
      '--- ',
      '+++ b/x.c',
      '+++ ',
      '+++',
      '@@ -1 +1 @@',
      '@@ -1,5 +1,5 @@ int f(void)',
      '@@ ',
      '@@',
      '-a',
      '+b',
      ' c',
      '',
      '\r',
      'From: Cee <cee@example.org>',
      'Subject: in-body',
      'Date: Tue, 3 Mar 2026 09:00:00 +0000',
      'GIT binary patch',
      'literal 0',
      'HcmV?d00001',
      'Binary files a/x and b/x differ',
      'old mode 100644',
      'new mode 100755',
      '-- ',
      'Signed-off-by: Ada <ada@example.org>',
      'words',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** A diff whose hunk announces more lines than it has. */
const TRUNCATED = `${DIFF.split('\n').slice(0, -2).join('\n')}\n`;
const BINARY =
  'diff --git a/fw.bin b/fw.bin\nnew file mode 100644\nindex 0000000..1234567\nGIT binary patch\nliteral 8\nPcmd;JWMN@p\n\nliteral 0\nHcmV?d00001\n\n';

describe('outlineMailSync on generated mail', () => {
  it('gives what the full parse gives on bodies made of diff-like lines, wherever they sit', () => {
    fc.assert(
      fc.property(
        fc.tuple(nameCase('Content-Type'), nameCase('Content-Transfer-Encoding'), nameCase('Subject')),
        subjectArb,
        fc.array(lineArb, { maxLength: 14 }),
        fc.constantFrom(null, 'quoted-printable', 'base64'),
        layoutArb,
        fc.boolean(),
        (names, subject, lines, encoding, layout, crlf) => {
          const body = lines.join('\n');
          expectSameOutline(generated(names, subject, body, encoding, null, layout, crlf));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('gives it whatever the encoding, charset or layout of a patch, truncated or binary', () => {
    const patchArb = fc.oneof(
      bodyArb,
      fc.constantFrom(
        TRUNCATED,
        BINARY,
        `From: Cee <cee@example.org>\n\n${TRUNCATED}`,
        `From: Cee <cee@example.org>\nSubject: x\n\nmessage\n---\n${BINARY}-- \n2.39.5\n`,
        `words\n${DIFF}\n-- \n2.39.5\n`,
      ),
    );
    fc.assert(
      fc.property(
        fc.tuple(nameCase('Content-Type'), nameCase('Content-Transfer-Encoding'), nameCase('Subject')),
        subjectArb,
        patchArb,
        encodingArb,
        charsetArb,
        layoutArb,
        fc.boolean(),
        (names, subject, body, encoding, charset, layout, crlf) => {
          expectSameOutline(generated(names, subject, body, encoding, charset, layout, crlf));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('gives it on the synthetic list mail', () => {
    const raws = [...syntheticMessages(1500, 0.1, 23)].flatMap((mbox) =>
      splitMboxBuffer(Buffer.from(mbox)).map((m) => m.raw),
    );
    let patches = 0;
    for (const raw of raws) if (expectSameOutline(raw).kind === 'patch') patches++;
    expect(patches).toBeGreaterThan(50);
  });
});

/** An mboxrd of these messages (From_ lines in them quoted). */
function mboxOf(raws: Uint8Array[]): Buffer {
  return Buffer.concat(
    raws.map((r) =>
      bin(
        `From x@y Mon Sep 17 00:00:00 2001\n${Buffer.from(r)
          .toString('latin1')
          .replace(/^(>*From )/gm, '>$1')
          .replace(/\n?$/, '\n')}\n`,
      ),
    ),
  );
}

/** The ingest of `data` with records (the full parse) and without (the outline). */
function bothWays(data: Buffer): void {
  const records: IngestedMail[] = [];
  const full = new MboxIngest((m) => records.push(m));
  full.push(data);
  const fullStats = full.end();
  const lean = new MboxIngest();
  lean.push(data);
  expect(lean.end()).toEqual(fullStats);
  expect([...lean.seriesKeys]).toEqual([...full.seriesKeys]);
  expect(fullStats.messages).toBe(records.length);
}

describe('MboxIngest with and without records', () => {
  it('counts the same and finds the same series on synthetic and fixture mail', () => {
    bothWays(Buffer.from([...syntheticMessages(1500, 0.1, 29)].join('')));
    bothWays(mboxOf(fixtureMails));
  });

  it('counts the same on generated mail', () => {
    const mailArb = fc
      .tuple(
        fc.tuple(nameCase('Content-Type'), nameCase('Content-Transfer-Encoding'), nameCase('Subject')),
        subjectArb,
        fc.oneof(
          bodyArb,
          fc.array(lineArb, { maxLength: 10 }).map((l) => l.join('\n')),
        ),
        encodingArb,
        charsetArb,
        layoutArb,
        fc.boolean(),
      )
      .map(([names, subject, body, encoding, charset, layout, crlf]) =>
        generated(names, subject, body, encoding, charset, layout, crlf),
      );
    fc.assert(
      fc.property(fc.array(mailArb, { minLength: 1, maxLength: 8 }), (mails) => bothWays(mboxOf(mails))),
      { numRuns: 200 },
    );
  });
});
