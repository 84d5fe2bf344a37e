import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractMessageIds, parseMail, parseTrailers } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { gitDiff, makeMail, patchBody } from '../helpers/mailgen.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'mail');
const codes = (issues: { code: string }[]) => issues.map((i) => i.code);

describe('parseMail on a format-patch series', () => {
  const msgs = splitMboxBuffer(readFileSync(join(fixtures, 'base-frob-v1.mbox')));

  it('reads the cover letter: no diff, b4 footer', async () => {
    const { value: m, issues } = await parseMail((msgs[0] as { raw: Buffer }).raw);
    expect(issues).toEqual([]);
    expect(m.messageId).toBe('20260302100000.frob-v1-0@example.org');
    expect(m.inReplyTo).toBeNull();
    expect(m.references).toEqual([]);
    expect(m.subjectInfo.counter).toBe(0);
    expect(m.files).toEqual([]);
    expect(m.diff).toBeNull();
    expect(m.footer.changeId).toBe('20260302-frob-spec-1a2b3c');
    expect(m.footer.baseCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(m.footer.signature).toBe('2.39.5');
  });

  it('reads a patch: headers, commit message, trailers, notes, diff', async () => {
    const { value: m, issues } = await parseMail((msgs[3] as { raw: Buffer }).raw);
    expect(issues).toEqual([]);
    expect(m.messageId).toBe('20260302100000.frob-v1-3@example.org');
    expect(m.inReplyTo).toBe('20260302100000.frob-v1-0@example.org');
    expect(m.references).toEqual(['20260302100000.frob-v1-0@example.org']);
    expect(m.from).toEqual({ name: 'Ada Example', address: 'ada@example.org' });
    expect(m.author).toEqual(m.from);
    expect(m.to).toEqual([{ name: '', address: 'linux-frob@example.org' }]);
    expect(m.date).toBe('2026-03-02T11:03:00.000Z');
    expect(m.subject).toBe('[PATCH 3/3] frob: require CAP_SYS_ADMIN');
    expect(m.commitMessage).toBe(
      'Frobnicating memory of the whole system is a privileged operation.\n\n' +
        'Reviewed-by: Bo Reviewer <bo@example.net>\nSigned-off-by: Ada Example <ada@example.org>',
    );
    expect(m.trailers.map((t) => [t.key, t.value])).toEqual([
      ['Reviewed-by', 'Bo Reviewer <bo@example.net>'],
      ['Signed-off-by', 'Ada Example <ada@example.org>'],
    ]);
    expect(m.notes).toMatch(/^ kernel\/frob\.c \| 2 \+\+\n 1 file changed, 2 insertions\(\+\)$/);
    expect(m.diffSource).toBe('body');
    expect(m.files.map((f) => [f.path, f.status])).toEqual([['kernel/frob.c', 'modified']]);
    const added = m.files[0]?.hunks.flatMap((h) =>
      h.lines.filter((l) => l.kind === 'add').map((l) => l.text),
    );
    expect(added).toEqual(['\tif (!capable(CAP_SYS_ADMIN))', '\t\treturn -EPERM;']);
    // the diff part stops before the signature; the body keeps it, exactly
    expect(m.diff?.startsWith('diff --git a/kernel/frob.c b/kernel/frob.c\n')).toBe(true);
    expect(m.diff).not.toContain('2.39.5');
    expect(m.body.endsWith('-- \n2.39.5\n\n')).toBe(true);
    expect(m.body.split('\n')[(m.diffStartLine ?? 0) - 1]).toBe('diff --git a/kernel/frob.c b/kernel/frob.c');
  });
});

describe('parseMail: bodies stay exact', () => {
  const diff = gitDiff('mm/x.c', 'a\n\tb  \nc\n', 'a\n\tB  \nc\n');
  const body = patchBody('Fix b.\n\nSigned-off-by: A <a@x.org>', diff);

  it('keeps tabs and trailing spaces', async () => {
    const { value: m } = await parseMail(makeMail({ subject: '[PATCH] mm: fix b', body }));
    expect(m.body).toBe(body);
    expect(m.files[0]?.hunks[0]?.lines.map((l) => l.text)).toEqual(['a', '\tb  ', '\tB  ', 'c']);
  });

  it('does not reflow format=flowed (a flowed reader would join soft-broken lines)', async () => {
    const flowed = 'A line ending in a space \nthat flowed would join.\n\nSigned-off-by: A <a@x.org>';
    const raw = makeMail({
      subject: '[PATCH] mm: fix b',
      headers: { 'Content-Type': 'text/plain; charset=utf-8; format=flowed' },
      body: patchBody(flowed, diff),
    });
    const { value: m, issues } = await parseMail(raw);
    expect(issues).toEqual([]);
    expect(m.commitMessage.split('\n')[0]).toBe('A line ending in a space ');
    expect(m.files[0]?.hunks[0]?.lines[1]?.text).toBe('\tb  ');
  });

  it('decodes base64 UTF-8 bodies', async () => {
    const text = patchBody('Fix für Jörg.\n\nSigned-off-by: Jörg <j@x.org>', diff);
    const raw = makeMail({
      subject: '[PATCH] mm: fix b',
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Transfer-Encoding': 'base64' },
      body: Buffer.from(text).toString('base64').replace(/.{76}/g, '$&\n'),
    });
    const { value: m, issues } = await parseMail(raw);
    expect(issues).toEqual([]);
    expect(m.body).toBe(text);
    expect(m.trailers[0]?.value).toBe('Jörg <j@x.org>');
  });

  it('decodes quoted-printable with soft breaks, =3D and =09', async () => {
    const qp = 'x =3D y;=\n z=3D1\n=09tabbed=20\nend\n';
    const raw = makeMail({
      subject: 'note',
      headers: {
        'Content-Type': 'text/plain; charset=us-ascii',
        'Content-Transfer-Encoding': 'quoted-printable',
      },
      body: qp,
    });
    const { value: m } = await parseMail(raw);
    expect(m.body).toBe('x = y; z=1\n\ttabbed \nend\n');
  });

  it('decodes Latin-1 and KOI8-R charsets', async () => {
    const latin = Buffer.concat([
      Buffer.from('Subject: x\nMessage-ID: <l@x>\nContent-Type: text/plain; charset=iso-8859-1\n\ncaf'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    expect((await parseMail(latin)).value.body).toBe('café\n');
    const koi = Buffer.concat([
      Buffer.from('Subject: x\nMessage-ID: <k@x>\nContent-Type: text/plain; charset=koi8-r\n\n'),
      Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]),
      Buffer.from('\n'),
    ]);
    expect((await parseMail(koi)).value.body).toBe('Привет\n');
  });

  it('reads undeclared 8-bit bodies without losing bytes, and says so', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: a@x.org\nSubject: x\nMessage-ID: <u@x>\n\nna'),
      Buffer.from([0xef, 0x0a]),
    ]);
    const { value: m, issues } = await parseMail(raw);
    expect(m.body).toBe('naï\n');
    expect(codes(issues)).toEqual(['mail-undeclared-8bit']);
  });

  it('normalises CRLF and parses the same patch', async () => {
    const lf = await parseMail(makeMail({ subject: '[PATCH] mm: fix b', body }));
    const crlf = await parseMail(makeMail({ subject: '[PATCH] mm: fix b', body, eol: '\r\n' }));
    expect(crlf.issues).toEqual([]);
    expect(crlf.value.body).toBe(lf.value.body);
    expect(crlf.value.files).toEqual(lf.value.files);
  });

  it('takes the diff from an attached .patch when the text has none', async () => {
    const raw = makeMail({
      subject: '[PATCH] mm: fix b',
      headers: { 'MIME-Version': '1.0', 'Content-Type': 'multipart/mixed; boundary="XyZ"' },
      body: [
        'preamble',
        '--XyZ',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Please apply.',
        '--XyZ',
        'Content-Type: text/x-patch; name="0001-fix.patch"',
        'Content-Disposition: attachment; filename="0001-fix.patch"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from(`${diff}\n`).toString('base64'),
        '--XyZ--',
        'epilogue',
      ].join('\n'),
    });
    const { value: m, issues } = await parseMail(raw);
    expect(issues).toEqual([]);
    expect(m.body).toBe('Please apply.');
    expect(m.diffSource).toBe('attachment');
    expect(m.files.map((f) => f.path)).toEqual(['mm/x.c']);
  });
});

