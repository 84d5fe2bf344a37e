/**
 * What changed in the specs of a series since its previous revision, for the reply to the cover
 * letter: the previous revision is rebuilt from the raw mail the store kept, and both are read
 * as `kapi-review spec-diff` reads them (on the bot's tree when it has one, else from the hunks).
 * Precision first: nothing when the previous revision is not known, not whole (its mail gone,
 * incomplete or corrupted), when this one is not whole, or when no spec changed.
 */
import type { Series } from '../../parsers/series.js';
import type { ReportedDelta } from '../../reporters/spec-diff.js';
import { factCache } from '../cache/facts.js';
import { revisionSeries, seriesSpecDiff } from '../context/spec-sides.js';
import type { RevisionRecord } from '../store/series.js';
import type { Store } from '../store/store.js';
import type { BotState } from './state.js';
import { reason } from './state.js';

export interface SpecChanges {
  since: number;
  deltas: ReportedDelta[];
}

/** The stored revision before `rev` (the highest number below it), rebuilt from its raw mail. */
export function previousSeries(
  store: Store,
  rev: Pick<RevisionRecord, 'seriesId' | 'revision'>,
): Series | null {
  const prev = store.series
    .revisions(rev.seriesId)
    .filter((r) => r.revision < rev.revision)
    .at(-1);
  return prev ? revisionSeries(prev, (id) => store.messages.raw(id)?.raw ?? null) : null;
}

/** The spec changes from the previous stored revision to `s`, or null (see the file's comment). */
export async function specChangesOf(
  st: BotState,
  s: Series,
  rev: RevisionRecord,
): Promise<SpecChanges | null> {
  const { store, log } = st.deps;
  if (s.state.kind !== 'complete') return null;
  try {
    const older = previousSeries(store, rev);
    if (!older) return null;
    // the bot's cache: the previous revision's images were this side in the last reply
    const memo = factCache(st.deps.cache ?? null);
    const { deltas } = await seriesSpecDiff(older, s, st.deps.tree, st.deps.parser, memo);
    // what it wrote counts towards the cap's next walk, as a review's writes do
    memo.prune();
    if (!deltas.some((d) => d.status !== 'same')) return null;
    return { since: older.revision, deltas };
  } catch (e) {
    // the reply goes out without the section rather than not at all
    log.warn(
      { seriesId: rev.seriesId, revision: rev.revision },
      `series ${rev.seriesId} v${rev.revision}: no spec changes in the reply: ${reason(e)}`,
    );
    return null;
  }
}
