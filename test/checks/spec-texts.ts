/**
 * Small KAPI specs in each form, written for the check tables: put one above a SYSCALL_DEFINE of
 * fixtures/c/mlock-shapes.c (or any C text) with `withSpec`. Each form states the same errors.
 */
import { edit } from './harness.js';

/** [errno, condition, description] */
export type ErrorRow = [string, string, string];

export interface SpecInput {
  /** 'sys_munlockall' */
  name: string;
  summary: string;
  errors: ErrorRow[];
  /** Lines put in the spec after its contexts (already in the spec's form, without ' * ' for kerneldoc). */
  extra?: string[];
  contexts?: string;
}

function macroSpec(s: SpecInput): string {
  const lines = [
    `DEFINE_KERNEL_API_SPEC(${s.name})`,
    `\tKAPI_DESCRIPTION("${s.summary}")`,
    `\tKAPI_CONTEXT(${s.contexts ?? 'KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE'})`,
    ...(s.extra ?? []).map((l) => `\t${l}`),
    '',
    '\tKAPI_RETURN("long", "0 on success, negative error code on failure")',
    '\t\tKAPI_RETURN_TYPE(KAPI_TYPE_INT)',
    '\t\tKAPI_RETURN_CHECK_TYPE(KAPI_RETURN_ERROR_CHECK)',
    '\t\tKAPI_RETURN_SUCCESS(0)',
    '\tKAPI_RETURN_END',
    '',
    ...s.errors.flatMap(([e, c, d], i) => [`\tKAPI_ERROR(${i}, -${e}, "${e}", "${c}",`, `\t\t   "${d}")`]),
    '',
    `\tKAPI_ERROR_COUNT(${s.errors.length})`,
    'KAPI_END_SPEC;',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

function kerneldoc(s: SpecInput, body: string[]): string {
  const lines = [
    '/**',
    `${s.name} - ${s.summary}`,
    '',
    `${s.contexts ?? 'contexts: process, sleepable'}`,
    ...(s.extra ?? []),
    '',
    ...body,
  ];
  return `${lines.map((l) => (l === '/**' ? l : l === '' ? ' *' : ` * ${l}`)).join('\n')}\n */\n`;
}

/** Kerneldoc gen 1: flat `error-code:` keys with a continuation line. */
function kd1Spec(s: SpecInput): string {
  return kerneldoc({ ...s, contexts: s.contexts ?? 'context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE' }, [
    'return-type: KAPI_TYPE_INT',
    'return-check-type: KAPI_RETURN_ERROR_CHECK',
    'return-success: 0',
    ...s.errors.flatMap(([e, c, d]) => [`error-code: -${e}, ${e}, ${c},`, `  ${d}`]),
  ]);
}

/** Kerneldoc gen 2: blocks with KAPI_* constants. */
function kd2Spec(s: SpecInput): string {
  return kerneldoc({ ...s, contexts: s.contexts ?? 'context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE' }, [
    'return:',
    '  type: KAPI_TYPE_INT',
    '  check-type: KAPI_RETURN_ERROR_CHECK',
    '  success: 0',
    ...s.errors.flatMap(([e, c, d]) => [`error: ${e}, ${c}`, `  desc: ${d}`]),
  ]);
}

/** Kerneldoc gen 3: blocks with short tokens, blank lines between them. */
function kd3Spec(s: SpecInput): string {
  return kerneldoc(s, [
    'return:',
    '  type: int',
    '  check-type: error_check',
    '  success: 0',
    '',
    ...s.errors.flatMap(([e, c, d]) => [`error: ${e}, ${c}`, `  desc: ${d}`, '']),
  ]).replace(/ \*\n \*\/\n$/, ' */\n');
}

export const FORMS = { macro: macroSpec, kd1: kd1Spec, kd2: kd2Spec, kd3: kd3Spec } as const;
export type FormName = keyof typeof FORMS;

/** `src` with `spec` right above the line that starts with `header`. */
export function withSpec(src: string, header: string, spec: string): string {
  return edit(src, `\n${header}`, `\n${spec}${header}`);
}

/** 1-based line of the first line containing `needle`, from line `from` on. */
export function lineOf(text: string, needle: string, from = 1): number {
  const lines = text.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i]?.includes(needle)) return i + 1;
  throw new Error(`${JSON.stringify(needle)} not found`);
}

/** The errors the mlock family's specs document, as the RFC v2 specs did (in our own words). */
export const MUNLOCKALL: SpecInput = {
  name: 'sys_munlockall',
  summary: 'Unlock every page of the calling process',
  errors: [
    ['EINTR', 'fatal signal while waiting for the mmap lock', 'No area was changed.'],
    ['ENOMEM', 'an area could not be updated', 'Updating the memory map failed.'],
  ],
};

export const MLOCKALL: SpecInput = {
  name: 'sys_mlockall',
  summary: 'Lock every page of the calling process',
  errors: [
    ['EINVAL', 'unknown or missing flags', 'flags is 0, has unknown bits, or is MCL_ONFAULT alone.'],
    ['EPERM', 'no CAP_IPC_LOCK and RLIMIT_MEMLOCK is 0', 'The caller may not lock memory.'],
    ['ENOMEM', 'MCL_CURRENT over RLIMIT_MEMLOCK', 'The mapped size exceeds the lock limit.'],
    ['EINTR', 'fatal signal while waiting for the mmap lock', 'No area was changed.'],
    ['EAGAIN', 'some pages could not be locked', 'Memory pressure kept pages from being locked.'],
  ],
};

export const MLOCK: SpecInput = {
  name: 'sys_mlock',
  summary: 'Lock a range of pages',
  errors: [
    ['ENOMEM', 'part of the range is not mapped, or over RLIMIT_MEMLOCK', 'The range cannot be locked.'],
    ['EPERM', 'no CAP_IPC_LOCK and RLIMIT_MEMLOCK is 0', 'The caller may not lock memory.'],
    ['EINTR', 'fatal signal while waiting for the mmap lock', 'No page was locked.'],
    ['EAGAIN', 'some pages could not be locked', 'Memory pressure kept pages from being locked.'],
    ['EFAULT', 'the range is not accessible', 'A page of the range could not be faulted in.'],
  ],
};
