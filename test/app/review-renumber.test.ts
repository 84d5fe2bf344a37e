import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCParser } from '../../app/c/language.js';
import { defaultConfig } from '../../app/config/index.js';
import { reviewSeriesInput, seriesInput } from '../../app/review/run.js';
import { CHECKS } from '../../checks/index.js';
import { parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries } from '../../parsers/series.js';

/**
 * The lines of findings when the series' hunks land where their headers say, lower down (the
 * tree has lines above them that the patch's base did not), or with fuzz (a context line differs).
 */
const mails = splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')).map(
  (m) => parseMailSync(m.raw).value,
);
const series = buildSeries(mails).value.series[0];

async function lines(tree: string): Promise<string[]> {
  if (!series) throw new Error('no series');
  const out = await reviewSeriesInput(seriesInput(series), {
    checks: CHECKS,
    config: defaultConfig(),
    parser: await loadCParser(),
    tree,
    cache: { dir: null, version: tree },
  });
  return out.review.findings.map((f) => `${f.check}@${f.at.line}`).sort();
}

function treeWith(edit: (frob: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kapi-renumber-'));
  cpSync('fixtures/tree-frob', dir, { recursive: true });
  const file = join(dir, 'kernel', 'frob.c');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

const shift = (list: string[], by: number): string[] =>
  list.map((x) => x.replace(/@(\d+)$/, (_, n: string) => `@${Number(n) + by}`)).sort();

describe('findings of hunks that landed elsewhere', () => {
  it('move with the hunks: three lines down when the tree has three more lines above', async () => {
    const exact = await lines('fixtures/tree-frob');
    expect(exact.length).toBeGreaterThan(0);
    const tree = treeWith((t) => `/* one */\n/* two */\n/* three */\n${t}`);
    const lower = await lines(tree);
    expect(lower).toEqual(shift(exact, 3));
  });

  it('stay where they are when only a context line differs (fuzz)', async () => {
    const exact = await lines('fixtures/tree-frob');
    const fuzzy = treeWith((t) => t.replace('{\n', '{ /* a changed context line */\n'));
    const fuzzed = await lines(fuzzy);
    expect(fuzzed).toEqual(exact);
  });
});
