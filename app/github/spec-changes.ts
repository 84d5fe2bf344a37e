/**
 * The spec changes of a pull request for its review body: the specs of the base images against
 * those of the head images (the files the App already fetched, both whole), compared by meaning
 * as `kapi-review spec-diff` compares them; a spec either side's parser could not read in full is
 * left out. The C grammar is asked for only when an error entry
 * was added or dropped, to say whether the head's code agrees.
 */
import type { Parser } from 'web-tree-sitter';
import type { ReportedDelta } from '../../reporters/spec-diff.js';
import { specsOfText } from '../../reporters/spec-sides.js';
import { reportSpecDiff, type SideSpecs } from '../context/spec-sides.js';
import type { PrImage } from './pr.js';

function sideOf(label: string, files: readonly { path: string; text: string }[]): SideSpecs {
  return {
    label,
    specs: files.flatMap((f) => specsOfText(f.text, f.path)),
    paths: new Set(files.map((f) => f.path)),
    full: new Map(files.map((f) => [f.path, f.text])),
    tree: null,
    notes: [],
  };
}

/** Base vs head of each image; the parser (for the code's verdicts) only when errors changed. */
export async function pullSpecChanges(
  images: readonly PrImage[],
  parser: (() => Promise<Parser | null>) | undefined,
): Promise<ReportedDelta[]> {
  const base = sideOf(
    'base',
    images.flatMap((i) =>
      i.pre === null ? [] : [{ path: i.file.previous_filename ?? i.file.filename, text: i.pre }],
    ),
  );
  const head = sideOf(
    'head',
    images.map((i) => ({ path: i.file.filename, text: i.post })),
  );
  // both sides are whole files: a partial spec is one its parser could not read, so not compared
  const readable = (d: ReportedDelta): boolean => !d.old?.partial && !d.new?.partial;
  const bare = reportSpecDiff(base, head, null).filter(readable);
  const errorsMoved = bare.some((d) => d.changes.some((c) => c.area === 'error' && c.field === null));
  if (!errorsMoved || !parser) return bare;
  return reportSpecDiff(base, head, await parser()).filter(readable);
}
