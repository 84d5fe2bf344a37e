/**
 * Runs before each test file: fixes fast-check's seed where a run must be repeatable. In CI
 * (CI set, as .ci/run does) every run draws the same cases, so a red CI means the change under
 * test broke something, not that a new case came up; the random search goes on in every local
 * run, which draws new cases each time. FC_SEED=<n> replays the cases of a seed (fast-check
 * prints the seed of a failure); FC_SEED=random draws new ones in CI too.
 */
import fc from 'fast-check';

const wanted = process.env.FC_SEED ?? (process.env.CI ? '20261207' : 'random');
if (wanted !== 'random') {
  const seed = Number(wanted);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", not ${wanted}`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
