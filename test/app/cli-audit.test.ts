import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { treeWithSeries } from '../../app/context/series-tree.js';
import { collectMails } from '../../app/io/inputs.js';
import { buildSeries } from '../../parsers/series.js';
import type { FindingJson, ReviewJson } from '../../reporters/json.js';
import { runCli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/tools.js';

const V1 = 'fixtures/mail/base-frob-v1.mbox';
const V2 = 'fixtures/mail/revision-frob-v2.mbox';
const TREE = 'fixtures/tree-frob';

/**
 * A finding as audit and check must agree on it. The line aside (a later patch may move it), and
 * the severity aside: kapi-error-undocumented grades an errno return the patch adds as an error and
 * one already in the code as a warning (the spec is incomplete), and in an audit nothing is added.
 */
const same = (f: FindingJson): string =>
  [f.fingerprint, f.check, f.spec, f.subject, f.path, f.message].join(' | ');

/** The frob tree with every patch of a revision applied, on disk. */
async function frobTreeAfter(mbox: string, key: string): Promise<string> {
  const read = await collectMails([mbox]);
  const series = buildSeries(read.mails, read.dropped).value.series[0];
  if (!series) throw new Error(`no series in ${mbox}`);
  const patches = [...series.patches]
    .sort((a, b) => a.counter - b.counter)
    .map((p) => ({ messageId: p.mail.messageId, label: p.mail.subject, files: p.mail.files }));
  const t = await treeWithSeries(TREE, patches, join(scratchDir('kapi-audit-'), 'tree'), key);
  expect(t.failed).toEqual([]);
  expect(t.written).toEqual(['kernel/frob.c']);
  return t.dir;
}

describe('kapi-review audit: the same findings and fingerprints as check', () => {
  let afterV1 = '';
  let afterV2 = '';
  beforeAll(async () => {
    afterV1 = await frobTreeAfter(V1, 'v1');
    afterV2 = await frobTreeAfter(V2, 'v2');
  });

  it('finds on the tree after v1 what check finds on v1, with the same fingerprints, lines and messages', async () => {
    const check = await runCli(['check', '--tree', TREE, '--filter', 'none', '--format', 'json', V1]);
    const reviewed = JSON.parse(check.out) as ReviewJson;
    const expected = [...reviewed.findings, ...reviewed.outside];
    expect(expected.map((f) => `${f.check} ${f.subject}`).sort()).toEqual([
      'kapi-deprecated-form form:macro',
      'kapi-error-undocumented EPERM',
    ]);
    const audit = await runCli(['audit', afterV1, '--format', 'json']);
    const found = JSON.parse(audit.out) as ReviewJson;
    expect(found.series).toEqual([]);
    expect(found.outside).toEqual([]);
    expect(found.findings.map(same).sort()).toEqual(expected.map(same).sort());
    // nothing later in v1 moved them: the lines agree too, and no finding names a mail
    expect(found.findings.map((f) => `${f.fingerprint}:${f.line}`).sort()).toEqual(
      expected.map((f) => `${f.fingerprint}:${f.line}`).sort(),
    );
    expect(found.findings.every((f) => f.messageId === null)).toBe(true);
    // v1 3/3 added the -EPERM return (an error in its review); in the tree it is code like any
    // other, so the spec is incomplete (a warning), and nothing at error severity: exit 0
    const grade = (r: FindingJson[]) => r.map((f) => `${f.check} ${f.severity}`).sort();
    expect(grade(expected)).toEqual(['kapi-deprecated-form warning', 'kapi-error-undocumented error']);
    expect(grade(found.findings)).toEqual([
      'kapi-deprecated-form warning',
      'kapi-error-undocumented warning',
    ]);
    expect(audit.code).toBe(0);
    expect((await runCli(['audit', afterV1, '--fail-on', 'warning'])).code).toBe(1);
    expect(found.notes[0]).toBe(`audited ${afterV1}: 1 of 1 C files may carry a spec, 1 do`);
  });

  it('on the tree after v2, which documents EPERM, only what v2 left', async () => {
    const audit = JSON.parse((await runCli(['audit', afterV2, '--format', 'json'])).out) as ReviewJson;
    const check = JSON.parse(
      (await runCli(['check', '--tree', TREE, '--filter', 'none', '--format', 'json', V2])).out,
    ) as ReviewJson;
    const checked = [...check.findings, ...check.outside];
    expect(audit.findings.map(same).sort()).toEqual(checked.map(same).sort());
    expect(audit.findings.some((f) => f.subject === 'EPERM')).toBe(false);
  });

  it('text: one block per finding and the closing total; --ignore silences and says so', async () => {
    const text = await runCli(['audit', afterV1]);
    expect(text.out).toMatch(
      /^kernel\/frob\.c:\d+: WARNING:kapi-error-undocumented: sys_frob can return -EPERM/m,
    );
    expect(text.out).toMatch(/total: 0 errors, 2 warnings, 0 checks\n$/);
    expect(text.err).toBe('');
    const quiet = await runCli(['audit', afterV1, '--ignore', 'kapi-error-undocumented']);
    expect(quiet.out).toContain('note: 1 finding(s) silenced by the configuration');
    expect(quiet.out).toMatch(/total: 0 errors, 1 warnings, 0 checks\n$/);
    expect(await runCli(['audit', afterV1, '--ignore', 'no-such-check'])).toMatchObject({ code: 2, out: '' });
  });

  it('SARIF: every finding a result with its fingerprint, for code scanning', async () => {
    const json = JSON.parse((await runCli(['audit', afterV1, '--format', 'json'])).out) as ReviewJson;
    const sarif = JSON.parse((await runCli(['audit', afterV1, '--format', 'sarif'])).out) as {
      version: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string }[] } };
        results: {
          ruleId: string;
          level: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
          partialFingerprints: Record<string, string>;
          properties: { outsideDiff: boolean };
        }[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run?.tool.driver.name).toBe('kapi-review');
    expect(run?.results.map((r) => r.partialFingerprints['kapiReview/v1']).sort()).toEqual(
      json.findings.map((f) => f.fingerprint).sort(),
    );
    for (const r of run?.results ?? []) {
      // paths relative to the tree, as GitHub matches them against the checkout
      expect(r.locations[0]?.physicalLocation.artifactLocation.uri).toBe('kernel/frob.c');
      expect(r.locations[0]?.physicalLocation.region.startLine).toBeGreaterThan(0);
      expect(r.properties.outsideDiff).toBe(false);
      expect(run?.tool.driver.rules.map((x) => x.id)).toContain(r.ruleId);
    }
  });

  it('C files given by name are named as given, relative to the current folder', async () => {
    const r = await runCli(['audit', 'fixtures/kapi/frob.macro.c', '--format', 'json']);
    const report = JSON.parse(r.out) as ReviewJson;
    expect(report.findings.length).toBeGreaterThan(0);
    expect(new Set(report.findings.map((f) => f.path))).toEqual(new Set(['fixtures/kapi/frob.macro.c']));
  });

  it('a folder without C files, or a missing one, is a usage error', async () => {
    const empty = scratchDir('kapi-audit-empty-');
    writeFileSync(join(empty, 'notes.txt'), 'no C here\n');
    expect(await runCli(['audit', empty])).toEqual({
      code: 2,
      out: '',
      err: `kapi-review: no .c or .h file in ${empty}\n`,
    });
    const missing = await runCli(['audit', join(empty, 'nowhere')]);
    expect(missing).toMatchObject({ code: 2, out: '' });
    expect(missing.err).toMatch(/^kapi-review: .*nowhere/);
  });
});

