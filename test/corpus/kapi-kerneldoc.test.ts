import { describe, expect, it } from 'vitest';
import { parseKerneldocSpecs } from '../../parsers/kapi/kerneldoc.js';
import type { ApiSpec, SpecForm } from '../../parsers/kapi/model.js';
import { parseMail } from '../../parsers/mail.js';
import type { Issue } from '../../parsers/types.js';
import { corpusFiles, corpusPresent } from '../helpers/corpus.js';

/**
 * The kerneldoc KAPI specs of the real postings: RFC v3 (gen 1, flat keys) and PATCH v4 (gen 3,
 * short tokens). Every .c/.h hunk of every patch is parsed on its own post-image (context + added
 * lines); .rst files are left out on purpose, their DSL examples are documentation, not specs.
 */

interface Found {
  file: string;
  path: string;
  spec: ApiSpec;
}

async function parseCorpus(): Promise<{
  found: Found[];
  issues: { file: string; path: string; issue: Issue }[];
}> {
  const found: Found[] = [];
  const issues: { file: string; path: string; issue: Issue }[] = [];
  for (const f of corpusFiles()) {
    if (f.name.startsWith('reviews/')) continue;
    const mail = (await parseMail(f.bytes)).value;
    for (const file of mail.files) {
      if (!/\.[ch]$/.test(file.path)) continue;
      for (const hunk of file.hunks) {
        const text = hunk.lines
          .filter((l) => l.kind !== 'del')
          .map((l) => l.text)
          .join('\n');
        const r = parseKerneldocSpecs(text, file.path);
        for (const spec of r.value) found.push({ file: f.name, path: file.path, spec });
        for (const issue of r.issues) issues.push({ file: f.name, path: file.path, issue });
      }
    }
  }
  return { found, issues };
}

/** Counted by hand from the patches (one `error:`/`error-code:` line per error, and so on). */
const EXPECTED: {
  file: string;
  path: string;
  name: string;
  form: SpecForm;
  params: string[];
  errors: number;
  locks: number;
  signals: number;
  sideEffects: number;
  stateTransitions: number;
  capabilities: number;
  constraints: number;
  structFields: number[];
}[] = [
  {
    file: 'rfc-v3/rfc-v3-03-mlock.patch.txt',
    path: 'mm/mlock.c',
    name: 'sys_mlock',
    form: 'kerneldoc-1',
    params: ['start', 'len'],
    errors: 6,
    locks: 1,
    signals: 1,
    sideEffects: 5,
    stateTransitions: 2,
    capabilities: 1,
    constraints: 3,
    structFields: [],
  },
  {
    file: 'rfc-v3/rfc-v3-04-sched_setattr.patch.txt',
    path: 'kernel/sched/syscalls.c',
    name: 'sys_sched_setattr',
    form: 'kerneldoc-1',
    params: ['pid', 'uattr', 'flags'],
    errors: 9,
    locks: 3,
    signals: 1,
    sideEffects: 6,
    stateTransitions: 5,
    capabilities: 1,
    constraints: 7,
    structFields: [10],
  },
  {
    file: 'patch-v4/patch-v4-05-open.patch.txt',
    path: 'fs/open.c',
    name: 'sys_open',
    form: 'kerneldoc-3',
    params: ['filename', 'flags', 'mode'],
    errors: 25,
    locks: 3,
    signals: 1,
    sideEffects: 4,
    stateTransitions: 0,
    capabilities: 4,
    constraints: 3,
    structFields: [],
  },
  {
    file: 'patch-v4/patch-v4-06-close.patch.txt',
    path: 'fs/open.c',
    name: 'sys_close',
    form: 'kerneldoc-3',
    params: ['fd'],
    errors: 5,
    locks: 4,
    signals: 1,
    sideEffects: 8,
    stateTransitions: 2,
    capabilities: 0,
    constraints: 1,
    structFields: [],
  },
  {
    file: 'patch-v4/patch-v4-07-read.patch.txt',
    path: 'fs/read_write.c',
    name: 'sys_read',
    form: 'kerneldoc-3',
    params: ['fd', 'buf', 'count'],
    errors: 15,
    locks: 3,
    signals: 1,
    sideEffects: 4,
    stateTransitions: 0,
    capabilities: 2,
    constraints: 2,
    structFields: [],
  },
  {
    file: 'patch-v4/patch-v4-08-write.patch.txt',
    path: 'fs/read_write.c',
    name: 'sys_write',
    form: 'kerneldoc-3',
    params: ['fd', 'buf', 'count'],
    errors: 19,
    locks: 5,
    signals: 3,
    sideEffects: 6,
    stateTransitions: 0,
    capabilities: 2,
    constraints: 4,
    structFields: [],
  },
  {
    file: 'patch-v4/patch-v4-10-madvise.patch.txt',
    path: 'mm/madvise.c',
    name: 'sys_madvise',
    form: 'kerneldoc-3',
    params: ['start', 'len_in', 'behavior'],
    errors: 11,
    locks: 5,
    signals: 1,
    sideEffects: 10,
    stateTransitions: 0,
    capabilities: 1,
    constraints: 8,
    structFields: [],
  },
];

