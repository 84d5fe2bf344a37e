/**
 * The findings kapi-review makes on ../shared/corpus with the default configuration, reviewed
 * one by one (see check-corpus.test.ts). What they are:
 * - kapi-count-mismatch: RFC v2 execveat declares 9 signals and lists 12 (named in the checks issue).
 * - kapi-field-override: a KAPI_LOCK (or signal mask) block whose description is set twice: the first is lost (named in the checks issue for mlock2, mlockall, munlock, munlockall).
 * - kapi-error-unreachable: mlockall cannot return EAGAIN, munlockall cannot return ENOMEM (named in the checks issue); needs the whole file, so only on the tree.
 * - kapi-error-undocumented: execve's __bprm_mm_init() returns -EINTR from mmap_write_lock_killable() and the spec does not list it (the mlock specs list EINTR for the same primitive); on the tree only.
 * - kapi-lock-unbalanced: execveat says cred_guard_mutex is acquired and never that it is released.
 * - kapi-desc-duplicated: block sysfs atomic_write_unit_max_bytes repeats a sentence of its long description in its notes.
 * - kapi-errno-alias: PATCH v4 open lists EAGAIN and EWOULDBLOCK with different conditions (warning); read and write list both for the same case (info).
 * - kapi-deprecated-form: every RFC v1/v2 macro spec and RFC v3 flat-key spec is older than the default target (kerneldoc-3); KAPI_SINCE_VERSION / since-version were dropped in PATCH v2.
 * Not found, on purpose: mlock's EFAULT. On 6.12 mm/mlock.c an untranslated PTR_ERR(vma_modify_flags())
 * can carry any error a driver's may_split() returns, so "can never return EFAULT" is not provable.
 */
export type Table = Record<string, Record<string, string[]>>;

