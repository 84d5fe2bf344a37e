/**
 * Links specs to the syscalls they describe: a spec named sys_X goes with SYSCALL_DEFINEn(X, ...)
 * in the same file, the nearest one that follows it. Pure.
 *
 * Linear but for two sorts: specs are grouped by name and sorted by line once, syscalls sorted by
 * line once, and each lookup is a binary search (a file with 16,000 specs and syscalls used to
 * compare every spec with every syscall).
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

/** The number of items of `xs` (sorted by `key`) whose key is at most `at`. */
function countAtMost<T>(xs: readonly T[], key: (x: T) => number, at: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(xs[mid] as T) <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function linkSpecs<S extends SyscallRef>(specs: ApiSpec[], syscalls: S[]): Linked<S> {
  // stable sorts: among equal lines, the earlier in the input comes first
  const byLine = [...syscalls].sort((a, b) => a.line - b.line);
  const byName = new Map<string, ApiSpec[]>();
  for (const sp of specs) {
    const group = byName.get(sp.name);
    if (group) group.push(sp);
    else byName.set(sp.name, [sp]);
  }
  for (const group of byName.values()) group.sort((a, b) => a.line - b.line);
  const specLine = (sp: ApiSpec): number => sp.line;
  const specOf: (ApiSpec | null)[] = syscalls.map(() => null);
  const used = new Set<ApiSpec>();
  for (const [i, sc] of syscalls.entries()) {
    // the spec of its name on the greatest line not below the syscall; of several on that line,
    // the first in the input
    const group = byName.get(sc.fnName);
    if (!group) continue;
    const n = countAtMost(group, specLine, sc.line);
    if (n === 0) continue;
    const line = (group[n - 1] as ApiSpec).line;
    const best = group[countAtMost(group, specLine, line - 1)] as ApiSpec;
    specOf[i] = best;
    used.add(best);
  }
  const orphans: ApiSpec[] = [];
  const misnamed: { spec: ApiSpec; next: S }[] = [];
  const scLine = (sc: S): number => sc.line;
  for (const sp of specs) {
    if (used.has(sp) || sp.kind !== 'syscall') continue;
    const next = byLine[countAtMost(byLine, scLine, sp.endLine)];
    if (next && next.line - sp.endLine <= 10) misnamed.push({ spec: sp, next });
    else orphans.push(sp);
  }
  return { specOf, orphans, misnamed };
}
