import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKerneldocSpecs } from '../../../parsers/kapi/kerneldoc.js';
import { type ApiSpec, specFacts } from '../../../parsers/kapi/model.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../fixtures/kapi/${name}`, import.meta.url), 'utf8');

/** A kerneldoc comment from body lines (without the ` * ` prefix), followed by `after`. */
function doc(body: string[], after = 'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)'): string {
  return ['/**', ...body.map((l) => (l === '' ? ' *' : ` * ${l}`)), ' */', after, '{', '}', ''].join('\n');
}

/** The one spec in `text`, asserting there are no issues. */
function one(text: string): ApiSpec {
  const r = parseKerneldocSpecs(text, 'kernel/frob.c');
  expect(r.issues).toEqual([]);
  expect(r.value).toHaveLength(1);
  return r.value[0] as ApiSpec;
}

const assignmentsOf = (s: ApiSpec, block: string, field?: string) =>
  s.assignments.filter((a) => a.block === block && (field === undefined || a.field === field));

/** The facts every frob fixture states (the same facts the macro form of sys_frob carries). */
const FROB_FACTS = {
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

describe('frob fixtures: the same syscall in the three kerneldoc generations', () => {
  const forms = [
    ['frob.kd1.c', 'kerneldoc-1'],
    ['frob.kd2.c', 'kerneldoc-2'],
    ['frob.kd3.c', 'kerneldoc-3'],
  ] as const;

  for (const [file, form] of forms) {
    it(`${file} is one ${form} spec with exactly the frob facts`, () => {
      const r = parseKerneldocSpecs(fixture(file), `fixtures/kapi/${file}`);
      expect(r.issues).toEqual([]);
      expect(r.value).toHaveLength(1);
      const s = r.value[0] as ApiSpec;
      expect(s.form).toBe(form);
      expect(s.path).toBe(`fixtures/kapi/${file}`);
      expect(specFacts(s)).toEqual(FROB_FACTS);
      expect(s.counts.param).toMatchObject({ value: 2, via: 'param-count:' });
      expect(s.unknown).toEqual([]);
      expect(s.partial).toBe(false);
      expect(s.kerneldoc?.summary).toBe('Frobnicate a range of memory');
      expect(s.kerneldoc?.params.map((p) => p.name)).toEqual(['start', 'len']);
      expect(s.signalMasks).toEqual([]);
      expect(s.structs).toEqual([]);
      expect(s.examples).toBeNull();
      expect(s.notes).toBeNull();
      expect(s.since).toBeNull();
      // the C types come from the declaration below the comment
      expect(assignmentsOf(s, 'param[0]', 'type_name')).toEqual([
        expect.objectContaining({ value: 'unsigned long', via: 'SYSCALL_DEFINE2' }),
      ]);
      // the spec starts at `/**` and ends at `*/`
      const lines = fixture(file).split('\n');
      expect(lines[s.line - 1]).toBe('/**');
      expect(lines[s.endLine - 1]).toBe(' */');
      expect(lines[s.endLine]).toMatch(/^SYSCALL_DEFINE2\(frob,/);
    });
  }

  it('all three give equal specFacts()', () => {
    const facts = forms.map(([file]) => specFacts(parseKerneldocSpecs(fixture(file)).value[0] as ApiSpec));
    expect(facts[1]).toEqual(facts[0]);
    expect(facts[2]).toEqual(facts[0]);
  });

  it('records every field assignment with the key as written', () => {
    const s1 = parseKerneldocSpecs(fixture('frob.kd1.c')).value[0] as ApiSpec;
    expect(assignmentsOf(s1, 'lock[0]').map((a) => [a.field, a.value, a.via])).toEqual([
      ['lock_name', 'frob_lock', 'lock:'],
      ['lock_type', 'KAPI_LOCK_MUTEX', 'lock:'],
      ['acquired', 'true', 'lock-acquired:'],
      ['released', 'true', 'lock-released:'],
      ['description', 'Serialises frobnication', 'lock-desc:'],
    ]);
    expect(assignmentsOf(s1, 'return', 'description')).toEqual([
      expect.objectContaining({ value: '0 on success, negative error code on failure', via: 'Return:' }),
    ]);
    expect(assignmentsOf(s1, 'capability[0]', 'cap_name')[0]?.value).toBe('CAP_SYS_ADMIN capability');
    const s3 = parseKerneldocSpecs(fixture('frob.kd3.c')).value[0] as ApiSpec;
    expect(assignmentsOf(s3, 'param[1]').map((a) => [a.field, a.value, a.via])).toEqual([
      ['description', 'Length of the range in bytes', '@len:'],
      ['name', 'len', 'param:'],
      ['type', 'uint', 'type:'],
      ['flags', 'in', 'type:'],
      ['constraint_type', 'range(0, FROB_MAX_LEN)', 'constraint-type:'],
      ['min_value', '0', 'constraint-type:'],
      ['max_value', 'FROB_MAX_LEN', 'constraint-type:'],
      ['type_name', 'size_t', 'SYSCALL_DEFINE2'],
    ]);
    expect(assignmentsOf(s3, 'param[0]', 'alignment')[0]?.value).toBe('PAGE_SIZE');
    // assignments are in source order
    const lines = s3.assignments.map((a) => a.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
});

describe('gen 1: flat keys', () => {
  it('reads error-code: -ECODE, NAME, condition, description with continuation lines', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'context-flags: KAPI_CTX_PROCESS',
        'error-code: -ENOMEM, ENOMEM, Out of memory,',
        '  The kernel could not allocate, even',
        '  after retrying.',
        'error-code: -E2BIG, E2BIG, Too big, A description, with commas',
        'error-code: -12, ENOMEM, Numeric code',
      ]),
    );
    expect(s.form).toBe('kerneldoc-1');
    expect(s.errors.map(({ line: _l, ...e }) => e)).toEqual([
      {
        index: 0,
        code: 'ENOMEM',
        codeText: '-ENOMEM',
        name: 'ENOMEM',
        condition: 'Out of memory',
        description: 'The kernel could not allocate, even after retrying.',
      },
      {
        index: 1,
        code: 'E2BIG',
        codeText: '-E2BIG',
        name: 'E2BIG',
        condition: 'Too big',
        description: 'A description, with commas',
      },
      {
        index: 2,
        code: '-12',
        codeText: '-12',
        name: 'ENOMEM',
        condition: 'Numeric code',
        description: null,
      },
    ]);
    expect(s.errors.map((e) => e.line)).toEqual([4, 7, 8]);
  });

  it('reads side-effect one-liners with key=value tails', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'side-effect: KAPI_EFFECT_MODIFY_STATE | KAPI_EFFECT_ALLOC_MEMORY, process memory, Pins pages, reversible=yes',
        'side-effect: KAPI_EFFECT_ALLOC_MEMORY, page tables, May allocate, condition=Pages absent, reversible=yes',
        'side-effect: KAPI_EFFECT_SCHEDULE, runqueue, Requeues, maybe, condition=Task runnable',
        'side-effect: KAPI_EFFECT_MODIFY_STATE, counter, Bumps it',
        'side-effect-condition: Always',
      ]),
    );
    expect(s.sideEffects.map(({ line: _l, index: _i, ...x }) => x)).toEqual([
      {
        types: ['modify_state', 'alloc_memory'],
        target: 'process memory',
        description: 'Pins pages',
        condition: null,
        reversible: true,
      },
      {
        types: ['alloc_memory'],
        target: 'page tables',
        description: 'May allocate',
        condition: 'Pages absent',
        reversible: true,
      },
      {
        types: ['schedule'],
        target: 'runqueue',
        description: 'Requeues, maybe',
        condition: 'Task runnable',
        reversible: false,
      },
      {
        types: ['modify_state'],
        target: 'counter',
        description: 'Bumps it',
        condition: 'Always',
        reversible: false,
      },
    ]);
  });

  it('applies lock-*, signal-*, capability-* keys to the preceding entry', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'lock: outer_lock, KAPI_LOCK_SPINLOCK',
        'lock-desc: The outer one',
        'lock: mmap_lock, KAPI_LOCK_RWLOCK',
        'lock-acquired: true',
        'lock-released: false',
        'signal: FATAL',
        'signal-direction: KAPI_SIGNAL_RECEIVE',
        'signal-action: KAPI_SIGNAL_ACTION_RETURN',
        'signal-condition: Fatal signal pending',
        'signal-error: -EINTR',
        'signal-timing: KAPI_SIGNAL_TIME_DURING',
        'signal-priority: 0',
        'signal-interruptible: yes',
        'capability: CAP_IPC_LOCK, KAPI_CAP_BYPASS_CHECK, CAP_IPC_LOCK capability',
        'capability-allows: Lock more',
        'capability-without: Lock less',
        'capability-condition: Over the limit',
        'capability-priority: 0',
      ]),
    );
    expect(s.locks.map(({ line: _l, ...l }) => l)).toEqual([
      {
        index: 0,
        name: 'outer_lock',
        type: 'spinlock',
        acquired: null,
        released: null,
        description: 'The outer one',
      },
      { index: 1, name: 'mmap_lock', type: 'rwlock', acquired: 'true', released: 'false', description: null },
    ]);
    expect(s.signals.map(({ line: _l, ...x }) => x)).toEqual([
      {
        index: 0,
        signal: 'FATAL',
        direction: 'receive',
        action: 'return',
        condition: 'Fatal signal pending',
        description: null,
        error: '-EINTR',
        extra: { timing: 'during', priority: '0', interruptible: 'true' },
      },
    ]);
    expect(s.capabilities.map(({ line: _l, ...x }) => x)).toEqual([
      {
        index: 0,
        capability: 'CAP_IPC_LOCK',
        action: 'bypass_check',
        allows: 'Lock more',
        without: 'Lock less',
        condition: 'Over the limit',
      },
    ]);
  });

  it('reads params by name, return-* keys, state-trans, constraints with constraint-expr by name', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        '@start: Start',
        '@len: Length',
        '',
        'param-type: len, KAPI_TYPE_UINT',
        'param-flags: start, KAPI_PARAM_IN | KAPI_PARAM_USER',
        'param-type: start, KAPI_TYPE_USER_PTR',
        'param-mask: start, FROB_MASK',
        'param-constraint: len, Rounded up, then checked',
        'return-type: KAPI_TYPE_INT',
        'return-check: KAPI_RETURN_EXACT',
        'return-success: 0',
        'state-trans: memory pages, swappable, locked, Pinned, for now',
        'constraint-expr: Late Limit, x < y',
        'constraint: Limit, Some limit, with a comma',
        'constraint-expr: Limit, a <= b',
        'constraint: Late Limit, declared after its expression',
        'since-version: 6.1',
      ]),
    );
    expect(
      s.params.map((p) => [p.index, p.name, p.type, p.flags, p.validMask, p.constraint, p.description]),
    ).toEqual([
      [0, 'len', 'uint', [], null, 'Rounded up, then checked', 'Length'],
      [1, 'start', 'user_ptr', ['in', 'user'], 'FROB_MASK', null, 'Start'],
    ]);
    expect(s.params.map((p) => p.ctype)).toEqual(['size_t', 'unsigned long']);
    expect(s.returns).toMatchObject({
      ctype: 'long',
      type: 'int',
      checkType: 'exact',
      success: '0',
      description: null,
    });
    expect(s.stateTransitions.map(({ line: _l, ...t }) => t)).toEqual([
      {
        index: 0,
        object: 'memory pages',
        from: 'swappable',
        to: 'locked',
        condition: null,
        description: 'Pinned, for now',
      },
    ]);
    expect(s.constraints.map((c) => [c.name, c.description, c.expr])).toEqual([
      ['Limit', 'Some limit, with a comma', 'a <= b'],
      ['Late Limit', 'declared after its expression', 'x < y'],
    ]);
    expect(s.since).toBe('6.1');
  });

  it('reads struct-type, struct-field and struct-field-* keys', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'param-type: uattr, KAPI_TYPE_USER_PTR',
        'struct-type: uattr, struct frob_attr',
        'struct-field: size, __u32, Structure size',
        'struct-field-range: size, 16, 64',
        'struct-field: flags, __u64, Flag bits',
        'struct-field-mask: flags, FROB_FLAGS_ALL',
        'validation-group: Sizes',
        'validation-rule: size >= 16',
      ]),
    );
    expect(s.structs).toEqual([
      {
        index: 0,
        name: 'struct frob_attr',
        description: null,
        size: null,
        alignment: null,
        fields: [
          {
            index: 0,
            name: 'size',
            type: null,
            ctype: '__u32',
            description: 'Structure size',
            constraintType: 'range',
            range: { min: '16', max: '64' },
            validMask: null,
            enumValues: null,
            line: 5,
          },
          {
            index: 1,
            name: 'flags',
            type: null,
            ctype: '__u64',
            description: 'Flag bits',
            constraintType: 'mask',
            range: null,
            validMask: 'FROB_FLAGS_ALL',
            enumValues: null,
            line: 7,
          },
        ],
        line: 4,
      },
    ]);
    expect(assignmentsOf(s, 'struct[0].field[0]').map((a) => [a.field, a.value])).toEqual([
      ['name', 'size'],
      ['type_name', '__u32'],
      ['description', 'Structure size'],
      ['min_value', '16'],
      ['max_value', '64'],
    ]);
    expect(assignmentsOf(s, 'validation[0]').map((a) => [a.field, a.value])).toEqual([
      ['group', 'Sizes'],
      ['rule', 'size >= 16'],
    ]);
  });

  it('accepts section names with an @ (`@param-type:`) but keeps `@name:` as a kerneldoc parameter', () => {
    const s = one(doc(['sys_frob - Frobnicate', '@start: Start', '@param-type: start, KAPI_TYPE_UINT']));
    expect(s.params.map((p) => [p.name, p.type, p.description])).toEqual([['start', 'uint', 'Start']]);
    expect(assignmentsOf(s, 'param[0]', 'type')[0]?.via).toBe('@param-type:');
    expect(s.kerneldoc?.params).toEqual([{ name: 'start', description: 'Start', line: 3 }]);
  });
});

