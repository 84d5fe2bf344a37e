/**
 * The bot's state file: one SQLite database (better-sqlite3, synchronous), in WAL mode, with its
 * schema built by versioned migrations kept here in code.
 *
 * - The schema version is `PRAGMA user_version`; each applied step is also logged in
 *   `schema_migrations` (version, name, applied_at) for the operator.
 * - Each migration runs in its own IMMEDIATE transaction that also bumps the version, so a crash or
 *   a failing step leaves the file at the previous version, never half-migrated; a second process
 *   opening the same file at the same time waits and then sees the work done.
 * - Opening an older file migrates it; a file newer than this code knows is refused with a clear
 *   error (no guessing at a schema we do not know); a file that is some other program's database is
 *   refused too (`PRAGMA application_id`).
 * - The parent directory of the path is created when missing.
 * - Readers (the dashboard, the summary, the GitHub App's dashboard) open it `readonly`: the file
 *   must exist and be a kapi-review state file at this code's schema version; nothing is created,
 *   migrated or written.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export class StoreError extends Error {
  override name = 'StoreError';
}

export interface Migration {
  /** 1, 2, 3, ... in order, without gaps. */
  version: number;
  name: string;
  /** SQL statements run with `exec`, inside the migration's transaction. */
  sql: string;
}

