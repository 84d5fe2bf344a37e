/**
 * `kapi-review audit`: every check on every spec of a tree (or of the given C files) as it stands,
 * with no patch. Each C file that may carry a spec (the tree index's byte prefilter,
 * app/index/walk.ts) is reviewed as the one 'full' file of a synthetic one-patch series with no
 * pre-image, through the same pipeline as `check` (app/review/run.ts reviewPatches): the same
 * units, the same runner, the same ignores, so a finding has the same message and fingerprint
 * (check, spec, subject) whether a review of a series or an audit of the tree found it.
 *
 * Each file is its own review, with its own limits and time budget: one file over a limit is
 * skipped and named, the rest of the tree is still audited.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import type { Parser } from 'web-tree-sitter';
import type { ReviewPatch, ScopedFinding } from '../../checks/review.js';
import type { CheckCrash } from '../../checks/runner.js';
import type { Check } from '../../checks/types.js';
import type { Framework } from '../../parsers/kapi/framework.js';
import type { ReviewConfig } from '../config/index.js';
import { directoryTree } from '../context/tree.js';
import { frameworkForTree } from '../framework/resolve.js';
import { listSourceFiles, scanFiles } from '../index/walk.js';
import { measureReview, tooLargeText } from '../review/limits.js';
import { budget, reviewPatches } from '../review/run.js';

const run = promisify(execFile);

/** An audit that cannot start: not a git checkout for --since, an unknown revision. */
export class AuditError extends Error {}

export interface AuditOptions {
  checks: readonly Check[];
  config: ReviewConfig;
  parser: Parser | null;
  /** Only files that changed since this revision (`git diff --name-only REV`); the root must be in git. */
  since?: string | null;
  /** Judge by this framework instead of the tree's (else the latest known). */
  framework?: Framework;
  /** Files looked at so far, of all the C files listed. */
  onProgress?: (done: number, total: number) => void;
}

export interface AuditResult {
  /** The folder paths are relative to: the one folder given, else the current folder. */
  root: string;
  /** Every finding, in path and line order (all in scope 'file': there is no diff). */
  findings: ScopedFinding[];
  /** Findings a configured ignore rule silenced. */
  ignored: ScopedFinding[];
  crashes: CheckCrash[];
  /** How the audit was made: the framework, files over a limit, what --since left. */
  notes: string[];
  stats: {
    /** C files listed under the inputs (after --since). */
    files: number;
    /** Files that passed the byte prefilter and were reviewed. */
    reviewed: number;
    /** Reviewed files that hold at least one spec. */
    withSpecs: number;
    /** Files skipped for a limit. */
    tooLarge: number;
  };
}

/** The root paths are relative to: the one folder given, else the current folder. */
async function rootOf(inputs: readonly string[]): Promise<string> {
  if (inputs.length === 1 && inputs[0] !== undefined) {
    const st = await stat(inputs[0]).catch(() => null);
    if (st?.isDirectory()) return inputs[0];
  }
  return process.cwd();
}

/** Paths under `root` that changed since `rev`, relative to root (git's own view of the checkout). */
async function changedSince(root: string, rev: string): Promise<Set<string>> {
  if (rev.startsWith('-')) throw new AuditError(`--since ${rev}: not a revision`);
  try {
    await run('git', ['-C', root, 'rev-parse', '--is-inside-work-tree']);
  } catch {
    throw new AuditError(`--since needs a git checkout, and ${root} is not in one`);
  }
  try {
    await run('git', ['-C', root, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    throw new AuditError(`--since ${rev}: no such revision in ${root}`);
  }
  const { stdout } = await run('git', ['-C', root, 'diff', '--name-only', '--relative', '-z', rev, '--'], {
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  return new Set(stdout.split('\0').filter(Boolean));
}

/** A listed file's path as the findings name it: relative to the root, with forward slashes. */
function shown(root: string, path: string): string {
  const r = relative(root, path);
  if (r === '' || r.startsWith('..')) return path;
  return sep === '/' ? r : r.split(sep).join('/');
}

/** The one-file, one-patch series a file of the tree stands in as. */
function asPatch(path: string, text: string): ReviewPatch[] {
  return [
    {
      messageId: null,
      label: path,
      files: [{ path, mode: 'full', pre: null, post: text, fragments: [], diff: null }],
    },
  ];
}

function byPlace(a: ScopedFinding, b: ScopedFinding): number {
  return (
    a.at.path.localeCompare(b.at.path) ||
    a.at.line - b.at.line ||
    a.check.localeCompare(b.check) ||
    a.fingerprint.localeCompare(b.fingerprint)
  );
}

export async function auditTree(inputs: readonly string[], opts: AuditOptions): Promise<AuditResult> {
  const root = await rootOf(inputs);
  let files = await listSourceFiles([...inputs]);
  const notes: string[] = [];
  if (opts.since) {
    const changed = await changedSince(root, opts.since);
    const before = files.length;
    files = files.filter((f) => changed.has(shown(root, f)));
    notes.push(`--since ${opts.since}: ${files.length} of ${before} C files changed`);
  }
  let framework = opts.framework;
  if (!framework) {
    const choice = await frameworkForTree(directoryTree(root));
    framework = choice.framework;
    notes.push(choice.note);
  }
  // every finding goes in the report: with no diff, the filter would put them all outside it
  const config: ReviewConfig = { ...opts.config, filter: 'none' };
  const findings: ScopedFinding[] = [];
  const ignored: ScopedFinding[] = [];
  const crashes: CheckCrash[] = [];
  const stats = { files: files.length, reviewed: 0, withSpecs: 0, tooLarge: 0 };
  const scan = scanFiles(
    files,
    (full, buf) => {
      const path = shown(root, full);
      const patches = asPatch(path, buf.toString('utf8'));
      stats.reviewed++;
      const over = measureReview(patches, config.limits);
      if (over) {
        stats.tooLarge++;
        notes.push(`${path}: not audited: ${tooLargeText(over)}`);
        return;
      }
      const done = reviewPatches(patches, { ...opts, config, framework, stop: budget({ config }) });
      if (done.tooLarge) {
        stats.tooLarge++;
        notes.push(`${path}: not audited: ${tooLargeText(done.tooLarge)}`);
        return;
      }
      if ((done.review.files[0]?.specs ?? 0) > 0) stats.withSpecs++;
      for (const f of done.review.findings) findings.push(f);
      for (const f of done.ignored) ignored.push(f);
      for (const c of done.review.crashes) crashes.push(c);
    },
    opts.onProgress ? { onProgress: opts.onProgress } : {},
  );
  for (const p of scan.unreadable) notes.push(`${shown(root, p)}: cannot read the file; not audited`);
  findings.sort(byPlace);
  return {
    root: resolve(root) === resolve(process.cwd()) ? '.' : root,
    findings,
    ignored,
    crashes,
    notes,
    stats,
  };
}
