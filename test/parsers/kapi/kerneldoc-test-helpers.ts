/** Helpers the kerneldoc test files share. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parseKerneldocSpecs } from '../../../parsers/kapi/kerneldoc.js';
import type { ApiSpec } from '../../../parsers/kapi/model.js';

export const fixture = (name: string): string =>
  readFileSync(new URL(`../../../fixtures/kapi/${name}`, import.meta.url), 'utf8');

/** A kerneldoc comment from body lines (without the ` * ` prefix), followed by `after`. */
export function doc(
  body: string[],
  after = 'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)',
): string {
  return ['/**', ...body.map((l) => (l === '' ? ' *' : ` * ${l}`)), ' */', after, '{', '}', ''].join('\n');
}

/** The one spec in `text`, asserting there are no issues. */
export function one(text: string): ApiSpec {
  const r = parseKerneldocSpecs(text, 'kernel/frob.c');
  expect(r.issues).toEqual([]);
  expect(r.value).toHaveLength(1);
  return r.value[0] as ApiSpec;
}

export const assignmentsOf = (s: ApiSpec, block: string, field?: string) =>
  s.assignments.filter((a) => a.block === block && (field === undefined || a.field === field));

/** The facts every frob fixture states, in each kerneldoc generation and in the macro form. */
export const FROB_FACTS = {
  name: 'sys_frob',
  kind: 'syscall',
  description: 'Frobnicate a range of memory',
  longDescription: 'Walks the pages of [start, start + len) and frobnicates each of them.',
  contexts: ['process', 'sleepable'],
  params: [
    {
      index: 0,
      name: 'start',
      ctype: 'unsigned long',
      type: 'uint',
      flags: ['in'],
      description: 'Start of the range',
      constraintType: 'alignment',
      constraint: null,
      range: null,
      validMask: null,
    },
    {
      index: 1,
      name: 'len',
      ctype: 'size_t',
      type: 'uint',
      flags: ['in'],
      description: 'Length of the range in bytes',
      constraintType: 'range',
      constraint: null,
      range: { min: '0', max: 'FROB_MAX_LEN' },
      validMask: null,
    },
  ],
  returns: {
    ctype: 'long',
    type: 'int',
    checkType: 'error_check',
    success: '0',
    description: '0 on success, negative error code on failure',
  },
  errors: [
    {
      index: 0,
      code: 'EINVAL',
      condition: 'start is not page aligned',
      description: 'The start address must be a multiple of the page size.',
    },
    {
      index: 1,
      code: 'ENOMEM',
      condition: 'len exceeds FROB_MAX_LEN',
      description: 'The range is too long to frobnicate.',
    },
    {
      index: 2,
      code: 'EPERM',
      condition: 'caller lacks CAP_SYS_ADMIN',
      description: 'Frobnicating is a privileged operation.',
    },
    {
      index: 3,
      code: 'EINTR',
      condition: 'fatal signal while waiting for frob_lock',
      description: 'The wait for frob_lock was interrupted; no page was frobnicated.',
    },
  ],
  locks: [
    {
      index: 0,
      name: 'frob_lock',
      type: 'mutex',
      acquired: 'true',
      released: 'true',
      description: 'Serialises frobnication',
    },
  ],
  signals: [
    {
      index: 0,
      signal: 'SIGKILL',
      direction: 'receive',
      action: 'return',
      condition: 'Fatal signal pending while waiting for frob_lock',
      description: 'The killable wait for frob_lock is abandoned',
      error: '-EINTR',
      extra: { timing: 'during', priority: '0', interruptible: 'true' },
    },
  ],
  sideEffects: [
    {
      index: 0,
      types: ['modify_state'],
      target: 'process memory',
      description: 'Frobnicated pages change state',
      condition: null,
      reversible: false,
    },
    {
      index: 1,
      types: ['alloc_memory'],
      target: 'page tables',
      description: 'Missing page tables are allocated',
      condition: 'Pages not yet mapped',
      reversible: true,
    },
  ],
  stateTransitions: [
    {
      index: 0,
      object: 'range pages',
      from: 'plain',
      to: 'frobnicated',
      condition: null,
      description: 'Every page in the range is frobnicated',
    },
  ],
  capabilities: [
    {
      index: 0,
      capability: 'CAP_SYS_ADMIN',
      action: 'perform_operation',
      allows: 'Frobnicate memory',
      without: 'EPERM is returned',
      condition: 'Checked before frob_lock is taken',
    },
  ],
  constraints: [
    {
      index: 0,
      name: 'Frob length limit',
      description: 'At most FROB_MAX_LEN bytes per call',
      expr: 'len <= FROB_MAX_LEN',
    },
  ],
  signalMasks: [],
  structs: [],
};
