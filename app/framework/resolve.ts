/**
 * Which KAPI framework a series is judged by, in this order:
 * 1. the series itself, when it adds or changes the framework's files (its post-image after the
 *    whole series): RFC v2's 01/22 defines every macro its specs use, so those specs are judged by
 *    it. Framework files the series only shows in hunks (no tree) are laid over the fallback below;
 * 2. the tree (`--tree`, or the App's base), when it holds a framework;
 * 3. the built-in model of the latest known posting.
 * Each fact keeps the file and line it was learned from, so a finding can cite it.
 */
import {
  FRAMEWORK_PATHS,
  type Framework,
  type FrameworkFile,
  holdsFramework,
  learnFramework,
  overlay,
  roleOf,
  wholeFile,
} from '../../parsers/kapi/framework.js';
import { latestBuiltin } from '../../parsers/kapi/frameworks.js';
import type { Series } from '../../parsers/series.js';
import { buildPostImages, type PatchImage, type TreeReader } from '../context/postimage.js';
import { openTree } from '../context/tree.js';

/** The last image of every framework file the patches touch; deleted files map to null. */
export function frameworkFilesOf(patches: readonly PatchImage[]): Map<string, FrameworkFile | null> {
  const out = new Map<string, FrameworkFile | null>();
  for (const p of patches)
    for (const f of p.files) {
      if (roleOf(f.path) === null) continue;
      if (f.mode === 'deleted') out.set(f.path, null);
      else if (f.mode === 'full' && f.post !== null) out.set(f.path, wholeFile(f.path, f.post));
      else {
        const lines = f.fragments.flatMap((fr) => fr.lines.map((text, i) => ({ n: fr.startLine + i, text })));
        const prev = out.get(f.path);
        // a later patch's hunks add to what earlier hunks showed of the same file
        const merged = new Map<number, string>();
        if (prev && !prev.whole) for (const l of prev.lines) merged.set(l.n, l.text);
        for (const l of lines) merged.set(l.n, l.text);
        out.set(f.path, {
          path: f.path,
          lines: [...merged.entries()].sort((a, b) => a[0] - b[0]).map(([n, text]) => ({ n, text })),
          whole: false,
        });
      }
    }
  return out;
}

async function readAll(tree: TreeReader, paths: Iterable<string>): Promise<FrameworkFile[]> {
  const read = await Promise.all(
    [...new Set(paths)].map(async (path) => {
      const text = await tree.read(path).catch(() => null);
      return text === null ? null : wholeFile(path, text);
    }),
  );
  return read.filter((f): f is FrameworkFile => f !== null);
}

/**
 * The tree's framework, or null when the tree holds none. The files that make a framework (a KAPI
 * header, the apispec generator) are read first, in parallel; the rest only when there is one, so
 * a tree without KAPI (every kernel before it) costs a handful of reads.
 */
export async function frameworkOfTree(
  tree: TreeReader,
  extra: Iterable<string> = [],
  name = 'the tree',
  origin: Framework['origin'] = 'tree',
): Promise<Framework | null> {
  const all = [...new Set([...FRAMEWORK_PATHS, ...extra])];
  const defining = all.filter((p) => roleOf(p) === 'header' || roleOf(p) === 'generator');
  const first = await readAll(tree, defining);
  if (!holdsFramework(first)) return null;
  const rest = await readAll(
    tree,
    all.filter((p) => !defining.includes(p)),
  );
  return learnFramework([...first, ...rest], name, origin);
}

export interface FrameworkChoice {
  framework: Framework;
  /** One line for the report: which framework and why. */
  note: string;
}

/**
 * The framework for a series whose post-images are built. `tree` is the base the images were
 * built on (or null).
 */
export async function chooseFramework(
  patches: readonly PatchImage[],
  tree: TreeReader | null,
): Promise<FrameworkChoice> {
  const touched = frameworkFilesOf(patches);
  const series = [...touched.values()].filter((f): f is FrameworkFile => f !== null);
  if (series.length === 0) {
    const treeFw = tree ? await frameworkOfTree(tree) : null;
    const latest = latestBuiltin();
    return treeFw
      ? { framework: treeFw, note: `judged by the KAPI framework of the tree (${treeFw.files.join(', ')})` }
      : {
          framework: latest,
          note: `judged by the KAPI framework of ${latest.name}, the latest known (neither the series nor the tree carries one)`,
        };
  }
  // the tree read once: its own framework (the fallback), and the files the series leaves alone
  const base = tree ? await readAll(tree, [...FRAMEWORK_PATHS, ...touched.keys()]) : [];
  const files = new Map(base.map((f) => [f.path, f]));
  for (const [path, f] of touched) {
    if (f === null) files.delete(path);
    else files.set(path, f);
  }
  const all = [...files.values()];
  // A series that brings a framework of its own (a KAPI header or generator it adds whole, or that
  // the tree completes) is judged by that alone; what it shows only in hunks (the KAPI lines it adds
  // to kernel-doc or kbuild) is part of it. A series that only changes a framework it does not
  // show whole is the fallback with those changes.
  if (holdsFramework(all.filter((f) => f.whole)))
    return {
      framework: learnFramework(all, 'this series', 'series'),
      note: `judged by the KAPI framework this series carries (${series.map((f) => f.path).join(', ')})`,
    };
  const treeFw = holdsFramework(base) ? learnFramework(base, 'the tree', 'tree') : null;
  const fallback = treeFw ?? latestBuiltin();
  return {
    framework: overlay(fallback, learnFramework(series, 'this series', 'series')),
    note: `judged by ${treeFw ? 'the framework of the tree' : `the KAPI framework of ${fallback.name}`} with the changes this series makes to ${series.map((f) => f.path).join(', ')}`,
  };
}

/** The framework a review of `series` on `treeDir` (or none) would use. */
export async function frameworkForSeries(series: Series, treeDir: string | null): Promise<FrameworkChoice> {
  const tree = treeDir ? (await openTree(treeDir, series.baseCommit)).tree : null;
  const mails = [...series.patches].sort((a, b) => a.counter - b.counter);
  const images = await buildPostImages(
    mails.map((p) => ({ messageId: p.mail.messageId, label: p.mail.subject, files: p.mail.files })),
    tree,
  );
  return chooseFramework(images.patches, tree);
}

/** The framework for a tree alone (no series): the tree's, else the latest known posting's. */
export async function frameworkForTree(tree: TreeReader | null): Promise<FrameworkChoice> {
  return chooseFramework([], tree);
}
