/**
 * The registry: every check, by id. A meta test keeps it, checks/<id>.ts, docs/checks/<id>.md and
 * test/checks/<id>.test.ts in step.
 */
import { check as countMismatch } from './kapi-count-mismatch.js';
import type { Check } from './types.js';

export const CHECKS: readonly Check[] = [countMismatch];

export function checkById(id: string): Check | undefined {
  return CHECKS.find((c) => c.meta.id === id);
}
