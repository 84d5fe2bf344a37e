import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks/index.js';
import { runChecks } from '../../checks/runner.js';
import { buildUnit, type FactMemo, type MemoKind, shiftLines } from '../../checks/unit.js';
import { findSyscalls } from '../../parsers/c/preprocess.js';
import { parseKerneldocSpecs } from '../../parsers/kapi/kerneldoc.js';
import { parseMacroSpecs } from '../../parsers/kapi/macro.js';

const root = join(import.meta.dirname, '..', '..');
const texts = ['kapi', 'c'].flatMap((d) =>
  readdirSync(join(root, 'fixtures', d)).map((f) => readFileSync(join(root, 'fixtures', d, f), 'utf8')),
);

const parse = (text: string) => ({
  macro: parseMacroSpecs(text, 'x.c'),
  kerneldoc: parseKerneldocSpecs(text, 'x.c'),
  syscalls: findSyscalls(text),
});

describe('a unit built from hunks', () => {
  it('reads a fragment as the parsers read it after that many empty lines', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let withSpecs = 0;
    for (const text of texts) {
      const lines = text.split('\n');
      for (let i = 0; i < 40; i++) {
        const start = rnd(lines.length);
        const frag = lines.slice(start, start + 1 + rnd(150)).join('\n');
        const padded = parse('\n'.repeat(start) + frag);
        expect(shiftLines(parse(frag), start)).toEqual(padded);
        if (padded.macro.value.length + padded.kerneldoc.value.length > 0) withSpecs++;
      }
    }
    expect(withSpecs).toBeGreaterThan(50);
  });

  it('finds the specs of 2,000 fragments at their post-image lines', () => {
    const spec = readFileSync(join(root, 'fixtures', 'kapi', 'frob.kd2.c'), 'utf8').split('\n');
    const fragments = Array.from({ length: 2000 }, (_, k) => ({
      startLine: 1 + k * 20,
      lines: k === 1999 ? spec : [`\tint v${k};`],
    }));
    const unit = buildUnit({ path: 'kernel/big.c', mode: 'hunks', post: null, fragments, diff: null }, null);
    expect(unit.specs.map((s) => [s.name, s.line >= 1 + 1999 * 20])).toEqual([['sys_frob', true]]);
    expect(unit.line(1 + 1999 * 20)).toBe(spec[0]);
    expect(unit.syscalls.map((s) => s.line - 1999 * 20)).toEqual(
      findSyscalls(spec.join('\n')).syscalls.map((s) => s.line),
    );
  });
});

describe('a unit built from a whole post-image', () => {
  it('reads its lines as the text split at line ends, CRs kept, and nothing outside it', () => {
    for (const post of ['a\r\nb\n\nlast', 'one\n', '', '\n\n', ...texts.slice(0, 4)]) {
      const unit = buildUnit({ path: 'x.h', mode: 'full', post, fragments: [], diff: null }, null);
      const lines = post.split('\n');
      expect(lines.map((_, i) => unit.line(i + 1))).toEqual(lines);
      for (const n of [0, -1, lines.length + 1, 1.5, Number.NaN]) expect(unit.line(n)).toBeUndefined();
    }
  });
});

describe('a unit of a whole image without a spec', () => {
  /** A memo that makes every value and counts what it made, by kind. */
  const counting = (): { memo: FactMemo; made: Map<MemoKind, number> } => {
    const made = new Map<MemoKind, number>();
    const make = <T>(kind: MemoKind, f: () => T): T => {
      made.set(kind, (made.get(kind) ?? 0) + 1);
      return f();
    };
    return {
      made,
      memo: { get: (kind, _p, _t, f) => make(kind, f), peek: (kind, _p, _t, f) => make(kind, f) },
    };
  };
  // C files with syscalls and no spec: the fixtures' C without specs, and the others with their
  // macro specs and KAPI words cut out where that leaves none
  const noSpec = (t: string): boolean =>
    buildUnit({ path: 'x.c', mode: 'full', post: t, fragments: [], diff: null }, null).specs.length === 0;
  const plain = texts
    .flatMap((t) => [t, t.replace(/DEFINE_[A-Z_]*SPEC\(/g, 'NOT_A_SPEC(').replace(/KAPI_/g, 'X_')])
    .filter((t) => findSyscalls(t).syscalls.length > 0 && noSpec(t));

  it('looks for its syscalls only when they are read, and the checks do not read them', () => {
    expect(plain.length).toBeGreaterThan(1);
    for (const post of plain) {
      const { memo, made } = counting();
      const unit = buildUnit({ path: 'x.c', mode: 'full', post, fragments: [], diff: null }, null, memo);
      expect(unit.specs).toEqual([]);
      const r = runChecks(unit, CHECKS);
      expect(r.crashes).toEqual([]);
      expect(r.findings).toEqual([]);
      expect(made.get('syscalls')).toBeUndefined();
      // read: the syscalls the file defines, each documented by none
      const want = findSyscalls(post).syscalls.map((s) => s.fnName);
      expect(unit.syscalls.map((s) => s.fnName)).toEqual(want);
      expect(unit.specOf).toEqual(want.map(() => null));
      expect(unit.specOf).toBe(unit.specOf);
      expect(unit.syscalls).toBe(unit.syscalls);
      expect(unit.orphans).toEqual([]);
      expect(unit.misnamed).toEqual([]);
      expect(made.get('syscalls')).toBe(1);
      void unit.syscalls;
      expect(made.get('syscalls')).toBe(1);
    }
  });

  it('gives the syscalls an image with a spec gives, once its spec is gone', () => {
    const withSpec = texts.find(
      (t) => /DEFINE_KERNEL_API_SPEC\(sys_/.test(t) && findSyscalls(t).syscalls.length > 0,
    );
    expect(withSpec).toBeDefined();
    const text = withSpec as string;
    const specced = buildUnit({ path: 'x.c', mode: 'full', post: text, fragments: [], diff: null }, null);
    expect(specced.specs.length).toBeGreaterThan(0);
    const cut = text.replace(/DEFINE_KERNEL_API_SPEC\(/g, 'NOT_A_SPEC(');
    const bare = buildUnit({ path: 'x.c', mode: 'full', post: cut, fragments: [], diff: null }, null);
    expect(bare.specs).toEqual([]);
    expect(bare.syscalls.map((s) => [s.fnName, s.line, s.arity])).toEqual(
      specced.syscalls.map((s) => [s.fnName, s.line, s.arity]),
    );
  });
});
