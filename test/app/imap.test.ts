import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CursorStore } from '../../app/mail/types.js';
import {
  type FolderWatcher,
  imapCursorKey,
  parseImapCursor,
  type WatchFolderOptions,
  type WatchLog,
  watchFolder,
} from '../../app/sources/imap.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { Dovecot, requireDovecot } from '../helpers/dovecot.js';
import { makeSeries } from '../helpers/mailgen.js';

/**
 * app/sources/imap.ts against a real dovecot (a throw-away instance per file, see
 * test/helpers/dovecot.ts). Each test works in its own folder. Messages are our own fixtures:
 * the frob series v1 and v2 split out of fixtures/mail/*.mbox, and generated series.
 */
const KW = '$KapiReviewed';
const frobV1 = splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')).map((m) => m.raw);
const frobV2 = splitMboxBuffer(readFileSync('fixtures/mail/revision-frob-v2.mbox')).map((m) => m.raw);

function messageId(raw: Buffer | string): string {
  const m = /^Message-ID:\s*<([^>]+)>/im.exec(raw.toString());
  if (!m) throw new Error('fixture without Message-ID');
  return m[1] as string;
}

function memoryCursor(): CursorStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, get: (k) => data.get(k) ?? null, set: (k, v) => void data.set(k, v) };
}

interface Line {
  level: string;
  msg: string;
  obj: object;
}
function memoryLog(): WatchLog & { lines: Line[]; text(level?: string): string } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, msg, obj });
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: (level) =>
      lines
        .filter((l) => !level || l.level === level)
        .map((l) => `${l.level}: ${l.msg}`)
        .join('\n'),
  };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const by = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > by) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const runTests = requireDovecot('IMAP source tests');

