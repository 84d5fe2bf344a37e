import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_TARBALL, kernelTarballPresent, kernelTree } from '../../app/context/kernel-source.js';
import { indexTree } from '../../app/index/specs.js';
import { listSourceFiles } from '../../app/index/walk.js';
import type { TreeIndex } from '../../parsers/specindex.js';

/**
 * `kapi-review specs` over the whole Debian 6.12 tree (extracted once into the cache; the first
 * extraction takes a minute). The prefilter must lose no file with a syscall, and the index must
 * find every SYSCALL_DEFINE invocation that a line-anchored regex finds.
 */
const present = kernelTarballPresent() || Boolean(process.env.KAPI_KERNEL_TREE);
if (!present)
  console.warn(
    `kernel-index corpus test skipped: ${KERNEL_TARBALL} is absent (apt-get install linux-source-6.12)`,
  );

describe.skipIf(!present)('spec index of the Debian 6.12 kernel tree', () => {
  let dir = '';
  let index: TreeIndex;

  beforeAll(async () => {
    const t = await kernelTree();
    if (!t.dir) throw new Error(t.reason ?? 'no kernel tree');
    dir = t.dir;
    index = await indexTree([dir]);
  }, 600_000);

  it('finds every SYSCALL_DEFINE that a line-anchored regex finds, in the same files', async () => {
    const files = await listSourceFiles([dir]);
    const expected: string[] = [];
    const re = /^(COMPAT_)?SYSCALL_DEFINE([0-6])\(\s*(\w+)/gm;
    for (const f of files.filter((x) => x.endsWith('.c'))) {
      const text = readFileSync(f, 'latin1');
      if (!text.includes('SYSCALL_DEFINE')) continue;
      for (const m of text.matchAll(re))
        expected.push(`${f.slice(dir.length + 1)}:${m[1] ?? ''}${m[3]}/${m[2]}`);
    }
    const got = index.syscalls
      .filter((s) => s.path.endsWith('.c'))
      .map((s) => `${s.path}:${s.compat ? 'COMPAT_' : ''}${s.name}/${s.arity}`);
    expect(new Set(got)).toEqual(new Set(expected));
    expect(expected.length).toBeGreaterThan(700);
  });

  it('reads mm/mlock.c: five syscalls with their params and no spec (6.12 predates KAPI)', () => {
    const mlock = index.syscalls.filter((s) => s.path === 'mm/mlock.c');
    expect(mlock.map((s) => `${s.name}/${s.arity}`)).toEqual([
      'mlock/2',
      'mlock2/3',
      'munlock/2',
      'mlockall/1',
      'munlockall/0',
    ]);
    expect(mlock[1]?.params).toEqual([
      { type: 'unsigned long', name: 'start' },
      { type: 'size_t', name: 'len' },
      { type: 'int', name: 'flags' },
    ]);
    expect(mlock.every((s) => s.spec === null)).toBe(true);
  });

  it('finds no spec and reports no issue in a tree without KAPI (precision on 60,000 files)', () => {
    expect(index.specs).toEqual([]);
    expect(index.issues).toEqual([]);
    expect(index.stats.files).toBeGreaterThan(50_000);
    expect(index.stats.parsed).toBeLessThan(index.stats.files / 100);
  });

  it('parses multi-line params (execveat)', () => {
    const execveat = index.syscalls.find((s) => s.path === 'fs/exec.c' && s.name === 'execveat');
    expect(execveat?.params.map((p) => p.type)).toEqual([
      'int',
      'const char __user *',
      'const char __user *const __user *',
      'const char __user *const __user *',
      'int',
    ]);
    expect(join('fs', 'exec.c')).toBe(execveat?.path);
  });
});
