/**
 * The persistent cache of what the parsers make of a file (its specs, syscalls and C facts), keyed
 * by the file's path and the hash of its text, like ccache or eslint's --cache. A review with a
 * kernel tree parses the same base files and the same post-images run after run; this keeps them.
 *
 * - Where: `$XDG_CACHE_HOME/kapi-review` (default `~/.cache/kapi-review`), or `--cache-dir`.
 * - Versioned: the tool's version and SCHEMA are in every key and in every entry; an entry of an
 *   older version is never read (its key differs) and ages out.
 * - Safe under concurrent processes: an entry is written to a temporary file and renamed into
 *   place, so a reader sees a whole entry or none.
 * - Never trusted: an entry that does not deserialise, names another key, version or kind, or has
 *   the wrong shape is ignored and written again.
 * - Bounded: after a process wrote entries, the oldest (by modification time) go beyond `maxBytes`.
 *
 * One process keeps what it read or made in memory too (bounded), so a text parsed by the limits
 * and again by the review, or the base files of many series in the bot, are parsed once.
 */

import { createHash } from 'node:crypto';
import {
  appendFileSync,
  type Dirent,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import type { FactMemo, MemoKind } from '../../checks/unit.js';
import { packageVersion } from '../io/package.js';
import { validEntry } from './shape.js';
import { BackgroundWriter, writeEntry } from './writer.js';

/** Bump when what an entry holds changes shape or meaning without a version change. */
const SCHEMA = 1;
const FORMAT = 'kapi-review-facts';
/** The default cap of the cache on disk. */
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/**
 * The folder is walked to keep its cap only once the bytes written since the last walk (by any
 * process: each notes its own in the ledger) reach this share of the cap. A walk stats every
 * entry, 40 to 80 ms on a full cache of 12,800 entries, which would otherwise fall on every run
 * that writes anything (each b4 hook call on a new patch); the folder may go over its cap by
 * this share.
 */
const PRUNE_SHARE = 16;
/**
 * The ledger, in the version's folder beside the entries' folders: one line per writing process,
 * the bytes it wrote, since the last walk. The only file there that is no entry.
 */
export const LEDGER = 'written';
/** What one process keeps in memory (serialised). */
const MEMORY_BYTES = 64 * 1024 * 1024;
/**
 * Values peeked and not yet taken, at most: a review peeks at the specs of every image (its
 * limits) before it builds the images' units one by one (RFC v2: 72 images).
 */
const FRESH_ENTRIES = 256;
/** ... and at most this many bytes of them, counted serialized (a value too large for memory is not kept). */
const FRESH_BYTES = 16 * 1024 * 1024;
/**
 * Digests of large texts kept: as many as the images of a big review, whose texts are alive for
 * the review anyway; and at most this many characters of texts, which the memo keeps alive
 * between reviews (a long-lived worker).
 */
const DIGESTS = 256;
const DIGEST_CHARS = 16 * 1024 * 1024;
/**
 * Kinds kept as live objects in this process only, never on disk, with how many of each are kept
 * (the least recently used go first): one macro spec's window is cheaper to parse than to hash,
 * serialise and read back, and its readers copy what they read; a part's C tree is large and only
 * read (its readers copy it where they move it).
 */
const LIVE_ENTRIES: ReadonlyMap<MemoKind, number> = new Map([
  ['macro-window', 8192],
  ['c-part', 2048],
]);

export interface CacheOptions {
  /** The cache folder; null keeps the cache in this process only (`--no-cache`). */
  dir: string | null;
  maxBytes?: number;
  /** The tool version the entries belong to (default: package.json's). */
  version?: string;
  /**
   * Write entries from a worker thread (app/cache/writer.ts) while the review goes on; the caller
   * then awaits flush() before it ends (which also keeps the cap). For a command: `check`.
   */
  background?: boolean;
}

/** `$XDG_CACHE_HOME/kapi-review`, else `~/.cache/kapi-review`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg?.startsWith('/') ? xdg : join(homedir(), '.cache');
  return join(base, 'kapi-review');
}

let cachedVersion: string | undefined;

/**
 * What the cache's entries belong to: the package version and the build it runs (the size and
 * modification time of each module of the code that makes an entry), so that a rebuilt checkout
 * with the same version number does not read what older code made.
 */
export function toolVersion(): string {
  if (cachedVersion) return cachedVersion;
  // started from the CLI's bundle (app/cli/launch.ts): its manifest, which launch checked against
  // every module the bundle holds, names the build without walking dist/ again
  const manifest = (globalThis as Record<symbol, unknown>)[Symbol.for('kapi-review.build')];
  if (typeof manifest === 'string' && manifest.length > 0) {
    const hash = createHash('sha256').update(manifest).digest('hex');
    cachedVersion = `${packageVersion()}+b${hash.slice(0, 16)}`;
    return cachedVersion;
  }
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    let list: Dirent[];
    try {
      list = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of list) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|ts)$/.test(e.name))
        try {
          const st = statSync(p);
          h.update(`${p}\0${st.size}\0${st.mtimeMs}\n`);
        } catch {
          // gone meanwhile
        }
    }
  };
  for (const room of ['app', 'checks', 'parsers', 'reporters']) walk(join(root, room));
  cachedVersion = `${packageVersion()}+${h.digest('hex').slice(0, 16)}`;
  return cachedVersion;
}

