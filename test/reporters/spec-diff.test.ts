import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { loadCParser } from '../../app/c/language.js';
import { parseDiff } from '../../parsers/diff.js';
import { diffSpecs } from '../../parsers/kapi/spec-diff.js';
import {
  changeLine,
  type ReportedDelta,
  renderSpecDiffText,
  specDiffLines,
  specDiffMailSection,
  specDiffMarkdown,
  specDiffToJson,
  textChange,
  withVerdicts,
} from '../../reporters/spec-diff.js';
import { carryKnown, specCodeIn, specsOfImages, specsOfText } from '../../reporters/spec-sides.js';

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'kapi');
const read = (f: string): string =>
  readFileSync(join(f.startsWith('frob-v2') ? join(dir, '..', 'spec-diff') : dir, f), 'utf8');

describe('spec diff reporter', () => {
  let parser: Parser;
  let deltas: ReportedDelta[];
  beforeAll(async () => {
    parser = await loadCParser();
    const v2 = read('frob-v2.kd3.c');
    deltas = withVerdicts(
      diffSpecs(specsOfText(read('frob.macro.c'), 'frob.c'), specsOfText(v2, 'frob.c')),
      (n) => specCodeIn(v2, 'frob.c', n, parser),
    );
  });

  it('says whether the code agrees with each error added or dropped', () => {
    const lines = specDiffLines(deltas);
    expect(lines).toContain(
      '  + error EFAULT: the range is not user memory; the code returns it (frob.c:102: return -EFAULT;)',
    );
    expect(lines).toContain(
      '  + error EBUSY: another frobnication is running; but the code never returns it',
    );
    expect(lines).toContain(
      '  - error EPERM: caller lacks CAP_SYS_ADMIN; but the code still returns it (frob.c:108: return -EPERM;)',
    );
    // only errors carry a verdict
    expect(deltas[0]?.changes.filter((c) => c.verdict !== null).map((c) => c.key)).toEqual([
      'EPERM',
      'EFAULT',
      'EBUSY',
    ]);
  });

  it('claims nothing without code facts', () => {
    const bare = withVerdicts(
      diffSpecs(specsOfText(read('frob.macro.c'), 'f.c'), specsOfText(read('frob-v2.kd3.c'), 'f.c')),
      () => null,
    );
    expect(specDiffLines(bare).filter((l) => / code /.test(l))).toEqual([]);
  });

  it('renders one line per change in text, and all of it in JSON', () => {
    const text = renderSpecDiffText(deltas, { old: 'v1', new: 'v2' });
    expect(text.split('\n')[0]).toBe('spec changes from v1 to v2');
    expect(text).toContain('sys_frob (frob.c:14, macro -> kerneldoc-3): 11 changes\n');
    expect(text).toContain('  ~ signal SIGKILL timing: "during" -> "entry"\n');
    const json = specDiffToJson(deltas, { old: 'v1', new: 'v2' }) as {
      specs: { changes: { text: string; verdict: unknown }[] }[];
    };
    expect(json.specs[0]?.changes.find((c) => c.text.includes('EFAULT'))?.verdict).toMatchObject({
      code: 'returns',
      agrees: true,
    });
  });

  it('gives a mail section and a GitHub block only when a spec changed', () => {
    expect(specDiffMailSection(deltas, 'v1')[0]).toBe('Spec changes since v1:');
    const md = specDiffMarkdown(deltas) ?? '';
    expect(md).toMatch(/^\*\*Spec changes\*\* \(base -> head\)\n\n```diff\n@@ sys_frob/);
    expect(md).toContain('\n+ error EFAULT');
    expect(md).toContain('\n! signal SIGKILL timing');
    const same = withVerdicts(
      diffSpecs(specsOfText(read('frob.kd1.c'), 'a.c'), specsOfText(read('frob.kd2.c'), 'a.c')),
      () => null,
    );
    expect(specDiffMailSection(same, 'v1')).toEqual([]);
    expect(specDiffMarkdown(same)).toBeNull();
    expect(specDiffLines(same)).toEqual(['1 spec unchanged']);
  });

  it('shows a long text change as the words that differ', () => {
    const a = 'one two three four five six seven eight nine ten eleven twelve';
    expect(textChange(a, a.replace('seven', 'SEVEN'))).toBe(
      '… four five six [-seven-] {+SEVEN+} eight nine ten …',
    );
    expect(textChange('a', 'b')).toBe('"a" -> "b"');
    expect(
      changeLine({
        area: 'return',
        key: '',
        op: 'removed',
        field: 'description',
        old: 'x',
        new: null,
        line: null,
        verdict: null,
      }),
    ).toBe('~ return description: removed (was "x")');
  });

  it('carries lines a patch showed through a later patch that edits them', () => {
    const first = parseDiff(['--- a/f.c', '+++ b/f.c', '@@ -10,0 +11,3 @@', '+a', '+b', '+c', ''].join('\n'))
      .value.files[0];
    const second = parseDiff(
      ['--- a/f.c', '+++ b/f.c', '@@ -1,0 +2,1 @@', '+top', '@@ -12,1 +13,2 @@', '-b', '+B', '+B2', ''].join(
        '\n',
      ),
    ).value.files[0];
    const k1 = carryKnown(new Map(), first?.hunks ?? []);
    expect([...k1]).toEqual([
      [11, 'a'],
      [12, 'b'],
      [13, 'c'],
    ]);
    const k2 = carryKnown(k1, second?.hunks ?? []);
    expect([...k2].sort((x, y) => x[0] - y[0])).toEqual([
      [2, 'top'],
      [12, 'a'],
      [13, 'B'],
      [14, 'B2'],
      [15, 'c'],
    ]);
    const specs = specsOfImages([
      { files: [{ path: 'f.c', mode: 'deleted', post: null, fragments: [], diff: null }] },
    ]);
    expect(specs.specs).toEqual([]);
  });
});
