/**
 * Hostile inputs for the scaling bench (bench/scaling.ts) and the bounded-size probes of the tests
 * (test/checks/scaling.test.ts): C files that are valid enough for every parser and check to work
 * on them, with one dimension grown without bound. Pure and deterministic: the same `n` gives the
 * same text.
 *
 * - `macroErrors(n)`: one macro spec with n KAPI_ERROR entries, and its syscall.
 * - `kerneldocErrors(n)`: the same spec in kerneldoc (gen 2) form: n `error:` blocks.
 * - `unclosedComments(n)`: n `/**` openers of specs that are never closed.
 * - `specPairs(n)`: n syscalls, each with its spec above it (macro and kerneldoc taking turns),
 *   and every eighth spec of each form named for another syscall.
 * - `probeHunks(text)`: a patch with one hunk per spec of a `specPairs` file, for hunks mode.
 *
 * Every error probe mixes what the checks look for: codes and names that disagree, unknown codes,
 * positive codes, errnos the syscall cannot return, descriptions copied between entries and a
 * declared count that is wrong; so every check does real work on every entry.
 */

import type { FileDiff } from '../parsers/diff.js';

/** The errnos the error probes cycle through (the syscall returns the first three). */
export const PROBE_ERRNOS = [
  'EINVAL',
  'ENOMEM',
  'EPERM',
  'EFAULT',
  'EAGAIN',
  'EBUSY',
  'EEXIST',
  'ENOENT',
  'EINTR',
  'EACCES',
  'ENOSPC',
  'EOVERFLOW',
] as const;

/** What entry `i` of an error probe says: its code, its name, and its two texts. */
export interface ProbeError {
  code: string;
  name: string;
  condition: string;
  description: string;
}

/**
 * Entry i: every 7th has a name that disagrees with its code; every 11th an unknown code
 * (ENOMEN); every 13th a positive code (macro form only: kerneldoc gen 2 has no sign); every 5th
 * the description of entry i - 5 (a copy-paste slip), the others a text of their own.
 */
export function probeError(i: number): ProbeError {
  const errno = PROBE_ERRNOS[i % PROBE_ERRNOS.length] as string;
  let code = `-${errno}`;
  let name = errno;
  if (i % 11 === 3) {
    code = '-ENOMEN';
    name = 'ENOMEN';
  } else if (i % 7 === 1) name = errno === 'EINVAL' ? 'ENOMEM' : 'EINVAL';
  else if (i % 13 === 2) code = errno;
  const src = i % 5 === 4 ? i - 4 : i;
  return {
    code,
    name,
    condition: `condition number ${i} holds for the range`,
    description: `Entry ${src} of the probe: the call failed for reason ${src * 7919}.`,
  };
}

const SYSCALL = [
  'SYSCALL_DEFINE2(probe, unsigned long, start, size_t, len)',
  '{',
  '\tif (start & 1)',
  '\t\treturn -EINVAL;',
  '\tif (len > 4096)',
  '\t\treturn -ENOMEM;',
  '\tif (!capable(CAP_SYS_ADMIN))',
  '\t\treturn -EPERM;',
  '\treturn 0;',
  '}',
];

const HEAD = ['// SPDX-License-Identifier: GPL-2.0', '#include <linux/syscalls.h>', ''];

function macroSpecLines(name: string, errors: number, first = 0): string[] {
  const lines = [
    `DEFINE_KERNEL_API_SPEC(${name})`,
    `\tKAPI_DESCRIPTION("Probe ${name} for the scaling bench")`,
    '\tKAPI_CONTEXT(KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE)',
    '\tKAPI_PARAM(0, "start", "unsigned long", "Start of the range")',
    '\t\tKAPI_PARAM_TYPE(KAPI_TYPE_UINT)',
    '\tKAPI_PARAM_END',
    '\tKAPI_PARAM(1, "len", "size_t", "Length of the range")',
    '\t\tKAPI_PARAM_TYPE(KAPI_TYPE_UINT)',
    '\tKAPI_PARAM_END',
    '\tKAPI_RETURN("long", "0 on success, negative error code on failure")',
    '\t\tKAPI_RETURN_TYPE(KAPI_TYPE_INT)',
    '\t\tKAPI_RETURN_CHECK_TYPE(KAPI_RETURN_ERROR_CHECK)',
    '\t\tKAPI_RETURN_SUCCESS(0)',
    '\tKAPI_RETURN_END',
  ];
  for (let k = 0; k < errors; k++) {
    const e = probeError(first + k);
    lines.push(`\tKAPI_ERROR(${k}, ${e.code}, "${e.name}", "${e.condition}",`, `\t\t   "${e.description}")`);
  }
  lines.push(`\tKAPI_ERROR_COUNT(${errors + 1})`, '\tKAPI_PARAM_COUNT(2)', 'KAPI_END_SPEC;');
  return lines;
}

