/**
 * A throw-away dovecot (Debian's dovecot-imapd) for tests: its own config, passwd file, maildirs,
 * sockets and state under one temp dir, IMAP on 127.0.0.1 and a free port, no TLS.
 *
 * Users dovecot runs as (found by trying on Debian 12, dovecot 2.3.19):
 * - as root: imap-login refuses to run as root ("This process must not be run as root") and a
 *   userdb uid 0 is refused ("userdb returned 0 as uid"), so the login processes run as
 *   `dovenull` and the internal processes and the mail user as `dovecot`, the two users the
 *   Debian package creates. The auth process (as `dovecot`) must read the passwd file and the
 *   mail processes must write the maildirs: the temp dir is made 0711, the passwd file 0644 and
 *   the mail dir belongs to `dovecot`.
 * - as anyone else: every service and the mail user are the current user.
 * In both cases chroot is off for anvil and imap-login (a non-root master cannot chroot), and
 * `first_valid_uid` is lowered to the mail user's uid (system users are below the default 500).
 *
 * Messages go in by IMAP APPEND (`append`) or, also while the server is down, as maildir files
 * (`deliverFile`). The system dovecot service is never touched.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

// DOVECOT_BIN, when set, is the only candidate (so a run can also pretend dovecot is missing)
const BIN_CANDIDATES = process.env.DOVECOT_BIN
  ? [process.env.DOVECOT_BIN]
  : ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'];
const dovecotBin: string | null = BIN_CANDIDATES.find((p) => existsSync(p)) ?? null;
const dovecotPresent = dovecotBin !== null;

/**
 * Whether the dovecot tests may run. Without dovecot they are skipped, saying so, except in CI
 * (`CI` set, as .ci/run does), which installs dovecot-imapd: there a missing dovecot is an error.
 */
export function requireDovecot(suite: string): boolean {
  if (dovecotPresent) return true;
  const msg = `${suite}: dovecot is not installed (apt-get install dovecot-imapd, or set DOVECOT_BIN)`;
  if (process.env.CI) throw new Error(`${msg}; CI must install it (.ci/run does)`);
  console.warn(`${msg}; these tests are SKIPPED`);
  return false;
}

export interface DovecotOptions {
  user?: string;
  pass?: string;
}

/** What a watcher needs to reach this server. */
export interface ImapEndpoint {
  host: string;
  port: number;
  secure: false;
  auth: { user: string; pass: string };
}

interface Account {
  /** The OS user the mail processes run as. */
  mailUser: string;
  mailUid: number;
  mailGid: number;
  loginUser: string;
  internalUser: string;
  internalGroup: string;
}

function idOf(args: string[]): string {
  return execFileSync('id', args, { encoding: 'utf8' }).trim();
}

function account(): Account {
  const me = userInfo();
  if (me.uid !== 0) {
    const group = idOf(['-gn']);
    return {
      mailUser: me.username,
      mailUid: me.uid,
      mailGid: me.gid,
      loginUser: me.username,
      internalUser: me.username,
      internalGroup: group,
    };
  }
  let uid: number;
  let gid: number;
  try {
    uid = Number(idOf(['-u', 'dovecot']));
    gid = Number(idOf(['-g', 'dovecot']));
    idOf(['-u', 'dovenull']);
  } catch {
    throw new Error(
      'running as root, dovecot needs the users `dovecot` and `dovenull` (the dovecot-core package creates them)',
    );
  }
  return {
    mailUser: 'dovecot',
    mailUid: uid,
    mailGid: gid,
    loginUser: 'dovenull',
    internalUser: 'dovecot',
    internalGroup: 'dovecot',
  };
}

