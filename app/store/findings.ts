/**
 * The findings aggregate: the recorded review of each revision (its findings, which replace any
 * recorded before, and the mark that it was reviewed) and each fingerprint's history across the
 * reviewed revisions of a series.
 */
import type { Finding, Severity } from '../../checks/types.js';
import { type Db, StoreError } from './db.js';
import { nonEmpty, num, type Row, str, strOrNull, toJson } from './sql.js';

export interface StoredFinding {
  id: number;
  revisionId: number;
  /** The patch mail the finding is in (Finding.at.messageId). */
  patchMessageId: string | null;
  finding: Finding;
}

export interface HistoryEntry {
  fingerprint: string;
  /** 'new': not in the previous reviewed revision; 'still': in it too. */
  status: 'new' | 'still';
  /** Present without a break since this revision (the current one when 'new'). */
  since: number;
  /** The earliest revision it was ever reported in (before `since` when it came back). */
  firstSeen: number;
  /** This revision's findings with the fingerprint (more than one when it shows in several places). */
  findings: StoredFinding[];
}

export interface FixedEntry {
  fingerprint: string;
  /** It was present without a break from `since` up to the previous reviewed revision. */
  since: number;
  /** The finding as last reported (in the previous reviewed revision). */
  finding: StoredFinding;
}

export interface History {
  seriesId: number;
  revision: number;
  /** The reviewed revision compared against, or null for the first. */
  previous: number | null;
  entries: HistoryEntry[];
  fixed: FixedEntry[];
}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export class FindingsRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

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
   * revisions count: a revision superseded before its review says nothing either way.
   */
  history(seriesId: number, revision: number): History {
    const reviewed = this.db
      .prepare(
        `SELECT id, revision FROM revisions
         WHERE series_id = ? AND revision <= ? AND reviewed_at IS NOT NULL ORDER BY revision`,
      )
      .all(seriesId, revision) as Row[];
    const chain = reviewed.map((r) => ({ id: num(r.id), revision: num(r.revision) }));
    const current = chain.at(-1);
    if (!current || current.revision !== revision) {
      const exists = this.db
        .prepare('SELECT 1 FROM revisions WHERE series_id = ? AND revision = ?')
        .get(seriesId, revision);
      throw new StoreError(
        exists
          ? `no review recorded for v${revision} of series ${seriesId}`
          : `series ${seriesId} has no revision v${revision}`,
      );
    }
    const present = new Map<number, Set<string>>();
    const rows = this.db
      .prepare(
        `SELECT DISTINCT r.revision, f.fingerprint FROM findings f JOIN revisions r ON r.id = f.revision_id
         WHERE r.series_id = ? AND r.revision <= ? AND r.reviewed_at IS NOT NULL`,
      )
      .all(seriesId, revision) as Row[];
    for (const r of rows) {
      const set = present.get(num(r.revision)) ?? new Set<string>();
      set.add(str(r.fingerprint));
      present.set(num(r.revision), set);
    }
    const has = (i: number, fp: string) =>
      present.get((chain[i] as { revision: number }).revision)?.has(fp) ?? false;
    /** The first revision of the unbroken run of `fp` that ends at chain[i]. */
    const runStart = (i: number, fp: string): number => {
      let j = i;
      while (j > 0 && has(j - 1, fp)) j--;
      return (chain[j] as { revision: number }).revision;
    };
    const firstSeen = (fp: string): number => {
      for (let j = 0; j < chain.length; j++)
        if (has(j, fp)) return (chain[j] as { revision: number }).revision;
      return revision;
    };
    const last = chain.length - 1;
    const byFp = new Map<string, StoredFinding[]>();
    for (const f of this.ofRevision(current.id)) {
      const list = byFp.get(f.finding.fingerprint) ?? [];
      list.push(f);
      byFp.set(f.finding.fingerprint, list);
    }
    const entries: HistoryEntry[] = [...byFp].map(([fp, fs]) => {
      const still = last > 0 && has(last - 1, fp);
      return {
        fingerprint: fp,
        status: still ? 'still' : 'new',
        since: still ? runStart(last, fp) : revision,
        firstSeen: firstSeen(fp),
        findings: fs,
      };
    });
    const fixed: FixedEntry[] = [];
    const prev = last > 0 ? chain[last - 1] : undefined;
    if (prev) {
      const seenFp = new Set<string>();
      for (const f of this.ofRevision(prev.id)) {
        const fp = f.finding.fingerprint;
        if (byFp.has(fp) || seenFp.has(fp)) continue;
        seenFp.add(fp);
        fixed.push({ fingerprint: fp, since: runStart(last - 1, fp), finding: f });
      }
    }
    return { seriesId, revision, previous: prev?.revision ?? null, entries, fixed };
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
