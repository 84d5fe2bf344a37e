import { describe, expect, it } from 'vitest';
import { FAIL_LEVELS, failsAt, renderLines } from '../../reporters/line.js';
import type { ReviewReport } from '../../reporters/report.js';
import { findingLine } from '../../reporters/terminal.js';
import { ERROR, OUTSIDE, sampleReport, WARNING } from './sample.js';

function empty(): ReviewReport {
  return { series: [], findings: [], outside: [], crashes: [], notes: [] };
}

describe('renderLines', () => {
  it('prints one checkpatch --terse line per finding inside the filter, and nothing else', () => {
    expect(renderLines(sampleReport())).toBe(
      [
        'kernel/frob.c:42: ERROR:kapi-error-undocumented: sys_frob returns -EINVAL but its spec does not list EINVAL',
        'mm/mlock.c:7: WARNING:kapi-count-mismatch: a spec line the parser could not read',
        '',
      ].join('\n'),
    );
  });

  it('prints nothing at all without findings, whatever else the report holds', () => {
    expect(renderLines(empty())).toBe('');
    const r = sampleReport();
    r.findings = [];
    // outside the filter, a crash, a note: none of them a line
    expect(renderLines(r)).toBe('');
  });

  it('keeps each finding on one line, whatever the mail put in it', () => {
    const r = empty();
    r.findings = [
      { ...WARNING, message: 'a\nb\r\nc\u2028d\u001b[2Je', at: { path: 'x\ny.c', line: 3 } },
      { ...ERROR, check: 'kapi-x\u0085y' },
    ];
    const lines = renderLines(r).split('\n');
    expect(lines).toEqual([
      'x y.c:3: WARNING:kapi-count-mismatch: a b  c d [2Je',
      'kernel/frob.c:42: ERROR:kapi-x y: sys_frob returns -EINVAL but its spec does not list EINVAL',
      '',
    ]);
  });

  it('is the finding line of the text format, coloured only when asked', () => {
    const r = empty();
    r.findings = [ERROR];
    expect(renderLines(r)).toBe(`${findingLine(ERROR)}\n`);
    expect(renderLines(r, { colour: true })).toBe(`${findingLine(ERROR, true)}\n`);
  });
});

describe('failsAt', () => {
  it('fails on the level asked and every worse one, as checkpatch fails on warnings', () => {
    const table = FAIL_LEVELS.map((level) => [
      level,
      (['error', 'warning', 'info'] as const).filter((s) => failsAt(s, level)),
    ]);
    expect(table).toEqual([
      ['error', ['error']],
      ['warning', ['error', 'warning']],
      ['check', ['error', 'warning', 'info']],
    ]);
    expect(failsAt(OUTSIDE.severity, 'warning')).toBe(false);
  });
});
