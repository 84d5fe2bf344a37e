import { describe, expect, it } from 'vitest';
import { codeSpan, fenced } from '../../parsers/text/markdown.js';
import {
  annotationBatches,
  annotationOf,
  buildCheckRun,
  buildReview,
  checkRunRequests,
  commentBody,
  type ReviewInput,
  readMarkers,
  unreadSpecs,
} from '../../reporters/github.js';
import { reportToJson } from '../../reporters/json.js';
import type { ReportFinding } from '../../reporters/report.js';
import { ERROR, OUTSIDE, PARSE_ERROR, sampleReport, WARNING } from './sample.js';

/** An undocumented `return -EINVAL;` on an added line, with a KAPI_ERROR entry to add. */
const EINVAL: ReportFinding = {
  check: 'kapi-error-undocumented',
  severity: 'error',
  message: 'sys_frob returns -EINVAL but its spec does not list EINVAL',
  at: { path: 'kernel/frob.c', line: 42 },
  spec: 'sys_frob',
  subject: 'EINVAL',
  evidence: [
    { kind: 'spec', path: 'kernel/frob.c', line: 10, text: 'DEFINE_KERNEL_API_SPEC(sys_frob)' },
    {
      kind: 'spec',
      path: 'kernel/frob.c',
      line: 12,
      text: 'KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")',
    },
    { kind: 'code', path: 'kernel/frob.c', line: 42, text: 'return -EINVAL;' },
  ],
  suggestion: '\tKAPI_ERROR(1, -EINVAL, "EINVAL", "TODO: condition", "TODO: description")',
  fingerprint: 'fp-einval',
  scope: 'added',
};

/** A count mismatch outside the PR diff. */
const COUNT: ReportFinding = {
  check: 'kapi-count-mismatch',
  severity: 'warning',
  message: 'sys_frob declares 1 error (KAPI_ERROR_COUNT) but lists 2',
  at: { path: 'kernel/frob.c', line: 11 },
  spec: 'sys_frob',
  subject: 'count:error',
  evidence: [{ path: 'kernel/frob.c', line: 11, text: 'KAPI_ERROR_COUNT(1),' }],
  suggestion: '\tKAPI_ERROR_COUNT(2),',
  fingerprint: 'fp-count',
  scope: 'file',
};

/** Commented on at an earlier push. */
const OLD: ReportFinding = {
  check: 'kapi-param-mismatch',
  severity: 'warning',
  message: 'sys_frob: param len is size_t in the code, int in the spec',
  at: { path: 'kernel/frob.c', line: 14 },
  spec: 'sys_frob',
  subject: 'param:len',
  evidence: [],
  fingerprint: 'fp-old',
  scope: 'added',
};

const DIFF: Record<string, number[]> = { 'kernel/frob.c': [40, 41, 42, 43, 14] };
const diffLines = (path: string): Set<number> => new Set(DIFF[path] ?? []);

function input(over: Partial<ReviewInput> = {}): ReviewInput {
  return {
    findings: [EINVAL, COUNT, OLD],
    commitId: 'abc123',
    diffLines,
    previous: new Set(['fp-old']),
    fixed: [
      { fingerprint: 'fp-gone', check: 'kapi-error-undocumented', spec: 'sys_frob', subject: 'ENOMEM' },
    ],
    ...over,
  };
}

