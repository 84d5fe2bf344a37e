import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskDirectives, maskNonCode } from '../../../parsers/c/preprocess.js';
import { type Block, isData, namesOf, topLevelBlocks } from '../../../parsers/c/trim.js';
import { lineStarts, rowAt } from '../../../parsers/text/lines.js';
import { root, sourceFiles } from '../../meta/files.js';

/**
 * The top-level block scan as it was, one character at a time over the whole text: the scan that
 * jumps from brace to brace with indexOf must find the same blocks.
 */
function blocksByChar(code: string, starts: readonly number[]): Block[] | null {
  const blocks: Block[] = [];
  let depth = 0;
  let parens = 0;
  let head = 0;
  let open = -1;
  let inParens = false;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '{') {
      if (depth === 0) {
        open = i;
        inParens = parens > 0;
      }
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth < 0) return null;
      if (depth === 0) {
        const header = code.slice(head, open);
        let first = head;
        while (first < open && /\s/.test(code[first] as string)) first++;
        blocks.push({
          open,
          close: i,
          head: first,
          firstRow: rowAt(starts, first),
          lastRow: rowAt(starts, i),
          names: inParens ? null : namesOf(header),
          data: isData(header),
        });
        if (parens === 0) head = i + 1;
      }
    } else if (depth === 0) {
      if (c === '(') parens++;
      else if (c === ')') parens = Math.max(0, parens - 1);
      else if (c === ';' && parens === 0) head = i + 1;
    }
  }
  return depth === 0 && parens === 0 ? blocks : null;
}

const same = (code: string): void => {
  const starts = lineStarts(code);
  expect(topLevelBlocks(code, starts)).toEqual(blocksByChar(code, starts));
};

const piece = fc.constantFrom(
  '{',
  '}',
  '(',
  ')',
  ';',
  '\n',
  ' ',
  '\t',
  'x',
  '=',
  'int f(void)',
  'static long g(int a, int b)',
  'SYSCALL_DEFINE2(mlock, unsigned long, start, size_t, len)',
  'struct s',
  'enum e',
  '__must_hold(&l)',
  'return -EINVAL;',
  'if (x) ',
);

describe('the top-level blocks of a C text', () => {
  it('are the ones the character-by-character scan finds: random texts', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), (ps) => same(ps.join(''))),
      { numRuns: 3000 },
    );
  });

  it('are the ones the character-by-character scan finds: the C fixtures, masked as planReach masks them', () => {
    const files = sourceFiles(join(root, 'fixtures'), (n) => n.endsWith('.c'));
    expect(files.length).toBeGreaterThan(10);
    let blocks = 0;
    for (const f of files) {
      const code = maskDirectives(maskNonCode(readFileSync(f, 'utf8')));
      same(code);
      blocks += topLevelBlocks(code, lineStarts(code))?.length ?? 0;
    }
    expect(blocks).toBeGreaterThan(10);
    // unbalanced: a stray closing brace, and a block left open
    expect(topLevelBlocks('int f(void) { } }', [0])).toBeNull();
    expect(topLevelBlocks('int f(void) { {', [0])).toBeNull();
  });
});
