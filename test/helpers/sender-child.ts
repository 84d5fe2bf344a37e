/**
 * The sender in a child process, for the crash tests (sender-suite.ts): opens the outbox from
 * `outboxModule` (its `openOutbox(dir)`, loaded by run-ts.mjs), runs sendPending against the test's smtp-server, and can
 * stop at a point of the protocol, print `PAUSED <point> <id>` and wait there to be SIGKILLed.
 */

import type { MailPolicy } from '../../app/mail/policy.js';
import { type SendHooks, sendPending } from '../../app/mail/sender.js';
import type { Outbox } from '../../app/mail/types.js';

export interface ChildArgs {
  outboxModule: string;
  dir: string;
  port: number;
  policy: MailPolicy;
  dryRunDir: string;
  pause: 'beforeSmtp' | 'afterAccept' | null;
}

export async function main(args: ChildArgs, load: (file: string) => Promise<unknown>): Promise<void> {
  const mod = (await load(args.outboxModule)) as { openOutbox(dir: string): Outbox };
  const outbox = mod.openOutbox(args.dir);
  const pause = (point: string, id: number) =>
    new Promise<void>(() => {
      process.stdout.write(`PAUSED ${point} ${id}\n`);
      setInterval(() => undefined, 1000); // keep the process alive until the kill
    });
  const hooks: SendHooks = {};
  if (args.pause === 'beforeSmtp') hooks.beforeSmtp = (e) => pause('beforeSmtp', e.id);
  if (args.pause === 'afterAccept') hooks.afterAccept = (e) => pause('afterAccept', e.id);
  const log = {
    info: (o: object, m: string) => process.stderr.write(`info ${m} ${JSON.stringify(o)}\n`),
    warn: (o: object, m: string) => process.stderr.write(`warn ${m} ${JSON.stringify(o)}\n`),
    error: (o: object, m: string) => process.stderr.write(`error ${m} ${JSON.stringify(o)}\n`),
  };
  const report = await sendPending({
    outbox,
    transport: { host: '127.0.0.1', port: args.port, ignoreTLS: true },
    policy: args.policy,
    dryRunDir: args.dryRunDir,
    log,
    now: () => new Date(),
    hooks,
  });
  process.stdout.write(`DONE ${JSON.stringify(report.outcomes)}\n`);
}
