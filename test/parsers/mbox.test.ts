import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  lastMessageStart,
  type MboxFormat,
  type MboxMessage,
  type MboxOptions,
  MboxSplitter,
  splitMbox,
  splitMboxBuffer,
} from '../../parsers/mbox.js';

const FROM_RD = 'From mboxrd@z Thu Jan  1 00:00:00 1970';
const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'mail', 'base-mboxrd.mbox');

const bin = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Splits a buffer into lines, each keeping its LF (the last one may have none). */
function lines(raw: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const lf = raw.indexOf(10, pos);
    const end = lf < 0 ? raw.length : lf + 1;
    out.push(raw.subarray(pos, end));
    pos = end;
  }
  return out;
}

interface Written {
  data: Buffer;
  offsets: number[];
}

/**
 * A minimal mbox writer: From_ line, the escaped message, one blank separator line. A message that
 * does not end with a newline can only round-trip as the last one, so it gets no separator.
 */
function writeMbox(
  raws: Buffer[],
  opts: { format?: MboxFormat; eol?: string; fromLine?: (i: number) => string } = {},
): Written {
  const needsEscape = opts.format === 'mboxo' ? /^From / : /^>*From /;
  const eol = opts.eol ?? '\n';
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let size = 0;
  const add = (b: Buffer) => {
    parts.push(b);
    size += b.length;
  };
  raws.forEach((raw, i) => {
    offsets.push(size);
    add(bin(`${opts.fromLine ? opts.fromLine(i) : FROM_RD}${eol}`));
    for (const line of lines(raw)) {
      if (needsEscape.test(line.toString('latin1', 0, Math.min(line.length, 64)))) add(bin('>'));
      add(line);
    }
    if (raw.length === 0 || raw[raw.length - 1] === 10) add(bin(eol));
  });
  return { data: Buffer.concat(parts), offsets };
}