describe('parseMail: headers', () => {
  it('decodes encoded words and keeps References an array', async () => {
    const raw = makeMail({
      subject: '=?UTF-8?Q?[PATCH_v2_1/2]_mm:_caf=C3=A9?=',
      from: '=?utf-8?b?SsO2cmc=?= <j@x.org>',
      inReplyTo: 'cover@x.org',
      headers: { References: '<root@x.org>\n\t<cover@x.org>', Cc: 'a@x.org, "Last, First" <f@x.org>' },
      body: 'hi',
    });
    const { value: m } = await parseMail(raw);
    expect(m.subject).toBe('[PATCH v2 1/2] mm: café');
    expect(m.subjectInfo.revision).toBe(2);
    expect(m.from).toEqual({ name: 'Jörg', address: 'j@x.org' });
    expect(m.references).toEqual(['root@x.org', 'cover@x.org']);
    expect(m.cc.map((a) => a.address)).toEqual(['a@x.org', 'f@x.org']);
  });

  it('reads In-Reply-To with a trailing comment, and bracket-less ids', () => {
    expect(extractMessageIds("<87a@x.net> (Jonathan Corbet's message of Mon)")).toEqual(['87a@x.net']);
    expect(extractMessageIds('a@b.c')).toEqual(['a@b.c']);
    expect(extractMessageIds('garbage')).toEqual([]);
  });

  it('records list id, Auto-Submitted and the mailer', async () => {
    const raw = makeMail({
      subject: 'x',
      headers: {
        'List-Id': '<linux-api.vger.kernel.org>',
        'Auto-Submitted': 'auto-generated',
        'X-Mailer': 'git-send-email 2.39.5',
      },
      body: 'x',
    });
    const { value: m } = await parseMail(raw);
    expect([m.listId, m.autoSubmitted, m.mailer]).toEqual([
      'linux-api.vger.kernel.org',
      'auto-generated',
      'git-send-email 2.39.5',
    ]);
  });

  it('takes the author from an in-body From: line', async () => {
    const raw = makeMail({
      subject: '[PATCH] mm: fix',
      from: 'Maintainer <m@x.org>',
      body: patchBody(
        'From: Real Author <ra@x.org>\n\nThe fix.\n\nSigned-off-by: Real Author <ra@x.org>',
        gitDiff('a.c', 'x\n', 'y\n'),
      ),
    });
    const { value: m } = await parseMail(raw);
    expect(m.from?.address).toBe('m@x.org');
    expect(m.author).toEqual({ name: 'Real Author', address: 'ra@x.org' });
    expect(m.commitMessage.startsWith('The fix.')).toBe(true);
  });

  it('never reads the clock for a bad Date', async () => {
    const { value: m, issues } = await parseMail(makeMail({ subject: 'x', date: 'not a date', body: 'x' }));
    expect(m.date).toBeNull();
    expect(codes(issues)).toContain('mail-bad-date');
  });
});

