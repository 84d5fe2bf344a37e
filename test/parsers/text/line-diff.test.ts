import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffLines, structuredPatch } from 'diff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changedLines } from '../../../app/context/postimage.js';
import { changedLinesJsdiff } from '../../../bench/postimage-baseline.js';
import {
  changedLineRanges,
  DELETE,
  diffLineEdits,
  hunksOf,
  INSERT,
} from '../../../parsers/text/line-diff.js';

/** jsdiff's own runs (equal, inserted, deleted), to compare the search itself and not only its reading. */
function jsdiffRuns(pre: string, post: string): { kind: number; count: number }[] {
  return diffLines(pre, post).map((c) => ({
    kind: c.added ? INSERT : c.removed ? DELETE : 0,
    count: c.count ?? 0,
  }));
}

function runs(
  pre: string,
  post: string,
  opts?: { poolSize?: number; slack?: number },
): { kind: number; count: number }[] {
  const e = diffLineEdits(pre, post, opts);
  return Array.from(e.kinds, (kind, i) => ({ kind, count: e.counts[i] as number }));
}

// many equal lines, so that the search has ties to break; \r inside a line and before its \n
const alphabet = ['}', '', '\treturn 0;', '{', 'x', 'x\r', '\t}'];
const line = fc.constantFrom(...alphabet);
const ending = fc.constantFrom('\n', '\n', '\n', '\r\n');
const lines = (max: number) => fc.array(fc.tuple(line, ending), { maxLength: max });
const text = (ls: [string, string][], finalNewline: boolean) =>
  ls.map(([l, e], i) => (i < ls.length - 1 || finalNewline ? l + e : l)).join('');

/** A pre text and a post text made from it by a few edits (or drawn on its own: a large edit). */
const pair = fc
  .record({
    pre: lines(40),
    preNl: fc.boolean(),
    postNl: fc.boolean(),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        del: fc.nat({ max: 4 }),
        ins: lines(4),
      }),
      { maxLength: 5 },
    ),
    fresh: fc.option(lines(40), { freq: 4 }),
  })
  .map(({ pre, preNl, postNl, edits, fresh }) => {
    let post = [...pre];
    for (const e of edits) post.splice(e.at % (post.length + 1), e.del, ...e.ins);
    if (fresh) post = fresh;
    return { pre: text(pre, preNl), post: text(post, postNl) };
  });