/** Cuts data into chunks whose sizes cycle through `sizes`. */
function chunked(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  let i = 0;
  while (pos < data.length) {
    const n = Math.max(1, sizes[i++ % sizes.length] ?? 1);
    out.push(data.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

function splitSync(chunks: Iterable<Uint8Array>, options?: MboxOptions): MboxMessage[] {
  const splitter = new MboxSplitter(options);
  const out: MboxMessage[] = [];
  for (const c of chunks) out.push(...splitter.push(c));
  out.push(...splitter.end());
  return out;
}

async function collect(it: AsyncIterable<MboxMessage>): Promise<MboxMessage[]> {
  const out: MboxMessage[] = [];
  for await (const m of it) out.push(m);
  return out;
}

const codes = (m: MboxMessage | undefined): string[] => (m ? m.issues.map((i) => i.code) : ['<missing>']);

describe('public-inbox fixture', () => {
  const data = readFileSync(FIXTURE);

  it('splits the cover letter and two patches and unescapes >From', async () => {
    const msgs = await collect(splitMbox(createReadStream(FIXTURE, { highWaterMark: 7 })));
    expect(msgs).toHaveLength(3);
    expect(msgs).toEqual(splitMboxBuffer(data));
    const subjects = msgs.map((m) => /^Subject: (.*)$/m.exec(m.raw.toString('utf8'))?.[1]);
    expect(subjects).toEqual([
      '[PATCH 0/2] demo: tidy up the widget counter',
      '[PATCH 1/2] demo: widget: count with an unsigned int',
      '[PATCH 2/2] demo: widget: add widget_reset()',
    ]);
    const patch1 = msgs[1]?.raw.toString('utf8') ?? '';
    expect(patch1).toContain('\n\nFrom the trace it is clear that count wraps');
    expect(patch1).not.toContain('>From');
    expect(data.toString('utf8')).toContain('\n>From the trace');
    for (const [i, m] of msgs.entries()) {
      expect(m.index).toBe(i);
      expect(m.fromLine).toBe(FROM_RD);
      expect(data.subarray(m.offset, m.offset + FROM_RD.length + 1).toString()).toBe(`${FROM_RD}\n`);
      expect(m.raw.subarray(0, 6).toString()).toBe('From: ');
      expect(m.raw.toString().endsWith('\n-- \n2.43.0\n')).toBe(true);
      expect(m.issues).toEqual([]);
    }
    expect(msgs.map((m) => m.offset)[0]).toBe(0);
    // the mbox adds exactly the From_ line, one escape byte and one separator line per message
    const rawTotal = msgs.reduce((n, m) => n + m.raw.length, 0);
    expect(data.length - rawTotal).toBe(3 * (FROM_RD.length + 1) + 1 + 3);
  });
});

describe('mboxrd round trip', () => {
  const raws = [
    bin(
      'From: a@example.org\nSubject: tricky\n\nFrom the top\n>From quoted\n>>From deeper\n>>>From deepest\n\nFrom mboxrd@z Thu Jan  1 00:00:00 1970\n>From\nFrom\n>Fro\n',
    ),
    bin(''),
    bin('Subject: blanks at the end\n\nbody\n\n\n\n'),
    bin('From someone Mon Sep 17 00:00:00 2001\nSubject: starts like a From_ line\n\n'),
    bin('\n'),
    bin('Subject: binary \x00\xff\xfe\n\n\x80\x81 not utf-8\n'),
    bin('Subject: tail\n\nno newline at the end'),
  ];

  it('gives back every message byte for byte', async () => {
    const { data, offsets } = writeMbox(raws);
    expect(data.toString('latin1')).toContain('\n>>>From deeper\n>>>>From deepest\n\n>From mboxrd@z');
    const msgs = splitMboxBuffer(data);
    expect(msgs.map((m) => m.raw)).toEqual(raws);
    expect(msgs.map((m) => m.offset)).toEqual(offsets);
    expect(msgs.map((m) => m.index)).toEqual(raws.map((_, i) => i));
    expect(msgs.every((m) => m.fromLine === FROM_RD)).toBe(true);
    expect(msgs.slice(0, -1).every((m) => m.issues.length === 0)).toBe(true);
    expect(codes(msgs[6])).toEqual(['mbox-no-final-newline']);
    // byte-at-a-time through the async generator: same result
    expect(await collect(splitMbox(chunked(data, [1])))).toEqual(msgs);
  });

  it('strips exactly one blank line per separator, also at EOF', () => {
    const data = bin(`${FROM_RD}\nA\n\n\n${FROM_RD}\nB\n\n\n`);
    expect(splitMboxBuffer(data).map((m) => m.raw.toString())).toEqual(['A\n\n', 'B\n\n']);
    // no separator at EOF: nothing is stripped
    expect(splitMboxBuffer(bin(`${FROM_RD}\nA\n`)).map((m) => m.raw.toString())).toEqual(['A\n']);
  });
});

describe('mboxo', () => {
  it('unescapes only >From and leaves >>From alone', () => {
    const raws = [bin('Subject: o\n\nFrom one\n>>From two\n'), bin('Subject: p\n\n>>>From three\nFrom\n')];
    const { data } = writeMbox(raws, { format: 'mboxo' });
    expect(data.toString()).toContain('\n>From one\n>>From two\n');
    expect(splitMboxBuffer(data, { format: 'mboxo' }).map((m) => m.raw)).toEqual(raws);
    // read as mboxrd, the same bytes lose one `>` from >>From as well
    expect(splitMboxBuffer(data)[0]?.raw.toString()).toBe('Subject: o\n\nFrom one\n>From two\n');
  });

  it('is lossy for a message line that already started with >From', () => {
    const { data } = writeMbox([bin('X: y\n\n>From a quote\n')], { format: 'mboxo' });
    expect(splitMboxBuffer(data, { format: 'mboxo' })[0]?.raw.toString()).toBe('X: y\n\nFrom a quote\n');
  });
});

describe('git format-patch mbox', () => {
  const shas = [
    '1f0e3dad99908345f7439f8ffabdffc4',
    '8d777f385d3dfec8815d20f7496026dc',
    'a87ff679a2f3e71d9181a67b7542122c',
  ];
  const patch = (n: number, sha: string) =>
    `From ${sha}deadbeef Mon Sep 17 00:00:00 2001
From: Ada Example <ada@example.org>
Date: Tue, 4 Mar 2025 09:0${n}:00 +0100
Subject: [PATCH ${n}/3] demo: step ${n}

From the datasheet, register ${n} is 32 bits wide.

Signed-off-by: Ada Example <ada@example.org>
---
 drivers/demo/step.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/drivers/demo/step.c b/drivers/demo/step.c
index 0000001..0000002 100644
--- a/drivers/demo/step.c
+++ b/drivers/demo/step.c
@@ -1,3 +1,3 @@
 int step(void)
-{ return ${n - 1}; }
+{ return ${n}; }
 
-- 
2.43.0

`;
  const data = Buffer.from(shas.map((s, i) => patch(i + 1, s)).join(''));

  it('splits three patches and keeps unescaped From lines in the commit message', () => {
    const msgs = splitMboxBuffer(data);
    expect(msgs).toHaveLength(3);
    expect(msgs.map((m) => m.fromLine)).toEqual(
      shas.map((s) => `From ${s}deadbeef Mon Sep 17 00:00:00 2001`),
    );
    for (const [i, m] of msgs.entries()) {
      const text = m.raw.toString();
      expect(text.startsWith('From: Ada Example')).toBe(true);
      expect(text).toContain(`Subject: [PATCH ${i + 1}/3] demo: step ${i + 1}\n`);
      expect(text).toContain(`\n\nFrom the datasheet, register ${i + 1} is 32 bits wide.\n`);
      expect(text.endsWith(`+{ return ${i + 1}; }\n \n-- \n2.43.0\n`)).toBe(true);
      // git does not escape From lines: reported, not split on
      expect(codes(m)).toEqual(['mbox-unescaped-from']);
      // issue lines are lines of the message: the From line is the 5th line of each raw
      expect(m.issues[0]?.line).toBe(5);
      expect(m.raw.toString().split('\n')[4]).toMatch(/^From the datasheet/);
    }
    expect(msgs[1]?.offset).toBe(data.indexOf(`From ${shas[1]}`));
  });
});

describe('raw single message', () => {
  const eml = bin(
    'Return-Path: <ada@example.org>\nFrom: Ada <ada@example.org>\nSubject: saved mail\n\nbody\n\nFrom someone Thu Jan  1 00:00:00 1970\n>From not unescaped\n\n\n',
  );

  it('yields a file without From_ line whole and unchanged', async () => {
    const msgs = splitMboxBuffer(eml);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toEqual({ raw: eml, fromLine: null, index: 0, offset: 0, issues: [] });
    expect(await collect(splitMbox(chunked(eml, [1, 2, 3])))).toEqual(msgs);
  });

  it('treats a first line that only starts with "From " as a raw message', () => {
    const text = bin('From here on it is plain text\n\nFrom x Thu Jan  1 00:00:00 1970\n');
    const msgs = splitMboxBuffer(text);
    expect(msgs.map((m) => m.raw)).toEqual([text]);
    expect(codes(msgs[0])).toEqual(['mbox-malformed-from-line']);
  });

  it('yields nothing for empty input and keeps a few stray bytes', async () => {
    expect(splitMboxBuffer(new Uint8Array(0))).toEqual([]);
    expect(await collect(splitMbox([]))).toEqual([]);
    const tiny = splitMboxBuffer(bin('Fro'));
    expect(tiny.map((m) => m.raw.toString())).toEqual(['Fro']);
    expect(codes(tiny[0])).toEqual(['mbox-no-final-newline']);
  });
});

describe('separator rule', () => {
  it('keeps a From_ line that follows a non-blank line in the body, silently', () => {
    const data = bin(`${FROM_RD}\nSubject: a\n\nbody\n${FROM_RD}\nmore\n`);
    const msgs = splitMboxBuffer(data);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]?.raw.toString()).toBe(`Subject: a\n\nbody\n${FROM_RD}\nmore\n`);
    expect(msgs[0]?.issues).toEqual([]);
  });

  it('keeps a From line after a blank line that is no From_ line, with a warning', () => {
    const data = bin(`${FROM_RD}\nSubject: a\n\nFrom the archives we learn\n\nFrom x\n`);
    const msgs = splitMboxBuffer(data);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]?.raw.toString()).toBe('Subject: a\n\nFrom the archives we learn\n\nFrom x\n');
    expect(msgs[0]?.issues.map((i) => [i.code, i.severity, i.line])).toEqual([
      ['mbox-unescaped-from', 'warning', 3],
      ['mbox-unescaped-from', 'warning', 5],
    ]);
  });

  it('splits on From_ lines after a blank line, in the usual date shapes', () => {
    const senders = [
      'MAILER-DAEMON Fri Jul  8 12:08:34 2011',
      '- Sat Jan 01 2000',
      'a@b Wed, 5 Mar 2025 1:02',
    ];
    const data = bin(senders.map((s) => `From ${s}\nX: ${s.length}\n\n`).join(''));
    const msgs = splitMboxBuffer(data);
    expect(msgs.map((m) => m.fromLine)).toEqual(senders.map((s) => `From ${s}`));
    expect(msgs.map((m) => m.raw.toString())).toEqual(senders.map((s) => `X: ${s.length}\n`));
  });

  it('does not take an overlong From line for a separator', () => {
    const long = `From x Thu Jan  1 00:00:00 1970 ${'y'.repeat(3000)}\n`;
    const data = bin(`${FROM_RD}\nA\n\n${long}B\n`);
    for (const sizes of [[1], [100], [data.length]]) {
      const msgs = splitSync(chunked(data, sizes));
      expect(msgs.map((m) => m.raw.toString())).toEqual([`A\n\n${long}B\n`]);
      expect(codes(msgs[0])).toEqual(['mbox-unescaped-from']);
    }
  });

  it('removes one > from a quote run longer than any held-back line head', () => {
    for (const len of [5000, 1023, 1024, 1025, 2048]) {
      const run = '>'.repeat(len);
      const data = bin(`${FROM_RD}\n${run}From x\n${run}Frog\n${run}\n${run}`);
      const want = `${run.slice(1)}From x\n${run}Frog\n${run}\n${run}`;
      for (const sizes of [[1], [3, 1021, 2], [1024], [4096], [data.length]]) {
        const msgs = splitSync(chunked(data, sizes));
        expect(msgs.map((m) => m.raw.toString())).toEqual([want]);
        expect(codes(msgs[0])).toEqual(['mbox-no-final-newline']);
      }
    }
  });
});

