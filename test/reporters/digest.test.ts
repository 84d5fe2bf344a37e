import { describe, expect, it } from 'vitest';
import {
  buildDigest,
  type DigestInput,
  type DigestRevision,
  digestSubject,
  digestToJson,
  renderDigestMarkdown,
  renderDigestText,
} from '../../reporters/digest.js';

function rev(extra: Partial<DigestRevision>): DigestRevision {
  return {
    seriesId: 1,
    title: 'mm: mlock specs',
    author: 'Ann Author <ann@example.org>',
    listId: 'linux-mm@example.org',
    revision: 1,
    state: 'complete',
    stateDetail: null,
    receivedAt: '2026-03-03T09:00:00.000Z',
    reviewedAt: '2026-03-03T09:01:00.000Z',
    superseded: false,
    previous: null,
    findings: { error: 0, warning: 0, info: 0 },
    newFindings: [],
    stillOpen: 0,
    fixed: [],
    ignored: 0,
    ...extra,
  };
}

const EPERM = {
  check: 'kapi-error-undocumented',
  severity: 'error' as const,
  spec: 'sys_mlock',
  subject: 'EPERM',
  message: 'sys_mlock can return -EPERM here, but its spec does not list EPERM',
  path: 'mm/mlock.c',
  line: 612,
};
const EAGAIN = {
  check: 'kapi-error-unreachable',
  severity: 'warning' as const,
  spec: 'sys_mlockall',
  subject: 'EAGAIN',
  message: 'the spec of sys_mlockall lists EAGAIN, which the code can never return',
  path: 'mm/mlock.c',
  line: 700,
};

const input: DigestInput = {
  since: '2026-03-02T00:00:00.000Z',
  until: '2026-03-09T00:00:00.000Z',
  revisions: [
    // reviewed in the period, arrived before it: counts as reviewed only
    rev({
      seriesId: 1,
      revision: 2,
      receivedAt: '2026-03-01T20:00:00.000Z',
      reviewedAt: '2026-03-02T08:00:00.000Z',
      previous: 1,
      findings: { error: 1, warning: 1, info: 0 },
      newFindings: [EAGAIN],
      stillOpen: 1,
      fixed: [{ ...EPERM, subject: 'EINVAL', since: 1 }],
      ignored: 1,
    }),
    rev({
      seriesId: 2,
      title: '<script>alert(1)</script> *bold* [x](y)',
      author: null,
      listId: null,
      revision: 1,
      findings: { error: 1, warning: 0, info: 0 },
      newFindings: [EPERM],
    }),
    rev({
      seriesId: 3,
      title: 'net: half a series',
      revision: 1,
      state: 'incomplete',
      stateDetail: 'missing 2/3',
      receivedAt: '2026-03-08T23:00:00.000Z',
      reviewedAt: null,
    }),
    // outside the period altogether
    rev({ seriesId: 4, receivedAt: '2026-03-09T00:00:00.000Z', reviewedAt: '2026-03-09T00:01:00.000Z' }),
  ],
};

