/**
 * The series page's spec changes: for each revision after the first, what changed in the specs
 * since the revision before it, both rebuilt from the raw mail the store kept and read as
 * `kapi-review spec-diff` reads them (on the configured tree, else from the hunks). No code
 * verdicts here (the dashboard loads no C grammar), so nothing is claimed about the code; nothing
 * is shown when either revision is not known whole or no spec changed.
 */
import { specDiffLines } from '../../reporters/spec-diff.js';
import { revisionSeries, seriesSpecDiff } from '../context/spec-sides.js';
import type { RevisionRecord } from '../store/series.js';
import type { Store } from '../store/store.js';

export interface SpecChangesView {
  /** The revision compared with. */
  since: number;
  /** One line per change, as `kapi-review spec-diff` prints them (unescaped text). */
  lines: string[];
}

/** By revision id: the spec changes since the revision before it (revisions in any order). */
export async function specChangesByRevision(
  store: Store,
  revisions: readonly RevisionRecord[],
  tree: string | null,
): Promise<Map<number, SpecChangesView>> {
  const out = new Map<number, SpecChangesView>();
  const ordered = [...revisions].sort((a, b) => a.revision - b.revision);
  const raw = (id: string) => store.messages.raw(id)?.raw ?? null;
  let before = ordered[0] ? revisionSeries(ordered[0], raw) : null;
  for (let i = 1; i < ordered.length; i++) {
    const rev = ordered[i] as RevisionRecord;
    const now = revisionSeries(rev, raw);
    if (before && now) {
      try {
        const { deltas } = await seriesSpecDiff(before, now, tree, null);
        const lines = specDiffLines(deltas).filter((l) => !/^\d+ specs? unchanged$/.test(l));
        if (deltas.some((d) => d.status !== 'same')) out.set(rev.id, { since: before.revision, lines });
      } catch {
        // a tree that cannot be read now: the page shows the rest, without this section
      }
    }
    before = now;
  }
  return out;
}
