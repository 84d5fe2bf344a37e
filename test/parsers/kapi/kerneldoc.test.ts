import { describe, expect, it } from 'vitest';
import { parseKerneldocSpecs } from '../../../parsers/kapi/kerneldoc.js';
import { type ApiSpec, specFacts } from '../../../parsers/kapi/model.js';
import { assignmentsOf, doc, FROB_FACTS, fixture, one } from './kerneldoc-test-helpers.js';

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