describe('buildReview', () => {
  it('builds the exact review for a small set', () => {
    expect(buildReview(input())).toEqual({
      commit_id: 'abc123',
      event: 'COMMENT',
      comments: [
        {
          path: 'kernel/frob.c',
          line: 42,
          side: 'RIGHT',
          body: [
            '<!-- kapi-review:fp=fp-einval check=kapi-error-undocumented spec=sys_frob subject=EINVAL -->',
            '**Error** `kapi-error-undocumented`: sys\\_frob returns -EINVAL but its spec does not list EINVAL',
            '',
            '- spec `kernel/frob.c:10`: `DEFINE_KERNEL_API_SPEC(sys_frob)`',
            '- spec `kernel/frob.c:12`: `KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")`',
            '- code `kernel/frob.c:42`: `return -EINVAL;`',
            '',
            'Suggested spec line to add after `kernel/frob.c:12`:',
            '',
            '```c',
            '\tKAPI_ERROR(1, -EINVAL, "EINVAL", "TODO: condition", "TODO: description")',
            '```',
          ].join('\n'),
        },
      ],
      body: [
        '<!-- kapi-review:review -->',
        '## kapi-review',
        '',
        '2 new findings: 1 inline, 1 below; 1 still present from an earlier push.',
        '',
        '1 finding resolved since the last review.',
        '',
        '### Not on a line of this diff',
        '',
        '- <!-- kapi-review:fp=fp-count check=kapi-count-mismatch spec=sys_frob subject=count%3Aerror -->**Warning** `kapi-count-mismatch` `kernel/frob.c:11`: sys\\_frob declares 1 error (KAPI\\_ERROR\\_COUNT) but lists 2',
        '',
        '### Still present (commented on earlier)',
        '',
        '- <!-- kapi-review:fp=fp-old check=kapi-param-mismatch spec=sys_frob subject=param%3Alen -->**Warning** `kapi-param-mismatch` `kernel/frob.c:14`: sys\\_frob: param len is size\\_t in the code, int in the spec',
        '',
        '### Resolved',
        '',
        '- <!-- kapi-review:fixed=fp-gone check=kapi-error-undocumented spec=sys_frob subject=ENOMEM -->`kapi-error-undocumented` `sys_frob ENOMEM`',
      ].join('\n'),
    });
  });

  it('never comments on a line outside the diff', () => {
    const r = buildReview(input({ previous: new Set(), diffLines: () => new Set([1]) }));
    expect(r.comments).toEqual([]);
    expect(r.body).toContain('kapi-review:fp=fp-einval');
  });

  it('a replacing suggestion on a diff line is an applyable suggestion block', () => {
    const body = commentBody(COUNT);
    expect(body).toContain('Suggested fix:\n\n```suggestion\n\tKAPI_ERROR_COUNT(2),\n```');
  });

  it('an addition commented on its anchor keeps the anchor line', () => {
    const onAnchor: ReportFinding = { ...EINVAL, at: { path: 'kernel/frob.c', line: 12 } };
    const text = '\tKAPI_ERROR(0, -EPERM, "EPERM", "not allowed", ""),';
    const body = commentBody(onAnchor, (p, l) => (p === 'kernel/frob.c' && l === 12 ? text : undefined));
    expect(body).toContain(
      `Suggested addition (keeps this line):\n\n\`\`\`suggestion\n${text}\n${EINVAL.suggestion}\n\`\`\``,
    );
    // without the verbatim line, no block that could rewrite it
    expect(commentBody(onAnchor)).not.toContain('```suggestion');
  });

  it('an unknown check or a multi-line suggestion is never applyable', () => {
    expect(commentBody({ ...COUNT, check: 'kapi-lock-unbalanced' })).not.toContain('suggestion\n');
    expect(commentBody({ ...COUNT, suggestion: 'a\nb' })).not.toContain('```suggestion');
  });

  it('300 findings make one review with 50 inline and the rest in the body', () => {
    const many: ReportFinding[] = Array.from({ length: 300 }, (_, i) => ({
      ...OLD,
      severity: i % 7 === 0 ? 'error' : 'warning',
      at: { path: `f${String(i % 3)}.c`, line: i + 1 },
      fingerprint: `fp${i}`,
    }));
    const r = buildReview({
      findings: many,
      commitId: 'c',
      diffLines: () => new Set(many.map((f) => f.at.line)),
      previous: new Set(),
      fixed: [],
    });
    expect(r.comments).toHaveLength(50);
    // errors first (43 of them), then warnings by path and line
    expect(r.comments.slice(0, 43).every((c) => c.body.includes('**Error**'))).toBe(true);
    expect(r.comments[43]?.path).toBe('f0.c');
    expect(r.body).toContain('300 new findings: 50 inline, 250 below.');
    expect(r.body).toContain('### More than 50 inline comments');
    expect(r.body).toContain('these 250 findings on diff lines are listed here instead');
    const all = [...r.comments.map((c) => c.body), r.body].join('\n');
    for (const f of many) expect(all.split(`kapi-review:fp=${f.fingerprint} `).length - 1).toBe(1);
  });

  it('escapes hostile text', () => {
    const hostile: ReportFinding = {
      ...COUNT,
      message: 'x </details><script>alert(1)</script> ```\n# @octocat *b*',
      subject: '```',
      evidence: [{ path: 'a.c', line: 3, text: 'a ``` b ```` c' }],
      suggestion: '```\n</details>',
      fingerprint: 'fp --> <b>',
    };
    const r = buildReview({
      findings: [hostile],
      commitId: 'c',
      diffLines: () => new Set([11]),
      previous: new Set(),
      fixed: [{ fingerprint: 'f', check: 'kapi-x', spec: '`a`', subject: '</details>' }],
    });
    const body = r.comments[0]?.body ?? '';
    expect(body).toContain(
      '**Warning** `kapi-count-mismatch`: x &lt;/details&gt;&lt;script&gt;alert(1)&lt;/script&gt; \\`\\`\\` \\# @\u200bocto' +
        'cat \\*b\\*',
    );
    expect(body).toContain('<!-- kapi-review:fp=fp_--___b_ check=kapi-count-mismatch');
    expect(body).toContain('- `a.c:3`: `````a ``` b ```` c`````');
    expect(body).toContain('````c\n```\n</details>\n````');
    expect(body).not.toMatch(/<script|<\/details>(?!\n````)/);
    expect(r.body).toContain('`` `a` </details> ``');
    expect(codeSpan('`')).toBe('`` ` ``');
    expect(fenced('````', 'c')).toBe('`````c\n````\n`````');
  });

  it('agrees with the JSON output finding for finding', () => {
    const report = sampleReport();
    const json = reportToJson(report);
    const r = buildReview({
      findings: [...report.findings, ...report.outside],
      commitId: 'c',
      diffLines: (p) => new Set(p === 'kernel/frob.c' ? [42] : []),
      previous: new Set([WARNING.fingerprint]),
      fixed: [],
    });
    const all = [...r.comments.map((c) => c.body), r.body].join('\n');
    const fps = readMarkers(all).map((m) => m.fingerprint);
    const expected = [...json.findings, ...json.outside].map((f) => f.fingerprint);
    expect([...fps].sort()).toEqual([...expected].sort());
    expect(new Set(fps).size).toBe(fps.length);
    expect(r.comments.map((c) => c.line)).toEqual([ERROR.at.line]);
    expect(r.body).toContain(OUTSIDE.fingerprint);
  });
});

