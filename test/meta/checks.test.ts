import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks/index.js';
import { findingLine } from '../../reporters/terminal.js';
import { findingsOf } from '../checks/harness.js';

/**
 * Keeps checks, their docs, their table tests and the registry in step (as eslint does for its
 * rules), and runs every doc's example: the `Example` block must give exactly the `text` lines
 * shown, and the `Fixed` block must give none.
 */
const root = join(import.meta.dirname, '..', '..');
/** checks/rules/ holds the rules and nothing else (the engine sits beside it). */
const checkFiles = readdirSync(join(root, 'checks', 'rules'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));

/** The fenced blocks of a markdown section (from `## title` to the next `## `). */
function blocks(md: string, section: string, lang: string): string[] {
  const start = md.indexOf(`\n## ${section}\n`);
  if (start < 0) return [];
  const end = md.indexOf('\n## ', start + 1);
  const body = md.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] as string);
}

function missing(id: string): string[] {
  const want = [`docs/checks/${id}.md`, `test/checks/${id}.test.ts`];
  return want.filter((rel) => !existsSync(join(root, rel)));
}

describe('checks registry, docs and tests', () => {
  it('registers every file in checks/rules/ and nothing else, ids equal to file names', () => {
    expect(CHECKS.map((c) => c.meta.id).sort()).toEqual([...checkFiles].sort());
    expect(new Set(CHECKS.map((c) => c.meta.id)).size).toBe(CHECKS.length);
  });

  it('would catch a check without doc or table test (the rule checks itself)', () => {
    expect(missing('no-such-check')).toEqual([
      'docs/checks/no-such-check.md',
      'test/checks/no-such-check.test.ts',
    ]);
  });

  for (const c of CHECKS) {
    const id = c.meta.id;
    describe(id, () => {
      it('has a doc, a table test, a description and message templates', () => {
        expect(existsSync(join(root, 'docs', 'checks', `${id}.md`)), `docs/checks/${id}.md`).toBe(true);
        expect(existsSync(join(root, 'test', 'checks', `${id}.test.ts`)), `test/checks/${id}.test.ts`).toBe(
          true,
        );
        const test = readFileSync(join(root, 'test', 'checks', `${id}.test.ts`), 'utf8');
        expect(test).toContain(`tableTest('${id}'`);
        expect(c.meta.description.length).toBeGreaterThan(10);
        expect(Object.keys(c.meta.messages).length).toBeGreaterThan(0);
      });

      it("the doc's example gives the lines it shows, and its fix gives none", async () => {
        const md = readFileSync(join(root, 'docs', 'checks', `${id}.md`), 'utf8');
        expect(md.startsWith(`# ${id}\n`)).toBe(true);
        const [example] = blocks(md, 'Example', 'c');
        const [shown] = blocks(md, 'Example', 'text');
        expect(example, 'an Example section with a c block').toBeDefined();
        expect(shown, 'an Example section with a text block of the expected lines').toBeDefined();
        const found = await findingsOf(id, { text: example as string, path: 'example.c' });
        expect(found.map((f) => findingLine(f)).join('\n')).toBe((shown as string).trimEnd());
        for (const fixed of blocks(md, 'Fixed', 'c')) {
          const after = await findingsOf(id, { text: fixed, path: 'example.c' });
          expect(after.map((f) => findingLine(f))).toEqual([]);
        }
      });
    });
  }
});
