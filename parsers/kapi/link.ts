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
  // specs by index (each spec object read as few times as may be: in a file of thousands of
  // pairs every read is a cache miss), grouped by name, each group sorted by line; stable, so
  // among equal lines the earlier in the input comes first
  const lineOf = specs.map((sp) => sp.line);
  const byName = new Map<string, number | number[]>();
  for (const [i, sp] of specs.entries()) {
    const group = byName.get(sp.name);
    if (group === undefined) byName.set(sp.name, i);
    else if (typeof group === 'number') byName.set(sp.name, [group, i]);
    else group.push(i);
  }
  for (const group of byName.values())
    if (typeof group !== 'number') group.sort((a, b) => (lineOf[a] as number) - (lineOf[b] as number));
  const specLine = (i: number): number => lineOf[i] as number;
  const specOf: (ApiSpec | null)[] = syscalls.map(() => null);
  const used = new Uint8Array(specs.length);
  for (const [i, sc] of syscalls.entries()) {
    // the spec of its name on the greatest line not below the syscall; of several on that line,
    // the first in the input
    const group = byName.get(sc.fnName);
    if (group === undefined) continue;
    let best: number;
    if (typeof group === 'number') {
      if (specLine(group) > sc.line) continue;
      best = group;
    } else {
      const n = countAtMost(group, specLine, sc.line);
      if (n === 0) continue;
      best = group[countAtMost(group, specLine, specLine(group[n - 1] as number) - 1)] as number;
    }
    specOf[i] = specs[best] as ApiSpec;
    used[best] = 1;
  }
  const byLine = [...syscalls].sort((a, b) => a.line - b.line);
  const scLine = (sc: S): number => sc.line;
  const orphans: ApiSpec[] = [];
  const misnamed: { spec: ApiSpec; next: S }[] = [];
  for (const [i, sp] of specs.entries()) {
    if (used[i] === 1 || sp.kind !== 'syscall') continue;
    const next = byLine[countAtMost(byLine, scLine, sp.endLine)];
    if (next && next.line - sp.endLine <= 10) misnamed.push({ spec: sp, next });
    else orphans.push(sp);
  }
  return { specOf, orphans, misnamed };
}