describe('buildCheckRun', () => {
  it('builds the exact check run', () => {
    expect(
      buildCheckRun({
        findings: [COUNT, EINVAL],
        name: 'kapi-review',
        headSha: 'abc123',
        notes: ['mm/mlock.c: hunks only'],
      }),
    ).toEqual({
      name: 'kapi-review',
      head_sha: 'abc123',
      status: 'completed',
      conclusion: 'failure',
      output: {
        title: '1 error, 1 warning',
        summary: [
          '**1 error, 1 warning**',
          '',
          '- **Error** `kapi-error-undocumented` `kernel/frob.c:42`: sys\\_frob returns -EINVAL but its spec does not list EINVAL',
          '- **Warning** `kapi-count-mismatch` `kernel/frob.c:11`: sys\\_frob declares 1 error (KAPI\\_ERROR\\_COUNT) but lists 2',
          '',
          '### Notes',
          '',
          '- mm/mlock.c: hunks only',
        ].join('\n'),
        annotations: [
          {
            path: 'kernel/frob.c',
            start_line: 42,
            end_line: 42,
            annotation_level: 'failure',
            message: 'sys_frob returns -EINVAL but its spec does not list EINVAL',
            title: 'kapi-error-undocumented: sys_frob EINVAL',
            raw_details: [
              'spec: kernel/frob.c:10: DEFINE_KERNEL_API_SPEC(sys_frob)',
              'spec: kernel/frob.c:12: KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")',
              'code: kernel/frob.c:42: return -EINVAL;',
            ].join('\n'),
          },
          {
            path: 'kernel/frob.c',
            start_line: 11,
            end_line: 11,
            annotation_level: 'warning',
            message: 'sys_frob declares 1 error (KAPI_ERROR_COUNT) but lists 2',
            title: 'kapi-count-mismatch: sys_frob count:error',
            raw_details: 'kernel/frob.c:11: KAPI_ERROR_COUNT(1),',
          },
        ],
      },
    });
  });

  it('concludes success, neutral and failure', () => {
    const run = (over: Partial<Parameters<typeof buildCheckRun>[0]>) =>
      buildCheckRun({ findings: [], name: 'kapi-review', headSha: 's', ...over });
    expect(run({}).conclusion).toBe('success');
    expect(run({}).output.title).toBe('No findings');
    expect(run({ findings: [COUNT] }).conclusion).toBe('success');
    expect(run({ findings: [{ ...OLD, severity: 'info' }] }).output.annotations[0]?.annotation_level).toBe(
      'notice',
    );
    expect(run({ specsTouched: false })).toMatchObject({
      conclusion: 'neutral',
      output: { title: 'No spec touched' },
    });
    expect(
      run({ crashes: [{ check: 'kapi-x', path: 'a.c', messageId: null, error: 'boom <b>' }] }).conclusion,
    ).toBe('neutral');
    expect(run({ findings: [EINVAL], specsTouched: false }).conclusion).toBe('failure');
  });

  it('batches annotations 50 at a time', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      ...COUNT,
      at: { path: 'a.c', line: i + 1 },
      fingerprint: `${i}`,
    }));
    const run = buildCheckRun({ findings: many, name: 'kapi-review', headSha: 's' });
    expect(annotationBatches(run.output.annotations, 50).map((b) => b.length)).toEqual([50, 50, 20]);
    const req = checkRunRequests(run);
    expect(req.create.output.annotations).toHaveLength(50);
    expect(req.create.output.annotations[0]?.start_line).toBe(1);
    expect(req.updates.map((u) => u.output.annotations.length)).toEqual([50, 20]);
    expect(req.updates[1]?.output.annotations[19]?.start_line).toBe(120);
    expect(annotationBatches([])).toEqual([]);
  });
});

