/**
 * The bot's state over one SQLite file (see db.ts): messages seen and processed, series and their
 * revisions, follow-ups, findings per revision with their history across revisions, ignores and
 * mutes from mail commands, the outbox of replies, and the sources' cursors.
 *
 * Synchronous (better-sqlite3). Every timestamp comes from the injected clock, as an ISO string
 * from `Date.toISOString()` (fixed width, UTC), so stored times compare as text. No mail or network
 * code here: the store only keeps what the other parts tell it.
 */

import type Database from 'better-sqlite3';
import type { Finding, Severity } from '../../checks/types.js';
import { addressOf } from '../../parsers/headers.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';
import type { CursorStore, Outbox, OutboxEntry, OutboxState } from '../mail/types.js';
import { type Db, type Migration, openDatabase, StoreError } from './db.js';

export { StoreError } from './db.js';

export interface StoreOptions {
  /** The state file; created (with its directory) when missing. ':memory:' for a throw-away store. */
  path: string;
  now: () => Date;
  /** For tests: apply only these migrations. */
  migrations?: readonly Migration[];
  busyTimeoutMs?: number;
  /**
   * For readers: the file must exist and be a state file at this schema version; it is opened
   * read-only and never created or migrated (a write throws).
   */
  readonly?: boolean;
}

export interface SeenMessage {
  messageId: string;
  source: string;
  info: unknown;
  seenAt: string;
  processedAt: string | null;
}

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

export interface RevisionRecord {
  id: number;
  seriesId: number;
  revision: number;
  coverMessageId: string | null;
  patchMessageIds: string[];
  state: RevisionState;
  stateDetail: string | null;
  baseCommit: string | null;
  changeId: string | null;
  receivedAt: string;
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

export type IgnoreScope =
  | { kind: 'series'; seriesId: number }
  | { kind: 'list'; listId: string }
  | { kind: 'global' };
export type MuteTarget = { kind: 'series'; seriesId: number } | { kind: 'list'; listId: string };

export interface IgnoreInput {
  scope: IgnoreScope;
  check: string;
  /** null: every subject of the check. */
  subject: string | null;
  /** Who asked (the address of the command's sender). */
  by: string;
  /** When the command was given; default: now. */
  at?: string;
}

export interface IgnoreRecord extends Required<IgnoreInput> {
  id: number;
}

export interface MuteRecord {
  target: MuteTarget;
  by: string;
  at: string;
}

/** The outbox entry with what `kapi-review outbox list` shows besides the contract's fields. */
export interface OutboxRow extends OutboxEntry {
  /** The To and Cc addresses, lower case. */
  recipients: string[];
  revisionId: number | null;
  createdAt: string;
  updatedAt: string;
  claimedAt: string | null;
  sentAt: string | null;
}

export type ReplyStatus = 'none' | 'pending' | 'sending' | 'sent' | 'failed';

export interface RawMessage {
  messageId: string;
  source: string;
  receivedAt: string;
  raw: Buffer;
}

export interface SeriesSummary {
  series: SeriesRecord;
  /** The highest revision, or null when none was recorded yet. */
  latest: RevisionRecord | null;
  revisions: number;
  /** Findings of the latest revision by severity. */
  findings: Record<Severity, number>;
  /** Outbox entries about the latest revision, by state. */
  replies: Record<OutboxState, number>;
  /** The worst of them: failed > sending > pending > sent; 'none' without entries. */
  replyStatus: ReplyStatus;
  /** Of the sent entries, those dry-run wrote to a file instead (sent info `dry-run: FILE`). */
  dryRun: number;
  muted: boolean;
}

/** listSeries' query: a page, a search, and filters on the list and the latest revision's state. */
export interface SeriesQuery {
  limit?: number;
  offset?: number;
  search?: string;
  /** Only series posted to this list (an address; `Name <addr>` works too). */
  list?: string;
  /** Only series whose latest revision is in this state. */
  state?: RevisionState;
}

/** Outbox entries about one revision by state, and how many of the sent ones were dry-run files. */
export type ReplyCounts = Record<OutboxState, number> & { dryRun: number };

/** What became of one check's findings (each counted once per series and fingerprint). */
export interface CheckFigures {
  check: string;
  /** Distinct findings: a fingerprint in a series, however many revisions reported it. */
  findings: number;
  /** Rows recorded: the same finding in v1, v2 and v3 counts three times. */
  reports: number;
  bySeverity: Record<Severity, number>;
  /** Gone from the series' latest reviewed revision (and not ignored). */
  fixed: number;
  /** Silenced by a maintainer's or author's ignore command (series, list or global). */
  ignored: number;
  /** Still in the series' latest reviewed revision. */
  open: number;
}

/** Findings reported per day (of the revision's arrival, UTC) and severity. */
export interface FindingsPerDay {
  day: string;
  severity: Severity;
  count: number;
}

/** A finding still present in the latest reviewed revision of its series, for spec coverage. */
export interface OpenFinding {
  spec: string;
  check: string;
  severity: Severity;
  seriesId: number;
  title: string;
  revision: number;
  count: number;
}

export interface SeriesPage {
  total: number;
  items: SeriesSummary[];
}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const REVISION_STATES: readonly RevisionState[] = ['complete', 'incomplete', 'corrupted'];

type Row = Record<string, unknown>;

function str(v: unknown): string {
  return v as string;
}
function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : (v as string);
}
function num(v: unknown): number {
  return Number(v);
}

