import { describe, expect, it } from 'vitest';
import { edit, findingsOf, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const raw = fixture('kapi/gizmo-raw.macro.c');
const ioctl = fixture('kapi/widget-ioctl.macro.c');
const generated = fixture('kapi/gadget-generated.macro.c');

const ENOMEM_MACRO = 'KAPI_ERROR(1, -ENOMEM, "ENOMEM", "len exceeds FROB_MAX_LEN",';

tableTest('kapi-error-name-mismatch', {
  valid: [
    { name: 'macro form', text: macro },
    { name: 'kerneldoc gen 1 (-ENOMEM, ENOMEM)', text: kd1 },
    { name: 'kerneldoc gen 2 (NAME, summary)', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'raw .errors[0] initializer', text: raw },
    { name: 'error helper macros (KAPI_ERROR_EFAULT)', text: ioctl },
    { name: 'generated code', text: generated },
    {
      name: 'aliases name the same errno: -EWOULDBLOCK named "EAGAIN"',
      text: edit(macro, ENOMEM_MACRO, 'KAPI_ERROR(1, -EWOULDBLOCK, "EAGAIN", "len exceeds FROB_MAX_LEN",'),
    },
    {
      name: 'kernel-internal codes are errno names too',
      text: edit(
        macro,
        ENOMEM_MACRO,
        'KAPI_ERROR(1, -ERESTARTSYS, "ERESTARTSYS", "len exceeds FROB_MAX_LEN",',
      ),
    },
    {
      name: 'kerneldoc gen 2: a signed code is not judged (its generator is not in the corpus)',
      text: edit(kd2, ' * error: ENOMEM, len', ' * error: -ENOMEM, len'),
    },
    {
      name: 'a spec the hunk cuts off is not judged',
      text: edit(macro, ENOMEM_MACRO, 'KAPI_ERROR(1, -ENOMEM, "EPERM", "len exceeds FROB_MAX_LEN",'),
      pre: macro,
      hunksOnly: true,
    },
  ],
  invalid: [
    {
      name: 'macro form: code and name differ',
      text: edit(macro, ENOMEM_MACRO, 'KAPI_ERROR(1, -ENOMEM, "EPERM", "len exceeds FROB_MAX_LEN",'),
      errors: [
        {
          line: line(macro, ENOMEM_MACRO),
          spec: 'sys_frob',
          subject: 'ENOMEM',
          severity: 'error',
          message:
            /sys_frob: error code -ENOMEM is named "EPERM"; the code and its name must be the same errno/,
          evidence: ['KAPI_ERROR(1, -ENOMEM, "EPERM"'],
          suggestion: `\t${ENOMEM_MACRO}`,
        },
      ],
    },
    {
      name: 'macro form: a positive code',
      text: edit(macro, ENOMEM_MACRO, 'KAPI_ERROR(1, ENOMEM, "ENOMEM", "len exceeds FROB_MAX_LEN",'),
      errors: [
        {
          line: line(macro, ENOMEM_MACRO),
          subject: 'ENOMEM',
          message: /error code ENOMEM must be negative \(-ENOMEM\): a syscall returns -errno/,
          evidence: ['KAPI_ERROR(1, ENOMEM, "ENOMEM"'],
          suggestion: `\t${ENOMEM_MACRO}`,
        },
      ],
    },
    {
      name: 'macro form: a numeric code',
      text: edit(macro, ENOMEM_MACRO, 'KAPI_ERROR(1, -12, "ENOMEM", "len exceeds FROB_MAX_LEN",'),
      errors: [
        {
          line: line(macro, ENOMEM_MACRO),
          subject: '-12',
          message: /error code -12 is a number; errno numbers differ between architectures, write the name/,
          evidence: ['KAPI_ERROR(1, -12, "ENOMEM"'],
        },
      ],
    },
    {
      name: 'macro form: a misspelt errno, code and name alike',
      text: edit(macro, ENOMEM_MACRO, 'KAPI_ERROR(1, -ENOMEN, "ENOMEN", "len exceeds FROB_MAX_LEN",'),
      errors: [
        {
          line: line(macro, ENOMEM_MACRO),
          subject: 'ENOMEN',
          message: /sys_frob: ENOMEN is not an errno name \(did you mean ENOMEM\?\)/,
          suggestion: `\t${ENOMEM_MACRO}`,
        },
      ],
    },
    {
      name: 'raw initializer: .name differs from .error_code (reported on the .name line)',
      text: edit(raw, '.name = "EINVAL",', '.name = "EBUSY",'),
      errors: [
        {
          line: line(raw, '.name = "EINVAL",'),
          spec: 'sys_gizmo',
          subject: 'EINVAL',
          message: /error code -EINVAL is named "EBUSY"/,
          evidence: ['.errors[0] = {', '.error_code = -EINVAL,', '.name = "EBUSY",'],
          suggestion: '\t\t.name = "EINVAL",',
        },
      ],
    },
    {
      name: 'macro form, patch context: the added line',
      text: edit(macro, 'KAPI_ERROR(3, -EINTR, "EINTR"', 'KAPI_ERROR(3, EINTR, "EINTR"'),
      pre: macro,
      errors: [{ line: line(macro, 'KAPI_ERROR(3, -EINTR'), subject: 'EINTR' }],
    },
    {
      name: 'kerneldoc gen 1: code and name differ',
      text: edit(kd1, 'error-code: -ENOMEM, ENOMEM,', 'error-code: -ENOMEM, EPERM,'),
      errors: [
        {
          line: line(kd1, 'error-code: -ENOMEM'),
          subject: 'ENOMEM',
          message: /error code -ENOMEM is named "EPERM"/,
          suggestion: ' * error-code: -ENOMEM, ENOMEM, len exceeds FROB_MAX_LEN,',
        },
      ],
    },
    {
      name: "kerneldoc gen 1: a code without '-' (RFC v3 copies it as written, or merges it into the previous error)",
      text: edit(kd1, 'error-code: -ENOMEM, ENOMEM,', 'error-code: ENOMEM, ENOMEM,'),
      errors: [
        {
          line: line(kd1, 'error-code: -ENOMEM'),
          subject: 'ENOMEM',
          message:
            /error code ENOMEM must be negative \(-ENOMEM\): RFC v3's kernel-doc copies it into \.error_code as written/,
          suggestion: ' * error-code: -ENOMEM, ENOMEM, len exceeds FROB_MAX_LEN,',
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: a misspelt errno',
      text: edit(kd2, ' * error: ENOMEM, len', ' * error: ENOMEN, len'),
      errors: [
        {
          line: line(kd2, ' * error: ENOMEM'),
          subject: 'ENOMEN',
          message: /ENOMEN is not an errno name \(did you mean ENOMEM\?\)/,
          evidence: ['error: ENOMEN, len exceeds FROB_MAX_LEN'],
          suggestion: ' * error: ENOMEM, len exceeds FROB_MAX_LEN',
        },
      ],
    },
    {
      name: "kerneldoc gen 3: a signed code (PATCH v4's generator skips the entry)",
      text: edit(kd3, ' * error: ENOMEM, len', ' * error: -ENOMEM, len'),
      errors: [
        {
          line: line(kd3, ' * error: ENOMEM'),
          subject: 'ENOMEM',
          message:
            /error -ENOMEM is written with a sign; PATCH v4 reads only `error: NAME, summary` and skips this entry/,
          suggestion: ' * error: ENOMEM, len exceeds FROB_MAX_LEN',
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: code, name and summary with two different errnos',
      text: edit(kd3, ' * error: ENOMEM, len', ' * error: ENOMEM, EPERM, len'),
      errors: [{ subject: 'ENOMEM', message: /error code ENOMEM is named "EPERM"/ }],
    },
    {
      name: 'kerneldoc gen 3: a numeric code',
      text: edit(kd3, ' * error: EPERM, caller', ' * error: 1, caller'),
      errors: [{ line: line(kd3, ' * error: EPERM'), subject: '1', message: /error code 1 is a number/ }],
    },
  ],
});

describe('kapi-error-name-mismatch suggestions', () => {
  it('offers no fix for a misspelling two edits away from any errno', async () => {
    const found = await findingsOf('kapi-error-name-mismatch', {
      text: edit(macro, ENOMEM_MACRO, 'KAPI_ERROR(1, -EXYZZY, "EXYZZY", "len exceeds FROB_MAX_LEN",'),
    });
    expect(found.map((f) => [f.message, f.suggestion])).toEqual([
      ['sys_frob: EXYZZY is not an errno name', undefined],
    ]);
  });
});
