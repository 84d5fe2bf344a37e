/**
 * What the bot's end-to-end tests share: the list and bot addresses, deterministic reply
 * Message-IDs, the policy that sends to the list, and a log that keeps its lines.
 */

import { join } from 'node:path';
import { type Bot, type BotDeps, type BotLog, createBot } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { defaultConfig } from '../../app/config/index.js';
import { defaultMailPolicy, type MailPolicy } from '../../app/mail/policy.js';
import { CHECKS } from '../../checks/index.js';
import { fnv64 } from '../../parsers/hash.js';

export const LIST = 'linux-frob@example.org';
export const BOT = 'kapi-review <bot@example.net>';

export const messageIdFor = (key: string): string => `${fnv64(key)}.kapi-review@example.net`;

/** Mode 'list' for LIST: replies go to the author with the list in Cc. */
export function listPolicy(): MailPolicy {
  return { ...defaultMailPolicy(BOT), lists: [{ address: LIST, mode: 'list' }] };
}

/** Mode 'dry-run' for LIST: replies are written as .eml files, nothing is sent. */
export function dryRunPolicy(): MailPolicy {
  return { ...defaultMailPolicy(BOT), lists: [{ address: LIST, mode: 'dry-run' }] };
}

/**
 * A bot's dependencies as the tests use them: every check at its default, hunks only, LIST in
 * mode 'list', an SMTP port nothing listens on, no delivery probe, deterministic Message-IDs and
 * an hour's wait for incomplete series. A test gives what is its own and overrides the rest.
 */
export function botDeps(
  own: Pick<BotDeps, 'store' | 'log' | 'now' | 'dryRunDir'> & Partial<BotDeps>,
): BotDeps {
  return {
    parser: null,
    checks: CHECKS,
    config: defaultConfig(),
    tree: null,
    policy: listPolicy(),
    transport: { host: '127.0.0.1', port: 9, ignoreTLS: true },
    probe: null,
    messageIdFor,
    incompleteAfterMs: 3_600_000,
    ...own,
  };
}

export interface LogLine {
  level: string;
  msg: string;
}

export function memoryLog(): BotLog & { lines: LogLine[]; text(level?: string): string } {
  const lines: LogLine[] = [];
  const at = (level: string) => (_obj: object, msg: string) => void lines.push({ level, msg });
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

/**
 * The bot on fixtures/tree-frob with the real C parser, in dry-run for LIST: its .eml files go to
 * `dir`/eml. A test gives its store and clock and overrides the rest.
 */
export async function frobBot(
  dir: string,
  own: Pick<BotDeps, 'store' | 'now'> & Partial<BotDeps>,
): Promise<Bot> {
  return createBot(
    botDeps({
      parser: await loadCParser(),
      tree: 'fixtures/tree-frob',
      policy: dryRunPolicy(),
      log: memoryLog(),
      dryRunDir: join(dir, 'eml'),
      ...own,
    }),
  );
}
