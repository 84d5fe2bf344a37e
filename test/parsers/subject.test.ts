import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSubject, type SubjectInfo } from '../../parsers/subject.js';

function codes(subject: string): string[] {
  return parseSubject(subject).issues.map((i) => i.code);
}

interface Shape {
  subject: string;
  want: Partial<SubjectInfo>;
  issues?: string[];
}

const SHAPES: Shape[] = [
  {
    subject: '[RFC PATCH net-next v3 02/17] mm: foo',
    want: {
      reply: false,
      prefixes: ['RFC', 'PATCH', 'net-next', 'v3', '02/17'],
      patch: true,
      rfc: true,
      resend: false,
      revision: 3,
      counter: 2,
      expected: 17,
      treeHint: 'net-next',
      title: 'mm: foo',
      normalizedTitle: 'mm: foo',
    },
  },
  {
    subject: '[RFC v2 11/22] mm/mlock: add API specification for mlock2',
    want: {
      prefixes: ['RFC', 'v2', '11/22'],
      patch: false,
      rfc: true,
      revision: 2,
      counter: 11,
      expected: 22,
      treeHint: null,
      title: 'mm/mlock: add API specification for mlock2',
      normalizedTitle: 'mm/mlock: add api specification for mlock2',
    },
  },
  {
    subject: '[RFC PATCH v5 04/15] x',
    want: { patch: true, rfc: true, revision: 5, counter: 4, expected: 15, treeHint: null, title: 'x' },
  },
  {
    subject: '[PATCH 07/16] x',
    want: { patch: true, rfc: false, revision: 1, counter: 7, expected: 16, treeHint: null, title: 'x' },
  },
  {
    subject: '[PATCH v4 00/11] Kernel API Specification Framework',
    want: {
      patch: true,
      revision: 4,
      counter: 0,
      expected: 11,
      title: 'Kernel API Specification Framework',
      normalizedTitle: 'kernel api specification framework',
    },
  },
  {
    subject: '[RFC v3 1/4] x',
    want: { patch: false, rfc: true, revision: 3, counter: 1, expected: 4, title: 'x' },
  },
  {
    subject: 'Re: [PATCH v2 3/5] x',
    want: {
      reply: true,
      patch: true,
      revision: 2,
      counter: 3,
      expected: 5,
      prefixes: ['PATCH', 'v2', '3/5'],
      title: 'x',
    },
  },
  {
    subject: 'Re: Re: RE: [PATCH] x',
    want: {
      reply: true,
      patch: true,
      revision: 1,
      counter: null,
      expected: null,
      prefixes: ['PATCH'],
      title: 'x',
    },
  },
  {
    subject: 'Re[2]: aw: FWD: Fw: [PATCH] x',
    want: { reply: true, patch: true, prefixes: ['PATCH'], title: 'x' },
  },
  {
    subject: '[PATCH] [RESEND] x',
    want: {
      prefixes: ['PATCH', 'RESEND'],
      patch: true,
      resend: true,
      rfc: false,
      treeHint: null,
      title: 'x',
    },
  },
  {
    subject: '[net-next] [PATCH v2 1/3] x',
    want: {
      prefixes: ['net-next', 'PATCH', 'v2', '1/3'],
      patch: true,
      revision: 2,
      counter: 1,
      expected: 3,
      treeHint: 'net-next',
      title: 'x',
    },
  },
  {
    subject: '[PATCHv2 1/2] x',
    want: { prefixes: ['PATCHv2', '1/2'], patch: true, revision: 2, counter: 1, expected: 2, treeHint: null },
  },
  {
    subject: '[PATCH-v3] x',
    want: { prefixes: ['PATCH-v3'], patch: true, revision: 3, treeHint: null },
  },
  {
    subject: '[RFCv2 PATCH] x',
    want: { patch: true, rfc: true, revision: 2, treeHint: null },
  },
  {
    subject: '[RFC/PATCH] x',
    want: { prefixes: ['RFC/PATCH'], patch: true, rfc: true, treeHint: null },
  },
  {
    subject: '[PATCH RFC v2 1/3] x',
    want: {
      prefixes: ['PATCH', 'RFC', 'v2', '1/3'],
      patch: true,
      rfc: true,
      revision: 2,
      counter: 1,
      expected: 3,
    },
  },
  {
    subject: '[PATCH V3] x',
    want: { patch: true, revision: 3, treeHint: null },
  },
  {
    subject: '[PATCH 6.1 001/123] x',
    want: { patch: true, treeHint: '6.1', counter: 1, expected: 123, revision: 1, title: 'x' },
  },
  {
    subject: '[PATCH AUTOSEL 6.6 05/20] x',
    want: { patch: true, treeHint: '6.6', counter: 5, expected: 20 },
  },
  {
    subject: '[PATCH 5.15.y] x',
    want: { treeHint: '5.15.y' },
  },
  {
    subject: '[RESEND PATCH mm-hotfixes v2] x',
    want: { resend: true, patch: true, revision: 2, treeHint: 'mm-hotfixes' },
  },
  {
    subject: '[PATCH bpf-next v2,1/3] x',
    want: {
      prefixes: ['PATCH', 'bpf-next', 'v2', '1/3'],
      treeHint: 'bpf-next',
      revision: 2,
      counter: 1,
      expected: 3,
    },
  },
  {
    subject: '[patch] x',
    want: { prefixes: ['patch'], patch: true, title: 'x' },
  },
  {
    subject: 'PATCH v2 0/9 mm: foo',
    want: {
      prefixes: ['PATCH', 'v2', '0/9'],
      patch: true,
      revision: 2,
      counter: 0,
      expected: 9,
      treeHint: null,
      title: 'mm: foo',
    },
    issues: ['subject-missing-brackets'],
  },
  {
    subject: 'Re: RFC v2 mm: foo',
    want: { reply: true, prefixes: ['RFC', 'v2'], rfc: true, revision: 2, title: 'mm: foo' },
    issues: ['subject-missing-brackets'],
  },
  {
    subject: 'RFC 8259 compliance for the json parser',
    want: { prefixes: [], rfc: false, title: 'RFC 8259 compliance for the json parser' },
  },
  {
    subject: 'Patch the frobnicator',
    want: { prefixes: [], patch: false, title: 'Patch the frobnicator' },
  },
  {
    subject: '[GIT PULL] x',
    want: { prefixes: ['GIT', 'PULL'], patch: false, rfc: false, treeHint: null, revision: 1, title: 'x' },
  },
  {
    subject: '[GIT PULL v2] Networking for v6.10-rc1',
    want: { revision: 2, treeHint: null, patch: false, title: 'Networking for v6.10-rc1' },
  },
  {
    subject: 'mm: fix foo',
    want: {
      reply: false,
      prefixes: [],
      patch: false,
      revision: 1,
      counter: null,
      expected: null,
      treeHint: null,
      title: 'mm: fix foo',
      normalizedTitle: 'mm: fix foo',
    },
  },
  {
    subject: 'mm: fix [foo] bar',
    want: { prefixes: [], title: 'mm: fix [foo] bar', treeHint: null },
  },
  {
    subject: '[PATCH] mm: fix [foo]   bar  ',
    want: { prefixes: ['PATCH'], title: 'mm: fix [foo] bar', normalizedTitle: 'mm: fix [foo] bar' },
  },
  {
    subject: '',
    want: {
      raw: '',
      reply: false,
      prefixes: [],
      patch: false,
      revision: 1,
      counter: null,
      title: '',
      normalizedTitle: '',
    },
    issues: ['subject-empty'],
  },
  {
    subject: '[PATCH]',
    want: { prefixes: ['PATCH'], patch: true, title: '' },
    issues: ['subject-empty-title'],
  },
  {
    subject: '[][PATCH]x',
    want: { prefixes: ['PATCH'], patch: true, title: 'x' },
  },
  {
    subject: '[PATCH v2 foo bar',
    want: { prefixes: [], patch: false, title: '[PATCH v2 foo bar' },
    issues: ['subject-unbalanced-bracket'],
  },
  {
    subject: '[PATCH] [net x',
    want: { prefixes: ['PATCH'], patch: true, title: '[net x' },
    issues: ['subject-unbalanced-bracket'],
  },
  {
    subject: '[PATCH [v2] x',
    want: { prefixes: [], title: '[PATCH [v2] x' },
    issues: ['subject-unbalanced-bracket'],
  },
  {
    subject: '[PATCH 5/3] x',
    want: { counter: 5, expected: 3 },
    issues: ['subject-bad-counter'],
  },
  {
    subject: '[PATCH 1/0] x',
    want: { counter: 1, expected: 0 },
    issues: ['subject-bad-counter'],
  },
  {
    subject: '[PATCH 1/3] [2/4] x',
    want: { counter: 1, expected: 3 },
    issues: ['subject-conflicting-counter'],
  },
  {
    subject: '[PATCH 1/3] [1/3] x',
    want: { counter: 1, expected: 3 },
    issues: [],
  },
  {
    subject: '[PATCHv2 v3] x',
    want: { revision: 2 },
    issues: ['subject-conflicting-revision'],
  },
  {
    subject: '[PATCH v0] x',
    want: { revision: 1, treeHint: null },
    issues: ['subject-bad-revision'],
  },
  {
    subject: '[PATCH v2]\r\n 1/2 folded',
    want: { raw: '[PATCH v2] 1/2 folded', title: '1/2 folded', revision: 2 },
    issues: [],
  },
  {
    subject: '[PATCH]\tx\ty',
    want: { raw: '[PATCH] x y', title: 'x y' },
    issues: [],
  },
];

