/**
 * C analysis throughput: the error-set analysis (parsers/c analyzeC: line-preserving rewrite,
 * tree-sitter parse, tree copy, functions, syscalls and errno sets with evidence) of the ten
 * largest .c files of the Debian 6.12 tree that contain SYSCALL_DEFINE, next to a tree-sitter
 * parse alone of the same files (the baseline, measured in the same run), and the same at 4x and
 * 16x input (the ten, then the tree's other .c files in a fixed pseudo-random order, up to 4 and
 * 16 times the bytes of the ten) so that linear growth shows.
 *
 *   npm run bench:c [-- --tree DIR] [-- --runs 3] [-- --scale 1,4,16] [-- --quick]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { loadCParser } from '../app/c/language.js';
import { INSTALL_HINT, kernelTree } from '../app/context/kernel-source.js';
import { listSourceFiles } from '../app/index/walk.js';
import { analyzeC } from '../parsers/c/index.js';
import { arg, flag, machine, median, recordResults, time } from './common.js';

interface CFile {
  path: string;
  text: string;
  bytes: number;
}

async function main(): Promise<void> {
  const quick = flag('quick');
  const runs = Number(arg('runs', quick ? '1' : '3'));
  const scale = arg('scale', quick ? '1,4' : '1,4,16')
    .split(',')
    .map(Number)
    .filter((k) => k > 0);
  let dir = arg('tree', '');
  if (!dir) {
    const t = await kernelTree();
    if (!t.dir) {
      console.error(`bench:c needs a kernel tree: ${t.reason ?? INSTALL_HINT}, or pass --tree DIR`);
      process.exitCode = 2;
      return;
    }
    dir = t.dir;
  }
  const all = (await listSourceFiles([dir])).filter((p) => p.endsWith('.c'));
  const read = (path: string): CFile => {
    const buf = readFileSync(path);
    return { path, text: buf.toString('utf8'), bytes: buf.length };
  };
  const withSyscalls = all.map(read).filter((f) => f.text.includes('SYSCALL_DEFINE'));
  const ten = withSyscalls.sort((a, b) => b.bytes - a.bytes).slice(0, 10);
  const unit = ten.reduce((n, f) => n + f.bytes, 0);
  // the scaling sets draw from one fixed shuffle of every .c file (a hash of the path)
  const shuffled = all
    .map((p) => ({ p, h: createHash('sha1').update(relative(dir, p)).digest('hex') }))
    .sort((a, b) => (a.h < b.h ? -1 : 1))
    .map((x) => x.p);
  const sets: { label: string; scale: number; files: CFile[] }[] = [];
  for (const k of scale) {
    if (k === 1) {
      sets.push({ label: 'the ten largest syscall files', scale: 1, files: ten });
      continue;
    }
    // the ten, then other files: each set holds the smaller ones, so costs compare like with like
    const files: CFile[] = [...ten];
    const taken = new Set(ten.map((f) => f.path));
    let bytes = unit;
    for (const p of shuffled) {
      if (bytes >= k * unit) break;
      if (taken.has(p)) continue;
      const f = read(p);
      files.push(f);
      bytes += f.bytes;
    }
    sets.push({ label: `the ten and ${files.length - 10} other .c files of the tree`, scale: k, files });
  }

  const parser = await loadCParser();
  const parseOnly = (files: CFile[]) => {
    for (const f of files) parser.parse(f.text)?.delete();
  };
  const analyse = (files: CFile[]) => {
    let functions = 0;
    let syscalls = 0;
    let withErrnos = 0;
    let issues = 0;
    for (const f of files) {
      const r = analyzeC(parser, f.text, relative(dir, f.path));
      functions += r.value.functions.length;
      syscalls += r.value.syscalls.length;
      withErrnos += Object.values(r.value.errors).filter((e) => e.errnos.length > 0).length;
      issues += r.issues.length;
    }
    return { functions, syscalls, withErrnos, issues };
  };
  // warm-up: the grammar, the JIT
  parseOnly(ten.slice(0, 2));
  analyse(ten.slice(0, 2));

  const m = machine();
  console.log(
    `C analysis: ${dir}; median of ${runs} run${runs > 1 ? 's' : ''}; ${m.cpus} x ${m.cpu}, node ${m.node}`,
  );
  console.log('  parse    = tree-sitter-c (web-tree-sitter, wasm) parse of the file as it is, tree freed');
  console.log(
    '  analysis = analyzeC: SYSCALL_DEFINE/loop-macro rewrite, parse, tree copy, functions, syscalls and\n' +
      '             the errno set of every function with evidence (gotos, variables, helpers, translators)',
  );
  const rows: Record<string, unknown>[] = [];
  for (const set of sets) {
    const bytes = set.files.reduce((n, f) => n + f.bytes, 0);
    const mb = bytes / 1048576;
    const p: number[] = [];
    const a: number[] = [];
    let counts = { functions: 0, syscalls: 0, withErrnos: 0, issues: 0 };
    for (let r = 0; r < runs; r++) {
      p.push((await time(() => parseOnly(set.files))).ms);
      const x = await time(() => analyse(set.files));
      a.push(x.ms);
      counts = x.result;
    }
    const pm = median(p);
    const am = median(a);
    console.log(
      `\n${set.scale}x: ${set.label}, ${mb.toFixed(2)} MB: ${counts.functions} functions, ${counts.syscalls} SYSCALL_DEFINEs, ` +
        `${counts.withErrnos} functions with errnos, ${counts.issues} issues`,
    );
    console.log(
      `  parse     ${(pm / 1000).toFixed(2).padStart(6)} s  ${(mb / (pm / 1000)).toFixed(2).padStart(5)} MB/s  ${(pm / mb).toFixed(0)} ms/MB`,
    );
    console.log(
      `  analysis  ${(am / 1000).toFixed(2).padStart(6)} s  ${(mb / (am / 1000)).toFixed(2).padStart(5)} MB/s  ${(am / mb).toFixed(0)} ms/MB  ${(am / pm).toFixed(2)}x the parse`,
    );
    rows.push({
      scale: set.scale,
      files: set.files.length,
      megabytes: Number(mb.toFixed(2)),
      parseMs: Math.round(pm),
      analysisMs: Math.round(am),
      parseMbPerS: Number((mb / (pm / 1000)).toFixed(2)),
      analysisMbPerS: Number((mb / (am / 1000)).toFixed(2)),
      ratioToParse: Number((am / pm).toFixed(2)),
      analysisMsPerMb: Math.round(am / mb),
      ...counts,
      ...(set.scale === 1 ? { paths: set.files.map((f) => relative(dir, f.path)) } : {}),
    });
  }
  if (rows.length > 1) {
    const first = rows[0] as { analysisMsPerMb: number; scale: number };
    const last = rows[rows.length - 1] as { analysisMsPerMb: number; scale: number };
    console.log(
      `\nscaling ${first.scale}x -> ${last.scale}x: analysis ${first.analysisMsPerMb} -> ${last.analysisMsPerMb} ms/MB ` +
        `(${(last.analysisMsPerMb / first.analysisMsPerMb).toFixed(2)}x per unit)`,
    );
  }
  recordResults('c', { tree: dir, runs, sets: rows });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