describe('gen 2: blocks with KAPI_* constants', () => {
  it('reads the block shapes', () => {
    const s = one(
      doc(
        [
          'sys_frob - Frobnicate',
          'context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE',
          'param: path, KAPI_TYPE_PATH',
          '  flags: KAPI_PARAM_IN | KAPI_PARAM_USER',
          '  constraint-type: KAPI_CONSTRAINT_USER_PATH',
          '  cdesc: A path in user memory',
          'param: buf',
          '  type: KAPI_TYPE_USER_PTR',
          '  flags: KAPI_PARAM_OUT',
          '  constraint-type: KAPI_CONSTRAINT_BUFFER',
          '  size-param: 2',
          'param: mode',
          '  type: KAPI_TYPE_UINT',
          '  constraint-type: KAPI_CONSTRAINT_MASK',
          '  valid-mask: S_IRWXU | S_IRWXG',
          'return:',
          '  type: KAPI_TYPE_INT',
          '  check-type: KAPI_RETURN_FD',
          '  success: >= 0',
          '  desc: A new descriptor',
          'error: ENOENT, No such file',
          '  desc: The path does not exist.',
          'lock: files->file_lock, KAPI_LOCK_SPINLOCK',
          '  acquired: true',
          '  released: true',
          '  desc: Taken for the fd table',
          'signal: FATAL',
          '  direction: KAPI_SIGNAL_RECEIVE',
          '  action: KAPI_SIGNAL_ACTION_RETURN',
          '  error: -EINTR',
          '  timing: KAPI_SIGNAL_TIME_DURING',
          'side-effect: KAPI_EFFECT_RESOURCE_CREATE | KAPI_EFFECT_ALLOC_MEMORY',
          '  target: fd table',
          '  condition: On success',
          '  reversible: yes',
          'state-trans: descriptor',
          '  from: free',
          '  to: open',
          '  desc: A slot is used',
          'capability: CAP_DAC_OVERRIDE, KAPI_CAP_BYPASS_CHECK, CAP_DAC_OVERRIDE capability',
          '  allows: Open anything',
          'constraint: RLIMIT_NOFILE',
          '  desc: The fd must be below the limit.',
          '  expr: fd < rlimit(RLIMIT_NOFILE)',
          'since-version: 2.0',
        ],
        'SYSCALL_DEFINE3(frob, const char __user *, path, char __user *, buf, umode_t, mode)',
      ),
    );
    expect(s.form).toBe('kerneldoc-2');
    expect(s.contexts).toEqual(['process', 'sleepable']);
    expect(s.params.map(({ line: _l, description: _d, ...p }) => p)).toEqual([
      {
        index: 0,
        name: 'path',
        ctype: 'const char __user *',
        type: 'path',
        flags: ['in', 'user'],
        constraintType: 'user_path',
        constraint: 'A path in user memory',
        range: null,
        validMask: null,
      },
      {
        index: 1,
        name: 'buf',
        ctype: 'char __user *',
        type: 'user_ptr',
        flags: ['out'],
        constraintType: 'buffer',
        constraint: null,
        range: null,
        validMask: null,
      },
      {
        index: 2,
        name: 'mode',
        ctype: 'umode_t',
        type: 'uint',
        flags: [],
        constraintType: 'mask',
        constraint: null,
        range: null,
        validMask: 'S_IRWXU | S_IRWXG',
      },
    ]);
    expect(assignmentsOf(s, 'param[1]', 'size_param_idx')[0]?.value).toBe('2');
    expect(s.returns).toMatchObject({
      type: 'int',
      checkType: 'fd',
      success: '>= 0',
      description: 'A new descriptor',
    });
    expect(s.errors).toMatchObject([
      {
        code: 'ENOENT',
        codeText: 'ENOENT',
        name: null,
        condition: 'No such file',
        description: 'The path does not exist.',
      },
    ]);
    expect(s.locks).toMatchObject([
      {
        name: 'files->file_lock',
        type: 'spinlock',
        acquired: 'true',
        released: 'true',
        description: 'Taken for the fd table',
      },
    ]);
    expect(s.signals).toMatchObject([
      {
        signal: 'FATAL',
        direction: 'receive',
        action: 'return',
        error: '-EINTR',
        extra: { timing: 'during' },
      },
    ]);
    expect(s.sideEffects).toMatchObject([
      {
        types: ['resource_create', 'alloc_memory'],
        target: 'fd table',
        condition: 'On success',
        reversible: true,
      },
    ]);
    expect(s.stateTransitions).toMatchObject([
      { object: 'descriptor', from: 'free', to: 'open', condition: null, description: 'A slot is used' },
    ]);
    expect(s.capabilities).toMatchObject([
      { capability: 'CAP_DAC_OVERRIDE', action: 'bypass_check', allows: 'Open anything', without: null },
    ]);
    expect(s.constraints).toMatchObject([
      {
        name: 'RLIMIT_NOFILE',
        description: 'The fd must be below the limit.',
        expr: 'fd < rlimit(RLIMIT_NOFILE)',
      },
    ]);
    expect(s.since).toBe('2.0');
  });
});