describe.skipIf(!runTests)('IMAP source (watchFolder) against a real dovecot', () => {
  let server: Dovecot;
  const watchers: FolderWatcher[] = [];
  let folderSeq = 0;

  beforeAll(async () => {
    server = await Dovecot.start();
  }, 30_000);

  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((w) => w.stop()));
    if (!server.running) await server.start();
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  async function newFolder(mails: (Buffer | string)[] = []): Promise<{ folder: string; uids: number[] }> {
    const folder = `test${++folderSeq}`;
    await server.createFolder(folder);
    const uids: number[] = [];
    for (const m of mails) uids.push(await server.append(folder, m));
    return { folder, uids };
  }

  interface Seen {
    uid: number;
    id: string;
    raw: Buffer;
  }

  function watch(
    folder: string,
    over: Partial<WatchFolderOptions> & { seen?: Seen[] } = {},
  ): { w: FolderWatcher; seen: Seen[]; log: ReturnType<typeof memoryLog>; cursor: CursorStore } {
    const seen = over.seen ?? [];
    const log = memoryLog();
    const cursor = over.cursor ?? memoryCursor();
    const w = watchFolder({
      ...server.endpoint,
      folder,
      cursor,
      log,
      idleDelayMs: 100,
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
      onMessage: async (raw, uid) => {
        seen.push({ uid, id: messageId(raw), raw });
      },
      ...over,
    });
    watchers.push(w);
    return { w, seen, log, cursor };
  }

  function flaggedUids(flags: Map<number, Set<string>>): number[] {
    return [...flags].filter(([, f]) => f.has(KW)).map(([u]) => u);
  }

  it('processes the backlog in UID order, hands over the exact message, flags each and advances the cursor', async () => {
    const mails = [...frobV1, ...frobV2];
    const { folder, uids } = await newFolder(mails);
    const { w, seen, cursor, log } = watch(folder);
    await w.caughtUp();
    expect(seen.map((s) => s.uid)).toEqual(uids);
    expect(seen.map((s) => s.id)).toEqual(mails.map(messageId));
    // dovecot serves the bytes back with CRLF line ends; otherwise they are the fixture's bytes
    expect(seen[2]?.raw.toString().replace(/\r\n/g, '\n')).toBe(frobV1[2]?.toString());
    expect(flaggedUids(await server.flags(folder))).toEqual(uids);
    const stored = parseImapCursor(cursor.get(imapCursorKey({ ...server.endpoint, folder })));
    expect(stored).toMatchObject({ lastUid: uids.at(-1), failed: {}, unflagged: [] });
    expect(stored?.uidValidity).toMatch(/^\d+$/);
    expect(w.status()).toMatchObject({ state: 'waiting', processed: 8, failures: 0, sessions: 1 });
    expect(log.text('info')).toContain('no cursor yet');
  });

  it('picks up a message appended while idling within a second or two (not imapflow’s 15 s)', async () => {
    const { folder } = await newFolder(frobV1.slice(0, 1));
    const { w, seen } = watch(folder);
    await w.caughtUp();
    expect(seen).toHaveLength(1);
    // let IDLE start (idleDelayMs 100)
    await new Promise((r) => setTimeout(r, 400));
    const t0 = Date.now();
    const uid = await server.append(folder, frobV1[1] as Buffer);
    await waitFor('the new message', () => seen.length === 2);
    const latency = Date.now() - t0;
    expect(seen[1]).toMatchObject({ uid, id: messageId(frobV1[1] as Buffer) });
    expect(latency, 'ms from APPEND to onMessage').toBeLessThan(3000);
    await waitFor('its flag', async () => (await server.flags(folder)).get(uid)?.has(KW) === true);
    // and again, to show IDLE resumes after a pass
    await w.caughtUp();
    await new Promise((r) => setTimeout(r, 400));
    const uid3 = await server.append(folder, frobV1[2] as Buffer);
    await waitFor('the third message', () => seen.length === 3);
    expect(seen[2]?.uid).toBe(uid3);
  });

  it('sets the keyword only after onMessage resolves, and stop() lets the message in hand finish', async () => {
    const { folder, uids } = await newFolder(frobV1.slice(0, 2));
    const cursor = memoryCursor();
    const key = imapCursorKey({ ...server.endpoint, folder });
    const during: { uid: number; flagged: boolean; lastUid: number | undefined }[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered = 0;
    const { w, seen } = watch(folder, {
      cursor,
      onMessage: async (raw, uid) => {
        entered++;
        during.push({
          uid,
          flagged: (await server.flags(folder)).get(uid)?.has(KW) ?? false,
          lastUid: parseImapCursor(cursor.get(key))?.lastUid,
        });
        if (uid === uids[1]) await gate;
        // still unflagged at the very end of a slow onMessage
        during.push({
          uid,
          flagged: (await server.flags(folder)).get(uid)?.has(KW) ?? false,
          lastUid: parseImapCursor(cursor.get(key))?.lastUid,
        });
        seen.push({ uid, id: messageId(raw), raw });
      },
    });
    await waitFor('the second message in hand', () => entered === 2);
    await new Promise((r) => setTimeout(r, 300));
    // the first is flagged, the second (in hand) is not
    const mid = await server.flags(folder);
    expect(mid.get(uids[0] as number)?.has(KW)).toBe(true);
    expect(mid.get(uids[1] as number)?.has(KW)).toBe(false);
    // stop while the second is in hand: stop waits for it, then flags it
    const stopped = w.stop();
    await new Promise((r) => setTimeout(r, 200));
    release();
    await stopped;
    expect(w.status().state).toBe('stopped');
    expect(during).toEqual([
      { uid: uids[0], flagged: false, lastUid: 0 },
      { uid: uids[0], flagged: false, lastUid: 0 },
      { uid: uids[1], flagged: false, lastUid: uids[0] },
      { uid: uids[1], flagged: false, lastUid: uids[0] },
    ]);
    expect(flaggedUids(await server.flags(folder))).toEqual(uids);
    expect(parseImapCursor(cursor.get(key))?.lastUid).toBe(uids[1]);
  });

  it('leaves a failing message unflagged without blocking the next; retries it next run, at most maxAttempts times', async () => {
    const mails = makeSeries({ n: 3, idPrefix: 'imap-fail', cover: false });
    const { folder, uids } = await newFolder(mails);
    const [u1, u2, u3] = uids as [number, number, number];
    const cursor = memoryCursor();
    const key = imapCursorKey({ ...server.endpoint, folder });
    const calls: number[] = [];
    // u2 fails in the first two runs; u3 fails always
    let run = 1;
    const onMessage = async (_raw: Buffer, uid: number) => {
      calls.push(uid);
      if (uid === u3 || (uid === u2 && run <= 2)) throw new Error(`review of ${uid} failed in run ${run}`);
    };

    const a = watch(folder, { cursor, onMessage, maxAttempts: 3 });
    await a.w.caughtUp();
    await a.w.stop();
    expect(calls).toEqual([u1, u2, u3]);
    expect(flaggedUids(await server.flags(folder))).toEqual([u1]);
    expect(parseImapCursor(cursor.get(key))).toMatchObject({ lastUid: u3, failed: { [u2]: 1, [u3]: 1 } });
    expect(a.log.text('warn')).toContain(
      `processing UID ${u2} failed (attempt 1 of 3): review of ${u2} failed in run 1`,
    );
    expect(a.w.status()).toMatchObject({ processed: 1, failures: 2 });

    // run 2: both retried (in UID order) and fail again
    run = 2;
    calls.length = 0;
    const b = watch(folder, { cursor, onMessage, maxAttempts: 3 });
    await b.w.caughtUp();
    await b.w.stop();
    expect(calls).toEqual([u2, u3]);
    expect(parseImapCursor(cursor.get(key))).toMatchObject({ failed: { [u2]: 2, [u3]: 2 } });

    // run 3: u2 now succeeds and is flagged; u3 fails a third time and is given up on
    run = 3;
    calls.length = 0;
    const c = watch(folder, { cursor, onMessage, maxAttempts: 3 });
    await c.w.caughtUp();
    await c.w.stop();
    expect(calls).toEqual([u2, u3]);
    expect(flaggedUids(await server.flags(folder))).toEqual([u1, u2]);
    expect(parseImapCursor(cursor.get(key))).toMatchObject({ lastUid: u3, failed: {} });
    expect(c.log.text('error')).toContain(`giving up on UID ${u3} after 3 failed attempt(s)`);

    // run 4: nothing left to try; a new message is processed as usual
    calls.length = 0;
    const u4 = await server.append(folder, frobV1[0] as Buffer);
    const d = watch(folder, { cursor, onMessage });
    await d.w.caughtUp();
    expect(calls).toEqual([u4]);
    expect(flaggedUids(await server.flags(folder))).toEqual([u1, u2, u4]);
  });

  it('survives a dovecot restart mid-watch: reconnects, resumes, no repeats and no skips', async () => {
    const { folder, uids: before } = await newFolder(frobV1);
    const { w, seen, log } = watch(folder);
    await w.caughtUp();
    expect(seen.map((s) => s.uid)).toEqual(before);

    await server.stop();
    // mail that arrives while the server is down (delivered straight into the maildir)
    server.deliverFile(folder, frobV2[0] as Buffer);
    await waitFor('the watcher to notice', () => w.status().state === 'backoff');
    await server.start();
    await waitFor('the reconnect', () => w.status().sessions === 2);
    const later = await server.append(folder, frobV2[1] as Buffer);
    await waitFor('both new messages', () => seen.length === before.length + 2);
    await w.caughtUp();

    const all = [...(await server.flags(folder)).keys()];
    expect(all).toHaveLength(6);
    expect(seen.map((s) => s.uid)).toEqual(all);
    expect(seen.at(-1)?.uid).toBe(later);
    expect(seen.slice(-2).map((s) => s.id)).toEqual([
      messageId(frobV2[0] as Buffer),
      messageId(frobV2[1] as Buffer),
    ]);
    expect(flaggedUids(await server.flags(folder))).toEqual(all);
    expect(log.text('warn')).toMatch(/reconnecting in \d+ ms/);
    expect(log.text('info')).toContain(`resuming after UID ${before.at(-1)}`);
  });

  it('a restart while a message is in hand: it is not handed over again, and gets its flag after the reconnect', async () => {
    const { folder, uids } = await newFolder(frobV2.slice(0, 2));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const calls: number[] = [];
    const { w, cursor, log } = watch(folder, {
      onMessage: async (_raw, uid) => {
        calls.push(uid);
        if (uid === uids[1]) await gate;
      },
    });
    await waitFor('the second message in hand', () => calls.length === 2);
    await server.restart();
    release();
    await waitFor('the reconnect', () => w.status().sessions === 2);
    await w.caughtUp();
    expect(calls).toEqual(uids);
    expect(flaggedUids(await server.flags(folder))).toEqual(uids);
    const c = parseImapCursor(cursor.get(imapCursorKey({ ...server.endpoint, folder })));
    expect(c).toMatchObject({ lastUid: uids[1], unflagged: [] });
    expect(log.text('info')).toContain('flagged 1 message(s) processed in an earlier session');
  });

  it('reconnects after a dropped connection (server up) and picks up what arrived meanwhile', async () => {
    const { folder, uids } = await newFolder(frobV1.slice(0, 2));
    const { w, seen, log } = watch(folder);
    await w.caughtUp();
    server.kick();
    await waitFor('the drop to be noticed', () => w.status().state !== 'waiting');
    const during = await server.append(folder, frobV1[2] as Buffer);
    await waitFor('the reconnect', () => w.status().sessions === 2);
    await waitFor('the new message', () => seen.length === 3);
    await w.caughtUp();
    expect(seen.map((s) => s.uid)).toEqual([...uids, during]);
    expect(log.text('warn')).toMatch(/connection lost or failed .*reconnecting in 100 ms/);
  });

  it('mail that arrives while onMessage is busy is processed right after, in order', async () => {
    const { folder, uids } = await newFolder(frobV2.slice(0, 1));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const calls: number[] = [];
    const { w } = watch(folder, {
      onMessage: async (_raw, uid) => {
        calls.push(uid);
        if (uid === uids[0]) await gate;
      },
    });
    await waitFor('the first message in hand', () => calls.length === 1);
    // IDLE starts while onMessage is busy (idleDelayMs 100), so the server tells of these at once
    await new Promise((r) => setTimeout(r, 300));
    const later = [
      await server.append(folder, frobV2[1] as Buffer),
      await server.append(folder, frobV2[2] as Buffer),
    ];
    release();
    await waitFor('both later messages', () => calls.length === 3);
    await w.caughtUp();
    expect(calls).toEqual([...uids, ...later]);
    expect(flaggedUids(await server.flags(folder))).toEqual([...uids, ...later]);
  });

  it('a second watcher started after the first stopped resumes from the cursor (no repeats)', async () => {
    const { folder, uids } = await newFolder(frobV1.slice(0, 2));
    const cursor = memoryCursor();
    const first = watch(folder, { cursor });
    await first.w.caughtUp();
    await first.w.stop();
    expect(first.seen.map((s) => s.uid)).toEqual(uids);

    const more = [
      await server.append(folder, frobV1[2] as Buffer),
      await server.append(folder, frobV1[3] as Buffer),
    ];
    const second = watch(folder, { cursor });
    await second.w.caughtUp();
    expect(second.seen.map((s) => s.uid)).toEqual(more);
    expect(second.log.text('info')).toContain(`resuming after UID ${uids[1]}`);
    expect(flaggedUids(await server.flags(folder))).toEqual([...uids, ...more]);
  });

  it('skips messages that already carry the keyword, even above the cursor', async () => {
    const { folder } = await newFolder();
    const u1 = await server.append(folder, frobV1[0] as Buffer, [KW]);
    const u2 = await server.append(folder, frobV1[1] as Buffer);
    const { w, seen, cursor } = watch(folder);
    await w.caughtUp();
    expect(seen.map((s) => s.uid)).toEqual([u2]);
    expect(parseImapCursor(cursor.get(imapCursorKey({ ...server.endpoint, folder })))?.lastUid).toBe(u2);
    expect(u1).toBeLessThan(u2);
  });

  it('when UIDVALIDITY changes, says so and rescans by keyword instead of trusting old UIDs', async () => {
    const { folder, uids } = await newFolder(frobV1);
    const cursor = memoryCursor();
    const key = imapCursorKey({ ...server.endpoint, folder });
    const a = watch(folder, { cursor });
    await a.w.caughtUp();
    await a.w.stop();
    const old = parseImapCursor(cursor.get(key));
    expect(old?.lastUid).toBe(uids.at(-1));

    // the folder is recreated: new UIDVALIDITY, UIDs start at 1 again
    await server.withClient(async (c) => {
      await c.mailboxDelete(folder);
      await c.mailboxCreate(folder);
    });
    const r1 = await server.append(folder, frobV2[0] as Buffer, [KW]); // reviewed before, flag kept
    const r2 = await server.append(folder, frobV2[1] as Buffer);
    const r3 = await server.append(folder, frobV2[2] as Buffer);
    expect(r3).toBeLessThanOrEqual(old?.lastUid as number);

    const b = watch(folder, { cursor });
    await b.w.caughtUp();
    expect(b.seen.map((s) => s.uid)).toEqual([r2, r3]);
    expect(b.seen.map((s) => s.id)).toEqual([messageId(frobV2[1] as Buffer), messageId(frobV2[2] as Buffer)]);
    expect(b.log.text('warn')).toContain(`UIDVALIDITY changed from ${old?.uidValidity} to`);
    const now = parseImapCursor(cursor.get(key));
    expect(now?.uidValidity).not.toBe(old?.uidValidity);
    expect(now?.lastUid).toBe(r3);
    expect(flaggedUids(await server.flags(folder))).toEqual([r1, r2, r3]);
  });

  it('an unreadable cursor is reported and the folder rescanned by keyword (nothing lost, nothing repeated)', async () => {
    const { folder } = await newFolder();
    const u1 = await server.append(folder, frobV1[0] as Buffer, [KW]);
    const u2 = await server.append(folder, frobV1[1] as Buffer);
    const cursor = memoryCursor();
    cursor.set(imapCursorKey({ ...server.endpoint, folder }), '{"v":1,"uidValidity":');
    const { w, seen, log } = watch(folder, { cursor });
    await w.caughtUp();
    expect(seen.map((s) => s.uid)).toEqual([u2]);
    expect(u1).toBeLessThan(u2);
    expect(log.text('error')).toContain('is unreadable');
  });

  it('fatal setups end the watcher with a clear error: wrong password, missing folder', async () => {
    const bad = watch('INBOX', { auth: { user: server.auth.user, pass: 'wrong' } });
    await expect(bad.w.done).rejects.toThrow(/authentication|AUTHENTICATIONFAILED/i);
    expect(bad.w.status().state).toBe('failed');
    expect(bad.log.text('error')).toContain('the watcher stops');

    const missing = watch('no-such-folder');
    await expect(missing.w.done).rejects.toThrow(/no-such-folder: the folder does not exist/);
  });

  it('rejects a keyword that is not an IMAP flag keyword before connecting', () => {
    expect(() => watch('INBOX', { keyword: 'two words' })).toThrow(/not a valid IMAP flag keyword/);
    expect(() => watch('INBOX', { keyword: '\\Seen' })).toThrow(/not a valid IMAP flag keyword/);
  });

  it('gives up after reconnect.maxAttempts failed connections in a row, with the last error', async () => {
    const { folder } = await newFolder();
    await server.stop();
    const { w } = watch(folder, { reconnect: { initialDelayMs: 20, maxDelayMs: 40, maxAttempts: 2 } });
    await expect(w.done).rejects.toThrow(
      /gave up after 2 failed connection attempt\(s\); last error: .*ECONNREFUSED/,
    );
  });
});
