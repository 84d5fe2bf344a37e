import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';

const V1 = 'fixtures/mail/base-frob-v1.mbox';
const V2 = 'fixtures/mail/revision-frob-v2.mbox';
const TREE = 'fixtures/tree-frob';

async function run(argv: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'kapi-review', ...argv], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    ...(stdin !== undefined ? { stdin: Readable.from([Buffer.from(stdin)]) } : {}),
  });
  return { code, out, err };
}

interface JsonReport {
  version: number;
  series: {
    title: string;
    revision: number;
    state: string;
    patches: { messageId: string; subject: string }[];
  }[];
  findings: Record<string, unknown>[];
  outside: unknown[];
}

describe('kapi-review check', () => {
  it('finds the undocumented -EPERM that v1 3/3 adds, and nothing in v2 which documents it', async () => {
    const r = await run(['check', '--tree', TREE, V1, V2]);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n').filter((l) => /^\S+:\d+: (ERROR|WARNING|CHECK):/.test(l));
    const form =
      'kernel/frob.c:21: WARNING:kapi-deprecated-form: sys_frob is a hand-written macro spec (the RFC v1/v2 form); include/linux/kernel_api_spec.h of PATCH v4 defines no *_END macros: specs are kerneldoc comments and the build generates the macros, so its 4 *_END/KAPI_END_SPEC macros no longer exist';
    // v1: the spec's form (2/3) and the -EPERM (3/3); v2: the form only
    expect(lines).toEqual([
      form,
      'kernel/frob.c:55: ERROR:kapi-error-undocumented: sys_frob can return -EPERM here, but its spec does not list EPERM',
      form,
    ]);
    expect(r.out).toContain('  code at kernel/frob.c line 55: return -EPERM;');
    expect(r.out).toContain('suggestion: \tKAPI_ERROR(2, -EPERM, "EPERM"');
    expect(r.out).toMatch(/total: 1 errors, 2 warnings, 0 checks/);
  });

  it('prints the JSON contract with the finding on the patch that introduced it', async () => {
    const r = await run(['check', '--tree', TREE, '--format', 'json', V1, V2]);
    const j = JSON.parse(r.out) as JsonReport;
    expect(j.version).toBe(1);
    expect(j.series.map((s) => [s.revision, s.state, s.patches.length])).toEqual([
      [1, 'complete', 3],
      [2, 'complete', 3],
    ]);
    expect(j.findings.map((x) => [x.check, x.messageId])).toEqual([
      ['kapi-deprecated-form', j.series[0]?.patches[1]?.messageId],
      ['kapi-error-undocumented', j.series[0]?.patches[2]?.messageId],
      ['kapi-deprecated-form', j.series[1]?.patches[1]?.messageId],
    ]);
    const f = j.findings[1] as Record<string, unknown>;
    expect(Object.keys(f)).toEqual([
      'check',
      'severity',
      'message',
      'path',
      'line',
      'messageId',
      'spec',
      'subject',
      'evidence',
      'suggestion',
      'fingerprint',
    ]);
    expect(f).toMatchObject({
      check: 'kapi-error-undocumented',
      severity: 'error',
      path: 'kernel/frob.c',
      line: 55,
      messageId: j.series[0]?.patches[2]?.messageId,
      spec: 'sys_frob',
      subject: 'EPERM',
    });
  });

  it('prints SARIF and the b4 verdict', async () => {
    const sarif = JSON.parse((await run(['check', '--tree', TREE, '--format', 'sarif', V1])).out) as {
      version: string;
      runs: { results: { ruleId: string; partialFingerprints: Record<string, string> }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.results.map((x) => x.ruleId)).toEqual([
      'kapi-deprecated-form',
      'kapi-error-undocumented',
    ]);
    const b4 = await run(['check', '--tree', TREE, '--format', 'b4', V1]);
    expect(b4.code).toBe(0);
    const verdict = JSON.parse(b4.out) as { tool: string; status: string; summary: string }[];
    expect(verdict).toHaveLength(1);
    expect(verdict[0]).toMatchObject({ tool: 'kapi-review', status: 'fail', summary: '1 error, 1 warning' });
  });

  it('reads one mail on stdin as b4 hands it over', async () => {
    const mbox = readFileSync(V1, 'utf8');
    const third = mbox.slice(mbox.lastIndexOf('\nFrom ') + 1);
    const r = await run(['check', '--format', 'b4', '-'], third);
    const verdict = JSON.parse(r.out) as { status: string; details: string }[];
    // without a tree the patch is known by its hunks only, and the verdict says so
    expect(verdict[0]?.status).toBe('pass');
    expect(verdict[0]?.details).toMatch(/kernel\/frob\.c: checked on the hunks only/);
  });

  it('silences by --ignore and by the config file, and applies the config filter', async () => {
    const ignored = await run(['check', '--tree', TREE, '--ignore', 'kapi-error-undocumented', V1]);
    expect(ignored.code).toBe(0);
    expect(ignored.out).toMatch(/total: 0 errors, 1 warnings/);
    const dir = mkdtempSync(join(tmpdir(), 'kapi-cli-'));
    const cfg = join(dir, 'k.yml');
    writeFileSync(cfg, 'checks:\n  kapi-error-undocumented: warning\n');
    const warned = await run(['check', '--tree', TREE, '--config', cfg, V1]);
    expect(warned.code).toBe(0);
    expect(warned.out).toContain('WARNING:kapi-error-undocumented');
  });

  it('exits 2 with a clear message on bad usage', async () => {
    const cases: [string[], RegExp][] = [
      [['check', '--format', 'xml', V1], /format/],
      [['check', '--ignore', 'kapi-nope', V1], /--ignore: unknown check kapi-nope/],
      [['check', '--config', 'does/not/exist.yml', V1], /cannot read config does\/not\/exist\.yml: ENOENT/],
      [['check', '--tree', 'does/not/exist', V1], /--tree does\/not\/exist: not a directory/],
      [['check', 'does/not/exist.mbox'], /cannot read .*exist\.mbox: ENOENT/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(message);
    }
  });
});
