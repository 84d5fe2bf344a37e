/**
 * Reviews a series patch by patch: each touched file's post-image after patch k is checked, and a
 * finding belongs to the first patch after which it is present and stays present to the end of
 * the series (a finding a later patch of the same series fixes is not reported). The diff filter
 * (reviewdog's modes) then splits findings into those shown inline and those for the summary.
 * Pure: the C parser is passed in.
 */
import type { Parser } from 'web-tree-sitter';
import type { FileDiff } from '../parsers/diff.js';
import type { Framework } from '../parsers/kapi/framework.js';
import { type CheckConfig, type CheckCrash, runChecks } from './runner.js';
import type { Check, Finding } from './types.js';
import { buildUnit, type FactMemo, type UnitFragment, type UnitInput } from './unit.js';

/** Which findings are reported inline; the one list the config, the CLI and the docs read. */
export const DIFF_FILTERS = ['added', 'diff-context', 'file', 'none'] as const;
export type DiffFilter = (typeof DIFF_FILTERS)[number];

/** Where a finding's line lies in the diff of the patch that introduced it. */
export type Scope = 'added' | 'diff-context' | 'file';

export interface ReviewFile {
  path: string;
  mode: 'full' | 'hunks' | 'deleted';
  /** The whole pre-image when known: findings already in it are not the series' doing. */
  pre: string | null;
  post: string | null;
  fragments: UnitFragment[];
  diff: FileDiff | null;
  /** Added lines and hunk ranges from the images, when the caller computed them (see UnitInput). */
  changed?: UnitInput['changed'];
}

export interface ReviewPatch {
  messageId: string | null;
  label: string;
  files: ReviewFile[];
}

export interface ScopedFinding extends Finding {
  scope: Scope;
  /** Index of the introducing patch in the input. */
  patch: number;
}

export interface ReviewResult {
  /** Findings inside the filter, in patch order, then path and line. */
  findings: ScopedFinding[];
  /** Findings outside the filter: for the summary, never dropped. */
  outside: ScopedFinding[];
  crashes: CheckCrash[];
  /** Findings that were already in the pre-image before the series touched the file (not reported). */
  preexisting: number;
  /** Files checked in full mode vs hunks only, for the report's notes, and the specs each holds. */
  files: { path: string; patch: number; mode: 'full' | 'hunks'; specs: number }[];
}

export interface ReviewOptions {
  checks: readonly Check[];
  parser: Parser | null;
  config?: CheckConfig;
  filter?: DiffFilter;
  /** The framework the series is judged by; the latest known posting's when absent. */
  framework?: Framework;
  /**
   * Asked before each file is checked: true stops the review with ReviewStopped (the caller's
   * time budget; the clock stays out of this pure module).
   */
  stop?: () => boolean;
  /** Where the parsers' results for a text may come from instead of parsing it again. */
  memo?: FactMemo;
  /**
   * Where a finding that stays present is anchored: 'introduced' (default), as the patch that
   * introduced it saw it (a mail reply answers that patch); 'latest', as the last patch that
   * touched its file sees it (the App comments on the head's lines), still attributed to the
   * patch that introduced it and as severe as that patch made it (a check may rate a finding by
   * whether the patch added its lines, and a later patch that moves them did not add them).
   */
  anchor?: 'introduced' | 'latest';
}

/** Thrown by reviewSeries when `stop` says so: the review is abandoned, nothing of it is kept. */
export class ReviewStopped extends Error {
  constructor() {
    super('the review was stopped');
    this.name = 'ReviewStopped';
  }
}

function inFilter(scope: Scope, filter: DiffFilter): boolean {
  switch (filter) {
    case 'added':
      return scope === 'added';
    case 'diff-context':
      return scope !== 'file';
    default:
      return true;
  }
}

/**
 * Whether any of the hunks holds a line: the hunks sorted by start once, then a bisection over
 * the running maximum of their ends (40,000 findings in a patch of 16,000 hunks used to test
 * every hunk for each finding).
 */