function kerneldocSpecLines(name: string, errors: number, first = 0): string[] {
  const lines = [
    '/**',
    ` * ${name} - Probe ${name} for the scaling bench`,
    ' * @start: Start of the range',
    ' * @len: Length of the range',
    ' *',
    ' * context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE',
    ' * param-count: 2',
    ' * return:',
    ' *   type: KAPI_TYPE_INT',
    ' *   check-type: KAPI_RETURN_ERROR_CHECK',
    ' *   success: 0',
  ];
  for (let k = 0; k < errors; k++) {
    const e = probeError(first + k);
    const code = e.code.replace(/^-/, '');
    const named = e.name === code ? code : `${code}, ${e.name}`;
    lines.push(` * error: ${named}, ${e.condition}`, ` *   desc: ${e.description}`);
  }
  lines.push(` * error-count: ${errors + 1}`, ' */');
  return lines;
}

/** One macro spec with `n` KAPI_ERROR entries above its syscall. */
export function macroErrors(n: number): string {
  return [...HEAD, ...macroSpecLines('sys_probe', n), '', ...SYSCALL, ''].join('\n');
}

/** One kerneldoc (gen 2) spec with `n` `error:` blocks above its syscall. */
export function kerneldocErrors(n: number): string {
  return [...HEAD, ...kerneldocSpecLines('sys_probe', n), ...SYSCALL, ''].join('\n');
}

/** `n` kerneldoc spec comments opened with `/**` and never closed, then a syscall. */
export function unclosedComments(n: number): string {
  const lines = [...HEAD];
  for (let k = 0; k < n; k++)
    lines.push('/**', ` * sys_open${k} - Probe ${k}, never closed`, ' * error: EINVAL, bad start', '');
  lines.push(...SYSCALL, '');
  return lines.join('\n');
}

/**
 * `n` syscalls, each below its own spec (even ones in macro form, odd ones in kerneldoc), with
 * `errors` error entries each. Pairs 6 and 7 of every eight have a spec named sys_stray<k>: the
 * macro one is misnamed (its syscall stays undocumented), the kerneldoc one takes its name from
 * the declaration below it but says otherwise in its summary line.
 */
export function specPairs(n: number, errors = 4): string {
  const lines = [...HEAD];
  for (let k = 0; k < n; k++) {
    const fn = `probe${k}`;
    const name = k % 8 >= 6 ? `sys_stray${k}` : `sys_${fn}`;
    lines.push(
      ...(k % 2 === 0 ? macroSpecLines(name, errors, k) : kerneldocSpecLines(name, errors, k)),
      ...(k % 2 === 0 ? [''] : []),
      ...SYSCALL.map((l) => l.replace('SYSCALL_DEFINE2(probe,', `SYSCALL_DEFINE2(${fn},`)),
      '',
    );
  }
  return lines.join('\n');
}

/** A fragment of the post-image a hunk shows, and the diff of the file (what buildUnit takes). */
export interface ProbeHunks {
  fragments: { startLine: number; lines: string[] }[];
  diff: FileDiff;
}

/**
 * A patch that rewrites the description of every spec of `text` (a `specPairs` file): one hunk
 * per spec, three lines of context on each side, for reviews without a tree (hunks mode).
 */
export function probeHunks(text: string, path: string): ProbeHunks {
  const lines = text.split('\n');
  const fragments: ProbeHunks['fragments'] = [];
  const hunks: FileDiff['hunks'] = [];
  let patchLine = 4;
  for (const [i, l] of lines.entries()) {
    if (!/^\tKAPI_DESCRIPTION\(| \* sys_\w+ - /.test(l)) continue;
    const start = Math.max(0, i - 3);
    const end = Math.min(lines.length - 1, i + 3);
    const out: FileDiff['hunks'][number]['lines'] = [];
    const headerLine = patchLine++;
    for (let k = start; k <= end; k++) {
      const n = k + 1;
      if (k === i) {
        out.push({ kind: 'del', text: l.replace('Probe', 'Old probe'), oldLine: n, patchLine: patchLine++ });
        out.push({ kind: 'add', text: l, newLine: n, patchLine: patchLine++ });
      } else
        out.push({
          kind: 'context',
          text: lines[k] as string,
          oldLine: n,
          newLine: n,
          patchLine: patchLine++,
        });
    }
    const count = end - start + 1;
    hunks.push({
      oldStart: start + 1,
      oldLines: count,
      newStart: start + 1,
      newLines: count,
      section: '',
      headerLine,
      lines: out,
      truncated: false,
    });
    fragments.push({ startLine: start + 1, lines: lines.slice(start, end + 1) });
  }
  return {
    fragments,
    diff: { oldPath: path, newPath: path, path, status: 'modified', binary: false, headerLine: 1, hunks },
  };
}
