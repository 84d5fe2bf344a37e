import { describe, expect, it } from 'vitest';
import { linkSpecs } from '../../parsers/kapi/link.js';
import { emptySpec } from '../../parsers/kapi/model.js';

function spec(name: string, line: number, endLine: number) {
  return { ...emptySpec(name, 'syscall', 'macro', 'f.c', line), endLine };
}

describe('linkSpecs', () => {
  it('pairs each syscall with the nearest spec of its name above it', () => {
    const a1 = spec('sys_a', 1, 10);
    const a2 = spec('sys_a', 20, 30);
    const b = spec('sys_b', 40, 50);
    const calls = [
      { name: 'a', fnName: 'sys_a', line: 31 },
      { name: 'b', fnName: 'sys_b', line: 51 },
      { name: 'c', fnName: 'sys_c', line: 70 },
    ];
    const r = linkSpecs([a1, a2, b], calls);
    expect(r.specOf).toEqual([a2, b, null]);
    expect(r.orphans).toEqual([a1]);
    expect(r.misnamed).toEqual([]);
  });

  it('reports a spec whose name does not match the syscall right after it', () => {
    const wrong = spec('sys_mlock', 1, 10);
    const r = linkSpecs([wrong], [{ name: 'mlock2', fnName: 'sys_mlock2', line: 12 }]);
    expect(r.specOf).toEqual([null]);
    expect(r.misnamed).toEqual([{ spec: wrong, next: { name: 'mlock2', fnName: 'sys_mlock2', line: 12 } }]);
    expect(r.orphans).toEqual([]);
  });

  it('never links a spec below its syscall', () => {
    const below = spec('sys_a', 20, 30);
    const r = linkSpecs([below], [{ name: 'a', fnName: 'sys_a', line: 5 }]);
    expect(r.specOf).toEqual([null]);
    expect(r.orphans).toEqual([below]);
  });
});
