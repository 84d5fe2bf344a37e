import { beforeAll, describe, expect, it } from 'vitest';
import { parseMacroSpecs } from '../../parsers/kapi/macro.js';
import type { ApiSpec } from '../../parsers/kapi/model.js';
import { parseMail } from '../../parsers/mail.js';
import type { Issue } from '../../parsers/types.js';
import { corpusFiles, corpusPresent } from '../helpers/corpus.js';

/**
 * The macro-form specs of the real postings: every hunk's post-image (context and added lines)
 * read by parseMacroSpecs.
 */
interface HunkResult {
  mail: string;
  path: string;
  text: string;
  specs: ApiSpec[];
  issues: Issue[];
}

async function hunks(folder: string): Promise<HunkResult[]> {
  const out: HunkResult[] = [];
  for (const f of corpusFiles(folder)) {
    if (!/-\d\d-/.test(f.name) || f.name.includes('-00-')) continue;
    const { value: mail } = await parseMail(f.bytes);
    for (const file of mail.files)
      for (const h of file.hunks) {
        const text = h.lines
          .filter((l) => l.kind !== 'del')
          .map((l) => l.text)
          .join('\n');
        const r = parseMacroSpecs(text, file.path);
        out.push({ mail: f.name, path: file.path, text, specs: r.value, issues: r.issues });
      }
  }
  return out;
}

/** Spec names found by a plain line scan: an opener at the start of a line (not a #define). */
function openersIn(text: string): string[] {
  const re = /^[ \t]*DEFINE_(?:KERNEL_API_SPEC|KAPI_IOCTL_SPEC|SYSFS_API_SPEC)\(\s*(\w+)\s*\)/gm;
  return [...text.matchAll(re)].map((m) => m[1] as string);
}

function find(results: HunkResult[], mail: string, name: string): ApiSpec {
  const s = results
    .filter((r) => r.mail.includes(mail))
    .flatMap((r) => r.specs.filter((x) => x.name === name));
  expect(s).toHaveLength(1);
  return s[0] as ApiSpec;
}

