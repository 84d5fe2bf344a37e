import { describe, expect, it } from 'vitest';
import { checkById } from '../../checks/index.js';
import { runChecks } from '../../checks/runner.js';
import { buildUnit } from '../../checks/unit.js';
import { parseMail } from '../../parsers/mail.js';
import { corpusFiles, corpusPresent } from '../helpers/corpus.js';
import { edit, fixture, line, tableTest } from './harness.js';

const macro = fixture('kapi/frob.macro.c');
const kd1 = fixture('kapi/frob.kd1.c');
const kd2 = fixture('kapi/frob.kd2.c');
const kd3 = fixture('kapi/frob.kd3.c');
const shapes = fixture('c/mlock-shapes.c');

const LAST_MACRO_ERROR = '"The wait for frob_lock was interrupted; no page was frobnicated.")\n';

/** Macro form: EAGAIN and EWOULDBLOCK for two different conditions (PATCH v4 open's shape). */
const macroBoth = edit(
  macro,
  LAST_MACRO_ERROR,
  `${LAST_MACRO_ERROR}	KAPI_ERROR(4, -EAGAIN, "EAGAIN", "frob_lock is contended and FROB_NOWAIT is set",
		   "Try again later.")
	KAPI_ERROR(5, -EWOULDBLOCK, "EWOULDBLOCK", "another task frobnicates the range",
		   "The range is busy.")
`,
);

/** Gen 3: EWOULDBLOCK listed as a note on EAGAIN (PATCH v4 read's shape). */
const kd3Noted = edit(
  kd3,
  ' * lock: frob_lock\n',
  ` * error: EAGAIN, frob_lock is contended
 *   desc: Try again later.
 *
 * error: EWOULDBLOCK, frob_lock is contended
 *   desc: Alias of EAGAIN on Linux, listed for tools that look for it.
 *
 * lock: frob_lock
`,
);

/** Gen 2: EOPNOTSUPP and ENOTSUP with the same words. */
const kd2Same = edit(
  kd2,
  ' * lock: frob_lock, KAPI_LOCK_MUTEX\n',
  ` * error: EOPNOTSUPP, the memory cannot be frobnicated
 *   desc: Frobnication is not supported for this mapping.
 * error: ENOTSUP, the memory cannot be frobnicated
 *   desc: Frobnication is not supported for this mapping.
 * lock: frob_lock, KAPI_LOCK_MUTEX
`,
);

/** Gen 1: EDEADLK and EDEADLOCK for different conditions. */
const kd1Deadlock = edit(
  kd1,
  ' * lock: frob_lock, KAPI_LOCK_MUTEX\n',
  ` * error-code: -EDEADLK, EDEADLK, frob_lock already held by the caller,
 *   Recursive frobnication.
 * error-code: -EDEADLOCK, EDEADLOCK, two ranges lock each other,
 *   Lock order inversion between ranges.
 * lock: frob_lock, KAPI_LOCK_MUTEX
`,
);

/** Macro form: the spec says EAGAIN where the code returns -EWOULDBLOCK. */
const specEagain = edit(macro, 'KAPI_ERROR(1, -ENOMEM, "ENOMEM",', 'KAPI_ERROR(1, -EAGAIN, "EAGAIN",');
const codeEagain = edit(
  specEagain,
  '\tif (len > FROB_MAX_LEN)\n\t\treturn -ENOMEM;',
  '\tif (len > FROB_MAX_LEN)\n\t\treturn -EAGAIN;',
);
const codeEwouldblock = edit(
  specEagain,
  '\tif (len > FROB_MAX_LEN)\n\t\treturn -ENOMEM;',
  '\tif (len > FROB_MAX_LEN)\n\t\treturn -EWOULDBLOCK;',
);

/** Gen 3: the spec says EWOULDBLOCK where the code returns -EAGAIN. */
const kd3Spelling = edit(
  edit(kd3, ' * error: ENOMEM, len exceeds FROB_MAX_LEN', ' * error: EWOULDBLOCK, len exceeds FROB_MAX_LEN'),
  '\tif (len > FROB_MAX_LEN)\n\t\treturn -ENOMEM;',
  '\tif (len > FROB_MAX_LEN)\n\t\treturn -EAGAIN;',
);

/** mm/mlock.c's shape: -EAGAIN travels through posix_lock_error() and lock_user_range(). */
const mlock2Spec = `/**
 * sys_mlock2 - Lock a range of memory, with flags
 * @start: First address of the range
 * @len: Length of the range
 * @flags: MLOCK_ONFAULT or 0
 *
 * contexts: process, sleepable
 *
 * error: EINVAL, unknown flags
 *   desc: Only MLOCK_ONFAULT is defined.
 *
 * error: EWOULDBLOCK, some pages could not be faulted in
 *   desc: Not enough memory to populate the range.
 */
`;
const mlock2 = edit(shapes, 'SYSCALL_DEFINE3(mlock2,', `${mlock2Spec}SYSCALL_DEFINE3(mlock2,`);