interface Entry {
  format: string;
  schema: number;
  version: string;
  kind: MemoKind;
  key: string;
  value: unknown;
}

/** What a cache did in this process, for the bench and the tests. */
export interface CacheStats {
  hits: number;
  memoryHits: number;
  misses: number;
  /** Entries found on disk but refused (corrupt, foreign, wrong shape). */
  refused: number;
  writes: number;
  evicted: number;
}

/**
 * Entries kept in the order they were set, within a count and a total weight: setting one past
 * either drops the oldest until both hold again (the entry just set too, when it alone is over).
 */
class Recent<V> {
  private readonly map = new Map<string, { value: V; weight: number }>();
  private total = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxWeight: number,
  ) {}

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Sets (or sets again, as the newest) `key`. */
  set(key: string, value: V, weight: number): void {
    this.take(key);
    this.map.set(key, { value, weight });
    this.total += weight;
    for (const [k, e] of this.map) {
      if (this.map.size <= this.maxCount && this.total <= this.maxWeight) break;
      this.map.delete(k);
      this.total -= e.weight;
    }
  }

  /** Removes `key` and gives its value. */
  take(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.total -= e.weight;
    return e.value;
  }
}

export class FactCache implements FactMemo {
  readonly stats: CacheStats = { hits: 0, memoryHits: 0, misses: 0, refused: 0, writes: 0, evicted: 0 };
  /** Entries as serialized, by key. */
  private readonly memory = new Recent<Buffer>(Number.POSITIVE_INFINITY, MEMORY_BYTES);
  private readonly live = new Map<MemoKind, Recent<unknown>>();
  /** The digests of large texts, by the text. */
  private readonly digests = new Recent<string>(DIGESTS, DIGEST_CHARS);
  /** Values made or decoded for a peek() and not handed to a get() yet, weighed serialized. */
  private readonly fresh = new Recent<unknown>(FRESH_ENTRIES, FRESH_BYTES);
  /** Folders of the cache this process made or found. */
  private readonly folders = new Set<string>();
  private readonly version: string;
  private readonly maxBytes: number;
  private diskOk: boolean;
  private readonly background: boolean;
  /** The background writer, once the first entry is written (null: none could start). */
  private writer: BackgroundWriter | null | undefined;
  /** prune() was asked for while writes were out: flush() does it. */
  private prunePending = false;
  /** Bytes of the entries this process wrote (or handed to the writer) since it last noted them. */
  private unnoted = 0;

  constructor(
    readonly dir: string | null,
    opts: { maxBytes?: number; version?: string; background?: boolean } = {},
  ) {
    this.version = opts.version ?? toolVersion();
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.diskOk = dir !== null;
    this.background = opts.background === true;
  }

  /** The key of (kind, path, text) for this version and schema. */
  key(kind: MemoKind, path: string, text: string): string {
    return createHash('sha256')
      .update(`${FORMAT}\0${SCHEMA}\0${this.version}\0${kind}\0${path}\0`)
      .update(this.digestOf(text))
      .digest('hex');
  }

  /**
   * The sha256 of a text, kept for the last DIGESTS large texts: a review asks for several kinds of facts
   * of each post-image (its specs, its C facts, its syscalls), and hashing a 100 KB file is
   * dearer than finding it in a Map.
   */
  private digestOf(text: string): string {
    if (text.length < 4096) return createHash('sha256').update(text).digest('hex');
    let d = this.digests.get(text);
    if (d === undefined) {
      d = createHash('sha256').update(text).digest('hex');
      this.digests.set(text, d, text.length);
    }
    return d;
  }

