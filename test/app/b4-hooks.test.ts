/**
 * kapi-review as b4's check command, with the real b4 (0.15.2, from its source on Debian's
 * python3: test/helpers/tools.ts) and the exact `git config` lines of README.md:
 * - `b4 --offline-mode am --check` on a local mbox, with b4.am-perpatch-check-cmd: b4 lists each
 *   line kapi-review prints under its patch (a line with `ERROR:` flagged as a failure, any other
 *   as a warning), and "passed all checks" for a patch without findings;
 * - `b4 --offline-mode prep --check` on a branch b4 prep made, with b4.prep-perpatch-check-cmd;
 * - b4.review.checks.run_perpatch_checks(), what `b4 review` runs, with
 *   b4.review-perpatch-check-cmd: the JSON result, stored in and read back from b4's own cache,
 *   with `details` as the list of {status, description} b4's detail view colours.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type B4World, b4World, repoRoot, requireB4, runB4, runPython } from '../helpers/tools.js';

const runTests = requireB4('b4 hooks');

const WIDGET = join(repoRoot, 'fixtures', 'b4', 'widget-v1.mbox');
const GAUGE = join(repoRoot, 'fixtures', 'b4', 'gauge-v1.mbox');
const COVER = join(repoRoot, 'fixtures', 'b4', 'cover-only.eml');
const SCRIPT = join(repoRoot, 'test', 'helpers', 'b4_review_checks.py');

const UNREACHABLE =
  'kernel/wodget.c:31: WARNING:kapi-error-unreachable: sys_wodget lists ENOMEM, but sys_wodget() can never return it (it returns only -EBADF, -EPERM)';
const UNDOCUMENTED =
  'kernel/wodget.c:42: ERROR:kapi-error-undocumented: sys_wodget can return -EPERM here, but its spec does not list EPERM';

/** The `git config KEY 'VALUE'` lines of README.md, by key. */
function readmeGitConfig(): Map<string, string> {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const lines = new Map<string, string>();
  for (const m of readme.matchAll(/^git config (b4\.[\w-]+) '([^']*)'$/gm)) lines.set(m[1] ?? '', m[2] ?? '');
  return lines;
}

// b4's CI flags (src/b4/__init__.py CI_FLAGS_FANCY), by the escape sequence before the bullet
const FLAGS: Record<string, string> = { '32': 'success', '31': 'warning', '31;5': 'fail' };

/**
 * What `b4 am --check` printed under each patch: `[PATCH 1/2] subject` -> [flag, text] for each
 * check line (b4 writes its report to stderr through its logger).
 */