describe('gen 3: short tokens', () => {
  it('reads type lines with flags, constraint-type calls and the other short tokens', () => {
    const s = one(
      doc(
        [
          'sys_frob - Frobnicate',
          'contexts: process, sleepable, preempt_disabled',
          'param: buf',
          '  type: user_ptr, output',
          '  constraint-type: buffer(2)',
          'param: flags',
          '  type: int, input, optional',
          '  constraint-type: mask(FROB_A | FROB_B |',
          '                    FROB_C)',
          'param: kind',
          '  type: enum, input',
          '  constraint-type: enum(FROB_ONE, FROB_TWO)',
          'param: name',
          '  type: uptr, input',
          '  constraint-type: user_string(64)',
          'param: cb',
          '  type: func_ptr',
          '  constraint-type: custom(frob_check_cb)',
          'param: size',
          '  type: uint',
          '  constraint-type: power_of_two',
          'param: pages',
          '  type: uint',
          '  constraint-type: KAPI_CONSTRAINT_PAGE_ALIGNED',
          'return:',
          '  type: int',
          '  check-type: no_return',
          'lock: frob_sem',
          '  type: semaphore',
          '  acquired: conditional',
          '  released: yes',
          'signal: SIGPIPE',
          '  direction: send',
          '  action: terminate',
          '  errno: -EPIPE',
          '  timing: after',
          '  restartable: no',
          'side-effect: free_memory | irreversible',
          '  target: pages',
          'state-trans: frob state',
          '  object: frobber',
          '  from: idle',
          '  to: busy',
          '  condition: always',
          'capability: CAP_SYS_NICE',
          '  type: increase_limit',
          '  condition: Above the soft limit',
        ],
        'SYSCALL_DEFINE6(frob, char __user *, buf, int, flags, int, kind, const char __user *, name, frob_cb_t, cb, size_t, size)',
      ),
    );
    expect(s.form).toBe('kerneldoc-3');
    expect(s.contexts).toEqual(['process', 'sleepable', 'preempt_disabled']);
    expect(s.params.map((p) => [p.name, p.type, p.flags, p.constraintType, p.validMask])).toEqual([
      ['buf', 'user_ptr', ['out', 'user'], 'buffer', null],
      ['flags', 'int', ['in', 'optional'], 'mask', 'FROB_A | FROB_B | FROB_C'],
      ['kind', 'enum', ['in'], 'enum', null],
      ['name', 'user_ptr', ['in', 'user'], 'user_string', null],
      ['cb', 'func_ptr', [], 'custom', null],
      ['size', 'uint', [], 'power_of_two', null],
      ['pages', 'uint', [], 'page_aligned', null],
    ]);
    expect(assignmentsOf(s, 'param[0]', 'size_param_idx')[0]?.value).toBe('2');
    expect(assignmentsOf(s, 'param[2]', 'enum_values')[0]?.value).toBe('FROB_ONE, FROB_TWO');
    expect(assignmentsOf(s, 'param[3]', 'size')[0]?.value).toBe('64');
    expect(assignmentsOf(s, 'param[4]', 'validate')[0]?.value).toBe('frob_check_cb');
    expect(s.params[6]?.ctype).toBeNull(); // `pages` is not in the declaration
    expect(s.returns).toMatchObject({
      type: 'int',
      checkType: 'no_return',
      success: null,
      description: null,
    });
    expect(s.locks).toMatchObject([
      { name: 'frob_sem', type: 'semaphore', acquired: 'conditional', released: 'true' },
    ]);
    expect(s.signals).toMatchObject([
      {
        signal: 'SIGPIPE',
        direction: 'send',
        action: 'terminate',
        error: '-EPIPE',
        extra: { timing: 'after', restartable: 'false' },
      },
    ]);
    expect(s.sideEffects).toMatchObject([
      { types: ['free_memory', 'irreversible'], target: 'pages', reversible: false },
    ]);
    expect(s.stateTransitions).toMatchObject([
      { object: 'frobber', from: 'idle', to: 'busy', condition: 'always', description: null },
    ]);
    expect(s.capabilities).toMatchObject([
      { capability: 'CAP_SYS_NICE', action: 'increase_limit', condition: 'Above the soft limit' },
    ]);
    expect(s.unknown).toEqual([]);
  });

  it('reads struct-field blocks and struct-field-range', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'struct-field: size, __u32, Size of the struct',
        'struct-field-range: size, 8, 128',
      ]),
    );
    expect(s.structs).toMatchObject([
      { name: '', fields: [{ name: 'size', ctype: '__u32', description: 'Size of the struct' }] },
    ]);
    expect(assignmentsOf(s, 'struct[0].field[0]', 'max_value')[0]?.value).toBe('128');
  });

  it('takes a lower-case `return:` without sub-keys as the kerneldoc Return section', () => {
    const s = one(doc(['sys_frob - Frobnicate', 'contexts: process', 'return:', '  0 on success']));
    expect(s.returns).toBeNull();
    expect(s.kerneldoc?.returns).toBe('0 on success');
  });
});

