/**
 * The bot's safety policy for mail: pure decisions, each with its reasons, so a log line or the
 * `outbox` command can say why a mail went out, waited or was dropped. No I/O here: the sender
 * (sender.ts) reads the stop file, the clock and the outbox counts and hands them in as facts.
 *
 * - Modes per list, most restrictive first: `dry-run` (write .eml files, send nothing; the default
 *   for any mail not addressed to a configured list), `reflect` (only to the operator, with the
 *   original recipients written at the top of the text), `author-only` (To without the lists, no
 *   Cc), `list` (as built). A mail that reaches several configured lists gets the most restrictive
 *   of their modes.
 * - A global and a per-list cap on mails sent in the last 24 hours; an emergency stop file.
 * - Never answer our own mail, mail with `Auto-Submitted` other than `no`, or known bots
 *   (configurable rules); never mail an opted-out address, nor answer one.
 * - Never twice to the same message for the same findings: the outbox adds a mail once per key,
 *   and reporters/email.ts keys a reply by its kind, the message it answers and its fingerprints.
 * - Every mail that leaves says it is automated (`withSafetyHeaders`).
 * - Mail commands in replies to our reviews: `parseCommands`.
 */
import { CHECKS } from '../../checks/index.js';
import { addressOf } from '../../parsers/headers.js';
import { type Address, autoSubmittedKeyword } from '../../parsers/mail.js';
import { escapeRe } from '../../parsers/text/regex.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';

export type MailMode = 'dry-run' | 'reflect' | 'author-only' | 'list';

/** From most to least restrictive. */
export const MAIL_MODES: readonly MailMode[] = ['dry-run', 'reflect', 'author-only', 'list'];

export interface ListPolicy {
  /** The list's posting address, e.g. linux-api@vger.kernel.org. */
  address: string;
  mode: MailMode;
  /** Mails to this list in the last 24 hours; null or absent: no list cap. */
  dailyCap?: number | null;
}

/**
 * A known bot. Every pattern given must match (case-insensitive globs, `*` for any run of
 * characters, anchored at both ends): `from` against the sender's address, `mailer` against
 * X-Mailer, `subject` against the Subject.
 */
export interface BotRule {
  name: string;
  from?: string;
  mailer?: string;
  subject?: string;
}

export interface MailPolicy {
  /** The bot's own address (the From of its mails and the SMTP envelope sender). */
  bot: string;
  /** Where `reflect` mode sends; reflect without an operator falls back to dry-run. */
  operator: string | null;
  /** The mode for mail that reaches no configured list. */
  defaultMode: MailMode;
  lists: ListPolicy[];
  /** Mails in the last 24 hours, all lists together; null: no global cap. */
  dailyCap: number | null;
  /** Address globs that never get mail from the bot and are never answered. */
  optOut: string[];
  bots: BotRule[];
}

/** Bots seen on kernel lists; config can replace or extend the list. */
export const DEFAULT_BOTS: readonly BotRule[] = [
  { name: 'patchwork', from: 'patchwork*@*' },
  { name: 'kernel test robot', from: 'lkp@intel.com' },
  { name: 'syzbot', from: 'syzbot*@*' },
  { name: 'KernelCI', from: 'bot@kernelci.org' },
  { name: 'LKFT', from: 'lkft@linaro.org' },
  { name: 'pr-tracker-bot', from: 'pr-tracker-bot@kernel.org' },
  { name: 'bugbot', from: 'bugbot@kernel.org' },
  // b4 sends patches too (X-Mailer: b4 0.14.2); its replies are `b4 ty` thank-you notes
  { name: 'b4 ty', mailer: 'b4 *', subject: 're:*' },
  { name: 'mailer-daemon', from: 'mailer-daemon@*' },
  { name: 'postmaster', from: 'postmaster@*' },
  { name: 'no-reply address', from: 'no*reply*@*' },
];

/** The safe starting point: every mail is written to a file, nothing is sent. */
export function defaultMailPolicy(bot: string): MailPolicy {
  return {
    bot,
    operator: null,
    defaultMode: 'dry-run',
    lists: [],
    dailyCap: 50,
    optOut: [],
    bots: [...DEFAULT_BOTS],
  };
}

// ---------------------------------------------------------------------------------------------
// Addresses and patterns

const globCache = new Map<string, RegExp>();

/** Case-insensitive glob, `*` for any run of characters, anchored at both ends. */
export function globMatch(pattern: string, value: string): boolean {
  let re = globCache.get(pattern);
  if (!re) {
    const source = pattern.trim().split('*').map(escapeRe).join('.*');
    re = new RegExp(`^${source}$`, 'is');
    globCache.set(pattern, re);
  }
  return re.test(value.trim());
}

