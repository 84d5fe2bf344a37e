import { describe, expect, it } from 'vitest';
import { KERNEL_INTERNAL, RESTARTS_AS_EINTR, specErrno } from '../../../checks/lib/errno.js';
import type { SpecError } from '../../../parsers/kapi/model.js';

const entry = (code: string, name: string | null = null): SpecError => ({
  index: 0,
  code,
  codeText: code,
  name,
  condition: null,
  description: null,
  line: 1,
});

describe('errno facts', () => {
  it('the restart codes userspace sees as EINTR are kernel-internal codes', () => {
    for (const r of RESTARTS_AS_EINTR) expect(KERNEL_INTERNAL.has(r)).toBe(true);
    expect(RESTARTS_AS_EINTR.has('ERESTARTNOINTR')).toBe(false);
    expect(KERNEL_INTERNAL.has('ENOTSUPP')).toBe(true);
    expect(KERNEL_INTERNAL.has('EOPNOTSUPP')).toBe(false);
  });

  it("specErrno: the entry's code, else its name, folded to the canonical spelling", () => {
    expect(specErrno(entry('ENOMEM'))).toBe('ENOMEM');
    expect(specErrno(entry('-EWOULDBLOCK'))).toBe('EAGAIN');
    expect(specErrno(entry('-12', 'ENOTSUP'))).toBe('EOPNOTSUPP');
    expect(specErrno(entry('-12', 'out of memory'))).toBeNull();
    expect(specErrno(entry('ENOMEN'))).toBeNull();
  });
});