describe('operator-only findings (kapi-parse-error)', () => {
  /** A second parser complaint about the same spec, and one about a comment that names no spec. */
  const BAD_ARGS: ReportFinding = {
    ...PARSE_ERROR,
    severity: 'warning',
    message: 'sys_gizmo: KAPI_DESCRIPTION takes 1 argument(s), got 2 (kapi-macro-bad-args)',
    at: { path: 'kernel/gizmo.c', line: 11 },
    subject: 'kapi-macro-bad-args',
    fingerprint: 'fp-bad-args',
  };
  const NO_NAME: ReportFinding = {
    check: 'kapi-parse-error',
    severity: 'warning',
    message: 'KAPI kerneldoc comment names no API (kapi-doc-no-name)',
    at: { path: 'drivers/misc/plain.c', line: 3 },
    subject: 'kapi-doc-no-name',
    evidence: [{ path: 'drivers/misc/plain.c', line: 3, text: '/**' }],
    fingerprint: 'fp-no-name',
  };
  const PARSE_ERRORS = [PARSE_ERROR, BAD_ARGS, NO_NAME];
  /** What a parser complaint would leave in posted text: its check id, message, codes, fingerprints. */
  const LEAKS = [
    'kapi-parse-error',
    'KAPI_END_SPEC',
    'kapi-macro-',
    'kapi-doc-',
    'names no API',
    PARSE_ERROR.fingerprint,
    'fp-bad-args',
    'fp-no-name',
  ];
  const noLeak = (text: string): void => {
    for (const l of LEAKS) expect(text).not.toContain(l);
  };

  it('the review leaves them out: no comment, no body entry, no marker, no resolved entry', () => {
    const withThem = buildReview(
      input({
        findings: [EINVAL, PARSE_ERROR, COUNT, BAD_ARGS, OLD, NO_NAME],
        // their lines are diff lines: they would be inline comments
        diffLines: (p) =>
          new Set({ ...DIFF, 'kernel/gizmo.c': [10, 11], 'drivers/misc/plain.c': [3] }[p] ?? []),
        fixed: [
          { fingerprint: 'fp-gone', check: 'kapi-error-undocumented', spec: 'sys_frob', subject: 'ENOMEM' },
          {
            fingerprint: 'fp-parse-gone',
            check: 'kapi-parse-error',
            spec: 'sys_frob',
            subject: 'kapi-doc-x',
          },
        ],
      }),
    );
    expect(withThem).toEqual(buildReview(input()));
    noLeak(JSON.stringify(withThem));
    expect(withThem.comments.map((c) => c.path)).toEqual(['kernel/frob.c']);
    expect(readMarkers(withThem.body).map((m) => m.fingerprint)).toEqual(['fp-count', 'fp-old', 'fp-gone']);
  });

  it('a review with nothing but them says nothing about them', () => {
    const r = buildReview({
      findings: PARSE_ERRORS,
      commitId: 'c',
      diffLines: () => new Set([3, 10, 11]),
      previous: new Set(),
      fixed: [],
    });
    expect(r).toEqual({
      commit_id: 'c',
      event: 'COMMENT',
      body: ['<!-- kapi-review:review -->', '## kapi-review', '', 'No findings.'].join('\n'),
      comments: [],
    });
  });

  it('the check run has no annotation for them and names the specs not read, not the messages', () => {
    const run = buildCheckRun({
      findings: [COUNT, ...PARSE_ERRORS],
      name: 'kapi-review',
      headSha: 'abc123',
    });
    expect(run).toEqual({
      name: 'kapi-review',
      head_sha: 'abc123',
      status: 'completed',
      // PARSE_ERROR is of severity error: it does not fail the run, it makes it incomplete
      conclusion: 'neutral',
      output: {
        title: '1 warning, 2 specs not read in full',
        summary: [
          '**1 warning, 2 specs not read in full**',
          '',
          '- **Warning** `kapi-count-mismatch` `kernel/frob.c:11`: sys\\_frob declares 1 error (KAPI\\_ERROR\\_COUNT) but lists 2',
          '',
          '### Specs not read in full',
          '',
          'kapi-review could not read 2 specs in full, so its checks of them may be incomplete:',
          '',
          '- a spec at `drivers/misc/plain.c:3`',
          '- `sys_gizmo` at `kernel/gizmo.c:10`',
        ].join('\n'),
        annotations: [annotationOf(COUNT)],
      },
    });
    noLeak(JSON.stringify(run));
  });

  it('they alone never fail the run; another error still does', () => {
    const run = (findings: ReportFinding[]) => buildCheckRun({ findings, name: 'kapi-review', headSha: 's' });
    expect(run([PARSE_ERROR])).toMatchObject({
      conclusion: 'neutral',
      output: {
        title: 'No findings, 1 spec not read in full',
        summary: [
          '**No findings, 1 spec not read in full**',
          '',
          '### Specs not read in full',
          '',
          'kapi-review could not read 1 spec in full, so its checks of it may be incomplete:',
          '',
          '- `sys_gizmo` at `kernel/gizmo.c:10`',
        ].join('\n'),
        annotations: [],
      },
    });
    expect(run([PARSE_ERROR, EINVAL])).toMatchObject({
      conclusion: 'failure',
      output: { title: '1 error, 1 spec not read in full', annotations: [annotationOf(EINVAL)] },
    });
    expect(run([PARSE_ERROR]).output.summary).not.toContain(PARSE_ERROR.message);
  });

  it('one entry per spec, at its first line, in path and line order', () => {
    expect(unreadSpecs([BAD_ARGS, COUNT, NO_NAME, PARSE_ERROR])).toEqual([
      { path: 'drivers/misc/plain.c', line: 3 },
      { path: 'kernel/gizmo.c', line: 10, spec: 'sys_gizmo' },
    ]);
    expect(unreadSpecs([EINVAL, COUNT])).toEqual([]);
  });
});

