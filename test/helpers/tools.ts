/**
 * The real tools some tests run: b4 (from its source, on Debian's python3) and vim. Each is
 * looked for once; without it its tests are skipped, saying so, except in CI (`CI` set, as
 * .ci/run does), which installs them: there a missing tool is an error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** b4's source tree: KAPI_B4_SRC, else ../shared/tools/b4-0.15.2/src beside the project. */
const b4Src = process.env.KAPI_B4_SRC ?? join(repoRoot, '..', 'shared', 'tools', 'b4-0.15.2', 'src');

/** Debian's python3, which has the packages b4 needs (not a python of a version manager). */
const python = process.env.KAPI_PYTHON ?? '/usr/bin/python3';

export const vim = process.env.KAPI_VIM ?? '/usr/bin/vim';

/** Why b4 cannot run here, or null when it can. */
function b4Missing(): string | null {
  if (!existsSync(join(b4Src, 'b4', '__init__.py')))
    return `b4's source is not at ${b4Src} (set KAPI_B4_SRC)`;
  if (!existsSync(python)) return `${python} is missing`;
  const r = spawnSync(python, ['-c', 'import b4, b4.review.checks, requests, dkim'], {
    env: { ...process.env, PYTHONPATH: b4Src },
    encoding: 'utf8',
  });
  if (r.status !== 0)
    return `b4 does not load on ${python}: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)} (apt-get install python3-requests python3-dkim git-filter-repo patatt)`;
  return null;
}

function vimMissing(): string | null {
  if (!existsSync(vim)) return `${vim} is missing (apt-get install vim)`;
  const r = spawnSync(vim, ['--version'], { encoding: 'utf8' });
  if (!/\+quickfix/.test(r.stdout ?? '')) return `${vim} has no quickfix (apt-get install vim)`;
  return null;
}

function requireTool(suite: string, missing: string | null): boolean {
  if (missing === null) return true;
  const msg = `${suite}: ${missing}`;
  if (process.env.CI) throw new Error(`${msg}; CI must install it (.ci/run does)`);
  console.warn(`${msg}; these tests are SKIPPED`);
  return false;
}

export const requireB4 = (suite: string): boolean => requireTool(suite, b4Missing());
export const requireVim = (suite: string): boolean => requireTool(suite, vimMissing());

/**
 * A scratch world for b4: its own HOME, XDG folders (b4 caches check results by command and
 * Message-ID there), no system or global git config, `kapi-review` on PATH (this checkout's
 * bin/, run from dist/), and a git repository for b4 to run in. `config` becomes GIT_CONFIG_*
 * variables, the way `git -c` passes configuration, so nothing of the user's is read or written.
 */
export interface B4World {
  dir: string;
  repo: string;
  env: NodeJS.ProcessEnv;
}

export function b4World(config: Record<string, string>): B4World {
  const dir = mkdtempSync(join(tmpdir(), 'kapi-b4-'));
  const bin = join(dir, 'bin');
  const repo = join(dir, 'repo');
  for (const d of [bin, repo, join(dir, 'home')]) mkdirSync(d);
  symlinkSync(join(repoRoot, 'bin', 'kapi-review.js'), join(bin, 'kapi-review'));
  const env: NodeJS.ProcessEnv = {
    PATH: [bin, process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
    HOME: join(dir, 'home'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.org',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.org',
    PYTHONPATH: b4Src,
    LANG: 'C.UTF-8',
  };
  const entries = Object.entries(config);
  env.GIT_CONFIG_COUNT = String(entries.length);
  for (const [i, [key, value]] of entries.entries()) {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  }
  const git = spawnSync('git', ['init', '-q', '-b', 'master', repo], { env, encoding: 'utf8' });
  if (git.status !== 0) throw new Error(`git init: ${git.stderr}`);
  return { dir, repo, env };
}

/** Runs b4 (its command line, as the b4 script does) in the world's repository. */
export function runB4(world: B4World, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(
    python,
    ['-c', 'import sys, b4.command; sys.argv[0] = "b4"; b4.command.cmd()', ...args],
    { cwd: world.repo, env: world.env, encoding: 'utf8', timeout: 120_000 },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs a Python script with b4 importable, in the world's repository. */
export function runPython(
  world: B4World,
  script: string,
  args: string[],
): { code: number | null; out: string; err: string } {
  const r = spawnSync(python, [script, ...args], {
    cwd: world.repo,
    env: world.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A scratch folder. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
