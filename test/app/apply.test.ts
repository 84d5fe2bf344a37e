import { structuredPatch } from 'diff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyHunks } from '../../app/context/apply.js';
import { applyFileDiff, buildPostImages } from '../../app/context/postimage.js';
import { applyFileDiffPerHunk } from '../../bench/postimage-baseline.js';
import type { DiffLine, FileDiff, Hunk } from '../../parsers/diff.js';
import { parseMail } from '../../parsers/mail.js';
import { makeMail, patchBody } from '../helpers/mailgen.js';

/** A Hunk from jsdiff's structured lines (`+x`, `-x`, ` x`, `\ No newline`). */
function hunkOf(
  oldStart: number,
  oldLines: number,
  newStart: number,
  newLines: number,
  lines: string[],
): Hunk {
  const out: DiffLine[] = [];
  for (const l of lines) {
    if (l.startsWith('\\')) {
      const last = out[out.length - 1];
      if (last) last.noNewlineAtEof = true;
      continue;
    }
    const kind = l[0] === '+' ? 'add' : l[0] === '-' ? 'del' : 'context';
    out.push({ kind, text: l.slice(1), patchLine: 0 });
  }
  return { oldStart, oldLines, newStart, newLines, section: '', headerLine: 0, lines: out, truncated: false };
}

/** The hunks jsdiff makes between two texts, with `context` lines around each change. */
function hunksBetween(a: string, b: string, context: number): Hunk[] {
  return structuredPatch('a', 'b', a, b, '', '', { context }).hunks.map((h) =>
    hunkOf(h.oldStart, h.oldLines, h.newStart, h.newLines, h.lines),
  );
}

// few distinct lines, so that hunks fit in several places and the search and fuzz rules matter
const line = fc.constantFrom('a', 'b', 'c', 'int x;', '', '}', 'a\r', 'b\r', '\r');
const text = fc
  .tuple(fc.array(line, { maxLength: 40 }), fc.boolean())
  .map(([ls, eol]) => ls.join('\n') + (eol && ls.length > 0 ? '\n' : ''));
const edit = fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.array(line, { maxLength: 3 }));

function applyEdits(t: string, edits: [number, number, string[]][]): string {
  const ls = t.split('\n');
  for (const [at, del, ins] of edits) ls.splice(at % (ls.length + 1), del, ...ins);
  return ls.join('\n');
}

const rawHunk = fc
  .record({
    oldStart: fc.integer({ min: 0, max: 45 }),
    lines: fc.array(
      fc.oneof(
        line.map((l) => ` ${l}`),
        line.map((l) => `+${l}`),
        line.map((l) => `-${l}`),
        fc.constant('\\ No newline at end of file'),
      ),
      { minLength: 1, maxLength: 8 },
    ),
    skew: fc.integer({ min: -1, max: 1 }),
  })
  .map(({ oldStart, lines, skew }) => {
    const oldLines = lines.filter((l) => l[0] === ' ' || l[0] === '-').length;
    const newLines = lines.filter((l) => l[0] === ' ' || l[0] === '+').length;
    return hunkOf(oldStart, Math.max(0, oldLines + skew), oldStart, newLines, lines);
  });

/**
 * A 10,000-line file and 2,000 one-line hunks that change every fifth line (1-based 2, 7, ...),
 * one line of context either side.
 */
function manyHunks(): { lines: string[]; hunks: Hunk[] } {
  const lines = Array.from({ length: 10_000 }, (_, i) => `\tint v${i} = ${i};`);
  const hunks: Hunk[] = [];
  for (let k = 0; k < 2000; k++) {
    const at = k * 5 + 2;
    hunks.push(
      hunkOf(at - 1, 3, at - 1, 3, [
        ` ${lines[at - 2]}`,
        `-${lines[at - 1]}`,
        `+\tint v${at - 1} = -1;`,
        ` ${lines[at]}`,
      ]),
    );
  }
  return { lines, hunks };
}

function same(pre: string, hunks: Hunk[]): void {
  const { post, failed } = applyHunks(pre, hunks);
  expect({ post, failed }).toEqual(applyFileDiffPerHunk(pre, { path: 'f.c', hunks }));
}

