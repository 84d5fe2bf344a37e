import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { loadCParser } from '../../app/c/language.js';
import { analyzeC, type CFacts, type FunctionErrors } from '../../parsers/c/index.js';

/**
 * The C analysis on the real mm/mlock.c of Linux 6.12, when the distribution's kernel source
 * tarball is installed. Extracting one member of the xz tarball takes about ten seconds.
 */
const TARBALL = '/usr/src/linux-source-6.12.tar.xz';
const MEMBER = 'linux-source-6.12/mm/mlock.c';
const present = existsSync(TARBALL);

if (!present) {
  console.warn(`c-mlock corpus test skipped: ${TARBALL} is absent (apt-get install linux-source-6.12)`);
}

describe.skipIf(!present)(`real ${MEMBER} from ${TARBALL}`, () => {
  let parser: Parser;
  let src = '';
  let facts: CFacts;
  let ms = 0;

  beforeAll(async () => {
    parser = await loadCParser();
    src = execFileSync('tar', ['-xJf', TARBALL, '--occurrence=1', '-O', MEMBER], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
      timeout: 100_000,
    });
    analyzeC(parser, src); // warm-up
    const t0 = performance.now();
    const r = analyzeC(parser, src, 'mm/mlock.c');
    ms = performance.now() - t0;
    expect(r.issues.filter((i) => i.severity !== 'info')).toEqual([]);
    facts = r.value;
  }, 110_000);

  function errs(fn: string): FunctionErrors {
    const e = facts.errors[fn];
    if (!e) throw new Error(`no facts for ${fn}`);
    return e;
  }

  function names(fn: string): string[] {
    return errs(fn).errnos.map((e) => e.errno);
  }

  it('finds the five syscalls, without parse errors', () => {
    expect(facts.syscalls.map((s) => s.name)).toEqual([
      'mlock',
      'mlock2',
      'munlock',
      'mlockall',
      'munlockall',
    ]);
    for (const s of facts.syscalls) {
      const fn = facts.functions.find((f) => f.name === s.fnName);
      expect(fn?.isSyscall).toBe(true);
      expect(fn?.hasParseErrors).toBe(false);
      expect(s.endLine).toBeGreaterThan(s.line);
    }
    expect(facts.functions.filter((f) => f.hasParseErrors).map((f) => f.name)).toEqual([]);
  });

  it('mlockall returns exactly EINVAL, EPERM, EINTR, ENOMEM and not EAGAIN', () => {
    expect(names('sys_mlockall')).toEqual(['EINTR', 'EINVAL', 'ENOMEM', 'EPERM']);
    expect(errs('sys_mlockall').complete).toBe(true);
  });

  it('munlockall returns exactly EINTR', () => {
    expect(names('sys_munlockall')).toEqual(['EINTR']);
    expect(errs('sys_munlockall').complete).toBe(true);
  });

  it('mlock and mlock2 cannot return EFAULT and can return EAGAIN through __mlock_posix_error_return', () => {
    for (const fn of ['sys_mlock', 'sys_mlock2']) {
      expect(names(fn)).toEqual(['EAGAIN', 'EINTR', 'EINVAL', 'ENOMEM', 'EPERM']);
      expect(names(fn)).not.toContain('EFAULT');
      expect(errs(fn).complete).toBe(false);
      expect(errs(fn).unknownCalls).toContain('__mm_populate');
      const eagain = errs(fn).errnos.find((e) => e.errno === 'EAGAIN');
      expect(eagain?.chain.map((c) => c.fn)).toEqual(['__mlock_posix_error_return', 'do_mlock', fn]);
      expect(eagain?.chain[0]?.text).toBe('retval = -EAGAIN;');
    }
  });

  it('mlock and mlock2: EFAULT is not in `never`, because vma_modify_flags() reaches the return untranslated', () => {
    // __mm_populate()'s value passes __mlock_posix_error_return(), which turns -EFAULT away, but
    // mlock_fixup() returns PTR_ERR(vma_modify_flags(...)) and apply_vma_lock_flags() and do_mlock()
    // pass it on unchanged (in mm/vma.c it can come from vma->vm_ops->may_split(), a driver's).
    for (const fn of ['sys_mlock', 'sys_mlock2']) {
      expect(errs(fn).unknownCalls).toEqual(['__mm_populate', 'vma_modify_flags']);
      expect(errs(fn).unknownValues).toEqual([]);
      expect(errs(fn).never).toEqual([]);
      expect(errs(fn).never).not.toContain('EFAULT');
      expect(errs(fn).neverVia).toEqual({});
    }
    expect(errs('mlock_fixup').unknownCalls).toEqual(['vma_modify_flags']);
    expect(errs('do_mlock').never).toEqual([]);
  });

  it('with that path closed, mlock and mlock2 never return EFAULT, citing the translation', () => {
    const edited = src.replace('\t\tret = PTR_ERR(vma);', '\t\tret = -ENOMEM;');
    expect(edited).not.toBe(src);
    const v = analyzeC(parser, edited, 'mm/mlock.c').value;
    const lines = edited.split('\n');
    const at = (needle: string, from = 0): number =>
      lines.findIndex((l, i) => i >= from && l.includes(needle)) + 1;
    for (const [fn, call] of [
      ['sys_mlock', 'return do_mlock(start, len, VM_LOCKED);'],
      ['sys_mlock2', 'return do_mlock(start, len, vm_flags);'],
    ] as const) {
      const e = v.errors[fn] as FunctionErrors;
      expect([e.complete, e.unknownCalls, e.never]).toEqual([false, ['__mm_populate'], ['EFAULT']]);
      expect(e.errnos.map((x) => x.errno)).toEqual(['EAGAIN', 'EINTR', 'EINVAL', 'ENOMEM', 'EPERM']);
      expect(e.neverVia.EFAULT?.map((c) => [c.fn, c.line, c.text])).toEqual([
        ['__mlock_posix_error_return', at('if (retval == -EFAULT)'), 'if (retval == -EFAULT)'],
        [
          'do_mlock',
          at('return __mlock_posix_error_return(error);'),
          'return __mlock_posix_error_return(error);',
        ],
        [fn, at(call), call],
      ]);
    }
  });

  it('mlockall and munlockall are exact, so they have no `never`', () => {
    for (const fn of ['sys_mlockall', 'sys_munlockall']) {
      expect(errs(fn).complete).toBe(true);
      expect(errs(fn).unknownValues).toEqual([]);
      expect(errs(fn).never).toEqual([]);
      expect(errs(fn).neverVia).toEqual({});
    }
  });

  it('munlock returns EINTR plus apply_vma_lock_flags errors', () => {
    expect(names('sys_munlock')).toEqual(['EINTR', 'EINVAL', 'ENOMEM']);
  });

  it('analyses the file quickly', () => {
    console.info(`mm/mlock.c: ${src.length} chars analysed in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(2000);
  });
});
