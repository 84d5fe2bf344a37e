/**
 * `kapi-review patchwork-check`: review one series and post one check per patch to a patchwork
 * instance (app/patchwork/post.ts: looked up by Message-ID, never posted twice), and the bot's
 * patchwork options. The token is read from the environment (PATCHWORK_TOKEN, or the variable
 * --token-env names), never from the command line, where every user of the machine could read it.
 */
import { existsSync } from 'node:fs';
import { CHECKS } from '../../checks/index.js';
import { DEFAULT_LORE_URL, looksLikeLoreRef } from '../../parsers/lore-refs.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { sanitize } from '../../parsers/text/controls.js';
import { PATCHWORK_CONTEXT, type PatchCheckPlan, planPatchChecks } from '../../reporters/patchwork.js';
import { loadCParser } from '../c/language.js';
import { collectMails, FileError, type InputMail } from '../io/inputs.js';
import { PatchworkClient, PatchworkError } from '../patchwork/client.js';
import type { PatchworkSetup } from '../patchwork/ledger.js';
import { type PostOutcome, postCheck } from '../patchwork/post.js';
import { tooLargeText } from '../review/limits.js';
import { reviewOneSeries } from '../review/run.js';
import { fetchThreadMails, LoreError } from '../sources/lore.js';
import { commandConfig } from './config.js';
import type { CliIo } from './main.js';
import { UsageError } from './usage.js';

const DEFAULT_TOKEN_ENV = 'PATCHWORK_TOKEN';

export interface PatchworkCheckOptions {
  patchwork: string;
  project: string;
  tokenEnv?: string;
  targetUrl?: string;
  tree?: string;
  config?: string;
  loreUrl?: string;
  dryRun?: boolean;
}

/** The bot's patchwork options: all off unless --patchwork-url is given. */
export interface PatchworkBotOptions {
  patchworkUrl?: string;
  patchworkProject?: string;
  patchworkTokenEnv?: string;
  dashboardUrl?: string;
}

