/**
 * The review of a whole series, kept on disk with the files of the tree it read, as eslint's
 * --cache keeps a file's results: the same series, configuration, checks and tool version on a
 * tree whose files it read are unchanged gives the same outcome without a review. A second
 * `check` of a series (b4's hook on every patch again, a rerun after reading the report, the bot
 * catching up) costs the reads of those files.
 *
 * An entry names every tree file the review read and the hash of what it held (or that it was not
 * there); the entry is used only when each of them still holds exactly that. Entries live beside
 * the fact cache's (app/cache/facts.ts) and share its rules: versioned, written by atomic rename,
 * refused unless whole and well formed, and bounded with it.
 */
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { type FactCache, toolVersion } from './facts.js';

const FORMAT = 'kapi-review-outcome';
const SCHEMA = 1;

/** What a tree read: each path and the hash of its text, or null when it was not there. */
export type TreeReads = Map<string, string | null>;

export function textHash(text: string | null): string | null {
  return text === null ? null : createHash('sha256').update(text).digest('hex');
}

/**
 * The key of a review: everything it depends on besides the tree's files, as one hash. The parts
 * are hashed in V8's serialization, about half the cost of JSON for a series' parsed diffs: the
 * same parts give the same bytes (another Node version may write others, which only misses), and
 * different parts different bytes. Parts it cannot serialize (a function) are hashed as JSON.
 */
export function outcomeKey(parts: unknown, version = toolVersion()): string {
  let bytes: Uint8Array | string;
  try {
    bytes = serialize(parts);
  } catch {
    bytes = `json\0${JSON.stringify(parts)}`;
  }
  return createHash('sha256').update(`${FORMAT}\0${SCHEMA}\0${version}\0`).update(bytes).digest('hex');
}

interface Entry {
  format: string;
  schema: number;
  key: string;
  reads: [string, string | null][];
  outcome: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function finding(v: unknown): boolean {
  if (!isObj(v) || !isObj(v.at)) return false;
  return (
    typeof v.check === 'string' &&
    typeof v.severity === 'string' &&
    typeof v.message === 'string' &&
    typeof v.fingerprint === 'string' &&
    typeof v.scope === 'string' &&
    typeof v.patch === 'number' &&
    typeof v.at.path === 'string' &&
    typeof v.at.line === 'number' &&
    Array.isArray(v.evidence)
  );
}

/** Whether a stored outcome has the shape of a review outcome (app/review/run.ts ReviewOutcome). */
function validOutcome(v: unknown): boolean {
  if (!isObj(v) || !isObj(v.review)) return false;
  const r = v.review;
  return (
    Array.isArray(r.findings) &&
    r.findings.every(finding) &&
    Array.isArray(r.outside) &&
    r.outside.every(finding) &&
    Array.isArray(r.crashes) &&
    typeof r.preexisting === 'number' &&
    Array.isArray(r.files) &&
    Array.isArray(v.ignored) &&
    v.ignored.every(finding) &&
    Array.isArray(v.notes) &&
    v.notes.every((n) => typeof n === 'string') &&
    (v.framework === undefined || isObj(v.framework))
  );
}

function decode(bytes: Buffer, key: string): Entry | null {
  let e: unknown;
  try {
    e = deserialize(bytes);
  } catch {
    return null;
  }
  if (!isObj(e) || e.format !== FORMAT || e.schema !== SCHEMA || e.key !== key) return null;
  if (!Array.isArray(e.reads)) return null;
  for (const r of e.reads)
    if (!Array.isArray(r) || typeof r[0] !== 'string' || !(r[1] === null || typeof r[1] === 'string'))
      return null;
  if (!validOutcome(e.outcome)) return null;
  return e as unknown as Entry;
}

/**
 * The stored outcome for `key` when every tree file it read still reads the same (`read` reads
 * the tree now); undefined otherwise.
 */
export async function storedOutcome<T>(
  cache: FactCache,
  key: string,
  read: (path: string) => Promise<string | null>,
): Promise<T | undefined> {
  const bytes = cache.readRaw(`o${key}`);
  if (!bytes) return undefined;
  const e = decode(bytes, key);
  if (!e) {
    cache.stats.refused++;
    return undefined;
  }
  for (const [path, hash] of e.reads) {
    let now: string | null;
    try {
      now = await read(path);
    } catch {
      return undefined;
    }
    if (textHash(now) !== hash) return undefined;
  }
  cache.stats.hits++;
  return e.outcome as T;
}

export function storeOutcome(cache: FactCache, key: string, reads: TreeReads, outcome: unknown): void {
  const entry: Entry = { format: FORMAT, schema: SCHEMA, key, reads: [...reads], outcome };
  let bytes: Buffer;
  try {
    bytes = serialize(entry);
  } catch {
    return;
  }
  cache.writeRaw(`o${key}`, bytes);
}
