/**
 * The store's outbox: enqueue once per key, the state machine of a mail, the per-list counts for
 * the daily caps, claims across processes, and the sender's own suite with the store as its outbox.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outbox } from '../../app/mail/types.js';
import { Store } from '../../app/store/store.js';
import { senderSuite } from '../helpers/sender-suite.js';
import { clock, mail, seriesWith, storeFixtures } from '../helpers/store.js';

const root = join(import.meta.dirname, '..', '..');
const { tempDir, open } = storeFixtures();

describe('store: outbox', () => {
  it('enqueues once per key, linked to the revision the mail is about', () => {
    const s = open(join(tempDir(), 'state.db'));
    const { rev } = seriesWith(s, 'frob', 1, ['p1@example.org'], 'linux-mm@kvack.example.org');
    const a = s.outbox.enqueue(mail('review:p1:abc'));
    const b = s.outbox.enqueue(mail('review:p1:abc', 'p1@example.org', { text: 'a different text' }));
    expect(b).toEqual(a);
    expect(a).toEqual({
      id: a.id,
      mail: mail('review:p1:abc'),
      state: 'pending',
      attempts: 0,
      lastError: null,
      sentInfo: null,
    });
    expect(s.outbox.list()).toHaveLength(1);
    expect(s.outbox.list()[0]).toMatchObject({
      revisionId: rev.id,
      recipients: ['ann@example.org', 'linux-mm@kvack.example.org'],
    });
    const loose = s.outbox.enqueue(mail('k2', 'unknown@x'));
    expect(s.outbox.list().find((r) => r.id === loose.id)?.revisionId).toBeNull();
    expect(() => s.outbox.enqueue(mail(''))).toThrow(/mail.key must be a non-empty string/);
  });

  it('walks entries through sending, sent, failed and retry; counts sent mail for daily caps', () => {
    const c = clock('2026-03-02T23:59:00.000Z');
    const s = open(join(tempDir(), 'state.db'), c);
    seriesWith(s, 'frob', 1, ['p1@example.org', 'p2@example.org']);
    const mm = 'linux-mm@kvack.example.org';
    const [k1, k2, k3, k4] = ['k1', 'k2', 'k3', 'k4'].map(
      (k) => s.outbox.enqueue(mail(k, 'p1@example.org')).id,
    ) as [number, number, number, number];
    // for netdev: the list is in To, spelled with a name and in capitals
    const k5 = s.outbox.enqueue(
      mail('k5', 'x@x', { to: ['NetDev List <NETDEV@vger.example.org>'], cc: [] }),
    ).id;
    expect(s.outbox.claim(2).map((e) => [e.id, e.state, e.attempts])).toEqual([
      [k1, 'sending', 0],
      [k2, 'sending', 0],
    ]);
    s.outbox.markSent(k1, '250 OK id=1');
    c.advance(2 * 60_000); // past midnight
    s.outbox.markSent(k2, '250 OK id=2');
    s.outbox.markSent(k2, '250 OK again'); // a second record changes nothing
    expect(s.outbox.entry(k2)).toMatchObject({ state: 'sent', sentInfo: '250 OK id=2', attempts: 0 });

    expect(s.outbox.claim(10).map((e) => e.id)).toEqual([k3, k4, k5]);
    s.outbox.markFailed(k3, '451 try later', true);
    s.outbox.markFailed(k4, '550 no such user', false);
    s.outbox.markSent(k5, '250 OK id=5');
    expect(s.outbox.entry(k3)).toMatchObject({ state: 'pending', lastError: '451 try later', attempts: 1 });
    expect(s.outbox.entry(k4)).toMatchObject({
      state: 'failed',
      lastError: '550 no such user',
      attempts: 1,
    });
    expect(s.outbox.claim(10).map((e) => [e.id, e.attempts])).toEqual([[k3, 1]]);
    s.outbox.requeue(k3); // held back by policy: no attempt counted
    expect(s.outbox.entry(k3)).toMatchObject({ state: 'pending', attempts: 1 });
    s.outbox.claim(10);
    s.outbox.markFailed(k3, '421 closing', true);
    expect(s.outbox.entry(k3)).toMatchObject({ state: 'pending', attempts: 2, lastError: '421 closing' });

    expect(s.outbox.sentSince('2026-03-02T00:00:00Z')).toBe(3);
    expect(s.outbox.sentSince('2026-03-03T00:00:00Z')).toBe(2);
    expect(s.outbox.sentSince('2026-03-03T00:00:00Z', mm)).toBe(1);
    expect(s.outbox.sentSince('2026-03-03T00:00:00Z', 'LINUX-MM@kvack.example.org')).toBe(1);
    expect(s.outbox.sentSince('2026-03-03T00:00:00Z', 'netdev@vger.example.org')).toBe(1);
    expect(s.outbox.sentSince('2026-03-03T00:00:00Z', 'Netdev <netdev@VGER.example.org>')).toBe(1);
    expect(s.outbox.sentSince('2026-03-02T00:00:00Z', mm)).toBe(2);
    expect(s.outbox.sentSince('2026-03-02T00:00:00Z', 'ann@example.org')).toBe(2);
    expect(s.outbox.sentSince('2026-03-02T00:00:00Z', 'other@vger.example.org')).toBe(0);
    expect(s.outbox.sentSince('2026-03-03T00:01:00.000Z')).toBe(2); // the boundary counts
    expect(s.outbox.sentSince('2026-03-03T00:01:00.001Z')).toBe(0);
    expect(() => s.outbox.sentSince('yesterday')).toThrow(/not a time/);

    expect(() => s.outbox.markSent(k4, 'x')).toThrow(/is failed; it cannot become sent/);
    expect(() => s.outbox.requeue(k4)).toThrow(/is failed; it cannot become pending/);
    s.outbox.retryFailed(k4);
    expect(s.outbox.entry(k4)).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: '550 no such user',
    });
    expect(() => s.outbox.requeue(k1)).toThrow(/is sent; it cannot become pending/);
    expect(() => s.outbox.markFailed(k4, 'x', true)).toThrow(/is pending/);
    expect(() => s.outbox.markSent(9999, 'x')).toThrow(/no outbox entry 9999/);
    expect(s.outbox.claim(0)).toEqual([]);
  });

  it('after a crash between claim and record, stuck() shows the entry and claim() leaves it alone', () => {
    const path = join(tempDir(), 'state.db');
    const a = open(path);
    const e = a.outbox.enqueue(mail('k1'));
    a.outbox.enqueue(mail('k2'));
    expect(a.outbox.claim(1).map((x) => x.id)).toEqual([e.id]);
    a.close(); // no markSent: the process "died"

    const b = open(path);
    expect(b.outbox.stuck().map((x) => [x.id, x.state, x.mail.key])).toEqual([[e.id, 'sending', 'k1']]);
    expect(b.outbox.claim(10).map((x) => x.mail.key)).toEqual(['k2']);
    b.outbox.requeue(e.id);
    expect(b.outbox.stuck().map((x) => x.mail.key)).toEqual(['k2']);
    expect(b.outbox.claim(10).map((x) => [x.id, x.state])).toEqual([[e.id, 'sending']]);
  });

  it('two connections to one file never claim the same entry', () => {
    const path = join(tempDir(), 'state.db');
    const a = open(path);
    const b = open(path);
    for (let i = 0; i < 20; i++) a.outbox.enqueue(mail(`k${i}`));
    const got: number[] = [];
    for (;;) {
      const x = a.outbox.claim(3);
      const y = b.outbox.claim(2);
      if (x.length === 0 && y.length === 0) break;
      got.push(...x.map((e) => e.id), ...y.map((e) => e.id));
    }
    expect(got).toHaveLength(20);
    expect(new Set(got).size).toBe(20);
  });
});

/**
 * Real concurrency: separate processes on one file. The store is compiled with the project's tsc
 * into a temp dir (vitest's transform is not available to child processes).
 */