describe('kapi-review audit --since REV', () => {
  const git = (dir: string, ...args: string[]): string =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args], {
      encoding: 'utf8',
    });

  it('audits only the files that changed since the revision', async () => {
    const dir = scratchDir('kapi-audit-git-');
    mkdirSync(join(dir, 'kernel'));
    copyFileSync('fixtures/kapi/frob.macro.c', join(dir, 'kernel', 'frob.c'));
    copyFileSync('fixtures/kapi/widget-ioctl.macro.c', join(dir, 'kernel', 'widget.c'));
    git(dir, 'init', '-q');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'base');
    const all = JSON.parse((await runCli(['audit', dir, '--format', 'json'])).out) as ReviewJson;
    expect(new Set(all.findings.map((f) => f.path))).toEqual(new Set(['kernel/frob.c', 'kernel/widget.c']));

    const none = JSON.parse(
      (await runCli(['audit', dir, '--since', 'HEAD', '--format', 'json'])).out,
    ) as ReviewJson;
    expect(none.findings).toEqual([]);
    expect(none.notes).toContain('--since HEAD: 0 of 2 C files changed');

    const widget = join(dir, 'kernel', 'widget.c');
    writeFileSync(widget, `${readFileSync(widget, 'utf8')}\n/* touched */\n`);
    const since = JSON.parse(
      (await runCli(['audit', dir, '--since', 'HEAD', '--format', 'json'])).out,
    ) as ReviewJson;
    expect(since.findings.length).toBeGreaterThan(0);
    expect(since.findings.map(same).sort()).toEqual(
      all.findings
        .filter((f) => f.path === 'kernel/widget.c')
        .map(same)
        .sort(),
    );
    expect(since.notes).toContain('--since HEAD: 1 of 2 C files changed');
  });

  it('an unknown revision, or a tree outside git, is a usage error', async () => {
    const dir = scratchDir('kapi-audit-git-');
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'a.c'), 'int a;\n');
    const bad = await runCli(['audit', dir, '--since', 'no-such-rev']);
    expect(bad).toEqual({
      code: 2,
      out: '',
      err: `kapi-review: --since no-such-rev: no such revision in ${dir}\n`,
    });
    const plain = scratchDir('kapi-audit-plain-');
    writeFileSync(join(plain, 'a.c'), 'int a;\n');
    const outside = await runCli(['audit', plain, '--since', 'HEAD']);
    expect(outside.code).toBe(2);
    expect(outside.err).toMatch(/^kapi-review: --since needs a git checkout/);
  });
});

