/**
 * Helper macros of the KAPI headers that stand for whole blocks (or a KAPI_CONTEXT), with the
 * bodies of their #defines. The macro parser expands them before reading the result, so a helper's
 * hard-coded indices count: RFC v2's KAPI_IOCTL_PARAM_SIZE is param 0 and KAPI_IOCTL_PARAM_FLAGS
 * is param 1, and without them fwctl_info seems to declare five params but define only 2..4.
 *
 * Sources (the body is the definition of the earliest version that has it; later versions only
 * changed details noted here):
 * - include/linux/syscall_api_spec.h, RFC v2 01/22: KAPI_SYSCALL_*, KAPI_PARAM_FD, _USER_BUF,
 *   _USER_STRUCT, _SIZE_T, KAPI_ERROR_E*, KAPI_RETURN_SUCCESS_ZERO, _FD_SPEC, KAPI_RETURN_COUNT.
 *   (RFC v5 on: _USER_BUF uses KAPI_PARAM_USER instead of KAPI_PARAM_USER_PTR, same flags once
 *   normalized; _USER_STRUCT uses KAPI_CONSTRAINT_USER_PTR; _SIZE_T's upper bound is S64_MAX.)
 * - include/linux/kernel_api_spec.h, RFC v2 01/22: KAPI_SIGNAL_INTERRUPTIBLE_SLEEP (signals 0
 *   and 1), KAPI_SIGNAL_FATAL_DEFAULT (signal 2), KAPI_SIGNAL_STOP_CONT (signals 3 and 4).
 * - include/linux/kernel_api_spec.h, RFC v2 16/22: KAPI_IOCTL_PARAM_SIZE, _FLAGS, _USER_BUF,
 *   _USER_OUT_BUF. KAPI_IOCTL_PARAM_LEN is RFC v1's ioctl_api_spec.h.
 * - syscall_api_spec.h, RFC v5 to PATCH v2: KAPI_PARAM_USER_PTR_SIZED, _USER_STRING, _USER_PATH.
 */

export interface HelperMacro {
  /** Parameter names of a function-like macro; null for an object-like one. */
  params: readonly string[] | null;
  /** The replacement list, as C source (`#param` stringifies an argument). */
  body: string;
  /** Postings that define it. */
  versions: string;
}

const PARAM_BLOCK = (type: string, flags: string, extra = ''): string =>
  `KAPI_PARAM(idx, name, ${type}, desc) KAPI_PARAM_FLAGS(${flags}) ${extra} KAPI_PARAM_END`;

