import { describe, expect, it } from 'vitest';
import { type CToken, decodeCEscapes, tokenizeC, tokensText } from '../../../parsers/kapi/ctokens.js';
import { type ApiSpec, specFacts } from '../../../parsers/kapi/model.js';
import { FROB_FACTS } from './kerneldoc-test-helpers.js';
import { assigned, at, fixture, only, spec } from './macro-test-helpers.js';

describe('tokenizeC', () => {
  const kinds = (src: string): string[] => tokenizeC(src).value.map((t) => `${t.kind}:${t.text}`);

  it('splits identifiers, numbers, multi-character operators and literals', () => {
    expect(kinds('a->b <<= 0x1fUL ... x++ "s" \'c\' L"w" u8"v" 1.5e-3 @')).toEqual([
      'ident:a',
      'punct:->',
      'ident:b',
      'punct:<<=',
      'number:0x1fUL',
      'punct:...',
      'ident:x',
      'punct:++',
      'string:"s"',
      "char:'c'",
      'string:L"w"',
      'string:u8"v"',
      'number:1.5e-3',
      'other:@',
    ]);
  });

  it('decodes escapes: simple, octal, hex and unknown', () => {
    const t = at(tokenizeC('"a\\n\\t\\"q\\"\\\\ \\101\\x42\\0z \\q"').value, 0);
    expect(t.value).toBe('a\n\t"q"\\ AB\0z q');
    expect(decodeCEscapes('\\u00e9\\U0001F600')).toBe('é😀');
    expect(at(tokenizeC("'\\''").value, 0).value).toBe("'");
  });

  it('skips comments but counts their lines, and can keep them', () => {
    const src = 'a /* one\ntwo\nthree */ b // tail KAPI_END_SPEC\nc';
    const toks = tokenizeC(src).value;
    expect(toks.map((t) => [t.text, t.line])).toEqual([
      ['a', 1],
      ['b', 3],
      ['c', 4],
    ]);
    const kept = tokenizeC(src, { comments: true }).value.filter((t) => t.kind === 'comment');
    expect(kept.map((t) => [t.value, t.line, t.endLine])).toEqual([
      [' one\ntwo\nthree ', 1, 3],
      [' tail KAPI_END_SPEC', 3, 3],
    ]);
  });

  it('joins continuation lines and keeps the lines and offsets of the input', () => {
    const src = 'x = LONG_\\\nNAME;\n"ab\\\ncd" y';
    const toks = tokenizeC(src).value;
    const name = at(toks, 2);
    expect([name.text, name.line, name.endLine]).toEqual(['LONG_NAME', 1, 2]);
    expect(src.slice(name.start, name.end)).toBe('LONG_\\\nNAME');
    const str = at(toks, 4);
    expect([str.value, str.line, str.endLine]).toEqual(['abcd', 3, 4]);
    expect(at(toks, 5).line).toBe(4);
  });

  it('emits a preprocessor line as one token, continuation and comments included', () => {
    const toks = tokenizeC('a\n  #  ifdef CONFIG_X /* c\n */ \\\n  || Y\nb # c\n#endif').value;
    expect(toks.map((t) => `${t.kind}:${t.kind === 'pp' ? t.value : t.text}@${t.line}`)).toEqual([
      'ident:a@1',
      'pp:#ifdef CONFIG_X || Y@2',
      'ident:b@5',
      'punct:#@5',
      'ident:c@5',
      'pp:#endif@6',
    ]);
    expect(at(toks, 1).directive).toBe('ifdef');
  });

  it('reports unterminated literals and comments and stops them where C would', () => {
    const r = tokenizeC('"open\nnext \'x\n/* never closed');
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([
      ['c-unterminated-string', 1],
      ['c-unterminated-char', 2],
      ['c-unterminated-comment', 3],
    ]);
    expect(r.value.map((t) => t.text)).toEqual(['"open', 'next', "'x"]);
    expect(at(r.value, 0).unterminated).toBe(true);
  });

  it('glues tokens the way they were written', () => {
    const toks = tokenizeC('sizeof(struct foo) | -ENOMEM').value;
    expect(tokensText(toks)).toBe('sizeof(struct foo) | -ENOMEM');
  });

  it('marks spacing and line starts', () => {
    const toks: CToken[] = tokenizeC('a  b\n c(d)').value;
    expect(toks.map((t) => [t.text, t.space, t.bol])).toEqual([
      ['a', false, true],
      ['b', true, false],
      ['c', true, true],
      ['(', false, false],
      ['d', false, false],
      [')', false, false],
    ]);
  });
});

