import { describe, expect, it } from 'vitest';
import type { ReviewReport } from '../../reporters/report.js';
import { findingBlock, findingLine, renderTerminal } from '../../reporters/terminal.js';
import { ERROR, OUTSIDE, PARSE_ERROR, sampleReport, WARNING } from './sample.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*m/g;

const GOLDEN = `frob: bound, document and restrict sys_frob (v2, 2 patches): complete
  [PATCH v2 1/2] frob: add a KAPI spec for sys_frob <20260302-frob-v2-1@example.org>
  [PATCH v2 2/2] mm: bound mlock len <20260302-frob-v2-2@example.org>

[PATCH v2 1/2] frob: add a KAPI spec for sys_frob <20260302-frob-v2-1@example.org>
kernel/frob.c:42: ERROR:kapi-error-undocumented: sys_frob returns -EINVAL but its spec does not list EINVAL
  spec at kernel/frob.c line 12: KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")
  code at kernel/frob.c line 42: return -EINVAL;
  suggestion: KAPI_ERROR(1, -EINVAL, "EINVAL", "len too large", "")

[PATCH v2 2/2] mm: bound mlock len <20260302-frob-v2-2@example.org>
mm/mlock.c:7: WARNING:kapi-count-mismatch: a spec line the parser could not read
  evidence at mm/mlock.c line 7: KAPI_PARAM_COUNT(

outside the diff (not inline): 1
[PATCH v2 1/2] frob: add a KAPI spec for sys_frob <20260302-frob-v2-1@example.org>
kernel/frob.c:20: CHECK:kapi-count-mismatch: sys_frob declares 2 errors (KAPI_ERROR_COUNT) but lists 1

INTERNAL: check kapi-lock-order crashed on mm/mlock.c (<20260302-frob-v2-2@example.org>): spec.locks is not iterable

note: mm/mlock.c: checked without a kernel tree, hunks only

total: 1 errors, 1 warnings, 0 checks, 1 outside the diff, 1 internal errors
`;

function empty(): ReviewReport {
  return { series: [], findings: [], outside: [], crashes: [], notes: [] };
}

describe('findingLine (docs/checks/*.md depend on it)', () => {
  it('keeps its checkpatch form', () => {
    expect(findingLine(ERROR)).toBe(
      'kernel/frob.c:42: ERROR:kapi-error-undocumented: sys_frob returns -EINVAL but its spec does not list EINVAL',
    );
    expect(findingLine(WARNING)).toBe(
      'mm/mlock.c:7: WARNING:kapi-count-mismatch: a spec line the parser could not read',
    );
    expect(findingLine(OUTSIDE)).toBe(
      'kernel/frob.c:20: CHECK:kapi-count-mismatch: sys_frob declares 2 errors (KAPI_ERROR_COUNT) but lists 1',
    );
    expect(findingLine(ERROR, true)).toBe(
      'kernel/frob.c:42: \x1b[31mERROR\x1b[0m:kapi-error-undocumented: sys_frob returns -EINVAL but its spec does not list EINVAL',
    );
  });
});

