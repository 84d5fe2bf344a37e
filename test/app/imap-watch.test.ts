/**
 * The IMAP watcher's steps (app/sources/imap-watch.ts FolderWatch) one at a time, against a
 * stand-in for the server's few calls the catch-up pass makes: the cursor's load, one message's
 * outcomes (handed over and flagged, failed, given up on, refused its flag, the connection lost)
 * and the first pass of a session. The whole watcher against a real dovecot is imap.test.ts's.
 */
import type { SearchObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import type { CursorStore } from '../../app/mail/types.js';
import { type ImapCursor, parseImapCursor, watchSettings } from '../../app/sources/imap.js';
import { ConnectionLost, FolderWatch, type ImapClient } from '../../app/sources/imap-watch.js';

const KW = '$KapiReviewed';
const KEY = 'imap:bot@127.0.0.1:143/INBOX';

/** The server's side of the catch-up pass: messages by UID with their flags, and what was asked. */
class StandIn {
  usable = true;
  refuseFlags = false;
  readonly messages = new Map<number, { source: Buffer; flags: Set<string> }>();
  readonly calls: string[] = [];

  constructor(uids: number[]) {
    for (const u of uids) this.messages.set(u, { source: Buffer.from(`message ${u}`), flags: new Set() });
  }

  async search(q: SearchObject): Promise<number[]> {
    this.calls.push(`SEARCH ${q.uid}`);
    const range = String(q.uid);
    const from = /^(\d+):\*$/.exec(range);
    const wanted = from
      ? (u: number) => u >= Number(from[1])
      : (u: number) => range.split(',').includes(String(u));
    return [...this.messages.keys()]
      .filter((u) => wanted(u) && !this.messages.get(u)?.flags.has(String(q.unKeyword)))
      .sort((a, b) => a - b);
  }

  async fetchOne(uid: string): Promise<{ source: Buffer; flags: Set<string> } | false> {
    this.calls.push(`FETCH ${uid}`);
    return this.messages.get(Number(uid)) ?? false;
  }

  async messageFlagsAdd(range: string, flags: string[]): Promise<boolean> {
    this.calls.push(`STORE ${range}`);
    if (this.refuseFlags) return false;
    for (const u of range.split(',')) for (const f of flags) this.messages.get(Number(u))?.flags.add(f);
    return true;
  }

  get client(): ImapClient {
    return this as unknown as ImapClient;
  }
}

function memoryCursor(initial?: string): CursorStore & { data: Map<string, string> } {
  const data = new Map<string, string>(initial ? [[KEY, initial]] : []);
  return { data, get: (k) => data.get(k) ?? null, set: (k, v) => void data.set(k, v) };
}

/** A FolderWatch over a memory cursor; onMessage throws for the UIDs in `failing`. */
function watch(opts: { cursor?: string; failing?: number[]; maxAttempts?: number } = {}) {
  const cursor = memoryCursor(opts.cursor);
  const handed: number[] = [];
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_o: object, msg: string) => void lines.push({ level, msg });
  const w = new FolderWatch(
    watchSettings({
      host: '127.0.0.1',
      port: 143,
      secure: false,
      auth: { user: 'bot', pass: 'x' },
      folder: 'INBOX',
      cursor,
      maxAttempts: opts.maxAttempts ?? 3,
      log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
      onMessage: async (_raw, uid) => {
        handed.push(uid);
        if (opts.failing?.includes(uid)) throw new Error(`cannot record ${uid}`);
      },
    }),
  );
  const stored = (): ImapCursor | null => parseImapCursor(cursor.data.get(KEY) ?? null);
  const text = (level: string) =>
    lines
      .filter((l) => l.level === level)
      .map((l) => l.msg)
      .join('\n');
  return { w, handed, stored, text };
}

const cursorText = (c: Partial<ImapCursor>) =>
  JSON.stringify({ v: 1, uidValidity: '7', lastUid: 0, failed: {}, unflagged: [], ...c });

describe('FolderWatch.loadCursor', () => {
  it('resumes from a cursor of the same UIDVALIDITY', () => {
    const { w, text } = watch({ cursor: cursorText({ lastUid: 12 }) });
    w.loadCursor('7');
    expect(w.cursor?.lastUid).toBe(12);
    expect(text('info')).toMatch(/resuming after UID 12/);
  });

  it('starts over, saying why, on another UIDVALIDITY or an unreadable cursor', () => {
    const moved = watch({ cursor: cursorText({ lastUid: 12 }) });
    moved.w.loadCursor('8');
    expect(moved.stored()).toEqual({ uidValidity: '8', lastUid: 0, failed: {}, unflagged: [] });
    expect(moved.text('warn')).toMatch(/UIDVALIDITY changed from 7 to 8/);

    const broken = watch({ cursor: '{"v":1,' });
    broken.w.loadCursor('7');
    expect(broken.stored()?.lastUid).toBe(0);
    expect(broken.text('error')).toMatch(
      /is unreadable .*rescanning the folder for messages without \$KapiReviewed/,
    );
  });
});