describe('store: across processes', () => {
  let built = '';

  beforeAll(() => {
    built = mkdtempSync(join(tmpdir(), 'kapi-store-build-'));
    execFileSync(
      join(root, 'node_modules', '.bin', 'tsc'),
      [
        '--ignoreConfig',
        '--noCheck',
        '--outDir',
        built,
        '--rootDir',
        root,
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--skipLibCheck',
        '--types',
        'node',
        join(root, 'app', 'store', 'store.ts'),
      ],
      { cwd: root },
    );
    writeFileSync(join(built, 'package.json'), '{"type":"module"}\n');
    symlinkSync(join(root, 'node_modules'), join(built, 'node_modules'), 'dir');
    writeFileSync(
      join(built, 'worker.mjs'),
      `import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Store } from './app/store/store.js';
const [path, mode, go, ready] = process.argv.slice(2);
let tick = Date.parse('2026-03-02T10:00:00Z');
const store = Store.open({ path, now: () => new Date(tick++), busyTimeoutMs: 60000 });
if (mode === 'crash') {
  store.outbox.claim(1);
  process.kill(process.pid, 'SIGKILL');
}
(await import('node:fs')).writeFileSync(ready, '');
while (!existsSync(go)) await sleep(2);
const got = [];
for (;;) {
  const c = store.outbox.claim(2);
  if (c.length === 0) break;
  got.push(...c.map((e) => e.id));
  // a sender sends between claims; without a pause one process can starve the others of the lock
  await sleep(1);
}
store.close();
process.stdout.write(JSON.stringify(got));
`,
    );
    return () => rmSync(built, { recursive: true, force: true });
  });

  function run(args: string[]): Promise<{ code: number | null; signal: string | null; out: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [join(built, 'worker.mjs'), ...args], (err, stdout) => {
        const e = err as (Error & { code?: number; signal?: string }) | null;
        resolve({ code: e ? (e.code ?? null) : 0, signal: e?.signal ?? null, out: stdout });
      });
    });
  }

  it('four processes claiming at once never get the same entry', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.db');
    const s = open(path);
    const all = new Set<number>();
    for (let i = 0; i < 300; i++) all.add(s.outbox.enqueue(mail(`k${i}`)).id);
    const go = join(dir, 'go');
    const readies = [0, 1, 2, 3].map((i) => join(dir, `ready${i}`));
    const runs = readies.map((ready) => run([path, 'claim', go, ready]));
    const deadline = Date.now() + 30_000;
    while (!readies.every((r) => existsSync(r)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    mkdirSync(go);
    const results = await Promise.all(runs);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const per = results.map((r) => JSON.parse(r.out) as number[]);
    const claimed = per.flat();
    expect(claimed).toHaveLength(300);
    expect(new Set(claimed)).toEqual(all);
    // they did run side by side: more than one process got entries
    expect(per.filter((p) => p.length > 0).length).toBeGreaterThan(1);
    expect(s.outbox.stuck().map((e) => e.id)).toEqual([...all]);
  });

  it('a process killed after claiming leaves its entry in stuck()', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.db');
    const s = open(path);
    const e = s.outbox.enqueue(mail('k1'));
    s.outbox.enqueue(mail('k2'));
    s.close();
    const r = await run([path, 'crash', join(dir, 'go'), join(dir, 'ready')]);
    expect(r.signal).toBe('SIGKILL');
    const after = open(path);
    expect(after.outbox.stuck().map((x) => [x.id, x.state])).toEqual([[e.id, 'sending']]);
    expect(after.outbox.claim(5).map((x) => x.mail.key)).toEqual(['k2']);
  });
});

/**
 * The sender's own suite (test/helpers/sender-suite.ts: real smtp-server, policies, recovery, and
 * SIGKILLed child processes) with this store as the outbox. The child opens the store through a
 * module written here, in a temp dir, that imports app/store/store.ts by absolute path.
 */
const childDir = mkdtempSync(join(tmpdir(), 'kapi-store-child-'));
writeFileSync(
  join(childDir, 'open-store.ts'),
  `import { join } from 'node:path';
import { Store } from ${JSON.stringify(join(root, 'app', 'store', 'store.ts'))};
export function openOutbox(dir: string) {
  return Store.open({ path: join(dir, 'state.db'), now: () => new Date() }).outbox;
}
`,
);
afterAll(() => rmSync(childDir, { recursive: true, force: true }));

/** The store behind each outbox the suite opened, to close it with. */
const storeOf = new Map<Outbox, Store>();
senderSuite('the SQLite store', {
  open: (dir, now) => {
    const store = Store.open({ path: join(dir, 'state.db'), now });
    storeOf.set(store.outbox, store);
    return store.outbox;
  },
  close: (o) => {
    storeOf.get(o)?.close();
    storeOf.delete(o);
  },
  persistent: true,
  childModule: join(childDir, 'open-store.ts'),
});
