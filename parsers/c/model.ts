/** The C facts the KAPI checks compare specifications with. */

export interface CFunction {
  name: string;
  /** 1-based first and last line of the definition (for a SYSCALL_DEFINE, the macro's line). */
  line: number;
  endLine: number;
  isStatic: boolean;
  isSyscall: boolean;
  /** tree-sitter could not understand part of the body or declarator: facts about it are partial. */
  hasParseErrors: boolean;
}

export interface SyscallParam {
  /** Whitespace-normalized type as written, e.g. `const char __user *const __user *`. */
  type: string;
  name: string;
}

export interface SyscallDef {
  /** 'mlock2' */
  name: string;
  /** 'sys_mlock2', or 'compat_sys_…' for COMPAT_SYSCALL_DEFINEn */
  fnName: string;
  arity: number;
  params: SyscallParam[];
  line: number;
  endLine: number;
  /** The macro invocation as written, `SYSCALL_DEFINE3(mlock2, …)`, possibly several lines. */
  macroText: string;
}

export interface ErrnoEvidence {
  fn: string;
  line: number;
  /** The source line, trimmed. */
  text: string;
}

export interface ErrnoFact {
  /** Canonical name, e.g. 'EAGAIN'. */
  errno: string;
  /** As written in the code, e.g. 'EWOULDBLOCK'. */
  written: string;
  /**
   * From where the value is produced outward: first the line that writes `-EXXX` (in the function
   * that returns it), then each call site through which it reaches `fn`, ending in `fn` itself.
   */
  chain: ErrnoEvidence[];
}

export interface FunctionErrors {
  fn: string;
  /** Sorted by errno name. */
  errnos: ErrnoFact[];
  /**
   * Whether the error set is trustworthy as an exact set: false if the body (or a same-file callee
   * whose result reaches the return value) has parse errors, or a call to a function not defined in
   * this file can reach the return value. When false, `errnos` is still a lower bound.
   */
  complete: boolean;
  /** Sorted names of calls not defined in this file whose value can reach the return value. */
  unknownCalls: string[];
}

export interface CFacts {
  functions: CFunction[];
  syscalls: SyscallDef[];
  /** By function name, for every function including sys_* (definitions of one name are merged). */
  errors: Record<string, FunctionErrors>;
}
