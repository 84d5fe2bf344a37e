/**
 * The built-in frameworks are learned from the corpus postings, not written by hand: learning them
 * again from ../shared/corpus must give exactly parsers/kapi/frameworks.data.ts (regenerate with
 * `npm run gen:frameworks` when the learner changes). And a series is judged by the framework it
 * carries: RFC v2 as a whole brings its own macros; one RFC v2 patch alone falls back to the latest.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { CORPUS_POSTINGS, learnCorpus } from '../../app/framework/builtin.js';
import { builtinFrameworks } from '../../parsers/kapi/frameworks.js';
import { corpusDir, corpusPresent } from '../helpers/corpus.js';

/** The facts without their line text, as the built-in data keeps them. */
const withoutText = (x: unknown): unknown =>
  JSON.parse(JSON.stringify(x, (k, v) => (k === 'text' ? undefined : v)));

async function checkJson(
  args: string[],
): Promise<{ check: string; spec: string | null; subject: string | null }[]> {
  let out = '';
  await main(['node', 'kapi-review', 'check', '--filter', 'none', '--format', 'json', ...args], {
    out: (s) => (out += s),
    err: () => {},
  });
  const r = JSON.parse(out) as { findings: never[]; outside: never[] };
  return [...r.findings, ...r.outside];
}

describe.skipIf(!corpusPresent)('built-in frameworks against the corpus', () => {
  it('learning the postings again gives frameworks.data.ts exactly', async () => {
    const learned = await learnCorpus(corpusDir);
    expect(learned.map((f) => f.posting)).toEqual(CORPUS_POSTINGS.map((p) => p.posting));
    expect(withoutText(learned)).toEqual(withoutText(builtinFrameworks()));
  });

  it('the whole RFC v2 series is judged by the framework its 01/22 adds: no kapi-deprecated-form', async () => {
    const found = await checkJson([join(corpusDir, 'rfc-v2')]);
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((f) => f.check === 'kapi-deprecated-form')).toEqual([]);
    expect(found.filter((f) => f.check === 'kapi-unknown-token')).toEqual([]);
  });

  it('one RFC v2 spec patch alone, with no tree, falls back to the latest framework', async () => {
    const found = await checkJson([join(corpusDir, 'rfc-v2', 'rfc-v2-13-munlock.patch.txt')]);
    const deprecated = found.filter((f) => f.check === 'kapi-deprecated-form');
    expect(deprecated.map((f) => `${f.spec} ${f.subject}`)).toContain('sys_munlock form:macro');
  });

  it('`kapi-review framework` names the framework each posting carries', async () => {
    for (const [posting, expected] of [
      ['rfc-v2', /this series \(series\)[\s\S]*spec forms it reads: macro;/],
      ['rfc-v3', /this series \(series\)[\s\S]*spec forms it reads: macro, kerneldoc-1;/],
      [
        'patch-v4',
        /spec forms it reads: kerneldoc-2, kerneldoc-3;[\s\S]*kbuild grep: contexts: context-flags: context:/,
      ],
    ] as const) {
      let out = '';
      await main(['node', 'kapi-review', 'framework', join(corpusDir, posting)], {
        out: (s) => (out += s),
        err: () => {},
      });
      expect(out).toMatch(expected);
    }
  });
});
