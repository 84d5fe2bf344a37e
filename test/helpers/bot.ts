/**
 * What the bot's end-to-end tests share: the list and bot addresses, deterministic reply
 * Message-IDs, the policy that sends to the list, and a log that keeps its lines.
 */
import type { BotLog } from '../../app/bot/run.js';
import { defaultMailPolicy, type MailPolicy } from '../../app/mail/policy.js';
import { fnv64 } from '../../checks/runner.js';

export const LIST = 'linux-frob@example.org';
export const BOT = 'kapi-review <bot@example.net>';

export const messageIdFor = (key: string): string => `${fnv64(key)}.kapi-review@example.net`;

/** Mode 'list' for LIST: replies go to the author with the list in Cc. */
export function listPolicy(): MailPolicy {
  return { ...defaultMailPolicy(BOT), lists: [{ address: LIST, mode: 'list' }] };
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
