import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKerneldocSpecs } from '../../../parsers/kapi/kerneldoc.js';
import { parseMacroSpecs } from '../../../parsers/kapi/macro.js';
import type { ApiSpec } from '../../../parsers/kapi/model.js';
import { diffSpecs, foldText, type SpecChange } from '../../../parsers/kapi/spec-diff.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'kapi');
function specs(name: string): ApiSpec[] {
  const text = readFileSync(
    join(name.startsWith('frob-v2') ? join(dir, '..', 'spec-diff') : dir, name),
    'utf8',
  );
  return [...parseMacroSpecs(text, name).value, ...parseKerneldocSpecs(text, name).value];
}
const brief = (c: SpecChange): string =>
  [c.op, c.area, c.key, c.field ?? '', c.old ?? '', c.new ?? ''].join('|');

describe('diffSpecs', () => {
  const FORMS = ['macro', 'kd1', 'kd2', 'kd3'];
  for (const base of ['frob', 'frob2', 'gleam-nested'])
    for (const a of FORMS)
      for (const b of FORMS) {
        if (a >= b) continue;
        const [x, y] = [`${base}.${a}.c`, `${base}.${b}.c`];
        if (base === 'gleam-nested' && (a === 'kd1' || b === 'kd1')) continue;
        // gen 1 cannot state a struct's description, size or alignment (cross-form.test.ts)
        if (base === 'frob2' && (a === 'kd1' || b === 'kd1')) continue;
        it(`finds no change between ${x} and ${y}: the same facts in two forms`, () => {
          const d = diffSpecs(specs(x), specs(y));
          expect(d.map((s) => [s.name, s.status, s.changes])).toEqual([[specs(x)[0]?.name, 'same', []]]);
        });
      }

  it('lists what the second revision of frob says differently, entry by entry', () => {
    const [d] = diffSpecs(specs('frob.macro.c'), specs('frob-v2.kd3.c'));
    expect(d?.status).toBe('changed');
    expect(d?.old?.form).toBe('macro');
    expect(d?.new?.form).toBe('kerneldoc-3');
    expect(d?.changes.map(brief)).toEqual([
      'removed|context|sleepable||sleepable|',
      'changed|param|len|type|uint|int',
      'changed|param|len|range|0..FROB_MAX_LEN|1..FROB_MAX_LEN',
      'added|param|flags|||unsigned int: Must be zero',
      'removed|error|EPERM||caller lacks CAP_SYS_ADMIN|',
      'added|error|EFAULT|||the range is not user memory',
      'added|error|EBUSY|||another frobnication is running',
      'changed|lock|frob_lock|description|Serialises frobnication|Serialises frobnication of every range',
      'changed|signal|SIGKILL|timing|during|entry',
      'removed|side-effect|page tables||alloc_memory: Missing page tables are allocated|',
      'changed|constraint|Frob length limit|expr|len <= FROB_MAX_LEN|len >= 1 && len <= FROB_MAX_LEN',
    ]);
    const efault = d?.changes.find((c) => c.key === 'EFAULT');
    expect(efault?.line).toBeGreaterThan(d?.new?.line ?? 0);
  });

  it('reads a reordered error list and a reflowed description as no change', () => {
    const [a] = specs('frob.macro.c');
    if (!a) throw new Error('no spec');
    const b: ApiSpec = {
      ...a,
      errors: [...a.errors].reverse().map((e, i) => ({ ...e, index: i, line: e.line + 3 })),
      description: `  ${a.description?.replace(/ /g, '\n   ')}  `,
      line: a.line + 10,
    };
    expect(diffSpecs([a], [b])[0]).toMatchObject({ status: 'same', changes: [] });
  });

  it('says which specs were added and removed, in the new order then the old', () => {
    const d = diffSpecs(specs('frob.macro.c'), specs('widget-ioctl.macro.c'));
    expect(d.map((s) => `${s.name}:${s.status}`)).toEqual([
      `${specs('widget-ioctl.macro.c')[0]?.name}:added`,
      'sys_frob:removed',
    ]);
    expect(diffSpecs([], [])).toEqual([]);
  });

  it('keeps entries of one name apart by a #n suffix', () => {
    const [a] = specs('frob.macro.c');
    if (!a) throw new Error('no spec');
    const twice = {
      ...a,
      locks: [...a.locks, { ...(a.locks[0] as ApiSpec['locks'][number]), type: 'spinlock' }],
    };
    const [d] = diffSpecs([a], [twice]);
    expect(d?.changes.map(brief)).toEqual(['added|lock|frob_lock#2|||spinlock: Serialises frobnication']);
  });

  it('folds whitespace and empties to null', () => {
    expect(foldText(' a \n\t b ')).toBe('a b');
    expect(foldText('   ')).toBeNull();
    expect(foldText(null)).toBeNull();
  });
});
