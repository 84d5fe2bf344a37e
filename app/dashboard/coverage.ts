/**
 * Spec coverage of a tree: which syscalls have a spec and in which form, grouped by subsystem
 * (path prefix), and which specs have drift findings still open in the store. The index is the
 * one `kapi-review specs --format json` prints (reporters/specs.ts specIndexToJson), read back
 * here with zod, or made directly from a TreeIndex. Pure.
 */
import { z } from 'zod';
import type { IndexedSpec, IndexedSyscall, TreeIndex } from '../../parsers/specindex.js';
import type { OpenFinding } from './queries.js';

/** What the dashboard needs of a spec index. */
export interface SpecIndexData {
  specs: Pick<IndexedSpec, 'name' | 'kind' | 'form' | 'path' | 'line' | 'syscall'>[];
  syscalls: Pick<IndexedSyscall, 'name' | 'fnName' | 'path' | 'line' | 'compat' | 'spec'>[];
  /** Where it came from, for the page: a file name or a tree. */
  source: string;
}

const FORMS = ['macro', 'kerneldoc-1', 'kerneldoc-2', 'kerneldoc-3'] as const;

const indexSchema = z.object({
  version: z.literal(1),
  specs: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['syscall', 'ioctl', 'sysfs', 'function']),
      form: z.enum(FORMS),
      path: z.string(),
      line: z.number().int(),
      syscall: z.string().nullable(),
    }),
  ),
  syscalls: z.array(
    z.object({
      name: z.string(),
      fnName: z.string(),
      path: z.string(),
      line: z.number().int(),
      compat: z.boolean(),
      spec: z.object({ path: z.string(), line: z.number().int(), form: z.enum(FORMS) }).nullable(),
    }),
  ),
});

export class SpecIndexError extends Error {
  override name = 'SpecIndexError';
}

/** Reads `kapi-review specs --format json` output; throws SpecIndexError saying what is wrong. */
export function parseSpecIndexJson(text: string, source: string): SpecIndexData {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SpecIndexError(`${source}: not JSON: ${(e as Error).message}`);
  }
  const r = indexSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first ? `${first.path.join('.') || '(top)'}: ${first.message}` : 'invalid';
    throw new SpecIndexError(
      `${source}: not a spec index from \`kapi-review specs --format json\` (${where})`,
    );
  }
  return { specs: r.data.specs, syscalls: r.data.syscalls, source };
}

export function specIndexData(index: Pick<TreeIndex, 'specs' | 'syscalls'>, source: string): SpecIndexData {
  return { specs: index.specs, syscalls: index.syscalls, source };
}

/** The subsystem of a path: its first two folders (`mm`, `kernel/sched`, `arch/x86`, `fs/ext4`). */
export function subsystemOf(path: string): string {
  const dirs = path
    .replace(/^\.?\/+/, '')
    .split('/')
    .slice(0, -1);
  return dirs.length === 0 ? '(top level)' : dirs.slice(0, 2).join('/');
}

export interface CoverageSyscall {
  name: string;
  fnName: string;
  path: string;
  line: number;
  compat: boolean;
  form: string | null;
  /** Open drift findings about its spec(s), by series. */
  drift: OpenFinding[];
}

export interface CoverageGroup {
  subsystem: string;
  syscalls: CoverageSyscall[];
  withSpec: number;
  byForm: Record<string, number>;
}

export interface Coverage {
  source: string | null;
  total: number;
  withSpec: number;
  byForm: Record<string, number>;
  /** Largest first. */
  groups: CoverageGroup[];
  /** Specs that document no SYSCALL_DEFINE (ioctls, sysfs, misnamed or orphaned syscall specs). */
  unattached: SpecIndexData['specs'];
  /** Every spec with open drift findings, whether or not the index knows it. */
  drift: { spec: string; findings: OpenFinding[] }[];
}

export function buildCoverage(index: SpecIndexData | null, open: readonly OpenFinding[]): Coverage {
  const driftBySpec = new Map<string, OpenFinding[]>();
  for (const f of open) driftBySpec.set(f.spec, [...(driftBySpec.get(f.spec) ?? []), f]);
  const groups = new Map<string, CoverageGroup>();
  const byForm: Record<string, number> = {};
  let withSpec = 0;
  const specNamesOf = new Map<string, Set<string>>();
  for (const s of index?.specs ?? [])
    if (s.syscall) {
      const key = `${s.path}\0${s.syscall}`;
      specNamesOf.set(key, (specNamesOf.get(key) ?? new Set()).add(s.name));
    }
  for (const sc of index?.syscalls ?? []) {
    const sub = subsystemOf(sc.path);
    let g = groups.get(sub);
    if (!g) {
      g = { subsystem: sub, syscalls: [], withSpec: 0, byForm: {} };
      groups.set(sub, g);
    }
    const names = new Set([sc.fnName, ...(specNamesOf.get(`${sc.path}\0${sc.fnName}`) ?? [])]);
    const drift = [...names].flatMap((n) => driftBySpec.get(n) ?? []);
    const form = sc.spec?.form ?? null;
    g.syscalls.push({
      name: sc.name,
      fnName: sc.fnName,
      path: sc.path,
      line: sc.line,
      compat: sc.compat,
      form,
      drift,
    });
    if (form) {
      g.withSpec++;
      withSpec++;
      g.byForm[form] = (g.byForm[form] ?? 0) + 1;
      byForm[form] = (byForm[form] ?? 0) + 1;
    }
  }
  const sorted = [...groups.values()].sort(
    (a, b) => b.syscalls.length - a.syscalls.length || a.subsystem.localeCompare(b.subsystem),
  );
  for (const g of sorted) g.syscalls.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line);
  return {
    source: index?.source ?? null,
    total: index?.syscalls.length ?? 0,
    withSpec,
    byForm,
    groups: sorted,
    unattached: (index?.specs ?? []).filter((s) => !s.syscall),
    drift: [...driftBySpec].map(([spec, findings]) => ({ spec, findings })),
  };
}
