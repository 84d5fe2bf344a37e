import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { loadCParser } from '../../app/c/language.js';
import { defaultConfig } from '../../app/config/index.js';
import { reviewSeriesInput, seriesInput } from '../../app/review/run.js';
import { CHECKS } from '../../checks/index.js';
import { parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries, type Series } from '../../parsers/series.js';

/** The series of an mbox file. */
function seriesOf(raw: Buffer): Series {
  const mails = splitMboxBuffer(raw).map((m) => parseMailSync(m.raw).value);
  const s = buildSeries(mails).value.series[0];
  if (!s) throw new Error('no series');
  return s;
}

/** Reviews with a parser loaded on request, counting the requests; and with the parser given. */
async function both(series: Series, tree: string) {
  let asked = 0;
  const opts = { checks: CHECKS, config: defaultConfig(), tree };
  const lazy = await reviewSeriesInput(seriesInput(series), {
    ...opts,
    parser: null,
    loadParser: (): Promise<Parser | null> => {
      asked++;
      return loadCParser();
    },
    cache: { dir: null, version: `lazy ${tree}` },
  });
  const given = await reviewSeriesInput(seriesInput(series), {
    ...opts,
    parser: await loadCParser(),
    cache: { dir: null, version: `given ${tree}` },
  });
  const lines = (o: typeof lazy) => o.review.findings.map((f) => `${f.check}@${f.at.line}`).sort();
  return { asked, lazy: lines(lazy), given: lines(given), files: lazy.review.files.length };
}

/**
 * `kapi-review check --tree` gives the review no parser but a way to load one: the review loads
 * the C grammar only for a series with a spec to analyse, once, and finds what a review given
 * the parser finds.
 */
describe('the C grammar in a review with a tree', () => {
  it('is loaded once for a series with a spec, and the findings are those of a review given it', async () => {
    const r = await both(seriesOf(readFileSync('fixtures/mail/base-frob-v1.mbox')), 'fixtures/tree-frob');
    expect(r.asked).toBe(1);
    expect(r.given.length).toBeGreaterThan(0);
    expect(r.lazy).toEqual(r.given);
  });

  it('is not loaded for a series whose files carry no spec', async () => {
    // two patches to the tree's kernel/frob.c, which has a syscall and no spec, adding none
    const r = await both(seriesOf(readFileSync('fixtures/mail/plain-frob-v1.mbox')), 'fixtures/tree-frob');
    expect(r.files).toBeGreaterThan(0);
    expect(r.asked).toBe(0);
    expect(r.lazy).toEqual(r.given);
  });
});