describe('body limit', () => {
  it('cuts the body under GitHub limit and says how much is left out', () => {
    const long: ReportFinding[] = Array.from({ length: 400 }, (_, i) => ({
      ...OLD,
      message: 'm'.repeat(300),
      at: { path: 'a.c', line: i + 1 },
      fingerprint: `fp${i}`,
    }));
    const r = buildReview({
      findings: long,
      commitId: 'c',
      diffLines: () => new Set(),
      previous: new Set(),
      fixed: [],
    });
    expect(r.body.length).toBeLessThan(65536);
    expect(r.body).toMatch(/\d+ more items did not fit in this review; the check run lists every finding\.$/);
  });
});

describe('readMarkers', () => {
  it('reads back what the review wrote, including hostile spec and subject values', () => {
    const hostile: ReportFinding = {
      ...EINVAL,
      fingerprint: 'fp-h',
      spec: 'sys_a --> <b> x',
      subject: 'EINVAL check=fake',
    };
    const r = buildReview({
      findings: [hostile, COUNT],
      commitId: 'c',
      diffLines,
      previous: new Set(),
      fixed: [{ fingerprint: 'fp-gone', check: 'kapi-error-undocumented', subject: 'ENOMEM' }],
    });
    const all = [...r.comments.map((c) => c.body), r.body].join('\n');
    expect(readMarkers(all)).toEqual([
      {
        kind: 'fp',
        fingerprint: 'fp-h',
        check: 'kapi-error-undocumented',
        spec: 'sys_a --> <b> x',
        subject: 'EINVAL check=fake',
      },
      {
        kind: 'fp',
        fingerprint: 'fp-count',
        check: 'kapi-count-mismatch',
        spec: 'sys_frob',
        subject: 'count:error',
      },
      { kind: 'fixed', fingerprint: 'fp-gone', check: 'kapi-error-undocumented', subject: 'ENOMEM' },
    ]);
  });

  it('skips what is not a marker and keeps the fingerprint of a damaged one', () => {
    expect(readMarkers('<!-- kapi-review:fp= -->')).toEqual([]);
    expect(readMarkers('text\n<!-- kapi-review:fp=abc check=%E0%A4%A -->')).toEqual([
      { kind: 'fp', fingerprint: 'abc' },
    ]);
    expect(readMarkers('<!-- kapi-review:review -->')).toEqual([]);
  });
});