describe('changedLineRanges gives what jsdiff structuredPatch gave', () => {
  it('on lines from a tiny alphabet, with small and large edits', () => {
    fc.assert(
      fc.property(pair, ({ pre, post }) => {
        expect(changedLineRanges(pre, post)).toEqual(changedLinesJsdiff(pre, post));
        expect(changedLines(pre, post)).toEqual(changedLinesJsdiff(pre, post));
      }),
      { numRuns: 10000 },
    );
  });

  it('with empty texts on either side, and identical ones', () => {
    fc.assert(
      fc.property(lines(30), fc.boolean(), (ls, nl) => {
        const t = text(ls, nl);
        expect(changedLineRanges('', t)).toEqual(changedLinesJsdiff('', t));
        expect(changedLineRanges(t, '')).toEqual(changedLinesJsdiff(t, ''));
        expect(changedLineRanges(t, t)).toEqual(changedLinesJsdiff(t, t));
      }),
      { numRuns: 500 },
    );
  });

  it('finds the runs jsdiff diffLines finds, also when its store drops dead paths all the time', () => {
    fc.assert(
      fc.property(pair, ({ pre, post }) => {
        const want = jsdiffRuns(pre, post);
        expect(runs(pre, post)).toEqual(want);
        expect(runs(pre, post, { poolSize: 16 })).toEqual(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the same runs whatever bound on the edit length its search starts from', () => {
    // too low a bound finds nothing and is raised; any bound at least the edit length gives
    // jsdiff's path, however many of the diagonals it leaves out
    fc.assert(
      fc.property(pair, fc.nat({ max: 60 }), ({ pre, post }, slack) => {
        expect(runs(pre, post, { slack, poolSize: 16 })).toEqual(jsdiffRuns(pre, post));
      }),
      { numRuns: 2000 },
    );
  });

  it('does not trim the common end: the greedy search pairs equal end lines from the start', () => {
    // a trimmed diff would call line 1 the added one
    expect(changedLineRanges('x\n', 'x\nx\n')).toEqual({ added: [2], hunks: [{ start: 1, end: 2 }] });
    expect(changedLineRanges('}\n\n}\n', '}\n\n}\n\n}\n')).toEqual(
      changedLinesJsdiff('}\n\n}\n', '}\n\n}\n\n}\n'),
    );
    expect(changedLineRanges('}\n\n}\n', '}\n\n}\n\n}\n').added).toEqual([4, 5]);
  });

  it('tells a last line without a newline from the same line with one, and \\r\\n from \\n', () => {
    expect(changedLineRanges('a\nb', 'a\nb\n')).toEqual(changedLinesJsdiff('a\nb', 'a\nb\n'));
    expect(changedLineRanges('a\r\nb\n', 'a\nb\n')).toEqual({ added: [1], hunks: [{ start: 1, end: 2 }] });
    expect(changedLineRanges('a\rb\n', 'a\rc\n')).toEqual({ added: [1], hunks: [{ start: 1, end: 1 }] });
  });

  it('groups with another context as structuredPatch does', () => {
    fc.assert(
      fc.property(pair, fc.integer({ min: 0, max: 5 }), ({ pre, post }, context) => {
        fc.pre(pre !== '' && pre !== post);
        const patch = structuredPatch('a', 'b', pre, post, '', '', { context });
        const want = patch.hunks
          .filter((h) => h.newLines > 0)
          .map((h) => ({
            start: h.newStart,
            end: h.newStart + h.newLines - 1,
          }));
        expect(hunksOf(diffLineEdits(pre, post), context).hunks).toEqual(want);
      }),
      { numRuns: 1000 },
    );
  });
});

const kernel = '/var/tmp/kapi-review/linux-source-6.12';
const dirs = ['mm', 'kernel'].map((d) => join(kernel, d));
const present = dirs.every((d) => existsSync(d));
if (!present) console.warn(`line-diff kernel test skipped: ${dirs.join(' and ')} are absent`);

function cFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...cFiles(p));
    else if (e.name.endsWith('.c')) out.push(p);
  }
  return out.sort();
}

/** A small deterministic generator (mulberry32), seeded per file. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(!present)(
  'on the .c files of mm/ and kernel/ of the 6.12 tree, with a few random edits',
  () => {
    /** A copy of `lines` with `edits` random edits: lines removed, and lines of the file or new ones added. */
    function edited(
      lines: string[],
      random: () => number,
      edits: number,
      block: number,
      tag: string,
    ): string[] {
      const out = [...lines];
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * out.length);
        const del = Math.floor(random() * 4);
        // added lines are copies of lines of the file (braces, blank lines) or new ones
        const ins = Array.from({ length: Math.floor(random() * block) }, (_, i) =>
          random() < 0.6
            ? (lines[Math.floor(random() * lines.length)] as string)
            : `\tnew_line_${tag}_${e}_${i}();`,
        );
        out.splice(at, del, ...ins);
      }
      return out;
    }

    it('gives what jsdiff gave for every file', () => {
      const files = dirs.flatMap(cFiles);
      expect(files.length).toBeGreaterThan(100);
      let compared = 0;
      for (const [n, file] of files.entries()) {
        const pre = readFileSync(file, 'utf8');
        const random = rng(n * 7919 + pre.length);
        const lines = pre.split('\n');
        // a few small edits; a spec-sized block added here and there with a few lines replaced
        const variants = [edited(lines, random, 1 + Math.floor(random() * 5), 5, `${n}`)];
        if (n % 3 === 0) variants.push(edited(lines, random, 2 + Math.floor(random() * 3), 150, `b${n}`));
        for (const post of variants) {
          let [a, b] = [pre, post.join('\n')];
          // now and then with \r\n lines, or without the last newline
          if (n % 7 === 1) [a, b] = [a.replaceAll('\n', '\r\n'), b.replaceAll('\n', '\r\n')];
          if (n % 5 === 2) b = b.replace(/\n$/, '');
          expect(changedLineRanges(a, b)).toEqual(changedLinesJsdiff(a, b));
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(files.length);
    });
  },
);