describe('continuation lines', () => {
  it('joins gen-1 two-space continuation lines and blank-separated paragraphs with one space', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'long-desc: First line',
        '  second line.',
        '',
        '  A second paragraph.',
        'notes: Unindented wrap',
        'of a value.',
        'context-flags: KAPI_CTX_PROCESS',
      ]),
    );
    expect(s.longDescription).toBe('First line second line. A second paragraph.');
    expect(s.notes).toBe('Unindented wrap of a value.');
  });

  it('gen 2/3: deeper-indented lines continue the sub-key, even when they look like keys', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'error: EINVAL, Invalid argument',
        '  desc: Bad input. The constraint:',
        '    blocks cover it. Also',
        '    desc: not a new key at this depth.',
        '  condition: start is',
        '    unaligned',
        'long-desc: Text',
        '  handler: is prose here',
      ]),
    );
    expect(s.errors).toMatchObject([
      {
        description: 'Bad input. The constraint: blocks cover it. Also desc: not a new key at this depth.',
        condition: 'start is unaligned',
      },
    ]);
    expect(s.longDescription).toBe('Text handler: is prose here');
    // the error summary was replaced by condition:, both assignments are kept
    expect(assignmentsOf(s, 'error[0]', 'condition').map((a) => a.via)).toEqual(['error:', 'condition:']);
  });

  it('keeps gen-1 indented lines as continuation, never sub-keys', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'error-code: -EINVAL, EINVAL, Bad,',
        '  desc: this is text, not a key',
        'param-type: start, KAPI_TYPE_UINT',
      ]),
    );
    expect(s.form).toBe('kerneldoc-1');
    expect(s.errors[0]?.description).toBe('desc: this is text, not a key');
  });
});

