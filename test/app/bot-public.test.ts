/**
 * The bot in public: what leaves the bot's machine names nothing of it. The frob series is
 * reviewed by the real bot on a git checkout (a copy of fixtures/tree-frob, committed here) whose
 * path, the state file's, the dry-run folder's, the home directory and the working directory are
 * all looked for in every byte of every mail it writes: the replies to the patches, the summaries
 * and the weekly digest. Dry-run files are the bytes SMTP would send (app/mail/sender.ts).
 * The footer names the base by commit instead; replies Cc every configured list the series went to.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBot } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { kernelRelease, reviewBase } from '../../app/context/tree.js';
import { defaultMailPolicy } from '../../app/mail/policy.js';
import { Store } from '../../app/store/store.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { BOT, botDeps, LIST, memoryLog } from '../helpers/bot.js';

const OTHER_LIST = 'linux-api@example.org';
const OLD_BASE = '2370f2335de1336e8b7bd543eca551f53ab8592f';
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kapi-public-'));
  dirs.push(dir);
  return dir;
}

/** A git checkout in `dir` (of a copy of `from`, when given), one commit; its HEAD. */
function gitTree(dir: string, from?: string): string {
  mkdirSync(dir, { recursive: true });
  if (from) cpSync(from, dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args], {
      encoding: 'utf8',
    }).trim();
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'base', '--allow-empty');
  return git('rev-parse', 'HEAD');
}

const mbox = (file: string): string[] =>
  splitMboxBuffer(readFileSync(join('fixtures', 'mail', file))).map((m) => m.raw.toString('utf8'));

describe('the base a review was made on (app/context/tree.ts reviewBase)', () => {
  it('is the base-commit the checkout has, else its HEAD; a tree without git by its release', async () => {
    const dir = scratch();
    const head = gitTree(join(dir, 'git'));
    expect(await reviewBase(join(dir, 'git'), head)).toEqual({
      kind: 'commit',
      commit: head,
      from: 'base-commit',
      missing: null,
    });
    expect(await reviewBase(join(dir, 'git'), OLD_BASE.toUpperCase())).toEqual({
      kind: 'commit',
      commit: head,
      from: 'head',
      missing: OLD_BASE,
    });
    expect(await reviewBase(join(dir, 'git'), null)).toMatchObject({ from: 'head', missing: null });
    mkdirSync(join(dir, 'tarball'));
    writeFileSync(
      join(dir, 'tarball', 'Makefile'),
      '# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 5\nEXTRAVERSION =\nNAME = Baby Opossum Posse\n',
    );
    expect(await reviewBase(join(dir, 'tarball'), 'not a commit')).toEqual({
      kind: 'release',
      release: '6.12.5',
      baseCommit: null,
    });
    expect(await reviewBase('fixtures/tree-frob', OLD_BASE)).toEqual({
      kind: 'release',
      release: null,
      baseCommit: OLD_BASE,
    });
    expect(await reviewBase(null, OLD_BASE)).toEqual({ kind: 'hunks', baseCommit: OLD_BASE });
  });

  it("reads a release from a kernel Makefile's first lines, and nothing from anything else", () => {
    expect(kernelRelease('VERSION = 6\nPATCHLEVEL = 13\nSUBLEVEL = 0\nEXTRAVERSION = -rc1\n')).toBe(
      '6.13-rc1',
    );
    expect(kernelRelease('VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\nEXTRAVERSION =\n')).toBe('6.12');
    expect(kernelRelease('VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 1\nEXTRAVERSION = $(shell x)\n')).toBe(
      '6.12.1',
    );
    expect(kernelRelease('all:\n\tcc -o frob frob.c\n')).toBeNull();
    expect(kernelRelease('VERSION = six\nPATCHLEVEL = 12\n')).toBeNull();
  });
});

