/**
 * A small hand-built review report shared by the reporter tests: two patches, an error with spec
 * and code evidence and a suggestion, a bare warning (no spec, subject or suggestion), one finding
 * outside the diff filter, one crashed check and one note.
 */

import type { ReportFinding, ReviewReport } from '../../reporters/report.js';
import type { RuleInfo } from '../../reporters/sarif.js';

export const P1 = '20260302-frob-v2-1@example.org';
export const P2 = '20260302-frob-v2-2@example.org';

export const ERROR: ReportFinding = {
  check: 'kapi-error-undocumented',
  severity: 'error',
  message: 'sys_frob returns -EINVAL but its spec does not list EINVAL',
  at: { path: 'kernel/frob.c', line: 42, messageId: P1 },
  spec: 'sys_frob',
  subject: 'EINVAL',
  evidence: [
    {
      kind: 'spec',
      path: 'kernel/frob.c',
      line: 12,
      text: 'KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")',
    },
    { kind: 'code', path: 'kernel/frob.c', line: 42, text: 'return -EINVAL;' },
  ],
  suggestion: 'KAPI_ERROR(1, -EINVAL, "EINVAL", "len too large", "")',
  fingerprint: '0123456789abcdef',
  scope: 'added',
};

export const WARNING: ReportFinding = {
  check: 'kapi-count-mismatch',
  severity: 'warning',
  message: 'a spec line the parser could not read',
  at: { path: 'mm/mlock.c', line: 7, messageId: P2 },
  evidence: [{ path: 'mm/mlock.c', line: 7, text: 'KAPI_PARAM_COUNT(' }],
  fingerprint: 'fedcba9876543210',
  scope: 'diff-context',
};

export const OUTSIDE: ReportFinding = {
  check: 'kapi-count-mismatch',
  severity: 'info',
  message: 'sys_frob declares 2 errors (KAPI_ERROR_COUNT) but lists 1',
  at: { path: 'kernel/frob.c', line: 20, messageId: P1 },
  spec: 'sys_frob',
  subject: 'count:error',
  evidence: [],
  fingerprint: '00000000deadbeef',
  scope: 'file',
};

/**
 * A spec the parser could not read (kapi-parse-error, an operator-only check): not in the sample
 * report; the reporters that post leave it out, the CLI's show it.
 */
export const PARSE_ERROR: ReportFinding = {
  check: 'kapi-parse-error',
  severity: 'error',
  message: "sys_gizmo: no KAPI_END_SPEC (or closing '};') before SYSCALL_DEFINE1 (kapi-macro-unterminated)",
  at: { path: 'kernel/gizmo.c', line: 10, messageId: P1 },
  spec: 'sys_gizmo',
  subject: 'kapi-macro-unterminated',
  evidence: [{ path: 'kernel/gizmo.c', line: 10, text: 'DEFINE_KERNEL_API_SPEC(sys_gizmo)' }],
  fingerprint: '33a8ddb1868c0f84',
  scope: 'added',
};

export function sampleReport(): ReviewReport {
  return {
    series: [
      {
        title: 'frob: bound, document and restrict sys_frob',
        revision: 2,
        state: 'complete',
        patches: [
          { messageId: P1, subject: '[PATCH v2 1/2] frob: add a KAPI spec for sys_frob' },
          { messageId: P2, subject: '[PATCH v2 2/2] mm: bound mlock len' },
        ],
      },
    ],
    findings: [ERROR, WARNING],
    outside: [OUTSIDE],
    crashes: [
      { check: 'kapi-lock-order', path: 'mm/mlock.c', messageId: P2, error: 'spec.locks is not iterable' },
    ],
    notes: ['mm/mlock.c: checked without a kernel tree, hunks only'],
  };
}

export const RULES: RuleInfo[] = [
  {
    id: 'kapi-count-mismatch',
    description: 'A declared count differs from the number of entries it counts.',
    severity: 'error',
  },
  {
    id: 'kapi-error-undocumented',
    description: 'The code returns an error the spec does not list.',
    severity: 'warning',
  },
  { id: 'kapi-unused', description: 'A rule no finding uses.', severity: 'info' },
];
