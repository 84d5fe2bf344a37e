/**
 * One side of a spec diff: the specs of a series' post-image (whole files where known, else the
 * hunks) or of files as they stand, and the code facts of a spec's syscall for the verdict on its
 * errors. Pure: the images and the tree-sitter parser come in as arguments.
 */
import type { Parser } from 'web-tree-sitter';
import { buildUnit, type FactMemo, NO_MEMO, type UnitFragment } from '../checks/unit.js';
import type { FileDiff, Hunk } from '../parsers/diff.js';
import { type ApiSpec, constrainsParams } from '../parsers/kapi/model.js';
import type { SpecCode } from './spec-diff.js';

/** A file of a patch's post-image, as app/context/postimage.ts builds it, with the patch's diff of it. */
export interface ImageFile {
  path: string;
  mode: 'full' | 'hunks' | 'deleted';
  post: string | null;
  fragments: UnitFragment[];
  diff: Pick<FileDiff, 'hunks'> | null;
}

export interface SpecsOfImages {
  specs: ApiSpec[];
  /** Every path the patches touch. */
  paths: Set<string>;
  /** The whole post-image of each path where it is known (for the code facts). */
  full: Map<string, string>;
}

/** The specs of one file's text (whole, or the hunks' fragments). */
export function specsOfText(
  text: string | null,
  path: string,
  fragments: readonly UnitFragment[] = [],
  memo: FactMemo = NO_MEMO,
): ApiSpec[] {
  const mode = text === null ? 'hunks' : 'full';
  return buildUnit({ path, mode, post: text, fragments: [...fragments], diff: null }, null, memo).specs;
}

/**
 * The lines of a file known from the hunks so far, carried through one more patch: a known line
 * a hunk replaces goes, a line below a hunk moves by what the hunk added or removed, and the
 * hunk's own post-image lines become known. So a later patch that edits a spec an earlier patch
 * of the series added shows the edited spec, without a tree.
 */
export function carryKnown(known: ReadonlyMap<number, string>, hunks: readonly Hunk[]): Map<number, string> {
  const spans = hunks.map((h) => {
    const from = h.oldLines === 0 ? h.oldStart + 1 : h.oldStart;
    return { from, to: from + h.oldLines - 1, delta: h.newLines - h.oldLines };
  });
  const out = new Map<number, string>();
  for (const [n, text] of known) {
    let shift = 0;
    let replaced = false;
    for (const sp of spans) {
      if (sp.to < n) shift += sp.delta;
      else if (sp.from <= n) replaced = true;
    }
    if (!replaced) out.set(n + shift, text);
  }
  for (const h of hunks)
    for (const l of h.lines) if (l.kind !== 'del' && l.newLine !== undefined) out.set(l.newLine, l.text);
  return out;
}

/** Runs of consecutive known lines as fragments. */
function fragmentsOf(known: ReadonlyMap<number, string>): UnitFragment[] {
  const out: UnitFragment[] = [];
  for (const n of [...known.keys()].sort((a, b) => a - b)) {
    const last = out.at(-1);
    if (last && last.startLine + last.lines.length === n) last.lines.push(known.get(n) as string);
    else out.push({ startLine: n, lines: [known.get(n) as string] });
  }
  return out;
}

/**
 * The specs after the last patch: a file known whole is read whole; a file known by its hunks is
 * read from the lines the patches showed, each carried through the later patches (carryKnown).
 */
export function specsOfImages(
  patches: readonly { files: readonly ImageFile[] }[],
  memo: FactMemo = NO_MEMO,
): SpecsOfImages {
  const last = new Map<string, ImageFile>();
  const known = new Map<string, Map<number, string>>();
  for (const p of patches)
    for (const f of p.files) {
      last.set(f.path, f);
      if (f.mode !== 'hunks') known.delete(f.path);
      else if (f.diff) known.set(f.path, carryKnown(known.get(f.path) ?? new Map(), f.diff.hunks));
      else {
        const lines = new Map<number, string>();
        for (const fr of f.fragments) for (const [i, l] of fr.lines.entries()) lines.set(fr.startLine + i, l);
        known.set(f.path, lines);
      }
    }
  const specs: ApiSpec[] = [];
  const full = new Map<string, string>();
  for (const [path, f] of last) {
    if (f.mode === 'full' && f.post !== null) {
      full.set(path, f.post);
      specs.push(...specsOfText(f.post, path, [], memo));
    } else if (f.mode === 'hunks')
      specs.push(...specsOfText(null, path, fragmentsOf(known.get(path) ?? new Map())));
  }
  return { specs, paths: new Set(last.keys()), full };
}

/** The error set of the syscall the spec `name` documents in `text`, or null when unknown. */
export function specCodeIn(
  text: string,
  path: string,
  name: string,
  parser: Parser | null,
  memo: FactMemo = NO_MEMO,
): SpecCode | null {
  if (!parser) return null;
  const unit = buildUnit({ path, mode: 'full', post: text, fragments: [], diff: null }, parser, memo);
  if (!unit.code) return null;
  for (const [i, sc] of unit.syscalls.entries()) {
    const spec = unit.specOf[i];
    if (!spec || spec.name !== name || spec.partial) continue;
    const errors = unit.code.errors[sc.fnName];
    if (errors) return { path, errors, constrained: constrainsParams(spec) };
  }
  return null;
}
