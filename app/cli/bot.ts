/**
 * `kapi-review bot`: watch an IMAP folder (or follow a list on lore: --lore-url and --lore-list,
 * app/bot/lore.ts), review each series, queue and send the replies (app/bot/run.ts). Safe by
 * default: the mode is dry-run (replies are written as .eml files under --out) unless another mode
 * is given explicitly; --list (repeatable) names the lists the mode applies to.
 *
 * SMTP: --smtp-tls (auto, starttls, tls, none), --smtp-user with the password in the environment
 * variable --smtp-pass-env names (never on the command line), --smtp-ca to trust a CA. Credentials
 * never go out without TLS. HTTP (lore) names the bot and a contact: --contact, else --from.
 */

import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CHECKS } from '../../checks/index.js';
import { fnv64 } from '../../parsers/hash.js';
import { addressOf } from '../../parsers/headers.js';
import { pollLore, watchLore } from '../bot/lore.js';
import { createBot, watchImap } from '../bot/run.js';
import { loadCParser } from '../c/language.js';
import { defaultCacheDir } from '../cache/facts.js';
import { defaultMailPolicy, MAIL_MODES, type MailMode, type MailPolicy } from '../mail/policy.js';
import { imapDeliveryProbe, loreDeliveryProbe, type ProbeLog } from '../mail/probe.js';
import type { MailTransport } from '../mail/sender.js';
import type { DeliveryProbe } from '../mail/types.js';
import { userAgent } from '../net/http.js';
import { defaultStorePath } from '../store/db.js';
import type { OutboxRepo } from '../store/outbox.js';
import { Store, StoreError } from '../store/store.js';
import { commandConfig } from './config.js';
import type { CliIo } from './main.js';
import { type PatchworkBotOptions, patchworkSetup } from './patchwork.js';
import { UsageError } from './usage.js';

export interface BotOptions extends PatchworkBotOptions {
  imapHost?: string;
  imapPort: string;
  imapUser?: string;
  imapPassEnv?: string;
  /** Follow a list on lore instead of IMAP: the base URL, and --lore-list the inbox. */
  loreUrl?: string;
  loreList?: string;
  /** Seconds between two polls of the lore feed. */
  poll?: string;
  imapSecure?: boolean;
  folder: string;
  smtpHost: string;
  smtpPort: string;
  /** auto (default), starttls, tls, none. */
  smtpTls?: string;
  smtpUser?: string;
  /** The environment variable that holds the SMTP password. */
  smtpPassEnv?: string;
  /** A PEM file of the CA (or certificate) to trust for the SMTP server. */
  smtpCa?: string;
  /** The address the HTTP User-Agent names for contact; default the address of --from. */
  contact?: string;
  from: string;
  mode: string;
  /** The lists the mode applies to (and replies Cc in list mode). */
  list?: string[];
  operator?: string;
  tree?: string;
  /** False with --no-cache. */
  cache?: boolean;
  cacheDir?: string;
  state?: string;
  out?: string;
  config?: string;
  incompleteAfter: string;
  stopFile?: string;
  /** Process what is in the folder, then stop (for cron, and for tests). */
  once?: boolean;
  /** Addresses (or globs) whose mail commands are obeyed besides the patch author's. */
  maintainer?: string[];
  /** Mails in 24 hours: all lists together, and per list. */
  dailyCap?: string;
  listDailyCap?: string;
  /** Addresses (or globs) that asked never to get mail from the bot. */
  optOut?: string[];
  /** Mail a weekly digest to this address (through the outbox, under the same mode and caps). */
  digestTo?: string;
}

function port(what: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${what}: not a port: ${v}`);
  return n;
}

/** Builds the mail policy from the options: nothing leaves in dry-run, the default. */
function count(what: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${what}: not a count: ${v}`);
  return n;
}

