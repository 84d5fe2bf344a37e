import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCParser } from '../../app/c/language.js';
import { KERNEL_TARBALL, kernelTarballPresent, kernelTree } from '../../app/context/kernel-source.js';
import { listSourceFiles } from '../../app/index/walk.js';
import { analyzeC, type PartMemo, type PartParse } from '../../parsers/c/index.js';

/**
 * The per-syscall compact texts (parsers/c/trim.ts) over every file of the Debian 6.12 tree that
 * defines a syscall: each syscall analysed alone, and all of a file's syscalls together, give the
 * error sets, functions and syscalls that the analysis of the whole file gives them; so do they
 * when each compact text is put together from its parts parsed alone (kept across files, as a
 * review keeps them).
 */
const present = kernelTarballPresent() || Boolean(process.env.KAPI_KERNEL_TREE);
if (!present)
  console.warn(
    `trim-tree corpus test skipped: ${KERNEL_TARBALL} is absent (apt-get install linux-source-6.12)`,
  );

describe.skipIf(!present)('compact texts of every syscall of the 6.12 tree', () => {
  let files: string[] = [];

  beforeAll(async () => {
    const t = await kernelTree();
    if (!t.dir) throw new Error(t.reason ?? 'no kernel tree');
    const all = await listSourceFiles([t.dir]);
    files = all.filter((f) => f.endsWith('.c') && /SYSCALL_DEFINE\d/.test(readFileSync(f, 'latin1')));
  }, 600_000);

  it('give every syscall what the whole file gives it', async () => {
    const parser = await loadCParser();
    const kept = new Map<string, PartParse | null>();
    let clean = 0;
    const parts: PartMemo = (text, make) => {
      if (!kept.has(text)) {
        const p = make();
        if (p) clean++;
        kept.set(text, p);
      }
      return kept.get(text) ?? null;
    };
    let roots = 0;
    let sets = 0;
    const wrong: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const all = analyzeC(parser, text, f).value;
      const names = [...new Set(all.syscalls.map((s) => s.fnName))];
      const groups = names.length > 1 ? [...names.map((n) => [n]), names] : names.map((n) => [n]);
      const fns = new Set(all.functions.map((x) => JSON.stringify(x)));
      for (const g of groups) {
        const some = analyzeC(parser, text, f, { errorsOf: 'syscalls', only: new Set(g) }).value;
        const joined = analyzeC(parser, text, f, { errorsOf: 'syscalls', only: new Set(g), parts }).value;
        if (JSON.stringify(joined) !== JSON.stringify(some)) wrong.push(`${f} ${g.join()}: parts`);
        roots += g.length;
        for (const [k, v] of Object.entries(some.errors)) {
          sets++;
          if (JSON.stringify(v) !== JSON.stringify(all.errors[k]))
            wrong.push(`${f} ${g.join()}: errors of ${k}`);
        }
        for (const n of g) if (all.errors[n] && !some.errors[n]) wrong.push(`${f}: no errors for ${n}`);
        for (const x of some.functions)
          if (!fns.has(JSON.stringify(x))) wrong.push(`${f} ${g.join()}: function ${x.name} at ${x.line}`);
        const scOf = (facts: typeof all): string =>
          JSON.stringify(facts.syscalls.filter((s) => g.includes(s.fnName)));
        if (scOf(some) !== scOf(all)) wrong.push(`${f} ${g.join()}: syscalls`);
      }
    }
    expect(wrong).toEqual([]);
    expect(files.length).toBeGreaterThan(150);
    expect(roots).toBeGreaterThan(1000);
    expect(sets).toBeGreaterThan(5000);
    // most parts parse cleanly alone (the others put their compact texts back to a whole parse)
    expect(clean).toBeGreaterThan(0.9 * kept.size);
  }, 600_000);
});
