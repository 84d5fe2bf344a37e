import { describe, expect, it } from 'vitest';
import { documentedSyscalls } from '../../../checks/lib/syscalls.js';
import { buildUnit } from '../../../checks/unit.js';
import { fixture } from '../harness.js';

const macro = fixture('kapi/frob.macro.c');

describe('documentedSyscalls', () => {
  it('pairs each syscall with the spec that documents it', () => {
    const unit = buildUnit({ path: 'mm/frob.c', mode: 'full', post: macro, fragments: [], diff: null }, null);
    expect(documentedSyscalls(unit).map(({ sc, spec }) => [sc.fnName, spec.name])).toEqual([
      ['sys_frob', 'sys_frob'],
    ]);
  });

  it('leaves out a syscall without a spec and one whose spec the hunks cut off', () => {
    const lines = macro.split('\n');
    const bare = lines.slice(92).join('\n');
    const alone = buildUnit({ path: 'mm/frob.c', mode: 'full', post: bare, fragments: [], diff: null }, null);
    expect(alone.syscalls).toHaveLength(1);
    expect(documentedSyscalls(alone)).toEqual([]);
    // the hunk shows the spec's end and the syscall, not its start
    const fragments = [{ startLine: 60, lines: lines.slice(59) }];
    const cut = buildUnit({ path: 'mm/frob.c', mode: 'hunks', post: null, fragments, diff: null }, null);
    expect(documentedSyscalls(cut)).toEqual([]);
  });
});
