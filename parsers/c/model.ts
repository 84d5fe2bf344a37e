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
   * this file or a value the analysis does not follow (`unknownValues`) can reach the return
   * value. When false, `errnos` is still a lower bound.
   */
  complete: boolean;
  /** Sorted names of calls not defined in this file whose value can reach the return value. */
  unknownCalls: string[];
  /**
   * Sorted expressions whose value the analysis does not follow and that can reach the return
   * value: a struct field (`ctx->err`), a dereference (`*errp`), an array element, a global or
   * object-like macro (`MY_ERR`), the negation of an unknown (`-MY_ERR`), or `f(&ret)` for a
   * local written through its address by a same-file function `f`. Each makes `complete` false.
   */
  unknownValues: string[];
  /**
   * Sorted canonical errnos the function provably cannot return although `complete` is false:
   * every path on which an unknown value (an unknown call's result, an unknown value, an
   * incompletely analysed callee's result) reaches the return value passes a test that turns the
   * errno away (`if (v == -EFAULT) v = -ENOMEM;`, `if (v != -EFAULT) return v;`, directly or in a
   * same-file helper that returns its parameter), and no known path returns it (it is not in
   * `errnos`). Same-file callers inherit it through each call: an unknown value keeps its
   * exclusions on its way out, and a caller's `never` is the intersection over all its open paths,
   * so one open path without the exclusion empties it. Conservative: a function with parse errors
   * or an exhausted analysis budget has none.
   *
   * Always [] when `complete` is true: the exact `errnos` already says that everything else is
   * never returned.
   */
  never: string[];
  /**
   * For each errno of `never`, where it is turned away: for each open path, the test line (e.g.
   * `if (retval == -EFAULT)` in the translating helper), then each call site through which the
   * value then reaches `fn` (e.g. `return __mlock_posix_error_return(error);`), ending in `fn`;
   * the paths one after the other, a line shared by several paths once.
   */
  neverVia: Record<string, ErrnoEvidence[]>;
}

export interface CFacts {
  functions: CFunction[];
  syscalls: SyscallDef[];
  /** By function name, for every function including sys_* (definitions of one name are merged). */
  errors: Record<string, FunctionErrors>;
}
