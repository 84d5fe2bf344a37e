/**
 * Renders a spec index (`kapi-review specs`) for people and programs. Pure: data in, string out.
 */
import type { TreeIndex } from '../parsers/specindex.js';

/** The JSON contract of `kapi-review specs --format json`. */
export function specIndexToJson(index: TreeIndex): unknown {
  return {
    version: 1,
    stats: index.stats,
    specs: index.specs,
    syscalls: index.syscalls,
    issues: index.issues,
  };
}

function list(xs: string[]): string {
  return xs.length === 0 ? '-' : xs.join(',');
}

export function renderSpecIndexText(index: TreeIndex): string {
  const out: string[] = [];
  for (const s of index.specs) {
    const doc = s.syscall ? ` documents ${s.syscall}` : s.kind === 'syscall' ? ' (no syscall follows)' : '';
    out.push(`${s.path}:${s.line}: ${s.name} [${s.form}, ${s.kind}]${doc}${s.partial ? ' (partial)' : ''}`);
    out.push(`  params ${s.params.length}: ${list(s.params.map((p) => p.name))}`);
    out.push(`  errors ${s.errors.length}: ${list(s.errors)}`);
    const counts = Object.entries(s.counts).map(([k, v]) => `${k}=${v}`);
    if (counts.length > 0) out.push(`  declared counts: ${counts.join(' ')}`);
    out.push(
      `  locks ${list(s.locks)}; signals ${list(s.signals)}; capabilities ${list(s.capabilities)}; ` +
        `side effects ${s.sideEffects}; state transitions ${s.stateTransitions}; constraints ${s.constraints}`,
    );
  }
  if (index.specs.length > 0) out.push('');
  for (const sc of index.syscalls) {
    const spec = sc.spec ? `spec ${sc.spec.form} at line ${sc.spec.line}` : 'no spec';
    out.push(
      `${sc.path}:${sc.line}: ${sc.compat ? 'COMPAT_' : ''}SYSCALL_DEFINE${sc.arity}(${sc.name}): ${spec}`,
    );
  }
  for (const i of index.issues)
    out.push(`${i.path}${i.line ? `:${i.line}` : ''}: ${i.severity.toUpperCase()}:${i.code}: ${i.message}`);
  const withSpec = index.syscalls.filter((s) => s.spec).length;
  const { files, parsed, bytes, ms } = index.stats;
  out.push(
    `${index.specs.length} specs, ${index.syscalls.length} syscalls (${withSpec} with a spec), ` +
      `${index.issues.length} issues; ${files} files (${(bytes / 1e6).toFixed(1)} MB), ${parsed} parsed, ${ms} ms`,
  );
  return `${out.join('\n')}\n`;
}
