/**
 * The bot's checks on patchwork, over the store's record of them (app/store/patchwork.ts):
 *
 * - `queueChecks`: when a revision's review is recorded, one check per patch is queued
 *   (reporters/patchwork.ts says what each says); queuing again adds nothing, so a restart or a
 *   second tick never owes patchwork a second check.
 * - `postPending`: each pending check is posted (app/patchwork/post.ts). Posted, or found already
 *   there: done. A 4xx: rejected, reported, never retried. A 401 or 403: the token or its rights,
 *   so the pass stops and the checks wait for the operator. No patch with that Message-ID yet
 *   (patchwork reads the list on its own schedule) or a transient failure: tried again on a later
 *   pass, until `giveUpAfterMs` after the check was queued.
 */
import type { Finding } from '../../checks/types.js';
import type { Series } from '../../parsers/series.js';
import { PATCHWORK_CONTEXT, planPatchChecks } from '../../reporters/patchwork.js';
import type { PatchworkCheckRow } from '../store/patchwork.js';
import type { Store } from '../store/store.js';
import type { PatchworkClient } from './client.js';
import { type PostOutcome, postCheck } from './post.js';

/** patchwork's limit on a check's target URL. */
const MAX_TARGET_URL = 200;
const DEFAULT_GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;

/** What the bot needs to post checks: the operator turns it on (it is off by default). */
export interface PatchworkSetup {
  client: PatchworkClient;
  /** The dashboard's base URL: each check links to its series' page there. Null: no link. */
  dashboardUrl: string | null;
  /** How long a check keeps waiting for its patch and through failures, from when it was queued. Default 24 h. */
  giveUpAfterMs?: number;
}

export interface PatchworkLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PatchworkPass {
  posted: number;
  /** Found on patchwork already (posted by an earlier run that could not note it). */
  already: number;
  /** Still pending: no patch yet, or a transient failure. */
  waiting: number;
  rejected: number;
  unmatched: number;
  failed: number;
  /** patchwork refused the token (401/403): the pass stopped there. */
  refused: boolean;
}

/** The link to a series' page on the dashboard; null when there is no dashboard or it is too long. */
function seriesPageUrl(dashboardUrl: string | null, seriesId: number): string | null {
  if (!dashboardUrl) return null;
  const url = `${dashboardUrl.replace(/\/+$/, '')}/series/${seriesId}`;
  return url.length <= MAX_TARGET_URL ? url : null;
}

/** Queues one check per patch of a reviewed revision; returns how many were new. */
export function queueChecks(
  store: Store,
  setup: PatchworkSetup,
  series: Series,
  rev: { id: number; seriesId: number },
  findings: readonly Finding[],
): number {
  const targetUrl = seriesPageUrl(setup.dashboardUrl, rev.seriesId);
  return store.patchwork.queue(
    planPatchChecks(series, findings).map((p) => ({
      instance: setup.client.instance,
      revisionId: rev.id,
      patchMessageId: p.messageId,
      context: PATCHWORK_CONTEXT,
      state: p.state,
      description: p.description,
      targetUrl,
    })),
  );
}

type Tally = keyof Omit<PatchworkPass, 'refused'>;

/** Records one outcome (not a refusal); returns the pass's tally key and, for a check given up, why. */
function settle(
  store: Store,
  row: PatchworkCheckRow,
  out: Exclude<PostOutcome, { kind: 'refused' }>,
  expired: boolean,
): { key: Tally; why: string | null } {
  switch (out.kind) {
    case 'posted':
    case 'already':
      store.patchwork.markPosted(row.id, out.patch.id, out.check.url);
      return { key: out.kind, why: null };
    case 'rejected':
      store.patchwork.close(row.id, 'rejected', out.message);
      return { key: 'rejected', why: out.message };
    case 'ambiguous': {
      const why = `several patches have this Message-ID (${out.patchIds.join(', ')})`;
      store.patchwork.close(row.id, 'unmatched', why);
      return { key: 'unmatched', why };
    }
    case 'not-found': {
      const why = 'patchwork has no patch with this Message-ID';
      if (!expired) {
        store.patchwork.markAttempt(row.id, `${why} yet`);
        return { key: 'waiting', why: null };
      }
      store.patchwork.close(row.id, 'unmatched', why);
      return { key: 'unmatched', why };
    }
    case 'failed':
      if (!expired) {
        store.patchwork.markAttempt(row.id, out.message);
        return { key: 'waiting', why: null };
      }
      store.patchwork.close(row.id, 'failed', out.message);
      return { key: 'failed', why: out.message };
  }
}

/** Posts the pending checks of the setup's instance, oldest first (see the file's comment). */
export async function postPending(
  store: Store,
  setup: PatchworkSetup,
  log: PatchworkLog,
  now: () => Date,
): Promise<PatchworkPass> {
  const pass: PatchworkPass = {
    posted: 0,
    already: 0,
    waiting: 0,
    rejected: 0,
    unmatched: 0,
    failed: 0,
    refused: false,
  };
  const giveUp = setup.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS;
  for (const row of store.patchwork.pending(setup.client.instance)) {
    const out = await postCheck(setup.client, {
      messageId: row.patchMessageId,
      context: row.context,
      state: row.state,
      description: row.description,
      targetUrl: row.targetUrl,
    });
    const where = { messageId: row.patchMessageId, revisionId: row.revisionId };
    if (out.kind === 'refused') {
      store.patchwork.markAttempt(row.id, out.message);
      log.error(where, `patchwork refused the token, no checks posted until that is fixed: ${out.message}`);
      pass.refused = true;
      pass.waiting += store.patchwork.pending(setup.client.instance).length;
      return pass;
    }
    const expired = now().getTime() - new Date(row.createdAt).getTime() > giveUp;
    const { key, why } = settle(store, row, out, expired);
    pass[key]++;
    if (out.kind === 'posted')
      log.info(
        { ...where, patchId: out.patch.id, checkId: out.check.id },
        `patchwork: ${row.state} (${row.description}) posted on patch ${out.patch.id} <${row.patchMessageId}>`,
      );
    else if (why !== null) log.warn(where, `patchwork: no check on <${row.patchMessageId}> (${key}): ${why}`);
  }
  return pass;
}
