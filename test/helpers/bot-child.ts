/**
 * The lore-fed bot in a child process, for the crash test of test/app/bot-lore-e2e.test.ts (run by
 * run-ts.mjs): opens the state file, follows the test's lore server for one poll and sends to the
 * test's smtp-server in 'list' mode. The test SIGKILLs it the moment smtp-server answers 250, so
 * it dies between the send and the record of the send.
 */
import { pollLore } from '../../app/bot/lore.js';
import { createBot } from '../../app/bot/run.js';
import { loadCParser } from '../../app/c/language.js';
import { defaultConfig } from '../../app/config/index.js';
import type { MailPolicy } from '../../app/mail/policy.js';
import { Store } from '../../app/store/store.js';
import { CHECKS } from '../../checks/index.js';
import { fnv64 } from '../../parsers/hash.js';

export interface BotChildArgs {
  statePath: string;
  baseUrl: string;
  list: string;
  smtpPort: number;
  policy: MailPolicy;
  dryRunDir: string;
  /** ISO time of the bot's clock. */
  now: string;
  messageIdDomain: string;
}

export async function main(args: BotChildArgs): Promise<void> {
  const now = () => new Date(args.now);
  const store = Store.open({ path: args.statePath, now });
  const line = (level: string) => (o: object, m: string) =>
    void process.stderr.write(`${level} ${m} ${JSON.stringify(o)}\n`);
  const log = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  const bot = createBot({
    store,
    parser: await loadCParser(),
    checks: CHECKS,
    config: defaultConfig(),
    tree: 'fixtures/tree-frob',
    policy: args.policy,
    transport: { host: '127.0.0.1', port: args.smtpPort, ignoreTLS: true },
    probe: null,
    now,
    log,
    messageIdFor: (key) => `${fnv64(key)}.kapi-review@${args.messageIdDomain}`,
    incompleteAfterMs: 3_600_000,
    dryRunDir: args.dryRunDir,
  });
  process.stdout.write('READY\n');
  const report = await pollLore({
    bot,
    baseUrl: args.baseUrl,
    list: args.list,
    cursor: store.cursors,
    seen: (id) => store.messages.isSeen(id),
    pollMs: 60_000,
    log,
    now,
    http: { timeoutMs: 5_000, retries: 2, baseDelayMs: 10, maxDelayMs: 50 },
  });
  store.close();
  process.stdout.write(`DONE ${JSON.stringify({ queued: report.tick?.queued ?? 0 })}\n`);
}