describe('FolderWatch.processOne', () => {
  it('hands the message over, then flags it and moves the cursor past it', async () => {
    const server = new StandIn([5]);
    const { w, handed, stored } = watch();
    w.loadCursor('7');
    await w.processOne(server.client, w.cursor as ImapCursor, 5);
    expect(handed).toEqual([5]);
    expect(server.calls).toEqual(['FETCH 5', 'STORE 5']);
    expect(server.messages.get(5)?.flags.has(KW)).toBe(true);
    expect(stored()?.lastUid).toBe(5);
    expect(w.status().processed).toBe(1);
  });

  it('passes over a message that carries the keyword already, without handing it over', async () => {
    const server = new StandIn([5]);
    server.messages.get(5)?.flags.add(KW);
    const { w, handed, stored } = watch();
    w.loadCursor('7');
    await w.processOne(server.client, w.cursor as ImapCursor, 5);
    expect(handed).toEqual([]);
    expect(stored()?.lastUid).toBe(5);
  });

  it('counts a failure and leaves the message unflagged; gives up on it at maxAttempts', async () => {
    const server = new StandIn([5]);
    const { w, stored, text } = watch({ failing: [5], maxAttempts: 2 });
    w.loadCursor('7');
    await w.processOne(server.client, w.cursor as ImapCursor, 5);
    expect(stored()).toMatchObject({ lastUid: 5, failed: { 5: 1 } });
    expect(text('warn')).toMatch(/processing UID 5 failed \(attempt 1 of 2\): cannot record 5/);
    await w.processOne(server.client, w.cursor as ImapCursor, 5);
    expect(stored()).toMatchObject({ lastUid: 5, failed: {} });
    expect(text('error')).toMatch(/giving up on UID 5 after 2 failed attempt\(s\)/);
    expect(server.messages.get(5)?.flags.size).toBe(0);
    expect(w.status().failures).toBe(2);
  });

  it('keeps a processed message it could not flag for the next session; a lost connection ends the pass', async () => {
    const server = new StandIn([5, 6]);
    server.refuseFlags = true;
    const { w, stored, text } = watch();
    w.loadCursor('7');
    await w.processOne(server.client, w.cursor as ImapCursor, 5);
    expect(stored()).toMatchObject({ lastUid: 5, unflagged: [5] });
    expect(text('error')).toMatch(/the server refused \$KapiReviewed on UID 5 \(processed\)/);
    server.usable = false;
    await expect(w.processOne(server.client, w.cursor as ImapCursor, 6)).rejects.toBeInstanceOf(
      ConnectionLost,
    );
    expect(stored()).toMatchObject({ lastUid: 6, unflagged: [5, 6] });
  });
});

describe('FolderWatch.catchUp', () => {
  it('the first pass of a session flags what an earlier one could not, and retries the owed failures in UID order', async () => {
    const server = new StandIn([3, 4, 8, 9, 10]);
    server.messages.get(4)?.flags.add(KW); // flagged by someone else since it failed
    const { w, handed, stored, text } = watch({
      cursor: cursorText({ lastUid: 8, failed: { 3: 1, 4: 1 }, unflagged: [8] }),
    });
    w.loadCursor('7');
    await w.catchUp(server.client, true);
    expect(server.calls.slice(0, 3)).toEqual(['STORE 8', 'SEARCH 9:*', 'SEARCH 3,4']);
    expect(handed).toEqual([3, 9, 10]);
    expect(text('info')).toMatch(/UID 4 \(failed before\) is gone or flagged now; no retry/);
    expect(stored()).toEqual({ uidValidity: '7', lastUid: 10, failed: {}, unflagged: [] });
  });

  it('a later pass takes only what is new', async () => {
    const server = new StandIn([3, 9]);
    const { w, handed } = watch({ cursor: cursorText({ lastUid: 8, failed: { 3: 1 } }) });
    w.loadCursor('7');
    await w.catchUp(server.client, false);
    expect(handed).toEqual([9]);
    expect(w.cursor?.failed).toEqual({ 3: 1 });
  });
});
