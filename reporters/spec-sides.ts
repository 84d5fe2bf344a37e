/**
 * One side of a spec diff: the specs of a series' post-image (whole files where known, else the
 * hunks) or of files as they stand, and the code facts of a spec's syscall for the verdict on its
 * errors. Pure: the images and the tree-sitter parser come in as arguments.
 */
import type { Parser } from 'web-tree-sitter';
import { buildUnit, type UnitFragment } from '../checks/unit.js';
import type { ApiSpec } from '../parsers/kapi/model.js';
import type { SpecCode } from './spec-diff.js';

/** A file of a patch's post-image, as app/context/postimage.ts builds it. */
export interface ImageFile {
  path: string;
  mode: 'full' | 'hunks' | 'deleted';
  post: string | null;
  fragments: UnitFragment[];
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
): ApiSpec[] {
  const mode = text === null ? 'hunks' : 'full';
  return buildUnit({ path, mode, post: text, fragments: [...fragments], diff: null }, null).specs;
}

/**
 * The specs after the last patch: a file known whole is read whole; a file known by its hunks
 * keeps the specs each patch showed, a later patch's spec replacing an earlier one of its name.
 */
export function specsOfImages(patches: readonly { files: readonly ImageFile[] }[]): SpecsOfImages {
  const last = new Map<string, ImageFile>();
  const shown = new Map<string, Map<string, ApiSpec>>();
  for (const p of patches)
    for (const f of p.files) {
      last.set(f.path, f);
      if (f.mode !== 'hunks') continue;
      const byName = shown.get(f.path) ?? new Map<string, ApiSpec>();
      shown.set(f.path, byName);
      for (const s of specsOfText(null, f.path, f.fragments)) {
        const had = byName.get(s.name);
        if (!had || had.partial || !s.partial) byName.set(s.name, s);
      }
    }
  const specs: ApiSpec[] = [];
  const full = new Map<string, string>();
  for (const [path, f] of last) {
    if (f.mode === 'full' && f.post !== null) {
      full.set(path, f.post);
      specs.push(...specsOfText(f.post, path));
    } else if (f.mode === 'hunks') specs.push(...(shown.get(path)?.values() ?? []));
  }
  return { specs, paths: new Set(last.keys()), full };
}

function constrains(spec: ApiSpec): boolean {
  return spec.params.some(
    (p) =>
      (p.constraintType !== null && p.constraintType !== 'none') ||
      p.constraint !== null ||
      p.range !== null ||
      p.validMask !== null,
  );
}

/** The error set of the syscall the spec `name` documents in `text`, or null when unknown. */
export function specCodeIn(text: string, path: string, name: string, parser: Parser | null): SpecCode | null {
  if (!parser) return null;
  const unit = buildUnit({ path, mode: 'full', post: text, fragments: [], diff: null }, parser);
  if (!unit.code) return null;
  for (const [i, sc] of unit.syscalls.entries()) {
    const spec = unit.specOf[i];
    if (!spec || spec.name !== name || spec.partial) continue;
    const errors = unit.code.errors[sc.fnName];
    if (errors) return { path, errors, constrained: constrains(spec) };
  }
  return null;
}