describe.skipIf(!corpusPresent)('corpus: macro-form specs of RFC v2', () => {
  let results: HunkResult[] = [];
  let specs: ApiSpec[] = [];
  beforeAll(async () => {
    results = await hunks('rfc-v2');
    specs = results.flatMap((r) => r.specs);
  });

  it('finds every DEFINE_*SPEC and parses each without issues', () => {
    for (const r of results) {
      expect({ where: `${r.mail} ${r.path}`, names: r.specs.map((s) => s.name) }).toEqual({
        where: `${r.mail} ${r.path}`,
        names: openersIn(r.text),
      });
      expect({ where: `${r.mail} ${r.path}`, issues: r.issues }).toEqual({
        where: `${r.mail} ${r.path}`,
        issues: [],
      });
    }
    expect(specs.filter((s) => s.partial).map((s) => s.name)).toEqual([]);
    // 13 syscalls in 02-14, 2 fwctl and 12 binder ioctls, 22 block sysfs attributes, socket, and
    // the two specs inside the Rust tests of tools/kapi (22/22)
    expect(specs).toHaveLength(52);
    expect(specs.filter((s) => s.kind === 'syscall')).toHaveLength(15);
    expect(specs.filter((s) => s.kind === 'ioctl')).toHaveLength(14);
    expect(specs.filter((s) => s.kind === 'sysfs')).toHaveLength(23);
  });

  it('skips the macro definitions in the framework headers (01/22, 16/22, 19/22)', () => {
    const headers = results.filter((r) => /rfc-v2-(01|16|19)-/.test(r.mail));
    expect(headers.some((r) => r.text.includes('#define DEFINE_KERNEL_API_SPEC'))).toBe(true);
    expect(headers.flatMap((r) => r.specs)).toEqual([]);
    expect(headers.flatMap((r) => r.issues)).toEqual([]);
  });

  it('reads sys_mlock2 (11/22) in full', () => {
    const s = find(results, 'rfc-v2-11-', 'sys_mlock2');
    expect([
      s.params.length,
      s.errors.length,
      s.signals.length,
      s.sideEffects.length,
      s.stateTransitions.length,
      s.locks.length,
      s.capabilities.length,
    ]).toEqual([3, 5, 2, 5, 5, 2, 1]);
    expect(s.unknown).toEqual([]);
    for (const lock of ['lock[0]', 'lock[1]'])
      expect(s.assignments.filter((a) => a.block === lock && a.field === 'description')).toHaveLength(2);
    expect(s.locks.map((l) => [l.name, l.type, l.acquired, l.released])).toEqual([
      ['mmap_lock', 'rwlock', 'true', 'true'],
      ['lru_lock', 'spinlock', 'true', 'true'],
    ]);
    expect(s.returns).toMatchObject({ ctype: 'long', type: 'int', checkType: 'error_check', success: '0' });
    expect(s.errors.map((e) => e.code)).toEqual(['EINVAL', 'ENOMEM', 'EPERM', 'EAGAIN', 'EINTR']);
    expect(s.contexts).toEqual(['process', 'sleepable']);
    expect(s.since).toBe('4.4');
    expect(Object.fromEntries(Object.entries(s.counts).map(([k, v]) => [k, v.value]))).toEqual({
      error: 5,
      param: 3,
      signal: 2,
      side_effect: 5,
      state_trans: 5,
      lock: 2,
      capability: 1,
    });
  });

  it('reads execveat (09/22): signal count 9 declared by a raw initializer, 12 signals', () => {
    const s = find(results, 'rfc-v2-09-', 'sys_execveat');
    expect(s.counts.signal).toMatchObject({ value: 9, via: '.signal_count' });
    expect(s.signals).toHaveLength(12);
    expect(s.signals.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('gives the fwctl ioctls (17/22) contiguous param indices matching their counts', () => {
    const fwctl = results.filter((r) => r.mail.includes('rfc-v2-17-')).flatMap((r) => r.specs);
    expect(fwctl.map((s) => s.name)).toEqual(['fwctl_info', 'fwctl_rpc']);
    for (const s of fwctl) {
      const count = s.counts.param?.value;
      expect(count).toBeDefined();
      expect(s.params.map((p) => p.index)).toEqual(Array.from({ length: count ?? 0 }, (_, i) => i));
    }
    const info = fwctl[0] as ApiSpec;
    expect(info.params.map((p) => p.name)).toEqual([
      'size',
      'flags',
      'out_device_type',
      'device_data_len',
      'out_device_data',
    ]);
    expect(info.structs.map((st) => [st.name, st.fields.length])).toEqual([['fwctl_info', 4]]);
  });

  it('has no unknown macros or constants in any RFC v2 spec', () => {
    expect(specs.flatMap((s) => s.unknown.map((u) => `${s.name}: ${u.where} ${u.text}`))).toEqual([]);
  });

  it('declares counts that match the entries of most specs', () => {
    // a fact for the count checks: where the declared counts and the entries differ
    const mismatches = specs.flatMap((s) => {
      const have: Record<string, number> = {
        param: s.params.length,
        error: s.errors.length,
        signal: s.signals.length,
        lock: s.locks.length,
        side_effect: s.sideEffects.length,
        state_trans: s.stateTransitions.length,
        capability: s.capabilities.length,
        constraint: s.constraints.length,
        struct: s.structs.length,
        signal_mask: s.signalMasks.length,
      };
      return Object.entries(s.counts)
        .filter(([k, v]) => have[k] !== v.value)
        .map(([k, v]) => `${s.name} ${k} ${v.value}/${have[k]}`);
    });
    expect(mismatches).toContain('sys_execveat signal 9/12');
    expect(mismatches.length).toBeLessThan(specs.length);
  });
});

describe.skipIf(!corpusPresent)('corpus: no macro-form specs in the kerneldoc postings', () => {
  for (const folder of ['rfc-v3', 'patch-v4']) {
    it(`${folder}: nothing found, nothing reported`, async () => {
      const results = await hunks(folder);
      expect(results.length).toBeGreaterThan(0);
      expect(results.flatMap((r) => r.specs.map((s) => s.name))).toEqual([]);
      expect(results.flatMap((r) => r.issues)).toEqual([]);
    });
  }
});
