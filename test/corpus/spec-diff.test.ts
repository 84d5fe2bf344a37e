import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelFile, kernelTarballPresent } from '../../app/context/kernel-source.js';
import { runCli } from '../helpers/cli.js';
import { corpusDir, corpusPresent } from '../helpers/corpus.js';

/**
 * The issue's golden case: `kapi-review spec-diff` of RFC v2 (macro form) against RFC v3
 * (kerneldoc gen 1) lists what the mlock spec says differently, by meaning across the two forms.
 * RFC v2 patch 14 edits the mlock spec patch 10 added; without a tree the hunks carry that edit
 * (reporters/spec-sides.ts carryKnown), so the answer is the same with the 6.12 tree and without.
 *
 * The golden is each change's kind, area, entry and field (our vocabulary, not the postings'
 * text), with the values where they are tokens.
 */
const GOLDEN = [
  'changed spec notes',
  'removed return description',
  'added error EFAULT',
  'changed signal FATAL description',
  'changed signal FATAL timing: entry -> during',
  'changed signal FATAL state_required: running | sleeping -> running',
  'removed signal FATAL restartable',
  'changed side-effect physical pages reversible: no -> yes',
  'added side-effect page faults',
  'added side-effect VMA splitting',
  'changed constraint Special Memory Areas description',
];

interface Json {
  specs: {
    name: string;
    status: string;
    old: { form: string } | null;
    new: { form: string } | null;
    changes: {
      op: string;
      area: string;
      key: string;
      field: string | null;
      old: string | null;
      new: string | null;
    }[];
  }[];
}

function golden(out: string): { forms: string[]; changes: string[]; status: Record<string, string> } {
  const json = JSON.parse(out) as Json;
  const mlock = json.specs.find((s) => s.name === 'sys_mlock');
  const token = (v: string | null): boolean => v !== null && v.length <= 20;
  return {
    forms: [mlock?.old?.form ?? '', mlock?.new?.form ?? ''],
    changes: (mlock?.changes ?? []).map((c) => {
      const head = [c.op, c.area, c.key, c.field].filter(Boolean).join(' ');
      return c.op === 'changed' && token(c.old) && token(c.new) ? `${head}: ${c.old} -> ${c.new}` : head;
    }),
    status: Object.fromEntries(
      json.specs.filter((s) => /^sys_(m(un)?lock|sched)/.test(s.name)).map((s) => [s.name, s.status]),
    ),
  };
}

const STATUS = {
  sys_mlock: 'changed',
  sys_sched_setattr: 'added',
  sys_mlock2: 'removed',
  sys_mlockall: 'removed',
  sys_munlock: 'removed',
  sys_munlockall: 'removed',
};

describe.skipIf(!corpusPresent)('spec-diff RFC v2 -> RFC v3 (corpus)', () => {
  it('lists the real changes to the mlock spec, across the macro and kerneldoc forms', async () => {
    const run = await runCli([
      'spec-diff',
      join(corpusDir, 'rfc-v2'),
      join(corpusDir, 'rfc-v3'),
      '--format',
      'json',
    ]);
    expect(run.code).toBe(0);
    const g = golden(run.out);
    expect(g.forms).toEqual(['macro', 'kerneldoc-1']);
    expect(g.changes).toEqual(GOLDEN);
    expect(g.status).toEqual(STATUS);
    const text = await runCli(['spec-diff', join(corpusDir, 'rfc-v2'), join(corpusDir, 'rfc-v3')]);
    expect(text.out).toMatch(/^sys_mlock \(mm\/mlock\.c:\d+, macro -> kerneldoc-1\): 11 changes$/m);
    expect(text.out).toMatch(
      /^4 specs removed from mm\/mlock\.c \(macro\): sys_mlock2, sys_munlock, sys_mlockall, sys_munlockall$/m,
    );
  });

  it.skipIf(!kernelTarballPresent())(
    'gives the same answer on the 6.12 tree',
    async () => {
      const base = await kernelFile('mm/mlock.c');
      if (base === null) throw new Error('mm/mlock.c not in the kernel tarball');
      const tree = mkdtempSync(join(tmpdir(), 'kapi-specdiff-tree-'));
      mkdirSync(join(tree, 'mm'));
      writeFileSync(join(tree, 'mm', 'mlock.c'), base);
      const run = await runCli([
        'spec-diff',
        '--tree',
        tree,
        join(corpusDir, 'rfc-v2'),
        join(corpusDir, 'rfc-v3'),
        '--format',
        'json',
      ]);
      expect(run.code).toBe(0);
      expect(golden(run.out).changes).toEqual(GOLDEN);
    },
    120_000,
  );
});
