/**
 * The two sides of a spec diff as the app reads them, shared by `kapi-review spec-diff`, the mail
 * bot's cover-letter reply and the dashboard's series page: the specs of a series' post-image
 * (applied to a tree when there is one, else read from the hunks), a file only one side touches
 * taken from the tree on the other, and the comparison with the code's verdicts on errors added
 * or dropped. The comparison and its rendering are pure (parsers/kapi/spec-diff.ts,
 * reporters/spec-diff.ts, reporters/spec-sides.ts).
 */
import type { Parser } from 'web-tree-sitter';
import { type FactMemo, NO_MEMO } from '../../checks/unit.js';
import type { ApiSpec } from '../../parsers/kapi/model.js';
import { diffSpecs } from '../../parsers/kapi/spec-diff.js';
import { parseMailSync } from '../../parsers/mail.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { type ReportedDelta, type SpecCode, withVerdicts } from '../../reporters/spec-diff.js';
import { specCodeIn, specsOfImages, specsOfText } from '../../reporters/spec-sides.js';
import { buildPostImages, type TreeReader } from './postimage.js';
import { openTree } from './tree.js';

/** One side: its specs, the paths it covers, the whole text of each file where known. */
export interface SideSpecs {
  label: string;
  specs: ApiSpec[];
  paths: Set<string>;
  full: Map<string, string>;
  /** The tree a series side was applied to (to read the files only the other side touches). */
  tree: TreeReader | null;
  notes: string[];
}

/** The specs of a series' post-image: on the tree at `root` when given, else from the hunks. */
export async function seriesSpecs(
  series: Series,
  root: string | null,
  memo: FactMemo = NO_MEMO,
): Promise<SideSpecs> {
  const notes: string[] = [];
  let tree: TreeReader | null = null;
  if (root) {
    const t = await openTree(root, series.baseCommit);
    tree = t.tree;
    if (t.note) notes.push(t.note);
  }
  const patches = [...series.patches].sort((a, b) => a.counter - b.counter);
  const images = await buildPostImages(
    patches.map((p) => ({ messageId: p.mail.messageId, label: p.mail.subject, files: p.mail.files })),
    tree,
  );
  // only what concerns the C files, where specs live (a Makefile not in the tree is no news here)
  for (const i of images.issues) if (/\.[ch]\b/.test(i.message)) notes.push(i.message);
  const withDiffs = images.patches.map((img, k) => ({
    files: img.files.map((f, j) => ({ ...f, diff: patches[k]?.mail.files[j] ?? null })),
  }));
  return { ...specsOfImages(withDiffs, memo), label: `${series.title} v${series.revision}`, tree, notes };
}

/**
 * A path one series touches and the other does not is, on the other side, the file as the tree
 * has it: so a spec the other series leaves alone is not reported as removed or added.
 */
export async function fillFromTree(a: SideSpecs, b: SideSpecs, memo: FactMemo = NO_MEMO): Promise<void> {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    if (!y.tree) continue;
    for (const path of x.paths) {
      if (y.paths.has(path) || !/\.[ch]$/.test(path)) continue;
      const text = await y.tree.read(path);
      y.paths.add(path);
      if (text === null) continue;
      y.full.set(path, text);
      y.specs.push(...specsOfText(text, path, [], memo));
    }
  }
}

/**
 * The spec changes from `a` to `b`, each error added or dropped with the code's verdict where the
 * new side's file is known whole (the C analysis only for the specs whose errors changed).
 */
export function reportSpecDiff(
  a: SideSpecs,
  b: SideSpecs,
  parser: Parser | null,
  memo: FactMemo = NO_MEMO,
): ReportedDelta[] {
  const deltas = diffSpecs(a.specs, b.specs);
  const code = new Map<string, SpecCode | null>();
  for (const d of deltas) {
    if (!d.new || !d.changes.some((c) => c.area === 'error' && c.field === null)) continue;
    const text = b.full.get(d.new.path);
    code.set(d.name, text === undefined ? null : specCodeIn(text, d.new.path, d.name, parser, memo));
  }
  return withVerdicts(deltas, (name) => code.get(name) ?? null);
}

/**
 * Whether a delta is one both sides can vouch for: not a spec either side sees only partly
 * through its hunks, and a spec added or removed only where one side knows the file whole (a
 * file the series creates, or the tree). From hunks alone, a spec one revision shows and the
 * other does not may just be in the base, untouched by the other.
 */
function vouched(a: SideSpecs, b: SideSpecs): (d: ReportedDelta) => boolean {
  return (d) => {
    if (d.old?.partial || d.new?.partial) return false;
    if (d.status !== 'added' && d.status !== 'removed') return true;
    const path = (d.new ?? d.old)?.path ?? '';
    return a.full.has(path) || b.full.has(path);
  };
}

/**
 * The spec changes between two revisions of a series (fillFromTree, then reportSpecDiff), only
 * those both sides can vouch for: what the bot mails and the dashboard shows claims no change
 * that may not be there.
 */
export async function seriesSpecDiff(
  older: Series,
  newer: Series,
  root: string | null,
  parser: Parser | null,
  memo: FactMemo = NO_MEMO,
): Promise<{ deltas: ReportedDelta[]; notes: string[] }> {
  const a = await seriesSpecs(older, root, memo);
  const b = await seriesSpecs(newer, root, memo);
  await fillFromTree(a, b, memo);
  return {
    deltas: reportSpecDiff(a, b, parser, memo).filter(vouched(a, b)),
    notes: [...a.notes, ...b.notes],
  };
}

/** A stored revision as far as rebuilding it needs (app/store/series.ts RevisionRecord). */
export interface StoredRevision {
  revision: number;
  state: string;
  coverMessageId: string | null;
  patchMessageIds: readonly string[];
}

/**
 * A complete stored revision rebuilt from its raw mail (`raw`: the bytes the store kept of a
 * Message-ID), or null when it was not complete, a mail is gone, or the mails do not make
 * exactly one complete series of that revision.
 */
export function revisionSeries(
  rev: StoredRevision,
  raw: (messageId: string) => Uint8Array | null,
): Series | null {
  if (rev.state !== 'complete') return null;
  const ids = [...(rev.coverMessageId ? [rev.coverMessageId] : []), ...rev.patchMessageIds];
  const mails = [];
  for (const id of ids) {
    const bytes = raw(id);
    if (bytes === null) return null;
    mails.push(parseMailSync(bytes).value);
  }
  const built = buildSeries(mails).value.series.filter(
    (x) => x.revision === rev.revision && x.state.kind === 'complete',
  );
  return built.length === 1 ? (built[0] as Series) : null;
}
