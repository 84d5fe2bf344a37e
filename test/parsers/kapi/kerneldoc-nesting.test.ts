/**
 * Kerneldoc blocks nested to any depth (parsers/kapi/kerneldoc-blocks.ts): `struct:` blocks with
 * `field:` blocks, a field whose type is a struct written in place, a struct inside the param that
 * points to it, and what malformed nesting gives.
 *
 * fixtures/kapi/gleam-nested.{macro,kd2,kd3}.c state the same facts: struct gleam_req with a field
 * `span` of type struct gleam_span, which has fields of its own. The macro form writes two
 * KAPI_STRUCT_SPECs; gen 2 nests struct: -> field: -> struct: -> field: -> sub-keys (five levels),
 * gen 3 does the same inside `param: req` (six levels). A parser that knows two levels only (a
 * header and its sub-keys) reads none of it: the HEAD parser before this change gave 20 orphan
 * sub-key warnings and no struct for the gen-2 file, and silently no struct at all for the gen-3
 * one, whose nested lines it took for continuation text. Hence the exact facts and 0 issues below.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKerneldocSpecs } from '../../../parsers/kapi/kerneldoc.js';
import { type DocBlockTable, KERNELDOC_BLOCKS } from '../../../parsers/kapi/kerneldoc-blocks.js';
import { parseMacroSpecs } from '../../../parsers/kapi/macro.js';
import { type ApiSpec, specFacts } from '../../../parsers/kapi/model.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../fixtures/kapi/${name}`, import.meta.url), 'utf8');

/** A kerneldoc comment from body lines (without the ` * ` prefix), followed by a declaration. */
function doc(body: string[], after = 'SYSCALL_DEFINE1(frob, const struct frob_attr __user *, attr)'): string {
  return ['/**', ...body.map((l) => (l === '' ? ' *' : ` * ${l}`)), ' */', after, '{', '}', ''].join('\n');
}

/** The one spec of `text` and the issues. */
function parse(text: string, blocks?: DocBlockTable): { spec: ApiSpec; issues: [string, number][] } {
  const r = parseKerneldocSpecs(text, 'kernel/frob.c', blocks ? { blocks } : {});
  expect(r.value).toHaveLength(1);
  return { spec: r.value[0] as ApiSpec, issues: r.issues.map((i) => [i.code, i.line ?? 0]) };
}

const clean = (text: string): ApiSpec => {
  const { spec, issues } = parse(text);
  expect(issues).toEqual([]);
  expect(spec.unknown).toEqual([]);
  return spec;
};

const assignmentsOf = (s: ApiSpec, block: string) =>
  s.assignments.filter((a) => a.block === block).map((a) => [a.field, a.value, a.via]);

const field = (
  index: number,
  name: string,
  type: string,
  ctype: string,
  description: string,
  constraint: Partial<{
    constraintType: string;
    range: { min: string; max: string };
    validMask: string;
    enumValues: string[];
  }> = {},
) => ({
  index,
  name,
  type,
  ctype,
  description,
  constraintType: constraint.constraintType ?? null,
  range: constraint.range ?? null,
  validMask: constraint.validMask ?? null,
  enumValues: constraint.enumValues ?? null,
});

/** The structs every gleam-nested fixture states, positions removed. */
const GLEAM_STRUCTS = [
  {
    index: 0,
    name: 'gleam_req',
    description: 'A gleam request',
    size: '24',
    alignment: '8',
    fields: [
      field(0, 'flags', 'uint', '__u32', 'Request flags', {
        constraintType: 'mask',
        validMask: 'GLEAM_F_ALL',
      }),
      field(1, 'mode', 'enum', '__u32', 'How to gleam', {
        constraintType: 'enum',
        enumValues: ['GLEAM_MODE_SOFT', 'GLEAM_MODE_HARD'],
      }),
      field(2, 'span', 'struct', 'struct gleam_span', 'The range to gleam'),
    ],
  },
  {
    index: 1,
    name: 'gleam_span',
    description: 'A range of bytes',
    size: '16',
    alignment: '8',
    fields: [
      field(0, 'start', 'uint', '__u64', 'First byte', {
        constraintType: 'range',
        range: { min: '0', max: 'GLEAM_MAX' },
      }),
      field(1, 'len', 'uint', '__u64', 'Length in bytes', {
        constraintType: 'range',
        range: { min: '1', max: 'GLEAM_MAX_LEN' },
      }),
    ],
  },
];

