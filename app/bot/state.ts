/**
 * What the mailing-list bot's steps share: its dependencies (BotDeps), the state that lives as
 * long as the bot (BotState: whether crashed sends were recovered, the tick in progress) and the
 * report of a tick. The steps are ingest.ts (mail in), tick.ts (series out) and revisions.ts
 * (what a revision is in the store, and its replies); run.ts puts them together as a Bot.
 */
import type { Parser } from 'web-tree-sitter';
import type { Check } from '../../checks/types.js';
import { addressOf } from '../../parsers/headers.js';
import type { ReviewConfig } from '../config/index.js';
import type { DigestMailResult } from '../digest/mail.js';
import type { MailPolicy } from '../mail/policy.js';
import type { MailTransport, SendReport } from '../mail/sender.js';
import type { DeliveryProbe } from '../mail/types.js';
import type { PatchworkPass, PatchworkSetup } from '../patchwork/ledger.js';
import type { ReviewJob } from '../review/job.js';
import type { ReviewPool } from '../review/pool.js';
import type { Store } from '../store/store.js';
import type { Decision } from './queue.js';

/** pino-compatible; `debug` is optional. */
export interface BotLog {
  debug?(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface BotDeps {
  store: Store;
  /** The C parser (app/c/language.ts loadCParser); null checks hunks as text only. */
  parser: Parser | null;
  checks: readonly Check[];
  config: ReviewConfig;
  /** A kernel tree to apply series on, or null for hunks only. */
  tree: string | null;
  policy: MailPolicy;
  transport: MailTransport;
  /** Asked at the first send after start for entries a crash left in 'sending'; null: no recovery. */
  probe: DeliveryProbe | null;
  now: () => Date;
  log: BotLog;
  /** Deterministic Message-ID (without brackets) for a reply's key. */
  messageIdFor: (key: string) => string;
  /** How long an incomplete series waits for its missing patches, from its first mail. */
  incompleteAfterMs: number;
  /** Where dry-run mode writes .eml files. */
  dryRunDir: string;
  /** The emergency stop file (nothing is sent while it exists). */
  stopFile?: string | null;
  /** Maintainers who may give mail commands besides the patch author (addresses or globs). */
  maintainers?: readonly string[];
  /** Larger messages are refused unread. Default 20 MB. */
  maxMessageBytes?: number;
  /** Mail a digest (app/dashboard/digest.ts) to this address through the outbox once a week. */
  digestTo?: string | null;
  /** How often the digest goes out; default a week. */
  digestEveryMs?: number;
  /** The workers reviews run in; default the process's pool (sharedReviewPool), null: this thread. */
  pool?: ReviewPool | null;
  /**
   * Where the review workers keep what the parsers made of a file (and whole reviews) between
   * series and restarts; absent or null: each worker keeps it in memory only.
   */
  cache?: ReviewJob['cache'];
  /** Post one check per reviewed patch to this patchwork instance; absent or null: nothing is posted. */
  patchwork?: PatchworkSetup | null;
}

export interface TickReport {
  decisions: { kind: Decision['kind']; series: string; revision: number }[];
  queued: number;
  send: SendReport | null;
  processed: number;
  /** With digestTo: what the digest did this tick (started, not-due, empty, queued). */
  digest?: DigestMailResult['kind'];
  /** With patchwork: what became of the pending checks this tick. */
  patchwork?: PatchworkPass;
}

export interface Bot {
  ingest(raw: Buffer, source: string): Promise<void>;
  tick(): Promise<TickReport>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 20 * 1024 * 1024;

/** The bot between two calls: its dependencies and what it remembers. */
export interface BotState {
  readonly deps: BotDeps;
  /** Larger messages are refused unread. */
  readonly maxBytes: number;
  /** The configured lists' addresses, as addressOf gives them. */
  readonly listAddresses: readonly string[];
  /** The outbox's entries a crash left in 'sending' were asked about (once per start). */
  recovered: boolean;
  /** The tick in progress, or the last one; the next waits for it. */
  ticking: Promise<TickReport> | null;
}

export function botState(deps: BotDeps): BotState {
  return {
    deps,
    maxBytes: deps.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    listAddresses: deps.policy.lists.map((l) => addressOf(l.address)),
    recovered: false,
    ticking: null,
  };
}

export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
