import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCParser } from '../../app/c/language.js';
import { FactCache } from '../../app/cache/facts.js';
import { defaultConfig } from '../../app/config/index.js';
import { changedLines } from '../../app/context/postimage.js';
import { CPrefetch } from '../../app/review/c-prefetch.js';
import { reviewSeriesInput, seriesInput } from '../../app/review/run.js';
import { CHECKS } from '../../checks/index.js';
import { type FactMemo, specsOf } from '../../checks/unit.js';
import { syscallFacts } from '../../parsers/c/index.js';
import { parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries } from '../../parsers/series.js';

const FROB = readFileSync('fixtures/tree-frob/kernel/frob.c', 'utf8');
const SPEC = `/**
 * sys_frob - frobnicate a descriptor
 * @fd: the descriptor
 *
 * context: process
 * error: EBADF, the descriptor is not open
 */
`;
const TEXT = FROB.replace(/^SYSCALL_DEFINE/m, `${SPEC}SYSCALL_DEFINE`);

/** A memo that counts the 'c' facts it had to make. */
function counting(): { memo: FactMemo; made: () => number } {
  let n = 0;
  const cache = new FactCache(null);
  return {
    memo: {
      get(kind, path, text, make) {
        return cache.get(kind, path, text, () => {
          if (kind === 'c') n++;
          return make();
        });
      },
    },
    made: () => n,
  };
}

describe('the C worker beside a review on this thread', () => {
  it('gives the facts the review would make here, and the review does not make them again', async () => {
    const parser = await loadCParser();
    const names = specsOf(TEXT, 'kernel/frob.c').specs.map((s) => s.name);
    expect(names).toEqual(['sys_frob']);
    const here = syscallFacts(parser, 'kernel/frob.c', TEXT, names, (_key, make) => make());
    expect(Object.keys(here.errors)).toContain('sys_frob');

    const w = new CPrefetch(null);
    const { memo, made } = counting();
    try {
      w.askFor(
        [
          { path: 'kernel/frob.c', text: TEXT },
          { path: 'kernel/frob.c', text: FROB },
        ],
        memo,
      );
      const primed = await w.primed(memo);
      const got = primed.get('c', 'kernel/frob.c', TEXT, () => {
        throw new Error('made here');
      });
      expect(got).toEqual(here);
      expect(made()).toBe(1); // the memo kept the worker's facts, made by nobody on this thread
    } finally {
      w.close();
    }
  });

  it('leaves the texts to the review when its worker cannot start', async () => {
    const w = new CPrefetch(null, new URL('./no-such-worker.js', import.meta.url));
    const { memo } = counting();
    w.askFor([{ path: 'kernel/frob.c', text: TEXT }], memo);
    const primed = await w.primed(memo);
    expect(primed.get('c', 'kernel/frob.c', TEXT, () => 'made here')).toBe('made here');
    expect(await w.changed(FROB, TEXT)).toBeNull();
    w.close();
  });

  it('diffs two images as changedLines does here', async () => {
    const w = new CPrefetch(null);
    try {
      const moved = `/* a line above */\n${TEXT.replace('return frob_range', 'return  frob_range')}`;
      for (const [pre, post] of [
        [FROB, TEXT],
        [TEXT, moved],
        ['', TEXT],
      ] as const) {
        const here = changedLines(pre, post);
        expect(here.added.length).toBeGreaterThan(0);
        expect(await w.changed(pre, post)).toEqual(here);
      }
    } finally {
      w.close();
    }
  });

  it('a review with the worker and one without give the same outcome', async () => {
    const mails = splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')).map(
      (m) => parseMailSync(m.raw).value,
    );
    const series = buildSeries(mails).value.series;
    expect(series).toHaveLength(1);
    const input = seriesInput(series[0] as (typeof series)[number]);
    const opts = {
      checks: CHECKS,
      config: defaultConfig(),
      parser: await loadCParser(),
      tree: 'fixtures/tree-frob',
    };
    const inline = await reviewSeriesInput(input, { ...opts, cache: { dir: null } });
    const beside = await reviewSeriesInput(input, {
      ...opts,
      cache: { dir: null, version: 'other' },
      cWorker: true,
    });
    expect(inline.review.findings.length).toBeGreaterThan(0);
    expect(beside).toEqual(inline);
  });
});
