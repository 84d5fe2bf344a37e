/**
 * The series queue of the mailing-list bot: which series to review now, which to wait for, and
 * which a newer revision made moot. Decisions only (no I/O); the bot loop stores and acts on them.
 *
 * - A complete series is reviewed at once.
 * - An incomplete one waits for its missing patches until `incompleteAfterMs` after its first
 *   mail, then is reviewed as incomplete (the reply says which patches never arrived).
 * - A corrupted one (a truncated or missing diff) is recorded for the operator and not replied to.
 * - Of several revisions of one series (same lineage), only the newest is reviewed; older ones not
 *   yet reviewed are superseded.
 */
import type { Series, SeriesSet } from '../../parsers/series.js';

export type Decision =
  | { kind: 'review'; series: Series; reason: 'complete' | 'incomplete-timeout' }
  | { kind: 'record-only'; series: Series; reason: 'corrupted' }
  | { kind: 'wait'; series: Series; until: Date; missing: number[] }
  | { kind: 'superseded'; series: Series; by: Series }
  | { kind: 'done'; series: Series };

export interface QueueInput {
  now: Date;
  /** When the bot first saw any mail of this series (by series id); absent = now. */
  firstSeen: (seriesId: string) => Date | undefined;
  /** Whether this revision was already reviewed (or recorded) by the bot. */
  reviewed: (seriesId: string) => boolean;
  incompleteAfterMs: number;
}

export function planQueue(set: SeriesSet, q: QueueInput): Decision[] {
  const newest = new Map<string, Series>();
  for (const s of set.series) {
    const cur = newest.get(s.lineage);
    if (
      !cur ||
      s.revision > cur.revision ||
      (s.revision === cur.revision && (s.date ?? '') > (cur.date ?? ''))
    )
      newest.set(s.lineage, s);
  }
  const out: Decision[] = [];
  for (const s of set.series) {
    const top = newest.get(s.lineage) as Series;
    if (q.reviewed(s.id)) {
      out.push({ kind: 'done', series: s });
      continue;
    }
    if (top !== s) {
      out.push({ kind: 'superseded', series: s, by: top });
      continue;
    }
    switch (s.state.kind) {
      case 'complete':
        out.push({ kind: 'review', series: s, reason: 'complete' });
        break;
      case 'corrupted':
        out.push({ kind: 'record-only', series: s, reason: 'corrupted' });
        break;
      case 'incomplete': {
        const first = q.firstSeen(s.id) ?? q.now;
        const until = new Date(first.getTime() + q.incompleteAfterMs);
        if (q.now.getTime() >= until.getTime())
          out.push({ kind: 'review', series: s, reason: 'incomplete-timeout' });
        else out.push({ kind: 'wait', series: s, until, missing: s.state.missing });
        break;
      }
    }
  }
  return out;
}
