import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syntheticMessages } from '../../bench/synth.js';
import {
  addIngestStats,
  emptyIngestStats,
  type IngestedMail,
  ingestPart,
  MboxIngest,
  PartIngest,
  prefilterMail,
} from '../../parsers/ingest.js';
import { type PatchMail, parseMailSync } from '../../parsers/mail.js';
import { lastMessageStart, splitMboxBuffer } from '../../parsers/mbox.js';
import { headerNames, MIME_HEADERS, splitHeaders } from '../../parsers/mime.js';
import { buildSeries, seriesMailKind } from '../../parsers/series.js';
import type { Issue } from '../../parsers/types.js';
import {
  bodyArb,
  charsetArb,
  encodeBody,
  encodingArb,
  generated,
  layoutArb,
  MODE_DIFF,
  nameCase,
  PATCH_BODY,
  subjectArb,
} from '../helpers/ingest-mail.js';
import { makeMail } from '../helpers/mailgen.js';

const root = join(import.meta.dirname, '..', '..');

/** What the full parser makes of a message that the ingest must never skip. */
function mustParse(raw: Uint8Array): { must: boolean; mail: PatchMail } {
  const mail = parseMailSync(raw).value;
  return { must: seriesMailKind(mail) !== 'followup' || mail.files.length > 0, mail };
}

/** Every message the full parser makes a patch, a cover letter or a mail with a diff is kept. */
function expectNoMiss(raw: Uint8Array): void {
  const { must, mail } = mustParse(raw);
  if (must) {
    const verdict = prefilterMail(raw);
    expect(verdict.reason, `skipped: ${mail.subject} (${mail.files.length} files)`).not.toBe('none');
  }
}

describe('prefilterMail on the synthetic list mail', () => {
  const raws = [...syntheticMessages(3000, 0.05, 7)].flatMap((mbox) =>
    splitMboxBuffer(Buffer.from(mbox)).map((m) => m.raw),
  );

  it('never skips a patch, a cover letter or a mail with a diff, and skips most discussion', () => {
    let must = 0;
    let skipped = 0;
    for (const raw of raws) {
      expectNoMiss(raw);
      if (mustParse(raw).must) must++;
      if (prefilterMail(raw).reason === 'none') skipped++;
    }
    // the generator's mix: about 5% patches plus cover letters; the rest is discussion
    expect(must).toBeGreaterThan(150);
    expect(skipped).toBeGreaterThan(raws.length * 0.8);
  });

  it('classifies like a full parse and buildSeries, through the streaming ingest', () => {
    const data = Buffer.from([...syntheticMessages(1500, 0.05, 11)].join(''));
    const seen: { kind: string; key: string | null }[] = [];
    const ingest = new MboxIngest((m) => seen.push({ kind: m.kind, key: m.seriesKey }));
    for (let i = 0; i < data.length; i += 65_536) ingest.push(data.subarray(i, i + 65_536));
    const stats = ingest.end();

    const all = splitMboxBuffer(data).map((m) => parseMailSync(m.raw).value);
    const kinds = all.map((m) => seriesMailKind(m));
    expect(stats.messages).toBe(all.length);
    expect(stats.patches).toBe(kinds.filter((k) => k === 'patch').length);
    expect(stats.covers).toBe(kinds.filter((k) => k === 'cover').length);
    expect(stats.withDiff).toBe(all.filter((m) => m.files.length > 0).length);
    const series = buildSeries(all.filter((_, i) => kinds[i] !== 'followup')).value.series;
    expect(stats.series).toBe(series.length);
    // what was skipped is exactly what the full parse calls a follow-up without a diff
    seen.forEach((s, i) => {
      if (s.kind === 'other') expect([kinds[i], all[i]?.files.length]).toEqual(['followup', 0]);
      else expect(s.kind).toBe(kinds[i]);
    });
    expect(stats.reasons.none).toBe(seen.filter((s) => s.kind === 'other').length);
  });
});

