/**
 * The series aggregate: a series (known by its lineage), its revisions with their patch lists,
 * state and whether they were reviewed or superseded, and the follow-ups in each revision's thread.
 */
import { type Db, StoreError } from './db.js';
import {
  Aggregate,
  cached,
  intArg,
  isoTime,
  listKey,
  nonEmpty,
  num,
  type Row,
  str,
  strOrNull,
} from './sql.js';

export interface SeriesInput {
  /** Revisions of one series share it (parsers/series.ts `lineage`). */
  lineage: string;
  title: string;
  author: string | null;
  /** The list's address (kept lower case, `Name <addr>` reduced to `addr`), as in ignores and mutes. */
  listId: string | null;
}

export interface SeriesRecord extends SeriesInput {
  id: number;
  createdAt: string;
  updatedAt: string;
}

export type RevisionState = 'complete' | 'incomplete' | 'corrupted';

export const REVISION_STATES: readonly RevisionState[] = ['complete', 'incomplete', 'corrupted'];

export interface RevisionInput {
  revision: number;
  coverMessageId: string | null;
  /** The patches' Message-IDs in series order. */
  patchMessageIds: string[];
  state: RevisionState;
  /** What is wrong when not complete, for people: "missing 2/5", "patch 3/5 has no diff". */
  stateDetail: string | null;
  baseCommit: string | null;
  changeId: string | null;
  /** When the revision's first mail arrived (ISO time); default: now. */
  receivedAt?: string;
}

export interface RevisionRecord extends Required<RevisionInput> {
  id: number;
  seriesId: number;
  createdAt: string;
  updatedAt: string;
  supersededBy: number | null;
  /** Set when its review (findings, possibly none) was recorded. */
  reviewedAt: string | null;
}

export interface FollowUp {
  revisionId: number;
  messageId: string;
  from: string;
  commandText: string | null;
  recordedAt: string;
}

export class SeriesRepo extends Aggregate {
  /** Creates the series of this lineage or updates its title, author and list (kept when null). */
  upsert(input: SeriesInput): SeriesRecord {
    nonEmpty('lineage', input.lineage);
    const t = this.now().toISOString();
    const r = this.db
      .prepare(
        `INSERT INTO series (lineage, title, author, list_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (lineage) DO UPDATE SET
           title = CASE WHEN excluded.title <> '' THEN excluded.title ELSE series.title END,
           author = coalesce(excluded.author, series.author),
           list_id = coalesce(excluded.list_id, series.list_id),
           updated_at = excluded.updated_at
         RETURNING *`,
      )
      .get(input.lineage, input.title ?? '', input.author, listKey(input.listId), t, t) as Row;
    return seriesRow(r);
  }

  byId(seriesId: number): SeriesRecord | null {
    const r = this.db.prepare('SELECT * FROM series WHERE id = ?').get(seriesId) as Row | undefined;
    return r ? seriesRow(r) : null;
  }

  byLineage(lineage: string): SeriesRecord | null {
    const r = this.db.prepare('SELECT * FROM series WHERE lineage = ?').get(lineage) as Row | undefined;
    return r ? seriesRow(r) : null;
  }

  /**
   * Records revision `input.revision` of a series, or updates it when recorded before (an
   * incomplete revision whose missing patches arrived): state, detail and patch list are replaced,
   * the earliest receivedAt is kept, a recorded review stays recorded.
   */
  addRevision(seriesId: number, input: RevisionInput): RevisionRecord {
    intArg('revision', input.revision, 1, 1_000_000);
    if (!REVISION_STATES.includes(input.state)) throw new StoreError(`unknown revision state ${input.state}`);
    input.patchMessageIds.forEach((m, i) => {
      nonEmpty(`patchMessageIds[${i}]`, m);
    });
    const t = this.now().toISOString();
    const received = input.receivedAt === undefined ? t : isoTime('receivedAt', input.receivedAt);
    const tx = this.db.transaction((): number => {
      if (!this.byId(seriesId)) throw new StoreError(`no series ${seriesId}`);
      const r = this.db
        .prepare(
          `INSERT INTO revisions (series_id, revision, cover_message_id, state, state_detail, base_commit,
             change_id, received_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (series_id, revision) DO UPDATE SET
             cover_message_id = excluded.cover_message_id, state = excluded.state,
             state_detail = excluded.state_detail, base_commit = excluded.base_commit,
             change_id = excluded.change_id, received_at = min(revisions.received_at, excluded.received_at),
             updated_at = excluded.updated_at
           RETURNING id`,
        )
        .get(
          seriesId,
          input.revision,
          input.coverMessageId,
          input.state,
          input.stateDetail,
          input.baseCommit,
          input.changeId,
          received,
          t,
          t,
        ) as Row;
      const id = num(r.id);
      this.db.prepare('DELETE FROM revision_patches WHERE revision_id = ?').run(id);
      const ins = this.db.prepare(
        'INSERT INTO revision_patches (revision_id, position, message_id) VALUES (?, ?, ?)',
      );
      input.patchMessageIds.forEach((m, i) => {
        ins.run(id, i, m);
      });
      this.db.prepare('UPDATE series SET updated_at = ? WHERE id = ?').run(t, seriesId);
      return id;
    });
    return this.revision(tx.immediate()) as RevisionRecord;
  }