function nonEmpty(what: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new StoreError(`${what} must be a non-empty string`);
  return v;
}

function isoTime(what: string, v: string): string {
  const d = typeof v === 'string' && v.trim() !== '' ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) throw new StoreError(`${what} is not a time: ${String(v)}`);
  return d.toISOString();
}

function toJson(what: string, v: unknown): string {
  try {
    const s = JSON.stringify(v);
    if (s === undefined) throw new Error('not representable');
    return s;
  } catch (e) {
    throw new StoreError(`${what} cannot be stored as JSON: ${(e as Error).message}`);
  }
}

function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function intArg(what: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new StoreError(`${what} must be an integer from ${min} to ${max}, not ${v}`);
  return v;
}

export class Store implements Outbox, CursorStore {
  readonly path: string;
  private readonly db: Db;
  private readonly now: () => Date;
  /** Prepared statements of the hot read paths (the dashboard's list reads a few per row). */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(db: Db, path: string, now: () => Date) {
    this.db = db;
    this.path = path;
    this.now = now;
  }

  private cached(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Opens the state file, creating and migrating it as needed, or only reading it (see db.ts). */
  static open(opts: StoreOptions): Store {
    const db = openDatabase(opts.path, {
      now: opts.now,
      ...(opts.migrations ? { migrations: opts.migrations } : {}),
      ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}),
      ...(opts.readonly ? { readonly: true } : {}),
    });
    return new Store(db, opts.path, opts.now);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  // ---- messages seen ------------------------------------------------------------------------

  /** Records a message as seen; returns false when it was seen before (the first record stays). */
  markSeen(messageId: string, source: string, info: unknown = null): boolean {
    nonEmpty('messageId', messageId);
    nonEmpty('source', source);
    const r = this.db
      .prepare(
        `INSERT INTO messages_seen (message_id, source, info, seen_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING`,
      )
      .run(messageId, source, info === null ? null : toJson('info', info), this.stamp());
    return r.changes === 1;
  }

  isSeen(messageId: string): boolean {
    return this.db.prepare('SELECT 1 FROM messages_seen WHERE message_id = ?').get(messageId) !== undefined;
  }

  seen(messageId: string): SeenMessage | null {
    const r = this.db.prepare('SELECT * FROM messages_seen WHERE message_id = ?').get(messageId) as
      | Row
      | undefined;
    return r ? this.seenRow(r) : null;
  }