describe('parseSubject shapes', () => {
  it.each(SHAPES)('$subject', ({ subject, want, issues }) => {
    const { value } = parseSubject(subject);
    expect(value).toMatchObject(want);
    expect(codes(subject)).toEqual(issues ?? []);
  });

  it('keeps the subject in raw (no trimming) and reports nothing for a clean patch subject', () => {
    const s = '  [PATCH v4 00/11] Kernel API Specification Framework ';
    expect(parseSubject(s)).toEqual({
      value: {
        raw: s,
        reply: false,
        prefixes: ['PATCH', 'v4', '00/11'],
        patch: true,
        rfc: false,
        resend: false,
        revision: 4,
        counter: 0,
        expected: 11,
        treeHint: null,
        title: 'Kernel API Specification Framework',
        normalizedTitle: 'kernel api specification framework',
      },
      issues: [],
    });
  });

  it('gives the same normalizedTitle for revisions of one patch', () => {
    const a = parseSubject('[RFC v2 11/22] mm/mlock: add API specification for mlock2').value;
    const b = parseSubject('Re: [PATCH  v4 03/11]  mm/mlock: Add API  specification for mlock2').value;
    expect(a.normalizedTitle).toBe(b.normalizedTitle);
    expect(a.revision).not.toBe(b.revision);
  });
});

