/**
 * Builds the FileUnit a check sees from one file of a patch's post-image: the specs of every form,
 * the syscalls, the C facts (full post-images only) and the lines the patch added. Pure: the
 * tree-sitter parser comes in as an argument (app/c/language.ts loads it).
 */
import type { Parser } from 'web-tree-sitter';
import { analyzeC } from '../parsers/c/index.js';
import type { CFacts, SyscallDef } from '../parsers/c/model.js';
import { findSyscalls } from '../parsers/c/preprocess.js';
import type { FileDiff } from '../parsers/diff.js';
import type { FactSource } from '../parsers/kapi/framework.js';
import { parseKerneldocSpecs } from '../parsers/kapi/kerneldoc.js';
import { linkSpecs } from '../parsers/kapi/link.js';
import { parseMacroSpecs } from '../parsers/kapi/macro.js';
import type { ApiSpec } from '../parsers/kapi/model.js';
import type { Issue } from '../parsers/types.js';
import type { Evidence, FileUnit } from './types.js';

/** Post-image lines one hunk shows, from `startLine` on. */
export interface UnitFragment {
  startLine: number;
  lines: string[];
}

export interface UnitInput {
  path: string;
  mode: 'full' | 'hunks';
  /** The whole post-image in full mode. */
  post: string | null;
  fragments: UnitFragment[];
  /** The patch's diff of this file: added lines and hunk ranges come from it... */
  diff: FileDiff | null;
  /** ...unless given here, computed from the images themselves (a hunk may apply at an offset). */
  changed?: { added: readonly number[]; hunks: readonly { start: number; end: number }[] };
}

/** C sources and headers: the only files that carry specs and the code they describe. */
export function isCFile(path: string): boolean {
  return /\.[ch]$/.test(path);
}

function specsOf(text: string, path: string): { specs: ApiSpec[]; issues: Issue[] } {
  const m = parseMacroSpecs(text, path);
  const k = parseKerneldocSpecs(text, path);
  return { specs: [...m.value, ...k.value], issues: [...m.issues, ...k.issues] };
}

/**
 * A copy of parser output with every `line` and `endLine` moved down by `by`: what the parser gives
 * for the same text after `by` empty lines (a test compares the two on fixtures and the corpus).
 */
export function shiftLines<T>(value: T, by: number): T {
  if (by === 0) return value;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      out[k] = (k === 'line' || k === 'endLine') && typeof x === 'number' ? x + by : walk(x);
    return out;
  };
  return walk(value) as T;
}

function syscallsFromPrep(text: string): SyscallDef[] {
  return findSyscalls(text).syscalls.map((s) => ({
    name: s.name,
    fnName: s.fnName,
    arity: s.arity,
    params: s.params,
    line: s.line,
    endLine: s.line,
    macroText: s.macroText,
  }));
}

export function buildUnit(input: UnitInput, parser: Parser | null): FileUnit {
  const added = new Set<number>(input.changed?.added ?? []);
  const hunks: { start: number; end: number }[] = [...(input.changed?.hunks ?? [])];
  if (!input.changed)
    for (const h of input.diff?.hunks ?? []) {
      if (h.newLines > 0) hunks.push({ start: h.newStart, end: h.newStart + h.newLines - 1 });
      for (const l of h.lines) if (l.kind === 'add' && l.newLine !== undefined) added.add(l.newLine);
    }
  let specs: ApiSpec[] = [];
  let specIssues: Issue[] = [];
  let syscalls: SyscallDef[] = [];
  let code: CFacts | null = null;
  let line: (n: number) => string | undefined;
  const isC = isCFile(input.path);

  if (input.mode === 'full' && input.post !== null) {
    const lines = input.post.split('\n');
    line = (n) => (n >= 1 && n <= lines.length ? lines[n - 1] : undefined);
    if (isC) {
      ({ specs, issues: specIssues } = specsOf(input.post, input.path));
      // every check that reads the code compares it with a spec: without one, the C analysis
      // (most of the cost of a review) would be wasted
      if (parser && specs.length > 0) {
        const facts = analyzeC(parser, input.post, input.path);
        code = facts.value;
        syscalls = facts.value.syscalls;
      } else syscalls = syscallsFromPrep(input.post);
    }
  } else {
    const known = new Map<number, string>();
    for (const f of input.fragments) for (const [i, l] of f.lines.entries()) known.set(f.startLine + i, l);
    line = (n) => known.get(n);
    if (isC)
      for (const f of input.fragments) {
        // parser lines become post-image lines by the fragment's offset (padding the text with
        // empty lines instead would cost hunks x file lines)
        const text = f.lines.join('\n');
        const by = Math.max(0, f.startLine - 1);
        const r = specsOf(text, input.path);
        specs.push(...shiftLines(r.specs, by));
        specIssues.push(
          ...r.issues.map((i) => (i.line === undefined || by === 0 ? i : { ...i, line: i.line + by })),
        );
        syscalls.push(
          ...syscallsFromPrep(text).map((s) =>
            by === 0 ? s : { ...s, line: s.line + by, endLine: s.endLine + by },
          ),
        );
      }
  }
  specs.sort((a, b) => a.line - b.line);
  const link = linkSpecs(specs, syscalls);
  return {
    path: input.path,
    mode: input.mode === 'full' && input.post !== null ? 'full' : 'hunks',
    line,
    specs,
    specIssues,
    syscalls,
    specOf: link.specOf,
    misnamed: link.misnamed,
    orphans: link.orphans,
    code,
    added,
    hunks,
  };
}

/** A line of the unit as evidence: its text trimmed (empty when the view does not show it). */
export function evidenceAt(unit: FileUnit, line: number, kind?: 'spec' | 'code'): Evidence {
  const e: Evidence = { path: unit.path, line, text: (unit.line(line) ?? '').trim() };
  if (kind !== undefined) e.kind = kind;
  return e;
}

/**
 * The line of the framework that defines a rule or a word, as evidence. Only where its text is
 * known (a framework of the series or the tree): the built-in frameworks keep no text, and a bare
 * line number of a posting is nothing a reader can check, so the message's naming of the file
 * stands alone there.
 */
export function frameworkEvidence(src: FactSource | null | undefined): Evidence[] {
  if (!src || src.text === undefined) return [];
  return [{ path: src.path, line: src.line, text: src.text, kind: 'framework' }];
}