tableTest('kapi-errno-alias', {
  valid: [
    { name: 'macro form without aliases', text: macro },
    { name: 'kerneldoc gen 1', text: kd1 },
    { name: 'kerneldoc gen 2', text: kd2 },
    { name: 'kerneldoc gen 3', text: kd3 },
    { name: 'spec and code both say EAGAIN', text: codeEagain },
    {
      name: 'the code spells it both ways and the spec uses one of them',
      text: edit(
        codeEwouldblock,
        '\t\treturn -EINTR;\n\tret = frob_range',
        '\t\treturn -EAGAIN;\n\tret = frob_range',
      ),
    },
    {
      name: 'without the whole file there are no code facts to compare with',
      text: codeEwouldblock,
      hunksOnly: true,
    },
    {
      name: 'the same spelling twice is not an alias (another check may want it)',
      text: edit(macro, 'KAPI_ERROR(2, -EPERM, "EPERM"', 'KAPI_ERROR(2, -ENOMEM, "ENOMEM"'),
    },
  ],
  invalid: [
    {
      name: 'macro form: EAGAIN and EWOULDBLOCK under different conditions',
      text: macroBoth,
      errors: [
        {
          line: line(macroBoth, 'KAPI_ERROR(5, -EWOULDBLOCK'),
          spec: 'sys_frob',
          subject: 'EWOULDBLOCK',
          severity: 'warning',
          message:
            /sys_frob lists EAGAIN \(line 47\) and EWOULDBLOCK, the same errno, under different conditions; a caller cannot tell them apart/,
          evidence: ['KAPI_ERROR(4, -EAGAIN', 'KAPI_ERROR(5, -EWOULDBLOCK'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 3: EWOULDBLOCK noted as the alias of EAGAIN (info)',
      text: kd3Noted,
      errors: [
        {
          line: line(kd3Noted, 'error: EWOULDBLOCK'),
          subject: 'EWOULDBLOCK',
          severity: 'info',
          message: /sys_frob lists EAGAIN \(line 53\) again as EWOULDBLOCK, the same errno/,
          evidence: ['error: EAGAIN, frob_lock is contended', 'error: EWOULDBLOCK, frob_lock is contended'],
        },
      ],
    },
    {
      name: 'kerneldoc gen 2: EOPNOTSUPP and ENOTSUP saying the same (info)',
      text: kd2Same,
      errors: [{ line: line(kd2Same, 'error: ENOTSUP'), subject: 'ENOTSUP', severity: 'info' }],
    },
    {
      name: 'kerneldoc gen 1: EDEADLK and EDEADLOCK under different conditions',
      text: kd1Deadlock,
      errors: [
        {
          line: line(kd1Deadlock, 'error-code: -EDEADLOCK'),
          subject: 'EDEADLOCK',
          severity: 'warning',
          evidence: ['error-code: -EDEADLK', 'error-code: -EDEADLOCK'],
        },
      ],
    },
    {
      name: 'macro form: the spec says EAGAIN, the code returns -EWOULDBLOCK',
      text: codeEwouldblock,
      errors: [
        {
          line: line(macro, 'KAPI_ERROR(1, -ENOMEM'),
          spec: 'sys_frob',
          subject: 'EAGAIN',
          severity: 'warning',
          message: /sys_frob lists EAGAIN, but the code returns it as EWOULDBLOCK \(the same errno\)/,
          evidence: ['KAPI_ERROR(1, -EAGAIN, "EAGAIN"', 'return -EWOULDBLOCK;'],
          suggestion: '\tKAPI_ERROR(1, -EWOULDBLOCK, "EWOULDBLOCK", "len exceeds FROB_MAX_LEN",',
        },
      ],
    },
    {
      name: 'macro form, patch context: the patch changes the code, so the code line is reported',
      text: codeEwouldblock,
      pre: codeEagain,
      errors: [{ line: line(macro, '\t\treturn -ENOMEM;'), subject: 'EAGAIN' }],
    },
    {
      name: 'kerneldoc gen 3: the spec says EWOULDBLOCK, the code returns -EAGAIN',
      text: kd3Spelling,
      errors: [
        {
          line: line(kd3, ' * error: ENOMEM'),
          subject: 'EWOULDBLOCK',
          evidence: ['error: EWOULDBLOCK', 'return -EAGAIN;'],
          suggestion: ' * error: EAGAIN, len exceeds FROB_MAX_LEN',
        },
      ],
    },
    {
      name: 'mm/mlock.c shape: -EAGAIN reaches sys_mlock2 through two helpers; the chain is the evidence',
      text: mlock2,
      errors: [
        {
          line: line(mlock2, 'error: EWOULDBLOCK'),
          spec: 'sys_mlock2',
          subject: 'EWOULDBLOCK',
          message: /sys_mlock2 lists EWOULDBLOCK, but the code returns it as EAGAIN/,
          evidence: [
            'error: EWOULDBLOCK',
            'code = -EAGAIN;',
            'return posix_lock_error(err);',
            'return lock_user_range(start, len, bits);',
          ],
        },
      ],
    },
  ],
});

describe('kapi-errno-alias on the real postings', () => {
  const run = async (name: string) => {
    const file = corpusFiles('patch-v4').find((f) => f.name.endsWith(name));
    const diff = (await parseMail(file?.bytes ?? Buffer.alloc(0))).value.files[0];
    if (!diff) throw new Error(`no diff in ${name}`);
    const fragments = diff.hunks.map((h) => ({
      startLine: h.newStart,
      lines: h.lines.filter((l) => l.kind !== 'del').map((l) => l.text),
    }));
    const unit = buildUnit({ path: diff.path, mode: 'hunks', post: null, fragments, diff }, null);
    const check = checkById('kapi-errno-alias');
    if (!check) throw new Error('not registered');
    return runChecks(unit, [check]).findings.map((f) => [f.spec, f.subject, f.severity]);
  };
  it.skipIf(!corpusPresent)('PATCH v4 open: EAGAIN and EWOULDBLOCK for different conditions', async () => {
    expect(await run('patch-v4-05-open.patch.txt')).toEqual([['sys_open', 'EWOULDBLOCK', 'warning']]);
  });
  it.skipIf(!corpusPresent)('PATCH v4 read: EWOULDBLOCK listed as the alias of EAGAIN', async () => {
    expect(await run('patch-v4-07-read.patch.txt')).toEqual([['sys_read', 'EWOULDBLOCK', 'info']]);
  });
});
