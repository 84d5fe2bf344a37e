import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir, FactCache } from '../../app/cache/facts.js';
import { outcomeKey } from '../../app/cache/outcomes.js';
import { main } from '../../app/cli/main.js';
import { Store } from '../../app/store/store.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { frobBot } from '../helpers/bot.js';

const SYSCALLS = [
  {
    name: 'frob',
    fnName: 'sys_frob',
    arity: 1,
    params: [{ type: 'int', name: 'fd' }],
    line: 3,
    endLine: 3,
    macroText: 'SYSCALL_DEFINE1(frob, int, fd)',
  },
];
const TEXT = 'SYSCALL_DEFINE1(frob, int, fd)\n{\n\treturn 0;\n}\n';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'kapi-cache-'));

/** Every entry file under a cache folder. */
function entries(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(join(d, e.name));
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** A cache's answer for TEXT, and whether it had to make it. */
function ask(c: FactCache): { value: unknown; made: boolean } {
  let made = false;
  const value = c.get('syscalls', 'kernel/frob.c', TEXT, () => {
    made = true;
    return structuredClone(SYSCALLS);
  });
  return { value, made };
}

describe('the fact cache on disk', () => {
  it('gives a later process what an earlier one made, as a fresh copy', () => {
    const dir = tmp();
    expect(ask(new FactCache(dir)).made).toBe(true);
    const later = new FactCache(dir);
    const a = ask(later);
    expect(a).toEqual({ value: SYSCALLS, made: false });
    expect(later.stats.hits).toBe(1);
    // a check may extend what it gets: the next caller must not see it
    (a.value as { name: string }[])[0] = { name: 'changed' };
    expect(ask(later).value).toEqual(SYSCALLS);
    expect(entries(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('hands a value made for a peek to the next get as it is, and copies after that', () => {
    const dir = tmp();
    const c = new FactCache(dir);
    let made = 0;
    const make = () => {
      made++;
      return structuredClone(SYSCALLS);
    };
    const seen = c.peek('syscalls', 'kernel/frob.c', TEXT, make);
    // a second look and the first get see that very value: nothing made again, nothing decoded
    expect(c.peek('syscalls', 'kernel/frob.c', TEXT, make)).toBe(seen);
    const owned = c.get('syscalls', 'kernel/frob.c', TEXT, make);
    expect(owned).toBe(seen);
    expect(made).toBe(1);
    // the owner may change it: later callers get a copy of what was made, from memory or disk
    (owned as { name: string }[])[0] = { name: 'changed' };
    const later = c.get('syscalls', 'kernel/frob.c', TEXT, make);
    expect(later).toEqual(SYSCALLS);
    expect(later).not.toBe(owned);
    expect(ask(new FactCache(dir))).toEqual({ value: SYSCALLS, made: false });
    expect(made).toBe(1);
    // a peek of what is in memory decodes it once for the peek and the next get
    const p = c.peek('syscalls', 'kernel/frob.c', TEXT, make);
    expect(c.get('syscalls', 'kernel/frob.c', TEXT, make)).toBe(p);
    expect(c.get('syscalls', 'kernel/frob.c', TEXT, make)).not.toBe(p);
    expect(made).toBe(1);
  });

  it('keys by path and text: another text or path is made afresh', () => {
    const dir = tmp();
    const c = new FactCache(dir);
    ask(c);
    let made = 0;
    c.get('syscalls', 'kernel/other.c', TEXT, () => {
      made++;
      return [];
    });
    c.get('syscalls', 'kernel/frob.c', `${TEXT}\n`, () => {
      made++;
      return [];
    });
    expect(made).toBe(2);
  });

  const damage: [string, (file: string) => void][] = [
    ['a truncated entry', (f) => writeFileSync(f, readFileSync(f).subarray(0, 20))],
    ['garbage', (f) => writeFileSync(f, 'not a cache entry at all\n')],
    ['an empty file', (f) => writeFileSync(f, '')],
    [
      'an entry of another version under the same name',
      (f) =>
        writeFileSync(
          f,
          serialize({ ...entryAt(f), version: '0.0.1', value: [{ ...SYSCALLS[0], name: 'stale' }] }),
        ),
    ],
    [
      'an entry of the right version with the wrong shape',
      (f) => writeFileSync(f, serialize({ ...entryAt(f), value: [{ name: 'frob', line: 'three' }] })),
    ],
    [
      'an entry naming another key',
      (f) => writeFileSync(f, serialize({ ...entryAt(f), key: '0'.repeat(64), value: [] })),
    ],
  ];
  for (const [what, spoil] of damage)
    it(`ignores ${what}, makes the value again and rewrites the entry`, () => {
      const dir = tmp();
      ask(new FactCache(dir));
      const [file] = entries(dir);
      spoil(file as string);
      const c = new FactCache(dir);
      expect(ask(c)).toEqual({ value: SYSCALLS, made: true });
      expect(c.stats.refused).toBe(1);
      // rewritten: the next process reads it again
      expect(ask(new FactCache(dir)).made).toBe(false);
    });

  it('does not read the entries of an older version of the tool', () => {
    const dir = tmp();
    ask(new FactCache(dir, { version: '0.0.9' }));
    const now = new FactCache(dir, { version: '0.1.0' });
    expect(ask(now).made).toBe(true);
    expect(now.stats.refused).toBe(0);
  });

  it('keeps the folder within its cap, dropping the oldest entries first', () => {
    const dir = tmp();
    const c = new FactCache(dir, { maxBytes: 3000 });
    const big = (i: number) => [{ ...SYSCALLS[0], macroText: `${i}`.repeat(500) }];
    for (let i = 0; i < 10; i++) c.get('syscalls', `f${i}.c`, TEXT, () => big(i));
    // entry i was last written i minutes ago... reversed: f0 is the oldest, f9 the newest
    for (let i = 0; i < 10; i++) {
      const k = c.key('syscalls', `f${i}.c`, TEXT);
      const when = new Date(Date.now() - (10 - i) * 60_000);
      utimesSync(join(dir, 'v1', k.slice(0, 2), k.slice(2)), when, when);
    }
    c.prune();
    const left = entries(dir);
    expect(left.reduce((n, f) => n + statSync(f).size, 0)).toBeLessThanOrEqual(3000);
    expect(c.stats.evicted).toBeGreaterThan(0);
    const fresh = new FactCache(dir);
    let made = 0;
    fresh.get('syscalls', 'f9.c', TEXT, () => {
      made++;
      return big(9);
    });
    fresh.get('syscalls', 'f0.c', TEXT, () => {
      made++;
      return big(0);
    });
    expect(made).toBe(1); // the newest kept, the oldest gone
  });

  it('walks the folder only once the writes of all processes since the last walk reach 1/16 of the cap', () => {
    const dir = tmp();
    const big = (i: number) => [{ ...SYSCALLS[0], macroText: `${i}`.repeat(500) }];
    // a temporary file a killed process left an hour ago: a walk removes it
    const leftover = (): string => {
      const f = join(dir, 'v1', 'ab', 'leftover.123.tmp');
      mkdirSync(join(dir, 'v1', 'ab'), { recursive: true });
      writeFileSync(f, 'x');
      const then = new Date(Date.now() - 3_600_000);
      utimesSync(f, then, then);
      return f;
    };
    // 16 x 5,000 bytes of cap: a walk every 5,000 bytes written, an entry is about 700
    const cap = 80_000;
    const first = new FactCache(dir, { maxBytes: cap });
    for (let i = 0; i < 3; i++) first.get('syscalls', `a${i}.c`, TEXT, () => big(i));
    const f = leftover();
    first.prune();
    expect(existsSync(f)).toBe(true); // about 2,100 bytes noted: no walk
    // another process adds its own writes to the same ledger
    const second = new FactCache(dir, { maxBytes: cap });
    for (let i = 0; i < 3; i++) second.get('syscalls', `b${i}.c`, TEXT, () => big(i));
    second.prune();
    expect(existsSync(f)).toBe(true); // about 4,200
    for (let i = 3; i < 5; i++) second.get('syscalls', `b${i}.c`, TEXT, () => big(i));
    second.prune();
    expect(existsSync(f)).toBe(false); // over 5,000: walked, and the ledger starts again
    const g = leftover();
    second.get('syscalls', 'c0.c', TEXT, () => big(0));
    second.prune();
    expect(existsSync(g)).toBe(true);
    // a process that wrote nothing notes nothing and walks nothing
    new FactCache(dir, { maxBytes: cap }).prune();
    expect(existsSync(g)).toBe(true);
  });

  it('goes on without the disk when the folder cannot be written', () => {
    const dir = join(tmp(), 'file');
    writeFileSync(dir, 'a file where the folder should be');
    const c = new FactCache(dir);
    expect(ask(c)).toEqual({ value: SYSCALLS, made: true });
    expect(ask(c).made).toBe(false); // still kept in memory
  });

  it('lives under $XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/kapi-review');
    expect(defaultCacheDir({})).toMatch(/\/\.cache\/kapi-review$/);
    // a relative XDG_CACHE_HOME is invalid by the spec and ignored
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel' })).toMatch(/\/\.cache\/kapi-review$/);
  });
});

/** The entry at a cache file, as the cache wrote it (to spoil one field of it). */
function entryAt(file: string): Record<string, unknown> {
  return deserialize(readFileSync(file)) as Record<string, unknown>;
}

async function check(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['node', 'kapi-review', 'check', ...argv], {
    out: (s) => {
      out += s;
    },
    err: () => {},
  });
  return { code, out };
}

describe('kapi-review check with the cache', () => {
  const args = ['--format', 'json', '--tree', 'fixtures/tree-frob', 'fixtures/mail/base-frob-v1.mbox'];

  it('reports the same with an empty cache, a warm one and none, and --no-cache writes nothing', async () => {
    const dir = tmp();
    const none = join(tmp(), 'never');
    const off = await check([...args, '--no-cache', '--cache-dir', none]);
    const cold = await check([...args, '--cache-dir', dir]);
    const written = entries(dir).length;
    const warm = await check([...args, '--cache-dir', dir]);
    expect(JSON.parse(off.out).findings.length).toBeGreaterThan(0);
    expect(cold).toEqual(off);
    expect(warm).toEqual(off);
    expect(written).toBeGreaterThan(0);
    expect(entries(dir).length).toBe(written);
    expect(existsSync(none)).toBe(false);
  });
});

describe('a stored review', () => {
  it('is keyed by what its parts hold, not by which objects hold it', () => {
    const parts = (last = 2) => ({
      input: { patches: [{ counter: 1, files: [{ path: 'mm/mlock.c', hunks: [1, last] }] }] },
    });
    expect(outcomeKey(parts(), '1')).toBe(outcomeKey(parts(), '1'));
    const other = parts(3);
    expect(outcomeKey(other, '1')).not.toBe(outcomeKey(parts(), '1'));
    expect(outcomeKey(parts(), '2')).not.toBe(outcomeKey(parts(), '1'));
    // parts V8 cannot serialize are keyed by their JSON
    const odd = { f: () => 1, n: 1 };
    expect(outcomeKey(odd, '1')).toBe(outcomeKey({ f: () => 2, n: 1 }, '1'));
    expect(outcomeKey(odd, '1')).not.toBe(outcomeKey({ f: () => 1, n: 2 }, '1'));
  });

  it('is used only while the tree files it read are unchanged, and a damaged one is refused', async () => {
    const tree = join(tmp(), 'tree');
    cpSync('fixtures/tree-frob', tree, { recursive: true });
    const dir = tmp();
    const args = ['--format', 'json', '--tree', tree, '--cache-dir', dir, 'fixtures/mail/base-frob-v1.mbox'];
    const first = await check(args);
    const stored = entries(dir).filter((f) => /\/v1\/o/.test(f));
    expect(stored.length).toBe(1);
    expect(await check(args)).toEqual(first);
    // the base file goes: the stored review no longer stands for the tree
    const source = entries(tree).find((f) => f.endsWith('.c')) as string;
    rmSync(source);
    const changed = await check(args);
    expect(changed).toEqual(await check([...args, '--no-cache']));
    expect(changed.out).not.toEqual(first.out);
    // a damaged entry is refused and the review made again
    for (const f of entries(dir).filter((x) => /\/v1\/o/.test(x))) writeFileSync(f, 'garbage');
    expect(await check(args)).toEqual(changed);
  });
});

describe('the bot with a cache folder', () => {
  const frob = splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')).map((m) => m.raw);

  /** A fresh bot (its own state) reviews the frob series in dry-run; the .eml files it wrote. */
  async function botRun(cache: { dir: string } | null): Promise<string[]> {
    const dir = tmp();
    const store = Store.open({ path: join(dir, 'state.db'), now: () => new Date('2026-03-02T12:00:00Z') });
    try {
      const bot = await frobBot(dir, {
        store,
        now: () => new Date('2026-03-02T12:00:00Z'),
        pool: null,
        cache,
      });
      for (const m of frob) await bot.ingest(m, 'test');
      await bot.tick();
      const eml = join(dir, 'eml');
      return readdirSync(eml)
        .sort()
        .map((f) => readFileSync(join(eml, f), 'utf8'));
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('keeps its reviews there, and a later bot answers the same from them', async () => {
    const dir = tmp();
    const none = await botRun(null);
    const cold = await botRun({ dir });
    const stored = entries(dir).filter((f) => /\/v1\/o/.test(f));
    const warm = await botRun({ dir });
    expect(none.length).toBeGreaterThan(0);
    expect(stored.length).toBe(1);
    expect(cold).toEqual(none);
    expect(warm).toEqual(none);
  });
});
