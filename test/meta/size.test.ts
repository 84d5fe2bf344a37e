import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, sourceFiles } from './files.js';

/**
 * No source file over 1,000 lines, tests included: a file that long holds more than one thing.
 * The two spec parsers are the exceptions (each is one grammar, read top to bottom), and so is
 * the generated framework data (`npm run gen:frameworks` writes it; nobody edits it by hand).
 * Functions over 150 lines are biome's to refuse (noExcessiveLinesPerFunction in biome.json).
 */
const MAX_LINES = 1000;
const tsFiles = (dir: string): string[] => sourceFiles(dir);
const EXCEPTIONS = new Set([
  'parsers/kapi/kerneldoc.ts',
  'parsers/kapi/macro.ts',
  'parsers/kapi/frameworks.data.ts',
]);

/** Lines as `wc -l` counts them: the newlines (and a last line without one). */
function lineCount(text: string): number {
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

describe('size', () => {
  it(`no source file is over ${MAX_LINES} lines but the named exceptions`, () => {
    const files = ['app', 'checks', 'parsers', 'reporters', 'bench', 'test'].flatMap((d) =>
      tsFiles(join(root, d)),
    );
    expect(files.length).toBeGreaterThan(100);
    const long = files
      .map((f) => ({
        file: relative(root, f).replaceAll('\\', '/'),
        lines: lineCount(readFileSync(f, 'utf8')),
      }))
      .filter((f) => f.lines > MAX_LINES && !EXCEPTIONS.has(f.file))
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(long).toEqual([]);
  });

  it('the exceptions exist (an exception for a file that is gone is a hole)', () => {
    for (const f of EXCEPTIONS) expect(statSync(join(root, f)).isFile()).toBe(true);
  });
});