describe('parseMail: trailers and footer', () => {
  it('parses a trailer block with continuation lines and maintainer notes', () => {
    const lines = [
      'Body text.',
      '',
      'Fixes: 0123456789ab ("mm: something that',
      '  broke")',
      'Reported-by: R <r@x.org>',
      'Link: https://lore.kernel.org/r/1@x.org',
      '[akpm@linux-foundation.org: fix typo]',
      'Signed-off-by: A <a@x.org>',
      'Cc: <stable@vger.kernel.org>',
    ];
    expect(parseTrailers(lines, 1).map((t) => [t.key, t.value, t.line])).toEqual([
      ['Fixes', '0123456789ab ("mm: something that broke")', 3],
      ['Reported-by', 'R <r@x.org>', 5],
      ['Link', 'https://lore.kernel.org/r/1@x.org', 6],
      ['Signed-off-by', 'A <a@x.org>', 8],
      ['Cc', '<stable@vger.kernel.org>', 9],
    ]);
  });

  it('does not take a prose paragraph for trailers', () => {
    expect(parseTrailers(['Note: this is prose', 'and it continues here.'], 1)).toEqual([]);
  });

  it('reads base-commit and prerequisites after the diff', async () => {
    const footer =
      'base-commit: 1111111111111111111111111111111111111111\nprerequisite-patch-id: 2222222222222222222222222222222222222222\n';
    const raw = makeMail({
      subject: '[PATCH] a',
      body: patchBody('x\n\nSigned-off-by: A <a@x.org>', gitDiff('a.c', 'x\n', 'y\n'), `\n${footer}`),
    });
    const { value: m, issues } = await parseMail(raw);
    expect(issues).toEqual([]);
    expect(m.footer).toEqual({
      baseCommit: '1111111111111111111111111111111111111111',
      changeId: null,
      prerequisites: [{ key: 'prerequisite-patch-id', value: '2222222222222222222222222222222222222222' }],
      signature: '2.39.5',
    });
    expect(m.diff).not.toContain('base-commit');
  });
});

