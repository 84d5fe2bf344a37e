/**
 * Indexes a tree for specs and syscalls: files pass a byte prefilter first (walk.ts), the
 * survivors go through the pure per-file index (parsers/specindex.ts).
 */
import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import {
  type IndexedSpec,
  type IndexedSyscall,
  type IndexIssue,
  indexText,
  type TreeIndex,
} from '../../parsers/specindex.js';
import { listSourceFiles, scanFiles } from './walk.js';

/**
 * Index files and folders. Paths in the result are relative to `base` (default: the one folder
 * given, else the current folder) so that an index of a tree reads like the tree's own paths.
 */
export async function indexTree(
  inputs: string[],
  opts: { base?: string; onProgress?: (done: number, total: number) => void; clock?: () => number } = {},
): Promise<TreeIndex> {
  const clock = opts.clock ?? (() => performance.now());
  const t0 = clock();
  let base = opts.base ?? process.cwd();
  const files = await listSourceFiles(inputs);
  if (!opts.base && inputs.length === 1 && inputs[0] && (await stat(inputs[0])).isDirectory())
    base = inputs[0];
  const specs: IndexedSpec[] = [];
  const syscalls: IndexedSyscall[] = [];
  const issues: IndexIssue[] = [];
  const scan = scanFiles(
    files,
    (path, buf) => {
      const r = indexText(buf.toString('utf8'), relative(base, path) || path);
      specs.push(...r.specs);
      syscalls.push(...r.syscalls);
      issues.push(...r.issues);
    },
    { onProgress: opts.onProgress },
  );
  for (const p of scan.unreadable)
    issues.push({
      path: relative(base, p),
      line: null,
      code: 'unreadable',
      severity: 'error',
      message: 'cannot read file',
    });
  return {
    stats: { files: scan.files, bytes: scan.bytes, parsed: scan.parsed, ms: Math.round(clock() - t0) },
    specs,
    syscalls,
    issues,
  };
}
