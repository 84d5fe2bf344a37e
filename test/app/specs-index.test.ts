import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { indexTree } from '../../app/index/specs.js';
import { indexText } from '../../parsers/specindex.js';

function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return main(['node', 'kapi-review', ...argv], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  }).then((code) => ({ code, out, err }));
}

describe('spec index', () => {
  it('indexes the four forms of sys_frob and links each to its SYSCALL_DEFINE', async () => {
    const index = await indexTree(['fixtures/kapi']);
    const frob = index.specs.filter((s) => s.name === 'sys_frob');
    expect(frob.map((s) => `${s.path}:${s.form}`).sort()).toEqual([
      'frob.kd1.c:kerneldoc-1',
      'frob.kd2.c:kerneldoc-2',
      'frob.kd3.c:kerneldoc-3',
      'frob.macro.c:macro',
    ]);
    const errors = frob[0]?.errors ?? [];
    expect(errors).toEqual(expect.arrayContaining(['EINVAL', 'ENOMEM', 'EPERM']));
    for (const s of frob) {
      expect(s.syscall).toBe('sys_frob');
      expect(s.params.map((p) => p.name)).toEqual(['start', 'len']);
      expect(s.errors).toEqual(errors);
      expect(s.locks).toEqual(['frob_lock']);
      expect(s.capabilities).toEqual(['CAP_SYS_ADMIN']);
    }
    const sc = index.syscalls.filter((s) => s.name === 'frob');
    expect(sc).toHaveLength(4);
    for (const s of sc) expect(s.spec?.form).toBeDefined();
    // the raw-initializer spec has no syscall after it in its file: listed, linked to nothing
    expect(index.specs.find((s) => s.name === 'sys_gizmo')?.syscall).toBeNull();
    expect(index.issues).toEqual([]);
    expect(index.stats.parsed).toBe(index.stats.files);
  });

  it('lists syscalls without a spec, with their params, and skips files by the prefilter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapi-specs-'));
    cpSync('fixtures/c/mlock-shapes.c', join(dir, 'mlock.c'));
    writeFileSync(join(dir, 'plain.c'), 'int plain(void) { return 0; }\n');
    const index = await indexTree([dir]);
    expect(index.stats).toMatchObject({ files: 2, parsed: 1 });
    expect(index.specs).toEqual([]);
    const mlock2 = index.syscalls.find((s) => s.name === 'mlock2');
    expect(mlock2).toMatchObject({ path: 'mlock.c', arity: 3, spec: null });
    expect(mlock2?.params.map((p) => p.name)).toEqual(['start', 'len', 'flags']);
  });

  it('does not take a DOC: comment or prose ending in a key word for a spec', () => {
    const text = [
      '/**',
      ' * DOC: Ring contexts',
      ' *',
      ' * we create the',
      ' * contexts:',
      ' *',
      ' * lazily.',
      ' */',
      '/**',
      ' * frob_thing - do a thing',
      ' * @x: the thing, which has two',
      ' * contexts:',
      ' *',
      ' * and some prose.',
      ' */',
      'int frob_thing(int x);',
    ].join('\n');
    const r = indexText(text, 'x.c');
    expect(r.specs).toEqual([]);
    expect(r.issues).toEqual([]);
    // the same key with a value is a gen-3 spec
    const spec = indexText(
      text.replace(' * contexts:\n *\n * and', ' * contexts: process, sleepable\n *\n * and'),
      'x.c',
    );
    expect(spec.specs.map((s) => [s.name, s.form, s.contexts])).toEqual([
      ['frob_thing', 'kerneldoc-3', ['process', 'sleepable']],
    ]);
  });

  it('prints text and JSON from the command line, and exits 2 on a missing input', async () => {
    const text = await run(['specs', 'fixtures/kapi/frob.macro.c']);
    expect(text.code).toBe(0);
    expect(text.out).toContain('frob.macro.c:13: sys_frob [macro, syscall] documents sys_frob');
    expect(text.out).toContain('SYSCALL_DEFINE2(frob): spec macro at line 13');
    expect(text.out).toMatch(/1 specs, 1 syscalls \(1 with a spec\), 0 issues/);
    const json = await run(['specs', '--format', 'json', 'fixtures/kapi']);
    const parsed = JSON.parse(json.out) as { version: number; specs: unknown[]; syscalls: unknown[] };
    expect(parsed.version).toBe(1);
    expect(parsed.specs.length).toBeGreaterThanOrEqual(7);
    const dir = mkdtempSync(join(tmpdir(), 'kapi-specs-'));
    const missing = await run(['specs', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read .*nope: ENOENT/);
  });
});
