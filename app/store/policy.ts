/**
 * The policy aggregate: what maintainers and authors said by mail command. Ignores silence a check
 * (or one subject of it) for a series, a list or everywhere; mutes keep the bot quiet on a series
 * or a whole list.
 */
import { StoreError } from './db.js';
import { Aggregate, intArg, isoTime, listKey, nonEmpty, num, type Row, str, strOrNull } from './sql.js';

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

export class PolicyRepo extends Aggregate {
  /** Records an ignore command; returns false when the same ignore exists already. */
  addIgnore(input: IgnoreInput): boolean {
    nonEmpty('check', input.check);
    nonEmpty('by', input.by);
    const [scope, key] = scopeKey(input.scope);
    const subject = input.subject === '' ? null : input.subject;
    const at = input.at === undefined ? this.now().toISOString() : isoTime('at', input.at);
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
      .run(scope, key, by, at === undefined ? this.now().toISOString() : isoTime('at', at));
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
