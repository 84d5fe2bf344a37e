/**
 * The bot's state over one SQLite file (see db.ts), by aggregate, each over the one connection:
 *
 * - `messages`: messages seen and processed, and raw mail kept until its series is settled;
 * - `series`: series, their revisions and the follow-ups in their threads;
 * - `findings`: the recorded review of each revision and each fingerprint's history;
 * - `policy`: ignores and mutes from mail commands;
 * - `outbox`: the replies to send (app/mail/types.ts Outbox);
 * - `cursors`: where each source left off (app/mail/types.ts CursorStore);
 * - `patchwork`: the checks owed to a patchwork instance, and what became of each.
 *
 * Synchronous (better-sqlite3). Every timestamp comes from the injected clock, as an ISO string
 * from `Date.toISOString()` (fixed width, UTC), so stored times compare as text. No mail or network
 * code here: the store only keeps what the other parts tell it.
 */

import { CursorsRepo } from './cursors.js';
import { type Db, type Migration, openDatabase } from './db.js';
import { FindingsRepo } from './findings.js';
import { MessagesRepo } from './messages.js';
import { OutboxRepo } from './outbox.js';
import { PatchworkRepo } from './patchwork.js';
import { PolicyRepo } from './policy.js';
import { SeriesRepo } from './series.js';

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

export class Store {
  readonly path: string;
  /** The one connection, for read models over the same database (app/dashboard/queries.ts). */
  readonly db: Db;
  readonly messages: MessagesRepo;
  readonly series: SeriesRepo;
  readonly findings: FindingsRepo;
  readonly policy: PolicyRepo;
  readonly outbox: OutboxRepo;
  readonly cursors: CursorsRepo;
  readonly patchwork: PatchworkRepo;

  private constructor(db: Db, path: string, now: () => Date) {
    this.db = db;
    this.path = path;
    this.messages = new MessagesRepo(db, now);
    this.series = new SeriesRepo(db, now);
    this.findings = new FindingsRepo(db, now);
    this.policy = new PolicyRepo(db, now);
    this.outbox = new OutboxRepo(db, now);
    this.cursors = new CursorsRepo(db, now);
    this.patchwork = new PatchworkRepo(db, now);
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
}
