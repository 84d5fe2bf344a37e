import { describe, expect, it } from 'vitest';
import { renderJson, reportToJson } from '../../reporters/json.js';
import type { ReportFinding } from '../../reporters/report.js';
import { ERROR, OUTSIDE, P1, P2, PARSE_ERROR, sampleReport, WARNING } from './sample.js';

const FINDING_KEYS = [
  'check',
  'severity',
  'message',
  'path',
  'line',
  'messageId',
  'spec',
  'subject',
  'evidence',
  'suggestion',
  'fingerprint',
];

/** A JSON-schema-like shape: exact keys in order for objects, item shapes for arrays. */
type Shape =
  | 'string'
  | 'number'
  | 'string|null'
  | { enum: readonly string[] }
  | { const: unknown }
  | { array: Shape }
  | { object: [string, Shape][] };

function conforms(value: unknown, shape: Shape, at = '$'): string[] {
  if (shape === 'string') return typeof value === 'string' ? [] : [`${at}: not a string`];
  if (shape === 'number') return Number.isInteger(value) ? [] : [`${at}: not an integer`];
  if (shape === 'string|null')
    return value === null || typeof value === 'string' ? [] : [`${at}: not a string or null`];
  if ('enum' in shape)
    return shape.enum.includes(value as string) ? [] : [`${at}: ${String(value)} not in enum`];
  if ('const' in shape) return value === shape.const ? [] : [`${at}: not ${String(shape.const)}`];
  if ('array' in shape) {
    if (!Array.isArray(value)) return [`${at}: not an array`];
    return value.flatMap((v, i) => conforms(v, shape.array, `${at}[${i}]`));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: not an object`];
  const keys = Object.keys(value);
  const want = shape.object.map(([k]) => k);
  const errs = JSON.stringify(keys) === JSON.stringify(want) ? [] : [`${at}: keys ${keys} != ${want}`];
  for (const [k, s] of shape.object)
    errs.push(...conforms((value as Record<string, unknown>)[k], s, `${at}.${k}`));
  return errs;
}

const FINDING: Shape = {
  object: [
    ['check', 'string'],
    ['severity', { enum: ['error', 'warning', 'info'] }],
    ['message', 'string'],
    ['path', 'string'],
    ['line', 'number'],
    ['messageId', 'string|null'],
    ['spec', 'string|null'],
    ['subject', 'string|null'],
    [
      'evidence',
      {
        array: {
          object: [
            ['path', 'string'],
            ['line', 'number'],
            ['text', 'string'],
          ],
        },
      },
    ],
    ['suggestion', 'string|null'],
    ['fingerprint', 'string'],
  ],
};

const REVIEW_V1: Shape = {
  object: [
    ['version', { const: 1 }],
    [
      'series',
      {
        array: {
          object: [
            ['title', 'string'],
            ['revision', 'number'],
            ['state', { enum: ['complete', 'incomplete', 'corrupted'] }],
            [
              'patches',
              {
                array: {
                  object: [
                    ['messageId', 'string|null'],
                    ['subject', 'string'],
                  ],
                },
              },
            ],
          ],
        },
      },
    ],
    ['findings', { array: FINDING }],
    ['outside', { array: FINDING }],
    [
      'errors',
      {
        array: {
          object: [
            ['check', 'string'],
            ['path', 'string'],
            ['messageId', 'string|null'],
            ['error', 'string'],
          ],
        },
      },
    ],
    ['notes', { array: 'string' }],
  ],
};

function parsed(): Record<string, unknown> & {
  findings: Record<string, unknown>[];
  outside: Record<string, unknown>[];
} {
  return JSON.parse(renderJson(sampleReport()));
}

describe('renderJson (the version 1 contract)', () => {
  it('pins the top-level keys and their order', () => {
    expect(Object.keys(parsed())).toEqual(['version', 'series', 'findings', 'outside', 'errors', 'notes']);
  });

  it('pins every finding key in order, findings and outside alike', () => {
    const j = parsed();
    for (const f of [...j.findings, ...j.outside]) expect(Object.keys(f)).toEqual(FINDING_KEYS);
  });

  it('writes null for absent optional values, never leaving a key out', () => {
    const [, warning] = parsed().findings;
    expect(warning).toEqual({
      check: 'kapi-count-mismatch',
      severity: 'warning',
      message: 'a spec line the parser could not read',
      path: 'mm/mlock.c',
      line: 7,
      messageId: P2,
      spec: null,
      subject: null,
      evidence: [{ path: 'mm/mlock.c', line: 7, text: 'KAPI_PARAM_COUNT(' }],
      suggestion: null,
      fingerprint: 'fedcba9876543210',
    });
    const noId: ReportFinding = { ...WARNING, at: { path: 'x.c', line: 1 } };
    const r = sampleReport();
    r.findings = [noId];
    expect(reportToJson(r).findings[0]?.messageId).toBeNull();
    expect(renderJson(r)).not.toContain('undefined');
  });

  it('renders the full finding, and only the contract keys (no scope, patch or evidence kind)', () => {
    const [error] = parsed().findings;
    expect(error).toEqual({
      check: 'kapi-error-undocumented',
      severity: 'error',
      message: ERROR.message,
      path: 'kernel/frob.c',
      line: 42,
      messageId: P1,
      spec: 'sys_frob',
      subject: 'EINVAL',
      evidence: [
        { path: 'kernel/frob.c', line: 12, text: 'KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")' },
        { path: 'kernel/frob.c', line: 42, text: 'return -EINVAL;' },
      ],
      suggestion: 'KAPI_ERROR(1, -EINVAL, "EINVAL", "len too large", "")',
      fingerprint: '0123456789abcdef',
    });
    const withPatch = { ...OUTSIDE, patch: 3, at: { ...OUTSIDE.at, endLine: 22 } };
    const r = sampleReport();
    r.outside = [withPatch];
    const text = renderJson(r);
    for (const leak of ['"scope"', '"patch"', '"kind"', '"endLine"', '"at"'])
      expect(text).not.toContain(leak);
  });

  it('keeps series, state as a string, errors and notes', () => {
    const j = reportToJson(sampleReport());
    expect(j.series).toEqual([
      {
        title: 'frob: bound, document and restrict sys_frob',
        revision: 2,
        state: 'complete',
        patches: [
          { messageId: P1, subject: '[PATCH v2 1/2] frob: add a KAPI spec for sys_frob' },
          { messageId: P2, subject: '[PATCH v2 2/2] mm: bound mlock len' },
        ],
      },
    ]);
    expect(j.errors).toEqual([
      { check: 'kapi-lock-order', path: 'mm/mlock.c', messageId: P2, error: 'spec.locks is not iterable' },
    ]);
    expect(j.outside.map((f) => f.fingerprint)).toEqual(['00000000deadbeef']);
    expect(j.notes).toEqual(['mm/mlock.c: checked without a kernel tree, hunks only']);
  });

  it('conforms to the version 1 shape', () => {
    expect(conforms(parsed(), REVIEW_V1)).toEqual([]);
    const empty = JSON.parse(renderJson({ series: [], findings: [], outside: [], crashes: [], notes: [] }));
    expect(conforms(empty, REVIEW_V1)).toEqual([]);
  });

  it('the shape check catches what it is meant to catch', () => {
    const j = parsed();
    const [f] = j.findings as Record<string, unknown>[];
    const broken = { ...j, findings: [{ ...f, spec: undefined }] };
    expect(conforms(JSON.parse(JSON.stringify(broken)), REVIEW_V1).length).toBeGreaterThan(0);
    const reordered = { ...j, findings: [{ severity: f?.severity, ...f }] };
    expect(conforms(reordered, REVIEW_V1)).toHaveLength(1);
    const swapped = Object.fromEntries(Object.entries(f ?? {}).reverse());
    expect(conforms({ ...j, findings: [swapped] }, REVIEW_V1).length).toBeGreaterThan(0);
    expect(conforms({ ...j, version: 2 }, REVIEW_V1)).toEqual(['$.version: not 1']);
  });

  it('keeps operator-only findings (kapi-parse-error), inside the filter and outside it', () => {
    const r = sampleReport();
    r.findings = [ERROR, PARSE_ERROR];
    r.outside = [{ ...PARSE_ERROR, fingerprint: '33a8ddb1868c0f85', scope: 'file' }];
    const j = reportToJson(r);
    expect(j.findings.map((f) => [f.check, f.fingerprint])).toEqual([
      ['kapi-error-undocumented', ERROR.fingerprint],
      ['kapi-parse-error', PARSE_ERROR.fingerprint],
    ]);
    expect(j.findings[1]).toMatchObject({ message: PARSE_ERROR.message, spec: 'sys_gizmo', line: 10 });
    expect(j.outside.map((f) => f.check)).toEqual(['kapi-parse-error']);
  });

  it('is text with two-space indentation and a final newline', () => {
    const text = renderJson(sampleReport());
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "version": 1,');
  });
});
