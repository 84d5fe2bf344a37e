/**
 * `kapi-review draft` on the made-up trees of fixtures/draft/: the default form follows the tree's
 * framework, every errno of the code gets an entry with its guard and evidence, the draft put
 * above the syscall parses with no issue and draws no finding from any check, and what cannot be
 * drafted honestly (no such syscall, several files, a body that does not parse, a form the
 * framework does not read) is refused with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directoryTree } from '../../app/context/tree.js';
import { frameworkForTree } from '../../app/framework/resolve.js';
import { insertAndCheck, runDraft } from '../helpers/draft.js';

const fx = join(import.meta.dirname, '..', '..', 'fixtures', 'draft');
const plain = join(fx, 'tree-plain');
const macro = join(fx, 'tree-macro');

async function draftAndCheck(tree: string, file: string, fnName: string, extra: string[] = []) {
  const run = await runDraft([fnName, '--tree', tree, '--file', file, ...extra]);
  expect(run.err).not.toMatch(/internal error/);
  expect(run.code).toBe(0);
  const fw = (await frameworkForTree(directoryTree(tree))).framework;
  const text = readFileSync(join(tree, file), 'utf8');
  return { run, ...(await insertAndCheck(text, file, fnName, run.out, fw)) };
}

describe('kapi-review draft: a tree without a framework (the latest known, kerneldoc gen 3)', () => {
  it('drafts sys_wibble with one entry per errno, its guard, and the evidence chain', async () => {
    const { run, spec, issues, findings } = await draftAndCheck(plain, 'kernel/wibble.c', 'sys_wibble');
    expect(issues).toEqual([]);
    expect(findings).toEqual([]);
    expect(spec).toMatchObject({ name: 'sys_wibble', form: 'kerneldoc-3' });
    expect(spec?.params.map((p) => [p.name, p.type, p.flags])).toEqual([
      ['start', 'uint', ['in']],
      ['len', 'uint', ['in']],
      ['out', 'user_ptr', ['user']],
    ]);
    const conditions = Object.fromEntries(spec?.errors.map((e) => [e.code, e.condition]) ?? []);
    expect(conditions).toEqual({
      // nested ifs: both conditions
      EBUSY: 'len >= 64 && start != 0',
      // stored, then `if (c) goto` out
      EFAULT: 'put_user(0, out)',
      // ERESTARTSYS is what userspace sees as EINTR
      EINTR: 'mutex_lock_interruptible(&wibble_lock)',
      // from a same-file helper: said where the condition is read
      EINVAL: 'in wibble_check(): start & ~PAGE_MASK',
      // stored, then overwritten under conditions the draft does not combine: no guess
      ENOMEM: 'TODO: condition (none read from the code)',
      // an else branch: the if before it, negated
      EOVERFLOW: 'in wibble_check(): !(len == 0) && len > WIBBLE_MAX',
      EPERM: '!capable(CAP_SYS_ADMIN)',
    });
    expect(run.out).toContain(' *     at kernel/wibble.c:16 wibble_check(): return -EINVAL;');
    expect(run.out).toContain(' *     at kernel/wibble.c:30 sys_wibble(): err = wibble_check(start, len);');
    expect(run.out).toMatch(/ERESTARTSYS, which the caller sees as EINTR/);
    expect(run.err).toMatch(/kerneldoc-3 form, for the KAPI framework of PATCH v4.*right above line 24/);
  });

  it('says what it could not see: an open error set and a kernel-internal code', async () => {
    const { run, spec, issues, findings } = await draftAndCheck(plain, 'kernel/wibble.c', 'sys_wobble');
    expect(issues).toEqual([]);
    expect(findings).toEqual([]);
    expect(spec?.errors.map((e) => e.code)).toEqual(['EAGAIN']);
    expect(run.out).toMatch(/- TODO: the error list is a lower bound: what wobble_elsewhere\(\) returns/);
    expect(run.out).toMatch(/kernel-internal -ENOTSUPP \(sys_wobble\(\), line 60\)/);
  });

  it('writes kerneldoc gen 2 when asked; only deprecated-form, which the user chose, is found', async () => {
    const { spec, issues, findings } = await draftAndCheck(plain, 'kernel/wibble.c', 'sys_wibble', [
      '--form',
      'kerneldoc-2',
    ]);
    expect(issues).toEqual([]);
    expect(spec?.form).toBe('kerneldoc-2');
    expect(spec?.errors).toHaveLength(7);
    expect(findings.map((f) => f.check)).toEqual(['kapi-deprecated-form']);
  });

  it('refuses a form the framework does not read, naming the ones it does', async () => {
    const r = await runDraft(['sys_wibble', '--tree', plain, '--file', 'kernel/wibble.c', '--form', 'macro']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/--form macro: the KAPI framework of PATCH v4 reads kerneldoc-2, kerneldoc-3/);
  });

  it('refuses a body tree-sitter cannot parse instead of guessing', async () => {
    const r = await runDraft(['sys_wubble', '--tree', plain]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/sys_wubble \(kernel\/wibble\.c:67\): its body does not parse/);
  });

  it('refuses a syscall it cannot find, and asks which file when several define it', async () => {
    const none = await runDraft(['nosuch', '--tree', plain]);
    expect([none.code, none.err]).toEqual([
      2,
      `kapi-review: sys_nosuch: no SYSCALL_DEFINE of it in ${plain}\n`,
    ]);
    const two = await runDraft(['twice', '--tree', plain]);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(
      /sys_twice is defined in 2 files \(fs\/twice\.c, kernel\/wibble\.c\); pick one with --file/,
    );
    const picked = await draftAndCheck(plain, 'fs/twice.c', 'sys_twice');
    expect(picked.spec?.errors.map((e) => [e.code, e.condition])).toEqual([['EBADF', 'a < 0 || b < 0']]);
    const notDir = await runDraft(['twice', '--tree', join(plain, 'fs', 'twice.c')]);
    expect(notDir.code).toBe(2);
  });
});

describe('kapi-review draft: a tree whose framework reads the macro form only', () => {
  it('writes the macro form, C strings escaped, evidence as comments', async () => {
    const { run, spec, issues, findings } = await draftAndCheck(macro, 'kernel/wibble.c', 'sys_wibble');
    expect(issues).toEqual([]);
    expect(findings).toEqual([]);
    expect(spec).toMatchObject({ form: 'macro' });
    expect(spec?.params.map((p) => [p.name, p.ctype, p.type])).toEqual([
      ['start', 'unsigned long', 'uint'],
      ['name', 'const char __user *', 'user_ptr'],
    ]);
    expect(spec?.errors.map((e) => [e.code, e.condition])).toEqual([
      ['EINVAL', 'start & ~PAGE_MASK'],
      ['ENOENT', 'strncmp_user(name, "wib\\"ble", 7)'],
    ]);
    expect(run.out).toContain('\t/* kernel/wibble.c:12 sys_wibble(): return -ENOENT; */');
    const kd = await runDraft(['wibble', '--tree', macro, '--form', 'kerneldoc']);
    expect(kd.code).toBe(2);
    expect(kd.err).toMatch(/reads macro; a draft can be written in macro/);
  });
});