  /**
   * Marks a seen message processed. A message that belongs to revisions (as cover letter or patch)
   * may be marked only once each of them is settled: its review recorded, or superseded, or
   * corrupted (recorded only). Otherwise a crash could lose its review.
   */
  markProcessed(messageId: string): void {
    const tx = this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT processed_at FROM messages_seen WHERE message_id = ?')
        .get(messageId) as Row | undefined;
      if (!row) throw new StoreError(`message ${messageId} was never marked seen`);
      if (row.processed_at !== null) return;
      const open = this.db
        .prepare(
          `SELECT s.lineage, r.revision FROM revisions r JOIN series s ON s.id = r.series_id
           WHERE r.reviewed_at IS NULL AND r.superseded_by IS NULL AND r.state <> 'corrupted'
             AND (r.cover_message_id = ?
                  OR r.id IN (SELECT revision_id FROM revision_patches WHERE message_id = ?))`,
        )
        .all(messageId, messageId) as Row[];
      if (open.length > 0) {
        const which = open.map((o) => `v${num(o.revision)} of ${str(o.lineage)}`).join(', ');
        throw new StoreError(`message ${messageId} is not processed yet: no review recorded for ${which}`);
      }
      this.db
        .prepare('UPDATE messages_seen SET processed_at = ? WHERE message_id = ?')
        .run(this.stamp(), messageId);
    });
    tx.immediate();
  }

  /** Seen messages not yet processed, oldest first. */
  unprocessed(): SeenMessage[] {
    const rows = this.db
      .prepare('SELECT * FROM messages_seen WHERE processed_at IS NULL ORDER BY seen_at, rowid')
      .all() as Row[];
    return rows.map((r) => this.seenRow(r));
  }

  private seenRow(r: Row): SeenMessage {
    return {
      messageId: str(r.message_id),
      source: str(r.source),
      info: r.info === null ? null : JSON.parse(str(r.info)),
      seenAt: str(r.seen_at),
      processedAt: strOrNull(r.processed_at),
    };
  }

  // ---- series and revisions -----------------------------------------------------------------

  /** Creates the series of this lineage or updates its title, author and list (kept when null). */
  upsertSeries(input: SeriesInput): SeriesRecord {
    nonEmpty('lineage', input.lineage);
    const t = this.stamp();
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

  getSeries(seriesId: number): SeriesRecord | null {
    const r = this.db.prepare('SELECT * FROM series WHERE id = ?').get(seriesId) as Row | undefined;
    return r ? seriesRow(r) : null;
  }

  seriesByLineage(lineage: string): SeriesRecord | null {
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
    const t = this.stamp();
    const received = input.receivedAt === undefined ? t : isoTime('receivedAt', input.receivedAt);
    const tx = this.db.transaction((): number => {
      if (!this.getSeries(seriesId)) throw new StoreError(`no series ${seriesId}`);
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
    return this.getRevision(tx.immediate()) as RevisionRecord;
  }

  getRevision(revisionId: number): RevisionRecord | null {
    const r = this.cached('SELECT * FROM revisions WHERE id = ?').get(revisionId) as Row | undefined;
    return r ? this.revisionRow(r) : null;
  }

  revisions(seriesId: number): RevisionRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM revisions WHERE series_id = ? ORDER BY revision')
      .all(seriesId) as Row[];
    return rows.map((r) => this.revisionRow(r));
  }

  /** The revision with the highest number, or null. */
  latestRevision(seriesId: number): RevisionRecord | null {
    const r = this.db
      .prepare('SELECT * FROM revisions WHERE series_id = ? ORDER BY revision DESC LIMIT 1')
      .get(seriesId) as Row | undefined;
    return r ? this.revisionRow(r) : null;
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
    return rows.map((r) => this.revisionRow(r));
  }

  /** Marks `oldRevisionId` superseded by `newRevisionId` (both of one series). */
  supersede(oldRevisionId: number, newRevisionId: number): void {
    if (oldRevisionId === newRevisionId)
      throw new StoreError(`revision ${oldRevisionId} cannot supersede itself`);
    const tx = this.db.transaction(() => {
      const a = this.getRevision(oldRevisionId);
      const b = this.getRevision(newRevisionId);
      if (!a) throw new StoreError(`no revision ${oldRevisionId}`);
      if (!b) throw new StoreError(`no revision ${newRevisionId}`);
      if (a.seriesId !== b.seriesId)
        throw new StoreError(`revisions ${oldRevisionId} and ${newRevisionId} belong to different series`);
      this.db
        .prepare('UPDATE revisions SET superseded_by = ?, updated_at = ? WHERE id = ?')
        .run(newRevisionId, this.stamp(), oldRevisionId);
    });
    tx.immediate();
  }

  private revisionRow(r: Row): RevisionRecord {
    const id = num(r.id);
    const patches = this.cached(
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

  // ---- follow-ups ---------------------------------------------------------------------------

  /** Records a reply in a revision's thread; returns false when it was recorded before. */
  addFollowUp(revisionId: number, messageId: string, from: string, commandText: string | null): boolean {
    nonEmpty('messageId', messageId);
    if (!this.getRevision(revisionId)) throw new StoreError(`no revision ${revisionId}`);
    const r = this.db
      .prepare(
        `INSERT INTO follow_ups (revision_id, message_id, from_addr, command_text, recorded_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (revision_id, message_id) DO NOTHING`,
      )
      .run(revisionId, messageId, from, commandText, this.stamp());
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

  // ---- findings and history -----------------------------------------------------------------

  /**
   * Records the whole review of a revision: its findings (each with the patch mail it is in, from
   * `finding.at.messageId`) replace any recorded before, and the revision is marked reviewed.
   * An empty list records a review that found nothing.
   */
  recordFindings(revisionId: number, findings: readonly Finding[]): void {
    const tx = this.db.transaction(() => {
      if (!this.getRevision(revisionId)) throw new StoreError(`no revision ${revisionId}`);
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
      const t = this.stamp();
      this.db
        .prepare('UPDATE revisions SET reviewed_at = ?, updated_at = ? WHERE id = ?')
        .run(t, t, revisionId);
    });
    tx.immediate();
  }

  /** The recorded findings of a revision, in the order recorded. */
  findings(revisionId: number): StoredFinding[] {
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
    for (const f of this.findings(current.id)) {
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
      for (const f of this.findings(prev.id)) {
        const fp = f.finding.fingerprint;
        if (byFp.has(fp) || seenFp.has(fp)) continue;
        seenFp.add(fp);
        fixed.push({ fingerprint: fp, since: runStart(last - 1, fp), finding: f });
      }
    }
    return { seriesId, revision, previous: prev?.revision ?? null, entries, fixed };
  }

  // ---- ignores and mutes --------------------------------------------------------------------

  /** Records an ignore command; returns false when the same ignore exists already. */
  addIgnore(input: IgnoreInput): boolean {
    nonEmpty('check', input.check);
    nonEmpty('by', input.by);
    const [scope, key] = scopeKey(input.scope);
    const subject = input.subject === '' ? null : input.subject;
    const at = input.at === undefined ? this.stamp() : isoTime('at', input.at);
    const r = this.db
      .prepare(
        `INSERT INTO ignores (scope, scope_key, check_id, subject, by_addr, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      )
      .run(scope, key, input.check, subject, input.by, at);
    return r.changes === 1;
  }

  /**
   * Whether a finding of `check` (about `subject`) in a series (posted to a list) is ignored: by
   * an ignore of the whole check or of that subject, for the series, the list, or everywhere.
   */
  isIgnored(q: {
    check: string;
    subject?: string | null;
    seriesId?: number | null;
    listId?: string | null;
  }): boolean {
    const r = this.db
      .prepare(
        `SELECT 1 FROM ignores WHERE check_id = ?
           AND (subject IS NULL OR subject = ?)
           AND (scope = 'global'
                OR (scope = 'series' AND scope_key = ?)
                OR (scope = 'list' AND scope_key = ?))
         LIMIT 1`,
      )
      .get(q.check, q.subject ?? null, q.seriesId == null ? null : String(q.seriesId), listKey(q.listId));
    return r !== undefined;
  }

  ignores(): IgnoreRecord[] {
    const rows = this.db.prepare('SELECT * FROM ignores ORDER BY at, id').all() as Row[];
    return rows.map((r) => ({
      id: num(r.id),
      scope: scopeOf(str(r.scope), str(r.scope_key)),
      check: str(r.check_id),
      subject: strOrNull(r.subject),
      by: str(r.by_addr),
      at: str(r.at),
    }));
  }

  /** Mutes a series or a list (the bot then stays silent there); returns false when muted already. */
  mute(target: MuteTarget, by: string, at?: string): boolean {
    nonEmpty('by', by);
    const [scope, key] = scopeKey(target);
    const r = this.db
      .prepare('INSERT INTO mutes (scope, scope_key, by_addr, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(scope, key, by, at === undefined ? this.stamp() : isoTime('at', at));
    return r.changes === 1;
  }

  unmute(target: MuteTarget): boolean {
    const [scope, key] = scopeKey(target);
    return (
      this.db.prepare('DELETE FROM mutes WHERE scope = ? AND scope_key = ?').run(scope, key).changes === 1
    );
  }

  /** Whether the series or the list is muted. */
  isMuted(q: { seriesId?: number | null; listId?: string | null }): boolean {
    const r = this.db
      .prepare(
        `SELECT 1 FROM mutes WHERE (scope = 'series' AND scope_key = ?) OR (scope = 'list' AND scope_key = ?) LIMIT 1`,
      )
      .get(q.seriesId == null ? null : String(q.seriesId), listKey(q.listId));
    return r !== undefined;
  }

  mutes(): MuteRecord[] {
    const rows = this.db.prepare('SELECT * FROM mutes ORDER BY at, scope, scope_key').all() as Row[];
    return rows.map((r) => ({
      target: scopeOf(str(r.scope), str(r.scope_key)) as MuteTarget,
      by: str(r.by_addr),
      at: str(r.at),
    }));
  }

  // ---- outbox (app/mail/types.ts Outbox) ----------------------------------------------------

  /**
   * Adds a mail unless one with the same key exists (then returns that one, unchanged). The entry
   * is linked to the revision whose patch or cover letter `mail.about.messageId` names, if any.
   */
  enqueue(mail: OutgoingMail): OutboxEntry {
    nonEmpty('mail.key', mail.key);
    const json = toJson('mail', mail);
    const tx = this.db.transaction((): OutboxEntry => {
      const existing = this.db.prepare('SELECT * FROM outbox WHERE key = ?').get(mail.key) as Row | undefined;
      if (existing) return outboxEntry(existing);
      const about = mail.about?.messageId ?? null;
      const rev = about
        ? (this.db
            .prepare(
              `SELECT id FROM revisions
               WHERE cover_message_id = ? OR id IN (SELECT revision_id FROM revision_patches WHERE message_id = ?)
               ORDER BY revision DESC LIMIT 1`,
            )
            .pluck()
            .get(about, about) as number | undefined)
        : undefined;
      const t = this.stamp();
      const r = this.db
        .prepare(
          `INSERT INTO outbox (key, mail, state, attempts, about_message_id, revision_id, created_at, updated_at)
           VALUES (?, ?, 'pending', 0, ?, ?, ?, ?) RETURNING *`,
        )
        .get(mail.key, json, about, rev ?? null, t, t) as Row;
      const ins = this.db.prepare(
        'INSERT OR IGNORE INTO outbox_recipients (outbox_id, address) VALUES (?, ?)',
      );
      for (const a of [...(mail.to ?? []), ...(mail.cc ?? [])]) {
        const addr = addressOf(a);
        if (addr) ins.run(r.id, addr);
      }
      return outboxEntry(r);
    });
    return tx.immediate();
  }

  /**
   * Moves up to `limit` pending entries, oldest first, to 'sending' and returns them. Atomic
   * across connections and processes: the select and the update share one write transaction, so
   * two claimers never get the same entry. Entries left in 'sending' by a crash are not claimed
   * again: see `stuck`.
   */
  claim(limit: number): OutboxEntry[] {
    intArg('limit', limit, 0, 100_000);
    const tx = this.db.transaction((): OutboxEntry[] => {
      const ids = this.db
        .prepare("SELECT id FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?")
        .pluck()
        .all(limit) as number[];
      const t = this.stamp();
      const upd = this.db.prepare(
        `UPDATE outbox SET state = 'sending', claimed_at = ?, updated_at = ?
         WHERE id = ? AND state = 'pending' RETURNING *`,
      );
      const out: OutboxEntry[] = [];
      for (const id of ids) {
        const r = upd.get(t, t, id) as Row | undefined;
        if (r) out.push(outboxEntry(r));
      }
      return out;
    });
    return tx.immediate();
  }

  /** Records a claimed entry as sent. Marking a sent entry again changes nothing. */
  markSent(id: number, info: string): void {
    this.transition(id, ['sending'], 'sent', (t) => ({ sent_info: info, sent_at: t }), 'sent');
  }

  /** Counts a failed attempt and keeps the error: back to 'pending' when `retry`, else 'failed'. */
  markFailed(id: number, error: string, retry: boolean): void {
    this.transition(
      id,
      ['sending'],
      retry ? 'pending' : 'failed',
      () => ({ last_error: error }),
      undefined,
      true,
    );
  }

  /** Entries in 'sending': after a crash, the ones whose fate the sender must settle. */
  stuck(): OutboxEntry[] {
    const rows = this.db.prepare("SELECT * FROM outbox WHERE state = 'sending' ORDER BY id").all() as Row[];
    return rows.map(outboxEntry);
  }

  /** 'sending' back to 'pending', without counting an attempt. A pending entry stays as it is. */
  requeue(id: number): void {
    this.transition(id, ['sending'], 'pending', () => ({}), 'pending');
  }

  /** For the operator: a failed entry back to 'pending' (its attempts and last error kept). */
  retryFailed(id: number): void {
    this.transition(id, ['failed'], 'pending', () => ({}), 'pending');
  }

  /**
   * Mails sent at or after `isoTime`; with `list`, only those with the list's address (bare, or
   * as `Name <address>`) among their To or Cc addresses, compared without case.
   */
  sentSince(isoTime_: string, list?: string): number {
    const since = isoTime('sentSince time', isoTime_);
    if (list === undefined)
      return num(
        this.db
          .prepare("SELECT count(*) FROM outbox WHERE state = 'sent' AND sent_at >= ?")
          .pluck()
          .get(since),
      );
    const addr = addressOf(list);
    if (!addr) throw new StoreError(`sentSince: no address in list ${JSON.stringify(list)}`);
    return num(
      this.db
        .prepare(
          `SELECT count(*) FROM outbox o JOIN outbox_recipients r ON r.outbox_id = o.id
           WHERE r.address = ? AND o.state = 'sent' AND o.sent_at >= ?`,
        )
        .pluck()
        .get(addr, since),
    );
  }

  /** The outbox entry whose mail has this Message-ID (without brackets): is a message one of ours? */
  outboxByMessageId(messageId: string): OutboxEntry | null {
    const r = this.db
      .prepare("SELECT * FROM outbox WHERE json_extract(mail, '$.messageId') = ? ORDER BY id LIMIT 1")
      .get(messageId) as Row | undefined;
    return r ? outboxEntry(r) : null;
  }

  getOutboxEntry(id: number): OutboxEntry | null {
    const r = this.db.prepare('SELECT * FROM outbox WHERE id = ?').get(id) as Row | undefined;
    return r ? outboxEntry(r) : null;
  }

  /** Outbox entries with their times and list, oldest first, for `kapi-review outbox list`. */
  outboxList(q: { state?: OutboxState; limit?: number; offset?: number } = {}): OutboxRow[] {
    const limit = intArg('limit', q.limit ?? 100, 1, 10_000);
    const offset = intArg('offset', q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const rows = (
      q.state === undefined
        ? this.db.prepare('SELECT * FROM outbox ORDER BY id LIMIT ? OFFSET ?').all(limit, offset)
        : this.db
            .prepare('SELECT * FROM outbox WHERE state = ? ORDER BY id LIMIT ? OFFSET ?')
            .all(q.state, limit, offset)
    ) as Row[];
    return rows.map((r) => ({
      ...outboxEntry(r),
      recipients: this.db
        .prepare('SELECT address FROM outbox_recipients WHERE outbox_id = ? ORDER BY address')
        .pluck()
        .all(r.id) as string[],
      revisionId: r.revision_id === null ? null : num(r.revision_id),
      createdAt: str(r.created_at),
      updatedAt: str(r.updated_at),
      claimedAt: strOrNull(r.claimed_at),
      sentAt: strOrNull(r.sent_at),
    }));
  }

  private transition(
    id: number,
    from: readonly OutboxState[],
    to: OutboxState,
    set: (t: string) => Record<string, string | null>,
    noopIn?: OutboxState,
    countAttempt = false,
  ): void {
    const tx = this.db.transaction(() => {
      const r = this.db.prepare('SELECT state FROM outbox WHERE id = ?').get(id) as Row | undefined;
      if (!r) throw new StoreError(`no outbox entry ${id}`);
      const state = str(r.state) as OutboxState;
      if (state === noopIn) return;
      if (!from.includes(state))
        throw new StoreError(
          `outbox entry ${id} is ${state}; it cannot become ${to} (only from ${from.join(' or ')})`,
        );
      const t = this.stamp();
      const fields = set(t);
      // the column names come from this file only; the values are parameters
      const cols = Object.keys(fields);
      const attempts = countAttempt ? ', attempts = attempts + 1' : '';
      const sql = `UPDATE outbox SET state = ?, updated_at = ?${attempts}${cols.map((c) => `, ${c} = ?`).join('')} WHERE id = ?`;
      this.db.prepare(sql).run(to, t, ...cols.map((c) => fields[c] ?? null), id);
    });
    tx.immediate();
  }

  // ---- cursors (app/mail/types.ts CursorStore) ----------------------------------------------

  get(source: string): string | null {
    const r = this.db.prepare('SELECT value FROM cursors WHERE source = ?').pluck().get(source);
    return r === undefined ? null : str(r);
  }

  set(source: string, value: string): void {
    nonEmpty('cursor source', source);
    if (typeof value !== 'string') throw new StoreError(`cursor ${source}: the value must be a string`);
    this.db
      .prepare(
        `INSERT INTO cursors (source, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(source, value, this.stamp());
  }

  // ---- raw mail ----------------------------------------------------------------------------

  /**
   * Keeps the bytes of a received message (by Message-ID), so a series that waits for its missing
   * patches survives a restart. Returns false when the message was kept before (the first copy
   * stays). `receivedAt` defaults to now.
   */
  saveRaw(messageId: string, source: string, raw: Uint8Array, receivedAt?: string): boolean {
    nonEmpty('messageId', messageId);
    nonEmpty('source', source);
    if (!(raw instanceof Uint8Array)) throw new StoreError(`raw message ${messageId} must be bytes`);
    const at = receivedAt === undefined ? this.stamp() : isoTime('receivedAt', receivedAt);
    const r = this.db
      .prepare(
        `INSERT INTO raw_messages (message_id, source, received_at, raw) VALUES (?, ?, ?, ?)
         ON CONFLICT (message_id) DO NOTHING`,
      )
      .run(messageId, source, at, Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
    return r.changes === 1;
  }

  getRaw(messageId: string): RawMessage | null {
    const r = this.db.prepare('SELECT * FROM raw_messages WHERE message_id = ?').get(messageId) as
      | Row
      | undefined;
    return r ? rawRow(r) : null;
  }

  /** Raw messages received at or after the ISO time, oldest first. */
  rawSince(isoTime_: string): RawMessage[] {
    const rows = this.db
      .prepare('SELECT * FROM raw_messages WHERE received_at >= ? ORDER BY received_at, message_id')
      .all(isoTime('since', isoTime_)) as Row[];
    return rows.map(rawRow);
  }

  /**
   * Raw messages not yet marked processed (messages_seen.processed_at unset, or never marked
   * seen), oldest first: the mail the bot still has to settle.
   */
  rawUnprocessed(): RawMessage[] {
    const rows = this.db
      .prepare(
        `SELECT r.* FROM raw_messages r LEFT JOIN messages_seen m ON m.message_id = r.message_id
         WHERE m.processed_at IS NULL ORDER BY r.received_at, r.message_id`,
      )
      .all() as Row[];
    return rows.map(rawRow);
  }

  // ---- the dashboard's read API -------------------------------------------------------------

  /**
   * Series, most recently active first, with their latest revision, its findings by severity and
   * the state of the replies about it. `search` matches title, author, lineage or list (substring,
   * ASCII case-insensitive).
   */
  listSeries(q: SeriesQuery = {}): SeriesPage {
    const limit = intArg('limit', q.limit ?? 50, 1, 1000);
    const offset = intArg('offset', q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const search = q.search?.trim() ? likePattern(q.search.trim()) : null;
    if (q.state !== undefined && !REVISION_STATES.includes(q.state))
      throw new StoreError(`unknown revision state ${String(q.state)}`);
    const list = q.list === undefined ? null : listKey(q.list);
    const conds: string[] = [];
    const params: Record<string, string> = {};
    if (search) {
      conds.push(`(s.title LIKE :search ESCAPE '\\' OR s.author LIKE :search ESCAPE '\\'
           OR s.lineage LIKE :search ESCAPE '\\' OR s.list_id LIKE :search ESCAPE '\\')`);
      params.search = search;
    }
    if (q.list !== undefined) {
      conds.push('s.list_id = :list');
      params.list = list ?? '';
    }
    if (q.state !== undefined) {
      conds.push(
        '(SELECT r.state FROM revisions r WHERE r.series_id = s.id ORDER BY r.revision DESC LIMIT 1) = :state',
      );
      params.state = q.state;
    }
    const where = conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '';
    const countSql = this.db.prepare(`SELECT count(*) FROM series s ${where}`).pluck();
    const total = num(conds.length > 0 ? countSql.get(params) : countSql.get());
    const rows = this.db
      .prepare(
        `SELECT s.*,
           (SELECT r.id FROM revisions r WHERE r.series_id = s.id ORDER BY r.revision DESC LIMIT 1) AS latest_id,
           (SELECT count(*) FROM revisions r WHERE r.series_id = s.id) AS revision_count,
           EXISTS (SELECT 1 FROM mutes m WHERE (m.scope = 'series' AND m.scope_key = CAST(s.id AS TEXT))
                                            OR (m.scope = 'list' AND m.scope_key = s.list_id)) AS muted
         FROM series s ${where}
         ORDER BY s.updated_at DESC, s.id DESC LIMIT :limit OFFSET :offset`,
      )
      .all({ ...params, limit, offset }) as Row[];
    const bySeverity = this.cached(
      'SELECT severity, count(*) AS n FROM findings WHERE revision_id = ? GROUP BY severity',
    );
    const items = rows.map((r): SeriesSummary => {
      const latest = r.latest_id === null ? null : this.getRevision(num(r.latest_id));
      const findings: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
      const replies: Record<OutboxState, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
      let dryRun = 0;
      if (latest) {
        for (const c of bySeverity.all(latest.id) as Row[]) findings[str(c.severity) as Severity] = num(c.n);
        const { dryRun: d, ...byState } = this.replyCounts(latest.id);
        Object.assign(replies, byState);
        dryRun = d;
      }
      const replyStatus: ReplyStatus =
        replies.failed > 0
          ? 'failed'
          : replies.sending > 0
            ? 'sending'
            : replies.pending > 0
              ? 'pending'
              : replies.sent > 0
                ? 'sent'
                : 'none';
      return {
        series: seriesRow(r),
        latest,
        revisions: num(r.revision_count),
        findings,
        replies,
        replyStatus,
        dryRun,
        muted: num(r.muted) === 1,
      };
    });
    return { total, items };
  }

  /** The outbox entries about a revision by state; `dryRun`: sent ones that were dry-run files. */
  replyCounts(revisionId: number): ReplyCounts {
    const out: ReplyCounts = { pending: 0, sending: 0, sent: 0, failed: 0, dryRun: 0 };
    const rows = this.cached(
      `SELECT state, count(*) AS n, sum(state = 'sent' AND sent_info LIKE 'dry-run:%') AS dry
         FROM outbox WHERE revision_id = ? GROUP BY state`,
    ).all(revisionId) as Row[];
    for (const c of rows) {
      out[str(c.state) as OutboxState] = num(c.n);
      out.dryRun += num(c.dry ?? 0);
    }
    return out;
  }

  /** The lists series were posted to (null: none known), with how many series each. */
  seriesLists(): { listId: string | null; series: number }[] {
    const rows = this.db
      .prepare('SELECT list_id, count(*) AS n FROM series GROUP BY list_id ORDER BY list_id IS NULL, list_id')
      .all() as Row[];
    return rows.map((r) => ({ listId: strOrNull(r.list_id), series: num(r.n) }));
  }

  /**
   * Per check: how often it fired and what became of each finding (a fingerprint in a series):
   * ignored by a command, fixed (absent from the series' latest reviewed revision), or still open
   * there. Only reviewed revisions count. Checks that never fired are not listed.
   */
  checkFigures(): CheckFigures[] {
    const rows = this.db
      .prepare(
        `WITH latest AS (
           SELECT series_id, max(revision) AS revision FROM revisions WHERE reviewed_at IS NOT NULL
           GROUP BY series_id)
         SELECT r.series_id, s.list_id, f.check_id, f.fingerprint, max(f.subject) AS subject,
           max(CASE f.severity WHEN 'error' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END) AS sev,
           count(*) AS reports, max(r.revision) = l.revision AS open
         FROM findings f JOIN revisions r ON r.id = f.revision_id JOIN series s ON s.id = r.series_id
           JOIN latest l ON l.series_id = r.series_id
         WHERE r.reviewed_at IS NOT NULL
         GROUP BY r.series_id, f.check_id, f.fingerprint`,
      )
      .all() as Row[];
    const ignores = this.ignores();
    const ignored = (check: string, subject: string | null, seriesId: number, listId: string | null) =>
      ignores.some(
        (i) =>
          i.check === check &&
          (i.subject === null || i.subject === subject) &&
          (i.scope.kind === 'global' ||
            (i.scope.kind === 'series' && i.scope.seriesId === seriesId) ||
            (i.scope.kind === 'list' && i.scope.listId === listId)),
      );
    const byCheck = new Map<string, CheckFigures>();
    const severityOf: Record<number, Severity> = { 3: 'error', 2: 'warning', 1: 'info' };
    for (const r of rows) {
      const check = str(r.check_id);
      let c = byCheck.get(check);
      if (!c) {
        c = {
          check,
          findings: 0,
          reports: 0,
          bySeverity: { error: 0, warning: 0, info: 0 },
          fixed: 0,
          ignored: 0,
          open: 0,
        };
        byCheck.set(check, c);
      }
      c.findings++;
      c.reports += num(r.reports);
      c.bySeverity[severityOf[num(r.sev)] ?? 'info']++;
      if (num(r.open) === 1) c.open++;
      else if (ignored(check, strOrNull(r.subject), num(r.series_id), strOrNull(r.list_id))) c.ignored++;
      else c.fixed++;
    }
    return [...byCheck.values()].sort((a, b) => b.findings - a.findings || a.check.localeCompare(b.check));
  }

  /** Findings of reviewed revisions per day of the revision's arrival (UTC) and severity, oldest first. */
  findingsPerDay(): FindingsPerDay[] {
    const rows = this.db
      .prepare(
        `SELECT substr(r.received_at, 1, 10) AS day, f.severity, count(*) AS n
         FROM findings f JOIN revisions r ON r.id = f.revision_id
         WHERE r.reviewed_at IS NOT NULL GROUP BY day, f.severity ORDER BY day, f.severity`,
      )
      .all() as Row[];
    return rows.map((r) => ({ day: str(r.day), severity: str(r.severity) as Severity, count: num(r.n) }));
  }

  /**
   * Findings about a spec still present in the latest reviewed revision of their series, grouped by
   * spec, series and check: the drift still open.
   */
  openFindingsBySpec(): OpenFinding[] {
    const rows = this.db
      .prepare(
        `WITH latest AS (
           SELECT series_id, max(revision) AS revision FROM revisions WHERE reviewed_at IS NOT NULL
           GROUP BY series_id)
         SELECT f.spec, f.check_id, min(CASE f.severity WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END) AS sev,
           r.series_id, s.title, r.revision, count(*) AS n
         FROM latest l JOIN revisions r ON r.series_id = l.series_id AND r.revision = l.revision
           JOIN findings f ON f.revision_id = r.id JOIN series s ON s.id = r.series_id
         WHERE f.spec IS NOT NULL
         GROUP BY f.spec, r.series_id, f.check_id
         ORDER BY f.spec, r.series_id, f.check_id`,
      )
      .all() as Row[];
    const sev: Record<number, Severity> = { 1: 'error', 2: 'warning', 3: 'info' };
    return rows.map((r) => ({
      spec: str(r.spec),
      check: str(r.check_id),
      severity: sev[num(r.sev)] ?? 'info',
      seriesId: num(r.series_id),
      title: str(r.title),
      revision: num(r.revision),
      count: num(r.n),
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
    return rows.map((r) => this.revisionRow(r));
  }
}

function seriesRow(r: Row): SeriesRecord {
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

function findingRow(r: Row): StoredFinding {
  return {
    id: num(r.id),
    revisionId: num(r.revision_id),
    patchMessageId: strOrNull(r.patch_message_id),
    finding: JSON.parse(str(r.json)) as Finding,
  };
}

function outboxEntry(r: Row): OutboxEntry {
  return {
    id: num(r.id),
    mail: JSON.parse(str(r.mail)) as OutgoingMail,
    state: str(r.state) as OutboxState,
    attempts: num(r.attempts),
    lastError: strOrNull(r.last_error),
    sentInfo: strOrNull(r.sent_info),
  };
}

function rawRow(r: Row): RawMessage {
  return {
    messageId: str(r.message_id),
    source: str(r.source),
    receivedAt: str(r.received_at),
    raw: r.raw as Buffer,
  };
}

/** Lists are known by their address: `Name <addr>` and `ADDR` both become `addr`. */
function listKey(s: string | null | undefined): string | null {
  return s == null ? null : addressOf(s) || null;
}

function scopeKey(s: IgnoreScope): [string, string] {
  switch (s.kind) {
    case 'series':
      intArg('seriesId', s.seriesId, 1, Number.MAX_SAFE_INTEGER);
      return ['series', String(s.seriesId)];
    case 'list': {
      const key = listKey(s.listId);
      if (!key) throw new StoreError('listId must name a list');
      return ['list', key];
    }
    case 'global':
      return ['global', ''];
    default:
      throw new StoreError(`unknown scope ${JSON.stringify(s)}`);
  }
}

function scopeOf(scope: string, key: string): IgnoreScope {
  if (scope === 'series') return { kind: 'series', seriesId: Number(key) };
  if (scope === 'list') return { kind: 'list', listId: key };
  return { kind: 'global' };
}