export function botPolicy(
  opts: Pick<BotOptions, 'from' | 'mode' | 'list' | 'operator' | 'dailyCap' | 'listDailyCap' | 'optOut'>,
): MailPolicy {
  if (!MAIL_MODES.includes(opts.mode as MailMode))
    throw new UsageError(`--mode: one of ${MAIL_MODES.join(', ')}, not ${opts.mode}`);
  const mode = opts.mode as MailMode;
  if (!isAddress(opts.from)) throw new UsageError(`--from ${opts.from}: not an address`);
  const policy = defaultMailPolicy(opts.from);
  policy.defaultMode = mode;
  policy.operator = opts.operator ?? null;
  policy.optOut = [...policy.optOut, ...(opts.optOut ?? [])];
  if (opts.dailyCap !== undefined) policy.dailyCap = count('--daily-cap', opts.dailyCap);
  const listCap = opts.listDailyCap === undefined ? undefined : count('--list-daily-cap', opts.listDailyCap);
  const lists: string[] = [];
  for (const list of opts.list ?? []) {
    if (!isAddress(list)) throw new UsageError(`--list ${list}: not an address`);
    if (!lists.some((l) => addressOf(l) === addressOf(list))) lists.push(list);
  }
  policy.lists = lists.map((address) => ({
    address,
    mode,
    ...(listCap !== undefined ? { dailyCap: listCap } : {}),
  }));
  return policy;
}

function isAddress(v: string): boolean {
  return /^[^\s@<>]+@[^\s@<>]+$/.test(addressOf(v));
}

const SMTP_TLS = ['auto', 'starttls', 'tls', 'none'] as const;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * The SMTP options from the command line. auto: TLS from the start on port 465, else STARTTLS
 * when the server offers it, and required once there is a login; starttls: required; tls: from
 * the start; none: plain, and then no login except to a relay on loopback. The password is read
 * from the environment variable --smtp-pass-env names; --smtp-ca is read here, so a bad file is a
 * usage error at start and not a failed send.
 */
export async function smtpTransport(
  opts: Pick<BotOptions, 'smtpHost' | 'smtpPort' | 'smtpTls' | 'smtpUser' | 'smtpPassEnv' | 'smtpCa'>,
  env: NodeJS.ProcessEnv,
): Promise<MailTransport> {
  const smtpPort = port('--smtp-port', opts.smtpPort);
  const mode = opts.smtpTls ?? 'auto';
  if (!(SMTP_TLS as readonly string[]).includes(mode))
    throw new UsageError(`--smtp-tls: one of ${SMTP_TLS.join(', ')}, not ${mode}`);
  if ((opts.smtpUser === undefined) !== (opts.smtpPassEnv === undefined))
    throw new UsageError('--smtp-user and --smtp-pass-env go together');
  let auth: { user: string; pass: string } | null = null;
  if (opts.smtpUser !== undefined && opts.smtpPassEnv !== undefined) {
    const pass = env[opts.smtpPassEnv];
    if (pass === undefined || pass === '')
      throw new UsageError(`--smtp-pass-env ${opts.smtpPassEnv}: that environment variable is not set`);
    if (mode === 'none' && !LOOPBACK.has(opts.smtpHost.toLowerCase()))
      throw new UsageError(
        `--smtp-tls none with --smtp-user: the password would cross the network in clear to ${opts.smtpHost}`,
      );
    auth = { user: opts.smtpUser, pass };
  }
  let ca: string | null = null;
  if (opts.smtpCa !== undefined) {
    ca = await readFile(opts.smtpCa, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`--smtp-ca ${opts.smtpCa}: ${e.code ?? e.message}`);
    });
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new UsageError(`--smtp-ca ${opts.smtpCa}: no PEM certificate in it`);
  }
  const secure = mode === 'tls' || (mode === 'auto' && smtpPort === 465);
  return {
    host: opts.smtpHost,
    port: smtpPort,
    ...(secure ? { secure: true } : {}),
    ...(mode === 'starttls' || (mode === 'auto' && !secure && auth) ? { requireTLS: true } : {}),
    ...(mode === 'none' ? { ignoreTLS: true } : {}),
    ...(ca !== null ? { tls: { ca } } : {}),
    ...(auth ? { auth } : {}),
  };
}

