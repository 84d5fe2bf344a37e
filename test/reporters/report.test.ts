import { describe, expect, it } from 'vitest';
import type { SeriesReview } from '../../app/review/run.js';
import type { ReviewResult, ScopedFinding } from '../../checks/review.js';
import { parseMail } from '../../parsers/mail.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { reportToJson } from '../../reporters/json.js';
import { buildReport, countLevels, type ReviewedSeries } from '../../reporters/report.js';
import { renderTerminal } from '../../reporters/terminal.js';
import { makeSeries } from '../helpers/mailgen.js';
import { ERROR, OUTSIDE, WARNING } from './sample.js';

async function seriesOf(raws: string[]): Promise<Series[]> {
  const mails = await Promise.all(raws.map(async (r) => (await parseMail(r)).value));
  return buildSeries(mails).value.series;
}

const scoped = (f: typeof ERROR, patch: number): ScopedFinding => ({
  ...f,
  scope: f.scope ?? 'added',
  patch,
});

function review(partial: Partial<ReviewResult> = {}): ReviewResult {
  return { findings: [], outside: [], crashes: [], preexisting: 0, files: [], ...partial };
}

describe('buildReport', () => {
  it('takes the series, patches and state from each reviewed series', async () => {
    const [s] = await seriesOf(makeSeries({ n: 2, revision: 3, idPrefix: 'rep', title: 'frob: report me' }));
    // the pipeline's own result is what buildReport takes
    const piped: SeriesReview = { series: s as Series, review: review(), ignored: [], notes: [] };
    const r = buildReport([piped]);
    expect(r.series).toEqual([
      {
        title: 'frob: report me',
        revision: 3,
        state: 'complete',
        patches: [
          { messageId: 'rep-1@example.org', subject: '[PATCH v3 1/2] frob: step 1' },
          { messageId: 'rep-2@example.org', subject: '[PATCH v3 2/2] frob: step 2' },
        ],
      },
    ]);
    expect(r.notes).toEqual([]);
  });

  it('notes a series that is not complete, as the series reporter words it', async () => {
    const raws = makeSeries({ n: 3, idPrefix: 'gap', title: 'frob: with a gap' });
    raws.splice(2, 1); // drop 2/3
    const [s] = await seriesOf(raws);
    const r = buildReport([{ series: s as Series, review: review(), notes: ['kernel/x.c: hunks only'] }]);
    expect(r.series[0]?.state).toBe('incomplete');
    expect(r.notes).toEqual(['kernel/x.c: hunks only', 'frob: with a gap (v1): incomplete: missing 2']);
  });

  it('concatenates findings, outside findings, crashes and notes in series order', () => {
    const crash = { check: 'x', path: 'a.c', messageId: null, error: 'boom' };
    const items: ReviewedSeries[] = [
      {
        series: null,
        review: review({ findings: [scoped(ERROR, 0)], outside: [scoped(OUTSIDE, 0)] }),
        notes: ['same', 'first'],
      },
      { series: null, review: review({ findings: [scoped(WARNING, 1)], crashes: [crash] }), notes: ['same'] },
    ];
    const r = buildReport(items);
    expect(r.series).toEqual([]);
    expect(r.findings.map((f) => f.check)).toEqual([ERROR.check, WARNING.check]);
    expect(r.outside.map((f) => f.fingerprint)).toEqual([OUTSIDE.fingerprint]);
    expect(r.crashes).toEqual([crash]);
    expect(r.notes).toEqual(['same', 'first']);
    // the patch index and scope stay out of the contract
    const json = JSON.stringify(reportToJson(r));
    expect(json).not.toContain('"patch"');
    expect(json).not.toContain('"scope"');
  });

  it('of nothing is an empty report', () => {
    expect(buildReport([])).toEqual({ series: [], findings: [], outside: [], crashes: [], notes: [] });
  });

  it('feeds the terminal reporter end to end', async () => {
    const [s] = await seriesOf(makeSeries({ n: 1, idPrefix: 'one', title: 'frob: one', cover: false }));
    const f = scoped({ ...ERROR, at: { ...ERROR.at, messageId: 'one-1@example.org' } }, 0);
    const report = buildReport([{ series: s as Series, review: review({ findings: [f] }), notes: [] }]);
    expect(renderTerminal(report, { colour: false }).split('\n').slice(0, 4)).toEqual([
      'frob: step 1 (v1, 1 patch): complete',
      '  [PATCH 1/1] frob: step 1 <one-1@example.org>',
      '',
      'kernel/frob.c:42: ERROR:kapi-error-undocumented: sys_frob returns -EINVAL but its spec does not list EINVAL',
    ]);
  });
});

describe('countLevels', () => {
  it("counts checkpatch's three levels", () => {
    expect(countLevels([ERROR, WARNING, OUTSIDE, OUTSIDE])).toEqual({ errors: 1, warnings: 1, checks: 2 });
    expect(countLevels([])).toEqual({ errors: 0, warnings: 0, checks: 0 });
  });
});
