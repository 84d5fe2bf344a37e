import { describe, expect, it } from 'vitest';
import { checkById } from '../../checks/index.js';
import { runChecks } from '../../checks/runner.js';
import { buildUnit } from '../../checks/unit.js';
import { parseMail } from '../../parsers/mail.js';
import { corpusFiles, corpusPresent } from '../helpers/corpus.js';
import { edit, findingsOf, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

/** A struct spec with three fields, for the nested index sequence. */
const withStruct = edit(
  macro,
  '\tKAPI_ERROR_COUNT(4)',
  `\tKAPI_STRUCT_SPEC(0, frob_args, "Arguments")
		KAPI_STRUCT_FIELD(0, "start", KAPI_TYPE_UINT, "__u64", "Start")
		KAPI_STRUCT_FIELD_END
		KAPI_STRUCT_FIELD(1, "len", KAPI_TYPE_UINT, "__u64", "Length")
		KAPI_STRUCT_FIELD_END
		KAPI_STRUCT_FIELD(2, "flags", KAPI_TYPE_UINT, "__u32", "Flags")
		KAPI_STRUCT_FIELD_END
	KAPI_STRUCT_SPEC_END

	KAPI_ERROR_COUNT(4)`,
);

tableTest('kapi-index-sequence', {
  valid: [
    { name: 'macro form: every list runs 0..n-1', text: macro },
    { name: 'struct fields 0..2', text: withStruct },
    { name: 'raw initializers (.errors[0], .locks[0]) mixed with macros', text: raw },
    {
      name: 'helper macros expand to params 0 and 1 and 4 (fwctl-like ioctl spec)',
      text: ioctl,
    },
    { name: 'generated code without *_END macros (PATCH v3/v4)', text: generated },
    {
      name: 'source order does not matter, only the indices',
      text: edit(
        edit(macro, 'KAPI_ERROR(0, -EINVAL', 'KAPI_ERROR(3, -EINVAL'),
        'KAPI_ERROR(3, -EINTR',
        'KAPI_ERROR(0, -EINTR',
      ),
    },
    { name: 'kerneldoc gen 1 numbers its entries itself', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    {
      name: 'an index written as a macro constant cannot be judged',
      text: edit(macro, 'KAPI_ERROR(3, -EINTR', 'KAPI_ERROR(FROB_EINTR_IDX, -EINTR'),
    },
    {
      name: 'a spec the hunk cuts off is not judged',
      text: edit(macro, 'KAPI_ERROR(3, -EINTR', 'KAPI_ERROR(4, -EINTR'),
      pre: macro,
      hunksOnly: true,
    },
  ],
  invalid: [
    {
      name: 'macro form: an error index skipped',
      text: edit(macro, 'KAPI_ERROR(3, -EINTR', 'KAPI_ERROR(4, -EINTR'),
      errors: [
        {
          line: line(macro, 'KAPI_ERROR(3, -EINTR'),
          spec: 'sys_frob',
          subject: 'index:error[4]',
          severity: 'error',
          message:
            /sys_frob: error\[4\] is out of sequence: errors are indexed 0, 1, 2, 4 and nothing defines error\[3\]/,
          evidence: ['KAPI_ERROR(2, -EPERM', 'KAPI_ERROR(4, -EINTR'],
          suggestion: '\tKAPI_ERROR(3, -EINTR, "EINTR", "fatal signal while waiting for frob_lock",',
        },
      ],
    },
    {
      name: 'macro form: an error index used twice',
      text: edit(macro, 'KAPI_ERROR(2, -EPERM', 'KAPI_ERROR(1, -EPERM'),
      errors: [
        {
          line: line(macro, 'KAPI_ERROR(2, -EPERM'),
          subject: 'index:error[1]',
          message:
            /sys_frob: error\[1\] is defined twice \(first on line 41\); the second overwrites the first/,
          evidence: ['KAPI_ERROR(1, -ENOMEM', 'KAPI_ERROR(1, -EPERM'],
          suggestion: '\tKAPI_ERROR(2, -EPERM, "EPERM", "caller lacks CAP_SYS_ADMIN",',
        },
      ],
    },
    {
      name: 'macro form, patch context: the index change is the added line',
      text: edit(
        macro,
        'KAPI_SIDE_EFFECT(1, KAPI_EFFECT_ALLOC_MEMORY',
        'KAPI_SIDE_EFFECT(2, KAPI_EFFECT_ALLOC_MEMORY',
      ),
      pre: macro,
      errors: [
        {
          line: line(macro, 'KAPI_SIDE_EFFECT(1,'),
          subject: 'index:side_effect[2]',
          message: /side effects are indexed 0, 2 and nothing defines side_effect\[1\]/,
          suggestion: '\tKAPI_SIDE_EFFECT(1, KAPI_EFFECT_ALLOC_MEMORY, "page tables",',
        },
      ],
    },
    {
      name: 'ioctl: a written param index collides with the one KAPI_IOCTL_PARAM_FLAGS hard-codes',
      text: edit(ioctl, 'KAPI_PARAM(2, "out_model"', 'KAPI_PARAM(1, "out_model"'),
      errors: [
        {
          line: line(ioctl, 'KAPI_PARAM(2, "out_model"'),
          spec: 'widget_query',
          subject: 'index:param[1]',
          message: /widget_query: param\[1\] is defined twice \(first on line 19\)/,
          evidence: ['KAPI_IOCTL_PARAM_FLAGS', 'KAPI_PARAM(1, "out_model"'],
          suggestion: '\tKAPI_PARAM(2, "out_model", "__u32", "Widget model number")',
        },
      ],
    },
    {
      name: 'ioctl without the helper that stands for param 0: a hole at the start, no renumbering offered',
      text: edit(ioctl, '\tKAPI_IOCTL_PARAM_SIZE\n', ''),
      errors: [
        {
          line: line(ioctl, 'KAPI_IOCTL_PARAM_USER_OUT_BUF(4') - 1,
          subject: 'index:param[4]',
          message: /params are indexed 1, 2, 3, 4 and nothing defines param\[0\]/,
        },
      ],
    },
    {
      name: 'raw initializer and macro give the same error index',
      text: edit(raw, '.errors[0] = {', '.errors[1] = {'),
      errors: [
        {
          line: line(raw, 'KAPI_ERROR(1, -EBUSY'),
          spec: 'sys_gizmo',
          subject: 'index:error[1]',
          message: /error\[1\] is defined twice \(first on line 26\)/,
          evidence: ['.errors[1] = {', 'KAPI_ERROR(1, -EBUSY'],
        },
      ],
    },
    {
      name: 'generated code: a lock index off by one',
      text: edit(generated, 'KAPI_LOCK(0, "gadget->lock"', 'KAPI_LOCK(1, "gadget->lock"'),
      errors: [{ subject: 'index:lock[1]', suggestion: '\tKAPI_LOCK(0, "gadget->lock", KAPI_LOCK_MUTEX)' }],
    },
    {
      name: 'struct fields: a field index repeated',
      text: edit(withStruct, 'KAPI_STRUCT_FIELD(2, "flags"', 'KAPI_STRUCT_FIELD(1, "flags"'),
      errors: [
        {
          line: line(withStruct, 'KAPI_STRUCT_FIELD(2, "flags"'),
          subject: 'index:struct[0].field[1]',
          message: /struct\[0\]\.field\[1\] is defined twice/,
        },
      ],
    },
  ],
});

describe('kapi-index-sequence suggestions', () => {
  it('does not renumber param 4 to 0 when the hole is at the start', async () => {
    const found = await findingsOf('kapi-index-sequence', {
      text: edit(ioctl, '\tKAPI_IOCTL_PARAM_SIZE\n', ''),
    });
    expect(found.map((f) => f.suggestion)).toEqual([undefined]);
  });
});

describe('kapi-index-sequence on the real postings', () => {
  it.skipIf(!corpusPresent)(
    'RFC v2 fwctl: the helper macros fill params 0 and 1, so nothing is reported',
    async () => {
      const file = corpusFiles('rfc-v2').find((f) =>
        f.name.endsWith('rfc-v2-17-fwctl-ioctl-specs.patch.txt'),
      );
      const mail = (await parseMail(file?.bytes ?? Buffer.alloc(0))).value;
      const check = checkById('kapi-index-sequence');
      if (!check) throw new Error('not registered');
      const indices: Record<string, (number | null)[]> = {};
      for (const diff of mail.files) {
        const fragments = diff.hunks.map((h) => ({
          startLine: h.newStart,
          lines: h.lines.filter((l) => l.kind !== 'del').map((l) => l.text),
        }));
        const unit = buildUnit({ path: diff.path, mode: 'hunks', post: null, fragments, diff }, null);
        for (const s of unit.specs) indices[s.name] = s.params.map((p) => p.index).sort();
        expect(runChecks(unit, [check]).findings).toEqual([]);
      }
      expect(indices.fwctl_info).toEqual([0, 1, 2, 3, 4]);
    },
  );
});

describe('kapi-index-sequence on a spec with thousands of misnumbered entries', () => {
  it('says each once, with the index lists abbreviated, and the right neighbour as evidence', async () => {
    // errors indexed 1..3000 (every one off by one): 3000 gaps, and nothing defines error[0]
    const n = 3000;
    const errors = Array.from(
      { length: n },
      (_, i) => `\tKAPI_ERROR(${i + 1}, -EINVAL, "EINVAL", "case ${i}", "description ${i}")`,
    );
    const text = [
      'DEFINE_KERNEL_API_SPEC(sys_frob)',
      '\tKAPI_DESCRIPTION("Frobnicate")',
      ...errors,
      `\tKAPI_ERROR_COUNT(${n})`,
      'KAPI_END_SPEC;',
      '',
      'SYSCALL_DEFINE0(frob)',
      '{',
      '\treturn -EINVAL;',
      '}',
      '',
    ].join('\n');
    const found = await findingsOf('kapi-index-sequence', { text });
    // only error[3000] lies outside 0..2999; error[0] is the one hole
    expect(found.map((f) => f.subject)).toEqual([`index:error[${n}]`]);
    const [f] = found;
    expect(f?.message).toMatch(
      /^sys_frob: error\[3000\] is out of sequence: errors are indexed 1, 2, 3, 4, 5, 6, 7, 8, \.\.\. \(2988 more\), 2997, 2998, 2999, 3000 and nothing defines error\[0\]$/,
    );
    // the entry just below it: error[2999]
    expect(f?.evidence[0]?.text).toContain('KAPI_ERROR(2999,');
  });
});