  private file(key: string): string {
    return join(this.dir as string, `v${SCHEMA}`, key.slice(0, 2), key.slice(2));
  }

  get<T>(kind: MemoKind, path: string, text: string, make: () => T): T {
    const live = LIVE_ENTRIES.get(kind);
    if (live !== undefined) return this.getLive(kind, live, `${path}\0${text}`, make);
    const key = this.key(kind, path, text);
    if (this.fresh.has(key)) {
      // made (or decoded) for a look that kept nothing of it: this caller may have it as it is
      this.stats.memoryHits++;
      return this.fresh.take(key) as T;
    }
    return this.find(kind, key, make);
  }

  /**
   * get() for a caller that only reads the value and keeps nothing of it (the review's limits
   * counting spec entries): the value stays here, unshared, for the next get() of the same key,
   * which then has no copy to decode.
   */
  peek<T>(kind: MemoKind, path: string, text: string, make: () => T): T {
    const live = LIVE_ENTRIES.get(kind);
    if (live !== undefined) return this.getLive(kind, live, `${path}\0${text}`, make);
    const key = this.key(kind, path, text);
    if (this.fresh.has(key)) return this.fresh.get(key) as T;
    const v = this.find(kind, key, make);
    // kept only when its serialized copy is in memory too (its size known, and not huge)
    const bytes = this.memory.get(key)?.length;
    if (bytes !== undefined) this.fresh.set(key, v, bytes);
    return v;
  }

  /** The value of `key`: from memory, else from disk, else made (and kept in both). */
  private find<T>(kind: MemoKind, key: string, make: () => T): T {
    const mem = this.memory.get(key);
    if (mem) {
      const e = this.decode(mem, kind, key);
      if (e) {
        this.stats.memoryHits++;
        return e.value as T;
      }
    }
    if (this.diskOk) {
      const bytes = this.readDisk(key);
      if (bytes) {
        const e = this.decode(bytes, kind, key);
        if (e) {
          this.stats.hits++;
          this.remember(key, bytes);
          return e.value as T;
        }
        this.stats.refused++;
      }
    }
    this.stats.misses++;
    const value = make();
    const entry: Entry = { format: FORMAT, schema: SCHEMA, version: this.version, kind, key, value };
    let bytes: Buffer;
    try {
      bytes = serialize(entry);
    } catch {
      return value; // not plain data: nothing to keep
    }
    this.remember(key, bytes);
    if (this.diskOk) this.writeDisk(key, bytes);
    return value;
  }

  private getLive<T>(kind: MemoKind, max: number, key: string, make: () => T): T {
    let live = this.live.get(kind);
    if (!live) {
      live = new Recent(max, Number.POSITIVE_INFINITY);
      this.live.set(kind, live);
    }
    if (live.has(key)) {
      const v = live.get(key) as T;
      live.set(key, v, 0); // the most recently used now
      this.stats.memoryHits++;
      return v;
    }
    this.stats.misses++;
    const v = make();
    live.set(key, v, 0);
    return v;
  }

  private decode(bytes: Buffer, kind: MemoKind, key: string): Entry | null {
    let e: unknown;
    try {
      e = deserialize(bytes);
    } catch {
      return null;
    }
    if (typeof e !== 'object' || e === null) return null;
    const x = e as Partial<Entry>;
    if (x.format !== FORMAT || x.schema !== SCHEMA || x.version !== this.version) return null;
    if (x.kind !== kind || x.key !== key || !validEntry(kind, x.value)) return null;
    return x as Entry;
  }

  private remember(key: string, bytes: Buffer): void {
    if (bytes.length <= MEMORY_BYTES / 4) this.memory.set(key, bytes, bytes.length);
  }

  /** Whether entries go to disk (a folder was given and it could be written). */
  get onDisk(): boolean {
    return this.diskOk;
  }

  /** The bytes of an entry of another kind (app/cache/outcomes.ts) stored under `name`. */
  readRaw(name: string): Buffer | null {
    return this.diskOk ? this.readDisk(name) : null;
  }

  writeRaw(name: string, bytes: Buffer): void {
    if (this.diskOk) this.writeDisk(name, bytes);
  }

  private readDisk(key: string): Buffer | null {
    try {
      return readFileSync(this.file(key));
    } catch {
      return null;
    }
  }