function checkLines(log: string): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  let patch: [string, string][] | null = null;
  for (const line of log.split('\n')) {
    const head = /^ {2}(?:\S+ )?(\[PATCH[^\]]*\].*)$/.exec(line);
    if (head) {
      patch = [];
      out.set(head[1] ?? '', patch);
      continue;
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: b4's flags are ANSI-coloured bullets
    const check = /^ {4}\x1b\[([\d;]+)m\u25cf\x1b\[0m (.*)$/.exec(line);
    if (check && patch) patch.push([FLAGS[check[1] ?? ''] ?? `?${check[1]}`, check[2] ?? '']);
  }
  return out;
}

describe('the README configures b4', () => {
  it('with the lines these tests use', () => {
    const config = readmeGitConfig();
    expect([...config.keys()]).toEqual([
      'b4.am-perpatch-check-cmd',
      'b4.prep-perpatch-check-cmd',
      'b4.review-perpatch-check-cmd',
    ]);
    expect(config.get('b4.am-perpatch-check-cmd')).toMatch(/--format line/);
    expect(config.get('b4.prep-perpatch-check-cmd')).toBe(config.get('b4.am-perpatch-check-cmd'));
    expect(config.get('b4.review-perpatch-check-cmd')).toMatch(/--format b4/);
  });
});

describe.skipIf(!runTests)('b4 --offline-mode am --check with b4.am-perpatch-check-cmd', () => {
  const amConfig = (): Record<string, string> => ({
    'b4.am-perpatch-check-cmd': readmeGitConfig().get('b4.am-perpatch-check-cmd') ?? '',
  });

  it('lists the findings of the patch that has them and passes the clean one', () => {
    const world = b4World(amConfig());
    const r = runB4(world, ['--offline-mode', 'am', '--check', '-m', WIDGET, '-o', join(world.dir, 'out')]);
    expect(r.code).toBe(0);
    const lines = checkLines(r.err + r.out);
    expect(lines.get('[PATCH 1/2] widget: add the widget syscall')).toEqual([
      ['success', 'kapi-review: passed all checks'],
    ]);
    expect(lines.get('[PATCH 2/2] wodget: add the wodget syscall')).toEqual([
      ['warning', `kapi-review: ${UNREACHABLE}`],
      ['fail', `kapi-review: ${UNDOCUMENTED}`],
    ]);
    expect(lines.size).toBe(2);
  });

  it('says "passed all checks" for every patch of a clean series', () => {
    const world = b4World(amConfig());
    const r = runB4(world, ['--offline-mode', 'am', '--check', '-m', GAUGE, '-o', join(world.dir, 'out')]);
    expect(r.code).toBe(0);
    const lines = checkLines(r.err + r.out);
    expect([...lines.entries()]).toEqual([
      ['[PATCH 1/2] gauge: add the gauge syscall', [['success', 'kapi-review: passed all checks']]],
      ['[PATCH 2/2] gadge: add the gadge syscall', [['success', 'kapi-review: passed all checks']]],
    ]);
  });

  it("passes a cover letter alone through b4's own runner (run_local_check)", () => {
    const world = b4World(amConfig());
    const r = runPython(world, SCRIPT, ['--local-check', COVER]);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toEqual([
      {
        msgid: '20260406100000.gauge-v1-0@example.org',
        report: [['success', 'kapi-review: passed all checks']],
      },
    ]);
  });
});

/** Runs git in the world's repository; throws when it fails. */
function git(world: B4World, args: string[], input?: string): string {
  const r = spawnSync('git', args, { cwd: world.repo, env: world.env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!runTests)('b4 --offline-mode prep --check with b4.prep-perpatch-check-cmd', () => {
  it("checks each commit of the series being prepared, as b4's checkpatch hook would", () => {
    const world = b4World({
      'b4.prep-perpatch-check-cmd': readmeGitConfig().get('b4.prep-perpatch-check-cmd') ?? '',
      'user.name': 'Test',
      'user.email': 'test@example.org', // the committer of tools.ts's world: b4 prep checks it
    });
    mkdirSync(join(world.repo, 'kernel'));
    writeFileSync(
      join(world.repo, 'kernel', 'Makefile'),
      '# SPDX-License-Identifier: GPL-2.0\nobj-y += base.o\n',
    );
    git(world, ['add', '.']);
    git(world, ['commit', '-q', '-m', 'kernel: initial import']);
    const prep = runB4(world, ['--offline-mode', 'prep', '-n', 'widget', '-f', 'master']);
    expect(prep.code).toBe(0);
    // the patches of the series, without their cover letter (b4 prep made its own)
    const mbox = readFileSync(WIDGET, 'utf8');
    git(world, ['am', '-q'], mbox.slice(mbox.indexOf('\nFrom ') + 1));
    const r = runB4(world, ['--offline-mode', 'prep', '--check']);
    expect(r.err + r.out).not.toMatch(/CRITICAL|Traceback/);
    const log = (r.err + r.out).split('\n');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: b4's flags are ANSI-coloured bullets
    const bullet = /^( *)\x1b\[([\d;]+)m\u25cf\x1b\[0m (?:[0-9a-f]{12}: )?(.*)$/;
    const lines = log.flatMap((l) => {
      const m = bullet.exec(l);
      return m ? [[m[1] ? 'check' : 'patch', FLAGS[m[2] ?? ''], m[3]]] : [];
    });
    expect(lines).toEqual([
      ['patch', 'success', 'widget: add the widget syscall'],
      ['patch', 'fail', 'wodget: add the wodget syscall'],
      ['check', 'warning', `kapi-review: ${UNREACHABLE}`],
      ['check', 'fail', `kapi-review: ${UNDOCUMENTED}`],
    ]);
    expect(log).toContain('Success: 1, Warning: 1, Error: 1');
  });
});

interface ReviewRun {
  cmds: string[];
  patches: {
    msgid: string;
    subject: string;
    results: { tool: string; status: string; summary: string; details_list: unknown }[];
  }[];
}

describe.skipIf(!runTests)("b4 review's run_perpatch_checks() with b4.review-perpatch-check-cmd", () => {
  const reviewConfig = (): Record<string, string> => ({
    'b4.review-perpatch-check-cmd': readmeGitConfig().get('b4.review-perpatch-check-cmd') ?? '',
  });

  it("stores one result per patch, details as the list b4's own checks give", () => {
    const world = b4World(reviewConfig());
    const r = runPython(world, SCRIPT, [WIDGET]);
    expect(r.err).toBe('');
    const run = JSON.parse(r.out) as ReviewRun;
    expect(run.cmds).toEqual([reviewConfig()['b4.review-perpatch-check-cmd']]);
    expect(run.patches.map((p) => p.msgid)).toEqual([
      '20260406090000.widget-v1-1@example.org',
      '20260406090000.widget-v1-2@example.org',
    ]);
    const [clean, found] = run.patches;
    expect(clean?.results).toHaveLength(1);
    expect(clean?.results[0]).toMatchObject({ tool: 'kapi-review', status: 'pass', summary: 'no findings' });
    expect(found?.results).toHaveLength(1);
    expect(found?.results[0]).toMatchObject({
      tool: 'kapi-review',
      status: 'fail',
      summary: '1 error, 1 warning',
    });
    const details = found?.results[0]?.details_list as { status: string; description: string }[];
    expect(details.slice(0, 2).map((d) => [d.status, d.description.split('\n')[0]])).toEqual([
      ['warn', UNREACHABLE],
      ['fail', UNDOCUMENTED],
    ]);
    // the evidence rides under its finding line; then the notes, as passes
    expect(details[1]?.description).toContain('\n  code at kernel/wodget.c line 42: return -EPERM;');
    for (const d of details.slice(2)) expect(d).toMatchObject({ status: 'pass', description: /^note: / });
    for (const d of details) expect(Object.keys(d)).toEqual(['status', 'description']);
  });
});