function optedOut(address: string, policy: MailPolicy): boolean {
  return address !== '' && policy.optOut.some((p) => globMatch(p, address));
}

// ---------------------------------------------------------------------------------------------
// Incoming mail: may the bot answer it at all?

/** What the policy needs of a received mail (a PatchMail has all of it). */
export interface IncomingFacts {
  from: Address | string | null;
  autoSubmitted: string | null;
  mailer: string | null;
  subject: string;
}

export interface Verdict {
  ok: boolean;
  /** Why not (every reason that applies), or why yes. */
  reasons: string[];
}

/** The bot rules that match a mail, by name. */
function matchingBots(mail: IncomingFacts, rules: readonly BotRule[]): string[] {
  const from = addressOf(mail.from);
  return rules
    .filter((r) => r.from !== undefined || r.mailer !== undefined || r.subject !== undefined)
    .filter(
      (r) =>
        (r.from === undefined || globMatch(r.from, from)) &&
        (r.mailer === undefined || (mail.mailer !== null && globMatch(r.mailer, mail.mailer))) &&
        (r.subject === undefined || globMatch(r.subject, mail.subject)),
    )
    .map((r) => r.name);
}

/** Whether the bot may answer (review) this mail. */
export function mayAnswer(mail: IncomingFacts, policy: MailPolicy): Verdict {
  const reasons: string[] = [];
  const from = addressOf(mail.from);
  if (from === '') reasons.push('the mail has no From address');
  if (from !== '' && from === addressOf(policy.bot)) reasons.push(`it is our own mail (From ${from})`);
  if (mail.mailer !== null && /^\s*kapi-review\b/i.test(mail.mailer))
    reasons.push(`it is our own mail (X-Mailer: ${mail.mailer.trim()})`);
  // every Auto-Submitted header counts: the parser hands over the first that is not `no`
  if (mail.autoSubmitted !== null && autoSubmittedKeyword(mail.autoSubmitted) !== 'no')
    reasons.push(`it is automated (Auto-Submitted: ${mail.autoSubmitted.trim()})`);
  for (const bot of matchingBots(mail, policy.bots)) reasons.push(`it comes from a known bot (${bot})`);
  if (optedOut(from, policy)) reasons.push(`${from} opted out`);
  return reasons.length ? { ok: false, reasons } : { ok: true, reasons: ['no rule refuses it'] };
}

// ---------------------------------------------------------------------------------------------
// Outgoing mail: the outbox key, the mode, the caps

/**
 * `Auto-Submitted` (never `no`: that invites auto-replies and loops) and `X-Mailer: kapi-review`
 * (a `kapi-review <version>` value is kept), whatever the builder put there.
 */
export function withSafetyHeaders(mail: OutgoingMail): OutgoingMail {
  const headers: Record<string, string> = {};
  let auto = '';
  let mailer = '';
  for (const [name, value] of Object.entries(mail.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'auto-submitted') auto = value.trim();
    else if (lower === 'x-mailer') mailer = value.trim();
    else headers[name] = value;
  }
  return {
    ...mail,
    headers: {
      'Auto-Submitted': auto && !/^no\b/i.test(auto) && !/[\r\n]/.test(auto) ? auto : 'auto-generated',
      'X-Mailer': /^kapi-review\b/i.test(mailer) && !/[\r\n]/.test(mailer) ? mailer : 'kapi-review',
      ...headers,
    },
  };
}

/** The configured lists among a mail's recipients, and the mode they give it. */
export function modeFor(
  mail: Pick<OutgoingMail, 'to' | 'cc'>,
  policy: MailPolicy,
): { mode: MailMode; lists: ListPolicy[]; reason: string } {
  const recipients = new Set([...mail.to, ...mail.cc].map(addressOf));
  const lists = policy.lists.filter((l) => recipients.has(addressOf(l.address)));
  if (!lists.length)
    return { mode: policy.defaultMode, lists, reason: `no configured list among the recipients` };
  const mode = MAIL_MODES.find((m) => lists.some((l) => l.mode === m)) ?? policy.defaultMode;
  const names = lists.map((l) => `${addressOf(l.address)} (${l.mode})`).join(', ');
  return { mode, lists, reason: lists.length > 1 ? `most restrictive of ${names}` : `list ${names}` };
}

/** What the sender knows at send time. */
export interface SendFacts {
  /** The emergency stop file exists. */
  stopped: boolean;
  /** Mails sent in the last 24 hours, all together. */
  sentLastDay: number;
  /** The same per list address (lower-case); missing lists count 0. */
  sentLastDayByList: Record<string, number>;
}