export const HELPER_MACROS: Readonly<Record<string, HelperMacro>> = {
  KAPI_SYSCALL_SLEEPABLE: {
    params: null,
    body: 'KAPI_CONTEXT(KAPI_CTX_PROCESS | KAPI_CTX_SLEEPABLE)',
    versions: 'R1-P2',
  },
  KAPI_SYSCALL_ATOMIC: {
    params: null,
    body: 'KAPI_CONTEXT(KAPI_CTX_PROCESS | KAPI_CTX_ATOMIC)',
    versions: 'R1-P2',
  },
  KAPI_PARAM_FD: {
    params: ['idx', 'desc'],
    body:
      'KAPI_PARAM(idx, "fd", "int", desc) KAPI_PARAM_FLAGS(KAPI_PARAM_IN) ' +
      '.type = KAPI_TYPE_FD, .constraint_type = KAPI_CONSTRAINT_NONE, KAPI_PARAM_END',
    versions: 'R1-P2',
  },
  KAPI_PARAM_USER_BUF: {
    params: ['idx', 'name', 'desc'],
    body: PARAM_BLOCK('"void __user *"', 'KAPI_PARAM_USER_PTR | KAPI_PARAM_IN'),
    versions: 'R1-P2',
  },
  KAPI_PARAM_USER_STRUCT: {
    params: ['idx', 'name', 'struct_type', 'desc'],
    body:
      'KAPI_PARAM(idx, name, #struct_type " __user *", desc) ' +
      'KAPI_PARAM_FLAGS(KAPI_PARAM_USER | KAPI_PARAM_IN) .type = KAPI_TYPE_USER_PTR, ' +
      '.size = sizeof(struct_type), .constraint_type = KAPI_CONSTRAINT_NONE, KAPI_PARAM_END',
    versions: 'R1-P2',
  },
  KAPI_PARAM_SIZE_T: {
    params: ['idx', 'name', 'desc'],
    body: PARAM_BLOCK('"size_t"', 'KAPI_PARAM_IN', 'KAPI_PARAM_RANGE(0, SIZE_MAX)'),
    versions: 'R1-P2',
  },
  KAPI_PARAM_USER_PTR_SIZED: {
    params: ['idx', 'name', 'ptr_size', 'desc'],
    body: PARAM_BLOCK(
      '"void __user *"',
      'KAPI_PARAM_USER | KAPI_PARAM_IN',
      '.type = KAPI_TYPE_USER_PTR, .size = ptr_size, .constraint_type = KAPI_CONSTRAINT_USER_PTR,',
    ),
    versions: 'R5-P2',
  },
  KAPI_PARAM_USER_STRING: {
    params: ['idx', 'name', 'min_len', 'max_len', 'desc'],
    body: PARAM_BLOCK(
      '"const char __user *"',
      'KAPI_PARAM_USER | KAPI_PARAM_IN',
      '.type = KAPI_TYPE_USER_PTR, .constraint_type = KAPI_CONSTRAINT_USER_STRING, ' +
        '.min_value = min_len, .max_value = max_len,',
    ),
    versions: 'R5-P2',
  },
  KAPI_PARAM_USER_PATH: {
    params: ['idx', 'name', 'desc'],
    body: PARAM_BLOCK(
      '"const char __user *"',
      'KAPI_PARAM_USER | KAPI_PARAM_IN',
      '.type = KAPI_TYPE_PATH, .constraint_type = KAPI_CONSTRAINT_USER_PATH,',
    ),
    versions: 'R5-P2',
  },
  KAPI_ERROR_EBADF: {
    params: ['idx'],
    body:
      'KAPI_ERROR(idx, -EBADF, "EBADF", "Invalid file descriptor", ' +
      '"The file descriptor is not valid or has been closed")',
    versions: 'R1-P2',
  },
  KAPI_ERROR_EINVAL: {
    params: ['idx', 'condition'],
    body: 'KAPI_ERROR(idx, -EINVAL, "EINVAL", condition, "Invalid argument provided")',
    versions: 'R1-P2',
  },
  KAPI_ERROR_ENOMEM: {
    params: ['idx'],
    body:
      'KAPI_ERROR(idx, -ENOMEM, "ENOMEM", "Insufficient memory", ' +
      '"Cannot allocate memory for the operation")',
    versions: 'R1-P2',
  },
  KAPI_ERROR_EPERM: {
    params: ['idx'],
    body:
      'KAPI_ERROR(idx, -EPERM, "EPERM", "Operation not permitted", ' +
      '"The calling process does not have the required permissions")',
    versions: 'R1-P2',
  },
  KAPI_ERROR_EFAULT: {
    params: ['idx'],
    body: 'KAPI_ERROR(idx, -EFAULT, "EFAULT", "Bad address", "Invalid user space address provided")',
    versions: 'R1-P2',
  },
  KAPI_RETURN_SUCCESS_ZERO: {
    params: null,
    body:
      'KAPI_RETURN("long", "0 on success, negative error code on failure") ' +
      'KAPI_RETURN_SUCCESS(0, "== 0") KAPI_RETURN_END',
    versions: 'R1-P2',
  },
  KAPI_RETURN_FD_SPEC: {
    params: null,
    body:
      'KAPI_RETURN("long", "File descriptor on success, negative error code on failure") ' +
      '.check_type = KAPI_RETURN_FD, KAPI_RETURN_END',
    versions: 'R1-P2',
  },
  KAPI_RETURN_COUNT: {
    params: null,
    body:
      'KAPI_RETURN("long", "Number of bytes processed on success, negative error code on failure") ' +
      'KAPI_RETURN_SUCCESS(0, ">= 0") KAPI_RETURN_END',
    versions: 'R1-P2',
  },
  KAPI_IOCTL_PARAM_SIZE: {
    params: null,
    body:
      'KAPI_PARAM(0, "size", "__u32", "Size of the structure") KAPI_PARAM_FLAGS(KAPI_PARAM_IN) ' +
      '.type = KAPI_TYPE_UINT, .constraint_type = KAPI_CONSTRAINT_CUSTOM, ' +
      '.constraints = "Must match sizeof(struct)", KAPI_PARAM_END',
    versions: 'R1-R2',
  },
  KAPI_IOCTL_PARAM_FLAGS: {
    params: null,
    body:
      'KAPI_PARAM(1, "flags", "__u32", "Feature flags") KAPI_PARAM_FLAGS(KAPI_PARAM_IN) ' +
      '.type = KAPI_TYPE_UINT, .constraint_type = KAPI_CONSTRAINT_MASK, .valid_mask = 0, ' +
      'KAPI_PARAM_END',
    versions: 'R1-R2',
  },
  KAPI_IOCTL_PARAM_USER_BUF: {
    params: ['idx', 'name', 'desc', 'len_idx'],
    body: PARAM_BLOCK(
      '"__aligned_u64"',
      'KAPI_PARAM_IN | KAPI_PARAM_USER_PTR',
      '.type = KAPI_TYPE_USER_PTR, .size_param_idx = len_idx,',
    ),
    versions: 'R1-R2',
  },
  KAPI_IOCTL_PARAM_USER_OUT_BUF: {
    params: ['idx', 'name', 'desc', 'len_idx'],
    body: PARAM_BLOCK(
      '"__aligned_u64"',
      'KAPI_PARAM_OUT | KAPI_PARAM_USER_PTR',
      '.type = KAPI_TYPE_USER_PTR, .size_param_idx = len_idx,',
    ),
    versions: 'R1-R2',
  },
  KAPI_IOCTL_PARAM_LEN: {
    params: ['idx', 'name', 'desc', 'max_size'],
    body: PARAM_BLOCK(
      '"__u32"',
      'KAPI_PARAM_INOUT',
      '.type = KAPI_TYPE_UINT, .constraint_type = KAPI_CONSTRAINT_RANGE, ' +
        '.min_value = 0, .max_value = max_size,',
    ),
    versions: 'R1',
  },
  KAPI_SIGNAL_INTERRUPTIBLE_SLEEP: {
    params: null,
    body:
      'KAPI_SIGNAL(0, SIGINT, "SIGINT", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_RETURN) ' +
      'KAPI_SIGNAL_TIMING(KAPI_SIGNAL_TIME_SLEEPING) KAPI_SIGNAL_ERROR(-EINTR) ' +
      'KAPI_SIGNAL_RESTARTABLE KAPI_SIGNAL_DESC("Interrupts sleep, returns -EINTR") KAPI_SIGNAL_END, ' +
      'KAPI_SIGNAL(1, SIGTERM, "SIGTERM", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_RETURN) ' +
      'KAPI_SIGNAL_TIMING(KAPI_SIGNAL_TIME_SLEEPING) KAPI_SIGNAL_ERROR(-EINTR) ' +
      'KAPI_SIGNAL_RESTARTABLE KAPI_SIGNAL_DESC("Interrupts sleep, returns -EINTR") KAPI_SIGNAL_END',
    versions: 'R2-P2',
  },
  KAPI_SIGNAL_FATAL_DEFAULT: {
    params: null,
    body:
      'KAPI_SIGNAL(2, SIGKILL, "SIGKILL", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_TERMINATE) ' +
      'KAPI_SIGNAL_TIMING(KAPI_SIGNAL_TIME_ANYTIME) KAPI_SIGNAL_PRIORITY(0) ' +
      'KAPI_SIGNAL_DESC("Process terminated immediately") KAPI_SIGNAL_END',
    versions: 'R2-P2',
  },
  KAPI_SIGNAL_STOP_CONT: {
    params: null,
    body:
      'KAPI_SIGNAL(3, SIGSTOP, "SIGSTOP", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_STOP) ' +
      'KAPI_SIGNAL_TIMING(KAPI_SIGNAL_TIME_ANYTIME) KAPI_SIGNAL_DESC("Process stopped") KAPI_SIGNAL_END, ' +
      'KAPI_SIGNAL(4, SIGCONT, "SIGCONT", KAPI_SIGNAL_RECEIVE, KAPI_SIGNAL_ACTION_CONTINUE) ' +
      'KAPI_SIGNAL_TIMING(KAPI_SIGNAL_TIME_ANYTIME) KAPI_SIGNAL_DESC("Process continued") KAPI_SIGNAL_END',
    versions: 'R2-P2',
  },
};
