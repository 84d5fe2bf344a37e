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
 *   github:                  # the GitHub App only
 *     paths: [mm/, kernel/frob.c]   # review only these files (prefix or exact path)
 *     max-inline: 20         # inline comments per review (at most 50)
 *   limits:                  # what one review may take (app/review/limits.ts); over one, the
 *     spec-entries: 5000     #   review is reported as too large to review, never half done
 *     hunks: 20000
 *     file-mb: 4
 *     seconds: 60
 */

import type { DiffFilter } from '../../checks/review.js';
import type { CheckConfig } from '../../checks/runner.js';
import type { Finding } from '../../checks/types.js';
import { FileError, readRegularFile } from '../io/files.js';
import { DEFAULT_LIMITS, type ReviewLimits } from '../review/limits.js';

export interface IgnoreRule {
  check: string;
  spec?: string;
  subject?: string;
}

export interface ReviewConfig {
  filter: DiffFilter;
  checks: CheckConfig;
  ignore: IgnoreRule[];
  /** The GitHub App's settings; the CLI and the mail bot ignore them. */
  github: GithubSettings;
  /** What one review may take; a review over a limit is reported as too large to review. */
  limits: ReviewLimits;
}

export interface GithubSettings {
  /** When not empty, only files under these prefixes (or these exact paths) are reviewed. */
  paths: string[];
  /** Inline comments per review; the rest go into the review body. */
  maxInline: number;
}

/** GitHub's own limit is higher; 50 keeps a review readable. */
export const MAX_INLINE = 50;

export class ConfigError extends Error {}

/** The configuration when there is no file: every check at its default, the `added` filter. */
export function defaultConfig(): ReviewConfig {
  return {
    filter: 'added',
    checks: { disabled: [], severity: {}, options: {} },
    ignore: [],
    github: { paths: [], maxInline: MAX_INLINE },
    limits: { ...DEFAULT_LIMITS },
  };
}

/** Validates YAML text against the schema (loads yaml and the schema on first use). */
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
    // a regular file only: a FIFO or a device would block or never end
    text = await readRegularFile(file);
  } catch (e) {
    if (!(e instanceof FileError)) throw e;
    if (path === null && e.code === 'ENOENT') return defaultConfig();
    throw new ConfigError(
      e.code ? `cannot read config ${file}: ${e.code}` : `cannot read config ${file}: ${e.message}`,
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