describe('parseSubject hostile input', () => {
  it('replaces CR, LF, NUL and ANSI escapes by spaces and reports them', () => {
    const { value, issues } = parseSubject('[PATCH]\x1b[31m evil\r\ninjected\x00 title\x07');
    expect(value.raw).toBe('[PATCH]  evil  injected  title ');
    expect(value.title).toBe('evil injected title');
    expect(value.patch).toBe(true);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'subject-control-chars', severity: 'warning' });
    expect(issues[0]?.message).toContain('5 control characters');
  });

  it('replaces C1 controls and line separators', () => {
    const { value, issues } = parseSubject('x\u009by\u2028z\u007f');
    expect(value.title).toBe('x y z');
    expect(issues.map((i) => i.code)).toEqual(['subject-control-chars']);
  });

  it('parses prefixes hidden behind an escape sequence but still flags it', () => {
    const { value, issues } = parseSubject('\x1b[2K[PATCH v2] x');
    expect(value).toMatchObject({ patch: true, revision: 2, title: 'x' });
    expect(issues.map((i) => i.code)).toEqual(['subject-control-chars']);
  });

  it('handles 1 MB of "[" in linear time', () => {
    const s = '['.repeat(1 << 20);
    const t0 = performance.now();
    const { value, issues } = parseSubject(s);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(2000);
    expect(value.prefixes).toEqual([]);
    expect(value.title).toHaveLength(1 << 20);
    expect(issues.map((i) => i.code)).toEqual(['subject-too-long', 'subject-unbalanced-bracket']);
  });

  it.each([
    ['many bracket groups', '[a]'.repeat(350_000)],
    ['many reply markers', 'Re: '.repeat(260_000)],
    ['an unclosed group with many tokens', `[PATCH ${'v2 '.repeat(350_000)}`],
    ['a long bracketless prefix', `PATCH ${'v2 1/3 '.repeat(150_000)}x`],
    ['many escape starts', '\x1b['.repeat(500_000)],
    ['long digit runs', `Re[${'1'.repeat(1 << 20)}`],
  ])('handles %s in linear time', (_name, s) => {
    const t0 = performance.now();
    const { value, issues } = parseSubject(s);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(issues.map((i) => i.code)).toContain('subject-too-long');
    expect(value.title).not.toMatch(/\p{Cc}/u);
  });

  it('reports an over-long subject but still parses it', () => {
    const { value, issues } = parseSubject(`[PATCH v2 1/2] ${'a'.repeat(1200)}`);
    expect(value).toMatchObject({ patch: true, revision: 2, counter: 1, expected: 2 });
    expect(value.title).toHaveLength(1200);
    expect(issues.map((i) => i.code)).toEqual(['subject-too-long']);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const KEYWORD_PARTS = new Set([
  'patch',
  'patchset',
  'rfc',
  'resend',
  'git',
  'pull',
  'rft',
  'repost',
  'autosel',
  'announce',
]);

/** A tree hint: lower-case words joined by '-', or a stable version like '6.1' / '5.15.y'. */
const treeHintArb = fc.oneof(
  fc
    .stringMatching(/^[a-z]{2,8}(-[a-z]{2,8})?$/)
    .filter(
      (w) => !w.split('-').some((p) => KEYWORD_PARTS.has(p) || /^(?:patch(?:set)?|rfc|resend)v\d+$/.test(p)),
    ),
  fc.stringMatching(/^[1-9]\.\d{1,2}(\.y)?$/),
);

/** Printable text without control characters that does not start with '['. */
const titleArb = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .filter((t) => !/[\p{Cc}\u2028\u2029]/u.test(t) && !t.trimStart().startsWith('['));

const prefixArb = fc
  .record({
    patch: fc.boolean(),
    rfc: fc.boolean(),
    resend: fc.boolean(),
    revision: fc.integer({ min: 1, max: 20 }),
    writeV1: fc.boolean(),
    upper: fc.boolean(),
    counter: fc.option(
      fc
        .tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 1, max: 999 }), fc.boolean())
        .map(([a, b, pad]) => {
          const [n, total] = a <= b ? [a, b] : [b, a];
          return { n, total, pad };
        }),
      { nil: null },
    ),
    treeHint: fc.option(treeHintArb, { nil: null }),
  })
  .chain((p) => {
    const tokens: string[] = [];
    if (p.patch) tokens.push('PATCH');
    if (p.rfc) tokens.push('RFC');
    if (p.resend) tokens.push('RESEND');
    if (p.revision > 1 || p.writeV1) tokens.push(`${p.upper ? 'V' : 'v'}${p.revision}`);
    if (p.counter) {
      const width = p.counter.pad ? String(p.counter.total).length : 0;
      tokens.push(`${String(p.counter.n).padStart(width, '0')}/${p.counter.total}`);
    }
    if (p.treeHint) tokens.push(p.treeHint);
    return fc
      .shuffledSubarray(tokens, { minLength: tokens.length, maxLength: tokens.length })
      .map((order) => ({ ...p, tokens: order }));
  })
  .filter((p) => p.tokens.length > 0);