describe('gleam-nested: a struct field whose type is a struct, nested in place', () => {
  const macro = parseMacroSpecs(fixture('gleam-nested.macro.c'), 'm.c');
  const kd = (['gleam-nested.kd2.c', 'gleam-nested.kd3.c'] as const).map((file) => ({
    file,
    r: parseKerneldocSpecs(fixture(file), `fixtures/kapi/${file}`),
  }));

  it('the macro form parses cleanly and states the two structs', () => {
    expect(macro.issues).toEqual([]);
    const s = macro.value[0] as ApiSpec;
    expect(s.unknown).toEqual([]);
    expect((specFacts(s) as { structs: unknown }).structs).toEqual(GLEAM_STRUCTS);
  });

  for (const { file, r } of kd) {
    it(`${file}: 0 issues, nothing unknown, and exactly the struct facts`, () => {
      expect(r.issues).toEqual([]);
      expect(r.value).toHaveLength(1);
      const s = r.value[0] as ApiSpec;
      expect(s.unknown).toEqual([]);
      expect(s.partial).toBe(false);
      expect(s.form).toBe(file.includes('kd2') ? 'kerneldoc-2' : 'kerneldoc-3');
      expect((specFacts(s) as { structs: unknown }).structs).toEqual(GLEAM_STRUCTS);
    });

    it(`${file}: specFacts() deep-equals the macro form's`, () => {
      expect(specFacts(r.value[0] as ApiSpec)).toEqual(specFacts(macro.value[0] as ApiSpec));
    });
  }

  it('keeps every entry on its own line and every assignment under its own block', () => {
    const text = fixture('gleam-nested.kd3.c');
    const lines = text.split('\n');
    const lineOf = (needle: string): number => lines.findIndex((l) => l.includes(needle)) + 1;
    const s = kd[1]?.r.value[0] as ApiSpec;
    expect(s.structs.map((st) => st.line)).toEqual([
      lineOf('struct: gleam_req'),
      lineOf('struct: gleam_span'),
    ]);
    expect(s.structs[1]?.fields.map((f) => f.line)).toEqual([lineOf('field: start'), lineOf('field: len')]);
    // the param block holds only its own keys: the struct nested in it is linked by name
    expect(assignmentsOf(s, 'param[0]')).toEqual([
      ['description', 'The request', '@req:'],
      ['name', 'req', 'param:'],
      ['type', 'user_ptr', 'type:'],
      ['flags', 'in | user', 'type:'],
      ['struct_type', 'gleam_req', 'struct:'],
      ['type_name', 'const struct gleam_req __user *', 'SYSCALL_DEFINE1'],
    ]);
    // the span field's continuation line joins its desc:, and the field links its struct
    expect(assignmentsOf(s, 'struct[0].field[2]')).toEqual([
      ['name', 'span', 'field:'],
      ['type_name', 'struct gleam_span', 'field:'],
      ['type', 'struct', 'type:'],
      ['description', 'The range to gleam', 'desc:'],
      ['struct_type', 'gleam_span', 'struct:'],
    ]);
    expect(assignmentsOf(s, 'struct[1].field[1]')).toEqual([
      ['name', 'len', 'field:'],
      ['type_name', '__u64', 'field:'],
      ['type', 'uint', 'type:'],
      ['description', 'Length in bytes', 'desc:'],
      ['constraint_type', 'range(1, GLEAM_MAX_LEN)', 'constraint-type:'],
      ['min_value', '1', 'constraint-type:'],
      ['max_value', 'GLEAM_MAX_LEN', 'constraint-type:'],
    ]);
  });

  it('a changed field deep inside is a different fact', () => {
    const text = fixture('gleam-nested.kd2.c').replace('range: 1, GLEAM_MAX_LEN', 'range: 1, 4096');
    const s = clean(text);
    expect(s.structs[1]?.fields[1]?.range).toEqual({ min: '1', max: '4096' });
    const { structs: a, ...restA } = specFacts(s) as Record<string, unknown>;
    const { structs: b, ...restB } = specFacts(macro.value[0] as ApiSpec) as Record<string, unknown>;
    expect(restA).toEqual(restB);
    expect(a).not.toEqual(b);
  });
});