describe('CRLF', () => {
  it('treats CRLF blank lines as separators and keeps every byte', async () => {
    const raws = [
      bin('Subject: one\r\n\r\nFrom the start\r\n>From a quote\r\n\r\n'),
      bin('Subject: two\r\n\r\nbody\r\n'),
      bin('Subject: three\r\n\r\nlast'),
    ];
    const { data } = writeMbox(raws, { eol: '\r\n' });
    expect(data.toString()).toContain('\r\n>From the start\r\n>>From a quote\r\n\r\n\r\nFrom mboxrd@z');
    const msgs = splitMboxBuffer(data);
    expect(msgs.map((m) => m.raw)).toEqual(raws);
    expect(msgs.map((m) => m.fromLine)).toEqual([FROM_RD, FROM_RD, FROM_RD]);
    expect(msgs.map(codes)).toEqual([['mbox-crlf'], ['mbox-crlf'], ['mbox-no-final-newline', 'mbox-crlf']]);
    // CR and LF in different chunks
    expect(await collect(splitMbox(chunked(data, [1])))).toEqual(msgs);
    expect(await collect(splitMbox(Readable.from(chunked(data, [2, 3, 5]))))).toEqual(msgs);
  });

  it('flags CRLF in a raw message too', () => {
    const eml = bin('Subject: x\r\n\r\nbody\r\n');
    const msgs = splitSync(chunked(eml, [12, 1]));
    expect(msgs.map((m) => m.raw)).toEqual([eml]);
    expect(codes(msgs[0])).toEqual(['mbox-crlf']);
  });
});