function hunkTest(hunks: readonly { start: number; end: number }[]): (line: number) => boolean {
  const sorted = [...hunks].sort((a, b) => a.start - b.start);
  const maxEnd: number[] = [];
  let max = Number.NEGATIVE_INFINITY;
  for (const h of sorted) {
    max = Math.max(max, h.end);
    maxEnd.push(max);
  }
  return (line) => {
    // the last hunk that starts at or above the line; some hunk up to it must reach the line
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as { start: number }).start <= line) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && (maxEnd[lo - 1] as number) >= line;
  };
}

export function reviewSeries(patches: readonly ReviewPatch[], opts: ReviewOptions): ReviewResult {
  const filter = opts.filter ?? 'added';
  const crashes: CheckCrash[] = [];
  const files: ReviewResult['files'] = [];
  /** For each path: the findings present after the latest patch that touched it. */
  const current = new Map<string, Map<string, ScopedFinding>>();
  const stop = opts.stop ?? (() => false);
  const latest = opts.anchor === 'latest';
  for (const [k, patch] of patches.entries()) {
    for (const file of patch.files) {
      if (stop()) throw new ReviewStopped();
      if (file.mode === 'deleted') {
        current.delete(file.path);
        continue;
      }
      if (!current.has(file.path) && file.pre !== null && file.mode === 'full') {
        // what the base tree already had is not this series' doing: seed it as pre-existing
        const base = buildUnit(
          { path: file.path, mode: 'full', post: file.pre, fragments: [], diff: null },
          opts.parser,
          opts.memo,
        );
        const seeded = new Map<string, ScopedFinding>();
        for (const f of runChecks(base, opts.checks, opts.config, null, opts.framework).findings)
          seeded.set(f.fingerprint, { ...f, scope: 'file', patch: -1 });
        current.set(file.path, seeded);
        if (stop()) throw new ReviewStopped();
      }
      const unit = buildUnit(
        {
          path: file.path,
          mode: file.mode,
          post: file.post,
          fragments: file.fragments,
          diff: file.diff,
          ...(file.changed ? { changed: file.changed } : {}),
        },
        opts.parser,
        opts.memo,
      );
      files.push({ path: file.path, patch: k, mode: unit.mode, specs: unit.specs.length });
      if (stop()) throw new ReviewStopped();
      const r = runChecks(unit, opts.checks, opts.config, patch.messageId, opts.framework);
      crashes.push(...r.crashes);
      const before = current.get(file.path) ?? new Map<string, ScopedFinding>();
      const now = new Map<string, ScopedFinding>();
      const inHunk = hunkTest(unit.hunks);
      for (const f of r.findings) {
        const old = before.get(f.fingerprint);
        if (old) {
          now.set(
            f.fingerprint,
            latest ? { ...f, severity: old.severity, scope: old.scope, patch: old.patch } : old,
          );
          continue;
        }
        const scope: Scope = unit.added.has(f.at.line)
          ? 'added'
          : inHunk(f.at.line)
            ? 'diff-context'
            : 'file';
        now.set(f.fingerprint, { ...f, scope, patch: k });
      }
      // what this view cannot judge again stays as it was: a check that crashed says nothing,
      // and a hunks-only view judges only the specs it shows whole
      const crashed = new Set(r.crashes.map((c) => c.check));
      const seenWhole = new Set(unit.specs.filter((s) => !s.partial).map((s) => s.name));
      for (const [fp, f] of before) {
        if (now.has(fp)) continue;
        const blind = unit.mode === 'hunks' && (f.spec === undefined || !seenWhole.has(f.spec));
        if (crashed.has(f.check) || blind) now.set(fp, f);
      }
      current.set(file.path, now);
    }
  }
  const every = [...current.values()].flatMap((m) => [...m.values()]);
  const all = every.filter((f) => f.patch >= 0);
  all.sort(
    (a, b) =>
      a.patch - b.patch ||
      a.at.path.localeCompare(b.at.path) ||
      a.at.line - b.at.line ||
      a.check.localeCompare(b.check),
  );
  return {
    findings: all.filter((f) => inFilter(f.scope, filter)),
    outside: all.filter((f) => !inFilter(f.scope, filter)),
    crashes,
    preexisting: every.length - all.length,
    files,
  };
}
