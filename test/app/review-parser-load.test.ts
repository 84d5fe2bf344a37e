import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { loadCParser } from '../../app/c/language.js';
import { defaultConfig } from '../../app/config/index.js';
import { reviewSeriesInput, seriesInput } from '../../app/review/run.js';
import { CHECKS } from '../../checks/index.js';
import { parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries, type Series } from '../../parsers/series.js';

/**
 * `kapi-review check --tree` gives the review no parser but a way to load one: the review loads
 * the C grammar only for a series with a spec to analyse, once, and finds what a review given
 * the parser finds.
 */
const PLAIN = `// SPDX-License-Identifier: GPL-2.0
#include <linux/syscalls.h>

SYSCALL_DEFINE1(plain, int, flags)
{
	if (flags)
		return -EINVAL;
	return 0;
}
`;

/** The series of an mbox file, or of one mail given as text. */
function seriesOf(raw: Buffer): Series {
  const mails = splitMboxBuffer(raw).map((m) => parseMailSync(m.raw).value);
  const s = buildSeries(mails).value.series[0];
  if (!s) throw new Error('no series');
  return s;
}

/** A tree with a file that has a syscall and no spec, and a patch to it that adds none. */
function plainCase(): { tree: string; series: Series } {
  const tree = mkdtempSync(join(tmpdir(), 'kapi-parser-load-'));
  cpSync('fixtures/tree-frob', tree, { recursive: true });
  mkdirSync(join(tree, 'kernel'), { recursive: true });
  writeFileSync(join(tree, 'kernel', 'plain.c'), PLAIN);
  const mail = [
    'From plain@example.org Mon Dec  1 10:00:00 2025',
    'From: Plain <plain@example.org>',
    'Subject: [PATCH] plain: say why flags are refused',
    'Message-ID: <plain-1@example.org>',
    'Date: Mon, 1 Dec 2025 10:00:00 +0000',
    '',
    'A comment.',
    '---',
    'diff --git a/kernel/plain.c b/kernel/plain.c',
    '--- a/kernel/plain.c',
    '+++ b/kernel/plain.c',
    '@@ -4,6 +4,7 @@',
    ' SYSCALL_DEFINE1(plain, int, flags)',
    ' {',
    ' \tif (flags)',
    '+\t\t/* no flag is known yet */',
    ' \t\treturn -EINVAL;',
    ' \treturn 0;',
    ' }',
    '',
  ].join('\n');
  return { tree, series: seriesOf(Buffer.from(mail)) };
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

describe('the C grammar in a review with a tree', () => {
  it('is loaded once for a series with a spec, and the findings are those of a review given it', async () => {
    const r = await both(seriesOf(readFileSync('fixtures/mail/base-frob-v1.mbox')), 'fixtures/tree-frob');
    expect(r.asked).toBe(1);
    expect(r.given.length).toBeGreaterThan(0);
    expect(r.lazy).toEqual(r.given);
  });

  it('is not loaded for a series whose files carry no spec', async () => {
    const { tree, series } = plainCase();
    const r = await both(series, tree);
    expect(r.files).toBeGreaterThan(0);
    expect(r.asked).toBe(0);
    expect(r.lazy).toEqual(r.given);
  });
});
