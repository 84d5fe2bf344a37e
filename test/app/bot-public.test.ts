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
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBot } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { main } from '../../app/cli/main.js';
import { kernelRelease, reviewBase } from '../../app/context/tree.js';
import { defaultMailPolicy } from '../../app/mail/policy.js';
import { Store } from '../../app/store/store.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { BOT, botDeps, LIST, memoryLog } from '../helpers/bot.js';
import { Dovecot, requireDovecot } from '../helpers/dovecot.js';
import { startSmtp } from '../helpers/smtp-fixture.js';
import { makeCertificates } from '../helpers/tls-cert.js';

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
      // the reply to v2's cover letter says what v2 changed in the spec, and that the code agrees
      const cover = v2.find((m) => /^In-Reply-To: <[^>]*frob-v2-0@/m.test(m)) ?? '';
      expect(cover).toMatch(
        /\nSpec changes since v1:\r?\n {2}sys_frob \(kernel\/frob\.c:\d+, macro\): 1 change\r?\n {4}\+ error EPERM: caller lacks CAP_SYS_ADMIN; the code returns it\r?\n {8}\(kernel\/frob\.c:\d+: return -EPERM;\)\r?\n/,
      );
    } finally {
      store.close();
    }
  }, 60_000);
});

describe('kapi-review bot on the command line, as a public bot', () => {
  it("names the bot and a contact in the User-Agent of every request to lore: --contact, else --from's address", async () => {
    const agents: string[] = [];
    const lore = createServer((req, res) => {
      agents.push(String(req.headers['user-agent']));
      res.writeHead(200, { 'content-type': 'application/atom+xml' });
      res.end('<?xml version="1.0" encoding="us-ascii"?>\n<feed xmlns="http://www.w3.org/2005/Atom"></feed>');
    });
    await new Promise<void>((resolve) => lore.listen(0, '127.0.0.1', resolve));
    const dir = scratch();
    const run = (extra: string[]) =>
      main(
        [
          'node',
          'kapi-review',
          'bot',
          '--lore-url',
          `http://127.0.0.1:${(lore.address() as AddressInfo).port}`,
          '--lore-list',
          'linux-frob',
          '--from',
          'kapi-review <bot@example.net>',
          '--state',
          join(dir, 'state.db'),
          '--once',
          ...extra,
        ],
        { out: () => undefined, err: () => undefined },
      );
    try {
      expect(await run([])).toBe(0);
      expect(await run(['--contact', 'Bot Operator <ops@example.org>'])).toBe(0);
      expect(await run(['--contact', 'nobody'])).toBe(2);
    } finally {
      lore.closeAllConnections();
      await new Promise<void>((resolve) => lore.close(() => resolve()));
    }
    expect(agents).toHaveLength(2);
    expect(agents[0]).toMatch(/^kapi-review\/\d+\.\d+\.\d+ \(\+mailto:bot@example\.net\)$/);
    expect(agents[1]).toMatch(/^kapi-review\/\d+\.\d+\.\d+ \(\+mailto:ops@example\.org\)$/);
  });

  const withDovecot = requireDovecot('bot over SMTP with TLS and a login');
  it.skipIf(!withDovecot)(
    'sends through an SMTP server that requires a login under STARTTLS; a wrong password keeps the replies queued until the right one',
    async () => {
      const certs = makeCertificates();
      const imap = await Dovecot.start();
      const smtp = await startSmtp({ auth: { user: 'kapi-bot', pass: 'right-pass' }, tls: certs });
      const dir = scratch();
      const state = join(dir, 'state.db');
      const run = async (pass: string) => {
        let err = '';
        process.env.KAPI_PUBLIC_TEST_SMTP = pass;
        const code = await main(
          [
            'node',
            'kapi-review',
            'bot',
            '--imap-host',
            imap.host,
            '--imap-port',
            String(imap.port),
            '--imap-user',
            imap.auth.user,
            '--imap-pass-env',
            'KAPI_PUBLIC_TEST_IMAP',
            '--smtp-host',
            '127.0.0.1',
            '--smtp-port',
            String(smtp.port),
            '--smtp-tls',
            'starttls',
            '--smtp-user',
            'kapi-bot',
            '--smtp-pass-env',
            'KAPI_PUBLIC_TEST_SMTP',
            '--smtp-ca',
            certs.caFile,
            '--from',
            BOT,
            '--mode',
            'list',
            '--list',
            LIST,
            '--list',
            OTHER_LIST,
            '--tree',
            'fixtures/tree-frob',
            '--state',
            state,
            '--once',
          ],
          {
            out: () => undefined,
            err: (s) => {
              err += s;
            },
          },
        );
        return { code, err };
      };
      process.env.KAPI_PUBLIC_TEST_IMAP = imap.auth.pass;
      try {
        for (const raw of mbox('base-frob-v1.mbox')) await imap.append('INBOX', raw);
        const wrong = await run('wrong-pass');
        expect(wrong.code).toBe(0);
        expect(wrong.err).toMatch(/mode list for linux-frob@example.org, linux-api@example.org/);
        expect(wrong.err).toMatch(/OPERATOR: the SMTP server refused the login as kapi-bot: .*535/);
        expect(wrong.err).not.toContain('wrong-pass');
        expect(smtp.received).toHaveLength(0);
        const store = Store.open({ path: state, now: () => new Date() });
        const pending = store.outbox.list({ state: 'pending' });
        store.close();
        expect(pending.length).toBeGreaterThan(0);

        const right = await run('right-pass');
        expect(right.code).toBe(0);
        expect(smtp.received.map((m) => m.mail.messageId).sort()).toEqual(
          pending.map((e) => e.mail.messageId).sort(),
        );
        for (const m of smtp.received) {
          expect(m).toMatchObject({ user: 'kapi-bot', secure: true });
          // a tree without git history: named as such, with the base-commit it could not check
          expect(m.raw.replace(/\r?\n/g, ' ')).toContain(
            'Base: kernel sources without git history, not checked against base-commit 2370f2335de1336e8b7bd543eca551f53ab8592f.',
          );
          expect(m.raw).not.toContain('tree-frob');
        }
      } finally {
        delete process.env.KAPI_PUBLIC_TEST_IMAP;
        delete process.env.KAPI_PUBLIC_TEST_SMTP;
        await smtp.close();
        await imap.stop();
        await imap.cleanup();
        certs.cleanup();
      }
    },
    120_000,
  );
});
