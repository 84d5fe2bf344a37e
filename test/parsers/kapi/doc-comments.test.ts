import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shiftLines } from '../../../checks/unit.js';
import { parseKerneldocSpecs, scanDocComments } from '../../../parsers/kapi/kerneldoc.js';
import { root, sourceFiles } from '../../meta/files.js';

/**
 * The comment scan as it was before it read the text in place: the text split into lines (a CR
 * at a line's end dropped) and every line looked at. The scan over the text must find the same
 * comments, line for line.
 */
function scanByLines(text: string): unknown[] {
  const src = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const line = (raw: string, n: number, first: boolean) => {
    let s = raw;
    if (!first) {
      const star = /^[ \t]*\*(?!\/)/.exec(s);
      if (star) {
        s = s.slice(star[0].length);
        if (s.startsWith(' ')) s = s.slice(1);
      }
    }
    return { text: s.trim(), raw: s, line: n };
  };
  type C = {
    lines: ReturnType<typeof line>[];
    startLine: number;
    endLine: number;
    terminated: boolean;
    headless: boolean;
    after: number;
  };
  const out: C[] = [];
  let cur: C | null = null;
  let first = 0;
  while (first < src.length && (src[first] ?? '').trim() === '') first++;
  if (/^[ \t]*\*(?:[ \t]|$)/.test(src[first] ?? ''))
    cur = {
      lines: [],
      startLine: first + 1,
      endLine: first + 1,
      terminated: false,
      headless: true,
      after: first,
    };
  for (let i = cur === null ? 0 : first; i < src.length; i++) {
    const raw = src[i] ?? '';
    if (cur === null) {
      const t = raw.trimStart();
      if (!t.startsWith('/**') || t.startsWith('/***') || t.startsWith('/**/')) continue;
      cur = { lines: [], startLine: i + 1, endLine: i + 1, terminated: false, headless: false, after: i + 1 };
      let rest = t.slice(3);
      const end = rest.indexOf('*/');
      if (end >= 0) {
        rest = rest.slice(0, end);
        if (rest.trim() !== '') cur.lines.push(line(rest, i + 1, true));
        cur.terminated = true;
        out.push(cur);
        cur = null;
        continue;
      }
      if (rest.trim() !== '') cur.lines.push(line(rest, i + 1, true));
      continue;
    }
    const end = raw.indexOf('*/');
    if (end >= 0) {
      const before = raw.slice(0, end);
      if (before.trim() !== '' && before.trim() !== '*') cur.lines.push(line(before, i + 1, false));
      cur.endLine = i + 1;
      cur.terminated = true;
      cur.after = i + 1;
      out.push(cur);
      cur = null;
      continue;
    }
    if (raw.trimStart().startsWith('/*')) {
      cur.after = i;
      out.push(cur);
      cur = null;
      i--;
      continue;
    }
    cur.lines.push(line(raw, i + 1, false));
    cur.endLine = i + 1;
    cur.after = i + 1;
  }
  if (cur !== null) out.push(cur);
  return out;
}

/** The new scan's comments in the oracle's terms (its lines' text and number). */
function scanInPlace(text: string): unknown[] {
  return scanDocComments(text).map((c) => ({
    ...c,
    lines: c.lines.map((l) => ({ text: l.text, line: l.line })),
  }));
}

function same(text: string): void {
  const want = scanByLines(text).map((c) => {
    const o = c as { lines: { text: string; line: number }[] };
    return { ...o, lines: o.lines.map((l) => ({ text: l.text, line: l.line })) };
  });
  expect(scanInPlace(text)).toEqual(want);
}

const piece = fc.constantFrom(
  '/**',
  '/***',
  '/**/',
  '/*',
  '*/',
  ' * ',
  '*',
  '\n',
  '\n',
  '\n',
  '\r\n',
  '\r',
  '\u2028',
  '\u00a0',
  '\ufeff',
  ' ',
  '\t',
  'x',
  '@a: b',
  'param: x, KAPI_TYPE_INT',
  'sys_frob - Frobnicate',
  'SYSCALL_DEFINE1(frob, int, x)',
);

describe('finding doc comments in a text read in place', () => {
  it('finds the comments the line-by-line scan finds: random texts of comment pieces', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (ps) => same(ps.join(''))),
      { numRuns: 4000 },
    );
  });

  it('is exact on texts that start inside a comment, end inside one, or cut one off', () => {
    const cases = [
      ' * @a: b\n * param: x\n */\nint f(void);',
      '\n\n * headless\n',
      '*\n',
      '/** one-line */\n/**/\n/***\n * not doc\n */\n',
      '/**\n * open\n/* another */\n/**\n * last\n',
      'int x; /** not at a line start */\n\t /** at one\r\n * crlf */\r\n',
      'a\r/** after a CR inside a line */\n',
      '/**\n */',
      '',
    ];
    for (const c of cases) same(c);
    // a comment cut off by a line that opens another, and one the text ends in
    const cut = scanDocComments('/**\n * open\n/* another\n */\n/**\n * last\n');
    expect(cut.map((c) => [c.startLine, c.terminated, c.after])).toEqual([
      [1, false, 2],
      [5, false, 7],
    ]);
  });

  it('reads a spec in a CRLF file behind decoy comments as its LF twin reads, ten lines down', () => {
    const twin = readFileSync(join(root, 'fixtures/kapi/frob.kd3.c'), 'utf8');
    const text = readFileSync(join(root, 'fixtures/kerneldoc/frob-crlf-decoys.kd3.c'), 'utf8');
    expect(text).toContain('\r\n');
    expect(text).toContain('\u2028/**');
    same(text);
    const want = parseKerneldocSpecs(twin, 'kernel/frob.c');
    const got = parseKerneldocSpecs(text, 'kernel/frob.c');
    expect(got.value.map((s) => s.name)).toEqual(['sys_frob']);
    expect(got).toEqual({ value: shiftLines(want.value, 10), issues: shiftLines(want.issues, 10) });
    // the decoys: a banner, an empty comment, one after code, one on one line, none a spec
    expect(
      scanDocComments(text)
        .filter((c) => c.startLine < 12)
        .map((c) => c.startLine),
    ).toEqual([11]);
  });

  it('is exact on the C files of the fixtures', () => {
    const files = sourceFiles(join(root, 'fixtures'), (n) => n.endsWith('.c') || n.endsWith('.h'));
    expect(files.length).toBeGreaterThan(10);
    let comments = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      same(text);
      comments += scanDocComments(text).length;
    }
    expect(comments).toBeGreaterThan(10);
  });
});
