/**
 * The zod schema of `.kapi-review.yml` and its validation. Loaded only when there is a config file
 * to read (yaml costs ~90 ms of start-up that a run without config need not pay; zod is loaded with
 * the checks, whose options are zod schemas).
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { optionProblems } from '../../checks/define.js';
import { checkById } from '../../checks/index.js';
import { DIFF_FILTERS } from '../../checks/review.js';
import { SEVERITIES, type Severity } from '../../checks/types.js';
import { DEFAULT_LIMITS } from '../review/limits.js';
import { ConfigError, type IgnoreRule, MAX_INLINE, type ReviewConfig } from './index.js';

const severity = z.enum(SEVERITIES);
const checkSetting = z.union([
  z.literal('off'),
  severity,
  z
    .object({
      severity: z.union([severity, z.literal('off')]).optional(),
      options: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
]);
const ignoreEntry = z.union([
  z.string().min(1),
  z
    .object({ check: z.string().min(1), spec: z.string().optional(), subject: z.string().optional() })
    .strict(),
]);

const configSchema = z
  .object({
    filter: z.enum(DIFF_FILTERS).optional(),
    checks: z.record(z.string(), checkSetting).optional(),
    ignore: z.array(ignoreEntry).optional(),
    github: z
      .object({
        paths: z.array(z.string().min(1)).optional(),
        'max-inline': z.number().int().min(0).max(50).optional(),
      })
      .strict()
      .optional(),
    // upper bounds keep one repository's configuration from holding a worker of the App for long
    limits: z
      .object({
        'spec-entries': z.number().int().min(1).max(1_000_000).optional(),
        hunks: z.number().int().min(1).max(1_000_000).optional(),
        'file-mb': z.number().positive().max(64).optional(),
        seconds: z.number().positive().max(600).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;

/**
 * Validates a parsed config; unknown check ids are errors (a typo would silently do nothing), and
 * so are options a check's schema does not accept. Messages name the path in the file:
 * `checks.kapi-foo: unknown check`, `checks.kapi-detection-key.options.tools: Invalid option: ...`.
 */
export function resolveConfig(raw: unknown, knownChecks: readonly string[], origin = 'config'): ReviewConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new ConfigError(`${origin}: ${lines.join('; ')}`);
  }
  const c = parsed.data;
  const known = new Set(knownChecks);
  const problems: string[] = [];
  const disabled: string[] = [];
  const sev: Record<string, Severity> = {};
  const options: Record<string, Record<string, unknown>> = {};
  for (const [id, setting] of Object.entries(c.checks ?? {})) {
    if (!known.has(id)) problems.push(`checks.${id}: unknown check`);
    if (setting === 'off') disabled.push(id);
    else if (typeof setting === 'string') sev[id] = setting;
    else {
      if (setting.severity === 'off') disabled.push(id);
      else if (setting.severity) sev[id] = setting.severity;
      if (setting.options) {
        // each check's own schema (defineCheck's `options`) says which options it takes
        const check = known.has(id) ? checkById(id) : undefined;
        const bad = check ? optionProblems(check, setting.options, z) : [];
        for (const p of bad)
          problems.push(`${['checks', id, 'options', p.option].filter(Boolean).join('.')}: ${p.message}`);
        options[id] = setting.options;
      }
    }
  }
  const ignore: IgnoreRule[] = (c.ignore ?? []).map((e) => (typeof e === 'string' ? { check: e } : e));
  for (const [i, r] of ignore.entries())
    if (!known.has(r.check)) problems.push(`ignore.${i}: unknown check ${r.check}`);
  if (problems.length > 0) throw new ConfigError(`${origin}: ${problems.join('; ')}`);
  return {
    filter: c.filter ?? 'added',
    checks: { disabled, severity: sev, options },
    ignore,
    github: { paths: c.github?.paths ?? [], maxInline: c.github?.['max-inline'] ?? MAX_INLINE },
    limits: {
      specEntries: c.limits?.['spec-entries'] ?? DEFAULT_LIMITS.specEntries,
      hunks: c.limits?.hunks ?? DEFAULT_LIMITS.hunks,
      fileBytes:
        c.limits?.['file-mb'] !== undefined
          ? Math.round(c.limits['file-mb'] * 1024 * 1024)
          : DEFAULT_LIMITS.fileBytes,
      timeMs: c.limits?.seconds !== undefined ? Math.round(c.limits.seconds * 1000) : DEFAULT_LIMITS.timeMs,
    },
  };
}

export function parseConfigText(text: string, knownChecks: readonly string[], origin: string): ReviewConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${origin}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return resolveConfig(raw, knownChecks, origin);
}