describe('parseMacroSpecs: frob.macro.c', () => {
  const src = fixture('frob.macro.c');
  const s = only(src);

  it('reads every fact of sys_frob', () => {
    expect(specFacts(s)).toEqual(FROB_FACTS);
  });

  it('keeps the written forms, positions and counts', () => {
    const lines = src.split('\n');
    const lineOf = (needle: string): number => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(s.form).toBe('macro');
    expect(s.path).toBe('x.c');
    expect(s.line).toBe(lineOf('DEFINE_KERNEL_API_SPEC'));
    expect(s.endLine).toBe(lineOf('KAPI_END_SPEC'));
    expect(s.partial).toBe(false);
    expect(s.unknown).toEqual([]);
    expect(s.errors.map((e) => [e.codeText, e.name, e.line])).toEqual([
      ['-EINVAL', 'EINVAL', lineOf('KAPI_ERROR(0')],
      ['-ENOMEM', 'ENOMEM', lineOf('KAPI_ERROR(1')],
      ['-EPERM', 'EPERM', lineOf('KAPI_ERROR(2')],
      ['-EINTR', 'EINTR', lineOf('KAPI_ERROR(3')],
    ]);
    expect(s.counts).toEqual({
      error: { value: 4, line: lineOf('KAPI_ERROR_COUNT'), via: 'KAPI_ERROR_COUNT' },
      param: { value: 2, line: lineOf('KAPI_PARAM_COUNT'), via: 'KAPI_PARAM_COUNT' },
      signal: { value: 1, line: lineOf('KAPI_SIGNAL_COUNT'), via: 'KAPI_SIGNAL_COUNT' },
      side_effect: { value: 2, line: lineOf('KAPI_SIDE_EFFECT_COUNT'), via: 'KAPI_SIDE_EFFECT_COUNT' },
    });
    expect(at(s.params, 1).line).toBe(lineOf('KAPI_PARAM(1'));
    expect(assigned(s, 'lock[0]').map((a) => [a.field, a.value, a.via])).toEqual([
      ['lock_name', 'frob_lock', 'KAPI_LOCK'],
      ['lock_type', 'KAPI_LOCK_MUTEX', 'KAPI_LOCK'],
      ['scope', 'KAPI_LOCK_ACQUIRES', 'KAPI_LOCK_ACQUIRED'],
      ['scope', 'KAPI_LOCK_RELEASES', 'KAPI_LOCK_RELEASED'],
      ['description', 'Serialises frobnication', 'KAPI_LOCK_DESC'],
    ]);
    expect(assigned(s, 'param[0]', 'alignment').map((a) => a.value)).toEqual(['PAGE_SIZE']);
  });
});

