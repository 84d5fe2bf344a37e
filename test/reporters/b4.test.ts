import { describe, expect, it } from 'vitest';
import { B4_TOOL, b4Checks, b4Status, b4Summary, renderB4, reportToB4 } from '../../reporters/b4.js';
import type { ReviewReport } from '../../reporters/report.js';
import { ERROR, OUTSIDE, sampleReport, WARNING } from './sample.js';

function empty(): ReviewReport {
  return { series: [], findings: [], outside: [], crashes: [], notes: [] };
}

/**
 * What b4 accepts (b4 0.15.2 src/b4/review/checks.py, `_run_external_cmd` and `store_results`;
 * review_tui/_modals.py, `_render_detail_lines`): a JSON array (or a bare object) of objects;
 * `status` outside pass/warn/fail becomes fail; `tool`, `summary`, `details` are taken as given
 * and stored as text, and `details` is shown entry by entry when it parses as a JSON list of
 * objects. Restated here so the output is tested against the consumer's rules; test/app/
 * b4-hooks.test.ts runs the real b4 on it.
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
      if (typeof o.details === 'string') {
        let list: unknown;
        try {
          list = JSON.parse(o.details);
        } catch {
          list = null;
        }
        if (!Array.isArray(list)) errs.push(`[${i}].details: not a JSON list (shown as plain text)`);
        else
          for (const [j, d] of list.entries()) {
            const entry = d as { status?: unknown; description?: unknown };
            if (!['pass', 'warn', 'fail'].includes(entry.status as string))
              errs.push(`[${i}].details[${j}].status`);
            if (typeof entry.description !== 'string') errs.push(`[${i}].details[${j}].description`);
          }
      }
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

  it('renders the sample exactly: fail, counts, one detail entry per finding, crash and note', () => {
    const [only] = reportToB4(sampleReport());
    expect(only).toMatchObject({
      tool: 'kapi-review',
      status: 'fail',
      summary: '1 error, 1 warning, 1 outside the diff, 1 internal error',
    });
    expect(JSON.parse(only?.details ?? '')).toEqual([
      {
        status: 'fail',
        description: [
          'kernel/frob.c:42: ERROR:kapi-error-undocumented: sys_frob returns -EINVAL but its spec does not list EINVAL',
          '  spec at kernel/frob.c line 12: KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")',
          '  code at kernel/frob.c line 42: return -EINVAL;',
          '  suggestion: KAPI_ERROR(1, -EINVAL, "EINVAL", "len too large", "")',
        ].join('\n'),
      },
      {
        status: 'warn',
        description:
          'mm/mlock.c:7: WARNING:kapi-count-mismatch: a spec line the parser could not read\n  evidence at mm/mlock.c line 7: KAPI_PARAM_COUNT(',
      },
      {
        status: 'pass',
        description:
          'outside the diff: kernel/frob.c:20: CHECK:kapi-count-mismatch: sys_frob declares 2 errors (KAPI_ERROR_COUNT) but lists 1',
      },
      {
        status: 'warn',
        description:
          'internal error: check kapi-lock-order crashed on mm/mlock.c: spec.locks is not iterable',
      },
      { status: 'pass', description: 'note: mm/mlock.c: checked without a kernel tree, hunks only' },
    ]);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no ANSI in b4's detail view
    expect(only?.details).not.toMatch(/\x1b/);
  });

  it('details: a CHECK passes as b4 passes its own low findings; a too-large note warns', () => {
    const r: ReviewReport = {
      ...empty(),
      findings: [OUTSIDE],
      notes: ['not reviewed, too large to review: kernel/many.c is big'],
      tooLarge: ['kernel/many.c is big'],
    };
    expect(b4Checks(r).map((c) => c.status)).toEqual(['pass', 'warn']);
    expect(b4Status(r)).toBe('warn');
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

  it('still answers (a pass, not []) when there is nothing to report, without details', () => {
    expect(reportToB4(empty())).toEqual([{ tool: B4_TOOL, status: 'pass', summary: 'no findings' }]);
    expect(b4Accepts(renderB4(empty()))).toEqual([]);
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
    expect(b4Accepts('[{"tool":"t","status":"pass","details":"plain"}]')).toHaveLength(1);
    expect(b4Accepts('[{"tool":"t","status":"pass","details":[]}]')).toEqual(['[0].details: not a string']);
    expect(b4Accepts('[{"tool":"t","status":"pass","details":"[{\\"status\\":\\"ok\\"}]"}]')).toEqual([
      '[0].details[0].status',
      '[0].details[0].description',
    ]);
  });
});