describe('unknown keys and tokens are kept, not dropped', () => {
  it('keeps unknown top-level keys, sub-keys and tokens in `unknown` and in the assignments', () => {
    const r = parseKerneldocSpecs(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process, interrupt',
        'frobnicity: 11',
        'kapi-vendor: acme',
        'param: start',
        '  type: quaternion, input, sticky',
        '  colour: blue',
        'lock: frob_lock',
        '  type: KAPI_LOCK_SPOOKY',
        'side-effect: modify_state | teleport',
        '  reversible: perhaps',
      ]),
    );
    expect(r.issues).toEqual([]);
    const s = r.value[0] as ApiSpec;
    expect(s.unknown.map((u) => [u.text, u.where])).toEqual([
      ['interrupt', 'token'],
      ['frobnicity', 'key'],
      ['kapi-vendor', 'key'],
      ['quaternion', 'token'],
      ['sticky', 'token'],
      ['colour', 'key'],
      ['KAPI_LOCK_SPOOKY', 'token'],
      ['teleport', 'token'],
      ['perhaps', 'token'],
    ]);
    expect(s.contexts).toEqual(['process', 'interrupt']);
    expect(s.params[0]).toMatchObject({ type: 'quaternion', flags: ['in', 'sticky'] });
    expect(s.locks[0]?.type).toBe('KAPI_LOCK_SPOOKY');
    expect(s.sideEffects[0]).toMatchObject({ types: ['modify_state', 'teleport'], reversible: null });
    expect(assignmentsOf(s, 'spec', 'frobnicity')).toEqual([
      expect.objectContaining({ value: '11', via: 'frobnicity:', line: 4 }),
    ]);
    expect(assignmentsOf(s, 'param[0]', 'colour')).toEqual([
      expect.objectContaining({ value: 'blue', via: 'colour:' }),
    ]);
  });

  it('keeps gen-1 keys outside the RFC v3 list as unknown', () => {
    const s = one(doc(['sys_frob - Frobnicate', 'lock: l, KAPI_LOCK_MUTEX', 'lock-colour: red']));
    expect(s.unknown).toEqual([{ text: 'lock-colour', line: 4, where: 'key' }]);
  });
});

describe('a key set twice', () => {
  it('is visible in the assignments; the last one wins in the model', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'contexts: process',
        'param: len',
        '  type: uint',
        '  type: int',
        'error: ENOMEM, Out of memory',
        '  desc: First.',
        '  desc: Second.',
        'long-desc: One',
        'long-desc: Two',
      ]),
    );
    expect(s.params[0]?.type).toBe('int');
    expect(assignmentsOf(s, 'param[0]', 'type').map((a) => [a.value, a.line])).toEqual([
      ['uint', 5],
      ['int', 6],
    ]);
    expect(s.errors[0]?.description).toBe('Second.');
    expect(assignmentsOf(s, 'error[0]', 'description').map((a) => a.value)).toEqual(['First.', 'Second.']);
    expect(s.longDescription).toBe('Two');
    expect(assignmentsOf(s, 'spec', 'long_description')).toHaveLength(2);
  });
});