// Message lines built from the pieces that matter to an mbox, plus random bytes.
const lineArb = fc.oneof(
  fc.constantFrom(
    '',
    'From ',
    'From x',
    '>From ',
    '>>From y',
    '>>>>From ',
    'From mboxrd@z Thu Jan  1 00:00:00 1970',
    'From 0123abc Mon Sep 17 00:00:00 2001',
    '\r',
    '>',
    'Subject: x',
    'Fro',
  ),
  fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u).toString('latin1')),
);
const messageArb = fc.record({
  lines: fc.array(lineArb, { maxLength: 12 }),
  eol: fc.constantFrom('\n', '\r\n'),
  finalNewline: fc.boolean(),
});
const mboxArb = fc.record({
  messages: fc.array(messageArb, { minLength: 1, maxLength: 6 }),
  format: fc.constantFrom<MboxFormat>('mboxrd', 'mboxo'),
  sizes: fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 8 }),
});

function buildRaws(
  messages: { lines: string[]; eol: string; finalNewline: boolean }[],
  format: MboxFormat,
): Buffer[] {
  return messages.map((m, i) => {
    let text = m.lines.map((l) => l + m.eol).join('');
    // mboxo cannot carry a line that starts with >From; only the last message may end without newline
    if (format === 'mboxo') text = text.replace(/^>From /gm, 'From ');
    if (i === messages.length - 1 && !m.finalNewline && text.endsWith('\n')) text = text.slice(0, -1);
    return bin(text);
  });
}

