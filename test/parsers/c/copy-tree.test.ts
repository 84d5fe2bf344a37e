import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Parser, Query } from 'web-tree-sitter';
import { loadCParser } from '../../../app/c/language.js';
import { copyTreeOracle } from '../../../bench/copytree-baseline.js';
import { type CNode, copyTree, LEAF_TYPES, NO_FIELD_TYPES } from '../../../parsers/c/ast.js';
import { prepareC } from '../../../parsers/c/preprocess.js';

/**
 * copyTree spares cursor calls (no look for children under a token, no field asked under a parent
 * type without fields; in a subtree without errors, no failed step past the last child, no start
 * asked of a first child, no end of an anonymous token). Its copy must be
 * the one the plain walk of bench/copytree-baseline.ts makes, deep-equal, for any text: real kernel
 * files, the fixtures, and broken C with ERROR and MISSING nodes.
 */

let parser: Parser;
beforeAll(async () => {
  parser = await loadCParser();
});

/** The first place two copies differ, as a path and the two values; null when they are equal. */
function difference(a: CNode, b: CNode, path = 'root'): string | null {
  if (isDeepStrictEqual(a, b)) return null;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('children');
  for (const k of keys) {
    const x = (a as unknown as Record<string, unknown>)[k];
    const y = (b as unknown as Record<string, unknown>)[k];
    if (x !== y || k in a !== k in b) return `${path}.${k}: ${String(x)} != ${String(y)}`;
  }
  if (a.children.length !== b.children.length)
    return `${path} (${a.type}): ${a.children.length} children != ${b.children.length}`;
  for (let i = 0; i < a.children.length; i++) {
    const d = difference(
      a.children[i] as CNode,
      b.children[i] as CNode,
      `${path}/${i}:${a.children[i]?.type}`,
    );
    if (d) return d;
  }
  return `${path}: unequal, no field differs`;
}

/** Both copies of one text's tree: null when equal, else where they differ. And whether it had errors. */
function compare(text: string): { diff: string | null; error: boolean } {
  const tree = parser.parse(text);
  if (!tree) throw new Error('no tree');
  try {
    return {
      diff: difference(copyTree(tree, text), copyTreeOracle(tree, text)),
      error: tree.rootNode.hasError,
    };
  } finally {
    tree.delete();
  }
}