describe('what is and is not a spec', () => {
  it('ignores plain kerneldoc comments (@x: lines, Return:, Context:, Note:)', () => {
    const text = [
      '/**',
      ' * frob_pages - Frobnicate pages',
      ' * @start: Start',
      ' * @len: Length',
      ' *',
      ' * Walks the pages. lock: is mentioned in prose',
      ' * and error: too.',
      ' *',
      ' * Context: Process context.',
      ' * Note: Takes frob_lock.',
      ' * Return: 0 or an error.',
      ' */',
      'static int frob_pages(unsigned long start, size_t len)',
      '/**',
      ' * struct frob_spec - a struct whose members look like KAPI keys',
      ' * @error_code: Error code',
      ' * @lock: The lock',
      ' * @capability: The capability',
      ' * @param_count: Count',
      ' */',
      'struct frob_spec {',
      '/*',
      ' * param-type: start, KAPI_TYPE_UINT (a plain comment is not kerneldoc)',
      ' */',
    ].join('\n');
    expect(parseKerneldocSpecs(text)).toEqual({ value: [], issues: [] });
  });

  it('takes any KAPI key as the mark of a spec, and reads the ordinary kerneldoc parts too', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate a range',
        '  of memory',
        '@start: Start of',
        '  the range',
        '@len: Length',
        '',
        'A description paragraph',
        'on two lines.',
        '',
        'Another paragraph.',
        '',
        'side-effect: modify_state',
        '',
        'Context: Process context.',
        'Return: 0 or a negative error',
        '  code.',
      ]),
    );
    expect(s.kerneldoc).toEqual({
      summary: 'Frobnicate a range of memory',
      params: [
        { name: 'start', description: 'Start of the range', line: 4 },
        { name: 'len', description: 'Length', line: 6 },
      ],
      description: 'A description paragraph on two lines. Another paragraph.',
      context: 'Process context.',
      returns: '0 or a negative error code.',
    });
    expect(s.description).toBe('Frobnicate a range of memory');
    expect(s.params).toEqual([]);
    expect(s.returns).toBeNull();
  });

  it('an explicit top-level desc: wins over the summary', () => {
    const s = one(doc(['sys_frob - Summary', 'desc: Explicit description', 'contexts: process']));
    expect(s.description).toBe('Explicit description');
    expect(assignmentsOf(s, 'spec', 'description').map((a) => a.via)).toEqual(['desc:']);
  });
});

describe('context-flags: vs contexts:', () => {
  const variants = [
    ['context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE', 'kerneldoc-1'],
    ['context-flags: process | sleepable', 'kerneldoc-3'],
    ['contexts: process, sleepable', 'kerneldoc-3'],
    ['contexts: PROCESS,SLEEPABLE', 'kerneldoc-3'],
  ] as const;
  for (const [line, form] of variants) {
    it(`${line}`, () => {
      const s = one(doc(['sys_frob - Frobnicate', line]));
      expect(s.contexts).toEqual(['process', 'sleepable']);
      expect(s.form).toBe(form);
      expect(assignmentsOf(s, 'spec', 'context_flags')[0]?.via).toBe(line.slice(0, line.indexOf(':') + 1));
    });
  }

  it('every context token', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        'context-flags: KAPI_CTX_PROCESS | KAPI_CTX_SOFTIRQ | KAPI_CTX_HARDIRQ | KAPI_CTX_NMI | KAPI_CTX_ATOMIC |',
        '  KAPI_CTX_SLEEPABLE | KAPI_CTX_PREEMPT_DISABLED | KAPI_CTX_IRQ_DISABLED',
      ]),
    );
    expect(s.contexts).toEqual([
      'process',
      'softirq',
      'hardirq',
      'nmi',
      'atomic',
      'sleepable',
      'preempt_disabled',
      'irq_disabled',
    ]);
  });
});

describe('arch-mask and #ifdef CONFIG_X', () => {
  it('keeps arch-mask lines (the generator wraps them in #ifdef CONFIG_<ARCH>) and reports unknown arches', () => {
    const s = one(
      doc(
        [
          'sys_frob - Frobnicate',
          'contexts: process',
          'param: flags',
          '  type: uint, input',
          '  valid-mask: FROB_A | FROB_B',
          '  arch-mask: x86 = FROB_X86_ONLY',
          '  arch-mask: powerpc = FROB_PPC_ONLY',
          '  arch-mask: frobarch = FROB_NOWHERE',
        ],
        '#ifdef CONFIG_X86\nSYSCALL_DEFINE1(frob, unsigned int, flags)',
      ),
    );
    expect(s.params[0]).toMatchObject({ name: 'flags', validMask: 'FROB_A | FROB_B', ctype: 'unsigned int' });
    expect(assignmentsOf(s, 'param[0]', 'arch_mask').map((a) => a.value)).toEqual([
      'x86 = FROB_X86_ONLY',
      'powerpc = FROB_PPC_ONLY',
      'frobarch = FROB_NOWHERE',
    ]);
    expect(s.unknown).toEqual([{ text: 'frobarch', line: 9, where: 'token' }]);
    expect(s.name).toBe('sys_frob');
  });

  it('skips preprocessor lines and comments between the spec and its declaration', () => {
    const s = one(
      doc(
        ['frob_helper - Frobnicate', 'contexts: process', 'param: len', '  type: uint'],
        [
          '#ifdef CONFIG_FROB',
          '/* helper */',
          'static inline long',
          'frob_helper(unsigned long start,',
          '\t    size_t len)',
        ].join('\n'),
      ),
    );
    expect(s).toMatchObject({ name: 'frob_helper', kind: 'function' });
    expect(s.params[0]?.ctype).toBe('size_t');
    expect(assignmentsOf(s, 'param[0]', 'type_name')[0]).toMatchObject({ via: 'declaration', line: 9 });
  });
});

