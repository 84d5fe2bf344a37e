/** Options that more than one rule takes, as zod schemas for defineCheck's `options`. */
import { z } from 'zod';
import type { SpecForm } from '../../parsers/kapi/model.js';

/** The spec generations, oldest first. */
const SPEC_FORMS = [
  'macro',
  'kerneldoc-1',
  'kerneldoc-2',
  'kerneldoc-3',
] as const satisfies readonly SpecForm[];

/**
 * `target`: judge by the postings of this generation instead of by the framework the series is
 * judged by. Absent: the framework decides.
 */
export const targetOption = z.enum(SPEC_FORMS).optional();
