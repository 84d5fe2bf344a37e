/**
 * Issue 14, hostile input: the indexed algorithms give what the pairwise ones gave (checked
 * against the pairwise versions on generated inputs), and the hostile probes of the scaling bench
 * (bench/hostile.ts) at a bounded size run through every check with the right findings. Nothing
 * here is timed: the figures are in `npm run bench:scaling`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { loadCParser } from '../../app/c/language.js';
import {
  kerneldocErrors,
  macroErrors,
  PROBE_ERRNOS,
  probeError,
  specPairs,
  unclosedComments,
} from '../../bench/hostile.js';
import { CHECKS } from '../../checks/index.js';
import { firstRepeats, repeats } from '../../checks/rules/kapi-desc-duplicated.js';
import { repeatedFields } from '../../checks/rules/kapi-field-override.js';
import { runChecks } from '../../checks/runner.js';
import type { Finding } from '../../checks/types.js';
import { buildUnit, shiftLines } from '../../checks/unit.js';
import { analyzeC } from '../../parsers/c/index.js';
import { findSyscalls, prepareC } from '../../parsers/c/preprocess.js';
import { parseKerneldocSpecs } from '../../parsers/kapi/kerneldoc.js';
import { type Linked, linkSpecs, type SyscallRef } from '../../parsers/kapi/link.js';
import { parseMacroSpecs } from '../../parsers/kapi/macro.js';
import { type ApiSpec, emptySpec, type FieldAssignment } from '../../parsers/kapi/model.js';
import { fixture } from './harness.js';

let parser: Parser | undefined;
async function cParser(): Promise<Parser> {
  parser ??= await loadCParser();
  return parser;
}

/** linkSpecs as it was: every spec compared with every syscall. */
function pairwiseLink<S extends SyscallRef>(specs: ApiSpec[], syscalls: S[]): Linked<S> {
  const byLine = [...syscalls].sort((a, b) => a.line - b.line);
  const specOf: (ApiSpec | null)[] = syscalls.map(() => null);
  const used = new Set<ApiSpec>();
  for (const [i, sc] of syscalls.entries()) {
    let best: ApiSpec | null = null;
    for (const sp of specs) {
      if (sp.name !== sc.fnName || sp.line > sc.line) continue;
      if (!best || sp.line > best.line) best = sp;
    }
    specOf[i] = best;
    if (best) used.add(best);
  }
  const orphans: ApiSpec[] = [];
  const misnamed: { spec: ApiSpec; next: S }[] = [];
  for (const sp of specs) {
    if (used.has(sp) || sp.kind !== 'syscall') continue;
    const next = byLine.find((sc) => sc.line > sp.endLine);
    if (next && next.line - sp.endLine <= 10) misnamed.push({ spec: sp, next });
    else orphans.push(sp);
  }
  return { specOf, orphans, misnamed };
}

function spec(name: string, line: number, endLine: number, kind: 'syscall' | 'ioctl' = 'syscall'): ApiSpec {
  return { ...emptySpec(name, kind, 'macro', 'f.c', line), endLine };
}