describe('renderTerminal', () => {
  it('renders the sample report exactly', () => {
    expect(renderTerminal(sampleReport(), { colour: false })).toBe(GOLDEN);
  });

  it('colours only when asked, and colour is the only difference', () => {
    const plain = renderTerminal(sampleReport(), { colour: false });
    const coloured = renderTerminal(sampleReport(), { colour: true });
    expect(plain).not.toMatch(ANSI);
    expect(coloured).toMatch(ANSI);
    expect(coloured).toContain('\x1b[31mERROR\x1b[0m');
    expect(coloured).toContain('\x1b[33mWARNING\x1b[0m');
    expect(coloured).toContain('\x1b[36mCHECK\x1b[0m');
    expect(coloured.replace(ANSI, '')).toBe(plain);
  });

  it('prints a lone patch checkpatch-style, without a patch header', () => {
    const r = sampleReport();
    r.series[0]?.patches.splice(1);
    r.findings = [ERROR];
    r.outside = [];
    r.crashes = [];
    r.notes = [];
    const lines = renderTerminal(r, { colour: false }).split('\n');
    expect(lines.slice(3)).toEqual([
      'kernel/frob.c:42: ERROR:kapi-error-undocumented: sys_frob returns -EINVAL but its spec does not list EINVAL',
      '  spec at kernel/frob.c line 12: KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")',
      '  code at kernel/frob.c line 42: return -EINVAL;',
      '  suggestion: KAPI_ERROR(1, -EINVAL, "EINVAL", "len too large", "")',
      '',
      'total: 1 errors, 0 warnings, 0 checks',
      '',
    ]);
    expect(lines[0]).toBe('frob: bound, document and restrict sys_frob (v2, 1 patch): complete');
  });

  it('renders an empty review as the total alone', () => {
    expect(renderTerminal(empty(), { colour: false })).toBe('total: 0 errors, 0 warnings, 0 checks\n');
  });

  it('heads findings of an unknown or missing Message-ID plainly', () => {
    const r = sampleReport();
    r.findings = [
      { ...ERROR, at: { path: 'a.c', line: 1, messageId: 'other@example.org' } },
      { ...WARNING, at: { path: 'b.c', line: 2 } },
    ];
    r.outside = [];
    r.crashes = [{ check: 'x', path: 'b.c', messageId: null, error: 'boom' }];
    const text = renderTerminal(r, { colour: false });
    expect(text).toContain('\n<other@example.org>\na.c:1: ERROR:');
    expect(text).toContain('\n(no Message-ID)\nb.c:2: WARNING:');
    expect(text).toContain('INTERNAL: check x crashed on b.c ((no Message-ID)): boom');
  });

  it('defuses terminal control sequences that came with the mail', () => {
    const r = empty();
    r.series = [{ title: 'evil\x1b]0;owned\x07', revision: 1, state: 'incomplete', patches: [] }];
    r.findings = [
      {
        ...ERROR,
        message: 'clear\x1b[2J screen',
        evidence: [{ path: 'kernel/frob.c', line: 1, text: 'x\x1b[31my' }],
        suggestion: 'a\rb',
      },
    ];
    r.notes = ['n\x1bote'];
    for (const colour of [false, true]) {
      const text = renderTerminal(r, { colour }).replace(ANSI, '');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
      expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    }
  });

  it('shows operator-only findings (kapi-parse-error) like any other: the CLI is for operators', () => {
    const r = sampleReport();
    r.findings = [ERROR, PARSE_ERROR];
    r.outside = [];
    r.crashes = [];
    r.notes = [];
    expect(renderTerminal(r, { colour: false }).split('\n').slice(4)).toEqual([
      '[PATCH v2 1/2] frob: add a KAPI spec for sys_frob <20260302-frob-v2-1@example.org>',
      'kernel/frob.c:42: ERROR:kapi-error-undocumented: sys_frob returns -EINVAL but its spec does not list EINVAL',
      '  spec at kernel/frob.c line 12: KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")',
      '  code at kernel/frob.c line 42: return -EINVAL;',
      '  suggestion: KAPI_ERROR(1, -EINVAL, "EINVAL", "len too large", "")',
      "kernel/gizmo.c:10: ERROR:kapi-parse-error: sys_gizmo: no KAPI_END_SPEC (or closing '};') before SYSCALL_DEFINE1 (kapi-macro-unterminated)",
      '  evidence at kernel/gizmo.c line 10: DEFINE_KERNEL_API_SPEC(sys_gizmo)',
      '',
      'total: 2 errors, 0 warnings, 0 checks',
      '',
    ]);
  });

  it('keeps a finding one line and puts further suggested lines under the first', () => {
    const f = {
      ...ERROR,
      message: 'two\nlines\u2028and a\ttab',
      evidence: [{ kind: 'spec' as const, path: 'a\nb.c', line: 3, text: 'x\ny' }],
      suggestion: ' * error: EPERM, TODO: condition\n *   desc: TODO: description',
    };
    expect(findingBlock(f)).toEqual([
      'kernel/frob.c:42: ERROR:kapi-error-undocumented: two lines and a tab',
      '  spec at a b.c line 3: x y',
      '  suggestion:  * error: EPERM, TODO: condition',
      '               *   desc: TODO: description',
    ]);
  });

  it('blocks a finding without evidence or suggestion as one line', () => {
    expect(findingBlock(OUTSIDE)).toEqual([findingLine(OUTSIDE)]);
  });
});
