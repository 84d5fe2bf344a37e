import { describe, expect, it } from 'vitest';
import { B4_TOOL, b4Status, b4Summary, renderB4, reportToB4 } from '../../reporters/b4.js';
import type { ReviewReport } from '../../reporters/report.js';
import { renderTerminal } from '../../reporters/terminal.js';
import { ERROR, OUTSIDE, sampleReport, WARNING } from './sample.js';

function empty(): ReviewReport {
  return { series: [], findings: [], outside: [], crashes: [], notes: [] };
}

/**
 * What b4 accepts (mricon/b4 src/b4/review/checks.py, `_run_external_cmd`): a JSON array (or a
 * bare object) of objects; `status` outside pass/warn/fail becomes fail; `tool`, `summary`,
 * `details` are taken as given. Restated here so the output is tested against the consumer's rules.
 */
function b4Accepts(stdout: string): string[] {
  const errs: string[] = [];
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    return ['not JSON'];
  }
  const list = Array.isArray(data) ? data : [data];
  for (const [i, e] of list.entries()) {
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      errs.push(`[${i}]: not an object (b4 skips it)`);
    else {
      const o = e as Record<string, unknown>;
      if (typeof o.tool !== 'string' || o.tool === '') errs.push(`[${i}].tool`);
      if (!['pass', 'warn', 'fail'].includes(o.status as string))
        errs.push(`[${i}].status would read as fail`);
      for (const k of ['summary', 'details'])
        if (o[k] !== undefined && typeof o[k] !== 'string') errs.push(`[${i}].${k}: not a string`);
      if (typeof o.summary === 'string' && o.summary.includes('\n'))
        errs.push(`[${i}].summary: not one line`);
    }
  }
  const tools = list.map((e) => (e as { tool?: unknown }).tool);
  if (new Set(tools).size !== tools.length)
    errs.push('two results with one tool: b4 caches one per (msgid, tool)');
  return errs;
}

describe('reportToB4', () => {
  it('answers one object for the mail, in the words b4 accepts', () => {
    const out = renderB4(sampleReport());
    expect(b4Accepts(out)).toEqual([]);
    expect(out.endsWith(']\n')).toBe(true);
    const [only, ...rest] = JSON.parse(out);
    expect(rest).toEqual([]);
    expect(Object.keys(only)).toEqual(['tool', 'status', 'summary', 'details']);
  });

  it('renders the sample exactly: fail, counts, terminal lines without colour', () => {
    expect(reportToB4(sampleReport())).toEqual([
      {
        tool: 'kapi-review',
        status: 'fail',
        summary: '1 error, 1 warning, 1 outside the diff, 1 internal error',
        details: renderTerminal(sampleReport(), { colour: false }).replace(/\n$/, ''),
      },
    ]);
    const details = reportToB4(sampleReport())[0]?.details ?? '';
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no ANSI in b4's detail view
    expect(details).not.toMatch(/\x1b/);
    expect(details.split('\n').at(-1)).toBe(
      'total: 1 errors, 1 warnings, 0 checks, 1 outside the diff, 1 internal errors',
    );
  });

  it('maps errors to fail, warnings and crashes to warn, anything else to pass', () => {
    const r = (patch: Partial<ReviewReport>): ReviewReport => ({ ...empty(), ...patch });
    expect(b4Status(r({ findings: [ERROR, WARNING] }))).toBe('fail');
    expect(b4Status(r({ findings: [WARNING] }))).toBe('warn');
    expect(b4Status(r({ crashes: [{ check: 'x', path: 'a.c', messageId: null, error: 'boom' }] }))).toBe(
      'warn',
    );
    expect(b4Status(r({ findings: [OUTSIDE] }))).toBe('pass');
    // outside the diff filter: counted and listed, but not the verdict
    expect(b4Status(r({ outside: [ERROR] }))).toBe('pass');
    expect(b4Status(r({ notes: ['mm/mlock.c: hunks only'] }))).toBe('pass');
    expect(b4Status(empty())).toBe('pass');
  });

  it('summarises in one line', () => {
    const r = (patch: Partial<ReviewReport>): ReviewReport => ({ ...empty(), ...patch });
    expect(b4Summary(empty())).toBe('no findings');
    expect(b4Summary(r({ findings: [ERROR, ERROR, OUTSIDE] }))).toBe('2 errors, 1 check');
    expect(b4Summary(r({ outside: [WARNING, WARNING] }))).toBe('no findings, 2 outside the diff');
    const crash = { check: 'x', path: 'a.c', messageId: null, error: 'multi\nline' };
    expect(b4Summary(r({ crashes: [crash, crash] }))).toBe('no findings, 2 internal errors');
    expect(b4Accepts(renderB4(r({ crashes: [crash], findings: [{ ...WARNING, message: 'a\nb' }] })))).toEqual(
      [],
    );
  });

  it('still answers (a pass, not []) when there is nothing to report', () => {
    expect(reportToB4(empty())).toEqual([
      {
        tool: B4_TOOL,
        status: 'pass',
        summary: 'no findings',
        details: 'total: 0 errors, 0 warnings, 0 checks',
      },
    ]);
  });

  it('the acceptance check catches what b4 would misread', () => {
    expect(b4Accepts('[{"tool":"kapi-review","status":"ok"}]')).toEqual(['[0].status would read as fail']);
    expect(b4Accepts('[{"tool":"kapi-review","status":"warning"}]')).toHaveLength(1);
    expect(b4Accepts('[{"tool":"t","status":"pass"},{"tool":"t","status":"fail"}]')).toHaveLength(1);
    expect(b4Accepts('[1]')).toEqual(['[0]: not an object (b4 skips it)']);
    expect(b4Accepts('nope')).toEqual(['not JSON']);
    expect(b4Accepts('{"tool":"t","status":"pass","summary":"a\\nb"}')).toEqual([
      '[0].summary: not one line',
    ]);
  });
});
