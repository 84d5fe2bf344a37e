/**
 * What the store's aggregates (and the read models over the same database) share: reading a row's
 * columns, checking arguments before they reach SQL, prepared statements kept per connection, and
 * the one way a list's address is written down.
 */
import type Database from 'better-sqlite3';
import { type Db, StoreError } from './db.js';

/** An aggregate of the store: the one connection and the clock every stored time comes from. */
export abstract class Aggregate {
  constructor(
    protected readonly db: Db,
    protected readonly now: () => Date,
  ) {}
}

export type Row = Record<string, unknown>;

export function str(v: unknown): string {
  return v as string;
}

export function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : (v as string);
}

export function num(v: unknown): number {
  return Number(v);
}

export function nonEmpty(what: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new StoreError(`${what} must be a non-empty string`);
  return v;
}

/** An ISO time in the fixed-width UTC form stored times compare by. */
export function isoTime(what: string, v: string): string {
  const d = typeof v === 'string' && v.trim() !== '' ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) throw new StoreError(`${what} is not a time: ${String(v)}`);
  return d.toISOString();
}

export function toJson(what: string, v: unknown): string {
  try {
    const s = JSON.stringify(v);
    if (s === undefined) throw new Error('not representable');
    return s;
  } catch (e) {
    throw new StoreError(`${what} cannot be stored as JSON: ${(e as Error).message}`);
  }
}

/** A LIKE pattern that finds `search` as a substring (with `ESCAPE '\'`). */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function intArg(what: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new StoreError(`${what} must be an integer from ${min} to ${max}, not ${v}`);
  return v;
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** A statement prepared once per connection, for the hot read paths (the dashboard reads a few per row). */
export function cached(db: Db, sql: string): Database.Statement {
  let byText = statements.get(db);
  if (!byText) {
    byText = new Map();
    statements.set(db, byText);
  }
  let st = byText.get(sql);
  if (!st) {
    st = db.prepare(sql);
    byText.set(sql, st);
  }
  return st;
}

/** The address in `Name <addr>` or a bare `addr`, lower case; null when there is none. */
export function addressOf(s: string): string | null {
  if (typeof s !== 'string') return null;
  const angle = /<([^<>]*)>\s*$/.exec(s);
  const a = (angle ? angle[1] : s)?.trim().toLowerCase() ?? '';
  return a === '' ? null : a;
}

/** Lists are known by their address: `Name <addr>` and `ADDR` both become `addr`. */
export function listKey(s: string | null | undefined): string | null {
  return s == null ? null : addressOf(s);
}
