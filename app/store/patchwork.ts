/**
 * The patchwork aggregate: the checks the bot owes a patchwork instance, one per patch mail,
 * revision and context on one instance (its URL and project), and what became of each.
 *
 * A check is queued when its revision's review is recorded (`queue`; queuing it again changes
 * nothing), then moves from 'pending' to 'posted' (patchwork has it, whether this bot's POST made
 * it or an identical one was already there), 'rejected' (patchwork answered 4xx: not retried),
 * 'unmatched' (patchwork never had the patch, or had several) or 'failed' (transient failures
 * until the caller gave up). A pending check counts its attempts and keeps the last error.
 */
import type { PatchworkState } from '../../reporters/patchwork.js';
import { StoreError } from './db.js';
import { Aggregate, intArg, nonEmpty, num, type Row, str, strOrNull } from './sql.js';

export type PatchworkStatus = 'pending' | 'posted' | 'rejected' | 'unmatched' | 'failed';

/** Where no further attempt is made. */
export type PatchworkFinal = Exclude<PatchworkStatus, 'pending' | 'posted'>;

const STATES: readonly PatchworkState[] = ['success', 'warning', 'fail'];

/** A check to post, as the bot plans it. */
export interface PatchworkCheckInput {
  /** The instance and project: the same patch on another instance is another check. */
  instance: string;
  revisionId: number;
  patchMessageId: string;
  context: string;
  state: PatchworkState;
  description: string;
  targetUrl: string | null;
}

export interface PatchworkCheckRow extends PatchworkCheckInput {
  id: number;
  status: PatchworkStatus;
  attempts: number;
  lastError: string | null;
  /** patchwork's id of the patch, once found. */
  patchId: number | null;
  /** The check's URL on patchwork, once posted. */
  checkUrl: string | null;
  createdAt: string;
  updatedAt: string;
  postedAt: string | null;
}

export class PatchworkRepo extends Aggregate {
  /**
   * Queues checks; one that is already queued (same instance, patch, revision and context) is
   * left as it is, whatever became of it. Returns how many were new.
   */
  queue(checks: readonly PatchworkCheckInput[]): number {
    const ins = this.db.prepare(
      `INSERT OR IGNORE INTO patchwork_checks (instance, revision_id, patch_message_id, context, state,
         description, target_url, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    );
    const tx = this.db.transaction((): number => {
      const t = this.now().toISOString();
      let added = 0;
      checks.forEach((c, i) => {
        nonEmpty(`checks[${i}].instance`, c.instance);
        nonEmpty(`checks[${i}].patchMessageId`, c.patchMessageId);
        nonEmpty(`checks[${i}].context`, c.context);
        if (!STATES.includes(c.state))
          throw new StoreError(`checks[${i}] has unknown state ${String(c.state)}`);
        if (this.db.prepare('SELECT 1 FROM revisions WHERE id = ?').get(c.revisionId) === undefined)
          throw new StoreError(`no revision ${c.revisionId}`);
        const r = ins.run(
          c.instance,
          c.revisionId,
          c.patchMessageId,
          c.context,
          c.state,
          c.description,
          c.targetUrl,
          t,
          t,
        );
        added += r.changes;
      });
      return added;
    });
    return tx.immediate();
  }

  /** The pending checks of an instance, oldest first. */
  pending(instance: string, limit = 1000): PatchworkCheckRow[] {
    intArg('limit', limit, 0, 100_000);
    const rows = this.db
      .prepare("SELECT * FROM patchwork_checks WHERE instance = ? AND status = 'pending' ORDER BY id LIMIT ?")
      .all(instance, limit) as Row[];
    return rows.map(checkRow);
  }

  /** Every check, oldest first; of one revision when `revisionId` is given. */
  list(filter: { revisionId?: number; status?: PatchworkStatus } = {}): PatchworkCheckRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM patchwork_checks
         WHERE (? IS NULL OR revision_id = ?) AND (? IS NULL OR status = ?) ORDER BY id`,
      )
      .all(
        filter.revisionId ?? null,
        filter.revisionId ?? null,
        filter.status ?? null,
        filter.status ?? null,
      ) as Row[];
    return rows.map(checkRow);
  }

  /** patchwork has the check (`checkUrl` where it said). Only a pending check moves. */
  markPosted(id: number, patchId: number, checkUrl: string | null): void {
    const t = this.now().toISOString();
    this.move(
      id,
      `UPDATE patchwork_checks SET status = 'posted', patch_id = ?, check_url = ?, attempts = attempts + 1,
         last_error = NULL, posted_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
      [patchId, checkUrl, t, t, id],
    );
  }

  /** An attempt that did not post: counted, the error kept, the check still pending. */
  markAttempt(id: number, error: string): void {
    this.move(
      id,
      `UPDATE patchwork_checks SET attempts = attempts + 1, last_error = ?, updated_at = ?
       WHERE id = ? AND status = 'pending'`,
      [error, this.now().toISOString(), id],
    );
  }

  /** No further attempt: rejected by patchwork, never matched to a patch, or given up. */
  close(id: number, status: PatchworkFinal, error: string): void {
    if (!['rejected', 'unmatched', 'failed'].includes(status))
      throw new StoreError(`a check cannot be closed as ${String(status)}`);
    this.move(
      id,
      `UPDATE patchwork_checks SET status = ?, attempts = attempts + 1, last_error = ?, updated_at = ?
       WHERE id = ? AND status = 'pending'`,
      [status, error, this.now().toISOString(), id],
    );
  }

  private move(id: number, sql: string, args: unknown[]): void {
    const r = this.db.prepare(sql).run(...args);
    if (r.changes === 1) return;
    const row = this.db.prepare('SELECT status FROM patchwork_checks WHERE id = ?').pluck().get(id);
    throw new StoreError(
      row === undefined ? `no patchwork check ${id}` : `patchwork check ${id} is ${str(row)}, not pending`,
    );
  }
}

function checkRow(r: Row): PatchworkCheckRow {
  return {
    id: num(r.id),
    instance: str(r.instance),
    revisionId: num(r.revision_id),
    patchMessageId: str(r.patch_message_id),
    context: str(r.context),
    state: str(r.state) as PatchworkState,
    description: str(r.description),
    targetUrl: strOrNull(r.target_url),
    status: str(r.status) as PatchworkStatus,
    attempts: num(r.attempts),
    lastError: strOrNull(r.last_error),
    patchId: r.patch_id === null ? null : num(r.patch_id),
    checkUrl: strOrNull(r.check_url),
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
    postedAt: strOrNull(r.posted_at),
  };
}
