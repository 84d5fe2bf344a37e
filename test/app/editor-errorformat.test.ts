/**
 * `kapi-review check`'s text through an editor's error parser: only the finding lines may be
 * locations. The parser is the real vim (`:cgetfile` with the compiled-in default 'errorformat',
 * whose `%f:%l:%m` takes any text before a `:N:` for a file name), and a gcc-style scanner that
 * takes any `path:N:` in a line, as terminals' link detectors and looser problem matchers do.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTerminal } from '../../reporters/terminal.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot, requireVim, scratchDir, vim } from '../helpers/tools.js';
import { sampleReport } from '../reporters/sample.js';

const runTests = requireVim('editor errorformat');

interface QfEntry {
  valid: boolean;
  file: string;
  line: number;
}

/** vim's quickfix list for `text`, read with the default errorformat. */
function quickfix(text: string): QfEntry[] {
  const dir = scratchDir('kapi-efm-');
  const input = join(dir, 'review.txt');
  const output = join(dir, 'qf.tsv');
  writeFileSync(input, text);
  const r = spawnSync(
    vim,
    [
      '-u',
      'NONE',
      '-i',
      'NONE',
      '-N',
      '-n',
      '-es',
      '-c',
      'set errorformat&',
      '-c',
      `cgetfile ${input}`,
      '-c',
      `call writefile(map(getqflist(), {_, e -> printf("%d\\t%s\\t%d", e.valid, bufname(e.bufnr), e.lnum)}), '${output}')`,
      '-c',
      'qa!',
    ],
    { cwd: dir, input: '', encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`vim exited ${r.status}: ${r.stderr}`);
  return readFileSync(output, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [valid, file, line] = l.split('\t');
      return { valid: valid === '1', file: file ?? '', line: Number(line) };
    });
}

/** The locations a gcc-style scanner finds: any `path:N:` in any line. */
function gccStyle(text: string): string[] {
  return [...text.matchAll(/(?:^|\s)([^\s:]+):(\d+):/gm)].map((m) => `${m[1]}:${m[2]}`);
}

/** The finding lines of a text report, as locations. */
function findingLocations(text: string): string[] {
  return [...text.matchAll(/^(\S+):(\d+): (?:ERROR|WARNING|CHECK):/gm)].map((m) => `${m[1]}:${m[2]}`);
}

const checkText = async (args: string[]): Promise<string> => (await runCli(['check', ...args])).out;

const fixture = (...p: string[]): string => join(repoRoot, 'fixtures', ...p);

describe.skipIf(!runTests)('check --format text in an editor', () => {
  it('the harness sees a location where there is one (the old evidence form was one)', () => {
    const old = 'a.c:3: ERROR:x: y\n  spec: kernel/frob.c:21: DEFINE_KERNEL_API_SPEC(sys_frob)\n';
    expect(quickfix(old).filter((e) => e.valid)).toEqual([
      { valid: true, file: 'a.c', line: 3 },
      { valid: true, file: 'spec: kernel/frob.c', line: 21 },
    ]);
    expect(gccStyle(old)).toEqual(['a.c:3', 'kernel/frob.c:21']);
  });

  it.each([
    [
      'frob v1 and v2 on their tree',
      [
        '--tree',
        fixture('tree-frob'),
        fixture('mail', 'base-frob-v1.mbox'),
        fixture('mail', 'revision-frob-v2.mbox'),
      ],
    ],
    ['widget v1 on its hunks', [fixture('b4', 'widget-v1.mbox')]],
    [
      'frob v1 with every finding inside the filter',
      ['--filter', 'none', '--tree', fixture('tree-frob'), fixture('mail', 'base-frob-v1.mbox')],
    ],
  ])('%s: only the finding lines are locations', async (_name, args) => {
    const text = await checkText(args);
    const findings = findingLocations(text);
    expect(findings.length).toBeGreaterThan(0);
    // evidence is there, and it is not a location
    expect(text).toMatch(/^ {2}(spec|code|evidence) at \S+ line \d+: /m);
    const qf = quickfix(text);
    expect(qf.length).toBe(text.split('\n').length - 1);
    expect(qf.filter((e) => e.valid).map((e) => `${e.file}:${e.line}`)).toEqual(findings);
    expect(gccStyle(text)).toEqual(findings);
  });

  it('a whole report (outside the diff, a crash, notes, the total) has no other location', () => {
    const text = renderTerminal(sampleReport(), { colour: false });
    const findings = findingLocations(text);
    expect(findings).toEqual(['kernel/frob.c:42', 'mm/mlock.c:7', 'kernel/frob.c:20']);
    expect(
      quickfix(text)
        .filter((e) => e.valid)
        .map((e) => `${e.file}:${e.line}`),
    ).toEqual(findings);
    expect(gccStyle(text)).toEqual(findings);
  });

  it('the line format is all locations', async () => {
    const text = await checkText(['--format', 'line', fixture('b4', 'widget-v1.mbox')]);
    expect(quickfix(text).map((e) => [e.valid, e.file, e.line])).toEqual([
      [true, 'kernel/wodget.c', 31],
      [true, 'kernel/wodget.c', 42],
    ]);
  });
});