describe('parseMacroSpecs: every block kind', () => {
  const cases: [string, string, (s: ApiSpec) => void][] = [
    [
      'description, long description, context, examples, notes, since',
      `KAPI_DESCRIPTION("Short")
       KAPI_LONG_DESC("Long " "text")
       KAPI_CONTEXT(KAPI_CTX_SOFTIRQ | KAPI_CTX_ATOMIC | KAPI_CTX_PREEMPT_DISABLED)
       KAPI_EXAMPLES("t(1);\\n" "t(2);")
       KAPI_NOTES("A note")
       KAPI_SINCE_VERSION("2.6.12")`,
      (s) => {
        expect([s.description, s.longDescription, s.examples, s.notes, s.since]).toEqual([
          'Short',
          'Long text',
          't(1);\nt(2);',
          'A note',
          '2.6.12',
        ]);
        expect(s.contexts).toEqual(['softirq', 'atomic', 'preempt_disabled']);
      },
    ],
    [
      'param with every sub-macro',
      `KAPI_PARAM(0, "mask", "unsigned int", "Mask of things")
         KAPI_PARAM_TYPE(KAPI_TYPE_UINT)
         KAPI_PARAM_FLAGS(KAPI_PARAM_IN | KAPI_PARAM_USER | KAPI_PARAM_OPTIONAL)
         KAPI_PARAM_SIZE(sizeof(u32))
         KAPI_PARAM_CONSTRAINT_TYPE(KAPI_CONSTRAINT_MASK)
         KAPI_PARAM_CONSTRAINT("Only T_A and T_B")
         KAPI_PARAM_VALID_MASK(T_A | T_B)
         KAPI_PARAM_RANGE(0, T_A | T_B)
         KAPI_PARAM_ENUM_VALUES(t_values)
         KAPI_PARAM_ALIGNMENT(4)
         KAPI_PARAM_SIZE_PARAM(1)
       KAPI_PARAM_END`,
      (s) => {
        expect(s.params).toEqual([
          {
            index: 0,
            name: 'mask',
            ctype: 'unsigned int',
            type: 'uint',
            flags: ['in', 'user', 'optional'],
            description: 'Mask of things',
            constraintType: 'mask',
            constraint: 'Only T_A and T_B',
            range: { min: '0', max: 'T_A | T_B' },
            validMask: 'T_A | T_B',
            line: 2,
          },
        ]);
        expect(assigned(s, 'param[0]').map((a) => a.field)).toEqual([
          'name',
          'type_name',
          'description',
          'type',
          'flags',
          'size',
          'constraint_type',
          'constraints',
          'valid_mask',
          'min_value',
          'max_value',
          'enum_values',
          'alignment',
          'size_param_idx',
        ]);
      },
    ],
    [
      'return with range and error values',
      `KAPI_RETURN("ssize_t", "Bytes read")
         KAPI_RETURN_TYPE(KAPI_TYPE_INT)
         KAPI_RETURN_CHECK_TYPE(KAPI_RETURN_RANGE)
         KAPI_RETURN_SUCCESS_RANGE(0, SSIZE_MAX)
         KAPI_RETURN_ERROR_VALUES(t_errs)
         KAPI_RETURN_ERROR_COUNT(4)
       KAPI_RETURN_END`,
      (s) => {
        expect(s.returns).toEqual({
          ctype: 'ssize_t',
          type: 'int',
          checkType: 'range',
          success: null,
          description: 'Bytes read',
          line: 2,
        });
        // KAPI_RETURN_ERROR_COUNT is the return's own field, not the spec's error count
        expect(s.counts).toEqual({});
        expect(assigned(s, 'return', 'error_count').map((a) => a.value)).toEqual(['4']);
        expect(assigned(s, 'return', 'success_max').map((a) => a.value)).toEqual(['SSIZE_MAX']);
      },
    ],
    [
      'errors: self-contained, numeric and garbled codes',
      `KAPI_ERROR(0, -ENOENT, "ENOENT", "No such file", "The path does not exist")
       KAPI_ERROR(1, -12, "ENOMEM", "Out of memory", "No memory")
       KAPI_ERROR(2, ENOTTY, "ENOTTY", "Not a tty", "Bad ioctl")`,
      (s) => {
        expect(s.errors.map((e) => [e.index, e.code, e.codeText, e.name])).toEqual([
          [0, 'ENOENT', '-ENOENT', 'ENOENT'],
          [1, '-12', '-12', 'ENOMEM'],
          [2, 'ENOTTY', 'ENOTTY', 'ENOTTY'],
        ]);
      },
    ],
    [
      'lock with held entry and exit',
      `KAPI_LOCK(0, "i_rwsem", KAPI_LOCK_SEMAPHORE)
         KAPI_LOCK_HELD_ENTRY
         KAPI_LOCK_HELD_EXIT
         KAPI_LOCK_DESC("Held by the caller")
       KAPI_LOCK_END
       KAPI_LOCK(1, "rcu", KAPI_LOCK_RCU)
         KAPI_LOCK_RELEASED
       KAPI_LOCK_END`,
      (s) => {
        expect(s.locks.map((l) => [l.index, l.name, l.type, l.acquired, l.released, l.description])).toEqual([
          [0, 'i_rwsem', 'semaphore', null, null, 'Held by the caller'],
          [1, 'rcu', 'rcu', null, 'true', null],
        ]);
        expect(assigned(s, 'lock[0]', 'scope').map((a) => a.value)).toEqual([
          'KAPI_LOCK_CALLER_HELD',
          'KAPI_LOCK_CALLER_HELD',
        ]);
      },
    ],
    [
      'signal with every sub-macro',
      `KAPI_SIGNAL(0, SIGUSR1, "SIGUSR1", KAPI_SIGNAL_HANDLE, KAPI_SIGNAL_ACTION_RESTART)
         KAPI_SIGNAL_TARGET("Calling thread")
         KAPI_SIGNAL_CONDITION("Handler installed")
         KAPI_SIGNAL_DESC("Restarts the call")
         KAPI_SIGNAL_RESTARTABLE
         KAPI_SIGNAL_SA_FLAGS_REQ(SA_RESTART)
         KAPI_SIGNAL_SA_FLAGS_FORBID(SA_ONSTACK)
         KAPI_SIGNAL_ERROR(-ERESTARTSYS)
         KAPI_SIGNAL_TRANSFORM(SIGKILL)
         KAPI_SIGNAL_TIMING(KAPI_SIGNAL_TIME_BLOCKING)
         KAPI_SIGNAL_PRIORITY(2)
         KAPI_SIGNAL_INTERRUPTIBLE
         KAPI_SIGNAL_QUEUE(KAPI_SIGNAL_QUEUE_REALTIME)
         KAPI_SIGNAL_STATE_REQ(KAPI_SIGNAL_STATE_RUNNING | KAPI_SIGNAL_STATE_SLEEPING)
         KAPI_SIGNAL_STATE_FORBID(KAPI_SIGNAL_STATE_ZOMBIE)
       KAPI_SIGNAL_END
       KAPI_SIGNAL(1, 0, "FATAL", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_TERMINATE)
         KAPI_SIGNAL_TIMING("while_sleeping")
       KAPI_SIGNAL_END
       KAPI_SIGNAL(2, SIGTERM, "TERM", KAPI_SIGNAL_SEND, KAPI_SIGNAL_ACTION_DEFAULT)
       KAPI_SIGNAL_END`,
      (s) => {
        expect(s.signals).toEqual([
          {
            index: 0,
            signal: 'SIGUSR1',
            direction: 'handle',
            action: 'restart',
            condition: 'Handler installed',
            description: 'Restarts the call',
            error: '-ERESTARTSYS',
            extra: {
              target: 'Calling thread',
              restartable: 'true',
              sa_flags_required: 'SA_RESTART',
              sa_flags_forbidden: 'SA_ONSTACK',
              transform_to: 'SIGKILL',
              timing: 'blocking',
              priority: '2',
              interruptible: 'true',
              queue: 'realtime',
              state_required: 'running | sleeping',
              state_forbidden: 'zombie',
            },
            line: 2,
          },
          {
            index: 1,
            signal: 'FATAL',
            direction: 'receive',
            action: 'terminate',
            condition: null,
            description: null,
            error: null,
            extra: { timing: 'while_sleeping' },
            line: 18,
          },
          {
            index: 2,
            signal: 'TERM',
            direction: 'send',
            action: 'default',
            condition: null,
            description: null,
            error: null,
            extra: { signum: 'SIGTERM' },
            line: 21,
          },
        ]);
      },
    ],
    [
      'signal mask',
      `KAPI_SIGNAL_MASK(0, "blocked", "Signals blocked during the wait")
         KAPI_SIGNAL_MASK_ADD(SIGINT)
         KAPI_SIGNAL_MASK_SIGNALS(SIGTERM, SIGHUP)
       KAPI_SIGNAL_MASK_END
       KAPI_SIGNAL_MASK_COUNT(1)`,
      (s) => {
        expect(s.signalMasks).toEqual([
          { index: 0, name: 'blocked', description: 'Signals blocked during the wait', line: 2 },
        ]);
        expect(assigned(s, 'signal_mask[0]', 'signals').map((a) => a.value)).toEqual([
          'SIGINT',
          'SIGTERM, SIGHUP',
        ]);
        expect(s.counts.signal_mask?.value).toBe(1);
      },
    ],
    [
      'side effects',
      `KAPI_SIDE_EFFECT(0, KAPI_EFFECT_ALLOC_MEMORY | KAPI_EFFECTS_LOCKING, "kmalloc", "Allocates")
         KAPI_EFFECT_CONDITION("Always")
         KAPI_EFFECT_REVERSIBLE
       KAPI_SIDE_EFFECT_END
       KAPI_SIDE_EFFECT(1, KAPI_EFFECT_RESOURCE_DESTROY | KAPI_EFFECT_IRREVERSIBLE, "fd", "Frees the fd")
       KAPI_SIDE_EFFECT_END`,
      (s) => {
        expect(
          s.sideEffects.map((e) => [e.types, e.target, e.description, e.condition, e.reversible]),
        ).toEqual([
          [['alloc_memory', 'lock_acquire', 'lock_release'], 'kmalloc', 'Allocates', 'Always', true],
          [['resource_destroy', 'irreversible'], 'fd', 'Frees the fd', null, false],
        ]);
      },
    ],
    [
      'state transitions',
      `KAPI_STATE_TRANS(0, "file", "open", "closed", "The file is closed")
         KAPI_STATE_TRANS_COND("Last reference")
       KAPI_STATE_TRANS_END`,
      (s) => {
        expect(s.stateTransitions).toEqual([
          {
            index: 0,
            object: 'file',
            from: 'open',
            to: 'closed',
            condition: 'Last reference',
            description: 'The file is closed',
            line: 2,
          },
        ]);
      },
    ],
    [
      'capabilities',
      `KAPI_CAPABILITY(0, CAP_IPC_LOCK, "CAP_IPC_LOCK", KAPI_CAP_BYPASS_CHECK)
         KAPI_CAP_ALLOWS("No limit")
         KAPI_CAP_WITHOUT("RLIMIT_MEMLOCK applies")
         KAPI_CAP_CONDITION("Over the limit")
         KAPI_CAP_PRIORITY(0)
         KAPI_CAP_ALTERNATIVE(t_alts, 1)
       KAPI_CAPABILITY_END
       KAPI_CAPABILITY(1, 21, "CAP_SYS_ADMIN", KAPI_CAP_OVERRIDE_RESTRICTION)
       KAPI_CAPABILITY_END`,
      (s) => {
        expect(s.capabilities.map((c) => [c.capability, c.action, c.allows, c.without, c.condition])).toEqual(
          [
            ['CAP_IPC_LOCK', 'bypass_check', 'No limit', 'RLIMIT_MEMLOCK applies', 'Over the limit'],
            ['CAP_SYS_ADMIN', 'override_restriction', null, null, null],
          ],
        );
      },
    ],
    [
      'constraints',
      `KAPI_CONSTRAINT(0, "Memory limit", "Stays under RLIMIT_MEMLOCK")
         KAPI_CONSTRAINT_EXPR("locked + len <= RLIMIT_MEMLOCK")
       KAPI_CONSTRAINT_END
       KAPI_CONSTRAINT_COUNT(1)`,
      (s) => {
        expect(s.constraints).toEqual([
          {
            index: 0,
            name: 'Memory limit',
            description: 'Stays under RLIMIT_MEMLOCK',
            expr: 'locked + len <= RLIMIT_MEMLOCK',
            line: 2,
          },
        ]);
        expect(s.counts.constraint?.value).toBe(1);
      },
    ],
    [
      'struct specs with fields',
      `KAPI_STRUCT_SPEC(0, t_args, "Arguments")
         KAPI_STRUCT_SIZE(sizeof(struct t_args), __alignof__(struct t_args))
         KAPI_STRUCT_FIELD_COUNT(2)
         KAPI_STRUCT_FIELD(0, "size", KAPI_TYPE_UINT, "__u32", "Size of the struct")
           KAPI_FIELD_OFFSET(offsetof(struct t_args, size))
           KAPI_FIELD_SIZE(sizeof(__u32))
           KAPI_FIELD_CONSTRAINT_RANGE(8, 64)
         KAPI_STRUCT_FIELD_END
         KAPI_STRUCT_FIELD(1, "mode", KAPI_TYPE_ENUM, "__u32", "Mode")
           KAPI_FIELD_FLAGS(KAPI_PARAM_IN)
           KAPI_FIELD_CONSTRAINT_ENUM(T_M0, T_M1)
         KAPI_STRUCT_FIELD_END
       KAPI_STRUCT_SPEC_END
       KAPI_STRUCT_SPEC_COUNT(1)`,
      (s) => {
        expect(s.structs).toEqual([
          {
            index: 0,
            name: 't_args',
            description: 'Arguments',
            size: 'sizeof(struct t_args)',
            alignment: '__alignof__(struct t_args)',
            fields: [
              {
                index: 0,
                name: 'size',
                type: 'uint',
                ctype: '__u32',
                description: 'Size of the struct',
                constraintType: 'range',
                range: { min: '8', max: '64' },
                validMask: null,
                enumValues: null,
                line: 5,
              },
              {
                index: 1,
                name: 'mode',
                type: 'enum',
                ctype: '__u32',
                description: 'Mode',
                constraintType: 'enum',
                range: null,
                validMask: null,
                // from the variadic arguments T_M0, T_M1
                enumValues: ['T_M0', 'T_M1'],
                line: 10,
              },
            ],
            line: 2,
          },
        ]);
        expect(s.counts.struct).toEqual({ value: 1, line: 15, via: 'KAPI_STRUCT_SPEC_COUNT' });
        expect(assigned(s, 'struct[0].field[0]').map((a) => a.field)).toEqual([
          'name',
          'type',
          'type_name',
          'description',
          'offset',
          'size',
          'constraint_type',
          'min_value',
          'max_value',
        ]);
        expect(assigned(s, 'struct[0].field[1]', 'enum_values').map((a) => a.value)).toEqual(['T_M0, T_M1']);
      },
    ],
    [
      'every count macro',
      `KAPI_ERROR_COUNT(1) KAPI_PARAM_COUNT(2) KAPI_SIGNAL_COUNT(3) KAPI_LOCK_COUNT(4)
       KAPI_SIDE_EFFECT_COUNT(5) KAPI_STATE_TRANS_COUNT(6) KAPI_CAPABILITY_COUNT(7)
       KAPI_CONSTRAINT_COUNT(8) KAPI_STRUCT_SPEC_COUNT(9) KAPI_SIGNAL_MASK_COUNT(0x0a)`,
      (s) => {
        expect(
          Object.fromEntries(Object.entries(s.counts).map(([k, v]) => [k, [v.value, v.line, v.via]])),
        ).toEqual({
          error: [1, 2, 'KAPI_ERROR_COUNT'],
          param: [2, 2, 'KAPI_PARAM_COUNT'],
          signal: [3, 2, 'KAPI_SIGNAL_COUNT'],
          lock: [4, 2, 'KAPI_LOCK_COUNT'],
          side_effect: [5, 3, 'KAPI_SIDE_EFFECT_COUNT'],
          state_trans: [6, 3, 'KAPI_STATE_TRANS_COUNT'],
          capability: [7, 3, 'KAPI_CAPABILITY_COUNT'],
          constraint: [8, 4, 'KAPI_CONSTRAINT_COUNT'],
          struct: [9, 4, 'KAPI_STRUCT_SPEC_COUNT'],
          signal_mask: [10, 4, 'KAPI_SIGNAL_MASK_COUNT'],
        });
      },
    ],
    [
      'socket(), ioctl and sysfs blocks the model does not hold: assignments only',
      `KAPI_SOCKET_STATE_REQ(KAPI_SOCK_STATE_UNSPEC, KAPI_SOCK_STATE_CLOSED)
         KAPI_SOCKET_STATE_RESULT(KAPI_SOCK_STATE_OPEN)
       KAPI_SOCKET_STATE_END
       KAPI_PROTOCOL_BEHAVIOR(0, KAPI_PROTO_TCP, "Streams")
         KAPI_PROTOCOL_FLAGS(0, "SOL_TCP")
       KAPI_PROTOCOL_BEHAVIOR_END
       KAPI_ASYNC_SPEC(KAPI_ASYNC_BLOCK, 0) KAPI_ASYNC_END
       KAPI_BUFFER_SPEC(KAPI_BUF_PEEK) KAPI_BUFFER_SIZE(0, 0, 0) KAPI_BUFFER_END
       KAPI_ADDR_FAMILY(0, AF_INET, "AF_INET", sizeof(struct sockaddr_in), 16, 16)
         KAPI_ADDR_PORTS(0, 65535)
       KAPI_ADDR_FAMILY_END
       KAPI_NET_REENTRANT
       KAPI_SUBSYSTEM("block")
       KAPI_PARAM(0, "nr", "unsigned long", "Number")
         KAPI_PATH("/sys/block/<disk>/queue/nr")
         KAPI_PERMISSIONS(0644)
         KAPI_PARAM_FLAGS(KAPI_PARAM_SYSFS_RW)
       KAPI_PARAM_END`,
      (s) => {
        expect(s.assignments.map((a) => `${a.block}.${a.field}=${a.value}`)).toEqual([
          'spec.name=sys_t',
          'socket_state.required_states=KAPI_SOCK_STATE_UNSPEC, KAPI_SOCK_STATE_CLOSED',
          'socket_state.resulting_state=KAPI_SOCK_STATE_OPEN',
          'protocol_behavior[0].applicable_protocols=KAPI_PROTO_TCP',
          'protocol_behavior[0].behavior=Streams',
          'protocol_behavior[0].protocol_flags=0',
          'protocol_behavior[0].flag_description=SOL_TCP',
          'async.supported_modes=KAPI_ASYNC_BLOCK',
          'async.nonblock_errno=0',
          'buffer.buffer_behaviors=KAPI_BUF_PEEK',
          'buffer.min_buffer_size=0',
          'buffer.max_buffer_size=0',
          'buffer.optimal_buffer_size=0',
          'addr_family[0].family=AF_INET',
          'addr_family[0].family_name=AF_INET',
          'addr_family[0].addr_struct_size=sizeof(struct sockaddr_in)',
          'addr_family[0].min_addr_len=16',
          'addr_family[0].max_addr_len=16',
          'addr_family[0].port_range_min=0',
          'addr_family[0].port_range_max=65535',
          'spec.is_reentrant=true',
          'spec.subsystem=block',
          'param[0].name=nr',
          'param[0].type_name=unsigned long',
          'param[0].description=Number',
          'param[0].sysfs_path=/sys/block/<disk>/queue/nr',
          'param[0].sysfs_permissions=0644',
          'param[0].flags=KAPI_PARAM_SYSFS_RW',
        ]);
        expect(at(s.params, 0).flags).toEqual(['sysfs_rw']);
      },
    ],
  ];
  for (const [name, body, check] of cases) {
    it(name, () => {
      const s = only(spec(body));
      expect(s.unknown).toEqual([]);
      check(s);
    });
  }
});