  private writeDisk(key: string, bytes: Buffer): void {
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const dir = join(file, '..');
    if (this.background) {
      if (this.writer === undefined) this.writer = sharedWriter();
      const root = this.dir as string;
      if (this.writer?.diskFailed(root)) {
        this.diskOk = false;
        return;
      }
      if (this.writer?.write({ root, dir, file, tmp, bytes })) {
        this.stats.writes++;
        this.unnoted += bytes.length;
        return;
      }
    }
    // each of the 256 folders is made once per process
    if (writeEntry({ dir, file, tmp, bytes }, this.folders)) {
      this.stats.writes++;
      this.unnoted += bytes.length;
    } else this.diskOk = false; // a read-only or full disk: go on without the disk
  }

  /**
   * Keeps the cache on disk within its cap: when this process wrote to it and the writes noted
   * since the last walk reach 1/PRUNE_SHARE of the cap, the oldest entries (by modification
   * time) go until the rest fits. A walk also clears temporary files a killed process left
   * behind (older than a minute).
   */
  prune(now = Date.now()): void {
    if (this.writer) {
      // the entries are not all on disk yet
      this.prunePending = true;
      return;
    }
    this.pruneNow(now);
  }

  /**
   * Notes this process's writes in the ledger, and says whether the writes noted since the last
   * walk reach the share of the cap that calls for one (then the ledger starts again). Without a
   * readable ledger the walk is due.
   */
  private walkDue(ledger: string): boolean {
    const mine = this.unnoted;
    this.unnoted = 0;
    let since = 0;
    try {
      // one short line in append mode: writers in other processes do not tear it
      appendFileSync(ledger, `${mine}\n`);
      for (const l of readFileSync(ledger, 'utf8').split('\n')) since += Number(l) || 0;
    } catch {
      return true;
    }
    if (since < this.maxBytes / PRUNE_SHARE) return false;
    try {
      rmSync(ledger, { force: true });
    } catch {
      // another process walks too
    }
    return true;
  }

  /**
   * Waits until the entries handed to the background writer are on disk, then keeps the cap if
   * a prune() was asked for meanwhile. Nothing to wait for without a background writer.
   */
  async flush(): Promise<void> {
    if (!this.writer) return;
    await this.writer.flush();
    if (this.writer.diskFailed(this.dir as string)) this.diskOk = false;
    if (this.prunePending) {
      this.prunePending = false;
      this.pruneNow();
    }
  }

  private pruneNow(now = Date.now()): void {
    if (!this.diskOk || this.unnoted === 0 || this.dir === null) return;
    const root = join(this.dir, `v${SCHEMA}`);
    if (!this.walkDue(join(root, LEDGER))) return;
    const files: { path: string; size: number; mtime: number }[] = [];
    let total = 0;
    let dirs: string[];
    try {
      dirs = readdirSync(root);
    } catch {
      return;
    }
    for (const d of dirs) {
      let names: string[];
      try {
        names = readdirSync(join(root, d));
      } catch {
        continue;
      }
      for (const n of names) {
        const path = join(root, d, n);
        try {
          const st = statSync(path);
          if (n.endsWith('.tmp')) {
            if (now - st.mtimeMs > 60_000) unlinkSync(path);
            continue;
          }
          files.push({ path, size: st.size, mtime: st.mtimeMs });
          total += st.size;
        } catch {
          // gone meanwhile: another process pruned it
        }
      }
    }
    if (total <= this.maxBytes) return;
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= this.maxBytes) break;
      try {
        unlinkSync(f.path);
        this.stats.evicted++;
      } catch {
        // gone meanwhile
      }
      total -= f.size;
    }
  }
}

const open = new Map<string, FactCache>();

let writer: BackgroundWriter | null | undefined;

/** This process's background writer: one worker for every cache that writes in the background. */
function sharedWriter(): BackgroundWriter | null {
  if (writer === undefined) writer = BackgroundWriter.start();
  return writer;
}

/** The cache of this process for a folder (or the in-memory one for null): one per folder. */
export function factCache(opts: CacheOptions | null | undefined): FactCache {
  const dir = opts?.dir ?? null;
  const id = `${dir ?? ''}\0${opts?.version ?? ''}\0${opts?.maxBytes ?? ''}\0${opts?.background === true}`;
  let c = open.get(id);
  if (!c) {
    c = new FactCache(dir, {
      ...(opts?.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
      ...(opts?.version !== undefined ? { version: opts.version } : {}),
      ...(opts?.background ? { background: true } : {}),
    });
    open.set(id, c);
  }
  return c;
}
