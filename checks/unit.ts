/**
 * Builds the FileUnit a check sees from one file of a patch's post-image: the specs of every form,
 * the syscalls, the C facts (full post-images only) and the lines the patch added. Pure: the
 * tree-sitter parser comes in as an argument (app/c/language.ts loads it).
 */
import type { Parser } from 'web-tree-sitter';
import { syscallFacts } from '../parsers/c/index.js';
import type { CFacts, SyscallDef } from '../parsers/c/model.js';
import { findSyscalls } from '../parsers/c/preprocess.js';
import type { FileDiff } from '../parsers/diff.js';
import type { FactSource } from '../parsers/kapi/framework.js';
import { parseKerneldocSpecs } from '../parsers/kapi/kerneldoc.js';
import { linkSpecs } from '../parsers/kapi/link.js';
import { parseMacroSpecs } from '../parsers/kapi/macro.js';
import { parseMacroSpecsByWindow } from '../parsers/kapi/macro-windows.js';
import type { ApiSpec } from '../parsers/kapi/model.js';
import { lineAt, lineStarts } from '../parsers/text/lines.js';
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

/**
 * What a unit is made of that depends only on a file's path and text: the specs of both forms, the
 * syscalls, the C facts. A memo may hand back what an earlier parse of the same text gave (the
 * app keeps them on disk, app/cache/facts.ts); `make` computes it when it has none. A memo must
 * hand out a fresh copy each time: checks may extend what they get.
 */
/**
 * 'c-reach': the C facts of one syscall's compact text (parsers/c/trim.ts), in its own lines;
 * 'macro-window': the specs of one macro spec's window (parsers/kapi/macro-windows.ts);
 * 'c-part': the tree of one part of a compact text (parsers/c/index.ts PartParse), only read.
 */
export type MemoKind = 'specs' | 'syscalls' | 'c' | 'c-reach' | 'macro-window' | 'c-part';
export interface FactMemo {
  /** The value of (kind, path, text), which the caller may change and keep: its own copy. */
  get<T>(kind: MemoKind, path: string, text: string, make: () => T): T;
  /** The same value, for a caller that only reads it and keeps nothing of it. */
  peek<T>(kind: MemoKind, path: string, text: string, make: () => T): T;
}

/** No memo: compute every time. */
export const NO_MEMO: FactMemo = {
  get: (_kind, _path, _text, make) => make(),
  peek: (_kind, _path, _text, make) => make(),
};

export interface SpecsOf {
  specs: ApiSpec[];
  issues: Issue[];
}

/**
 * The specs of every form in a text, and what their parsers said; with a memo, each macro-form
 * spec is read through it on its own (a later post-image parses only the specs it changed).
 */