describe('declarations', () => {
  it('multi-line SYSCALL_DEFINE and COMPAT_SYSCALL_DEFINE', () => {
    const text = [
      doc(
        ['sys_frob - Frobnicate', 'contexts: process'],
        'SYSCALL_DEFINE3(frob, unsigned int, fd,\n\t\tconst char __user *, buf,\n\t\tsize_t, count)',
      ),
      doc(
        ['compat_sys_frob - Frobnicate', 'contexts: process'],
        'COMPAT_SYSCALL_DEFINE1(frob, compat_ulong_t, start)',
      ),
    ].join('\n');
    const r = parseKerneldocSpecs(text);
    expect(r.issues).toEqual([]);
    expect(r.value.map((s) => [s.name, s.kind])).toEqual([
      ['sys_frob', 'syscall'],
      ['compat_sys_frob', 'syscall'],
    ]);
  });

  it('falls back to the summary name when nothing follows within 10 lines', () => {
    const text = `${doc(['sys_frob - Frobnicate', 'contexts: process'], '\n\n\n\n\n\n\n\n\n\n')}SYSCALL_DEFINE0(frob)\n`;
    const s = one(text);
    expect(s).toMatchObject({ name: 'sys_frob', kind: 'syscall' });
  });

  it('reports a spec that names nothing', () => {
    const r = parseKerneldocSpecs('/**\n * contexts: process\n */\n');
    expect(r.value).toHaveLength(1);
    expect(r.issues.map((i) => i.code)).toEqual(['kapi-doc-no-name']);
  });
});

describe('issues', () => {
  it('kapi-doc-unterminated: the spec is kept and marked partial', () => {
    const text = [
      'int x;',
      '/**',
      ' * sys_frob - Frobnicate',
      ' * contexts: process',
      ' * param: len',
      ' *   type: uint',
    ].join('\n');
    const r = parseKerneldocSpecs(text);
    expect(r.issues).toEqual([
      { code: 'kapi-doc-unterminated', severity: 'warning', message: expect.any(String), line: 2 },
    ]);
    expect(r.value).toHaveLength(1);
    expect(r.value[0]).toMatchObject({ name: 'sys_frob', partial: true, line: 2, endLine: 6 });
    expect(r.value[0]?.params[0]?.type).toBe('uint');
  });

  it('a new comment inside an unterminated one ends it', () => {
    const text = [
      '/**',
      ' * sys_cut - Cut off',
      ' * contexts: process',
      '/**',
      ' * sys_frob - Frobnicate',
      ' * contexts: process',
      ' */',
      'SYSCALL_DEFINE0(frob)',
    ].join('\n');
    const r = parseKerneldocSpecs(text);
    expect(r.value.map((s) => [s.name, s.partial, s.line])).toEqual([
      ['sys_cut', true, 1],
      ['sys_frob', false, 4],
    ]);
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([['kapi-doc-unterminated', 1]]);
  });

  it('plain unterminated comments are not reported', () => {
    expect(parseKerneldocSpecs('/**\n * foo - bar\n * @x: y\n')).toEqual({ value: [], issues: [] });
  });

  it('kapi-doc-orphan-subkey: an indented sub-key outside a block, and gen-1 keys with no entry', () => {
    const r = parseKerneldocSpecs(
      doc(['sys_frob - Frobnicate', 'contexts: process', '', '  type: uint, input', '  cdesc: Lost']),
    );
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([
      ['kapi-doc-orphan-subkey', 5],
      ['kapi-doc-orphan-subkey', 6],
    ]);
    expect(r.value[0]?.contexts).toEqual(['process']);
    const r1 = parseKerneldocSpecs(
      doc([
        'sys_frob - Frobnicate',
        'lock-acquired: true',
        'constraint-expr: Nowhere, x',
        'param-type: start, KAPI_TYPE_UINT',
      ]),
    );
    expect(r1.issues.map((i) => [i.code, i.line])).toEqual([
      ['kapi-doc-orphan-subkey', 3],
      ['kapi-doc-orphan-subkey', 4],
    ]);
  });

  it('kapi-doc-empty-header: a block header without a name', () => {
    const r = parseKerneldocSpecs(
      doc(['sys_frob - Frobnicate', 'contexts: process', 'param:', '  type: uint']),
    );
    expect(r.issues.map((i) => i.code)).toEqual(['kapi-doc-empty-header']);
    expect(r.value[0]?.params).toMatchObject([{ name: '', type: 'uint' }]);
  });
});

describe('hunks: fragments of a spec', () => {
  it('reads a hunk that starts inside a spec comment as a partial spec, named by the declaration', () => {
    const hunk = [
      ' *   desc: The start address must be a multiple of',
      ' *     the page size.',
      ' *',
      ' * error: ENOMEM, len exceeds FROB_MAX_LEN',
      ' *   desc: The range is too long.',
      ' */',
      'SYSCALL_DEFINE2(frob, unsigned long, start, size_t, len)',
    ].join('\n');
    const s = one(hunk);
    expect(s).toMatchObject({
      name: 'sys_frob',
      kind: 'syscall',
      form: 'kerneldoc-3',
      partial: true,
      line: 1,
      endLine: 6,
    });
    expect(s.errors).toMatchObject([{ code: 'ENOMEM', condition: 'len exceeds FROB_MAX_LEN', line: 4 }]);
    expect(s.kerneldoc?.summary).toBeNull();
  });

  it('a fragment cut at both ends is partial, unnamed and not reported', () => {
    const r = parseKerneldocSpecs(' * param: len\n *   type: uint, input\n * lock: frob_lock\n');
    expect(r.issues).toEqual([]);
    expect(r.value).toMatchObject([{ name: '', partial: true, params: [{ name: 'len', type: 'uint' }] }]);
  });

  it('a fragment of a plain comment, or code that starts with *, is not a spec', () => {
    expect(parseKerneldocSpecs(' * Returns the frob.\n */\nint frob(void)\n')).toEqual({
      value: [],
      issues: [],
    });
    expect(parseKerneldocSpecs('*p = x;\n/* lock: not kerneldoc */\n')).toEqual({ value: [], issues: [] });
  });
});