describe('linkSpecs, indexed by name and line', () => {
  it('links 20,000 spec + syscall pairs, each to its own spec, and finds the strays', () => {
    const specs: ApiSpec[] = [];
    const syscalls: SyscallRef[] = [];
    for (let k = 0; k < 20_000; k++) {
      // every 8th spec is named for another syscall; every 16th syscall has two specs above it
      const name = k % 8 === 7 ? `sys_stray${k}` : `sys_c${k}`;
      if (k % 16 === 0) specs.push(spec(name, 40 * k + 21, 40 * k + 25), spec(name, 40 * k + 1, 40 * k + 5));
      else specs.push(spec(name, 40 * k + 1, 40 * k + 20));
      syscalls.push({ name: `c${k}`, fnName: `sys_c${k}`, line: 40 * k + 30 });
    }
    const r = linkSpecs(specs, syscalls);
    for (let k = 0; k < 20_000; k++) {
      const got = r.specOf[k];
      if (k % 8 === 7) expect(got).toBeNull();
      else expect(got?.line, `syscall ${k}`).toBe(40 * k + (k % 16 === 0 ? 21 : 1));
    }
    expect(r.misnamed.map((m) => [m.spec.name, m.next.fnName])).toEqual(
      specs.filter((s) => s.name.startsWith('sys_stray')).map((s) => [s.name, s.name.replace('stray', 'c')]),
    );
    // the farther of two specs of one name above one syscall is an orphan
    expect(r.orphans.map((o) => o.line)).toEqual(
      Array.from({ length: 20_000 / 16 }, (_, i) => 40 * 16 * i + 1),
    );
  });

  it('gives what comparing every spec with every syscall gives', () => {
    const names = ['sys_a', 'sys_b', 'sys_c'];
    const arbSpec = fc.record({
      name: fc.constantFrom(...names),
      line: fc.integer({ min: 1, max: 60 }),
      length: fc.integer({ min: 0, max: 8 }),
      kind: fc.constantFrom('syscall' as const, 'ioctl' as const),
    });
    const arbSyscall = fc.record({ name: fc.constantFrom(...names), line: fc.integer({ min: 1, max: 70 }) });
    fc.assert(
      fc.property(fc.array(arbSpec, { maxLength: 12 }), fc.array(arbSyscall, { maxLength: 8 }), (ss, cs) => {
        const specs = ss.map((s) => spec(s.name, s.line, s.line + s.length, s.kind));
        const syscalls = cs.map((c) => ({ name: c.name.slice(4), fnName: c.name, line: c.line }));
        expect(linkSpecs(specs, syscalls)).toEqual(pairwiseLink(specs, syscalls));
        // the same objects, not equal copies
        const a = linkSpecs(specs, syscalls);
        const b = pairwiseLink(specs, syscalls);
        a.specOf.forEach((s, i) => {
          expect(s).toBe(b.specOf[i]);
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('kapi-desc-duplicated: firstRepeats', () => {
  /** What the check did: every earlier text compared with each text. */
  function pairwise(values: string[], keys: (string | null)[]): number[] {
    return values.map((y, j) => {
      for (let i = 0; i < j; i++) {
        if (keys[j] !== null && keys[i] === keys[j]) continue;
        if (repeats(values[i] as string, y)) return i;
      }
      return -1;
    });
  }

  // pieces that make equal texts, texts inside others (at word boundaries or not), short ones
  const PIECES = [
    'The page lock is held by another task',
    'the range is not mapped in the calling process',
    '(see the page lock is held by another task)',
    'no memory',
    'EINVAL',
    'x'.repeat(41),
    'xx',
    'Reserved, must be zero',
    'flags has unknown bits set, or MCL_ONFAULT alone',
    '',
  ];
  const arbText = fc
    .tuple(
      fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 3 }),
      fc.constantFrom(' ', ', ', '. ', '_', '-', '  \n', ''),
      fc.constantFrom('', '.', ' ;', ':'),
      fc.boolean(),
    )
    .map(([ps, sep, end, upper]) => {
      const t = ps.join(sep) + end;
      return upper ? t.toUpperCase() : t;
    });

  it('gives what comparing every pair gives', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbText, fc.constantFrom('EAGAIN', 'EINVAL', 'ENOMEM')), { maxLength: 14 }),
        fc.boolean(),
        (entries, keyed) => {
          const values = entries.map((e) => e[0]);
          const keys = entries.map((e) => (keyed ? e[1] : null));
          expect(firstRepeats(values, keys)).toEqual(pairwise(values, keys));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('finds the first earlier text among 40,000, of another key', () => {
    const n = 40_000;
    const values = Array.from(
      { length: n },
      (_, i) => `Entry ${i % 5 === 4 ? i - 4 : i} of the probe: the call failed for this reason`,
    );
    // every text of entry 0 is contained in the long one at the end
    values.push(`See: ${values[0]} and more words after it`);
    const keys = values.map((_, i) => (i % 10 === 9 ? 'EINVAL' : i % 10 === 5 ? 'EINVAL' : `E${i % 3}`));
    const found = firstRepeats(values, keys);
    for (let j = 0; j < n; j++) {
      // entry j repeats entry j - 4 (equal texts) unless both have one key
      const want = j % 5 === 4 && keys[j] !== keys[j - 4] ? j - 4 : -1;
      if (found[j] !== want) expect(found[j], `entry ${j}`).toBe(want);
    }
    expect(found[n]).toBe(0);
  });
});

describe('kapi-field-override: repeatedFields', () => {
  /** What the check did: a group per block and field, in order of appearance; those of two or more. */
  function grouped(as: FieldAssignment[], skipBlock: (b: string) => boolean): FieldAssignment[][] {
    const groups = new Map<string, FieldAssignment[]>();
    for (const a of as) {
      if ((a.block === 'spec' && a.field === 'name') || skipBlock(a.block)) continue;
      const key = `${a.block}\u0000${a.field}`;
      const g = groups.get(key);
      if (g) g.push(a);
      else groups.set(key, [a]);
    }
    return [...groups.values()].filter((g) => g.length > 1);
  }

  it('gives the groups of two or more that grouping every assignment gives', () => {
    const blocks = ['spec', 'error[0]', 'error[1]', 'lock[0]', 'param[?]'];
    const fields = ['name', 'description', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', 'f10'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...blocks), fc.constantFrom(...fields)), { maxLength: 40 }),
        fc.subarray(blocks),
        (pairs, skippedBlocks) => {
          const as = pairs.map(([block, field], line) => ({ block, field, value: '', line, via: '' }));
          const skipBlock = (b: string) => skippedBlocks.includes(b);
          const got = repeatedFields(as, {
            assignment: (a) => a.block === 'spec' && a.field === 'name',
            block: skipBlock,
          });
          expect(got).toEqual(grouped(as, skipBlock));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('buildUnit in hunks mode: each fragment parsed alone, its lines moved', () => {
  const FILES = [
    'kapi/frob.macro.c',
    'kapi/frob.kd1.c',
    'kapi/frob.kd2.c',
    'kapi/frob.kd3.c',
    'kapi/gizmo-raw.macro.c',
    'kapi/widget-ioctl.macro.c',
    'kapi/gadget-generated.macro.c',
    'kapi/gleam-nested.kd3.c',
    'c/mlock-shapes.c',
  ].map((f) => [f, fixture(f)] as const);

  it('gives what parsing the fragment padded to its place gives', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FILES),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 120 }),
        ([, text], from, length) => {
          const lines = text.split('\n');
          const start = Math.min(from, lines.length - 1);
          const frag = lines.slice(start, start + length);
          const unit = buildUnit(
            {
              path: 'kernel/x.c',
              mode: 'hunks',
              post: null,
              fragments: [{ startLine: start + 1, lines: frag }],
              diff: null,
              changed: { added: [], hunks: [] },
            },
            null,
          );
          const padded = '\n'.repeat(start) + frag.join('\n');
          const m = parseMacroSpecs(padded, 'kernel/x.c');
          const k = parseKerneldocSpecs(padded, 'kernel/x.c');
          expect(unit.specs).toEqual([...m.value, ...k.value].sort((a, b) => a.line - b.line));
          expect(unit.specIssues).toEqual([...m.issues, ...k.issues]);
          expect(unit.syscalls.map((s) => [s.fnName, s.line, s.endLine])).toEqual(
            findSyscalls(padded).syscalls.map((s) => [s.fnName, s.line, s.line]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('shiftLines moves `line` and `endLine` at any depth, each object once', () => {
    const shared = { line: 1 };
    const v = { line: 2, endLine: 3, at: { line: 4, other: 5 }, list: [shared, shared], text: 'line' };
    expect(shiftLines(v, 10)).toEqual({
      line: 12,
      endLine: 13,
      at: { line: 14, other: 5 },
      list: [{ line: 11 }, { line: 11 }],
      text: 'line',
    });
  });
});

describe('C analysis of a file that ends in an unclosed comment', () => {
  it('sees the code above the comment and nothing in it, as C does', async () => {
    const code = fixture('c/mlock-shapes.c');
    const open = `${code}\n/** never closed\n * SYSCALL_DEFINE0(hidden)\n */ is not here either\nint x(void) { return -EINVAL; }\n`;
    const broken = open.replace(' */ is not here either', '   is not here either');
    expect(prepareC(broken).text.endsWith('*/')).toBe(true);
    expect(prepareC(code).text.endsWith('*/')).toBe(false);
    const p = await cParser();
    const whole = analyzeC(p, code).value;
    const cut = analyzeC(p, broken).value;
    expect(cut.functions).toEqual(whole.functions);
    expect(cut.syscalls).toEqual(whole.syscalls);
    expect(cut.errors).toEqual(whole.errors);
  });
});

/** Findings by check, and by message with the numbers taken out. */
function tally(findings: Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[f.check] = (out[f.check] ?? 0) + 1;
  return out;
}

async function reviewAll(text: string) {
  const unit = buildUnit(
    { path: 'kernel/probe.c', mode: 'full', post: text, fragments: [], diff: null },
    await cParser(),
  );
  const r = runChecks(unit, CHECKS);
  expect(r.crashes).toEqual([]);
  return { unit, findings: r.findings };
}

/** What kapi-error-name-mismatch finds in entries 0..n-1 of an error probe. */
function nameFindings(n: number, signed: boolean): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const e = probeError(i);
    const code = e.code.replace(/^-/, '');
    if (code === 'ENOMEN' || e.name !== code || (signed && !e.code.startsWith('-'))) count++;
  }
  return count;
}

/** The desc-duplicated findings of an error probe: per errno name, its first copied description. */
function descFindings(n: number): string[] {
  const nameOf = (i: number): string => probeError(i).code.replace(/^-/, '');
  const out: string[] = [];
  const seen = new Set<string>();
  for (let j = 4; j < n; j += 5) {
    const name = nameOf(j);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(`sys_probe: the description of error ${name} repeats the description of error ${nameOf(j - 4)}`);
  }
  return out;
}

const UNREACHABLE = PROBE_ERRNOS.filter((e) => !['EINVAL', 'ENOMEM', 'EPERM'].includes(e));

describe('hostile probes at a bounded size, through every check', () => {
  it('a macro spec with 20,000 KAPI_ERROR entries', async () => {
    const n = 20_000;
    const { unit, findings } = await reviewAll(macroErrors(n));
    expect(unit.specs).toHaveLength(1);
    expect(unit.specs[0]?.errors).toHaveLength(n);
    expect(tally(findings)).toEqual({
      'kapi-count-mismatch': 1,
      'kapi-deprecated-form': 1,
      'kapi-desc-duplicated': 13,
      'kapi-error-name-mismatch': nameFindings(n, true),
      'kapi-error-unreachable': UNREACHABLE.length,
    });
    expect(findings.filter((f) => f.check === 'kapi-desc-duplicated').map((f) => f.message)).toEqual(
      descFindings(n),
    );
    expect(
      findings
        .filter((f) => f.check === 'kapi-error-unreachable')
        .map((f) => f.subject)
        .sort(),
    ).toEqual([...UNREACHABLE].sort());
  });

  it('a kerneldoc spec with 20,000 error: blocks', async () => {
    const n = 20_000;
    const { unit, findings } = await reviewAll(kerneldocErrors(n));
    expect(unit.specs[0]?.errors).toHaveLength(n);
    const t = tally(findings);
    expect(t['kapi-error-name-mismatch']).toBe(nameFindings(n, false));
    expect(t['kapi-error-unreachable']).toBe(UNREACHABLE.length);
    expect(findings.filter((f) => f.check === 'kapi-desc-duplicated').map((f) => f.message)).toEqual(
      descFindings(n),
    );
  });

  it('20,000 kerneldoc comments never closed', async () => {
    const n = 20_000;
    const { unit, findings } = await reviewAll(unclosedComments(n));
    expect(unit.specs).toHaveLength(n);
    expect(unit.code?.functions).toEqual([]);
    expect(tally(findings)).toEqual({ 'kapi-parse-error': n });
    expect(findings.every((f) => f.subject === 'kapi-doc-unterminated')).toBe(true);
  });

  it('a macro spec with 150,000 lexer issues, and 2,000 specs that share 20,000 of them', () => {
    const open = ['DEFINE_KERNEL_API_SPEC(sys_x)', '\tKAPI_DESCRIPTION("x")'];
    const one = [...open, ...Array.from({ length: 150_000 }, () => "\t'"), 'KAPI_END_SPEC;'].join('\n');
    const r = parseMacroSpecs(one, 'kernel/x.c');
    expect(r.value).toHaveLength(1);
    expect(r.value[0]?.partial).toBe(true);
    expect(r.issues.filter((i) => i.line !== undefined && i.line >= 3)).toHaveLength(150_000);
    // each spec takes the lexer issues of its own lines, in line order
    const many = Array.from({ length: 2_000 }, (_, k) =>
      [
        `DEFINE_KERNEL_API_SPEC(sys_x${k})`,
        ...Array.from({ length: 10 }, () => "\t'"),
        'KAPI_END_SPEC;',
      ].join('\n'),
    ).join('\n');
    const m = parseMacroSpecs(many, 'kernel/x.c');
    expect(m.value).toHaveLength(2_000);
    for (const [k, spec] of m.value.entries()) {
      expect(spec.line).toBe(12 * k + 1);
      expect(spec.partial).toBe(true);
    }
    const lexLines = m.issues.map((i) => i.line);
    expect(lexLines).toEqual([...lexLines].sort((a, b) => (a ?? 0) - (b ?? 0)));
  });

  it('2,000 spec + syscall pairs in one file', async () => {
    const n = 2_000;
    const { unit, findings } = await reviewAll(specPairs(n));
    expect(unit.syscalls).toHaveLength(n);
    unit.syscalls.forEach((sc, k) => {
      expect(unit.specOf[k]?.name ?? null, sc.fnName).toBe(k % 8 === 6 ? null : `sys_probe${k}`);
    });
    // the macro strays are misnamed; the kerneldoc ones say another name in their summary line
    const strays = (r: number) => Array.from({ length: n / 8 }, (_, i) => 8 * i + r);
    expect(findings.filter((f) => f.check === 'kapi-spec-orphan').map((f) => f.spec)).toEqual([
      ...strays(6).map((k) => `sys_stray${k}`),
      ...strays(7).map((k) => `sys_probe${k}`),
    ]);
    // each documented syscall returns EINVAL, ENOMEM and EPERM: those its spec leaves out are undocumented
    const t = tally(findings);
    expect(t['kapi-count-mismatch']).toBe(n + n / 2);
    expect(t['kapi-error-undocumented']).toBeGreaterThan(0);
  });
});