export type Delivery =
  /** Not now (stop file, cap): back to pending, tried again later; `everything`: so is all other mail. */
  | { action: 'hold'; reason: string; everything: boolean }
  /** Never (a malformed mail, nobody left to send to): recorded as failed with the reason. */
  | { action: 'drop'; reason: string }
  /** Write `mail` as an .eml file, send nothing. */
  | { action: 'dry-run'; mail: OutgoingMail; reason: string }
  /** Send `mail` to `recipients` (the SMTP envelope; `mail` shows them in To and Cc). */
  | {
      action: 'send';
      mode: Exclude<MailMode, 'dry-run'>;
      mail: OutgoingMail;
      recipients: string[];
      reason: string;
      /** Recipients left out because they opted out. */
      removed: string[];
    };

/** Why a mail cannot be sent as it is ([] when it can). */
function mailProblems(mail: OutgoingMail): string[] {
  const problems: string[] = [];
  const looksLikeAddress = (a: string) => /^[^\s@<>]+@[^\s@<>]+$/.test(addressOf(a));
  if (!looksLikeAddress(mail.from)) problems.push(`From ${JSON.stringify(mail.from)} is not an address`);
  if (!mail.to.length) problems.push('no To address');
  for (const a of [...mail.to, ...mail.cc])
    if (!looksLikeAddress(a)) problems.push(`recipient ${JSON.stringify(a)} is not an address`);
  const id = mail.messageId.replace(/^<|>$/g, '');
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(id))
    problems.push(`Message-ID ${JSON.stringify(mail.messageId)} is malformed`);
  return problems;
}

function uniqueByAddress(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const a = addressOf(v);
    if (seen.has(a)) return false;
    seen.add(a);
    return true;
  });
}

function wrapField(name: string, values: readonly string[]): string[] {
  const indent = ' '.repeat(name.length + 2);
  const lines: string[] = [];
  let line = `${name}:`;
  values.forEach((v, i) => {
    const piece = `${v}${i < values.length - 1 ? ',' : ''}`;
    if (line !== `${name}:` && line.length + 1 + piece.length > 72) {
      lines.push(line);
      line = indent + piece;
    } else line += ` ${piece}`;
  });
  lines.push(line);
  return lines;
}

/** The mail the operator gets in reflect mode: the same mail, to the operator only. */
function reflectMail(mail: OutgoingMail, operator: string): OutgoingMail {
  const head = [
    '[kapi-review reflect mode: this mail went to the operator only, not to',
    'the recipients below]',
    ...wrapField('Original-To', mail.to),
    ...(mail.cc.length ? wrapField('Original-Cc', mail.cc) : []),
    '',
    '',
  ].join('\n');
  return { ...mail, to: [operator], cc: [], text: head + mail.text };
}

/** How (and whether) to deliver an outbox mail now. */
export function decideDelivery(built: OutgoingMail, policy: MailPolicy, facts: SendFacts): Delivery {
  const mail = withSafetyHeaders(built);
  if (facts.stopped) return { action: 'hold', reason: 'the emergency stop file exists', everything: true };
  const problems = mailProblems(built);
  if (problems.length) return { action: 'drop', reason: `malformed mail: ${problems.join('; ')}` };

  const { mode, lists, reason } = modeFor(mail, policy);
  if (mode === 'dry-run') return { action: 'dry-run', mail, reason: `dry-run: ${reason}` };
  if (mode === 'reflect' && !policy.operator)
    return {
      action: 'dry-run',
      mail,
      reason: `dry-run: reflect mode (${reason}) but no operator address is set`,
    };

  if (policy.dailyCap !== null && facts.sentLastDay >= policy.dailyCap)
    return {
      action: 'hold',
      reason: `the daily cap of ${policy.dailyCap} mails is reached`,
      everything: true,
    };
  for (const list of lists) {
    const cap = list.dailyCap ?? null;
    const sent = facts.sentLastDayByList[addressOf(list.address)] ?? 0;
    if (cap !== null && sent >= cap)
      return {
        action: 'hold',
        reason: `the daily cap of ${cap} mails to ${addressOf(list.address)} is reached`,
        everything: false,
      };
  }

  if (mode === 'reflect') {
    const operator = policy.operator as string;
    const reflected = reflectMail(mail, operator);
    return {
      action: 'send',
      mode,
      mail: reflected,
      recipients: [addressOf(operator)],
      reason: `reflect: ${reason}`,
      removed: [],
    };
  }

  const listAddresses = new Set(policy.lists.map((l) => addressOf(l.address)));
  const removed = [...mail.to, ...mail.cc].map(addressOf).filter((a) => optedOut(a, policy));
  const keep = (a: string) => !optedOut(addressOf(a), policy);
  let to = uniqueByAddress(mail.to.filter(keep));
  let cc = uniqueByAddress(mail.cc.filter(keep));
  if (mode === 'author-only') {
    to = to.filter((a) => !listAddresses.has(addressOf(a)));
    cc = [];
  } else {
    const inTo = new Set(to.map(addressOf));
    cc = cc.filter((a) => !inTo.has(addressOf(a)));
  }
  if (!to.length) {
    const why = removed.length ? `${removed.join(', ')} opted out` : 'only lists were in To';
    return { action: 'drop', reason: `${mode}: no To recipient left (${why})` };
  }
  const recipients = [...to, ...cc].map(addressOf);
  return {
    action: 'send',
    mode,
    mail: { ...mail, to, cc },
    recipients,
    reason: `${mode}: ${reason}${removed.length ? `; left out (opted out): ${removed.join(', ')}` : ''}`,
    removed,
  };
}

