/**
 * The review configuration of a command: the file --config names, else ./.kapi-review.yml when
 * present, validated against every registered check. A bad file is the user's to fix: a
 * UsageError with the loader's message.
 */
import { CHECKS } from '../../checks/index.js';
import { ConfigError, loadConfig, type ReviewConfig } from '../config/index.js';
import { UsageError } from './usage.js';

export async function commandConfig(path: string | undefined): Promise<ReviewConfig> {
  try {
    return await loadConfig(
      path ?? null,
      CHECKS.map((c) => c.meta.id),
    );
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
}