  /** A revision by its row id. */
  revision(revisionId: number): RevisionRecord | null {
    const r = cached(this.db, 'SELECT * FROM revisions WHERE id = ?').get(revisionId) as Row | undefined;
    return r ? revisionRow(this.db, r) : null;
  }

  /** The revisions of a series, by number. */
  revisions(seriesId: number): RevisionRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM revisions WHERE series_id = ? ORDER BY revision')
      .all(seriesId) as Row[];
    return rows.map((r) => revisionRow(this.db, r));
  }

  /** The revision with the highest number, or null. */
  latestRevision(seriesId: number): RevisionRecord | null {
    const r = this.db
      .prepare('SELECT * FROM revisions WHERE series_id = ? ORDER BY revision DESC LIMIT 1')
      .get(seriesId) as Row | undefined;
    return r ? revisionRow(this.db, r) : null;
  }

  /** The revisions a message belongs to, as cover letter or patch. */
  revisionsOfMessage(messageId: string): RevisionRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM revisions WHERE cover_message_id = ?
           OR id IN (SELECT revision_id FROM revision_patches WHERE message_id = ?)
         ORDER BY series_id, revision`,
      )
      .all(messageId, messageId) as Row[];
    return rows.map((r) => revisionRow(this.db, r));
  }

  /** Marks `oldRevisionId` superseded by `newRevisionId` (both of one series). */
  supersede(oldRevisionId: number, newRevisionId: number): void {
    if (oldRevisionId === newRevisionId)
      throw new StoreError(`revision ${oldRevisionId} cannot supersede itself`);
    const tx = this.db.transaction(() => {
      const a = this.revision(oldRevisionId);
      const b = this.revision(newRevisionId);
      if (!a) throw new StoreError(`no revision ${oldRevisionId}`);
      if (!b) throw new StoreError(`no revision ${newRevisionId}`);
      if (a.seriesId !== b.seriesId)
        throw new StoreError(`revisions ${oldRevisionId} and ${newRevisionId} belong to different series`);
      this.db
        .prepare('UPDATE revisions SET superseded_by = ?, updated_at = ? WHERE id = ?')
        .run(newRevisionId, this.now().toISOString(), oldRevisionId);
    });
    tx.immediate();
  }

  /** Records a reply in a revision's thread; returns false when it was recorded before. */
  addFollowUp(revisionId: number, messageId: string, from: string, commandText: string | null): boolean {
    nonEmpty('messageId', messageId);
    if (!this.revision(revisionId)) throw new StoreError(`no revision ${revisionId}`);
    const r = this.db
      .prepare(
        `INSERT INTO follow_ups (revision_id, message_id, from_addr, command_text, recorded_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (revision_id, message_id) DO NOTHING`,
      )
      .run(revisionId, messageId, from, commandText, this.now().toISOString());
    return r.changes === 1;
  }

  followUps(revisionId: number): FollowUp[] {
    const rows = this.db
      .prepare('SELECT * FROM follow_ups WHERE revision_id = ? ORDER BY recorded_at, id')
      .all(revisionId) as Row[];
    return rows.map((r) => ({
      revisionId: num(r.revision_id),
      messageId: str(r.message_id),
      from: str(r.from_addr),
      commandText: strOrNull(r.command_text),
      recordedAt: str(r.recorded_at),
    }));
  }

  /**
   * Revisions that arrived or were reviewed at or after `since` and before `until` (ISO times),
   * by arrival: what a digest of that period talks about.
   */
  revisionsActive(since: string, until: string): RevisionRecord[] {
    const a = isoTime('since', since);
    const b = isoTime('until', until);
    const rows = this.db
      .prepare(
        `SELECT * FROM revisions
         WHERE (received_at >= :a AND received_at < :b) OR (reviewed_at >= :a AND reviewed_at < :b)
         ORDER BY received_at, id`,
      )
      .all({ a, b }) as Row[];
    return rows.map((r) => revisionRow(this.db, r));
  }
}

export function seriesRow(r: Row): SeriesRecord {
  return {
    id: num(r.id),
    lineage: str(r.lineage),
    title: str(r.title),
    author: strOrNull(r.author),
    listId: strOrNull(r.list_id),
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
  };
}

/** A `revisions` row with its patch list (read from revision_patches). */
function revisionRow(db: Db, r: Row): RevisionRecord {
  const id = num(r.id);
  const patches = cached(
    db,
    'SELECT message_id FROM revision_patches WHERE revision_id = ? ORDER BY position',
  )
    .pluck()
    .all(id) as string[];
  return {
    id,
    seriesId: num(r.series_id),
    revision: num(r.revision),
    coverMessageId: strOrNull(r.cover_message_id),
    patchMessageIds: patches,
    state: str(r.state) as RevisionState,
    stateDetail: strOrNull(r.state_detail),
    baseCommit: strOrNull(r.base_commit),
    changeId: strOrNull(r.change_id),
    receivedAt: str(r.received_at),
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
    supersededBy: r.superseded_by === null ? null : num(r.superseded_by),
    reviewedAt: strOrNull(r.reviewed_at),
  };
}