describe('the grammar facts copyTree relies on', () => {
  const ask = (pattern: string): string | null => {
    try {
      new Query(parser.language as NonNullable<Parser['language']>, pattern).delete();
      return null;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  };

  it('no node of a LEAF_TYPES type can have a child', () => {
    for (const t of LEAF_TYPES) {
      expect(ask(`(${t})`), t).toBeNull();
      expect(ask(`(${t} _)`), t).toMatch(/^Bad pattern structure/);
    }
  });

  it('no child of a NO_FIELD_TYPES type can have a field name', () => {
    const fields = (parser.language?.fields ?? []).filter((f): f is string => Boolean(f));
    expect(fields.length).toBeGreaterThan(20);
    for (const t of NO_FIELD_TYPES) {
      expect(ask(`(${t})`), t).toBeNull();
      for (const f of fields) expect(ask(`(${t} ${f}: _)`), `${t} ${f}`).toMatch(/^Bad pattern structure/);
    }
    // and the probe does tell a field that can be there
    expect(ask('(if_statement condition: _)')).toBeNull();
  });

  /** tree-sitter-c's grammar as its generator wrote it out (src/grammar.json). */
  interface Rule {
    type: string;
    name?: string;
    value?: string;
    named?: boolean;
    content?: Rule;
    members?: Rule[];
  }
  const grammar = JSON.parse(
    readFileSync(createRequire(import.meta.url).resolve('tree-sitter-c/src/grammar.json'), 'utf8'),
  ) as { rules: Record<string, Rule>; externals: unknown[]; inline?: string[] };
  const rules = grammar.rules;
  const every = (r: Rule | undefined, fn: (r: Rule) => void): void => {
    if (!r) return;
    fn(r);
    every(r.content, fn);
    for (const m of r.members ?? []) every(m, fn);
  };
  /** A rule the tree shows no node of: its children are its parent's. */
  const hidden = (name: string): boolean => name.startsWith('_') || (grammar.inline ?? []).includes(name);
  /** A rule the lexer matches whole: a token, whose node has no children. */
  const lexical = (r: Rule): boolean =>
    ['PATTERN', 'STRING', 'TOKEN', 'IMMEDIATE_TOKEN'].includes(r.type) ||
    (r.type.startsWith('PREC') && r.content !== undefined && lexical(r.content));
  /** Rules that can match no text (by fixpoint). */
  const empty = new Set<string>();
  const canBeEmpty = (r: Rule): boolean => {
    switch (r.type) {
      case 'BLANK':
      case 'REPEAT':
        return true;
      case 'STRING':
      case 'PATTERN':
        return r.value === '';
      case 'SYMBOL':
        return empty.has(r.name as string);
      case 'SEQ':
        return (r.members ?? []).every(canBeEmpty);
      case 'CHOICE':
        return (r.members ?? []).some(canBeEmpty);
      default:
        return r.content !== undefined && canBeEmpty(r.content);
    }
  };
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, r] of Object.entries(rules))
      if (!empty.has(name) && canBeEmpty(r)) {
        empty.add(name);
        grew = true;
      }
  }
  /** Whether a node's children can begin with a token the cursor does not show (an unnamed one). */
  const startsHidden = (r: Rule, seen: Set<string>): boolean => {
    switch (r.type) {
      case 'PATTERN':
        return true;
      case 'TOKEN':
      case 'IMMEDIATE_TOKEN': {
        // a token of one string is shown, named by the string
        let x = r.content as Rule;
        while (x.type.startsWith('PREC') && x.content) x = x.content;
        return x.type !== 'STRING';
      }
      case 'SYMBOL': {
        const name = r.name as string;
        if (!hidden(name) || seen.has(name)) return false;
        seen.add(name);
        return startsHidden(rules[name] as Rule, seen);
      }
      case 'SEQ':
        for (const m of r.members ?? []) {
          if (startsHidden(m, seen)) return true;
          if (!canBeEmpty(m)) return false;
        }
        return false;
      case 'CHOICE':
        return (r.members ?? []).some((m) => startsHidden(m, seen));
      case 'ALIAS':
      case 'STRING':
      case 'BLANK':
        return false;
      default:
        return r.content !== undefined && startsHidden(r.content, seen);
    }
  };

  it('every anonymous node is a token spelt as its type, a directive aside, and none is made by a scanner', () => {
    expect(grammar.externals).toEqual([]);
    // an anonymous node with children, or with a text other than its type, would need an
    // anonymous alias of something else than a string: there are only the directives' (`#if`)
    const wrong: string[] = [];
    const TOKENS = new Set(['STRING', 'PATTERN', 'TOKEN', 'IMMEDIATE_TOKEN']);
    for (const [name, rule] of Object.entries(rules))
      every(rule, (r) => {
        if (r.type !== 'ALIAS' || r.named !== false) return;
        if (!r.content || !TOKENS.has(r.content.type)) wrong.push(`${name}: ${r.value} is no token`);
        const spelt = r.content?.type === 'STRING' && r.content.value === r.value;
        if (!spelt && !r.value?.startsWith('#')) wrong.push(`${name}: ${r.value}`);
      });
    expect(wrong).toEqual([]);
  });

  it('no node but the root can be empty, and none begins with a token the cursor does not show', () => {
    // a child ends where its parent does only as the last child when no empty node can follow it
    expect([...empty].filter((n) => !hidden(n))).toEqual(['translation_unit']);
    expect(Object.keys(rules)[0]).toBe('translation_unit');
    // a first child starts where its parent does when no hidden token comes before it
    const visible = new Set(Object.keys(rules).filter((n) => !hidden(n)));
    for (const rule of Object.values(rules))
      every(rule, (r) => {
        if (r.type === 'ALIAS' && r.content?.type === 'SYMBOL') visible.add(r.content.name as string);
      });
    const wrong = [...visible].filter((n) => {
      const r = rules[n] as Rule;
      return !lexical(r) && startsHidden(r, new Set());
    });
    expect(wrong).toEqual([]);
    // and the analysis does find such a rule where there is one
    expect(startsHidden({ type: 'SEQ', members: [{ type: 'PATTERN', value: 'x' }] }, new Set())).toBe(true);
  });
});

