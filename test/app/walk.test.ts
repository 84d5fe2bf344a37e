import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSourceFiles, scanFiles, worthParsing } from '../../app/index/walk.js';

describe('source walk and prefilter', () => {
  it('keeps files with a syscall or a spec in any form and drops the rest', () => {
    const yes = [
      'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)',
      'DEFINE_KERNEL_API_SPEC(sys_frob)\n\tKAPI_DESCRIPTION("x")\nKAPI_END_SPEC;',
      '/**\n * param-type: start, KAPI_TYPE_UINT\n */',
      '/**\n * contexts: process, sleepable\n */',
      '/**\n * context-flags: KAPI_CTX_PROCESS\n */',
    ];
    for (const s of yes) expect(worthParsing(Buffer.from(s))).toBe(true);
    for (const s of ['int main(void) { return 0; }', '/* the context of this */', ''])
      expect(worthParsing(Buffer.from(s))).toBe(false);
  });

  it('finds a needle after decoys of its scout, and not the scout alone', () => {
    expect(worthParsing(Buffer.from('__NR_SYSCALL_BASE texts: x\n SYSCALL_DEFINE0(a)'))).toBe(true);
    expect(worthParsing(Buffer.from('texts: a, b; then later /** contexts: process */'))).toBe(true);
    expect(worthParsing(Buffer.from('next-flag; /** context-flags: process */'))).toBe(true);
    expect(worthParsing(Buffer.from('__NR_SYSCALL_BASE and texts: and next-fl'))).toBe(false);
  });

  it('lists .c and .h files, skips .git, and scans them in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapi-walk-'));
    mkdirSync(join(dir, 'mm'));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, 'mm', 'a.c'), 'SYSCALL_DEFINE0(a)\n{\n}\n');
    writeFileSync(join(dir, 'mm', 'b.h'), 'int b;\n');
    writeFileSync(join(dir, 'mm', 'notes.txt'), 'SYSCALL_DEFINE0(x)\n');
    writeFileSync(join(dir, '.git', 'c.c'), 'SYSCALL_DEFINE0(c)\n');
    const files = await listSourceFiles([dir]);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['mm/a.c', 'mm/b.h']);
    const seen: string[] = [];
    const progress: number[] = [];
    const res = scanFiles(files, (p) => seen.push(p.slice(dir.length + 1)), {
      onProgress: (d) => progress.push(d),
    });
    expect(seen).toEqual(['mm/a.c']);
    expect(res).toMatchObject({ files: 2, parsed: 1, unreadable: [] });
    expect(progress).toEqual([2]);
  });
});
