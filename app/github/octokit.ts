/**
 * The Octokit the app runs with: Probot's own (throttling, retry, pagination, config) with rate
 * limit handlers that wait and retry. Probot 14's default handler for secondary rate limits only
 * logs, so a review posted into one would be lost; here both kinds are retried a bounded number
 * of times, after the wait GitHub asks for (Retry-After, or the reset time), if that wait is not
 * absurd. 5xx answers are retried by Probot's retry plugin (3 times, 1 s, 4 s, 9 s).
 */
import { ProbotOctokit } from 'probot';

const RATE_LIMIT_RETRIES = 3;
/** Longer waits are not worth holding a review for; the run fails and says so in the log. */
const MAX_WAIT_SECONDS = 15 * 60;

interface Limiter {
  schedule: (...args: never[]) => unknown;
}

export interface OctokitTuning {
  /**
   * Bottleneck groups pacing writes (GitHub asks for a second between writes, three between
   * writes that notify). Tests pass faster ones; production keeps the plugin's.
   */
  write?: unknown;
  notifications?: unknown;
}

type Log = { warn: (msg: string) => void };
type Handler = (
  retryAfter: number,
  options: { method: string; url: string },
  octokit: { log: Log },
  retryCount: number,
) => boolean;

const retrying =
  (what: string): Handler =>
  (retryAfter, options, octokit, retryCount) => {
    const again = retryCount < RATE_LIMIT_RETRIES && retryAfter <= MAX_WAIT_SECONDS;
    octokit.log.warn(
      `${what} on ${options.method} ${options.url}: ${again ? `retrying in ${retryAfter} s (retry ${retryCount + 1} of ${RATE_LIMIT_RETRIES})` : 'giving up'}`,
    );
    return again;
  };

export function createOctokit(tuning: OctokitTuning = {}): typeof ProbotOctokit {
  return ProbotOctokit.defaults((options: Record<string, unknown>) => ({
    ...options,
    throttle: {
      ...(options.throttle as Record<string, unknown> | undefined),
      onSecondaryRateLimit: retrying('secondary rate limit'),
      onRateLimit: retrying('rate limit'),
      ...(tuning.write ? { write: tuning.write as Limiter } : {}),
      ...(tuning.notifications ? { notifications: tuning.notifications as Limiter } : {}),
    },
  })) as typeof ProbotOctokit;
}