describe('prefilterMail on the fixtures', () => {
  const files: string[] = [];
  for (const dir of ['fixtures/mail', 'fixtures/lore', 'fixtures/email'])
    for (const f of readdirSync(join(root, dir)))
      if (/\.(mbox|eml|patch)$/.test(f)) files.push(join(root, dir, f));

  it('never skips what the full parser keeps', () => {
    let messages = 0;
    for (const f of files)
      for (const m of splitMboxBuffer(readFileSync(f))) {
        expectNoMiss(m.raw);
        messages++;
      }
    expect(messages).toBeGreaterThan(20);
  });

  it('never skips it after random byte mutations either', () => {
    const raws = files.flatMap((f) => splitMboxBuffer(readFileSync(f)).map((m) => m.raw));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: raws.length - 1 }),
        fc.array(
          fc.tuple(fc.nat(), fc.constantFrom(0x0a, 0x0d, 0x20, 0x3a, 0x3d, 0x2b, 0x2d, 0x64, 0xef, 0x80)),
          {
            maxLength: 6,
          },
        ),
        (i, edits) => {
          const raw = Buffer.from(raws[i] as Buffer);
          for (const [at, byte] of edits) if (raw.length > 0) raw[at % raw.length] = byte;
          expectNoMiss(raw);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('prefilterMail on generated mail', () => {
  it('never skips what the full parser keeps, whatever the encoding, casing or layout', () => {
    fc.assert(
      fc.property(
        fc.tuple(nameCase('Content-Type'), nameCase('Content-Transfer-Encoding'), nameCase('Subject')),
        subjectArb,
        bodyArb,
        encodingArb,
        charsetArb,
        layoutArb,
        fc.boolean(),
        (names, subject, body, encoding, charset, layout, crlf) => {
          expectNoMiss(generated(names, subject, body, encoding, charset, layout, crlf));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never skips a subject with a counter, however its tokens are put together', () => {
    const token = fc.constantFrom(
      'PATCH',
      'RFC',
      'v2',
      '1/3',
      '0/3',
      '01/10',
      '9/9',
      '1/',
      '/3',
      '0/0',
      'mm/slab',
      '6.1/',
      '\uff11/\uff13',
      'x',
    );
    const sep = fc.constantFrom(' ', ',', '\t', ' \x01', '/', '');
    const subjectArb = fc
      .tuple(
        fc.constantFrom('', 'Re: ', 'Fwd:', ' ', 'x '),
        fc.boolean(),
        fc.array(fc.tuple(token, sep), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(' mm/slab: fix', ' frob 2/3 of it', '', ']'),
      )
      .map(([lead, brackets, tokens, title]) => {
        const inner = tokens.map(([t, s]) => `${t}${s}`).join('');
        return `${lead}${brackets ? `[${inner}]` : inner}${title}`;
      });
    const ctArb = fc.constantFrom(
      'text/plain',
      'Multipart/Mixed; boundary="b1"',
      'message/rfc822',
      ' multipart/alternative; boundary=b1',
      'multipart',
      'text/plain; x="multipart/mixed"',
    );
    fc.assert(
      fc.property(subjectArb, ctArb, (subject, ct) => {
        const raw = Buffer.from(makeMail({ subject, headers: { 'Content-Type': ct }, body: 'words\n' }));
        expectNoMiss(raw);
      }),
      { numRuns: 1500 },
    );
  });

  it('finds the patch behind each encoding and skips the plain discussion', () => {
    const mail = (headers: Record<string, string>, body: string, subject = 'frob: rename b') =>
      Buffer.from(makeMail({ subject, headers, body }));
    const reason = (raw: Buffer) => prefilterMail(raw).reason;
    expect(reason(mail({}, PATCH_BODY))).toBe('diff');
    expect(parseMailSync(mail({}, MODE_DIFF)).value.files).toHaveLength(1);
    expect(reason(mail({}, `\ufeff${MODE_DIFF}`))).toBe('diff');
    expect(reason(mail({}, 'Looks good to me.\n\n> diff --git a/x b/x\n'))).toBe('none');
    expect(reason(mail({}, 'words\n', 'Re: [PATCH 1/2] frob'))).toBe('none');
    expect(reason(mail({}, 'words\n', '[PATCH 0/2] frob'))).toBe('subject');
    const qp = encodeBody(PATCH_BODY, 'quoted-printable', 'utf-8').toString('latin1');
    expect(reason(mail({ 'Content-Transfer-Encoding': 'quoted-printable' }, qp))).toBe('encoded');
    expect(prefilterMail(mail({ 'Content-Transfer-Encoding': 'base64' }, 'd29yZHMK\n'))).toEqual({
      reason: 'none',
      decoded: true,
    });
    expect(reason(mail({ 'Content-Type': 'text/plain; charset=utf-16' }, 'x\n'))).toBe('none');
  });
});

describe('MboxIngest', () => {
  it('gives the same result however the input is cut', () => {
    const data = Buffer.from([...syntheticMessages(300, 0.1, 3)].join(''));
    const run = (size: number) => {
      const kinds: string[] = [];
      const ingest = new MboxIngest((m) => kinds.push(`${m.index}:${m.kind}:${m.seriesKey}:${m.size}`));
      for (let i = 0; i < data.length; i += size) ingest.push(data.subarray(i, i + size));
      return { stats: ingest.end(), kinds };
    };
    const whole = run(data.length);
    expect(whole.stats.messages).toBe(300);
    expect(run(4096)).toEqual(whole);
    expect(run(997)).toEqual(whole);
  });
});

describe('PartIngest', () => {
  /** Every place lastMessageStart would let the mbox be cut, first to last. */
  function cuts(data: Buffer, every: number): number[] {
    const out: number[] = [];
    for (let end = every; end < data.length; end += every) {
      const p = lastMessageStart(data, 0, end);
      if (p > 0 && p > (out.at(-1) ?? 0)) out.push(p);
    }
    return out;
  }

  it('adds up, part by part, to what MboxIngest makes of the whole', () => {
    const data = Buffer.from([...syntheticMessages(400, 0.1, 5)].join(''));
    const records: IngestedMail[] = [];
    const whole = new MboxIngest((m) => records.push(m));
    whole.push(data);
    const want = whole.end();
    for (const every of [3000, 20_000, 150_000]) {
      const bounds = [0, ...cuts(data, every), data.length];
      const stats = emptyIngestStats();
      const keys = new Set<string>();
      const mails: IngestedMail[] = [];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const start = bounds[i] as number;
        const slice = data.subarray(start, bounds[i + 1]);
        // pushed in pieces, or at once
        const part =
          i % 2 === 0
            ? ingestPart([slice.subarray(0, 100), slice.subarray(100)], { records: true })
            : (() => {
                const p = new PartIngest({ records: true });
                p.push(slice);
                return p.end();
              })();
        const before = stats.messages;
        addIngestStats(stats, part.stats);
        for (const k of part.seriesKeys) keys.add(k);
        for (const m of part.mails ?? [])
          mails.push({ ...m, index: m.index + before, offset: m.offset + start });
      }
      stats.series = keys.size;
      expect(bounds.length).toBeGreaterThan(2);
      expect(stats).toEqual(want);
      expect(mails).toEqual(records);
    }
  });

  it('keeps counters only, or records without the parsed mail, when asked', () => {
    const data = Buffer.from([...syntheticMessages(60, 0.3, 8)].join(''));
    expect(ingestPart([data]).mails).toBeNull();
    const lean = ingestPart([data], { records: true, parsedMail: false }).mails ?? [];
    const full = ingestPart([data], { records: true }).mails ?? [];
    expect(lean.every((m) => m.mail === null)).toBe(true);
    expect(full.some((m) => m.mail !== null)).toBe(true);
    expect(lean).toEqual(full.map((m) => ({ ...m, mail: null })));
  });
});

describe('the header split that keeps only some fields', () => {
  const line = fc.oneof(
    fc.constantFrom(
      'Content-Type: text/plain; charset=utf-8',
      'content-type: multipart/mixed;',
      '\tboundary="b1"',
      ' continued',
      'CONTENT-TRANSFER-ENCODING: quoted-printable',
      'Content-Disposition: attachment; filename="x.patch"',
      'Content-Typo: text/html',
      'Subject: [PATCH 1/2] x',
      'X-Long-Header-Name-Of-Twelve: y',
      'Received: from a by b',
      'From x Mon Sep 17 00:00:00 2001',
      'not a header',
      ': empty name',
      'Na\u00efve: 8-bit name',
      'X: caf\u00e9 \u00e9t\u00e9',
      '',
      'body text',
    ),
    fc.string({ maxLength: 30 }),
  );

  it('ends the block where the full split does and keeps the named fields as it does', () => {
    const some = ['subject', 'from', 'message-id', 'content-type', 'x'];
    const onlyArb = fc.constantFrom(MIME_HEADERS, headerNames(some), headerNames([]));
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 14 }),
        fc.constantFrom('\n', '\r\n'),
        onlyArb,
        (lines, eol, only) => {
          const raw = Buffer.from(lines.join(eol), 'latin1');
          const fullIssues: Issue[] = [];
          const full = splitHeaders(raw, fullIssues);
          const someIssues: Issue[] = [];
          const kept = splitHeaders(raw, someIssues, only);
          expect(kept.bodyOffset).toBe(full.bodyOffset);
          expect(kept.headerLines).toBe(full.headerLines);
          expect(someIssues).toEqual(fullIssues);
          expect(kept.headers).toEqual(full.headers.filter((h) => only.names.has(h.name)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