// ---------------------------------------------------------------------------------------------
// Mail commands

export type MailCommand =
  | { kind: 'ignore'; check: string; subject: string | null; line: number }
  | { kind: 'mute'; line: number };

export interface CommandRefusal {
  /** 1-based line of the command in the body. */
  line: number;
  text: string;
  reason: string;
}

export interface CommandContext {
  /** The patch author's address (or `Name <addr>`). */
  author: string | Address | null;
  /** Maintainers of the list or the files (addresses or globs). */
  maintainers: readonly string[];
  /** Known check ids; default: every registered check. */
  checks?: readonly string[];
}

const COMMAND = /^\s*kapi-review\s*:(.*)$/i;
/** Where a top-posted or forwarded original starts, when its lines carry no `>`. */
const QUOTED_BELOW = [/^-{2,}\s*original message\s*-{2,}\s*$/i, /^_{10,}\s*$/, /^-- $/];

/**
 * The `kapi-review:` commands in a reply to one of our reviews. Only lines that begin with
 * `kapi-review:` count: quoted lines (`>`), lines below a signature or a forwarded original, and
 * mentions inside a sentence do not. Only the patch author or a maintainer may give commands;
 * everything else is refused with a reason the bot can quote back.
 */
export function parseCommands(
  body: string,
  from: string | Address | null,
  ctx: CommandContext,
): { accepted: MailCommand[]; refused: CommandRefusal[] } {
  const accepted: MailCommand[] = [];
  const refused: CommandRefusal[] = [];
  const checks = new Set((ctx.checks ?? CHECKS.map((c) => c.meta.id)).map((c) => c.toLowerCase()));
  const sender = addressOf(from);
  const isAuthor = sender !== '' && sender === addressOf(ctx.author);
  const isMaintainer = sender !== '' && ctx.maintainers.some((m) => globMatch(addressOf(m) || m, sender));
  const lines = body.replace(/\r\n?/g, '\n').split('\n');

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (QUOTED_BELOW.some((re) => re.test(raw))) break;
    // a quoted line (`> kapi-review: mute`) does not begin with `kapi-review:`, so it never matches
    const m = COMMAND.exec(raw);
    if (!m) continue;
    const line = i + 1;
    const text = raw.trim();
    const refuse = (reason: string) => refused.push({ line, text, reason });
    if (!isAuthor && !isMaintainer) {
      refuse(
        sender
          ? `${sender} is neither the patch author nor a maintainer`
          : 'the mail has no From address to authorise the command',
      );
      continue;
    }
    const words = (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
    const verb = words[0]?.toLowerCase();
    if (verb === undefined) refuse('no command after "kapi-review:" (known: ignore, mute)');
    else if (verb === 'mute') {
      if (words.length > 1) refuse('mute takes no arguments');
      else accepted.push({ kind: 'mute', line });
    } else if (verb === 'ignore') {
      const check = words[1]?.toLowerCase();
      if (check === undefined) refuse('ignore needs a check id, e.g. "kapi-review: ignore kapi-errno-alias"');
      else if (!checks.has(check)) refuse(`unknown check id "${words[1]}"`);
      else {
        const subject = words.slice(2).join(' ');
        accepted.push({ kind: 'ignore', check, subject: subject === '' ? null : subject, line });
      }
    } else refuse(`unknown command "${words[0]}" (known: ignore, mute)`);
  }
  return { accepted, refused };
}
