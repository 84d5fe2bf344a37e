import { describe, expect, it } from 'vitest';
import { CHECKS, checkById } from '../../checks/index.js';
import { type ReviewFile, type ReviewPatch, reviewSeries } from '../../checks/review.js';
import type { Check } from '../../checks/types.js';
import { changeDiff, edit, fixture, line as lineOf } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const PATH = 'kernel/frob.c';
const count = checkById('kapi-count-mismatch') as Check;

function file(pre: string | null, post: string): ReviewFile {
  const diff = changeDiff(PATH, pre ?? '', post);
  return {
    path: PATH,
    mode: 'full',
    pre,
    post,
    fragments: diff.hunks.map((h) => ({
      startLine: h.newStart,
      lines: h.lines.filter((l) => l.kind !== 'del').map((l) => l.text),
    })),
    diff,
  };
}

/** Patches that take the file through `versions` in order (versions[0] is the base tree's). */
function series(versions: string[]): ReviewPatch[] {
  return versions.slice(1).map((post, i) => ({
    messageId: `p${i + 1}@example.org`,
    label: `patch ${i + 1}`,
    files: [file(versions[i] ?? null, post)],
  }));
}

const wrongSignals = edit(macro, 'KAPI_SIGNAL_COUNT(1)', 'KAPI_SIGNAL_COUNT(3)');

describe('reviewSeries', () => {
  it('attaches a finding to the patch that introduced it, on its post-image line', () => {
    const r = reviewSeries(
      series([macro, edit(macro, 'KAPI_DESCRIPTION("', 'KAPI_DESCRIPTION("Now: '), wrongSignals]),
      {
        checks: [count],
        parser: null,
      },
    );
    expect(r.findings.map((f) => [f.at.messageId, f.at.line, f.scope, f.patch])).toEqual([
      ['p2@example.org', lineOf(wrongSignals, 'KAPI_SIGNAL_COUNT'), 'added', 1],
    ]);
    expect(r.outside).toEqual([]);
  });

  it('does not report what a later patch of the series fixes', () => {
    const r = reviewSeries(series([macro, wrongSignals, macro]), { checks: [count], parser: null });
    expect(r.findings).toEqual([]);
  });

  it('does not report what the base tree already had', () => {
    const touched = edit(wrongSignals, 'KAPI_DESCRIPTION("', 'KAPI_DESCRIPTION("Really: ');
    const r = reviewSeries(series([wrongSignals, touched]), { checks: [count], parser: null });
    expect(r.findings).toEqual([]);
    expect(r.preexisting).toBe(1);
  });

  it('keeps the fingerprint when the finding moves to another line in a new revision', () => {
    const v1 = reviewSeries(series([macro, wrongSignals]), { checks: [count], parser: null });
    const moved = `// a new first line\n${wrongSignals}`;
    const v2 = reviewSeries(series([macro, moved]), { checks: [count], parser: null });
    expect(v1.findings[0]?.at.line).not.toBe(v2.findings[0]?.at.line);
    expect(v2.findings[0]?.fingerprint).toBe(v1.findings[0]?.fingerprint);
  });

  it("anchors a finding on the last patch's lines with anchor 'latest', still the introducing patch's", () => {
    const moved = `// a new first line\n${wrongSignals}`;
    const patches = series([macro, wrongSignals, moved]);
    const introduced = reviewSeries(patches, { checks: [count], parser: null });
    const latest = reviewSeries(patches, { checks: [count], parser: null, anchor: 'latest' });
    const where = (r: typeof latest) =>
      r.findings.map((f) => [f.fingerprint, f.patch, f.scope, f.severity, f.at.messageId, f.at.line]);
    const fp = introduced.findings[0]?.fingerprint;
    const severity = introduced.findings[0]?.severity;
    expect(where(introduced)).toEqual([
      [fp, 0, 'added', severity, 'p1@example.org', lineOf(wrongSignals, 'KAPI_SIGNAL_COUNT')],
    ]);
    expect(where(latest)).toEqual([
      [fp, 0, 'added', severity, 'p2@example.org', lineOf(moved, 'KAPI_SIGNAL_COUNT')],
    ]);
  });

  it('splits by the diff filter: a finding off the added lines goes to the summary', () => {
    // the patch adds a signal entry far from the count: the finding is on an unchanged line
    const extraSignal = edit(
      macro,
      'KAPI_SIGNAL_COUNT(1)',
      'KAPI_SIGNAL_COUNT(1)\n\tKAPI_SIGNAL(1, SIGTERM, "SIGTERM", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_RETURN)\n\tKAPI_SIGNAL_END',
    );
    const lines = extraSignal.split('\n');
    // move the added entry down, away from the count line (and out of the hunk's context)
    const base = lines.slice();
    const at = lineOf(extraSignal, 'KAPI_SIGNAL(1, SIGTERM');
    const block = base.splice(at - 1, 2);
    const end = base.findIndex((l) => l.startsWith('KAPI_END_SPEC'));
    base.splice(end, 0, ...block);
    const post = base.join('\n');
    const patches = series([macro, post]);
    const added = reviewSeries(patches, { checks: [count], parser: null, filter: 'added' });
    expect(added.findings).toEqual([]);
    expect(added.outside.map((f) => f.subject)).toEqual(['count:signal']);
    expect(added.outside[0]?.scope).not.toBe('added');
    const file = reviewSeries(patches, { checks: [count], parser: null, filter: 'file' });
    expect(file.findings.map((f) => f.subject)).toEqual(['count:signal']);
  });

  it('isolates a crashing check: the others still run, the crash names the check and the mail', () => {
    const boom: Check = {
      meta: { id: 'kapi-boom', description: 'crashes on purpose', severity: 'error', messages: { x: 'x' } },
      run() {
        throw new Error('kaboom');
      },
    };
    const r = reviewSeries(series([macro, wrongSignals]), { checks: [boom, count], parser: null });
    expect(r.crashes).toEqual([
      { check: 'kapi-boom', path: PATH, messageId: 'p1@example.org', error: 'kaboom' },
    ]);
    expect(r.findings.map((f) => f.check)).toEqual(['kapi-count-mismatch']);
  });

  it('every registered check runs on every fixture form without crashing', () => {
    for (const name of ['frob.macro.c', 'frob.kd1.c', 'frob.kd2.c', 'frob.kd3.c', 'widget-ioctl.macro.c']) {
      const r = reviewSeries(series(['', fixture(`kapi/${name}`)]), { checks: CHECKS, parser: null });
      expect(r.crashes, name).toEqual([]);
    }
  });
});