export const EXPECTED: Table = {
  'patch-v4/hunks': {
    'patch-v4-05-open.patch.txt': ['fs/open.c:1562 warning kapi-errno-alias sys_open EWOULDBLOCK'],
    'patch-v4-07-read.patch.txt': ['fs/read_write.c:827 info kapi-errno-alias sys_read EWOULDBLOCK'],
    'patch-v4-08-write.patch.txt': ['fs/read_write.c:1149 info kapi-errno-alias sys_write EWOULDBLOCK'],
  },
  'patch-v4/tree': {
    'patch-v4-05-open.patch.txt': ['fs/open.c:1626 warning kapi-errno-alias sys_open EWOULDBLOCK'],
    'patch-v4-07-read.patch.txt': ['fs/read_write.c:823 info kapi-errno-alias sys_read EWOULDBLOCK'],
    'patch-v4-08-write.patch.txt': ['fs/read_write.c:1146 info kapi-errno-alias sys_write EWOULDBLOCK'],
  },
  'rfc-v2/hunks': {
    'rfc-v2-02-epoll_create1.patch.txt': [
      'fs/eventpoll.c:2273 warning kapi-deprecated-form sys_epoll_create1 form:macro',
      'fs/eventpoll.c:2305 warning kapi-deprecated-form sys_epoll_create1 since',
    ],
    'rfc-v2-03-epoll_create.patch.txt': [
      'fs/eventpoll.c:2398 warning kapi-deprecated-form sys_epoll_create form:macro',
      'fs/eventpoll.c:2430 warning kapi-deprecated-form sys_epoll_create since',
    ],
    'rfc-v2-04-epoll_ctl.patch.txt': [
      'fs/eventpoll.c:2701 warning kapi-deprecated-form sys_epoll_ctl form:macro',
      'fs/eventpoll.c:2772 warning kapi-deprecated-form sys_epoll_ctl since',
    ],
    'rfc-v2-05-epoll_wait.patch.txt': [
      'fs/eventpoll.c:3030 warning kapi-deprecated-form sys_epoll_wait form:macro',
      'fs/eventpoll.c:3088 warning kapi-deprecated-form sys_epoll_wait since',
    ],
    'rfc-v2-06-epoll_pwait.patch.txt': [
      'fs/eventpoll.c:3251 warning kapi-deprecated-form sys_epoll_pwait form:macro',
      'fs/eventpoll.c:3327 warning kapi-deprecated-form sys_epoll_pwait since',
      'fs/eventpoll.c:3432 error kapi-field-override sys_epoll_pwait signal_mask[0].description',
    ],
    'rfc-v2-07-epoll_pwait2.patch.txt': [
      'fs/eventpoll.c:3496 warning kapi-deprecated-form sys_epoll_pwait2 form:macro',
      'fs/eventpoll.c:3573 warning kapi-deprecated-form sys_epoll_pwait2 since',
      'fs/eventpoll.c:3692 error kapi-field-override sys_epoll_pwait2 signal_mask[0].description',
    ],
    'rfc-v2-08-execve.patch.txt': [
      'fs/exec.c:2002 warning kapi-deprecated-form sys_execve form:macro',
      'fs/exec.c:2078 warning kapi-deprecated-form sys_execve since',
    ],
    'rfc-v2-09-execveat.patch.txt': [
      'fs/exec.c:2385 warning kapi-deprecated-form sys_execveat form:macro',
      'fs/exec.c:2666 warning kapi-lock-unbalanced sys_execveat lock:cred_guard_mutex',
      'fs/exec.c:2669 error kapi-field-override sys_execveat lock[0].description',
      'fs/exec.c:2676 error kapi-field-override sys_execveat lock[1].description',
      'fs/exec.c:2684 warning kapi-deprecated-form sys_execveat since',
      'fs/exec.c:2706 error kapi-count-mismatch sys_execveat count:signal',
    ],
    'rfc-v2-10-mlock.patch.txt': [
      'mm/mlock.c:663 warning kapi-deprecated-form sys_mlock form:macro',
      'mm/mlock.c:704 warning kapi-deprecated-form sys_mlock since',
    ],
    'rfc-v2-11-mlock2.patch.txt': [
      'mm/mlock.c:809 warning kapi-deprecated-form sys_mlock2 form:macro',
      'mm/mlock.c:933 error kapi-field-override sys_mlock2 lock[0].description',
      'mm/mlock.c:940 error kapi-field-override sys_mlock2 lock[1].description',
      'mm/mlock.c:945 warning kapi-deprecated-form sys_mlock2 since',
    ],
    'rfc-v2-12-mlockall.patch.txt': [
      'mm/mlock.c:1053 warning kapi-deprecated-form sys_mlockall form:macro',
      'mm/mlock.c:1173 error kapi-field-override sys_mlockall lock[0].description',
      'mm/mlock.c:1180 error kapi-field-override sys_mlockall lock[1].description',
      'mm/mlock.c:1185 warning kapi-deprecated-form sys_mlockall since',
    ],
    'rfc-v2-13-munlock.patch.txt': [
      'mm/mlock.c:1091 error kapi-field-override sys_munlock lock[0].description',
      'mm/mlock.c:1098 error kapi-field-override sys_munlock lock[1].description',
      'mm/mlock.c:1103 warning kapi-deprecated-form sys_munlock since',
      'mm/mlock.c:985 warning kapi-deprecated-form sys_munlock form:macro',
    ],
    'rfc-v2-14-munlockall.patch.txt': [
      'mm/mlock.c:1425 warning kapi-deprecated-form sys_munlockall form:macro',
      'mm/mlock.c:1529 error kapi-field-override sys_munlockall lock[0].description',
      'mm/mlock.c:1536 error kapi-field-override sys_munlockall lock[1].description',
      'mm/mlock.c:1540 warning kapi-deprecated-form sys_munlockall since',
    ],
    'rfc-v2-17-fwctl-ioctl-specs.patch.txt': [
      'drivers/fwctl/main.c:275 warning kapi-deprecated-form fwctl_info form:macro',
      'drivers/fwctl/main.c:329 warning kapi-deprecated-form fwctl_info since',
      'drivers/fwctl/main.c:376 warning kapi-deprecated-form fwctl_rpc form:macro',
      'drivers/fwctl/main.c:444 warning kapi-deprecated-form fwctl_rpc since',
    ],
    'rfc-v2-18-binder-ioctl-specs.patch.txt': [
      'drivers/android/binder.c:6968 warning kapi-deprecated-form binder_write_read form:macro',
      'drivers/android/binder.c:7039 warning kapi-deprecated-form binder_write_read since',
      'drivers/android/binder.c:7137 warning kapi-deprecated-form binder_set_max_threads form:macro',
      'drivers/android/binder.c:7174 warning kapi-deprecated-form binder_set_max_threads since',
      'drivers/android/binder.c:7177 warning kapi-deprecated-form binder_set_context_mgr form:macro',
      'drivers/android/binder.c:7208 warning kapi-deprecated-form binder_set_context_mgr since',
      'drivers/android/binder.c:7212 warning kapi-deprecated-form binder_set_context_mgr_ext form:macro',
      'drivers/android/binder.c:7253 warning kapi-deprecated-form binder_set_context_mgr_ext since',
      'drivers/android/binder.c:7256 warning kapi-deprecated-form binder_thread_exit form:macro',
      'drivers/android/binder.c:7278 warning kapi-deprecated-form binder_thread_exit since',
      'drivers/android/binder.c:7282 warning kapi-deprecated-form binder_version form:macro',
      'drivers/android/binder.c:7318 warning kapi-deprecated-form binder_version since',
      'drivers/android/binder.c:7321 warning kapi-deprecated-form binder_get_node_info_for_ref form:macro',
      'drivers/android/binder.c:7366 warning kapi-deprecated-form binder_get_node_info_for_ref since',
      'drivers/android/binder.c:7369 warning kapi-deprecated-form binder_get_node_debug_info form:macro',
      'drivers/android/binder.c:7424 warning kapi-deprecated-form binder_get_node_debug_info since',
      'drivers/android/binder.c:7427 warning kapi-deprecated-form binder_freeze form:macro',
      'drivers/android/binder.c:7484 warning kapi-deprecated-form binder_freeze since',
      'drivers/android/binder.c:7488 warning kapi-deprecated-form binder_get_frozen_info form:macro',
      'drivers/android/binder.c:7536 warning kapi-deprecated-form binder_get_frozen_info since',
      'drivers/android/binder.c:7539 warning kapi-deprecated-form binder_enable_oneway_spam_detection form:macro',
      'drivers/android/binder.c:7574 warning kapi-deprecated-form binder_enable_oneway_spam_detection since',
      'drivers/android/binder.c:7577 warning kapi-deprecated-form binder_get_extended_error form:macro',
      'drivers/android/binder.c:7622 warning kapi-deprecated-form binder_get_extended_error since',
    ],
    'rfc-v2-20-block-sysfs-specs.patch.txt': [
      'block/blk-integrity.c:242 warning kapi-deprecated-form format form:macro',
      'block/blk-integrity.c:272 warning kapi-deprecated-form tag_size form:macro',
      'block/blk-integrity.c:307 warning kapi-deprecated-form protection_interval_bytes form:macro',
      'block/blk-integrity.c:350 warning kapi-deprecated-form read_verify form:macro',
      'block/blk-integrity.c:382 warning kapi-deprecated-form write_generate form:macro',
      'block/blk-integrity.c:401 warning kapi-deprecated-form device_is_integrity_capable form:macro',
      'block/blk-sysfs.c:119 warning kapi-deprecated-form read_ahead_kb form:macro',
      'block/blk-sysfs.c:180 warning kapi-deprecated-form logical_block_size form:macro',
      'block/blk-sysfs.c:197 warning kapi-deprecated-form physical_block_size form:macro',
      'block/blk-sysfs.c:217 warning kapi-deprecated-form hw_sector_size form:macro',
      'block/blk-sysfs.c:256 warning kapi-deprecated-form atomic_write_unit_min_bytes form:macro',
      'block/blk-sysfs.c:281 warning kapi-deprecated-form atomic_write_unit_max_bytes form:macro',
      'block/blk-sysfs.c:299 warning kapi-desc-duplicated atomic_write_unit_max_bytes notes',
      'block/blk-sysfs.c:317 warning kapi-deprecated-form atomic_write_max_bytes form:macro',
      'block/blk-sysfs.c:344 warning kapi-deprecated-form atomic_write_boundary_bytes form:macro',
      'block/blk-sysfs.c:379 warning kapi-deprecated-form max_sectors_kb form:macro',
      'block/blk-sysfs.c:401 warning kapi-deprecated-form max_hw_sectors_kb form:macro',
      'block/blk-sysfs.c:56 warning kapi-deprecated-form nr_requests form:macro',
      'block/genhd.c:1109 warning kapi-deprecated-form inflight form:macro',
      'block/genhd.c:1150 warning kapi-deprecated-form alignment_offset form:macro',
      'block/genhd.c:1178 warning kapi-deprecated-form discard_alignment form:macro',
      'block/genhd.c:1208 warning kapi-deprecated-form diskseq form:macro',
      'block/genhd.c:1235 warning kapi-deprecated-form partscan form:macro',
    ],
    'rfc-v2-21-socket.patch.txt': [
      'net/socket.c:1697 warning kapi-deprecated-form sys_socket form:macro',
      'net/socket.c:1813 warning kapi-deprecated-form sys_socket since',
    ],
  },
  'rfc-v2/tree': {
    'rfc-v2-02-epoll_create1.patch.txt': [
      'fs/eventpoll.c:2446 warning kapi-deprecated-form sys_epoll_create1 form:macro',
      'fs/eventpoll.c:2478 warning kapi-deprecated-form sys_epoll_create1 since',
    ],
    'rfc-v2-03-epoll_create.patch.txt': [
      'fs/eventpoll.c:2571 warning kapi-deprecated-form sys_epoll_create form:macro',
      'fs/eventpoll.c:2603 warning kapi-deprecated-form sys_epoll_create since',
    ],
    'rfc-v2-04-epoll_ctl.patch.txt': [
      'fs/eventpoll.c:2874 warning kapi-deprecated-form sys_epoll_ctl form:macro',
      'fs/eventpoll.c:2945 warning kapi-deprecated-form sys_epoll_ctl since',
    ],
    'rfc-v2-05-epoll_wait.patch.txt': [
      'fs/eventpoll.c:3179 warning kapi-deprecated-form sys_epoll_wait form:macro',
      'fs/eventpoll.c:3237 warning kapi-deprecated-form sys_epoll_wait since',
    ],
    'rfc-v2-06-epoll_pwait.patch.txt': [
      'fs/eventpoll.c:3400 warning kapi-deprecated-form sys_epoll_pwait form:macro',
      'fs/eventpoll.c:3476 warning kapi-deprecated-form sys_epoll_pwait since',
      'fs/eventpoll.c:3581 error kapi-field-override sys_epoll_pwait signal_mask[0].description',
    ],
    'rfc-v2-07-epoll_pwait2.patch.txt': [
      'fs/eventpoll.c:3645 warning kapi-deprecated-form sys_epoll_pwait2 form:macro',
      'fs/eventpoll.c:3722 warning kapi-deprecated-form sys_epoll_pwait2 since',
      'fs/eventpoll.c:3841 error kapi-field-override sys_epoll_pwait2 signal_mask[0].description',
    ],
    'rfc-v2-08-execve.patch.txt': [
      'fs/exec.c:2154 warning kapi-deprecated-form sys_execve form:macro',
      'fs/exec.c:2230 warning kapi-deprecated-form sys_execve since',
      'fs/exec.c:266 warning kapi-error-undocumented sys_execve EINTR',
    ],
    'rfc-v2-09-execveat.patch.txt': [
      'fs/exec.c:2537 warning kapi-deprecated-form sys_execveat form:macro',
      'fs/exec.c:2818 warning kapi-lock-unbalanced sys_execveat lock:cred_guard_mutex',
      'fs/exec.c:2821 error kapi-field-override sys_execveat lock[0].description',
      'fs/exec.c:2828 error kapi-field-override sys_execveat lock[1].description',
      'fs/exec.c:2836 warning kapi-deprecated-form sys_execveat since',
      'fs/exec.c:2858 error kapi-count-mismatch sys_execveat count:signal',
    ],
    'rfc-v2-10-mlock.patch.txt': [
      'mm/mlock.c:663 warning kapi-deprecated-form sys_mlock form:macro',
      'mm/mlock.c:704 warning kapi-deprecated-form sys_mlock since',
    ],
    'rfc-v2-11-mlock2.patch.txt': [
      'mm/mlock.c:809 warning kapi-deprecated-form sys_mlock2 form:macro',
      'mm/mlock.c:933 error kapi-field-override sys_mlock2 lock[0].description',
      'mm/mlock.c:940 error kapi-field-override sys_mlock2 lock[1].description',
      'mm/mlock.c:945 warning kapi-deprecated-form sys_mlock2 since',
    ],
    'rfc-v2-12-mlockall.patch.txt': [
      'mm/mlock.c:1053 warning kapi-deprecated-form sys_mlockall form:macro',
      'mm/mlock.c:1081 warning kapi-error-unreachable sys_mlockall EAGAIN',
      'mm/mlock.c:1173 error kapi-field-override sys_mlockall lock[0].description',
      'mm/mlock.c:1180 error kapi-field-override sys_mlockall lock[1].description',
      'mm/mlock.c:1185 warning kapi-deprecated-form sys_mlockall since',
    ],
    'rfc-v2-13-munlock.patch.txt': [
      'mm/mlock.c:1091 error kapi-field-override sys_munlock lock[0].description',
      'mm/mlock.c:1098 error kapi-field-override sys_munlock lock[1].description',
      'mm/mlock.c:1103 warning kapi-deprecated-form sys_munlock since',
      'mm/mlock.c:985 warning kapi-deprecated-form sys_munlock form:macro',
    ],
    'rfc-v2-14-munlockall.patch.txt': [
      'mm/mlock.c:1425 warning kapi-deprecated-form sys_munlockall form:macro',
      'mm/mlock.c:1443 warning kapi-error-unreachable sys_munlockall ENOMEM',
      'mm/mlock.c:1529 error kapi-field-override sys_munlockall lock[0].description',
      'mm/mlock.c:1536 error kapi-field-override sys_munlockall lock[1].description',
      'mm/mlock.c:1540 warning kapi-deprecated-form sys_munlockall since',
    ],
    'rfc-v2-17-fwctl-ioctl-specs.patch.txt': [
      'drivers/fwctl/main.c:275 warning kapi-deprecated-form fwctl_info form:macro',
      'drivers/fwctl/main.c:329 warning kapi-deprecated-form fwctl_info since',
      'drivers/fwctl/main.c:376 warning kapi-deprecated-form fwctl_rpc form:macro',
      'drivers/fwctl/main.c:444 warning kapi-deprecated-form fwctl_rpc since',
    ],
    'rfc-v2-18-binder-ioctl-specs.patch.txt': [
      'drivers/android/binder.c:6926 warning kapi-deprecated-form binder_write_read form:macro',
      'drivers/android/binder.c:6997 warning kapi-deprecated-form binder_write_read since',
      'drivers/android/binder.c:7095 warning kapi-deprecated-form binder_set_max_threads form:macro',
      'drivers/android/binder.c:7132 warning kapi-deprecated-form binder_set_max_threads since',
      'drivers/android/binder.c:7135 warning kapi-deprecated-form binder_set_context_mgr form:macro',
      'drivers/android/binder.c:7166 warning kapi-deprecated-form binder_set_context_mgr since',
      'drivers/android/binder.c:7170 warning kapi-deprecated-form binder_set_context_mgr_ext form:macro',
      'drivers/android/binder.c:7211 warning kapi-deprecated-form binder_set_context_mgr_ext since',
      'drivers/android/binder.c:7214 warning kapi-deprecated-form binder_thread_exit form:macro',
      'drivers/android/binder.c:7236 warning kapi-deprecated-form binder_thread_exit since',
      'drivers/android/binder.c:7240 warning kapi-deprecated-form binder_version form:macro',
      'drivers/android/binder.c:7276 warning kapi-deprecated-form binder_version since',
      'drivers/android/binder.c:7279 warning kapi-deprecated-form binder_get_node_info_for_ref form:macro',
      'drivers/android/binder.c:7324 warning kapi-deprecated-form binder_get_node_info_for_ref since',
      'drivers/android/binder.c:7327 warning kapi-deprecated-form binder_get_node_debug_info form:macro',
      'drivers/android/binder.c:7382 warning kapi-deprecated-form binder_get_node_debug_info since',
      'drivers/android/binder.c:7385 warning kapi-deprecated-form binder_freeze form:macro',
      'drivers/android/binder.c:7442 warning kapi-deprecated-form binder_freeze since',
      'drivers/android/binder.c:7446 warning kapi-deprecated-form binder_get_frozen_info form:macro',
      'drivers/android/binder.c:7494 warning kapi-deprecated-form binder_get_frozen_info since',
      'drivers/android/binder.c:7497 warning kapi-deprecated-form binder_enable_oneway_spam_detection form:macro',
      'drivers/android/binder.c:7532 warning kapi-deprecated-form binder_enable_oneway_spam_detection since',
      'drivers/android/binder.c:7535 warning kapi-deprecated-form binder_get_extended_error form:macro',
      'drivers/android/binder.c:7580 warning kapi-deprecated-form binder_get_extended_error since',
    ],
    'rfc-v2-20-block-sysfs-specs.patch.txt': [
      'block/blk-integrity.c:247 warning kapi-deprecated-form format form:macro',
      'block/blk-integrity.c:277 warning kapi-deprecated-form tag_size form:macro',
      'block/blk-integrity.c:312 warning kapi-deprecated-form protection_interval_bytes form:macro',
      'block/blk-integrity.c:355 warning kapi-deprecated-form read_verify form:macro',
      'block/blk-integrity.c:387 warning kapi-deprecated-form write_generate form:macro',
      'block/blk-integrity.c:406 warning kapi-deprecated-form device_is_integrity_capable form:macro',
      'block/blk-sysfs.c:108 warning kapi-deprecated-form read_ahead_kb form:macro',
      'block/blk-sysfs.c:152 warning kapi-deprecated-form logical_block_size form:macro',
      'block/blk-sysfs.c:169 warning kapi-deprecated-form physical_block_size form:macro',
      'block/blk-sysfs.c:189 warning kapi-deprecated-form hw_sector_size form:macro',
      'block/blk-sysfs.c:226 warning kapi-deprecated-form atomic_write_unit_min_bytes form:macro',
      'block/blk-sysfs.c:251 warning kapi-deprecated-form atomic_write_unit_max_bytes form:macro',
      'block/blk-sysfs.c:269 warning kapi-desc-duplicated atomic_write_unit_max_bytes notes',
      'block/blk-sysfs.c:287 warning kapi-deprecated-form atomic_write_max_bytes form:macro',
      'block/blk-sysfs.c:314 warning kapi-deprecated-form atomic_write_boundary_bytes form:macro',
      'block/blk-sysfs.c:348 warning kapi-deprecated-form max_sectors_kb form:macro',
      'block/blk-sysfs.c:370 warning kapi-deprecated-form max_hw_sectors_kb form:macro',
      'block/blk-sysfs.c:55 warning kapi-deprecated-form nr_requests form:macro',
      'block/genhd.c:1109 warning kapi-deprecated-form inflight form:macro',
      'block/genhd.c:1150 warning kapi-deprecated-form alignment_offset form:macro',
      'block/genhd.c:1178 warning kapi-deprecated-form discard_alignment form:macro',
      'block/genhd.c:1208 warning kapi-deprecated-form diskseq form:macro',
      'block/genhd.c:1235 warning kapi-deprecated-form partscan form:macro',
    ],
    'rfc-v2-21-socket.patch.txt': [
      'net/socket.c:1713 warning kapi-deprecated-form sys_socket form:macro',
      'net/socket.c:1829 warning kapi-deprecated-form sys_socket since',
    ],
  },
  'rfc-v3/hunks': {
    'rfc-v3-03-mlock.patch.txt': [
      'mm/mlock.c:670 warning kapi-deprecated-form sys_mlock form:kerneldoc-1',
      'mm/mlock.c:695 warning kapi-deprecated-form sys_mlock since',
    ],
    'rfc-v3-04-sched_setattr.patch.txt': [
      'kernel/sched/syscalls.c:1082 warning kapi-deprecated-form sys_sched_setattr since',
      'kernel/sched/syscalls.c:989 warning kapi-deprecated-form sys_sched_setattr form:kerneldoc-1',
    ],
  },
  'rfc-v3/tree': {
    'rfc-v3-03-mlock.patch.txt': [
      'mm/mlock.c:670 warning kapi-deprecated-form sys_mlock form:kerneldoc-1',
      'mm/mlock.c:695 warning kapi-deprecated-form sys_mlock since',
    ],
    'rfc-v3-04-sched_setattr.patch.txt': [
      'kernel/sched/syscalls.c:1016 warning kapi-deprecated-form sys_sched_setattr form:kerneldoc-1',
      'kernel/sched/syscalls.c:1109 warning kapi-deprecated-form sys_sched_setattr since',
    ],
  },
};