describe.skipIf(!corpusPresent)('corpus: kerneldoc KAPI specs', async () => {
  const { found, issues } = corpusPresent ? await parseCorpus() : { found: [], issues: [] };
  const byName = new Map(found.map((f) => [f.spec.name, f]));

  it('finds exactly the kerneldoc specs of RFC v3 03/04 and PATCH v4 05-08,10 in all .c/.h hunks', () => {
    const key = (x: string[]): string => x.join(' ');
    const got = found.map((f) => [f.file, f.path, f.spec.name]).sort((a, b) => key(a).localeCompare(key(b)));
    const want = EXPECTED.map((e) => [e.file, e.path, e.name]).sort((a, b) => key(a).localeCompare(key(b)));
    expect(got).toEqual(want);
  });

  it('reports no issues anywhere (framework code, struct kerneldoc, RFC v2 macro specs)', () => {
    expect(issues).toEqual([]);
  });

  for (const e of EXPECTED) {
    it(`${e.name} (${e.file}): ${e.form}, counts as counted by hand`, () => {
      const f = byName.get(e.name);
      expect(f).toBeDefined();
      const s = f?.spec as ApiSpec;
      expect(s.form).toBe(e.form);
      expect(s.kind).toBe('syscall');
      expect(s.partial).toBe(false);
      expect(s.unknown).toEqual([]);
      expect(s.contexts).toEqual(['process', 'sleepable']);
      expect(s.params.map((p) => p.name)).toEqual(e.params);
      expect(s.params.map((p) => p.index)).toEqual(e.params.map((_, i) => i));
      expect({
        errors: s.errors.length,
        locks: s.locks.length,
        signals: s.signals.length,
        sideEffects: s.sideEffects.length,
        stateTransitions: s.stateTransitions.length,
        capabilities: s.capabilities.length,
        constraints: s.constraints.length,
        structFields: s.structs.map((x) => x.fields.length),
      }).toEqual({
        errors: e.errors,
        locks: e.locks,
        signals: e.signals,
        sideEffects: e.sideEffects,
        stateTransitions: e.stateTransitions,
        capabilities: e.capabilities,
        constraints: e.constraints,
        structFields: e.structFields,
      });
      // every param has its C type from SYSCALL_DEFINEn, the @param line as description, a type
      for (const p of s.params) {
        expect(p.ctype).not.toBeNull();
        expect(p.description).not.toBeNull();
        expect(p.type).not.toBeNull();
      }
      expect(s.returns).toMatchObject({ ctype: 'long', type: 'int' });
      expect(s.longDescription).not.toBeNull();
      expect(s.description).toBe(s.kerneldoc?.summary);
      for (const x of s.errors) {
        expect(x.code).toMatch(/^E[A-Z0-9]+$/);
        expect(x.condition).not.toBeNull();
        expect(x.description).not.toBeNull();
      }
      for (const l of s.locks) expect(l.type).not.toBeNull();
      for (const c of s.capabilities) expect(c.capability).toMatch(/^CAP_[A-Z_]+$/);
      for (const x of s.sideEffects) expect(x.types.length).toBeGreaterThan(0);
    });
  }

  it('sys_mlock (gen 1): values', () => {
    const s = byName.get('sys_mlock')?.spec as ApiSpec;
    expect(s.errors.map((x) => x.code)).toEqual(['ENOMEM', 'EPERM', 'EINVAL', 'EAGAIN', 'EINTR', 'EFAULT']);
    expect(s.errors[0]).toMatchObject({
      codeText: '-ENOMEM',
      name: 'ENOMEM',
      condition: 'Address range issue',
    });
    expect(s.errors[0]?.description).toMatch(
      /^Some of the specified range is not mapped, .* exceed the limit\.$/,
    );
    expect(s.params[1]).toMatchObject({
      ctype: 'size_t',
      type: 'uint',
      flags: ['in'],
      constraintType: 'range',
      range: { min: '0', max: 'LONG_MAX' },
      constraint: 'Rounded up to page boundary',
    });
    expect(s.returns).toMatchObject({ checkType: 'error_check', success: '0' });
    expect(s.locks[0]).toMatchObject({
      name: 'mmap_lock',
      type: 'rwlock',
      acquired: 'true',
      released: 'true',
    });
    expect(s.signals[0]).toMatchObject({
      signal: 'FATAL',
      direction: 'receive',
      action: 'return',
      error: '-EINTR',
      extra: { timing: 'during' },
    });
    expect(s.sideEffects.map((x) => [x.types, x.condition, x.reversible])).toEqual([
      [['modify_state', 'alloc_memory'], null, true],
      [['modify_state'], null, true],
      [['alloc_memory'], 'Pages not already present', true],
      [['modify_state', 'alloc_memory'], 'Pages not already resident', false],
      [['modify_state'], 'Lock range partially overlaps existing VMA', false],
    ]);
    expect(s.constraints[0]?.expr).toBe('locked_memory + request_size <= RLIMIT_MEMLOCK || CAP_IPC_LOCK');
    expect(s.since).toBe('2.0');
    expect(s.kerneldoc?.context).toBe('Process context. May sleep. Takes mmap_lock for write.');
  });

  it('sys_sched_setattr (gen 1): param-count, struct fields, validation groups', () => {
    const s = byName.get('sys_sched_setattr')?.spec as ApiSpec;
    expect(s.counts.param).toMatchObject({ value: 3, via: 'param-count:' });
    expect(s.params[1]).toMatchObject({ type: 'user_ptr', flags: ['in', 'user'], constraintType: 'custom' });
    expect(s.structs[0]?.name).toBe('struct sched_attr');
    expect(s.structs[0]?.fields.map((x) => x.name)).toEqual([
      'size',
      'sched_policy',
      'sched_flags',
      'sched_nice',
      'sched_priority',
      'sched_runtime',
      'sched_deadline',
      'sched_period',
      'sched_util_min',
      'sched_util_max',
    ]);
    expect(
      new Set(s.assignments.filter((a) => a.block.startsWith('validation[')).map((a) => a.block)).size,
    ).toBe(4);
    expect(s.stateTransitions[1]).toMatchObject({
      object: 'task->rt_priority',
      from: 'any',
      to: '0-99 or 0',
      description: 'RT priority updated for RT policies, 0 for others',
    });
  });

  it('PATCH v4 (gen 3): values', () => {
    const open = byName.get('sys_open')?.spec as ApiSpec;
    expect(open.params[0]).toMatchObject({
      ctype: 'const char __user *',
      type: 'path',
      flags: ['in', 'user'],
      constraintType: 'user_path',
    });
    expect(open.params[1]?.validMask).toMatch(/^O_RDONLY \| O_WRONLY .* O_TMPFILE$/);
    expect(open.returns).toMatchObject({ checkType: 'fd', success: '>= 0' });
    expect(open.locks[1]).toMatchObject({
      name: 'inode->i_rwsem (parent directory)',
      acquired: 'conditional',
    });
    expect(open.capabilities[3]).toMatchObject({ capability: 'CAP_SYS_ADMIN', action: 'increase_limit' });
    const close = byName.get('sys_close')?.spec as ApiSpec;
    expect(close.stateTransitions[1]).toMatchObject({
      object: 'file_reference_count',
      from: 'n',
      to: 'n-1 (or freed if n was 1)',
      condition: 'Always on successful fd lookup',
    });
    expect(close.sideEffects[0]).toMatchObject({
      types: ['resource_destroy', 'irreversible'],
      reversible: false,
    });
    const read = byName.get('sys_read')?.spec as ApiSpec;
    expect(read.params[1]).toMatchObject({
      type: 'user_ptr',
      flags: ['out', 'user'],
      constraintType: 'buffer',
    });
    const madvise = byName.get('sys_madvise')?.spec as ApiSpec;
    expect(madvise.params[1]).toMatchObject({
      constraintType: 'range',
      range: { min: '0', max: 'SIZE_MAX' },
    });
    expect(madvise.params[2]?.constraintType).toBeNull();
    expect(madvise.returns).toMatchObject({ checkType: 'exact', success: '0' });
  });
});