describe('depth', () => {
  /** A chain of `levels` structs, each with a field `next` whose type is the next struct. */
  function chain(levels: number, indentUnit: string): string[] {
    const out = ['sys_frob - Frobnicate', 'contexts: process'];
    for (let k = 0; k < levels; k++) {
      const pad = indentUnit.repeat(2 * k);
      out.push(`${pad}struct: s${k}, Level ${k}`);
      out.push(`${pad}${indentUnit}field: leaf, __u32`);
      out.push(`${pad}${indentUnit}${indentUnit}type: uint`);
      out.push(`${pad}${indentUnit}${indentUnit}range: 0, ${k}`);
      if (k + 1 < levels) {
        out.push(`${pad}${indentUnit}field: next, struct s${k + 1}`);
        out.push(`${pad}${indentUnit}${indentUnit}type: struct`);
      }
    }
    // back at the first struct's field level after the deepest one
    out.push(`${indentUnit}field: tail, __u8`);
    out.push(`${indentUnit}${indentUnit}desc: Last field of s0`);
    return out;
  }

  for (const [name, unit] of [
    ['two spaces', '  '],
    ['tabs', '\t'],
  ] as const) {
    it(`reads 40 nested structs indented with ${name}, and dedents back to the first`, () => {
      const s = clean(doc(chain(40, unit)));
      expect(s.structs.map((st) => st.name)).toEqual(Array.from({ length: 40 }, (_, k) => `s${k}`));
      for (const [k, st] of s.structs.entries()) {
        expect(st.description).toBe(`Level ${k}`);
        expect(st.fields[0]).toMatchObject({ name: 'leaf', type: 'uint', range: { min: '0', max: `${k}` } });
        if (k < 39)
          expect(st.fields[1]).toMatchObject({ name: 'next', type: 'struct', ctype: `struct s${k + 1}` });
      }
      expect(s.structs[0]?.fields.map((f) => f.name)).toEqual(['leaf', 'next', 'tail']);
      expect(s.structs[0]?.fields[2]?.description).toBe('Last field of s0');
    });
  }

  it('a thousand levels: no stack overflow, linear time', () => {
    const t0 = Date.now();
    const s = clean(doc(chain(1000, ' ')));
    expect(s.structs).toHaveLength(1000);
    expect(s.structs[999]?.fields[0]?.range).toEqual({ min: '0', max: '999' });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe('the block table is data', () => {
  const body = [
    'sys_frob - Frobnicate',
    'contexts: process',
    'struct: frob_attr',
    '  member: flags, __u32',
    '    type: uint',
    '    mask: FROB_F_ALL',
  ];

  it('a table where struct: takes member: blocks reads member: as a field', () => {
    const table: DocBlockTable = {
      ...KERNELDOC_BLOCKS,
      blocks: {
        ...KERNELDOC_BLOCKS.blocks,
        struct: { ...KERNELDOC_BLOCKS.blocks.struct, nests: { member: 'struct_field' } },
      },
    };
    const { spec, issues } = parse(doc(body), table);
    expect(issues).toEqual([]);
    expect(spec.structs[0]?.fields).toMatchObject([
      { name: 'flags', type: 'uint', ctype: '__u32', constraintType: 'mask', validMask: 'FROB_F_ALL' },
    ]);
    // with the default table `member:` is an unknown sub-key, and its lines continue it
    const dflt = parse(doc(body));
    expect(dflt.spec.structs[0]?.fields).toEqual([]);
    expect(dflt.spec.unknown.map((u) => u.text)).toEqual(['member']);
  });

  it('a table without `struct:` in `field:` reports the nested struct as misplaced, and still reads it', () => {
    const table: DocBlockTable = {
      ...KERNELDOC_BLOCKS,
      blocks: {
        ...KERNELDOC_BLOCKS.blocks,
        struct_field: { ...KERNELDOC_BLOCKS.blocks.struct_field, nests: {} },
      },
    };
    const text = fixture('gleam-nested.kd2.c');
    const { spec, issues } = parse(text, table);
    const nested = text.split('\n').findIndex((l) => l.includes('struct: gleam_span')) + 1;
    expect(issues).toEqual([['kapi-doc-misplaced-block', nested]]);
    expect((specFacts(spec) as { structs: unknown }).structs).toEqual(GLEAM_STRUCTS);
  });
});

describe('malformed nesting: an issue, no exception, nothing else lost', () => {
  const REST = [
    'param: attr',
    '  type: user_ptr, input',
    'error: EINVAL, bad attributes',
    '  desc: A field is out of range.',
  ];
  /** The facts outside the struct stay as they are. */
  const restIntact = (s: ApiSpec): void => {
    expect(s.params).toMatchObject([{ name: 'attr', type: 'user_ptr', flags: ['in', 'user'] }]);
    expect(s.errors).toMatchObject([
      { code: 'EINVAL', condition: 'bad attributes', description: 'A field is out of range.' },
    ]);
    expect(s.contexts).toEqual(['process']);
  };

  it('`field:` at the top level, outside any `struct:`: kapi-doc-misplaced-block, its sub-keys kept', () => {
    const { spec, issues } = parse(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        ...REST,
        'field: flags, __u32',
        '  type: uint',
        '  mask: F_ALL',
      ]),
    );
    expect(issues).toEqual([['kapi-doc-misplaced-block', 8]]);
    restIntact(spec);
    // read as a field of an unnamed struct, as a PATCH v4 `struct-field:` with no struct is
    expect(spec.structs).toMatchObject([
      { name: '', fields: [{ name: 'flags', type: 'uint', constraintType: 'mask', validMask: 'F_ALL' }] },
    ]);
    expect(spec.unknown).toEqual([]);
  });

  it('`field:` indented with no block open: the same issue, not one orphan warning per sub-key', () => {
    const { spec, issues } = parse(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        '',
        '  field: flags, __u32',
        '    type: uint',
        ...REST,
      ]),
    );
    expect(issues).toEqual([['kapi-doc-misplaced-block', 5]]);
    restIntact(spec);
    expect(spec.structs[0]?.fields).toMatchObject([{ name: 'flags', type: 'uint' }]);
  });

  it('`field:` inside `param:` (a block that does not take it), after the struct it belongs to', () => {
    const { spec, issues } = parse(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'struct: frob_attr',
        '  field: flags, __u32',
        ...REST.slice(0, 2),
        '  field: level, __s32',
        '    range: 0, 9',
        ...REST.slice(2),
      ]),
    );
    expect(issues).toEqual([['kapi-doc-misplaced-block', 8]]);
    restIntact(spec);
    // the misplaced field joins the struct named last
    expect(spec.structs[0]?.fields).toMatchObject([
      { name: 'flags' },
      { name: 'level', constraintType: 'range', range: { min: '0', max: '9' } },
    ]);
  });

  it('`struct:` inside `error:` (a block that does not take it): reported, read as a struct', () => {
    const { spec, issues } = parse(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        ...REST,
        '  struct: frob_attr, Attributes',
        '    field: flags, __u32',
        '      type: uint',
      ]),
    );
    expect(issues).toEqual([['kapi-doc-misplaced-block', 8]]);
    restIntact(spec);
    expect(spec.structs).toMatchObject([
      { name: 'frob_attr', description: 'Attributes', fields: [{ name: 'flags', type: 'uint' }] },
    ]);
    // the error does not claim the struct as its type
    expect(assignmentsOf(spec, 'error[0]').map(([f]) => f)).toEqual([
      'error_code',
      'condition',
      'description',
    ]);
  });

  it('a `struct:` block defines the struct a param named before it with `struct-type:`', () => {
    const s = clean(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'param: attr',
        '  type: user_ptr, input',
        '  struct-type: frob_attr',
        'struct: frob_attr, Attributes',
        '  field: flags, __u32',
      ]),
    );
    expect(s.structs).toMatchObject([
      { index: 0, name: 'frob_attr', description: 'Attributes', fields: [{ name: 'flags' }], line: 7 },
    ]);
    expect(assignmentsOf(s, 'param[0]')).toContainEqual(['struct_type', 'frob_attr', 'struct-type:']);
  });

  it('a sub-key with no header: kapi-doc-orphan-subkey, the other keys are read', () => {
    const { spec, issues } = parse(
      doc(['sys_frob - Frobnicate', 'contexts: process', '', '    constraint-type: range(0, 9)', ...REST]),
    );
    expect(issues).toEqual([['kapi-doc-orphan-subkey', 5]]);
    restIntact(spec);
  });

  it('a sub-key less indented than the ones before it: kapi-doc-indent, read where it points', () => {
    const { spec, issues } = parse(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'struct: frob_attr',
        '    field: flags, __u32',
        '        type: uint',
        '      desc: Request flags',
        '  field: level, __s32',
        '      type: int',
        ...REST,
      ]),
    );
    expect(issues).toEqual([
      ['kapi-doc-indent', 7],
      ['kapi-doc-indent', 8],
    ]);
    restIntact(spec);
    expect(spec.structs[0]?.fields).toMatchObject([
      { name: 'flags', type: 'uint', description: 'Request flags' },
      { name: 'level', type: 'int' },
    ]);
    expect(spec.unknown).toEqual([]);
  });

  it('a key deeper than the sub-keys before it continues the value, as at every other level', () => {
    const s = clean(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'struct: frob_attr',
        '  field: flags, __u32',
        '    desc: Request flags; see the',
        '      type: section of the manual',
        '    type: uint',
      ]),
    );
    expect(s.structs[0]?.fields).toMatchObject([
      { name: 'flags', type: 'uint', description: 'Request flags; see the type: section of the manual' },
    ]);
  });

  it('a struct or field header without a name is reported, and its keys are read', () => {
    const { spec, issues } = parse(
      doc(['sys_frob - Frobnicate', 'contexts: process', 'struct:', '  field:', '    type: uint', ...REST]),
    );
    expect(issues).toEqual([
      ['kapi-doc-empty-header', 4],
      ['kapi-doc-empty-header', 5],
    ]);
    restIntact(spec);
    expect(spec.structs).toMatchObject([{ name: '', fields: [{ name: '', type: 'uint' }] }]);
  });

  it('`type:` of a field takes a C type as the C type, and `ctype:` states it too', () => {
    const s = clean(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'struct: frob_attr',
        '  field: flags',
        '    type: __u32',
        '  field: level',
        '    type: int',
        '    ctype: __s32',
        '  field: mode',
        '    type: KAPI_TYPE_ENUM',
        '    enum: A(0), B(1)',
        '    constraint-type: KAPI_CONSTRAINT_CUSTOM',
      ]),
    );
    expect(
      s.structs[0]?.fields.map((f) => [f.name, f.type, f.ctype, f.constraintType, f.enumValues]),
    ).toEqual([
      ['flags', null, '__u32', null, null],
      ['level', 'int', '__s32', null, null],
      // an explicit constraint-type wins over the one enum: implies
      ['mode', 'enum', null, 'custom', ['A(0)', 'B(1)']],
    ]);
  });

  it('`struct: x` alone in a plain comment does not make it a spec; with sub-keys it does', () => {
    const prose = [
      '/**',
      ' * frob_thing - do a thing',
      ' * struct: is mentioned in prose',
      ' */',
      'int frob_thing(void);',
    ];
    expect(parseKerneldocSpecs(prose.join('\n'))).toEqual({ value: [], issues: [] });
    const spec = [
      '/**',
      ' * frob_thing - do a thing',
      ' * struct: frob_attr',
      ' *   size: 16',
      ' */',
      'int frob_thing(void);',
    ];
    expect(parseKerneldocSpecs(spec.join('\n')).value.map((s) => s.structs[0]?.size)).toEqual(['16']);
  });

  it('random edits of the nested fixtures never throw', () => {
    const sources = ['gleam-nested.kd2.c', 'gleam-nested.kd3.c', 'frob2.kd2.c', 'frob2.kd3.c'].map(fixture);
    const pieces = [
      ' * field: x',
      ' *   field: x, __u32',
      ' *     struct: y',
      ' * struct:',
      ' *   struct: z, desc',
      ' *       type: struct',
      ' *\tfield: t',
      ' *   constraint-type: enum(',
      ' *   enum: ,,',
      ' *   range: 1',
    ];
    const mutation = fc.record({
      which: fc.integer({ min: 0, max: sources.length - 1 }),
      edits: fc.array(
        fc.record({
          at: fc.nat(),
          op: fc.constantFrom('delete', 'insert', 'indent', 'dedent'),
          piece: fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 30 })),
        }),
        { maxLength: 8 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ which, edits }) => {
        const lines = (sources[which] ?? '').split('\n');
        for (const e of edits) {
          const i = e.at % (lines.length + 1);
          if (e.op === 'delete') lines.splice(i, 1);
          else if (e.op === 'insert') lines.splice(i, 0, e.piece);
          else if (e.op === 'indent') lines[i] = (lines[i] ?? '').replace(/^(\s*\*)/, '$1  ');
          else lines[i] = (lines[i] ?? '').replace(/^(\s*\*)\s+/, '$1 ');
        }
        const r = parseKerneldocSpecs(lines.join('\n'));
        expect(r.issues.filter((x) => x.code === 'kapi-doc-internal')).toEqual([]);
        for (const s of r.value) {
          JSON.stringify(specFacts(s));
          for (const st of s.structs) for (const f of st.fields) expect(typeof f.name).toBe('string');
        }
      }),
      { numRuns: 400 },
    );
  });
});
