/**
 * The registry: every check, by id. A meta test keeps it, checks/rules/<id>.ts, docs/checks/<id>.md
 * and test/checks/<id>.test.ts in step.
 */
import { check as contextConflict } from './rules/kapi-context-conflict.js';
import { check as countMismatch } from './rules/kapi-count-mismatch.js';
import { check as deprecatedForm } from './rules/kapi-deprecated-form.js';
import { check as descDuplicated } from './rules/kapi-desc-duplicated.js';
import { check as detectionKey } from './rules/kapi-detection-key.js';
import { check as errnoAlias } from './rules/kapi-errno-alias.js';
import { check as errorNameMismatch } from './rules/kapi-error-name-mismatch.js';
import { check as errorUndocumented } from './rules/kapi-error-undocumented.js';
import { check as errorUnreachable } from './rules/kapi-error-unreachable.js';
import { check as fieldOverride } from './rules/kapi-field-override.js';
import { check as indexSequence } from './rules/kapi-index-sequence.js';
import { check as lockUnbalanced } from './rules/kapi-lock-unbalanced.js';
import { check as paramMismatch } from './rules/kapi-param-mismatch.js';
import { check as parseError } from './rules/kapi-parse-error.js';
import { check as returnConvention } from './rules/kapi-return-convention.js';
import { check as specOrphan } from './rules/kapi-spec-orphan.js';
import { check as unknownToken } from './rules/kapi-unknown-token.js';
import type { Check } from './types.js';

export const CHECKS: readonly Check[] = [
  descDuplicated,
  returnConvention,
  deprecatedForm,
  unknownToken,
  detectionKey,
  specOrphan,
  parseError,
  paramMismatch,
  indexSequence,
  fieldOverride,
  errorNameMismatch,
  errnoAlias,
  countMismatch,
  errorUndocumented,
  errorUnreachable,
  lockUnbalanced,
  contextConflict,
];

export function checkById(id: string): Check | undefined {
  return CHECKS.find((c) => c.meta.id === id);
}

const OPERATOR_ONLY: ReadonlySet<string> = new Set(
  CHECKS.filter((c) => c.meta.operatorOnly).map((c) => c.meta.id),
);

/**
 * Whether a check's findings are for operators only (`meta.operatorOnly`, e.g. kapi-parse-error):
 * the reporters that post (the mail reply, the GitHub review and check run) leave them out; the
 * CLI's reporters show them. An id the registry does not know is not operator-only.
 */
export function isOperatorOnly(check: string): boolean {
  return OPERATOR_ONLY.has(check);
}