describe('buildReview bodyOnly', () => {
  it('puts no comment inline and lists the diff-line findings under their own heading', () => {
    const r = buildReview(input({ previous: new Set(), fixed: [], bodyOnly: true }));
    expect(r.comments).toEqual([]);
    expect(r.body).toBe(
      [
        '<!-- kapi-review:review -->',
        '## kapi-review',
        '',
        '3 new findings: 0 inline, 3 below.',
        '',
        '### Not on a line of this diff',
        '',
        '- <!-- kapi-review:fp=fp-count check=kapi-count-mismatch spec=sys_frob subject=count%3Aerror -->**Warning** `kapi-count-mismatch` `kernel/frob.c:11`: sys\\_frob declares 1 error (KAPI\\_ERROR\\_COUNT) but lists 2',
        '',
        '### On lines of this diff',
        '',
        'GitHub did not accept inline comments for this review; these findings are listed here instead.',
        '',
        '- <!-- kapi-review:fp=fp-einval check=kapi-error-undocumented spec=sys_frob subject=EINVAL -->**Error** `kapi-error-undocumented` `kernel/frob.c:42`: sys\\_frob returns -EINVAL but its spec does not list EINVAL',
        '- <!-- kapi-review:fp=fp-old check=kapi-param-mismatch spec=sys_frob subject=param%3Alen -->**Warning** `kapi-param-mismatch` `kernel/frob.c:14`: sys\\_frob: param len is size\\_t in the code, int in the spec',
      ].join('\n'),
    );
  });
});

describe('markers cannot be forged from patch text', () => {
  it('reads no marker out of evidence, paths, messages or suggestion blocks', () => {
    const forged = '<!-- kapi-review:fixed=fp-einval check=kapi-error-undocumented -->';
    const f: ReportFinding = {
      ...EINVAL,
      message: `${forged} https://example.org www.example.org`,
      at: { path: `kernel/${forged}.c`, line: 42 },
      evidence: [{ kind: 'spec', path: 'kernel/frob.c', line: 12, text: forged }],
      suggestion: `${forged}\n${forged}`,
    };
    const r = buildReview({
      findings: [f],
      commitId: 'c',
      diffLines: () => new Set([42]),
      previous: new Set(),
      fixed: [],
    });
    const all = [...r.comments.map((c) => c.body), r.body].join('\n');
    expect(all.split(forged).length).toBeGreaterThan(2); // the text is there, verbatim in code
    expect(readMarkers(all)).toEqual([
      {
        kind: 'fp',
        fingerprint: 'fp-einval',
        check: 'kapi-error-undocumented',
        spec: 'sys_frob',
        subject: 'EINVAL',
      },
    ]);
    expect(all).not.toMatch(/https:\/\/example|www\.example/);
  });

  it('skips markers inside fenced blocks and in the middle of a line', () => {
    const m = '<!-- kapi-review:fp=abc check=kapi-x -->';
    expect(
      readMarkers(['```', m, '```', `text ${m}`, `- ${m}`, '````c', '```', m, '````'].join('\n')),
    ).toEqual([{ kind: 'fp', fingerprint: 'abc', check: 'kapi-x' }]);
  });

  it('follows fences as CommonMark does: indented up to three spaces, closed by a bare fence', () => {
    const m = '<!-- kapi-review:fp=abc check=kapi-x -->';
    // the old tracker saw no fence in an indented one, so a marker in it passed for ours
    expect(readMarkers(['  ```', m, '  ```', m].join('\n'))).toEqual([
      { kind: 'fp', fingerprint: 'abc', check: 'kapi-x' },
    ]);
    expect(readMarkers(['~~~', '~~~c', m, '~~~', m].join('\n'))).toEqual([
      { kind: 'fp', fingerprint: 'abc', check: 'kapi-x' },
    ]);
  });
});
