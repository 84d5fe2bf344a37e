/** Options that more than one rule takes, as zod schemas for defineCheck's `options`. */

import type { SpecForm } from '../../parsers/kapi/model.js';
import type { Zod } from '../define.js';

/** The spec generations, oldest first. */
export const SPEC_FORMS = [
  'macro',
  'kerneldoc-1',
  'kerneldoc-2',
  'kerneldoc-3',
] as const satisfies readonly SpecForm[];

/**
 * `target`: judge by the postings of this generation instead of by the framework the series is
 * judged by. Absent: the framework decides.
 */
export const targetOption = (z: Zod) => z.enum(SPEC_FORMS).optional();