describe('kapi-review bot: no path of its machine in any mail', () => {
  it('reviews on a git checkout, Cc both lists the series went to, writes a digest; no mail names a local path', async () => {
    const dir = scratch();
    const treeDir = join(dir, 'kernel-tree');
    const head = gitTree(treeDir, 'fixtures/tree-frob');
    const stateDir = join(dir, 'bot-state');
    mkdirSync(stateDir);
    const emlDir = join(dir, 'outgoing');
    let t = Date.parse('2026-03-02T12:00:00.000Z');
    const now = () => new Date(t);
    const store = Store.open({ path: join(stateDir, 'state.db'), now });
    const log = memoryLog();
    const bot = createBot(
      botDeps({
        store,
        parser: await loadCParser(),
        tree: treeDir,
        // both lists in dry-run: the files written are the mails as they would be sent
        policy: {
          ...defaultMailPolicy(BOT),
          lists: [
            { address: LIST, mode: 'dry-run' },
            { address: OTHER_LIST, mode: 'dry-run' },
          ],
        },
        now,
        log,
        dryRunDir: emlDir,
        digestTo: 'Maintainer <maint@example.org>',
        pool: null,
      }),
    );
    try {
      expect((await bot.tick()).digest).toBe('started');
      // v1 names the checkout's commit as its base and went to both lists; v2 names one it lacks
      for (const raw of mbox('base-frob-v1.mbox'))
        await bot.ingest(
          Buffer.from(
            raw
              .replace(`base-commit: ${OLD_BASE}`, `base-commit: ${head}`)
              .replace(/^To: linux-frob@example.org$/m, `To: linux-frob@example.org\nCc: ${OTHER_LIST}`),
          ),
          'test',
        );
      t += 60_000;
      expect((await bot.tick()).decisions.map((d) => d.kind)).toEqual(['review']);
      for (const raw of mbox('revision-frob-v2.mbox')) await bot.ingest(Buffer.from(raw), 'test');
      t += 60_000;
      await bot.tick();
      t += 7 * 86_400_000;
      expect((await bot.tick()).digest).toBe('queued');
      expect(log.text('error')).toBe('');

      const mails = readdirSync(emlDir).map((f) => readFileSync(join(emlDir, f), 'utf8'));
      const replies = mails.filter((m) => /^In-Reply-To: /m.test(m));
      const digest = mails.filter((m) => /^Subject: kapi-review digest/m.test(m));
      expect(replies.length).toBeGreaterThanOrEqual(4);
      expect(digest).toHaveLength(1);
      expect(mails).toHaveLength(replies.length + 1);

      const local = [treeDir, realpathSync(treeDir), stateDir, emlDir, dir, realpathSync(dir), process.cwd()];
      if (homedir().length > 1) local.push(homedir());
      for (const mail of mails) {
        for (const p of local) expect(mail, p).not.toContain(p);
        // no absolute path at all outside the quoted patch: the body's own words
        expect(mail.replace(/^>.*$/gm, '')).not.toMatch(/(?:^|[\s(])\/(?:tmp|home|root|work|var|srv)\//m);
      }

      const v1 = replies.filter((m) => /^In-Reply-To: <[^>]*frob-v1-/m.test(m));
      const v2 = replies.filter((m) => /^In-Reply-To: <[^>]*frob-v2-/m.test(m));
      expect(v1.length + v2.length).toBe(replies.length);
      expect(v1.length).toBeGreaterThan(0);
      expect(v2.length).toBeGreaterThan(0);
      for (const m of v1) {
        expect(m).toContain(`Base: base-commit ${head}.`);
        expect(m).toMatch(new RegExp(`^Cc: ${LIST}, ${OTHER_LIST}\\r?$`, 'm'));
      }
      for (const m of v2) {
        expect(m.replace(/\r?\n/g, ' ')).toContain(
          `Base: HEAD ${head} of the reviewer's tree (base-commit ${OLD_BASE} is not in it).`,
        );
        expect(m).toMatch(new RegExp(`^Cc: ${LIST}\\r?$`, 'm'));
      }
    } finally {
      store.close();
    }
  }, 60_000);
});