describe('parseMail: bad input gives issues, not exceptions', () => {
  const cases: [string, string | Buffer, string][] = [
    ['empty', '', 'mail-empty'],
    ['no headers', 'just some text\nand more\n', 'mail-malformed-header'],
    ['truncated inside the headers', 'Subject: [PATCH] x\nFrom: a@x.org\nMessage-ID: <t@x', 'mail-no-body'],
    ['no Message-ID', makeMail({ subject: 'x', messageId: null, body: 'x' }), 'mail-missing-message-id'],
    ['NUL bytes', makeMail({ subject: 'x', body: 'a\u0000b' }), 'mail-nul-bytes'],
    [
      'multipart without boundary',
      makeMail({ subject: 'x', headers: { 'Content-Type': 'multipart/mixed' }, body: 'text' }),
      'mail-broken-mime',
    ],
    [
      'multipart never closed',
      makeMail({
        subject: 'x',
        headers: { 'Content-Type': 'multipart/mixed; boundary=b' },
        body: '--b\n\ntext',
      }),
      'mail-broken-mime',
    ],
    [
      'HTML only',
      makeMail({ subject: 'x', headers: { 'Content-Type': 'text/html' }, body: '<p>hi</p>' }),
      'mail-html-only',
    ],
    [
      'unknown charset',
      makeMail({ subject: 'x', headers: { 'Content-Type': 'text/plain; charset=x-klingon' }, body: 'x' }),
      'mail-unknown-charset',
    ],
    [
      'invalid UTF-8',
      Buffer.concat([
        Buffer.from('Subject: x\nMessage-ID: <i@x>\nContent-Type: text/plain; charset=utf-8\n\n'),
        Buffer.from([0xff, 0xfe, 0x0a]),
      ]),
      'mail-invalid-bytes',
    ],
    ['hostile subject', makeMail({ subject: '[PATCH] x\u001b[31m red', body: 'x' }), 'subject-control-chars'],
  ];
  for (const [name, raw, code] of cases) {
    it(`${name}: ${code}`, async () => {
      const { issues } = await parseMail(raw);
      expect(codes(issues)).toContain(code);
    });
  }

  it('parses a 50 MB patch', async () => {
    const big = Array.from(
      { length: 950_000 },
      (_, i) => `+\tint variable_${i} = ${i}; /* padding padding */`,
    );
    const diff = `diff --git a/big.c b/big.c\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/big.c\n@@ -0,0 +1,${big.length} @@\n${big.join('\n')}\n`;
    const raw = makeMail({
      subject: '[PATCH] big',
      body: patchBody('Big.\n\nSigned-off-by: A <a@x.org>', diff),
    });
    expect(raw.length).toBeGreaterThan(50_000_000);
    const { value: m, issues } = await parseMail(raw);
    expect(issues).toEqual([]);
    expect(m.files[0]?.hunks[0]?.lines).toHaveLength(big.length);
    expect(m.files[0]?.hunks[0]?.lines.at(-1)?.newLine).toBe(big.length);
  });

  it('never throws on random or mutated mail (property)', async () => {
    const seed = readFileSync(join(fixtures, 'base-frob-v1.mbox'));
    const msgs = splitMboxBuffer(seed).map((m) => m.raw);
    const mutation = fc.record({
      which: fc.nat({ max: msgs.length - 1 }),
      cut: fc.nat(),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
      inject: fc.constantFrom(
        '',
        '\r\n',
        '\u0000',
        '\n--b--\n',
        'Content-Type: multipart/mixed; boundary=b\n',
        '=?utf-8?b?@@@?=',
        '\n\n',
      ),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ which, cut, edits, inject }) => {
        const base = Buffer.from(msgs[which] as Buffer);
        for (const [pos, byte] of edits) base[pos % base.length] = byte;
        const at = cut % (base.length + 1);
        const raw = Buffer.concat([base.subarray(0, at), Buffer.from(inject, 'latin1'), base.subarray(at)]);
        const r = await parseMail(raw);
        expect(Array.isArray(r.issues)).toBe(true);
        expect(Array.isArray(r.value.references)).toBe(true);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
        const r = await parseMail(bytes);
        expect(typeof r.value.body).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
