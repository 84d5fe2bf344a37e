/**
 * Links specs to the syscalls they describe: a spec named sys_X goes with SYSCALL_DEFINEn(X, ...)
 * in the same file, the nearest one that follows it. Pure.
 */
import type { ApiSpec } from './model.js';

export interface SyscallRef {
  name: string;
  fnName: string;
  line: number;
}

export interface Linked<S extends SyscallRef> {
  /** For each syscall (same order): the spec that documents it, or null. */
  specOf: (ApiSpec | null)[];
  /** Specs of kind 'syscall' with no syscall of their name after them in the file. */
  orphans: ApiSpec[];
  /** Specs whose name differs from the syscall that directly follows them. */
  misnamed: { spec: ApiSpec; next: S }[];
}

export function linkSpecs<S extends SyscallRef>(specs: ApiSpec[], syscalls: S[]): Linked<S> {
  const byLine = [...syscalls].sort((a, b) => a.line - b.line);
  const specOf: (ApiSpec | null)[] = syscalls.map(() => null);
  const used = new Set<ApiSpec>();
  for (const [i, sc] of syscalls.entries()) {
    let best: ApiSpec | null = null;
    for (const sp of specs) {
      if (sp.name !== sc.fnName || sp.line > sc.line) continue;
      if (!best || sp.line > best.line) best = sp;
    }
    specOf[i] = best;
    if (best) used.add(best);
  }
  const orphans: ApiSpec[] = [];
  const misnamed: { spec: ApiSpec; next: S }[] = [];
  for (const sp of specs) {
    if (used.has(sp) || sp.kind !== 'syscall') continue;
    const next = byLine.find((sc) => sc.line > sp.endLine);
    if (next && next.line - sp.endLine <= 10) misnamed.push({ spec: sp, next });
    else orphans.push(sp);
  }
  return { specOf, orphans, misnamed };
}
