/**
 * The IMAP watcher's cursor: where it is in one folder, kept in a CursorStore under
 * `imap:<user>@<host>:<port>/<folder>` as one JSON value
 * `{ v: 1, uidValidity, lastUid, failed: { <uid>: attempts }, unflagged: [<uid>] }`.
 * UIDs mean something only within one UIDVALIDITY, so the value records it (see imap.ts).
 */

/** The cursor value (stored as JSON under `imapCursorKey`). */
export interface ImapCursor {
  uidValidity: string;
  /** Every message with a UID up to this one was handed over (or skipped as already flagged). */
  lastUid: number;
  /** Messages whose onMessage threw, with the number of attempts so far. */
  failed: Record<string, number>;
  /** Processed messages the keyword could not be stored on yet (the connection dropped). */
  unflagged: number[];
}

export function imapCursorKey(o: {
  host: string;
  port: number;
  auth: { user: string };
  folder: string;
}): string {
  return `imap:${o.auth.user}@${o.host}:${o.port}/${o.folder}`;
}

/** Reads a stored cursor value; null when absent. Throws with the reason when it is unreadable. */
export function parseImapCursor(text: string | null): ImapCursor | null {
  if (text === null) return null;
  const v: unknown = JSON.parse(text);
  if (!v || typeof v !== 'object') throw new Error('not a JSON object');
  const o = v as Record<string, unknown>;
  if (o.v !== 1) throw new Error(`unknown cursor version ${JSON.stringify(o.v)}`);
  const uid = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (typeof o.uidValidity !== 'string' || !/^\d+$/.test(o.uidValidity)) throw new Error('bad uidValidity');
  if (!uid(o.lastUid)) throw new Error('bad lastUid');
  const failed: Record<string, number> = {};
  if (o.failed !== undefined) {
    if (!o.failed || typeof o.failed !== 'object') throw new Error('bad failed');
    for (const [k, n] of Object.entries(o.failed)) {
      if (!/^\d+$/.test(k) || !uid(n)) throw new Error(`bad failed entry ${k}`);
      failed[k] = n as number;
    }
  }
  const unflagged = o.unflagged ?? [];
  if (!Array.isArray(unflagged) || !unflagged.every(uid)) throw new Error('bad unflagged');
  return { uidValidity: o.uidValidity, lastUid: o.lastUid as number, failed, unflagged: [...unflagged] };
}

export function formatCursor(c: ImapCursor): string {
  return JSON.stringify({ v: 1, ...c });
}