type BotSource =
  | { kind: 'imap'; host: string; user: string; pass: string }
  | { kind: 'lore'; baseUrl: string; list: string; pollMs: number };

/** IMAP (--imap-host, --imap-user, --imap-pass-env) or lore (--lore-url, --lore-list), not both. */
function botSource(opts: BotOptions, env: NodeJS.ProcessEnv): BotSource {
  const lore = opts.loreUrl !== undefined || opts.loreList !== undefined;
  if (lore) {
    if (opts.imapHost !== undefined) throw new UsageError('--imap-host and --lore-url: one source at a time');
    if (!opts.loreUrl || !opts.loreList) throw new UsageError('--lore-url and --lore-list go together');
    if (!/^https?:\/\//i.test(opts.loreUrl))
      throw new UsageError(`--lore-url ${opts.loreUrl}: not an http(s) URL`);
    if (!/^[\w.-]+$/.test(opts.loreList))
      throw new UsageError(`--lore-list ${opts.loreList}: not a list name`);
    const seconds = Number(opts.poll ?? '300');
    if (!Number.isFinite(seconds) || seconds < 1) throw new UsageError(`--poll: seconds, not ${opts.poll}`);
    return { kind: 'lore', baseUrl: opts.loreUrl, list: opts.loreList, pollMs: seconds * 1000 };
  }
  if (!opts.imapHost || !opts.imapUser || !opts.imapPassEnv)
    throw new UsageError(
      'a source is needed: --imap-host, --imap-user and --imap-pass-env, or --lore-url and --lore-list',
    );
  const pass = env[opts.imapPassEnv];
  if (pass === undefined || pass === '')
    throw new UsageError(`--imap-pass-env ${opts.imapPassEnv}: that environment variable is not set`);
  return { kind: 'imap', host: opts.imapHost, user: opts.imapUser, pass };
}

/** Lists deliver late: a reply claimed less than this long ago and not seen yet is left to the operator. */
const PROBE_GRACE_MS = 6 * 60 * 60 * 1000;

/** The IMAP folder the bot reads, as the watcher and the delivery probe connect to it. */
function imapFolder(source: BotSource & { kind: 'imap' }, opts: BotOptions, imapPort: number) {
  return {
    host: source.host,
    port: imapPort,
    secure: opts.imapSecure ?? imapPort === 993,
    auth: { user: source.user, pass: source.pass },
    folder: opts.folder,
  };
}

/**
 * After a crash, a reply left in 'sending' is looked for where the bot reads the list; one not
 * found counts as undelivered only when it was claimed more than PROBE_GRACE_MS ago.
 */
function deliveryProbe(
  source: BotSource,
  opts: BotOptions,
  imapPort: number,
  outbox: OutboxRepo,
  log: ProbeLog,
): DeliveryProbe {
  const grace = {
    graceMs: PROBE_GRACE_MS,
    now: () => new Date(),
    claimedAt: (messageId: string) => {
      const row = outbox
        .list({ state: 'sending', limit: 10_000 })
        .find((r) => r.mail.messageId === messageId);
      return row?.claimedAt ? new Date(row.claimedAt) : null;
    },
  };
  return source.kind === 'lore'
    ? loreDeliveryProbe({
        baseUrl: source.baseUrl,
        inbox: source.list,
        log,
        userAgent: userAgent(opts.contact ?? addressOf(opts.from)),
        ...grace,
      })
    : imapDeliveryProbe({ ...imapFolder(source, opts, imapPort), log, ...grace });
}

export async function botCommand(opts: BotOptions, io: CliIo, env = process.env): Promise<number> {
  const policy = botPolicy(opts);
  const source = botSource(opts, env);
  const imapPort = port('--imap-port', opts.imapPort);
  const transport = await smtpTransport(opts, env);
  if (opts.contact !== undefined && !isAddress(opts.contact))
    throw new UsageError(`--contact ${opts.contact}: not an address`);
  const incompleteMin = Number(opts.incompleteAfter);
  if (!Number.isFinite(incompleteMin) || incompleteMin < 0)
    throw new UsageError(`--incomplete-after: minutes, not ${opts.incompleteAfter}`);
  if (opts.tree) {
    const st = await stat(opts.tree).catch(() => null);
    if (!st?.isDirectory()) throw new UsageError(`--tree ${opts.tree}: not a directory`);
  }
  const config = await commandConfig(opts.config);
  if (opts.digestTo !== undefined && !/^[^\s@<>]+@[^\s@<>]+$/.test(addressOf(opts.digestTo)))
    throw new UsageError(`--digest-to ${opts.digestTo}: not an address`);
  const patchwork = patchworkSetup(opts, env);
  const statePath = opts.state ?? defaultStorePath(env, homedir());
  let store: Store;
  try {
    store = Store.open({ path: statePath, now: () => new Date() });
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
  const line =
    (level: string) =>
    (obj: object, msg: string): void => {
      const extra = Object.keys(obj).length ? ` ${JSON.stringify(obj)}` : '';
      io.err(`${new Date().toISOString()} ${level}: ${msg}${level === 'debug' ? '' : extra}\n`);
    };
  const log = { info: line('info'), warn: line('warn'), error: line('error') };
  const domain = addressOf(opts.from).split('@')[1] ?? 'kapi-review.invalid';
  const probe = deliveryProbe(source, opts, imapPort, store.outbox, log);
  const bot = createBot({
    store,
    parser: await loadCParser(),
    checks: CHECKS,
    config,
    tree: opts.tree ?? null,
    cache: opts.cache === false ? null : { dir: opts.cacheDir ?? defaultCacheDir(env) },
    policy,
    transport,
    probe,
    now: () => new Date(),
    log,
    messageIdFor: (key) => `kapi-review.${fnv64(key)}@${domain}`,
    incompleteAfterMs: incompleteMin * 60_000,
    maintainers: opts.maintainer ?? [],
    dryRunDir: opts.out ?? join(dirname(statePath), 'dry-run'),
    stopFile: opts.stopFile ?? null,
    digestTo: opts.digestTo ?? null,
    patchwork,
  });
  io.err(
    `kapi-review bot: mode ${policy.defaultMode}${policy.lists.length ? ` for ${policy.lists.map((l) => l.address).join(', ')}` : ''}, state ${statePath}\n`,
  );
  if (source.kind === 'lore') {
    const loreOpts = {
      bot,
      baseUrl: source.baseUrl,
      list: source.list,
      cursor: store.cursors,
      seen: (id: string) => store.messages.isSeen(id),
      pollMs: source.pollMs,
      log,
      http: { userAgent: userAgent(opts.contact ?? addressOf(opts.from)) },
    };
    if (opts.once) {
      try {
        const r = await pollLore(loreOpts);
        if (r.entries === 0) io.err(`kapi-review bot: nothing new in the feed of ${source.list}\n`);
        return r.retry.length > 0 ? 1 : 0;
      } catch (e) {
        io.err(`kapi-review bot: ${e instanceof Error ? e.message : String(e)}\n`);
        return 1;
      } finally {
        store.close();
      }
    }
    const lore = watchLore(loreOpts);
    const stopLore = () => void lore.stop();
    process.once('SIGINT', stopLore);
    process.once('SIGTERM', stopLore);
    try {
      await lore.done;
      return 0;
    } finally {
      process.off('SIGINT', stopLore);
      process.off('SIGTERM', stopLore);
      store.close();
    }
  }
  const watcher = watchImap({
    ...imapFolder(source, opts, imapPort),
    bot,
    store,
    log,
  });
  const stop = () => void watcher.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    if (opts.once) {
      await Promise.race([watcher.caughtUp(), watcher.done]);
      const tick = await bot.tick();
      // an empty folder (or one whose mail was all seen before) says so rather than nothing
      if (watcher.status().processed === 0 && tick.decisions.length === 0)
        io.err(`kapi-review bot: no new mail in folder ${opts.folder}\n`);
      await watcher.stop();
    }
    await watcher.done;
    return 0;
  } catch (e) {
    io.err(`kapi-review bot: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    store.close();
  }
}
