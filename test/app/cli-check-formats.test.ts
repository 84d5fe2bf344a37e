/**
 * `kapi-review check` as checkpatch users and b4's hooks use it: the line format, --fail-on, the
 * colour switches and NO_COLOR, and inputs with nothing to review. The real b4 runs in
 * test/app/b4-hooks.test.ts; these run the CLI in process.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useColour } from '../../app/cli/colour.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot, scratchDir } from '../helpers/tools.js';

const WIDGET = join(repoRoot, 'fixtures', 'b4', 'widget-v1.mbox');
const GAUGE = join(repoRoot, 'fixtures', 'b4', 'gauge-v1.mbox');
const COVER = join(repoRoot, 'fixtures', 'b4', 'cover-only.eml');
const TREE = join(repoRoot, 'fixtures', 'tree-frob');
const V2 = join(repoRoot, 'fixtures', 'mail', 'revision-frob-v2.mbox');

const WIDGET_LINES = [
  'kernel/wodget.c:31: WARNING:kapi-error-unreachable: sys_wodget lists ENOMEM, but sys_wodget() can never return it (it returns only -EBADF, -EPERM)',
  'kernel/wodget.c:42: ERROR:kapi-error-undocumented: sys_wodget can return -EPERM here, but its spec does not list EPERM',
];

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for colour is the point
const ANSI = /\x1b\[[0-9;]*m/;

const run = (argv: string[], stdin?: string) => runCli(['check', ...argv], stdin);

describe('check --format line', () => {
  it('prints one line per finding and nothing else; exit 1 on the error', async () => {
    expect(await run(['--format', 'line', WIDGET])).toEqual({
      code: 1,
      out: `${WIDGET_LINES.join('\n')}\n`,
      err: '',
    });
  });

  it('prints nothing at all for a clean series, a cover letter alone, or mail without a patch', async () => {
    expect(await run(['--format', 'line', GAUGE])).toEqual({ code: 0, out: '', err: '' });
    expect(await run(['--format', 'line', COVER])).toEqual({ code: 0, out: '', err: '' });
    const question = 'From: A <a@example.org>\nSubject: a question\nMessage-ID: <q@example.org>\n\nhello\n';
    expect(await run(['--format', 'line', '-'], question)).toEqual({ code: 0, out: '', err: '' });
  });

  it('a cover letter alone is a pass for b4 review too', async () => {
    const r = await run(['--format', 'b4', '-'], readFileSync(COVER, 'utf8'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject([{ tool: 'kapi-review', status: 'pass' }]);
  });

  it('says on stderr, not as a line, that a series was too large to review', async () => {
    const dir = scratchDir('kapi-line-');
    const config = join(dir, 'kapi.yml');
    writeFileSync(config, 'limits:\n  hunks: 1\n');
    const r = await run(['--format', 'line', '--config', config, WIDGET]);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^kapi-review: too large to review: .*\n$/);
  });
});

describe('check --fail-on', () => {
  it('warning fails on warnings as checkpatch does; error (the default) does not', async () => {
    // v2 on its tree: one warning, no error
    for (const format of ['text', 'line', 'json', 'sarif']) {
      expect((await run(['--format', format, '--tree', TREE, V2])).code).toBe(0);
      expect((await run(['--format', format, '--fail-on', 'warning', '--tree', TREE, V2])).code).toBe(1);
    }
    // b4 reads the verdict from the JSON, never from the exit code
    expect((await run(['--format', 'b4', '--fail-on', 'warning', '--tree', TREE, V2])).code).toBe(0);
  });

  it('refuses a level it does not know', async () => {
    const r = await run(['--fail-on', 'info', GAUGE]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--fail-on.*error, warning, check/);
  });

  it('the line format counts only the lines it printed', async () => {
    // a patch that makes a spec line wrong without touching it: the finding is outside `added`
    const dir = scratchDir('kapi-outside-');
    mkdirSync(join(dir, 'kernel'));
    const mbox = readFileSync(WIDGET, 'utf8');
    const added = mbox.slice(mbox.indexOf('+++ b/kernel/wodget.c'));
    const file = added
      .split('\n')
      .slice(2)
      .filter((l) => l.startsWith('+'))
      .map((l) => l.slice(1));
    writeFileSync(join(dir, 'kernel', 'wodget.c'), `${file.join('\n')}\n`);
    const patch = [
      'From: Cy Example <cy@example.org>',
      'Subject: [PATCH] wodget: never fail on a bad descriptor',
      'Message-ID: <wodget-ebadf@example.org>',
      '',
      '---',
      'diff --git a/kernel/wodget.c b/kernel/wodget.c',
      '--- a/kernel/wodget.c',
      '+++ b/kernel/wodget.c',
      '@@ -35,8 +35,6 @@ SYSCALL_DEFINE1(wodget, int, fd)',
      ' {',
      ' \tstruct fd f = fdget(fd);',
      ' ',
      '-\tif (!fd_file(f))',
      '-\t\treturn -EBADF;',
      ' \tif (!capable(CAP_SYS_ADMIN)) {',
      ' \t\tfdput(f);',
      ' \t\treturn -EPERM;',
      '',
    ].join('\n');
    const text = await run(['--fail-on', 'warning', '--tree', dir, '-'], patch);
    expect(text.out).toMatch(
      /outside the diff \(not inline\): 1\nkernel\/wodget.c:28: WARNING:kapi-error-unreachable/,
    );
    expect(text.code).toBe(1);
    expect(await run(['--format', 'line', '--fail-on', 'warning', '--tree', dir, '-'], patch)).toEqual({
      code: 0,
      out: '',
      err: '',
    });
  });
});

describe('check colour switches', () => {
  const saved = process.env.NO_COLOR;
  afterEach(() => {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  });

  it('--color and --colour turn colour on, --no-color and --no-colour off; the last one wins', async () => {
    const coloured = async (...flags: string[]): Promise<boolean> =>
      ANSI.test((await run([...flags, WIDGET])).out);
    expect(await coloured()).toBe(false);
    expect(await coloured('--colour')).toBe(true);
    expect(await coloured('--color')).toBe(true);
    expect(await coloured('--color', '--no-colour')).toBe(false);
    expect(await coloured('--colour', '--no-color')).toBe(false);
    expect(await coloured('--no-color', '--colour')).toBe(true);
    expect(await coloured('--format', 'line', '--color')).toBe(true);
  });

  it('NO_COLOR does not overrule an explicit --color', async () => {
    process.env.NO_COLOR = '1';
    expect(ANSI.test((await run(['--color', WIDGET])).out)).toBe(true);
  });

  it('follows no-color.org: NO_COLOR present and not empty turns colour off, unless a flag says', () => {
    expect(useColour(undefined, undefined, true)).toBe(true);
    expect(useColour(undefined, '1', true)).toBe(false);
    expect(useColour(undefined, 'false', true)).toBe(false);
    expect(useColour(undefined, '', true)).toBe(true);
    expect(useColour(true, '1', false)).toBe(true);
    expect(useColour(false, undefined, true)).toBe(false);
    expect(useColour(undefined, undefined, false)).toBe(false);
  });
});

describe('check on inputs with nothing to review', () => {
  it('text with no mail in it, on stdin or in a file: exit 2 and say so, in every format', async () => {
    const dir = scratchDir('kapi-nomail-');
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'hello\nthis is not a mail\n');
    for (const format of ['text', 'line', 'json', 'sarif', 'b4']) {
      expect(await run(['--format', format, '-'], 'hello\n')).toEqual({
        code: 2,
        out: '',
        err: 'kapi-review: no mail on stdin (1 message read, none with a From, Subject or Message-ID header or a diff)\n',
      });
      expect(await run(['--format', format, notes])).toMatchObject({ code: 2, out: '' });
      const folder = await run(['--format', format, dir]);
      expect(folder).toMatchObject({ code: 2, out: '' });
      expect(folder.err).toMatch(/^kapi-review: no mail in .* \(a folder is searched for/);
    }
  });

  it('a bare diff is something to review', async () => {
    const diff = 'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n';
    expect(await run(['--format', 'line', '-'], diff)).toEqual({ code: 0, out: '', err: '' });
  });
});