describe('reviewSeries on hunks only (no tree)', () => {
  const spec = (name: string, declared: number): string =>
    [
      `DEFINE_KERNEL_API_SPEC(sys_${name})`,
      `\tKAPI_DESCRIPTION("${name}")`,
      '\tKAPI_ERROR(0, -EINVAL, "EINVAL", "bad", "Bad input")',
      `\tKAPI_ERROR_COUNT(${declared})`,
      'KAPI_END_SPEC;',
      `SYSCALL_DEFINE0(${name})`,
      '{',
      '\treturn -EINVAL;',
      '}',
    ].join('\n');

  function hunksOnly(pre: string, post: string, id: string): ReviewPatch {
    const diff = changeDiff(PATH, pre, post);
    return {
      messageId: id,
      label: id,
      files: [
        {
          path: PATH,
          mode: 'hunks',
          pre: null,
          post: null,
          fragments: diff.hunks.map((h) => ({
            startLine: h.newStart,
            lines: h.lines.filter((l) => l.kind !== 'del').map((l) => l.text),
          })),
          diff,
        },
      ],
    };
  }

  it('keeps what an earlier patch introduced when a later one shows other hunks of the file', () => {
    const filler = Array.from({ length: 30 }, (_, i) => `int filler${i};`).join('\n');
    const v0 = `${filler}\n${filler.replaceAll('filler', 'other')}\n`;
    const v1 = `${spec('one', 2)}\n${v0}`;
    const v2 = `${v1}${spec('two', 3)}\n`;
    const r = reviewSeries([hunksOnly(v0, v1, 'p1'), hunksOnly(v1, v2, 'p2')], {
      checks: [count],
      parser: null,
    });
    expect(r.findings.map((f) => [f.spec, f.at.messageId])).toEqual([
      ['sys_one', 'p1'],
      ['sys_two', 'p2'],
    ]);
  });

  it('drops a finding when a later patch shows the same spec whole and fixed', () => {
    const v0 = 'int x;\n';
    const v1 = `${spec('one', 2)}\n${v0}`;
    const v2 = v1.replace('KAPI_ERROR_COUNT(2)', 'KAPI_ERROR_COUNT(1)');
    const r = reviewSeries([hunksOnly(v0, v1, 'p1'), hunksOnly(v1, v2, 'p2')], {
      checks: [count],
      parser: null,
    });
    expect(r.findings).toEqual([]);
  });
});
