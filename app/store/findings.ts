/**
 * The findings aggregate: the recorded review of each revision (its findings, which replace any
 * recorded before, and the mark that it was reviewed) and each fingerprint's history across the
 * reviewed revisions of a series (fetched here, compared by reporters/compare.ts).
 */
import { type Finding, SEVERITIES } from '../../checks/types.js';
import { type CompareEntry, type CompareFixed, type Comparison, compare } from '../../reporters/compare.js';
import { StoreError } from './db.js';
import { Aggregate, nonEmpty, num, type Row, str, strOrNull, toJson } from './sql.js';

export interface StoredFinding {
  id: number;
  revisionId: number;
  /** The patch mail the finding is in (Finding.at.messageId). */
  patchMessageId: string | null;
  finding: Finding;
}

/** A fingerprint of the revision: new in it, or still present since an earlier one. */
export type HistoryEntry = CompareEntry<StoredFinding>;

/** A fingerprint the revision fixed (the previous reviewed revision had it). */
export type FixedEntry = CompareFixed<StoredFinding>;

/** A revision against the reviewed revisions before it (reporters/compare.ts). */
export interface History extends Comparison<StoredFinding> {
  seriesId: number;
}

export class FindingsRepo extends Aggregate {
  /**
   * Records the whole review of a revision: its findings (each with the patch mail it is in, from
   * `finding.at.messageId`) replace any recorded before, and the revision is marked reviewed.
   * An empty list records a review that found nothing.
   */
  record(revisionId: number, findings: readonly Finding[]): void {
    const tx = this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM revisions WHERE id = ?').get(revisionId) === undefined)
        throw new StoreError(`no revision ${revisionId}`);
      this.db.prepare('DELETE FROM findings WHERE revision_id = ?').run(revisionId);
      const ins = this.db.prepare(
        `INSERT INTO findings (revision_id, patch_message_id, fingerprint, check_id, severity, spec, subject, path,
           line, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      findings.forEach((f, i) => {
        nonEmpty(`findings[${i}].fingerprint`, f.fingerprint);
        nonEmpty(`findings[${i}].check`, f.check);
        if (!SEVERITIES.includes(f.severity))
          throw new StoreError(`findings[${i}] has unknown severity ${String(f.severity)}`);
        ins.run(
          revisionId,
          f.at.messageId ?? null,
          f.fingerprint,
          f.check,
          f.severity,
          f.spec ?? null,
          f.subject ?? null,
          f.at.path,
          f.at.line,
          toJson(`findings[${i}]`, f),
        );
      });
      const t = this.now().toISOString();
      this.db
        .prepare('UPDATE revisions SET reviewed_at = ?, updated_at = ? WHERE id = ?')
        .run(t, t, revisionId);
    });
    tx.immediate();
  }

  /** The recorded findings of a revision, in the order recorded. */
  ofRevision(revisionId: number): StoredFinding[] {
    const rows = this.db
      .prepare('SELECT * FROM findings WHERE revision_id = ? ORDER BY id')
      .all(revisionId) as Row[];
    return rows.map(findingRow);
  }

  /**
   * Each fingerprint of revision `revision` against the earlier revisions of the series: new in
   * it, or still present (and since which revision), and the fingerprints it fixed. Only reviewed
   * revisions count: a revision superseded before its review says nothing either way. This only
   * fetches the chain of reviewed revisions and their findings; reporters/compare.ts compares.
   */
  history(seriesId: number, revision: number): History {
    const reviewed = this.db
      .prepare(
        `SELECT id, revision FROM revisions
         WHERE series_id = ? AND revision <= ? AND reviewed_at IS NOT NULL ORDER BY revision`,
      )
      .all(seriesId, revision) as Row[];
    const current = reviewed.at(-1);
    if (!current || num(current.revision) !== revision) {
      const exists = this.db
        .prepare('SELECT 1 FROM revisions WHERE series_id = ? AND revision = ?')
        .get(seriesId, revision);
      throw new StoreError(
        exists
          ? `no review recorded for v${revision} of series ${seriesId}`
          : `series ${seriesId} has no revision v${revision}`,
      );
    }
    const byRevision = new Map<number, StoredFinding[]>(reviewed.map((r) => [num(r.id), []]));
    const rows = this.db
      .prepare(
        `SELECT f.* FROM findings f JOIN revisions r ON r.id = f.revision_id
         WHERE r.series_id = ? AND r.revision <= ? AND r.reviewed_at IS NOT NULL ORDER BY f.id`,
      )
      .all(seriesId, revision) as Row[];
    for (const r of rows) byRevision.get(num(r.revision_id))?.push(findingRow(r));
    const chain = reviewed.map((r) => ({
      revision: num(r.revision),
      findings: byRevision.get(num(r.id)) ?? [],
    }));
    return { seriesId, ...compare(chain, (f) => f.finding.fingerprint) };
  }
}

function findingRow(r: Row): StoredFinding {
  return {
    id: num(r.id),
    revisionId: num(r.revision_id),
    patchMessageId: strOrNull(r.patch_message_id),
    finding: JSON.parse(str(r.json)) as Finding,
  };
}
