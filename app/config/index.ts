/**
 * The configuration file (`.kapi-review.yml`), validated with zod. The same schema serves the CLI
 * and the GitHub App (which reads `.github/kapi-review.yml`), so a config means the same in both.
 *
 *   filter: added            # added | diff-context | file | none
 *   checks:
 *     kapi-desc-duplicated: off
 *     kapi-error-unreachable: error
 *     kapi-deprecated-form: { severity: info, options: { target: kerneldoc-3 } }
 *   ignore:
 *     - kapi-return-convention
 *     - { check: kapi-error-unreachable, spec: sys_mlockall, subject: EAGAIN }
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { CheckConfig } from '../../checks/runner.js';
import type { Finding } from '../../checks/types.js';

const severity = z.enum(['error', 'warning', 'info']);
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

export const configSchema = z
  .object({
    filter: z.enum(['added', 'diff-context', 'file', 'none']).optional(),
    checks: z.record(z.string(), checkSetting).optional(),
    ignore: z.array(ignoreEntry).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;

export interface IgnoreRule {
  check: string;
  spec?: string;
  subject?: string;
}

export interface ReviewConfig {
  filter: 'added' | 'diff-context' | 'file' | 'none';
  checks: CheckConfig;
  ignore: IgnoreRule[];
}

export class ConfigError extends Error {}

/**
 * Validates a parsed config; unknown check ids are errors (a typo would silently do nothing).
 * Messages name the path in the file: `checks.kapi-foo: unknown check`.
 */
export function resolveConfig(raw: unknown, knownChecks: readonly string[], origin = 'config'): ReviewConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new ConfigError(`${origin}: ${lines.join('; ')}`);
  }
  const c = parsed.data;
  const known = new Set(knownChecks);
  const unknown: string[] = [];
  const disabled: string[] = [];
  const sev: Record<string, 'error' | 'warning' | 'info'> = {};
  const options: Record<string, Record<string, unknown>> = {};
  for (const [id, setting] of Object.entries(c.checks ?? {})) {
    if (!known.has(id)) unknown.push(`checks.${id}: unknown check`);
    if (setting === 'off') disabled.push(id);
    else if (typeof setting === 'string') sev[id] = setting;
    else {
      if (setting.severity === 'off') disabled.push(id);
      else if (setting.severity) sev[id] = setting.severity;
      if (setting.options) options[id] = setting.options;
    }
  }
  const ignore: IgnoreRule[] = (c.ignore ?? []).map((e) => (typeof e === 'string' ? { check: e } : e));
  for (const [i, r] of ignore.entries())
    if (!known.has(r.check)) unknown.push(`ignore.${i}: unknown check ${r.check}`);
  if (unknown.length > 0) throw new ConfigError(`${origin}: ${unknown.join('; ')}`);
  return { filter: c.filter ?? 'added', checks: { disabled, severity: sev, options }, ignore };
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

/** Reads a config file; a missing default file is an empty config, a missing named file an error. */
export async function loadConfig(
  path: string | null,
  knownChecks: readonly string[],
  fallback = '.kapi-review.yml',
): Promise<ReviewConfig> {
  const file = path ?? fallback;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (path === null && (e as NodeJS.ErrnoException).code === 'ENOENT')
      return resolveConfig({}, knownChecks);
    throw new ConfigError(
      `cannot read config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return parseConfigText(text, knownChecks, file);
}

export function isIgnored(f: Finding, rules: readonly IgnoreRule[]): boolean {
  return rules.some(
    (r) =>
      r.check === f.check &&
      (r.spec === undefined || r.spec === f.spec) &&
      (r.subject === undefined || r.subject === f.subject),
  );
}
