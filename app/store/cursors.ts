/**
 * The cursors aggregate (app/mail/types.ts CursorStore): where each source (a lore feed, an IMAP
 * folder, a digest's period) left off, so a restart resumes there.
 */
import type { CursorStore } from '../mail/types.js';
import { StoreError } from './db.js';
import { Aggregate, nonEmpty, str } from './sql.js';

export class CursorsRepo extends Aggregate implements CursorStore {
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
      .run(source, value, this.now().toISOString());
  }
}
