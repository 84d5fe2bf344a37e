import { createTwoFilesPatch, parsePatch } from 'diff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FileDiff, type Hunk, type ParsedDiff, parseDiff } from '../../parsers/diff.js';
import type { Issue } from '../../parsers/types.js';
import { at, codes, fixture, marker } from './diff-test-helpers.js';

describe('parseDiff: golden multi-file patch', () => {
  it('matches the hand-written expectation', () => {
    const text = fixture('base-multi.patch');
    const expected = JSON.parse(fixture('base-multi.expected.json')) as ParsedDiff;
    const r = parseDiff(text);
    expect(r.issues).toEqual([]);
    expect(r.value).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

/** Lines that look like diff syntax once prefixed, mixed with ordinary code. */
const TRICKY_LINES = [
  '',
  ' ',
  '-',
  '- ',
  '-- ',
  '--- a/x',
  '+++ b/x',
  '+',
  '@@ -1 +1 @@',
  '\\ No newline at end of file',
  'diff --git a/q b/q',
  '\tint ret;',
  '\treturn 0;',
  '{',
  '}',
  'base-commit: 0123',
];

const lineArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY_LINES) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
);

interface FileImage {
  lines: string[];
  trailingNewline: boolean;
}

const imageArb: fc.Arbitrary<FileImage> = fc.record({
  lines: fc.array(lineArb, { maxLength: 14 }),
  trailingNewline: fc.boolean(),
});

function render(img: FileImage): string {
  const text = img.lines.map((l) => `${l}\n`).join('');
  return img.trailingNewline || text.length === 0 ? text : text.slice(0, -1);
}

/** The lines of a rendered file, as a diff tool sees them. */
function linesOf(img: FileImage): string[] {
  const text = render(img);
  if (text.length === 0) return [];
  const parts = text.split('\n');
  if (text.endsWith('\n')) parts.pop();
  return parts;
}

/** Two unrelated images (drawn from a small alphabet, so they still share lines). */
const filePairArb = fc.record({ before: imageArb, after: imageArb, context: fc.integer({ min: 0, max: 4 }) });

/** A post-image made by editing the pre-image: replace or insert a few lines. */
const editedPairArb = fc
  .record({
    before: imageArb,
    edits: fc.array(fc.tuple(fc.nat(20), lineArb, fc.boolean()), { minLength: 1, maxLength: 4 }),
    trailingNewline: fc.boolean(),
    context: fc.integer({ min: 0, max: 4 }),
  })
  .map(({ before, edits, trailingNewline, context }) => {
    const lines = [...before.lines];
    for (const [pos, text, insert] of edits) {
      const k = lines.length === 0 ? 0 : pos % (lines.length + 1);
      if (insert || k >= lines.length) lines.splice(k, 0, text);
      else lines[k] = text;
    }
    return { before, after: { lines, trailingNewline }, context };
  });

const pairArb = fc.oneof(editedPairArb, filePairArb);

/** Our hunk in the shape jsdiff's parsePatch uses. */
function asJsdiffLines(h: Hunk): string[] {
  const out: string[] = [];
  for (const l of h.lines) {
    out.push(marker(l) + l.text);
    if (l.noNewlineAtEof) out.push('\\ No newline at end of file');
  }
  return out;
}

describe('parseDiff: properties', () => {
  it('agrees with jsdiff on patches made by createTwoFilesPatch, and its numbering rebuilds both images', () => {
    fc.assert(
      fc.property(fc.array(pairArb, { minLength: 1, maxLength: 3 }), (pairs) => {
        const text = pairs
          .map(({ before, after, context }, k) =>
            createTwoFilesPatch(
              `a/f${k}.c`,
              `b/f${k}.c`,
              render(before),
              render(after),
              undefined,
              undefined,
              {
                context,
              },
            ),
          )
          .join('');
        const ours = parseDiff(text);
        const theirs = parsePatch(text);

        expect(ours.value.files).toHaveLength(pairs.length);
        expect(theirs).toHaveLength(pairs.length);
        const totalLines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
        expect(ours.value.endLine).toBe(totalLines);

        pairs.forEach((pair, k) => {
          const file = at(ours.value.files, k) as FileDiff;
          const ref = at(theirs, k);
          expect(file.oldPath).toBe(`f${k}.c`);
          expect(file.newPath).toBe(`f${k}.c`);
          expect(file.hunks.map((h) => h.truncated)).toEqual(file.hunks.map(() => false));
          // jsdiff stores oldStart+1 (newStart+1) for a side with zero lines; the header says
          // the line *after which* the change goes, which is what we keep.
          expect(
            file.hunks.map((h) => ({
              oldStart: h.oldStart,
              oldLines: h.oldLines,
              newStart: h.newStart,
              newLines: h.newLines,
              lines: asJsdiffLines(h),
            })),
          ).toEqual(
            ref.hunks.map((h) => ({
              oldStart: h.oldLines === 0 ? h.oldStart - 1 : h.oldStart,
              oldLines: h.oldLines,
              newStart: h.newLines === 0 ? h.newStart - 1 : h.newStart,
              newLines: h.newLines,
              lines: h.lines,
            })),
          );

          // Every numbered line must be the pre-/post-image line at that position.
          const pre = linesOf(pair.before);
          const post = linesOf(pair.after);
          for (const h of file.hunks) {
            let expectOld = h.oldLines === 0 ? undefined : h.oldStart;
            let expectNew = h.newLines === 0 ? undefined : h.newStart;
            for (const l of h.lines) {
              if (l.oldLine !== undefined) {
                expect(l.oldLine).toBe(expectOld);
                expect(pre[l.oldLine - 1]).toBe(l.text);
                expectOld = l.oldLine + 1;
              }
              if (l.newLine !== undefined) {
                expect(l.newLine).toBe(expectNew);
                expect(post[l.newLine - 1]).toBe(l.text);
                expectNew = l.newLine + 1;
              }
              expect(text.split('\n')[l.patchLine - 1]).toBe(marker(l) + l.text);
              if (l.noNewlineAtEof) {
                // Only the last line of an image without a final newline carries the marker.
                const lastOld =
                  l.oldLine !== undefined && l.oldLine === pre.length && !pair.before.trailingNewline;
                const lastNew =
                  l.newLine !== undefined && l.newLine === post.length && !pair.after.trailingNewline;
                expect(lastOld || lastNew).toBe(true);
              }
            }
          }
        });

        // The only complaint allowed is about a file pair without any change (no hunks).
        const unchanged = pairs.filter((p) => render(p.before) === render(p.after)).length;
        expect(codes(ours)).toEqual(Array(unchanged).fill('diff-missing-hunks'));
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on random or mutated input, and keeps its invariants', () => {
    const validPatchArb = fc.array(pairArb, { minLength: 1, maxLength: 2 }).map((pairs) =>
      pairs
        .map((p, k) =>
          createTwoFilesPatch(
            `a/g${k}.c`,
            `b/g${k}.c`,
            render(p.before),
            render(p.after),
            undefined,
            undefined,
            {
              context: p.context,
            },
          ),
        )
        .join(''),
    );
    const mutationArb = fc.array(
      fc.tuple(fc.constantFrom('delete', 'duplicate', 'insert', 'truncate', 'crlf'), fc.nat(200), lineArb),
      { maxLength: 5 },
    );
    const mutatedArb = fc.tuple(validPatchArb, mutationArb).map(([text, mutations]) => {
      let lines = text.split('\n');
      for (const [kind, pos, extra] of mutations) {
        const k = pos % (lines.length + 1);
        if (kind === 'delete') lines.splice(k, 1);
        else if (kind === 'duplicate') lines.splice(k, 0, lines[k] ?? '');
        else if (kind === 'insert') lines.splice(k, 0, extra);
        else if (kind === 'truncate') lines = lines.slice(0, k);
        else lines = lines.map((l) => `${l}\r`);
      }
      return lines.join('\n');
    });
    const diffishArb = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            ...TRICKY_LINES,
            '@@ -0,0 +1,3 @@',
            '@@ -99999999999999999999 +1 @@',
            'GIT binary patch',
            'literal 3',
            'rename from "x\\',
            'diff --git "a/\\3',
            'index ..',
            'similarity index 1000%',
          ),
          fc.string({ unit: 'binary', maxLength: 20 }),
        ),
        { maxLength: 30 },
      )
      .map((ls) => ls.join('\n'));
    const anyText = fc.oneof(mutatedArb, diffishArb, fc.string({ unit: 'binary', maxLength: 200 }));

    fc.assert(
      fc.property(anyText, (text) => {
        const r = parseDiff(text);
        const total = text.length === 0 ? 0 : text.split('\n').length;
        expect(r.value.endLine).toBeGreaterThanOrEqual(0);
        expect(r.value.endLine).toBeLessThanOrEqual(total);
        for (const i of r.issues as Issue[]) {
          if (i.line !== undefined) {
            expect(i.line).toBeGreaterThanOrEqual(1);
            expect(i.line).toBeLessThanOrEqual(total);
          }
        }
        const damaged = r.issues.some(
          (i) => i.code === 'diff-truncated-hunk' || i.code === 'diff-unexpected-line',
        );
        let lastPatchLine = 0;
        for (const f of r.value.files) {
          expect(f.path).toBe(f.newPath ?? f.oldPath ?? '');
          for (const h of f.hunks) {
            expect(h.headerLine).toBeGreaterThan(lastPatchLine);
            lastPatchLine = h.headerLine;
            const oldSeen = h.lines.filter((l) => l.kind !== 'add').length;
            const newSeen = h.lines.filter((l) => l.kind !== 'del').length;
            if (h.truncated) {
              expect(damaged).toBe(true);
              expect(oldSeen < h.oldLines || newSeen < h.newLines).toBe(true);
            } else {
              expect([oldSeen, newSeen]).toEqual([h.oldLines, h.newLines]);
            }
            for (const l of h.lines) {
              expect(l.patchLine).toBeGreaterThan(lastPatchLine);
              expect(l.patchLine).toBeLessThanOrEqual(r.value.endLine);
              lastPatchLine = l.patchLine;
            }
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