describe('check on something that is not mail points at audit', () => {
  it('a C file: exit 2, says so, names the audit command', async () => {
    const r = await runCli(['check', 'fixtures/kapi/frob.macro.c']);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toMatch(/^kapi-review: no mail in fixtures\/kapi\/frob\.macro\.c \(/);
    expect(r.err).toContain(
      'fixtures/kapi/frob.macro.c is C source: to check the specs in C files as they stand, run: kapi-review audit fixtures/kapi/frob.macro.c\n',
    );
    // in every format: b4 and editors read nothing on stdout and the exit code
    for (const format of ['line', 'json', 'sarif', 'b4'])
      expect(await runCli(['check', '--format', format, 'fixtures/kapi/frob.macro.c'])).toMatchObject({
        code: 2,
        out: '',
      });
  });

  it('a folder of C sources, and a kernel tree (whose stray diffs are not the input)', async () => {
    const r = await runCli(['check', TREE]);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toContain(
      `${TREE} holds C source: to check the specs in C files as they stand, run: kapi-review audit ${TREE}`,
    );
    const tree = scratchDir('kapi-kernel-');
    for (const f of ['Kbuild', 'Makefile']) writeFileSync(join(tree, f), '# build\n');
    mkdirSync(join(tree, 'tools'));
    // a kernel tree holds a few bare diffs; reviewing those would pass for a review of the tree
    writeFileSync(
      join(tree, 'tools', 'fix.patch'),
      'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n',
    );
    const t = await runCli(['check', tree]);
    expect(t).toEqual({
      code: 2,
      out: '',
      err: `kapi-review: ${tree} is a kernel tree, not mail: to check the specs in it as they stand, run: kapi-review audit ${tree}; to review patches on it, give it as --tree ${tree}\n`,
    });
    // as --tree it is what it should be
    expect((await runCli(['check', '--tree', resolve(tree), V1])).code).not.toBe(2);
  });
});

describe('docs/audit-workflow.yml: the sample scheduled workflow for code scanning', () => {
  it('audits the checkout to SARIF, tolerates exit 1 only, and uploads that file', async () => {
    const { parse } = await import('yaml');
    const wf = parse(readFileSync('docs/audit-workflow.yml', 'utf8')) as {
      on: { schedule: { cron: string }[] };
      permissions: Record<string, string>;
      jobs: { audit: { steps: { run?: string; uses?: string; with?: Record<string, string> }[] } };
    };
    expect(wf.on.schedule[0]?.cron).toMatch(/^(\S+ ){4}\S+$/);
    expect(wf.permissions['security-events']).toBe('write');
    const steps = wf.jobs.audit.steps;
    const audit = steps.find((s) => s.run?.includes('kapi-review audit'))?.run ?? '';
    const m = /^kapi-review audit (\S+) --format sarif > (\S+) \|\| \[ "\$\?" -eq 1 \]$/.exec(audit.trim());
    expect(m?.[1]).toBe('.');
    const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(upload?.with?.sarif_file).toBe(m?.[2]);
    // what that step writes, on a tree with findings: exit 0 or 1, SARIF 2.1.0 with relative paths
    const { code, out } = await runCli(['audit', 'fixtures/kapi', '--format', 'sarif']);
    expect([0, 1]).toContain(code);
    const sarif = JSON.parse(out) as {
      version: string;
      runs: { results: { message: { text: string } }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.results.length).toBeGreaterThan(0);
    for (const r of sarif.runs[0]?.results ?? []) expect(r.message.text.length).toBeGreaterThan(0);
  });
});