export function specsOf(text: string, path: string, memo?: FactMemo): SpecsOf {
  const m =
    memo && memo !== NO_MEMO
      ? parseMacroSpecsByWindow(text, path, (body, make) => {
          const r = memo.get('macro-window', path, body, () => {
            const p = make();
            return { specs: p.value, issues: p.issues };
          });
          return { value: r.specs, issues: r.issues };
        })
      : parseMacroSpecs(text, path);
  const k = parseKerneldocSpecs(text, path);
  return { specs: [...m.value, ...k.value], issues: [...m.issues, ...k.issues] };
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

/**
 * Moves every `line` and `endLine` in a parser's fresh output down by `by` lines, in place (each
 * object once): what the parser gives for a text reads as if the text started at line by + 1.
 * The model keeps every line in these two keys (parsers/kapi/model.ts: "every line is 1-based in
 * the text the parser was given"); test/checks/hostile.test.ts holds it to a parse of the padded text.
 */
export function shiftLines<T>(value: T, by: number, seen: Set<object> = new Set()): T {
  if (by === 0 || value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  // no call for a primitive and no [key, value] pair per field: this walks every spec of every
  // hunk of a review without a tree
  if (Array.isArray(value)) {
    for (const x of value) if (typeof x === 'object' && x !== null) shiftLines(x, by, seen);
    return value;
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (typeof v === 'object' && v !== null) shiftLines(v, by, seen);
    else if ((k === 'line' || k === 'endLine') && typeof v === 'number') o[k] = v + by;
  }
  return value;
}

export function buildUnit(input: UnitInput, parser: Parser | null, memo: FactMemo = NO_MEMO): FileUnit {
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
  /**
   * A whole image without a spec: its syscalls are found only when read. No check reads them
   * then (each reads a syscall only with the spec that documents it), and most images of a
   * review with a tree are such (every base file, every file of a series that is no KAPI one).
   */
  let lazySyscalls: (() => SyscallDef[]) | null = null;

  if (input.mode === 'full' && input.post !== null) {
    // most images yield no finding, so no line is ever read: the text is indexed on the first read
    const post = input.post;
    let starts: number[] | null = null;
    line = (n) => {
      starts ??= lineStarts(post);
      return lineAt(post, starts, n - 1);
    };
    if (isC) {
      ({ specs, issues: specIssues } = memo.get('specs', input.path, post, () =>
        specsOf(post, input.path, memo),
      ));
      // every check that reads the code compares it with a spec: without one, the C analysis
      // (most of the cost of a review) would be wasted
      if (parser && specs.length > 0) {
        const names = specs.map((s) => s.name);
        code = memo.get('c', input.path, post, () =>
          syscallFacts(
            parser,
            input.path,
            post,
            names,
            (key, make) => memo.get('c-reach', input.path, key, make),
            // a part is the same text whichever file it came from: kept under no path
            (part, make) => memo.get('c-part', '', part, make),
          ),
        );
        syscalls = code.syscalls;
      } else if (specs.length > 0)
        syscalls = memo.get('syscalls', input.path, post, () => syscallsFromPrep(post));
      else lazySyscalls = () => memo.get('syscalls', input.path, post, () => syscallsFromPrep(post));
    }
  } else {
    const known = new Map<number, string>();
    for (const f of input.fragments) for (const [i, l] of f.lines.entries()) known.set(f.startLine + i, l);
    line = (n) => known.get(n);
    if (isC)
      for (const f of input.fragments) {
        // parser lines become post-image lines: the fragment's own lines, moved to where it
        // starts (padding each fragment with the empty lines above it made a patch of many
        // hunks quadratic: 4,000 hunks in a file of 190,000 lines parsed 380 million lines)
        const text = f.lines.join('\n');
        const by = Math.max(0, f.startLine - 1);
        // through the memo: the review's limits (app/review/limits.ts) parsed this very text
        // already; the memo hands out a fresh copy, which is moved in place
        const r = shiftLines(
          memo.get('specs', input.path, text, () => specsOf(text, input.path)),
          by,
        );
        // loops, not push(...): a fragment with 200,000 specs would overflow the stack
        for (const s of r.specs) specs.push(s);
        for (const i of r.issues) specIssues.push(i);
        for (const s of shiftLines(syscallsFromPrep(text), by)) syscalls.push(s);
      }
  }
  specs.sort((a, b) => a.line - b.line);
  const link = lazySyscalls ? null : linkSpecs(specs, syscalls);
  const unit: FileUnit = {
    path: input.path,
    mode: input.mode === 'full' && input.post !== null ? 'full' : 'hunks',
    line,
    specs,
    specIssues,
    syscalls,
    specOf: link?.specOf ?? [],
    misnamed: link?.misnamed ?? [],
    orphans: link?.orphans ?? [],
    code,
    added,
    hunks,
  };
  if (lazySyscalls) {
    // what linkSpecs gives without a spec: every syscall documented by none
    const find = lazySyscalls;
    let found: SyscallDef[] | null = null;
    let none: null[] | null = null;
    const all = (): SyscallDef[] => {
      found ??= find();
      return found;
    };
    // with setters, a unit that is given other syscalls behaves as any other unit
    Object.defineProperty(unit, 'syscalls', {
      get: all,
      set: (v: SyscallDef[]) => {
        found = v;
      },
      enumerable: true,
      configurable: true,
    });
    Object.defineProperty(unit, 'specOf', {
      get: () => {
        none ??= all().map(() => null);
        return none;
      },
      set: (v: null[]) => {
        none = v;
      },
      enumerable: true,
      configurable: true,
    });
  }
  return unit;
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