describe('prose in headers', () => {
  it('splits headers on plain commas, like the generators, whatever the apostrophes and parentheses', () => {
    const s = one(
      doc([
        'sys_frob - Frobnicate',
        "error-code: -EPERM, EPERM, Caller's privileges (see below, Returned when the caller's",
        '  capability set is empty)',
        "side-effect: KAPI_EFFECT_MODIFY_STATE, caller's memory, Changes (it, reversible=yes",
      ]),
    );
    expect(s.errors[0]).toMatchObject({
      condition: "Caller's privileges (see below",
      description: "Returned when the caller's capability set is empty)",
    });
    expect(s.sideEffects[0]).toMatchObject({
      target: "caller's memory",
      description: 'Changes (it',
      reversible: true,
    });
  });
});

describe('shape of the input', () => {
  it('CRLF, tabs after the star, single-line comments and several specs', () => {
    const text = [
      '/** sys_one - One */',
      'int a;',
      '/**',
      ' * sys_two - Two',
      ' * contexts: process',
      ' * param: len',
      ' *\ttype: uint',
      ' */',
      'SYSCALL_DEFINE1(two, size_t, len)',
    ].join('\r\n');
    const r = parseKerneldocSpecs(text, 'x.c');
    expect(r.issues).toEqual([]);
    expect(r.value.map((s) => [s.name, s.line, s.endLine, s.path])).toEqual([['sys_two', 3, 8, 'x.c']]);
    expect(r.value[0]?.params[0]).toMatchObject({ name: 'len', type: 'uint', ctype: 'size_t', line: 6 });
  });

  it('empty and garbage input', () => {
    expect(parseKerneldocSpecs('')).toEqual({ value: [], issues: [] });
    expect(parseKerneldocSpecs('*/ /** */ /**/ /***/')).toEqual({ value: [], issues: [] });
  });

  it('is linear on a large file', () => {
    const body: string[] = ['sys_big - Big', 'contexts: process'];
    for (let i = 0; i < 4000; i++) {
      body.push(`param-type: p${i}, KAPI_TYPE_UINT`, `param-range: p${i}, 0, ${i}`);
      body.push(`error-code: -EINVAL, EINVAL, Bad p${i},`, `  continued ${i}`);
      body.push(`constraint: C${i}, desc`, `constraint-expr: C${i}, p${i} < ${i}`);
    }
    const text = Array.from({ length: 5 }, () => doc(body)).join('\n');
    const t0 = performance.now();
    const r = parseKerneldocSpecs(text);
    const ms = performance.now() - t0;
    expect(r.issues).toEqual([]);
    expect(r.value).toHaveLength(5);
    expect(r.value[0]?.params).toHaveLength(4000);
    expect(r.value[0]?.errors).toHaveLength(4000);
    expect(ms).toBeLessThan(5_000);
  });
});

describe('property: never throws', () => {
  const sources = ['frob.kd1.c', 'frob.kd2.c', 'frob.kd3.c'].map(fixture);
  const check = (text: string): void => {
    const r = parseKerneldocSpecs(text);
    expect(Array.isArray(r.value)).toBe(true);
    expect(r.issues.filter((i) => i.code === 'kapi-doc-internal')).toEqual([]);
    for (const s of r.value) {
      expect(s.line).toBeGreaterThanOrEqual(1);
      expect(s.endLine).toBeGreaterThanOrEqual(s.line);
      for (const a of s.assignments) expect(typeof a.value).toBe('string');
    }
  };

  it('random truncations of the fixtures', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.nat(), (which, a, b) => {
        const src = sources[which] ?? '';
        const lo = Math.min(a, b) % (src.length + 1);
        const hi = Math.max(a, b) % (src.length + 1);
        check(src.slice(0, hi));
        check(src.slice(lo));
        check(src.slice(lo, hi));
      }),
      { numRuns: 300 },
    );
  });

  it('random line mutations of the fixtures', () => {
    const pieces = [
      '',
      ' *',
      ' */',
      '/**',
      ' *   type: uint',
      ' * param:',
      ' * error: ',
      ' *   desc:',
      ' * side-effect: a, b, condition=, reversible=',
      ' * @x:',
      ' * constraint-type: range(',
      ' * constraint-type: mask())',
      'SYSCALL_DEFINE9(',
      '\t',
      '*/ /**',
      ' * lock-acquired: true',
      ' * struct-field-range: x',
    ];
    const mutation = fc.record({
      which: fc.integer({ min: 0, max: 2 }),
      edits: fc.array(
        fc.record({
          at: fc.nat(),
          op: fc.constantFrom('delete', 'insert', 'replace', 'indent', 'dedent'),
          piece: fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 40 })),
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
          else if (e.op === 'replace') lines[i] = e.piece;
          else if (e.op === 'indent') lines[i] = `  ${lines[i] ?? ''}`;
          else lines[i] = (lines[i] ?? '').replace(/^(\s*\*)\s+/, '$1 ');
        }
        check(lines.join('\n'));
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        check(s);
        check(`/**\n${s}`);
        check(`/**\n * sys_x - y\n * contexts: process\n${s}\n */`);
      }),
      { numRuns: 300 },
    );
  });
});
