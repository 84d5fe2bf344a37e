import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildUnit, shiftLines } from '../../checks/unit.js';
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