describe('applying hunks in one pass', () => {
  it('gives what jsdiff gives hunk by hunk: real diffs on drifted files', () => {
    fc.assert(
      fc.property(
        text,
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        fc.array(edit, { maxLength: 3 }),
        fc.integer({ min: 0, max: 3 }),
        (base, change, drift, context) => {
          const post = applyEdits(base, change);
          const hunks = hunksBetween(base, post, context);
          same(base, hunks);
          same(applyEdits(base, drift), hunks);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('gives what jsdiff gives hunk by hunk: arbitrary hunks, out of order, past the ends, CRLF', () => {
    fc.assert(
      fc.property(text, fc.array(rawHunk, { maxLength: 5 }), (pre, hunks) => same(pre, hunks)),
      { numRuns: 3000 },
    );
  });

  it('keeps a text of no lines apart from one empty line, and searches past a hunk that fits nowhere exactly', () => {
    // an empty file loses its only (empty) line to a hunk that ends without a newline: the text
    // has no lines then, and the added line is the whole file
    same('', [hunkOf(0, 0, 0, 1, ['+a', '\\ No newline at end of file'])]);
    // the fuzz pass finds the hunk two lines further on, where one context line differs
    const pre = ['x', 'a', 'b', 'c', 'd', 'e', 'f', 'a', 'b', 'Q', 'd', 'e'].join('\n');
    const h = hunkOf(2, 5, 2, 5, [' a', ' b', '-c', '+C', ' d', ' e']);
    same(pre.replace('c\nd', 'c2\nd'), [h]);
    same(pre, [h, hunkOf(8, 5, 8, 5, [' a', ' b', '-c', '+C', ' d', ' e'])]);
  });

  it('applies 2,000 one-line hunks to a file that has 50 more lines above them, each found by a search', () => {
    const { lines, hunks } = manyHunks();
    // the tree's file has 50 lines the patch's base did not: every hunk lands 50 lines lower
    const extra = Array.from({ length: 50 }, (_, i) => `\tint extra${i};`);
    const pre = `${[...extra, ...lines].join('\n')}\n`;
    const want = [...extra, ...lines.map((l, i) => (i % 5 === 1 ? `\tint v${i} = -1;` : l))];
    const { post, failed, starts } = applyHunks(pre, hunks);
    expect(failed).toBe(-1);
    expect(post).toBe(`${want.join('\n')}\n`);
    expect(starts).toEqual(hunks.map((h) => h.newStart + 50));
    // and hunk by hunk as jsdiff applies them, on a smaller file of the same shape
    same(`${[...extra, ...lines.slice(0, 400)].join('\n')}\n`, hunks.slice(0, 80));
  });

  it('applies 2,000 one-line hunks to a 10,000-line file, and names a hunk that does not fit', () => {
    const { lines, hunks } = manyHunks();
    const pre = `${lines.join('\n')}\n`;
    const want = lines.map((l, i) => (i % 5 === 1 ? `\tint v${i} = -1;` : l));
    const f: FileDiff = {
      oldPath: 'big.c',
      newPath: 'big.c',
      path: 'big.c',
      status: 'modified',
      binary: false,
      headerLine: 1,
      hunks,
    };
    expect(applyFileDiff(pre, f)).toEqual({
      post: `${want.join('\n')}\n`,
      failure: null,
      starts: hunks.map((h) => h.newStart),
    });
    // the same diff on a base whose line 5,002 changed: hunk 1,001 has nothing to fit
    const drifted = `${lines.map((l, i) => (i === 5001 ? 'drifted' : l)).join('\n')}\n`;
    expect(applyFileDiff(drifted, f)).toEqual({
      post: null,
      failure: 'hunk 1001 (@@ -5001,3 +5001,3 @@) does not apply: its context is not in the file',
    });
  });

  it('builds the post-image of a mail with 2,000 hunks with or without a tree', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `\tint v${i} = ${i};`);
    let diff =
      'diff --git a/kernel/big.c b/kernel/big.c\nindex 1111111..2222222 100644\n--- a/kernel/big.c\n+++ b/kernel/big.c\n';
    for (let k = 0; k < 2000; k++) {
      const at = k * 5 + 2;
      diff += `@@ -${at - 1},3 +${at - 1},3 @@\n ${lines[at - 2]}\n-${lines[at - 1]}\n+\tint v${at - 1} = -1;\n ${lines[at]}\n`;
    }
    const mail = (
      await parseMail(
        makeMail({ subject: '[PATCH] big', body: patchBody('x\n\nSigned-off-by: A <a@x.org>', diff) }),
      )
    ).value;
    expect(mail.files[0]?.hunks).toHaveLength(2000);
    const input = [{ messageId: 'm', label: '1/1', files: mail.files }];
    const tree = { read: async () => `${lines.join('\n')}\n`, describe: () => 'memory' };
    const full = (await buildPostImages(input, tree)).patches[0]?.files[0];
    expect(full?.mode).toBe('full');
    expect(full?.post?.split('\n')[1]).toBe('\tint v1 = -1;');
    const bare = (await buildPostImages(input, null)).patches[0]?.files[0];
    expect(bare?.mode).toBe('hunks');
    expect(bare?.fragments).toHaveLength(2000);
    expect(bare?.fragments[1999]).toEqual({
      startLine: 9996,
      lines: [lines[9995], '\tint v9996 = -1;', lines[9997]],
    });
  });
});