describe('the maintainer digest (reporters/digest.ts)', () => {
  it('sorts the period into arrived, drifted and fixed, with totals', () => {
    const d = buildDigest(input);
    expect(d.arrived.map((r) => r.seriesId)).toEqual([2, 3]);
    expect(d.reviewed.map((r) => r.seriesId)).toEqual([1, 2]);
    expect(d.totals).toEqual({
      series: 2,
      arrived: 2,
      incomplete: 1,
      corrupted: 0,
      reviewed: 2,
      newFindings: { error: 1, warning: 1, info: 0 },
      fixed: 1,
      ignored: 1,
      stillOpen: 1,
    });
    expect(d.byCheck).toEqual([
      { check: 'kapi-error-undocumented', new: 1, fixed: 1 },
      { check: 'kapi-error-unreachable', new: 1, fixed: 0 },
    ]);
    expect(d.empty).toBe(false);
    expect(digestSubject(d)).toBe(
      'kapi-review digest 2026-03-02 to 2026-03-09: 2 revisions, 2 new findings, 1 fixed',
    );
  });

  it('renders text within 72 columns', () => {
    const text = renderDigestText(buildDigest(input));
    expect(text).toBe(
      `kapi-review digest, 2026-03-02 00:00 to 2026-03-09 00:00 UTC

Arrived: 2 revisions of 2 series (1 incomplete).
Reviewed: 2 revisions; 2 new findings (1 error, 1 warning), 1 fixed, 1
ignored by a command, 1 still open from earlier revisions.

Arrived
  - <script>alert(1)</script> *bold* [x](y) v1
    complete; 1 error
  - net: half a series v1
    Ann Author <ann@example.org>, linux-mm@example.org
    incomplete (missing 2/3); not reviewed

Drifted (new findings)
  - mm: mlock specs v2
    warning kapi-error-unreachable (sys_mlockall EAGAIN)
      mm/mlock.c:700: the spec of sys_mlockall lists EAGAIN, which the
        code can never return
  - <script>alert(1)</script> *bold* [x](y) v1
    error kapi-error-undocumented (sys_mlock EPERM)
      mm/mlock.c:612: sys_mlock can return -EPERM here, but its spec
        does not list EPERM

Fixed
  - mm: mlock specs v2 (against v1)
    kapi-error-undocumented (sys_mlock EINVAL), present since v1

By check
  kapi-error-undocumented  1 new, 1 fixed
  kapi-error-unreachable   1 new, 0 fixed
`,
    );
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
  });

  it('renders Markdown that shows patch text literally', () => {
    expect(renderDigestMarkdown(buildDigest(input))).toBe(
      `# kapi-review digest

2026-03-02 00:00 to 2026-03-09 00:00 UTC

Arrived: 2 revisions of 2 series (1 incomplete). Reviewed: 2 revisions; 2 new findings (1 error, 1 warning), 1 fixed, 1 ignored by a command, 1 still open from earlier revisions.

## Arrived

- **\\<script\\>alert(1)\\</script\\> \\*bold\\* \\[x\\](y)** v1: complete; 1 error
- **net: half a series** v1 (Ann Author \\<ann@example.org\\>, linux-mm@example.org): incomplete (missing 2/3); not reviewed

## Drifted (new findings)

### mm: mlock specs v2

- warning \`kapi-error-unreachable\` sys_mlockall EAGAIN: the spec of sys_mlockall lists EAGAIN, which the code can never return (\`mm/mlock.c:700\`)

### \\<script\\>alert(1)\\</script\\> \\*bold\\* \\[x\\](y) v1

- error \`kapi-error-undocumented\` sys_mlock EPERM: sys_mlock can return -EPERM here, but its spec does not list EPERM (\`mm/mlock.c:612\`)

## Fixed

### mm: mlock specs v2 (against v1)

- \`kapi-error-undocumented\` sys_mlock EINVAL, present since v1

## By check

| check | new | fixed |
| --- | ---: | ---: |
| \`kapi-error-undocumented\` | 1 | 1 |
| \`kapi-error-unreachable\` | 1 | 0 |
`,
    );
  });

  it('gives JSON, and says so when the period is empty', () => {
    const json = digestToJson(buildDigest(input)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'version',
      'since',
      'until',
      'totals',
      'arrived',
      'drifted',
      'fixed',
      'byCheck',
    ]);
    expect(json.drifted).toEqual([
      { seriesId: 1, title: 'mm: mlock specs', revision: 2, findings: [EAGAIN] },
      { seriesId: 2, title: '<script>alert(1)</script> *bold* [x](y)', revision: 1, findings: [EPERM] },
    ]);
    expect(json.fixed).toEqual([
      {
        seriesId: 1,
        title: 'mm: mlock specs',
        revision: 2,
        previous: 1,
        findings: [{ ...EPERM, subject: 'EINVAL', since: 1 }],
      },
    ]);
    const empty = buildDigest({ since: input.since, until: input.until, revisions: [] });
    expect(empty.empty).toBe(true);
    expect(renderDigestText(empty)).toBe(
      'kapi-review digest, 2026-03-02 00:00 to 2026-03-09 00:00 UTC\n\nNothing arrived and nothing was reviewed in this period.\n',
    );
    expect(renderDigestMarkdown(empty)).toContain('Nothing arrived and nothing was reviewed in this period.');
  });

  it('shows a backtick in a check or a path inside its code span', () => {
    // the digest's own code spans turned every backtick into a quote
    const odd = { ...EPERM, path: 'mm/a`b.c' };
    const md = renderDigestMarkdown(buildDigest({ ...input, revisions: [rev({ newFindings: [odd] })] }));
    expect(md).toContain('(``mm/a`b.c:612``)');
  });

  it('mails no control character from a patch, and keeps a no-break space inside its word', () => {
    // the digest wrapped with a wrap of its own that kept ESC and broke lines at U+00A0
    const title = `mm: \u001b[31mred\u001b[0m title with 10\u00a0MB ${'x'.repeat(40)} and\u00a0more`;
    const text = renderDigestText(buildDigest({ ...input, revisions: [rev({ title })] }));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('  - mm: [31mred [0m title with 10\u00a0MB');
    expect(text).toContain('and\u00a0more v1');
  });
});