describe('parseSubject properties', () => {
  it('round-trips generated [prefix] title subjects', () => {
    fc.assert(
      fc.property(prefixArb, titleArb, (p, title) => {
        const subject = `[${p.tokens.join(' ')}] ${title}`;
        const { value, issues } = parseSubject(subject);
        expect(value.prefixes).toEqual(p.tokens);
        expect(value.patch).toBe(p.patch);
        expect(value.rfc).toBe(p.rfc);
        expect(value.resend).toBe(p.resend);
        expect(value.revision).toBe(p.revision);
        expect(value.counter).toBe(p.counter ? p.counter.n : null);
        expect(value.expected).toBe(p.counter ? p.counter.total : null);
        expect(value.treeHint).toBe(p.treeHint);
        expect(value.reply).toBe(false);
        const wantTitle = title.replace(/\s+/g, ' ').trim();
        expect(value.title).toBe(wantTitle);
        expect(value.normalizedTitle).toBe(wantTitle.toLowerCase());
        expect(issues.filter((i) => i.code !== 'subject-empty-title')).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('reply markers do not change the parsed prefix', () => {
    fc.assert(
      fc.property(
        prefixArb,
        titleArb,
        fc.array(fc.constantFrom('Re:', 'RE:', 'Aw:', 'Fwd:', 'FW:', 'Re[2]:'), {
          minLength: 1,
          maxLength: 4,
        }),
        (p, title, markers) => {
          const subject = `[${p.tokens.join(' ')}] ${title}`;
          const plain = parseSubject(subject).value;
          const replied = parseSubject(`${markers.join(' ')} ${subject}`).value;
          expect(replied.reply).toBe(true);
          expect({ ...replied, reply: false, raw: plain.raw }).toEqual(plain);
        },
      ),
      { numRuns: 200 },
    );
  });

  const hostileArb = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'binary-ascii', maxLength: 200 }),
    fc.string({
      unit: fc.constantFrom(
        '[',
        ']',
        ' ',
        'Re:',
        'Re[2]:',
        'PATCH',
        'RFC',
        'v2',
        'v0',
        '1/3',
        '5/3',
        'net-next',
        ',',
        '\r\n',
        '\r\n ',
        '\n',
        '\t',
        '\x00',
        '\x1b[31m',
        '\x1b',
        '\u2028',
        '\u009b',
      ),
      maxLength: 60,
    }),
  );

  it('never throws, is deterministic, and never leaves control characters in raw or title', () => {
    fc.assert(
      fc.property(hostileArb, (s) => {
        const a = parseSubject(s);
        const b = parseSubject(s);
        expect(b).toEqual(a);
        const v = a.value;
        expect(v.title).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
        expect(v.raw).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
        expect(v.title).toBe(v.title.trim());
        expect(v.title).not.toMatch(/\s{2}/);
        expect(v.normalizedTitle).toBe(v.title.toLowerCase());
        expect(v.revision).toBeGreaterThanOrEqual(1);
        expect(v.counter === null).toBe(v.expected === null);
        for (const i of a.issues) expect(['error', 'warning', 'info']).toContain(i.severity);
      }),
      { numRuns: 1000 },
    );
  });
});
