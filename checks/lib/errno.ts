/**
 * What errno codes mean to the checks that compare a spec's error list with the code: which codes
 * never reach userspace, which userspace sees as EINTR, and which errno a spec's entry names.
 */
import { canonicalErrno, isErrnoName } from '../../parsers/c/errno.js';
import type { SpecError } from '../../parsers/kapi/model.js';

/** include/linux/errno.h: codes that are not part of the userspace ABI. */
export const KERNEL_INTERNAL: ReadonlySet<string> = new Set([
  'ERESTARTSYS',
  'ERESTARTNOINTR',
  'ERESTARTNOHAND',
  'ENOIOCTLCMD',
  'ERESTART_RESTARTBLOCK',
  'EPROBE_DEFER',
  'EOPENSTALE',
  'ENOPARAM',
  'EBADHANDLE',
  'ENOTSYNC',
  'EBADCOOKIE',
  'ENOTSUPP',
  'ETOOSMALL',
  'ESERVERFAULT',
  'EBADTYPE',
  'EJUKEBOX',
  'EIOCBQUEUED',
  'ERECALLCONFLICT',
  'ENOGRACE',
]);

/**
 * Restart codes that userspace can see as EINTR (when a handler without SA_RESTART runs);
 * ERESTARTNOINTR always restarts and is never seen.
 */
export const RESTARTS_AS_EINTR: ReadonlySet<string> = new Set([
  'ERESTARTSYS',
  'ERESTARTNOHAND',
  'ERESTART_RESTARTBLOCK',
]);

/** The canonical errno a spec error entry documents (its code, else its name string), or null. */
export function specErrno(e: SpecError): string | null {
  for (const c of [e.code, e.name]) {
    const bare = c?.replace(/^-/, '').trim();
    if (bare && isErrnoName(bare)) return canonicalErrno(bare);
  }
  return null;
}
