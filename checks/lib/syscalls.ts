/** The syscalls of a file unit that a spec documents, as the checks that read the code walk them. */
import type { SyscallDef } from '../../parsers/c/model.js';
import type { ApiSpec } from '../../parsers/kapi/model.js';
import type { FileUnit } from '../types.js';

/** Each syscall with its (complete, not cut-off) spec, once per spec and function. */
export function documentedSyscalls(unit: FileUnit): { sc: SyscallDef; spec: ApiSpec }[] {
  const out: { sc: SyscallDef; spec: ApiSpec }[] = [];
  // none without a spec (whose syscalls checks/unit.ts then finds only when read)
  if (unit.specs.length === 0) return out;
  const seen = new Set<string>();
  for (const [i, sc] of unit.syscalls.entries()) {
    const spec = unit.specOf[i];
    if (!spec || spec.partial) continue;
    const key = `${spec.line}\u0000${sc.fnName}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ sc, spec });
  }
  return out;
}
