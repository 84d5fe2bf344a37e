/**
 * A series is judged by the framework it is written for: the one it carries, else the tree's, else
 * the latest known posting's. End to end through `kapi-review check` and `kapi-review framework`,
 * on the made-up frob framework of fixtures/framework/ (see make-frob-framework.sh there).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';

const fx = join(import.meta.dirname, '..', '..', 'fixtures', 'framework');
const f = (name: string): string => join(fx, name);

interface JsonFinding {
  check: string;
  severity: string;
  path: string;
  line: number;
  message: string;
  spec: string | null;
  subject: string | null;
  evidence: { path: string; line: number; text: string }[];
}

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['node', 'kapi-review', ...args], {
    out: (s) => (out += s),
    err: (s) => (out += s),
  });
  return { code, out };
}

async function findings(args: string[]): Promise<JsonFinding[]> {
  const { out } = await run(['check', '--filter', 'none', '--format', 'json', ...args]);
  const r = JSON.parse(out) as { findings: JsonFinding[]; outside: JsonFinding[] };
  return [...r.findings, ...r.outside];
}

describe('judged by the framework the series carries', () => {
  it('specs written for frob v1, in the series that adds v1: clean, on the tree and without', async () => {
    expect(await findings(['--tree', f('tree-base'), f('frob-fw-v1.mbox')])).toEqual([]);
    expect(await findings([f('frob-fw-v1.mbox')])).toEqual([]);
    const { out } = await run(['check', '--tree', f('tree-base'), f('frob-fw-v1.mbox')]);
    expect(out).toMatch(
      /judged by the KAPI framework this series carries \(include\/linux\/kernel_api_spec\.h/,
    );
  });

  it('the same specs on a tree with frob v2: deprecated-form and unknown-token, citing v2', async () => {
    const found = await findings(['--tree', f('tree-v2'), f('frob-specs-v1.mbox')]);
    const deprecated = found.filter((x) => x.check === 'kapi-deprecated-form');
    expect(deprecated).toHaveLength(1);
    expect(deprecated[0]).toMatchObject({ spec: 'sys_frob', subject: 'form:macro', severity: 'warning' });
    expect(deprecated[0]?.message).toMatch(
      /include\/linux\/kernel_api_spec\.h of the tree defines no \*_END macros/,
    );
    // the header line of v2 that defines the spec opener, as evidence
    expect(deprecated[0]?.evidence).toContainEqual(
      expect.objectContaining({
        path: 'include/linux/kernel_api_spec.h',
        text: expect.stringMatching(/^#define DEFINE_KERNEL_API_SPEC/),
      }),
    );
    const unknown = found
      .filter((x) => x.check === 'kapi-unknown-token')
      .map((x) => [x.spec, x.subject, x.message]);
    expect(unknown).toEqual([
      [
        'sys_frob',
        'unknown:KAPI_FROB_HINT',
        'sys_frob: KAPI_FROB_HINT is not defined in include/linux/kernel_api_spec.h of the tree',
      ],
      [
        'sys_unfrob',
        'unknown:frob-hint',
        "sys_unfrob: 'frob-hint:' is not a key of tools/lib/python/kdoc/kdoc_parser.py of the tree; the generator drops it",
      ],
    ]);
  });

  it('the same specs with no framework anywhere: judged by the latest known posting, and it says so', async () => {
    const { out } = await run(['check', '--tree', f('tree-base'), f('frob-specs-v1.mbox')]);
    expect(out).toMatch(/judged by the KAPI framework of PATCH v4, the latest known/);
    expect(out).toMatch(/KAPI_FROB_HINT is not defined in include\/linux\/kernel_api_spec\.h of PATCH v4/);
  });

  it("PATCH v3's build break: the series' own kbuild grep wants context-flags:, its spec says contexts:", async () => {
    const found = await findings([f('p3-mistake.mbox')]);
    expect(found.map((x) => `${x.check} ${x.spec} ${x.subject}`)).toEqual([
      'kapi-detection-key sys_gizmo detect:kbuild',
    ]);
    const [finding] = found;
    expect(finding?.message).toMatch(/has 'context-flags:', and none does$/);
    expect(finding?.evidence.map((e) => `${e.path}:${e.line}`)).toEqual([
      'kernel/gizmo.c:8',
      'kernel/gizmo.c:13',
      'scripts/Makefile.build:6',
    ]);
    expect(finding?.evidence[2]?.text).toMatch(/grep -lE .*\(context-flags\):/);
  });
});

describe('a framework in a shape the corpus does not have (the gen-2 era, RFC v4 to PATCH v2)', () => {
  // fixtures/framework/gen2-era.mbox: 1/2 adds a framework that still defines the *_END macros, a
  // generator of blocks with KAPI_* constants and no short tokens, kernel-doc's sections as a regex
  // with (?!-) lookaheads, and RFC v3's escaped `find -exec grep` kbuild rule; 2/2 adds one spec in
  // each form written for it
  it('is learned from its own files: both forms read, gen 2 the newest, its escaped grep and rule', async () => {
    const { out } = await run(['framework', '--format', 'json', f('gen2-era.mbox')]);
    const [fw] = (
      JSON.parse(out) as {
        frameworks: {
          forms: string[];
          newestForm: string;
          kbuild: { keys: string[] };
          generator: { indicators: string[]; need: number };
          kerneldoc: { keys: Record<string, unknown>; tokens: Record<string, unknown> };
        }[];
      }
    ).frameworks;
    expect(fw?.forms).toEqual(['macro', 'kerneldoc-2']);
    expect(fw?.newestForm).toBe('kerneldoc-2');
    expect(fw?.kbuild.keys).toEqual(['context-flags', 'long-desc']);
    expect(fw?.generator).toMatchObject({
      indicators: ['context-flags', 'param', 'error', 'long-desc'],
      need: 2,
    });
    expect(Object.keys(fw?.kerneldoc.keys ?? {})).toEqual(
      expect.arrayContaining(['param', 'error', 'context-flags']),
    );
    expect(fw?.kerneldoc.tokens).toEqual({});
  });

  it('its specs are clean under it, and judged by PATCH v4 only when the framework patch is not there', async () => {
    expect(await findings([f('gen2-era.mbox')])).toEqual([]);
    // the specs patch alone: no framework in the series or a tree, so the latest known judges
    const mbox = readFileSync(f('gen2-era.mbox'), 'utf8');
    const specsOnly = mbox.slice(mbox.indexOf('\nFrom 0000000000000000000000000000000000000000', 1) + 1);
    const dir = mkdtempSync(join(tmpdir(), 'kapi-gen2-'));
    try {
      writeFileSync(join(dir, 'specs.mbox'), specsOnly);
      const alone = await findings([join(dir, 'specs.mbox')]);
      expect(alone.map((x) => `${x.check} ${x.spec} ${x.subject} ${x.severity}`).sort()).toEqual([
        'kapi-deprecated-form sys_gadget_off form:macro warning',
        'kapi-deprecated-form sys_gadget_on form:kerneldoc-2 info',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kapi-review framework', () => {
  it("shows the tree's framework and where each part comes from", async () => {
    const { code, out } = await run(['framework', '--tree', f('tree-v2')]);
    expect(code).toBe(0);
    expect(out).toMatch(/spec forms it reads: kerneldoc-2, kerneldoc-3; newest: kerneldoc-3/);
    expect(out).toMatch(/\*_END macros: no/);
    expect(out).toMatch(/kbuild grep: contexts: frob-ctx: {2}scripts\/Makefile\.build:4/);
    expect(out).toMatch(/keys \(\d+\): .*\bfrob-note\b/);
  });

  it('--all lists each word with the file and line that defines it; json has the whole model', async () => {
    const all = await run(['framework', '--all', '--tree', f('tree-base'), f('frob-fw-v1.mbox')]);
    expect(all.out).toMatch(/KAPI_FROB_HINT\/1 {2}include\/linux\/kernel_api_spec\.h:\d+/);
    expect(all.out).toMatch(/key frob-hint {2}tools\/lib\/python\/kdoc\/kdoc_parser\.py:\d+/);
    const json = await run(['framework', '--format', 'json', f('p3-mistake.mbox')]);
    const model = JSON.parse(json.out) as {
      frameworks: { name: string; origin: string; kbuild: { keys: string[]; source: { from?: string } } }[];
    };
    expect(model.frameworks[0]).toMatchObject({
      name: 'this series',
      origin: 'series',
      kbuild: { keys: ['context-flags'] },
    });
    expect(model.frameworks[0]?.kbuild.source.from).toBeUndefined();
  });

  it('with no input and no tree: the latest known posting; a bad --tree is a usage error', async () => {
    expect((await run(['framework'])).out).toMatch(/PATCH v4 \(builtin\)/);
    expect((await run(['framework', '--tree', f('no-such-dir')])).code).toBe(2);
  });
});