describe('chunking invariance', () => {
  it('gives the originals back, however the input is cut', () => {
    fc.assert(
      fc.property(mboxArb, ({ messages, format, sizes }) => {
        const raws = buildRaws(messages, format);
        const { data, offsets } = writeMbox(raws, { format });
        const whole = splitMboxBuffer(data, { format });
        expect(whole.map((m) => m.raw)).toEqual(raws);
        expect(whole.map((m) => m.offset)).toEqual(offsets);
        expect(splitSync(chunked(data, sizes), { format })).toEqual(whole);
        expect(splitSync(chunked(data, [1]), { format })).toEqual(whole);
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same result through the async generator', async () => {
    await fc.assert(
      fc.asyncProperty(mboxArb, async ({ messages, format, sizes }) => {
        const { data } = writeMbox(buildRaws(messages, format), { format });
        const got = await collect(splitMbox(Readable.from(chunked(data, sizes)), { format }));
        expect(got).toEqual(splitMboxBuffer(data, { format }));
      }),
      { numRuns: 100 },
    );
  });
});

describe('a From_ line as long as the splitter holds back', () => {
  it('is a separator or not whatever the chunks', () => {
    const from = 'From x Thu Jan  1 00:00:00 1970 ';
    for (const len of [1022, 1023, 1024, 1025]) {
      for (const eol of ['\n', '\r\n']) {
        const line = from + 'y'.repeat(len - from.length);
        const data = bin(`${FROM_RD}${eol}A${eol}${eol}${line}${eol}B${eol}`);
        const whole = splitMboxBuffer(data);
        // with its line end the line fits in the 1024 bytes held back, or it is never a separator
        expect(whole.length).toBe(len + eol.length <= 1024 ? 2 : 1);
        for (const sizes of [[1], [40], [1000, 7], [data.length - 3]])
          expect(splitSync(chunked(data, sizes))).toEqual(whole);
      }
    }
  });
});

/** The messages of data split in parts at `cuts`, each part on its own, index and offset moved. */
function splitInParts(data: Buffer, cuts: number[], options?: MboxOptions): MboxMessage[] {
  const bounds = [0, ...cuts, data.length];
  const out: MboxMessage[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const start = bounds[i] as number;
    const before = out.length;
    for (const m of splitMboxBuffer(data.subarray(start, bounds[i + 1]), options))
      out.push({ ...m, index: m.index + before, offset: m.offset + start });
  }
  return out;
}

/** Every cut lastMessageStart finds, scanning back from the end of the data. */
function allCuts(data: Buffer): number[] {
  const cuts: number[] = [];
  for (let end = data.length; ; ) {
    const p = lastMessageStart(data, 0, end);
    if (p <= 0) break;
    cuts.unshift(p);
    end = p;
  }
  return cuts;
}

describe('lastMessageStart', () => {
  it('finds the message starts of a written mbox, the last one first', () => {
    const raws = [bin('Subject: a\n\nbody\n'), bin('Subject: b\n\nFrom here\n\n'), bin('Subject: c\n\nc\n')];
    const { data, offsets } = writeMbox(raws);
    expect(lastMessageStart(data, 0, data.length)).toBe(offsets[2]);
    expect(allCuts(data)).toEqual(offsets.slice(1));
    // not in the window: the blank line before it, or its From_ line up to its end
    expect(lastMessageStart(data, (offsets[2] as number) - 1, data.length)).toBe(-1);
    expect(lastMessageStart(data, 0, (offsets[2] as number) + 10)).toBe(offsets[1]);
    expect(lastMessageStart(data, 0, 3)).toBe(-1);
  });

  it('cuts only where splitting the parts on their own gives the same messages', () => {
    fc.assert(
      fc.property(mboxArb, fc.array(fc.nat(), { maxLength: 4 }), ({ messages, format }, ends) => {
        const { data } = writeMbox(buildRaws(messages, format), { format });
        const whole = splitMboxBuffer(data, { format });
        expect(splitInParts(data, allCuts(data), { format })).toEqual(whole);
        // any one cut, found in any window
        for (const e of ends) {
          const p = lastMessageStart(data, 0, e % (data.length + 1));
          if (p > 0) expect(splitInParts(data, [p], { format })).toEqual(whole);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('cuts random bytes with From_ lines in them only where the splitter starts a message', () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 60 }).map((u) => Buffer.from(u)),
      fc.constantFrom(
        bin(`\n\n${FROM_RD}\n`),
        bin(`\r\n\r\n${FROM_RD}\r\n`),
        bin(`\n${FROM_RD}\n`),
        bin('\n\nFrom x\n'),
        bin(`\n\n>${FROM_RD}\n`),
        bin('\n\n'),
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const data = Buffer.concat([bin(`${FROM_RD}\n`), ...pieces]);
        expect(splitInParts(data, allCuts(data))).toEqual(splitMboxBuffer(data));
      }),
      { numRuns: 400 },
    );
  });
});

describe('maxMessageBytes', () => {
  const big = bin(`Subject: big\n\n${'From the middle\n'.repeat(400)}`); // 6414 bytes
  const raws = [bin('Subject: small\n\nhi\n'), big, bin('Subject: after\n\nbye\n')];
  const { data } = writeMbox(raws);

  it('truncates a large message to the limit and keeps the others whole', () => {
    for (const sizes of [[1], [97], [data.length]]) {
      const msgs = splitSync(chunked(data, sizes), { maxMessageBytes: 1000 });
      expect(msgs.map((m) => m.raw)).toEqual([raws[0], big.subarray(0, 1000), raws[2]]);
      expect(msgs.map(codes)).toEqual([[], ['mbox-message-too-large'], []]);
      expect(msgs[1]?.issues[0]?.severity).toBe('error');
      expect(msgs[1]?.issues[0]?.message).toContain(`${big.length} bytes`);
    }
  });

  it('applies to a raw message as well', () => {
    const msgs = splitMboxBuffer(big, { maxMessageBytes: 10 });
    expect(msgs.map((m) => m.raw.toString())).toEqual(['Subject: b']);
    expect(codes(msgs[0])).toEqual(['mbox-message-too-large']);
  });
});

describe('robustness', () => {
  it('never throws on random bytes and never invents bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 1500 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 5 }),
        (bytes, asMbox, sizes) => {
          const data = Buffer.concat([bin(asMbox ? `${FROM_RD}\n` : ''), bytes]);
          const whole = splitMboxBuffer(data);
          expect(splitSync(chunked(data, sizes))).toEqual(whole);
          const total = whole.reduce((n, m) => n + m.raw.length, 0);
          expect(total).toBeLessThanOrEqual(data.length);
          if (data.length > 0 && !asMbox && data.subarray(0, 5).toString('latin1') !== 'From ') {
            expect(whole.map((m) => m.raw)).toEqual([data]);
          }
          if (asMbox) expect(whole[0]?.fromLine).toBe(FROM_RD);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps NUL bytes and invalid UTF-8 as they are', () => {
    const raw = bin('Subject: \x00\n\n\xc3\x28\x00\xff\n');
    expect(splitMboxBuffer(writeMbox([raw]).data).map((m) => m.raw)).toEqual([raw]);
  });
});

describe('streaming a large mbox', () => {
  /** ~100 MB of mbox, produced chunk by chunk by repeating a template; never one buffer. */
  function* synthetic(template: Buffer, total: number, chunkSize: number): Generator<Buffer> {
    for (let pos = 0; pos < total; pos += chunkSize) {
      const n = Math.min(chunkSize, total - pos);
      const chunk = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const from = (pos + filled) % template.length;
        filled += template.copy(chunk, filled, from, Math.min(template.length, from + n - filled));
      }
      yield chunk;
    }
  }

  it('splits 100 MB with bounded memory', async () => {
    const raws: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const body = Array.from({ length: 20 + (i % 7) * 15 }, (_, j) =>
        j % 9 === 4
          ? `From line ${j} needing an escape`
          : `line ${j} of message ${i}: some ordinary patch text`,
      ).join('\n');
      raws.push(
        bin(
          `Subject: [PATCH ${i}/40] synthetic\nMessage-Id: <${i}@example.org>\n\n${body}\n\n>From quoted\n`,
        ),
      );
    }
    const template = writeMbox(raws).data;
    const reps = Math.ceil((100 * 1024 * 1024) / template.length);
    const total = reps * template.length;
    const rawBytes = raws.reduce((n, r) => n + r.length, 0);

    const before = process.memoryUsage().rss;
    let peak = before;
    let count = 0;
    let bytes = 0;
    let mismatches = 0;
    const t0 = performance.now();
    for await (const m of splitMbox(synthetic(template, total, 65_521))) {
      const want = raws[count % raws.length];
      if (count % 97 === 0 && !(want && m.raw.equals(want))) mismatches++;
      count++;
      bytes += m.raw.length;
      if ((count & 1023) === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const seconds = (performance.now() - t0) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    console.info(
      `mbox split: ${(total / 1048576).toFixed(1)} MB, ${count} messages in ${seconds.toFixed(2)} s = ${(total / 1048576 / seconds).toFixed(0)} MB/s, rss growth ${((peak - before) / 1048576).toFixed(1)} MB`,
    );
    expect(count).toBe(reps * raws.length);
    expect(bytes).toBe(reps * rawBytes);
    expect(mismatches).toBe(0);
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  }, 20_000);

  it('does not buffer an oversized message beyond the limit', async () => {
    const header = bin(`${FROM_RD}\nSubject: huge\n\n`);
    const line = bin(`${'x'.repeat(99)}\n`);
    function* huge(): Generator<Buffer> {
      yield header;
      for (let i = 0; i < 500; i++) yield Buffer.concat(Array.from({ length: 1000 }, () => line)); // 50 MB
    }
    const before = process.memoryUsage().rss;
    const msgs = await collect(splitMbox(huge(), { maxMessageBytes: 1 << 20 }));
    const growth = process.memoryUsage().rss - before;
    expect(msgs).toHaveLength(1);
    expect(msgs[0]?.raw.length).toBe(1 << 20);
    expect(codes(msgs[0])).toEqual(['mbox-message-too-large']);
    expect(msgs[0]?.issues[0]?.message).toContain(`${15 + 500 * 1000 * 100} bytes`);
    expect(growth).toBeLessThan(32 * 1024 * 1024);
  });
});