function httpUrl(what: string, v: string, max?: number): string {
  let u: URL | null = null;
  try {
    u = new URL(v);
  } catch {
    // said below
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
    throw new UsageError(`${what} ${v}: not an http(s) URL`);
  if (max !== undefined && v.length > max)
    throw new UsageError(`${what}: patchwork takes URLs of up to ${max} characters, not ${v.length}`);
  return v;
}

/** The token from the environment; a usage error naming the variable when it is not set. */
function tokenFrom(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const token = env[name]?.trim();
  if (!token)
    throw new UsageError(
      `${what}: set the patchwork API token in ${name} (it is read from the environment, never from the command line)`,
    );
  return token;
}

function client(url: string, project: string, token: string | null): PatchworkClient {
  try {
    return new PatchworkClient({ url, project, token });
  } catch (e) {
    if (e instanceof PatchworkError) throw new UsageError(e.message);
    throw e;
  }
}

/** The bot's patchwork setup from its options, or null when patchwork is not configured. */
export function patchworkSetup(opts: PatchworkBotOptions, env: NodeJS.ProcessEnv): PatchworkSetup | null {
  if (opts.patchworkUrl === undefined) {
    if (opts.patchworkProject !== undefined || opts.patchworkTokenEnv !== undefined)
      throw new UsageError('--patchwork-project and --patchwork-token-env need --patchwork-url');
    return null;
  }
  if (!opts.patchworkProject) throw new UsageError('--patchwork-url needs --patchwork-project');
  const token = tokenFrom(env, opts.patchworkTokenEnv ?? DEFAULT_TOKEN_ENV, '--patchwork-url');
  return {
    client: client(httpUrl('--patchwork-url', opts.patchworkUrl), opts.patchworkProject, token),
    dashboardUrl: opts.dashboardUrl === undefined ? null : httpUrl('--dashboard-url', opts.dashboardUrl),
  };
}

/** The one series of the inputs (files, folders, stdin, lore URLs or Message-IDs). */
async function oneSeries(inputs: string[], opts: PatchworkCheckOptions, io: CliIo): Promise<Series> {
  const loreRefs = inputs.filter((i) => looksLikeLoreRef(i, existsSync));
  const files = inputs.filter((i) => !loreRefs.includes(i));
  const baseUrl = opts.loreUrl || process.env.KAPI_LORE_URL || DEFAULT_LORE_URL;
  let read: Awaited<ReturnType<typeof collectMails>>;
  try {
    read = await collectMails(files, io.stdin, async () => {
      const fetched: InputMail[] = [];
      for (const ref of loreRefs) fetched.push(...(await fetchThreadMails(ref, { baseUrl })));
      return fetched;
    });
  } catch (e) {
    if (e instanceof FileError || e instanceof LoreError) throw new UsageError(e.message);
    throw e;
  }
  const all = buildSeries(read.mails, read.dropped).value.series;
  const series = all.filter((s) => s.patches.length > 0);
  if (series.length === 0) throw new UsageError('no patch in the input: nothing to check');
  if (series.length > 1)
    throw new UsageError(
      `${series.length} series in the input (${series.map((s) => `"${s.title}" v${s.revision}`).join(', ')}); patchwork-check posts one at a time`,
    );
  const s = series[0] as Series;
  if (s.state.kind === 'corrupted')
    throw new UsageError(
      `"${s.title}" v${s.revision} is corrupted (${s.state.reasons.join('; ')}): nothing posted`,
    );
  return s;
}

function outcomeText(out: PostOutcome): string {
  switch (out.kind) {
    case 'posted':
      return `posted on patch ${out.patch.id}${out.check.url ? ` (${out.check.url})` : ''}`;
    case 'already':
      return `already on patch ${out.patch.id}, not posted again`;
    case 'not-found':
      return 'patchwork has no patch with this Message-ID in the project; nothing posted';
    case 'ambiguous':
      return `several patches have this Message-ID (${out.patchIds.join(', ')}); nothing posted`;
    default:
      return `not posted: ${out.message}`;
  }
}

function planText(s: Series, p: PatchCheckPlan): string {
  const n = s.expected > 1 ? `${p.counter}/${s.expected}` : 'patch';
  return sanitize(`${n} <${p.messageId}>: ${p.state} (${p.description})`, 'terminal');
}

/** Reviews the series and posts its checks; 0 when every check is on patchwork, 1 when one is not. */
export async function patchworkCheckCommand(
  inputs: string[],
  opts: PatchworkCheckOptions,
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const token = opts.dryRun ? null : tokenFrom(env, opts.tokenEnv ?? DEFAULT_TOKEN_ENV, 'patchwork-check');
  const pw = client(httpUrl('--patchwork', opts.patchwork), opts.project, token);
  const targetUrl = opts.targetUrl === undefined ? null : httpUrl('--target-url', opts.targetUrl, 200);
  const config = await commandConfig(opts.config);
  const series = await oneSeries(inputs, opts, io);
  const parser = await loadCParser();
  const reviewed = await reviewOneSeries(series, { checks: CHECKS, config, parser, tree: opts.tree ?? null });
  if (reviewed.tooLarge) {
    io.err(`kapi-review: not reviewed, so nothing posted: ${tooLargeText(reviewed.tooLarge)}\n`);
    return 1;
  }
  if (series.state.kind === 'incomplete')
    io.err(
      `kapi-review: the series is incomplete (missing ${series.state.missing.join(', ')}); checking the patches present\n`,
    );
  let missed = 0;
  for (const plan of planPatchChecks(series, reviewed.review.findings)) {
    if (opts.dryRun) {
      io.out(`${planText(series, plan)}: would be posted to ${pw.instance}\n`);
      continue;
    }
    const out = await postCheck(pw, { ...plan, context: PATCHWORK_CONTEXT, targetUrl });
    io.out(`${planText(series, plan)}: ${sanitize(outcomeText(out), 'terminal')}\n`);
    if (out.kind !== 'posted' && out.kind !== 'already') missed++;
    // the token or its rights: every other patch would be refused the same way
    if (out.kind === 'refused') break;
  }
  return missed > 0 ? 1 : 0;
}