/** 'KAPI' as a 32-bit integer: marks the file as kapi-review's in the SQLite header. */
export const APPLICATION_ID = 0x4b415049;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'messages, series, revisions, follow-ups, findings',
    sql: `
      CREATE TABLE messages_seen (
        message_id   TEXT PRIMARY KEY,
        source       TEXT NOT NULL,
        info         TEXT,
        seen_at      TEXT NOT NULL,
        processed_at TEXT
      );
      CREATE INDEX messages_unprocessed ON messages_seen (seen_at) WHERE processed_at IS NULL;

      CREATE TABLE series (
        id         INTEGER PRIMARY KEY,
        lineage    TEXT NOT NULL UNIQUE,
        title      TEXT NOT NULL,
        author     TEXT,
        list_id    TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX series_updated ON series (updated_at, id);
      CREATE INDEX series_list ON series (list_id);

      CREATE TABLE revisions (
        id               INTEGER PRIMARY KEY,
        series_id        INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE,
        revision         INTEGER NOT NULL CHECK (revision >= 1),
        cover_message_id TEXT,
        state            TEXT NOT NULL CHECK (state IN ('complete', 'incomplete', 'corrupted')),
        state_detail     TEXT,
        base_commit      TEXT,
        change_id        TEXT,
        received_at      TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        superseded_by    INTEGER REFERENCES revisions (id),
        reviewed_at      TEXT,
        UNIQUE (series_id, revision)
      );
      CREATE INDEX revisions_cover ON revisions (cover_message_id) WHERE cover_message_id IS NOT NULL;

      CREATE TABLE revision_patches (
        revision_id INTEGER NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        message_id  TEXT NOT NULL,
        PRIMARY KEY (revision_id, position)
      );
      CREATE INDEX revision_patches_message ON revision_patches (message_id);

      CREATE TABLE follow_ups (
        id           INTEGER PRIMARY KEY,
        revision_id  INTEGER NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
        message_id   TEXT NOT NULL,
        from_addr    TEXT NOT NULL,
        command_text TEXT,
        recorded_at  TEXT NOT NULL,
        UNIQUE (revision_id, message_id)
      );
      CREATE INDEX follow_ups_message ON follow_ups (message_id);

      CREATE TABLE findings (
        id               INTEGER PRIMARY KEY,
        revision_id      INTEGER NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
        patch_message_id TEXT,
        fingerprint      TEXT NOT NULL,
        check_id         TEXT NOT NULL,
        severity         TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
        spec             TEXT,
        subject          TEXT,
        path             TEXT NOT NULL,
        line             INTEGER NOT NULL,
        json             TEXT NOT NULL
      );
      CREATE INDEX findings_revision ON findings (revision_id, severity);
      CREATE INDEX findings_fingerprint ON findings (fingerprint, revision_id);
      CREATE INDEX findings_check ON findings (check_id);
      CREATE INDEX findings_spec ON findings (spec);
      CREATE INDEX findings_path ON findings (path, line);
      CREATE INDEX findings_patch ON findings (patch_message_id);
    `,
  },
  {
    version: 2,
    name: 'outbox and source cursors',
    sql: `
      CREATE TABLE outbox (
        id               INTEGER PRIMARY KEY,
        key              TEXT NOT NULL UNIQUE,
        mail             TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_error       TEXT,
        sent_info        TEXT,
        about_message_id TEXT,
        revision_id      INTEGER REFERENCES revisions (id) ON DELETE SET NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        claimed_at       TEXT,
        sent_at          TEXT
      );
      CREATE INDEX outbox_state ON outbox (state, id);
      CREATE INDEX outbox_sent ON outbox (sent_at) WHERE state = 'sent';
      CREATE INDEX outbox_revision ON outbox (revision_id, state);
      CREATE INDEX outbox_about ON outbox (about_message_id);

      -- the To and Cc addresses of each mail, lower case, for the per-list daily caps
      CREATE TABLE outbox_recipients (
        outbox_id INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
        address   TEXT NOT NULL,
        PRIMARY KEY (outbox_id, address)
      );
      CREATE INDEX outbox_recipients_address ON outbox_recipients (address, outbox_id);

      CREATE TABLE cursors (
        source     TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'ignores and mutes from mail commands',
    sql: `
      CREATE TABLE ignores (
        id        INTEGER PRIMARY KEY,
        scope     TEXT NOT NULL CHECK (scope IN ('series', 'list', 'global')),
        scope_key TEXT NOT NULL,
        check_id  TEXT NOT NULL,
        subject   TEXT,
        by_addr   TEXT NOT NULL,
        at        TEXT NOT NULL
      );
      CREATE UNIQUE INDEX ignores_unique ON ignores (scope, scope_key, check_id, ifnull(subject, ''));
      CREATE INDEX ignores_check ON ignores (check_id, scope, scope_key);

      CREATE TABLE mutes (
        scope     TEXT NOT NULL CHECK (scope IN ('series', 'list')),
        scope_key TEXT NOT NULL,
        by_addr   TEXT NOT NULL,
        at        TEXT NOT NULL,
        PRIMARY KEY (scope, scope_key)
      );
    `,
  },
  {
    version: 4,
    name: 'raw mail kept until its series is settled',
    sql: `
      -- the bytes of every message received, so a series still waiting for its patches survives a
      -- restart; keyed by Message-ID like messages_seen
      CREATE TABLE raw_messages (
        message_id  TEXT PRIMARY KEY,
        source      TEXT NOT NULL,
        received_at TEXT NOT NULL,
        raw         BLOB NOT NULL
      );
      CREATE INDEX raw_messages_received ON raw_messages (received_at, message_id);
    `,
  },
  {
    version: 5,
    name: 'checks posted to patchwork',
    sql: `
      -- one check per patch mail, revision and context on one patchwork instance and project:
      -- queued when the revision's review is recorded, so a restart never posts one twice
      CREATE TABLE patchwork_checks (
        id               INTEGER PRIMARY KEY,
        instance         TEXT NOT NULL,
        revision_id      INTEGER NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
        patch_message_id TEXT NOT NULL,
        context          TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('success', 'warning', 'fail')),
        description      TEXT NOT NULL,
        target_url       TEXT,
        status           TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'rejected', 'unmatched', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_error       TEXT,
        patch_id         INTEGER,
        check_url        TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        posted_at        TEXT,
        UNIQUE (instance, patch_message_id, revision_id, context)
      );
      CREATE INDEX patchwork_checks_pending ON patchwork_checks (instance, status, id);
      CREATE INDEX patchwork_checks_revision ON patchwork_checks (revision_id);
    `,
  },
];

export interface OpenOptions {
  /** The clock for `schema_migrations.applied_at`. */
  now: () => Date;
  /** The migrations to apply; tests pass a prefix to make an older file. Default: all. */
  migrations?: readonly Migration[];
  /** How long to wait for another connection's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** For readers: open an existing file read-only; create, migrate and write nothing. */
  readonly?: boolean;
}

/**
 * Where the state file lives by default: `$XDG_STATE_HOME/kapi-review/state.db`, else
 * `~/.local/state/kapi-review/state.db`. The environment and home directory are passed in.
 */
export function defaultStorePath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const base = env.XDG_STATE_HOME?.trim() ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(base, 'kapi-review', 'state.db');
}

function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new StoreError(
        `migration list out of order: entry ${i} has version ${m.version}, expected ${i + 1}`,
      );
  });
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Opens (creating if needed) the state file at `path` and brings its schema up to date.
 * Throws StoreError with the path and the reason when the file cannot be used.
 */
export function openDatabase(path: string, opts: OpenOptions): Db {
  const migrations = opts.migrations ?? MIGRATIONS;
  checkMigrationList(migrations);
  const memory = path === ':memory:' || path === '';
  const where = memory ? 'the in-memory store' : `the store ${resolve(path)}`;
  if (opts.readonly) return openReader(path, migrations, opts, where);
  if (!memory) {
    try {
      mkdirSync(dirname(resolve(path)), { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new StoreError(`cannot create the directory for ${where}: ${reason(e)}`);
    }
  }
  let db: Db;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5000 });
  } catch (e) {
    throw new StoreError(`cannot open ${where}: ${reason(e)}`);
  }
  try {
    const { version, appId } = identity(db, where);
    if (appId !== 0 && appId !== APPLICATION_ID)
      throw new StoreError(`${where} belongs to another program (application_id ${appId}); not touching it`);
    if (appId === 0 && version !== 0)
      throw new StoreError(
        `${where} is an SQLite file of another program (user_version ${version}); not touching it`,
      );
    if (version > migrations.length)
      throw new StoreError(
        `${where} has schema version ${version}, newer than this kapi-review knows (${migrations.length}); ` +
          'upgrade kapi-review or point it at another file',
      );
    if (!memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal')
        throw new StoreError(`${where}: cannot switch to WAL mode (journal_mode is ${mode})`);
    }
    // FULL: a reply recorded as sent stays recorded even after a power cut, not only a crash
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations, opts.now, where);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** The file's schema version and application id; a file SQLite cannot read is no state file. */
function identity(db: Db, where: string): { version: number; appId: number } {
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      appId: db.pragma('application_id', { simple: true }) as number,
    };
  } catch (e) {
    throw new StoreError(`${where} is not a kapi-review state file: ${reason(e)}`);
  }
}

/** An existing state file, read-only, at exactly the schema version `migrations` make. */
function openReader(path: string, migrations: readonly Migration[], opts: OpenOptions, where: string): Db {
  if (path === ':memory:' || path === '') throw new StoreError('a reader needs a state file, not :memory:');
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new StoreError(`${where} is a directory, not a state file`);
    if (!st.isFile()) throw new StoreError(`${where} is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof StoreError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new StoreError(`${where} does not exist (the bot writes it: kapi-review bot --state FILE)`);
    throw new StoreError(`cannot read ${where}: ${code ?? reason(e)}`);
  }
  if (size === 0) throw new StoreError(`${where} is empty, not a kapi-review state file`);
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: opts.busyTimeoutMs ?? 5000 });
  } catch (e) {
    throw new StoreError(`cannot open ${where}: ${reason(e)}`);
  }
  try {
    const { version, appId } = identity(db, where);
    if (appId !== APPLICATION_ID)
      throw new StoreError(
        appId === 0
          ? `${where} is an SQLite file but not a kapi-review state file`
          : `${where} belongs to another program (application_id ${appId})`,
      );
    if (version > migrations.length)
      throw new StoreError(
        `${where} has schema version ${version}, newer than this kapi-review knows (${migrations.length}); upgrade kapi-review`,
      );
    if (version < migrations.length)
      throw new StoreError(
        `${where} has schema version ${version}, older than this kapi-review reads (${migrations.length}); ` +
          'run the bot of this version on it once (kapi-review bot --state FILE) to migrate it',
      );
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: Db, migrations: readonly Migration[], now: () => Date, where: string): void {
  for (const m of migrations) {
    const step = db.transaction(() => {
      // read again under the write lock: another process may have migrated meanwhile
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current >= m.version) return;
      if (current !== m.version - 1)
        throw new StoreError(`${where} is at schema version ${current}; cannot apply migration ${m.version}`);
      if (current === 0) {
        const objects = db
          .prepare("SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
          .get() as {
          n: number;
        };
        if (objects.n > 0)
          throw new StoreError(`${where} already holds tables but no kapi-review schema; not touching it`);
        db.pragma(`application_id = ${APPLICATION_ID}`);
      }
      db.exec(m.sql);
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TEXT NOT NULL
      )`);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        now().toISOString(),
      );
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      step.immediate();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError(
        `${where}: migration ${m.version} (${m.name}) failed and was rolled back: ${reason(e)}`,
      );
    }
  }
}