describe('copyTree copies what the plain walk copies', () => {
  const fixtures = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'c');

  it('on the fixtures, as written and as the analysis prepares them', () => {
    const names = readdirSync(fixtures).filter((f) => f.endsWith('.c'));
    expect(names.length).toBeGreaterThan(1);
    for (const name of names) {
      const text = readFileSync(join(fixtures, name), 'utf8');
      expect(compare(text).diff, name).toBeNull();
      expect(compare(prepareC(text).text).diff, `${name} prepared`).toBeNull();
    }
  });

  it('on broken C: unbalanced braces, ERROR and MISSING nodes, odd text', () => {
    const cases = [
      '',
      '   \n\n',
      '}',
      '{',
      'int f(void) {',
      'int f(void) { return 0;',
      'int f(void) { return 0; }}',
      'int f(int x) { if (x) { return -EINVAL; }',
      'int f(int x) { return x +; }',
      'int f(int x) { g(x, ; return -EIO; }',
      'int f(int x { return -EIO; }',
      'int f(int x) { int a = ; a = -ENOMEM return a; }',
      'int f(int x) { switch (x) { case 1: return -EINVAL; default: } }',
      'int f(int x) { while (x) x-- return 0; }',
      'int f(int x) { "unterminated; return -EIO; }',
      "int f(int x) { char c = 'a; return -EIO; }",
      'int f(int x) { /* unterminated\n return -EIO; }',
      '#if X\nint f(void) { return -EIO; }\n',
      'int f(void) {\n#ifdef A\n return -EIO;\n#else\n return -ENOMEM;\n}\n',
      'int f(void) { return g(a)(b)[c]->d.e; }\nint g(int a) { @@@ return -EPERM; }',
      'static int f(int a, ...) { ((a)); ;; return (-EINVAL); } static int',
      'int f(void) { int g(void) { return -EIO; } return g(); }',
      'int f(void)\r\n{\r\n\treturn -EIO;\r\n}\r\n',
      'int caf\u00e9(void) { int \u00fc = 1; return -EIO; } /* \u00e9\u00e9 */ int g(void) { return 0; }',
      'int f(void) { return a \\\n + b; }',
      'struct s { int a; }; int f(struct s *p) { return p->a ? -EINVAL : 0; }',
      'int f(void) { x = (struct s){ .a = 1, [2] = 3 }; return sizeof(int[3]); }',
      'int f(void) { asm volatile("nop" ::: "memory"); return -EIO; }',
      'SYSCALL_DEFINE1(f, int, x) { return -EINVAL; }',
      'int f(void) { return 0; } int',
      ')))',
      'int f(void) { if (a) } else { return -EIO; } }',
    ];
    let errors = 0;
    for (const text of cases) {
      const r = compare(text);
      expect(r.diff, JSON.stringify(text)).toBeNull();
      if (r.error) errors++;
    }
    // most of them do give tree-sitter errors
    expect(errors).toBeGreaterThan(cases.length / 2);
  });

  it('on fixtures broken at random (deletions and stray tokens)', () => {
    const bases = readdirSync(fixtures)
      .filter((f) => f.endsWith('.c'))
      .map((f) => readFileSync(join(fixtures, f), 'utf8'));
    const STRAY = [
      '{',
      '}',
      '(',
      ')',
      ';',
      ',',
      '"',
      "'",
      '/*',
      '*/',
      'return',
      'if (',
      'else',
      '#if X\n',
      '#endif\n',
      '\\\n',
      '\n',
      '-EINVAL',
      'int x',
      '\u00e9',
      ':',
      '?',
    ];
    const edit = fc.record({
      at: fc.nat(),
      cut: fc.nat({ max: 40 }),
      put: fc.constantFrom(...STRAY, ''),
    });
    let errors = 0;
    let clean = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (b, edits) => {
          let text = bases[b] as string;
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            text = text.slice(0, at) + e.put + text.slice(at + e.cut);
          }
          const r = compare(text);
          if (r.error) errors++;
          else clean++;
          return r.diff === null;
        },
      ),
      { numRuns: 150 },
    );
    expect(errors).toBeGreaterThan(0);
    expect(errors + clean).toBeGreaterThanOrEqual(150);
  });
});

/** The Debian 6.12 tree, when extracted (this test does not extract it). */
const KERNEL =
  process.env.KAPI_KERNEL_TREE ??
  join(process.env.KAPI_KERNEL_CACHE ?? '/var/tmp/kapi-review', 'linux-source-6.12');
const kernelPresent = existsSync(join(KERNEL, 'Makefile'));
if (!kernelPresent) console.warn(`copy-tree kernel test skipped: no extracted kernel tree at ${KERNEL}`);

describe.skipIf(!kernelPresent)('copyTree on the kernel files that define syscalls', () => {
  it('copies what the plain walk copies, for every .c file of mm/, kernel/ and fs/ with SYSCALL_DEFINE', () => {
    const files: string[] = [];
    for (const sub of ['mm', 'kernel', 'fs'])
      for (const f of readdirSync(join(KERNEL, sub), { recursive: true, encoding: 'utf8' }))
        if (f.endsWith('.c')) files.push(join(KERNEL, sub, f));
    let checked = 0;
    let withErrors = 0;
    const wrong: string[] = [];
    for (const f of files.sort()) {
      const text = readFileSync(f, 'utf8');
      if (!text.includes('SYSCALL_DEFINE')) continue;
      checked++;
      for (const [how, t] of [
        ['as written', text],
        ['prepared', prepareC(text).text],
      ] as const) {
        const r = compare(t);
        if (r.error) withErrors++;
        if (r.diff) wrong.push(`${f} ${how}: ${r.diff}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(50);
    // both paths of the copy are taken: whole trees without errors and trees with some
    expect(withErrors).toBeGreaterThan(0);
    expect(withErrors).toBeLessThan(2 * checked);
  }, 120_000);
});