/** A port nobody listens on right now (the kernel picks it; we close and hand it to dovecot). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function portBindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Resolves true once something on the port sends an IMAP greeting. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) done(/^\* OK/.test(buf));
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class Dovecot implements ImapEndpoint {
  readonly host = '127.0.0.1';
  readonly secure = false as const;
  readonly auth: { user: string; pass: string };
  readonly dir: string;
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private readonly acct: Account;
  private readonly killOnExit = () => {
    if (this.proc?.pid) {
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  private constructor(
    readonly port: number,
    opts: DovecotOptions,
  ) {
    this.auth = { user: opts.user ?? 'bot', pass: opts.pass ?? `pw-${randomBytes(6).toString('hex')}` };
    this.acct = account();
    this.dir = mkdtempSync(join(tmpdir(), 'kapi-dovecot-'));
    this.writeConfig();
  }

  /** Starts a new instance on a free port and waits until it greets. */
  static async start(opts: DovecotOptions = {}): Promise<Dovecot> {
    if (!dovecotBin) throw new Error('dovecot is not installed (apt-get install dovecot-imapd)');
    const d = new Dovecot(await freePort(), opts);
    try {
      await d.start();
    } catch (err) {
      await d.cleanup();
      throw err;
    }
    return d;
  }

  get endpoint(): ImapEndpoint {
    return { host: this.host, port: this.port, secure: false, auth: { ...this.auth } };
  }

  get running(): boolean {
    return this.proc !== null;
  }

  get mailDir(): string {
    return join(this.dir, 'mail', this.auth.user);
  }

  private writeConfig(): void {
    const a = this.acct;
    const d = this.dir;
    for (const sub of ['run', 'state', 'mail']) mkdirSync(join(d, sub), { recursive: true });
    if (userInfo().uid === 0) {
      chmodSync(d, 0o711);
      chownSync(join(d, 'mail'), a.mailUid, a.mailGid);
    }
    writeFileSync(join(d, 'passwd'), `${this.auth.user}:{PLAIN}${this.auth.pass}\n`, { mode: 0o644 });
    const conf = `# throw-away test instance (test/helpers/dovecot.ts)
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
base_dir = ${d}/run
state_dir = ${d}/state
log_path = ${d}/dovecot.log
default_internal_user = ${a.internalUser}
default_internal_group = ${a.internalGroup}
default_login_user = ${a.loginUser}
first_valid_uid = ${a.mailUid}
first_valid_gid = ${a.mailGid}
mail_location = maildir:${d}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${d}/passwd
}
userdb {
  driver = static
  args = uid=${a.mailUid} gid=${a.mailGid} home=${d}/mail/%u
}
service anvil {
  chroot =
  # no growing delay after the failed logins tests make on purpose
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
}
`;
    writeFileSync(join(d, 'dovecot.conf'), conf);
  }

  /** Starts dovecot (again) on the same port and maildir; waits until it greets. */
  async start(): Promise<void> {
    if (this.proc) return;
    // a previous instance's login processes may hold the port for a moment after the master exits
    const freeBy = Date.now() + 10_000;
    while (!(await portBindable(this.port))) {
      if (Date.now() > freeBy) throw new Error(`dovecot: port ${this.port} is still in use`);
      await sleep(50);
    }
    const proc = spawn(dovecotBin as string, ['-F', '-c', join(this.dir, 'dovecot.conf')], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    process.once('exit', this.killOnExit);
    proc.stdout?.on('data', (b: Buffer) => {
      this.output += b.toString();
    });
    proc.stderr?.on('data', (b: Buffer) => {
      this.output += b.toString();
    });
    let exitedEarly = false;
    this.exited = new Promise((resolve) => {
      proc.once('exit', () => {
        exitedEarly = true;
        resolve();
      });
      proc.once('error', (err) => {
        this.output += `spawn failed: ${err.message}\n`;
        exitedEarly = true;
        resolve();
      });
    });
    const by = Date.now() + 15_000;
    while (!(await greets(this.port))) {
      if (exitedEarly || Date.now() > by) {
        const why = exitedEarly ? 'exited' : 'did not greet within 15 s';
        await this.stop();
        throw new Error(`dovecot ${why}:\n${this.output}${this.log()}`);
      }
      await sleep(50);
    }
  }

  /** Stops the whole instance (master and children, by their process group) and waits until it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc?.pid) {
      this.proc = null;
      return;
    }
    const pid = proc.pid;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
    const hard = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, 5000);
    await this.exited;
    const by = Date.now() + 5000;
    while (groupAlive(pid) && Date.now() < by) await sleep(25);
    clearTimeout(hard);
    process.off('exit', this.killOnExit);
    this.proc = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the server and removes every file it had. */
  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Drops every IMAP session of the test user (`doveadm kick`); the server stays up. */
  kick(): void {
    const doveadm = join(dovecotBin as string, '..', '..', 'bin', 'doveadm');
    execFileSync(
      existsSync(doveadm) ? doveadm : 'doveadm',
      ['-c', join(this.dir, 'dovecot.conf'), 'kick', this.auth.user],
      {
        stdio: 'ignore',
      },
    );
  }

  /** dovecot's own log (for failure messages). */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'dovecot.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Runs `fn` on a fresh, logged-in client and logs out. */
  async withClient<T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> {
    const c = new ImapFlow({ ...this.endpoint, logger: false, disableAutoIdle: true });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.logout().catch(() => c.close());
    }
  }

  async createFolder(folder: string): Promise<void> {
    await this.withClient(async (c) => {
      await c.mailboxCreate(folder);
    });
  }

  /** IMAP APPEND; returns the new message's UID. */
  async append(folder: string, raw: string | Buffer, flags: string[] = []): Promise<number> {
    return this.withClient(async (c) => {
      const res = await c.append(folder, raw, flags);
      if (!res || typeof res.uid !== 'number') throw new Error(`APPEND to ${folder} returned no UID`);
      return res.uid;
    });
  }

  /** The flags of each message in the folder, by UID. */
  async flags(folder: string): Promise<Map<number, Set<string>>> {
    return this.withClient(async (c) => {
      const out = new Map<number, Set<string>>();
      const mb = await c.mailboxOpen(folder, { readOnly: true });
      if (mb.exists === 0) return out;
      for (const m of await c.fetchAll('1:*', { uid: true, flags: true }))
        out.set(m.uid, m.flags ?? new Set());
      return out;
    });
  }

  /**
   * Drops a message into the folder's maildir `new/` directly (works while the server is down;
   * dovecot gives it a UID when it next looks). `folder` 'INBOX' or a maildir++ subfolder name.
   */
  deliverFile(folder: string, raw: string | Buffer): string {
    const base = folder.toUpperCase() === 'INBOX' ? this.mailDir : join(this.mailDir, `.${folder}`);
    for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(base, sub), { recursive: true });
    if (folder.toUpperCase() !== 'INBOX') writeFileSync(join(base, 'maildirfolder'), '');
    const name = `${Date.now()}.M${randomBytes(4).toString('hex')}P${process.pid}.kapi-test`;
    const tmp = join(base, 'tmp', name);
    const dest = join(base, 'new', name);
    writeFileSync(tmp, raw);
    if (userInfo().uid === 0) {
      for (const p of [this.mailDir, base, join(base, 'tmp'), join(base, 'new'), join(base, 'cur'), tmp])
        chownSync(p, this.acct.mailUid, this.acct.mailGid);
      if (folder.toUpperCase() !== 'INBOX')
        chownSync(join(base, 'maildirfolder'), this.acct.mailUid, this.acct.mailGid);
    }
    // maildir delivery: write in tmp/, then rename into new/
    renameSync(tmp, dest);
    return dest;
  }
}
