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
import type { CheckConfig } from '../../checks/runner.js';
import type { Finding } from '../../checks/types.js';

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

/** The configuration when there is no file: every check at its default, the `added` filter. */
export function defaultConfig(): ReviewConfig {
  return { filter: 'added', checks: { disabled: [], severity: {}, options: {} }, ignore: [] };
}

/** Validates YAML text against the schema (loads zod and yaml on first use). */
export async function parseConfigText(
  text: string,
  knownChecks: readonly string[],
  origin: string,
): Promise<ReviewConfig> {
  const schema = await import('./schema.js');
  return schema.parseConfigText(text, knownChecks, origin);
}

/** Validates an already parsed config object (e.g. from Probot's config loader). */
export async function resolveConfig(
  raw: unknown,
  knownChecks: readonly string[],
  origin = 'config',
): Promise<ReviewConfig> {
  const schema = await import('./schema.js');
  return schema.resolveConfig(raw, knownChecks, origin);
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
    if (path === null && (e as NodeJS.ErrnoException).code === 'ENOENT') return defaultConfig();
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
